// `natbox check FILE...`: load each scenario, check it (src/check), print the report as text or
// JSON. Exit 0 nothing broken, 1 something broken, 2 bad input (3: --verify without root/tools).
import { prepareScenario } from '../scenario/simulate.ts';
import { checkScenario } from '../check/index.ts';
import { matrixOf, diffMatrix } from '../check/matrix.ts';
import { renderCheck } from '../check/render.ts';
import type { CheckReport } from '../check/model.ts';
import { parseLang } from '../trace/views.ts';
import { readInput } from './input.ts';
import { verifyFixed } from './check-verify.ts';

export interface CheckCliOptions {
  json?: boolean;
  lang: string;
  matrix?: boolean;
  against?: string;
  verify?: boolean;
  proof: boolean;
  width: string;
}

function load(file: string): ReturnType<typeof prepareScenario> | { ok: false; errors: string[] } {
  const input = readInput(file);
  if (!input.ok) return { ok: false, errors: [`natbox: ${input.error}`] };
  return prepareScenario(input.text, file, { readFile: readInput });
}

export async function checkCommand(files: string[], opts: CheckCliOptions): Promise<number> {
  const lang = parseLang(opts.lang ?? 'en');
  if (!lang) {
    process.stderr.write(`natbox: --lang ${opts.lang}: check is written in en and pt-BR\n`);
    return 2;
  }
  if (!/^\d{1,4}$/.test(opts.width) || Number(opts.width) < 40) {
    process.stderr.write(`natbox: --width ${opts.width}: expected a number of columns (40 or more)\n`);
    return 2;
  }
  if (opts.against && !opts.matrix) {
    process.stderr.write('natbox: --against needs --matrix\n');
    return 2;
  }
  const reports: CheckReport[] = [];
  let bad = false;
  for (const file of files) {
    const p = load(file);
    if (!p.ok) {
      for (const e of p.errors) process.stderr.write(`${e}\n`);
      bad = true;
      continue;
    }
    // The nft notes (an ip6 table, an inet table's IPv6 half), as natbox test and trace say them.
    for (const n of p.built.notes ?? []) process.stderr.write(`note: ${n}\n`);
    let report = checkScenario(p.scenario, p.built, { lang, prove: opts.proof });
    if (opts.matrix) {
      let matrix = matrixOf(p.built);
      if (opts.against) {
        const q = load(opts.against);
        if (!q.ok) {
          for (const e of q.errors) process.stderr.write(`${e}\n`);
          return 2;
        }
        matrix = diffMatrix(matrix, matrixOf(q.built));
      }
      report = { ...report, matrix };
    }
    reports.push(report);
  }
  if (bad) return 2;
  if (opts.json)
    process.stdout.write(JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2) + '\n');
  else process.stdout.write(reports.map((r) => renderCheck(r, Number(opts.width))).join('\n'));
  if (opts.verify) {
    const rc = await verifyFixed(files, reports, (s) => process.stderr.write(s));
    if (rc !== 0) return rc;
  }
  return reports.some((r) => r.broken) ? 1 : 0;
}
