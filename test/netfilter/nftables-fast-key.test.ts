// The service map op's key (fast.ts F.KEY_HVMAP: `ip daddr . meta l4proto . th dport vmap @m`,
// and `ip saddr . …`) reads the address and the port from the Skb's parsed fields (saddr, daddr,
// dport) where parse() filled them and from the bytes where it did not (a TCP header shorter than
// 14 bytes, SCTP, a port past a short header): on random IPv4 packets of every such shape — TCP,
// UDP, SCTP, ICMP, header options, truncated transport headers, fragments — and packets rewritten
// and parsed again, the fast walk answers as the plain (traced) walk: verdict and mark.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { NftExpr, NftRuleset, NftStmt } from '../../src/rules/nft/model.ts';
import { nftFrontEnd } from '../../src/netfilter/nftables/index.ts';
import { NftChainTable } from '../../src/netfilter/nftables/table.ts';
import { NF_INET_PRE_ROUTING } from '../../src/netfilter/core/hook-numbers.ts';
import type { NfTable, NfTableEnv } from '../../src/netfilter/core/table.ts';
import type { NfTracer } from '../../src/netfilter/core/trace-events.ts';
import { Skb } from '../../src/netfilter/core/skb.ts';
import { chain, meta, num, pay, rs, rule, set, table, verdict } from './nftables/dsl.ts';
import { fcOpts } from './helpers.ts';

const env: NfTableEnv = {
  host: { masqueradeAddress: () => 0xc0a80101, primaryAddress: () => 0xc0a80101 },
  bindNat: () => true,
  tagMasquerade: () => undefined,
};
const silent = {
  rule: () => undefined,
  ruleMiss: () => undefined,
  policy: () => undefined,
} as unknown as NfTracer;

const ADDRS = [0x0a000001, 0xc6336403, 0xc6336404];
const PROTOS = [6, 17, 132, 1];
const PORTS = [80, 443, 0];

/** `ip <addr field> . meta l4proto . th dport vmap @m`, each element a goto to a chain marking k. */
function ruleset(addrField: 'saddr' | 'daddr'): NftRuleset {
  const mark: NftExpr = meta('mark');
  const elems: { key: NftExpr; data: NftExpr }[] = [];
  let k = 0;
  for (const a of ADDRS)
    for (const p of PROTOS)
      for (const port of PORTS) {
        k++;
        if (k % 3 === 0) continue; // some keys with no element
        elems.push({
          key: {
            kind: 'concat',
            items: [num(a, 'ipv4_addr'), num(p, 'inet_proto'), num(port, 'inet_service')],
          },
          data: { kind: 'verdict', verdict: 'goto', chain: `c${k}` } as unknown as NftExpr,
        });
      }
  const chains = elems.map((e) => {
    const name = (e.data as unknown as { chain: string }).chain;
    return chain(name, [
      rule(
        { kind: 'set', target: mark, value: num(Number(name.slice(1)), 'mark') } as NftStmt,
        verdict('accept'),
      ),
    ]);
  });
  return rs(
    table(
      'ip',
      'k',
      [
        chain('pre', [rule(verdict('jump', 'services'))], {
          type: 'nat',
          hook: 'prerouting',
          priority: -100,
          policy: 'accept',
        }),
        chain('services', [
          rule({
            kind: 'vmap',
            key: { kind: 'concat', items: [pay('ip', addrField), meta('l4proto'), pay('th', 'dport')] },
            map: { kind: 'setref', name: 'm' },
          } as NftStmt),
          rule({ kind: 'set', target: mark, value: num(0x77, 'mark') } as NftStmt),
        ]),
        ...chains,
      ],
      [
        set('m', ['ipv4_addr', 'inet_proto', 'inet_service'], elems as never, {
          isMap: true,
          data: { types: ['verdict'] },
        }),
      ],
    ),
  );
}

const arbPacket = fc.record({
  src: fc.integer({ min: 0, max: ADDRS.length - 1 }),
  dst: fc.integer({ min: 0, max: ADDRS.length - 1 }),
  proto: fc.integer({ min: 0, max: PROTOS.length - 1 }),
  sport: fc.integer({ min: 0, max: PORTS.length - 1 }),
  dport: fc.integer({ min: 0, max: PORTS.length - 1 }),
  options: fc.constantFrom(0, 4, 8),
  // Transport bytes in the packet: short headers included.
  l4len: fc.constantFrom(0, 2, 3, 4, 7, 8, 12, 13, 14, 20, 24),
  fragOff: fc.constantFrom(0, 0, 0, 1, 185),
  mf: fc.boolean(),
  // After the first parse: the destination rewritten in the bytes and parsed again.
  rewrite: fc.option(fc.integer({ min: 0, max: ADDRS.length - 1 }), { nil: undefined }),
});
type Packet = typeof arbPacket extends fc.Arbitrary<infer T> ? T : never;

function bytesOf(p: Packet): Uint8Array {
  const hl = 20 + p.options;
  const b = new Uint8Array(hl + p.l4len + 4); // a few bytes past the packet's end
  b[0] = 0x40 | (hl >> 2);
  const total = hl + p.l4len;
  b[2] = total >> 8;
  b[3] = total & 0xff;
  const frag = (p.mf ? 0x2000 : 0) | p.fragOff;
  b[6] = frag >> 8;
  b[7] = frag & 0xff;
  b[8] = 64;
  b[9] = PROTOS[p.proto]!;
  const put32 = (at: number, v: number): void => {
    b[at] = v >>> 24;
    b[at + 1] = (v >>> 16) & 0xff;
    b[at + 2] = (v >>> 8) & 0xff;
    b[at + 3] = v & 0xff;
  };
  put32(12, ADDRS[p.src]!);
  put32(16, ADDRS[p.dst]!);
  // Ports (or the ICMP type/code/checksum) as far as the transport bytes go; the rest 0xff.
  const l4 = [PORTS[p.sport]! >> 8, PORTS[p.sport]! & 0xff, PORTS[p.dport]! >> 8, PORTS[p.dport]! & 0xff];
  for (let i = 0; i < p.l4len; i++) b[hl + i] = i < 4 ? l4[i]! : 0xff;
  // Past the end: what a reader of the bytes must not take for the packet's.
  for (let i = total; i < b.length; i++) b[i] = 0x01;
  return b;
}

function skbOf(p: Packet): Skb {
  const skb = new Skb().load(bytesOf(p), 0, 'eth0', '');
  if (p.rewrite !== undefined) {
    const v = ADDRS[p.rewrite]!;
    skb.buf[16] = v >>> 24;
    skb.buf[17] = (v >>> 16) & 0xff;
    skb.buf[18] = (v >>> 8) & 0xff;
    skb.buf[19] = v & 0xff;
    skb.parse();
  }
  return skb;
}

for (const field of ['daddr', 'saddr'] as const)
  test(`nft fast walk: the service map key (ip ${field} . meta l4proto . th dport) from parsed fields or bytes, as the plain walk (property)`, () => {
    const pre = (): NftChainTable => {
      const t = nftFrontEnd(ruleset(field))
        .tables(env, undefined)
        .find((x: NfTable) => x.name === 'ip k pre');
      assert.ok(t instanceof NftChainTable);
      return t;
    };
    const a = pre();
    const b = pre();
    const marks = new Set<number>();
    fc.assert(
      fc.property(fc.array(arbPacket, { minLength: 1, maxLength: 20 }), (packets) => {
        for (const p of packets) {
          const sa = skbOf(p);
          const sb = skbOf(p);
          const va = a.run(NF_INET_PRE_ROUTING, sa, 1, undefined);
          const vb = b.run(NF_INET_PRE_ROUTING, sb, 1, silent);
          assert.equal(va, vb);
          assert.equal(sa.mark, sb.mark);
          marks.add(sa.mark);
        }
      }),
      fcOpts,
    );
    // The fast walk ran (its program was built) and the packets reached elements and missed them.
    assert.ok(a.rt.fast);
    assert.equal(b.rt.fast, undefined);
    assert.ok(marks.has(0x77), 'no packet missed the map');
    assert.ok(marks.size > 5, `only marks ${[...marks].join(', ')}`);
  });
