// The matches and targets the engine runs beyond NAT, end to end through a router: Docker's
// `-m addrtype --dst-type LOCAL` DNAT, CT --notrack in raw, NETMAP, TCPMSS, MARK and CONNMARK.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { describeFrame } from '../../src/trace/frame.ts';

/** client (192.168.1.10) — router (lan 192.168.1.1, wan 203.0.113.1) — server (203.0.113.50). */
function run(
  rules: string,
  flow = '{ name: web, from: client, proto: tcp, to: 203.0.113.50:80, sport: 40000, timeout: 1.5 }',
) {
  const text = `
name: xt
hosts:
  client:
    interfaces: { eth0: 192.168.1.10/24 }
    routes: [default via 192.168.1.1]
  router:
    interfaces: { lan: 192.168.1.1/24, wan: 203.0.113.1/24 }
    sysctls: { net.ipv4.ip_forward: 1 }
    rules: |
${rules
  .trim()
  .split('\n')
  .map((l) => `      ${l.trim()}`)
  .join('\n')}
  server:
    interfaces: { eth0: 203.0.113.50/24 }
    routes: [default via 203.0.113.1]
    listen: [tcp/80, tcp/8080]
links:
  - [client:eth0, router:lan]
  - [server:eth0, router:wan]
flows:
  - ${flow}
`;
  const r = simulateScenario(text, 'xt.yaml');
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  return r.sim;
}

test('addrtype: Docker-style DNAT of traffic to any local address of the host', () => {
  const sim = run(
    `
    iptables -t nat -N DOCKER
    iptables -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
    iptables -t nat -A DOCKER ! -i lan -p tcp -m tcp --dport 8080 -j DNAT --to-destination 192.168.1.10:80
    iptables -t nat -A POSTROUTING -s 192.168.1.0/24 -o wan -j MASQUERADE
    `,
    '{ name: published, from: server, proto: tcp, to: 203.0.113.1:8080, sport: 41000, timeout: 1.5, expect: refused }'.replace(
      'refused',
      'reset',
    ),
  );
  // The client has no listener on 80: the DNATed SYN reaches it and it answers RST, un-DNATed back.
  const r = sim.results[0]!;
  assert.equal(r.verdict, 'refused');
  const atClient = sim.steps
    .filter((s) => s.kind === 'packet' && s.host === 'client' && s.dir === 'in')
    .map((s) => (s.kind === 'packet' ? describeFrame(s.frame) : undefined))
    .filter((p) => p?.proto === 'tcp');
  assert.equal(`${atClient[0]!.dst}:${atClient[0]!.dport}`, '192.168.1.10:80');
  const rules = sim.steps
    .filter((s) => s.kind === 'rule' && s.host === 'router')
    .map((s) => (s.kind === 'rule' ? `${s.chain} ${s.index}` : ''));
  assert.deepEqual(rules.slice(0, 2), ['PREROUTING 1', 'DOCKER 1']);
});

test('CT --notrack in raw: no conntrack entry, so no NAT either', () => {
  const sim = run(`
    *raw
    :PREROUTING ACCEPT [0:0]
    :OUTPUT ACCEPT [0:0]
    -A PREROUTING -s 192.168.1.10/32 -j CT --notrack
    COMMIT
    *nat
    :PREROUTING ACCEPT [0:0]
    :INPUT ACCEPT [0:0]
    :OUTPUT ACCEPT [0:0]
    :POSTROUTING ACCEPT [0:0]
    -A POSTROUTING -o wan -j MASQUERADE
    COMMIT
  `);
  const atServer = sim.steps.find(
    (s) =>
      s.kind === 'packet' && s.host === 'server' && s.dir === 'in' && describeFrame(s.frame).proto === 'tcp',
  );
  assert.ok(atServer && atServer.kind === 'packet');
  assert.equal(describeFrame(atServer.frame).src, '192.168.1.10'); // not masqueraded
  const states = sim.steps
    .filter((s) => s.kind === 'conntrack' && s.host === 'router')
    .map((s) => (s.kind === 'conntrack' ? s.state : ''));
  assert.equal(states[0], 'UNTRACKED');
});

test('NETMAP maps a whole prefix, keeping the host part', () => {
  const sim = run('iptables -t nat -A POSTROUTING -s 192.168.1.0/24 -o wan -j NETMAP --to 198.51.100.0/24');
  const atServer = sim.steps.find(
    (s) =>
      s.kind === 'packet' && s.host === 'server' && s.dir === 'in' && describeFrame(s.frame).proto === 'tcp',
  );
  assert.ok(atServer && atServer.kind === 'packet');
  assert.equal(describeFrame(atServer.frame).src, '198.51.100.10');
});

test('TCPMSS --set-mss lowers the MSS option of a forwarded SYN, with a valid checksum', () => {
  const sim = run(
    'iptables -t mangle -A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1400',
  );
  const atServer = sim.steps.find(
    (s) =>
      s.kind === 'packet' && s.host === 'server' && s.dir === 'in' && describeFrame(s.frame).proto === 'tcp',
  );
  assert.ok(atServer && atServer.kind === 'packet');
  assert.match(describeFrame(atServer.frame).summary, /options \[mss 1400,/);
  assert.equal(sim.results[0]!.verdict, 'connected'); // the server took the SYN: its checksum is right
});

test('MARK, CONNMARK --save-mark/--restore-mark and -m mark / -m connmark', () => {
  const sim = run(`
    *mangle
    :PREROUTING ACCEPT [0:0]
    :INPUT ACCEPT [0:0]
    :FORWARD ACCEPT [0:0]
    :OUTPUT ACCEPT [0:0]
    :POSTROUTING ACCEPT [0:0]
    -A PREROUTING -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff
    -A PREROUTING -i lan -m mark --mark 0x0 -j MARK --set-xmark 0x7/0xffffffff
    -A PREROUTING -j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff
    -A FORWARD -i wan -m connmark --mark 0x7 -j LOG --log-prefix "marked-reply "
    COMMIT
  `);
  // The server's answer comes in on wan with no packet mark, but its connection carries mark 7.
  const logged = sim.steps.filter((s) => s.kind === 'rule' && s.host === 'router' && s.chain === 'FORWARD');
  assert.ok(logged.length > 0, 'the reply direction matched -m connmark --mark 0x7');
  const entries = sim.world.host('router').conntrackList();
  assert.match(entries[0]!, /mark=7 use=1$/);
});

test('DNAT with a /base port shift keeps the distance from the base (NF_NAT_RANGE_PROTO_OFFSET)', () => {
  const sim = run(
    'iptables -t nat -A PREROUTING -d 203.0.113.1/32 -p tcp -m tcp --dport 1000:1999 -j DNAT --to-destination 192.168.1.10:2000-2999/1000',
    '{ name: shifted, from: server, proto: tcp, to: 203.0.113.1:1005, sport: 41000, timeout: 1.5, expect: reset }',
  );
  const syn = sim.steps.find(
    (s) =>
      s.kind === 'packet' && s.host === 'client' && s.dir === 'in' && describeFrame(s.frame).proto === 'tcp',
  );
  assert.ok(syn && syn.kind === 'packet');
  assert.equal(describeFrame(syn.frame).dport, 2005);
  assert.deepEqual(sim.results[0]!.mismatches, []);
});

test('-m set: a blocklist as an ipset defined in the scenario drops the listed source', () => {
  const text = (entry: string) => `
name: ipset
hosts:
  client:
    interfaces: { eth0: 192.168.1.10/24 }
    routes: [default via 192.168.1.1]
  router:
    interfaces: { lan: 192.168.1.1/24, wan: 203.0.113.1/24 }
    sysctls: { net.ipv4.ip_forward: 1 }
    ipsets: |
      create blocked hash:net family inet hashsize 1024 maxelem 65536
      add blocked ${entry}
      create web hash:ip,port family inet
      add web 203.0.113.50,tcp:80
    rules: |
      iptables -A FORWARD -m set --match-set blocked src -j DROP
      iptables -A FORWARD -m set --match-set web dst,dst -j ACCEPT
      iptables -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
      iptables -P FORWARD DROP
  server:
    interfaces: { eth0: 203.0.113.50/24 }
    routes: [default via 203.0.113.1]
    listen: [tcp/80, tcp/8080]
links:
  - [client:eth0, router:lan]
  - [server:eth0, router:wan]
flows:
  - { name: web, from: client, proto: tcp, to: 203.0.113.50:80, sport: 40000, timeout: 1.5 }
  - { name: other port, from: client, proto: tcp, to: 203.0.113.50:8080, sport: 40001, timeout: 1.5, expect: timeout }
`;
  const blocked = simulateScenario(text('192.168.1.0/24'), 'ipset.yaml');
  assert.ok(blocked.ok, blocked.ok ? '' : blocked.errors.join('\n'));
  assert.deepEqual(
    blocked.sim.results.map((r) => r.verdict),
    ['timeout', 'timeout'],
  );
  const open = simulateScenario(text('10.0.0.0/8'), 'ipset.yaml');
  assert.ok(open.ok);
  assert.deepEqual(
    open.sim.results.map((r) => r.verdict),
    ['connected', 'timeout'],
  );
  // A rule naming a set that does not exist is refused where it is written.
  const missing = simulateScenario(
    text('10.0.0.0/8').replace('--match-set web', '--match-set webb'),
    'ipset.yaml',
  );
  assert.equal(missing.ok, false);
  assert.match(
    missing.ok ? '' : missing.errors.join('\n'),
    /^ipset\.yaml:17:7: set "webb" does not exist: define it under hosts\.router\.ipsets$/m,
  );
  const badEntry = simulateScenario(text('10.0.0.0/33'), 'ipset.yaml');
  assert.match(
    badEntry.ok ? '' : badEntry.errors.join('\n'),
    /^ipset\.yaml:12:19: ipsets: "10\.0\.0\.0\/33": prefix length 33 is over 32$/m,
  );
});
