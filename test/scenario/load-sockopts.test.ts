// The flow socket options (src, ttl, tos, mss) and the listen object form ({ proto, port, bind,
// reply_port }): what loads, and each bad value as an error at its line and column.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadScenario } from '../../src/scenario/load.ts';

const doc = (listen: string, flow: string): string =>
  [
    'hosts:',
    '  a: { interfaces: { e0: 10.0.0.1/24 } }',
    `  b: { interfaces: { e0: 10.0.0.2/24 }, listen: ${listen} }`,
    'links: [[a:e0, b:e0]]',
    'flows:',
    `  - ${flow}`,
  ].join('\n');

const errors = (text: string): string[] => {
  const r = loadScenario(text, 'x.yaml');
  return r.ok ? [] : r.errors.map((e) => `${e.line}:${e.column}: ${e.message}`);
};

test('flow socket options and listen objects load with their values', () => {
  const r = loadScenario(
    doc(
      '[tcp/80, { proto: udp, port: 6000, bind: 10.0.0.2, reply_port: 6001 }]',
      '{ from: a, proto: tcp, to: 10.0.0.2:80, src: 10.0.0.1, ttl: 7, tos: 0x10, mss: 1000 }',
    ),
    'x.yaml',
  );
  assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.errors));
  const f = r.scenario.flows[0]!;
  assert.deepEqual([f.src?.value, f.ttl?.value, f.tos?.value, f.mss?.value], ['10.0.0.1', 7, 16, 1000]);
  const l = r.scenario.hosts[1]!.listen[1]!;
  assert.deepEqual(
    [l.proto.value, l.port.value, l.bind?.value, l.replyPort?.value],
    ['udp', 6000, '10.0.0.2', 6001],
  );
});

test('bad socket options and listen objects are errors at their position', () => {
  const cases: [string, string, string][] = [
    [
      '[tcp/80]',
      '{ from: a, proto: udp, to: 10.0.0.2:80, ttl: 0 }',
      '6:50: flows[0].ttl: 0 is not an IP TTL (1-255)',
    ],
    [
      '[tcp/80]',
      '{ from: a, proto: udp, to: 10.0.0.2:80, mss: 1000 }',
      '6:45: flows[0].mss: mss (TCP_MAXSEG) is for tcp flows, not udp',
    ],
    [
      '[tcp/80]',
      '{ from: a, proto: tcp, to: 10.0.0.2:80, src: 10.0.0.300 }',
      '6:50: flows[0].src: "10.0.0.300": "10.0.0.300" is not an IPv4 address (part 300 is over 255) (expected a.b.c.d)',
    ],
    [
      '[{ proto: tcp, port: 80, reply_port: 81 }]',
      '{ from: a, proto: tcp, to: 10.0.0.2:80 }',
      '3:74: hosts.b.listen[0].reply_port: reply_port is for udp servers (answers from a second socket)',
    ],
    [
      '[udp/53, { proto: udp, port: 53, bind: 10.0.0.2 }]',
      '{ from: a, proto: udp, to: 10.0.0.2:53 }',
      '3:58: hosts.b.listen[1]: udp port 53 on 10.0.0.2 is already taken by the socket at line 3 (bind() would fail with EADDRINUSE)',
    ],
    [
      '[{ proto: sctp, port: 9 }]',
      '{ from: a, proto: tcp, to: 10.0.0.2:80 }',
      '3:59: hosts.b.listen[0].proto: "sctp" is not a protocol a server listens with (tcp or udp)',
    ],
  ];
  for (const [listen, flow, want] of cases) assert.deepEqual(errors(doc(listen, flow)), [want]);
});

test('ip_options: udp flows, hex bytes of NOP, EOL and router alert only', () => {
  const r = loadScenario(
    doc('[udp/53]', "{ from: a, proto: udp, to: 10.0.0.2:53, ip_options: '0194040000' }"),
    'x.yaml',
  );
  assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.errors));
  assert.equal(r.scenario.flows[0]!.ipOptions?.value, '0194040000');
  const bad = (opts: string, proto = 'udp'): string[] =>
    errors(doc('[udp/53]', `{ from: a, proto: ${proto}, to: 10.0.0.2:53, ip_options: '${opts}' }`)).map((e) =>
      e.replace(/^\d+:\d+: /, ''),
    );
  assert.deepEqual(bad('94040000', 'tcp'), [
    'flows[0].ip_options: ip_options (IP_OPTIONS) is for udp flows here',
  ]);
  assert.deepEqual(bad('9404z0'), ['flows[0].ip_options: ip_options: hex bytes expected, e.g. "94040000"']);
  assert.deepEqual(bad('07070400000000'), [
    'flows[0].ip_options: ip_options: only NOP (01), EOL (00) and router alert (94 04 xx xx) are simulated',
  ]);
});
