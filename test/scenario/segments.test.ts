// Addresses are unique per L2 segment (issue 14 point 1): the same LAN behind two routers loads
// with no warning; the same address on two hosts of one segment is a warning (an address
// conflict: both answer ARP, as on Linux), and still loads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prepareScenario } from '../../src/scenario/simulate.ts';

const scenario = (secondLink: string): string => `
name: seg
hosts:
  c1: { interfaces: { eth0: 192.168.1.10/24 } }
  c2: { interfaces: { eth0: 192.168.1.10/24 } }
  r1: { interfaces: { lan: 192.168.1.1/24 } }
  r2:
    interfaces: { p1: {}, p2: {} }
    bridges: { br0: { ports: [p1, p2], address: 192.168.1.1/24 } }
links:
  - [c1:eth0, r1:lan]
  - ${secondLink}
`;

test('the same LAN behind two routers loads without a warning', () => {
  const p = prepareScenario(scenario('[c2:eth0, r2:p1]'), 'x.yaml');
  assert.ok(p.ok);
  assert.equal(p.built.warnings, undefined);
});

test('the same address twice on one segment (a switch, or through a bridge) is a warning', () => {
  const sw = prepareScenario(
    scenario('{ name: sw, connect: [c2:eth0, r2:p1, r1:wan] }').replace(
      'lan: 192.168.1.1/24',
      'lan: 192.168.1.1/24, wan: 192.168.1.10/24',
    ),
    'x.yaml',
  );
  assert.ok(sw.ok, sw.ok ? '' : sw.errors.join('\n'));
  // r1:lan and r2's bridge (through its port p1) are not on this segment's link; r1:wan is.
  assert.deepEqual(sw.built.warnings, [
    'address 192.168.1.10 is on both c2 eth0 and r1 wan, on the same segment: an address conflict (both answer ARP for it, as on Linux)',
  ]);
});
