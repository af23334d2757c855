// The first hour with natbox (issue 11): YAML the loader must refuse (an alias to no anchor, tags),
// and `server_sees` / `translated_source` with an address alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatScenarioError, loadScenario } from '../../src/scenario/load.ts';
import { simulateScenario } from '../../src/scenario/simulate.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const y = (...lines: string[]): string => lines.join('\n') + '\n';

function errors(text: string, file = 'x.yaml'): string[] {
  const r = loadScenario(text, file);
  if (r.ok) assert.fail('expected errors, the scenario loaded');
  return r.errors.map(formatScenarioError);
}

const PLAIN = 'a scenario is plain YAML (text, numbers, true/false, lists and mappings), with no tags';

test('an alias to an anchor that is not defined is an error at the alias (it read as nothing)', () => {
  assert.deepEqual(errors(y('hosts:', '  a:', '    routes: *nope')), [
    'x.yaml:3:13: alias *nope refers to no anchor: YAML needs "&nope" on a value before the alias',
  ]);
  // An anchor defined after the alias does not count (YAML resolves aliases backwards only).
  assert.deepEqual(errors(y('hosts:', '  a:', '    routes: *r', '  b:', '    routes: &r []')), [
    'x.yaml:3:13: alias *r refers to no anchor: YAML needs "&r" on a value before the alias',
  ]);
  // A defined anchor still works.
  const ok = loadScenario(y('hosts:', '  a: &h', '    routes: []', '  b: *h'), 'x.yaml');
  assert.ok(ok.ok);
  assert.deepEqual(
    ok.scenario.hosts.map((h) => h.name.value),
    ['a', 'b'],
  );
});

test('tags are refused at the tag: unknown ones (!foo) and those that change a value (!!binary, !!str on a mapping)', () => {
  assert.deepEqual(
    errors(
      y(
        'hosts: !!str',
        '  a:',
        '    routes: !foo default via 10.0.0.1',
        '    sysctls: !bar',
        '      net.ipv4.ip_forward: 1',
        '    listen: !!binary dGNwLzgw',
      ),
    ),
    [
      `x.yaml:1:8: tag "!!str" is not accepted: ${PLAIN}`,
      `x.yaml:3:13: unknown tag "!foo": ${PLAIN}`,
      `x.yaml:4:14: unknown tag "!bar": ${PLAIN}`,
      `x.yaml:6:13: tag "!!binary" is not accepted: ${PLAIN}`,
    ],
  );
  // The core tags that only say what the value is are fine.
  const ok = loadScenario(y('hosts:', '  a:', '    routes: !!str default via 10.0.0.1'), 'x.yaml');
  assert.ok(ok.ok);
});

const hairpin = readFileSync(root + 'examples/hairpin/dnat-snat.yaml', 'utf8');
const EXPECT =
  'expect: { verdict: connected, server_sees: 192.168.1.1:40000, translated_source: 192.168.1.1:40000 }';

function mismatches(expect: string): string[] {
  assert.ok(hairpin.includes(EXPECT));
  const r = simulateScenario(hairpin.replace(EXPECT, expect), 'dnat-snat.yaml');
  if (!r.ok) assert.fail(r.errors.join('\n'));
  return r.sim.results[0]!.mismatches;
}

test('server_sees and translated_source take an address alone and check only the address', () => {
  assert.deepEqual(
    mismatches('expect: { verdict: connected, server_sees: 192.168.1.1, translated_source: 192.168.1.1 }'),
    [],
  );
  assert.deepEqual(
    mismatches('expect: { verdict: connected, server_sees: 192.168.1.9, translated_source: 192.168.1.8 }'),
    [
      'expected the source after NAT to be 192.168.1.8, it was 192.168.1.1:40000',
      'expected the server to see 192.168.1.9, it saw 192.168.1.1:40000',
    ],
  );
  // With a port, the port counts as before.
  assert.deepEqual(mismatches('expect: { verdict: connected, server_sees: 192.168.1.1:40001 }'), [
    'expected the server to see 192.168.1.1:40001, it saw 192.168.1.1:40000',
  ]);
});

const IPV6 = 'IPv6 is not simulated yet (natbox simulates IPv4)';

test('an IPv6 address in a scenario says IPv6 is not simulated yet, at the address', () => {
  assert.deepEqual(
    errors(
      y(
        'hosts:',
        '  a:',
        '    interfaces: { e0: [10.0.0.1/24, 2001:db8::1/64], e1: { address: fe80::1/64, mac: 02:00:00:00:00:01 } }',
        '    routes: [default via fe80::9, 2001:db8::/32 dev e0, default via 10.0.0.254]',
        'flows:',
        '  - { from: a, proto: tcp, to: "[2001:db8::2]:80" }',
        '  - { from: a, proto: tcp, to: 10.0.0.2:80, expect: { server_sees: "::ffff:10.0.0.1" } }',
        '  - { from: a, proto: icmp, to: 2001:db8::2 }',
      ),
    ),
    [
      `x.yaml:3:37: hosts.a.interfaces.e0[1]: "2001:db8::1/64" is an IPv6 address; ${IPV6}`,
      `x.yaml:3:69: hosts.a.interfaces.e1.address: "fe80::1/64" is an IPv6 address; ${IPV6}`,
      `x.yaml:4:26: hosts.a.routes[0]: "fe80::9" is an IPv6 address; ${IPV6}`,
      `x.yaml:4:35: hosts.a.routes[1]: "2001:db8::/32" is an IPv6 address; ${IPV6}`,
      `x.yaml:6:32: flows[0].to: "[2001:db8::2]:80" is an IPv6 address; ${IPV6}`,
      `x.yaml:7:68: flows[1].expect.server_sees: "::ffff:10.0.0.1" is an IPv6 address; ${IPV6}`,
      `x.yaml:8:33: flows[2].to: "2001:db8::2" is an IPv6 address; ${IPV6}`,
    ],
  );
});

test('ip6tables rules given as a scenario: IPv6 is not simulated yet', () => {
  assert.deepEqual(
    errors('# Generated by ip6tables-save v1.8.10\n*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n', 'fw6.rules'),
    [`fw6.rules:2:1: this looks like an ip6tables-save file, not a scenario; ${IPV6}`],
  );
  assert.deepEqual(errors('ip6tables -A INPUT -j DROP\n', 'fw6.sh'), [
    `fw6.sh:1:1: this looks like a script of ip6tables commands, not a scenario; ${IPV6}`,
  ]);
});

test('an unsupported match or target in a scenario mentions --skip-unsupported', () => {
  const text = (rule: string): string =>
    y('hosts:', '  a:', '    interfaces: { e0: 10.0.0.1/24 }', '    rules: |', `      ${rule}`);
  const run = (rule: string): string[] => {
    const r = simulateScenario(text(rule), 'x.yaml');
    if (r.ok) assert.fail('the scenario loaded');
    return r.errors;
  };
  const HINT = '; natbox trace and test leave such rules out with --skip-unsupported';
  assert.deepEqual(run('iptables -A INPUT -m geoip --src-cc CN -j DROP'), [
    'x.yaml:5:28: unsupported match "geoip" (not a match of iptables 1.8.9 itself, all of which natbox reads: add-on matches such as xtables-addons\' are not read)' +
      HINT,
  ]);
  assert.deepEqual(run('iptables -A INPUT -j ULOG'), [
    'x.yaml:5:28: unsupported target "ULOG" (natbox does not evaluate it)' + HINT,
  ]);
  // Said once, where the message already says it.
  assert.deepEqual(run('iptables -A INPUT -m cpu --cpu 0 -j DROP'), [
    'x.yaml:5:7: match "cpu" is read and printed but natbox cannot simulate it: the simulation does not model which CPU handles a packet in filter INPUT rule 1 (-A INPUT -m cpu --cpu 0 -j DROP): natbox cannot simulate it (--skip-unsupported leaves such rules out)',
  ]);
  // And with it, the rule is left out and the scenario runs.
  const skipped = simulateScenario(text('iptables -A INPUT -m geoip --src-cc CN -j DROP'), 'x.yaml', {
    skipUnsupported: true,
  });
  assert.ok(skipped.ok);
  assert.equal(skipped.skipped.length, 1);
});

test('a long text where a mapping was expected is shown by its start, not in full', () => {
  const long = `just some words ${'and more words '.repeat(100)}`;
  assert.deepEqual(errors(`${long}\n`), [
    `x.yaml:1:1: expected a scenario (a mapping with name, hosts, links, flows), found the text "${long.slice(0, 57)}..."`,
  ]);
});
