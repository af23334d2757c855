// The callgrind driver of the new-connection figure (issue 15, "Speed"): the conntrack bench's
// last case ("new UDP connections through a 10-rule nat table"), alone. Builds the engine, sends
// one UDP packet from a new client per connection through prerouting + postrouting, replaces the
// engine when the table is full, as the bench does. Warm-up of 200,000 connections, then PACKETS.
//   npx esbuild bench/conntrack-new-packets.ts --bundle --platform=node --format=esm \
//     --outfile=/tmp/ctnew.mjs
//   valgrind --tool=callgrind --dump-instr=yes node --perf-basic-prof --single-threaded \
//     /tmp/ctnew.mjs 65536 300000
// then map each instruction's address onto /tmp/perf-PID.map (docs/nftables.md "Speed"); or
// the difference of two runs' totals (PACKETS and 0) divided by PACKETS. Without valgrind it
// prints the rate (one process, no harness).
import { ipv4SetDst, ipv4SetSrc } from '../src/wire/ipv4.ts';
import { buildUdpPacket } from '../src/wire/packet.ts';
import { udpSetPort } from '../src/wire/udp.ts';
import { Netfilter, NF_ACCEPT, type NfHost } from '../src/netfilter/core/engine.ts';
import { Skb } from '../src/netfilter/core/skb.ts';
import { SeededRng } from '../src/netfilter/nat/nat-core.ts';
import { loadRulesText } from '../src/rules/load.ts';

/** Run as a program (not imported by an A/B driver): the arguments are its own. */
const main = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/.*\//, ''));
const [max = 65536, packets = 300_000, warm = 200_000] = main ? process.argv.slice(2).map(Number) : [];

const PUBLIC = 0xcb007116; // 203.0.113.22
const SERVER = 0xcb007132; // 203.0.113.50
const HOST: NfHost = { masqueradeAddress: () => PUBLIC, primaryAddress: () => 0xc0a80101 };
const TEN = [
  ...[1, 2, 3, 4, 5].map(
    (i) =>
      `iptables -t nat -A PREROUTING -i wan -p tcp --dport ${8000 + i} -j DNAT --to-destination 10.1.0.${i}`,
  ),
  ...[1, 2, 3, 4].map(
    (i) => `iptables -t nat -A POSTROUTING -s 172.16.${i}.0/24 -o wan -j SNAT --to-source 198.51.100.${i}`,
  ),
  'iptables -t nat -A POSTROUTING -o wan -j MASQUERADE',
].join('\n');

function makeEngine(): Netfilter {
  const r = loadRulesText(TEN, 'bench.rules');
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return new Netfilter({
    ruleset: r.ruleset,
    host: HOST,
    rng: new SeededRng(1),
    conntrackMax: max,
    tcpWindow: false,
  });
}

const clientAddr = (i: number): number => (0x0a000000 + Math.floor(i / 50000) * 256 + 1) >>> 0;
const clientPort = (i: number): number => 1024 + (i % 50000);
const serverAddr = (i: number): number => SERVER + Math.floor(i / 50000);

const skb = new Skb();
const b = new Uint8Array(64);
const tmpl = buildUdpPacket(
  { src: 0x0a000001, dst: SERVER, id: 1 },
  { srcPort: 1024, dstPort: 5000 },
  new Uint8Array(36),
);
let nf = makeEngine();
let i = 0;

function loop(n: number): number {
  let ok = 0;
  for (let j = 0; j < n; j++, i++) {
    if (nf.conntrack.count >= max - 1) {
      nf = makeEngine();
      i = 0;
    }
    b.set(tmpl);
    ipv4SetSrc(b, 0, clientAddr(i));
    udpSetPort(b, 20, 0, clientPort(i));
    ipv4SetDst(b, 0, serverAddr(i));
    skb.load(b, 0, 'lan', '');
    if (nf.prerouting(skb, 1) !== NF_ACCEPT) continue;
    skb.outIf = 'wan';
    ok += nf.postrouting(skb, 1);
  }
  return ok;
}

/** Runs `n` new connections (for an A/B driver that imports two builds' bundles). */
export const batch = (n: number): number => loop(n);

if (main) {
  let acc = loop(warm);
  const t0 = process.hrtime.bigint();
  acc += loop(packets);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(
    `${packets} new connections, table of ${max}: acc ${acc}, ${(packets / s / 1e6).toFixed(2)} M/s`,
  );
}
