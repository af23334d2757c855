// TCP window tracking (src/netfilter/conntrack/tcp-window.ts) through the engine: every expected
// value is worked out by hand from net/netfilter/nf_conntrack_proto_tcp.c (Linux 6.x, torvalds/
// linux; the functions named at each case): tcp_new, tcp_init_sender, tcp_in_window,
// nf_tcp_log_invalid, nf_conntrack_tcp_packet (its switch on the new state, then the timeout).
//
// A client 192.168.1.10:40000 behind MASQUERADE (203.0.113.22) talks to 198.51.100.1:80.
// Handshake: SYN seq 1000 win 64240 <mss 1460, sackOK, ws 7>; SYN/ACK seq 5000 ack 1001 win 65160
// <mss 1460, sackOK, ws 7>; ACK seq 1001 ack 5001 win 502 (x 2^7 = 64256).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildTcpPacket } from '../../src/wire/packet.ts';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, type TcpOption } from '../../src/wire/tcp.ts';
import { NF_ACCEPT, NF_DROP, Netfilter } from '../../src/netfilter/core/engine.ts';
import { SeededRng } from '../../src/netfilter/nat/nat-core.ts';
import { CT_INVALID } from '../../src/netfilter/core/skb.ts';
import fc from 'fast-check';
import {
  enableTcpWindows,
  TCP_WINDOW_SLOW,
  tcpInWindow,
  tcpWindowAckAt,
  tcpWindowOf,
  TcpWindows,
} from '../../src/netfilter/conntrack/tcp-window.ts';
import {
  IP_CT_TCP_FLAG_BE_LIBERAL,
  IP_CT_TCP_FLAG_DATA_UNACKNOWLEDGED,
  IP_CT_TCP_FLAG_MAXACK_SET,
  IP_CT_TCP_FLAG_SACK_PERM,
  IP_CT_TCP_FLAG_WINDOW_SCALE,
} from '../../src/netfilter/conntrack/tcp-window.ts';
import {
  TCP_CONNTRACK_CLOSE,
  TCP_CONNTRACK_ESTABLISHED,
  TCP_CONNTRACK_SYN_RECV,
  TCP_CONNTRACK_SYN_SENT,
  TCP_CONNTRACK_TIME_WAIT,
  TCP_VERDICT_OK,
} from '../../src/netfilter/conntrack/proto-tcp.ts';
import {
  ConntrackTable,
  CT_LAYOUT_IPV4,
  CT_LAYOUT_IPV4_WINDOW,
  IPS_ASSURED,
  IPS_SEEN_REPLY,
} from '../../src/netfilter/conntrack/table.ts';
import { defaultTimeouts, TimeoutTicks } from '../../src/netfilter/conntrack/timeouts.ts';
import { engine, forward, HOST, ip, lastSkb, MASQ_RULES, ruleset } from './helpers.ts';

const CLIENT = ip('192.168.1.10');
const SERVER = ip('198.51.100.1');
const PUBLIC = ip('203.0.113.22');
const SYN_OPTS: TcpOption[] = [{ kind: 'mss', mss: 1460 }, { kind: 'sackOK' }, { kind: 'ws', shift: 7 }];
const DROP_INVALID = `${MASQ_RULES}\niptables -A FORWARD -m conntrack --ctstate INVALID -j DROP`;

interface Seg {
  seq: number;
  ack?: number;
  flags: number;
  win?: number;
  data?: number;
  options?: TcpOption[];
}
const out = (s: Seg): Uint8Array =>
  buildTcpPacket(
    { src: CLIENT, dst: SERVER, id: 1 },
    {
      srcPort: 40000,
      dstPort: 80,
      seq: s.seq,
      ack: s.ack ?? 0,
      flags: s.flags,
      window: s.win ?? 502,
      options: s.options,
    },
    new Uint8Array(s.data ?? 0),
  );
const back = (s: Seg): Uint8Array =>
  buildTcpPacket(
    { src: SERVER, dst: PUBLIC, id: 1 },
    {
      srcPort: 80,
      dstPort: 40000,
      seq: s.seq,
      ack: s.ack ?? 0,
      flags: s.flags,
      window: s.win ?? 509,
      options: s.options,
    },
    new Uint8Array(s.data ?? 0),
  );
const dstOf = (b: Uint8Array): number => ((b[16]! << 24) | (b[17]! << 16) | (b[18]! << 8) | b[19]!) >>> 0;

function sysctls(o: Record<string, number>): Map<string, number> {
  return new Map(Object.entries(o));
}

/** The engine after the handshake; returns it with the entry. */
function established(rules = DROP_INVALID, sc: Record<string, number> = {}): { nf: Netfilter; e: number } {
  const nf = engine(rules, { sysctls: sysctls(sc) });
  assert.equal(
    forward(nf, out({ seq: 1000, flags: TCP_SYN, win: 64240, options: SYN_OPTS }), 'lan', 'wan', 0),
    NF_ACCEPT,
  );
  const e = lastSkb().ct;
  assert.equal(
    forward(
      nf,
      back({ seq: 5000, ack: 1001, flags: TCP_SYN | TCP_ACK, win: 65160, options: SYN_OPTS }),
      'wan',
      'lan',
      0,
    ),
    NF_ACCEPT,
  );
  assert.equal(forward(nf, out({ seq: 1001, ack: 5001, flags: TCP_ACK }), 'lan', 'wan', 0), NF_ACCEPT);
  return { nf, e };
}

describe('TCP window tracking (tcp_in_window)', () => {
  it('the handshake sets both directions as tcp_new, tcp_init_sender and tcp_in_window do', () => {
    const { nf, e } = established();
    const w = tcpWindowOf(nf.conntrack, nf.conntrack.tcpWin as TcpWindows, e);
    // SYN: tcp_new: td_end = seq + 1, td_maxwin = win, td_maxend = td_end; tcp_options: SACK_PERM, ws 7.
    // SYN/ACK: tcp_init_sender (td_end = td_maxend = 5001, td_maxwin 65160), maxack 1001; the
    // client's td_maxend = sack + win = 1001 + 65160. ACK: win 502 << 7 = 64256 > 64240 -> the
    // client's td_maxwin; the server's td_maxend = 5001 + 64256; client maxack 5001.
    assert.deepEqual(w.seen[0], {
      end: 1001,
      maxend: 66161,
      maxwin: 64256,
      maxack: 5001,
      scale: 7,
      flags: IP_CT_TCP_FLAG_WINDOW_SCALE | IP_CT_TCP_FLAG_SACK_PERM | IP_CT_TCP_FLAG_MAXACK_SET,
    });
    assert.deepEqual(w.seen[1], {
      end: 5001,
      maxend: 69257,
      maxwin: 65160,
      maxack: 1001,
      scale: 7,
      flags: IP_CT_TCP_FLAG_WINDOW_SCALE | IP_CT_TCP_FLAG_SACK_PERM | IP_CT_TCP_FLAG_MAXACK_SET,
    });
    assert.equal(nf.conntrack.tcpState(e), TCP_CONNTRACK_ESTABLISHED);
    assert.ok(nf.conntrack.statusOf(e) & IPS_ASSURED);
    assert.equal(nf.stats.invalid, 0);
  });

  it('a segment past the receiver window is INVALID: dropped by --ctstate INVALID, counted invalid', () => {
    const { nf } = established();
    // "SEQ is over upper bound": seq 5001 + 200000 > td_maxend 69257 + 1, and not the overshoot
    // work-around (end - td_maxend + 1 > the receiver's td_maxwin 64256).
    const v = forward(
      nf,
      back({ seq: 205001, ack: 1001, flags: TCP_ACK | TCP_PSH, data: 100 }),
      'wan',
      'lan',
      1,
    );
    assert.equal(v, NF_DROP);
    assert.equal(nf.stats.invalid, 1);
  });

  it('an INVALID segment a rule lets through keeps its addresses: no conntrack entry, no NAT', () => {
    const { nf } = established(MASQ_RULES);
    const p = back({ seq: 205001, ack: 1001, flags: TCP_ACK | TCP_PSH, data: 100 });
    assert.equal(forward(nf, p, 'wan', 'lan', 1), NF_ACCEPT);
    assert.equal(lastSkb().ctinfo, CT_INVALID);
    assert.equal(dstOf(p), PUBLIC); // not un-NATed to 192.168.1.10
    assert.equal(nf.stats.invalid, 1);
    // The next in-window segment is translated again.
    const q = back({ seq: 5001, ack: 1001, flags: TCP_ACK | TCP_PSH, data: 100 });
    assert.equal(forward(nf, q, 'wan', 'lan', 1), NF_ACCEPT);
    assert.equal(dstOf(q), CLIENT);
  });

  it('nf_conntrack_tcp_be_liberal=1 accepts it (nf_tcp_log_invalid returns NFCT_TCP_ACCEPT)', () => {
    const { nf } = established(DROP_INVALID, { nf_conntrack_tcp_be_liberal: 1 });
    const p = back({ seq: 205001, ack: 1001, flags: TCP_ACK | TCP_PSH, data: 100 });
    assert.equal(forward(nf, p, 'wan', 'lan', 1), NF_ACCEPT);
    assert.equal(dstOf(p), CLIENT);
    assert.equal(nf.stats.invalid, 0);
  });

  it('an ACK of data not seen yet is INVALID ("ACK is over upper bound")', () => {
    const { nf } = established();
    // sack 5101 > the server's td_end 5001.
    assert.equal(forward(nf, out({ seq: 1001, ack: 5101, flags: TCP_ACK }), 'lan', 'wan', 1), NF_DROP);
    assert.equal(nf.stats.invalid, 1);
  });

  it('an old retransmission below the window is ignored: passes NATed, no state change, no refresh', () => {
    const { nf, e } = established();
    const before = nf.conntrack.expires[e];
    // end 2000 - 100000 + 100 is not after td_end - receiver td_maxwin - 1: "SEQ is under lower
    // bound", NFCT_TCP_IGNORE -> NF_ACCEPT with the entry attached.
    const p = back({ seq: (5001 - 100000) >>> 0, ack: 1001, flags: TCP_ACK | TCP_PSH, data: 100 });
    assert.equal(forward(nf, p, 'wan', 'lan', 50), NF_ACCEPT);
    assert.equal(dstOf(p), CLIENT);
    assert.equal(nf.stats.invalid, 0);
    assert.equal(nf.conntrack.expires[e], before);
  });

  it('unacknowledged data shortens the timeout to timeout_unacknowledged until it is acked', () => {
    const { nf, e } = established();
    assert.equal(
      forward(nf, out({ seq: 1001, ack: 5001, flags: TCP_ACK | TCP_PSH, data: 100 }), 'lan', 'wan', 10),
      NF_ACCEPT,
    );
    const w = tcpWindowOf(nf.conntrack, nf.conntrack.tcpWin as TcpWindows, e);
    assert.ok(w.seen[0].flags & IP_CT_TCP_FLAG_DATA_UNACKNOWLEDGED);
    assert.equal(nf.conntrack.expires[e], 10 + 300);
    // The server acks 1101 == the client's td_end: the flag is cleared, ESTABLISHED's 5 days again.
    assert.equal(forward(nf, back({ seq: 5001, ack: 1101, flags: TCP_ACK }), 'wan', 'lan', 11), NF_ACCEPT);
    assert.equal(nf.conntrack.expires[e], 11 + 432000);
  });

  it('nf_conntrack_tcp_max_retrans: the same segment retransmitted that often gives timeout_max_retrans', () => {
    const { nf, e } = established(DROP_INVALID, {
      nf_conntrack_tcp_timeout_unacknowledged: 600,
      nf_conntrack_tcp_timeout_max_retrans: 200,
    });
    const seg = { seq: 1001, ack: 5001, flags: TCP_ACK | TCP_PSH, data: 100 };
    // retrans counts identical (dir, seq, ack, end, win) ACK segments: 0, 1, 2, 3 (>= max_retrans 3).
    const timeouts: number[] = [];
    for (let i = 0; i < 4; i++) {
      assert.equal(forward(nf, out(seg), 'lan', 'wan', 10 + i), NF_ACCEPT);
      timeouts.push(nf.conntrack.expires[e]! - (10 + i));
    }
    assert.deepEqual(timeouts, [600, 600, 600, 200]);
  });

  it('an RST below the peer max ack is INVALID ("invalid rst") unless tcp_ignore_invalid_rst', () => {
    const a = established();
    assert.equal(forward(a.nf, back({ seq: 4000, flags: TCP_RST }), 'wan', 'lan', 1), NF_DROP);
    assert.equal(a.nf.stats.invalid, 1);
    assert.equal(a.nf.conntrack.tcpState(a.e), TCP_CONNTRACK_ESTABLISHED);
    // With ignore_invalid_rst: not exactly the max ack, so the state stays ESTABLISHED (a
    // challenge ACK may follow), with the RST's CLOSE timeout (10 s).
    const b = established(DROP_INVALID, { nf_conntrack_tcp_ignore_invalid_rst: 1 });
    assert.equal(forward(b.nf, back({ seq: 4000, flags: TCP_RST }), 'wan', 'lan', 1), NF_ACCEPT);
    assert.equal(b.nf.stats.invalid, 0);
    assert.equal(b.nf.conntrack.tcpState(b.e), TCP_CONNTRACK_ESTABLISHED);
    assert.equal(b.nf.conntrack.expires[b.e], 1 + 10);
  });

  it('an RST at exactly the max ack closes the connection', () => {
    const { nf, e } = established();
    assert.equal(forward(nf, back({ seq: 5001, flags: TCP_RST }), 'wan', 'lan', 1), NF_ACCEPT);
    assert.equal(nf.conntrack.tcpState(e), TCP_CONNTRACK_CLOSE);
    assert.equal(nf.conntrack.expires[e], 1 + 10);
  });

  it('a SYN after an RST of the other side is ignored, not a reopen; the SYN/ACK resyncs the entry', () => {
    // nf_conntrack_tcp_packet: new state SYN_SENT from CLOSE reopens only with CLOSE_INIT or an
    // RST in the SYN's own direction last; else it falls through to TCP_CONNTRACK_IGNORE, which
    // annotates the SYN (last_end, last_win, options); the SYN/ACK acking last_end ("b) This
    // SYN/ACK acknowledges a SYN that we earlier ignored") moves the entry to SYN_RECV.
    const { nf, e } = established();
    assert.equal(forward(nf, back({ seq: 5001, flags: TCP_RST }), 'wan', 'lan', 1), NF_ACCEPT);
    assert.equal(nf.conntrack.tcpState(e), TCP_CONNTRACK_CLOSE);
    const syn = out({ seq: 9000, flags: TCP_SYN, win: 64240, options: SYN_OPTS });
    assert.equal(forward(nf, syn, 'lan', 'wan', 2), NF_ACCEPT);
    assert.equal(lastSkb().ct, e); // the same entry, and its NAT
    assert.equal(nf.conntrack.tcpState(e), TCP_CONNTRACK_CLOSE);
    const synack = back({ seq: 7000, ack: 9001, flags: TCP_SYN | TCP_ACK, win: 65160, options: SYN_OPTS });
    assert.equal(forward(nf, synack, 'wan', 'lan', 2), NF_ACCEPT);
    assert.equal(dstOf(synack), CLIENT);
    assert.equal(nf.conntrack.tcpState(e), TCP_CONNTRACK_SYN_RECV);
    // seen[last_dir] from the annotations: td_end = td_maxend = last_end, td_maxwin = last_win,
    // td_scale = last_wscale; seen[dir] reset, then tcp_init_sender for the SYN/ACK.
    const w = tcpWindowOf(nf.conntrack, nf.conntrack.tcpWin as TcpWindows, e);
    assert.deepEqual([w.seen[0].end, w.seen[0].maxwin, w.seen[0].scale], [9001, 64240, 7]);
    assert.deepEqual([w.seen[1].end, w.seen[1].maxwin, w.seen[1].scale], [7001, 65160, 7]);
    assert.equal(forward(nf, out({ seq: 9001, ack: 7001, flags: TCP_ACK }), 'lan', 'wan', 2), NF_ACCEPT);
    assert.equal(nf.conntrack.tcpState(e), TCP_CONNTRACK_ESTABLISHED);
    assert.equal(nf.stats.invalid, 0);
  });

  it('a SYN after a FIN close (CLOSE_INIT) reopens: a new entry', () => {
    const { nf, e } = established();
    forward(nf, out({ seq: 1001, ack: 5001, flags: TCP_FIN | TCP_ACK }), 'lan', 'wan', 1);
    forward(nf, back({ seq: 5001, ack: 1002, flags: TCP_FIN | TCP_ACK }), 'wan', 'lan', 1);
    forward(nf, out({ seq: 1002, ack: 5002, flags: TCP_ACK }), 'lan', 'wan', 1);
    assert.equal(nf.conntrack.tcpState(e), TCP_CONNTRACK_TIME_WAIT);
    assert.equal(
      forward(nf, out({ seq: 9000, flags: TCP_SYN, win: 64240, options: SYN_OPTS }), 'lan', 'wan', 2),
      NF_ACCEPT,
    );
    assert.equal(nf.conntrack.tcpState(lastSkb().ct), TCP_CONNTRACK_SYN_SENT);
  });

  it('a picked-up connection (tcp_loose) is BE_LIBERAL both ways: out-of-window segments pass', () => {
    const nf = engine(DROP_INVALID);
    assert.equal(forward(nf, out({ seq: 1001, ack: 5001, flags: TCP_ACK }), 'lan', 'wan', 0), NF_ACCEPT);
    const e = lastSkb().ct;
    const w = tcpWindowOf(nf.conntrack, nf.conntrack.tcpWin as TcpWindows, e);
    assert.equal(w.seen[0].flags & IP_CT_TCP_FLAG_BE_LIBERAL, IP_CT_TCP_FLAG_BE_LIBERAL);
    assert.equal(w.seen[1].flags & IP_CT_TCP_FLAG_BE_LIBERAL, IP_CT_TCP_FLAG_BE_LIBERAL);
    assert.equal(
      forward(nf, back({ seq: 905001, ack: 1001, flags: TCP_ACK, data: 10 }), 'wan', 'lan', 1),
      NF_ACCEPT,
    );
    assert.equal(nf.stats.invalid, 0);
  });

  it('an entry that saw only SYNs has last_win 0: a shorter timeout_max_retrans applies (tcp_new memsets it)', () => {
    // test/conformance/generated/gen-101-0.yaml: the kernel's SYN_SENT entry was gone 1 s after its SYN.
    const nf = engine(DROP_INVALID, { sysctls: sysctls({ nf_conntrack_tcp_timeout_max_retrans: 1 }) });
    const syn = out({ seq: 1000, flags: TCP_SYN, win: 64240, options: SYN_OPTS });
    assert.equal(forward(nf, syn, 'lan', 'wan', 0), NF_ACCEPT);
    const e = lastSkb().ct;
    assert.equal(nf.conntrack.tcpState(e), TCP_CONNTRACK_SYN_SENT);
    assert.equal(nf.conntrack.expires[e], 0 + 1);
    // The SYN-ACK (not an ACK_SET segment) leaves last_win 0: SYN_RECV's 60 s shortened too; the
    // handshake's last ACK sets last_win, and ESTABLISHED is unreplied-capped at unacknowledged.
    const sa = back({ seq: 5000, ack: 1001, flags: TCP_SYN | TCP_ACK, win: 65160, options: SYN_OPTS });
    assert.equal(forward(nf, sa, 'wan', 'lan', 0.5), NF_ACCEPT);
    assert.equal(nf.conntrack.expires[e], 0.5 + 1);
    assert.equal(forward(nf, out({ seq: 1001, ack: 5001, flags: TCP_ACK }), 'lan', 'wan', 0.6), NF_ACCEPT);
    assert.equal(nf.conntrack.expires[e], 0.6 + 432000);
    // With the default timeout_max_retrans (300 s) SYN_SENT keeps its 120 s.
    const d = engine(DROP_INVALID);
    assert.equal(forward(d, syn, 'lan', 'wan', 0), NF_ACCEPT);
    assert.equal(d.conntrack.expires[lastSkb().ct], 120);
  });

  it('a zero window gives timeout_max_retrans (last_win == 0)', () => {
    const { nf, e } = established(DROP_INVALID, { nf_conntrack_tcp_timeout_max_retrans: 200 });
    assert.equal(
      forward(nf, back({ seq: 5001, ack: 1001, flags: TCP_ACK, win: 0 }), 'wan', 'lan', 5),
      NF_ACCEPT,
    );
    assert.equal(nf.conntrack.expires[e], 5 + 200);
  });

  it('a FIN out of window after the peer FIN shortens an assured entry to timeout_unacknowledged', () => {
    // nf_tcp_handle_invalid: index FIN, last_index FIN of the other direction, expires >= 120 s.
    const { nf, e } = established();
    assert.equal(
      forward(nf, out({ seq: 1001, ack: 5001, flags: TCP_FIN | TCP_ACK }), 'lan', 'wan', 1),
      NF_ACCEPT,
    );
    // FIN_WAIT's timeout is 120 s: the shrink needs expires >= 120 s, so use the 5-day state by
    // taking a timeout sysctl: not needed here, the entry has 120 s exactly (not below 120).
    assert.equal(nf.conntrack.expires[e], 1 + 120);
    assert.equal(
      forward(nf, back({ seq: 905001, ack: 1002, flags: TCP_FIN | TCP_ACK }), 'wan', 'lan', 1),
      NF_DROP,
    );
    assert.equal(nf.stats.invalid, 1);
    // 120 s is not above timeout_unacknowledged (300 s): unchanged.
    assert.equal(nf.conntrack.expires[e], 1 + 120);
  });

  it('a segment at most a receiver window past td_maxend is ignored, and td_end moves ("bytes more than expected")', () => {
    const { nf, e } = established();
    // overshot = 105101 - 69257 + 1 = 35845 <= the client's td_maxwin 64256: NFCT_TCP_IGNORE.
    const p = back({ seq: 105001, ack: 1001, flags: TCP_ACK | TCP_PSH, data: 100 });
    assert.equal(forward(nf, p, 'wan', 'lan', 1), NF_ACCEPT);
    assert.equal(dstOf(p), CLIENT);
    assert.equal(nf.stats.invalid, 0);
    const w = tcpWindowOf(nf.conntrack, nf.conntrack.tcpWin as TcpWindows, e);
    assert.equal(w.seen[1].end, 105101);
    assert.ok(w.seen[1].flags & IP_CT_TCP_FLAG_DATA_UNACKNOWLEDGED);
  });

  it('with window tracking off (NfConfig.tcpWindow false) every segment is in window, as before', () => {
    const nf = new Netfilter({
      ruleset: ruleset(DROP_INVALID),
      host: HOST,
      rng: new SeededRng(1),
      tcpWindow: false,
    });
    forward(nf, out({ seq: 1000, flags: TCP_SYN, win: 64240, options: SYN_OPTS }), 'lan', 'wan', 0);
    forward(
      nf,
      back({ seq: 5000, ack: 1001, flags: TCP_SYN | TCP_ACK, win: 65160, options: SYN_OPTS }),
      'wan',
      'lan',
      0,
    );
    forward(nf, out({ seq: 1001, ack: 5001, flags: TCP_ACK }), 'lan', 'wan', 0);
    assert.equal(nf.conntrack.tcpWin, undefined);
    const p = back({ seq: 205001, ack: 1001, flags: TCP_ACK | TCP_PSH, data: 100 });
    assert.equal(forward(nf, p, 'wan', 'lan', 1), NF_ACCEPT);
    assert.equal(dstOf(p), CLIENT);
  });
});

describe('the established ACK shortcut', () => {
  // Both places of the window words: an array of their own (8 words per entry) and the record's
  // words 8-15 (CT_LAYOUT_IPV4_WINDOW, the engine's table with window tracking on).
  for (const [where, layout] of [
    ['own array', CT_LAYOUT_IPV4],
    ['in the record', CT_LAYOUT_IPV4_WINDOW],
  ] as const)
    it(`tcpWindowAck accepts what tcpInWindow accepts, with the same seen[] and flags word; else changes nothing (${where})`, () => {
      // The words: seen[dir].{td_end, td_maxend, td_maxwin} at W + dir * 4, seen[ORIGINAL].td_maxack
      // at W + 3, the flags word at W + 7 (bit 6, A_HINT1: seen[REPLY].td_maxack known to equal
      // seen[ORIGINAL].td_end), seen[REPLY].td_maxack in the table's aux word.
      const t = new ConntrackTable(4, layout);
      const tw = enableTcpWindows(t, undefined);
      assert.equal(tw.w === t.rec, layout === CT_LAYOUT_IPV4_WINDOW);
      const W = tw.off; // entry 0's window words: w[W .. W + 8]
      const to = new TimeoutTicks(defaultTimeouts());
      const u32 = fc.integer({ min: 0, max: 0xffffffff });
      const near = fc.integer({ min: -140000, max: 140000 });
      // Also far offsets (sequence comparisons are not transitive: an ACK after td_end with a
      // SACK block before it), with a td_maxwin that large.
      const offset = fc.oneof(
        { arbitrary: near, weight: 4 },
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      );
      fc.assert(
        fc.property(
          fc.record({
            dir: fc.integer({ min: 0, max: 1 }),
            lastDir: fc.integer({ min: 0, max: 1 }),
            sEnd: u32,
            sSpan: fc.integer({ min: 0, max: 200000 }),
            sMaxwin: fc.oneof(
              fc.integer({ min: 1, max: 0x3fffffff }),
              fc.integer({ min: 1, max: 0xffffffff }),
            ),
            rEnd: u32,
            rSpan: fc.integer({ min: 0, max: 200000 }),
            rMaxwin: fc.integer({ min: 0, max: 0x3fffffff }),
            // seen[dir].td_maxack: anywhere, or near the other direction's td_end.
            maxack0: fc.oneof(u32, near),
            maxack1: fc.oneof(u32, near),
            // A_HINT1 set (then seen[REPLY].td_maxack is seen[ORIGINAL].td_end, as the hint says).
            hint: fc.boolean(),
            aux: u32,
            dSeq: near,
            dAck: offset,
            win: fc.integer({ min: 0, max: 65535 }),
            data: fc.integer({ min: 0, max: 1500 }),
            sack: fc.option(offset, { nil: undefined }),
            // Timestamps as Linux sends them (NOP NOP TIMESTAMP, tcp_sack's own first test).
            ts: fc.boolean(),
          }),
          (c) => {
            const s = W + c.dir * 4;
            const r = W + (c.dir ^ 1) * 4;
            const seq = (c.sEnd + c.dSeq) >>> 0;
            const ack = (c.rEnd + c.dAck) >>> 0;
            const opts: TcpOption[] = [
              ...(c.ts
                ? [
                    { kind: 'nop' as const },
                    { kind: 'nop' as const },
                    { kind: 'ts' as const, val: 7, ecr: 9 },
                  ]
                : []),
              ...(c.sack === undefined
                ? []
                : [
                    { kind: 'sack' as const, blocks: [[ack, (c.rEnd + c.sack) >>> 0]] as [number, number][] },
                  ]),
            ];
            const p = buildTcpPacket(
              { src: CLIENT, dst: SERVER, id: 1 },
              { srcPort: 1, dstPort: 2, seq, ack, flags: TCP_ACK, window: c.win, options: opts },
              new Uint8Array(c.data),
            );
            const aux = c.hint ? (c.aux | 0x40) >>> 0 : (c.aux & ~0x40) >>> 0;
            const load = (): void => {
              tw.w.fill(0);
              tw.w[s] = c.sEnd;
              tw.w[s + 1] = (c.sEnd + c.sSpan) >>> 0;
              tw.w[s + 2] = c.sMaxwin;
              tw.w[r] = c.rEnd;
              tw.w[r + 1] = (c.rEnd + c.rSpan) >>> 0;
              tw.w[r + 2] = c.rMaxwin;
              tw.w[W + 3] = c.maxack0 < 0 ? (tw.w[W + 4]! + c.maxack0) >>> 0 : c.maxack0;
              tw.w[W + 7] = aux;
              t.aux[0] = c.hint ? tw.w[W]! : c.maxack1 < 0 ? (tw.w[W]! + c.maxack1) >>> 0 : c.maxack1;
              // An assured ESTABLISHED entry (tcpWindowAck's case), last index ACK in lastDir.
              t.rec[6] =
                IPS_SEEN_REPLY |
                IPS_ASSURED |
                (TCP_CONNTRACK_ESTABLISHED << 24) |
                ((3 | (c.lastDir << 3)) << 28);
              t.rec[7] = 0;
            };
            const seg = p.length - 20;
            load();
            const a = tcpInWindow(t, tw, 0, c.dir, 3, TCP_CONNTRACK_ESTABLISHED, p, 20, seg);
            const wa = [...tw.w.subarray(W, W + 8)];
            const maxack1A = t.aux[0];
            assert.equal(wa[7]! & 0x40, 0, 'tcpInWindow clears A_HINT1');
            load();
            const w0 = [...tw.w.subarray(W, W + 8)];
            const maxack10 = t.aux[0];
            const b = tcpWindowAckAt(t, 0, c.dir, p, 20, seg, 1000, to);
            if (b === TCP_WINDOW_SLOW) {
              // Nothing changed, and tcpInWindow did not accept it as in window (the general way
              // gives the outcome): out of a bound (IGNORE, INVALID), or accepted only as liberal.
              assert.deepEqual([...tw.w.subarray(W, W + 8)], w0);
              assert.equal(t.aux[0], maxack10);
              assert.ok(a !== 2 || (aux >>> (c.dir * 6)) & IP_CT_TCP_FLAG_BE_LIBERAL, 'accepted in window');
              return;
            }
            assert.equal(a, 2); // NFCT_TCP_ACCEPT
            // Every word as tcp_in_window leaves it (the flags word but for A_HINT1), and the hint
            // true when set.
            const wb = [...tw.w.subarray(W, W + 8)];
            assert.deepEqual([...wb.slice(0, 7), wb[7]! & ~0x40], [...wa.slice(0, 7), wa[7]! & ~0x40]);
            assert.equal(t.aux[0], maxack1A);
            if (wb[7]! & 0x40) assert.equal(t.aux[0], tw.w[W], 'A_HINT1: REPLY td_maxack == ORIGINAL td_end');
            // in_window: last index ACK in this direction, state and status kept, refreshed.
            assert.equal(t.rec[6]! >>> 28, 3 | (c.dir << 3));
            assert.equal(
              t.rec[6]! & 0x0fffffff,
              (IPS_SEEN_REPLY | IPS_ASSURED | (TCP_CONNTRACK_ESTABLISHED << 24)) >>> 0,
            );
            assert.ok(t.rec[7]! > 1000);
          },
        ),
        { numRuns: 3000, seed: 0x7c9 },
      );
    });
});

describe('the td_maxack hint (A_HINT1)', () => {
  it('is not trusted for an ACK after seen[ORIGINAL].td_end (a SACK block before it passes the bounds)', () => {
    // Sequence comparisons are not transitive: ack 0x7fff0000 is after td_end 0, its SACK block's
    // right edge 0x80000100 after the ack and not after td_end; with a td_maxwin of 0x7fffff00 the
    // ACK is inside tcp_in_window's bounds, and after td_maxack (0, which the hint says is
    // td_end): td_maxack moves to the ack.
    const t = new ConntrackTable(4, CT_LAYOUT_IPV4_WINDOW);
    const tw = enableTcpWindows(t, undefined);
    const W = tw.off;
    const to = new TimeoutTicks(defaultTimeouts());
    const ack = 0x7fff0000;
    const p = buildTcpPacket(
      { src: SERVER, dst: CLIENT, id: 1 },
      {
        srcPort: 2,
        dstPort: 1,
        seq: 5000,
        ack,
        flags: TCP_ACK,
        window: 100,
        options: [{ kind: 'sack', blocks: [[ack, 0x80000100]] }],
      },
    );
    const load = (): void => {
      tw.w.fill(0);
      tw.w[W] = 0; // seen[ORIGINAL]: td_end 0, td_maxend 10, td_maxwin 0
      tw.w[W + 1] = 10;
      tw.w[W + 3] = 0;
      tw.w[W + 4] = 5000; // seen[REPLY]: td_end 5000, td_maxend 6000, td_maxwin 0x7fffff00
      tw.w[W + 5] = 6000;
      tw.w[W + 6] = 0x7fffff00;
      // ORIGINAL SACK_PERM; REPLY MAXACK_SET; A_HINT1 (REPLY's td_maxack 0 == ORIGINAL's td_end)
      tw.w[W + 7] = IP_CT_TCP_FLAG_SACK_PERM | ((IP_CT_TCP_FLAG_MAXACK_SET | 1) << 6);
      t.aux[0] = 0;
      t.rec[6] = IPS_SEEN_REPLY | IPS_ASSURED | (TCP_CONNTRACK_ESTABLISHED << 24) | (3 << 28);
      t.rec[7] = 0;
    };
    load();
    assert.equal(tcpInWindow(t, tw, 0, 1, 3, TCP_CONNTRACK_ESTABLISHED, p, 20, p.length - 20), 2);
    assert.equal(t.aux[0], ack, 'tcp_in_window: td_maxack = ack');
    const words = [...tw.w.subarray(W, W + 7)];
    load();
    assert.equal(tcpWindowAckAt(t, 0, 1, p, 20, p.length - 20, 1000, to), TCP_VERDICT_OK);
    assert.equal(t.aux[0], ack, 'the shortcut: td_maxack = ack, the hint notwithstanding');
    assert.deepEqual([...tw.w.subarray(W, W + 7)], words);
    assert.equal(tw.w[W + 7]! & 0x40, 0, 'the hint is off (td_maxack is no longer td_end)');
  });
});
