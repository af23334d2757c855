// Per-protocol conntrack against the kernel: the TCP table tcp_conntracks[dir][class][state] and
// nf_conntrack_tcp_packet (nf_conntrack_proto_tcp.c), nf_conntrack_udp_packet
// (nf_conntrack_proto_udp.c) and nf_conntrack_icmp_packet (nf_conntrack_proto_icmp.c). A small
// driver plays nf_conntrack_in over the table: lookup, tcp_new for a new entry, the protocol
// handler, SEEN_REPLY set *after* the handler (as the kernel does), confirm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConntrackTable,
  IPS_ASSURED,
  IPS_SEEN_REPLY,
  NO_ENTRY,
} from '../../src/netfilter/conntrack/table.ts';
import { DIR_REPLY, invertTuple, TupleBuf } from '../../src/netfilter/conntrack/tuple.ts';
import {
  TCP_ACK_SET,
  TCP_CONNTRACK_CLOSE,
  TCP_CONNTRACK_ESTABLISHED,
  TCP_CONNTRACK_SYN_SENT,
  TCP_FIN_SET,
  TCP_NONE_SET,
  TCP_RST_SET,
  TCP_STATE_NAMES,
  TCP_SYN_SET,
  TCP_SYNACK_SET,
  TCP_VERDICT_IGNORE,
  TCP_VERDICT_INVALID,
  TCP_VERDICT_KILLED,
  TCP_VERDICT_OK,
  TCP_VERDICT_REOPEN,
  tcpNewState,
  tcpPacket,
  tcpPacketClass,
  tcpPacketGeneral,
  tcpPacketTick,
  tcpTransition,
} from '../../src/netfilter/conntrack/proto-tcp.ts';
import { icmpPacket, udpPacket } from '../../src/netfilter/conntrack/proto-udp-icmp.ts';
import { defaultTimeouts, TimeoutTicks } from '../../src/netfilter/conntrack/timeouts.ts';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG } from '../../src/wire/tcp.ts';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../../src/wire/ipv4.ts';
import { tuple } from './helpers.ts';

// ---- the table, cell by cell -------------------------------------------------------------------

const [_sNO, sSS, sSR, sES, sFW, sCW, sLA, sTW, sCL, sS2, sIV, sIG] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
// prettier-ignore
/** tcp_conntracks from nf_conntrack_proto_tcp.c (Linux 6.x), copied as the oracle. */
const KERNEL = [
  [ //          sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2
    /* syn */  [sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2],
    /* s/a */  [sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV, sSR],
    /* fin */  [sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV],
    /* ack */  [sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV],
    /* rst */  [sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL],
    /* none */ [sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV],
  ],
  [
    /* syn */  [sIV, sS2, sIV, sIV, sIV, sIV, sIV, sSS, sIV, sS2],
    /* s/a */  [sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR],
    /* fin */  [sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV],
    /* ack */  [sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG],
    /* rst */  [sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL],
    /* none */ [sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV],
  ],
];

test('conntrack-tcp: tcp_conntracks, every one of the 120 cells equals the kernel table', () => {
  for (let dir = 0; dir < 2; dir++) {
    for (let cls = 0; cls < 6; cls++) {
      for (let st = 0; st < 10; st++) {
        assert.equal(
          tcpTransition(dir, cls, st),
          KERNEL[dir]![cls]![st],
          `dir ${dir} class ${cls} state ${TCP_STATE_NAMES[st]}`,
        );
      }
    }
  }
});

test('conntrack-tcp: get_conntrack_index: RST beats SYN beats FIN beats ACK', () => {
  assert.equal(tcpPacketClass(TCP_SYN), TCP_SYN_SET);
  assert.equal(tcpPacketClass(TCP_SYN | TCP_ACK), TCP_SYNACK_SET);
  assert.equal(tcpPacketClass(TCP_FIN | TCP_ACK), TCP_FIN_SET);
  assert.equal(tcpPacketClass(TCP_ACK | TCP_PSH), TCP_ACK_SET);
  assert.equal(tcpPacketClass(TCP_RST | TCP_SYN | TCP_ACK), TCP_RST_SET);
  assert.equal(tcpPacketClass(TCP_SYN | TCP_FIN), TCP_SYN_SET);
  assert.equal(tcpPacketClass(TCP_PSH | TCP_URG), TCP_NONE_SET);
  assert.equal(tcpPacketClass(0), TCP_NONE_SET);
});

test('conntrack-tcp: tcp_new: a SYN starts SYN_SENT; an ACK is a pickup only with tcp_loose', () => {
  assert.equal(tcpNewState(TCP_SYN, false), TCP_CONNTRACK_SYN_SENT);
  assert.equal(tcpNewState(TCP_ACK, true), TCP_CONNTRACK_ESTABLISHED);
  assert.ok(tcpNewState(TCP_ACK, false) > 9, 'no pickup without nf_conntrack_tcp_loose');
  assert.ok(tcpNewState(TCP_SYN | TCP_ACK, true) > 9, 'a SYN-ACK cannot create an entry');
  assert.ok(tcpNewState(TCP_FIN | TCP_ACK, true) > 9, 'a FIN cannot create an entry');
  assert.ok(tcpNewState(TCP_RST, true) > 9);
  assert.ok(tcpNewState(0, true) > 9);
});

// ---- a driver playing nf_conntrack_in ---------------------------------------------------------

const to = defaultTimeouts();

interface Step {
  verdict: number;
  e: number;
  dir: number;
}

class Tracker {
  readonly ct = new ConntrackTable(64);
  constructor(readonly loose = true) {}

  tcp(t: TupleBuf, flags: number, seq: number, now: number): Step {
    const ed = this.ct.lookup(t.src, t.dst, t.proto, t.sport, t.dport, now);
    if (ed === NO_ENTRY) {
      const st = tcpNewState(flags, this.loose);
      if (st > 9) return { verdict: TCP_VERDICT_INVALID, e: -1, dir: 0 };
      const r = new TupleBuf();
      invertTuple(r, t);
      const e = this.ct.alloc(t, r, now);
      this.ct.state[e] = st;
      const verdict = tcpPacket(this.ct, e, 0, flags, seq, now, to, true);
      assert.ok(this.ct.confirm(e, now));
      return { verdict, e, dir: 0 };
    }
    const e = ed >>> 1;
    const dir = ed & 1;
    const verdict = tcpPacket(this.ct, e, dir, flags, seq, now, to, false);
    if (verdict === TCP_VERDICT_REOPEN) {
      this.ct.remove(e); // nf_ct_kill, then NF_REPEAT
      return this.tcp(t, flags, seq, now);
    }
    if (dir === DIR_REPLY && verdict !== TCP_VERDICT_INVALID) this.ct.status[e]! |= IPS_SEEN_REPLY;
    return { verdict, e, dir };
  }

  state(e: number): string {
    return TCP_STATE_NAMES[this.ct.state[e]!]!;
  }
  assured(e: number): boolean {
    return (this.ct.status[e]! & IPS_ASSURED) !== 0;
  }
  left(e: number, now: number): number {
    return this.ct.expires[e]! - now;
  }
}

const C2S = tuple('192.168.1.10', '192.168.1.200', IPPROTO_TCP, 40000, 80);
const S2C = tuple('192.168.1.200', '192.168.1.10', IPPROTO_TCP, 80, 40000);
const A = TCP_ACK;

test('conntrack-tcp: clean close SYN_SENT, SYN_RECV, ESTABLISHED [ASSURED], FIN_WAIT, LAST_ACK, TIME_WAIT (hairpin-tcp-dnat-snat run)', () => {
  // The packets the box saw in the kernel run, in order (result.json, box:br-lan, dir in).
  const tr = new Tracker();
  const steps: [TupleBuf, number, string, boolean, number][] = [
    [C2S, TCP_SYN, 'SYN_SENT', false, 120],
    [S2C, TCP_SYN | A, 'SYN_RECV', false, 60],
    [C2S, A, 'ESTABLISHED', true, 432000],
    [C2S, TCP_PSH | A, 'ESTABLISHED', true, 432000],
    [S2C, A, 'ESTABLISHED', true, 432000],
    [S2C, TCP_PSH | A, 'ESTABLISHED', true, 432000],
    [C2S, A, 'ESTABLISHED', true, 432000],
    [C2S, TCP_FIN | A, 'FIN_WAIT', true, 120],
    [S2C, TCP_FIN | A, 'LAST_ACK', true, 30],
    [C2S, A, 'TIME_WAIT', true, 120],
  ];
  const seen: string[] = [];
  let e = -1;
  steps.forEach(([t, flags, state, assured, timeout], i) => {
    const now = i * 0.01;
    const s = tr.tcp(t, flags, 1000 + i, now);
    assert.equal(s.verdict, TCP_VERDICT_OK, `packet ${i}`);
    if (e >= 0) assert.equal(s.e, e, 'one entry throughout');
    e = s.e;
    assert.equal(tr.state(e), state, `packet ${i}`);
    assert.equal(tr.assured(e), assured, `ASSURED after packet ${i}`);
    assert.ok(Math.abs(tr.left(e, now) - timeout) < 1e-9, `timeout after packet ${i}`);
    if (seen[seen.length - 1] !== state) seen.push(state);
  });
  // conntrack -E in the kernel run: NEW SYN_SENT, then one UPDATE per state change.
  assert.deepEqual(seen, ['SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'LAST_ACK', 'TIME_WAIT']);
});

test('conntrack-tcp: the passive side closing first goes through CLOSE_WAIT', () => {
  const tr = new Tracker();
  const { e } = tr.tcp(C2S, TCP_SYN, 1, 0);
  tr.tcp(S2C, TCP_SYN | A, 1, 0);
  tr.tcp(C2S, A, 2, 0);
  tr.tcp(S2C, TCP_FIN | A, 2, 1);
  assert.equal(tr.state(e), 'FIN_WAIT');
  tr.tcp(C2S, A, 3, 1);
  assert.equal(tr.state(e), 'CLOSE_WAIT');
  assert.equal(tr.left(e, 1), 60);
  tr.tcp(C2S, TCP_FIN | A, 3, 2);
  assert.equal(tr.state(e), 'LAST_ACK');
  tr.tcp(S2C, A, 3, 2);
  assert.equal(tr.state(e), 'TIME_WAIT');
});

test('conntrack-tcp: an RST answering the SYN (no reply seen yet) kills the entry', () => {
  const tr = new Tracker();
  const { e } = tr.tcp(C2S, TCP_SYN, 1, 0);
  const s = tr.tcp(S2C, TCP_RST | A, 0, 0.001);
  assert.equal(s.verdict, TCP_VERDICT_KILLED);
  assert.equal(s.e, e);
  assert.equal(tr.ct.count, 0);
  assert.equal(tr.ct.lookup(C2S.src, C2S.dst, C2S.proto, C2S.sport, C2S.dport, 0.002), NO_ENTRY);
});

test('conntrack-tcp: the client aborting with an RST before any reply kills the entry too', () => {
  const tr = new Tracker();
  tr.tcp(C2S, TCP_SYN, 1, 0);
  assert.equal(tr.tcp(C2S, TCP_RST, 2, 1).verdict, TCP_VERDICT_KILLED);
  assert.equal(tr.ct.count, 0);
});

test('conntrack-tcp: an RST after a reply moves to CLOSE (10 s) and keeps the entry', () => {
  const tr = new Tracker();
  const { e } = tr.tcp(C2S, TCP_SYN, 1, 0);
  tr.tcp(S2C, TCP_SYN | A, 1, 0);
  tr.tcp(C2S, A, 2, 0);
  assert.equal(tr.tcp(S2C, TCP_RST, 2, 5).verdict, TCP_VERDICT_OK);
  assert.equal(tr.state(e), 'CLOSE');
  assert.equal(tr.ct.state[e], TCP_CONNTRACK_CLOSE);
  assert.equal(tr.left(e, 5), 10);
  assert.equal(tr.ct.count, 1);
});

test('conntrack-tcp: a retransmitted SYN does not restart the SYN_SENT timer (measured)', () => {
  const tr = new Tracker();
  const { e } = tr.tcp(C2S, TCP_SYN, 1000, 0);
  assert.equal(tr.ct.expires[e], 120);
  for (const t of [1, 3, 7, 15, 31, 63]) {
    // Linux's SYN retransmission schedule; same sequence number.
    assert.equal(tr.tcp(C2S, TCP_SYN, 1000, t).verdict, TCP_VERDICT_OK);
    assert.equal(tr.ct.expires[e], 120, `after the retransmission at ${t} s`);
    assert.equal(tr.state(e), 'SYN_SENT');
  }
  assert.notEqual(tr.ct.lookup(C2S.src, C2S.dst, IPPROTO_TCP, 40000, 80, 119.9), NO_ENTRY);
  assert.equal(tr.ct.lookup(C2S.src, C2S.dst, IPPROTO_TCP, 40000, 80, 120), NO_ENTRY);
});

test('conntrack-tcp: any SYN while SYN_SENT and unreplied leaves the timer (port reuse, nf_conntrack_tcp_packet)', () => {
  // "do not renew timeout on SYN retransmit. Else port reuse by client or NAT middlebox can keep
  // entry alive indefinitely": the kernel does not look at the sequence number.
  const tr = new Tracker();
  const { e } = tr.tcp(C2S, TCP_SYN, 1000, 0);
  tr.tcp(C2S, TCP_SYN, 987654, 50);
  assert.equal(tr.ct.expires[e], 120);
});

test('conntrack-tcp: a retransmitted SYN-ACK in SYN_RECV is ignored (sIG), state and timer unchanged', () => {
  const tr = new Tracker();
  const { e } = tr.tcp(C2S, TCP_SYN, 1, 0);
  tr.tcp(S2C, TCP_SYN | A, 1, 1);
  assert.equal(tr.tcp(S2C, TCP_SYN | A, 1, 2).verdict, TCP_VERDICT_IGNORE);
  assert.equal(tr.state(e), 'SYN_RECV');
  assert.equal(tr.ct.expires[e], 61);
});

test('conntrack-tcp: invalid transitions: ACK while SYN_SENT, FIN while SYN_SENT, no flags', () => {
  const tr = new Tracker();
  const { e } = tr.tcp(C2S, TCP_SYN, 1, 0);
  assert.equal(tr.tcp(C2S, A, 2, 1).verdict, TCP_VERDICT_INVALID);
  assert.equal(tr.tcp(C2S, TCP_FIN | A, 2, 1).verdict, TCP_VERDICT_INVALID);
  assert.equal(tr.tcp(C2S, 0, 2, 1).verdict, TCP_VERDICT_INVALID);
  assert.equal(tr.state(e), 'SYN_SENT');
  assert.equal(tr.ct.expires[e], 120, 'an invalid packet does not refresh the timer');
});

test('conntrack-tcp: pickup of a mid-stream ACK with tcp_loose: ESTABLISHED, 300 s, ASSURED after a valid answer', () => {
  const tr = new Tracker(true);
  const s = tr.tcp(C2S, TCP_PSH | A, 5000, 0);
  assert.equal(s.verdict, TCP_VERDICT_OK);
  const e = s.e;
  assert.equal(tr.state(e), 'ESTABLISHED');
  assert.equal(tr.assured(e), false, 'not ASSURED on the picked-up packet');
  // "ESTABLISHED without SEEN_REPLY, i.e. mid-connection pickup with loose=1. Avoid large
  // ESTABLISHED timeout": nf_conntrack_tcp_timeout_unacknowledged.
  assert.equal(tr.left(e, 0), 300);
  tr.tcp(S2C, A, 9000, 1); // the answer: SEEN_REPLY is set after the handler
  assert.equal(tr.assured(e), false);
  assert.equal(tr.left(e, 1), 300);
  tr.tcp(C2S, A, 5001, 2);
  assert.equal(tr.assured(e), true);
  assert.equal(tr.left(e, 2), 432000);
});

test('conntrack-tcp: without tcp_loose a mid-stream ACK creates nothing (INVALID)', () => {
  const tr = new Tracker(false);
  assert.equal(tr.tcp(C2S, A, 5000, 0).verdict, TCP_VERDICT_INVALID);
  assert.equal(tr.ct.count, 0);
});

test('conntrack-tcp: a SYN in TIME_WAIT reopens: the old entry dies and a new SYN_SENT one starts', () => {
  const tr = new Tracker();
  const first = tr.tcp(C2S, TCP_SYN, 1, 0).e;
  tr.tcp(S2C, TCP_SYN | A, 1, 0);
  tr.tcp(C2S, A, 2, 0);
  tr.tcp(C2S, TCP_FIN | A, 2, 1);
  tr.tcp(S2C, TCP_FIN | A, 2, 1);
  tr.tcp(C2S, A, 3, 1);
  assert.equal(tr.state(first), 'TIME_WAIT');
  const oldId = tr.ct.id[first];
  const s = tr.tcp(C2S, TCP_SYN, 7777, 10);
  assert.equal(s.verdict, TCP_VERDICT_OK);
  assert.equal(tr.state(s.e), 'SYN_SENT');
  assert.notEqual(tr.ct.id[s.e], oldId, 'a new entry');
  assert.equal(tr.assured(s.e), false);
  assert.equal(tr.ct.status[s.e]! & IPS_SEEN_REPLY, 0);
  assert.equal(tr.left(s.e, 10), 120);
  assert.equal(tr.ct.count, 1);
});

test('conntrack-tcp: in ESTABLISHED a SYN is ignored (sIG) and leaves the state', () => {
  const tr = new Tracker();
  const { e } = tr.tcp(C2S, TCP_SYN, 1, 0);
  tr.tcp(S2C, TCP_SYN | A, 1, 0);
  tr.tcp(C2S, A, 2, 0);
  assert.equal(tr.tcp(C2S, TCP_SYN, 99, 1).verdict, TCP_VERDICT_IGNORE);
  assert.equal(tr.state(e), 'ESTABLISHED');
});

test('conntrack-tcp: simultaneous open: SYN from the reply side moves SYN_SENT to SYN_SENT2', () => {
  const tr = new Tracker();
  const { e } = tr.tcp(C2S, TCP_SYN, 1, 0);
  tr.tcp(S2C, TCP_SYN, 1, 0);
  assert.equal(tr.state(e), 'SYN_SENT2');
  tr.tcp(C2S, TCP_SYN | A, 1, 0);
  assert.equal(tr.state(e), 'SYN_RECV');
});

// ---- UDP and ICMP ------------------------------------------------------------------------------

test('conntrack-udp: unreplied 30 s, replied 30 s, then a stream after 2 s: 120 s and ASSURED', () => {
  const ct = new ConntrackTable(8);
  const t = tuple('192.168.1.10', '203.0.113.50', IPPROTO_UDP, 40001, 5000);
  const r = new TupleBuf();
  invertTuple(r, t);
  const e = ct.alloc(t, r, 0);
  udpPacket(ct, e, 0, to);
  assert.equal(ct.expires[e], 30);
  udpPacket(ct, e, 0.5, to); // still unreplied
  assert.equal(ct.expires[e], 30.5);
  udpPacket(ct, e, 1, to); // the reply: handler runs before SEEN_REPLY is set
  ct.status[e]! |= IPS_SEEN_REPLY;
  assert.equal(ct.expires[e], 31);
  assert.equal(ct.status[e]! & IPS_ASSURED, 0);
  udpPacket(ct, e, 2, to); // exactly 2 s: time_after is strict, not yet a stream
  assert.equal(ct.expires[e], 32);
  assert.equal(ct.status[e]! & IPS_ASSURED, 0);
  udpPacket(ct, e, 2.01, to);
  assert.equal(ct.expires[e], 122.01);
  assert.ok(ct.status[e]! & IPS_ASSURED);
});

test('conntrack-udp: one quick exchange stays unassured with the 30 s timeout', () => {
  const ct = new ConntrackTable(8);
  const t = tuple('192.168.1.10', '203.0.113.50', IPPROTO_UDP, 40001, 53);
  const r = new TupleBuf();
  invertTuple(r, t);
  const e = ct.alloc(t, r, 10);
  udpPacket(ct, e, 10, to);
  udpPacket(ct, e, 10.02, to);
  ct.status[e]! |= IPS_SEEN_REPLY;
  udpPacket(ct, e, 10.5, to);
  assert.equal(ct.expires[e], 40.5);
  assert.equal(ct.status[e]! & IPS_ASSURED, 0);
});

test('conntrack-icmp: echo request 30 s; the reply refreshes it and the entry lives on (masq-icmp run)', () => {
  const ct = new ConntrackTable(8);
  const t = tuple('192.168.1.10', '203.0.113.50', IPPROTO_ICMP, 20306, 8 << 8);
  const r = new TupleBuf();
  assert.ok(invertTuple(r, t));
  assert.equal(r.dport >>> 8, 0, 'the reply tuple is an echo reply');
  assert.equal(r.sport, 20306);
  const e = ct.alloc(t, r, 0);
  icmpPacket(ct, e, ct.tick(0), new TimeoutTicks(to));
  assert.equal(ct.expires[e], 30);
  assert.ok(ct.confirm(e, 0));
  icmpPacket(ct, e, ct.tick(0.01), new TimeoutTicks(to));
  ct.status[e]! |= IPS_SEEN_REPLY;
  assert.equal(ct.expires[e], 30.01);
  assert.equal(ct.status[e]! & IPS_ASSURED, 0, 'the kernel run shows no ASSURED for ICMP');
  assert.equal(ct.count, 1);
});

test('conntrack-icmp: an error type has no inverse and is not a query', () => {
  const r = new TupleBuf();
  assert.equal(invertTuple(r, tuple('1.1.1.1', '2.2.2.2', IPPROTO_ICMP, 0, 3 << 8)), false);
});

test('conntrack-tcp: the common-case shortcut of tcpPacketTick equals the general way, for every case', () => {
  // Every state x every combination of SYN/FIN/RST/PSH/ACK/URG x direction x SEEN_REPLY/ASSURED x
  // new or not: the same verdict, the same record (state, status, last index, expiry, aux).
  const tt = new TimeoutTicks(defaultTimeouts());
  const a = new ConntrackTable(4);
  const b = new ConntrackTable(4);
  const t = tuple('192.168.1.10', '203.0.113.50', IPPROTO_TCP, 40000, 80);
  const r = new TupleBuf();
  invertTuple(r, t);
  let shortcut = 0;
  for (let state = 0; state <= 9; state++)
    for (let flags = 0; flags < 64; flags++)
      for (const dir of [0, 1])
        for (const status of [0, IPS_SEEN_REPLY, IPS_ASSURED, IPS_SEEN_REPLY | IPS_ASSURED])
          for (const isNew of [false, true]) {
            const ea = a.alloc(t, r, 1);
            const eb = b.alloc(t, r, 1);
            for (const [ct, e] of [
              [a, ea],
              [b, eb],
            ] as const) {
              ct.setTcpState(e, state);
              ct.setStatus(e, status);
            }
            const va = tcpPacketTick(a, ea, dir, flags, 7, 5000, tt, isNew);
            const vb = tcpPacketGeneral(b, eb, dir, flags, 7, 5000, tt, isNew);
            const what = `state ${state} flags ${flags} dir ${dir} status ${status} new ${isNew}`;
            assert.equal(va, vb, what);
            if (a.isUsed(ea) !== b.isUsed(eb)) assert.fail(`${what}: one entry was removed`);
            if (a.isUsed(ea)) {
              assert.deepEqual(a.rec.slice(ea * 8, ea * 8 + 8), b.rec.slice(eb * 8, eb * 8 + 8), what);
              assert.equal(a.aux[ea], b.aux[eb], what);
              a.release(ea);
              b.release(eb);
            }
            if (state === 3 && status === (IPS_SEEN_REPLY | IPS_ASSURED) && (flags & 0x17) === 0x10 && !isNew)
              shortcut++;
          }
  assert.equal(
    shortcut,
    2 * 4,
    'the shortcut cases (ACK, ACK|PSH, ACK|URG, all three; both ways) were compared',
  );
});
