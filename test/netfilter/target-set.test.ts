// -j SET (xt_set.c set_target_v3) writing the host's ipset sets, and -m set reading them after.
// Expected semantics from the kernel sources (net/netfilter/xt_set.c, ipset/ip_set_hash_gen.h
// mtype_add: an entry there and alive is left as it is unless IPSET_FLAG_EXIST, which rewrites its
// timeout; ip_set_timeout.h: an entry is alive while jiffies <= its expiry, timeout 0 is permanent,
// the rule's timeout falls back to the set's; ip_set_add: fewer flags than the set's dimensions do
// nothing) — ipset is not installed on this machine, so no live-kernel comparison here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IPPROTO_TCP, IPPROTO_ICMP, IPPROTO_UDP } from '../../src/wire/ipv4.ts';
import { Skb, type XtEnv } from '../../src/netfilter/core/skb.ts';
import { IpSetMatcher } from '../../src/netfilter/xtables/set.ts';
import { setTarget } from '../../src/netfilter/xtables/target-set.ts';
import { XT_CONTINUE } from '../../src/netfilter/xtables/xt-target.ts';
import type { TargetOf } from '../../src/rules/iptables/model.ts';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { ip } from './helpers.ts';

function pkt(src: string, sport: number, dst: string, dport: number, now: number, proto = IPPROTO_TCP): Skb {
  const s = new Skb();
  s.src = ip(src);
  s.dst = ip(dst);
  s.proto = proto;
  s.sport = sport;
  s.dport = dport;
  s.now = now;
  return s;
}

function withSets(s: Skb, sets: Map<string, IpSetMatcher>): Skb {
  s.env = { ipsets: sets } as unknown as XtEnv;
  return s;
}

const SET = (t: Partial<TargetOf<'SET'>>): TargetOf<'SET'> => ({
  kind: 'SET',
  exist: false,
  mapMark: false,
  mapPrio: false,
  mapQueue: false,
  ...t,
});

test('SET --add-set NAME src puts the source in a hash:ip set; -m set then finds it; --del-set takes it out', () => {
  const bl = new IpSetMatcher('bl', 'hash:ip');
  const sets = new Map([['bl', bl]]);
  const p = withSets(pkt('192.0.2.7', 40000, '203.0.113.50', 22, 1), sets);
  assert.equal(bl.has(p, ['src']), false);
  assert.equal(
    setTarget.run(SET({ add: { name: 'bl', dirs: ['src'] } }), p, 0, 1, undefined as never),
    XT_CONTINUE,
  );
  assert.equal(bl.has(p, ['src']), true);
  assert.equal(bl.has(p, ['dst']), false);
  const other = pkt('192.0.2.8', 40000, '203.0.113.50', 22, 1);
  assert.equal(bl.has(other, ['src']), false);
  setTarget.run(SET({ del: { name: 'bl', dirs: ['src'] } }), p, 0, 1, undefined as never);
  assert.equal(bl.has(p, ['src']), false);
});

test('SET on hash:ip,port picks each dimension from its flag; fewer flags than dimensions add nothing', () => {
  const s = new IpSetMatcher('svc', 'hash:ip,port');
  const p = pkt('192.0.2.7', 40000, '203.0.113.50', 443, 0);
  assert.equal(s.addSkb(p, ['dst'], -1, false), false);
  assert.equal(s.addSkb(p, ['dst', 'dst'], -1, false), true);
  assert.equal(s.has(p, ['dst', 'dst']), true);
  assert.equal(s.has(p, ['dst', 'src']), false);
  assert.equal(s.has(p, ['src', 'dst']), false);
  // Neighbouring ports of a high address stay apart (the key was address * 2^24 + ..., over 2^53).
  assert.equal(s.has(pkt('192.0.2.7', 40000, '203.0.113.50', 444, 0), ['dst', 'dst']), false);
  assert.equal(s.add('203.0.113.60,udp:29'), undefined);
  assert.equal(s.has(pkt('192.0.2.7', 1, '203.0.113.60', 29, 0, IPPROTO_UDP), ['dst', 'dst']), true);
  assert.equal(s.has(pkt('192.0.2.7', 1, '203.0.113.60', 30, 0, IPPROTO_UDP), ['dst', 'dst']), false);
  assert.equal(s.has(pkt('192.0.2.7', 1, '203.0.113.60', 29, 0), ['dst', 'dst']), false);
  // A port set and an ICMP packet: no port to take.
  assert.equal(
    s.addSkb(pkt('192.0.2.7', 0, '203.0.113.50', 0, 0, IPPROTO_ICMP), ['src', 'src'], -1, false),
    false,
  );
  const ports = new IpSetMatcher('p', 'bitmap:port');
  assert.equal(ports.addSkb(p, ['src'], -1, false), true);
  assert.equal(ports.has(pkt('198.51.100.1', 40000, '203.0.113.1', 1, 0), ['src']), true);
});

test('timeouts: the set default applies, --timeout overrides, expiry on the clock, --exist refreshes', () => {
  const s = new IpSetMatcher('bl', 'hash:ip');
  assert.equal(s.options(['family', 'inet', 'hashsize', '1024', 'timeout', '10']), undefined);
  const at = (now: number) => pkt('192.0.2.7', 1, '203.0.113.50', 22, now);
  assert.equal(s.addSkb(at(100), ['src'], -1, false), true); // expires at 110
  assert.equal(s.has(at(110), ['src']), true);
  assert.equal(s.has(at(110.001), ['src']), false);
  // Re-add while alive without --exist: untouched (-IPSET_ERR_EXIST), still expires at 110.
  assert.equal(s.addSkb(at(105), ['src'], 60, false), false);
  assert.equal(s.has(at(111), ['src']), false);
  // After expiry an add succeeds without --exist.
  assert.equal(s.addSkb(at(120), ['src'], 5, false), true); // expires at 125
  assert.equal(s.addSkb(at(124), ['src'], 30, true), true); // --exist: expires at 154
  assert.equal(s.has(at(150), ['src']), true);
  assert.equal(s.has(at(155), ['src']), false);
  // --timeout 0: permanent.
  assert.equal(s.addSkb(at(200), ['src'], 0, false), true);
  assert.equal(s.has(at(1e9), ['src']), true);
  // A set created without timeout ignores --timeout: the entry never expires.
  const plain = new IpSetMatcher('p', 'hash:ip');
  plain.addSkb(at(0), ['src'], 5, false);
  assert.equal(plain.has(at(1e6), ['src']), true);
  assert.match(s.options(['timeout', 'x']) ?? '', /"timeout x" is not a number of seconds/);
  assert.match(plain.add('192.0.2.9', ['timeout', '5']) ?? '', /created without timeout/);
  // An `ipset save` entry with its remaining timeout, from time 0.
  assert.equal(s.add('192.0.2.9', ['timeout', '5']), undefined);
  assert.equal(s.has(pkt('192.0.2.9', 1, '203.0.113.50', 22, 5), ['src']), true);
  assert.equal(s.has(pkt('192.0.2.9', 1, '203.0.113.50', 22, 6), ['src']), false);
});

test("SET --map-set applies the entry's skbmark and skbprio when the packet is in the set", () => {
  const m = new IpSetMatcher('m', 'hash:ip');
  assert.equal(m.options(['family', 'inet', 'skbinfo']), undefined);
  assert.equal(m.add('192.0.2.7', ['skbmark', '0x10/0xf0', 'skbprio', '1:2']), undefined);
  assert.equal(m.add('192.0.2.8', ['skbmark', '0x5']), undefined);
  assert.equal(m.add('192.0.2.9'), undefined);
  const map = SET({ map: { name: 'm', dirs: ['src'] }, mapMark: true, mapPrio: true });
  assert.equal(setTarget.check?.(map, 'mangle', 'FORWARD'), undefined);
  const sets = new Map([['m', m]]);
  const run = (src: string, mark: number, prio: number): [number, number] => {
    const p = withSets(pkt(src, 1, '203.0.113.50', 80, 0), sets);
    p.mark = mark;
    p.priority = prio;
    assert.equal(setTarget.run(map, p, 0, 0, undefined as never), XT_CONTINUE);
    return [p.mark, p.priority];
  };
  assert.deepEqual(run('192.0.2.7', 0xff0f, 7), [0xff1f, 0x10002]); // (0xff0f & ~0xf0) ^ 0x10
  assert.deepEqual(run('192.0.2.8', 0xff0f, 7), [5, 0]); // mask defaults to 0xffffffff; prio 0
  assert.deepEqual(run('192.0.2.9', 0xff0f, 7), [0xff0f, 0]); // no skbinfo: zeros
  assert.deepEqual(run('192.0.2.10', 0xff0f, 7), [0xff0f, 7]); // not in the set: unchanged
  const plain = new IpSetMatcher('p', 'hash:ip');
  assert.match(plain.add('192.0.2.7', ['skbmark', '1']) ?? '', /created without skbinfo/);
  assert.match(m.add('192.0.2.0/24', ['skbmark', '1']) ?? '', /not simulated/);
  assert.match(m.add('192.0.2.1', ['skbprio', 'x']) ?? '', /MAJOR:MINOR/);
  assert.equal(setTarget.check?.(SET({ add: { name: 'bl', dirs: ['src'] } }), 'filter', 'INPUT'), undefined);
});

/**
 * sshguard/fail2ban style, through a router: a connection to the trap port 23 adds the client to
 * `blacklist` (hash:ip, default timeout 5 s) and is dropped; the members are dropped after.
 */
function scenario(rules: string, flows: string[], create = 'create blacklist hash:ip family inet timeout 5') {
  return `
name: set-target
hosts:
  client:
    interfaces: { eth0: 192.168.1.10/24 }
    routes: [default via 192.168.1.1]
  router:
    interfaces: { lan: 192.168.1.1/24, wan: 203.0.113.1/24 }
    sysctls: { net.ipv4.ip_forward: 1 }
    ipsets: |
      ${create}
    rules: |
${rules
  .trim()
  .split('\n')
  .map((l) => `      ${l.trim()}`)
  .join('\n')}
  server:
    interfaces: { eth0: 203.0.113.50/24 }
    routes: [default via 203.0.113.1]
    listen: [tcp/80]
links:
  - [client:eth0, router:lan]
  - [server:eth0, router:wan]
flows:
${flows.map((f) => `  - ${f}`).join('\n')}
`;
}

const RULES = `
iptables -A FORWARD -p tcp --dport 25 -j SET --add-set blacklist src --exist --timeout 20
iptables -A FORWARD -p tcp --dport 24 -j SET --del-set blacklist src
iptables -A FORWARD -m set --match-set blacklist src -j DROP
iptables -A FORWARD -p tcp --dport 23 -j SET --add-set blacklist src
iptables -A FORWARD -p tcp --dport 23 -j DROP
`;

const flow = (name: string, at: number, port: number, sport: number, expect = '') =>
  `{ name: ${name}, at: ${at}, from: client, proto: tcp, to: 203.0.113.50:${port}, sport: ${sport}, timeout: 1.5${expect ? `, expect: ${expect}` : ''} }`;

function verdicts(text: string): string[] {
  const r = simulateScenario(text, 'set-target.yaml');
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  return r.sim.results.map((x) => x.verdict);
}

test('scenario: the trap port blacklists the client, later connections are dropped until the timeout expires', () => {
  const flows = [
    flow('before', 0, 80, 40000),
    flow('trap', 1, 23, 40001, 'timeout'),
    flow('during', 3, 80, 40002, 'timeout'),
    flow('after', 7, 80, 40003),
  ];
  assert.deepEqual(verdicts(scenario(RULES, flows)), ['connected', 'timeout', 'timeout', 'connected']);
  // Without the timeout the entry stays: the last connection is dropped too.
  const flows2 = [...flows.slice(0, 3), flow('after', 7, 80, 40003, 'timeout')];
  assert.deepEqual(verdicts(scenario(RULES, flows2, 'create blacklist hash:ip family inet')), [
    'connected',
    'timeout',
    'timeout',
    'timeout',
  ]);
});

test('scenario: --del-set takes the client out of the blacklist', () => {
  const flows = [
    flow('trap', 0, 23, 40001, 'timeout'),
    flow('unblock', 2, 24, 40002, 'reset'),
    flow('web', 4, 80, 40003),
  ];
  assert.deepEqual(verdicts(scenario(RULES, flows)), ['timeout', 'refused', 'connected']);
});

test('scenario: --exist --timeout 20 refreshes a member; without --exist the entry keeps its timeout', () => {
  const flows = [
    flow('trap', 0, 23, 40001, 'timeout'),
    flow('refresh', 2, 25, 40002, 'timeout'),
    flow('web', 10, 80, 40003, 'timeout'),
  ];
  assert.deepEqual(verdicts(scenario(RULES, flows)), ['timeout', 'timeout', 'timeout']);
  const noExist = RULES.replace('--exist --timeout 20', '--timeout 20');
  const flows2 = [flows[0]!, flows[1]!, flow('web', 10, 80, 40003)];
  assert.deepEqual(verdicts(scenario(noExist, flows2)), ['timeout', 'timeout', 'connected']);
});

test('scenario: a SET target naming a set the host does not define is refused at its line', () => {
  const r = simulateScenario(
    scenario(RULES.replace('--del-set blacklist', '--del-set blacklst'), [flow('web', 0, 80, 40000)]),
    'set-target.yaml',
  );
  assert.equal(r.ok, false);
  assert.match(
    r.ok ? '' : r.errors.join('\n'),
    /^set-target\.yaml:\d+:\d+: set "blacklst" does not exist: define it under hosts\.router\.ipsets$/m,
  );
});

// Expected entries measured on Linux 6.18 with ipset 7.17 (`iptables -j SET --add-set N2 src`, then
// `ipset save`; target-set-kernel.test.ts repeats it live): hash_net4_kadt masks the packet's
// address to the set's longest prefix (nets[0]), /32 in an empty set.
test('SET --add-set into hash:net stores the address under the set’s longest prefix; --del-set looks there too', () => {
  const n2 = new IpSetMatcher('N2', 'hash:net');
  assert.equal(n2.add('10.0.0.0/16'), undefined);
  assert.equal(n2.add('10.1.0.0/24'), undefined);
  const p = pkt('127.0.0.1', 40000, '127.0.0.1', 31, 0, IPPROTO_UDP);
  assert.equal(n2.addSkb(p, ['src'], -1, false), true);
  assert.deepEqual(n2.entries(0), ['add N2 10.0.0.0/16', 'add N2 10.1.0.0/24', 'add N2 127.0.0.0/24']);
  assert.equal(n2.has(pkt('127.0.0.77', 1, '127.0.0.1', 1, 0), ['src']), true);
  // Again: the /24 is there already.
  assert.equal(n2.addSkb(p, ['src'], -1, false), false);
  // 10.0.5.5 is deleted as 10.0.5.0/24, which is not in the set: the /16 stays.
  assert.equal(n2.delSkb(pkt('10.0.5.5', 1, '10.0.5.5', 1, 0), ['src']), false);
  assert.equal(n2.has(pkt('10.0.5.5', 1, '1.1.1.1', 1, 0), ['src']), true);
  assert.equal(n2.delSkb(p, ['src']), true);
  assert.deepEqual(n2.entries(0), ['add N2 10.0.0.0/16', 'add N2 10.1.0.0/24']);
  // An empty hash:net takes the host address.
  const n = new IpSetMatcher('N', 'hash:net');
  assert.equal(n.addSkb(p, ['src'], -1, false), true);
  assert.deepEqual(n.entries(0), ['add N 127.0.0.1']);
  assert.equal(n.has(pkt('127.0.0.2', 1, '1.1.1.1', 1, 0), ['src']), false);
  // hash:net,port: the same prefix, with the packet's port.
  const np = new IpSetMatcher('NP', 'hash:net,port');
  assert.equal(np.add('10.2.0.0/20,udp:5'), undefined);
  assert.equal(
    np.addSkb(pkt('127.0.0.1', 40000, '127.0.0.1', 32, 0, IPPROTO_UDP), ['src', 'dst'], -1, false),
    true,
  );
  assert.deepEqual(np.entries(0), ['add NP 10.2.0.0/20,udp:5', 'add NP 127.0.0.0/20,udp:32']);
});
