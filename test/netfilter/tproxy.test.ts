// TPROXY (xt_TPROXY.c tproxy_tg4, nf_tproxy_ipv4.c) and -m socket --transparent (xt_socket.c),
// in two parts: core/tproxy.ts against a host whose socket lookups are scripted (which lookups it
// makes, in what order, with which redirect address and port; what it assigns and marks), and
// the recipe of Documentation/networking/tproxy.rst through a whole scenario, its packets exact
// (the same scenario as test/conformance/extra/tproxy-tcp-iptables.yaml, which agrees with
// Linux 6.18 under `natbox verify`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tproxyAssign } from '../../src/netfilter/core/tproxy.ts';
import {
  SK_FULL,
  SK_MINI,
  SK_NONE,
  SK_TIMEWAIT,
  SK_TRANSPARENT,
  SK_WILDCARD,
  Skb,
  type XtEnv,
} from '../../src/netfilter/core/skb.ts';
import { tproxyTarget } from '../../src/netfilter/xtables/target-tproxy.ts';
import { T_ACCEPT, T_DROP } from '../../src/netfilter/core/table.ts';
import { buildTcpPacket, buildUdpPacket } from '../../src/wire/packet.ts';
import { TCP_ACK, TCP_SYN } from '../../src/wire/tcp.ts';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { natboxSide } from '../../src/oracle/packets.ts';
import { readFileSync } from 'node:fs';
import { parseNft, printNft } from '../../src/rules/nft/index.ts';
import { lines } from '../rules/nft/fixtures.ts';

const ip = (s: string): number => s.split('.').reduce((a, b) => a * 256 + Number(b), 0);
const CLIENT = ip('10.0.1.10');
const SERVER = ip('198.51.100.80');
const LAN = ip('10.0.1.1');

type Call = [string, number, string, number, boolean];
/** A host whose lookups answer from `answers` (by `listener ? 'L' : 'E'` + addr:port) and are logged. */
function host(answers: Record<string, number>, calls: Call[], primary = LAN): XtEnv {
  const fmt = (a: number): string => [a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].join('.');
  return {
    addrType: () => 0,
    random32: () => 0,
    conntrack: {} as XtEnv['conntrack'],
    tproxyLookup: (_p, sa, sp, da, dp, listener) => {
      calls.push([fmt(sa), sp, fmt(da), dp, listener]);
      return answers[`${listener ? 'L' : 'E'} ${fmt(da)}:${dp}`] ?? SK_NONE;
    },
    primaryAddress: (dev) => (dev === 'lan' ? primary : 0),
  };
}

function tcpSkb(env: XtEnv, flags = TCP_SYN, mark = 0): Skb {
  const p = buildTcpPacket(
    { src: CLIENT, dst: SERVER, dontFragment: true, id: 0 },
    { srcPort: 40000, dstPort: 80, seq: 1, ack: 0, flags, window: 64240 },
  );
  const skb = new Skb().load(p, 0, 'lan', '');
  skb.env = env;
  skb.mark = mark;
  return skb;
}

const TARGET = { kind: 'TPROXY', port: 50080, addr: 0, markValue: 1, markMask: 1 } as const;

test('TPROXY: no connection, then the listener on the in-device primary address and --on-port', () => {
  const calls: Call[] = [];
  const skb = tcpSkb(host({ 'L 10.0.1.1:50080': SK_WILDCARD | SK_TRANSPARENT }, calls), TCP_SYN, 0x10);
  assert.equal(tproxyTarget.run(TARGET, skb, 0, 0, undefined as never), T_ACCEPT);
  assert.deepEqual(calls, [
    ['10.0.1.10', 40000, '198.51.100.80', 80, false],
    ['10.0.1.10', 40000, '10.0.1.1', 50080, true],
  ]);
  assert.deepEqual([skb.skAddr, skb.skPort, skb.mark], [LAN, 50080, 0x11]); // (0x10 & ~1) ^ 1
});

test('TPROXY: --on-ip wins over the device; no device address: the packet destination', () => {
  const calls: Call[] = [];
  const env = host({ 'L 127.0.0.1:50080': SK_FULL | SK_TRANSPARENT }, calls);
  const skb = tcpSkb(env);
  assert.equal(
    tproxyTarget.run({ ...TARGET, addr: ip('127.0.0.1') }, skb, 0, 0, undefined as never),
    T_ACCEPT,
  );
  assert.equal(calls[1]![2], '127.0.0.1');
  const calls2: Call[] = [];
  const skb2 = tcpSkb(host({ 'L 198.51.100.80:80': SK_WILDCARD | SK_TRANSPARENT }, calls2, 0));
  assert.equal(tproxyAssign(skb2, 0, 0), true); // nft's `tproxy to` with neither: daddr and dport
  assert.deepEqual(calls2[1], ['10.0.1.10', 40000, '198.51.100.80', 80, true]);
});

test('TPROXY: a listener without IP_TRANSPARENT, or none, drops and leaves the mark', () => {
  for (const answer of [SK_WILDCARD, SK_NONE]) {
    const skb = tcpSkb(host({ 'L 10.0.1.1:50080': answer }, []), TCP_SYN, 0x10);
    assert.equal(tproxyTarget.run(TARGET, skb, 0, 0, undefined as never), T_DROP);
    assert.deepEqual([skb.skPort, skb.mark], [0, 0x10]);
  }
});

test('TPROXY: an established transparent socket takes the packet itself (no listener lookup)', () => {
  const calls: Call[] = [];
  const skb = tcpSkb(host({ 'E 198.51.100.80:80': SK_FULL | SK_TRANSPARENT }, calls), TCP_ACK);
  assert.equal(tproxyTarget.run(TARGET, skb, 0, 0, undefined as never), T_ACCEPT);
  assert.equal(calls.length, 1);
  assert.deepEqual([skb.skPort, skb.mark], [0, 1]);
  // A request socket (SYN_RECV) of a transparent listener counts too (its no_srccheck).
  const skb2 = tcpSkb(host({ 'E 198.51.100.80:80': SK_MINI | SK_TRANSPARENT }, []), TCP_ACK);
  assert.equal(tproxyTarget.run(TARGET, skb2, 0, 0, undefined as never), T_ACCEPT);
});

test('TPROXY: a SYN that meets TIME_WAIT goes to the listener; any other segment stays with it', () => {
  const tw = SK_MINI | SK_TIMEWAIT; // a TIME_WAIT socket of a non-transparent connection
  const answers = { 'E 198.51.100.80:80': tw, 'L 10.0.1.1:50080': SK_WILDCARD | SK_TRANSPARENT };
  const syn = tcpSkb(host(answers, []), TCP_SYN);
  assert.equal(tproxyTarget.run(TARGET, syn, 0, 0, undefined as never), T_ACCEPT);
  assert.equal(syn.skPort, 50080);
  const ack = tcpSkb(host(answers, []), TCP_ACK);
  assert.equal(tproxyTarget.run(TARGET, ack, 0, 0, undefined as never), T_DROP);
});

test('TPROXY: UDP looks up the same way; other protocols are never assigned', () => {
  const calls: Call[] = [];
  const p = buildUdpPacket(
    { src: CLIENT, dst: SERVER, dontFragment: true, id: 0 },
    { srcPort: 5000, dstPort: 53 },
    new Uint8Array(4),
  );
  const skb = new Skb().load(p, 0, 'lan', '');
  skb.env = host({ 'L 10.0.1.1:50053': SK_WILDCARD | SK_TRANSPARENT }, calls);
  assert.equal(tproxyAssign(skb, 0, 50053), true);
  assert.deepEqual(calls[1], ['10.0.1.10', 5000, '10.0.1.1', 50053, true]);
  const icmp = new Skb().load(
    new Uint8Array([
      0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 1, 10, 198, 51, 100, 80, 8, 0, 0xf7, 0xff, 0, 0, 0, 0,
    ]),
    0,
    'lan',
    '',
  );
  icmp.env = skb.env;
  assert.equal(tproxyAssign(icmp, 0, 50053), false);
});

test('tproxy.rst recipe: the router answers for 198.51.100.80:80, exact packets on both wires', () => {
  const yaml = readFileSync(
    new URL('../conformance/extra/tproxy-tcp-iptables.yaml', import.meta.url),
    'utf8',
  );
  const r = simulateScenario(yaml, 'tproxy.yaml');
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  assert.deepEqual(
    r.sim.results.map((x) => [x.verdict, x.serverSaw]),
    [
      ['connected', '10.0.1.10:40000'],
      ['connected', '10.0.1.10:40001'],
    ],
  );
  const frames = r.sim.steps.flatMap((x) =>
    x.kind === 'packet' ? [{ t: x.t, host: x.host, ifname: x.ifname, dir: x.dir, frame: x.frame }] : [],
  );
  const line = (p: ReturnType<typeof natboxSide>['packets'][number]): string =>
    `${p.dir} ${p.src}:${p.sport} > ${p.dst}:${p.dport} [${p.flags}] len ${p.len ?? 0}`;
  const pk = natboxSide(frames).packets.filter((p) => p.proto === 'tcp');
  // The proxied connection never reaches the server; its answers leave the router from
  // 198.51.100.80:80, the address the client asked for.
  assert.deepEqual(
    pk.filter((p) => p.iface === 'router:lan' && (p.sport === 40000 || p.dport === 40000)).map(line),
    [
      'in 10.0.1.10:40000 > 198.51.100.80:80 [S] len 0',
      'out 198.51.100.80:80 > 10.0.1.10:40000 [S.] len 0',
      'in 10.0.1.10:40000 > 198.51.100.80:80 [.] len 0',
      'in 10.0.1.10:40000 > 198.51.100.80:80 [P.] len 5',
      'out 198.51.100.80:80 > 10.0.1.10:40000 [.] len 0',
      'out 198.51.100.80:80 > 10.0.1.10:40000 [P.] len 26',
      'in 10.0.1.10:40000 > 198.51.100.80:80 [.] len 0',
      'in 10.0.1.10:40000 > 198.51.100.80:80 [F.] len 0',
      'out 198.51.100.80:80 > 10.0.1.10:40000 [F.] len 0',
      'in 10.0.1.10:40000 > 198.51.100.80:80 [.] len 0',
    ],
  );
  assert.equal(pk.filter((p) => p.iface === 'server:eth0').length, 10);
  assert.deepEqual(
    pk.filter((p) => p.iface === 'server:eth0').map((p) => p.dport === 22 || p.sport === 22),
    pk.filter((p) => p.iface === 'server:eth0').map(() => true),
  );
});

test('nft tproxy and socket transparent read and print as nft 1.0.6 lists them', () => {
  // The listing: these two tables loaded with `nft -f` in a fresh namespace, `nft list ruleset`.
  const text = `table ip filter {
	chain divert {
		type filter hook prerouting priority mangle; policy accept;
		meta l4proto tcp socket transparent 1 meta mark set 0x00000001 accept
		tcp dport 80 tproxy to :50080 meta mark set 0x00000001 accept
		meta l4proto udp tproxy to 10.0.1.1:50053 meta mark set 0x00000001 accept
	}
}
table inet t {
	chain divert {
		type filter hook prerouting priority mangle; policy accept;
		meta l4proto tcp socket transparent 1 meta mark set 0x00000001 accept
		tcp dport 80 tproxy ip to :50080 meta mark set 0x00000001 accept
		udp dport 53 tproxy ip to 10.0.1.1:50053 meta mark set 0x00000001 accept
	}
}
`;
  const r = parseNft(lines(text, 'in.nft'));
  assert.ok(r.ok);
  assert.equal(printNft(r.ruleset), text);
});
