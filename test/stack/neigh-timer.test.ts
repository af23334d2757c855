// A neighbour's retransmit timer belongs to its resolution (neigh->timer; neigh_ifdown deletes it):
// when the gateway's address is replaced (the last address of `wan` deleted, so its neighbours are
// flushed: fib_disable_ip → arp_ifdown) and a packet asks for the server again exactly when the old
// resolution's 1 s timer would have fired, one request goes. Linux 6.18.44 under natbox verify of
// test/conformance/extra/masquerade-address-change.yaml (2026-12-02): router:wan captured 4 ARP
// frames (request from 198.51.100.1, reply, request from 198.51.100.2, reply); natbox sent the
// second request twice before this fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { describeFrame, arpText } from '../../src/trace/frame.ts';

test('after a flush, the old resolution timer does not send a second request', () => {
  const f = 'test/conformance/extra/masquerade-address-change.yaml';
  const r = simulateScenario(readFileSync(f, 'utf8'), f);
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  const arp = r.sim.steps
    .filter((s) => s.kind === 'packet' && s.host === 'router' && s.ifname === 'wan')
    .map((s) => (s.kind === 'packet' ? { dir: s.dir, f: describeFrame(s.frame) } : undefined)!)
    .filter((p) => p.f.proto === 'arp')
    .map((p) => `${p.dir} ${arpText(p.f)}`);
  assert.deepEqual(
    arp.map((x) => x.replace(/is-at \S+/, 'is-at MAC')),
    [
      'out ARP who-has 198.51.100.80 tell 198.51.100.1',
      'in ARP 198.51.100.80 is-at MAC',
      'out ARP who-has 198.51.100.80 tell 198.51.100.2',
      'in ARP 198.51.100.80 is-at MAC',
    ],
  );
});
