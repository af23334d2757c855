// nf_send_unreach sends no ICMP error about a packet whose transport checksum is wrong
// (test/conformance/generated/gen-1702-112.yaml, found by the generator; the live scenario
// matches Linux 6.18): the verify harness's DCCP Request carries checksum 0, so r1's nft `reject`
// drops it in silence. The same rule rejecting a UDP datagram (checksum valid) answers with port
// unreachable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { simulateScenario } from '../../src/scenario/simulate.ts';

const FILE = 'test/conformance/generated/gen-1702-112.yaml';

function verdict(text: string): { verdict: string; detail: string } {
  const r = simulateScenario(text, FILE);
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  const x = r.sim.results[0]!;
  return { verdict: x.verdict, detail: x.detail ?? '' };
}

test('reject: a DCCP Request with a bad checksum gets no ICMP error; a UDP datagram gets port unreachable (refused)', () => {
  const text = readFileSync(FILE, 'utf8');
  assert.equal(verdict(text).verdict, 'timeout');
  const udp = verdict(text.replace('proto: dccp', 'proto: udp'));
  // The UDP client's connected socket hears the port unreachable as ECONNREFUSED.
  assert.equal(udp.verdict, 'refused');
});
