// The driver of the new-connection figure (issue 15, "Speed"): the conntrack bench's last case
// ("new UDP connections through a 10-rule nat table", table of 65,536), alone. Builds the engine,
// sends one UDP packet from a new client per connection through prerouting + postrouting (its
// bytes written by NewConnPacket, conntrack-fixture.ts), and replaces the engine when the table is
// full, as the bench does. Bundle it first (no tsx in the
// counts): npx esbuild bench/conntrack-new-packets.ts --bundle --platform=node --format=esm
// --outfile=/tmp/ctnew.mjs
// - rate: node /tmp/ctnew.mjs [MAX PACKETS WARM] (warm-up of WARM connections, then PACKETS).
// - A/B in one process: bundle it from two checkouts and run
//   node /tmp/ctnew.mjs --against /tmp/ctnew-other.mjs: both bundles imported side by side,
//   batches of 100,000 connections alternating, CPU time per batch, median of 16 rounds.
// - instructions per connection: under valgrind --tool=callgrind --dump-instr=yes, with node
//   --perf-basic-prof --single-threaded, a wrapper that imports the bundle, calls batch(300000),
//   then `callgrind_control -z PID` (spawned, the process spinning until it returns: a blocked
//   process does not read the request) and batch(100000): the dump at exit holds the measured
//   connections only; each address mapped onto /tmp/perf-PID.map (docs/nftables.md "Speed").
//   `scripts/ctnew-callgrind.sh [WARM [N [BUNDLE]]]` does it (callgrind's instrumentation switched
//   on for the N connections only; FUNCS=1 for the per-function split).
import { NF_ACCEPT } from '../src/netfilter/core/engine.ts';
import { Skb } from '../src/netfilter/core/skb.ts';
import { makeEngine, NewConnPacket, TEN } from './conntrack-fixture.ts';

/** Run as a program (not imported by an A/B driver): the arguments are its own. */
const main = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/.*\//, ''));
const [max = 65536, packets = 300_000, warm = 200_000] =
  main && !process.argv.includes('--against') ? process.argv.slice(2).map(Number) : [];

const skb = new Skb();
const pk = new NewConnPacket(max);
const b = pk.b;
let nf = makeEngine(TEN, max);
let i = 0;

function loop(n: number): number {
  let ok = 0;
  for (let j = 0; j < n; j++, i++) {
    if (nf.conntrack.count >= max - 1) {
      nf = makeEngine(TEN, max);
      i = 0;
    }
    pk.write(i);
    skb.load(b, 0, 'lan', '');
    if (nf.prerouting(skb, 1) !== NF_ACCEPT) continue;
    skb.outIf = 'wan';
    ok += nf.postrouting(skb, 1);
  }
  return ok;
}

/** Runs `n` new connections (for an A/B driver that imports two builds' bundles). */
export const batch = (n: number): number => loop(n);

const against = main ? process.argv.indexOf('--against') : -1;
if (against >= 0) {
  // A/B: this build (B) against another build's bundle (A), alternating batches.
  const other = (await import(process.argv[against + 1]!)) as { batch: (n: number) => number };
  const n = 100_000;
  other.batch(200_000);
  batch(200_000);
  const ta: number[] = [];
  const tb: number[] = [];
  for (let r = 0; r < 16; r++) {
    for (const b of r % 2 === 0 ? [false, true] : [true, false]) {
      const c0 = process.cpuUsage();
      if (b) batch(n);
      else other.batch(n);
      const c = process.cpuUsage(c0);
      (b ? tb : ta).push((c.user + c.system) / 1e6);
    }
  }
  const med = (x: number[]): number => [...x].sort((p, q) => p - q)[x.length >> 1]!;
  const ra = n / med(ta);
  const rb = n / med(tb);
  console.log(
    `per CPU second, median of 16 batches of ${n}: A ${(ra / 1e6).toFixed(3)} M/s, B ${(rb / 1e6).toFixed(3)} M/s, B/A ${(rb / ra).toFixed(3)}; median of paired B/A ${med(ta.map((x, i) => x / tb[i]!)).toFixed(3)}`,
  );
} else if (main) {
  let acc = loop(warm);
  const t0 = process.hrtime.bigint();
  acc += loop(packets);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(
    `${packets} new connections, table of ${max}: acc ${acc}, ${(packets / s / 1e6).toFixed(2)} M/s`,
  );
}
