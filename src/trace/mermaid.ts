// The trace as a Mermaid `sequenceDiagram` (GitHub renders it in Markdown inside ```mermaid): the
// hosts as participants, an arrow per packet hop on a wire, notes for NAT rewrites, rule matches
// and socket decisions, and each flow's verdict at the end. Built from sequence.ts; pure text.
import { buildSequence, expectationMark, type SequenceOptions } from './sequence.ts';
import type { TraceDoc } from './model.ts';

export interface MermaidOptions extends SequenceOptions {
  /** Wrap the diagram in a ```mermaid fence (for a Markdown file). */
  fence?: boolean;
}

// Mermaid reads `;` as the end of a statement and `#…;` as an entity, and sanitizes `<…>` as
// HTML: write them as entities (https://mermaid.js.org/syntax/sequenceDiagram.html#entity-codes-to-escape-characters).
function text(s: string): string {
  return s
    .replace(/#/g, '#35;')
    .replace(/;/g, '#59;')
    .replace(/</g, '#lt;')
    .replace(/>/g, '#gt;')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Escapes and breaks text into lines of about `width` characters (and at `\n`), joined with `<br/>`. */
function wrap(s: string, width: number): string {
  const lines: string[] = [];
  for (const para of s.split('\n')) {
    let cur = '';
    for (const w of text(para).split(' ')) {
      if (cur && cur.length + 1 + w.length > width) {
        lines.push(cur);
        cur = w;
      } else cur = cur ? `${cur} ${w}` : w;
    }
    if (cur) lines.push(cur);
  }
  return lines.join('<br/>');
}

const KEYWORDS = new Set([
  'participant',
  'actor',
  'as',
  'note',
  'over',
  'left',
  'right',
  'of',
  'loop',
  'alt',
  'else',
  'opt',
  'par',
  'and',
  'end',
  'rect',
  'critical',
  'break',
  'box',
  'create',
  'destroy',
  'activate',
  'deactivate',
  'autonumber',
  'title',
  'links',
  'link',
]);

export function renderMermaid(doc: TraceDoc, opts: MermaidOptions = {}): string {
  const seq = buildSequence(doc, opts);
  const ids = new Map<string, string>();
  const out: string[] = [];
  if (opts.fence) out.push('```mermaid');
  out.push('sequenceDiagram');
  out.push(`    title ${text(seq.title)}`);
  seq.hosts.forEach((h, i) => {
    const plain = /^[A-Za-z][A-Za-z0-9_]*$/.test(h) && !KEYWORDS.has(h.toLowerCase());
    const id = plain ? h : `h${i}`;
    ids.set(h, id);
    out.push(plain ? `    participant ${id}` : `    participant ${id} as ${text(h)}`);
  });
  const first = ids.get(seq.hosts[0] ?? '') ?? '';
  const last = ids.get(seq.hosts[seq.hosts.length - 1] ?? '') ?? '';
  const span = first === last ? first : `${first},${last}`;
  for (const e of seq.events) {
    switch (e.kind) {
      case 'arrow':
        out.push(
          `    ${ids.get(e.hop.from)}${e.alarm ? '-x' : '->>'}${ids.get(e.hop.to)}: ${text(e.label)} (${e.hop.t.toFixed(4)} s)`,
        );
        break;
      case 'note':
        out.push(`    Note over ${ids.get(e.host)}: ${wrap(e.text, 60)}`);
        break;
      case 'verdict': {
        const f = e.flow;
        const mark = expectationMark(f);
        const head = `flow "${f.name}": ${f.verdict.toUpperCase()}${mark ? ` ${mark}` : ''}`;
        out.push(`    Note over ${span}: ${wrap(head, 80)}<br/>${wrap(f.reason, 80)}`);
        break;
      }
    }
  }
  if (opts.fence) out.push('```');
  return out.join('\n') + '\n';
}
