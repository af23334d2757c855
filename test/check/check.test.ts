// natbox check (issue 17): each cause named on its scenario with its exact fix text, the fix
// applied to a copy by check itself and every failing flow passing; clean examples report nothing
// broken; the JSON report validates against schema/check.schema.json.
// Expected fix texts: the seed's rule B is examples/hairpin/dnat-snat.yaml's POSTROUTING rule (the
// seed's own words), the MASQUERADE alternative examples/hairpin/masquerade.yaml's; fw4's nft
// statements are those fw4 writes for reflection (examples/openwrt/fw4-reflection-on.nft).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { prepareScenario } from '../../src/scenario/simulate.ts';
import { checkScenario } from '../../src/check/index.ts';
import { renderCheck } from '../../src/check/render.ts';
import type { CheckReport, Finding } from '../../src/check/model.ts';

function check(file: string, lang: 'en' | 'pt-BR' = 'en'): CheckReport {
  const p = prepareScenario(readFileSync(file, 'utf8'), file);
  if (!p.ok) throw new Error(p.errors.join('\n'));
  return checkScenario(p.scenario, p.built, { lang });
}
const broken = (r: CheckReport): Finding[] => r.findings.filter((f) => f.severity === 'broken');
const only = (r: CheckReport, cause: string): Finding => {
  const b = broken(r);
  assert.deepEqual(
    b.map((f) => f.cause),
    [cause],
  );
  return b[0]!;
};
const proved = (f: Finding): void => {
  assert.ok(f.proof, 'a proof');
  assert.equal(f.proof.passed, true, JSON.stringify(f.proof));
  assert.ok(f.proof.flows.length > 0);
  for (const o of f.proof.flows) assert.equal(o.ok, f.cause !== 'exposure', o.flow);
};

test('the seed: dnat-only names the hairpin, proposes rule B and MASQUERADE, and proves it', () => {
  const r = check('examples/hairpin/dnat-only.yaml');
  assert.equal(r.broken, true);
  const f = only(r, 'hairpin-no-snat');
  assert.deepEqual(f.flows, ['client -> 82.120.11.22:80/tcp (br-lan)']);
  assert.deepEqual(f.fix?.commands, [
    'iptables -t nat -A POSTROUTING -o br-lan -s 192.168.1.0/24 -d 192.168.1.200/32 -p tcp -m tcp --dport 80 -j SNAT --to-source 192.168.1.1',
  ]);
  assert.deepEqual(f.fix?.alternatives, [
    {
      label: 'MASQUERADE',
      commands: [
        'iptables -t nat -A POSTROUTING -o br-lan -s 192.168.1.0/24 -d 192.168.1.200/32 -p tcp -m tcp --dport 80 -j MASQUERADE',
      ],
    },
  ]);
  assert.equal(f.evidence.where, 'examples/hairpin/dnat-only.yaml:30');
  assert.equal(f.evidence.packet, 'client out eth0: tcp 192.168.1.10:47000 > 82.120.11.22:80 [S]');
  assert.match(f.fix?.cost ?? '', /server sees 192\.168\.1\.1, not the client's address; split DNS/);
  proved(f);
  assert.deepEqual(f.proof?.flows, [
    {
      flow: 'client -> 82.120.11.22:80/tcp (br-lan)',
      verdict: 'connected',
      ok: true,
      serverSaw: '192.168.1.1:47000',
      reason: '',
    },
  ]);
  const text = renderCheck(r);
  for (const line of text.split('\n')) assert.ok(line.length <= 80, line);
  assert.match(text, /^BROKEN \[hairpin-no-snat\] hairpin without SNAT: client cannot reach$/m);
  assert.match(text, /^ {2}proof: passes$/m);
  assert.match(text, /^BROKEN: 1 broken, 1 note\(s\)$/m);
});

test('the seed in Brazilian Portuguese', () => {
  const r = check('examples/hairpin/dnat-only.yaml', 'pt-BR');
  const f = only(r, 'hairpin-no-snat');
  assert.equal(f.title, 'hairpin sem SNAT: client não alcança 82.120.11.22:80 de dentro');
  assert.match(renderCheck(r), /^QUEBRADO \[hairpin-no-snat\]/m);
  assert.match(renderCheck(r), /^ {2}correção \(iptables, rodar em router\):$/m);
});

test('UDP hairpin: the fix covers the protocol the rule covers', () => {
  const f = only(check('examples/hairpin/udp-dnat-only.yaml'), 'hairpin-no-snat');
  assert.match(f.fix!.commands[0]!, / -p udp -m udp --dport 5000 -j SNAT --to-source 192\.168\.1\.1$/);
  proved(f);
});

test('OpenWrt fw4 with reflection off: option reflection, its nft statements, proved', () => {
  const r = check('examples/openwrt/reflection-off.yaml');
  assert.equal(r.broken, false); // a WAN-only forward: a warning, not broken
  const f = r.findings.find((x) => x.cause === 'no-reflection')!;
  assert.equal(f.fix?.dialect, 'uci');
  assert.deepEqual(f.fix?.commands, ["option reflection '1'"]);
  assert.deepEqual(f.fix?.alternatives?.[0]?.commands, [
    'add rule inet fw4 dstnat iifname "br-lan" ip saddr 192.168.1.0/24 ip daddr 82.120.11.22 tcp dport 80 dnat ip to 192.168.1.200:80',
    'add rule inet fw4 srcnat oifname "br-lan" ip saddr 192.168.1.0/24 ip daddr 192.168.1.200 tcp dport 80 snat ip to 192.168.1.1',
    'insert rule inet fw4 forward ct state established,related accept',
    'insert rule inet fw4 forward ip daddr 192.168.1.200 tcp dport 80 ct status dnat accept',
  ]);
  proved(f);
});

test('FORWARD dropping forwarded traffic', () => {
  const f = only(check('examples/check/forward-dropped.yaml'), 'forward-dropped');
  assert.equal(f.evidence.rule, 'filter FORWARD: no rule matched, policy DROP');
  assert.deepEqual(f.fix?.commands, [
    'iptables -I FORWARD -d 192.168.1.200/32 -p tcp -m tcp --dport 80 -m conntrack --ctstate DNAT -j ACCEPT',
  ]);
  proved(f);
});

test("the server's default gateway is not the router", () => {
  const f = only(check('examples/check/server-gateway.yaml'), 'server-gateway');
  assert.equal(f.fix?.host, 'server');
  assert.deepEqual(f.fix?.commands, ['ip route replace default via 192.168.1.1']);
  assert.match(f.explanation, /answers 82\.120\.11\.1 by default via 192\.168\.1\.254/);
  proved(f);
});

test('nothing listening on the target port', () => {
  const f = only(check('examples/check/no-listener.yaml'), 'no-listener');
  assert.deepEqual(f.fix?.commands, [
    'iptables -t nat -R PREROUTING 1 -d 82.120.11.22/32 -i wan -p tcp -m tcp --dport 8080 -j DNAT --to-destination 192.168.1.200:80',
  ]);
  proved(f);
});

test('MASQUERADE on the wrong interface', () => {
  const f = only(check('examples/check/snat-wrong-interface.yaml'), 'snat-wrong-interface');
  assert.deepEqual(f.fix?.commands, [
    'iptables -t nat -A POSTROUTING -s 192.168.1.0/24 -o wan -j MASQUERADE',
  ]);
  proved(f);
});

test('a rule that can never match (unknown interface)', () => {
  const f = only(check('examples/check/never-match.yaml'), 'never-match');
  assert.match(f.explanation, /router has no device "eth0"/);
  assert.deepEqual(f.fix?.commands, [
    'iptables -t nat -R PREROUTING 1 -d 82.120.11.22/32 -i wan -p tcp -m tcp --dport 8080 -j DNAT --to-destination 192.168.1.200:80',
  ]);
  proved(f);
});

test('exposure: a Docker published port past INPUT policy DROP', () => {
  const f = only(check('examples/check/exposure.yaml'), 'exposure');
  assert.deepEqual(f.fix?.commands, [
    'iptables -I DOCKER-USER -i eth0 -d 172.17.0.2/32 -p tcp -m tcp --dport 80 -j DROP',
  ]);
  proved(f);
});

test('the router itself needs OUTPUT DNAT (a note), proved', () => {
  const r = check('examples/port-forward/wan-8080.yaml');
  const f = r.findings.find((x) => x.cause === 'router-output-dnat')!;
  assert.equal(f.severity, 'info');
  assert.deepEqual(f.fix?.commands, [
    'iptables -t nat -A OUTPUT -d 82.120.11.22/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 192.168.1.200:80',
  ]);
  proved(f);
});

test('rp_filter: the SYN comes in on wan2, the route back leaves by wan; loose mode proved', () => {
  const f = only(check('examples/check/rp-filter.yaml'), 'rp-filter');
  assert.deepEqual(f.flows, ['remote -> 198.51.100.2:80/tcp (outside)']);
  assert.match(f.explanation, /rp_filter=1: the route back to 203\.0\.113\.10 leaves by wan, not by wan2/);
  assert.equal(f.evidence.where, 'router wan2');
  assert.deepEqual(f.fix?.commands, [
    'sysctl -w net.ipv4.conf.all.rp_filter=2',
    'sysctl -w net.ipv4.conf.wan2.rp_filter=2',
  ]);
  proved(f);
  assert.equal(f.proof?.flows[0]?.serverSaw, '203.0.113.10:47001');
});

test('a shadowed rule: the ACCEPT appended after a catch-all REJECT, moved before it', () => {
  const f = only(check('examples/check/shadowed-rule.yaml'), 'never-match');
  assert.equal(f.evidence.rule, '-A FORWARD -d 192.168.1.200/32 -i wan -p tcp -m tcp --dport 80 -j ACCEPT');
  assert.equal(f.evidence.where, 'examples/check/shadowed-rule.yaml:26');
  assert.match(
    f.explanation,
    /^rule 3 of filter FORWARD \(-A FORWARD -j REJECT --reject-with icmp-host-prohibited\) matches every packet/,
  );
  // The flow the REJECT stopped is this finding's (not a second forward-dropped one).
  assert.deepEqual(f.flows, ['isp -> 203.0.113.2:80/tcp (outside)']);
  assert.deepEqual(f.fix?.commands, [
    'iptables -D FORWARD -d 192.168.1.200/32 -i wan -p tcp -m tcp --dport 80 -j ACCEPT',
    'iptables -I FORWARD 3 -d 192.168.1.200/32 -i wan -p tcp -m tcp --dport 80 -j ACCEPT',
  ]);
  proved(f);
});

test('the router itself needs OUTPUT DNAT: its own probe of the public URL', () => {
  const r = check('test/check/scenarios/router-output-dnat.yaml');
  assert.equal(r.broken, false);
  const f = r.findings.find((x) => x.cause === 'router-output-dnat')!;
  assert.equal(f.severity, 'info');
  assert.deepEqual(f.fix?.commands, [
    'iptables -t nat -A OUTPUT -d 203.0.113.2/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 192.168.1.200:80',
  ]);
  proved(f);
});

test('nothing listening: the warning and the note are written for the port the fix moves to', () => {
  const r = check('examples/check/no-listener.yaml');
  for (const f of r.findings) {
    assert.equal(f.proof?.passed, true, f.cause);
    for (const c of f.fix?.commands ?? []) assert.doesNotMatch(c, /192\.168\.1\.200:8080/, c);
  }
});

test('the MASQUERADE alternative of the hairpin fix is proved too', () => {
  const f = only(check('examples/hairpin/dnat-only.yaml'), 'hairpin-no-snat');
  assert.deepEqual(f.proof?.alternatives, [{ label: 'MASQUERADE', passed: true }]);
  assert.match(
    renderCheck(check('examples/hairpin/dnat-only.yaml')),
    /^ {2}proof of the alternative \(MASQUERADE\): passes$/m,
  );
});

test('CGNAT upstream: the WAN address is in 100.64.0.0/10', () => {
  const r = check('examples/double-nat/cgnat.yaml');
  const f = r.findings.find((x) => x.cause === 'wan-not-public')!;
  assert.equal(f.severity, 'broken');
  assert.equal(f.fix?.dialect, 'advice');
  assert.match(f.explanation, /100\.64\.0\.10 is in 100\.64\.0\.0\/10 \(RFC 6598\)/);
});

test('wan-not-public: the advice applied as the ISP would (a forward on its CGNAT) lets the internet in', async () => {
  const file = 'test/check/scenarios/wan-not-public.yaml';
  const r = check(file);
  const f = only(r, 'wan-not-public');
  assert.equal(f.fix?.dialect, 'advice');
  assert.match(f.fix?.commands[0] ?? '', /a port forward on its CGNAT/);
  // The scenario's own flow from the internet: reset by the CGNAT box before, connected after.
  const { simulate } = await import('../../src/sim/run.ts');
  const p = prepareScenario(readFileSync(file, 'utf8'), file);
  if (!p.ok) throw new Error(p.errors.join('\n'));
  const inet = (events: typeof p.built.world.events) =>
    simulate({ ...p.built.world, events }, p.built.flows, { seed: 1 }).results.find((x) =>
      x.flow.name.startsWith('the internet'),
    )!;
  assert.equal(inet([]).verdict, 'refused');
  const after = inet([
    {
      at: 0,
      host: 'cgnat',
      run: 'iptables -t nat -A PREROUTING -i outside -d 82.120.11.22/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 100.64.0.10',
      loc: { file: 'test', line: 1, column: 1 },
    },
  ]);
  assert.equal(after.verdict, 'connected');
  assert.equal(after.serverSaw, '93.184.216.34:41000');
});

test('a stale conntrack entry (the state as the admin left it): conntrack -D proved after the change', async () => {
  const r = check('examples/check/stale-conntrack.yaml');
  const f = only(r, 'stale-conntrack');
  assert.deepEqual(f.flows, ['game stream']);
  assert.deepEqual(f.fix?.commands, ['conntrack -D -p udp --dport 27015']);
  assert.equal(f.fix?.at, 1.25);
  proved(f);
  assert.match(renderCheck(r), /^ {2}fix \(conntrack, run on router at 1\.25 s, right after the change\):$/m);
  // The proof can fail: a conntrack -D that deletes nothing leaves the stream on the old server.
  const { proveStale } = await import('../../src/check/stale.ts');
  const p = prepareScenario(readFileSync('examples/check/stale-conntrack.yaml', 'utf8'), 'x.yaml');
  if (!p.ok) throw new Error(p.errors.join('\n'));
  const wrong = { ...f.fix!, commands: ['conntrack -D -p udp --dport 1'] };
  assert.equal(proveStale(p.built.world, p.built.flows, wrong, '10.0.0.11', f.flows).passed, false);
  assert.equal(proveStale(p.built.world, p.built.flows, f.fix!, '10.0.0.11', f.flows).passed, true);
});

test('a stale conntrack entry after a DNAT rule change', () => {
  const r = check('examples/stale-conntrack/dnat-rule-changed.yaml');
  const f = broken(r).find((x) => x.cause === 'stale-conntrack')!;
  assert.deepEqual(f.flows, ['game stream']);
  assert.deepEqual(f.fix?.commands, ['conntrack -D -p udp --dport 27015']);
  assert.match(f.title, /keeps 203\.0\.113\.1:27015 going to 10\.0\.0\.10:27015/);
  assert.match(f.evidence.conntrack ?? '', /udp +17 .*dst=203\.0\.113\.1 .*src=10\.0\.0\.10 /);
});

/**
 * Examples that do not work, each with why: check must name their cause (the tests above) or the
 * cause is not one check looks for. Every other example under examples/ works, and check must say
 * "nothing broken" of it.
 */
const NOT_WORKING: Record<string, string> = {
  'examples/hairpin/dnat-only.yaml': 'the seed: hairpin without SNAT (hairpin-no-snat)',
  'examples/hairpin/udp-dnat-only.yaml': 'the UDP hairpin without SNAT (hairpin-no-snat)',
  'examples/hairpin/icmp-dnat-only.yaml':
    'an ICMP hairpin without SNAT: check generates TCP and UDP flows only (docs/check.md, Limits)',
  'examples/double-nat/cgnat.yaml': 'a forward behind CGNAT cannot work from the internet (wan-not-public)',
  'examples/stale-conntrack/dnat-rule-changed.yaml':
    'the stream keeps the old server for a second before its own conntrack -D (stale-conntrack)',
  'examples/loops/two-cables.yaml':
    'a bridge loop without STP: a broadcast storm, not NAT (check looks at routers)',
  'examples/loops/self-loop.yaml':
    'a bridge loop without STP: a broadcast storm, not NAT (check looks at routers)',
  'examples/pmtu/blackhole.yaml': 'a PMTU black hole: an MTU problem, not a NAT cause check looks for',
};
const EXAMPLES = readdirSync('examples', { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => `examples/${f.replaceAll('\\', '/')}`)
  .sort();

test('the examples that do not work are named, each for a reason', () => {
  for (const [f, why] of Object.entries(NOT_WORKING)) {
    assert.ok(EXAMPLES.includes(f), `${f} exists`);
    assert.ok(why.length > 20);
  }
  // examples/check/ holds one scenario per cause: none of them works.
  assert.ok(EXAMPLES.filter((f) => f.startsWith('examples/check/')).length >= 8);
});

for (const file of EXAMPLES.filter((f) => !NOT_WORKING[f] && !f.startsWith('examples/check/')))
  test(`clean: ${file} has nothing broken`, () => {
    const r = check(file);
    assert.deepEqual(
      broken(r).map((f) => `${f.cause}: ${f.title}`),
      [],
    );
    assert.equal(r.broken, false);
    assert.ok(!r.findings.some((f) => f.cause === 'unexplained'), 'every finding has a cause');
    // Every warning's or note's fix that can be proved is proved.
    for (const f of r.findings)
      if (f.fix && f.fix.dialect !== 'advice')
        assert.equal(f.proof?.passed, true, `${f.cause}: ${JSON.stringify(f.proof)}`);
    assert.match(renderCheck(r), /^OK: nothing broken/m);
  });

test('the JSON report validates against schema/check.schema.json', () => {
  const schema = JSON.parse(readFileSync('schema/check.schema.json', 'utf8'));
  const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
  for (const file of [
    'examples/hairpin/dnat-only.yaml',
    'examples/openwrt/reflection-off.yaml',
    'examples/check/exposure.yaml',
  ]) {
    const doc = JSON.parse(JSON.stringify(check(file)));
    assert.ok(validate(doc), `${file}: ${JSON.stringify(validate.errors)}`);
  }
  assert.equal(validate({ format: 'natbox-check/1' }), false);
});

test('--matrix: the hairpin cell is the one that changes between dnat-only and dnat-snat', async () => {
  const { matrixOf, diffMatrix } = await import('../../src/check/matrix.ts');
  const built = (file: string) => {
    const p = prepareScenario(readFileSync(file, 'utf8'), file);
    if (!p.ok) throw new Error(p.errors.join('\n'));
    return p.built;
  };
  const m = diffMatrix(
    matrixOf(built('examples/hairpin/dnat-only.yaml')),
    matrixOf(built('examples/hairpin/dnat-snat.yaml')),
  );
  const changed = m.cells.filter((c) => c.changed);
  assert.deepEqual(
    changed.map((c) => [c.source, c.service, c.connects]),
    [['192.168.1.0/24 (client)', '82.120.11.22:80/tcp', false]],
  );
  assert.equal(changed[0]!.path, 'router DNAT 192.168.1.10:48000 > 192.168.1.200:80');
  const direct = m.cells.find(
    (c) => c.service === 'server 192.168.1.200:80/tcp' && c.source.startsWith('192.168.1.0/24'),
  )!;
  assert.deepEqual([direct.connects, direct.path], [true, 'direct']);
});
