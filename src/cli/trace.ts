// `natbox trace`: load, simulate and render each scenario (text, JSON, captures), optionally for
// some flows only (`--flow NAME`), with each host's rule counters after the run (`--counters`).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareScenario } from '../scenario/simulate.ts';
import { simulate } from '../sim/run.ts';
import { printSave } from '../rules/iptables/print-save.ts';
import type { Ruleset } from '../rules/iptables/model.ts';
import { printNft } from '../rules/nft/index.ts';
import { buildTraceDoc, type TraceDoc } from '../trace/model.ts';
import { renderText } from '../trace/text.ts';
import { devicesPcapng, linkPcaps } from '../trace/pcap.ts';
import { filterDoc, parseLang, traceViews, wantsTextView } from '../trace/views.ts';
import { listText } from './rules.ts';
import { readInput } from './input.ts';

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
  /** Only these flows (by name). */
  flow?: string[];
  /** Columns of the text trace: a number, 0 for no limit; default the terminal's, else 80. */
  width?: string;
  /** Print each host's rule counters after the run, as iptables -L -v -n --line-numbers does. */
  counters?: boolean;
  /** The same as iptables-save -c does. */
  countersSave?: boolean;
}

/** `--flow "x": no such flow in FILE (its flows: "a", "b")`. */
export function noSuchFlow(missing: readonly string[], names: readonly string[], where: string): string {
  const q = (n: string): string => JSON.stringify(n);
  return `natbox: --flow ${missing.map(q).join(', ')}: no such flow in ${where} (its flows: ${names.map(q).join(', ') || 'none'})`;
}

/** The width the text trace fits: `--width N`, else the terminal's columns, else 80. */
export function textWidth(opt: string | undefined): number | undefined {
  if (opt !== undefined) {
    if (!/^\d{1,4}$/.test(opt)) return undefined;
    return Number(opt);
  }
  return process.stdout.isTTY && process.stdout.columns ? process.stdout.columns : 80;
}

/** Each host's rules with their counters after the run, as iptables -L -v -n or iptables-save -c prints them. */
export function countersText(
  rulesets: ReadonlyMap<string, Ruleset>,
  form: 'list' | 'save',
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [host, rs] of rulesets)
    out[host] = form === 'save' ? printSave(rs, { counters: true }) : listText(rs);
  return out;
}

/** Reads a file, or says why not in one line. */
export async function traceCommand(files: string[], opts: TraceOptions): Promise<number> {
  const lang = parseLang(opts.lang ?? 'en');
  if (!lang) {
    process.stderr.write(`natbox: --lang ${opts.lang}: the story is written in en and pt-BR\n`);
    return 2;
  }
  const width = textWidth(opts.width);
  if (width === undefined) {
    process.stderr.write(`natbox: --width ${opts.width}: expected a number of columns (0: no limit)\n`);
    return 2;
  }
  const countersForm = opts.countersSave ? 'save' : opts.counters ? 'list' : undefined;
  const docs: TraceDoc[] = [];
  const texts: string[] = [];
  const allFlows: string[] = [];
  let status = 0;
  const color = opts.color && !process.env.NO_COLOR && process.stdout.isTTY === true;
  for (const file of files) {
    const input = readInput(file);
    if (!input.ok) {
      process.stderr.write(`natbox: ${input.error}\n`);
      status = 2;
      continue;
    }
    const p = prepareScenario(input.text, file, {
      skipUnsupported: opts.skipUnsupported ?? false,
      readFile: readInput,
    });
    if (!p.ok) {
      for (const e of p.errors) process.stderr.write(`${e}\n`);
      status = 2;
      continue;
    }
    for (const w of p.built.warnings ?? []) process.stderr.write(`warning: ${file}: ${w}\n`);
    for (const n of p.built.notes ?? []) process.stderr.write(`note: ${n}\n`);
    const r = { scenario: p.scenario, sim: simulate(p.built.world, p.built.flows, { seed: opts.seed }) };
    let doc = buildTraceDoc(
      {
        name: r.scenario.name,
        file,
        ...(r.scenario.description ? { description: r.scenario.description } : {}),
      },
      r.sim,
      p.built.skipped,
    );
    if (opts.flow && opts.flow.length > 0) {
      // A name may be in some of the files only: a file with none of them shows nothing.
      for (const f of doc.flows) allFlows.push(f.name);
      doc = filterDoc(doc, opts.flow);
      if (doc.flows.length === 0 && files.length > 1) continue;
    }
    if (countersForm) {
      doc.counters = countersText(p.built.rulesets, countersForm);
      // nftables: `nft list ruleset` after the run (rule and element counters, the elements the
      // packet path added to sets and maps, their time left), after a host's iptables rules.
      for (const [name, h] of r.sim.world.hosts) {
        const rs = h.nftListing(r.sim.end);
        if (rs && rs.tables.length) doc.counters[name] = (doc.counters[name] ?? '') + printNft(rs);
      }
    }
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
        : renderText(doc, {
            color,
            arp: opts.arp ?? false,
            verbose: opts.verbose ?? false,
            ...(width > 0 ? { width } : {}),
          });
      texts.push(text + '\n');
    }
  }
  if (opts.flow && opts.flow.length > 0 && status === 0) {
    const missing = opts.flow.filter((n) => !allFlows.includes(n));
    if (missing.length > 0) {
      process.stderr.write(`${noSuchFlow(missing, allFlows, files.join(', '))}\n`);
      return 2;
    }
  }
  if (opts.json) process.stdout.write(JSON.stringify(docs.length === 1 ? docs[0] : docs, null, 2) + '\n');
  else process.stdout.write(texts.join(''));
  return status;
}
