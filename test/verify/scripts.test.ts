// natbox verify with rules written as a script (docs/scripts.md): the kernel gets the operations
// natbox's loader applied (src/rules/load.ts AppliedOp), so the checks before a live run see the
// words after the script's expansion. The live run of such a scenario is
// test/conformance/extra/script-port-forward.yaml (test/verify/all.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { prepareVerify } from '../../src/cli/verify/verify.ts';

const FILE = 'test/conformance/extra/script-port-forward.yaml';
const TEXT = readFileSync(FILE, 'utf8');

test('the script scenario is prepared for a live run', () => {
  const p = prepareVerify(TEXT, FILE);
  assert.ok(p.ok, p.ok ? '' : p.errors.join('\n'));
});

test('a variable cannot hide an octal address from the check: refused where it is expanded', () => {
  // natbox reads 010.0.0.0/8 as 10.0.0.0/8; the kernel's iptables as 8.0.0.0/8.
  const text = TEXT.replace('LAN_NET=192.168.1.0/24', 'LAN_NET=010.0.0.0/8');
  assert.notEqual(text, TEXT);
  const p = prepareVerify(text, FILE);
  assert.ok(!p.ok, 'prepared, but should have been refused');
  const lines = TEXT.split('\n');
  const line = lines.findIndex((l) => l.includes('|| iptables -t nat -A POSTROUTING')) + 1;
  // The -A after `||` on the first -C || -A line: its `$LAN_NET`.
  const col = lines[line - 1]!.lastIndexOf('$LAN_NET') + 1;
  assert.match(
    p.errors.join('\n'),
    new RegExp(`^${FILE}:${line}:${col}: "010\\.0\\.0\\.0" is not plain dotted decimal.*8\\.0\\.0\\.0 there`),
  );
});
