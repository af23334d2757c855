// A target that changes nothing a packet shows is still said: the trace's rule step carries its
// note (issue 13: "accepted; no effect a simulation can see: the trace says so"), in the JSON
// document and in the text, and NFQUEUE with no listener says why the packet went no further.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { buildTraceDoc } from '../../src/trace/model.ts';
import { renderText } from '../../src/trace/text.ts';

const SCENARIO = `
name: target-notes
hosts:
  r:
    interfaces: { lan: 192.168.1.1/24, wan: 198.51.100.1/24 }
    sysctls: { net.ipv4.ip_forward: 1 }
    rules: |
      iptables -t mangle -A POSTROUTING -p udp -j CHECKSUM --checksum-fill
      iptables -A FORWARD -p udp --dport 9 -j NFQUEUE --queue-num 3
  c:
    interfaces: { eth0: 192.168.1.3/24 }
    routes: [default via 192.168.1.1]
  s:
    interfaces: { eth0: 198.51.100.2/24 }
    routes: [default via 198.51.100.1]
    listen: [udp/9, udp/53]
links:
  - { name: lan, connect: [c:eth0, r:lan] }
  - { name: wan, connect: [s:eth0, r:wan] }
flows:
  - { name: dns, from: c, proto: udp, to: 198.51.100.2:53, expect: reply }
  - { name: discard, from: c, proto: udp, to: 198.51.100.2:9, expect: timeout }
`;

test('trace: CHECKSUM and NFQUEUE rule steps carry their notes (JSON and text)', () => {
  const r = simulateScenario(SCENARIO, 'notes.yaml');
  if (!r.ok) assert.fail(r.errors.join('\n'));
  assert.deepEqual(
    r.sim.results.map((f) => [f.flow.name, f.verdict]),
    [
      ['dns', 'reply'],
      ['discard', 'timeout'],
    ],
  );
  const doc = buildTraceDoc({ name: 'target-notes', file: 'notes.yaml' }, r.sim);
  const notes = new Set<string>();
  for (const s of doc.steps) if (s.kind === 'rule' && s.note) notes.add(`${s.chain}: ${s.note}`);
  assert.deepEqual(
    [...notes],
    [
      "POSTROUTING: CHECKSUM --checksum-fill: natbox's packets always carry a full checksum, nothing to fill",
      'FORWARD: NFQUEUE: no queue listener unless the scenario gives one in queues: (--queue-bypass: the packet leaves the table accepted; else dropped)',
    ],
  );
  // A rule whose target shows itself in the packet (here none other) has no note.
  for (const s of doc.steps)
    if (s.kind === 'rule' && !/CHECKSUM|NFQUEUE/.test(s.rule)) assert.equal(s.note, undefined);
  const text = renderText(doc, { width: 0 });
  assert.match(
    text,
    /CHECKSUM --checksum-fill: natbox's packets always carry a full checksum, nothing to fill/,
  );
  assert.match(text, /NFQUEUE: no queue listener/);
});
