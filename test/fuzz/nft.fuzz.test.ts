// Fuzz campaign, nftables (issue 16): random edits of every ruleset of the nft corpus
// (test/rules/nft-corpus/: fw4, firewalld, kube-proxy, Docker, libvirt… as their tools print them),
// in nft text and in `nft -j` JSON. The front end never throws nor reports an internal error; a
// ruleset it takes prints to a text that loads again and prints the same (a fixed point); one it
// refuses gets errors at a line and column inside the file. Edited rulesets it takes also run: a
// router with the ruleset forwards flows of every protocol, and each ends in a verdict.
// Fixed seed and run count for CI (FUZZ_SEED, fuzzRuns); NATBOX_FUZZ_RUNS=2000 for a long campaign.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { formatDiagnostic, type Diagnostic } from '../../src/rules/diagnostics.ts';
import { loadNftRules } from '../../src/rules/load.ts';
import { printNft, printNftJson } from '../../src/rules/nft/index.ts';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { edited, FUZZ_SEED, fuzzRuns } from './gen.ts';

const corpusDir = new URL('../rules/nft-corpus/', import.meta.url);
const corpus = (ext: string): { file: string; text: string }[] =>
  readdirSync(corpusDir)
    .filter((f) => f.endsWith(ext))
    // A ruleset that includes sibling files is read with them in nft-corpus.test.ts.
    .filter((f) => !/^\s*include\s/m.test(readFileSync(fileURLToPath(new URL(f, corpusDir)), 'utf8')))
    .sort()
    .map((f) => ({ file: f, text: readFileSync(fileURLToPath(new URL(f, corpusDir)), 'utf8') }));

function checkDiagnostics(ds: readonly Diagnostic[], text: string): void {
  const lines = text.split('\n').length;
  assert.ok(ds.length > 0, 'a refused ruleset says why');
  for (const d of ds) {
    const s = formatDiagnostic(d);
    assert.ok(d.line >= 1 && d.line <= lines && d.column >= 1, `position outside the file: ${s}\n${text}`);
    assert.doesNotMatch(d.message, /internal error/, `${s}\n--- ruleset ---\n${text}`);
  }
}

const load = (text: string, file: string): ReturnType<typeof loadNftRules> =>
  loadNftRules(
    text.split(/\r?\n/).map((t, k) => ({ text: t, file, line: k + 1, column: 1 })),
    { wholeFile: true },
  );

/** Loads `text`; taken: its print loads again and prints the same; refused: positioned errors. */
function roundTrip(text: string, json: boolean): boolean {
  const r = load(text, json ? 'fuzz.json' : 'fuzz.nft');
  if (!r.ok) {
    checkDiagnostics(r.diagnostics, text);
    return false;
  }
  const print = json ? (rs: typeof r.ruleset) => printNftJson(rs) : (rs: typeof r.ruleset) => printNft(rs);
  // The first print need not be the fixed point: nft itself lists a one-element anonymous set of a
  // range as `{ a-b }` and, read back, as the bare range `a-b` (test/rules/nft-corpus/
  // fw4-masq-restrict.relist, captured from nft 1.0.6). The second print is the fixed point.
  let printed = print(r.ruleset);
  for (let round = 0; ; round++) {
    const again = load(printed, 'printed');
    assert.ok(
      again.ok,
      `what natbox printed does not load:\n${printed}\n${again.ok ? '' : again.diagnostics.map(formatDiagnostic).join('\n')}\n--- from ---\n${text}`,
    );
    const next = print(again.ruleset);
    if (next === printed) return true;
    assert.ok(round === 0, `print → load → print is not a fixed point\n${printed}\n--- from ---\n${text}`);
    printed = next;
  }
}

const indent = (text: string, n: number): string =>
  text
    .split('\n')
    .map((l) => (l.trim() === '' ? '' : ' '.repeat(n) + l))
    .join('\n');

/** A router between a LAN and a WAN with `nft` as its rules, and one flow of each protocol. */
const routerWith = (nft: string): string => `name: nft-fuzz
hosts:
  r:
    interfaces: { wan: 203.0.113.1/24, lan: 192.168.1.1/24 }
    sysctls: { net.ipv4.ip_forward: 1 }
    nft: |
${indent(nft, 6)}
  c:
    interfaces: { eth0: 192.168.1.10/24 }
    routes: [default via 192.168.1.1]
  s:
    interfaces: { eth0: 203.0.113.10/24 }
    routes: [default via 203.0.113.1]
    listen: [tcp/80, udp/53, tcp/22]
links:
  - { name: lan, connect: [c:eth0, r:lan] }
  - { name: wan, connect: [r:wan, s:eth0] }
flows:
  - { from: c, proto: tcp, to: '203.0.113.10:80', timeout: 1 }
  - { from: c, proto: udp, to: '203.0.113.10:53', at: 0.1, timeout: 1 }
  - { from: s, proto: tcp, to: '203.0.113.1:22', at: 0.2, timeout: 1 }
  - { from: c, proto: icmp, to: 203.0.113.10, at: 0.3, timeout: 1 }
`;

/** A ruleset natbox took runs: every flow ends in a verdict, or the scenario is refused at a place. */
function runs(nft: string): void {
  const text = routerWith(nft);
  const r = simulateScenario(text, 'fuzz.yaml', { maxEvents: 100_000 });
  if (!r.ok) {
    for (const e of r.errors) {
      assert.match(e, /^[^:\n]+:\d+:\d+: \S/, `unpositioned error: ${e}\n--- ruleset ---\n${nft}`);
      assert.doesNotMatch(e, /internal error|TypeError|RangeError|\n\s+at /, `${e}\n--- ruleset ---\n${nft}`);
    }
    return;
  }
  assert.equal(r.sim.results.length, 4);
  for (const f of r.sim.results) assert.ok(f.verdict, `flow without a verdict\n${nft}`);
}

test('fuzz: the nft corpus is found, and each unedited ruleset round-trips and runs', () => {
  const texts = corpus('.nft');
  assert.ok(texts.length >= 25, `nft corpus: ${texts.length} rulesets`);
  for (const c of texts) {
    assert.ok(roundTrip(c.text, false), `${c.file} loads`);
    runs(c.text);
  }
});

test('fuzz: edited nft text is taken (printing to a fixed point, and running) or refused at a position', () => {
  const texts = corpus('.nft');
  const per = Math.max(2, Math.ceil(fuzzRuns(600) / texts.length));
  for (const [k, c] of texts.entries())
    fc.assert(
      fc.property(edited(c.text), (text) => {
        if (roundTrip(text, false)) runs(text);
      }),
      { seed: FUZZ_SEED + k, numRuns: per },
    );
});

test('fuzz: edited nft -j JSON is taken (printing to a fixed point) or refused at a position', () => {
  const texts = corpus('.json');
  const per = Math.max(2, Math.ceil(fuzzRuns(300) / texts.length));
  for (const [k, c] of texts.entries())
    fc.assert(
      fc.property(edited(c.text), (text) => {
        roundTrip(text, true);
      }),
      { seed: FUZZ_SEED + k, numRuns: per },
    );
});
