// An ARP answer to a neighbour probe leaves at once, so it carries the probe's window (the probe
// went when the kernel's timer wheel ran its DELAY timer, at a time natbox verify allows a range
// for). Found by a live run: r's probe of a at 5.014 s on the kernel, 5.120 s in natbox (both
// within the probe's window), and a's answer compared without a window, 0.106 s apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { scenarioText } from './a-r-b.ts';
import { frameWindow } from '../../src/stack/neigh.ts';

const TEXT = scenarioText(
  'probe-answer-window',
  `flows:
  - { name: f, from: a, proto: tcp, to: 10.0.2.20:80, sport: 41000, hold: 6, expect: connected }
`,
);

test("a's answer to r's probe carries the probe's window", () => {
  const r = simulateScenario(TEXT, 'x.yaml', { trace: true });
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  const arp = r.sim.steps.flatMap((s) =>
    s.kind === 'packet' &&
    s.frame[12] === 0x08 &&
    s.frame[13] === 0x06 &&
    s.t > 1 &&
    s.ifname === 'eth0' &&
    s.host !== 'b'
      ? [
          {
            at: `${s.host}:${s.ifname} ${s.dir} ${s.frame[21] === 1 ? 'request' : 'reply'}`,
            t: s.t,
            w: frameWindow(s.frame),
          },
        ]
      : [],
  );
  // r learnt a from a's request at 0 (STALE), forwarded the SYN-ACK to it at 0.0007 (DELAY): its probe at
  // the DELAY timer's wheel bucket, 5.12 s here, and a's answer 0.1 ms later, both with the
  // window 5.0007 .. 5.2567 s (delay_first_probe_time, up to 256 ms late).
  assert.deepEqual(
    arp.map((p) => p.at),
    ['r:eth0 out request', 'a:eth0 in request', 'a:eth0 out reply', 'r:eth0 in reply'],
  );
  const abs = (p: (typeof arp)[number]) => p.w!.map((x) => +(p.t + x).toFixed(4));
  const probe = arp[0]!;
  const answer = arp[2]!;
  assert.equal(probe.t.toFixed(4), '5.1200');
  assert.deepEqual(abs(probe), [5.0007, 5.2567]);
  assert.equal(answer.t.toFixed(4), '5.1201');
  assert.deepEqual(abs(answer), [5.0008, 5.2568]);
});
