// `conntrack -E` lines exactly as the tool printed them on Linux 6.18 (conntrack-tools 1.4.7) for
// the seed's DNAT + SNAT hairpin, captured by `natbox verify` in network namespaces (the public
// address moved to 203.0.113.22), against natbox's events for the same scenario.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { prepareScenario } from '../../src/scenario/simulate.ts';
import { World } from '../../src/sim/world.ts';
import { startFlows, runLength } from '../../src/sim/flows.ts';
import { formatEventLine } from '../../src/netfilter/conntrack/format.ts';

const KERNEL = [
  '    [NEW] tcp      6 120 SYN_SENT src=192.168.1.10 dst=203.0.113.22 sport=40000 dport=80 [UNREPLIED] src=192.168.1.200 dst=192.168.1.1 sport=80 dport=40000',
  ' [UPDATE] tcp      6 60 SYN_RECV src=192.168.1.10 dst=203.0.113.22 sport=40000 dport=80 src=192.168.1.200 dst=192.168.1.1 sport=80 dport=40000',
  ' [UPDATE] tcp      6 432000 ESTABLISHED src=192.168.1.10 dst=203.0.113.22 sport=40000 dport=80 src=192.168.1.200 dst=192.168.1.1 sport=80 dport=40000 [ASSURED]',
  ' [UPDATE] tcp      6 120 FIN_WAIT src=192.168.1.10 dst=203.0.113.22 sport=40000 dport=80 src=192.168.1.200 dst=192.168.1.1 sport=80 dport=40000 [ASSURED]',
  ' [UPDATE] tcp      6 30 LAST_ACK src=192.168.1.10 dst=203.0.113.22 sport=40000 dport=80 src=192.168.1.200 dst=192.168.1.1 sport=80 dport=40000 [ASSURED]',
  ' [UPDATE] tcp      6 120 TIME_WAIT src=192.168.1.10 dst=203.0.113.22 sport=40000 dport=80 src=192.168.1.200 dst=192.168.1.1 sport=80 dport=40000 [ASSURED]',
];

test('conntrack -E: natbox prints the same event lines as the kernel for the seed hairpin', () => {
  const file = 'test/conformance/scenarios/hairpin-tcp-dnat-snat.yaml';
  const p = prepareScenario(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8'), file);
  assert.ok(p.ok, p.ok ? '' : p.errors.join('\n'));
  const world = new World(p.built.world);
  const nf = world.host('box').nf!;
  const lines: string[] = [];
  nf.conntrack.listener = (kind, e) => lines.push(formatEventLine(kind, nf.conntrack, e, world.sched.now));
  startFlows(world, p.built.flows);
  world.run(runLength(p.built.flows));
  assert.deepEqual(lines, KERNEL);
});
