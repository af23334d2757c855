// The seed's story end to end, against what the Linux kernel did in the reference runs
// (shared/reference/kernel/hairpin-tcp-dnat-only and -dnat-snat, with the seed's addresses as in
// the -82 cases): exact packets at each device (sequence numbers aside), conntrack, verdicts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { packetsAt, runExample, conntrackLines, repo } from './helpers.ts';
import { prepareScenario } from '../../src/scenario/simulate.ts';
import { simulate } from '../../src/sim/run.ts';
import { formatRule } from '../../src/rules/iptables/print-save.ts';
import { ruleText } from '../../src/trace/rule-text.ts';
import { explain } from '../../src/trace/explain.ts';

const SYN = 'tcp 192.168.1.10:40000 > 82.120.11.22:80 S';

test('hairpin dnat-only: the server answers the client directly and the client resets it, three times', () => {
  const { sim } = runExample('examples/hairpin/dnat-only.yaml');
  const round = [
    `out ${SYN} ttl=64`,
    'in tcp 192.168.1.200:80 > 192.168.1.10:40000 S. ttl=64',
    'out tcp 192.168.1.10:40000 > 192.168.1.200:80 R ttl=64',
  ];
  assert.deepEqual(packetsAt(sim, 'client', 'eth0'), [...round, ...round, ...round]);
  // The router DNATs each SYN on br-lan and sends it on with TTL 63; the answer is only bridged.
  const brlan = [`in ${SYN} ttl=64`, 'out tcp 192.168.1.10:40000 > 192.168.1.200:80 S ttl=63'];
  assert.deepEqual(packetsAt(sim, 'router', 'br-lan'), [...brlan, ...brlan, ...brlan]);
  const lan3 = [
    'out tcp 192.168.1.10:40000 > 192.168.1.200:80 S ttl=63',
    'in tcp 192.168.1.200:80 > 192.168.1.10:40000 S. ttl=64',
    'out tcp 192.168.1.10:40000 > 192.168.1.200:80 R ttl=64',
  ];
  assert.deepEqual(packetsAt(sim, 'router', 'lan3'), [...lan3, ...lan3, ...lan3]);
  // SYNs at 0, 1 and 2 s (tcp_syn_linear_timeouts=4: the first retransmissions are 1 s apart).
  const synTimes = sim.steps
    .filter((s) => s.kind === 'packet' && s.host === 'client' && s.dir === 'out' && s.frame[47] === 0x02)
    .map((s) => Math.round(s.t));
  assert.deepEqual(synTimes, [0, 1, 2]);
  const [r] = sim.results;
  assert.equal(r!.verdict, 'timeout');
  assert.equal(r!.translatedSource, '192.168.1.10:40000'); // DNAT only: the source is untouched
  assert.equal(r!.syns, 3);
  assert.deepEqual(r!.unexpected, [
    { from: '192.168.1.200:80', expected: '82.120.11.22:80', what: 'TCP [S.]', count: 3 },
  ]);
  assert.deepEqual(r!.mismatches, []);
  // One entry, never answered, its 120 s timer started by the first SYN only (run ends at 3.5 s).
  assert.deepEqual(conntrackLines(sim, 'router'), [
    'tcp      6 116 SYN_SENT src=192.168.1.10 dst=82.120.11.22 sport=40000 dport=80 [UNREPLIED] src=192.168.1.200 dst=192.168.1.10 sport=80 dport=40000 mark=0 use=1',
  ]);
  assert.equal(
    explain(r!, sim.steps),
    'Timed out: router DNATed the SYN to 192.168.1.200:80 but left its source 192.168.1.10:40000 unchanged, so the server answered the client directly from 192.168.1.200:80, not through router. The client expected the answer from 82.120.11.22:80, so its kernel answered each TCP [S.] with RST (3 times); it sent 3 SYNs and connect() gave up after 2.5 s.',
  );
});

test('hairpin dnat-snat: the server sees the router, the reply is translated back, the connection closes cleanly', () => {
  const path = 'examples/hairpin/dnat-snat.yaml';
  const p = prepareScenario(readFileSync(new URL(path, repo), 'utf8'), path);
  if (!p.ok) throw new Error(p.errors.join('\n'));
  const { built } = p;
  const sim = simulate(built.world, built.flows, { seed: 1 });
  const fromBox = 'tcp 82.120.11.22:80 > 192.168.1.10:40000';
  assert.deepEqual(packetsAt(sim, 'client', 'eth0'), [
    `out ${SYN} ttl=64`,
    `in ${fromBox} S. ttl=63`,
    'out tcp 192.168.1.10:40000 > 82.120.11.22:80 . ttl=64',
    'out tcp 192.168.1.10:40000 > 82.120.11.22:80 P. len=5 ttl=64',
    `in ${fromBox} . ttl=63`,
    `in ${fromBox} P. len=28 ttl=63`,
    'out tcp 192.168.1.10:40000 > 82.120.11.22:80 . ttl=64',
    'out tcp 192.168.1.10:40000 > 82.120.11.22:80 F. ttl=64',
    `in ${fromBox} F. ttl=63`,
    'out tcp 192.168.1.10:40000 > 82.120.11.22:80 . ttl=64',
  ]);
  const toServer = 'tcp 192.168.1.1:40000 > 192.168.1.200:80';
  const fromServer = 'tcp 192.168.1.200:80 > 192.168.1.1:40000';
  assert.deepEqual(packetsAt(sim, 'server', 'eth0'), [
    `in ${toServer} S ttl=63`,
    `out ${fromServer} S. ttl=64`,
    `in ${toServer} . ttl=63`,
    `in ${toServer} P. len=5 ttl=63`,
    `out ${fromServer} . ttl=64`,
    `out ${fromServer} P. len=28 ttl=64`,
    `in ${toServer} . ttl=63`,
    `in ${toServer} F. ttl=63`,
    `out ${fromServer} F. ttl=64`,
    `in ${toServer} . ttl=63`,
  ]);
  const [r] = sim.results;
  assert.equal(r!.verdict, 'connected');
  assert.equal(r!.serverSaw, '192.168.1.1:40000');
  assert.equal(r!.translatedSource, '192.168.1.1:40000');
  assert.deepEqual(r!.mismatches, []);
  // conntrack -E on the router: the kernel's sequence of events for a clean close.
  const events = sim.steps
    .filter((s) => s.kind === 'ct-event' && s.host === 'router')
    .map((s) => (s.kind === 'ct-event' ? `${s.event} ${s.entry.state} ${s.entry.flags.join(',')}` : ''));
  assert.deepEqual(events, [
    'NEW SYN_SENT UNREPLIED',
    'UPDATE SYN_RECV ',
    'UPDATE ESTABLISHED ASSURED',
    'UPDATE FIN_WAIT ASSURED',
    'UPDATE LAST_ACK ASSURED',
    'UPDATE TIME_WAIT ASSURED',
  ]);
  assert.deepEqual(conntrackLines(sim, 'router'), [
    'tcp      6 116 TIME_WAIT src=192.168.1.10 dst=82.120.11.22 sport=40000 dport=80 src=192.168.1.200 dst=192.168.1.1 sport=80 dport=40000 [ASSURED] mark=0 use=1',
  ]);
  // The nat table saw the first packet only: each rule counted one packet of 60 bytes.
  const rules = sim.steps.filter((s) => s.kind === 'rule');
  assert.equal(rules.length, 2);
  const nat = built.rulesets.get('router')!.tables.get('nat')!;
  for (const s of rules) {
    if (s.kind !== 'rule') continue;
    const rule = nat.chains.get(s.chain)!.rules[s.index - 1]!;
    assert.equal(ruleText(s.rule, s.chain), formatRule(s.chain, rule));
    assert.deepEqual(rule.counters, { packets: 1, bytes: 60 });
  }
});

test('hairpin dnat-only with bridge-nf-call-iptables=1: conntrack un-NATs the bridged reply and DNAT alone connects', () => {
  const { sim } = runExample('examples/hairpin/dnat-only-brnf.yaml');
  const [r] = sim.results;
  assert.equal(r!.verdict, 'connected');
  assert.equal(r!.serverSaw, '192.168.1.10:40000');
  // As the kernel: the SYN is bridged to the server after DNAT, TTL untouched; the reply crosses
  // the bridge and leaves lan1 with the public address as its source.
  assert.deepEqual(packetsAt(sim, 'router', 'lan3').slice(0, 2), [
    'out tcp 192.168.1.10:40000 > 192.168.1.200:80 S ttl=64',
    'in tcp 192.168.1.200:80 > 192.168.1.10:40000 S. ttl=64',
  ]);
  assert.deepEqual(packetsAt(sim, 'router', 'lan1').slice(0, 2), [
    `in ${SYN} ttl=64`,
    'out tcp 82.120.11.22:80 > 192.168.1.10:40000 S. ttl=64',
  ]);
  assert.deepEqual(conntrackLines(sim, 'router'), [
    'tcp      6 116 TIME_WAIT src=192.168.1.10 dst=82.120.11.22 sport=40000 dport=80 src=192.168.1.200 dst=192.168.1.10 sport=80 dport=40000 [ASSURED] mark=0 use=1',
  ]);
});

test('every run of a scenario is identical (virtual clock, seeded RNG)', () => {
  const a = runExample('examples/hairpin/dnat-snat.yaml', 7).sim.steps;
  const b = runExample('examples/hairpin/dnat-snat.yaml', 7).sim.steps;
  assert.equal(a.length, b.length);
  a.forEach((s, i) => assert.deepEqual(s, b[i]));
});
