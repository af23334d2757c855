// The kernel's packetdrill conntrack cases, replayed through a NAT router: natbox's TCP tracking
// against the expectations written in the .pkt files and against the live kernel.
// Origin: tools/testing/selftests/net/netfilter/packetdrill/*.pkt and nf_conntrack_packetdrill.sh
// (torvalds/linux). Each .pkt runs a local socket against packets injected through a tun device,
// with `-A INPUT|OUTPUT -p tcp -m conntrack --ctstate INVALID -j DROP` and `conntrack -L | grep`
// checks. Here the local socket is one end (the client for a script that connects, the server for
// one that listens), the script's peer the other, and every segment the script sends or expects
// is sent by hand in order through a router (`FORWARD -i <peer side>` stands for INPUT,
// `-i <socket side>` for OUTPUT; no NAT: an INVALID segment to a NAT address would be delivered
// to the router itself, whose stack answers it with an RST, which is not what the script tests). Sequence numbers as packetdrill makes them live
// (packetdrill's run_packet.c: a SYN's seq as written, a later segment's relative to its sender's
// ISN, an ACK relative to the other end's): the socket's ISN is 1000 (client) or 7000 (server).
// A segment the script expects only implicitly (the ACK that completes a handshake, a listener's
// SYN-ACK) is marked where it is added. What each case asserts, with the .pkt line it comes from,
// is in `expect`; the live test also checks that natbox's run equals the kernel's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kernelRun, natboxRun, type Run, type Seg } from './live-tcp-segments.ts';
import { liveNatMissing } from './live-env.ts';

const dropInvalid = (iface: 'lan' | 'wan'): string =>
  `-A FORWARD -i ${iface} -p tcp -m conntrack --ctstate INVALID -j DROP`;

interface Expect {
  /** For each `snap` segment, what the .pkt's `conntrack -L | grep` asks of the entry. */
  snaps: RegExp[];
  /** The final `conntrack -L` line, when the .pkt checks one at its end. */
  final?: RegExp;
  /** Indexes (into segs) of the segments the INVALID rules drop. */
  dropped: number[];
  /** `conntrack -S` invalid (the .pkt's rule counters summed). */
  invalid: number;
}

interface Case {
  file: string;
  rules: string[];
  segs: Seg[];
  expect: Expect;
}

/** A segment from the socket's side (`me`) or the script's peer, with the live numbers given. */
type Mk = (flags: string, seq: number, ack: number, len?: number, extra?: Partial<Seg>) => Seg;
const mk =
  (from: 'c' | 's'): Mk =>
  (flags, seq, ack, len = 0, extra = {}) => ({
    from,
    ...(from === 'c'
      ? { src: '10.0.1.2', sport: 40000, dst: '198.51.100.2', dport: 80 }
      : { src: '198.51.100.2', sport: 80, dst: '10.0.1.2', dport: 40000 }),
    flags,
    seq: seq >>> 0,
    ack: ack >>> 0,
    len,
    ...extra,
  });

// A connecting socket: the client, ISN 1000; the peer is the server.
const L = 1000;
const cOut = mk('c');
const cIn = mk('s');

/** conntrack_rst_invalid.pkt: out-of-window and inexact RSTs INVALID, the entry ESTABLISHED. */
const rstInvalid = (): Case => {
  const R = 1; // `< S. 1:1(0)`: the peer's ISN
  const segs: Seg[] = [
    cOut('S', L, 0, 0, { win: 65535, wscale: 8 }), // 0.1 > S 0:0(0) win 65535 <…wscale 8>
    cIn('SA', R, L + 1, 0, { win: 65535 }), // +0.1 < S. 1:1(0) ack 1 win 65535 <mss 1460>
    cOut('A', L + 1, R + 1, 0, { win: 65535 }), // +0 > . 1:1(0) ack 1
    cIn('A', R + 1, L + 1, 1000, { win: 65535 }), // +0 < . 1:1001(1000) ack 1
    cIn('A', R + 1001, L + 1, 1000, { win: 65535 }), // +0 < . 1001:2001(1000) ack 1
    cIn('A', R + 2001, L + 1, 1000, { win: 65535 }), // +0 < . 2001:3001(1000) ack 1
    cOut('A', L + 1, R + 1001, 0, { win: 65535 }), // +0 > . 1:1(0) ack 1001
    cOut('A', L + 1, R + 2001, 0, { win: 65535 }), // +0 > . 1:1(0) ack 2001
    cOut('A', L + 1, R + 3001, 0, { win: 65535 }), // +0 > . 1:1(0) ack 3001
    cIn('R', R + 0, 0, 0, { win: 0, snap: true }), // 9: "// out of window" +0.0 < R 0:0(0) win 0
    cIn('R', R + 1000000, 0, 0, { win: 0, snap: true }), // 10: "// out of window" < R 1000000:1000000(0)
    cIn('R', R + 42, 0, 0, { win: 0, snap: true }), // 11: "// in-window but not exact match" < R 42:42(0)
    cOut('PA', L + 1, R + 3001, 1000, { win: 65535, snap: true }), // +0.0 > P. 1:1001(1000) ack 3001
    cIn('A', R + 3001, L + 1001, 0, { win: 65535 }), // +0 < . 3001:3001(0) ack 1001
    cIn('RA', R + 3000, L + 1001, 0, { win: 0, snap: true }), // 14: +0.0 < R. 3000:3000(0) ack 1001 win 0
    cIn('RA', R + 3001, L + 1001, 0, { win: 0 }), // "// exact next sequence" < R. 3001:3001(0) ack 1001
  ];
  const est = /^tcp +6 ESTABLISHED .*\[ASSURED\]/;
  return {
    file: 'conntrack_rst_invalid.pkt',
    rules: [dropInvalid('wan'), dropInvalid('lan')],
    segs,
    expect: {
      // `conntrack -L … |grep -q ESTABLISHED` after each of the four invalid RSTs and the data.
      snaps: [est, est, est, est, est],
      // `conntrack -L … |grep -q CLOSE\ ` at the end ("// Conntrack should move to CLOSE").
      final: /^tcp +6 CLOSE /,
      // "// Expect four invalid RSTs": INPUT `-c 4`, OUTPUT `-c 0 0`.
      dropped: [9, 10, 11, 14],
      invalid: 4,
    },
  };
};

/** conntrack_inexact_rst.pkt: after a FIN each way (CLOSE_WAIT, then CLOSE) a spurious RST is fine. */
const inexactRst = (): Case => {
  const R = 1;
  const segs: Seg[] = [
    cOut('S', L, 0, 0, { win: 65535, wscale: 8 }), // 0.1 > S 0:0(0) win 65535 <…wscale 8>
    cIn('SA', R, L + 1, 0, { win: 65535 }), // +0.1 < S. 1:1(0) ack 1 win 65535 <mss 1460>
    cOut('A', L + 1, R + 1, 0, { win: 65535 }), // +0 > . 1:1(0) ack 1
    cIn('A', R + 1, L + 1, 1000, { win: 65535 }), // +0 < . 1:1001(1000) ack 1
    cIn('A', R + 1001, L + 1, 1000, { win: 65535 }), // +0 < . 1001:2001(1000) ack 1
    cIn('A', R + 2001, L + 1, 1000, { win: 65535 }), // +0 < . 2001:3001(1000) ack 1
    cOut('A', L + 1, R + 1001, 0, { win: 65535 }), // +0 > . 1:1(0) ack 1001
    cOut('A', L + 1, R + 2001, 0, { win: 65535 }), // +0 > . 1:1(0) ack 2001
    cOut('A', L + 1, R + 3001, 0, { win: 65535 }), // +0 > . 1:1(0) ack 3001
    cOut('PA', L + 1, R + 3001, 1000, { win: 65535 }), // +0.0 > P. 1:1001(1000) ack 3001
    cIn('FA', R + 3001, L + 1001, 0, { win: 65535 }), // +0 < F. 3001:3001(0) ack 1001
    cOut('A', L + 1001, R + 3002, 0, { win: 65535, snap: true }), // +0 > . 1001:1001(0) ack 3002
    cOut('RA', L + 1001, R + 3002, 0, { win: 65535, snap: true }), // +0 > R. 1001:1001(0) ack 3002
    cIn('R', R + 2001, 0, 0, { win: 0 }), // +0.1 < R 2001:2001(0) win 0 ("// Spurious RST from peer")
  ];
  return {
    file: 'conntrack_inexact_rst.pkt',
    rules: [dropInvalid('wan'), dropInvalid('lan')],
    segs,
    expect: {
      // `grep -q CLOSE_WAIT` after the FIN and its ACK; `grep -q CLOSE\ ` after the RST.
      snaps: [/^tcp +6 CLOSE_WAIT /, /^tcp +6 CLOSE /],
      final: /^tcp +6 CLOSE /,
      // "// No packets should have been marked INVALID": INPUT and OUTPUT `-c 0 0`.
      dropped: [],
      invalid: 0,
    },
  };
};

/** conntrack_syn_challenge_ack.pkt: a challenge ACK in SYN_SENT, its RST, and a new handshake. */
const synChallengeAck = (): Case => {
  const segs: Seg[] = [
    cOut('S', L, 0, 0, { win: 65535, wscale: 8 }), // 0.1 > S 0:0(0) win 65535 <…wscale 8>
    // "// Challenge ACK, old incarnation." 0.1 < . 145824453:145824453(0) ack 643160523 win 240
    cIn('A', 145824453, L + 643160523, 0, { win: 240 }),
    cOut('R', L + 643160523, 0, 0, { win: 0, snap: true }), // +0.01 > R 643160523:643160523(0) win 0
    cOut('S', L, 0, 0, { win: 65535, wscale: 8, snap: true }), // "// Must go through." +0.01 > S 0:0(0)
    cIn('SA', 0, L + 1, 0, { win: 250, wscale: 0 }), // "// correct synack" +0.1 < S. 0:0(0) ack 1 win 250
    cOut('A', L + 1, 1, 0, { win: 256, snap: true }), // "// 3whs completes." +0.01 > . 1:1(0) ack 1
  ];
  return {
    file: 'conntrack_syn_challenge_ack.pkt',
    rules: [dropInvalid('wan'), dropInvalid('lan')],
    segs,
    expect: {
      // The script greps `UNREPLIED … SYN_SENT` after the RST (+0.01). The RST itself leaves the
      // entry CLOSE, replied: the challenge ACK, ignored (sIG) but accepted, set IPS_SEEN_REPLY
      // (nf_conntrack_in), and the RST answering it (seq == last_ack) goes to in_window, CLOSE,
      // without the nf_ct_kill of an unreplied entry. What the script sees is the entry the
      // socket's next SYN reopens (CLOSE -> SYN_SENT: nf_ct_kill, NF_REPEAT): Linux 6.18 sends
      // that SYN about 13 ms after the RST (`conntrack -E` on a local socket given the same
      // challenge ACK: NEW SYN_SENT, UPDATE (the ACK), UPDATE CLOSE (the RST), 13 ms later
      // DESTROY and NEW SYN_SENT [UNREPLIED]), before the script's check. Both states are checked.
      // Then `grep ESTABLISHED | grep -q ASSURED` after the handshake.
      snaps: [
        /^tcp +6 CLOSE src=.* sport=80 dport=40000 mark=0$/,
        /^tcp +6 SYN_SENT .*\[UNREPLIED\]/,
        /^tcp +6 ESTABLISHED .*\[ASSURED\]/,
      ],
      final: /^tcp +6 ESTABLISHED .*\[ASSURED\]/,
      // "// No packets should have been marked INVALID"
      dropped: [],
      invalid: 0,
    },
  };
};

/** conntrack_synack_old.pkt: a SYN-ACK of an old incarnation INVALID, the right one accepted. */
const synackOld = (): Case => {
  const R = 145824453; // packetdrill takes the first SYN-ACK's seq as the peer's ISN
  const segs: Seg[] = [
    cOut('S', L, 0, 0, { win: 65535, wscale: 8 }), // 0.1 > S 0:0(0) win 65535 <…wscale 8>
    // "// bogus/outdated synack, invalid ack value" 0.1 < S. 145824453:145824453(0) ack 643160523 win 240
    cIn('SA', 145824453, L + 643160523, 0, { win: 240, wscale: 0 }),
    cOut('S', L, 0, 0, { win: 65535, wscale: 8, snap: true }), // "// syn retransmitted" 1.01 > S 0:0(0)
    cIn('SA', 145758918, L + 1, 0, { win: 250, wscale: 0 }), // "// correct synack" +0 < S. 145758918 ack 1
    // Not in the script: the socket's ACK of that SYN-ACK (the script's ESTABLISHED check needs it).
    cOut('A', L + 1, R + 4294901762, 0, { win: 256 }),
    cOut('PA', L + 1, R + 4294901762, 1, { win: 256, snap: true }), // +0 > P. 1:2(1) ack 4294901762 win 256
  ];
  return {
    file: 'conntrack_synack_old.pkt',
    rules: [dropInvalid('wan'), dropInvalid('lan')],
    segs,
    expect: {
      // `grep UNREPLIED | grep -q SYN_SENT` after the retransmitted SYN; `grep ASSURED | grep -q
      // ESTABLISHED` after the data.
      snaps: [/^tcp +6 SYN_SENT .*\[UNREPLIED\]/, /^tcp +6 ESTABLISHED .*\[ASSURED\]/],
      final: /^tcp +6 ESTABLISHED .*\[ASSURED\]/,
      // "// No packets should have been marked INVALID in OUTPUT direction, 1 in INPUT"
      dropped: [1],
      invalid: 1,
    },
  };
};

// A listening socket: the server, ISN 7000; the peer is the client.
const S0 = 7000;
const sOut = mk('s');
const sIn = mk('c');

/** conntrack_synack_reuse.pkt: a new SYN on an established entry, challenge ACK, RST, SYN again. */
const synackReuse = (): Case => {
  const segs: Seg[] = [
    sIn('S', 0, 0, 0, { win: 32792, wscale: 7 }), // +0 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7,…>
    sOut('SA', S0, 1, 0, { win: 65535, wscale: 8 }), // +0 > S. 0:0(0) ack 1 <…wscale 8>
    sIn('A', 1, S0 + 1, 0, { win: 257 }), // +.01 < . 1:1(0) ack 1 win 257
    sIn('PA', 1, S0 + 1, 100, { win: 257 }), // +0 < P. 1:101(100) ack 1 win 257
    sOut('A', S0 + 1, 101, 0, { win: 256 }), // +.001 > . 1:1(0) ack 101 win 256
    sIn('S', 2000, 0, 0, { win: 32792, wscale: 7 }), // 1.0 < S 2000:2000(0) win 32792 <…wscale 7>
    sOut('A', S0 + 1, 101, 0, { win: 256 }), // "// … challenge ack." +0 > . 1:1(0) ack 101 win 256
    sIn('RA', 101, S0 + 1, 0, { win: 257 }), // +0 < R. 101:101(0) ack 1 win 257
    sIn('S', 2000, 0, 0, { win: 32792, wscale: 0 }), // 1.5 < S 2000:2000(0) win 32792 <…wscale 0>
    // Not in the script (it ends with that SYN): the listener's SYN-ACK, already sent when the
    // script's `conntrack -L | grep -q SYN_RECV` runs. ISN 9000.
    sOut('SA', 9000, 2001, 0, { win: 65535, wscale: 8 }),
  ];
  return {
    file: 'conntrack_synack_reuse.pkt',
    // "should show a match if bug is present": a counting rule, no verdict.
    rules: ['-A FORWARD -i lan -m conntrack --ctstate INVALID -p tcp --tcp-flags SYN,ACK SYN,ACK'],
    segs,
    expect: {
      snaps: [],
      // `conntrack -L … | grep -q SYN_RECV`
      final: /^tcp +6 SYN_RECV /,
      // `iptables -v -S INPUT | grep INVALID | grep -q -- "-c 0 0"` (and nothing is dropped).
      dropped: [],
      invalid: 0,
    },
  };
};

/** conntrack_ack_loss_stall.pkt: data retransmitted after it was ACKed is let through. */
const ackLossStall = (): Case => {
  const segs: Seg[] = [
    sIn('S', 0, 0, 0, { win: 32792 }), // +0 < S 0:0(0) win 32792 <mss 1000>
    sOut('SA', S0, 1, 0, { win: 65535 }), // +0 > S. 0:0(0) ack 1 <mss 1460>
    sIn('A', 1, S0 + 1, 0, { win: 65535 }), // +.01 < . 1:1(0) ack 1 win 65535
  ];
  // 46 × (+0.0001 < P. n:n+1460(1460) ack 1 win 257; +.0 > . 1:1(0) ack n+1460 win 65535)
  for (let n = 1; n < 67161; n += 1460) {
    segs.push(sIn('PA', n, S0 + 1, 1460, { win: 257 }));
    segs.push(sOut('A', S0 + 1, n + 1460, 0, { win: 65535 }));
  }
  const retrans = segs.length;
  // "// nf_ct_proto_6: SEQ is under the lower bound (already ACKed data retransmitted)"
  segs.push(sIn('PA', 1, S0 + 1, 1460, { win: 257 })); // +0.0001 < P. 1:1461(1460) ack 1 win 257
  // "// only sent if above packet isn't flagged as invalid" +.0 > . 1:1(0) ack 67161 win 65535
  segs.push(sOut('A', S0 + 1, 67161, 0, { win: 65535 }));
  assert.equal(retrans, 95);
  return {
    file: 'conntrack_ack_loss_stall.pkt',
    rules: ['-A FORWARD -i lan -m conntrack --ctstate INVALID -j DROP'],
    segs,
    expect: {
      snaps: [],
      final: /^tcp +6 ESTABLISHED .*\[ASSURED\]/,
      // The retransmission is not dropped by `$xtables -A INPUT -m conntrack --ctstate INVALID -j DROP`.
      dropped: [],
      invalid: 0,
    },
  };
};

const CASES: Case[] = [
  rstInvalid(),
  inexactRst(),
  synChallengeAck(),
  synackOld(),
  synackReuse(),
  ackLossStall(),
];

/** What the other end gets of `g` when it passes. */
const arrives = (g: Seg): string =>
  `${g.src}:${g.sport}>${g.dst}:${g.dport} ${g.flags} ${g.seq} ${g.ack} ${g.len ?? 0}`;

function check(c: Case, run: Run): void {
  const want: Run['got'] = { c: [], s: [] };
  c.segs.forEach((g, i) => {
    if (!c.expect.dropped.includes(i)) want[g.from === 'c' ? 's' : 'c'].push(arrives(g));
  });
  assert.deepEqual(run.got, want, `${c.file}: the segments that pass`);
  assert.match(run.stats, new RegExp(` invalid=${c.expect.invalid} `), `${c.file}: conntrack -S`);
  const snaps = run.snaps ?? [];
  assert.equal(snaps.length, c.expect.snaps.length);
  c.expect.snaps.forEach((re, i) => {
    assert.equal(snaps[i]!.length, 1, `${c.file}: snapshot ${i}: ${snaps[i]!.join('; ')}`);
    assert.match(snaps[i]![0]!, re, `${c.file}: snapshot ${i}`);
  });
  if (c.expect.final) {
    assert.equal(run.list.length, 1, `${c.file}: ${run.list.join('; ')}`);
    assert.match(run.list[0]!, c.expect.final, `${c.file}: conntrack -L at the end`);
  }
}

for (const c of CASES)
  test(`${c.file}: natbox meets the script's expectations`, () => {
    check(c, natboxRun(c.rules, c.segs));
  });

const why = liveNatMissing;

for (const c of CASES)
  test(`${c.file}: the live kernel meets them and natbox agrees`, why() ? { skip: why() } : {}, async () => {
    const k = await kernelRun(c.rules, c.segs);
    check(c, k);
    assert.deepEqual(natboxRun(c.rules, c.segs), k);
  });
