// `natbox verify`'s address safety works on what natbox parsed, not on the scenario's text: YAML
// escapes, shell quoting inside rules, octal and hex forms and abbreviated addresses cannot bring a
// public address outside the documentation ranges to the kernel. How the kernel's tools read
// `010.010.010.010` and `0x08080808`: libxtables' __numeric_to_ipaddr reads each part with
// xtables_strtoui(…, base 0) (strtoul: a leading 0 is octal, 0x hex) and falls back to
// getaddrinfo (inet_aton, which takes 0x08080808 whole); iproute2's get_addr_ipv4 uses
// strtoul(…, 0) per part. Checked here: `iptables -d 010.010.010.010` lists as 8.8.8.8/32.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatIpv4 } from '../../src/wire/addr.ts';
import { builtAddresses, isLiveSafe, toolReading } from '../../src/dataplane/kernel/remap.ts';
import { routeArgs, unsafeAddresses } from '../../src/dataplane/kernel/live.ts';
import { removeCommand } from '../../src/cli/verify.ts';
import { prepareVerify, type Prepared } from '../../src/cli/verify/verify.ts';
import { CLI } from '../cli-argv.ts';

const BASE = readFileSync('examples/hairpin/dnat-only.yaml', 'utf8');
const RULE =
  'iptables -t nat -A PREROUTING -i br-lan -s 192.168.1.0/24 -d 82.120.11.22/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 192.168.1.200';

/** dnat-only.yaml with each `[from, to]` replaced (every one must be there). */
function variant(...subs: [string, string][]): string {
  let t = BASE;
  for (const [a, b] of subs) {
    assert.ok(t.includes(a), `the example has no ${a}`);
    t = t.replace(a, b);
  }
  return t;
}

function ok(text: string): Prepared {
  const p = prepareVerify(text, 'v.yaml');
  assert.ok(p.ok, p.ok ? '' : p.errors.join('\n'));
  return p.prepared;
}

function refused(text: string): string {
  const p = prepareVerify(text, 'v.yaml');
  assert.ok(!p.ok, 'prepared, but should have been refused');
  return p.errors.join('\n');
}

/** Every address natbox would give the kernel, as text. */
function addresses(p: Prepared): string[] {
  const out: string[] = [];
  builtAddresses(p.scenario, p.built, (a) => out.push(formatIpv4(a)));
  return out;
}

const host = (p: Prepared, name: string) => p.built.world.hosts.find((h) => h.name === name)!;

test('YAML escapes: an escaped public address is moved like any other, on every side', () => {
  const p = ok(
    variant(
      ['wan: { addresses: [82.120.11.22/24] }', 'wan: { addresses: ["82.120.11.\\x32\\x32/24"] }'],
      ['interfaces: { eth0: 82.120.11.1/24 }', 'interfaces: { eth0: "8.8.8.\\x31/24" }'],
      ['default via 82.120.11.1', '"default via 82.120.11.\\x31"'],
      ['to: 82.120.11.22:80', 'to: "82.120.11.\\u0032\\u0032:80"'],
    ),
  );
  assert.deepEqual(
    [...p.moved],
    [
      ['82.120.11', '203.0.113'],
      ['8.8.8', '198.51.100'],
    ],
  );
  assert.equal(
    formatIpv4(host(p, 'router').ifaces.find((i) => i.name === 'wan')!.addrs[0]!.addr),
    '203.0.113.22',
  );
  assert.equal(formatIpv4(host(p, 'wanhost').ifaces[0]!.addrs[0]!.addr), '198.51.100.1');
  assert.equal(formatIpv4(host(p, 'router').routes[0]!.via), '203.0.113.1');
  assert.equal(formatIpv4(p.built.flows[0]!.dst), '203.0.113.22');
  assert.ok(
    addresses(p).every((a) => isLiveSafe(Number(a.split('.').reduce((x, o) => x * 256 + Number(o), 0)))),
  );
});

test('YAML escapes inside rule text (a double-quoted YAML string) are moved too', () => {
  const p = ok(
    variant([
      `rules: |\n      ${RULE}`,
      `rules: "${RULE.replace('82.120.11.22/32', '82.120.11.\\x32\\x32/32').replace('192.168.1.200', '192.168.1.\\x32\\x30\\x30')}"`,
    ]),
  );
  const dnat = [...host(p, 'router').ruleset!.tables.get('nat')!.chains.get('PREROUTING')!.rules][0]!;
  assert.equal(formatIpv4(dnat.dst!.value.addr), '203.0.113.22');
});

test('an address the text does not show as a.b.c.d is refused, at its place, whatever parsed it', () => {
  // Shell quoting in a rule: the kernel's iptables gets 82.120.11.22 from `82.120.11.'22'`.
  const quoted = refused(variant(['-d 82.120.11.22/32', "-d 82.120.11.'22'/32"]));
  assert.match(
    quoted,
    /^v\.yaml:30:7: router: the rule's destination \(-d\) 82\.120\.11\.22 is a public address outside the documentation ranges/,
  );
  // A backslash escape in a rule, in --to-destination.
  const escaped = refused(variant(['--to-destination 192.168.1.200', '--to-destination 8.8.8.\\8']));
  assert.match(escaped, /router: the rule's --to-destination 8\.8\.8\.8 is a public address/);
  // Fewer parts: iptables (and natbox) read 8.8/16 as 8.8.0.0/16.
  const short = refused(variant(['-s 192.168.1.0/24', '-s 8.8/16']));
  assert.match(short, /router: the rule's source \(-s\) 8\.8\.0\.0 is a public address/);
});

test('octal and hex forms, which iptables and ip read otherwise than natbox, are refused', () => {
  assert.equal(toolReading('010.010.010.010'), '8.8.8.8');
  assert.equal(toolReading('0x8.0x8.0x8.0x8'), '8.8.8.8');
  assert.equal(toolReading('010'), '8.0.0.0');
  // natbox would read 10.10.10.10 (private): the kernel's iptables reads 8.8.8.8.
  const octal = refused(variant(['-d 82.120.11.22/32', '-d 010.010.010.010']));
  assert.match(
    octal,
    /^v\.yaml:30:68: "010\.010\.010\.010" is not plain dotted decimal: iptables reads a part that starts with 0 as octal and 0x as hex \(010\.010\.010\.010 is 8\.8\.8\.8 there\), while natbox reads it as 10\.10\.10\.10/,
  );
  // Quoting cannot hide one: the words are split as the kernel run splits them.
  assert.match(
    refused(variant(['-d 82.120.11.22/32', "-d '0'10.0.0.1"])),
    /"010\.0\.0\.1" is not plain dotted decimal.*8\.0\.0\.1 there/,
  );
  // Hex, dotted or not, and an undotted octal prefix after -s.
  assert.match(
    refused(variant(['-d 82.120.11.22/32', '-d 0x8.0x8.0x8.0x8'])),
    /"0x8\.0x8\.0x8\.0x8" .*8\.8\.8\.8 there/,
  );
  assert.match(refused(variant(['-d 82.120.11.22/32', '-d 0x08080808'])), /0x08080808/);
  assert.match(
    refused(variant(['-s 192.168.1.0/24', '-s 010/8'])),
    /"010" is not plain dotted decimal.*8\.0\.0\.0 there/,
  );
  // In --to-destination and in a route (ip reads 010.0.0.0/8 as 8.0.0.0/8).
  assert.match(
    refused(variant(['--to-destination 192.168.1.200', '--to-destination 192.168.1.0200'])),
    /"192\.168\.1\.0200"/,
  );
  assert.match(
    refused(variant(['routes: [default via 192.168.1.1]', 'routes: [010.0.0.0/8 via 192.168.1.1]'])),
    /"010\.0\.0\.0" is not plain dotted decimal: ip reads .*8\.0\.0\.0 there/,
  );
  // A comment may hold anything.
  ok(variant(['-j DNAT', '-m comment --comment "v1.05 of 010.0.0.1" -j DNAT']));
});

test('networks too: a connected network or a route reaching public space is refused', () => {
  assert.match(
    refused(variant(['interfaces: { eth0: 82.120.11.1/24 }', 'interfaces: { eth0: 198.51.100.1/16 }'])),
    /wanhost: the network of eth0 198\.51\.0\.0\/16 \(198\.51\.0\.0-198\.51\.255\.255\) reaches public addresses/,
  );
  const routes = (r: string): string =>
    refused(variant(['routes: [default via 192.168.1.1]', `routes: [default via 192.168.1.1, ${r}]`]));
  assert.match(routes('172.16.0.0/11 via 192.168.1.1'), /client: the route to 172\.0\.0\.0\/11 /);
  // Half of everything: it starts and ends in safe space, and covers public space between.
  assert.match(
    routes('0.0.0.0/1 via 192.168.1.1'),
    /client: the route to 0\.0\.0\.0\/1 \(0\.0\.0\.0-127\.255\.255\.255\)/,
  );
  ok(
    variant([
      'routes: [default via 192.168.1.1]',
      'routes: [default via 192.168.1.1, 10.0.0.0/8 via 192.168.1.1]',
    ]),
  );
});

test('documentation /24s the scenario uses, however written, are not moved onto', () => {
  const escapedDoc = [
    'interfaces: { eth0: 82.120.11.1/24 }',
    'interfaces: { eth0: "198.51.100.\\x31/24" }',
  ] as [string, string];
  const route = [
    'routes: [default via 192.168.1.1]',
    'routes: [default via 192.168.1.1, 8.8.8.0/24 via 192.168.1.1]',
  ] as [string, string];
  // 82.120.11 takes 203.0.113; 198.51.100 is used (escaped), so 8.8.8 goes to 192.0.2.
  const p = ok(variant(escapedDoc, route));
  assert.deepEqual(
    [...p.moved],
    [
      ['82.120.11', '203.0.113'],
      ['8.8.8', '192.0.2'],
    ],
  );
  assert.equal(formatIpv4(host(p, 'wanhost').ifaces[0]!.addrs[0]!.addr), '198.51.100.1');
  assert.equal(formatIpv4(host(p, 'client').routes[1]!.addr), '192.0.2.0');
  // 192.0.2 used too, written short in a rule (192.0.2/24 is 192.0.2.0/24): none is left.
  assert.match(
    refused(variant(escapedDoc, route, ['-s 192.168.1.0/24', '-s 192.0.2/24'])),
    /too many public \/24 networks to move to documentation ranges \(82\.120\.11, 8\.8\.8\)/,
  );
});

test("routes reach ip as natbox parsed them; the kernel's reading of the rules is checked", () => {
  assert.deepEqual(routeArgs('default via 192.168.1.1 dev up'), [
    'default',
    'via',
    '192.168.1.1',
    'dev',
    'up',
  ]);
  assert.deepEqual(routeArgs('10.0.0.0/8 dev help src 10.1.1.1 metric 7 proto static scope link'), [
    '10.0.0.0/8',
    'dev',
    'help',
    'src',
    '10.1.1.1',
    'metric',
    '7',
    'proto',
    'static',
    'scope',
    'link',
  ]);
  const save = [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    '-A PREROUTING -d 203.0.113.22/32 -m comment --comment "not 8.8.4.4" -j DNAT --to-destination 8.8.8.8',
    '-A PREROUTING -s 10.0.0.0/255.0.255.0 -j ACCEPT',
    'COMMIT',
  ].join('\n');
  assert.deepEqual(unsafeAddresses(save), ['8.8.8.8']);
  assert.equal(
    removeCommand(['nbx-1-0-router', "nbx-1-0-it's"]),
    `for ns in nbx-1-0-router 'nbx-1-0-it'\\''s'; do ip netns del "$ns"; done`,
  );
});

test('CLI: an escaped public address in a rule exits 2 before anything runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'natbox-verify-safety-'));
  try {
    const f = join(dir, 'escaped.yaml');
    writeFileSync(f, variant(['--to-destination 192.168.1.200', '--to-destination 8.8.8.\\8']));
    const r = spawnSync(process.execPath, [...CLI, 'verify', f], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, r.stderr);
    assert.match(
      r.stderr,
      /escaped\.yaml:30:7: router: the rule's --to-destination 8\.8\.8\.8 is a public address/,
    );
    assert.equal(r.stdout, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an event's public address moves with the scenario's (natbox check --verify gives its fixes as events)", () => {
  const text = `${BASE.replace(/\s*$/, '')}\n\nevents:\n  - { at: 0, host: router, run: "iptables -t nat -A POSTROUTING -d 82.120.11.22/32 -j ACCEPT" }\n`;
  const p = ok(text);
  assert.equal(
    p.scenario.events?.[0]?.run.value,
    'iptables -t nat -A POSTROUTING -d 203.0.113.22/32 -j ACCEPT',
  );
  assert.deepEqual(
    p.natboxEvents?.map((e) => e.rc),
    [0],
  );
});
