// A tiny benchmark harness: runs a body in batches until enough time has passed, reports ops/s.
// Warm-up first so the JIT settles; results are printed, never asserted (no timed tests).

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
  let sink: unknown = body(batch); // warm-up
  const start = process.hrtime.bigint();
  let ops = 0;
  let elapsed = 0;
  while (elapsed < seconds) {
    sink = body(batch);
    ops += batch;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  if (sink === Symbol.for('never')) console.log('');
  const r = { name, opsPerSec: ops / elapsed, ops, seconds: elapsed };
  console.log(`${name.padEnd(60)} ${formatRate(r.opsPerSec)}/s`);
  return r;
}

export function formatRate(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)} k`;
  return x < 10 ? x.toFixed(2) : x.toFixed(0); // a case of seconds per operation: 0.35/s
}
