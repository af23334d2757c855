// Time in a scenario (issue 14 point 7): events that run a command on a host while the flows run,
// and the flow fields count and interval. Expected values come from the kernel: the reference case
// line-timed-forward-drop (../shared/reference/kernel/line-timed-forward-drop/result.json: 3
// replies, 2 datagrams dropped in r, the DROP rule's counter 2 packets / 66 bytes, the second
// action rc 1 with iptables' stderr) and the real tools' messages measured in network namespaces
// here (iptables 1.8.9 nf_tables, conntrack-tools 1.4.7, iproute2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { DIR_ORIGINAL, DIR_REPLY } from '../../src/netfilter/conntrack/tuple.ts';
import { formatIpv4 } from '../../src/wire/addr.ts';
import { describeFrame } from '../../src/trace/frame.ts';
import { buildTraceDoc } from '../../src/trace/model.ts';
import { renderText } from '../../src/trace/text.ts';
import { Ajv2020 } from 'ajv/dist/2020.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (p: string): string => readFileSync(`${root}${p}`, 'utf8');

function run(text: string, file = 'events.yaml') {
  const r = simulateScenario(text, file);
  if (!r.ok) assert.fail(r.errors.join('\n'));
  return r;
}

/** UDP datagrams captured on a link, from `src` to `dst` (addresses). */
function udpOn(r: ReturnType<typeof run>, link: string, src: string, dst: string): number[] {
  const l = r.sim.world.links.find((x) => x.cfg.name === link)!;
  const out: number[] = [];
  for (const c of l.captures) {
    const d = describeFrame(c.frame);
    if (d.proto === 'udp' && d.src === src && d.dst === dst) out.push(c.t);
  }
  return out;
}

test('line-timed-forward-drop: 3 replies, the 2 datagrams after the rule dropped, counter 2 packets 66 bytes, -D of no rule rc 1', () => {
  const r = run(read('test/sim/events/line-timed-forward-drop.yaml'));
  const [u1] = r.sim.results;
  assert.equal(u1!.verdict, 'reply');
  // a sent 5 datagrams, at 0, 0.5, 1.0, 1.5 and 2.0 s (each answered within 0.4 s, or not at all).
  const sent = udpOn(r, 'a.eth0--r.eth0', '10.0.1.10', '10.0.2.20');
  assert.equal(sent.length, 5);
  assert.deepEqual(
    sent.map((t) => Math.round(t * 10) / 10),
    [0, 0.5, 1, 1.5, 2],
  );
  assert.equal(udpOn(r, 'r.eth1--b.eth0', '10.0.1.10', '10.0.2.20').length, 3, 'r forwarded 3 of them');
  assert.equal(udpOn(r, 'a.eth0--r.eth0', '10.0.2.20', '10.0.1.10').length, 3, '3 replies reached a');
  const fwd = r.sim.world.host('r').ruleset!.tables.get('filter')!.chains.get('FORWARD')!;
  assert.deepEqual(fwd.rules[0]!.counters, { packets: 2, bytes: 66 });
  assert.deepEqual(fwd.counters, { packets: 0, bytes: 0 });
  assert.deepEqual(
    r.sim.events.map((e) => [e.t, e.rc, e.stderr]),
    [
      [1.25, 0, ''],
      [1.75, 1, 'iptables: Bad rule (does a matching rule exist in that chain?).\n'],
    ],
  );
  // Nothing in r uses conntrack (a lone filter rule): its table stays empty, as the kernel's.
  assert.deepEqual(r.sim.world.host('r').conntrackList(), []);
});

const STALE = (events: string): string => `
name: stale
hosts:
  c:
    interfaces: { eth0: 203.0.113.50/24 }
    routes: [default via 203.0.113.1]
  gw:
    interfaces: { wan: 203.0.113.1/24, lan: 10.0.0.1/24 }
    sysctls: { net.ipv4.ip_forward: 1 }
    rules: |
      iptables -t nat -A PREROUTING -i wan -p udp --dport 5000 -j DNAT --to-destination 10.0.0.10
  a:
    interfaces: { eth0: 10.0.0.10/24 }
    routes: [default via 10.0.0.1]
    listen: [udp/5000]
  b:
    interfaces: { eth0: 10.0.0.11/24 }
    routes: [default via 10.0.0.1]
    listen: [udp/5000]
links:
  - [c:eth0, gw:wan]
  - { name: lan, connect: [gw:lan, a:eth0, b:eth0] }
flows:
  - { name: stream, from: c, proto: udp, to: 203.0.113.1:5000, sport: 40000, count: 6, interval: 0.5, timeout: 0.4, expect: reply }
events:
${events}
`;

/** Which LAN server got each datagram of the stream, in order. */
function servers(r: ReturnType<typeof run>): string[] {
  const l = r.sim.world.links.find((x) => x.cfg.name === 'lan')!;
  const seen: string[] = [];
  for (const c of l.captures) {
    const d = describeFrame(c.frame);
    if (d.proto === 'udp' && d.dport === 5000 && c.from.host === 'gw') seen.push(d.dst!);
  }
  return seen;
}

test('stale conntrack: a DNAT rule replaced mid-stream changes nothing for the live stream; conntrack -D makes the next datagram take the new rule', () => {
  // Before the fix (no events) every datagram goes to a.
  const replaced = run(
    STALE(
      '  - { at: 1.25, host: gw, run: "iptables -t nat -R PREROUTING 1 -i wan -p udp --dport 5000 -j DNAT --to-destination 10.0.0.11" }',
    ),
  );
  assert.deepEqual(servers(replaced), [
    '10.0.0.10',
    '10.0.0.10',
    '10.0.0.10',
    '10.0.0.10',
    '10.0.0.10',
    '10.0.0.10',
  ]);
  const fixed = run(
    STALE(
      [
        '  - { at: 1.25, host: gw, run: "iptables -t nat -R PREROUTING 1 -i wan -p udp --dport 5000 -j DNAT --to-destination 10.0.0.11" }',
        '  - { at: 2.25, host: gw, run: "conntrack -D -p udp --dport 5000" }',
        '  - { at: 2.8, host: gw, run: "conntrack -D -p udp --dport 5000" }',
        '  - { at: 2.9, host: gw, run: "conntrack -F" }',
      ].join('\n'),
    ),
  );
  assert.deepEqual(servers(fixed), [
    '10.0.0.10',
    '10.0.0.10',
    '10.0.0.10',
    '10.0.0.10',
    '10.0.0.10',
    '10.0.0.11',
  ]);
  const ev = fixed.sim.events;
  assert.equal(ev[1]!.rc, 0);
  assert.equal(ev[1]!.stderr, 'conntrack v1.4.7 (conntrack-tools): 1 flow entries have been deleted.\n');
  assert.match(
    ev[1]!.stdout,
    /^udp {6}17 \d+ src=203\.0\.113\.50 dst=203\.0\.113\.1 sport=40000 dport=5000 src=10\.0\.0\.10 /,
  );
  // The new entry (to b) is not matched by a filter on b's... it is: --dport 5000 in the original.
  assert.equal(ev[2]!.rc, 0);
  assert.deepEqual(
    [ev[3]!.rc, ev[3]!.stderr],
    [0, 'conntrack v1.4.7 (conntrack-tools): connection tracking table has been emptied.\n'],
  );
  // The DNAT rule's counter kept counting across the replacement: it was replaced, so it starts
  // from 0 with the new rule, which matched the one new connection.
  const pre = fixed.sim.world.host('gw').ruleset!.tables.get('nat')!.chains.get('PREROUTING')!;
  assert.deepEqual(pre.rules[0]!.counters, { packets: 1, bytes: 33 });
});

test('conntrack -D with no entry matching: exit 1 and conntrack-tools message', () => {
  const r = run(STALE('  - { at: 0.2, host: gw, run: "conntrack -D -p tcp --dport 80" }'));
  assert.deepEqual(
    [r.sim.events[0]!.rc, r.sim.events[0]!.stderr],
    [1, 'conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.\n'],
  );
});

test("an iptables event keeps untouched rules' counters and the conntrack entries (the engine is replaced, not rebuilt)", () => {
  const r = run(
    STALE('  - { at: 1.25, host: gw, run: "iptables -A FORWARD -p tcp -j DROP" }').replace(
      '--to-destination 10.0.0.10\n',
      '--to-destination 10.0.0.10\n      iptables -A FORWARD -p udp -j ACCEPT\n',
    ),
  );
  const gw = r.sim.world.host('gw');
  const fwd = gw.ruleset!.tables.get('filter')!.chains.get('FORWARD')!;
  // 6 datagrams and 6 answers crossed FORWARD, 3 before the event and 3 after: all counted.
  assert.equal(fwd.rules[0]!.counters.packets, 12);
  const ct = gw.nf!.conntrack;
  const [e] = ct.entries(r.sim.end);
  assert.equal(formatIpv4(ct.dst(e!, DIR_ORIGINAL)), '203.0.113.1');
  assert.equal(formatIpv4(ct.src(e!, DIR_REPLY)), '10.0.0.10');
  assert.equal(ct.entries(r.sim.end).length, 1, 'one entry, made before the event, kept');
});

test('iptables failures as iptables 1.8.9 (nf_tables) prints them, nothing applied', () => {
  const cmds: [string, number, string][] = [
    ['iptables -A NOPE -j DROP', 1, 'iptables: No chain/target/match by that name.\n'],
    [
      'iptables -A FORWARD -j NOPE',
      2,
      "iptables v1.8.9 (nf_tables): Chain 'NOPE' does not exist\nTry `iptables -h' or 'iptables --help' for more information.\n",
    ],
    ['iptables -N FOO', 0, ''],
    ['iptables -N FOO', 1, 'iptables: Chain already exists.\n'],
    ['iptables -A FOO -j DROP', 0, ''],
    [
      'iptables -X FOO',
      4,
      'iptables v1.8.9 (nf_tables):  CHAIN_DEL failed (Device or resource busy): chain FOO\n',
    ],
    ['iptables -I FORWARD 5 -j DROP', 1, 'iptables: Index of insertion too big.\n'],
    ['iptables -R FORWARD 5 -j DROP', 1, 'iptables: Index of replacement too big.\n'],
    ['iptables -D FORWARD 5', 1, 'iptables: Index of deletion too big.\n'],
    ['iptables -N BAR', 0, ''],
    ['iptables -E FOO BAR', 1, 'iptables: File exists.\n'],
    ['iptables -P FOO DROP', 1, 'iptables: Bad built-in chain name.\n'],
    ['iptables -X INPUT', 1, 'iptables: No chain/target/match by that name.\n'],
    ['iptables -F NOPE', 1, 'iptables: No chain/target/match by that name.\n'],
    [
      'iptables -t nat -A INPUT -j DNAT --to-destination 10.0.0.5',
      4,
      'iptables v1.8.9 (nf_tables):  RULE_APPEND failed (Invalid argument): rule in chain INPUT\n',
    ],
    [
      'iptables -t nat -I INPUT -j DNAT --to-destination 10.0.0.5',
      4,
      'iptables v1.8.9 (nf_tables):  RULE_INSERT failed (Invalid argument): rule in chain INPUT\n',
    ],
    [
      'iptables -t nat -R PREROUTING 1 -j SNAT --to-source 10.0.0.5',
      4,
      'iptables v1.8.9 (nf_tables):  RULE_REPLACE failed (Invalid argument): rule in chain PREROUTING\n',
    ],
    ['ip addr add 203.0.113.1/24 dev wan', 2, 'Error: ipv4: Address already assigned.\n'],
    ['ip addr del 203.0.113.9/24 dev wan', 2, 'Error: ipv4: Address not found.\n'],
    ['ip link set eth9 up', 1, 'Cannot find device "eth9"\n'],
    ['ip route add 10.1.0.0/16 via 10.9.0.9', 2, 'Error: Nexthop has invalid gateway.\n'],
    ['ip route add 10.1.0.0/16 via 10.0.0.11', 0, ''],
    ['ip route add 10.1.0.0/16 via 10.0.0.11', 2, 'RTNETLINK answers: File exists\n'],
    ['ip route del 10.2.0.0/16', 2, 'RTNETLINK answers: No such process\n'],
    ['ip rule del fwmark 3 lookup 200', 2, 'RTNETLINK answers: No such file or directory\n'],
  ];
  const r = run(
    STALE(
      cmds.map(([c], i) => `  - { at: ${0.01 * (i + 1)}, host: gw, run: ${JSON.stringify(c)} }`).join('\n'),
    ),
  );
  assert.deepEqual(
    r.sim.events.map((e) => [e.event.run, e.rc, e.stderr]),
    cmds,
  );
  const filter = r.sim.world.host('gw').ruleset!.tables.get('filter')!;
  assert.deepEqual([...filter.chains.keys()], ['INPUT', 'FORWARD', 'OUTPUT', 'BAR', 'FOO']);
  const nat = r.sim.world.host('gw').ruleset!.tables.get('nat')!;
  assert.equal(nat.chains.get('INPUT')!.rules.length, 0, 'the refused DNAT rules are not there');
  assert.match(
    nat.chains.get('PREROUTING')!.rules[0]!.target!.kind,
    /^DNAT$/,
    'the refused replacement left rule 1',
  );
});

test('events: a command natbox cannot run is a load error at its file, line and column', () => {
  const bad = (run: string): string[] => {
    const l = loadScenario(STALE(`  - { at: 1, host: gw, run: "${run}" }`), 'ev.yaml');
    return l.ok ? [] : l.errors.map((e) => `${e.line}:${e.column}: ${e.message}`);
  };
  const line =
    STALE('')
      .split('\n')
      .findIndex((l) => l === 'events:') + 2;
  const col = '  - { at: 1, host: gw, run: "'.length + 1;
  assert.match(
    bad('tc qdisc add dev lan root netem')[0]!,
    new RegExp(`^${line}:${col}: events\\[0\\]\\.run: unknown command "tc"`),
  );
  assert.match(
    bad('iptables -A FORWARD --bogus')[0]!,
    new RegExp(`^${line}:${col + 'iptables -A FORWARD '.length}: events`),
  );
  assert.match(bad('sysctl -w net.ipv4.nope=1')[0]!, /does not model this sysctl/);
  assert.match(bad('conntrack -D --dport 53')[0]!, /need -p tcp or -p udp/);
  assert.match(bad('ip addr add 10.0.0.5 dev lan')[0]!, /ADDR\/LEN/);
  const unknownHost = loadScenario(STALE('  - { at: 1, host: nope, run: "conntrack -F" }'), 'ev.yaml');
  assert.ok(!unknownHost.ok && /unknown host "nope"/.test(unknownHost.errors[0]!.message));
});

test('trace: each event is a step where it happened (text and JSON), and the JSON validates against schema/trace.schema.json', () => {
  const r = run(read('test/sim/events/line-timed-forward-drop.yaml'));
  const doc = buildTraceDoc(r.scenario, r.sim);
  const ev = doc.steps.filter((s) => s.kind === 'event');
  assert.deepEqual(ev, [
    {
      t: 1.25,
      kind: 'event',
      host: 'r',
      command: 'iptables -A FORWARD -p udp -j DROP',
      rc: 0,
      stderr: '',
      effect: 'rule appended to filter FORWARD',
    },
    {
      t: 1.75,
      kind: 'event',
      host: 'r',
      command: 'iptables -D FORWARD -p tcp -j DROP',
      rc: 1,
      stderr: 'iptables: Bad rule (does a matching rule exist in that chain?).\n',
      effect: '',
    },
  ]);
  const schema = JSON.parse(read('schema/trace.schema.json')) as object;
  const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
  assert.ok(validate(JSON.parse(JSON.stringify(doc))), JSON.stringify(validate.errors));
  const text = renderText(doc, { color: false });
  assert.match(
    text,
    /event at 1\.250 s: iptables -A FORWARD -p udp -j DROP → exit 0: rule appended to filter FORWARD/,
  );
  assert.match(
    text,
    /event at 1\.750 s: iptables -D FORWARD -p tcp -j DROP → exit 1: iptables: Bad rule \(does a matching rule exist in that chain\?\)\./,
  );
});

test('ICMP count: echo sequence numbers 1..count, one every interval', () => {
  const r = run(`
hosts:
  a: { interfaces: { eth0: 10.0.0.1/24 } }
  b: { interfaces: { eth0: 10.0.0.2/24 } }
links: [[a:eth0, b:eth0]]
flows:
  - { name: p, from: a, proto: icmp, to: 10.0.0.2, count: 3, interval: 0.5, timeout: 0.3, expect: reply }
`);
  const l = r.sim.world.links[0]!;
  const echoes = l.captures
    .map((c) => ({ t: c.t, d: describeFrame(c.frame) }))
    .filter((x) => x.d.proto === 'icmp' && x.d.icmp?.type === 8);
  assert.deepEqual(
    echoes.map((x) => [Math.round(x.t * 10) / 10, / seq (\d+)/.exec(x.d.summary)?.[1]]),
    [
      [0, '1'],
      [0.5, '2'],
      [1, '3'],
    ],
  );
  assert.equal(r.sim.results[0]!.verdict, 'reply');
});
