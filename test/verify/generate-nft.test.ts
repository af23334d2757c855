// The differential generator's nftables rulesets (issues 15 and 16, docs/generator.md,
// `natbox verify --generate --rules nft|both`): a seed draws the same rulesets; every ruleset drawn
// is read by natbox's nft reader and the scenario loads; the nft families (sets, maps, verdict
// maps, concatenations, numgen, fib, ct status, two forward chains, mixed routers) are all drawn;
// the shrinker's nft steps remove one rule, one element or one policy; the default (iptables)
// draws what it drew before nft existed. Where `nft` and root are there, the real `nft -c -f`
// accepts every ruleset, in a throwaway network namespace of this test's own (deleted afterwards).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  drawScenario,
  renderYaml,
  shrinkCandidates,
  type GenScenario,
} from '../../src/cli/verify/generate.ts';
import { nftRuleCount, renderNft } from '../../src/cli/verify/generate-nft.ts';
import { prepareVerify } from '../../src/cli/verify/verify.ts';
import { parseNft } from '../../src/rules/nft/index.ts';

const SEED = 1601;
const N = 100;

const rulesets = (s: GenScenario): string[] =>
  s.hosts.filter((h) => h.nft).map((h) => renderNft(h.nft!).join('\n'));

test('generate nft: a seed draws the same nft rulesets; --rules iptables draws what it drew before', () => {
  for (const i of [0, 3, 11]) {
    const a = drawScenario(SEED, i, { rules: 'both' });
    assert.equal(renderYaml(a), renderYaml(drawScenario(SEED, i, { rules: 'both' })));
    assert.equal(
      renderYaml(drawScenario(SEED, i, { rules: 'nft' })),
      renderYaml(drawScenario(SEED, i, { rules: 'nft' })),
    );
    // The default is iptables: no router has nft, and the draws are the same with or without it.
    const ipt = drawScenario(SEED, i);
    assert.equal(renderYaml(ipt), renderYaml(drawScenario(SEED, i, { rules: 'iptables' })));
    assert.ok(ipt.hosts.every((h) => !h.nft));
  }
});

test('generate nft: every ruleset drawn is read by natbox, the scenario loads, and the nft families are drawn', () => {
  const seen = new Map<string, number>();
  const count = (k: string): void => void seen.set(k, (seen.get(k) ?? 0) + 1);
  let routers = 0;
  let nftRouters = 0;
  for (let i = 0; i < N; i++) {
    const s = drawScenario(SEED, i, { rules: i % 2 ? 'both' : 'nft' });
    const text = renderYaml(s);
    const p = prepareVerify(text, `gen-${i}.yaml`);
    assert.ok(p.ok, `scenario #${i} refused:\n${p.ok ? '' : p.errors.join('\n')}\n${text}`);
    for (const h of s.hosts.filter((x) => x.role === 'router')) {
      routers++;
      if (!h.nft) continue;
      nftRouters++;
      if (h.rules.length) count('mixed');
      const nft = renderNft(h.nft).join('\n');
      const r = parseNft(
        nft.split('\n').map((t, k) => ({ text: t, file: `${h.name}.nft`, line: k + 1, column: 1 })),
      );
      assert.ok(
        r.ok,
        `#${i} ${h.name}: ${r.ok ? '' : r.diagnostics.map((d) => d.message).join('\n')}\n${nft}`,
      );
      for (const [k, re] of Object.entries({
        namedSet: /^\s+set \w+ \{/m,
        namedMap: /^\s+map \w+ \{/m,
        anonSet: /dport \{ /,
        vmap: /vmap \{/,
        concat: / \. tcp dport/,
        numgen: /numgen inc mod 2/,
        dnatMap: /dnat (ip )?to [^\n]*map/,
        snatMap: /snat to ip saddr map/,
        fib: /fib daddr type local/,
        rpfib: /fib saddr \. iif oif missing/,
        synproxy: /ct state invalid,untracked synproxy mss 1460/,
        ctStatus: /ct status dnat/,
        ctState: /ct state /,
        ctMark: /ct mark set/,
        metaMark: /meta mark set/,
        notrack: /notrack/,
        zone: /ct zone set/,
        counter: /counter/,
        masqPorts: /masquerade to :/,
        snatRange: /snat to [\d.]+-[\d.]+/,
        flags: / (random|fully-random|persistent)$/m,
        twoForward: /priority filter \+ 10/,
        policyDrop: /policy drop/,
        reject: /reject with icmp type/,
        raw: /priority raw/,
        mangle: /priority mangle/,
        dynset: /(add|update) @\w+ \{ ip saddr/,
      }))
        if (re.test(nft)) count(k);
    }
  }
  assert.ok(nftRouters > routers / 2, `${nftRouters} of ${routers} routers have nft`);
  for (const [k, v] of seen) assert.ok(v >= 1, k);
  for (const k of [
    ...['namedSet', 'namedMap', 'anonSet', 'vmap', 'concat', 'numgen', 'dnatMap', 'snatMap', 'fib'],
    ...['ctStatus', 'ctState', 'ctMark', 'metaMark', 'notrack', 'zone', 'counter', 'masqPorts'],
    ...['snatRange', 'flags', 'twoForward', 'policyDrop', 'reject', 'raw', 'mangle', 'mixed'],
    ...['rpfib', 'synproxy', 'dynset'],
  ])
    assert.ok((seen.get(k) ?? 0) >= 2, `"${k}" in fewer than 2 of ${N} scenarios`);
});

test('generate nft: the shrinker removes one nft rule, one element or one policy at a time', () => {
  let s: GenScenario | undefined;
  for (let i = 0; i < N && !s; i++) {
    const x = drawScenario(SEED, i, { rules: 'nft' });
    const hs = x.hosts.filter((h) => h.nft);
    if (
      hs.some((h) => nftRuleCount(h.nft) > 2) &&
      hs.some((h) => h.nft!.chains.some((c) => c.rules.some((r) => (r.elems?.length ?? 0) > 1))) &&
      hs.some((h) => h.nft!.sets.length)
    )
      s = x;
  }
  assert.ok(s, 'a scenario with nft rules, anonymous and named sets');
  const weight = (x: GenScenario): number =>
    x.hosts.reduce(
      (n, h) =>
        n +
        (h.nft
          ? 1 +
            nftRuleCount(h.nft) * 10 +
            h.nft.chains.reduce(
              (k, c) => k + (c.policy ? 1 : 0) + c.rules.reduce((e, r) => e + (r.elems?.length ?? 0), 0),
              0,
            ) +
            h.nft.sets.reduce((k, st) => k + st.elems.length, 0)
          : 0),
      0,
    );
  const steps = shrinkCandidates(s).filter((c) => /nft|element|policy/.test(c.what));
  const kinds = new Set(steps.map((c) => c.what.split(' ')[1]));
  for (const k of ['nft', 'element']) assert.ok(kinds.has(k), `a step "${k}" among ${[...kinds].join(', ')}`);
  for (const c of steps) {
    assert.ok(weight(c.scenario) < weight(s), `"${c.what}" is not smaller`);
    // The YAML written for a shrunk scenario holds what is left (reproduces it).
    const y = renderYaml(c.scenario);
    for (const r of rulesets(c.scenario))
      assert.ok(
        y.includes(
          r
            .split('\n')
            .map((l) => `      ${l}`)
            .join('\n'),
        ),
      );
    const p = prepareVerify(y, 'c.yaml');
    assert.ok(p.ok, `"${c.what}": ${p.ok ? '' : p.errors.join('\n')}`);
  }
  assert.equal(renderYaml(s), renderYaml(drawScenario(s.seed, s.index, { rules: 'nft' })), 'not changed');
});

const nftProblem = ((): string => {
  if (process.getuid?.() !== 0) return 'needs root (ip netns)';
  if (spawnSync('nft', ['--version']).status !== 0) return 'needs nft';
  if (spawnSync('ip', ['-V']).status !== 0) return 'needs ip';
  return '';
})();

test(
  "generate nft: the kernel's nft -c -f accepts every ruleset drawn (in a throwaway netns)",
  { skip: nftProblem || undefined, timeout: 300_000 },
  () => {
    const ns = `natbox-gennft-${process.pid}`;
    assert.equal(spawnSync('ip', ['netns', 'add', ns]).status, 0, `ip netns add ${ns}`);
    try {
      let checked = 0;
      for (let i = 0; i < 60; i++)
        for (const r of rulesets(drawScenario(SEED, i, { rules: i % 2 ? 'both' : 'nft' }))) {
          const x = spawnSync('ip', ['netns', 'exec', ns, 'nft', '-c', '-f', '-'], {
            input: `flush ruleset\n${r}\n`,
            encoding: 'utf8',
            timeout: 20_000,
          });
          assert.equal(x.status, 0, `#${i}: ${x.stderr}\n${r}`);
          checked++;
        }
      assert.ok(checked >= 40, `${checked} rulesets checked`);
    } finally {
      spawnSync('ip', ['netns', 'del', ns]);
    }
  },
);
