// kube-proxy's nftables ruleset as a model (issue 16, "Speed"), its first packets and the host
// they run on: shared by bench/nft.bench.ts and bench/kube-proxy-nft-packets.ts (the cachegrind
// driver). The shape pkg/proxy/nftables/proxier.go writes (see nft.bench.ts).
import type { NftChain, NftExpr, NftRule, NftRuleset, NftSetElem, NftStmt } from '../src/rules/nft/model.ts';
import type { NfTableEnv } from '../src/netfilter/core/table.ts';
import { Skb } from '../src/netfilter/core/skb.ts';
import { buildTcpPacket, buildUdpPacket } from '../src/wire/packet.ts';

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

/** NAT bindings asked for (each bench packet must reach its dnat once). */
let nats = 0;
export const natCount = (): number => nats;
export const env: NfTableEnv = {
  host: { masqueradeAddress: () => 0xc0a80101, primaryAddress: () => 0xc0a80101 },
  bindNat: () => {
    nats++;
    return true;
  },
  tagMasquerade: () => undefined,
};

/**
 * The host's XtEnv, one for every packet as in the engine (numgen's random32 an LCG). Its state in
 * an Int32Array: a module `let` holding a u32 past 2^31 is a heap number made, and a write
 * barrier run, on every call (26 of a packet's instructions, none of them the evaluator's).
 */
const r32 = new Int32Array([1]);
const hostEnv: NonNullable<Skb['env']> = {
  addrType: () => 1,
  random32: () => (r32[0] = Math.imul(r32[0]!, 1664525) + 1013904223) >>> 0,
  conntrack: undefined as never,
};

/** A first packet (TCP SYN or UDP) from `src` to dst:port (the source port from k). */
export function firstPacket(k: number, src: number, dst: number, proto: number, port: number): Skb {
  const buf =
    proto === 6
      ? buildTcpPacket(
          { src, dst, id: 1 },
          { srcPort: 40000 + (k & 1023), dstPort: port, seq: 1, ack: 0, flags: 0x02, window: 100 },
        )
      : buildUdpPacket({ src, dst, id: 1 }, { srcPort: 40000 + (k & 1023), dstPort: port });
  const skb = new Skb().load(buf, 0, 'eth0', '');
  skb.env = hostEnv;
  return skb;
}

/**
 * 4,096 first packets, half from inside the cluster CIDR, to services spread over `spread`
 * distinct services of an `n`-service map (each packet's chains hot in cache, or likely cold).
 */
export function spreadPackets(n: number, spread: number, count = 4096): Skb[] {
  const skbs: Skb[] = [];
  let rnd = 12345;
  const picks: number[] = [];
  for (let k = 0; k < spread; k++) {
    rnd = (Math.imul(rnd, 1103515245) + 12345) >>> 0;
    picks.push(rnd % n);
  }
  for (let k = 0; k < count; k++) {
    const i = picks[k % spread]!;
    const src = k % 2 === 0 ? 0x0a000005 : 0xc6336409; // 10.0.0.5, 198.51.100.9
    skbs.push(firstPacket(k, src, serviceIp(i), serviceProto(i), servicePort(i)));
  }
  return skbs;
}

/**
 * The bench's packets as a NIC's receive ring holds them (the ring rows of nft.bench.ts and the
 * driver's `ring` mode): each packet's bytes in a 64-byte slot of one buffer (4,096 packets: 256
 * KB), read into one Skb by Skb.load before its walk, as ip4.ts loads every packet into its
 * stack's one Skb. The packets' own `Skb` objects and typed arrays (4,096 of them, about 1.3 MB,
 * cold in cache at every walk: about half the misses the plain rows count) are not in the figure;
 * the bytes' line and Skb.load are.
 */
export const RING_SLOT = 64;
export function ringOf(skbs: readonly Skb[]): Uint8Array {
  if ((skbs.length & (skbs.length - 1)) !== 0) throw new Error('ringOf: a power of two of packets');
  const ring = new Uint8Array(skbs.length * RING_SLOT);
  skbs.forEach((s, k) => {
    if (s.len > RING_SLOT) throw new Error(`ringOf: a packet of ${s.len} bytes`);
    ring.set(s.buf.subarray(s.off, s.off + s.len), k * RING_SLOT);
  });
  return ring;
}

/** The one Skb the ring's packets are loaded into (the host's env, as firstPacket's). */
export function ringSkb(): Skb {
  const skb = new Skb();
  skb.env = hostEnv;
  return skb;
}

/**
 * 4,096 first packets to ClusterIPs of kube-proxy's own `nft -f` text (bench/fixtures's
 * kubeProxyNft: the `add element ip kube-proxy service-ips` lines), drawn at random, half from
 * inside the cluster CIDR: nft.bench.ts's "own text" rows and the driver's `own-…` modes. With
 * `withoutAffinity`, only to ClusterIPs of services without session affinity (the driver's
 * `…-noaffinity` modes).
 */
export function ownTextPackets(text: string, withoutAffinity = false): Skb[] {
  let svcs = clusterIps(text);
  if (withoutAffinity) {
    // The ClusterIPs whose service chain looks the client up in an affinity set (session affinity).
    const aff = new Set(
      [
        ...text.matchAll(
          /add rule ip kube-proxy (service-\S+) ip daddr ([\d.]+) .*\nadd rule ip kube-proxy \1 ip saddr @affinity-/g,
        ),
      ].map((m) => m[2]!),
    );
    svcs = svcs.filter(
      (v) => !aff.has([v[0]! >>> 24, (v[0]! >>> 16) & 255, (v[0]! >>> 8) & 255, v[0]! & 255].join('.')),
    );
  }
  const skbs: Skb[] = [];
  let rnd = 777;
  for (let k = 0; k < 4096; k++) {
    rnd = (Math.imul(rnd, 1103515245) + 12345) >>> 0;
    const [dst, proto, port] = svcs[rnd % svcs.length]!;
    skbs.push(firstPacket(k, k % 2 === 0 ? 0x0a000005 : 0xc6336409, dst!, proto!, port!));
  }
  return skbs;
}

/** The ClusterIPs (address, l4proto, port) of kube-proxy's text that ownTextPackets draws from. */
export const clusterIps = (text: string): number[][] =>
  [...text.matchAll(/add element ip kube-proxy service-ips \{ ([\d.]+) \. (tcp|udp) \. (\d+) :/g)].map(
    (m) => [m[1]!.split('.').reduce((a, b) => a * 256 + Number(b), 0), m[2] === 'tcp' ? 6 : 17, Number(m[3])],
  );
