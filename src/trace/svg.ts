// The trace as a standalone SVG sequence diagram (opens in any browser, no script, no web font):
// each host a lifeline, each packet hop on a wire an arrow labelled with its protocol, flags,
// addresses and ports, with the time at the left; notes beside a lifeline for NAT rewrites
// (yellow), rule matches (purple), socket decisions (grey; red when the client refuses an answer
// or gives up); each flow's verdict and reason in a box at the end (green when as expected, red
// when not). Built from sequence.ts; pure text, laid out with a monospace font so widths are known.
import type { TraceDoc } from './model.ts';
import { buildSequence, expectationMark, type NoteTone, type SequenceOptions } from './sequence.ts';

export type SvgOptions = SequenceOptions;

const FONT = 12;
/** Advance of one character of a monospace font at FONT px (DejaVu Sans Mono, Menlo, Consolas ≈ 0.6 em). */
const CH = FONT * 0.61;
const LINE = 15;
const MARGIN = 16;
const TIME_W = 78;
const HEAD_H = 30;
const NOTE_CHARS = 64;

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Lines of at most about `width` characters, broken between words and at each `\n`. */
function wrap(s: string, width: number): string[] {
  const lines: string[] = [];
  for (const para of s.split('\n')) {
    let cur = '';
    for (const w of para.replace(/\s+/g, ' ').trim().split(' ')) {
      if (cur && cur.length + 1 + w.length > width) {
        lines.push(cur);
        cur = w;
      } else cur = cur ? `${cur} ${w}` : w;
    }
    if (cur) lines.push(cur);
  }
  return lines;
}

const TONES: Record<NoteTone | 'pass' | 'fail' | 'plain', { fill: string; stroke: string; text: string }> = {
  nat: { fill: '#fff6cc', stroke: '#c9a227', text: '#4d3b00' },
  rule: { fill: '#f1eaff', stroke: '#7e57c2', text: '#36215f' },
  socket: { fill: '#eef3f7', stroke: '#90a4ae', text: '#263238' },
  alarm: { fill: '#fdecee', stroke: '#c62828', text: '#7f1010' },
  info: { fill: '#f4f4f4', stroke: '#9e9e9e', text: '#333333' },
  pass: { fill: '#e8f5e9', stroke: '#2e7d32', text: '#1b3d1e' },
  fail: { fill: '#fdecee', stroke: '#c62828', text: '#7f1010' },
  plain: { fill: '#f4f4f4', stroke: '#757575', text: '#212121' },
};

export function renderSvg(doc: TraceDoc, opts: SvgOptions = {}): string {
  const seq = buildSequence(doc, opts);
  const n = Math.max(1, seq.hosts.length);
  // A loop, not Math.max(...events): a trace can hold millions of events.
  let labelMax = 20;
  for (const e of seq.events) if (e.kind === 'arrow' && e.label.length > labelMax) labelMax = e.label.length;
  for (const h of seq.hosts) if (h.length + 4 > labelMax) labelMax = h.length + 4;
  const gap = Math.max(240, Math.min(600, labelMax * CH + 48));
  const x0 = MARGIN + TIME_W + Math.max(110, (NOTE_CHARS * CH) / 2 - gap / 2 + 20);
  const xOf = new Map(seq.hosts.map((h, i) => [h, x0 + i * gap]));
  const body: string[] = [];
  let y = MARGIN + 28 + HEAD_H + 18;
  let right = x0 + (n - 1) * gap + 110;

  const box = (
    cx: number,
    top: number,
    lines: string[],
    tone: keyof typeof TONES,
    minW = 0,
    bold = false,
  ): number => {
    let longest = 0;
    for (const l of lines) if (l.length > longest) longest = l.length;
    const w = Math.max(minW, longest * CH + 16);
    const h = lines.length * LINE + 8;
    const left = Math.max(MARGIN, cx - w / 2);
    right = Math.max(right, left + w + MARGIN);
    const c = TONES[tone];
    body.push(
      `<rect x="${left.toFixed(1)}" y="${top}" width="${w.toFixed(1)}" height="${h}" rx="4" fill="${c.fill}" stroke="${c.stroke}"/>`,
    );
    lines.forEach((l, i) =>
      body.push(
        `<text x="${(left + 8).toFixed(1)}" y="${top + 4 + (i + 1) * LINE - 4}" fill="${c.text}"${bold && i === 0 ? ' font-weight="bold"' : ''}>${esc(l)}</text>`,
      ),
    );
    return h;
  };

  for (const e of seq.events) {
    switch (e.kind) {
      case 'arrow': {
        const a = xOf.get(e.hop.from)!;
        const b = xOf.get(e.hop.to)!;
        const colour = e.alarm ? '#c62828' : b > a ? '#1565c0' : '#2e7d32';
        const ly = y + 14;
        const ay = y + 20;
        body.push(
          `<text x="${MARGIN}" y="${ay + 4}" class="time">${e.hop.t.toFixed(4)} s</text>`,
          `<text x="${((a + b) / 2).toFixed(1)}" y="${ly}" text-anchor="middle" fill="${colour}">${esc(e.label)}</text>`,
          `<line x1="${a}" y1="${ay}" x2="${b + (b > a ? -2 : 2)}" y2="${ay}" stroke="${colour}" stroke-width="1.6" marker-end="url(#${e.alarm ? 'head-alarm' : b > a ? 'head-right' : 'head-left'})"/>`,
          `<text x="${a + (b > a ? 4 : -4)}" y="${ay + 13}" text-anchor="${b > a ? 'start' : 'end'}" class="ifname">${esc(e.hop.fromIf)}</text>`,
          `<text x="${b + (b > a ? -8 : 8)}" y="${ay + 13}" text-anchor="${b > a ? 'end' : 'start'}" class="ifname">${esc(e.hop.toIf)}</text>`,
        );
        y += 36;
        break;
      }
      case 'note': {
        const h = box(xOf.get(e.host)!, y + 2, wrap(e.text, NOTE_CHARS), e.tone);
        y += h + 8;
        break;
      }
      case 'verdict': {
        const f = e.flow;
        const mark = expectationMark(f);
        const tone = f.pass === undefined ? 'plain' : f.pass ? 'pass' : 'fail';
        const span = (n - 1) * gap + 160;
        const chars = Math.max(40, Math.floor((span - 16) / CH));
        const lines = [
          ...wrap(`flow "${f.name}": ${f.verdict.toUpperCase()}${mark ? `  ${mark}` : ''}`, chars),
          ...wrap(f.reason, chars),
        ];
        const h = box(x0 + ((n - 1) * gap) / 2, y + 6, lines, tone, span, true);
        y += h + 14;
        break;
      }
    }
  }
  const bottom = y + 10;
  const height = bottom + HEAD_H + MARGIN;
  const width = Math.ceil(right);
  const heads: string[] = [];
  for (const [h, x] of xOf) {
    const w = Math.max(90, h.length * CH + 24);
    for (const top of [MARGIN + 28, bottom]) {
      heads.push(
        `<rect x="${(x - w / 2).toFixed(1)}" y="${top}" width="${w.toFixed(1)}" height="${HEAD_H}" rx="5" class="host"/>`,
        `<text x="${x}" y="${top + 19}" text-anchor="middle" class="hostname">${esc(h)}</text>`,
      );
    }
    heads.unshift(`<line x1="${x}" y1="${MARGIN + 28 + HEAD_H}" x2="${x}" y2="${bottom}" class="lifeline"/>`);
  }
  const marker = (id: string, colour: string): string =>
    `<marker id="${id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${colour}"/></marker>`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="'DejaVu Sans Mono', Menlo, Consolas, 'Liberation Mono', monospace" font-size="${FONT}">`,
    `<title>${esc(`${doc.scenario.name}: packet sequence (natbox)`)}</title>`,
    '<style>.host{fill:#263238;stroke:#263238}.hostname{fill:#ffffff;font-weight:bold;font-size:13px}.lifeline{stroke:#b0bec5;stroke-width:1.5;stroke-dasharray:5 4}.time{fill:#757575;font-size:11px}.ifname{fill:#90a4ae;font-size:10px}.title{font-size:15px;font-weight:bold;fill:#212121}</style>',
    `<defs>${marker('head-right', '#1565c0')}${marker('head-left', '#2e7d32')}${marker('head-alarm', '#c62828')}</defs>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${MARGIN}" y="${MARGIN + 12}" class="title">${esc(doc.scenario.name)}</text>`,
    `<text x="${MARGIN}" y="${MARGIN + 12}" dx="${((doc.scenario.name.length + 2) * 15 * 0.61).toFixed(1)}" class="time">${esc(doc.scenario.file)}</text>`,
    ...heads,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
