// How natbox fares on the wild corpus (test/rules/corpus-wild/, issue 13). For every file: does
// the real iptables accept it (in a fresh network namespace, when run as root with ip netns and
// iptables-nft), does natbox load it (loadRulesText, what `natbox rules save` does), the first
// natbox error, and whether natbox's iptables-save text is byte-identical with the kernel's
// (without the `#` lines). Prints a table and the line "natbox loads N of M; identical K".
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

/** Loads the file in a fresh namespace (deleted afterwards); the kernel's save text or undefined. */
function kernelSave(name: string): string | undefined {
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
    return save.stdout
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .join('\n');
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
  if (kernel && theirs !== undefined && ours?.ok)
    identical = printSave(ours.ruleset) === theirs ? 'yes' : 'no';
  else if (kernel && ours?.ok) identical = 'no';
  rows.push({
    file,
    kernelOk: kernel ? (theirs !== undefined ? 'yes' : 'NO') : 'n/a',
    loads,
    error: error.replace(/\s+/g, ' ').slice(0, 110),
    identical,
  });
}

const cols = ['file', 'kernel ok', 'natbox loads', 'first natbox error', 'identical'];
const cells = rows.map((r) => [r.file, r.kernelOk, r.loads ? 'yes' : 'no', r.error || '-', r.identical]);
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
const kernelN = rows.filter((r) => r.kernelOk === 'yes').length;
process.stdout.write(
  `\n${kernel ? `kernel accepts ${kernelN} of ${rows.length}; ` : 'kernel: n/a (needs root, ip netns, iptables-nft); '}` +
    `natbox loads ${loadsN} of ${rows.length}; identical ${kernel ? identicalN : 'n/a'}\n`,
);
