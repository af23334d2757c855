// The topology as SVG: one box per host (its interfaces and bridges with their addresses), a line
// per cable, a small switch for a segment of more than two ends. A hub (the host with most links)
// sits in the middle with the others around it; past a dozen hosts they go on a grid.
import type { Scenario } from '../../src/scenario/model.ts';
import { esc } from './dom.ts';

const W = 190;
const LINE = 15;

interface Box {
  name: string;
  lines: string[];
  x: number;
  y: number;
  h: number;
}

/** The interface's name just outside box `a`, on the line towards `b`. */
function ifLabel(a: Box, b: Box, name: string): string {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len = Math.hypot(dx, dy) || 1;
  const t = Math.min(dx ? W / 2 / Math.abs(dx) : Infinity, dy ? a.h / 2 / Math.abs(dy) : Infinity);
  const x = a.x + dx * t + (dx / len) * 22;
  const y = a.y + dy * t + (dy / len) * 16 + 4;
  return `<text class="ifl" x="${x.toFixed(1)}" y="${y.toFixed(1)}">${esc(name)}</text>`;
}

export function topologySvg(s: Scenario): string {
  const degree = new Map<string, number>();
  for (const l of s.links)
    for (const e of l.endpoints) degree.set(e.value.host, (degree.get(e.value.host) ?? 0) + 1);
  const boxes: Box[] = s.hosts.map((h) => {
    const lines: string[] = [];
    const ported = new Set(h.bridges.flatMap((b) => b.ports.map((p) => p.value)));
    for (const i of h.interfaces) {
      const a = i.addresses.map((x) => x.value).join(' ');
      lines.push(`${i.name.value}${ported.has(i.name.value) ? ' (port)' : ''}${a ? ` ${a}` : ''}`);
    }
    for (const b of h.bridges)
      lines.push(`${b.name.value} ${b.addresses.map((x) => x.value).join(' ') || '(no address)'}`);
    return { name: h.name.value, lines, x: 0, y: 0, h: 26 + LINE * lines.length };
  });
  const n = boxes.length;
  if (n === 0) return '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"></svg>';
  const order = [...boxes].sort((a, b) => (degree.get(b.name) ?? 0) - (degree.get(a.name) ?? 0));
  if (n <= 12) {
    const [hub, ...rest] = order;
    hub!.x = 0;
    hub!.y = 0;
    const r = Math.max(200, rest.length * 45);
    rest.forEach((b, k) => {
      const a =
        -Math.PI / 2 + (2 * Math.PI * k) / Math.max(rest.length, 1) + (rest.length === 2 ? Math.PI / 2 : 0);
      b.x = Math.round(r * 1.25 * Math.cos(a));
      b.y = Math.round(r * 0.8 * Math.sin(a));
    });
  } else {
    const cols = Math.ceil(Math.sqrt(n * 1.5));
    const rowH = Math.max(...boxes.map((b) => b.h)) + 40;
    order.forEach((b, k) => {
      b.x = (k % cols) * (W + 40);
      b.y = Math.floor(k / cols) * rowH;
    });
  }
  const at = new Map(boxes.map((b) => [b.name, b]));
  const parts: string[] = [];
  for (const l of s.links) {
    const ends = l.endpoints.map((e) => e.value);
    const key = ` ${ends.map((e) => `${e.host}:${e.iface}`).join(' ')} `;
    const pts = ends.map((e) => at.get(e.host)).filter((b): b is Box => b !== undefined);
    const label = l.name?.value ?? ends.map((e) => `${e.host}:${e.iface}`).join(' — ');
    parts.push(`<g class="link" data-ends="${esc(key)}"><title>${esc(label)}</title>`);
    if (pts.length === 2) {
      const [a, b] = pts as [Box, Box];
      parts.push(
        `<line x1="${a.x}" y1="${a.y}" x2="${b.x}" y2="${b.y}"/>`,
        ifLabel(a, b, ends[0]!.iface),
        ifLabel(b, a, ends[1]!.iface),
      );
    } else if (pts.length > 2) {
      const cx = pts.reduce((x, b) => x + b.x, 0) / pts.length;
      const cy = pts.reduce((y, b) => y + b.y, 0) / pts.length;
      for (const b of pts) parts.push(`<line x1="${cx}" y1="${cy}" x2="${b.x}" y2="${b.y}"/>`);
      parts.push(`<rect class="switch" x="${cx - 14}" y="${cy - 9}" width="28" height="18" rx="3"/>`);
    }
    parts.push('</g>');
  }
  for (const b of boxes) {
    const x = b.x - W / 2;
    const y = b.y - b.h / 2;
    parts.push(
      `<g class="host" data-host="${esc(b.name)}"><rect x="${x}" y="${y}" width="${W}" height="${b.h}" rx="6"/>`,
      `<text class="hn" x="${b.x}" y="${y + 17}">${esc(b.name)}</text>`,
      ...b.lines.map(
        (t, k) =>
          `<text class="hl" x="${x + 8}" y="${y + 34 + k * LINE}">${esc(t.length > 30 ? `${t.slice(0, 29)}…` : t)}</text>`,
      ),
      '</g>',
    );
  }
  const minX = Math.min(...boxes.map((b) => b.x - W / 2)) - 10;
  const maxX = Math.max(...boxes.map((b) => b.x + W / 2)) + 10;
  const minY = Math.min(...boxes.map((b) => b.y - b.h / 2)) - 10;
  const maxY = Math.max(...boxes.map((b) => b.y + b.h / 2)) + 10;
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="topo-title" viewBox="${minX} ${minY} ${maxX - minX} ${maxY - minY}"><title id="topo-title">Topology of ${esc(s.name)}: ${n} hosts, ${s.links.length} links</title>${parts.join('')}</svg>`;
}
