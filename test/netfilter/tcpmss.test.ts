// TCPMSS (src/netfilter/xtables/tcpmss.ts) against a literal transcription of the kernel's
// tcpmss_mangle_packet + tcpmss_tg4 (net/netfilter/xt_TCPMSS.c, Linux 6.18), which emulates the
// checksum helpers as x86 runs them (little-endian loads of __be16/__be32 values, csum_partial,
// csum_fold, csum16_add): random SYNs with the MSS option at every alignment (NOPs before it),
// without one, cut off by the end of the header, with payload, and random option bytes.
// The live kernel's own output for the same kind of SYNs is compared in test/kernel/tcpmss.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checksum, checksumUpdateAt, onesSum, pseudoHeaderSum, read16 } from '../../src/wire/checksum.ts';
import { ipv4ChecksumOk, ipv4FillChecksum } from '../../src/wire/ipv4.ts';
import { tcpChecksumOk, tcpFillChecksum } from '../../src/wire/tcp.ts';
import {
  TCPMSS_ADD,
  TCPMSS_DROP,
  tcpmssAddOption,
  tcpmssMangle,
  tcpmssTarget,
} from '../../src/netfilter/xtables/tcpmss.ts';
import { Skb } from '../../src/netfilter/core/skb.ts';
import { NF_ACCEPT, NF_DROP } from '../../src/netfilter/core/engine.ts';
import { assertChecksums, engine, fcOpts, forward, lastSkb } from './helpers.ts';

// ---- the kernel, transcribed -----------------------------------------------------------------

const swab16 = (v: number): number => ((v & 0xff) << 8) | (v >>> 8);
const htons = swab16; // x86 is little-endian
/** A __be16/__sum16 field as x86 loads it. */
const ld16 = (m: number[], p: number): number => m[p]! | (m[p + 1]! << 8);
const st16 = (m: number[], p: number, v: number): void => {
  m[p] = v & 0xff;
  m[p + 1] = (v >>> 8) & 0xff;
};
/** 32-bit one's-complement addition (csum_add). */
const csumAdd = (a: number, b: number): number => {
  const s = a + b;
  return s > 0xffffffff ? s - 0x100000000 + 1 : s;
};
/** csum_partial over 32-bit words given as numbers. */
const csumPartial = (words: number[], init: number): number => words.reduce(csumAdd, init);
const csumFold = (x: number): number => {
  let s = (x & 0xffff) + (x >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
};
/** inet_proto_csum_replace4 with ip_summed != CHECKSUM_PARTIAL. */
const inetProtoCsumReplace4 = (m: number[], sumAt: number, from: number, to: number): void => {
  const diff = [(~from & 0xffffffff) >>> 0, to >>> 0];
  st16(m, sumAt, csumFold(csumPartial(diff, (~ld16(m, sumAt) & 0xffffffff) >>> 0)));
};
/** inet_proto_csum_replace2: the __be16 values cast to __be32. */
const inetProtoCsumReplace2 = inetProtoCsumReplace4;
const csum16Add = (csum: number, addend: number): number => {
  const res = (csum + addend) & 0xffff;
  return (res + (res < addend ? 1 : 0)) & 0xffff;
};
const csum16Sub = (csum: number, addend: number): number => csum16Add(csum, ~addend & 0xffff);
/** csum_replace2 (the IP header). */
const csumReplace2 = (m: number[], sumAt: number, old: number, nw: number): void =>
  st16(m, sumAt, ~csum16Add(csum16Sub(~ld16(m, sumAt) & 0xffff, old), nw) & 0xffff);

/** tcpmss_tg4 → tcpmss_mangle_packet on an IPv4 packet (fragoff 0): 'drop' or the bytes after. */
function kernelTcpmss(pkt: Uint8Array, newmssIn: number): 'drop' | Uint8Array {
  const m = [...pkt];
  let newmss = newmssIn;
  const tcphoff = (m[0]! & 0x0f) * 4;
  const skbLen = (m[2]! << 8) | m[3]!;
  const len = skbLen - tcphoff;
  if (len < 20) return 'drop';
  const tcph = tcphoff;
  const tcpHdrlen = (m[tcph + 12]! >> 4) * 4;
  if (len < tcpHdrlen || tcpHdrlen < 20) return 'drop';
  const optlen = (off: number): number =>
    m[tcph + off]! <= 1 || m[tcph + off + 1] === 0 ? 1 : m[tcph + off + 1]!;
  for (let i = 20; i <= tcpHdrlen - 4; i += optlen(i)) {
    if (m[tcph + i] === 2 && m[tcph + i + 1] === 4) {
      const oldmss = (m[tcph + i + 2]! << 8) | m[tcph + i + 3]!;
      if (oldmss <= newmss) return Uint8Array.from(m);
      m[tcph + i + 2] = (newmss & 0xff00) >> 8;
      m[tcph + i + 3] = newmss & 0x00ff;
      inetProtoCsumReplace2(m, tcph + 16, htons(oldmss), htons(newmss));
      return Uint8Array.from(m);
    }
  }
  if (len > tcpHdrlen) return Uint8Array.from(m);
  if (tcpHdrlen >= 15 * 4) return Uint8Array.from(m);
  m.push(0, 0, 0, 0); // skb_put
  newmss = Math.min(newmss, 536);
  const opt = tcph + 20;
  m.copyWithin(opt + 4, opt, opt + len - 20);
  inetProtoCsumReplace2(m, tcph + 16, htons(len), htons(len + 4));
  m[opt] = 2;
  m[opt + 1] = 4;
  m[opt + 2] = (newmss & 0xff00) >> 8;
  m[opt + 3] = newmss & 0x00ff;
  const optWord = (m[opt]! | (m[opt + 1]! << 8) | (m[opt + 2]! << 16) | (m[opt + 3]! << 24)) >>> 0;
  inetProtoCsumReplace4(m, tcph + 16, 0, optWord);
  const oldval = ld16(m, tcph + 12);
  m[tcph + 12] = m[tcph + 12]! + ((4 / 4) << 4); // tcph->doff += TCPOLEN_MSS/4
  inetProtoCsumReplace2(m, tcph + 16, oldval, ld16(m, tcph + 12));
  // tcpmss_tg4, ret 4
  const totLen = ld16(m, 2);
  const newlen = htons(htons(totLen) + 4);
  csumReplace2(m, 10, totLen, newlen);
  st16(m, 2, newlen);
  return Uint8Array.from(m);
}

// ---- packets ---------------------------------------------------------------------------------

const SRC = 0xc0000202; // 192.0.2.2
const DST = 0xc6336402; // 198.51.100.2

/** An IPv4 + TCP packet with these option bytes (padded with EOL to a multiple of 4), valid sums. */
function packet(opts: number[], flags = 0x02, payload: number[] = [], doffOverride?: number): Uint8Array {
  const o = [...opts];
  while (o.length % 4) o.push(0);
  const tcpLen = 20 + o.length + payload.length;
  const b = new Uint8Array(20 + tcpLen);
  b.set([0x45, 0, 0, 0, 0, 1, 0, 0, 64, 6, 0, 0]);
  b[2] = (20 + tcpLen) >> 8;
  b[3] = (20 + tcpLen) & 0xff;
  b.set([192, 0, 2, 2, 198, 51, 100, 2], 12);
  b.set([0x9c, 0x40, 0, 80, 0, 0, 3, 0xe8, 0, 0, 0, 0], 20);
  b[32] = (doffOverride ?? 5 + o.length / 4) << 4;
  b[33] = flags;
  b.set([0xfa, 0xf0], 34);
  b.set(o, 40);
  b.set(payload, 40 + o.length);
  ipv4FillChecksum(b, 0);
  tcpFillChecksum(b, 20, tcpLen, SRC, DST);
  return b;
}

/** natbox on a copy: through tcpmssTarget (the engine's entry), buffer exactly the packet. */
function natboxTcpmss(pkt: Uint8Array, newmss: number): 'drop' | Uint8Array {
  const skb = new Skb().load(pkt.slice(), 0, 'r0', 'r1');
  if (!tcpmssTarget(skb, newmss)) return 'drop';
  return skb.buf.slice(0, skb.len);
}

const hex = (b: 'drop' | Uint8Array): string => (b === 'drop' ? 'drop' : Buffer.from(b).toString('hex'));

// Options other than MSS, as stacks send them.
const otherOption = fc.oneof(
  fc.constant([4, 2]), // SACK permitted
  fc.constant([1]), // NOP
  fc.tuple(fc.integer({ min: 0, max: 14 })).map(([s]) => [3, 3, s]), // window scale
  fc
    .tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }))
    .map(([a, b]) => [
      8,
      10,
      a >>> 24,
      (a >>> 16) & 0xff,
      (a >>> 8) & 0xff,
      a & 0xff,
      b >>> 24,
      (b >>> 16) & 0xff,
      (b >>> 8) & 0xff,
      b & 0xff,
    ]),
);
const mssArb = fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(536, 1200, 1460, 8960, 65495));
const newMssArb = fc.oneof(fc.integer({ min: 0, max: 65495 }), fc.constantFrom(0, 536, 1200, 1460));

/** A SYN with `nops` NOPs, then MSS, then others (options of at most 40 bytes). */
const synArb = fc
  .record({
    nops: fc.integer({ min: 0, max: 7 }),
    mss: mssArb,
    before: fc.array(otherOption, { maxLength: 2 }),
    after: fc.array(otherOption, { maxLength: 3 }),
    newmss: newMssArb,
  })
  .filter((r) => r.before.flat().length + r.nops + 4 + r.after.flat().length <= 40);

test('TCPMSS property: the bytes equal the kernel transcription for SYNs with the MSS at every alignment', () => {
  const seen = new Set<number>();
  fc.assert(
    fc.property(synArb, (r) => {
      const opts = [
        ...r.before.flat(),
        ...Array<number>(r.nops).fill(1),
        2,
        4,
        r.mss >> 8,
        r.mss & 0xff,
        ...r.after.flat(),
      ];
      const pkt = packet(opts);
      const mssAt = 20 + r.before.flat().length + r.nops + 2; // the MSS value's offset in the TCP header
      seen.add(mssAt & 3);
      const want = kernelTcpmss(pkt, r.newmss);
      const got = natboxTcpmss(pkt, r.newmss);
      assert.equal(hex(got), hex(want));
      assert.ok(got !== 'drop');
      const changed = r.mss > r.newmss;
      assert.equal(read16(got, 20 + mssAt), changed ? r.newmss : r.mss);
      // The right arithmetic (RFC 1624 on the two words the value straddles) always gives the
      // checksum a full recomputation gives.
      const full = new Uint8Array(got);
      tcpFillChecksum(full, 20, full.length - 20, SRC, DST);
      assert.equal(
        read16(full, 36),
        checksumUpdateAt(read16(pkt, 36), mssAt, r.mss, changed ? r.newmss : r.mss),
      );
      // The kernel's (and so natbox's) is that checksum at an even offset, and wrong at an odd one
      // unless the two byte orders happen to give the same difference.
      const ok = tcpChecksumOk(got, 20, got.length - 20, SRC, DST);
      if ((mssAt & 1) === 0 || !changed) assert.ok(ok, 'aligned: valid checksum');
      else assert.equal(ok, (r.mss - r.newmss) % 0xffff === (swab16(r.mss) - swab16(r.newmss)) % 0xffff);
    }),
    fcOpts,
  );
  assert.deepEqual([...seen].sort(), [0, 1, 2, 3], 'every alignment was tried');
});

test('TCPMSS property: a SYN without an MSS option gets one (at most 536) when there is room and no payload', () => {
  fc.assert(
    fc.property(
      fc.array(otherOption, { maxLength: 5 }),
      newMssArb,
      fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 3 }),
      (others, newmss, payload) => {
        const opts = others.flat();
        if (opts.length > 40) return;
        const pkt = packet(opts, 0x02, payload);
        const want = kernelTcpmss(pkt, newmss);
        const got = natboxTcpmss(pkt, newmss);
        assert.equal(hex(got), hex(want));
        assert.ok(got !== 'drop');
        assert.ok(ipv4ChecksumOk(got, 0));
        assert.ok(tcpChecksumOk(got, 20, got.length - 20, SRC, DST));
        const padded = (opts.length + 3) & ~3;
        if (payload.length === 0 && padded < 40) {
          assert.equal(got.length, pkt.length + 4);
          assert.deepEqual(
            [...got.subarray(40, 44)],
            [2, 4, Math.min(newmss, 536) >> 8, Math.min(newmss, 536) & 0xff],
          );
        } else {
          assert.deepEqual(got, pkt);
        }
      },
    ),
    fcOpts,
  );
});

test('TCPMSS property: random option bytes, data offsets and lengths: the same bytes or drop as the kernel', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 255 })), { maxLength: 40 }),
      fc.integer({ min: 0, max: 15 }),
      fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 4 }),
      newMssArb,
      (opts, doff, payload, newmss) => {
        const pkt = packet(opts, 0x02, payload, doff);
        assert.equal(hex(natboxTcpmss(pkt, newmss)), hex(kernelTcpmss(pkt, newmss)));
      },
    ),
    fcOpts,
  );
});

test('TCPMSS: the cases of the live-kernel test, one by one', () => {
  const mss = (n: number): number[] => [...Array<number>(n).fill(1), 2, 4, 0x05, 0xb4];
  // MSS 1460 at value offsets 22..25, lowered to 1200 (0x04b0).
  for (let n = 0; n < 4; n++) {
    const pkt = packet(mss(n));
    const got = natboxTcpmss(pkt, 1200);
    assert.ok(got !== 'drop');
    assert.deepEqual([...got.subarray(40 + n, 44 + n)], [2, 4, 0x04, 0xb0]);
    // Measured on Linux 6.18.44 (tcpdump -vv at the receiver): "cksum 0x5034 (incorrect -> 0x5331)"
    // for one NOP with sport 40001; odd offsets get the aligned update.
    assert.equal(tcpChecksumOk(got, 20, got.length - 20, SRC, DST), n % 2 === 0, `${n} NOPs`);
  }
  // An MSS option whose value lies past the end of the header is not an MSS option: nothing changes.
  const cut = packet([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 4], 0x02, [0x05, 0xb4]);
  assert.deepEqual(natboxTcpmss(cut, 1200), cut);
  // A header shorter than 20 bytes or longer than the packet: NF_DROP.
  assert.equal(natboxTcpmss(packet([], 0x02, [], 4), 1200), 'drop');
  assert.equal(natboxTcpmss(packet([], 0x02, [], 6), 1200), 'drop');
  // No option: one of min(1200, 536) is added in front, in a larger buffer.
  const added = natboxTcpmss(packet([4, 2]), 1200);
  assert.ok(added !== 'drop');
  assert.deepEqual([...added.subarray(40, 48)], [2, 4, 0x02, 0x18, 4, 2, 0, 0]);
  assert.equal(added[32], 7 << 4);
  // The parts of the bytes API the engine does not take: the answers themselves.
  const b = packet([]);
  assert.equal(tcpmssMangle(b, 0, 1200), TCPMSS_ADD);
  assert.equal(tcpmssMangle(packet([], 0x02, [], 3), 0, 1200), TCPMSS_DROP);
  const room = new Uint8Array(b.length + 4);
  room.set(b);
  tcpmssAddOption(room, 0, 9000);
  assert.equal(read16(room, 42), 536);
  assert.equal(checksum(room, 0, 20), 0);
  assert.equal(~onesSum(room, 20, 24, pseudoHeaderSum(SRC, DST, 6, 24)) & 0xffff, 0);
});

test('TCPMSS through the engine: an MSS after an EOL is lowered, a missing one is added, a bad header dropped', () => {
  const nf = engine('iptables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1200');
  // The kernel's optlen() steps over EOL like a NOP: the MSS after it is found.
  const afterEol = packet([0, 2, 4, 0x05, 0xb4]);
  assert.equal(forward(nf, afterEol, 'r0', 'r1', 0), NF_ACCEPT);
  assert.deepEqual([...lastSkb().buf.subarray(40, 45)], [0, 2, 4, 0x04, 0xb0]);
  // No MSS option: one of 536 (RFC 1122's default, below 1200) goes in front; the packet grows.
  assert.equal(forward(nf, packet([4, 2]), 'r0', 'r1', 0), NF_ACCEPT);
  const grown = lastSkb().buf.subarray(0, lastSkb().len);
  assert.equal(grown.length, 48);
  assert.deepEqual([...grown.subarray(40, 46)], [2, 4, 0x02, 0x18, 4, 2]);
  assertChecksums(grown, 'SYN with an MSS option added');
  // A data offset of 4 (16 bytes): tcpmss_mangle_packet returns -1, tcpmss_tg4 NF_DROP.
  assert.equal(forward(nf, packet([], 0x02, [], 4), 'r0', 'r1', 0), NF_DROP);
  // The rule's SYN match keeps other packets out; the target itself does not look at the flags.
  const ack = packet([], 0x10);
  assert.equal(forward(nf, ack, 'r0', 'r1', 0), NF_ACCEPT);
  assert.equal(lastSkb().len, 40);
  const noSyn = engine('iptables -t mangle -A FORWARD -p tcp -j TCPMSS --set-mss 1200');
  assert.equal(forward(noSyn, packet([], 0x10), 'r0', 'r1', 0), NF_ACCEPT);
  assert.equal(lastSkb().len, 44, 'iptables-nft accepts the rule without --syn, and an ACK gets the option');
});
