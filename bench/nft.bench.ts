// The nft evaluator on kube-proxy's nftables ruleset (issue 16, "Speed"; `npm run bench -- nft`):
// the shape pkg/proxy/nftables/proxier.go writes (nat-prerouting → `jump services` →
// `ip daddr . meta l4proto . th dport vmap @service-ips` → `goto service-…` (masquerade mark for
// traffic from outside the cluster CIDR, `numgen random mod N vmap { … : goto endpoint-… }`) →
// `goto endpoint-…` (hairpin mark, `meta l4proto tcp dnat to IP:PORT`)), NATBOX_BENCH_SERVICES
// services (default 10,000; 1 to 3 endpoints each). Prints the compile time (the front end's
// tables for an engine) and the first-packet classification rate: the nat-prerouting base chain
// run for a new connection's packet up to its dnat (the NAT binding itself is the engine's, the
// same for iptables and nft, and is left out: bindNat answers at once), over 4,096 packets to
// services spread across the map, and for one service repeated. The model is built directly (the nft reader is another
// engineer's; the same model comes out of it).
import { bench } from './harness.ts';
import type { NftChain, NftExpr, NftRule, NftRuleset, NftSetElem, NftStmt } from '../src/rules/nft/model.ts';
import { nftFrontEnd } from '../src/netfilter/nftables/index.ts';
import type { NfTableEnv } from '../src/netfilter/core/table.ts';
import { NF_INET_PRE_ROUTING } from '../src/netfilter/core/hook-numbers.ts';
import { T_ACCEPT } from '../src/netfilter/core/table.ts';
import { Skb } from '../src/netfilter/core/skb.ts';
import { buildTcpPacket, buildUdpPacket } from '../src/wire/packet.ts';

const only = process.env.NATBOX_BENCH_ONLY ? new RegExp(process.env.NATBOX_BENCH_ONLY) : undefined;
const N = Number(process.env.NATBOX_BENCH_SERVICES ?? 10_000);

const v = (type: string, value: number): NftExpr => ({ kind: 'value', type, value });
const pay = (proto: string, field: string): NftExpr => ({ kind: 'payload', proto, field });
const meta = (key: string): NftExpr => ({ kind: 'meta', key });
const m = (left: NftExpr, right: NftExpr, op: '==' | '!=' | 'implicit' = 'implicit'): NftStmt => ({
  kind: 'match',
  left,
  op,
  right,
});
let handle = 1;
const rule = (...stmts: NftStmt[]): NftRule => ({ handle: handle++, stmts });
const chain = (name: string, rules: NftRule[], base?: NftChain['base']): NftChain => ({
  name,
  handle: handle++,
  rules,
  ...(base ? { base } : {}),
});

/** Service i: ClusterIP 172.30.x.y, tcp (2 of 3) or udp, port 80 + i % 100. */
export const serviceIp = (i: number): number => (0xac1e0000 + 1 + i) >>> 0;
export const serviceProto = (i: number): number => (i % 3 === 2 ? 17 : 6);
export const servicePort = (i: number): number => 80 + (i % 100);

export function kubeProxyNft(n: number): NftRuleset {
  const mark: NftExpr = meta('mark');
  const chains: NftChain[] = [
    chain('nat-prerouting', [rule({ kind: 'verdict', verdict: 'jump', chain: 'services' })], {
      type: 'nat',
      hook: 'prerouting',
      priority: -100,
      policy: 'accept',
    }),
    chain('nat-output', [rule({ kind: 'verdict', verdict: 'jump', chain: 'services' })], {
      type: 'nat',
      hook: 'output',
      priority: -100,
      policy: 'accept',
    }),
    chain('nat-postrouting', [rule({ kind: 'verdict', verdict: 'jump', chain: 'masquerading' })], {
      type: 'nat',
      hook: 'postrouting',
      priority: 100,
      policy: 'accept',
    }),
    chain('masquerading', [
      rule(m({ kind: 'binop', op: '&', left: mark, right: v('mark', 0x4000) }, v('mark', 0), '=='), {
        kind: 'verdict',
        verdict: 'return',
      }),
      rule({
        kind: 'set',
        target: mark,
        value: { kind: 'binop', op: '^', left: mark, right: v('mark', 0x4000) },
      }),
      rule({ kind: 'nat', type: 'masquerade', flags: ['fully-random'] }),
    ]),
    chain('mark-for-masquerade', [
      rule({
        kind: 'set',
        target: mark,
        value: { kind: 'binop', op: '|', left: mark, right: v('mark', 0x4000) },
      }),
    ]),
    chain('services', [
      rule({
        kind: 'vmap',
        key: { kind: 'concat', items: [pay('ip', 'daddr'), meta('l4proto'), pay('th', 'dport')] },
        map: { kind: 'setref', name: 'service-ips' },
      }),
    ]),
  ];
  const elements: NftSetElem[] = [];
  for (let i = 0; i < n; i++) {
    const proto = serviceProto(i);
    const svc = `service-${i.toString(36).padStart(8, '0').toUpperCase()}-ns${i % 50}/svc${i}/${proto === 6 ? 'tcp' : 'udp'}/p${servicePort(i)}`;
    const eps = 1 + (i % 3);
    const epNames: string[] = [];
    for (let k = 0; k < eps; k++) {
      const ep = (0x0ab40000 + i * 4 + k) >>> 0; // 10.180.x.y
      const name = `endpoint-${i}-${k}`;
      epNames.push(name);
      chains.push(
        chain(name, [
          rule(m(pay('ip', 'saddr'), v('ipv4_addr', ep)), {
            kind: 'verdict',
            verdict: 'jump',
            chain: 'mark-for-masquerade',
          }),
          rule(m(meta('l4proto'), v('inet_proto', proto)), {
            kind: 'nat',
            type: 'dnat',
            addr: v('ipv4_addr', ep),
            port: v('inet_service', 8080),
          }),
        ]),
      );
    }
    chains.push(
      chain(svc, [
        rule(
          m(pay('ip', 'daddr'), v('ipv4_addr', serviceIp(i))),
          m(pay(proto === 6 ? 'tcp' : 'udp', 'dport'), v('inet_service', servicePort(i))),
          m(pay('ip', 'saddr'), { kind: 'prefix', value: v('ipv4_addr', 0x0a000000), len: 8 }, '!='),
          { kind: 'verdict', verdict: 'jump', chain: 'mark-for-masquerade' },
        ),
        rule({
          kind: 'vmap',
          key: { kind: 'numgen', mode: 'random', mod: eps, offset: 0 },
          map: {
            kind: 'set',
            elements: epNames.map((name, k) => ({
              key: v('integer', k),
              data: { kind: 'verdict', verdict: 'goto', chain: name },
            })),
          },
        }),
      ]),
    );
    elements.push({
      key: {
        kind: 'concat',
        items: [v('ipv4_addr', serviceIp(i)), v('inet_proto', proto), v('inet_service', servicePort(i))],
      },
      data: { kind: 'verdict', verdict: 'goto', chain: svc },
    });
  }
  return {
    tables: [
      {
        family: 'ip',
        name: 'kube-proxy',
        handle: handle++,
        chains,
        sets: [
          {
            name: 'service-ips',
            handle: handle++,
            isMap: true,
            key: { types: ['ipv4_addr', 'inet_proto', 'inet_service'] },
            data: { types: ['verdict'] },
            flags: [],
            elements,
          },
        ],
        flowtables: [],
        objects: [],
      },
    ],
  };
}

const name = `nft: kube-proxy ruleset, ${N} services`;
if (!only || only.test(name)) {
  const rs = kubeProxyNft(N);
  let bound = 0;
  const env: NfTableEnv = {
    host: { masqueradeAddress: () => 0xc0a80101, primaryAddress: () => 0xc0a80101 },
    bindNat: () => {
      bound++;
      return true;
    },
    tagMasquerade: () => undefined,
  };
  const times: number[] = [];
  let tables = nftFrontEnd(rs).tables(env, undefined);
  for (let r = 0; r < 3; r++) {
    const t0 = process.hrtime.bigint();
    tables = nftFrontEnd(rs).tables(env, undefined);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  console.log(
    `${`${name}: compile (nftFrontEnd(rs).tables, median of 3)`.padEnd(60)} ${times[1]!.toFixed(0)} ms`,
  );
  const pre = tables.find((t) => t.name === 'ip kube-proxy nat-prerouting')!;
  // 4,096 first packets to services spread over the map, half from inside the cluster CIDR.
  const skbs: Skb[] = [];
  let rnd = 12345;
  for (let k = 0; k < 4096; k++) {
    rnd = (Math.imul(rnd, 1103515245) + 12345) >>> 0;
    const i = rnd % N;
    const src = k % 2 === 0 ? 0x0a000005 : 0xc6336409; // 10.0.0.5, 198.51.100.9
    const buf =
      serviceProto(i) === 6
        ? buildTcpPacket(
            { src, dst: serviceIp(i), id: 1 },
            {
              srcPort: 40000 + (k & 1023),
              dstPort: servicePort(i),
              seq: 1,
              ack: 0,
              flags: 0x02,
              window: 100,
            },
          )
        : buildUdpPacket(
            { src, dst: serviceIp(i), id: 1 },
            { srcPort: 40000 + (k & 1023), dstPort: servicePort(i) },
          );
    const skb = new Skb().load(buf, 0, 'eth0', '');
    let r32 = k;
    skb.env = {
      addrType: () => 1,
      random32: () => (r32 = (Math.imul(r32, 1664525) + 1013904223) >>> 0),
      conntrack: undefined as never,
    };
    skbs.push(skb);
  }
  // One flow repeated (what rules.bench.ts measures for iptables: the structures hot in cache).
  bench(
    `${name}: first-packet classification, one service (packets)`,
    (n) => {
      let acc = 0;
      const skb = skbs[0]!;
      for (let j = 0; j < n; j++) acc += pre.run(NF_INET_PRE_ROUTING, skb, 1, undefined);
      return acc;
    },
    { batch: 100_000, seconds: 2 },
  );
  // 4,096 packets to services spread over the whole map (each packet's chains likely cold).
  bench(
    `${name}: first-packet classification, 4,096 services (packets)`,
    (n) => {
      let acc = 0;
      for (let j = 0; j < n; j++) acc += pre.run(NF_INET_PRE_ROUTING, skbs[j & 4095]!, 1, undefined);
      return acc;
    },
    { batch: 100_000, seconds: 2 },
  );
  if (bound === 0 || pre.run(NF_INET_PRE_ROUTING, skbs[0]!, 1, undefined) !== T_ACCEPT)
    throw new Error('the bench packets did not reach their dnat');
}
