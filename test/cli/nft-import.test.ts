// `natbox import` with nftables: `--rules` takes `nft list ruleset` or `nft -j list ruleset` output
// (detected), `--nft` takes it beside iptables-save in `--rules`; the host's rules are written as
// `nft list ruleset` prints them and the scenario loads and builds; errors at FILE:LINE:COLUMN.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatImportError, importHost, type ImportResult } from '../../src/scenario/import.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { buildScenario } from '../../src/scenario/build.ts';
import { CLI } from '../cli-argv.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

// `ip -j addr` of the seed's router, trimmed to what natbox reads (iproute2 6.x field names).
const ADDR = JSON.stringify([
  { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP'], mtu: 65536, link_type: 'loopback', addr_info: [] },
  {
    ifindex: 2,
    ifname: 'wan',
    flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
    mtu: 1500,
    link_type: 'ether',
    address: '4a:48:d4:b5:fc:c3',
    addr_info: [{ family: 'inet', local: '203.0.113.22', prefixlen: 24 }],
  },
]);

/** `nft list ruleset` of a WAN port forward (nftables 1.0.6 prints it so; see nft-rules.test.ts). */
const LISTED = `table ip nat {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "wan" tcp dport 8080 dnat to 192.168.1.200:80
	}
}`;

function okYaml(r: ImportResult): string {
  assert.ok(r.ok, r.ok ? '' : r.errors.map(formatImportError).join('\n'));
  return r.yaml;
}

function built(yaml: string) {
  const l = loadScenario(yaml, 'imported.yaml');
  assert.ok(l.ok, l.ok ? '' : JSON.stringify(l.errors));
  const b = buildScenario(l.scenario);
  assert.ok(b.ok, b.ok ? '' : JSON.stringify(b.errors));
  return { host: l.scenario.hosts[0]!, built: b.built };
}

test('import --rules with nft list ruleset output: the host gets it as nft list ruleset prints it', () => {
  const yaml = okYaml(
    importHost({
      name: 'router',
      addr: { text: ADDR, file: 'addr.json' },
      rules: { text: `${LISTED}\n`, file: 'ruleset.nft' },
    }),
  );
  const { host, built: b } = built(yaml);
  assert.equal(host.rules!.lines.map((l) => l.value).join('\n'), LISTED.replace(/^\t+/gm, ''));
  assert.equal(b.nftRulesets?.get('router')?.tables[0]?.name, 'nat');
  assert.equal(b.rulesets.size, 0);
  assert.match(yaml, /^ {4}rules: \|-\n {6}table ip nat \{\n {6}\tchain prerouting \{$/m);
});

test('import: nft -j JSON in --rules, and --nft beside iptables-save', () => {
  const json = spawnSync(process.execPath, [...CLI, 'rules', 'save', '--json', '-'], {
    cwd: root,
    input: LISTED,
    encoding: 'utf8',
  }).stdout;
  const fromJson = okYaml(
    importHost({
      name: 'router',
      addr: { text: ADDR, file: 'addr.json' },
      rules: { text: json, file: 'rs.json' },
    }),
  );
  assert.equal(built(fromJson).host.rules!.lines.length, LISTED.split('\n').length);
  const both = okYaml(
    importHost({
      name: 'router',
      addr: { text: ADDR, file: 'addr.json' },
      rules: { text: '*nat\n-A POSTROUTING -o wan -j MASQUERADE\nCOMMIT\n', file: 'rules.save' },
      nft: { text: LISTED, file: 'ruleset.nft' },
    }),
  );
  const { host, built: b } = built(both);
  assert.equal(host.nft!.lines[0]!.value, 'table ip nat {');
  assert.equal(b.rulesets.get('router')?.tables.get('nat')?.chains.get('POSTROUTING')?.rules.length, 1);
  assert.equal(b.nftRulesets?.get('router')?.tables.length, 1);
});

test('import: nftables errors at FILE:LINE:COLUMN; --nft must be nftables', () => {
  const r = importHost({
    name: 'router',
    addr: { text: ADDR, file: 'addr.json' },
    rules: { text: LISTED.replace('tcp dport', 'tcp dportt'), file: 'ruleset.nft' },
  });
  assert.equal(r.ok, false);
  // nft 1.0.6 (nft -c -f): ruleset.nft:4:21-26: Error: syntax error, unexpected string
  if (!r.ok)
    assert.match(formatImportError(r.errors[0]!), /^ruleset\.nft:4:21: syntax error, unexpected string/);
  const wrong = importHost({
    name: 'router',
    addr: { text: ADDR, file: 'addr.json' },
    nft: { text: '*nat\nCOMMIT\n', file: 'rules.save' },
  });
  assert.equal(wrong.ok, false);
  if (!wrong.ok)
    assert.deepEqual(wrong.errors.map(formatImportError), [
      'rules.save:1:1: expected nftables (nft list ruleset or nft -j list ruleset output); iptables-save output goes in --rules',
    ]);
});

test('natbox import --nft from the command line, exit 2 on a bad ruleset', () => {
  const dir = mkdtempSync(join(tmpdir(), 'natbox-nftimp-'));
  try {
    writeFileSync(join(dir, 'addr.json'), ADDR);
    writeFileSync(join(dir, 'bad.nft'), 'table ip nat {\n\tchain c {\n\t\tfrobnicate\n\t}\n}\n');
    const run = (...a: string[]) =>
      spawnSync(process.execPath, [...CLI, 'import', ...a], {
        cwd: dir,
        encoding: 'utf8',
      });
    const bad = run('--addr', 'addr.json', '--rules', 'bad.nft');
    assert.equal(bad.status, 2);
    // nft 1.0.6 -c: `3:13-13: Error: syntax error, unexpected newline` (an unknown word is a symbol
    // to its grammar; the newline after it is where no rule goes on).
    assert.match(bad.stderr, /^bad\.nft:3:13: syntax error, unexpected newline/);
    writeFileSync(join(dir, 'good.nft'), LISTED);
    const good = run('--addr', 'addr.json', '--nft', 'good.nft');
    assert.equal(good.status, 0, good.stderr);
    assert.match(good.stdout, /^ {4}nft: \|-\n {6}table ip nat \{$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** An inet table with a rule natbox cannot simulate (meta iifkind), and an ip6 table. */
const INET = `table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		tcp dport 22 meta iifkind "vrf" drop
		tcp dport 22 accept
	}
}
table ip6 nat6 {
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "wan" masquerade
	}
}`;

test('import of nftables: an ip6 table and the IPv6 half of inet are noted, not refused; an unsimulated rule is refused, or left out with skipUnsupported', () => {
  const refused = importHost({
    name: 'router',
    addr: { text: ADDR, file: 'addr.json' },
    rules: { text: INET, file: 'ruleset.nft' },
  });
  assert.equal(refused.ok, false);
  if (!refused.ok)
    assert.deepEqual(refused.errors.map(formatImportError), [
      'ruleset.nft:5:16: meta iifkind is read and printed but not simulated ("meta iifkind"): natbox cannot simulate it; --skip-unsupported leaves such rules out',
    ]);
  const r = importHost({
    name: 'router',
    addr: { text: ADDR, file: 'addr.json' },
    rules: { text: INET, file: 'ruleset.nft' },
    skipUnsupported: true,
  });
  assert.ok(r.ok, r.ok ? '' : r.errors.map(formatImportError).join('\n'));
  const { host, built: b } = built(r.yaml);
  // The rule left out is not in the host's rules; everything else is, as nft lists it.
  assert.equal(
    host.rules!.lines.map((l) => l.value).join('\n'),
    INET.replace('\t\ttcp dport 22 meta iifkind "vrf" drop\n', '').replace(/^\t+/gm, ''),
  );
  assert.deepEqual(
    r.notes.filter((n) => n.file === 'ruleset.nft').map((n) => [n.kind, n.where, n.what, n.reason]),
    [
      [
        'approximated',
        'ruleset.nft:1',
        'table inet filter',
        'table inet filter: its IPv6 half is read and printed but not simulated (natbox runs IPv4 packets through inet tables)',
      ],
      [
        'approximated',
        'ruleset.nft:9',
        'table ip6 nat6',
        'table ip6 nat6 is read and printed but not simulated (natbox runs IPv4 packets through ip and inet tables)',
      ],
      [
        'left-out',
        'ruleset.nft:5',
        'tcp dport 22 meta iifkind "vrf" drop',
        'meta iifkind is read and printed but not simulated ("meta iifkind")',
      ],
    ],
  );
  assert.match(r.yaml, /^# Left out \(natbox does not simulate them\):\n# {3}meta iifkind/m);
  // The scenario built from it says the same of the inet table (build.ts notes).
  const lineOf = (t: string): number => r.yaml.split('\n').indexOf(`      ${t} {`) + 1;
  assert.ok(lineOf('table inet filter') > 0 && lineOf('table ip6 nat6') > 0);
  assert.deepEqual(b.notes, [
    `imported.yaml:${lineOf('table inet filter')}:7: router: table inet filter: its IPv6 half is read and printed but not simulated (natbox runs IPv4 packets through inet tables)`,
    `imported.yaml:${lineOf('table ip6 nat6')}:7: router: table ip6 nat6 is read and printed but not simulated (natbox runs IPv4 packets through ip and inet tables)`,
  ]);
});

test('import of nft -j JSON with skipUnsupported: the rule left out is found by its place on the one line', () => {
  const json = spawnSync(process.execPath, [...CLI, 'rules', 'save', '--json', '-'], {
    cwd: root,
    input: INET,
    encoding: 'utf8',
  }).stdout;
  assert.equal(json.split('\n').length, 2); // one line and its newline
  const r = importHost({
    name: 'router',
    addr: { text: ADDR, file: 'addr.json' },
    rules: { text: json, file: 'rs.json' },
    skipUnsupported: true,
  });
  assert.ok(r.ok, r.ok ? '' : r.errors.map(formatImportError).join('\n'));
  const { host } = built(r.yaml);
  assert.equal(
    host.rules!.lines.map((l) => l.value).join('\n'),
    INET.replace('\t\ttcp dport 22 meta iifkind "vrf" drop\n', '').replace(/^\t+/gm, ''),
  );
  const col = json.indexOf('{"family": "inet", "table": "filter", "chain": "input", "handle": 3') + 1; // the rule's object
  assert.ok(col > 0);
  assert.deepEqual(
    r.notes.filter((n) => n.kind === 'left-out').map((n) => [n.where, n.what]),
    [[`rs.json:1:${col}`, 'tcp dport 22 meta iifkind "vrf" drop']],
  );
});
