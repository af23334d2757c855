// Flows of other protocols (proto: sctp | dccp | esp | ah, docs/scenarios.md "Other protocols"):
// ports for sctp and dccp, `spi` for esp and ah, and each misuse as an error at its position.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadScenario } from '../../src/scenario/load.ts';
import { buildScenario } from '../../src/scenario/build.ts';

const doc = (...flows: string[]): string =>
  [
    'hosts:',
    '  a: { interfaces: { e0: 10.0.0.1/24 } }',
    '  b: { interfaces: { e0: 10.0.0.2/24 } }',
    'links: [[a:e0, b:e0]]',
    'flows:',
    ...flows.map((f) => `  - ${f}`),
  ].join('\n');

const errors = (text: string): string[] => {
  const r = loadScenario(text, 'x.yaml');
  return r.ok ? [] : r.errors.map((e) => `${e.line}:${e.column}: ${e.message}`);
};

test('sctp, dccp, esp and ah flows load with their ports and SPIs', () => {
  const r = loadScenario(
    doc(
      '{ from: a, proto: sctp, to: 10.0.0.2:5000, sport: 40000, expect: icmp-error }',
      '{ from: a, proto: dccp, to: 10.0.0.2:5000 }',
      '{ from: a, proto: esp, to: 10.0.0.2, spi: 0x1234 }',
      '{ from: a, proto: ah, to: 10.0.0.2, spi: "153", expect: timeout }',
    ),
    'x.yaml',
  );
  assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.errors));
  const fs = r.scenario.flows;
  assert.deepEqual(
    fs.map((f) => [f.proto.value, f.dport?.value, f.sport?.value, f.spi?.value, f.expect?.verdict?.value]),
    [
      ['sctp', 5000, 40000, undefined, 'icmp-error'],
      ['dccp', 5000, undefined, undefined, undefined],
      ['esp', undefined, undefined, 0x1234, undefined],
      ['ah', undefined, undefined, 153, 'timeout'],
    ],
  );
  const w = buildScenario(r.scenario);
  assert.ok(w.ok, w.ok ? '' : JSON.stringify(w.errors));
  assert.deepEqual(
    w.built.flows.map((f) => [f.proto, f.sport, f.dport, f.spi]),
    [
      ['sctp', 40000, 5000, undefined],
      ['dccp', 40001, 5000, undefined],
      ['esp', 0, 0, 0x1234],
      ['ah', 0, 0, 153],
    ],
  );
});

test('misused keys of raw flows are errors at their position', () => {
  const cases: [string, string][] = [
    [
      '{ from: a, proto: esp, to: 10.0.0.2:50 }',
      '6:40: flows[0].to: "10.0.0.2:50": ESP has no ports (expected a.b.c.d)',
    ],
    [
      '{ from: a, proto: esp, dst: 10.0.0.2, dport: 5 }',
      '6:43: flows[0].dport: ESP has no ports; remove dport',
    ],
    ['{ from: a, proto: ah, to: 10.0.0.2, sport: 5 }', '6:41: flows[0].sport: AH has no ports; use spi'],
    [
      '{ from: a, proto: sctp, to: 10.0.0.2:5, spi: 1 }',
      '6:45: flows[0].spi: spi is for esp and ah flows, not sctp',
    ],
    [
      '{ from: a, proto: esp, to: 10.0.0.2, spi: 0x123456789 }',
      '6:47: flows[0].spi: "0x123456789" is not an SPI (expected 0..0xffffffff, e.g. 0x1234)',
    ],
    [
      '{ from: a, proto: dccp, to: 10.0.0.2:5, expect: reply }',
      '6:53: flows[0].expect: "reply" is not a verdict for a dccp flow (expected one of: timeout, icmp-error, error, unreachable, storm)',
    ],
    [
      '{ from: a, proto: sctp, to: 10.0.0.2:5, count: 2 }',
      '6:45: flows[0].count: count is for tcp, udp and icmp flows (a sctp flow sends one datagram)',
    ],
    ['{ from: a, proto: gre, to: 10.0.0.2 }', '6:23: flows[0].proto: "gre" is not a protocol'],
  ];
  for (const [flow, want] of cases) {
    const got = errors(doc(flow));
    assert.ok(
      got.some((e) => e.startsWith(want)),
      `${flow}: expected an error starting ${JSON.stringify(want)}, got ${JSON.stringify(got)}`,
    );
  }
});
