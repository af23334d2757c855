// A tiny benchmark harness: runs a body in batches until enough time has passed, reports ops/s.
// Warm-up first so the JIT settles; results are printed, never asserted (no timed tests).
import { loadavg } from 'node:os';

export interface BenchResult {
  readonly name: string;
  readonly opsPerSec: number;
  readonly ops: number;
  readonly seconds: number;
}

/** `NATBOX_BENCH_ONLY=regex` runs only the cases whose name matches. */
const only = process.env.NATBOX_BENCH_ONLY ? new RegExp(process.env.NATBOX_BENCH_ONLY) : undefined;

/** `body(n)` must perform n operations and return a value (kept so the work is not optimised away). */
export function bench(
  name: string,
  body: (n: number) => unknown,
  opts: { seconds?: number; batch?: number } = {},
): BenchResult {
  if (only && !only.test(name)) return { name, opsPerSec: 0, ops: 0, seconds: 0 };
  const seconds = opts.seconds ?? 1;
  const batch = opts.batch ?? 10_000;
  // Warm-up: at least a fifth of the measured time, so the JIT's optimised code (compiled on a
  // background thread) is in place before the clock starts, whatever the batch's size.
  let sink: unknown = body(batch);
  const warm = process.hrtime.bigint();
  while (Number(process.hrtime.bigint() - warm) / 1e9 < seconds / 5) sink = body(batch);
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  let ops = 0;
  let elapsed = 0;
  while (elapsed < seconds) {
    sink = body(batch);
    ops += batch;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  const cpu = process.cpuUsage(cpu0);
  if (sink === Symbol.for('never')) console.log('');
  const r = { name, opsPerSec: ops / elapsed, ops, seconds: elapsed };
  // The rate per CPU second of this process beside the wall-clock one: on a shared machine the
  // wall clock counts other processes' time too. The load says how shared it was.
  const perCpu = ops / ((cpu.user + cpu.system) / 1e6);
  const load = loadavg()[0]!.toFixed(1);
  console.log(
    `${name.padEnd(60)} ${formatRate(r.opsPerSec)}/s (${formatRate(perCpu)}/s per CPU second, load ${load})`,
  );
  return r;
}

export function formatRate(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)} k`;
  return x < 10 ? x.toFixed(2) : x.toFixed(0); // a case of seconds per operation: 0.35/s
}
