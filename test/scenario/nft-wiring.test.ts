// nftables in scenarios: a host's `rules:` detected as iptables or nftables, `nft:` beside
// `rules:`, the forms (nft list ruleset, nft -f, nft -j JSON, nft commands), their errors at the
// place in the scenario or its file, and the OpenWrt examples (fw4's rulesets) running as their
// expectations say.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { detectLanguage, loadNftRules, nftCommandLines } from '../../src/rules/language.ts';
import { loadAnyRules } from '../../src/rules/load.ts';
import { parseNft, printNft } from '../../src/rules/nft/index.ts';
import { prepareScenario, simulateScenario } from '../../src/scenario/simulate.ts';
import type { ReadFile } from '../../src/scenario/load.ts';
import { buildTraceDoc } from '../../src/trace/model.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const lines = (text: string, file = 'r.nft') =>
  text.split('\n').map((t, k) => ({ text: t, file, line: k + 1, column: 1 }));

/** Whether the nft parser (h-nftlang) reads a ruleset yet; tests that need it wait for it. */
const parserReady = parseNft(lines('table ip t {\n}\n')).ok;
const WAIT_PARSER = parserReady ? false : 'waiting for the nft parser';
/** fw4's forms: `define` inside a table block, `dnat ADDR:PORT` without `to` (nft 1.0.6 takes both). */
const fw4Ready = parseNft(
  lines(
    'table inet t {\n\tdefine d = { "x" }\n\tchain c {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n\t\tmeta nfproto ipv4 tcp dport 80 dnat 192.0.2.1:80\n\t}\n}\n',
  ),
).ok;
const WAIT_FW4 = fw4Ready
  ? false
  : 'waiting for the nft parser: fw4 writes `define` inside its table and `dnat ADDR:PORT` without `to`';

test('the language of rules: the first line that says something decides', () => {
  const d = (t: string) => detectLanguage(lines(t));
  assert.equal(d(''), undefined);
  assert.equal(d('# only a comment\n\n'), undefined);
  assert.equal(d('*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n'), 'iptables');
  assert.equal(d('iptables -t nat -A POSTROUTING -j MASQUERADE\n'), 'iptables');
  assert.equal(d('#!/bin/sh\nnft flush ruleset\n'), 'nft-commands');
  // `nft list ruleset` output, with a comment first; an nft -f script; its #! line alone.
  assert.equal(d('# from the router\ntable inet fw4 {\n}\n'), 'nft');
  assert.equal(d('flush ruleset\n'), 'nft');
  assert.equal(d('#!/usr/sbin/nft -f\n'), 'nft');
  assert.equal(d('define wan = "eth0"\n'), 'nft');
  assert.equal(d('add rule ip nat pre dnat to 192.0.2.1\n'), 'nft');
  assert.equal(d('include "rules.d/*.nft"\n'), 'nft');
  assert.equal(d('  {"nftables": [{"metainfo": {"json_schema_version": 1}}]}\n'), 'nft-json');
  assert.equal(d('{\n  "nftables": []\n}\n'), 'nft-json');
  // A script's shell test or brace group is a script (its reader says what it does not read).
  assert.equal(d('[ -x /sbin/iptables ] || exit 0\n'), 'iptables');
  assert.equal(d('{ iptables -F; }\n'), 'iptables');
  assert.equal(d('sudo nft add table ip nat\n'), 'nft-commands');
  assert.equal(d('/usr/sbin/nft -f fw.nft\n'), 'nft-commands');
});

test('a script of nft commands: the words after nft, as nft joins its arguments, at their place', () => {
  // The kernel reference case hairpin-vip-dnat-from-wan's commands (case.json rules.box[2..4]).
  const r = nftCommandLines(
    lines(
      [
        'nft add table ip vip',
        "nft add chain ip vip pre '{ type nat hook prerouting priority dstnat ; }'",
        '  sudo /usr/sbin/nft add rule ip vip pre iifname wan ip daddr 198.51.100.80 tcp dport 22 dnat to 192.168.1.200:2222',
        '# a comment',
        'nft -f more.nft',
      ].join('\n'),
      'box.sh',
    ),
  );
  assert.ok('lines' in r);
  assert.deepEqual(r.lines, [
    { text: 'add table ip vip', file: 'box.sh', line: 1, column: 5 },
    {
      text: 'add chain ip vip pre { type nat hook prerouting priority dstnat ; }',
      file: 'box.sh',
      line: 2,
      column: 5,
    },
    {
      text: 'add rule ip vip pre iifname wan ip daddr 198.51.100.80 tcp dport 22 dnat to 192.168.1.200:2222',
      file: 'box.sh',
      line: 3,
      column: 22,
    },
    { text: 'include "more.nft"', file: 'box.sh', line: 5, column: 1 },
  ]);
  const bad = nftCommandLines(lines('nft add table ip a\niptables -F\n', 'box.sh'));
  assert.ok('diagnostics' in bad);
  assert.deepEqual(
    bad.diagnostics.map((d) => [d.line, d.column, d.token]),
    [[2, 1, 'iptables']],
  );
});

test('loadAnyRules sends nftables to the nft front end and iptables to the iptables one', () => {
  const ipt = loadAnyRules(lines('iptables -t nat -A POSTROUTING -o wan -j MASQUERADE\n', 'r.sh'));
  assert.equal(ipt.lang, 'iptables');
  assert.ok(ipt.result.ok);
  const nft = loadAnyRules(lines('flush ruleset\n'));
  assert.equal(nft.lang, 'nft');
  // An nft error is the nft front end's, at its place (whatever it says).
  const bad = loadNftRules(lines('\n\ntable ip t {\n\tchain c {\n\t\tfrobnicate\n\t}\n}\n'));
  assert.equal(bad.ok, false);
  if (!bad.ok) assert.equal(bad.diagnostics[0]!.file, 'r.nft');
});

/** The seed's network (examples/openwrt/reflection-on.yaml) with the router's rules replaced. */
function withRouterRules(rulesYaml: string): string {
  const y = readFileSync(join(root, 'examples/openwrt/reflection-on.yaml'), 'utf8');
  return y.replace(/ {4}# What `nft list ruleset`.*\n {4}#.*\n {4}rules: \|\n(?: {6}.*\n|\n)+/, rulesYaml);
}

test('nft: beside rules: must be nftables, and a host has one nftables ruleset', () => {
  const iptInNft = prepareScenario(
    withRouterRules('    nft: |\n      iptables -t nat -A POSTROUTING -o wan -j MASQUERADE\n'),
    's.yaml',
  );
  assert.ok(!iptInNft.ok);
  assert.deepEqual(iptInNft.errors, [
    's.yaml:30:7: hosts.router.nft: expected nftables (nft list ruleset, an nft -f script, nft -j JSON or nft commands), found "iptables": iptables rules go in rules:',
  ]);
  const two = prepareScenario(
    withRouterRules('    rules: |\n      flush ruleset\n    nft: |\n      flush ruleset\n'),
    's.yaml',
  );
  assert.ok(!two.ok);
  assert.deepEqual(two.errors, [
    's.yaml:32:7: hosts.router.nft: rules: already holds nftables; a host has one nftables ruleset (write it in one of them, iptables rules in rules:)',
  ]);
});

/** The examples' files, for the loader's readFile. */
const readExample: ReadFile = (path) => {
  try {
    return { ok: true, text: readFileSync(join(root, path), 'utf8') };
  } catch {
    return { ok: false, error: `${path}: no such file` };
  }
};

test('an nft error in a scenario is at its place in the scenario', { skip: WAIT_PARSER }, () => {
  const p = prepareScenario(
    withRouterRules(
      '    rules: |\n      table ip t {\n        chain c {\n          frobnicate\n        }\n      }\n',
    ),
    's.yaml',
  );
  assert.ok(!p.ok);
  assert.equal(p.errors.length, 1);
  // Where nft 1.0.6 puts it: the newline after the unknown word (column 21 of the scenario).
  assert.match(p.errors[0]!, /^s\.yaml:32:21: syntax error, unexpected newline/);
});

test(
  'the OpenWrt examples: reflection off fails the hairpin, on makes it work',
  { skip: WAIT_PARSER },
  () => {
    for (const [name, lanVerdict] of [
      ['reflection-off', 'timeout'],
      ['reflection-on', 'connected'],
    ] as const) {
      const file = `examples/openwrt/${name}.yaml`;
      const r = simulateScenario(readFileSync(join(root, file), 'utf8'), file, { readFile: readExample });
      if (!r.ok) assert.fail(r.errors.join('\n'));
      assert.deepEqual(
        r.sim.results.map((x) => [x.verdict, x.mismatches]),
        [
          ['connected', []],
          [lanVerdict, []],
        ],
        name,
      );
      // The reason names the nft rule that dropped the LAN client's SYNs (not a policy accept).
      const doc = buildTraceDoc({ name: r.scenario.name, file }, r.sim);
      if (name === 'reflection-off')
        assert.match(
          doc.flows[1]!.reason,
          /router dropped the SYN 3 times \(inet fw4 drop_from_lan rule 1: iifname "br-lan" counter packets 3 bytes 180 drop comment "!fw4: drop lan IPv4\/IPv6 traffic" # handle 46\)/,
        );
    }
  },
);

test(
  "an inet table's IPv6 half is noted as not simulated, at the table's place",
  { skip: WAIT_PARSER },
  () => {
    const p = prepareScenario(
      withRouterRules(
        '    rules: |\n      table inet t {\n        chain c {\n          type filter hook input priority filter; policy accept;\n          ip6 saddr ::1 drop\n        }\n      }\n',
      ),
      's.yaml',
    );
    if (!p.ok) assert.fail(p.errors.join('\n'));
    assert.deepEqual(p.built.notes, [
      's.yaml:30:7: router: table inet t: its IPv6 half is read and printed but not simulated (natbox runs IPv4 packets through inet tables)',
    ]);
    // An ip table has no such note.
    const ip = prepareScenario(
      withRouterRules('    rules: |\n      table ip t {\n        chain c {\n        }\n      }\n'),
      's.yaml',
    );
    if (!ip.ok) assert.fail(ip.errors.join('\n'));
    assert.equal(ip.built.notes, undefined);
  },
);

test('a host with iptables rules: and nftables nft: runs both', { skip: WAIT_PARSER }, () => {
  // The WAN port forward in nft (as fw4's dstnat_wan), the reflection's SNAT in iptables.
  const r = simulateScenario(
    withRouterRules(
      [
        '    rules: |',
        '      iptables -t nat -A POSTROUTING -o br-lan -s 192.168.1.0/24 -d 192.168.1.200/32 -p tcp -m tcp --dport 80 -j SNAT --to-source 192.168.1.1',
        '    nft: |',
        '      table ip nat {',
        '        chain pre {',
        '          type nat hook prerouting priority dstnat; policy accept;',
        '          ip daddr 82.120.11.22 tcp dport 80 dnat to 192.168.1.200',
        '        }',
        '      }',
        '',
      ].join('\n'),
    ),
    's.yaml',
  );
  if (!r.ok) assert.fail(r.errors.join('\n'));
  assert.deepEqual(
    r.sim.results.map((x) => [x.verdict, x.serverSaw, x.mismatches]),
    [
      ['connected', '82.120.11.1:41000', []],
      ['connected', '192.168.1.1:40000', []],
    ],
  );
  // The trace names the nft rule as `nft -a list ruleset` prints it, in its table and chain.
  const doc = buildTraceDoc({ name: r.scenario.name, file: 's.yaml' }, r.sim);
  const steps = doc.steps.filter((x) => x.kind === 'rule' && x.host === 'router' && x.t < 0.5);
  assert.deepEqual(
    steps.map((x) => (x.kind === 'rule' ? [x.table, x.chain, x.index, x.rule] : [])),
    [['ip nat', 'pre', 1, 'ip daddr 82.120.11.22 tcp dport 80 dnat to 192.168.1.200 # handle 2']],
  );
});

test("the OpenWrt examples' rules are the router's nft list ruleset, unchanged", () => {
  for (const n of ['off', 'on']) {
    const yaml = readFileSync(join(root, `examples/openwrt/reflection-${n}.yaml`), 'utf8');
    const block = /\n {4}rules: \|\n((?: {6}.*\n|\n)+)/.exec(yaml)![1]!;
    const inline = block.replace(/^ {6}/gm, '').replace(/\n+$/, '\n');
    assert.equal(inline, readFileSync(join(root, `examples/openwrt/listed-reflection-${n}.nft`), 'utf8'), n);
  }
});

test(
  "fw4's own output (define in its table, dnat without to) reads as the kernel lists it",
  { skip: WAIT_FW4 },
  () => {
    // listed-reflection-*.nft: the real nft 1.0.6's `nft list ruleset` after `nft -f fw4-reflection-*.nft`.
    for (const n of ['off', 'on']) {
      const file = `examples/openwrt/fw4-reflection-${n}.nft`;
      const r = parseNft(lines(readFileSync(join(root, file), 'utf8'), file));
      if (!r.ok)
        assert.fail(r.diagnostics.map((d) => `${d.file}:${d.line}:${d.column}: ${d.message}`).join('\n'));
      assert.equal(
        printNft(r.ruleset),
        readFileSync(join(root, `examples/openwrt/listed-reflection-${n}.nft`), 'utf8'),
      );
    }
  },
);
