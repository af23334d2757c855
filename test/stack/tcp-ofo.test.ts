// The receiver's out-of-order queue and SACK blocks (src/stack/tcp-ofo.ts). Expected blocks: the
// examples of RFC 2018 section 4 (a window of 8 segments of 500 bytes from 5000; case 2: the
// first dropped; case 3: the 2nd, 4th, 6th and 8th dropped, then the 4th arrives), which Linux's
// tcp_sack_new_ofo_skb / tcp_sack_maybe_coalesce reproduce, with the kernel's limit of 3 blocks
// after the timestamps (tcp_established_options: 40 - 12 bytes); and the option bytes of a capture
// of Linux 6.18 (gen-1505-25, s1's ACK of a 2-byte tail past a lost 1448-byte segment:
// `ack 1, options [nop,nop,TS val .. ecr ..,nop,nop,sack 1 {1449:1451}]`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TcpOfo } from '../../src/stack/tcp-ofo.ts';
import { buildTcpPacket } from '../../src/wire/packet.ts';
import type { TcpOption } from '../../src/wire/tcp.ts';

const seg = (n: number): Uint8Array => new Uint8Array(n).fill(0x61);

/** The SACK blocks the next ACK carries after `used` option bytes, as `l-r` strings. */
function blocks(o: TcpOfo, used = 12): string[] {
  const out: TcpOption[] = [];
  o.writeOptions(out, used);
  const sack = out.find((x) => x.kind === 'sack');
  return sack && sack.kind === 'sack' ? sack.blocks.map(([l, r]) => `${l}-${r}`) : [];
}

test('RFC 2018 case 2: the first segment lost, each later one widens the one block', () => {
  const o = new TcpOfo(true);
  const got: string[][] = [];
  for (let s = 5500; s < 9000; s += 500) {
    assert.equal(o.queue(s, seg(500)), true);
    got.push(blocks(o));
  }
  assert.deepEqual(got, [
    ['5500-6000'],
    ['5500-6500'],
    ['5500-7000'],
    ['5500-7500'],
    ['5500-8000'],
    ['5500-8500'],
    ['5500-9000'],
  ]);
  // The first segment arrives: everything follows on in order, the blocks go.
  const more = o.take(5500);
  assert.equal(more?.length, 3500);
  assert.equal(o.empty, true);
  assert.deepEqual(blocks(o), []);
});

test('RFC 2018 case 3: every other segment lost, the newest block first, then the 4th coalesces', () => {
  const o = new TcpOfo(true);
  // Segment 1 (5000-5500) was taken in order: rcv_nxt 5500; segments 3, 5, 7 arrive.
  o.queue(6000, seg(500));
  assert.deepEqual(blocks(o), ['6000-6500']);
  o.queue(7000, seg(500));
  assert.deepEqual(blocks(o), ['7000-7500', '6000-6500']);
  o.queue(8000, seg(500));
  assert.deepEqual(blocks(o), ['8000-8500', '7000-7500', '6000-6500']);
  // The 4th (6500-7000) arrives: the block it extends goes first and swallows 6000-6500.
  o.queue(6500, seg(500));
  assert.deepEqual(blocks(o), ['6000-7500', '8000-8500']);
  // The 2nd (5500-6000): 5500-7500 follows on; 8000-8500 stays.
  assert.equal(o.take(6000)?.length, 1500);
  assert.deepEqual(blocks(o), ['8000-8500']);
});

test('at most 4 blocks kept (TCP_NUM_SACKS), 3 sent with timestamps and 4 without', () => {
  const o = new TcpOfo(true);
  for (const s of [1000, 2000, 3000, 4000, 5000]) o.queue(s, seg(100));
  assert.equal(o.numSacks, 4);
  assert.deepEqual(blocks(o), ['5000-5100', '4000-4100', '3000-3100']);
  assert.deepEqual(blocks(o, 0), ['5000-5100', '4000-4100', '3000-3100', '2000-2100']);
});

test('a duplicate: D-SACK first, sent once; queued bytes again are a D-SACK too', () => {
  const o = new TcpOfo(true);
  o.queue(2000, seg(100));
  o.dsackSet(900, 1000); // bytes below rcv_nxt received again
  assert.deepEqual(blocks(o), ['900-1000', '2000-2100']);
  assert.deepEqual(blocks(o), ['2000-2100']);
  assert.equal(o.queue(2000, seg(50)), false);
  assert.deepEqual(blocks(o), ['2000-2050', '2000-2100']);
  // Without SACK agreed: the queue works, the ACKs carry no blocks.
  const n = new TcpOfo(false);
  n.queue(2000, seg(100));
  n.dsackSet(900, 1000);
  assert.deepEqual(blocks(n), []);
  assert.equal(n.take(2000)?.length, 100);
});

test('overlapping segments: the bytes follow on once, from rcv_nxt', () => {
  const o = new TcpOfo(true);
  o.queue(1100, new Uint8Array([1, 2, 3, 4]));
  o.queue(1102, new Uint8Array([3, 4, 5, 6]));
  assert.deepEqual(blocks(o), ['1102-1104', '1100-1106']);
  assert.deepEqual([...o.take(1101)!], [2, 3, 4, 5, 6]);
});

test("the option's bytes as Linux writes them: NOP, NOP, TS, NOP, NOP, SACK 1449:1451", () => {
  const o = new TcpOfo(true);
  o.queue(1449, seg(2));
  const opts: TcpOption[] = [
    { kind: 'nop' },
    { kind: 'nop' },
    { kind: 'ts', val: 4116370370, ecr: 694441279 },
  ];
  o.writeOptions(opts, 12);
  const p = buildTcpPacket(
    { src: 0xcb00710a, dst: 0xac100202 },
    { srcPort: 443, dstPort: 40000, seq: 1, ack: 1, flags: 0x10, window: 64, options: opts },
    new Uint8Array(0),
  );
  const hl = (p[20 + 12]! >> 4) * 4;
  assert.equal(hl, 20 + 12 + 12);
  assert.deepEqual(
    [...p.subarray(40, 20 + hl)].map((b) => b.toString(16).padStart(2, '0')).join(''),
    '0101080af55ad3c22964553f' + '0101050a' + '000005a9' + '000005ab',
  );
});
