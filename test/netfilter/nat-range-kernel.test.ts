// The address a NAT rule with an address range picks (find_best_ips_proto: jhash2 of the source
// address, the destination address as initval unless --persistent, reciprocal_scale onto the
// range), and the mapping find_appropriate_src lends a source seen before, against the kernel.
// Origin of the expected values: `conntrack -L -p udp` on the router of SCRIPT below, run on the
// reference machine (Linux 6.18.44, iptables 1.8.9 nf_tables), saved in
// fixtures/nat-range-kernel-6.18.txt. When root with iptables, conntrack and python3, the test
// runs SCRIPT again in fresh namespaces and compares natbox with the live kernel too.
import { liveNatMissing, routerNetns, shOk } from './live-env.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { NF_ACCEPT } from '../../src/netfilter/core/engine.ts';
import { formatConntrackLine } from '../../src/netfilter/conntrack/format.ts';
import { buildUdpPacket } from '../../src/wire/packet.ts';
import { engine, forward, ip } from './helpers.ts';
import { ConntrackTable, CT_LAYOUT_IPV6 } from '../../src/netfilter/conntrack/table.ts';
import { DIR_REPLY, invertTuple, TupleBuf } from '../../src/netfilter/conntrack/tuple.ts';
import { MANIP_SRC, NatCore, natRange, SeededRng } from '../../src/netfilter/nat/nat-core.ts';
import { AF_INET6, formatIp, parseIp, type IpAddr, type Words6 } from '../../src/wire/addr.ts';

const RULES = [
  '-t nat -A POSTROUTING -o wan -p udp --dport 5000 -j SNAT --to-source 198.51.100.10-198.51.100.15',
  '-t nat -A POSTROUTING -o wan -p udp --dport 5001 -j SNAT --to-source 198.51.100.10-198.51.100.16 --persistent',
  '-t nat -A POSTROUTING -o wan -p udp --dport 5002 -j SNAT --to-source 198.51.100.20-198.51.100.27',
  '-t nat -A PREROUTING -i lan -p udp --dport 6000 -j DNAT --to-destination 198.51.100.101-198.51.100.103',
];

interface Dgram {
  src: string;
  sport: number;
  dst: string;
  dport: number;
}

/** The datagrams of the run, in the order the client sends them (PY prints the same list). */
function datagrams(): Dgram[] {
  const out: Dgram[] = [];
  for (let i = 2; i <= 25; i++) {
    const src = `10.0.1.${i}`;
    for (const d of [101, 102, 103]) {
      const dst = `198.51.100.${d}`;
      // A source port of its own for each: find_best_ips_proto decides.
      for (const port of [5000, 5001])
        out.push({ src, sport: 30000 + i * 100 + d * 2 + port - 5000, dst, dport: port });
      // The same source port to three servers: find_appropriate_src lends the first one's mapping.
      out.push({ src, sport: 40000 + i, dst, dport: 5002 });
    }
    out.push({ src, sport: 41000 + i, dst: `203.0.113.${i}`, dport: 6000 });
  }
  return out;
}

const PY = `
import socket, json, sys
for d in json.loads(sys.argv[1]):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((d['src'], d['sport'])); s.sendto(b'x', (d['dst'], d['dport'])); s.close()
`;

/**
 * Sorted, without the timeout (the kernel's is a second or two below natbox's) and the use count
 * (the kernel's is 2 while an entry is still referenced right after the run).
 */
const normalize = (lines: string[]): string[] =>
  lines
    .filter((l) => l.startsWith('udp'))
    .map((l) => l.replace(/^(udp\s+17) \d+ /, '$1 T ').replace(/ use=\d+$/, ''))
    .sort();

function natbox(): string[] {
  const nf = engine(RULES.map((r) => `iptables ${r}`).join('\n'));
  for (const d of datagrams()) {
    const buf = buildUdpPacket(
      { src: ip(d.src), dst: ip(d.dst), id: 1, ttl: 64 },
      { srcPort: d.sport, dstPort: d.dport },
      new Uint8Array([0x78]),
    );
    assert.equal(forward(nf, buf, 'lan', 'wan', 0), NF_ACCEPT);
  }
  const ct = nf.conntrack;
  const out: string[] = [];
  for (let e = 0; e < ct.max; e++) if (ct.isUsed(e)) out.push(formatConntrackLine(ct, e, 0));
  return normalize(out);
}

test('SNAT/DNAT to an address range: natbox picks the address the kernel picked (recorded run)', () => {
  const kernel = normalize(
    readFileSync(new URL('./fixtures/nat-range-kernel-6.18.txt', import.meta.url), 'utf8').split('\n'),
  );
  assert.equal(kernel.length, datagrams().length);
  assert.deepEqual(natbox(), kernel);
});

const why = liveNatMissing;

test(
  'SNAT/DNAT to an address range: natbox picks what the live kernel picks',
  why() ? { skip: why() } : {},
  () => {
    const { c, r, del } = routerNetns(`nbx-natrange-${process.pid}`);
    const sh = shOk;
    try {
      for (let i = 3; i <= 25; i++) sh(`ip -n ${c} addr add 10.0.1.${i}/24 dev c0`);
      for (const rule of RULES) sh(`ip netns exec ${r} iptables ${rule}`);
      const py = spawnSync('ip', ['netns', 'exec', c, 'python3', '-c', PY, JSON.stringify(datagrams())], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(py.status, 0, py.stderr);
      const l = spawnSync('ip', ['netns', 'exec', r, 'conntrack', '-L', '-p', 'udp'], { encoding: 'utf8' });
      assert.equal(l.status, 0, l.stderr);
      assert.deepEqual(natbox(), normalize(l.stdout.split('\n')));
    } finally {
      del();
    }
  },
);

test('SNAT to an IPv6 address range: natbox picks the address the kernel picked (recorded run)', () => {
  // fixtures/nat-range6-kernel-6.18.txt: 48 entries of the live kernel (its first line says how);
  // the second range spans a word boundary (full_range: the later words from the whole hash).
  const lines = readFileSync(new URL('./fixtures/nat-range6-kernel-6.18.txt', import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('udp'));
  assert.equal(lines.length, 48);
  const P = (s: string): IpAddr => {
    const r = parseIp(s);
    if (!r.ok) throw new Error(s);
    return r.value;
  };
  const v6 = (a: IpAddr): Words6 => (a.family === AF_INET6 ? a.v6 : [0, 0, 0, 0]);
  for (const line of lines) {
    const m = /src=(\S+) dst=(\S+) sport=(\d+) dport=(\d+) .*src=\S+ dst=(\S+) sport=\d+ dport=\d+/.exec(
      line,
    )!;
    const ct = new ConntrackTable(64, CT_LAYOUT_IPV6);
    const nat = new NatCore(ct, new SeededRng(1));
    const o = new TupleBuf().setWide(AF_INET6, v6(P(m[1]!)), 0, v6(P(m[2]!)), 0, 17, +m[3]!, +m[4]!);
    const r = new TupleBuf();
    invertTuple(r, o);
    const e = ct.alloc(o, r, 0);
    const range =
      m[4] === '5000'
        ? natRange(P('2001:db8:9::10'), P('2001:db8:9::1f'))
        : natRange(P('2001:db8:9::ff00'), P('2001:db8:9::1:10'));
    nat.setup(e, range, MANIP_SRC, 0);
    const t = ct.readTuple(e, DIR_REPLY, new TupleBuf());
    const got = formatIp({ family: AF_INET6, v6: [t.addr[4]!, t.addr[5]!, t.addr[6]!, t.addr[7]!] });
    assert.equal(got, m[5], line);
  }
});
