// A cable's far end set down (Host.setCarrier, World.linkChanged): veth_close turns the peer's
// carrier off; linkwatch (net/core/link_watch.c) takes the event at once or up to 1 s later, and
// then the peer's neighbours are evicted (arp_netdev_event → neigh_carrier_down) and its frames
// dropped before the taps (dev_deactivate: noop_qdisc). natbox applies it 1 s after the down
// unless the device is up again by then. test/conformance/extra/link-flap-peer-carrier.yaml (up at
// 2.5 s) matches Linux 6.18 under natbox verify; a flap shorter than 1 s flushes nothing, as in
// arp-notify-link-up.yaml (0.5 s), which matches too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { arpText, describeFrame } from '../../src/trace/frame.ts';

const FILE = 'test/conformance/extra/link-flap-peer-carrier.yaml';
const UP = "{ at: 2.5, host: r, run: 'ip link set lan up' }";

/** h's frames (time, direction, ARP text or protocol) with r's LAN up again at `up` s. */
const hFrames = (up: number) => {
  const text = readFileSync(FILE, 'utf8').replace(UP, `{ at: ${up}, host: r, run: 'ip link set lan up' }`);
  const r = simulateScenario(text, FILE, { trace: true });
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  const frames = r.sim.steps.flatMap((s) => {
    if (s.kind !== 'packet' || s.host !== 'h') return [];
    const f = describeFrame(s.frame);
    return [`${s.t.toFixed(4)} ${s.dir} ${f.proto === 'arp' ? arpText(f) : f.proto}`];
  });
  return { verdicts: r.sim.results.map((x) => x.verdict), frames };
};

test('carrier lost for longer than linkwatch waits: the entry evicted, the first ARP request unseen, the next answered', () => {
  const { verdicts, frames } = hFrames(2.5);
  assert.deepEqual(verdicts, ['reply', 'reply', 'reply']);
  assert.deepEqual(frames.slice(4, 8), [
    // 2.1 s: the datagram waits for ARP; its first request goes to noop_qdisc (no frame); the
    // carrier is back at 2.5 s and the request sent again at 3.104 s (retrans_time on the wheel).
    '3.1040 out ARP who-has 192.168.1.1 tell 192.168.1.10',
    '3.1042 in ARP 192.168.1.1 is-at 02:4b:c4:7a:38:81',
    '3.1042 out udp',
    '3.1046 in udp',
  ]);
  assert.ok(!frames.some((f) => Number(f.split(' ')[0]) > 0.31 && Number(f.split(' ')[0]) < 3.1));
});

test('a flap shorter than linkwatch waits: the entry kept, the datagram leaves at once', () => {
  const { verdicts, frames } = hFrames(1.5);
  assert.deepEqual(verdicts, ['reply', 'reply', 'reply']);
  assert.deepEqual(frames.slice(4, 8), [
    '2.1000 out udp',
    // r's own neighbours went with its device: it asks for h before the answer.
    '2.1004 in ARP who-has 192.168.1.10 tell 192.168.1.1',
    '2.1004 out ARP 192.168.1.10 is-at 02:09:5d:0c:0e:55',
    '2.1006 in udp',
  ]);
});
