// The nft evaluator in the engine (nft_do_chain and its expressions): packets through
// `new Netfilter({ ruleset: <empty iptables>, frontEnds: [nftFrontEnd(rs)] })`, with exact
// verdicts, rewritten packets, conntrack tuples and counters. Where the kernel has spoken through
// iptables (the NAT tuples of the seed's hairpin, kernel reference runs in docs/netfilter-facts),
// the nft rule with the same range is held to the iptables engine's answer: both are the kernel's
// nf_nat_setup_info with the same nf_nat_range2 (nft_nat.c and xt_nat.c build the same one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTcpPacket, buildUdpPacket } from '../../../src/wire/packet.ts';
import { ipv4Dst, ipv4Src } from '../../../src/wire/ipv4.ts';
import { read16 } from '../../../src/wire/checksum.ts';
import { Skb } from '../../../src/netfilter/core/skb.ts';
import { NF_ACCEPT, NF_DROP, Netfilter } from '../../../src/netfilter/core/engine.ts';
import { SeededRng } from '../../../src/netfilter/nat/nat-core.ts';
import { TupleBuf } from '../../../src/netfilter/conntrack/tuple.ts';
import { checkNft, nftFrontEnd } from '../../../src/netfilter/nftables/index.ts';
import type { NftStmt } from '../../../src/rules/nft/model.ts';
import { assertChecksums, engine, forward, HOST, ip, ruleset } from '../helpers.ts';
import {
  addr,
  amap,
  anon,
  cat,
  chain,
  counter,
  ct,
  fwd,
  match,
  meta,
  nftEngine,
  num,
  pay,
  port,
  prefix,
  range,
  ref,
  rs,
  rule,
  set,
  str,
  table,
  verdict,
  verdictV,
} from './dsl.ts';

const syn = (src: string, dst: string, sport: number, dport: number): Uint8Array =>
  buildTcpPacket(
    { src: ip(src), dst: ip(dst), id: 1 },
    { srcPort: sport, dstPort: dport, seq: 1, ack: 0, flags: 0x02, window: 100 },
  );
const udp = (src: string, dst: string, sport: number, dport: number): Uint8Array =>
  buildUdpPacket({ src: ip(src), dst: ip(dst), id: 1 }, { srcPort: sport, dstPort: dport });

const reply = (nf: ReturnType<typeof nftEngine>, e: number): TupleBuf =>
  nf.conntrack.readTuple(e, 1, new TupleBuf());

test('nft eval: the seed hairpin as fw4 writes it (dnat + snat) gives the iptables engine tuples', () => {
  // table ip fw4 {
  //   chain dstnat { type nat hook prerouting priority dstnat; policy accept;
  //     iifname "br-lan" ip saddr 192.168.1.0/24 ip daddr 203.0.113.22 tcp dport 80 counter dnat ip to 192.168.1.200:80 }
  //   chain srcnat { type nat hook postrouting priority srcnat; policy accept;
  //     oifname "br-lan" ip saddr 192.168.1.0/24 ip daddr 192.168.1.200 tcp dport 80 counter snat ip to 192.168.1.1 } }
  const c1 = counter();
  const c2 = counter();
  const nft = rs(
    table('ip', 'fw4', [
      chain(
        'dstnat',
        [
          rule(
            match(meta('iifname'), str('br-lan')),
            match(pay('ip', 'saddr'), prefix('192.168.1.0', 24)),
            match(pay('ip', 'daddr'), addr('203.0.113.22')),
            match(pay('tcp', 'dport'), port(80)),
            c1,
            { kind: 'nat', type: 'dnat', family: 'ip', addr: addr('192.168.1.200'), port: port(80) },
          ),
        ],
        { hook: 'prerouting', type: 'nat', priority: -100 },
      ),
      chain(
        'srcnat',
        [
          rule(
            match(meta('oifname'), str('br-lan')),
            match(pay('ip', 'saddr'), prefix('192.168.1.0', 24)),
            match(pay('ip', 'daddr'), addr('192.168.1.200')),
            match(pay('tcp', 'dport'), port(80)),
            c2,
            { kind: 'nat', type: 'snat', family: 'ip', addr: addr('192.168.1.1') },
          ),
        ],
        { hook: 'postrouting', type: 'nat', priority: 100 },
      ),
    ]),
  );
  assert.deepEqual(checkNft(nft), []);
  const nf = nftEngine(nft);
  const skb = new Skb();
  const buf = syn('192.168.1.10', '203.0.113.22', 40000, 80);
  assert.equal(fwd(nf, skb, buf, 'br-lan', 'br-lan', 1), NF_ACCEPT);
  assert.equal(ipv4Src(buf, 0), ip('192.168.1.1'));
  assert.equal(ipv4Dst(buf, 0), ip('192.168.1.200'));
  assertChecksums(buf);
  const r = reply(nf, skb.ct);
  // The iptables engine's answer for the seed's two rules (SEED_RULES, kernel-checked elsewhere).
  const xt = engine(
    [
      'iptables -t nat -A PREROUTING -i br-lan -s 192.168.1.0/24 -d 203.0.113.22/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 192.168.1.200:80',
      'iptables -t nat -A POSTROUTING -o br-lan -s 192.168.1.0/24 -d 192.168.1.200/32 -p tcp -m tcp --dport 80 -j SNAT --to-source 192.168.1.1',
    ].join('\n'),
  );
  const buf2 = syn('192.168.1.10', '203.0.113.22', 40000, 80);
  assert.equal(forward(xt, buf2, 'br-lan', 'br-lan', 1), NF_ACCEPT);
  assert.deepEqual(buf, buf2);
  assert.deepEqual([r.src, r.dst, r.sport, r.dport], [ip('192.168.1.200'), ip('192.168.1.1'), 80, 40000]);
  assert.deepEqual([c1.packets, c1.bytes, c2.packets, c2.bytes], [1, 40, 1, 40]);
  // The reply comes back through the entry (nf_nat_packet), no rule runs.
  const back = buildTcpPacket(
    { src: ip('192.168.1.200'), dst: ip('192.168.1.1'), id: 2 },
    { srcPort: 80, dstPort: 40000, seq: 9, ack: 2, flags: 0x12, window: 100 },
  );
  assert.equal(fwd(nf, skb, back, 'br-lan', 'br-lan', 2), NF_ACCEPT);
  assert.equal(ipv4Src(back, 0), ip('203.0.113.22'));
  assert.equal(ipv4Dst(back, 0), ip('192.168.1.10'));
  assert.equal(c1.packets, 1);
});

test('nft eval: masquerade fully-random and a port-range dnat build the same ranges as iptables', () => {
  const nft = rs(
    table('ip', 'nat', [
      chain(
        'pre',
        [
          rule(match(pay('udp', 'dport'), port(53)), {
            kind: 'nat',
            type: 'dnat',
            addr: addr('192.168.1.53'),
            port: range(port(5300), port(5310)),
          }),
        ],
        { hook: 'prerouting', type: 'nat', priority: -100 },
      ),
      chain(
        'post',
        [
          rule(match(meta('oifname'), str('wan')), {
            kind: 'nat',
            type: 'masquerade',
            flags: ['fully-random'],
          }),
        ],
        { hook: 'postrouting', type: 'nat', priority: 100 },
      ),
    ]),
  );
  for (const seed of [1, 2, 3]) {
    const nf = nftEngine(nft, '', seed);
    const xs = engine(
      [
        'iptables -t nat -A PREROUTING -p udp --dport 53 -j DNAT --to-destination 192.168.1.53:5300-5310',
        'iptables -t nat -A POSTROUTING -o wan -j MASQUERADE --random-fully',
      ].join('\n'),
      { seed },
    );
    for (let i = 0; i < 5; i++) {
      const a = syn('192.168.1.10', '198.51.100.7', 40000 + i, 443);
      const b = syn('192.168.1.10', '198.51.100.7', 40000 + i, 443);
      const skb = new Skb();
      assert.equal(fwd(nf, skb, a, 'br-lan', 'wan', 1), NF_ACCEPT);
      assert.equal(forward(xs, b, 'br-lan', 'wan', 1), NF_ACCEPT);
      assert.deepEqual(a, b, `seed ${seed}, packet ${i}`);
      assert.equal(ipv4Src(a, 0), ip('203.0.113.22'));
      const u = udp('192.168.1.10', '198.51.100.7', 1234 + i, 53);
      const v = udp('192.168.1.10', '198.51.100.7', 1234 + i, 53);
      assert.equal(fwd(nf, skb, u, 'br-lan', 'br-lan', 1), NF_ACCEPT);
      assert.equal(forward(xs, v, 'br-lan', 'br-lan', 1), NF_ACCEPT);
      assert.deepEqual(u, v);
      assert.equal(ipv4Dst(u, 0), ip('192.168.1.53'));
      const dport = read16(u, 22);
      assert.ok(dport >= 5300 && dport <= 5310, `port ${dport}`);
    }
  }
});

test('nft eval: jump, goto, return and the policy as nft_do_chain walks them', () => {
  // chain fwd { type filter hook forward priority filter; policy drop;
  //   jump a ; tcp dport 22 accept }
  // chain a { tcp dport 80 goto b ; tcp dport 22 return ; udp dport 53 accept }
  // chain b { ip saddr 192.168.1.66 drop ; accept }
  const nft = rs(
    table('inet', 'filter', [
      chain(
        'fwd',
        [rule(verdict('jump', 'a')), rule(match(pay('tcp', 'dport'), port(22)), verdict('accept'))],
        {
          hook: 'forward',
          policy: 'drop',
        },
      ),
      chain('a', [
        rule(match(pay('tcp', 'dport'), port(80)), verdict('goto', 'b')),
        rule(match(pay('tcp', 'dport'), port(22)), verdict('return')),
        rule(match(pay('udp', 'dport'), port(53)), verdict('accept')),
      ]),
      chain('b', [
        rule(match(pay('ip', 'saddr'), addr('192.168.1.66')), verdict('drop')),
        rule(verdict('accept')),
      ]),
    ]),
  );
  const nf = nftEngine(nft);
  const skb = new Skb();
  const cases: [Uint8Array, number][] = [
    [syn('192.168.1.10', '198.51.100.7', 1000, 80), NF_ACCEPT], // goto b, accept
    [syn('192.168.1.66', '198.51.100.7', 1000, 80), NF_DROP], // goto b, drop
    [syn('192.168.1.10', '198.51.100.7', 1000, 22), NF_ACCEPT], // return, then accept in fwd
    [udp('192.168.1.10', '198.51.100.7', 1000, 53), NF_ACCEPT],
    [udp('192.168.1.10', '198.51.100.7', 1000, 54), NF_DROP], // the end of a, of fwd: policy drop
  ];
  for (const [buf, want] of cases) assert.equal(fwd(nf, skb, buf, 'br-lan', 'wan', 1), want);
});

test('nft eval: a base chain beside iptables on one hook runs in priority order', () => {
  // nft at priority -10 marks, iptables filter (0) drops the mark; nft at +10 would come too late.
  const marker = (priority: number) =>
    rs(
      table('ip', 't', [
        chain('f', [rule({ kind: 'set', target: meta('mark'), value: num(1, 'mark') } as NftStmt)], {
          hook: 'forward',
          priority,
        }),
        chain('g', [rule(match(meta('mark'), num(7, 'mark')), verdict('drop'))], {
          hook: 'forward',
          priority: priority + 1,
        }),
      ]),
    );
  const ipt = 'iptables -A FORWARD -m mark --mark 1 -j DROP\niptables -A FORWARD -j MARK --set-mark 7';
  const skb = new Skb();
  // -10: nft marks 1, iptables (0) drops it.
  assert.equal(
    fwd(nftEngine(marker(-10), ipt), skb, syn('192.168.1.10', '198.51.100.7', 1, 2), 'a', 'b', 1),
    NF_DROP,
  );
  assert.equal(skb.dropTable, 4, 'dropped by the iptables filter table');
  // +10: iptables sees mark 0 and sets 7; nft (10) sets 1; nft chain g (11) sees 1: accepted.
  assert.equal(
    fwd(nftEngine(marker(10), ipt), skb, syn('192.168.1.10', '198.51.100.7', 1, 2), 'a', 'b', 1),
    NF_ACCEPT,
  );
  assert.equal(skb.mark, 1);
  // The engine's hook entries, in order.
  const nf = nftEngine(marker(-10), ipt);
  assert.deepEqual(
    nf.hookEntries[2]!.map((e) => [e.priority, e.table?.name]),
    [
      [-10, 'ip t f'],
      [-9, 'ip t g'],
      [0, 'filter'],
    ],
  );
});

test("nft eval: kube-proxy's service vmap (ip daddr . meta l4proto . th dport) to per-service dnat", () => {
  const nft = kubeShape();
  assert.deepEqual(checkNft(nft), []);
  const nf = nftEngine(nft);
  const skb = new Skb();
  const a = syn('10.0.0.5', '172.30.0.41', 40000, 80);
  assert.equal(fwd(nf, skb, a, 'eth0', 'eth1', 1), NF_ACCEPT);
  assert.equal(ipv4Dst(a, 0), ip('10.180.0.1'));
  assert.equal(read16(a, 22), 8080);
  // Another service, udp: second endpoint by numgen inc (0, then 1).
  const u1 = udp('10.0.0.5', '172.30.0.42', 1000, 53);
  const u2 = udp('10.0.0.5', '172.30.0.42', 1001, 53);
  assert.equal(fwd(nf, skb, u1, 'eth0', 'eth1', 1), NF_ACCEPT);
  assert.equal(fwd(nf, skb, u2, 'eth0', 'eth1', 1), NF_ACCEPT);
  assert.deepEqual([ipv4Dst(u1, 0), ipv4Dst(u2, 0)], [ip('10.180.1.1'), ip('10.180.1.2')]);
  // No element: no NAT (a null binding), the packet goes on unchanged.
  const none = syn('10.0.0.5', '172.30.0.41', 40001, 81);
  assert.equal(fwd(nf, skb, none, 'eth0', 'eth1', 1), NF_ACCEPT);
  assert.equal(ipv4Dst(none, 0), ip('172.30.0.41'));
  // Masquerade mark: from outside 10.0.0.0/8 the service chain jumps to mark-for-masquerade.
  const out = syn('198.51.100.9', '172.30.0.41', 40000, 80);
  assert.equal(fwd(nf, skb, out, 'eth0', 'eth1', 1), NF_ACCEPT);
  assert.equal(skb.mark & 0x4000, 0, 'masquerading cleared the mark bit (meta mark ^ 0x4000)');
  assert.equal(ipv4Src(out, 0), ip('192.168.1.1'));
});

/** kube-proxy's nftables shape (pkg/proxy/nftables/proxier.go), two services. */
export function kubeShape() {
  const svc = (name: string, daddr: string, eps: [string, number][]): ReturnType<typeof chain>[] => {
    const epChains = eps.map(([a, p], i) =>
      chain(`endpoint-${name}-${i}`, [
        rule(match(pay('ip', 'saddr'), addr(a)), verdict('jump', 'mark-for-masquerade')),
        rule(match(meta('l4proto'), num(6, 'inet_proto')), {
          kind: 'nat',
          type: 'dnat',
          family: 'ip',
          addr: addr(a),
          port: port(p),
        }),
        rule(match(meta('l4proto'), num(17, 'inet_proto')), {
          kind: 'nat',
          type: 'dnat',
          family: 'ip',
          addr: addr(a),
          port: port(p),
        }),
      ]),
    );
    return [
      chain(`service-${name}`, [
        rule(
          match(pay('ip', 'daddr'), addr(daddr)),
          match(pay('ip', 'saddr'), prefix('10.0.0.0', 8), '!='),
          verdict('jump', 'mark-for-masquerade'),
        ),
        rule({
          kind: 'vmap',
          key: { kind: 'numgen', mode: 'inc', mod: eps.length, offset: 0 },
          map: amap(
            ...eps.map(
              (_, i) =>
                [num(i), verdictV('goto', `endpoint-${name}-${i}`)] as [
                  ReturnType<typeof num>,
                  ReturnType<typeof verdictV>,
                ],
            ),
          ),
        }),
      ]),
      ...epChains,
    ];
  };
  const services = [
    ...svc('a', '172.30.0.41', [['10.180.0.1', 8080]]),
    ...svc('b', '172.30.0.42', [
      ['10.180.1.1', 53],
      ['10.180.1.2', 53],
    ]),
  ];
  return rs(
    table(
      'ip',
      'kube-proxy',
      [
        chain('nat-prerouting', [rule(verdict('jump', 'services'))], {
          hook: 'prerouting',
          type: 'nat',
          priority: -100,
        }),
        chain('nat-postrouting', [rule(verdict('jump', 'masquerading'))], {
          hook: 'postrouting',
          type: 'nat',
          priority: 100,
        }),
        chain('masquerading', [
          rule(
            match(
              { kind: 'binop', op: '&', left: meta('mark'), right: num(0x4000, 'mark') },
              num(0, 'mark'),
              '==',
            ),
            verdict('return'),
          ),
          rule({
            kind: 'set',
            target: meta('mark'),
            value: { kind: 'binop', op: '^', left: meta('mark'), right: num(0x4000, 'mark') },
          }),
          rule({ kind: 'nat', type: 'masquerade', flags: ['fully-random'] }),
        ]),
        chain('mark-for-masquerade', [
          rule({
            kind: 'set',
            target: meta('mark'),
            value: { kind: 'binop', op: '|', left: meta('mark'), right: num(0x4000, 'mark') },
          }),
        ]),
        chain('services', [
          rule({
            kind: 'vmap',
            key: cat(pay('ip', 'daddr'), meta('l4proto'), pay('th', 'dport')),
            map: ref('service-ips'),
          }),
        ]),
        ...services,
      ],
      [
        set(
          'service-ips',
          ['ipv4_addr', 'inet_proto', 'inet_service'],
          [
            {
              key: cat(addr('172.30.0.41'), num(6, 'inet_proto'), port(80)),
              data: verdictV('goto', 'service-a'),
            },
            {
              key: cat(addr('172.30.0.42'), num(17, 'inet_proto'), port(53)),
              data: verdictV('goto', 'service-b'),
            },
          ],
          { isMap: true, data: { types: ['verdict'] } },
        ),
      ],
    ),
  );
}

test('nft eval: interval sets, concatenated sets and negation by lookup', () => {
  // ip saddr { 10.0.0.0/8, 192.168.1.100-192.168.1.200 } tcp dport != { 22, 80 } drop
  // ip saddr . tcp dport @allow accept   (set allow { type ipv4_addr . inet_service; elements = { 192.168.1.10 . 22 } })
  const nft = rs(
    table(
      'ip',
      'f',
      [
        chain(
          'in',
          [
            rule(match(pay('ip', 'saddr'), ref('allow')), verdict('accept')),
            rule(
              match(
                pay('ip', 'saddr'),
                anon(prefix('10.0.0.0', 8), range(addr('192.168.1.100'), addr('192.168.1.200'))),
              ),
              match(pay('tcp', 'dport'), anon(port(22), port(80)), '!='),
              verdict('drop'),
            ),
            rule(match(cat(pay('ip', 'saddr'), pay('tcp', 'dport')), ref('pairs')), verdict('drop')),
          ],
          { hook: 'forward' },
        ),
      ],
      [
        set('allow', ['ipv4_addr'], [{ key: addr('10.9.9.9') }]),
        set('pairs', ['ipv4_addr', 'inet_service'], [{ key: cat(addr('192.168.1.10'), port(22)) }]),
      ],
    ),
  );
  const nf = nftEngine(nft);
  const skb = new Skb();
  const v = (s: string, d: number): number => fwd(nf, skb, syn(s, '198.51.100.1', 1000, d), 'a', 'b', 1);
  assert.equal(v('10.1.2.3', 443), NF_DROP);
  assert.equal(v('10.1.2.3', 22), NF_ACCEPT);
  assert.equal(v('10.9.9.9', 443), NF_ACCEPT, 'the named set comes first');
  assert.equal(v('192.168.1.150', 8080), NF_DROP);
  assert.equal(v('192.168.1.201', 8080), NF_ACCEPT);
  assert.equal(v('192.168.1.10', 22), NF_DROP, 'the concatenated element');
  assert.equal(v('192.168.1.10', 23), NF_ACCEPT);
});

test('nft eval: ct state, ct mark set and the established path', () => {
  // chain fwd { policy drop; ct state established,related accept; ct state new ct mark set 0x2a accept }
  const nft = rs(
    table('inet', 'f', [
      chain(
        'fwd',
        [
          rule(match(ct('state'), num(6, 'ct_state')), verdict('accept')),
          rule(
            match(ct('state'), num(8, 'ct_state')),
            { kind: 'set', target: ct('mark'), value: num(42, 'mark') },
            verdict('accept'),
          ),
        ],
        { hook: 'forward', policy: 'drop' },
      ),
    ]),
  );
  const nf = nftEngine(nft);
  assert.ok(nf.tracking, 'ct expressions turn conntrack on');
  const skb = new Skb();
  assert.equal(fwd(nf, skb, syn('192.168.1.10', '198.51.100.1', 1000, 80), 'a', 'b', 1), NF_ACCEPT);
  const e = skb.ct;
  assert.equal(nf.conntrack.mark[e], 42);
  const back = buildTcpPacket(
    { src: ip('198.51.100.1'), dst: ip('192.168.1.10'), id: 2 },
    { srcPort: 80, dstPort: 1000, seq: 9, ack: 2, flags: 0x12, window: 100 },
  );
  assert.equal(fwd(nf, skb, back, 'b', 'a', 2), NF_ACCEPT);
});

test('nft eval: limit, quota and counters keep their state in the engine', () => {
  // udp dport 53 limit rate 2/second burst 2 packets counter accept ; udp dport 53 drop
  // tcp dport 80 quota until 100 bytes accept ; tcp dport 80 drop
  const c = counter();
  const q: NftStmt & { kind: 'quota' } = { kind: 'quota', over: false, bytes: 100, used: 0 };
  const nft = rs(
    table('ip', 'f', [
      chain(
        'fwd',
        [
          rule(
            match(pay('udp', 'dport'), port(53)),
            { kind: 'limit', rate: 2, per: 'second', unit: 'packets', burst: 2, over: false },
            c,
            verdict('accept'),
          ),
          rule(match(pay('udp', 'dport'), port(53)), verdict('drop')),
          rule(match(pay('tcp', 'dport'), port(80)), q, verdict('accept')),
          rule(match(pay('tcp', 'dport'), port(80)), verdict('drop')),
        ],
        { hook: 'forward' },
      ),
    ]),
  );
  const nf = nftEngine(nft);
  const skb = new Skb();
  const d = (t: number): number => fwd(nf, skb, udp('192.168.1.10', '198.51.100.1', 1, 53), 'a', 'b', t);
  // Burst 2: two at once, the third waits for a token (0.5 s each).
  assert.deepEqual([d(1), d(1), d(1), d(1.5), d(1.5)], [NF_ACCEPT, NF_ACCEPT, NF_DROP, NF_ACCEPT, NF_DROP]);
  assert.deepEqual([c.packets, c.bytes], [3, 3 * 28]);
  // 40-byte SYNs: consumed 40, 80 pass; 120 >= 100 is over (nft_overquota: consumed >= quota).
  const t = (): number => fwd(nf, skb, syn('192.168.1.10', '198.51.100.1', 1, 80), 'a', 'b', 2);
  assert.deepEqual([t(), t(), t()], [NF_ACCEPT, NF_ACCEPT, NF_DROP]);
  assert.equal(q.used, 100);
});

test('nft eval: an inet table: IPv6-only rules never match an IPv4 packet', () => {
  const nft = rs(
    table('inet', 'f', [
      chain(
        'fwd',
        [
          rule(
            match(pay('ip6', 'saddr'), { kind: 'value', type: 'ipv6_addr', value: '2001:db8::1' }),
            verdict('drop'),
          ),
          rule(match(meta('nfproto'), num(10, 'nf_proto')), verdict('drop')),
        ],
        { hook: 'forward' },
      ),
    ]),
  );
  assert.equal(
    fwd(nftEngine(nft), new Skb(), syn('192.168.1.10', '198.51.100.1', 1, 80), 'a', 'b', 1),
    NF_ACCEPT,
  );
});

test('nft eval: checkNft names what it does not run, at its position', () => {
  const at = { file: 'r.nft', line: 4, column: 9 };
  // `meta secpath exists`: read and printed, not simulated.
  const secpath = (): NftStmt => ({ ...match(meta('secpath'), num(1, 'boolean')), pos: at });
  const nft = rs(
    table('ip', 'f', [chain('fwd', [rule(secpath())], { hook: 'forward' })]),
    table('ip6', 'g', [chain('in', [], { hook: 'input' })]),
    // A netdev chain runs at its device (netdev.ts): only what it cannot run is named.
    table('netdev', 'h', [
      chain('ing', [rule({ kind: 'verdict', verdict: 'drop' }), rule(secpath())], {
        hook: 'ingress',
      }),
    ]),
    // No rule, policy accept (ebtables-nft's empty bridge tables): it changes no packet, a note.
    table('bridge', 'filter', [chain('FORWARD', [], { hook: 'forward' })]),
  );
  const p = checkNft(nft);
  assert.deepEqual(
    p.map((x) => [x.file, x.line, x.column, x.token, x.severity ?? 'error']),
    [
      ['r.nft', 4, 9, 'meta secpath', 'error'],
      ['<nft>', 1, 1, 'ip6', 'note'],
      ['r.nft', 4, 9, 'meta secpath', 'error'],
      ['<nft>', 1, 1, 'bridge', 'note'],
    ],
  );
  assert.match(p[0]!.message, /meta secpath is read and printed but not simulated/);
});

test('nft eval: last (nft_last) records the time and lets the packet go on', () => {
  // chain fwd { type filter hook forward priority 0; policy accept; last; tcp dport 80 drop }
  const nft = rs(
    table('ip', 'f', [
      chain('fwd', [rule({ kind: 'last' }), rule(match(pay('tcp', 'dport'), port(80)), verdict('drop'))], {
        hook: 'forward',
      }),
    ]),
  );
  assert.deepEqual(checkNft(nft), []);
  const nf = nftEngine(nft);
  assert.equal(fwd(nf, new Skb(), syn('192.168.1.10', '198.51.100.1', 1, 80), 'a', 'b', 1), NF_DROP);
  assert.equal(fwd(nf, new Skb(), syn('192.168.1.10', '198.51.100.1', 1, 81), 'a', 'b', 1), NF_ACCEPT);
});

test('nft eval: add/update/delete @set from the packet path, with timeouts and a per-element limit', () => {
  // set seen { type ipv4_addr; flags dynamic,timeout; timeout 10s }
  // chain in { type filter hook forward priority 0; policy drop;
  //   udp dport 1 delete @seen { ip saddr }
  //   ip saddr @seen accept
  //   tcp dport 22 add @seen { ip saddr } drop
  //   udp dport 53 update @meter { ip saddr limit rate over 1/second burst 1 packets } drop
  //   udp dport 53 accept }
  const nft = rs(
    table(
      'ip',
      'f',
      [
        chain(
          'in',
          [
            rule(match(pay('udp', 'dport'), port(1)), {
              kind: 'dynset',
              op: 'delete',
              set: 'seen',
              key: pay('ip', 'saddr'),
            }),
            rule(match(pay('ip', 'saddr'), ref('seen')), verdict('accept')),
            rule(
              match(pay('tcp', 'dport'), port(22)),
              { kind: 'dynset', op: 'add', set: 'seen', key: pay('ip', 'saddr') },
              verdict('drop'),
            ),
            rule(
              match(pay('udp', 'dport'), port(53)),
              {
                kind: 'dynset',
                op: 'update',
                set: 'meter',
                key: pay('ip', 'saddr'),
                stmts: [{ kind: 'limit', rate: 1, per: 'second', unit: 'packets', burst: 1, over: true }],
              },
              verdict('drop'),
            ),
            rule(match(pay('udp', 'dport'), port(53)), verdict('accept')),
          ],
          { hook: 'forward', policy: 'drop' },
        ),
      ],
      [
        set('seen', ['ipv4_addr'], [], { flags: ['dynamic', 'timeout'], timeout: 10_000 }),
        set('meter', ['ipv4_addr'], [], { flags: ['dynamic'] }),
      ],
    ),
  );
  assert.deepEqual(checkNft(nft), []);
  const nf = nftEngine(nft);
  const skb = new Skb();
  const t = (src: string, d: number, at: number): number =>
    fwd(nf, skb, syn(src, '198.51.100.1', 1, d), 'a', 'b', at);
  const u = (src: string, d: number, at: number): number =>
    fwd(nf, skb, udp(src, '198.51.100.1', 1, d), 'a', 'b', at);
  assert.equal(t('192.168.1.10', 80, 1), NF_DROP, 'not in the set yet: the policy');
  assert.equal(t('192.168.1.10', 22, 1), NF_DROP, 'added, dropped');
  assert.equal(t('192.168.1.10', 80, 2), NF_ACCEPT, 'in the set: accepted');
  assert.equal(u('192.168.1.10', 1, 3), NF_DROP, 'deleted, so not in the set: the policy');
  assert.equal(t('192.168.1.10', 22, 4), NF_DROP, 'added again at 4 s');
  assert.equal(u('192.168.1.10', 7, 13.9), NF_ACCEPT, 'still there at 13.9 s (via the accept)');
  assert.equal(u('192.168.1.11', 7, 14), NF_DROP, 'never added');
  // The timeout (10 s from 4 s) has passed: the element is gone.
  assert.equal(t('192.168.1.10', 80, 14.1), NF_DROP);
  // The meter: burst 1 at 1/second: the first packet is within the rate (no drop), the second over.
  assert.deepEqual(
    [
      u('192.168.1.20', 53, 20),
      u('192.168.1.20', 53, 20),
      u('192.168.1.21', 53, 20),
      u('192.168.1.20', 53, 21.01),
    ],
    [NF_ACCEPT, NF_DROP, NF_ACCEPT, NF_ACCEPT],
  );
});

test('nft eval: the tracer hears rules, misses with a reason, and the policy, named by table and chain', () => {
  const nft = rs(
    table('inet', 'f', [
      chain(
        'fwd',
        [rule(match(pay('tcp', 'dport'), port(22)), verdict('accept')), rule(verdict('jump', 'x'))],
        {
          hook: 'forward',
          policy: 'drop',
        },
      ),
      chain('x', [rule(counter())]),
    ]),
  );
  const nf = nftEngine(nft);
  const events: string[] = [];
  nf.tracer = {
    rule: (h, t, c, i, r) =>
      events.push(`rule ${h} ${t} ${c} ${i} ${r.lang} ${(r as unknown as { handle: number }).handle > 0}`),
    ruleMiss: (h, t, c, i, _r, why) => events.push(`miss ${h} ${t} ${c} ${i} ${why}`),
    policy: (h, t, c, p) => events.push(`policy ${h} ${t} ${c} ${p}`),
    conntrack: () => undefined,
    ctEvent: () => undefined,
    nat: () => undefined,
    nullBinding: () => undefined,
  };
  assert.equal(fwd(nf, new Skb(), syn('192.168.1.10', '198.51.100.1', 1, 80), 'a', 'b', 1), NF_DROP);
  assert.deepEqual(events, [
    'miss FORWARD inet f fwd 1 tcp dport did not match',
    'rule FORWARD inet f fwd 2 nft true',
    'rule FORWARD inet f x 1 nft true',
    // NFT_TRACE_POLICY names the base chain (nft_do_chain: nft_trace_packet(pkt, basechain, ...)).
    'policy FORWARD inet f fwd drop',
  ]);
});

test('nft eval: an engine replacing another keeps the packet path set elements and limit buckets', () => {
  const build = () =>
    rs(
      table(
        'ip',
        'f',
        [
          chain(
            'in',
            [
              rule(match(pay('ip', 'saddr'), ref('seen')), verdict('accept')),
              rule(
                match(pay('tcp', 'dport'), port(22)),
                { kind: 'dynset', op: 'add', set: 'seen', key: pay('ip', 'saddr') },
                verdict('drop'),
              ),
            ],
            { hook: 'forward', policy: 'drop' },
          ),
        ],
        [set('seen', ['ipv4_addr'], [], { flags: ['dynamic'] })],
      ),
    );
  const first = nftEngine(build());
  const skb = new Skb();
  assert.equal(fwd(first, skb, syn('192.168.1.10', '198.51.100.1', 1, 22), 'a', 'b', 1), NF_DROP);
  // A new ruleset (the same text read again, as after `nft -f`): the element stays (the kernel
  // keeps a set's elements across a transaction that does not flush it).
  const next = new Netfilter({
    ruleset: ruleset(''),
    frontEnds: [nftFrontEnd(build())],
    host: HOST,
    rng: new SeededRng(1),
    previous: first,
  });
  assert.equal(fwd(next, skb, syn('192.168.1.10', '198.51.100.1', 1, 80), 'a', 'b', 2), NF_ACCEPT);
  assert.equal(fwd(next, skb, syn('192.168.1.11', '198.51.100.1', 1, 80), 'a', 'b', 2), NF_DROP);
});
