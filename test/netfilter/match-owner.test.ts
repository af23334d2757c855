// -m owner on a client's own TCP packets. Expected values from the live kernel (natbox verify of
// test/conformance/extra/module-rates-sockets.yaml, Linux 6.18): the client closes its socket
// after the answer (close(): the FIN still leaves from the socket, then sock_orphan), so the ACK of
// the server's FIN has no socket (sk->sk_socket is NULL): `--uid-owner 0` does not match it and
// `! --uid-owner 0` does (xt_owner: no socket matches only when every option is inverted).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateScenario } from '../../src/scenario/simulate.ts';

const SCENARIO = `
name: owner-orphan
hosts:
  client:
    interfaces: { eth0: 192.168.1.10/24 }
    rules: |
      iptables -t mangle -A OUTPUT -p tcp -m owner --uid-owner 0 -j TTL --ttl-set 70
      iptables -t mangle -A OUTPUT -p tcp -m owner ! --uid-owner 0 -j TTL --ttl-set 90
  server:
    interfaces: { eth0: 192.168.1.20/24 }
    listen: [tcp/80]
links:
  - [client:eth0, server:eth0]
flows:
  - { name: web, from: client, proto: tcp, to: 192.168.1.20:80, sport: 40000, timeout: 1, hold: 0.1, expect: connected }
`;

test("owner: the client's packets carry its socket until close(); the ACK of the server's FIN has none", () => {
  const r = simulateScenario(SCENARIO, 'owner-orphan.yaml');
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  const sent: string[] = [];
  for (const s of r.sim.steps) {
    if (s.kind !== 'packet' || s.host !== 'client' || s.dir !== 'out') continue;
    const f = s.frame;
    if (f[12] !== 0x08 || f[13] !== 0x00 || f[14 + 9] !== 6) continue;
    const flags = f[14 + 20 + 13]!;
    const name = ['F', 'S', 'R', 'P', '.'].filter((_, i) => flags & [1, 2, 4, 8, 16][i]!).join('');
    sent.push(`${name} ttl ${f[14 + 8]}`);
  }
  assert.deepEqual(sent, ['S ttl 70', '. ttl 70', 'P. ttl 70', '. ttl 70', 'F. ttl 70', '. ttl 90']);
});
