// What nft-corpus.test.ts checks for one ruleset of this folder, apart so that it can also print
// the SKIP map as it is now:
//   node --import tsx test/rules/nft-corpus/check.ts     # prints `name: 'first difference',` lines
// For NAME: parseNft(NAME.nft) printed by printNft must be NAME.list, with handles NAME.list-a, by
// printNftJson NAME.json; NAME.list read back and printed must be what the real nft lists after
// `nft -f NAME.list` (NAME.relist where capture.sh stored one, else NAME.list itself); NAME.json
// read back (parseNftJson) and printed must be NAME.json. The first check that fails is returned.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { SourceLine } from '../../../src/rules/iptables/lex.ts';
import { parseNft, parseNftJson, printNft, printNftJson } from '../../../src/rules/nft/index.ts';
import { formatDiagnostic } from '../../../src/rules/diagnostics.ts';

export const corpusDir = import.meta.dirname;

/** The rulesets of the corpus: NAME for every NAME.nft, sorted. */
export function corpusNames(): string[] {
  return readdirSync(corpusDir)
    .filter((f) => f.endsWith('.nft'))
    .map((f) => f.slice(0, -'.nft'.length))
    .sort();
}

function toLines(text: string, file: string): SourceLine[] {
  const parts = text.split('\n');
  if (parts.at(-1) === '') parts.pop();
  return parts.map((t, k) => ({ text: t, file, line: k + 1, column: 1 }));
}

/**
 * Files an `include` names: relative names against the including file's folder (file names are
 * relative to the corpus folder, so that messages do not depend on where the checkout is).
 */
function readFile(path: string, from: string): readonly SourceLine[] | undefined {
  const name = isAbsolute(path) ? path : join(dirname(from), path);
  const full = resolve(corpusDir, name);
  if (!existsSync(full)) return undefined;
  return toLines(readFileSync(full, 'utf8'), name);
}

/**
 * Where two texts first differ: the line, and from a little before the first differing column
 * (a JSON listing is one long line) up to 100 characters of each.
 */
function firstDiff(what: string, want: string, got: string): string | undefined {
  if (want === got) return undefined;
  const a = want.split('\n');
  const b = got.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) {
      const x = a[i] ?? '';
      const y = b[i] ?? '';
      let c = 0;
      while (c < x.length && c < y.length && x[c] === y[c]) c++;
      const from = c > 40 ? c - 30 : 0;
      const show = (s: string | undefined): string => {
        if (s === undefined) return '(end)';
        const part = s.slice(from, from + 100);
        return JSON.stringify((from > 0 ? '…' : '') + part + (s.length > from + 100 ? '…' : ''));
      };
      const col = from > 0 ? `, column ${c + 1}` : '';
      return `${what}: line ${i + 1}${col}: nft ${show(a[i])}, natbox ${show(b[i])}`;
    }
  }
  return `${what}: differs`;
}

/**
 * The interface indexes the devices of a ruleset's `# setup:` lines get in its fresh namespace
 * (lo is 1; `ip link add A type veth peer name B` makes B first, then A, as `ip -o link` shows
 * there), for `iif { ... }` sets, which nft lists in index order.
 */
export function setupIfIndexes(nftText: string): Map<string, number> {
  const idx = new Map<string, number>([['lo', 1]]);
  let next = 2;
  for (const m of nftText.matchAll(/^# setup: (.*)$/gm)) {
    for (const cmd of m[1]!.split(/;|&&/)) {
      const veth = /\bip link add (\S+) type veth peer name (\S+)/.exec(cmd);
      const other = /\bip link add (\S+)/.exec(cmd);
      if (veth) {
        idx.set(veth[2]!, next++);
        idx.set(veth[1]!, next++);
      } else if (other) idx.set(other[1]!, next++);
    }
  }
  return idx;
}

/** The first of the five checks that fails, or undefined when natbox gets all of them right. */
export function check(name: string): string | undefined {
  const nftFile = `${name}.nft`;
  const list = readFileSync(join(corpusDir, `${name}.list`), 'utf8');
  const listA = readFileSync(join(corpusDir, `${name}.list-a`), 'utf8');
  const json = readFileSync(join(corpusDir, `${name}.json`), 'utf8');
  let res;
  try {
    const text = readFileSync(join(corpusDir, nftFile), 'utf8');
    const ifs = setupIfIndexes(text);
    res = parseNft(toLines(text, nftFile), { readFile, ifIndex: (n) => ifs.get(n) });
  } catch (e) {
    return `parseNft(${name}.nft) threw: ${(e as Error).message}`;
  }
  if (!res.ok) return `parseNft(${name}.nft): ${formatDiagnostic(res.diagnostics[0]!)}`;
  const rs = res.ruleset;
  try {
    const d =
      firstDiff('printNft', list, printNft(rs)) ??
      firstDiff('printNft handles', listA, printNft(rs, { handles: true })) ??
      firstDiff('printNftJson', json, printNftJson(rs));
    if (d) return d;
  } catch (e) {
    return `printing threw: ${(e as Error).message}`;
  }
  try {
    const back = parseNft(toLines(list, `${name}.list`));
    if (!back.ok) return `parseNft(${name}.list): ${formatDiagnostic(back.diagnostics[0]!)}`;
    const relistFile = join(corpusDir, `${name}.relist`);
    const relist = existsSync(relistFile) ? readFileSync(relistFile, 'utf8') : list;
    const d = firstDiff('printNft of the list read back', relist, printNft(back.ruleset));
    if (d) return d;
    const j = parseNftJson(json, `${name}.json`);
    if (!j.ok) return `parseNftJson(${name}.json): ${formatDiagnostic(j.diagnostics[0]!)}`;
    return firstDiff('printNftJson of the JSON read back', json, printNftJson(j.ruleset));
  } catch (e) {
    return `reading back threw: ${(e as Error).message}`;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const name of corpusNames()) {
    const d = check(name);
    if (d !== undefined) process.stdout.write(`  '${name}': ${JSON.stringify(d)},\n`);
  }
}
