// The sender's scoreboard (src/stack/tcp-sack.ts) and the line it drives, against Linux 6.18's
// captures of test/conformance/generated/gen-1505-25.yaml and gen-1505-61.yaml (`natbox verify
// --captures`, r2.pcap and h12.pcap; both files match the kernel live):
//   gen-1505-25, r2:wan: 1448 (ICMP frag needed, deferred: send() holds the socket), 2 [P.];
//     s1's ACK 1 with SACK 1449:1451; 1448 again (RACK; ICMP again); then, after
//     tcp_v4_mtu_reduced, 1348 (tcp_simple_retransmit, cwnd 1); ACK 1349 SACK 1449:1451; 100;
//     ACK 1451 (the out-of-order tail taken in); the answer (27).
//   gen-1505-61, h12:eth0: 1448 (lost: r2:wan's MTU is 1280), 2 [P.]; ACK 1 SACK 1449:1451;
//     1448 again at once (RACK), then at each RTO (+0.205, +0.432, +0.832 s), never the tail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CA_LOSS, CA_RECOVERY, sackBlocks, TcpScoreboard } from '../../src/stack/tcp-sack.ts';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { natboxSide, type RawPacket } from '../../src/oracle/packets.ts';

/** The segments `tx` was asked to send, as `seq:end` relative to `base`. */
function recorder(base: number): { sent: string[]; tx: (a: number, b: number) => void } {
  const sent: string[] = [];
  return { sent, tx: (a, b) => sent.push(`${a - base}:${b - base}`) };
}

test('RACK marks the segment sent before a SACKed one lost; PRR lets one go; simple_retransmit splits it', () => {
  const base = 1000;
  const sb = new TcpScoreboard(0.0009);
  sb.sent(base + 1, base + 1449, 1, 0.3015);
  sb.sent(base + 1449, base + 1451, 1, 0.3017);
  // ACK 1 with SACK 1449:1451, 0.5 ms after the tail left: min_rtt 0.5 ms, reo_wnd 125 us, and the
  // 1448 left 200 us before the tail: lost.
  const delivered = sb.ack(base + 1, [base + 1449, base + 1451], 1, 0.3022);
  assert.equal(delivered, 1);
  assert.ok(Math.abs(sb.minRtt - 0.0005) < 1e-9);
  const wait = [0];
  assert.equal(sb.rackDetectLoss(0.3022, wait), 1);
  assert.equal(wait[0], 0);
  sb.afterAck(base + 1, base + 1451, delivered, 1, false);
  assert.equal(sb.caState, CA_RECOVERY);
  assert.equal(sb.ssthresh, 7);
  assert.equal(sb.cwnd, 1); // in_flight 0 + PRR's sndcnt 1
  const r = recorder(base);
  sb.xmitRetransmitQueue(1448, 0.3023, r.tx);
  assert.deepEqual(r.sent, ['1:1449']);
  // The path MTU drops to 1400 (MSS 1348): only the 1448 is lost again, the SACKed tail stays.
  assert.equal(sb.simpleRetransmit(1348, base + 1451), true);
  assert.equal(sb.caState, CA_LOSS);
  sb.xmitRetransmitQueue(1348, 0.3024, r.tx);
  assert.deepEqual(r.sent, ['1:1449', '1:1349']);
  // ACK 1349 (SACK 1449:1451): slow start lets the rest of the cut segment go.
  const d2 = sb.ack(base + 1349, [base + 1449, base + 1451], 1, 0.3027);
  sb.afterAck(base + 1349, base + 1451, d2, 0, true);
  sb.xmitRetransmitQueue(1348, 0.3027, r.tx);
  assert.deepEqual(r.sent, ['1:1449', '1:1349', '1349:1449']);
  sb.ack(base + 1451, [], 0, 0.303);
  assert.equal(sb.empty, true);
});

test('within the reorder window the segment is not lost yet: the reorder timer waits for it', () => {
  const sb = new TcpScoreboard(0.001);
  sb.sent(1, 1449, 1, 0);
  sb.sent(1449, 1451, 1, 0.00005); // 50 us later
  sb.ack(1, [1449, 1451], 1, 0.001); // min_rtt 950 us: reo_wnd 237.5 us
  const wait = [0];
  assert.equal(sb.rackDetectLoss(0.001, wait), 0);
  assert.ok(Math.abs(wait[0]! - 0.0001875) < 1e-9); // rtt 950 + 237.5 - 1000 us
  assert.equal(sb.rackDetectLoss(0.0012, wait), 1);
});

test('tcp_simple_retransmit at cwnd 10: the long skb goes whole (GSO: 1348 + 100), the short tail not', () => {
  const sb = new TcpScoreboard(0.001);
  sb.sent(1, 1449, 1, 0);
  sb.sent(1449, 1451, 1, 0);
  assert.equal(sb.simpleRetransmit(1348, 1451), true);
  const r = recorder(0);
  sb.xmitRetransmitQueue(1348, 0.001, r.tx);
  assert.deepEqual(r.sent, ['1:1449']); // one skb of two packets, 1348 + 100; the 2 not lost
  sb.enterLoss(1451);
  assert.equal(sb.cwnd, 1);
});

test('sackBlocks reads the blocks of NOP, NOP, TS, NOP, NOP, SACK', () => {
  const b = new Uint8Array([
    1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1, 5, 18, 0, 0, 5, 169, 0, 0, 5, 171, 0, 0, 0, 9, 0, 0, 0, 10,
  ]);
  const out: number[] = [];
  assert.equal(sackBlocks(b, 0, b.length, out), 2);
  assert.deepEqual(out, [1449, 1451, 9, 10]);
});

/** The TCP packets of flow port 40000 seen on `iface`, as `flags len` (and SACK blocks). */
function flowPackets(file: string, iface: string): RawPacket[] {
  const r = simulateScenario(readFileSync(file, 'utf8'), file);
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  return natboxSide(
    r.sim.steps.flatMap((x) =>
      x.kind === 'packet' ? [{ t: x.t, host: x.host, ifname: x.ifname, dir: x.dir, frame: x.frame }] : [],
    ),
  ).packets.filter(
    (p) => p.iface === iface && (p.proto === 'icmp' || p.sport === 40000 || p.dport === 40000),
  );
}

/** Sequence and acknowledgment numbers relative to the client's and the server's ISN. */
function relative(ps: RawPacket[]): RawPacket[] {
  const isn0 = ps.find((p) => p.flags === 'S')!.seq!;
  const isn1 = ps.find((p) => p.flags === 'S.')!.seq!;
  return ps.map((p) => {
    if (p.proto !== 'tcp') return p;
    const client = p.sport === 40000;
    const seq = p.seq === undefined ? undefined : (p.seq - (client ? isn0 : isn1)) >>> 0;
    const ack = p.ack === undefined ? undefined : (p.ack - (client ? isn1 : isn0)) >>> 0;
    return { ...p, ...(seq !== undefined ? { seq } : {}), ...(ack !== undefined ? { ack } : {}) };
  });
}

test('gen-1505-25: RACK resends the 1448, then only it goes again, split 1348 + 100, as Linux', () => {
  const got = relative(flowPackets('test/conformance/generated/gen-1505-25.yaml', 'r2:wan')).map((p) =>
    p.proto === 'icmp' ? 'icmp' : `${p.dir} ${p.flags} ${p.len}${p.ack !== undefined ? ` ack ${p.ack}` : ''}`,
  );
  const data = got.slice(3, 12);
  assert.deepEqual(data, [
    'out . 1448 ack 1',
    'icmp',
    'out P. 2 ack 1',
    'in . 0 ack 1',
    'out . 1448 ack 1',
    'icmp',
    'out . 1348 ack 1',
    'in . 0 ack 1349',
    'out . 100 ack 1',
  ]);
  assert.equal(got[12], 'in . 0 ack 1451');
  // s1's ACKs carry the SACK block while the tail waits out of order, then not.
  const acks = relative(flowPackets('test/conformance/generated/gen-1505-25.yaml', 'r2:wan'))
    .filter((p) => p.dir === 'in' && p.proto === 'tcp' && p.len === 0 && p.flags === '.')
    .map((p) => `${p.ack} ${p.opts}`);
  assert.deepEqual(acks.slice(0, 3), ['1 ts,sack', '1349 ts,sack', '1451 ts']);
});

test('gen-1505-61: the 1448 again at once (RACK), then at each RTO, never the SACKed tail', () => {
  const data = relative(flowPackets('test/conformance/generated/gen-1505-61.yaml', 'h12:eth0')).filter(
    (p) => p.dir === 'out' && (p.len ?? 0) > 0,
  );
  assert.deepEqual(
    data.map((p) => `${p.seq}:${p.len}`),
    ['1:1448', '1449:2', '1:1448', '1:1448', '1:1448', '1:1448'],
  );
  const gaps = data.slice(2).map((p, i) => Math.round((p.t - data[i + 1]!.t) * 1000));
  // The RACK retransmission follows the SACK at once; the RTOs (204, 2x, 4x ms on the timer wheel)
  // as the kernel's +205, +432, +832 ms within a wheel bucket.
  assert.ok(gaps[0]! < 2, `RACK: ${gaps[0]} ms`);
  assert.deepEqual(gaps.slice(1), [206, 420, 832]);
});
