// natbox check's findings as the page shows them: per finding its cause in words, the evidence
// (packet, rule with file:line, conntrack entry), the fix with its cost and proof, and a button that
// applies the fix to the scenario in the editor (apply-fix.ts). The words of the findings come from
// src/check/words.ts in the page's language; the page's own labels from words.ts here.
import type { CheckReport, Finding } from '../../src/check/model.ts';
import { appliedCommands } from '../../src/check/fix.ts';
import { esc } from './dom.ts';
import { pageWords, type PageLang } from './words.ts';

function findingHtml(f: Finding, i: number, lang: PageLang): string {
  const w = pageWords(lang);
  const ev = f.evidence;
  const evidence = [
    ev.packet ? `<li>${w.packet}: <code>${esc(ev.packet)}</code></li>` : '',
    ev.rule
      ? `<li>${w.rule}: <code>${esc(ev.rule)}</code>${ev.where ? ` <span class="where">(${esc(ev.where)})</span>` : ''}</li>`
      : '',
    ev.conntrack ? `<li>conntrack: <code>${esc(ev.conntrack)}</code></li>` : '',
  ].join('');
  const fix = f.fix;
  const applicable = fix !== undefined && appliedCommands(fix) !== undefined;
  const proof = f.proof
    ? `<p class="proof ${f.proof.passed ? 'good' : 'bad'}">${f.proof.passed ? w.proofPasses : w.proofFails}: ${f.proof.flows
        .map(
          (o) =>
            `${esc(o.flow)} → ${esc(o.verdict)}${o.serverSaw ? ` (${w.serverSaw} ${esc(o.serverSaw)})` : ''}`,
        )
        .join('; ')}</p>`
    : '';
  const fixHtml = fix
    ? `<div class="fix"><p><b>${w.fix}</b> (${esc(fix.dialect)}, ${w.onHost} ${esc(fix.host)}):</p>
<pre>${fix.commands.map(esc).join('\n')}</pre>
${(fix.alternatives ?? []).map((a) => `<p class="sub">${w.alternative} (${esc(a.label)}):</p><pre>${a.commands.map(esc).join('\n')}</pre>`).join('')}
${fix.cost ? `<p class="cost"><b>${w.cost}:</b> ${esc(fix.cost)}</p>` : ''}${proof}
${applicable ? `<button type="button" class="apply" data-finding="${i}">${w.apply}</button>` : `<p class="sub">${w.advice}</p>`}</div>`
    : '';
  return `<article class="finding ${esc(f.severity)}" data-cause="${esc(f.cause)}" data-severity="${esc(f.severity)}">
<h3><span class="sev">${w.severity[f.severity]}</span> ${esc(f.title)} <small>[${esc(f.cause)}]</small></h3>
<p class="why">${esc(f.explanation)}</p>
${evidence ? `<p class="sub">${w.evidence}:</p><ul class="evidence">${evidence}</ul>` : ''}
${f.flows.length ? `<p class="sub">${w.flows}: ${f.flows.map(esc).join('; ')}</p>` : ''}
${fixHtml}
</article>`;
}

export function findingsHtml(r: CheckReport, lang: PageLang): string {
  const w = pageWords(lang);
  const head = `<p class="summary ${r.broken ? 'bad' : 'good'}">${esc(r.summary)} · ${r.flows.length} ${w.checkFlows}</p>`;
  if (r.findings.length === 0) return `${head}<p class="sub">${w.noFindings}</p>`;
  return head + r.findings.map((f, i) => findingHtml(f, i, lang)).join('');
}
