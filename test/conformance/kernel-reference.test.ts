// Kernel parity: each of the reference runs on a real Linux 6.18 kernel
// (../shared/reference/kernel/, see its README.md) is replayed in natbox from
// test/conformance/scenarios/<case>.yaml and compared with what the kernel did: the IPv4 packets
// on every interface in capture order (compare.ts), the flows' outcomes, the final conntrack
// table and the rule counters (and, where an iptables-legacy run exists, its policy counters too).
// A case is one test; each comparison is a subtest, so one known gap skips only what it touches.
// SKIP lists the known gaps, each with its precise reason; the `skip list is current` test fails
// when a skipped comparison starts to agree, so the list cannot go stale.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { caseNames, loadCase, referenceAvailable, referencePath, type KernelCase } from './reference.ts';
import {
  compareCase,
  compareCounters,
  formatDifference,
  runCase,
  SCENARIO_DIR,
  type CaseReport,
  type CaseRun,
  type Difference,
} from './compare.ts';
import { scenarioYaml } from './generate-scenarios.ts';

/** Known gaps, per case and subtest name, each with its reason. Keep it minimal and precise. */
const SKIP: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  // Empty: every reference case agrees with the kernel. Add an entry only for a named natbox gap.
};

const reasonFor = (c: string, sub: string): string | undefined => SKIP[c]?.[sub];

const noRef = referenceAvailable()
  ? undefined
  : `kernel reference not found at ${referencePath()} (the shared reference checkout ../shared/reference/kernel)`;

const names = noRef ? [] : caseNames();

const runs = new Map<string, { kc: KernelCase; run: CaseRun; report: CaseReport }>();
function get(name: string): { kc: KernelCase; run: CaseRun; report: CaseReport } {
  let r = runs.get(name);
  if (!r) {
    const kc = loadCase(name);
    const run = runCase(kc);
    r = { kc, run, report: compareCase(run) };
    runs.set(name, r);
  }
  return r;
}

const fail = (ds: readonly Difference[]): string => ds.map(formatDifference).join('\n');

/** Every subtest of a case with the differences it found: the source of truth for SKIP checks. */
function subtests(name: string): Map<string, Difference[]> {
  const { kc, run, report } = get(name);
  const out = new Map<string, Difference[]>();
  for (const [iface, r] of [...report.packets.interfaces].sort(([a], [b]) => (a < b ? -1 : 1))) {
    out.set(`packets ${iface}`, r.difference ? [r.difference] : []);
  }
  out.set('flows: verdict, server_saw_client_as, reply source', report.flows);
  out.set('conntrack', report.conntrack);
  out.set('rule counters', report.counters);
  if (kc.legacy) {
    out.set(
      'iptables-legacy run: rule and policy counters',
      compareCounters(kc, run.rulesets, { result: kc.legacy, policies: true }),
    );
  }
  return out;
}

test('kernel reference is present', { skip: noRef }, () => {
  assert.equal(names.length, 20, `expected the 20 reference cases, found ${names.join(', ')}`);
});

for (const name of names) {
  test(`${name}: packets, conntrack, verdict`, async (t) => {
    const { report } = get(name);
    for (const [sub, diffs] of subtests(name)) {
      const skip = reasonFor(name, sub);
      await t.test(sub, skip ? { skip } : {}, () => {
        assert.ok(diffs.length === 0, `\n${fail(diffs)}`);
      });
    }
    t.diagnostic(`ARP (not asserted): ${report.packets.arp.join('; ')}`);
  });
}

test('scenarios match the reference cases (generate-scenarios.ts output)', { skip: noRef }, () => {
  for (const name of names) {
    const file = new URL(`${name}.yaml`, SCENARIO_DIR);
    assert.equal(
      readFileSync(file, 'utf8'),
      scenarioYaml(loadCase(name)),
      `${name}.yaml drifted from the reference`,
    );
  }
});

test(
  'skip list is current: every skipped comparison names a real subtest and still differs',
  { skip: noRef },
  () => {
    for (const [c, subs] of Object.entries(SKIP)) {
      assert.ok(names.includes(c), `SKIP names an unknown case ${c}`);
      const all = subtests(c);
      for (const sub of Object.keys(subs)) {
        const diffs = all.get(sub);
        assert.ok(diffs, `SKIP ${c}: no subtest "${sub}" (there are: ${[...all.keys()].join(', ')})`);
        assert.ok(diffs.length > 0, `${c}: "${sub}" now agrees with the kernel: remove it from SKIP`);
      }
    }
  },
);
