// Kernel parity: each of the reference runs on a real Linux 6.18 kernel
// (../shared/reference/kernel/, see its README.md) is replayed in natbox from
// test/conformance/scenarios/<case>.yaml and compared with what the kernel did: the IPv4 packets
// on every interface in capture order (compare.ts), the flows' outcomes, the final conntrack
// table and the rule counters (and, where an iptables-legacy run exists, its policy counters too).
// A case is one test; each comparison is a subtest, so one known gap skips only what it touches.
// SKIP lists the known gaps, each with its precise reason; the `skip list is current` test fails
// when a skipped comparison starts to agree, so the list cannot go stale.
import { SKIP_CASES } from './skip-cases.ts';
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
import { convertCase, unconvertedFields } from './generate-scenarios.ts';

/** Known gaps, per case and subtest name, each with its reason. Keep it minimal and precise. */
const SKIP: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  // Empty: every reference case agrees with the kernel. Add an entry only for a named natbox gap.
};

const reasonFor = (c: string, sub: string): string | undefined => SKIP[c]?.[sub];

const noRef = referenceAvailable()
  ? undefined
  : `kernel reference not found at ${referencePath()} (the shared reference checkout ../shared/reference/kernel)`;

const allNames = noRef ? [] : caseNames();
const names = allNames.filter((n) => !(n in SKIP_CASES));

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

/**
 * Subtests natbox cannot be compared on yet, in every case that has them: what natbox's results do
 * not hold (compare.ts `hooks`, for the lead to wire to the code issue 14 adds). `not-compared list
 * is current` fails once a hook is wired, so the entry is removed then (and SKIP gets any case that
 * still differs).
 */
const NOT_COMPARED: Readonly<Record<string, string>> = {};

/**
 * Every subtest of a case with the differences it found (undefined: not comparable yet, see
 * NOT_COMPARED): the source of truth for SKIP checks.
 */
function subtests(name: string): Map<string, Difference[] | undefined> {
  const { kc, run, report } = get(name);
  const out = new Map<string, Difference[] | undefined>();
  for (const [iface, r] of [...report.packets.interfaces].sort(([a], [b]) => (a < b ? -1 : 1))) {
    out.set(`packets ${iface}`, r.difference ? [r.difference] : []);
  }
  out.set('flows: verdict, server_saw_client_as, reply source', report.flows);
  out.set('flows: route_after (ip route get)', report.routeAfter);
  if (kc.result.flows.some((f) => f.outcome.received !== undefined || f.outcome.socket_errors !== undefined))
    out.set('flows: ICMP received, UDP socket errors', report.received);
  out.set('conntrack', report.conntrack);
  out.set('conntrack -S counters', report.conntrackStats);
  out.set('rule counters', report.counters);
  if (kc.result.actions) out.set('actions: rc, stderr', report.actions);
  if (kc.legacy) {
    out.set(
      'iptables-legacy run: rule and policy counters',
      compareCounters(kc, run.rulesets, { result: kc.legacy, policies: true }),
    );
  }
  return out;
}

test('kernel reference is present', { skip: noRef }, () => {
  assert.equal(allNames.length, 28, `expected the 28 reference cases, found ${allNames.join(', ')}`);
});

for (const [name, reason] of Object.entries(SKIP_CASES)) {
  test(`${name}: packets, conntrack, verdict`, { skip: noRef ?? `not replayed yet: ${reason}` }, () => {});
}

test(
  'skipped cases are current: each still fails to load, to run or to agree somewhere',
  { skip: noRef },
  () => {
    for (const name of Object.keys(SKIP_CASES)) {
      assert.ok(allNames.includes(name), `SKIP_CASES names an unknown case ${name}`);
      if (unconvertedFields(loadCase(name)).length) continue;
      let agrees: boolean;
      try {
        agrees = [...subtests(name).values()].every((d) => d === undefined || d.length === 0);
      } catch {
        continue; // does not load or run yet
      }
      assert.ok(!agrees, `${name} loads, runs and agrees with the kernel now: remove it from SKIP_CASES`);
    }
  },
);

test('the converter converts every field of every case', { skip: noRef }, () => {
  for (const name of allNames)
    assert.deepEqual(
      unconvertedFields(loadCase(name)),
      [],
      `${name} has fields the converter does not convert`,
    );
});

for (const name of names) {
  test(`${name}: packets, conntrack, verdict`, async (t) => {
    const { report } = get(name);
    for (const [sub, diffs] of subtests(name)) {
      const skip = diffs === undefined ? NOT_COMPARED[sub] : reasonFor(name, sub);
      await t.test(sub, skip ? { skip } : {}, () => {
        assert.ok(diffs, `${sub}: not comparable and not listed in NOT_COMPARED`);
        assert.ok(diffs.length === 0, `\n${fail(diffs)}`);
      });
    }
    t.diagnostic(`ARP (not asserted): ${report.packets.arp.join('; ')}`);
  });
}

test('scenarios match the reference cases (generate-scenarios.ts output)', { skip: noRef }, () => {
  for (const name of allNames) {
    const file = new URL(`${name}.yaml`, SCENARIO_DIR);
    assert.equal(
      readFileSync(file, 'utf8'),
      convertCase(loadCase(name)).yaml,
      `${name}.yaml drifted from the reference (run generate-scenarios.ts)`,
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
        assert.ok(all.has(sub), `SKIP ${c}: no subtest "${sub}" (there are: ${[...all.keys()].join(', ')})`);
        const diffs = all.get(sub);
        assert.ok(diffs, `SKIP ${c}: "${sub}" is not comparable (NOT_COMPARED)`);
        assert.ok(diffs.length > 0, `${c}: "${sub}" now agrees with the kernel: remove it from SKIP`);
      }
    }
  },
);

test(
  'not-compared list is current: each names a subtest that no case can compute yet',
  { skip: noRef },
  () => {
    const seen = new Set<string>();
    for (const name of names) {
      for (const [sub, diffs] of subtests(name)) {
        if (!(sub in NOT_COMPARED)) {
          assert.ok(diffs, `${name}: "${sub}" is not comparable and not listed in NOT_COMPARED`);
          continue;
        }
        seen.add(sub);
        assert.equal(diffs, undefined, `${name}: "${sub}" is comparable now: remove it from NOT_COMPARED`);
      }
    }
    for (const sub of Object.keys(NOT_COMPARED))
      assert.ok(
        seen.has(sub) || sub === 'actions: rc, stderr',
        `NOT_COMPARED names "${sub}", which no replayed case has`,
      );
  },
);
