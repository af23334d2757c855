// `natbox diff` says why each changed verdict changed, rule by rule (issue 17, point 4): the rule
// that matched in one ruleset and not in the other, with FILE:LINE, or that the other has no such
// rule. On the seed's pair the why is rule B (examples/hairpin/dnat-snat.yaml's own POSTROUTING
// rule, line 30), which dnat-only.yaml lacks; on the shadowed-rule scenario and the fixed scenario
// natbox check proposes for it, the REJECT that decided first and the ACCEPT moved before it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { CLI } from '../cli-argv.ts';

const diff = (...args: string[]): { rc: number | null; out: string } => {
  const r = spawnSync(process.execPath, [...CLI, 'diff', ...args], { encoding: 'utf8' });
  return { rc: r.status, out: r.stdout };
};

test('the seed pair: the why of the changed verdict is rule B, missing in dnat-only', () => {
  const r = diff('--json', 'examples/hairpin/dnat-only.yaml', 'examples/hairpin/dnat-snat.yaml');
  assert.equal(r.rc, 1);
  const doc = JSON.parse(r.out);
  assert.deepEqual(doc.flows[0].why, [
    {
      matchedIn: 'b',
      host: 'router',
      chain: 'nat POSTROUTING',
      rule: '-A POSTROUTING -s 192.168.1.0/24 -d 192.168.1.200/32 -o br-lan -p tcp -m tcp --dport 80 -j SNAT --to-source 192.168.1.1',
      where: 'examples/hairpin/dnat-snat.yaml:30',
      other: 'missing',
    },
  ]);
  const schema = JSON.parse(readFileSync('schema/diff.schema.json', 'utf8'));
  const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
  assert.ok(validate(doc), JSON.stringify(validate.errors));
  const text = diff('examples/hairpin/dnat-only.yaml', 'examples/hairpin/dnat-snat.yaml').out;
  assert.match(
    text,
    /^ {2}why:\n {4}\+ router: nat POSTROUTING: -A POSTROUTING .* -j SNAT --to-source 192\.168\.1\.1\n {8}matched in examples\/hairpin\/dnat-snat\.yaml:30\n {8}examples\/hairpin\/dnat-only\.yaml has no such rule$/m,
  );
});

test('a shadowed rule and its fix: the REJECT that decided first, the ACCEPT that now matches', () => {
  const a = 'examples/check/shadowed-rule.yaml';
  const b = 'test/conformance/extra/check-fixed-shadowed-rule.yaml';
  const doc = JSON.parse(diff('--json', a, b).out);
  const why = doc.flows[0].why as {
    matchedIn: string;
    rule: string;
    other: string;
    where?: string;
    otherWhere?: string;
  }[];
  assert.deepEqual(
    why.find((w) => w.rule.includes('-j REJECT')),
    {
      matchedIn: 'a',
      host: 'router',
      chain: 'filter FORWARD',
      rule: '-A FORWARD -j REJECT --reject-with icmp-host-prohibited',
      where: `${a}:25`,
      other: 'not-matched',
    },
  );
  const acc = why.find((w) => w.rule.includes('--dport 80 -j ACCEPT'))!;
  assert.equal(acc.matchedIn, 'b');
  assert.equal(acc.other, 'not-matched');
  // Unchanged flows carry no why.
  const same = JSON.parse(diff('--json', a, a).out);
  assert.equal(same.flows[0].why, undefined);
});
