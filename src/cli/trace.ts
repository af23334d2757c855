// `natbox trace`: load, simulate and render each scenario (text, JSON, captures).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simulateScenario } from '../scenario/simulate.ts';
import { buildTraceDoc, type TraceDoc } from '../trace/model.ts';
import { renderText } from '../trace/text.ts';
import { devicesPcapng, linkPcaps } from '../trace/pcap.ts';
import { parseLang, traceViews, wantsTextView } from '../trace/views.ts';

export interface TraceOptions {
  json?: boolean;
  pcap?: string;
  arp?: boolean;
  verbose?: boolean;
  seed: number;
  color: boolean;
  skipUnsupported?: boolean;
  mermaid?: boolean;
  svg?: string;
  story?: boolean;
  lang?: string;
}

/** Reads a file, or says why not in one line. */
export function readInput(file: string): { ok: true; text: string } | { ok: false; error: string } {
  try {
    return { ok: true, text: readFileSync(file === '-' ? 0 : file, 'utf8') };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return {
      ok: false,
      error: `${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message}`,
    };
  }
}

export async function traceCommand(files: string[], opts: TraceOptions): Promise<number> {
  const lang = parseLang(opts.lang ?? 'en');
  if (!lang) {
    process.stderr.write(`natbox: --lang ${opts.lang}: the story is written in en and pt-BR\n`);
    return 2;
  }
  const docs: TraceDoc[] = [];
  let status = 0;
  const color = opts.color && !process.env.NO_COLOR && process.stdout.isTTY === true;
  for (const file of files) {
    const input = readInput(file);
    if (!input.ok) {
      process.stderr.write(`natbox: ${input.error}\n`);
      status = 2;
      continue;
    }
    const r = simulateScenario(input.text, file, {
      seed: opts.seed,
      skipUnsupported: opts.skipUnsupported ?? false,
      readFile: readInput,
    });
    if (!r.ok) {
      for (const e of r.errors) process.stderr.write(`${e}\n`);
      status = 2;
      continue;
    }
    const doc = buildTraceDoc(
      {
        name: r.scenario.name,
        file,
        ...(r.scenario.description ? { description: r.scenario.description } : {}),
      },
      r.sim,
      r.skipped,
    );
    docs.push(doc);
    if (opts.pcap) {
      const dir = files.length > 1 ? join(opts.pcap, r.scenario.name) : opts.pcap;
      mkdirSync(dir, { recursive: true });
      for (const [name, bytes] of linkPcaps(r.sim)) writeFileSync(join(dir, name), bytes);
      writeFileSync(join(dir, 'devices.pcapng'), devicesPcapng(r.sim));
    }
    const views = traceViews(doc, {
      mermaid: opts.mermaid ?? false,
      story: opts.story ?? false,
      lang,
      svg: opts.svg !== undefined,
      arp: opts.arp ?? false,
    });
    if (views.svg && opts.svg)
      writeFileSync(
        files.length > 1 ? opts.svg.replace(/(\.svg)?$/, `-${r.scenario.name}.svg`) : opts.svg,
        views.svg,
      );
    if (!opts.json) {
      const text = wantsTextView({ mermaid: opts.mermaid ?? false, story: opts.story ?? false })
        ? views.text
        : renderText(doc, { color, arp: opts.arp ?? false, verbose: opts.verbose ?? false });
      process.stdout.write(text + '\n');
    }
  }
  if (opts.json) process.stdout.write(JSON.stringify(docs.length === 1 ? docs[0] : docs, null, 2) + '\n');
  return status;
}
