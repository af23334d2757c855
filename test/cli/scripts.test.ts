// The CLI side of issue 13's scripts and iptables-restore options: every script natbox refuses
// exits 2 with its one FILE:LINE:COLUMN error; rules save/list take -c, --noflush, --table and
// save --test as iptables-restore does; --skip-unsupported is taken by every command that reads
// rules (a no-op for rules save/list, which leave nothing out).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REFUSED } from '../rules/script-cases.ts';
import { CLI } from '../cli-argv.ts';

const root = join(import.meta.dirname, '..', '..');

function natbox(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [...CLI, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function withDir<T>(body: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'natbox-scripts-'));
  try {
    return body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('natbox rules save: each refused script exits 2 with its FILE:LINE:COLUMN error, nothing printed', () => {
  withDir((dir) => {
    const f = join(dir, 'fw.sh');
    for (const [text, want] of REFUSED) {
      writeFileSync(f, `${text}\n`);
      const r = natbox('rules', 'save', f);
      assert.equal(r.code, 2, text);
      assert.equal(r.out, '', text);
      assert.equal(r.err, `${dir}/${want}\n`, text);
    }
  });
});

test('natbox rules save/list: -c keeps restore counters, --noflush adds, --table reads one table, --test prints nothing', () => {
  withDir((dir) => {
    const a = join(dir, 'a.rules');
    const b = join(dir, 'b.rules');
    writeFileSync(
      a,
      '*nat\n:POSTROUTING ACCEPT [2:120]\n-A POSTROUTING -o eth0 -j MASQUERADE\nCOMMIT\n*filter\n:INPUT DROP [1200:94012]\n[7:700] -A INPUT -s 192.0.2.1/32 -j ACCEPT\nCOMMIT\n',
    );
    writeFileSync(b, '*filter\n-A INPUT -s 192.0.2.2/32 -j ACCEPT\nCOMMIT\n');
    const filter = (rules: string, input = '[0:0]'): string =>
      `*filter\n:INPUT DROP ${input}\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${rules}COMMIT\n`;
    const nat = (c = '[0:0]', rule = '-A POSTROUTING -o eth0 -j MASQUERADE\n'): string =>
      `*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT ${c}\n${rule}COMMIT\n`;
    assert.deepEqual(natbox('rules', 'save', a), {
      code: 0,
      out: `${filter('-A INPUT -s 192.0.2.1/32 -j ACCEPT\n')}${nat()}`,
      err: '',
    });
    assert.deepEqual(natbox('rules', 'save', '-c', a), {
      code: 0,
      out: `${filter('[7:700] -A INPUT -s 192.0.2.1/32 -j ACCEPT\n', '[1200:94012]')}${nat('[2:120]', '[0:0] -A POSTROUTING -o eth0 -j MASQUERADE\n')}`,
      err: '',
    });
    // b replaces the filter table a made; with --noflush it adds to it (and keeps INPUT's DROP).
    assert.equal(
      natbox('rules', 'save', a, b).out,
      `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -s 192.0.2.2/32 -j ACCEPT\nCOMMIT\n${nat()}`,
    );
    assert.equal(
      natbox('rules', 'save', '--noflush', a, b).out,
      `${filter('-A INPUT -s 192.0.2.1/32 -j ACCEPT\n-A INPUT -s 192.0.2.2/32 -j ACCEPT\n')}${nat()}`,
    );
    assert.equal(natbox('rules', 'save', '--table', 'nat', a, b).out, nat());
    assert.deepEqual(natbox('rules', 'save', '-T', 'nut', a), {
      code: 2,
      out: '',
      err: 'natbox: --table nut: unknown table (expected raw, mangle, nat, filter, security)\n',
    });
    assert.deepEqual(natbox('rules', 'save', '--test', a, b), { code: 0, out: '', err: '' });
    const bad = join(dir, 'bad.rules');
    writeFileSync(bad, '*filter\n-A INPUT -j NOPE\nCOMMIT\n');
    assert.deepEqual(natbox('rules', 'save', '--test', bad), {
      code: 2,
      out: '',
      err: `${bad}:2:13: unsupported target "NOPE" (no such target, and no chain "NOPE" in table "filter")\n`,
    });
    // rules list: counters zeroed unless -c.
    assert.match(natbox('rules', 'list', a).out, /^Chain INPUT \(policy DROP 0 packets, 0 bytes\)$/m);
    assert.match(
      natbox('rules', 'list', '-c', a).out,
      /^Chain INPUT \(policy DROP 1200 packets, 94012 bytes\)$/m,
    );
    assert.match(natbox('rules', 'list', '-c', a).out, /^1 +7 +700 ACCEPT/m);
  });
});

test('natbox diff --skip-unsupported leaves out what cannot be simulated in both scenarios; without it, exit 2', () => {
  withDir((dir) => {
    const scenario = (extra: string): string =>
      [
        'name: cpu',
        'hosts:',
        '  router:',
        '    interfaces: { lan: 192.168.1.1/24, wan: 203.0.113.1/24 }',
        '    sysctls: { net.ipv4.ip_forward: 1 }',
        '    rules: |',
        '      iptables -A FORWARD -m cpu --cpu 3 -j ACCEPT',
        `      iptables -t nat -A POSTROUTING -o wan -j ${extra}`,
        '  client:',
        '    interfaces: { eth0: 192.168.1.10/24 }',
        '    routes: [default via 192.168.1.1]',
        '  server:',
        '    interfaces: { eth0: 203.0.113.50/24 }',
        '    listen: [tcp/80]',
        'links:',
        '  - [client:eth0, router:lan]',
        '  - [server:eth0, router:wan]',
        'flows:',
        '  - { name: web, from: client, proto: tcp, to: 203.0.113.50:80, sport: 40000, timeout: 1 }',
        '',
      ].join('\n');
    const a = join(dir, 'a.yaml');
    const b = join(dir, 'b.yaml');
    writeFileSync(a, scenario('MASQUERADE'));
    writeFileSync(b, scenario('SNAT --to-source 203.0.113.1'));
    const refused = natbox('diff', a, b);
    assert.equal(refused.code, 2);
    assert.equal(refused.out, '');
    assert.match(refused.err, new RegExp(`^${a.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:7:`));
    const r = natbox('diff', '--skip-unsupported', a, b);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /web/);
    const left = r.err.split('\n').filter(Boolean);
    assert.equal(left.length, 2, r.err);
    assert.match(left[0]!, /^warning: .*a\.yaml:7:\d+: router: rule left out \(/);
    assert.match(left[1]!, /^warning: .*b\.yaml:7:\d+: router: rule left out \(/);
  });
});

test('--skip-unsupported is an option of every command that reads rules', () => {
  for (const cmd of [['trace'], ['test'], ['diff'], ['import'], ['rules', 'save'], ['rules', 'list']]) {
    const r = natbox(...cmd, '--help');
    assert.equal(r.code, 0, cmd.join(' '));
    assert.match(r.out, /--skip-unsupported/, cmd.join(' '));
  }
});
