// Object commands (`add|create counter|quota|limit|ct timeout|ct helper|synproxy FAMILY TABLE NAME`
// with a config or a block: parser_bison.y add_cmd). What they make is the fixture
// object-commands.nft (print.test.ts checks it against nft's listing); here the errors, each as
// `nft -f` of nftables v1.0.6 printed it on Linux 6.18 in a fresh network namespace for
// `add table ip t` followed by the line, and nothing applied.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNft, printNft } from '../../../src/rules/nft/index.ts';
import { lines } from './fixtures.ts';

const first = (cmd: string): string => {
  const r = parseNft(lines(`add table ip t\n${cmd}\n`, 'e.nft'));
  if (r.ok) return printNft(r.ruleset);
  const d = r.diagnostics[0]!;
  return `${d.line}:${d.column}: ${d.message}`;
};

test('nft object commands: what nft 1.0.6 refuses, where', () => {
  const cases: [string, string][] = [
    ['add counter ip nope c1', '2:16: No such file or directory'],
    ['add quota ip t q', '2:17: syntax error, unexpected newline, expecting number'],
    ['add limit ip t l', "2:17: syntax error, unexpected newline, expecting rate or '{'"],
    ['add ct timeout ip t x', "2:22: syntax error, unexpected newline, expecting '{'"],
    [
      'add ct bogus ip t x',
      '2:8: syntax error, unexpected string, expecting timeout or expectation or helper',
    ],
    ['add counter ip t cc\ncreate counter ip t cc', '3:21: Could not process rule: File exists'],
  ];
  for (const [cmd, want] of cases) assert.equal(first(cmd), want, cmd);
});

test('nft object commands: add of an object there: a quota takes the new limit, a counter keeps its own', () => {
  assert.equal(
    first(
      'add quota ip t q 5 mbytes\nadd quota ip t q over 7 kbytes\nadd counter ip t c packets 1 bytes 2\nadd counter ip t c packets 9 bytes 9',
    ),
    'table ip t {\n\tquota q {\n\t\tover 7 kbytes\n\t}\n\n\tcounter c {\n\t\tpackets 1 bytes 2\n\t}\n}\n',
  );
  // A quota and a counter may share a name (objects are per type).
  assert.equal(
    first('add quota ip t x 5 mbytes\nadd counter ip t x'),
    'table ip t {\n\tquota x {\n\t\t5 mbytes\n\t}\n\n\tcounter x {\n\t\tpackets 0 bytes 0\n\t}\n}\n',
  );
});
