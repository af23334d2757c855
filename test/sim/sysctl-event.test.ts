// `sysctl -w net.netfilter.*` as a timed event: the conntrack timeouts, nf_conntrack_tcp_loose
// and the window-tracking settings reach the running engine when written (the kernel reads them
// per packet: nf_conntrack_proto_udp.c, nf_conntrack_proto_tcp.c); the others (nf_conntrack_max)
// are refused as events with the reason. Live counterpart:
// test/conformance/extra/sysctl-conntrack-timeout-event.yaml.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatScenarioError, loadScenario } from '../../src/scenario/load.ts';
import { buildScenario } from '../../src/scenario/build.ts';
import { World } from '../../src/sim/world.ts';
import { parseEventCommand, runEvent } from '../../src/sim/events.ts';

const y = (...lines: string[]): string => lines.join('\n') + '\n';
const HOST = [
  'hosts:',
  '  r:',
  '    interfaces: { eth0: 10.0.1.1/24 }',
  '    rules: |',
  '      iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE',
];

test('sysctl -w net.netfilter timeouts and tcp_loose change the running engine', () => {
  const r = loadScenario(y(...HOST), 'x.yaml');
  if (!r.ok) assert.fail(r.errors.map(formatScenarioError).join('\n'));
  const b = buildScenario(r.scenario);
  assert.ok(b.ok);
  const host = new World(b.built.world).host('r');
  assert.equal(host.nf!.timeouts.nf_conntrack_udp_timeout, 30);
  const loose = (): boolean => (host.nf as unknown as { ctIn: { loose: boolean } }).ctIn.loose;
  const run = (line: string): void => {
    const p = parseEventCommand({ text: line, file: 'x', line: 1, column: 1 });
    assert.ok(p.ok);
    assert.equal(runEvent(host, p.command).rc, 0);
  };
  run('sysctl -w net.netfilter.nf_conntrack_udp_timeout=2');
  assert.equal(host.nf!.timeouts.nf_conntrack_udp_timeout, 2);
  assert.equal(host.sysctl('net.netfilter.nf_conntrack_udp_timeout', 0), 2);
  run('sysctl -w net.netfilter.nf_conntrack_tcp_loose=0');
  assert.equal(loose(), false);
  // A later iptables change keeps what was written.
  run('iptables -A FORWARD -j ACCEPT');
  assert.equal(host.nf!.timeouts.nf_conntrack_udp_timeout, 2);
  assert.equal(loose(), false);
});

test('sysctl -w net.netfilter.nf_conntrack_max as an event is refused, with the reason', () => {
  const r = loadScenario(
    y(...HOST, 'events: [{ at: 1, host: r, run: sysctl -w net.netfilter.nf_conntrack_max=10 }]'),
    'x.yaml',
  );
  assert.ok(!r.ok);
  assert.match(
    r.errors.map(formatScenarioError).join('\n'),
    /x\.yaml:6:\d+: .*net\.netfilter\.nf_conntrack_max: natbox applies this net\.netfilter sysctl only at the start \(hosts\.r\.sysctls\)/,
  );
});
