// `natbox trace --counters` / `--counters-save`: each host's rules with their packet and byte
// counters after the run, printed by the iptables printers (src/rules/iptables/print-list.ts and
// print-save.ts). The expected counters are the real kernel's: the `rule_counters` of every kernel
// reference run (shared/reference/kernel/*/result.json, `iptables-save -c` read after the run,
// iptables 1.8.9 nf_tables; chain policies only from the iptables-legacy runs, since iptables-nft
// reports 0 for every policy), replayed from test/conformance/scenarios/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { prepareScenario } from '../../src/scenario/simulate.ts';
import { simulate } from '../../src/sim/run.ts';
import { countersText } from '../../src/cli/trace.ts';
import { loadCase, referenceAvailable, type RefRuleCounter } from '../conformance/reference.ts';
import { SKIP_CASES } from '../conformance/skip-cases.ts';
import { CLI } from '../cli-argv.ts';

const root = new URL('../../', import.meta.url);
const scenarios = new URL('test/conformance/scenarios/', root);
const noRef = referenceAvailable()
  ? false
  : 'the kernel reference runs (shared/reference/kernel) are not here';

/** `iptables-save -c` rule lines per table, `[packets:bytes] -A …`, from the kernel's counters. */
function kernelLines(list: readonly RefRuleCounter[], policies: boolean): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const c of list) {
    const line =
      c.rule !== undefined
        ? `[${c.packets}:${c.bytes}] ${c.rule}`
        : policies
          ? `:${c.chain} ${c.policy} [${c.packets}:${c.bytes}]`
          : undefined;
    if (line === undefined) continue;
    m.set(c.table, [...(m.get(c.table) ?? []), line]);
  }
  for (const l of m.values()) l.sort();
  return m;
}

/** The same lines from what natbox prints (iptables-save -c form), for the tables the kernel listed. */
function natboxLines(save: string, tables: Iterable<string>, policies: boolean): Map<string, string[]> {
  const m = new Map<string, string[]>();
  let table = '';
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    else if (line.startsWith('[') || (policies && line.startsWith(':') && !line.includes(' - ')))
      m.set(table, [...(m.get(table) ?? []), line]);
  }
  const out = new Map<string, string[]>();
  for (const t of tables) out.set(t, (m.get(t) ?? []).sort());
  return out;
}

const cases = existsSync(scenarios)
  ? spawnSync('ls', [fileURLToPath(scenarios)], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.slice(0, -5))
  : [];

for (const name of cases) {
  const skip = noRef || SKIP_CASES[name];
  test(`--counters-save of ${name} prints the kernel's rule counters`, { skip }, () => {
    const kc = loadCase(name);
    const file = `test/conformance/scenarios/${name}.yaml`;
    const p = prepareScenario(readFileSync(new URL(`${name}.yaml`, scenarios), 'utf8'), file);
    assert.ok(p.ok);
    const sim = simulate(p.built.world, p.built.flows, { seed: 1 });
    // The rulesets the hosts end with (a timed event may have replaced one).
    const rulesets = new Map(p.built.rulesets);
    for (const h of sim.world.hosts.values()) if (h.ruleset) rulesets.set(h.name, h.ruleset);
    const printed = countersText(rulesets, 'save');
    let compared = 0;
    for (const [result, policies] of [
      [kc.result, false],
      ...(kc.legacy ? [[kc.legacy, true] as const] : []),
    ] as const) {
      for (const [ns, list] of Object.entries(result.rule_counters)) {
        const want = kernelLines(list, policies);
        // A namespace without rules: the kernel lists its (empty) tables, natbox prints nothing.
        const text = printed[ns] ?? '';
        assert.deepEqual(natboxLines(text, want.keys(), policies), want, `${ns} (${result.case})`);
        compared += list.length;
      }
    }
    // A case without iptables rules (the format cases on plain routers): natbox has none either.
    if (compared === 0)
      for (const text of Object.values(printed)) assert.ok(!/^\[/m.test(text), 'natbox counted rules');
  });
}

test('natbox trace --counters prints iptables -L -v -n --line-numbers after the trace; --counters-save iptables-save -c', () => {
  const run = (...args: string[]): string => {
    const r = spawnSync(process.execPath, [...CLI, 'trace', ...args], {
      cwd: fileURLToPath(root),
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  const list = run('--counters', 'examples/port-forward/wan-8080.yaml');
  // The first flow's SYN (60 bytes) hit the port-forward DNAT rule and left by the LAN (POSTROUTING
  // policy, not MASQUERADE); the second flow's SYN, to the router itself, ran to the PREROUTING and
  // INPUT policies. The nat table sees only each connection's first packet.
  assert.ok(
    list.includes(
      [
        'router: rule counters after the run (t = 4.500 s):',
        '## table nat',
        'Chain PREROUTING (policy ACCEPT 1 packets, 60 bytes)',
        'num   pkts bytes target     prot opt in     out     source               destination         ',
        '1        1    60 DNAT       6    --  wan    *       0.0.0.0/0            82.120.11.22         tcp dpt:8080 to:192.168.1.200:80',
        '',
      ].join('\n'),
    ),
    list,
  );
  const save = run('--counters-save', '--json', 'examples/port-forward/wan-8080.yaml');
  assert.equal(
    JSON.parse(save).counters.router,
    [
      '*nat',
      ':PREROUTING ACCEPT [1:60]',
      ':INPUT ACCEPT [1:60]',
      ':OUTPUT ACCEPT [0:0]',
      ':POSTROUTING ACCEPT [1:60]',
      '[1:60] -A PREROUTING -d 82.120.11.22/32 -i wan -p tcp -m tcp --dport 8080 -j DNAT --to-destination 192.168.1.200:80',
      '[0:0] -A POSTROUTING -s 192.168.1.0/24 -o wan -j MASQUERADE',
      'COMMIT',
      '',
    ].join('\n'),
  );
});
