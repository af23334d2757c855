// The seam between the front end and the engine (issue 12): every match the iptables front end
// reads (rules/iptables/ext/index.ts) has an engine module (netfilter/xtables/matches.ts), and the
// engine's match files import nothing of the iptables front end but its model (no parser, no
// printer), so another front end (nft) can hand the engine the same model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MATCH_NAMES } from '../../src/rules/iptables/ext/index.ts';
import { MATCHES } from '../../src/netfilter/xtables/matches.ts';

const XT = join(import.meta.dirname, '../../src/netfilter/xtables');

test('match registry: each -m the front end reads has an engine module, and no more', () => {
  const engine = Object.keys(MATCHES).filter((n) => n !== 'other');
  assert.deepEqual([...engine].sort(), [...MATCH_NAMES].sort());
});

test('match registry: netfilter/xtables imports only the model from rules/iptables (rules/counters.ts and the like are no front end)', () => {
  const bad: string[] = [];
  for (const f of readdirSync(XT).filter((n) => n.endsWith('.ts'))) {
    const text = readFileSync(join(XT, f), 'utf8');
    for (const m of text.matchAll(/from '([^']*rules\/iptables\/[^']*)'/g)) {
      if (!m[1]!.endsWith('/rules/iptables/model.ts')) bad.push(`${f}: ${m[1]}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('match registry: one file match-<name>.ts per engine module', () => {
  const files = new Set(readdirSync(XT).filter((n) => /^match-.*\.ts$/.test(n)));
  // tcp and udp share xt_tcpudp.c's file, as in the kernel.
  const fileOf = (n: string): string => `match-${n === 'tcp' || n === 'udp' ? 'tcpudp' : n}.ts`;
  const missing = Object.keys(MATCHES).filter((n) => !files.has(fileOf(n)));
  assert.deepEqual(missing, []);
});
