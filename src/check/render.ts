// natbox check's report as text for people, 80 columns: each finding with its cause, evidence,
// the fix to paste (and its alternative and cost) and the proof; then a one-line summary.
import type { CheckReport, Finding, Matrix } from './model.ts';
import { frame, type Lang } from './words.ts';

/** Wraps `text` to `width` columns, every line after the first indented by `indent`. */
export function wrap(text: string, width: number, first: string, indent: string): string[] {
  const words = text.split(/\s+/).filter((w) => w !== '');
  const lines: string[] = [];
  let cur = first;
  let fresh = true;
  for (const w of words) {
    if (!fresh && cur.length + 1 + w.length > width) {
      lines.push(cur);
      cur = indent + w;
    } else cur += (fresh ? '' : ' ') + w;
    fresh = false;
  }
  lines.push(cur);
  return lines;
}

/** A command line, never wrapped inside (pasted as is): long ones continue with a backslash. */
function command(cmd: string, width: number, indent: string): string[] {
  if (indent.length + cmd.length <= width) return [indent + cmd];
  return wrap(cmd, width - 2, indent, `${indent}    `).map((l, i, all) =>
    i < all.length - 1 ? `${l} \\` : l,
  );
}

function findingText(f: Finding, lang: Lang, width: number): string[] {
  const out: string[] = [];
  const sev = frame(f.severity === 'info' ? 'info' : f.severity, lang);
  out.push(...wrap(f.title, width, `${sev.toUpperCase()} [${f.cause}] `, '  '));
  out.push(...wrap(f.explanation, width, '  ', '  '));
  const ev = f.evidence;
  if (ev.packet) out.push(...wrap(ev.packet, width, `  ${frame('packet', lang)}: `, '    '));
  if (ev.rule)
    out.push(
      ...wrap(`${ev.rule}${ev.where ? `  (${ev.where})` : ''}`, width, `  ${frame('rule', lang)}: `, '    '),
    );
  if (ev.conntrack) out.push(...wrap(ev.conntrack, width, `  ${frame('conntrack', lang)}: `, '    '));
  if (f.flows.length > 0) out.push(...wrap(f.flows.join('; '), width, `  ${frame('flows', lang)}: `, '    '));
  if (f.fix) {
    const fx = f.fix;
    if (fx.dialect === 'advice') {
      out.push(`  ${frame('fix', lang)}: ${frame('noProof', lang)};`);
      for (const c of fx.commands) out.push(...wrap(c, width, '    ', '    '));
    } else {
      const when = fx.at ? ` ${frame('at', lang)} ${fx.at}${frame('afterChange', lang)}` : '';
      out.push(`  ${frame('fix', lang)} (${fx.dialect}, ${frame('run', lang)} ${fx.host}${when}):`);
      for (const c of fx.commands) out.push(...command(c, width, '    '));
      for (const a of fx.alternatives ?? []) {
        out.push(`  ${frame('alternative', lang)} (${a.label}):`);
        for (const c of a.commands) out.push(...command(c, width, '    '));
      }
    }
    if (fx.cost) out.push(...wrap(fx.cost, width, `  ${frame('cost', lang)}: `, '    '));
  }
  if (f.proof) {
    out.push(`  ${frame('proof', lang)}: ${f.proof.passed ? frame('passes', lang) : frame('fails', lang)}`);
    for (const o of f.proof.flows)
      out.push(
        ...wrap(
          `${o.flow}: ${o.verdict}${o.serverSaw ? `, server saw ${o.serverSaw}` : ''}`,
          width,
          `    ${o.ok ? '+' : '-'} `,
          '      ',
        ),
      );
    for (const a of f.proof.alternatives ?? [])
      out.push(
        `  ${frame('altProof', lang)} (${a.label}): ${a.passed ? frame('passes', lang) : frame('fails', lang)}`,
      );
  }
  return out;
}

export function renderMatrix(m: Matrix, lang: Lang, width: number): string[] {
  const out = [`${frame('matrix', lang)}:`];
  for (const c of m.cells) {
    const mark = c.connects ? 'yes' : 'no ';
    const ch = c.changed ? ` (${frame('changed', lang)})` : '';
    out.push(
      ...wrap(`${c.source} -> ${c.service}: ${mark} ${c.verdict}; ${c.path}${ch}`, width, '  ', '      '),
    );
  }
  return out;
}

export function renderCheck(r: CheckReport, width = 80): string {
  const lang = r.lang;
  const out: string[] = [`natbox check ${r.scenario.file}`];
  for (const rv of r.routers) {
    out.push(
      ...wrap(
        `${rv.host}: WAN ${rv.wan ? `${rv.wan.dev} ${rv.wan.routerAddr}` : '-'}; inside ${rv.inside.map((n) => `${n.dev} ${n.prefix}`).join(', ') || '-'}; ${rv.forwards.length} ${frame('forwards', lang)}, ${rv.snats.length} SNAT/MASQUERADE; ${r.flows.filter((f) => f.router === rv.host).length} ${frame('flows', lang)}`,
        width,
        `${frame('router', lang)} `,
        '  ',
      ),
    );
  }
  for (const f of r.findings) {
    out.push('');
    out.push(...findingText(f, lang, width));
  }
  if (r.matrix) {
    out.push('');
    out.push(...renderMatrix(r.matrix, lang, width));
  }
  out.push('');
  out.push(`${r.broken ? frame('summaryBroken', lang).toUpperCase() : 'OK'}: ${r.summary}`);
  return out.join('\n') + '\n';
}
