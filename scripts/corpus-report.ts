// How natbox fares on the wild corpus (test/rules/corpus-wild/, issue 13). For every file: does
// the real iptables accept it (in a fresh network namespace, when run as root with ip netns and
// iptables-nft), does natbox load it (loadRulesText, what `natbox rules save` does), the first
// natbox error, whether natbox's iptables-save text is byte-identical with the kernel's (without
// the `#` lines), and whether natbox's `rules list` text is byte-identical with the kernel's
// `iptables -t T -L -n -v --line-numbers` of every table (each after a `## table T` line).
// Prints a table and the line "natbox loads N of M; identical (save) K; identical (-L) L".
// test/rules/corpus-wild.test.ts asserts the same, with its list of known gaps.
//
//   node --import tsx scripts/corpus-report.ts [--markdown]
//
// Without root the kernel columns read "n/a". Exit code 0 whatever the numbers (a measurement).
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadRulesText } from '../src/rules/load.ts';
import { printSave } from '../src/rules/iptables/print-save.ts';
import { formatDiagnostic } from '../src/rules/diagnostics.ts';
import { listText } from '../src/cli/rules.ts';

const dir = resolve(import.meta.dirname, '..', 'test', 'rules', 'corpus-wild');
const markdown = process.argv.includes('--markdown');
const TIMEOUT = 60_000;

function kernelAvailable(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const ip = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  const ipt = spawnSync('iptables-save', ['--version'], { encoding: 'utf8' });
  return !ip.error && ip.status === 0 && !ipt.error && /nf_tables/.test(ipt.stdout + ipt.stderr);
}
const kernel = kernelAvailable();
let n = 0;

/** Loads the file in a fresh namespace (deleted afterwards); the kernel's save and -L texts. */
function kernelSave(name: string): { save: string; list: string } | undefined {
  const ns = `nbx-report-${process.pid}-${n++}`;
  if (spawnSync('ip', ['netns', 'add', ns]).status !== 0) return undefined;
  try {
    const path = join(dir, name);
    const load = name.endsWith('.sh')
      ? spawnSync('ip', ['netns', 'exec', ns, 'sh', '-e', path], { encoding: 'utf8', timeout: TIMEOUT })
      : spawnSync('ip', ['netns', 'exec', ns, 'iptables-restore'], {
          encoding: 'utf8',
          timeout: TIMEOUT,
          input: readFileSync(path, 'utf8'),
        });
    if (load.error || load.status !== 0) return undefined;
    const save = spawnSync('ip', ['netns', 'exec', ns, 'iptables-save'], {
      encoding: 'utf8',
      timeout: TIMEOUT,
    });
    if (save.error || save.status !== 0) return undefined;
    let list = '';
    for (const m of save.stdout.matchAll(/^\*(\w+)$/gm)) {
      const l = spawnSync(
        'ip',
        ['netns', 'exec', ns, 'iptables', '-t', m[1]!, '-L', '-n', '-v', '--line-numbers'],
        {
          encoding: 'utf8',
          timeout: TIMEOUT,
        },
      );
      if (l.error || l.status !== 0) return undefined;
      list += `## table ${m[1]!}\n${l.stdout}`;
    }
    const text = save.stdout
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .join('\n');
    return { save: text, list };
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
}

interface Row {
  file: string;
  kernelOk: string;
  loads: boolean;
  error: string;
  identical: string;
  identicalList: string;
}

const rows: Row[] = [];
for (const file of readdirSync(dir)
  .filter((f) => f.endsWith('.rules') || f.endsWith('.sh'))
  .sort()) {
  const text = readFileSync(join(dir, file), 'utf8');
  const theirs = kernel ? kernelSave(file) : undefined;
  let ours: ReturnType<typeof loadRulesText> | undefined;
  let crash = '';
  try {
    ours = loadRulesText(text, file);
  } catch (e) {
    crash = `crash: ${e instanceof Error ? e.message : String(e)}`;
  }
  const loads = ours?.ok ?? false;
  const error = ours && !ours.ok ? formatDiagnostic(ours.diagnostics[0]!) : crash;
  let identical = 'n/a';
  let identicalList = 'n/a';
  if (kernel && theirs !== undefined && ours?.ok) {
    identical = printSave(ours.ruleset) === theirs.save ? 'yes' : 'no';
    identicalList = listText(ours.ruleset) === theirs.list ? 'yes' : 'no';
  } else if (kernel && ours?.ok) identical = identicalList = 'no';
  rows.push({
    file,
    kernelOk: kernel ? (theirs !== undefined ? 'yes' : 'NO') : 'n/a',
    loads,
    error: error.replace(/\s+/g, ' ').slice(0, 110),
    identical,
    identicalList,
  });
}

const cols = ['file', 'kernel ok', 'natbox loads', 'first natbox error', 'save identical', '-L identical'];
const cells = rows.map((r) => [
  r.file,
  r.kernelOk,
  r.loads ? 'yes' : 'no',
  r.error || '-',
  r.identical,
  r.identicalList,
]);
if (markdown) {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  process.stdout.write(`| ${cols.join(' | ')} |\n|${cols.map(() => ' --- ').join('|')}|\n`);
  for (const c of cells)
    process.stdout.write(
      `| ${c.map((s, i) => (i === 3 && s !== '-' ? `\`${esc(s)}\`` : esc(s))).join(' | ')} |\n`,
    );
} else {
  const width = cols.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string =>
    c
      .map((s, i) => s.padEnd(width[i]!))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${line(cols)}\n`);
  for (const c of cells) process.stdout.write(`${line(c)}\n`);
}
const loadsN = rows.filter((r) => r.loads).length;
const identicalN = rows.filter((r) => r.identical === 'yes').length;
const identicalListN = rows.filter((r) => r.identicalList === 'yes').length;
const kernelN = rows.filter((r) => r.kernelOk === 'yes').length;
process.stdout.write(
  `\n${kernel ? `kernel accepts ${kernelN} of ${rows.length}; ` : 'kernel: n/a (needs root, ip netns, iptables-nft); '}` +
    `natbox loads ${loadsN} of ${rows.length}; identical (save) ${kernel ? identicalN : 'n/a'}; ` +
    `identical (-L) ${kernel ? identicalListN : 'n/a'}\n`,
);
