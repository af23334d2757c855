// The converter (generate-scenarios.ts), field by field, on small cases written here in the kernel
// reference's case format (README of ../shared/reference/kernel/, "The case format"): each field
// becomes the agreed scenario syntax, and one it cannot convert is listed by name, never dropped.
// The cases are built in memory (a -- r -- b, as the reference's line-* cases), so these tests run
// without the reference checkout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  classifyCommand,
  convertCase,
  scenarioYaml,
  shellWords,
  unconvertedFields,
} from './generate-scenarios.ts';
import {
  substituter,
  type CaseJson,
  type KernelCase,
  type ResultJson,
  type TopologyJson,
} from './reference.ts';
import { labelsFor } from './compare.ts';
import { prepareScenario } from '../../src/scenario/simulate.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The line topology of the reference's line-* cases, with `${VARS}`. */
const LINE: TopologyJson = {
  vars: { A: '10.0.1.10', R_A: '10.0.1.1', R_B: '10.0.2.1', B: '10.0.2.20' },
  namespaces: ['a', 'r', 'b'],
  links: [
    {
      a: { ns: 'a', ifname: 'eth0', addrs: ['${A}/24'] },
      b: { ns: 'r', ifname: 'eth0', addrs: ['${R_A}/24'] },
    },
    {
      a: { ns: 'r', ifname: 'eth1', addrs: ['${R_B}/24'] },
      b: { ns: 'b', ifname: 'eth0', addrs: ['${B}/24'] },
    },
  ],
  routes: { a: ['default via ${R_A}'], b: ['default via ${R_B}'] },
  sysctls: { r: { 'net.ipv4.ip_forward': 1 } },
  servers: [
    { ns: 'b', proto: 'tcp', port: 80 },
    { ns: 'b', proto: 'udp', port: 5000 },
  ],
};

/** result.json as the runner would write it for LINE (MACs by the README's rule). */
function lineResult(over: Partial<Mutable<ResultJson>> = {}): ResultJson {
  return {
    format: 'kernel-nat-oracle/1',
    case: 't',
    vars: {},
    topology: {
      namespaces: ['a', 'r', 'b'],
      interfaces: {
        'a:eth0': { kind: 'veth', peer: 'r:eth0', addrs: ['10.0.1.10/24'], mac: '02:6f:72:63:01:01' },
        'r:eth0': { kind: 'veth', peer: 'a:eth0', addrs: ['10.0.1.1/24'], mac: '02:6f:72:63:02:01' },
        'r:eth1': { kind: 'veth', peer: 'b:eth0', addrs: ['10.0.2.1/24'], mac: '02:6f:72:63:02:02' },
        'b:eth0': { kind: 'veth', peer: 'r:eth1', addrs: ['10.0.2.20/24'], mac: '02:6f:72:63:03:01' },
      },
      routes: { a: ['default via 10.0.1.1'], b: ['default via 10.0.2.1'] },
    },
    sysctls: { r: { 'net.ipv4.ip_forward': '1' } },
    flows: [],
    packets: {},
    conntrack: {},
    rule_counters: {},
    volatile: { port_labels: {}, icmp_id_labels: {} },
    ...over,
  };
}

const FLOW = { id: 'u1', client: 'a', proto: 'udp', dst: '${B}', dport: 5000, expect: 'reply' } as const;

function kcase(
  c: Partial<CaseJson>,
  opts: { topology?: TopologyJson; result?: ResultJson } = {},
): KernelCase {
  const topology = opts.topology ?? LINE;
  const cj: CaseJson = { description: 'test', topology, flows: [FLOW], ...c };
  const vars = { ...(topology.vars ?? {}), ...(cj.vars ?? {}) };
  return {
    name: 't',
    case: cj,
    topology,
    ownTopology: true,
    vars,
    result: opts.result ?? lineResult(),
    sub: substituter('t', vars),
  };
}

const lines = (kc: KernelCase): string[] => convertCase(kc).yaml.split('\n');
const has = (kc: KernelCase, line: string): void =>
  assert.ok(lines(kc).includes(line), `no line ${JSON.stringify(line)} in:\n${convertCase(kc).yaml}`);

test('vars: topology variables substituted everywhere, a case variable overrides one', () => {
  const kc = kcase({ flows: [{ ...FLOW, dst: '${TARGET}' }], vars: { TARGET: '10.0.2.20', A: '10.0.1.10' } });
  has(kc, '    to: 10.0.2.20:5000');
  has(kc, "      eth0: { addresses: [10.0.1.10/24], mac: '02:6f:72:63:01:01' }");
  has(kc, '      - default via 10.0.1.1');
  assert.throws(
    () => convertCase(kcase({ flows: [{ ...FLOW, dst: '${NOPE}' }] })),
    /t: no value for \$\{NOPE\}/,
  );
});

test('own topology: its namespaces, interfaces and links; a disagreement with result.json is named', () => {
  const kc = kcase({});
  has(kc, '  r:');
  has(kc, '  - [a:eth0, r:eth0]');
  has(kc, '  - [b:eth0, r:eth1]');
  const other = { ...LINE, vars: { ...LINE.vars, B: '10.0.2.99' } };
  assert.deepEqual(unconvertedFields(kcase({}, { topology: other })), [
    'topology: b:eth0 addresses 10.0.2.99/24 but result.json has 10.0.2.20/24',
  ]);
});

test('interface mac (fixed) and mtu (one side only)', () => {
  const topo: TopologyJson = {
    ...LINE,
    links: [
      { a: { ...LINE.links![0]!.a, mac: '02:00:00:00:0a:01' }, b: LINE.links![0]!.b },
      { a: { ...LINE.links![1]!.a, mtu: 1400 }, b: LINE.links![1]!.b },
    ],
  };
  const res = lineResult();
  const ifs = res.topology.interfaces as Record<string, ResultJson['topology']['interfaces'][string]>;
  ifs['a:eth0'] = { ...ifs['a:eth0']!, mac: '02:00:00:00:0a:01' };
  const kc = kcase({}, { topology: topo, result: res });
  has(kc, "      eth0: { addresses: [10.0.1.10/24], mac: '02:00:00:00:0a:01' }");
  has(kc, "      eth1: { addresses: [10.0.2.1/24], mac: '02:6f:72:63:02:02', mtu: 1400 }");
  has(kc, "      eth0: { addresses: [10.0.2.20/24], mac: '02:6f:72:63:03:01' }");
  // A mac result.json does not have is a conversion error, not a silent choice.
  assert.match(unconvertedFields(kcase({}, { topology: topo })).join(), /a:eth0 mac 02:00:00:00:0a:01/);
});

test('several addresses on one interface; `ip addr add` in rules adds one at setup', () => {
  const topo: TopologyJson = {
    ...LINE,
    links: [
      { a: { ...LINE.links![0]!.a, addrs: ['${A}/24', '10.0.1.11/24'] }, b: LINE.links![0]!.b },
      LINE.links![1]!,
    ],
  };
  const res = lineResult();
  const ifs = res.topology.interfaces as Record<string, ResultJson['topology']['interfaces'][string]>;
  ifs['a:eth0'] = { ...ifs['a:eth0']!, addrs: ['10.0.1.10/24', '10.0.1.11/24'] };
  const kc = kcase({ rules: { a: ['ip addr add 10.0.1.20/24 dev eth0'] } }, { topology: topo, result: res });
  has(kc, "      eth0: { addresses: [10.0.1.10/24, 10.0.1.11/24, 10.0.1.20/24], mac: '02:6f:72:63:01:01' }");
  assert.deepEqual(unconvertedFields(kcase({ rules: { a: ['ip addr add 10.0.1.20/24 dev eth7'] } })), [
    'rules.a[0]: ip addr add 10.0.1.20/24 dev eth7: a has no interface eth7',
  ]);
});

test('case and topology routes (table N, route types) as host routes, in ip route syntax', () => {
  const res = lineResult();
  (res.topology.routes as Record<string, string[]>).r = [
    'unreachable default table 100',
    'blackhole 10.0.2.30/32',
  ];
  const kc = kcase(
    { routes: { r: ['unreachable default table 100', 'blackhole 10.0.2.30/32'] } },
    { result: res },
  );
  has(kc, '      - unreachable default table 100');
  has(kc, '      - blackhole 10.0.2.30/32');
  // `ip route add` in rules comes after them.
  const kc2 = kcase(
    {
      routes: { r: ['unreachable default table 100', 'blackhole 10.0.2.30/32'] },
      rules: { r: ['ip route add 10.9.0.0/16 via 10.0.2.20 table 7'] },
    },
    { result: res },
  );
  const l = lines(kc2);
  assert.equal(
    l[l.indexOf('      - blackhole 10.0.2.30/32') + 1],
    '      - 10.9.0.0/16 via 10.0.2.20 table 7',
  );
  // A case route result.json does not list is named.
  assert.match(
    unconvertedFields(kcase({ routes: { r: ['blackhole 10.0.2.30/32'] } })).join(),
    /^routes\.r: /,
  );
});

test('rules split by program: iptables → rules, ip rule add → ip_rules, nft → nft', () => {
  const kc = kcase({
    rules: {
      r: [
        'iptables -A FORWARD -p udp -j DROP',
        'ip rule add from 10.0.1.11 lookup 100 pref 1000',
        'nft add table ip vip',
        "nft add chain ip vip pre '{ type nat hook prerouting priority dstnat ; }'",
        'bridge vlan add vid 2 dev eth0',
      ],
    },
  });
  has(kc, '    rules: |');
  has(kc, '      iptables -A FORWARD -p udp -j DROP');
  has(kc, '    ip_rules:');
  has(kc, '      - from 10.0.1.11 lookup 100 pref 1000');
  // nft commands as written, in the host's nft: (natbox reads a script of nft commands).
  has(kc, '    nft: |');
  has(kc, '      nft add table ip vip');
  has(kc, "      nft add chain ip vip pre '{ type nat hook prerouting priority dstnat ; }'");
  assert.deepEqual(unconvertedFields(kc), [
    'rules.r[4]: bridge vlan add vid 2 dev eth0: program "bridge" at setup',
  ]);
  assert.throws(() => scenarioYaml(kc), /fields not converted: rules\.r\[4\]: bridge/);
  // The partial text names what it left out at the top.
  assert.ok(convertCase(kc).yaml.includes('# NOT THE WHOLE CASE'));
});

test('classifyCommand and shellWords split a command as the runner does (quotes group)', () => {
  assert.deepEqual(shellWords(`nft add chain ip vip pre '{ type nat ; }'`), [
    'nft',
    'add',
    'chain',
    'ip',
    'vip',
    'pre',
    '{ type nat ; }',
  ]);
  assert.deepEqual(classifyCommand('ip route add default via 10.0.3.1 table 200'), {
    kind: 'route',
    args: 'default via 10.0.3.1 table 200',
  });
  assert.deepEqual(classifyCommand('ip addr add 192.168.1.20/24 dev eth0'), {
    kind: 'address',
    addr: '192.168.1.20/24',
    dev: 'eth0',
  });
  assert.deepEqual(classifyCommand('sysctl -w net.ipv4.ip_forward=1'), {
    kind: 'sysctl',
    key: 'net.ipv4.ip_forward',
    value: '1',
  });
  assert.equal(classifyCommand('ip link set eth0 mtu 1400').kind, 'unconvertible');
  assert.equal(classifyCommand('iptables-legacy -t nat -F').kind, 'iptables');
});

test('rules_restore becomes the host rules as an iptables-save block', () => {
  const kc = kcase({ rules_restore: { r: ['*nat', '-A POSTROUTING -o eth1 -j MASQUERADE', 'COMMIT'] } });
  has(kc, '    rules: | # rules_restore: an iptables-save block');
  has(kc, '      -A POSTROUTING -o eth1 -j MASQUERADE');
  // one string works too
  has(
    kcase({ rules_restore: { r: '*nat\n-A POSTROUTING -o eth1 -j MASQUERADE\nCOMMIT\n' } }),
    '      COMMIT',
  );
  assert.match(
    unconvertedFields(kcase({ rules: { r: ['iptables -F'] }, rules_restore: { r: '*nat\nCOMMIT' } })).join(),
    /rules_restore\.r: with iptables commands in rules\.r too/,
  );
});

test('sysctls: the values read back, a sysctl natbox does not model is named', () => {
  has(kcase({}), '      net.ipv4.ip_forward: 1');
  assert.deepEqual(unconvertedFields(kcase({ sysctls: { r: { 'net.ipv4.conf.all.arp_ignore': 1 } } })), [
    'sysctls.r.net.ipv4.conf.all.arp_ignore: a sysctl natbox does not model',
  ]);
});

test('case servers replace the topology servers; bind and reply_port become a listen object', () => {
  const kc = kcase({ servers: [{ ns: 'b', proto: 'udp', port: 6000, bind: '${B}', reply_port: 6001 }] });
  has(kc, '    listen: [{ proto: udp, port: 6000, bind: 10.0.2.20, reply_port: 6001 }]');
  assert.ok(!convertCase(kc).yaml.includes('tcp/80'));
  has(kcase({}), '    listen: [tcp/80, udp/5000]');
  assert.match(
    unconvertedFields(kcase({ servers: [{ ns: 'b', proto: 'tcp', port: 80, reply_port: 81 }] })).join(),
    /servers\[0\]\.reply_port: UDP only/,
  );
});

test('actions become top-level events (at, host, run)', () => {
  const kc = kcase({
    actions: [
      { at: 1.25, ns: 'r', cmd: 'iptables -A FORWARD -p udp -j DROP' },
      { at: 1.75, ns: 'r', cmd: 'iptables -D FORWARD -p tcp -j DROP' },
    ],
  });
  has(kc, 'events:');
  has(kc, "  - { at: 1.25, host: r, run: 'iptables -A FORWARD -p udp -j DROP' }");
  has(kc, "  - { at: 1.75, host: r, run: 'iptables -D FORWARD -p tcp -j DROP' }");
  assert.deepEqual(unconvertedFields(kcase({ actions: [{ at: 1, ns: 'r', cmd: 'nft flush ruleset' }] })), [
    'actions[0]: nft flush ruleset: program "nft" in an event',
  ]);
});

test('conntrack_ns and settle: the recorded hosts and the settle time are said; an unrecorded one is named', () => {
  const res = lineResult({ conntrack: { r: [] } });
  const kc = kcase({ conntrack_ns: ['r'], settle: 0.6 }, { result: res });
  has(kc, '# The kernel recorded the conntrack tables and rule counters of r (conntrack_ns: r);');
  assert.ok(lines(kc).some((l) => l.startsWith('# read 0.6 s after the last flow and action (settle).')));
  assert.deepEqual(unconvertedFields(kcase({ conntrack_ns: ['b'] }, { result: res })), [
    'conntrack_ns: b not recorded in result.json',
  ]);
});

test('virtual_addrs: said at the top, and a flow to one loads (natbox routes it like any address)', () => {
  const kc = kcase({ virtual_addrs: ['198.51.100.80'], flows: [{ ...FLOW, dst: '198.51.100.80' }] });
  has(kc, '# Virtual addresses (no interface has them; flows go to them): 198.51.100.80.');
  has(kc, '    to: 198.51.100.80:5000');
  const p = prepareScenario(convertCase(kc).yaml, 't.yaml');
  assert.ok(p.ok, p.ok ? '' : p.errors.join('\n'));
});

test('known_ports and label_ports: said at the top, and used by the comparison labels', () => {
  const kc = kcase({
    known_ports: [2222],
    label_ports: [1000],
    servers: [{ ns: 'b', proto: 'udp', port: 6000, reply_port: 6001 }],
    rules: {
      r: ['iptables -t nat -A PREROUTING -p tcp --dport 22 -j DNAT --to-destination 10.0.2.20:1000-1001'],
    },
  });
  has(kc, '# Ports kept as numbers in the comparison (known_ports): 2222.');
  has(kc, '# Ports labelled in the comparison (label_ports): 1000.');
  const l = labelsFor(kc);
  // A label may not stand for a port the case names (so $p1 cannot be 2222, 6001, 22 or 1001) ...
  for (const port of ['2222', '6000', '6001', '22', '1001', '5000'])
    assert.equal(l.match('$p9', port), false, `$p9 stood for ${port}`);
  // ... but 1000 is in label_ports: NAT may pick it.
  assert.equal(l.match('$p1', '1000'), true);
});

test('every flow field in the agreed syntax', () => {
  const kc = kcase({
    flows: [
      {
        id: 'f',
        client: 'a',
        proto: 'udp',
        dst: '${B}',
        dport: 5000,
        sport: 43000,
        src: '10.0.1.10',
        start: 1.5,
        timeout: 0.4,
        hold: 1,
        count: 5,
        interval: 0.5,
        udp_connect: false,
        ttl: 1,
        size: 1450,
        df: false,
        mark: '0x2',
        expect: 'timeout',
      },
      {
        id: 'p',
        client: 'a',
        proto: 'icmp',
        dst: '${B}',
        icmp_id: 20307,
        mark: 2,
        df: true,
        expect: 'icmp-error',
      },
      { id: 't', client: 'a', proto: 'tcp', dst: '${B}', dport: 80, mss: 536, expect: 'refused' },
    ],
  });
  const y = convertCase(kc).yaml;
  assert.ok(
    y.includes(
      [
        '  - name: f',
        '    from: a',
        '    proto: udp',
        '    to: 10.0.2.20:5000',
        '    src: 10.0.1.10',
        '    sport: 43000',
        '    udp_connect: false',
        '    at: 1.5',
        '    timeout: 0.4',
        '    hold: 1',
        '    count: 5',
        '    interval: 0.5',
        '    ttl: 1',
        '    size: 1450',
        '    df: false',
        "    mark: '0x2'",
        '    expect: timeout',
        '  - name: p',
        '    from: a',
        '    proto: icmp',
        '    to: 10.0.2.20',
        '    id: 20307',
        '    at: 0',
        '    timeout: 2.5',
        '    df: true',
        '    mark: 2',
        '    expect: icmp-error',
        '  - name: t',
        '    from: a',
        '    proto: tcp',
        '    to: 10.0.2.20:80',
        '    at: 0',
        '    timeout: 2.5',
        '    mss: 536',
        '    expect: refused',
      ].join('\n'),
    ),
    y,
  );
  assert.deepEqual(unconvertedFields(kc), []);
});

test('expect: the outcomes natbox has verdicts for; connected-then-failed is named; so is an unknown field', () => {
  for (const v of [
    'connected',
    'timeout',
    'refused',
    'error',
    'reply',
    'reply-from-unexpected-source',
    'icmp-error',
  ])
    assert.deepEqual(unconvertedFields(kcase({ flows: [{ ...FLOW, expect: v }] })), [], v);
  assert.deepEqual(unconvertedFields(kcase({ flows: [{ ...FLOW, expect: 'connected-then-failed' }] })), [
    'flows[u1].expect: connected-then-failed has no natbox verdict',
  ]);
  const odd = { ...FLOW, tos: 4 } as unknown as CaseJson['flows'][number];
  assert.deepEqual(unconvertedFields(kcase({ flows: [odd] })), ['flows[u1].tos: not a flow field']);
  const oddCase = { wait: 1 } as unknown as Partial<CaseJson>;
  assert.deepEqual(unconvertedFields(kcase(oddCase)), ['wait: not a field of the case format']);
});

test('the generated line-timed-forward-drop keeps its two actions as events (committed file)', () => {
  const y = readFileSync(new URL('./scenarios/line-timed-forward-drop.yaml', import.meta.url), 'utf8');
  assert.ok(y.includes("  - { at: 1.75, host: r, run: 'iptables -D FORWARD -p tcp -j DROP' }"));
});

test('timeout: the harness default 2.5 s for every protocol, checked against what the client ran with', () => {
  has(kcase({}), '    timeout: 2.5');
  const res = lineResult({
    volatile: { port_labels: {}, icmp_id_labels: {}, flow_client_results: [{ timeout: 1 }] },
  });
  assert.deepEqual(unconvertedFields(kcase({}, { result: res })), [
    'flows[u1].timeout: 2.5 written, the client ran with 1',
  ]);
});

test('servers: checked against the servers result.json says ran', () => {
  const res = lineResult({ servers: [{ ns: 'b', proto: 'udp', port: 6000, reply_port: 6001 }] });
  assert.deepEqual(
    unconvertedFields(
      kcase({ servers: [{ ns: 'b', proto: 'udp', port: 6000, reply_port: 6001 }] }, { result: res }),
    ),
    [],
  );
  assert.deepEqual(unconvertedFields(kcase({}, { result: res })), [
    'servers: b tcp/80, b udp/5000 but result.json ran b udp/6000 reply 6001',
  ]);
});
