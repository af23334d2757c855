// The untraced walk's fast program (src/netfilter/nftables/fast.ts) against the plain, traced walk
// (table.ts over compile.ts's program) on random rulesets of the shape kube-proxy's nftables mode
// writes (kubernetes pkg/proxy/nftables/proxier.go: nat-prerouting → `jump services` → `ip daddr .
// meta l4proto . th dport vmap @service-ips` → `goto service-…` → masquerade mark for traffic from
// outside the cluster CIDR, `numgen random mod N vmap { … : goto endpoint-… }` → hairpin mark, `meta
// l4proto tcp dnat to IP:PORT`), varied where the fast program folds: the vmap's key and map in one
// op, `jump` to a chain of `meta mark set` rules in place (random compositions of |, &, ^ and
// constants, or a chain that cannot be folded), services reached through 0 to 16 nested jumps (the
// jump stack's limit, NFT_JUMP_STACK_SIZE), and elements removed after the program was built. Every
// packet must get the same verdict, mark and NAT range from both walks, and the traced walk must
// name the rule that gave the NAT: the endpoint chain of the address bound, by table, chain and
// handle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { NftExpr, NftRuleset, NftStmt } from '../../src/rules/nft/model.ts';
import { nftFrontEnd } from '../../src/netfilter/nftables/index.ts';
import { NftChainTable } from '../../src/netfilter/nftables/table.ts';
import { NF_INET_PRE_ROUTING } from '../../src/netfilter/core/hook-numbers.ts';
import type { NfTable, NfTableEnv } from '../../src/netfilter/core/table.ts';
import type { NfTracer } from '../../src/netfilter/core/trace-events.ts';
import type { NftTracedRule } from '../../src/netfilter/nftables/traced-rule.ts';
import { Skb } from '../../src/netfilter/core/skb.ts';
import { chain, match, meta, num, pay, rs, rule, set, table, verdict } from './nftables/dsl.ts';
import { fcOpts, firstPacketSkb } from './helpers.ts';
import { kubeProxyNft as kubeProxyNftText } from '../../bench/fixtures/kube-proxy-nft.ts';
import { parseNft } from '../../src/rules/nft/index.ts';

const svcIp = (i: number): number => (0xc0000200 + 10 + i) >>> 0; // 192.0.2.10+i
const epIp = (i: number, k: number): number => (0x0ab40000 + (i << 8) + k) >>> 0; // 10.180.i.k
const PORTS = [80, 443, 53];

const arbMarkRule = fc.record({
  op: fc.constantFrom('|', '&', '^', '='),
  x: fc.oneof(fc.constant(0x4000), fc.integer({ min: 0, max: 0xffffffff })),
});
const arbCase = fc.record({
  services: fc.array(
    fc.record({
      udp: fc.boolean(),
      port: fc.constantFrom(...PORTS),
      eps: fc.integer({ min: 1, max: 3 }),
      epPort: fc.integer({ min: 1, max: 65535 }),
      /**
       * The service chain's first rule: kube-proxy's (`ip daddr X tcp dport P`, what the map's key
       * implies: the fast walk's vmap target skips it), or one the key implies only in part or not
       * at all (another address, another port, `meta l4proto`), a register read after the implied
       * matches (`meta mark`), or a rule of the implied matches alone.
       */
      first: fc.constantFrom('kube', 'addr', 'port', 'l4', 'mark', 'whole', 'none'),
      /**
       * Where the service and endpoint chains leave the shape the fast program fuses into one
       * record (fast.ts fuseService), or not ('kube'): the last endpoint's dnat rule for the other
       * l4proto, its hairpin jump to another mark chain, a counter in its dnat rule (which must
       * still count), `numgen random mod eps + 1` (a draw with no entry).
       */
      shape: fc.constantFrom('kube', 'kube', 'kube', 'proto', 'mark', 'counter', 'mod'),
    }),
    { minLength: 1, maxLength: 5 },
  ),
  /** `jump` chains between nat-prerouting and services. */
  depth: fc.integer({ min: 0, max: 16 }),
  markRules: fc.array(arbMarkRule, { minLength: 1, maxLength: 3 }),
  /** A counter in the mark chain: not foldable, it runs as a jump. */
  markCounter: fc.boolean(),
  /** Services whose map element is deleted after the first packets (the folded lookup's copy is stale). */
  removed: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 2 }),
  packets: fc.array(
    fc.record({
      src: fc.integer({ min: 0, max: 2 }), // inside the cluster CIDR, an endpoint, outside
      svc: fc.integer({ min: 0, max: 5 }), // 5: no service
      udp: fc.boolean(),
      port: fc.constantFrom(...PORTS, 8080),
      mark: fc.oneof(fc.constant(0), fc.constant(0x4000), fc.integer({ min: 0, max: 0xffffffff })),
      seed: fc.integer({ min: 1, max: 0x7fffffff }),
    }),
    { minLength: 1, maxLength: 12 },
  ),
});
type Case = typeof arbCase extends fc.Arbitrary<infer T> ? T : never;

const svcKey = (c: Case, i: number): NftExpr => {
  const s = c.services[i]!;
  return {
    kind: 'concat',
    items: [num(svcIp(i), 'ipv4_addr'), num(s.udp ? 17 : 6, 'inet_proto'), num(s.port, 'inet_service')],
  };
};

function rulesetOf(c: Case): NftRuleset {
  const mark = meta('mark');
  const markRules = c.markRules.map(({ op, x }) =>
    rule({
      kind: 'set',
      target: mark,
      value: op === '=' ? num(x, 'mark') : { kind: 'binop', op, left: mark, right: num(x, 'mark') },
    } as NftStmt),
  );
  if (c.markCounter) markRules.splice(1, 0, rule({ kind: 'counter', packets: 0, bytes: 0 } as NftStmt));
  const hops = Array.from({ length: c.depth }, (_, d) =>
    chain(`hop${d}`, [rule(verdict('jump', d + 1 < c.depth ? `hop${d + 1}` : 'services'))]),
  );
  const services = c.services.flatMap((s, i) => {
    const proto = s.udp ? 17 : 6;
    const eps = Array.from({ length: s.eps }, (_, k) => {
      const last = k === s.eps - 1;
      const nat = {
        kind: 'nat',
        type: 'dnat',
        addr: num(epIp(i, k), 'ipv4_addr'),
        port: num(s.epPort, 'inet_service'),
      } as NftStmt;
      const natRule =
        last && s.shape === 'counter'
          ? rule(
              match(meta('l4proto'), num(proto, 'inet_proto')),
              { kind: 'counter', packets: 0, bytes: 0 } as NftStmt,
              nat,
            )
          : rule(
              match(meta('l4proto'), num(last && s.shape === 'proto' ? 23 - proto : proto, 'inet_proto')),
              nat,
            );
      return chain(`endpoint-${i}-${k}`, [
        rule(
          match(pay('ip', 'saddr'), num(epIp(i, k), 'ipv4_addr')),
          verdict('jump', last && s.shape === 'mark' ? 'mark-other' : 'mark-for-masquerade'),
        ),
        natRule,
      ]);
    });
    const daddr = match(pay('ip', 'daddr'), num(s.first === 'addr' ? svcIp(i + 1) : svcIp(i), 'ipv4_addr'));
    const dport =
      s.first === 'l4'
        ? match(meta('l4proto'), num(proto, 'inet_proto'))
        : match(
            pay(s.udp ? 'udp' : 'tcp', 'dport'),
            num(s.first === 'port' ? s.port + 1 : s.port, 'inet_service'),
          );
    const outside =
      s.first === 'mark'
        ? match(meta('mark'), num(0x4000, 'mark'))
        : match(pay('ip', 'saddr'), { kind: 'prefix', value: num(0x0a000000, 'ipv4_addr'), len: 8 }, '!=');
    const first =
      s.first === 'whole'
        ? [rule(daddr, dport), rule(outside, verdict('jump', 'mark-for-masquerade'))]
        : s.first === 'none'
          ? []
          : [rule(daddr, dport, outside, verdict('jump', 'mark-for-masquerade'))];
    return [
      chain(`service-${i}`, [
        ...first,
        rule({
          kind: 'vmap',
          key: { kind: 'numgen', mode: 'random', mod: s.eps + (s.shape === 'mod' ? 1 : 0), offset: 0 },
          map: {
            kind: 'set',
            elements: eps.map((e, k) => ({
              key: num(k),
              data: { kind: 'verdict', verdict: 'goto', chain: e.name },
            })),
          },
        } as NftStmt),
      ]),
      ...eps,
    ];
  });
  return rs(
    table(
      'ip',
      'kube-proxy',
      [
        chain('nat-prerouting', [rule(verdict('jump', c.depth > 0 ? 'hop0' : 'services'))], {
          type: 'nat',
          hook: 'prerouting',
          priority: -100,
          policy: 'accept',
        }),
        ...hops,
        chain('mark-for-masquerade', markRules),
        chain('mark-other', [
          rule({
            kind: 'set',
            target: mark,
            value: { kind: 'binop', op: '|', left: mark, right: num(0x8000, 'mark') },
          } as NftStmt),
        ]),
        chain('services', [
          rule({
            kind: 'vmap',
            key: { kind: 'concat', items: [pay('ip', 'daddr'), meta('l4proto'), pay('th', 'dport')] },
            map: { kind: 'setref', name: 'service-ips' },
          } as NftStmt),
        ]),
        ...services,
      ],
      [
        set(
          'service-ips',
          ['ipv4_addr', 'inet_proto', 'inet_service'],
          c.services.map((_, i) => ({
            key: svcKey(c, i),
            data: { kind: 'verdict', verdict: 'goto', chain: `service-${i}` },
          })),
          { isMap: true, data: { types: ['verdict'] } },
        ),
      ],
    ),
  );
}

/** What bindNat was asked, per walk. */
let nats: number[] = [];
const env: NfTableEnv = {
  host: { masqueradeAddress: () => 0xc0a80101, primaryAddress: () => 0xc0a80101 },
  bindNat: (_skb, manip, range) => {
    nats.push(manip, range.flags, range.minAddr, range.maxAddr, range.minPort, range.maxPort);
    return true;
  },
  tagMasquerade: () => undefined,
};

function skbOf(c: Case, p: Case['packets'][number]): Skb {
  const i = Math.min(p.svc, c.services.length - 1);
  const src = p.src === 0 ? 0x0a000005 : p.src === 1 ? epIp(i, 0) : 0xc6336409;
  const dst = p.svc < c.services.length ? svcIp(p.svc) : 0xcb007101;
  return firstPacketSkb(src, dst, p.port, !p.udp, p.mark, p.seed);
}

function baseOf(model: NftRuleset): NftChainTable {
  const t = nftFrontEnd(model)
    .tables(env, undefined)
    .find((x: NfTable) => x.name === 'ip kube-proxy nat-prerouting');
  assert.ok(t instanceof NftChainTable);
  return t;
}

/** The rules the traced walk reports as matched, as `chain#handle`. */
let traced: string[] = [];
const tracer = {
  rule: (_hook: string, table: string, chainName: string, _index: number, r: NftTracedRule) =>
    traced.push(`${table} ${chainName}#${r.handle}`),
  ruleMiss: () => undefined,
  policy: () => undefined,
} as unknown as NfTracer;

/** Runs every packet through a fast and a traced table of `model`; returns the paths seen. */
function compare(c: Case, model: NftRuleset, seen: Set<string>): void {
  const a = baseOf(structuredClone(model));
  const b = baseOf(structuredClone(model));
  assert.deepEqual(a.rt.problems, []);
  c.packets.forEach((p, n) => {
    if (n === 1) {
      // Delete some services' elements in both (after the fast program was built on packet 0).
      for (const i of c.removed) {
        if (i >= c.services.length) continue;
        for (const t of [a, b]) {
          const s = t.rt.sets.get('service-ips')!;
          const key = [svcIp(i), c.services[i]!.udp ? 17 : 6, c.services[i]!.port];
          s.deleteKey(Uint32Array.from(key));
        }
      }
    }
    const sa = skbOf(c, p);
    const sb = skbOf(c, p);
    nats = [];
    const va = a.run(NF_INET_PRE_ROUTING, sa, 1, undefined);
    const na = nats;
    nats = [];
    traced = [];
    const vb = b.run(NF_INET_PRE_ROUTING, sb, 1, tracer);
    assert.equal(va, vb, `packet ${n}: verdict`);
    assert.equal(sa.mark >>> 0, sb.mark >>> 0, `packet ${n}: mark`);
    assert.deepEqual(na, nats, `packet ${n}: NAT`);
    if (nats.length > 0) {
      // The last matched rule is the dnat of the endpoint chain whose address was bound.
      const addr = nats[2]!;
      const svc = (addr >>> 8) & 0xff;
      const k = addr & 0xff;
      const ep = b.rt.table.chains.find((ch) => ch.name === `endpoint-${svc}-${k}`)!;
      assert.equal(
        traced.at(-1),
        `ip kube-proxy endpoint-${svc}-${k}#${ep.rules[1]!.handle}`,
        `packet ${n}: trace`,
      );
    }
    seen.add(`${va} nat ${nats.length > 0} mark ${sa.mark === p.mark ? 'same' : 'set'}`);
  });
  assert.ok(a.rt.fast, 'the fast program ran');
  assert.equal(b.rt.fast, undefined);
  if (a.rt.fast.fused > 0) seen.add('fused');
  // Counters count in both walks alike (a counter in an endpoint's rule keeps it out of the record).
  const counts = (t: NftChainTable): number[] =>
    t.rt.table.chains.flatMap((ch) =>
      ch.rules.flatMap((r) => r.stmts.flatMap((x) => (x.kind === 'counter' ? [x.packets, x.bytes] : []))),
    );
  assert.deepEqual(counts(a), counts(b), 'counters');
}

test('nft fast walk: random kube-proxy rulesets (folded vmap key, mark jumps, deep jumps) run as the traced walk (property)', () => {
  const seen = new Set<string>();
  fc.assert(
    fc.property(arbCase, (c) => compare(c, rulesetOf(c), seen)),
    fcOpts,
  );
  // Packets went every way: dropped at the jump limit, dnat'ed with and without the mark, no service.
  for (const want of [
    '0 nat false mark same',
    '1 nat true mark set',
    '1 nat true mark same',
    '1 nat false mark same',
    'fused',
  ])
    assert.ok(seen.has(want), `${want} in ${[...seen].join(', ')}`);
});

test("nft fast walk: kube-proxy's own text fuses the services of the shape, and every ClusterIP's first packet runs as the traced walk", () => {
  // bench/fixtures/kube-proxy-nft.ts: 1 to 3 endpoints, every 7th service none (no service chain),
  // every 10th with session affinity (its service chain has a set lookup: not the shape).
  const text = kubeProxyNftText(140);
  const parsed = parseNft(
    text.split('\n').map((l, i) => ({ text: l, file: 'kp.nft', line: i + 1, column: 1 })),
  );
  assert.ok(parsed.ok);
  const fast = baseOf(structuredClone(parsed.ruleset));
  const plain = baseOf(structuredClone(parsed.ruleset));
  const svcs = [...text.matchAll(/add element ip kube-proxy service-ips \{ ([\d.]+) \. tcp \. 80 :/g)].map(
    (m) => m[1]!.split('.').reduce((a, b) => a * 256 + Number(b), 0),
  );
  const affinity = (text.match(/^add rule ip kube-proxy service-\S+ ip saddr @affinity/gm) ?? []).length;
  assert.equal(svcs.length, 140 - 20); // 20 of 140 have no endpoints
  assert.ok(affinity > 0);
  let n = 0;
  for (const dst of svcs)
    for (const [src, mark] of [
      [0x0a000005, 0],
      [0xc6336409, 0x4000],
      [0xc6336409, 0],
    ] as const) {
      const sa = firstPacketSkb(src, dst, 80, true, mark, 7 + n);
      const sb = firstPacketSkb(src, dst, 80, true, mark, 7 + n++);
      nats = [];
      const va = fast.run(NF_INET_PRE_ROUTING, sa, 1, undefined);
      const na = nats;
      nats = [];
      traced = [];
      const vb = plain.run(NF_INET_PRE_ROUTING, sb, 1, tracer);
      assert.equal(va, vb);
      assert.equal(sa.mark >>> 0, sb.mark >>> 0);
      assert.deepEqual(na, nats);
      assert.equal(nats.length, 6, 'each ClusterIP is dnat-ed');
    }
  // Every service with endpoints has a record, those with session affinity too (F.KSVCA).
  assert.equal(fast.rt.fast!.fused, svcs.length);
  assert.ok(fast.rt.fast!.dynsets.length > 0);
});

test("nft fast walk: kube-proxy's session affinity (fused) as the traced walk over time: hits, refreshes, expiry, re-adds", () => {
  // bench/fixtures/kube-proxy-nft.ts: every 10th service has ClientIP affinity, timeout 10800 s.
  const text = kubeProxyNftText(60);
  const parsed = parseNft(
    text.split('\n').map((l, i) => ({ text: l, file: 'kp.nft', line: i + 1, column: 1 })),
  );
  assert.ok(parsed.ok);
  const fast = baseOf(structuredClone(parsed.ruleset));
  const plain = baseOf(structuredClone(parsed.ruleset));
  const dsts = [...text.matchAll(/add rule ip kube-proxy (service-\S+) ip daddr ([\d.]+) ip saddr !=/g)]
    .filter((m) => text.includes(`${m[1]} ip saddr @affinity`))
    .map((m) => m[2]!.split('.').reduce((a, b) => a * 256 + Number(b), 0));
  assert.ok(dsts.length >= 4);
  const clients = [0x0a000005, 0xc6336409, 0xc633640a, 0x0a0000fe];
  // Times apart from the timeout's edges except where the edge is the point (10803 = 3 + 10800).
  const times = [1, 2, 3, 3, 5000, 10802, 10803, 10804, 15799, 15801, 20000, 40000];
  let n = 0;
  for (const now of times)
    for (const dst of dsts)
      for (let c = 0; c < clients.length; c++) {
        if ((now + c + dst) % 3 === 0) continue; // not every client every time
        const src = clients[c]!;
        const sa = firstPacketSkb(src, dst, 80, true, 0, 11 + n);
        const sb = firstPacketSkb(src, dst, 80, true, 0, 11 + n++);
        nats = [];
        const va = fast.run(NF_INET_PRE_ROUTING, sa, now, undefined);
        const na = nats;
        nats = [];
        traced = [];
        const vb = plain.run(NF_INET_PRE_ROUTING, sb, now, tracer);
        assert.equal(va, vb, `t=${now} ${src} -> ${dst}: verdict`);
        assert.equal(sa.mark >>> 0, sb.mark >>> 0);
        assert.deepEqual(na, nats, `t=${now} ${src} -> ${dst}: nat`);
        assert.ok(traced.some((x) => x.includes(' endpoint-')));
      }
  // Every affinity set holds the same elements, expiries and timeouts in both walks.
  let sets = 0;
  for (const [name, a] of fast.rt.sets) {
    if (!name.startsWith('affinity-')) continue;
    const b = plain.rt.sets.get(name)!;
    sets++;
    assert.equal(a.slots, b.slots, name);
    assert.deepEqual(a.added, b.added, name);
    assert.deepEqual(a.creators, b.creators, name);
    for (let s = 0; s < a.slots; s++) {
      assert.equal(a.expiryOf(s), b.expiryOf(s), `${name} slot ${s}`);
      assert.equal(a.timeoutOf(s), b.timeoutOf(s), `${name} slot ${s}`);
    }
  }
  assert.ok(sets >= 8);
  assert.ok(fast.rt.fast!.dynsets.length >= 8, 'the affinity services are fused');
});
