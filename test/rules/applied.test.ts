// The operations the rules loader applied (LoadOptions.applied), which `natbox verify` replays on
// the kernel (src/dataplane/kernel/live.ts): a script's iptables commands with its variables
// expanded and only the ones that ran (an `iptables -C … || iptables -A …` line is one -A the first
// time and nothing once the rule is there, as sh runs it), and restore inputs with their options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadRulesText, type AppliedOp } from '../../src/rules/load.ts';

function applied(text: string): AppliedOp[] {
  const ops: AppliedOp[] = [];
  const r = loadRulesText(text, 'fw.sh', undefined, { applied: ops });
  assert.ok(r.ok, r.ok ? '' : r.diagnostics.map((d) => d.message).join('\n'));
  return ops;
}
/** An op as plain data: words with positions, or a restore's option words, options and body. */
const show = (op: AppliedOp): unknown =>
  op.kind === 'iptables'
    ? op.words.map((w) => `${w.text}@${w.line}:${w.column}`)
    : { args: op.args.map((a) => a.text), options: op.options, body: op.body.map((l) => l.text) };

test('variables are expanded in the applied words, each word at its source position', () => {
  const ops = applied(
    ['WAN=eth0', 'NET="10.0.0.0/8"', 'iptables -t nat -A POSTROUTING -o "$WAN" -s ${NET} -j MASQUERADE'].join(
      '\n',
    ),
  );
  assert.deepEqual(ops.map(show), [
    [
      'iptables@3:1',
      '-t@3:10',
      'nat@3:13',
      '-A@3:17',
      'POSTROUTING@3:20',
      '-o@3:32',
      'eth0@3:35',
      '-s@3:42',
      '10.0.0.0/8@3:45',
      '-j@3:52',
      'MASQUERADE@3:55',
    ],
  ]);
});

test('-C || -A: one -A the first time, nothing the second; -C itself is never applied', () => {
  const line = 'iptables -C FORWARD -i $IF -j ACCEPT 2>/dev/null || iptables -A FORWARD -i $IF -j ACCEPT';
  const ops = applied(['set -e', 'IF=lan', line, line].join('\n'));
  assert.deepEqual(
    ops.map((o) => (o.kind === 'iptables' ? o.words.map((w) => w.text).join(' ') : o.kind)),
    ['iptables -A FORWARD -i lan -j ACCEPT'],
  );
  // The -A is the one after `||` on line 3.
  assert.equal(ops[0]!.kind === 'iptables' && ops[0]!.words[0]!.column, line.indexOf('|| ') + 4);
  assert.equal(ops[0]!.kind === 'iptables' && ops[0]!.words[0]!.line, 3);
});

test('a failed command (|| true) and ip6tables lines are not applied; sudo is left out', () => {
  const ops = applied(
    [
      'iptables -D INPUT -j DROP 2>/dev/null || true',
      'ip6tables -A INPUT -j DROP',
      'sudo iptables -A INPUT -j DROP',
    ].join('\n'),
  );
  assert.deepEqual(ops.map(show), [['iptables@3:6', '-A@3:15', 'INPUT@3:18', '-j@3:24', 'DROP@3:27']]);
});

test('a here-document restore: its options and its body with the variables expanded', () => {
  const ops = applied(
    [
      'PUB=203.0.113.22',
      'iptables -A INPUT -j ACCEPT',
      'iptables-restore --noflush -T nat <<EOF',
      '*nat',
      '-A PREROUTING -d $PUB -p tcp --dport 80 -j DNAT --to-destination 192.168.1.2',
      'COMMIT',
      'EOF',
      "iptables-restore --test <<'EOF'",
      '*filter',
      '-A INPUT -j DROP',
      'COMMIT',
      'EOF',
    ].join('\n'),
  );
  assert.deepEqual(ops.map(show), [
    ['iptables@2:1', '-A@2:10', 'INPUT@2:13', '-j@2:19', 'ACCEPT@2:22'],
    {
      args: ['--noflush', '-T', 'nat'],
      options: { noflush: true, table: 'nat' },
      body: [
        '*nat',
        '-A PREROUTING -d 203.0.113.22 -p tcp --dport 80 -j DNAT --to-destination 192.168.1.2',
        'COMMIT',
      ],
    },
  ]);
  const restore = ops[1]!;
  assert.equal(restore.kind === 'restore' && restore.body[1]!.line, 5);
});

test('a restore file is one restore op with the load options; a quoted here-document is not expanded', () => {
  const ops: AppliedOp[] = [];
  const r = loadRulesText('*filter\n-A INPUT -j ACCEPT\nCOMMIT\n', 'fw.rules', undefined, {
    applied: ops,
    noflush: true,
  });
  assert.ok(r.ok);
  assert.deepEqual(ops.map(show), [
    { args: [], options: { noflush: true }, body: ['*filter', '-A INPUT -j ACCEPT', 'COMMIT', ''] },
  ]);
  assert.deepEqual(
    applied(
      [
        'X=1',
        "iptables-restore <<'EOF'",
        '*filter',
        '-A INPUT -m comment --comment $X',
        'COMMIT',
        'EOF',
      ].join('\n'),
    ).map(show),
    [{ args: [], options: {}, body: ['*filter', '-A INPUT -m comment --comment $X', 'COMMIT'] }],
  );
});

test('nothing is collected when a load fails (all or nothing, as the ruleset)', () => {
  const ops: AppliedOp[] = [];
  const r = loadRulesText('iptables -A INPUT -j ACCEPT\niptables -A NOPE -j ACCEPT\n', 'fw.sh', undefined, {
    applied: ops,
  });
  assert.equal(r.ok, false);
  assert.deepEqual(ops, []);
});
