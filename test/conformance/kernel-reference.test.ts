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
import { scenarioYaml, unconvertedFields } from './generate-scenarios.ts';

/** Known gaps, per case and subtest name, each with its reason. Keep it minimal and precise. */
const SKIP: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  // Empty: every reference case agrees with the kernel. Add an entry only for a named natbox gap.
};

/**
 * Whole cases natbox cannot replay yet: the eight format cases of the reference (see its README,
 * "The eight format cases") use fields of the case format that generate-scenarios.ts does not
 * convert and the simulator does not model. Issue 14 (the network around NAT) removes them one by
 * one; `skipped cases are current` fails when a listed case can be converted, so the list cannot go
 * stale.
 */
const SKIP_CASES: Readonly<Record<string, string>> = {
  'client-somark-fwmark-rule':
    'own topology (a with two links to r); flow `mark` (SO_MARK) and `ip rule add fwmark 0x2 lookup 200` with a route in table 200 are not modelled',
  'hairpin-masq-tcp-bind-second-address':
    '`rules_restore`, `ip addr add` in `rules`, flow `src` (bind to a second address), `size` and `hold` are not converted',
  'hairpin-vip-dnat-from-wan':
    '`virtual_addrs`, case `routes` on a client, an `nft` rule and `known_ports` are not converted',
  'line-ip-rule-table-and-blackhole':
    'own topology; `ip rule from … lookup 100`, `unreachable` and `blackhole` routes and flow `src` are not modelled (EHOSTUNREACH outcome)',
  'line-mtu-fragments-and-frag-needed':
    'own topology; link `mtu`, flow `size` and `df`, fragmentation, ICMP frag-needed and the PMTU cache are not modelled',
  'line-timed-forward-drop':
    'own topology; timed `actions`, flow `count`/`interval`, `conntrack_ns` and `settle` are not converted',
  'line-ttl-time-exceeded':
    'own topology with `vars` and a fixed `mac`; flow `ttl` (IP_TTL) is not converted',
  'line-udp-server-reply-port':
    "own topology; the case's own `servers` with `bind` and `reply_port` are not converted",
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
  assert.equal(allNames.length, 28, `expected the 28 reference cases, found ${allNames.join(', ')}`);
});

for (const [name, reason] of Object.entries(SKIP_CASES)) {
  test(`${name}: packets, conntrack, verdict`, { skip: noRef ?? `not replayed yet: ${reason}` }, () => {});
}

test(
  'skipped cases are current: each is a reference case the converter cannot convert yet',
  { skip: noRef },
  () => {
    for (const name of allNames) {
      const left = unconvertedFields(loadCase(name));
      if (name in SKIP_CASES) {
        assert.ok(
          left.length > 0,
          `${name} converts now: generate its scenario and remove it from SKIP_CASES`,
        );
      } else {
        assert.deepEqual(left, [], `${name} has fields the converter drops: list it in SKIP_CASES`);
      }
    }
    for (const name of Object.keys(SKIP_CASES))
      assert.ok(allNames.includes(name), `SKIP_CASES names an unknown case ${name}`);
  },
);

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
