// NAT clashes against the kernel: a SNAT to one address and port taken by a first client (the
// second client's entry clashes at confirm: insert_failed and drop), and a DNAT onto a tuple in use
// (nf_nat_l4proto_unique_tuple cannot change a destination port: the taken tuple is bound, and the
// null SRC binding at POSTROUTING moves the source port, so the connection is made). `conntrack -S`
// counts `found` for every taken tuple NAT's lookups met (nf_conntrack_tuple_taken).
// Origin of the expected values: `conntrack -L` and `conntrack -S` on the router of the live test
// below, run on the reference machine (Linux 6.18.44, iptables 1.8.9 nf_tables); the live test runs
// it again when root with iptables, conntrack and python3.
import { liveNatMissing, routerNetns, shOk } from './live-env.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { NF_ACCEPT, NF_DROP } from '../../src/netfilter/core/engine.ts';
import { formatConntrackLine, formatConntrackStats } from '../../src/netfilter/conntrack/format.ts';
import { buildUdpPacket } from '../../src/wire/packet.ts';
import { engine, forward, ip } from './helpers.ts';

const RULES = [
  '-t nat -A POSTROUTING -o wan -p udp --dport 53 -j SNAT --to-source 198.51.100.1:5000',
  '-t nat -A PREROUTING -i lan -d 198.51.100.9 -p udp -j DNAT --to-destination 198.51.100.2',
];

/** src, sport, dst, dport of each datagram, in the order sent. */
const DGRAMS: readonly [string, number, string, number][] = [
  ['10.0.1.2', 40001, '198.51.100.2', 53],
  ['10.0.1.3', 40001, '198.51.100.2', 53], // SNAT onto the first one's tuple: refused at confirm
  ['10.0.1.2', 40002, '198.51.100.2', 7],
  ['10.0.1.2', 40002, '198.51.100.9', 7], // DNAT onto the third one's tuple: source port moved
];

/** The recorded run: `conntrack -L` (sorted) and the counters of `conntrack -S` summed over CPUs. */
const KERNEL_L = [
  'udp      17 29 src=10.0.1.2 dst=198.51.100.2 sport=40001 dport=53 [UNREPLIED] src=198.51.100.2 dst=198.51.100.1 sport=53 dport=5000 mark=0 use=1',
  'udp      17 29 src=10.0.1.2 dst=198.51.100.2 sport=40002 dport=7 [UNREPLIED] src=198.51.100.2 dst=10.0.1.2 sport=7 dport=40002 mark=0 use=1',
  'udp      17 29 src=10.0.1.2 dst=198.51.100.9 sport=40002 dport=7 [UNREPLIED] src=198.51.100.2 dst=10.0.1.2 sport=7 dport=64265 mark=0 use=1',
];
const KERNEL_S =
  'found=4 invalid=0 insert=0 insert_failed=1 drop=1 early_drop=0 error=0 search_restart=0 clash_resolve=0 chaintoolong=0';

/** Timeout, use count and the random source port (1024-65535, not the original) left out. */
function normalize(lines: readonly string[]): string[] {
  return lines
    .filter((l) => l.startsWith('udp'))
    .map((l) =>
      l
        .replace(/^(udp\s+17) \d+ /, '$1 T ')
        .replace(/ use=\d+$/, '')
        .replace(/(dst=10\.0\.1\.2 sport=7 dport=)(\d+)/, (_, a: string, p: string) =>
          Number(p) === 40002 ? `${a}40002` : Number(p) >= 1024 ? `${a}RANDOM` : `${a}${p}`,
        ),
    )
    .sort();
}

/** The counters of `conntrack -S`, summed over its per-CPU lines. */
function sumStats(text: string): string {
  const sums = new Map<string, number>();
  for (const m of text.matchAll(/(\w+)=(\d+)/g))
    if (m[1] !== 'cpu') sums.set(m[1]!, (sums.get(m[1]!) ?? 0) + Number(m[2]));
  return [...sums].map(([k, v]) => `${k}=${v}`).join(' ');
}

function natbox(): { list: string[]; stats: string; verdicts: number[] } {
  const nf = engine(RULES.map((r) => `iptables ${r}`).join('\n'));
  const verdicts = DGRAMS.map(([s, sp, d, dp]) =>
    forward(
      nf,
      buildUdpPacket(
        { src: ip(s), dst: ip(d), id: 1, ttl: 64 },
        { srcPort: sp, dstPort: dp },
        new Uint8Array([0x78]),
      ),
      'lan',
      'wan',
      0,
    ),
  );
  const ct = nf.conntrack;
  const list: string[] = [];
  for (let e = 0; e < ct.max; e++) if (ct.isUsed(e)) list.push(formatConntrackLine(ct, e, 0));
  return { list: normalize(list), stats: sumStats(formatConntrackStats(nf.stats)), verdicts };
}

test('NAT clashes: the entries and the conntrack -S counters of the recorded kernel run', () => {
  const n = natbox();
  assert.deepEqual(n.verdicts, [NF_ACCEPT, NF_DROP, NF_ACCEPT, NF_ACCEPT]);
  assert.deepEqual(n.list, normalize(KERNEL_L));
  assert.equal(n.stats, KERNEL_S);
});

const why = liveNatMissing;

const PY = `
import socket, json, sys
for a, p, d, dp in json.loads(sys.argv[1]):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((a, p)); s.sendto(b'x', (d, dp)); s.close()
`;

test('NAT clashes: natbox agrees with the live kernel', why() ? { skip: why() } : {}, () => {
  const { c, r, s, del } = routerNetns(`nbx-natclash-${process.pid}`);
  const sh = shOk;
  try {
    sh(`ip -n ${c} addr add 10.0.1.3/24 dev c0`);
    sh(`ip -n ${s} addr add 198.51.100.2/24 dev s0`);
    for (const rule of RULES) sh(`ip netns exec ${r} iptables ${rule}`);
    const py = spawnSync('ip', ['netns', 'exec', c, 'python3', '-c', PY, JSON.stringify(DGRAMS)], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(py.status, 0, py.stderr);
    const n = natbox();
    assert.deepEqual(n.list, normalize(sh(`ip netns exec ${r} conntrack -L 2>/dev/null`).split('\n')));
    assert.equal(n.stats, sumStats(sh(`ip netns exec ${r} conntrack -S`)));
  } finally {
    del();
  }
});
