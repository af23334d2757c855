// Live scenarios must not race with themselves. A flow that closes (its `hold` after connecting) at
// the moment another flow starts puts the first flow's FIN and the second flow's SYN on a shared
// link within a millisecond or two: natbox orders them one way every time, the kernel in either
// order depending on how fast the harness runs (CI stop 27 failed on examples/openwrt's reflection
// pair this way: the kernel's FIN 3 ms after natbox's SYN on br-lan in one run, before it in the
// next). natbox verify now takes two conversations' packets that close in natbox's order
// (src/oracle/interleave.ts), but a race can decide more than an order (which flow gets a port,
// which neighbour timer sees a confirmation), so scenarios keep their flows apart. Scenarios
// whose race is harmless or the point say so with a `# race:` comment and are left alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** The directories test/verify/all.test.ts runs on the kernel, and the generated regressions. */
const DIRS = [
  ...readdirSync('examples', { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join('examples', d.name)),
  'test/conformance/scenarios',
  'test/conformance/extra',
  'test/conformance/nft',
  'test/conformance/generated',
  'test/verify/selftests',
];

/** Closer than this (seconds) a close and a start are one event to the harness. */
const GAP = 0.02;

interface Flow {
  name?: string;
  at?: number | string;
  hold?: number | string;
}

/** Each pair (start of one flow, close of another) nearer than GAP, as a line. */
function races(flows: readonly Flow[]): string[] {
  const out: string[] = [];
  for (const a of flows) {
    if (a.hold === undefined) continue;
    const close = Number(a.at ?? 0) + Number(a.hold);
    for (const b of flows) {
      if (b === a) continue;
      const start = Number(b.at ?? 0);
      if (Math.abs(start - close) < GAP)
        out.push(
          `"${b.name}" starts at ${start} s as "${a.name}" closes (at ${Number(a.at ?? 0)} + hold ${a.hold})`,
        );
    }
  }
  return out;
}

test('flow races: a close and a start at one instant are found, apart they are not', () => {
  assert.deepEqual(
    races([
      { name: 'a', hold: 0.5 },
      { name: 'b', at: 0.5 },
    ]),
    ['"b" starts at 0.5 s as "a" closes (at 0 + hold 0.5)'],
  );
  assert.deepEqual(
    races([
      { name: 'a', at: 0.6, hold: 0.3 },
      { name: 'b', at: 0.9 },
    ]).length,
    1,
  );
  assert.deepEqual(
    races([
      { name: 'a', hold: 0.5 },
      { name: 'b', at: 1.2 },
    ]),
    [],
  );
});

test('flow races: no live scenario starts a flow as another closes (unless it says `# race:`)', () => {
  const found: string[] = [];
  let files = 0;
  for (const dir of DIRS) {
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml'))) {
      const path = join(dir, f);
      const text = readFileSync(path, 'utf8');
      if (/^# race:/m.test(text)) continue;
      const doc = parse(text) as { flows?: Flow[] } | null;
      if (!Array.isArray(doc?.flows)) continue;
      files++;
      for (const r of races(doc.flows)) found.push(`${path}: ${r}`);
    }
  }
  assert.ok(files > 100, `only ${files} scenarios with flows read`);
  assert.deepEqual(found, []);
});
