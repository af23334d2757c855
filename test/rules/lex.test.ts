// Splitting lines into words: shell quoting for scripts, iptables-restore's for restore files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endsWithContinuation, lexRestore, lexShell } from '../../src/rules/iptables/lex.ts';

const line = (text: string, column = 1) => ({ text, file: 'f', line: 1, column });
const words = (r: ReturnType<typeof lexShell>): [string, number][] => {
  assert.ok(r.ok, r.ok ? '' : r.message);
  return r.tokens.map((t) => [t.text, t.column]);
};

test('lex: shell words keep their columns; quotes and escapes as sh reads them', () => {
  assert.deepEqual(words(lexShell([line(`a  'b c' "d \\"e\\" \\x" f\\ g h#i # comment`)])), [
    ['a', 1],
    ['b c', 4],
    ['d "e" \\x', 10],
    ['f g', 23],
    ['h#i', 28],
  ]);
});

test('lex: a column offset moves every token', () => {
  assert.deepEqual(words(lexShell([line('iptables -F', 7)])), [
    ['iptables', 7],
    ['-F', 16],
  ]);
});

test('lex: backslash-newline joins lines', () => {
  const r = lexShell([line('iptables -A \\'), { text: '  INPUT', file: 'f', line: 2, column: 1 }]);
  assert.ok(r.ok);
  assert.deepEqual(
    r.tokens.map((t) => [t.text, t.line, t.column]),
    [
      ['iptables', 1, 1],
      ['-A', 1, 10],
      ['INPUT', 2, 3],
    ],
  );
  assert.equal(endsWithContinuation('a \\'), true);
  assert.equal(endsWithContinuation('a \\\\'), false);
  assert.equal(endsWithContinuation("a '\\"), false);
  assert.equal(endsWithContinuation('a # \\'), false);
});

test('lex: shell expansions and operators are refused', () => {
  for (const [text, token] of [
    ['iptables -A $CHAIN', '$CHAIN'],
    ['iptables -A "${X}"', '${X}'],
    ['iptables -F; echo', ';'],
    ['iptables -F && true', '&&'],
    ['iptables -F `x`', '`'],
  ] as const) {
    const r = lexShell([line(text)]);
    assert.ok(!r.ok, text);
    assert.equal(r.token, token, text);
  }
});

test('lex: restore quoting follows iptables-restore (" only, backslash inside quotes)', () => {
  const r = lexRestore(line(`-A X --comment "a \\"b\\" \\\\c" 'd e' x\\y`));
  assert.ok(r.ok);
  assert.deepEqual(
    r.tokens.map((t) => [t.text, t.column]),
    [
      ['-A', 1],
      ['X', 4],
      ['--comment', 6],
      ['a "b" \\c', 16],
      ["'d", 30],
      ["e'", 33],
      ['x\\y', 36],
    ],
  );
  assert.deepEqual(lexRestore(line('--comment ""')).ok && lexRestore(line('--comment ""')), {
    ok: true,
    tokens: [
      { text: '--comment', file: 'f', line: 1, column: 1 },
      { text: '', file: 'f', line: 1, column: 11 },
    ],
  });
});
