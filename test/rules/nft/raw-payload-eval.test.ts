// Raw payload matches (`@nh,OFF,LEN V`, `@th,…`) are kept in the model as nft lists them back
// (src/rules/nft/raw-payload.ts: under a mask, as the header's fields, a split `!=` joined): the
// evaluator must still answer what the kernel's one load and compare answers. A property: for
// random fields of the network and transport headers, values and packets, the verdict of the rule
// as read is the compare of the packet's bits themselves (an oracle written from the bytes, the
// kernel's nft_payload_eval + nft_cmp_eval over whole bytes under the mask).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Skb } from '../../../src/netfilter/core/skb.ts';
import { NF_ACCEPT, NF_DROP } from '../../../src/netfilter/core/verdict.ts';
import { buildUdpPacket } from '../../../src/wire/packet.ts';
import { envOf, fwd, nftEngine, parseNftText } from '../../netfilter/nftables/dsl.ts';

/** The `len` bits at bit `off` of `bytes` from byte `base` on, as a number. */
function bits(bytes: Uint8Array, base: number, off: number, len: number): number {
  let v = 0;
  for (let b = off; b < off + len; b++) v = v * 2 + ((bytes[base + (b >> 3)]! >> (7 - (b & 7))) & 1);
  return v;
}

/** The packet: an IPv4 header (fields from hdr) and a UDP header with hdr's ports. */
function packetOf(hdr: Uint8Array): Uint8Array {
  return buildUdpPacket(
    {
      src: ((hdr[0]! << 24) | (hdr[1]! << 16) | (hdr[2]! << 8) | hdr[3]!) >>> 0,
      dst: ((hdr[4]! << 24) | (hdr[5]! << 16) | 0x0101) >>> 0,
      id: (hdr[6]! << 8) | hdr[7]!,
      tos: hdr[8]! & 0xfc,
      ttl: hdr[9]! | 2,
    },
    { srcPort: (hdr[10]! << 8) | hdr[11]! || 1, dstPort: (hdr[11]! << 8) | hdr[10]! },
    new Uint8Array(4),
  );
}

/** The verdict of `rule` (in a forward chain whose policy accepts) on `pkt`. */
function verdictOf(rule: string, pkt: Uint8Array): number {
  const rs = parseNftText(
    `table ip t {\n\tchain c {\n\t\ttype filter hook forward priority 0; policy accept;\n\t\t${rule}\n\t}\n}\n`,
  );
  const nf = nftEngine(rs);
  const skb = new Skb();
  skb.env = envOf(nf);
  return fwd(nf, skb, pkt, 'a', 'b', 1);
}

const field = fc
  .record({
    th: fc.boolean(),
    off: fc.integer({ min: 0, max: 120 }),
    len: fc.integer({ min: 1, max: 32 }),
    neq: fc.boolean(),
    ctx: fc.constantFrom('', 'meta l4proto udp ', 'udp sport 1-65535 ', 'ip protocol 17 '),
  })
  // Fields the engine evaluates (up to 32 bits, listed under a mask of up to 40), inside the 28
  // bytes every packet has.
  .filter(({ off, len, th }) => off + len <= (th ? 64 : 160));

test('raw payload matches evaluate as the kernel compares the bits, in every listed form', () => {
  fc.assert(
    fc.property(
      field,
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.uint8Array({ minLength: 12, maxLength: 12 }),
      ({ th, off, len, neq, ctx }, want, hdr) => {
        const pkt = packetOf(hdr);
        const actual = bits(pkt, th ? 20 : 0, off, len);
        // Half the values are the packet's own, so that equal compares happen.
        const v = (want & 1 ? actual : want % 2 ** len) >>> 0;
        const rule = `${ctx}@${th ? 'th' : 'nh'},${off},${len} ${neq ? '!= ' : ''}${v} drop`;
        const holds = (actual === v) !== neq;
        assert.equal(verdictOf(rule, pkt), holds ? NF_DROP : NF_ACCEPT, rule);
      },
    ),
    { numRuns: 400 },
  );
});

// A raw load beside a header field of whole bytes is one compare in the kernel (nft's payload
// merge): `ip ttl != 3 @nh,72,8 != 6` holds when either byte differs, `==` when both are equal.
const pair = fc.record({
  named: fc.constantFrom(
    { name: 'ip id', off: 32, len: 16 },
    { name: 'ip ttl', off: 64, len: 8 },
    { name: 'ip checksum', off: 80, len: 16 },
  ),
  rawLen: fc.constantFrom(8, 16),
  before: fc.boolean(),
  neq: fc.boolean(),
});

test("a raw load and the header field beside it evaluate as the kernel's one joined compare", () => {
  fc.assert(
    fc.property(
      pair,
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.uint8Array({ minLength: 12, maxLength: 12 }),
      ({ named: { name, off, len }, rawLen, before, neq }, w1, w2, hdr) => {
        const rawOff = before ? off - rawLen : off + len;
        if (rawOff < 0 || len + rawLen > 32) return;
        const pkt = packetOf(hdr);
        const a1 = bits(pkt, 0, off, len);
        const a2 = bits(pkt, 0, rawOff, rawLen);
        const v1 = w1 & 1 ? a1 : w1 % 2 ** len;
        const v2 = w2 & 1 ? a2 : w2 % 2 ** rawLen;
        const op = neq ? '!= ' : '';
        const rule = `${name} ${op}${v1} @nh,${rawOff},${rawLen} ${op}${v2} drop`;
        const equal = a1 === v1 && a2 === v2;
        assert.equal(verdictOf(rule, pkt), equal !== neq ? NF_DROP : NF_ACCEPT, rule);
      },
    ),
    { numRuns: 300 },
  );
});
