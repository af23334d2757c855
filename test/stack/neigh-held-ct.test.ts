// A packet waiting for its neighbour holds its conntrack entry (skb->_nfct); when ARP gives up,
// ipv4_link_failure's ICMP host unreachable carries that entry (icmp_glue_bits → nf_ct_attach),
// so nf_conntrack_in ignores the error, even when `conntrack -F` removed the entry meanwhile.
// test/conformance/generated/gen-1417-34.yaml (found by the generator, seed 1417; matched against
// Linux 6.18 3 times): r2's echo reply waits for a neighbour on an empty link, the flush at 1.95 s
// removes the ping's entry, the neighbour fails at 3.07 s: the kernel's `conntrack -S` says error=0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { simulateScenario } from '../../src/scenario/simulate.ts';

const FILE = 'test/conformance/generated/gen-1417-34.yaml';

function run(text: string) {
  const r = simulateScenario(text, FILE);
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  const r2 = r.sim.world.host('r2');
  const icmpToSelf = r.sim.steps.filter(
    (s) => s.kind === 'packet' && s.host === 'r2' && s.ifname === 'lo' && s.frame[14 + 9] === 1,
  ).length;
  return { error: r2.nf!.conntrack.stats.error, invalid: r2.nf!.conntrack.stats.invalid, icmpToSelf };
}

test('the host unreachable about a queued packet whose entry was flushed is not a conntrack error', () => {
  assert.deepEqual(run(readFileSync(FILE, 'utf8')), { error: 0, invalid: 0, icmpToSelf: 1 });
});

test('without the flush the error carries the live entry: still no conntrack error', () => {
  const text = readFileSync(FILE, 'utf8').replace(/\nevents:\n.*\n/, '\n');
  assert.doesNotMatch(text, /run: 'conntrack -F'/);
  assert.deepEqual(run(text), { error: 0, invalid: 0, icmpToSelf: 1 });
});
