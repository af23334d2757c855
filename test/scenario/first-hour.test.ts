// The first hour with natbox (issue 11): YAML the loader must refuse (an alias to no anchor, tags),
// and `server_sees` / `translated_source` with an address alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatScenarioError, loadScenario } from '../../src/scenario/load.ts';
import { simulateScenario } from '../../src/scenario/simulate.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const y = (...lines: string[]): string => lines.join('\n') + '\n';

function errors(text: string, file = 'x.yaml'): string[] {
  const r = loadScenario(text, file);
  if (r.ok) assert.fail('expected errors, the scenario loaded');
  return r.errors.map(formatScenarioError);
}

const PLAIN = 'a scenario is plain YAML (text, numbers, true/false, lists and mappings), with no tags';

test('an alias to an anchor that is not defined is an error at the alias (it read as nothing)', () => {
  assert.deepEqual(errors(y('hosts:', '  a:', '    routes: *nope')), [
    'x.yaml:3:13: alias *nope refers to no anchor: YAML needs "&nope" on a value before the alias',
  ]);
  // An anchor defined after the alias does not count (YAML resolves aliases backwards only).
  assert.deepEqual(errors(y('hosts:', '  a:', '    routes: *r', '  b:', '    routes: &r []')), [
    'x.yaml:3:13: alias *r refers to no anchor: YAML needs "&r" on a value before the alias',
  ]);
  // A defined anchor still works.
  const ok = loadScenario(y('hosts:', '  a: &h', '    routes: []', '  b: *h'), 'x.yaml');
  assert.ok(ok.ok);
  assert.deepEqual(
    ok.scenario.hosts.map((h) => h.name.value),
    ['a', 'b'],
  );
});

test('tags are refused at the tag: unknown ones (!foo) and those that change a value (!!binary, !!str on a mapping)', () => {
  assert.deepEqual(
    errors(
      y(
        'hosts: !!str',
        '  a:',
        '    routes: !foo default via 10.0.0.1',
        '    sysctls: !bar',
        '      net.ipv4.ip_forward: 1',
        '    listen: !!binary dGNwLzgw',
      ),
    ),
    [
      `x.yaml:1:8: tag "!!str" is not accepted: ${PLAIN}`,
      `x.yaml:3:13: unknown tag "!foo": ${PLAIN}`,
      `x.yaml:4:14: unknown tag "!bar": ${PLAIN}`,
      `x.yaml:6:13: tag "!!binary" is not accepted: ${PLAIN}`,
    ],
  );
  // The core tags that only say what the value is are fine.
  const ok = loadScenario(y('hosts:', '  a:', '    routes: !!str default via 10.0.0.1'), 'x.yaml');
  assert.ok(ok.ok);
});

const hairpin = readFileSync(root + 'examples/hairpin/dnat-snat.yaml', 'utf8');
const EXPECT =
  'expect: { verdict: connected, server_sees: 192.168.1.1:40000, translated_source: 192.168.1.1:40000 }';

function mismatches(expect: string): string[] {
  assert.ok(hairpin.includes(EXPECT));
  const r = simulateScenario(hairpin.replace(EXPECT, expect), 'dnat-snat.yaml');
  if (!r.ok) assert.fail(r.errors.join('\n'));
  return r.sim.results[0]!.mismatches;
}

test('server_sees and translated_source take an address alone and check only the address', () => {
  assert.deepEqual(
    mismatches('expect: { verdict: connected, server_sees: 192.168.1.1, translated_source: 192.168.1.1 }'),
    [],
  );
  assert.deepEqual(
    mismatches('expect: { verdict: connected, server_sees: 192.168.1.9, translated_source: 192.168.1.8 }'),
    [
      'expected the source after NAT to be 192.168.1.8, it was 192.168.1.1:40000',
      'expected the server to see 192.168.1.9, it saw 192.168.1.1:40000',
    ],
  );
  // With a port, the port counts as before.
  assert.deepEqual(mismatches('expect: { verdict: connected, server_sees: 192.168.1.1:40001 }'), [
    'expected the server to see 192.168.1.1:40001, it saw 192.168.1.1:40000',
  ]);
});
