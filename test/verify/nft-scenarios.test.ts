// nftables in scenarios, without a kernel: what the nft verify scenarios (test/conformance/nft/)
// need from the loader. A host's nft file is read by `natbox verify` (as trace and test read it);
// an ip6 table beside the ip ones (libvirt, systemd-networkd) loads, since it never sees the IPv4
// packets natbox runs; `table inet fw4` without a block (fw4's first line) is nftables. The live
// runs are in all.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { prepareVerify } from '../../src/cli/verify/verify.ts';
import { readInput } from '../../src/cli/input.ts';
import { detectLanguage } from '../../src/rules/language.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { buildScenario, formatBuildError } from '../../src/scenario/build.ts';

test('fw4 print begins with `table inet fw4` and no block: nftables', () => {
  const lines = ['table inet fw4', 'flush table inet fw4'].map((text, i) => ({
    text,
    file: 'fw4.nft',
    line: i + 1,
    column: 1,
  }));
  assert.equal(detectLanguage(lines), 'nft');
  assert.equal(detectLanguage([{ text: 'table', file: 'x', line: 1, column: 1 }]), 'iptables');
});

test('natbox verify reads the nft file a host names (relative to the scenario)', () => {
  const file = 'test/conformance/nft/libvirt-nat-default.yaml';
  const p = prepareVerify(readFileSync(file, 'utf8'), file);
  assert.ok(p.ok, p.ok ? '' : p.errors.join('\n'));
  const rs = p.prepared.built.nftRulesets?.get('hypervisor');
  assert.deepEqual(
    rs?.tables.map((t) => `${t.family} ${t.name}`),
    ['ip libvirt_network', 'ip6 libvirt_network'],
  );
});

test('an ip6 table beside an ip table loads (it never sees an IPv4 packet)', () => {
  const yaml = [
    'hosts:',
    '  r:',
    '    interfaces: { eth0: 192.0.2.1/24 }',
    '    rules: |',
    '      table ip6 v6 {',
    '        chain f { type filter hook forward priority 0; policy drop; }',
    '      }',
    '      table ip v4 {',
    '        chain post { type nat hook postrouting priority 100; oifname "eth0" masquerade; }',
    '      }',
  ].join('\n');
  const l = loadScenario(yaml, 's.yaml');
  assert.ok(l.ok);
  const b = buildScenario(l.scenario);
  assert.ok(b.ok, b.ok ? '' : b.errors.map(formatBuildError).join('\n'));
  assert.equal(b.built.nftRulesets?.get('r')?.tables.length, 2);
});

test("an inet table's ip6 matches with IPv6 addresses compile (Incus' ip6 saddr .../64 masquerade)", () => {
  const file = 'test/conformance/nft/incus-bridge-forward.yaml';
  const p = prepareVerify(readFileSync(file, 'utf8'), file);
  assert.ok(p.ok, p.ok ? '' : p.errors.join('\n'));
});

test('NAT to a port with no transport protocol before it is refused, as nft refuses it', () => {
  // The kernel's nft 1.0.6 (nft -c -f in a namespace): "transport protocol mapping is only valid
  // after transport protocol match" for these three; the others load.
  const rule = (r: string): string[] => {
    const yaml = [
      'hosts:',
      '  r:',
      '    interfaces: { eth0: 192.0.2.1/24 }',
      '    rules: |',
      '      table ip t {',
      '        chain c {',
      '          type nat hook prerouting priority dstnat;',
      `          ${r}`,
      '        }',
      '      }',
    ].join('\n');
    const l = loadScenario(yaml, 's.yaml');
    assert.ok(l.ok);
    const b = buildScenario(l.scenario);
    return b.ok ? [] : b.errors.map(formatBuildError);
  };
  // The reader refuses them as nft does, at the port (nft's carets are under it).
  for (const [r, col] of [
    ['dnat to 192.0.2.9:80', 29],
    ['th dport 80 dnat to 192.0.2.9:80', 41],
    ['redirect to :80', 24],
  ] as const) {
    const e = rule(r);
    assert.equal(e.length, 1, r);
    assert.equal(
      e[0]!,
      `s.yaml:8:${col}: transport protocol mapping is only valid after transport protocol match`,
    );
  }
  for (const r of [
    'meta l4proto { tcp, udp } dnat to 192.0.2.9:80',
    'ip protocol udp dnat to 192.0.2.9:80',
    'tcp dport 1 dnat to 192.0.2.9',
    'icmp type echo-request dnat to 192.0.2.9:80',
    'udp dport 5 redirect to :53',
    'dnat to tcp dport map { 80 : 192.0.2.9 } : tcp dport map { 80 : 8080 }',
  ])
    assert.deepEqual(rule(r), [], r);
});

test('nft notrack in a raw chain: the packet is untracked, `ct state untracked` matches (as on the kernel)', async () => {
  // The kernel's answer: test/conformance/nft/eval-chains-marks.yaml under natbox verify (Linux
  // 6.18): the datagram notracked in prerouting reaches the router's socket through input's
  // `ct state untracked udp dport 5353 accept`; before the fix natbox's notrack did nothing (a
  // packet conntrack has not seen yet has ctinfo CT_UNTRACKED) and `udp dport 5353 drop` dropped it.
  const { simulateScenario } = await import('../../src/scenario/simulate.ts');
  const file = 'test/conformance/nft/eval-chains-marks.yaml';
  const r = simulateScenario(readFileSync(file, 'utf8'), file);
  if (!r.ok) assert.fail(r.errors.join('\n'));
  const v = r.sim.results.map((x) => x.verdict);
  assert.deepEqual(v, ['connected', 'timeout', 'connected', 'error', 'error', 'reply', 'reply']);
});

test("a socket's datagram dropped by an nft chain: EPERM names the nft table (was an empty name)", async () => {
  const { simulateScenario } = await import('../../src/scenario/simulate.ts');
  const yaml = [
    'hosts:',
    '  a:',
    '    interfaces: { eth0: 192.0.2.1/24 }',
    '    rules: |',
    '      table ip f {',
    '        chain out {',
    '          type filter hook output priority filter; policy accept;',
    '          udp dport 9 drop',
    '        }',
    '      }',
    '  b:',
    '    interfaces: { eth0: 192.0.2.2/24 }',
    '    listen: [udp/9]',
    'links:',
    '  - [a:eth0, b:eth0]',
    'flows:',
    "  - { name: x, from: a, proto: udp, to: '192.0.2.2:9', sport: 40000, timeout: 0.5 }",
  ].join('\n');
  const r = simulateScenario(yaml, 'd.yaml');
  if (!r.ok) assert.fail(r.errors.join('\n'));
  assert.equal(r.sim.results[0]!.verdict, 'error');
  assert.match(JSON.stringify(r.sim.results[0]), /EPERM: dropped by the nft table/);
});

test('--skip-unsupported leaves an nft rule natbox cannot simulate out, and lists it', () => {
  const yaml = [
    'hosts:',
    '  a:',
    '    interfaces: { eth0: 192.0.2.1/24 }',
    '    rules: |',
    '      table ip f {',
    '        chain out {',
    '          type filter hook output priority filter; policy accept;',
    '          meta iifkind "vrf" drop',
    '          udp dport 9 counter',
    '        }',
    '      }',
  ].join('\n');
  const l = loadScenario(yaml, 's.yaml');
  assert.ok(l.ok);
  const no = buildScenario(l.scenario);
  assert.ok(!no.ok);
  assert.deepEqual(no.errors.map(formatBuildError), [
    's.yaml:8:11: meta iifkind is read and printed but not simulated ("meta iifkind"): natbox cannot simulate it (hosts.a; --skip-unsupported leaves such rules out)',
  ]);
  const b = buildScenario(l.scenario, { skipUnsupported: true });
  assert.ok(b.ok, b.ok ? '' : b.errors.map(formatBuildError).join('\n'));
  assert.deepEqual(b.built.skipped, [
    {
      host: 'a',
      where: 's.yaml:8:11',
      rule: 'meta iifkind "vrf" drop',
      reason: 'meta iifkind is read and printed but not simulated ("meta iifkind")',
    },
  ]);
  assert.equal(b.built.nftRulesets?.get('a')?.tables[0]?.chains[0]?.rules.length, 1);
});

test("an inet table's IPv6 NAT (`dnat [v6]:port`, `ip6 saddr { v6 set }`) does nothing to IPv4, as nft's family from the address", () => {
  // fw4's redirect test #6 (fw4-redirect-reflection.nft): `dnat [2001:db8:1000:1::1234]:25` with no
  // `ip6` is an ip6 NAT (nft takes the family from the address); before the fix natbox refused it
  // ("a value where a number is expected") and the ip6 saddr set match ("set element value").
  const file = 'test/conformance/nft/fw4-redirect-reflection.yaml';
  const p = prepareVerify(readFileSync(file, 'utf8'), file);
  assert.ok(p.ok, p.ok ? '' : p.errors.join('\n'));
});

test('dnat by a map whose data is ipv4_addr . inet_service takes the port too (no `addr . port` words)', async () => {
  // The kernel's answer: test/conformance/nft/nft-tests-concat-map.yaml under natbox verify (Linux
  // 6.18, match): 1.1.1.1's tcp 20 reaches 2.2.2.2:30. Before the fix natbox DNATed the address only
  // (to 2.2.2.2:20, refused).
  const { simulateScenario } = await import('../../src/scenario/simulate.ts');
  const file = 'test/conformance/nft/nft-tests-concat-map.yaml';
  const r = simulateScenario(readFileSync(file, 'utf8'), file, { readFile: readInput });
  if (!r.ok) assert.fail(r.errors.join('\n'));
  assert.deepEqual(
    r.sim.results.map((x) => [x.verdict, x.serverSaw]),
    [
      ['connected', '1.1.1.1:40000'],
      ['refused', undefined],
      ['refused', undefined],
    ],
  );
});

test('snat prefix by a map (netmap) keeps the host part in the mapped network', async () => {
  // nft_nat_setup_netmap; the kernel's answer: test/conformance/nft/nft-tests-netmap.yaml under
  // natbox verify. Before, natbox refused `snat ip prefix to` ("prefix (netmap) is not simulated").
  const { simulateScenario } = await import('../../src/scenario/simulate.ts');
  const file = 'test/conformance/nft/nft-tests-netmap.yaml';
  const r = simulateScenario(readFileSync(file, 'utf8'), file, { readFile: readInput });
  if (!r.ok) assert.fail(r.errors.join('\n'));
  assert.deepEqual(
    r.sim.results.map((x) => x.serverSaw),
    ['192.168.2.7:40000', '192.168.3.9:40001', '10.141.20.5:40002'],
  );
});

test("an inet table's named sets of IPv6 keys load (its IPv6 half, never reached by IPv4)", () => {
  // nft-tests-nat-addr-port.nft's inet table has maps x6/y6/z6 of ipv6_addr keys used only by
  // `dnat ip6 to ...`: before, natbox refused them ("a set of ipv6_addr keys is not simulated").
  const file = 'test/conformance/nft/nft-tests-nat-addr-port.yaml';
  const p = prepareVerify(readFileSync(file, 'utf8'), file);
  assert.ok(p.ok, p.ok ? '' : p.errors.join('\n'));
});

test('firewalld beside iptables-nft: empty bridge tables and a `ct helper "tftp"` match load', () => {
  // firewalld-rhel8-libvirt.nft: ebtables-nft's bridge filter/nat tables (empty chains, policy
  // accept: they change no packet) and raw_PRE_libvirt_allow's `udp dport tftp ct helper "tftp"`
  // (natbox attaches no helper, so it never matches, as nft_ct_get_eval breaks without one). Before,
  // natbox refused both ("table bridge filter is read and printed but not simulated", "ct helper").
  const file = 'test/conformance/nft/firewalld-rhel8-libvirt.yaml';
  const p = prepareVerify(readFileSync(file, 'utf8'), file);
  assert.ok(p.ok, p.ok ? '' : p.errors.join('\n'));
});

test("nft-tests-merge-nat's rewritten copy is the corpus ruleset with its five addresses moved, nothing else", () => {
  const body = (f: string): string =>
    readFileSync(f, 'utf8')
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .join('\n');
  const moved: [string, string][] = [
    ['1.1.1.1', '198.51.100.1'],
    ['2.2.2.2', '198.51.100.2'],
    ['3.3.3.3', '203.0.113.3'],
    ['4.4.4.4', '203.0.113.4'],
    ['5.5.5.5', '203.0.113.5'],
  ];
  let want = body('test/rules/nft-corpus/nft-tests-merge-nat.nft');
  for (const [a, b] of moved) want = want.split(a).join(b);
  assert.equal(body('test/conformance/nft/nft-tests-merge-nat.nft'), want);
  // The scenario's comment gives the same mapping.
  const yaml = readFileSync('test/conformance/nft/nft-tests-merge-nat.yaml', 'utf8');
  for (const [a, b] of moved) assert.ok(yaml.includes(`${a} -> ${b}`), `${a} -> ${b}`);
});
