// Tests for the scenario loader (src/scenario/load.ts): the examples load into the exact model, and
// each kind of bad input gives the exact `file:line:column: field: message` with the right position.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatScenarioError, loadScenario } from '../../src/scenario/load.ts';
import type { Scenario } from '../../src/scenario/model.ts';
import type { SourceLoc } from '../../src/rules/iptables/model.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

function loadExample(rel: string): {
  scenario: Scenario;
  text: string;
  at: (needle: string, nth?: number) => SourceLoc;
} {
  const text = readFileSync(root + rel, 'utf8');
  const r = loadScenario(text, rel);
  if (!r.ok) assert.fail(r.errors.map(formatScenarioError).join('\n'));
  // The position of the nth occurrence of `needle` in the file, as the loader should report it.
  const at = (needle: string, nth = 0): SourceLoc => {
    let off = -1;
    for (let i = 0; i <= nth; i++) {
      off = text.indexOf(needle, off + 1);
      assert.ok(off >= 0, `${needle} #${nth} not in ${rel}`);
    }
    const before = text.slice(0, off).split('\n');
    return { file: rel, line: before.length, column: before[before.length - 1]!.length + 1 };
  };
  return { scenario: r.scenario, text, at };
}

const y = (...lines: string[]): string => lines.join('\n') + '\n';

function errors(text: string, file = 'x.yaml'): string[] {
  const r = loadScenario(text, file);
  if (r.ok) assert.fail('expected errors, the scenario loaded');
  return r.errors.map(formatScenarioError);
}

function ok(text: string, file = 'x.yaml'): Scenario {
  const r = loadScenario(text, file);
  if (!r.ok) assert.fail(r.errors.map(formatScenarioError).join('\n'));
  return r.scenario;
}

const RULE_A =
  'iptables -t nat -A PREROUTING -i br-lan -s 192.168.1.0/24 -d 82.120.11.22/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 192.168.1.200';
const RULE_B =
  'iptables -t nat -A POSTROUTING -o br-lan -s 192.168.1.0/24 -d 192.168.1.200/32 -p tcp -m tcp --dport 80 -j SNAT --to-source 192.168.1.1';

// A small valid scenario the error tests change one line of.
const HOSTS = [
  'hosts:', //                                    1
  '  router:', //                                 2
  '    interfaces:', //                           3
  '      lan1: {}', //                            4
  '      wan: { addresses: [82.120.11.22/24] }', // 5
  '    bridges:', //                              6
  '      br-lan: { ports: [lan1], address: 192.168.1.1/24 }', // 7
  '  client:', //                                 8
  '    interfaces: { eth0: 192.168.1.10/24 }', // 9
];

test('scenario-load-example-dnat-only', () => {
  const { scenario: s, at } = loadExample('examples/hairpin/dnat-only.yaml');
  const file = 'examples/hairpin/dnat-only.yaml';
  assert.equal(s.file, file);
  assert.equal(s.name, 'hairpin-dnat-only');
  assert.match(s.description ?? '', /^The seed's rule A alone: .* which rejects it\.$/);
  assert.deepEqual(
    s.hosts.map((h) => h.name.value),
    ['router', 'client', 'server', 'wanhost'],
  );
  const router = s.hosts[0]!;
  assert.deepEqual(router.name.loc, at('router:'));
  assert.deepEqual(
    router.interfaces.map((i) => [i.name.value, i.addresses.map((a) => a.value)]),
    [
      ['lan1', []],
      ['lan2', []],
      ['lan3', []],
      ['wan', ['82.120.11.22/24']],
    ],
  );
  assert.deepEqual(router.interfaces[3]!.addresses[0]!.loc, at('82.120.11.22/24'));
  assert.equal(router.bridges.length, 1);
  const br = router.bridges[0]!;
  assert.deepEqual(br.name, { value: 'br-lan', loc: at('br-lan: {') });
  assert.deepEqual(
    br.ports.map((p) => p.value),
    ['lan1', 'lan2', 'lan3'],
  );
  assert.deepEqual(br.ports[2]!.loc, at('lan3]'));
  assert.deepEqual(br.addresses, [{ value: '192.168.1.1/24', loc: at('192.168.1.1/24') }]);
  assert.deepEqual(router.routes, [{ value: 'default via 82.120.11.1', loc: at('default via 82.120.11.1') }]);
  assert.deepEqual(
    [...router.sysctls].map(([k, v]) => [k, v.value]),
    [
      ['net.ipv4.ip_forward', '1'],
      ['net.bridge.bridge-nf-call-iptables', '0'],
    ],
  );
  const rn = at('net.bridge.bridge-nf-call-iptables: 0');
  assert.deepEqual(router.sysctls.get('net.bridge.bridge-nf-call-iptables')!.loc, {
    ...rn,
    column: rn.column + 'net.bridge.bridge-nf-call-iptables: '.length,
  });
  assert.deepEqual(router.rules, { lines: [{ value: RULE_A, loc: at(RULE_A) }] });
  assert.deepEqual(router.listen, []);

  const [, client, server, wanhost] = s.hosts;
  assert.deepEqual(client!.interfaces, [
    {
      name: { value: 'eth0', loc: at('eth0: 192.168.1.10/24') },
      addresses: [{ value: '192.168.1.10/24', loc: at('192.168.1.10/24') }],
    },
  ]);
  assert.deepEqual(client!.routes, [
    { value: 'default via 192.168.1.1', loc: at('default via 192.168.1.1') },
  ]);
  assert.equal(client!.rules, undefined);
  assert.deepEqual(server!.interfaces[0]!.addresses[0]!.value, '192.168.1.200/24');
  const listenAt = at('tcp/80');
  assert.deepEqual(server!.listen, [
    {
      proto: { value: 'tcp', loc: listenAt },
      port: { value: 80, loc: { ...listenAt, column: listenAt.column + 4 } },
      loc: listenAt,
    },
    {
      proto: { value: 'udp', loc: at('udp/5000') },
      port: { value: 5000, loc: { ...at('udp/5000'), column: at('udp/5000').column + 4 } },
      loc: at('udp/5000'),
    },
  ]);
  assert.deepEqual(wanhost!.interfaces[0]!.addresses[0]!.value, '82.120.11.1/24');
  assert.deepEqual(wanhost!.routes, []);

  assert.deepEqual(
    s.links.map((l) => l.endpoints.map((e) => `${e.value.host}:${e.value.iface}`)),
    [
      ['client:eth0', 'router:lan1'],
      ['server:eth0', 'router:lan3'],
      ['wanhost:eth0', 'router:wan'],
    ],
  );
  assert.deepEqual(s.links[0]!.endpoints[1]!.loc, at('router:lan1'));
  assert.equal(s.links[0]!.name, undefined);

  assert.equal(s.flows.length, 1);
  const f = s.flows[0]!;
  const flowAt = at('name: client opens');
  assert.deepEqual(f, {
    name: {
      value: 'client opens the web page through the public address',
      loc: { ...flowAt, column: flowAt.column + 6 },
    },
    from: { value: 'client', loc: { ...at('from: client'), column: at('from: client').column + 6 } },
    proto: { value: 'tcp', loc: { ...at('proto: tcp'), column: at('proto: tcp').column + 7 } },
    dst: { value: '82.120.11.22', loc: at('82.120.11.22:80') },
    dport: { value: 80, loc: { ...at('82.120.11.22:80'), column: at('82.120.11.22:80').column + 13 } },
    sport: { value: 40000, loc: at('40000') },
    at: { value: 0, loc: flowAt },
    timeout: { value: 2.5, loc: at('2.5') },
    hold: { value: 0.5, loc: at('0.5') },
    expect: {
      verdict: { value: 'timeout', loc: at('timeout', 1) },
      translatedSource: { value: '192.168.1.10:40000', loc: at('192.168.1.10:40000') },
    },
    loc: flowAt,
  });
});

test('scenario-load-example-dnat-snat', () => {
  const { scenario: s, at } = loadExample('examples/hairpin/dnat-snat.yaml');
  assert.equal(s.name, 'hairpin-dnat-snat');
  const router = s.hosts.find((h) => h.name.value === 'router')!;
  assert.deepEqual(router.rules, {
    lines: [
      { value: RULE_A, loc: at(RULE_A) },
      { value: RULE_B, loc: at(RULE_B) },
    ],
  });
  assert.equal(at(RULE_B).line, at(RULE_A).line + 1);
  assert.equal(router.sysctls.get('net.bridge.bridge-nf-call-iptables')!.value, '0');
  const f = s.flows[0]!;
  assert.deepEqual(f.expect, {
    verdict: { value: 'connected', loc: at('connected') },
    serverSees: { value: '192.168.1.1:40000', loc: at('192.168.1.1:40000') },
    translatedSource: { value: '192.168.1.1:40000', loc: at('192.168.1.1:40000', 1) },
  });
  assert.deepEqual(
    [f.dst.value, f.dport?.value, f.sport?.value, f.timeout.value, f.hold?.value],
    ['82.120.11.22', 80, 40000, 2.5, 0.5],
  );
});

test('scenario-load-example-dnat-only-brnf', () => {
  const { scenario: s, at } = loadExample('examples/hairpin/dnat-only-brnf.yaml');
  assert.equal(s.name, 'hairpin-dnat-only-brnf');
  const router = s.hosts.find((h) => h.name.value === 'router')!;
  assert.equal(router.sysctls.get('net.bridge.bridge-nf-call-iptables')!.value, '1');
  assert.deepEqual(
    router.rules?.lines.map((l) => l.value),
    [RULE_A],
  );
  assert.deepEqual(s.flows[0]!.expect, {
    verdict: { value: 'connected', loc: at('connected') },
    serverSees: { value: '192.168.1.10:40000', loc: at('192.168.1.10:40000') },
  });
});

test('scenario-load-shorthands-and-defaults', () => {
  const s = ok(
    y(
      'hosts:',
      '  a:',
      '    interfaces:',
      '      eth0: 10.0.0.1/24',
      '      eth1: [10.0.1.1/24, 10.0.2.1/24]',
      '      eth2: { address: 10.0.3.1/24, mac: 02:00:00:00:00:01, mtu: 1400 }',
      '      eth3:',
      '    routes: default via 10.0.0.254',
      '    listen: udp/53',
      '  b:',
      'links:',
      '  - { name: lan, connect: [a:eth0, a:eth1, a:eth2] }',
      'flows:',
      '  - { from: a, proto: udp, dst: 10.0.0.9, dport: 53, udp_connect: false, expect: reply }',
      '  - { from: a, proto: icmp, to: 10.0.0.9, id: 20306, expect: { verdict: reply, server_sees: 10.0.0.1 } }',
    ),
    'dir/short.yml',
  );
  assert.equal(s.name, 'short');
  const [a, b] = s.hosts;
  assert.deepEqual(
    a!.interfaces.map((i) => [i.name.value, i.addresses.map((x) => x.value), i.mac?.value, i.mtu?.value]),
    [
      ['eth0', ['10.0.0.1/24'], undefined, undefined],
      ['eth1', ['10.0.1.1/24', '10.0.2.1/24'], undefined, undefined],
      ['eth2', ['10.0.3.1/24'], '02:00:00:00:00:01', 1400],
      ['eth3', [], undefined, undefined],
    ],
  );
  assert.deepEqual(
    a!.routes.map((r) => r.value),
    ['default via 10.0.0.254'],
  );
  assert.deepEqual(
    a!.listen.map((l) => `${l.proto.value}/${l.port.value}`),
    ['udp/53'],
  );
  assert.deepEqual(b!.interfaces, []);
  assert.deepEqual(s.links[0]!.name?.value, 'lan');
  assert.equal(s.links[0]!.endpoints.length, 3);
  assert.deepEqual(s.links[0]!.loc, { file: 'dir/short.yml', line: 12, column: 5 });
  const [u, p] = s.flows;
  assert.equal(u!.name.value, 'a udp 10.0.0.9:53');
  assert.deepEqual([u!.at.value, u!.timeout.value, u!.dport?.value, u!.udpConnect?.value], [0, 3, 53, false]);
  assert.deepEqual(u!.at.loc, u!.loc);
  assert.equal(p!.proto.value, 'icmp');
  assert.deepEqual(
    [p!.dport, p!.icmpId?.value, p!.expect?.serverSees?.value],
    [undefined, 20306, '10.0.0.1'],
  );
});

test('scenario-error-yaml-syntax', () => {
  assert.deepEqual(errors(y('hosts:', '  router: { interfaces: {}', '  client: {}')), [
    'x.yaml:3:3: YAML syntax error: Flow map in block collection must be sufficiently indented and end with a }',
  ]);
  assert.deepEqual(errors(y('hosts:', '  a: {}', ' b: {}')), [
    'x.yaml:3:1: YAML syntax error: All mapping items must start at the same column',
  ]);
});

test('scenario-error-unknown-key-with-suggestion', () => {
  const t = [...HOSTS];
  t[4] = '      wan: { adresses: [82.120.11.22/24] }';
  assert.deepEqual(errors(y(...t, 'flows: []', 'link: []')), [
    'x.yaml:5:14: hosts.router.interfaces.wan.adresses: unknown key "adresses"; did you mean "addresses"?',
    'x.yaml:11:1: link: unknown key "link"; did you mean "links"?',
  ]);
  assert.deepEqual(errors(y(...HOSTS, '    color: blue')), [
    'x.yaml:10:5: hosts.client.color: unknown key "color" (expected one of: interfaces, bridges, routes, sysctls, rules, ipsets, listen, ip_rules, rt_tables, nft, queues)',
  ]);
});

test('scenario-error-bad-prefix', () => {
  const t = [...HOSTS];
  t[4] = '      wan: { addresses: [82.120.11.22/33, 82.120.11.256/24, 82.120.11.22] }';
  assert.deepEqual(errors(y(...t)), [
    'x.yaml:5:26: hosts.router.interfaces.wan.addresses[0]: "82.120.11.22/33" is not an IPv4 prefix (prefix length 33 is over 32)',
    'x.yaml:5:43: hosts.router.interfaces.wan.addresses[1]: "82.120.11.256/24" is not an IPv4 prefix (part 256 is over 255)',
    'x.yaml:5:61: hosts.router.interfaces.wan.addresses[2]: "82.120.11.22" is not an IPv4 prefix (expected address/length, e.g. 192.168.1.1/24)',
  ]);
  const e = loadScenario(y(...t), 'x.yaml');
  assert.ok(!e.ok);
  assert.deepEqual(e.errors[0], {
    file: 'x.yaml',
    line: 5,
    column: 26,
    field: 'hosts.router.interfaces.wan.addresses[0]',
    token: '82.120.11.22/33',
    message:
      'hosts.router.interfaces.wan.addresses[0]: "82.120.11.22/33" is not an IPv4 prefix (prefix length 33 is over 32)',
  });
});

test('scenario-error-link-unknown-host-and-interface', () => {
  assert.deepEqual(
    errors(y(...HOSTS, 'links:', '  - [clinet:eth0, router:lan1]', '  - [client:eth0, router:lan9]')),
    [
      'x.yaml:11:6: links[0][0]: "clinet:eth0": unknown host "clinet"; did you mean "client"?',
      'x.yaml:12:26: links[1][1]: "router:lan9": host router has no interface "lan9"; did you mean "lan1"?',
    ],
  );
});

test('scenario-error-interface-in-two-links', () => {
  assert.deepEqual(
    errors(y(...HOSTS, 'links:', '  - [client:eth0, router:lan1]', '  - [client:eth0, router:wan]')),
    [
      'x.yaml:12:6: links[1][0]: "client:eth0": interface eth0 of client is already linked (line 11); an interface plugs into one link',
    ],
  );
});

test('scenario-error-bridge-ports', () => {
  const t = [...HOSTS];
  t[6] = '      br-lan: { ports: [lan1, lan5] }';
  assert.deepEqual(errors(y(...t.slice(0, 7), '      br2: { ports: [lan1] }', ...t.slice(7))), [
    'x.yaml:7:31: hosts.router.bridges.br-lan.ports[1]: "lan5" is not an interface of host router; did you mean "lan1"?',
    'x.yaml:8:22: hosts.router.bridges.br2.ports[0]: "lan1" is already a port of bridge br-lan; a port belongs to one bridge',
  ]);
});

test('scenario-error-duplicate-address', () => {
  // Addresses are unique per segment, not per scenario (issue 14): the same address on two hosts
  // loads (an address conflict on one segment is the builder's warning, test/scenario/
  // segments.test.ts); the same address twice on one device is what `ip addr add` refuses.
  const t = [...HOSTS];
  t[8] = '    interfaces: { eth0: 192.168.1.1/24 }';
  assert.ok(loadScenario(y(...t), 'x.yaml').ok);
  // iproute2 6.1 on Linux 6.18: the same address with another prefix length is taken.
  t[8] = '    interfaces: { eth0: [192.168.1.10/24, 192.168.1.10/16] }';
  assert.ok(loadScenario(y(...t), 'x.yaml').ok);
  t[8] = '    interfaces: { eth0: [192.168.1.10/24, 192.168.1.10/24] }';
  assert.deepEqual(errors(y(...t)), [
    'x.yaml:9:43: hosts.client.interfaces.eth0[1]: "192.168.1.10/24": address 192.168.1.10 is already on client eth0 (line 9) (Linux: "Error: ipv4: Address already assigned.")',
  ]);
});

test('scenario-error-duplicate-names', () => {
  assert.deepEqual(errors(y(...HOSTS, '  client: {}')), [
    'x.yaml:10:3: hosts.client: duplicate host "client" (first at line 8)',
  ]);
  const t = [...HOSTS];
  t[3] = '      wan: {}';
  assert.deepEqual(errors(y(...t)), [
    'x.yaml:5:7: hosts.router.interfaces.wan: duplicate interface "wan" (first at line 4)',
    'x.yaml:7:25: hosts.router.bridges.br-lan.ports[0]: "lan1" is not an interface of host router (expected one of its interfaces: wan)',
  ]);
});

test('scenario-error-flow-unknown-host', () => {
  assert.deepEqual(errors(y(...HOSTS, 'flows:', '  - { from: clients, proto: tcp, to: 82.120.11.22:80 }')), [
    'x.yaml:11:13: flows[0].from: unknown host "clients"; did you mean "client"?',
  ]);
});

test('scenario-error-bad-port', () => {
  assert.deepEqual(
    errors(
      y(
        ...HOSTS,
        'flows:',
        '  - { from: client, proto: tcp, to: 82.120.11.22:80, sport: 70000 }',
        '  - { from: client, proto: tcp, to: 82.120.11.22:0 }',
        '  - { from: client, proto: udp, dst: 82.120.11.22 }',
      ),
    ),
    [
      'x.yaml:11:61: flows[0].sport: 70000 is not a port number (1-65535)',
      'x.yaml:12:50: flows[1].to: "82.120.11.22:0": "0" is not a port number (1-65535)',
      'x.yaml:13:5: flows[2].dport: missing: the destination port (a udp flow needs one; or write to: 82.120.11.22:PORT)',
    ],
  );
});

test('scenario-error-bad-expect', () => {
  assert.deepEqual(
    errors(
      y(
        ...HOSTS,
        'flows:',
        '  - { from: client, proto: tcp, to: 82.120.11.22:80, expect: conected }',
        '  - { from: client, proto: tcp, to: 82.120.11.22:80, expect: reply }',
        '  - from: client',
        '    proto: tcp',
        '    to: 82.120.11.22:80',
        '    expect: { verdict: connected, server_sees: 192.168.1.1, client_sees: x }',
      ),
    ),
    [
      'x.yaml:11:62: flows[0].expect: "conected" is not a verdict; did you mean "connected"?',
      'x.yaml:12:62: flows[1].expect: "reply" is not a verdict for a tcp flow (expected one of: connected, reset, timeout, unreachable, storm, refused, error, connected-then-failed)',
      'x.yaml:16:61: flows[2].expect.client_sees: unknown key "client_sees" (expected one of: verdict, server_sees, translated_source)',
    ],
  );
});

test('scenario-error-sysctls', () => {
  assert.deepEqual(
    errors(
      y(
        ...HOSTS,
        '    sysctls:',
        '      net.ipv4.ip_forward: 2',
        '      net.ipv4.ip_forwarding: 1',
        '      net.netfilter.nf_conntrack_udp_timeout: 30',
      ),
    ),
    [
      'x.yaml:11:28: hosts.client.sysctls["net.ipv4.ip_forward"]: 2 is not a value for net.ipv4.ip_forward (expected 0 or 1)',
      'x.yaml:12:7: hosts.client.sysctls["net.ipv4.ip_forwarding"]: unknown sysctl "net.ipv4.ip_forwarding"; did you mean "net.ipv4.ip_forward"? (supported: net.ipv4.ip_forward, net.bridge.bridge-nf-call-iptables, net.ipv4.conf.all.rp_filter, net.ipv4.conf.all.send_redirects, net.ipv4.conf.all.accept_redirects, net.netfilter.nf_conntrack_tcp_loose, net.netfilter.nf_conntrack_tcp_be_liberal, net.netfilter.nf_conntrack_max, net.ipv4.tcp_syn_retries, net.ipv4.fib_multipath_hash_policy, net.ipv4.fib_multipath_hash_fields, net.ipv4.tcp_syn_linear_timeouts, net.ipv4.fib_multipath_hash_seed, net.ipv4.tcp_tw_reuse, net.ipv4.tcp_timestamps, net.ipv4.tcp_sack, net.ipv4.tcp_window_scaling, net.netfilter.nf_conntrack_tcp_max_retrans, net.netfilter.nf_conntrack_tcp_ignore_invalid_rst, net.ipv4.tcp_keepalive_time, net.ipv4.tcp_keepalive_intvl, net.ipv4.tcp_keepalive_probes, net.netfilter.nf_conntrack_*timeout*, net.ipv4.conf.{all,DEV}.{rp_filter,arp_ignore,arp_announce,arp_filter,proxy_arp,route_localnet,arp_notify,accept_local,src_valid_mark} and net.ipv4.neigh.DEV.{base_reachable_time_ms,delay_first_probe_time,retrans_time_ms,ucast_solicit,mcast_solicit,mcast_resolicit,proxy_delay,locktime})',
    ],
  );
});

test('scenario-error-types-and-empty', () => {
  assert.deepEqual(errors(''), [
    'x.yaml:1:1: the file is empty; expected a scenario (name, hosts, links, flows)',
  ]);
  assert.deepEqual(
    errors(y(...HOSTS, '    routes: [default via 192.168.1.1, 42]', '    listen: [tcp/80, http/80]')),
    [
      'x.yaml:10:39: hosts.client.routes[1]: expected a route in ip route syntax, e.g. "default via 192.168.1.1", found a number (42)',
      'x.yaml:11:22: hosts.client.listen[1]: "http/80" is not a listening socket (expected tcp/PORT or udp/PORT, e.g. tcp/80)',
    ],
  );
});

test('scenario-errors-are-all-collected-in-file-order', () => {
  const t = [...HOSTS];
  t[4] = '      wan: { addresses: [82.120.11.22/40] }';
  const list = errors(
    y(
      ...t,
      'links:',
      '  - [nobody:eth0, router:lan1]',
      'flows:',
      '  - { from: nobody, proto: gre, to: 1.2.3.4:5 }',
    ),
  );
  assert.deepEqual(
    list.map((e) => e.split(': ')[0]),
    ['x.yaml:5:26', 'x.yaml:11:6', 'x.yaml:13:13', 'x.yaml:13:28'],
  );
});

test('scenario-rules-block-scalar-line-positions', () => {
  const s = ok(
    y(
      'hosts:', //                               1
      '  router:', //                            2
      '    rules: |', //                         3
      '      *nat', //                           4
      '      :PREROUTING ACCEPT [0:0]', //       5
      '', //                                     6
      '        -A PREROUTING -j DNAT --to-destination 10.0.0.1', // 7
      '      COMMIT # end', //                   8
    ),
  );
  assert.deepEqual(s.hosts[0]!.rules, {
    lines: [
      { value: '*nat', loc: { file: 'x.yaml', line: 4, column: 7 } },
      { value: ':PREROUTING ACCEPT [0:0]', loc: { file: 'x.yaml', line: 5, column: 7 } },
      {
        value: '-A PREROUTING -j DNAT --to-destination 10.0.0.1',
        loc: { file: 'x.yaml', line: 7, column: 9 },
      },
      { value: 'COMMIT # end', loc: { file: 'x.yaml', line: 8, column: 7 } },
    ],
  });
  // CRLF line ends, `|-` chomping and an explicit indentation indicator.
  const crlf = ok('hosts:\r\n  r:\r\n    rules: |-2\r\n        iptables -A x\r\n      iptables -A y\r\n');
  assert.deepEqual(crlf.hosts[0]!.rules, {
    lines: [
      { value: 'iptables -A x', loc: { file: 'x.yaml', line: 4, column: 9 } },
      { value: 'iptables -A y', loc: { file: 'x.yaml', line: 5, column: 7 } },
    ],
  });
});

test('scenario-rules-list-and-single-line-positions', () => {
  const s = ok(
    y(
      'hosts:',
      '  r:',
      '    rules:',
      '      - iptables -t nat -A POSTROUTING -o wan -j MASQUERADE',
      '      - "iptables -t nat -A OUTPUT -j ACCEPT"',
      '  s:',
      "    rules: 'iptables -P FORWARD DROP'",
    ),
  );
  assert.deepEqual(s.hosts[0]!.rules?.lines, [
    {
      value: 'iptables -t nat -A POSTROUTING -o wan -j MASQUERADE',
      loc: { file: 'x.yaml', line: 4, column: 9 },
    },
    { value: 'iptables -t nat -A OUTPUT -j ACCEPT', loc: { file: 'x.yaml', line: 5, column: 10 } },
  ]);
  assert.deepEqual(s.hosts[1]!.rules?.lines, [
    { value: 'iptables -P FORWARD DROP', loc: { file: 'x.yaml', line: 7, column: 13 } },
  ]);
  assert.deepEqual(
    errors(y('hosts:', '  r:', '    rules: >', '      iptables -A x', '      iptables -A y')),
    [
      'x.yaml:3:12: hosts.r.rules: a folded block (>) joins the rules into one line; write `rules: |` (a literal block)',
    ],
  );
});
