// Fuzz campaign, rules (issue 11): random iptables-restore files made of the rule shapes natbox reads
// (gen.ts) and random edits of every corpus ruleset. The front end never throws nor reports an
// internal error; a file it takes prints (iptables-save form) to a text that loads again and prints
// the same (a fixed point), and a file it refuses gets errors at a line and column inside it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { formatDiagnostic, type Diagnostic } from '../../src/rules/diagnostics.ts';
import { loadRulesText } from '../../src/rules/load.ts';
import { printSave } from '../../src/rules/iptables/print-save.ts';
import { edited, FUZZ_SEED, fuzzRuns, restoreText } from './gen.ts';

function checkDiagnostics(ds: readonly Diagnostic[], text: string): void {
  const lines = text.split('\n').length;
  assert.ok(ds.length > 0);
  for (const d of ds) {
    const s = formatDiagnostic(d);
    assert.ok(d.line >= 1 && d.line <= lines && d.column >= 1, `position outside the file: ${s}`);
    assert.doesNotMatch(d.message, /internal error/, `${s}\n--- rules ---\n${text}`);
  }
}

function roundTrip(text: string): void {
  const r = loadRulesText(text, 'fuzz.rules');
  if (!r.ok) return checkDiagnostics(r.diagnostics, text);
  const saved = printSave(r.ruleset);
  // An interface or chain name with a lone `"` prints bare, as iptables-save prints it (`-i "ppp0`),
  // and natbox refuses the unterminated quote when it reads it back, where iptables-restore reads
  // on to the end of the line (a documented difference, docs/supported.md). Found by this campaign
  // (NATBOX_FUZZ_SEED=7); every other printout must load again.
  if (saved.split('\n').some((l) => !l.startsWith('#') && (l.match(/"/g) ?? []).length % 2 === 1)) return;
  const again = loadRulesText(saved, 'saved.rules');
  assert.ok(
    again.ok,
    `what natbox printed does not load:\n${saved}\n${again.ok ? '' : again.diagnostics.map(formatDiagnostic).join('\n')}`,
  );
  assert.equal(printSave(again.ruleset), saved, 'print → load → print is not a fixed point');
}

test('fuzz: generated restore files load and print to a fixed point, or fail at a position', () => {
  fc.assert(fc.property(restoreText, roundTrip), { seed: FUZZ_SEED, numRuns: fuzzRuns(400) });
});

const corpusDir = new URL('../rules/corpus/', import.meta.url);
const corpus = readdirSync(corpusDir)
  .filter((f) => /\.(sh|rules)$/.test(f))
  .sort()
  .map((f) => readFileSync(fileURLToPath(new URL(f, corpusDir)), 'utf8'));

test('fuzz: edited corpus rulesets never throw and round-trip when they load', () => {
  assert.ok(corpus.length >= 30, 'the corpus is found');
  for (const [k, text] of corpus.entries()) {
    fc.assert(fc.property(edited(text), roundTrip), { seed: FUZZ_SEED + k, numRuns: fuzzRuns(12) });
  }
});
