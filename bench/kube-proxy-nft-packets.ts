// The cachegrind driver of the nft first-packet figure (issue 16, "Speed"; docs/nftables.md): builds
// kube-proxy's ruleset of SERVICES services (bench/kube-proxy-nft-model.ts), its untraced program,
// 4,096 first packets spread over SPREAD services, warms up, then runs the nat-prerouting chain
// PACKETS times and nothing else. Two ways to count (docs/nftables.md "Speed"):
// - instructions per packet: callgrind with V8's symbol file, the instructions of the walk's own
//   compiled code (runFast, run, the loop here) divided by the packets it ran (4,096 checked,
//   400,000 warm-up, PACKETS); the start-up is not in it:
//     valgrind --tool=callgrind --dump-instr=yes node --perf-basic-prof --single-threaded \
//       /tmp/kpp.mjs 10000 4096 1000000     # then map each address onto /tmp/perf-PID.map
// - cache misses per packet: the difference of two cachegrind runs that differ only in PACKETS,
//   divided by the difference (the start-up varies by a few hundred M instructions between runs,
//   so this carries an error of about one miss per packet at 1 M packets):
//     valgrind --tool=cachegrind --cache-sim=yes --I1=32768,8,64 --D1=32768,8,64 \
//       --LL=1048576,16,64 node --single-threaded /tmp/kpp.mjs 10000 4096 1000000   # and ... 0
// after `npx esbuild bench/kube-proxy-nft-packets.ts --bundle --platform=node --format=esm
// --outfile=/tmp/kpp.mjs`. PACKETS 0 runs the warm-up only. A fourth argument `ring` runs the
// packets from a ring of their bytes loaded into one Skb (kube-proxy-nft-model.ts ringOf: the
// bench's ring rows), not from 4,096 cold Skbs.
// - both at once, each miss on its instruction (no difference of two runs): callgrind with
//   `--cache-sim=yes --dump-instr=yes` and the cache sizes above, plus `--print-opt-code
//   --print-opt-code-filter=runFast` to read which load of runFast's code misses.
// - the measured packets alone, everything they run (Skb.load, the walk, the loop, a GC if any)
//   and nothing else: a fifth argument, a marker files' prefix, as bench/conntrack-packets.ts
//   does (`--instr-atstart=no`, counting switched on once warm): scripts/kp-callgrind.sh runs it
//   and prints instructions and D1 / L2 misses per packet (one run, no difference of two).
// The fourth argument: `cold` (the 4,096 Skbs), `ring`, or `own-ring` / `own-cold`: the packets
// to 4,096 ClusterIPs of kube-proxy's own `nft -f` text (bench/fixtures/kube-proxy-nft.ts, read
// with parseNft) as nft.bench.ts's "own text" rows, not the model's; `own-ring-noaffinity` and
// `own-cold-noaffinity` only to ClusterIPs of its services without session affinity.
// - A/B in one process: `node /tmp/kpp.mjs SERVICES SPREAD 0 MODE --against /tmp/kpp-other.mjs`, the
//   other a bundle of this driver from another checkout whose file name does not end with this
//   one's (else it takes itself for the program): both built on the same arguments, batches of
//   200,000 packets alternating, CPU time per batch, median of KP_AB_ROUNDS (16). The harness
//   favours one position by up to 20 % (a build against itself): run both orders.
// A SPREAD past 4,096 sends 16,384 packets (its ring 1 MB, the size of the simulated L2), so that
// every packet's service may differ from the others': the model at 10,000 services spread.
import { nftFrontEnd } from '../src/netfilter/nftables/index.ts';
import type { NftChainTable } from '../src/netfilter/nftables/index.ts';
import { NF_INET_PRE_ROUTING } from '../src/netfilter/core/hook-numbers.ts';
import { T_ACCEPT } from '../src/netfilter/core/table.ts';
import type { NfTable } from '../src/netfilter/core/table.ts';
import type { Skb } from '../src/netfilter/core/skb.ts';
import { existsSync, writeFileSync } from 'node:fs';
import {
  env,
  kubeProxyNft,
  natCount,
  ownTextPackets,
  ringOf,
  ringSkb,
  spreadPackets,
} from './kube-proxy-nft-model.ts';
import { kubeProxyNft as kubeProxyNftText } from './fixtures/kube-proxy-nft.ts';
import { parseNft } from '../src/rules/nft/index.ts';

/** Run as a program (not imported by an A/B run of another build's driver, `--against`). */
const main = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/.*\//, ''));
// The arguments, read by an imported driver too (an A/B run: both builds on the same packets).
const [services = 10_000, spread = 4096, packets = 1_000_000] = process.argv.slice(2, 5).map(Number);
const mode = process.argv[5] ?? 'cold';
const ringMode = mode.startsWith('ring') || mode.startsWith('own-ring');
const own = mode.startsWith('own');
const marker = process.argv[6];

function loop(pre: NfTable, skbs: readonly Skb[], n: number): number {
  const len = skbs.length;
  let acc = 0;
  for (let j = 0; j < n; j++) acc += pre.run(NF_INET_PRE_ROUTING, skbs[j % len]!, 1, undefined);
  return acc;
}

function loopRing(pre: NfTable, skb: Skb, ring: Uint8Array, n: number): number {
  const mask = ring.length / 64 - 1;
  let acc = 0;
  for (let j = 0; j < n; j++) {
    skb.load(ring, (j & mask) << 6, 'eth0', '');
    acc += pre.run(NF_INET_PRE_ROUTING, skb, 1, undefined);
  }
  return acc;
}

let rs = kubeProxyNft(services);
let skbs: Skb[] = [];
if (own) {
  const text = kubeProxyNftText(services);
  const r = parseNft(
    text.split('\n').map((l, i) => ({ text: l, file: 'kube-proxy.nft', line: i + 1, column: 1 })),
  );
  if (!r.ok) throw new Error(`kube-proxy's text did not parse: ${r.diagnostics[0]!.message}`);
  rs = r.ruleset;
  skbs = ownTextPackets(text, mode.endsWith('-noaffinity'));
} else skbs = spreadPackets(services, spread, spread > 4096 ? 16384 : 4096);
const tables = nftFrontEnd(rs).tables(env, undefined);
(tables[0] as NftChainTable).rt.makeFast();
const pre = tables.find((t) => t.name === 'ip kube-proxy nat-prerouting')!;
for (const skb of skbs) {
  const before = natCount();
  if (pre.run(NF_INET_PRE_ROUTING, skb, 1, undefined) !== T_ACCEPT || natCount() !== before + 1)
    throw new Error('the packets did not reach their dnat');
}
let acc = 0;
const ring = ringOf(skbs);
const one = ringSkb();
const measured = (n: number): number => (ringMode ? loopRing(pre, one, ring, n) : loop(pre, skbs, n));
acc += measured(400_000); // warm-up: the interpreter optimized

/** Runs `n` measured packets (for an A/B run that imports two builds' drivers). */
export const batch = (n: number): number => measured(n);

const against = main ? process.argv.indexOf('--against') : -1;
if (against >= 0) {
  // A/B in one process: this build (B) against another build's bundle of this driver (A), on the
  // same arguments, batches alternating (the order flipped every round), CPU time per batch.
  const other = (await import(process.argv[against + 1]!)) as { batch: (n: number) => number };
  const n = 200_000;
  const rounds = Number(process.env.KP_AB_ROUNDS ?? 16);
  const ta: number[] = [];
  const tb: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const b of r % 2 === 0 ? [false, true] : [true, false]) {
      const c0 = process.cpuUsage();
      acc += b ? batch(n) : other.batch(n);
      const c = process.cpuUsage(c0);
      (b ? tb : ta).push((c.user + c.system) / 1e6);
    }
  }
  const med = (x: number[]): number => [...x].sort((p, q) => p - q)[x.length >> 1]!;
  const ra = n / med(ta);
  const rb = n / med(tb);
  console.log(
    `${services} services, ${spread} spread, ${mode}: per CPU second, median of ${rounds} batches of ${n}: A ${(ra / 1e6).toFixed(2)} M/s, B ${(rb / 1e6).toFixed(2)} M/s, B/A ${(rb / ra).toFixed(3)}; median of paired B/A ${med(ta.map((x, i) => x / tb[i]!)).toFixed(3)}`,
  );
} else if (!main) {
  // Imported by another build's driver (`--against`): its batches only.
} else if (marker) {
  const sleep = new Int32Array(new SharedArrayBuffer(4));
  writeFileSync(`${marker}.ready`, String(process.pid));
  while (!existsSync(`${marker}.go`)) Atomics.wait(sleep, 0, 0, 20);
  acc += measured(packets);
  writeFileSync(`${marker}.done`, '');
  while (!existsSync(`${marker}.stop`)) Atomics.wait(sleep, 0, 0, 200);
} else acc += measured(packets);
const mem = process.memoryUsage();
if (main && against < 0)
  console.log(
    `${services} services, ${spread} spread, ${packets} packets${own ? ", kube-proxy's own text" : ''}${ringMode ? ' (ring)' : ''}: acc ${acc}, heap ${(mem.heapUsed / 1e6).toFixed(1)} MB, rss ${(mem.rss / 1e6).toFixed(1)} MB`,
  );
