// The panels about the selected packet (each hook it passed on the receiving host, headers before
// and after, rules matched and missed with why, NAT bindings, conntrack), the conntrack table of
// every host at that instant, and each flow's verdict with its reason in words.
import type { TraceStep } from '../../src/trace/model.ts';
import { flowStory, type StoryLang } from '../../src/trace/story.ts';
import {
  arrowEnd,
  conntrackAt,
  hookParts,
  senderParts,
  type Arrow,
  type HookPart,
  type Run,
} from './engine.ts';
import { esc } from './dom.ts';
import { pageWords } from './words.ts';

const arrowTuple = (s: string): string => s.replace(/ > /g, ' → ').replace(/ id 0$/, '');

function stepHtml(s: TraceStep): string {
  switch (s.kind) {
    case 'rule':
      return `<li class="rule hit"><b>matched</b> ${esc(`${s.table} ${s.chain} rule ${s.index}`)}: <code>${esc(s.rule)}</code>${s.note ? ` <i>${esc(s.note)}</i>` : ''}</li>`;
    case 'rule-miss':
      return `<li class="rule miss"><b>missed</b> ${esc(`${s.table} ${s.chain} rule ${s.index}`)}: <code>${esc(s.rule)}</code> — ${esc(s.why)}</li>`;
    case 'policy':
      return `<li class="policy${s.policy === 'ACCEPT' ? '' : ' alarm'}">${esc(`${s.table} ${s.chain}: no rule decided, policy ${s.policy}`)}</li>`;
    case 'conntrack':
      return `<li class="ct">conntrack: ${esc(s.state)}${s.created ? ' (new entry)' : ''}</li>`;
    case 'ct-event':
      return `<li class="ct">conntrack ${esc(s.event)}: <code>${esc(s.line)}</code></li>`;
    case 'nat':
      return `<li class="nat"><b>${esc(s.manip)}</b> (${esc(s.by === 'rule' ? 'NAT binding made by a rule' : s.by === 'mapping' ? 'conntrack mapping' : 'null binding')}): ${esc(arrowTuple(s.before))} ⇒ ${esc(arrowTuple(s.after))}</li>`;
    case 'route':
      return `<li class="route">route to ${esc(s.dst)}: ${esc(s.decision)}${s.flowtable ? ` ${esc(s.flowtable)} (hooks skipped)` : ''}${s.via ? ` via ${esc(s.via)}` : ''}${s.dev ? ` dev ${esc(s.dev)}` : ''}</li>`;
    case 'socket':
      return `<li class="socket${/unexpected|rst-sent|timeout|unreachable/.test(s.event) ? ' alarm' : ''}">socket: ${esc(s.text)}</li>`;
    case 'drop':
      return `<li class="alarm">dropped${s.ifname ? ` on ${esc(s.ifname)}` : ''}: ${esc(s.reason)}</li>`;
    case 'icmp-sent':
      return `<li>${esc(s.text)}</li>`;
    case 'packet':
      return `<li class="out">sent on ${esc(s.ifname)}: <code>${esc(s.packet.summary)}</code></li>`;
    default:
      return `<li>${esc(s.kind)}</li>`;
  }
}

function partsHtml(host: string, parts: readonly HookPart[]): string {
  return parts
    .map((p) => {
      const head = p.hook
        ? `<h4>${esc(host)} · ${esc(p.hook)}</h4>${p.before ? `<p class="hdr">${esc(arrowTuple(p.before))}${p.after && p.after !== p.before ? ` <b>⇒</b> ${esc(arrowTuple(p.after))}` : ' (unchanged)'}</p>` : ''}`
        : '';
      return `<section class="hookpart">${head}<ul>${p.steps.map(stepHtml).join('')}</ul></section>`;
    })
    .join('');
}

/** The selected packet: `k` is its place among the `n` packets shown (all, or one flow's). */
export function packetHtml(run: Run, a: Arrow, k: number, n = run.arrows.length): string {
  const h = a.hop;
  const marks = [
    a.translated ? `<span class="tag translated">translated by ${esc(h.from)}</span>` : '',
    a.alarm ? `<span class="tag alarm">reset (RST)</span>` : '',
  ].join(' ');
  const sent = partsHtml(h.from, senderParts(run.doc, a));
  const parts = partsHtml(h.to, hookParts(run.doc, a));
  return `<h3>Packet ${k + 1} of ${n} ${marks}</h3>
<p><b>${esc(h.from)}</b>:${esc(h.fromIf)} → <b>${esc(h.to)}</b>:${esc(h.toIf)} at ${h.t.toFixed(4)} s${a.flow ? ` · <span class="sub">flow ${esc(a.flow)}</span>` : ''}</p>
<p><code class="sum">${esc(h.packet.summary)}</code></p>
<details class="sender"${sent ? ' open' : ''}><summary>The sender's side: what ${esc(h.from)} did before it left</summary>
${sent || `<p class="sub">nothing at that instant: ${esc(h.from)} sent it on its own (a socket's packet, a retransmission), with no netfilter hook, route or socket step</p>`}</details>
<p class="sub">What ${esc(h.to)} did with it, hook by hook:</p>
<div class="receiver">${parts || '<p class="sub">nothing: no netfilter hook, route or socket step at that instant</p>'}</div>`;
}

export function conntrackHtml(run: Run, a: Arrow | undefined): string {
  const upTo = a ? arrowEnd(a) : run.doc.steps.length - 1;
  const tables = conntrackAt(run.doc, upTo);
  if (tables.size === 0) return '<p class="sub">No host runs netfilter: no conntrack table.</p>';
  return [...tables]
    .map(
      ([host, lines]) =>
        `<h4>${esc(host)}</h4>${lines.length ? `<pre>${lines.map(esc).join('\n')}</pre>` : '<p class="sub">empty</p>'}`,
    )
    .join('');
}

const GOOD = new Set(['connected', 'reply']);

/**
 * The reason in the page's language. The trace's reason sentence (src/trace/explain.ts) is written in
 * English; in Portuguese the reason is the story's own words (src/trace/story.ts) for what decided
 * the flow: its last two steps before the verdict line.
 */
function reasonOf(story: readonly string[], reason: string, lang: StoryLang): string {
  if (lang === 'en') return `<p class="reason" lang="en">${esc(reason)}</p>`;
  const why = story.slice(Math.max(0, story.length - 3), story.length - 1).join(' ');
  return `<p class="reason" lang="${lang}">${esc(why || reason)}</p>
<details class="en-reason"><summary>${esc(pageWords(lang).traceSentence)}</summary><p lang="en">${esc(reason)}</p></details>`;
}

export function verdictHtml(run: Run, lang: StoryLang): string {
  const w = pageWords(lang);
  return run.doc.flows
    .map((f) => {
      const story = flowStory(run.doc, f, lang);
      const exp = f.pass === undefined ? '' : f.pass ? ` ${w.asExpected}` : ` ✗ ${f.mismatches.join('; ')}`;
      const word = w.verdict[f.verdict];
      return `<article class="flow ${GOOD.has(f.verdict) ? 'good' : 'bad'}" lang="${lang}" data-flow="${esc(f.name)}" data-verdict="${esc(f.verdict)}">
<h3><span class="verdict-word">${esc(word ? `${word} (${f.verdict})` : f.verdict)}</span> — <span lang="en">${esc(f.name)}</span><small>${esc(exp)}</small></h3>
${reasonOf(story, f.reason, lang)}
${f.serverSaw ? `<p>${esc(w.serverSawAs)} <b class="server-saw">${esc(f.serverSaw)}</b>.</p>` : ''}
<details${lang === 'en' ? '' : ' open'}><summary>${esc(w.stepByStep)}</summary><ol lang="${lang}">${story.map((s) => `<li>${esc(s)}</li>`).join('')}</ol></details>
</article>`;
    })
    .join('');
}
