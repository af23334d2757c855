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
// Each spread runs twice: from the 4,096 packets' own Skbs (about 1.3 MB of objects and typed
// arrays the walk finds cold in cache: about half its misses at 4,096 services), and ", Skb.load
// from a ring": the same packets' bytes in 64-byte slots of one buffer (as a NIC's receive ring),
// each loaded into one Skb (as ip4.ts loads every packet into its stack's Skb) and walked, the
// load in the figure.
// Rates are per CPU second of this process (process.cpuUsage) beside the wall-clock rate: the
// machine is shared, and the CPU time is what the evaluator costs.
// Then the same for the ruleset as kube-proxy writes it (bench/fixtures/kube-proxy-nft.ts, read
// with parseNft), and loading and printing that text side by side with the real nft: natbox's
// parseNft + compile + printNft in this process, `nft -f FILE` + `nft list ruleset` in a throwaway
// network namespace (nbx-nftbench-PID, a fresh one per run, deleted afterwards whatever happens; skipped with the
// reason when not root or without ip netns / nft), each the median of RUNS runs, and the ratios of
// wall clock and of CPU time (natbox's process.cpuUsage; nft's user + system time as bash's `times`
// reports it, the kernel's netlink work included). NATBOX_BENCH_NO_KERNEL=1 leaves the nft side out
// (it takes minutes at 10,000 services).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatRate } from './harness.ts';
import { kubeProxyNft as kubeProxyNftText } from './fixtures/kube-proxy-nft.ts';
import { parseNft, printNft } from '../src/rules/nft/index.ts';
import type { NfTable } from '../src/netfilter/core/table.ts';
import { nftFrontEnd, NftChainTable } from '../src/netfilter/nftables/index.ts';
import { NF_INET_PRE_ROUTING } from '../src/netfilter/core/hook-numbers.ts';
import { T_ACCEPT } from '../src/netfilter/core/table.ts';
import type { Skb } from '../src/netfilter/core/skb.ts';
import {
  clusterIps,
  env,
  kubeProxyNft,
  natCount,
  ownTextPackets,
  ringOf,
  ringSkb,
  spreadPackets,
} from './kube-proxy-nft-model.ts';

const only = process.env.NATBOX_BENCH_ONLY ? new RegExp(process.env.NATBOX_BENCH_ONLY) : undefined;
const N = Number(process.env.NATBOX_BENCH_SERVICES ?? 10_000);

const name = `nft: kube-proxy ruleset, ${N} services`;
const RUNS = Number(process.env.NATBOX_BENCH_RUNS ?? 3);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

/** One batch of `batch` walks over `skbs` (this checkout's tables). */
function loopOurs(pre: NfTable, skbs: readonly Skb[], batch: number): number {
  const n = skbs.length;
  let acc = 0;
  for (let j = 0; j < batch; j++) acc += pre.run(NF_INET_PRE_ROUTING, skbs[j % n]!, 1, undefined);
  return acc;
}

/** The same for the checkout compared with: a copy, so each call site sees one class. */
function loopTheirs(pre: NfTable, skbs: readonly Skb[], batch: number): number {
  const n = skbs.length;
  let acc = 0;
  for (let j = 0; j < batch; j++) acc += pre.run(NF_INET_PRE_ROUTING, skbs[j % n]!, 1, undefined);
  return acc;
}

/**
 * The ring rows (kube-proxy-nft-model.ts ringOf): one batch, each packet's bytes loaded from its
 * slot of the ring into the one Skb (Skb.load, in the figure) and walked.
 */
function loopRingOurs(pre: NfTable, skb: Skb, ring: Uint8Array, batch: number): number {
  const mask = ring.length / 64 - 1;
  let acc = 0;
  for (let j = 0; j < batch; j++) {
    skb.load(ring, (j & mask) << 6, 'eth0', '');
    acc += pre.run(NF_INET_PRE_ROUTING, skb, 1, undefined);
  }
  return acc;
}

function loopRingTheirs(pre: NfTable, skb: Skb, ring: Uint8Array, batch: number): number {
  const mask = ring.length / 64 - 1;
  let acc = 0;
  for (let j = 0; j < batch; j++) {
    skb.load(ring, (j & mask) << 6, 'eth0', '');
    acc += pre.run(NF_INET_PRE_ROUTING, skb, 1, undefined);
  }
  return acc;
}

/** Each bench packet must reach its dnat (an accept after one NAT binding). */
function checkReach(pre: NfTable, skbs: readonly Skb[]): void {
  for (const skb of skbs) {
    const before = natCount();
    if (pre.run(NF_INET_PRE_ROUTING, skb, 1, undefined) !== T_ACCEPT || natCount() !== before + 1)
      throw new Error(`the bench packets did not reach their dnat (${natCount() - before} NAT bindings)`);
  }
}

const loadavg = (): string => {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return '?';
  }
};

/**
 * The rate of `pre.run` over `skbs` for about `seconds` (after a warm-up): per CPU second of this
 * process and wall clock, with the load average. With `theirs` (NATBOX_BENCH_AGAINST's tables for
 * the same ruleset) the two alternate batch by batch in this process, each batch's CPU time its
 * own: both see the same machine, and the line gives both rates and their ratio. In the ring rows
 * each loads the packets into its own checkout's Skb (its Skb.load in its figure).
 */
function classify(
  label: string,
  pre: NfTable,
  skbs: readonly Skb[],
  theirs?: NfTable,
  ring?: Uint8Array,
  seconds = 2,
): void {
  checkReach(pre, skbs);
  if (theirs) checkReach(theirs, skbs);
  const batch = 50_000;
  const one = ringSkb();
  // The checkout compared with loads the ring into its own Skb (its Skb.load in its figure).
  const theirOne = TheirSkb ? Object.assign(new TheirSkb(), { env: one.env }) : one;
  const ours = (): number => (ring ? loopRingOurs(pre, one, ring, batch) : loopOurs(pre, skbs, batch));
  const their = (t: NfTable): number =>
    ring ? loopRingTheirs(t, theirOne, ring, batch) : loopTheirs(t, skbs, batch);
  ours();
  if (theirs) their(theirs);
  const t0 = process.hrtime.bigint();
  let ops = 0;
  let cpu = 0;
  let cpuTheirs = 0;
  let wall = 0;
  const load = loadavg();
  // Each batch's own rate: their median is the figure, untouched by a pause that is not the
  // classification's (a collection of the ruleset's load garbage, the VM's steal) in a few batches.
  const rates: number[] = [];
  while (wall < seconds * (theirs ? 2 : 1)) {
    let c0 = process.cpuUsage();
    ours();
    let c = process.cpuUsage(c0);
    cpu += (c.user + c.system) / 1e6;
    rates.push(batch / Math.max((c.user + c.system) / 1e6, 1e-6));
    if (theirs) {
      c0 = process.cpuUsage();
      their(theirs);
      c = process.cpuUsage(c0);
      cpuTheirs += (c.user + c.system) / 1e6;
    }
    ops += batch;
    wall = ms(t0) / 1e3;
  }
  const rate = ops / cpu;
  const vs = theirs
    ? `; ${against}: ${formatRate(ops / cpuTheirs)}/s, ${(rate / (ops / cpuTheirs)).toFixed(2)}x`
    : `, wall ${formatRate(ops / wall)}/s`;
  rates.sort((a, b) => a - b);
  const median = rates[rates.length >> 1]!;
  const head = theirs
    ? `${formatRate(rate)}/s per CPU second`
    : `${formatRate(median)}/s per CPU second (median of ${rates.length} batches of ${batch}; all batches together ${formatRate(rate)}/s)`;
  console.log(`${label.padEnd(90)} ${head} (load ${load}${vs})`);
}

/** NATBOX_BENCH_AGAINST: another checkout (e.g. ../natbox-main) whose nft evaluator runs beside this one. */
const against = process.env.NATBOX_BENCH_AGAINST;
const theirFrontEnd: typeof nftFrontEnd | undefined = against
  ? (
      (await import(pathToFileURL(join(against, 'src/netfilter/nftables/index.ts')).href)) as {
        nftFrontEnd: typeof nftFrontEnd;
      }
    ).nftFrontEnd
  : undefined;
/** Its Skb class (core/skb.ts), for its ring rows. */
const TheirSkb: (new () => Skb) | undefined = against
  ? (
      (await import(pathToFileURL(join(against, 'src/netfilter/core/skb.ts')).href)) as {
        Skb: new () => Skb;
      }
    ).Skb
  : undefined;

if (!only || only.test(name)) {
  const rs = kubeProxyNft(N);
  const times: number[] = [];
  const fastTimes: number[] = [];
  let tables = nftFrontEnd(rs).tables(env, undefined);
  for (let r = 0; r < 3; r++) {
    const t0 = process.hrtime.bigint();
    tables = nftFrontEnd(rs).tables(env, undefined);
    times.push(ms(t0));
    // The untraced walk's program, made by the first untraced packet (fast.ts).
    const t1 = process.hrtime.bigint();
    (tables[0] as NftChainTable).rt.makeFast();
    fastTimes.push(ms(t1));
  }
  console.log(
    `${`${name}: compile (nftFrontEnd(rs).tables ${median(times).toFixed(0)} + fast program ${median(fastTimes).toFixed(0)} ms, median of 3)`.padEnd(90)} ${median(times.map((t, i) => t + fastTimes[i]!)).toFixed(0)} ms (load ${loadavg()})`,
  );
  const pre = tables.find((t) => t.name === 'ip kube-proxy nat-prerouting')!;
  const theirs = theirFrontEnd?.(rs)
    .tables(env, undefined)
    .find((t) => t.name === 'ip kube-proxy nat-prerouting');
  // 4,096 first packets, half from inside the cluster CIDR, to services spread over 1, 16, 256
  // or 4,096 distinct services of the map (each packet's chains hot in cache, or likely cold).
  // Then the same packets from a ring of their bytes loaded into one Skb (ringOf): the bench's
  // 4,096 cold Skb objects out of the figure, Skb.load in it.
  for (const viaRing of [false, true])
    for (const spread of [1, 16, 256, 4096]) {
      const skbs = spreadPackets(N, spread);
      classify(
        `${name}: first-packet classification, ${spread} service${spread > 1 ? 's' : ''}${viaRing ? ', Skb.load from a ring' : ''}`,
        pre,
        skbs,
        theirs,
        viaRing ? ringOf(skbs) : undefined,
      );
    }
}

const kname = `nft: kube-proxy's own text (bench/fixtures/kube-proxy-nft.ts), ${N} services`;
if (!only || only.test(kname)) {
  const text = kubeProxyNftText(N);
  const lines = (t: string): { text: string; file: string; line: number; column: number }[] =>
    t.split('\n').map((l, i) => ({ text: l, file: 'kube-proxy.nft', line: i + 1, column: 1 }));
  // natbox: parse + compile + print, a warm-up then RUNS runs.
  let ours = '';
  let first = 0;
  const parseMs: number[] = [];
  const compileMs: number[] = [];
  const printMs: number[] = [];
  const cpuMs: number[] = [];
  let tables: readonly NfTable[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const r = parseNft(lines(text));
    if (!r.ok) throw new Error(`the bench ruleset did not parse: ${r.diagnostics[0]!.message}`);
    const t1 = process.hrtime.bigint();
    tables = nftFrontEnd(r.ruleset).tables(env, undefined);
    const t2 = process.hrtime.bigint();
    ours = printNft(r.ruleset);
    const total = ms(t0);
    const c = process.cpuUsage(c0);
    if (i === 0) first = total;
    else {
      cpuMs.push((c.user + c.system) / 1e3);
      parseMs.push(Number(t1 - t0) / 1e6);
      compileMs.push(Number(t2 - t1) / 1e6);
      printMs.push(ms(t2));
    }
  }
  const nb = median(parseMs.map((p, i) => p + compileMs[i]! + printMs[i]!));
  const nbCpu = median(cpuMs);
  console.log(
    `${`${kname}: natbox load (parse ${median(parseMs).toFixed(0)} + compile ${median(compileMs).toFixed(0)} + print ${median(printMs).toFixed(0)} ms; cold first run ${first.toFixed(0)} ms)`.padEnd(90)} ${nb.toFixed(0)} ms, CPU ${nbCpu.toFixed(0)} ms (load ${loadavg()})`,
  );
  // Classification through kube-proxy's own chains: 4,096 first packets to ClusterIPs spread over
  // the service-ips map (half from inside the cluster CIDR).
  const pre = tables.find((t) => t.name === 'ip kube-proxy nat-prerouting')!;
  const skbs = ownTextPackets(text);
  const nsvc = clusterIps(text).length;
  // NATBOX_BENCH_AGAINST: the other checkout's tables for the same text (this checkout's reader).
  const parsed = theirFrontEnd ? parseNft(lines(text)) : undefined;
  const theirs =
    parsed?.ok && theirFrontEnd
      ? theirFrontEnd(parsed.ruleset)
          .tables(env, undefined)
          .find((t) => t.name === 'ip kube-proxy nat-prerouting')
      : undefined;
  classify(`${kname}: first-packet classification over ${nsvc} ClusterIPs`, pre, skbs, theirs);
  classify(
    `${kname}: first-packet classification over ${nsvc} ClusterIPs, Skb.load from a ring`,
    pre,
    skbs,
    theirs,
    ringOf(skbs),
  );
  sideBySide(kname, text, nb, nbCpu, ours);
}

function kernelWhy(): string | undefined {
  if (process.env.NATBOX_BENCH_NO_KERNEL) return 'NATBOX_BENCH_NO_KERNEL is set';
  if (process.platform !== 'linux') return 'needs Linux';
  if (process.getuid?.() !== 0) return 'needs root (ip netns add)';
  const ip = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (ip.error || ip.status !== 0) return '"ip netns" is not available (install iproute2)';
  const nft = spawnSync('nft', ['--version'], { encoding: 'utf8' });
  if (nft.error || nft.status !== 0) return 'nft is not installed';
  return undefined;
}

/** `nft -f FILE` + `nft list ruleset`, each of RUNS runs in a fresh throwaway namespace. */
function sideBySide(label: string, text: string, natboxMs: number, natboxCpu: number, ours: string): void {
  const why = kernelWhy();
  if (why) {
    console.log(`${label}: nft side skipped: ${why}`);
    return;
  }
  const ns = `nbx-nftbench-${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'nbx-nftbench-'));
  try {
    const file = join(dir, 'kube-proxy.nft');
    writeFileSync(file, text);
    const loadMs: number[] = [];
    const listMs: number[] = [];
    const cpuMs: number[] = [];
    let theirs = '';
    for (let i = 0; i < RUNS; i++) {
      const add = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
      if (add.status !== 0) {
        console.log(`${label}: nft side skipped: ip netns add failed: ${add.stderr.trim()}`);
        return;
      }
      try {
        // Each nft under a shell whose `times` (to stderr) gives nft's user + system CPU time.
        const t0 = process.hrtime.bigint();
        const r = spawnSync(
          'ip',
          ['netns', 'exec', ns, 'bash', '-c', 'nft -f "$1" && times >&2', '_', file],
          {
            encoding: 'utf8',
            timeout: 600_000,
          },
        );
        const t1 = process.hrtime.bigint();
        if (r.status !== 0) throw new Error(`nft -f refused the bench ruleset: ${r.stderr.slice(0, 500)}`);
        const l = spawnSync('ip', ['netns', 'exec', ns, 'bash', '-c', 'nft list ruleset && times >&2'], {
          encoding: 'utf8',
          timeout: 600_000,
          maxBuffer: 1 << 30,
        });
        if (l.status !== 0) throw new Error(`nft list ruleset failed: ${l.stderr.slice(0, 500)}`);
        loadMs.push(Number(t1 - t0) / 1e6);
        listMs.push(ms(t1));
        cpuMs.push(childCpuMs(r.stderr) + childCpuMs(l.stderr));
        theirs = l.stdout;
      } finally {
        spawnSync('ip', ['netns', 'del', ns]);
      }
    }
    const k = median(loadMs.map((x, i) => x + listMs[i]!));
    const kCpu = median(cpuMs);
    console.log(
      `${`${label}: nft (nft -f ${median(loadMs).toFixed(0)} ms + nft list ruleset ${median(listMs).toFixed(0)} ms)`.padEnd(90)} ${k.toFixed(0)} ms, CPU ${kCpu.toFixed(0)} ms (load ${loadavg()})`,
    );
    console.log(
      `${label}: natbox / nft = ${(natboxMs / k).toFixed(2)} wall, ${(natboxCpu / kCpu).toFixed(2)} CPU (listings ${ours === theirs ? 'byte-identical' : 'DIFFER'})`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The children's user + system time that bash's `times` printed last (`0m1.234s 0m5.678s`), in ms. */
function childCpuMs(stderr: string): number {
  const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(stderr);
  return m ? (Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1e3 : NaN;
}
