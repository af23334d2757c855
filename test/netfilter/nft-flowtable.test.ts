// nftables flowtables and `flow add @ft` against the kernel's source (this machine's kernel has no
// nf_flow_table, so no live run): net/netfilter/nft_flow_offload.c (nft_flow_offload_eval),
// nf_flow_table_core.c (flow_offload_add, flow_offload_refresh, flow_offload_teardown,
// flow_offload_fixup_ct, nf_flow_offload_gc_step), nf_flow_table_ip.c (nf_flow_offload_ip_hook,
// nf_flow_tuple_ip, nf_flow_state_check, nf_flow_nat_ip), include/net/netfilter/nf_conntrack.h
// (nf_ct_offload_timeout), nf_conntrack_standalone.c ct_seq_show and libnetfilter_conntrack's
// __snprintf_status_assured ([OFFLOAD] in place of [ASSURED]). The scenario is
// examples/openwrt/flow-offload.yaml (fw4's flowtable and `meta l4proto { tcp, udp } flow offload
// @ft`, openwrt/firewall4 @ b6e51575 templates/ruleset.uc).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { natboxSide } from '../../src/oracle/packets.ts';
import {
  ConntrackTable,
  IPS_ASSURED,
  IPS_CONFIRMED,
  IPS_DST_NAT_DONE,
  IPS_OFFLOAD,
  IPS_SEEN_REPLY,
  IPS_SRC_NAT,
  IPS_SRC_NAT_DONE,
} from '../../src/netfilter/conntrack/table.ts';
import { TupleBuf } from '../../src/netfilter/conntrack/tuple.ts';
import {
  TCP_CONNTRACK_ESTABLISHED,
  TCP_CONNTRACK_SYN_RECV,
} from '../../src/netfilter/conntrack/proto-tcp.ts';
import { defaultTimeouts } from '../../src/netfilter/conntrack/timeouts.ts';
import { formatConntrackLine } from '../../src/netfilter/conntrack/format.ts';
import { FlowState, flowtableDefs } from '../../src/netfilter/nftables/flowtable.ts';
import { Skb } from '../../src/netfilter/core/skb.ts';
import { buildTcpPacket, buildUdpPacket } from '../../src/wire/packet.ts';
import { ipv4ChecksumOk, IPPROTO_TCP, IPPROTO_UDP } from '../../src/wire/ipv4.ts';
import { tcpChecksumOk, TCP_ACK, TCP_FIN, TCP_PSH } from '../../src/wire/tcp.ts';
import { parseNft } from '../../src/rules/nft/index.ts';
import type { TimedStep } from '../../src/stack/steps.ts';

const EXAMPLE = 'examples/openwrt/flow-offload.yaml';

function run(text: string) {
  const r = simulateScenario(text, EXAMPLE);
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  return r;
}

/** Each router packet that came in, with what followed it on the router until the next one. */
function routerSteps(steps: readonly TimedStep[]): { pkt: string; after: string[] }[] {
  const out: { pkt: string; after: string[] }[] = [];
  for (const s of steps) {
    if (s.host !== 'router') continue;
    if (s.kind === 'packet' && s.dir === 'in') {
      const p = natboxSide([{ t: s.t, host: s.host, ifname: s.ifname, frame: s.frame, dir: 'in' }])
        .packets[0];
      if (!p) continue;
      out.push({
        pkt: `${s.ifname} ${p.src}:${p.sport}>${p.dst}:${p.dport} ${p.flags ?? ''}`.trim(),
        after: [],
      });
    } else if (out.length > 0) {
      const cur = out[out.length - 1]!;
      if (s.kind === 'route' && s.decision === 'flowtable')
        cur.after.push(`route ${s.decision}${s.flowtable ? ` ${s.flowtable}` : ''} ${s.dev}`);
      else if (s.kind === 'rule') cur.after.push(`rule ${s.chain} ${s.index}`);
      else if (s.kind === 'packet' && s.frame[12] === 8 && s.frame[13] === 0)
        cur.after.push(`out ${s.ifname}`);
    }
  }
  return out;
}

test('fw4 flow offloading: after the third ACK the connection skips the hooks, both ways, until the FIN', () => {
  const r = run(readFileSync(EXAMPLE, 'utf8'));
  assert.deepEqual(
    r.sim.results.map((f) => f.verdict),
    ['connected', 'reply'],
  );
  const tcp = routerSteps(r.sim.steps).filter((x) => x.pkt.includes(':40000') && !x.pkt.includes('arp'));
  assert.deepEqual(
    tcp.map((x) => `${x.pkt} | ${x.after.join(', ')}`),
    [
      // The SYN: new, not confirmed: flow add breaks (nft_flow_offload_eval: !nf_ct_is_confirmed).
      'lan 192.168.1.10:40000>203.0.113.1:80 S | rule forward 3, rule forward_lan 1, rule forward_lan 2, rule accept_to_wan 2, rule srcnat 1, rule srcnat_wan 1, out wan',
      // The SYN/ACK: SYN_RECV, not established.
      'wan 203.0.113.1:80>203.0.113.2:40000 S. | rule forward 2, out lan',
      // The third ACK: ESTABLISHED and ASSURED: offloaded, and the rule goes on.
      'lan 192.168.1.10:40000>203.0.113.1:80 . | rule forward 1, rule forward 2, out wan',
      // From here on nf_flow_offload_ip_hook forwards at ingress: no rule runs.
      'lan 192.168.1.10:40000>203.0.113.1:80 P. | route flowtable ft wan, out wan',
      'wan 203.0.113.1:80>203.0.113.2:40000 . | route flowtable ft lan, out lan',
      'wan 203.0.113.1:80>203.0.113.2:40000 P. | route flowtable ft lan, out lan',
      'lan 192.168.1.10:40000>203.0.113.1:80 . | route flowtable ft wan, out wan',
      // The FIN: nf_flow_state_check tears the flow down; the classic path from then on.
      'lan 192.168.1.10:40000>203.0.113.1:80 F. | rule forward 2, out wan',
      'wan 203.0.113.1:80>203.0.113.2:40000 F. | rule forward 2, out lan',
      'lan 192.168.1.10:40000>203.0.113.1:80 . | rule forward 2, out wan',
    ],
  );
  // The offloaded packets as they left: NATed from the entry (nf_flow_nat_ip), TTL 63 (ip_decrease_ttl),
  // both checksums right.
  const out = r.sim.steps.filter(
    (s): s is Extract<TimedStep, { kind: 'packet' }> =>
      s.kind === 'packet' && s.host === 'router' && s.dir === 'out' && s.frame[12] === 8 && s.frame[13] === 0,
  );
  const flowOut = out.filter((s) => {
    const i = r.sim.steps.indexOf(s);
    const prev = r.sim.steps[i - 1]!;
    return prev.kind === 'route' && prev.decision === 'flowtable';
  });
  assert.equal(flowOut.length, 4); // the UDP answer was offloaded on its classic way
  for (const s of flowOut) {
    const ip = s.frame.subarray(14);
    assert.ok(ipv4ChecksumOk(ip, 0));
    assert.equal(ip[8], 63);
    if (ip[9] === IPPROTO_TCP) {
      const len = ((ip[2]! << 8) | ip[3]!) - 20;
      const src = ((ip[12]! << 24) | (ip[13]! << 16) | (ip[14]! << 8) | ip[15]!) >>> 0;
      const dst = ((ip[16]! << 24) | (ip[17]! << 16) | (ip[18]! << 8) | ip[19]!) >>> 0;
      assert.ok(tcpChecksumOk(ip, 20, len, src, dst));
    }
  }
  const p = natboxSide(
    flowOut.map((s) => ({ t: s.t, host: s.host, ifname: s.ifname, frame: s.frame, dir: 'out' })),
  ).packets;
  assert.deepEqual(
    p.map((x) => `${x.iface} ${x.src}:${x.sport}>${x.dst}:${x.dport} ${x.proto} ttl ${x.ttl}`),
    [
      'router:wan 203.0.113.2:40000>203.0.113.1:80 tcp ttl 63',
      'router:lan 203.0.113.1:80>192.168.1.10:40000 tcp ttl 63',
      'router:lan 203.0.113.1:80>192.168.1.10:40000 tcp ttl 63',
      'router:wan 203.0.113.2:40000>203.0.113.1:80 tcp ttl 63',
    ],
  );
  // forward_lan's counter saw only the two connections' first packets (the SYN, the query).
  const router = r.sim.world.host('router');
  const fl = router.nft!.tables[0]!.chains.find((c) => c.name === 'forward_lan')!;
  const counter = fl.rules[0]!.stmts.find((s) => s.kind === 'counter') as { packets: number; bytes: number };
  assert.deepEqual([counter.packets, counter.bytes], [2, 93]);
  // conntrack -L: the closed TCP connection is back on the classic path; the UDP one is still
  // offloaded: [OFFLOAD] and a day's timeout (nf_ct_offload_timeout at 1.0003 s, listed at 3.5 s).
  assert.deepEqual(router.conntrackList(), [
    'tcp      6 117 TIME_WAIT src=192.168.1.10 dst=203.0.113.1 sport=40000 dport=80 src=203.0.113.1 dst=203.0.113.2 sport=80 dport=40000 [ASSURED] mark=0 use=1',
    'udp      17 86397 src=192.168.1.10 dst=203.0.113.1 sport=40001 dport=53 src=203.0.113.1 dst=203.0.113.2 sport=53 dport=40001 [OFFLOAD] mark=0 use=1',
  ]);
});

test('a UDP flow idle past nf_flowtable_udp_timeout is torn down by the gc and offloaded again by the next packet', () => {
  const text = readFileSync(EXAMPLE, 'utf8').replace(
    /flows:[\s\S]*$/,
    `flows:
  - { name: q1, from: client, proto: udp, to: 203.0.113.1:53, sport: 40001, at: 1, timeout: 1 }
  - { name: q2, from: client, proto: udp, to: 203.0.113.1:53, sport: 40001, at: 5, timeout: 1 }
  - { name: q3, from: client, proto: udp, to: 203.0.113.1:53, sport: 40001, at: 45, timeout: 1 }
`,
  );
  const r = run(text);
  assert.deepEqual(
    r.sim.results.map((f) => f.verdict),
    ['reply', 'reply', 'reply'],
  );
  assert.deepEqual(
    routerSteps(r.sim.steps)
      .filter((x) => x.pkt.includes(':40001'))
      .map((x) => `${x.pkt} | ${x.after.join(', ')}`),
    [
      // q1: the query is new; its answer (a confirmed entry) is offloaded in the forward chain.
      'lan 192.168.1.10:40001>203.0.113.1:53 | rule forward 3, rule forward_lan 1, rule forward_lan 2, rule accept_to_wan 2, rule srcnat 1, rule srcnat_wan 1, out wan',
      'wan 203.0.113.1:53>203.0.113.2:40001 | rule forward 1, rule forward 2, out lan',
      // q2, 4 s later: both ways at ingress (the flow's timeout is refreshed to 35.0001 s).
      'lan 192.168.1.10:40001>203.0.113.1:53 | route flowtable ft wan, out wan',
      'wan 203.0.113.1:53>203.0.113.2:40001 | route flowtable ft lan, out lan',
      // q3 at 45 s: the gc tore the flow down at 36 s and deleted it at 37 s; the entry (given
      // 120 - 30 s by flow_offload_fixup_ct) still holds the mapping: the query takes the classic
      // path and is offloaded again there, and its answer takes the flowtable.
      'lan 192.168.1.10:40001>203.0.113.1:53 | rule forward 1, rule forward 2, out wan',
      'wan 203.0.113.1:53>203.0.113.2:40001 | route flowtable ft lan, out lan',
    ],
  );
});

// ---- the flowtable state on its own --------------------------------------------------------

const A = (s: string): number => s.split('.').reduce((a, x) => a * 256 + Number(x), 0);
const CLIENT = A('192.168.1.10');
const SERVER = A('203.0.113.1');
const ROUTER = A('203.0.113.2');

const RULES = `table inet fw4 {
\tflowtable ft {
\t\thook ingress priority 0;
\t\tdevices = { "lan", "wan" };
\t}
}
`;

function flowState(mtu: Record<string, number> = {}) {
  const ct = new ConntrackTable(64);
  const st = new FlowState(ct);
  const rs = parseNft(RULES.split('\n').map((text, i) => ({ text, file: 'ft.nft', line: i + 1, column: 1 })));
  assert.ok(rs.ok);
  st.configure(
    flowtableDefs(rs.ruleset),
    undefined,
    defaultTimeouts(),
    {
      mtu: (dev) => mtu[dev] ?? 1500,
      gateway: () => 0,
    },
    0,
  );
  return { ct, st };
}

/** A confirmed entry of client:40001 → server:53 masqueraded to the router's address. */
function entry(ct: ConntrackTable, proto: number, status: number): number {
  const o = new TupleBuf().set(CLIENT, SERVER, proto, 40001, 53);
  const rp = new TupleBuf().set(SERVER, ROUTER, proto, 53, 40001);
  const e = ct.alloc(o, rp, 0);
  ct.confirm(e, 0);
  ct.orStatus(e, status | IPS_SRC_NAT | IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE);
  ct.setExpiresAt(e, proto === IPPROTO_UDP ? 120 : 432000);
  return e;
}

function udpFromClient(ttl = 64, size = 5): Uint8Array {
  return buildUdpPacket(
    { ttl, src: CLIENT, dst: SERVER },
    { srcPort: 40001, dstPort: 53 },
    new Uint8Array(size),
  );
}

function skbOf(ip: Uint8Array, e: number, dir: number, inIf: string, outIf: string, now: number): Skb {
  const skb = new Skb().load(ip, 0, inIf, '');
  skb.outIf = outIf;
  skb.ct = e;
  skb.ctDir = dir;
  skb.now = now;
  return skb;
}

test('flow_offload_add / refresh / gc: the flow timeout, the entry a day, then 120 - 30 s after the teardown', () => {
  const { ct, st } = flowState();
  const e = entry(ct, IPPROTO_UDP, IPS_SEEN_REPLY);
  assert.equal(st.offload(skbOf(udpFromClient(), e, 0, 'lan', 'wan', 0.5), 'inet fw4 ft', 0.5), true);
  assert.ok(ct.statusOf(e) & IPS_OFFLOAD);
  // nf_ct_offload_timeout: 120 s left is less than half a day: a day from now.
  assert.equal(ct.secondsLeft(e, 0.5), 86400);
  assert.match(formatConntrackLine(ct, e, 0.5), / \[OFFLOAD\] mark=0 use=1$/);
  // A second `flow add` while offloaded: IPS_OFFLOAD already set, NFT_BREAK.
  assert.equal(st.offload(skbOf(udpFromClient(), e, 0, 'lan', 'wan', 0.6), 'inet fw4 ft', 0.6), false);
  // nf_flow_tuple_ip + flow_offload_lookup: the original direction comes in by lan only.
  const q = udpFromClient();
  assert.equal(st.lookup('wan', q, 0, q.length, 1), -1);
  assert.equal(st.lookup('lan', q, 0, q.length, 1), e << 1);
  // The answer, by wan.
  const a = buildUdpPacket(
    { ttl: 64, src: SERVER, dst: ROUTER },
    { srcPort: 53, dstPort: 40001 },
    new Uint8Array(3),
  );
  assert.equal(st.lookup('wan', a, 0, a.length, 10), (e << 1) | 1);
  // nf_flow_nat_ip for the reply: destination back to the client, TTL 63, checksum fixed.
  const out = { dev: '', via: 0 };
  st.forward(a, 0, (e << 1) | 1, out);
  assert.deepEqual([out.dev, out.via], ['lan', 0]);
  assert.deepEqual([...a.subarray(16, 20)], [192, 168, 1, 10]);
  assert.equal(a[8], 63);
  assert.ok(ipv4ChecksumOk(a, 0));
  // flow_offload_refresh at 10 s: timeout 40 s. At 10.5 s it would move by 0.5 s: left at 40.
  assert.equal(st.lookup('lan', q, 0, q.length, 10.5), e << 1);
  // The gc's run at 40 s finds it expired (timeout - now <= 0): torn down; the lookup misses.
  assert.equal(st.lookup('lan', q, 0, q.length, 39.9), e << 1); // refreshed to 69.9: no teardown
  assert.equal(st.isOffloaded(e, 69.5), true);
  assert.equal(st.isOffloaded(e, 70.2), false); // the run at 70 s
  assert.equal(ct.statusOf(e) & IPS_OFFLOAD, 0);
  // flow_offload_fixup_ct: udp_timeout_stream 120 - flowtable 30 = 90 s from the teardown at 70 s.
  assert.equal(ct.secondsLeft(e, 70.2), 89);
  assert.doesNotMatch(formatConntrackLine(ct, e, 70.2), /OFFLOAD/);
  // Until the next run (71 s) deletes it, the flow's tuples are still hashed: flow_offload_add fails.
  assert.equal(st.offload(skbOf(udpFromClient(), e, 0, 'lan', 'wan', 70.5), 'inet fw4 ft', 70.5), false);
  assert.equal(st.size, 1);
  assert.equal(st.offload(skbOf(udpFromClient(), e, 0, 'lan', 'wan', 71.2), 'inet fw4 ft', 71.2), true);
});

test('nf_flow_offload_ip_hook leaves the classic path a packet too big, with TTL 1, or IP options', () => {
  const { ct, st } = flowState({ wan: 100 });
  const e = entry(ct, IPPROTO_UDP, IPS_SEEN_REPLY);
  assert.ok(st.offload(skbOf(udpFromClient(), e, 0, 'lan', 'wan', 0), 'inet fw4 ft', 0));
  const small = udpFromClient(64, 72); // 100 bytes: the MTU
  assert.equal(st.lookup('lan', small, 0, small.length, 1), e << 1);
  const big = udpFromClient(64, 73);
  assert.equal(st.lookup('lan', big, 0, big.length, 1), -1); // nf_flow_exceeds_mtu
  const ttl1 = udpFromClient(1);
  assert.equal(st.lookup('lan', ttl1, 0, ttl1.length, 1), -1);
  const opts = buildUdpPacket(
    { ttl: 64, src: CLIENT, dst: SERVER, options: new Uint8Array([1, 1, 1, 0]) },
    { srcPort: 40001, dstPort: 53 },
  );
  assert.equal(st.lookup('lan', opts, 0, opts.length, 1), -1);
});

test('nft_flow_offload_eval offloads TCP only ESTABLISHED and ASSURED, never a FIN; a FIN tears the flow down', () => {
  const { ct, st } = flowState();
  const seg = (flags: number): Uint8Array =>
    buildTcpPacket(
      { ttl: 64, src: CLIENT, dst: SERVER },
      { srcPort: 40001, dstPort: 53, seq: 1, ack: 1, flags },
    );
  const e = entry(ct, IPPROTO_TCP, IPS_SEEN_REPLY);
  ct.setTcpState(e, TCP_CONNTRACK_SYN_RECV);
  assert.equal(st.offload(skbOf(seg(TCP_ACK), e, 0, 'lan', 'wan', 0), 'inet fw4 ft', 0), false);
  ct.setTcpState(e, TCP_CONNTRACK_ESTABLISHED);
  // Established but not assured yet (nf_conntrack_tcp_established wants both).
  assert.equal(st.offload(skbOf(seg(TCP_ACK), e, 0, 'lan', 'wan', 0), 'inet fw4 ft', 0), false);
  ct.orStatus(e, IPS_ASSURED);
  assert.equal(st.offload(skbOf(seg(TCP_ACK | TCP_FIN), e, 0, 'lan', 'wan', 0), 'inet fw4 ft', 0), false);
  // An unconfirmed entry (a connection's first packet) is never offloaded.
  ct.setStatus(e, ct.statusOf(e) & ~IPS_CONFIRMED);
  assert.equal(st.offload(skbOf(seg(TCP_ACK), e, 0, 'lan', 'wan', 0), 'inet fw4 ft', 0), false);
  ct.orStatus(e, IPS_CONFIRMED);
  assert.equal(st.offload(skbOf(seg(TCP_ACK), e, 0, 'lan', 'wan', 0), 'inet fw4 ft', 0), true);
  // 5 days of ESTABLISHED is more than half a day: nf_ct_offload_timeout leaves it.
  assert.equal(ct.secondsLeft(e, 0), 432000);
  const data = seg(TCP_ACK | TCP_PSH);
  assert.equal(st.lookup('lan', data, 0, data.length, 1), e << 1);
  const fin = seg(TCP_ACK | TCP_FIN);
  assert.equal(st.lookup('lan', fin, 0, fin.length, 2), -1); // nf_flow_state_check
  assert.equal(ct.statusOf(e) & IPS_OFFLOAD, 0);
  assert.equal(st.lookup('lan', data, 0, data.length, 2), -1); // NF_FLOW_TEARDOWN: no lookup
  // flow_offload_fixup_ct: ESTABLISHED 432000 - 30 s; the entry had 431998 s left, more: cut to 431970.
  assert.equal(ct.secondsLeft(e, 2), 431970);
});

test('flow add is refused outside a forward chain, as the kernel refuses it (nft_flow_offload_validate)', () => {
  const r = simulateScenario(
    readFileSync(EXAMPLE, 'utf8').replace(
      'chain srcnat_wan {',
      'chain pre {\n      \t\ttype filter hook prerouting priority filter; policy accept;\n      \t\tflow add @ft\n      \t}\n\n      \tchain srcnat_wan {',
    ),
    EXAMPLE,
  );
  assert.equal(r.ok, false);
  assert.match(r.ok ? '' : r.errors.join('\n'), /flow add is valid in a forward chain only/);
});
