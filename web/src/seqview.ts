// The sequence diagram of a run as SVG: a lifeline per host, an arrow per packet on a wire (label:
// addresses, ports, flags), notes for what hosts did (NAT, rules, sockets, drops), then each flow's
// verdict. Built from the trace layer's Sequence (src/trace/sequence.ts), the same events the CLI's
// --svg and --mermaid draw; here each arrow carries its index so the step control can light it.
import type { Run } from './engine.ts';
import { esc } from './dom.ts';

const COL = 230;
const TOP = 44;
const ARROW_H = 38;
const NOTE_LINE = 14;
const WRAP = 34;

function wrap(text: string, width = WRAP, max = 5): string[] {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const w of para.split(' ')) {
      if (line && line.length + 1 + w.length > width) {
        out.push(line);
        line = w;
      } else line = line ? `${line} ${w}` : w;
    }
    out.push(line);
  }
  return out.length > max ? [...out.slice(0, max - 1), `${out[max - 1]!.slice(0, width - 1)}…`] : out;
}

/** The diagram of every flow, or of one (`flow`: its packets, the notes after them, its verdict). */
export function sequenceSvg(run: Run, flow?: string): string {
  const { seq, arrows } = run;
  const x = (h: string): number => COL / 2 + seq.hosts.indexOf(h) * COL;
  const width = Math.max(seq.hosts.length, 1) * COL;
  const parts: string[] = [];
  let y = TOP + 10;
  let k = 0;
  // A note belongs to the flow of the packet it follows.
  let last: string | undefined;
  for (const e of seq.events) {
    if (flow !== undefined) {
      if (e.kind === 'arrow') last = arrows[k]!.flow;
      const mine = e.kind === 'verdict' ? e.flow.name === flow : last === flow;
      if (!mine) {
        if (e.kind === 'arrow') k++;
        continue;
      }
    }
    if (e.kind === 'arrow') {
      const a = arrows[k]!;
      const x1 = x(e.hop.from);
      const x2 = x(e.hop.to);
      const dir = x2 >= x1 ? 1 : -1;
      const yy = y + 24;
      const cls = `arrow${a.alarm ? ' alarm' : ''}${a.translated ? ' translated' : ''}`;
      const mark = a.alarm ? '✖ ' : a.translated ? '⇄ ' : '';
      parts.push(
        `<g class="${cls}" data-i="${k}"><title>${esc(`${k + 1}. ${e.hop.from}:${e.hop.fromIf} → ${e.hop.to}:${e.hop.toIf} at ${e.hop.t.toFixed(4)} s\n${e.hop.packet.summary}${a.translated ? `\ntranslated by ${e.hop.from}` : ''}${a.alarm ? '\nreset' : ''}`)}</title>`,
        `<rect class="hit" x="${Math.min(x1, x2)}" y="${y}" width="${Math.abs(x2 - x1) || 10}" height="${ARROW_H}"/>`,
        `<line x1="${x1}" y1="${yy}" x2="${x2 - dir * 8}" y2="${yy}"/>`,
        `<polygon points="${x2},${yy} ${x2 - dir * 10},${yy - 5} ${x2 - dir * 10},${yy + 5}"/>`,
        `<text x="${(x1 + x2) / 2}" y="${yy - 6}">${esc(`${k + 1}. ${mark}${e.label}`)}</text>`,
        '</g>',
      );
      y += ARROW_H;
      k++;
    } else if (e.kind === 'note') {
      const lines = wrap(e.text);
      const h = lines.length * NOTE_LINE + 8;
      const cx = x(e.host);
      parts.push(
        `<g class="note ${e.tone}"><title>${esc(e.text)}</title><rect x="${cx - COL / 2 + 12}" y="${y + 2}" width="${COL - 24}" height="${h}" rx="3"/>`,
        ...lines.map(
          (l, i) => `<text x="${cx - COL / 2 + 18}" y="${y + 14 + i * NOTE_LINE}">${esc(l)}</text>`,
        ),
        '</g>',
      );
      y += h + 6;
    } else {
      const f = e.flow;
      const ok = f.verdict === 'connected' || f.verdict === 'reply';
      parts.push(
        `<g class="verdict ${ok ? 'good' : 'bad'}"><rect x="6" y="${y + 4}" width="${width - 12}" height="24" rx="4"/>`,
        `<text x="14" y="${y + 21}">${esc(`${f.name}: ${f.verdict}`)}</text></g>`,
      );
      y += 32;
    }
  }
  const height = y + 10;
  const heads = seq.hosts
    .map(
      (h) =>
        `<line class="life" x1="${x(h)}" y1="${TOP}" x2="${x(h)}" y2="${height}"/><g class="head"><rect x="${x(h) - COL / 2 + 20}" y="6" width="${COL - 40}" height="28" rx="5"/><text x="${x(h)}" y="25">${esc(h)}</text></g>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="seq-title" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><title id="seq-title">Sequence of ${esc(seq.title)}: ${arrows.length} packets</title>${heads}${parts.join('')}</svg>`;
}
