// `natbox render --html OUT SCENARIO…`: one self-contained page (the visualizer's built bundle,
// dist/web/index.html from `npm run build:web`, with the scenarios inlined) to attach to a ticket
// or open offline. The page helpers here are shared with `natbox serve`. Node's modules come from
// process.getBuiltinModule when a command runs: this file is part of the startup snapshot, which
// has no dynamic import() of them.
import type { Command } from 'commander';

/** A scenario the page opens with: its name as given and its text. */
export interface PageScenario {
  readonly file: string;
  readonly text: string;
}

/** The built page with `scenarios` put in (the page opens the first); `<` escaped so no tag ends early. */
export function pageWithScenarios(page: string, scenarios: readonly PageScenario[]): string {
  const json = JSON.stringify(scenarios).replace(/</g, '\\u003c');
  const tag = `<script type="application/json" id="natbox-scenarios">${json}</script>\n`;
  const at = page.indexOf('</head>');
  return at < 0 ? tag + page : page.slice(0, at) + tag + page.slice(at);
}

/**
 * The built page: `--page FILE`, else dist/web/index.html above this module or the program; the
 * error says how to build it (exit 3: a missing piece of the environment, not bad input).
 */
export async function readPage(
  explicit: string | undefined,
): Promise<{ ok: true; html: string; path: string } | { ok: false; error: string }> {
  const { existsSync, readFileSync, realpathSync } = process.getBuiltinModule('node:fs');
  const { dirname, resolve } = process.getBuiltinModule('node:path');
  if (explicit !== undefined) {
    if (!existsSync(explicit)) return { ok: false, error: `--page ${explicit}: no such file` };
    return { ok: true, html: readFileSync(explicit, 'utf8'), path: explicit };
  }
  const starts: string[] = [];
  if (typeof import.meta.dirname === 'string') starts.push(import.meta.dirname);
  // Started from the startup snapshot (bin/natbox): the blob lies in natbox's dist/.
  const blob = process.execArgv.findIndex((a) => a === '--snapshot-blob' || a.startsWith('--snapshot-blob='));
  if (blob >= 0) {
    const a = process.execArgv[blob]!;
    const path = a.includes('=') ? a.slice(a.indexOf('=') + 1) : process.execArgv[blob + 1];
    if (path) starts.push(dirname(resolve(path)));
  }
  if (process.argv[1]) {
    try {
      starts.push(dirname(realpathSync(process.argv[1])));
    } catch {
      // not a file (node -e): only the module's own place
    }
  }
  for (const s of starts) {
    let d = s;
    for (let i = 0; i < 8; i++) {
      const p = resolve(d, 'dist/web/index.html');
      if (existsSync(p)) return { ok: true, html: readFileSync(p, 'utf8'), path: p };
      const up = dirname(d);
      if (up === d) break;
      d = up;
    }
  }
  return {
    ok: false,
    error:
      'the visualizer page is not built: run `npm run build:web` in natbox’s folder first (or give --page FILE)',
  };
}

/** Each file read and checked to load as a scenario; errors as FILE:LINE:COLUMN lines. */
export async function readScenarios(
  files: readonly string[],
): Promise<{ ok: true; scenarios: PageScenario[] } | { ok: false; errors: string[] }> {
  const { readInput } = await import('../input.ts');
  const { prepareScenario } = await import('../../scenario/simulate.ts');
  const scenarios: PageScenario[] = [];
  const errors: string[] = [];
  for (const file of files) {
    const input = readInput(file);
    if (!input.ok) {
      errors.push(`natbox: ${input.error}`);
      continue;
    }
    const p = prepareScenario(input.text, file);
    if (!p.ok) errors.push(...p.errors);
    else scenarios.push({ file, text: input.text });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, scenarios };
}

/** Where a command writes: standard output and error unless a caller (a test) says otherwise. */
export interface Io {
  out(s: string): void;
  err(s: string): void;
}
export const STDIO: Io = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
};

export async function renderCommand(
  files: string[],
  opts: { html: string; page?: string },
  io: Io = STDIO,
): Promise<number> {
  const read = await readScenarios(files);
  if (!read.ok) {
    io.err(read.errors.join('\n') + '\n');
    return 2;
  }
  const page = await readPage(opts.page);
  if (!page.ok) {
    io.err(`natbox: ${page.error}\n`);
    return 3;
  }
  const { writeFileSync } = process.getBuiltinModule('node:fs');
  const html = pageWithScenarios(page.html, read.scenarios);
  try {
    writeFileSync(opts.html, html);
  } catch (e) {
    io.err(`natbox: ${opts.html}: ${(e as Error).message}\n`);
    return 2;
  }
  io.out(
    `wrote ${opts.html} (${(html.length / 1024).toFixed(0)} KiB, ${read.scenarios.length} scenario${read.scenarios.length === 1 ? '' : 's'}; open it in a browser, no server needed)\n`,
  );
  return 0;
}

export function registerRender(program: Command): void {
  program
    .command('render')
    .description(
      'write one self-contained HTML page of the visualizer with the scenarios inlined (opens offline)',
    )
    .argument('<scenario...>', 'scenario files (YAML); the page opens the first')
    .requiredOption('--html <file>', 'the page to write')
    .option('--page <file>', 'the built visualizer page to start from (default: dist/web/index.html)')
    .action(async (files: string[], opts: { html: string; page?: string }) => {
      process.exitCode = await renderCommand(files, opts);
    });
}
