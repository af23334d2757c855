// `natbox rules save|list` with nftables: the files read as `nft -f` reads them and printed as
// `nft list ruleset` (save), `nft -a list ruleset` (list) and `nft -j list ruleset` (--json) print
// them. The expected texts come from the real nft (nftables 1.0.6) in a throwaway network namespace
// when this machine can make one; the errors are FILE:LINE:COLUMN with exit 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { which } from '../../src/dataplane/kernel/live.ts';
import { CLI } from '../cli-argv.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

function natbox(args: string[], input?: string): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [...CLI, ...args], {
    cwd: root,
    encoding: 'utf8',
    ...(input !== undefined ? { input } : {}),
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** The seed's rules A and B as an nft -f script. */
const SEED = `#!/usr/sbin/nft -f
flush ruleset
define lan = "br-lan"
table ip nat {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		iifname $lan ip saddr 192.168.1.0/24 ip daddr 82.120.11.22 tcp dport 80 dnat to 192.168.1.200
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname $lan ip saddr 192.168.1.0/24 ip daddr 192.168.1.200 tcp dport http snat to 192.168.1.1
	}
}
`;

/** What `nft list ruleset` printed for SEED (nftables 1.0.6, Debian; checked live below). */
const LISTED = `table ip nat {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "br-lan" ip saddr 192.168.1.0/24 ip daddr 82.120.11.22 tcp dport 80 dnat to 192.168.1.200
	}

	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "br-lan" ip saddr 192.168.1.0/24 ip daddr 192.168.1.200 tcp dport 80 snat to 192.168.1.1
	}
}
`;

function withFiles<T>(files: Record<string, string>, fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'natbox-nft-'));
  try {
    for (const [n, t] of Object.entries(files)) writeFileSync(join(dir, n), t);
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('rules save prints an nft -f script as nft list ruleset does; - reads standard input', () => {
  withFiles({ 'seed.nft': SEED }, (dir) => {
    const r = natbox(['rules', 'save', join(dir, 'seed.nft')]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, LISTED);
    assert.equal(r.err, '');
  });
  const s = natbox(['rules', 'save', '-'], SEED);
  assert.equal(s.code, 0, s.err);
  assert.equal(s.out, LISTED);
  // What it printed reads back to itself (nft list ruleset output is nft -f input).
  const again = natbox(['rules', 'save', '-'], LISTED);
  assert.equal(again.out, LISTED);
});

test('rules save --json, and JSON read back; --test checks only', () => {
  const j = natbox(['rules', 'save', '--json', '-'], SEED);
  assert.equal(j.code, 0, j.err);
  assert.match(j.out, /^\{"nftables": \[\{"metainfo": /);
  assert.ok(j.out.endsWith('}]}\n'));
  const back = natbox(['rules', 'save', '-'], j.out);
  assert.equal(back.code, 0, back.err);
  assert.equal(back.out, LISTED);
  const t = natbox(['rules', 'save', '--test', '-'], SEED);
  assert.deepEqual([t.code, t.out, t.err], [0, '', '']);
});

test('nftables errors: FILE:LINE:COLUMN, exit 2, nothing printed; iptables options refused', () => {
  // nft 1.0.6 (nft -c -f) refuses it at `dportt`: syntax error, unexpected string.
  withFiles({ 'bad.nft': SEED.replace('tcp dport http', 'tcp dportt http') }, (dir) => {
    const f = join(dir, 'bad.nft');
    const r = natbox(['rules', 'save', f]);
    assert.equal(r.code, 2);
    assert.equal(r.out, '');
    const col = SEED.split('\n')[10]!.indexOf('dport') + 1;
    assert.match(
      r.err,
      new RegExp(`^${f.replace(/[.]/g, '\\.')}:11:${col}: syntax error, unexpected string`),
    );
    const o = natbox(['rules', 'save', '--noflush', join(dir, 'bad.nft')]);
    assert.equal(o.code, 2);
    assert.match(o.err, /^natbox: -n\/--noflush is an iptables option; .*bad\.nft is nftables\n$/);
  });
  const ipt = natbox(['rules', 'save', '--json', '-'], '*nat\nCOMMIT\n');
  assert.equal(ipt.code, 2);
  assert.match(ipt.err, /--json is for nftables rules/);
});

test('an include is read relative to the including file', () => {
  const main = 'flush ruleset\ninclude "nat.nft"\n';
  const nat = SEED.split('\n').slice(2).join('\n');
  withFiles({ 'main.nft': main, 'nat.nft': nat }, (dir) => {
    const r = natbox(['rules', 'save', join(dir, 'main.nft')]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, LISTED);
  });
});

/** An inet table with a rule natbox evaluates, an IPv6 one, and two it does not simulate. */
const INET = `table inet f {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport 22 meta iifkind "vrf" drop
		ip6 saddr ::1 accept
		meta ipsec exists accept
	}
}
table ip6 g {
	chain c {
		type filter hook forward priority filter; policy accept;
	}
}
`;

test('reading is not evaluating: every rule printed; the IPv6 half of inet and ip6 tables noted; --skip-unsupported also notes the rules a scenario would leave out', () => {
  withFiles({ 'inet.nft': INET }, (dir) => {
    const f = join(dir, 'inet.nft');
    const r = natbox(['rules', 'save', f]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, INET); // nft lists tables one after the other, no blank line between
    assert.equal(
      r.err,
      `${f}:1:1: note: table inet f: its IPv6 half is read and printed but not simulated (natbox runs IPv4 packets through inet tables)\n` +
        `${f}:9:1: note: table ip6 g is read and printed but not simulated (natbox runs IPv4 packets through ip and inet tables)\n`,
    );
    const s = natbox(['rules', 'list', '--skip-unsupported', f]);
    assert.equal(s.code, 0, s.err);
    assert.match(s.out, /meta iifkind "vrf" drop # handle \d+\n/);
    assert.match(s.out, /meta ipsec exists accept # handle \d+\n/);
    assert.deepEqual(s.err.trimEnd().split('\n'), [
      `${f}:1:1: note: table inet f: its IPv6 half is read and printed but not simulated (natbox runs IPv4 packets through inet tables)`,
      `${f}:4:16: note: meta iifkind is read and printed but not simulated ("meta iifkind")`,
      `${f}:6:3: note: meta ipsec is read and printed but not simulated ("meta ipsec")`,
      `${f}:9:1: note: table ip6 g is read and printed but not simulated (natbox runs IPv4 packets through ip and inet tables)`,
    ]);
  });
});

const live =
  process.getuid?.() !== 0
    ? 'needs root (network namespaces)'
    : !which('nft') || !which('ip')
      ? 'needs nft and ip'
      : false;

test('live: save, list and --json are what the real nft prints for the same file', { skip: live }, () => {
  const ns = `nbx-nftcli-${process.pid}`;
  withFiles({ 'seed.nft': SEED }, (dir) => {
    const file = join(dir, 'seed.nft');
    assert.equal(spawnSync('ip', ['netns', 'add', ns]).status, 0);
    try {
      const nft = (...a: string[]): string => {
        const r = spawnSync('ip', ['netns', 'exec', ns, 'nft', ...a], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        return r.stdout;
      };
      nft('-f', file);
      assert.equal(nft('list', 'ruleset'), LISTED);
      assert.equal(natbox(['rules', 'save', file]).out, nft('list', 'ruleset'));
      assert.equal(natbox(['rules', 'save', '-a', file]).out, nft('-a', 'list', 'ruleset'));
      assert.equal(natbox(['rules', 'list', file]).out, nft('-a', 'list', 'ruleset'));
      assert.equal(natbox(['rules', 'save', '--json', file]).out, nft('-j', 'list', 'ruleset'));
    } finally {
      spawnSync('ip', ['netns', 'del', ns]);
    }
  });
});
