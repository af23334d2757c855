// -m socket through a whole scenario (xt_socket.c): the server listens on tcp/80 (bound to
// 0.0.0.0). Its INPUT accepts port 80 only when -m socket matches: the SYN reaches only the
// wildcard listener, which counts with --nowildcard alone; the later segments reach the
// connection's own socket. Checked on this kernel with the same rules (python3 listener and
// client in two namespaces): plain -m socket times out, --nowildcard connects, --syn plus
// -m socket connects, --transparent times out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateScenario } from '../../src/scenario/simulate.ts';

const scenario = (rules: string): string => `
name: socket-match
hosts:
  srv:
    interfaces: { eth0: 198.51.100.1/24 }
    listen: [tcp/80]
    rules: |
${rules
  .trim()
  .split('\n')
  .map((l) => `      ${l.trim()}`)
  .join('\n')}
      iptables -A INPUT -p tcp --dport 80 -j DROP
  cli: { interfaces: { eth0: 198.51.100.10/24 } }
links:
  - [srv:eth0, cli:eth0]
flows:
  - { name: web, from: cli, proto: tcp, to: 198.51.100.1:80, timeout: 2 }
`;

const verdict = (rules: string): string => {
  const r = simulateScenario(scenario(rules), 'socket.yaml', { trace: true });
  assert.ok(r.ok, r.ok ? '' : JSON.stringify(r));
  return r.sim.results[0]!.verdict;
};

test('socket: a SYN reaches only the wildcard listener, which counts only with --nowildcard', () => {
  assert.equal(verdict('iptables -A INPUT -p tcp --dport 80 -m socket -j ACCEPT'), 'timeout');
  assert.equal(verdict('iptables -A INPUT -p tcp --dport 80 -m socket --nowildcard -j ACCEPT'), 'connected');
});

test('socket: once the SYN is let in, the connection has its own socket and matches', () => {
  assert.equal(
    verdict(`iptables -A INPUT -p tcp --dport 80 --syn -j ACCEPT
             iptables -A INPUT -p tcp --dport 80 -m socket -j ACCEPT`),
    'connected',
  );
});

test('socket: --transparent counts no simulated socket (none has IP_TRANSPARENT)', () => {
  assert.equal(
    verdict('iptables -A INPUT -p tcp --dport 80 -m socket --nowildcard --transparent -j ACCEPT'),
    'timeout',
  );
});

test('socket: the trace says why a SYN did not match', () => {
  const r = simulateScenario(
    scenario('iptables -A INPUT -p tcp --dport 80 -m socket -j ACCEPT'),
    'socket.yaml',
    { trace: true },
  );
  assert.ok(r.ok);
  const why = r.sim.steps
    .filter((s) => s.kind === 'rule-miss')
    .map((s) => (s.kind === 'rule-miss' ? s.why : ''));
  assert.ok(
    why.some((w) => w.includes('a listener bound to 0.0.0.0')),
    why.join('\n'),
  );
});
