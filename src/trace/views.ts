// The extra views of `natbox trace` over one TraceDoc, in one call for the CLI: the Mermaid
// sequence diagram (`--mermaid`), the step list in words (`--story`, `--lang en|pt-BR`) and the
// SVG sequence diagram (`--svg FILE`). Pure: returns text; the caller prints it and writes files.
import type { TraceDoc } from './model.ts';
import { renderMermaid } from './mermaid.ts';
import { renderStory, STORY_LANGS, type StoryLang } from './story.ts';
import { renderSvg } from './svg.ts';

export interface TraceViewOptions {
  mermaid?: boolean;
  story?: boolean;
  /** Language of the story: `en` (default) or `pt-BR`. */
  lang?: StoryLang;
  /** Render the SVG diagram (the caller writes it where `--svg` says). */
  svg?: boolean;
  /** Show ARP frames in the diagrams. */
  arp?: boolean;
}

export interface TraceViews {
  /** What goes to standard output: the story and/or the Mermaid diagram, or '' for none. */
  text: string;
  /** The SVG document, when asked for. */
  svg?: string;
}

/** True when the options ask for a view that replaces the usual text trace on standard output. */
export const wantsTextView = (o: TraceViewOptions): boolean => Boolean(o.mermaid || o.story);

/** `en` or `pt-BR` (also `pt`, `pt-br`, `pt_BR`); undefined for a language the story is not written in. */
export function parseLang(s: string | undefined): StoryLang | undefined {
  if (s === undefined) return 'en';
  const k = s.replace('_', '-').toLowerCase();
  if (k === 'en' || k.startsWith('en-')) return 'en';
  if (k === 'pt' || k === 'pt-br') return 'pt-BR';
  return STORY_LANGS.find((l) => l === s);
}

export function traceViews(doc: TraceDoc, o: TraceViewOptions): TraceViews {
  const parts: string[] = [];
  if (o.story) parts.push(renderStory(doc, { lang: o.lang ?? 'en' }));
  if (o.mermaid) parts.push(renderMermaid(doc, { arp: o.arp ?? false }));
  const out: TraceViews = { text: parts.join('\n') };
  if (o.svg) out.svg = renderSvg(doc, { arp: o.arp ?? false });
  return out;
}

/**
 * The trace of the named flows only (`--flow NAME`): their steps, their verdicts, and the conntrack
 * entries at the end that their steps created (same host, same original tuple). ARP frames, which
 * belong to no flow, are kept: they say which next hop each packet was sent to (shown with --arp).
 */
export function filterDoc(doc: TraceDoc, names: readonly string[]): TraceDoc {
  const keep = new Set(names);
  const steps = doc.steps.filter((s) =>
    s.flow !== undefined ? keep.has(s.flow) : s.kind === 'packet' && s.packet.proto === 'arp',
  );
  const origs = new Set<string>();
  for (const s of steps) if (s.kind === 'ct-event') origs.add(`${s.host} ${JSON.stringify(s.entry.orig)}`);
  const conntrack: TraceDoc['conntrack'] = {};
  for (const [h, list] of Object.entries(doc.conntrack)) {
    const l = list.filter((e) => origs.has(`${h} ${JSON.stringify(e.entry.orig)}`));
    if (l.length > 0) conntrack[h] = l;
  }
  return { ...doc, steps, flows: doc.flows.filter((f) => keep.has(f.name)), conntrack };
}
