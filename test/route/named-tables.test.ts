// Named routing tables: a host's `rt_tables:` (as /etc/iproute2/rt_tables lines `200 wan2`) let
// routes, rules and events say `table wan2` / `lookup wan2`, and `ip route`/`ip rule` print the
// name. Origin: man ip-rule(8) and ip-route(8) (TABLEID: a number or a string from rt_tables),
// iproute2's rtnl_rttable_a2n/n2a (lib/rt_names.c), and the kernel's rule_find
// (net/core/fib_rules.c: a deletion compares only the attributes it gives).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRule, parseRule, RuleList } from '../../src/route/rule.ts';
import { formatRoute, parseRoute, parseTableId, tableName } from '../../src/route/table.ts';
import { formatScenarioError, loadScenario } from '../../src/scenario/load.ts';
import { buildScenario } from '../../src/scenario/build.ts';
import { World } from '../../src/sim/world.ts';
import { numberTables } from '../../src/dataplane/kernel/routing-args.ts';

const NAMES = new Map([
  ['wan2', 200],
  ['vpn', 51820],
]);

test('rt_tables: names parse to their ids; reserved names and numbers as before', () => {
  assert.equal(parseTableId('wan2', NAMES), 200);
  assert.equal(parseTableId('main', NAMES), 254);
  assert.equal(parseTableId('0x10', NAMES), 16);
  assert.equal(parseTableId('wan3', NAMES), undefined);
  assert.equal(parseTableId('wan2'), undefined);
  assert.equal(tableName(200, NAMES), 'wan2');
  assert.equal(tableName(201, NAMES), '201');
  assert.equal(tableName(254, NAMES), 'main');
});

test('rt_tables: a route and a rule naming a table, printed with the name', () => {
  const r = parseRoute('default via 10.0.12.2 table wan2', NAMES);
  assert.ok(r.ok);
  assert.equal(r.value.table, 200);
  const route = { ...r.value, nexthops: undefined, dev: 'up2', origin: 'static' as const };
  assert.equal(formatRoute(route, true, NAMES), 'default via 10.0.12.2 dev up2 table wan2');
  assert.equal(formatRoute(route, true), 'default via 10.0.12.2 dev up2 table 200');
  const p = parseRule('not fwmark 51820 table vpn', NAMES);
  assert.ok(p.ok);
  assert.equal(p.value.table, 51820);
  assert.equal(
    formatRule({ ...p.value, pref: 32765 }, NAMES),
    '32765:\tnot from all fwmark 0xca6c lookup vpn',
  );
  const bad = parseRule('from 10.0.1.11 lookup wan3', NAMES);
  assert.ok(!bad.ok);
  assert.equal(bad.error.token, 'wan3');
  assert.match(bad.error.message, /bad table "wan3": expected local, main, default, wan2, vpn \(rt_tables\)/);
  const badRoute = parseRoute('default via 10.0.12.2 table wan2');
  assert.ok(!badRoute.ok);
  assert.equal(badRoute.error.token, 'wan2');
});

test('ip rule del compares only what it gives (rule_find)', () => {
  const rules = new RuleList();
  const add = (t: string): void => {
    const p = parseRule(t, NAMES);
    assert.ok(p.ok);
    assert.equal(rules.add(p.value), undefined);
  };
  add('from 10.0.1.11 lookup wan2 pref 100');
  add('fwmark 0x2 lookup wan2 pref 200');
  add('fwmark 0x3 lookup 300 pref 300');
  const del = (t: string): string | undefined => {
    const p = parseRule(t, NAMES, true);
    assert.ok(p.ok, t);
    return rules.delete(p.value);
  };
  assert.ok(!parseRule('pref 100').ok, 'an added rule needs an action');
  assert.equal(del('pref 200'), undefined);
  assert.equal(del('lookup 300'), undefined);
  assert.equal(del('lookup 300'), 'RTNETLINK answers: No such file or directory');
  assert.equal(del('from 10.0.1.12 lookup wan2'), 'RTNETLINK answers: No such file or directory');
  assert.deepEqual(rules.format(NAMES), [
    '0:\tfrom all lookup local',
    '100:\tfrom 10.0.1.11 lookup wan2',
    '32766:\tfrom all lookup main',
    '32767:\tfrom all lookup default',
  ]);
});

test('verify gives the kernel numbers for the names in ip route/ip rule events', () => {
  assert.deepEqual(numberTables(['ip', 'rule', 'add', 'fwmark', '0x2', 'lookup', 'wan2'], NAMES), [
    'ip',
    'rule',
    'add',
    'fwmark',
    '0x2',
    'lookup',
    '200',
  ]);
  assert.deepEqual(numberTables(['ip', 'route', 'del', 'default', 'table', 'vpn'], NAMES), [
    'ip',
    'route',
    'del',
    'default',
    'table',
    '51820',
  ]);
  const ipt = ['iptables', '-A', 'FORWARD', '-m', 'comment', '--comment', 'table', '-j', 'ACCEPT'];
  assert.deepEqual(numberTables(ipt, NAMES), ipt);
});

const y = (...lines: string[]): string => lines.join('\n') + '\n';

test('scenario rt_tables: loaded, used by routes, rules and events, printed; bad ones refused', () => {
  const text = y(
    'hosts:',
    '  r:',
    '    interfaces: { eth0: 10.0.1.1/24, up2: 10.0.12.1/24 }',
    '    rt_tables: { wan2: 200 }',
    '    routes: [default via 10.0.12.2 table wan2]',
    '    ip_rules: [from 10.0.1.11 lookup wan2 pref 100]',
    'events:',
    '  - { at: 1, host: r, run: ip rule add fwmark 2 lookup wan2 }',
  );
  const r = loadScenario(text, 'x.yaml');
  if (!r.ok) assert.fail(r.errors.map(formatScenarioError).join('\n'));
  const b = buildScenario(r.scenario);
  assert.ok(b.ok);
  const host = new World(b.built.world).host('r');
  assert.deepEqual(
    host.policy.formatAll().filter((l) => l.includes('wan2')),
    ['default via 10.0.12.2 dev up2 table wan2'],
  );
  assert.deepEqual(host.policy.rules.format(host.policy.tableNames)[1], '100:\tfrom 10.0.1.11 lookup wan2');

  const bad = (line: string, more = ''): string[] => {
    const res = loadScenario(
      y('hosts:', '  r:', '    interfaces: { eth0: 10.0.1.1/24 }', line, more),
      'x.yaml',
    );
    if (res.ok) {
      const built = buildScenario(res.scenario);
      assert.ok(!built.ok, `${line} ${more}: expected an error`);
      return built.errors.map((e) => `${e.line}:${e.column}: ${e.message}`);
    }
    return res.errors.map(formatScenarioError);
  };
  assert.match(bad('    rt_tables: { main: 7 }').join('\n'), /"main" is a reserved table name/);
  assert.match(bad('    rt_tables: { 2wan: 7 }').join('\n'), /is not a table name/);
  assert.match(bad('    rt_tables: { wan2: 254 }').join('\n'), /254 is a reserved table id/);
  assert.match(bad('    rt_tables: { wan2: 0 }').join('\n'), /0 is not a table id/);
  assert.match(
    bad('    routes: [default dev eth0 table wan2]').join('\n'),
    /4:\d+: hosts\.r\.routes: bad table "wan2"/,
  );
  assert.match(
    bad('    rt_tables: { wan2: 200 }', 'events: [{ at: 1, host: r, run: ip rule add lookup wan3 }]').join(
      '\n',
    ),
    /bad table "wan3"/,
  );
});
