// Scripts as people write them (issue 13, part 3) and iptables-restore's own options (part 4).
// Expected outputs come from the real tools: test/rules/scripts/NAME.save is what `bash NAME.sh`
// left in a fresh network namespace, as `iptables-save` (iptables 1.8.9, nf_tables) printed it,
// comment lines aside; the kernel tests below run the scripts and the restore cases again, in a
// namespace nbx-script-PID-N deleted afterwards (skipped without root, ip netns or iptables-nft).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadRulesText, type LoadOptions } from '../../src/rules/load.ts';
import { printSave } from '../../src/rules/iptables/print-save.ts';
import { formatDiagnostic } from '../../src/rules/diagnostics.ts';
import type { Ruleset } from '../../src/rules/iptables/model.ts';
import { REFUSED } from './script-cases.ts';

const dir = join(import.meta.dirname, 'scripts');
const scripts = readdirSync(dir)
  .filter((f) => f.endsWith('.sh'))
  .sort();

function load(text: string, opts: LoadOptions = {}, base?: Ruleset): Ruleset {
  const r = loadRulesText(text, 'fw.sh', base, opts);
  if (!r.ok) assert.fail(r.diagnostics.map(formatDiagnostic).join('\n'));
  return r.ruleset;
}
const said = (text: string, opts: LoadOptions = {}): string[] => {
  const r = loadRulesText(text, 'fw.sh', undefined, opts);
  return r.ok ? r.warnings.map(formatDiagnostic) : r.diagnostics.map(formatDiagnostic);
};
const save = (text: string, opts: LoadOptions = {}): string =>
  printSave(load(text, opts), { counters: opts.counters ?? false });

test('scripts: each test/rules/scripts file prints what the real sh + iptables left (NAME.save)', () => {
  assert.ok(scripts.length >= 2);
  for (const f of scripts) {
    const text = readFileSync(join(dir, f), 'utf8');
    const want = readFileSync(join(dir, f.replace(/\.sh$/, '.save')), 'utf8');
    assert.equal(printSave(load(text)), want, f);
  }
});

test('scripts: what natbox says of the wild lines of the test scripts (notes and warnings)', () => {
  const w = (f: string): string[] => {
    const r = loadRulesText(readFileSync(join(dir, f), 'utf8'), f);
    assert.ok(r.ok);
    return r.warnings.map(formatDiagnostic);
  };
  assert.deepEqual(w('wireguard-postup.sh'), [
    'wireguard-postup.sh:21:1: note: IPv6: not read (natbox reads IPv4 rules only)',
  ]);
  assert.deepEqual(w('router.sh'), [
    'router.sh:15:9: warning: chain "wan_in" already exists in table "filter" (exit status 1: the command after "||" runs)',
    'router.sh:38:1: note: IPv6: not read (natbox reads IPv4 rules only)',
    'router.sh:39:1: warning: "iptables-save" changes nothing: skipped',
  ]);
});

test('iptables -C: exit status 0 or 1 drives || and &&; a missing chain is status 1, a missing jump target an error', () => {
  const base = 'iptables -A INPUT -s 192.0.2.1,192.0.2.2 -j ACCEPT\n';
  // Measured with iptables 1.8.9: -C of each address of a list, in any order, finds the rules.
  assert.equal(
    save(`${base}iptables -C INPUT -s 192.0.2.2,192.0.2.1 -j ACCEPT || iptables -A INPUT -j DROP\n`),
    '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -s 192.0.2.1/32 -j ACCEPT\n-A INPUT -s 192.0.2.2/32 -j ACCEPT\nCOMMIT\n',
  );
  assert.equal(
    save(`${base}iptables -C INPUT -s 192.0.2.1,192.0.2.3 -j ACCEPT || iptables -A INPUT -j DROP\n`).split(
      '\n',
    )[6],
    '-A INPUT -j DROP',
  );
  assert.equal(
    save(`${base}iptables -C INPUT -s 192.0.2.1/32 -j ACCEPT && iptables -D INPUT -s 192.0.2.1 -j ACCEPT\n`),
    '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -s 192.0.2.2/32 -j ACCEPT\nCOMMIT\n',
  );
  // A chain that does not exist: "Bad rule", status 1 (no error).
  assert.equal(save('iptables -C NOPE -j ACCEPT || iptables -N NOPE\n').split('\n')[4], ':NOPE - [0:0]');
  assert.deepEqual(said('iptables -C INPUT -j NOPE || iptables -A INPUT -j ACCEPT\n'), [
    'fw.sh:1:22: unsupported target "NOPE" (no such target, and no chain "NOPE" in table "filter")',
  ]);
  // Alone: a warning, and the script goes on; under set -e sh stops there: an error.
  assert.deepEqual(said('iptables -C INPUT -j ACCEPT\niptables -A INPUT -j DROP\n'), [
    'fw.sh:1:10: warning: iptables -C: no such rule in chain INPUT (exit status 1; the script goes on)',
  ]);
  assert.deepEqual(said('set -e\niptables -C INPUT -j ACCEPT\niptables -A INPUT -j DROP\n'), [
    'fw.sh:2:10: iptables -C: no such rule in chain INPUT: exit status 1, and set -e stops the script here (sh would apply nothing after this line)',
  ]);
  // A failure nothing tests is an error, as any refused command is.
  assert.deepEqual(said('iptables -N X\niptables -C INPUT -j ACCEPT || iptables -N X\n'), [
    'fw.sh:2:44: chain "X" already exists in table "filter"',
  ]);
});

test('a variable holds at most 65536 characters (doubling it line by line is an error, not a hang)', () => {
  const lines = ['A=0123456789abcdef'];
  for (let k = 0; k < 20; k++) lines.push('A=$A$A');
  assert.deepEqual(said(lines.join('\n')), [
    'fw.sh:14:1: variable "A" would hold 131072 characters: natbox takes at most 65536 in a variable',
  ]);
});

test('-w/--wait and -W are accepted and change nothing', () => {
  const want = save('iptables -A INPUT -j ACCEPT\n');
  for (const w of ['-w', '-w 5', '--wait', '--wait 5', '--wait=5', '-w5', '-w -W 100000'])
    assert.equal(save(`iptables ${w} -A INPUT -j ACCEPT\n`), want, w);
});

test('variables: sh quoting and field splitting, ${NAME:-word}, export, unset', () => {
  const rule = (script: string): string => save(script).split('\n')[4]!;
  assert.equal(
    rule('A="-s 192.0.2.1"\niptables -A INPUT $A -j ACCEPT'),
    '-A INPUT -s 192.0.2.1/32 -j ACCEPT',
  );
  assert.equal(
    rule('C="a  b"\niptables -A INPUT -m comment --comment "$C" -j ACCEPT'),
    '-A INPUT -m comment --comment "a  b" -j ACCEPT',
  );
  assert.equal(
    rule("C=x\niptables -A INPUT -m comment --comment '$C' -j ACCEPT"),
    '-A INPUT -m comment --comment "$C" -j ACCEPT',
  );
  assert.equal(
    rule('P=22\niptables -A INPUT -p tcp --dport ${P}0 -j ACCEPT'),
    '-A INPUT -p tcp -m tcp --dport 220 -j ACCEPT',
  );
  assert.equal(rule('iptables -A INPUT -i ${IF:-eth1} -j ACCEPT'), '-A INPUT -i eth1 -j ACCEPT');
  assert.equal(rule('IF=\niptables -A INPUT -i ${IF:-eth1} -j ACCEPT'), '-A INPUT -i eth1 -j ACCEPT');
  assert.equal(rule('export IF=eth2; iptables -A INPUT -i $IF -j ACCEPT'), '-A INPUT -i eth2 -j ACCEPT');
  // An unquoted empty variable is no word at all.
  assert.equal(rule('E=\niptables -A INPUT $E -j ACCEPT'), '-A INPUT -j ACCEPT');
  assert.deepEqual(said('A=1\nunset A\niptables -A INPUT -s $A'), [
    'fw.sh:3:22: variable "A" is not set in this script (sh would make it an empty word): natbox knows only the NAME=value lines before this one; set it in the script, or run the script first and give natbox its "iptables-save" output',
  ]);
});

test('the shell natbox does not read: one error at file:line:column that says to run the script first', () => {
  for (const [text, want] of REFUSED) assert.deepEqual(said(`${text}\n`), [want], text);
});

test('what a script may do that changes no rule: comments, set, true/false/:, echo, exit 0, iptables-save', () => {
  const r = loadRulesText(
    [
      '#!/bin/sh -e',
      '# a comment',
      'set -euo pipefail; set +x',
      'echo "Setting up the firewall" >&2',
      'echo 1 > /proc/sys/net/ipv4/ip_forward',
      'true; :; false || iptables -A INPUT -j ACCEPT',
      'iptables-save > /etc/iptables/rules.v4',
      'exit 0',
      'iptables -A INPUT -j DROP',
    ].join('\n'),
    'fw.sh',
  );
  assert.ok(r.ok);
  assert.deepEqual(r.warnings.map(formatDiagnostic), [
    'fw.sh:5:8: warning: "echo … > /proc/sys/net/ipv4/ip_forward" writes a file: not read (natbox reads only the rules; a sysctl goes in the scenario)',
    'fw.sh:7:1: warning: "iptables-save" changes nothing: skipped',
  ]);
  // exit 0 ends the script: the last line is not run.
  assert.equal(
    printSave(r.ruleset),
    '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n',
  );
});

test('here-documents: iptables-restore -n/-t/<<-, $NAME expanded unless the delimiter is quoted, ip6tables-restore a note', () => {
  const text = [
    '#!/bin/sh',
    'W=eth0',
    'ip6tables-restore <<EOF',
    '*filter',
    '-A INPUT -s ::1 -j DROP',
    'COMMIT',
    'EOF',
    'iptables-restore -t <<EOF',
    '*filter',
    '-A INPUT -j ACCEPT',
    'COMMIT',
    'EOF',
    '\tiptables-restore -n <<-EOF',
    '\t*nat',
    '\t-A POSTROUTING -o $W -j MASQUERADE',
    '\tCOMMIT',
    '\tEOF',
    "iptables-restore --noflush <<'EOF'",
    '*nat',
    '-A POSTROUTING -m comment --comment "$W" -j MASQUERADE',
    'COMMIT',
    'EOF',
  ].join('\n');
  assert.deepEqual(said(text), ['fw.sh:3:1: note: IPv6: not read (natbox reads IPv4 rules only)']);
  assert.equal(
    save(text),
    '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o eth0 -j MASQUERADE\n-A POSTROUTING -m comment --comment "$W" -j MASQUERADE\nCOMMIT\n',
  );
});

test('-I with an address list inserts each at the same place: the last one first (measured)', () => {
  // iptables 1.8.9: `-I INPUT -s 192.0.2.1,192.0.2.2,192.0.2.3 -j DROP` saves .3, .2, .1 (the
  // reverse of -A), and `-I INPUT 2 -s a,b -d c,d` saves b-d, b-c, a-d, a-c after rule 1.
  assert.equal(
    save('iptables -I INPUT -s 192.0.2.1,192.0.2.2,192.0.2.3 -j DROP'),
    '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -s 192.0.2.3/32 -j DROP\n-A INPUT -s 192.0.2.2/32 -j DROP\n-A INPUT -s 192.0.2.1/32 -j DROP\nCOMMIT\n',
  );
  assert.equal(
    save(
      'iptables -A INPUT -s 198.51.100.1 -j ACCEPT\niptables -I INPUT 2 -s 192.0.2.1,192.0.2.2 -d 203.0.113.1,203.0.113.2 -j DROP',
    ),
    [
      '*filter',
      ':INPUT ACCEPT [0:0]',
      ':FORWARD ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      '-A INPUT -s 198.51.100.1/32 -j ACCEPT',
      '-A INPUT -s 192.0.2.2/32 -d 203.0.113.2/32 -j DROP',
      '-A INPUT -s 192.0.2.2/32 -d 203.0.113.1/32 -j DROP',
      '-A INPUT -s 192.0.2.1/32 -d 203.0.113.2/32 -j DROP',
      '-A INPUT -s 192.0.2.1/32 -d 203.0.113.1/32 -j DROP',
      'COMMIT',
      '',
    ].join('\n'),
  );
});

const COUNTED = [
  '*filter',
  ':INPUT DROP [1200:94012]',
  ':FORWARD ACCEPT [5:6]',
  ':OUTPUT ACCEPT [0:0]',
  '[7:700] -A INPUT -s 192.0.2.1/32 -j ACCEPT',
  '-A INPUT -s 192.0.2.2/32 -j ACCEPT',
  'COMMIT',
  '',
].join('\n');

test('iptables-restore: counters are zeroed without -c, kept with it (measured)', () => {
  assert.equal(
    save(COUNTED, { counters: false }),
    COUNTED.replace('[1200:94012]', '[0:0]').replace('[5:6]', '[0:0]').replace('[7:700] ', ''),
  );
  assert.equal(
    save(COUNTED, { counters: true }),
    COUNTED.replace('-A INPUT -s 192.0.2.2', '[0:0] -A INPUT -s 192.0.2.2'),
  );
});

test('iptables-restore --noflush adds to the tables; a user chain line flushes that chain; --table reads one table', () => {
  const base = load(
    'iptables -A INPUT -s 198.51.100.9 -j DROP\niptables -N OLD\niptables -A OLD -s 192.0.2.5 -j DROP',
  );
  const more =
    '*filter\n:INPUT DROP [3:4]\n:OLD - [0:0]\n-A INPUT -s 192.0.2.1 -j ACCEPT\n-A OLD -j ACCEPT\nCOMMIT\n';
  assert.equal(
    printSave(load(more, { noflush: true }, base)),
    '*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:OLD - [0:0]\n-A INPUT -s 198.51.100.9/32 -j DROP\n-A INPUT -s 192.0.2.1/32 -j ACCEPT\n-A OLD -j ACCEPT\nCOMMIT\n',
  );
  assert.equal(
    printSave(load(more, {}, base)),
    '*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:OLD - [0:0]\n-A INPUT -s 192.0.2.1/32 -j ACCEPT\n-A OLD -j ACCEPT\nCOMMIT\n',
  );
  // The same chain declared twice in one file: the second line flushes it (measured).
  assert.equal(
    save('*filter\n:X - [0:0]\n-A X -j ACCEPT\n:X - [0:0]\n-A X -j DROP\nCOMMIT\n').split('\n')[5],
    '-A X -j DROP',
  );
  // --table nat: the filter section is skipped unread, even its bad option (measured).
  const two = '*filter\n-A INPUT --bogus\nCOMMIT\n*nat\n-A POSTROUTING -j MASQUERADE\nCOMMIT\n';
  assert.equal(
    save(two, { table: 'nat' }),
    '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -j MASQUERADE\nCOMMIT\n',
  );
  assert.deepEqual(said(two), ['fw.sh:2:10: unknown option "--bogus"']);
});

// -- The real tools ---------------------------------------------------------------------------

function why(): string | undefined {
  if (process.platform !== 'linux') return 'script kernel test: needs Linux';
  if (process.getuid?.() !== 0) return 'script kernel test: needs root (ip netns add)';
  const ip = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (ip.error || ip.status !== 0) return 'script kernel test: "ip netns" is not available';
  const ipt = spawnSync('iptables-save', ['--version'], { encoding: 'utf8' });
  if (ipt.error || !/nf_tables/.test(ipt.stdout + ipt.stderr))
    return 'script kernel test: expects iptables-nft (1.8.x, nf_tables)';
  if (spawnSync('bash', ['-c', 'true']).status !== 0) return 'script kernel test: needs bash';
  return undefined;
}
const skip = why();
let n = 0;

function withNetns<T>(body: (run: (args: string[], input?: string) => string) => T): T {
  const ns = `nbx-script-${process.pid}-${n++}`;
  assert.equal(spawnSync('ip', ['netns', 'add', ns]).status, 0, `ip netns add ${ns}`);
  try {
    return body((args, input) => {
      const r = spawnSync('ip', ['netns', 'exec', ns, ...args], {
        encoding: 'utf8',
        timeout: 60_000,
        ...(input !== undefined ? { input } : {}),
      });
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    });
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
}
const uncommented = (s: string): string =>
  s
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n');

test('kernel: bash runs each test script to the iptables-save of its NAME.save', { skip }, () => {
  for (const f of scripts) {
    const got = withNetns((run) => {
      run(['bash', join(dir, f)]);
      return uncommented(run(['iptables-save']));
    });
    assert.equal(got, readFileSync(join(dir, f.replace(/\.sh$/, '.save')), 'utf8'), f);
  }
});

test(
  'kernel: iptables-restore with and without -c and --noflush, then iptables-save -c = natbox',
  { skip },
  () => {
    const base =
      'iptables -A INPUT -s 198.51.100.9 -j DROP\niptables -N OLD\niptables -A OLD -s 192.0.2.5 -j DROP';
    const more = '*filter\n:INPUT DROP [3:4]\n:OLD - [0:0]\n[5:6] -A INPUT -s 192.0.2.1 -j ACCEPT\nCOMMIT\n';
    const cases: { flags: string[]; opts: LoadOptions }[] = [
      { flags: [], opts: {} },
      { flags: ['-c'], opts: { counters: true } },
      { flags: ['--noflush'], opts: { noflush: true } },
      { flags: ['-c', '--noflush'], opts: { counters: true, noflush: true } },
    ];
    for (const { flags, opts } of cases) {
      const kernel = withNetns((run) => {
        for (const l of base.split('\n')) run(l.split(' '));
        run(['iptables-restore', ...flags], COUNTED.replace('*filter\n', '*filter\n:OLD - [0:0]\n'));
        run(['iptables-restore', ...flags], more);
        return uncommented(run(['iptables-save', '-c']));
      });
      const rs = load(
        more,
        opts,
        load(COUNTED.replace('*filter\n', '*filter\n:OLD - [0:0]\n'), opts, load(base)),
      );
      assert.equal(printSave(rs, { counters: true }), kernel, flags.join(' '));
    }
  },
);
