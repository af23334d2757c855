// `include "file"` in a scenario's nft text and in an `nft -f FILE` event's file
// (src/scenario/nft-include.ts): the included lines in place with their own positions, names
// resolved against the including file's folder, and the limits (nft's 16 levels, a cycle, a
// missing file) as errors at the include line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatScenarioError, loadScenario, type ReadFile } from '../../src/scenario/load.ts';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { printNft } from '../../src/rules/nft/index.ts';

function memFs(files: Record<string, string>): ReadFile {
  return (path) => (path in files ? { ok: true, text: files[path]! } : { ok: false, error: 'no such file' });
}

const scenario = (nft: string, events = ''): string =>
  [
    'hosts:',
    '  r:',
    '    interfaces: { eth0: 192.0.2.1/24 }',
    '    nft: |',
    ...nft.split('\n').map((l) => `      ${l}`),
    events,
  ].join('\n');

test('an include in the nft text: the lines in place, positioned in the included file', () => {
  const fs = memFs({
    'dir/defs.nft': 'define out = "eth0"\ninclude "sub/more.nft"\n',
    'dir/sub/more.nft': '\n  define net = 10.0.0.0/8\n',
  });
  const l = loadScenario(
    scenario(
      'include "defs.nft"\ntable ip nat {\n  chain post { type nat hook postrouting priority srcnat; oifname $out ip saddr $net masquerade; }\n}',
    ),
    'dir/s.yaml',
    { readFile: fs },
  );
  assert.ok(l.ok, l.ok ? '' : l.errors.map(formatScenarioError).join('\n'));
  const lines = l.scenario.hosts[0]!.nft!.lines;
  assert.deepEqual(
    lines.slice(0, 2).map((x) => [x.value, x.loc.file, x.loc.line, x.loc.column]),
    [
      ['define out = "eth0"', 'dir/defs.nft', 1, 1],
      ['define net = 10.0.0.0/8', 'dir/sub/more.nft', 2, 3],
    ],
  );
  const r = simulateScenario(
    scenario(
      'include "defs.nft"\ntable ip nat {\n  chain post { type nat hook postrouting priority srcnat; oifname $out ip saddr $net masquerade; }\n}',
    ),
    'dir/s.yaml',
    { readFile: fs },
  );
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  assert.match(printNft(r.sim.world.host('r').nft!), /oifname "eth0" ip saddr 10\.0\.0\.0\/8 masquerade/);
});

test('include limits: a missing file, a cycle, 17 levels: errors at the include line', () => {
  const errs = (files: Record<string, string>, nft: string): string[] => {
    const l = loadScenario(scenario(nft), 'd/s.yaml', { readFile: memFs(files) });
    assert.ok(!l.ok);
    return l.errors.map(formatScenarioError);
  };
  const missing = errs({}, 'include "nope.nft"');
  assert.equal(missing.length, 1);
  assert.match(missing[0]!, /^d\/s\.yaml:5:15: .*File not found: nope\.nft \(d\/nope\.nft: no such file\)/);
  const cycle = errs(
    { 'd/a.nft': 'include "b.nft"', 'd/b.nft': '# b\n  include "a.nft"' },
    'include "a.nft"',
  );
  assert.equal(cycle.length, 1);
  assert.match(
    cycle[0]!,
    /^d\/b\.nft:2:11: .*include cycle: d\/s\.yaml includes d\/a\.nft includes d\/b\.nft includes d\/a\.nft/,
  );
  const self = errs({}, 'include "s.yaml"');
  assert.match(self[0]!, /include cycle: d\/s\.yaml includes d\/s\.yaml/);
  const deep: Record<string, string> = {};
  for (let i = 0; i < 20; i++) deep[`d/f${i}.nft`] = `include "f${i + 1}.nft"`;
  const tooDeep = errs(deep, 'include "f0.nft"');
  assert.equal(tooDeep.length, 1);
  assert.match(tooDeep[0]!, /^d\/f15\.nft:1:9: .*Include nested too deeply, max 16 levels/);
});

test('nft -f FILE as an event: the file (and its include) read at load; a bad file fails as nft -f does', () => {
  const fs = memFs({
    'd/defs.nft': 'define lan = 10.0.0.0/8',
    'd/add.nft':
      'include "defs.nft"\ntable ip nat {\n\tchain post {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n\t\tip saddr $lan masquerade\n\t}\n}\n',
    'd/bad.nft': 'table ip nat {\n\tchain post {\n\t\tip saddr bogus masquerade\n\t}\n}\n',
  });
  const events = [
    'events:',
    '  - { at: 1, host: r, run: "nft -f add.nft" }',
    '  - { at: 2, host: r, run: "nft -f bad.nft" }',
  ].join('\n');
  const r = simulateScenario(scenario('table ip nat {\n}', events), 'd/s.yaml', { readFile: fs });
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  assert.deepEqual(
    r.sim.events.map((e) => [e.rc, e.stderr, e.effect]),
    [
      [0, '', 'nft -f add.nft'],
      [
        1,
        'bad.nft:3:10-14: Error: Could not resolve hostname: Name or service not known\nip saddr bogus masquerade\n         ^^^^^\n',
        '',
      ],
    ],
  );
  assert.match(printNft(r.sim.world.host('r').nft!), /ip saddr 10\.0\.0\.0\/8 masquerade/);
  const l = loadScenario(
    scenario('table ip nat {\n}', '\nevents:\n  - { at: 1, host: r, run: "nft -f gone.nft" }'),
    'd/s.yaml',
    {
      readFile: fs,
    },
  );
  assert.ok(!l.ok);
  assert.match(formatScenarioError(l.errors[0]!), /nft -f gone\.nft: cannot read d\/gone\.nft: no such file/);
});
