// nft `queue num 1-3` without fanout (nft_queue_eval → nfqueue_hash, include/net/netfilter/
// nf_queue.h hash_v4): the queue is first + reciprocal_scale(jhash_3words(lower address, higher
// address, protocol, seed), total), the addresses as the u32 the kernel reads from the header.
// This kernel has no nft_queue (no live run), so the expected hashes come from the kernel's own
// code: test/fixtures/nft/nfqueue-hash.c (hash_v4, jhash_3words, reciprocal_scale copied from
// include/net/netfilter/nf_queue.h, include/linux/jhash.h and include/linux/math.h, run on a real
// struct iphdr on x86-64: `gcc -O2 nfqueue-hash.c && ./a.out`); each row is its output: source,
// destination, protocol, seed, hash_v4, the queue of 1-3, the queue of 10-16.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildUdpPacket } from '../../../src/wire/packet.ts';
import { NF_ACCEPT, NF_DROP } from '../../../src/netfilter/core/engine.ts';
import { nfqueueHashV4, nfqueueQueue } from '../../../src/netfilter/core/nfqueue-hash.ts';
import { ip } from '../helpers.ts';
import { envOf, fwd, NftBox } from './dsl.ts';

const ROWS: [string, string, number, number, number, number, number][] = [
  ['192.168.1.10', '198.51.100.1', 17, 0x12345678, 0x9a1a3a30, 2, 14],
  ['192.168.1.10', '198.51.100.1', 6, 0x12345678, 0xd552ffa7, 3, 15],
  ['198.51.100.1', '192.168.1.10', 17, 0x12345678, 0x9a1a3a30, 2, 14],
  ['198.51.100.1', '192.168.1.10', 6, 0x12345678, 0xd552ffa7, 3, 15],
  ['192.168.1.11', '198.51.100.1', 17, 0x12345678, 0x6fcbadb0, 2, 13],
  ['192.168.1.11', '198.51.100.1', 6, 0x12345678, 0x2bcf5b39, 1, 11],
  ['192.168.1.12', '198.51.100.1', 17, 0x12345678, 0x36a0af70, 1, 11],
  ['192.168.1.12', '198.51.100.1', 6, 0x12345678, 0xb2a031dd, 3, 14],
  ['192.168.1.13', '198.51.100.1', 17, 0x12345678, 0x17e3987f, 1, 10],
  ['192.168.1.13', '198.51.100.1', 6, 0x12345678, 0x30c5ec38, 1, 11],
  ['10.0.0.1', '10.0.0.2', 17, 0x12345678, 0x15720be3, 1, 10],
  ['10.0.0.1', '10.0.0.2', 6, 0x12345678, 0xcc17f561, 3, 15],
  ['203.0.113.50', '10.0.2.10', 17, 0x12345678, 0x691d12e0, 2, 12],
  ['203.0.113.50', '10.0.2.10', 6, 0x12345678, 0x989089ce, 2, 14],
  ['192.168.1.10', '198.51.100.1', 17, 0xdeadbeef, 0x3a02d0ea, 1, 11],
  ['192.168.1.10', '198.51.100.1', 6, 0xdeadbeef, 0x27590ca3, 1, 11],
  ['198.51.100.1', '192.168.1.10', 17, 0xdeadbeef, 0x3a02d0ea, 1, 11],
  ['198.51.100.1', '192.168.1.10', 6, 0xdeadbeef, 0x27590ca3, 1, 11],
  ['192.168.1.11', '198.51.100.1', 17, 0xdeadbeef, 0x328cbebd, 1, 11],
  ['192.168.1.11', '198.51.100.1', 6, 0xdeadbeef, 0xc6dc626f, 3, 15],
  ['192.168.1.12', '198.51.100.1', 17, 0xdeadbeef, 0xaa750975, 2, 14],
  ['192.168.1.12', '198.51.100.1', 6, 0xdeadbeef, 0x22263df0, 1, 10],
  ['192.168.1.13', '198.51.100.1', 17, 0xdeadbeef, 0xa8e59b7d, 2, 14],
  ['192.168.1.13', '198.51.100.1', 6, 0xdeadbeef, 0x6737964a, 2, 12],
  ['10.0.0.1', '10.0.0.2', 17, 0xdeadbeef, 0x2ca6e6a1, 1, 11],
  ['10.0.0.1', '10.0.0.2', 6, 0xdeadbeef, 0xd685c8f0, 3, 15],
  ['203.0.113.50', '10.0.2.10', 17, 0xdeadbeef, 0xe82f4d2e, 3, 16],
  ['203.0.113.50', '10.0.2.10', 6, 0xdeadbeef, 0x33f45bcc, 1, 11],
  ['192.168.1.10', '198.51.100.1', 17, 0x00000001, 0x2760b241, 1, 11],
  ['192.168.1.10', '198.51.100.1', 6, 0x00000001, 0xed94910e, 3, 16],
  ['198.51.100.1', '192.168.1.10', 17, 0x00000001, 0x2760b241, 1, 11],
  ['198.51.100.1', '192.168.1.10', 6, 0x00000001, 0xed94910e, 3, 16],
  ['192.168.1.11', '198.51.100.1', 17, 0x00000001, 0x85f59eb3, 2, 13],
  ['192.168.1.11', '198.51.100.1', 6, 0x00000001, 0xa59c4437, 2, 14],
  ['192.168.1.12', '198.51.100.1', 17, 0x00000001, 0x6bb38098, 2, 12],
  ['192.168.1.12', '198.51.100.1', 6, 0x00000001, 0x02653c5b, 1, 10],
  ['192.168.1.13', '198.51.100.1', 17, 0x00000001, 0x34f0fdae, 1, 11],
  ['192.168.1.13', '198.51.100.1', 6, 0x00000001, 0xb62fce01, 3, 14],
  ['10.0.0.1', '10.0.0.2', 17, 0x00000001, 0x0dada29c, 1, 10],
  ['10.0.0.1', '10.0.0.2', 6, 0x00000001, 0xa068e96c, 2, 14],
  ['203.0.113.50', '10.0.2.10', 17, 0x00000001, 0x1e8c3a12, 1, 10],
  ['203.0.113.50', '10.0.2.10', 6, 0x00000001, 0xd9b2e6c1, 3, 15],
];

test('nfqueue_hash: hash_v4 and the queue of a range, as the kernel computes them', () => {
  for (const [src, dst, proto, seed, hash, q13, q1016] of ROWS) {
    const what = `${src} > ${dst} proto ${proto} seed ${seed.toString(16)}`;
    assert.equal(nfqueueHashV4(ip(src), ip(dst), proto, seed), hash, what);
    assert.equal(nfqueueQueue(ip(src), ip(dst), proto, 1, 3, seed), q13, what);
    assert.equal(nfqueueQueue(ip(src), ip(dst), proto, 10, 7, seed), q1016, what);
  }
});

const TEXT = `table ip t {
	chain forward {
		type filter hook forward priority filter; policy accept;
		udp dport 7 queue to 1-3
		udp dport 8 queue flags fanout to 1-3
	}
}
`;

test('nft queue to 1-3: the queue by nfqueue_hash with the seed drawn once; fanout: CPU 0, the first', () => {
  const b = new NftBox(TEXT);
  let draws = 0;
  // Queue 1 accepts, 2 drops, 3 has no listener (a drop without bypass).
  const listeners = new Map([
    [1, NF_ACCEPT],
    [2, NF_DROP],
  ]);
  const seen: number[] = [];
  b.skb.env = envOf(b.nf, {
    random32: () => (draws++, 0x12345678),
    queueVerdict: (n) => (seen.push(n), listeners.get(n) ?? -1),
  });
  const send = (src: string, dport: number): number =>
    fwd(
      b.nf,
      b.skb,
      buildUdpPacket({ src: ip(src), dst: ip('198.51.100.1'), id: 1 }, { srcPort: 1000, dstPort: dport }),
      'a',
      'b',
      1,
    );
  // The rows above for seed 0x12345678, UDP: .10 and .11 hash to queue 2, .12 and .13 to queue 1.
  assert.equal(send('192.168.1.10', 7), NF_DROP);
  assert.equal(send('192.168.1.11', 7), NF_DROP);
  assert.equal(send('192.168.1.12', 7), NF_ACCEPT);
  assert.equal(send('192.168.1.13', 7), NF_ACCEPT);
  assert.equal(send('192.168.1.10', 8), NF_ACCEPT, 'fanout: queue 1 + cpu 0 % 3');
  assert.deepEqual(seen, [2, 2, 1, 1, 1]);
  assert.equal(draws, 1, 'init_hashrandom once');
});
