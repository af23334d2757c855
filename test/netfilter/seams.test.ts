// The seam between the engine's core and its front ends (issue 12): src/netfilter/core/ knows the
// iptables front end only in engine.ts, the composition that wires it (xtables/table.ts and
// xtables/check.ts); nothing else in core/ imports rules/ or xtables/, so an nftables evaluator
// can stand beside xtables/ by implementing core/table.ts's NfTable. A tracer receives rules as
// TracedRule (core/trace-events.ts), tagged with its language (xtables/traced-rule.ts); the trace
// layer prints it (trace/rule-text.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const CORE = join(import.meta.dirname, '../../src/netfilter/core');

function imports(file: string): string[] {
  const text = readFileSync(join(CORE, file), 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]!);
}

test('core/: only engine.ts imports a front end (xtables/), and no file imports rules/', () => {
  const found: string[] = [];
  for (const f of readdirSync(CORE)
    .filter((n) => n.endsWith('.ts'))
    .sort()) {
    for (const spec of imports(f)) {
      if (/\/rules\//.test(spec) || /\/xtables\//.test(spec)) found.push(`${f} → ${spec}`);
    }
  }
  assert.deepEqual(found, [
    'engine.ts → ../xtables/table.ts',
    'engine.ts → ../xtables/check.ts',
    'engine.ts → ../xtables/check.ts',
  ]);
});
