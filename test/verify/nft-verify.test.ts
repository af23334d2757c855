// `natbox verify` with nftables: a host's nft rules go to the kernel's `nft -f -` in its namespace
// (as written; a script of nft commands as the nft -f lines natbox made of it; JSON with -j), the
// kernel's refusal is an error naming the scenario's line, what the kernel's nft read is checked for
// public addresses before anything is sent, and the OpenWrt examples (fw4's rulesets) agree with
// the kernel once natbox reads and runs them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { environmentProblems, which } from '../../src/dataplane/kernel/live.ts';
import { iptablesSpec, nftKernelInput } from '../../src/dataplane/kernel/nft.ts';
import { prepareVerify, verifyPrepared, type Prepared } from '../../src/cli/verify/verify.ts';
import { parseNft } from '../../src/rules/nft/index.ts';
import type { At, HostSpec } from '../../src/scenario/model.ts';

const at = (value: string, line: number): At<string> => ({ value, loc: { file: 's.yaml', line, column: 7 } });
const host = (rules?: string[], nft?: string[]): HostSpec => ({
  name: at('router', 1),
  interfaces: [],
  bridges: [],
  routes: [],
  sysctls: new Map(),
  listen: [],
  ...(rules ? { rules: { lines: rules.map((l, i) => at(l, 10 + i)) } } : {}),
  ...(nft ? { nft: { lines: nft.map((l, i) => at(l, 20 + i)) } } : {}),
});

test("what the kernel's nft is given: the host's nftables, in rules: or nft:", () => {
  const listed = [
    'table ip nat {',
    'chain pre {',
    'type nat hook prerouting priority dstnat; policy accept;',
    '}',
    '}',
  ];
  const a = host(listed);
  assert.equal(iptablesSpec(a), undefined);
  assert.deepEqual(nftKernelInput(a), {
    args: ['-f', '-'],
    text: listed.join('\n') + '\n',
    first: { text: 'table ip nat {', file: 's.yaml', line: 10, column: 7 },
    lines: listed.map((text, i) => ({ text, file: 's.yaml', line: 10 + i, column: 7 })),
  });
  const both = host(['iptables -t nat -A POSTROUTING -o wan -j MASQUERADE'], ['flush ruleset']);
  assert.equal(iptablesSpec(both)?.lines.length, 1);
  assert.deepEqual(nftKernelInput(both), {
    args: ['-f', '-'],
    text: 'flush ruleset\n',
    first: { text: 'flush ruleset', file: 's.yaml', line: 20, column: 7 },
    lines: [{ text: 'flush ruleset', file: 's.yaml', line: 20, column: 7 }],
  });
  assert.equal(nftKernelInput(host(['iptables -F'])), undefined);
  // nft -j JSON; a script of nft commands (the words after nft, joined).
  assert.deepEqual(nftKernelInput(host(undefined, ['{"nftables": []}']))?.valueOf(), {
    args: ['-j', '-f', '-'],
    text: '{"nftables": []}\n',
    first: { text: '{"nftables": []}', file: 's.yaml', line: 20, column: 7 },
    lines: [{ text: '{"nftables": []}', file: 's.yaml', line: 20, column: 7 }],
  });
  const cmds = nftKernelInput(
    host([
      'nft add table ip vip',
      "nft add chain ip vip pre '{ type nat hook prerouting priority dstnat ; }'",
    ]),
  );
  assert.ok(cmds && 'text' in cmds);
  assert.equal(
    cmds.text,
    'add table ip vip\nadd chain ip vip pre { type nat hook prerouting priority dstnat ; }\n',
  );
  // An include would make the kernel's nft read a file natbox did not: refused, at its line.
  assert.deepEqual(nftKernelInput(host(['flush ruleset', 'include "more.nft"'])), {
    error:
      "s.yaml:11:7: an include the scenario loader did not read is not given to the kernel's nft in a live run (write it alone on its line)",
  });
});

const problems = environmentProblems('nft');
if (!which('nft')) problems.push('missing nft');
const noKernel = problems.length
  ? `natbox verify cannot run on this machine's kernel: ${problems.join('; ')}`
  : undefined;

function prepared(file: string): Prepared {
  const p = prepareVerify(readFileSync(file, 'utf8'), file);
  assert.ok(p.ok, p.ok ? '' : p.errors.join('\n'));
  return p.prepared;
}

/** The seed's DNAT-only hairpin with nft rules given to the kernel only (natbox's side is iptables'). */
function withKernelNft(p: Prepared, nft: string[]): Prepared {
  const scenario = {
    ...p.scenario,
    hosts: p.scenario.hosts.map((h) =>
      h.rules ? { ...h, nft: { lines: nft.map((l, i) => at(l, 40 + i)) } } : h,
    ),
  };
  return { ...p, scenario };
}

test(
  "live: the kernel's nft refuses rules: an error at the scenario's line, nothing left",
  { skip: noKernel },
  async () => {
    const p = withKernelNft(prepared('examples/hairpin/dnat-only.yaml'), [
      'table ip t {',
      'chain c {',
      'type filter hook forward priority 0; policy accept;',
      'frobnicate',
      '}',
      '}',
    ]);
    const { report, run } = await verifyPrepared(p, { backend: 'nft', runId: 92 });
    assert.equal(report.status, 'error');
    assert.equal(run, undefined);
    // nft 1.0.6's own words, its /dev/stdin:4:11 put back at the scenario's line 43, column 7 + 10.
    assert.equal(
      report.error,
      "s.yaml:43:17: the kernel's nft refused the rules: Error: syntax error, unexpected newline\nfrobnicate\n          ^",
    );
    const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    assert.doesNotMatch(left, new RegExp(`nbx-${process.pid}-92-`));
  },
);

test(
  "live: what the kernel's nft read is checked for public addresses before anything is sent",
  { skip: noKernel },
  async () => {
    const p = withKernelNft(prepared('examples/hairpin/dnat-only.yaml'), [
      'table ip t {',
      'chain c {',
      'type nat hook prerouting priority dstnat; policy accept;',
      'ip daddr 203.0.113.22 tcp dport 80 dnat to 8.8.8.8 comment "8.8.4.4 in a comment is fine"',
      '}',
      '}',
    ]);
    const { report, run } = await verifyPrepared(p, { backend: 'nft', runId: 93 });
    assert.equal(report.status, 'error');
    assert.equal(report.failure, 'input');
    assert.equal(run, undefined);
    assert.equal(
      report.error,
      "router: the kernel's nft read the rules with public addresses outside the documentation ranges (8.8.8.8); nothing was sent",
    );
  },
);

const parserReady = parseNft([
  { text: 'table ip t {', file: 'p', line: 1, column: 1 },
  { text: '}', file: 'p', line: 2, column: 1 },
]).ok;

test(
  'live: the OpenWrt examples agree with the kernel (fw4 rulesets through nft -f)',
  { skip: noKernel ?? (parserReady ? false : 'waiting for the nft parser and evaluator') },
  async () => {
    for (const [k, file] of [
      'examples/openwrt/reflection-off.yaml',
      'examples/openwrt/reflection-on.yaml',
    ].entries()) {
      const { report, run } = await verifyPrepared(prepared(file), { backend: 'nft', runId: 94 + k });
      assert.equal(report.status, 'match', `${file}: ${JSON.stringify(report.first ?? report.error)}`);
      assert.ok(run?.nftRulesets?.get('router')?.startsWith('table inet fw4 {\n'));
    }
  },
);
