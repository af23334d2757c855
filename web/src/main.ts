// The page: runs the scenario in the browser with the engine from src/, draws it, steps through its
// packets, re-runs on every edit, and keeps the scenario in the URL fragment.
import './style.css';
import seedOnly from '../../examples/hairpin/dnat-only.yaml?raw';
import seedFix from '../../examples/hairpin/dnat-snat.yaml?raw';
import { devicesPcapng } from '../../src/trace/pcap.ts';
import type { StoryLang } from '../../src/trace/story.ts';
import { runScenario, type Run } from './engine.ts';
import { byId } from './dom.ts';
import { conntrackHtml, packetHtml, verdictHtml } from './details.ts';
import { sequenceSvg } from './seqview.ts';
import { topologySvg } from './topology.ts';
import { decodeFragment, encodeFragment } from './share.ts';
import type { CheckReport } from '../../src/check/model.ts';
import { applyFix } from './apply-fix.ts';
import { serveChecks, type CheckAnswer } from './check-run.ts';
import { Checker } from './checker.ts';
import { findingsHtml } from './findings.ts';
import { pageWords } from './words.ts';
import { addSeedSnat, hostRules, languageOf, setHostRules, snatTarget } from './yaml-edit.ts';

interface Source {
  file: string;
  label: string;
  text: string;
}

/** What the test harness and a curious user can read: runs so far and the last one's cost. */
interface Stats {
  runs: number;
  /** The last edit's cost: from the input event or click until its redraw was painted. */
  lastMs: number;
  /** The last run's simulation and drawing alone (no paint). */
  runMs: number;
  firstVerdictAt?: number;
  checks: number;
  lastCheckMs?: number;
  checkId?: number;
}
const stats: Stats = { runs: 0, lastMs: 0, runMs: 0, checks: 0 };

const DEBOUNCE_MS = 120;
/** A run this quick re-runs on each input with no wait. */
const QUICK_MS = 50;
const PLAY_MS = 700;

// The page's elements (set by init: the same script runs as the check's worker, with no document).
let yaml: HTMLTextAreaElement;
let rules: HTMLTextAreaElement;
let hostSel: HTMLSelectElement;
let exampleSel: HTMLSelectElement;
let langSel: HTMLSelectElement;
let playBtn: HTMLButtonElement;
let snatBtn: HTMLButtonElement;
let checker: Checker;
/** Said before the next run's line in the status bar (a fix applied). */
let note = '';
/** The last check's report, for its fixes' buttons. */
let report: CheckReport | undefined;

let sources: Source[] = [];
let file = 'scenario.yaml';
let run: Run | undefined;
/** The selected packet's place in `shown`. */
let cur = 0;
/** The flow the sequence diagram and the step control are limited to ('' for all). */
let flowFilter = '';
/** Indexes in run.arrows of the packets shown (all, or the filtered flow's). */
let shown: number[] = [];
let lang: StoryLang = 'en';
let pending: number | undefined;
let player: number | undefined;

function injected(): Source[] {
  const el = document.getElementById('natbox-scenarios');
  if (!el?.textContent) return [];
  try {
    const list = JSON.parse(el.textContent) as { file: string; text: string }[];
    return list.map((s) => ({ file: s.file, label: s.file, text: s.text }));
  } catch {
    return [];
  }
}

function flowSummary(r: Run): Map<string, string[]> {
  return new Map(r.doc.flows.map((f) => [f.name, [f.verdict, f.translatedSource ?? '', f.serverSaw ?? '']]));
}

function changesHtml(prev: Run | undefined, next: Run): string {
  if (!prev) return '';
  const a = flowSummary(prev);
  const out: string[] = [];
  const what = ['verdict', 'translated source', 'the server saw'];
  for (const [name, v] of flowSummary(next)) {
    const p = a.get(name);
    if (!p) {
      out.push(`<li>new flow ${name}: ${v[0]}</li>`);
      continue;
    }
    v.forEach((x, i) => {
      if (x !== p[i])
        out.push(
          `<li class="changed">${name}: ${what[i]} ${p[i] || '(none)'} → <b>${x || '(none)'}</b></li>`,
        );
    });
  }
  return out.length ? out.join('') : '<li class="sub">No verdict or translation changed.</li>';
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/**
 * Runs `f` once the browser has painted what the caller drew: after the next animation frame (a
 * hidden page paints no frame, so at most 250 ms later).
 */
function afterPaint(f: () => void): void {
  let done = false;
  const once = (): void => {
    if (!done) f();
    done = true;
  };
  requestAnimationFrame(() => {
    const c = new MessageChannel();
    c.port1.onmessage = once;
    c.port2.postMessage(0);
  });
  setTimeout(once, 250);
}

/**
 * Runs the editor's scenario and redraws. `from` is when the user made the edit (the input event,
 * the click): the cost the page reports is from then until the redraw is painted.
 */
function rerun(from = performance.now()): void {
  pending = undefined;
  const start = performance.now();
  const text = yaml.value;
  const r = runScenario(text, file);
  const errors = byId('errors');
  const painted = (ok: boolean): void =>
    afterPaint(() => {
      stats.runs++;
      stats.lastMs = performance.now() - from;
      if (ok) stats.firstVerdictAt ??= performance.now();
      document.documentElement.dataset.runs = String(stats.runs);
      if (ok && run)
        byId('status').textContent =
          `${note ? `${note} ` : ''}Ran ${run.scenario.name}: ${run.doc.steps.length} steps, ${run.arrows.length} packets on the wires; simulation and drawing ${stats.runMs.toFixed(0)} ms, painted ${stats.lastMs.toFixed(0)} ms after the edit (in this page).`;
      note = '';
      // natbox check after the redraw is on the screen: it never delays a verdict.
      if (ok) requestCheck();
    });
  if (!r.ok) {
    errors.innerHTML = `<pre>${esc(r.errors.join('\n'))}</pre>`;
    document.body.classList.add('stale');
    stats.runMs = performance.now() - start;
    painted(false);
    return;
  }
  errors.innerHTML = r.run.warnings.length ? `<pre class="warn">${esc(r.run.warnings.join('\n'))}</pre>` : '';
  document.body.classList.remove('stale');
  const prev = run;
  run = r.run;
  byId('scenario-name').textContent =
    `${run.scenario.name}${run.scenario.description ? ` — ${run.scenario.description.trim()}` : ''}`;
  byId('topology').innerHTML = topologySvg(run.scenario);
  refreshFlows();
  byId('verdict').innerHTML = verdictHtml(run, lang);
  byId('changes').innerHTML = changesHtml(prev, run);
  cur = Math.min(cur, Math.max(shown.length - 1, 0));
  select(cur, false);
  refreshRulesEditor();
  stats.runMs = performance.now() - start;
  painted(true);
  void share(text);
}

async function share(text: string): Promise<void> {
  const f = await encodeFragment(text);
  if (yaml.value !== text) return;
  history.replaceState(null, '', `#${f}`);
  byId<HTMLInputElement>('link').value = location.href;
}

/**
 * An edit runs the scenario again: at once when the last run was quick (the seed), else after
 * DEBOUNCE_MS without typing (a large scenario is not re-run on every key).
 */
function schedule(): void {
  if (pending !== undefined) clearTimeout(pending);
  const at = performance.now();
  pending = window.setTimeout(() => rerun(at), stats.runMs < QUICK_MS ? 0 : DEBOUNCE_MS);
}

/** The flow filter's choices, the sequence diagram and the packets shown, for the current run. */
function refreshFlows(): void {
  if (!run) return;
  const sel = byId<HTMLSelectElement>('flow-filter');
  const names = run.doc.flows.map((f) => f.name);
  if (!names.includes(flowFilter)) flowFilter = '';
  const opts = ['', ...names];
  if (opts.join('\n') !== [...sel.options].map((o) => o.value).join('\n'))
    sel.innerHTML = opts
      .map((n) => `<option value="${esc(n)}">${n ? esc(n) : 'All flows'}</option>`)
      .join('');
  sel.value = flowFilter;
  byId('sequence').innerHTML = sequenceSvg(run, flowFilter || undefined);
  shown = run.arrows.flatMap((a, i) => (!flowFilter || a.flow === flowFilter ? [i] : []));
}

function select(k: number, scroll = true): void {
  if (!run) return;
  const n = shown.length;
  const pos = byId('pos');
  if (n === 0) {
    pos.textContent = 'No packet crossed a wire.';
    byId('packet').innerHTML = '';
    byId('conntrack').innerHTML = conntrackHtml(run, undefined);
    return;
  }
  cur = Math.max(0, Math.min(k, n - 1));
  const idx = shown[cur]!;
  const a = run.arrows[idx]!;
  const seq = byId('sequence');
  seq.querySelectorAll('.arrow.current').forEach((e) => e.classList.remove('current'));
  const g = seq.querySelector(`.arrow[data-i="${idx}"]`);
  g?.classList.add('current');
  const topo = byId('topology');
  topo.querySelectorAll('.current, .from, .to').forEach((e) => e.classList.remove('current', 'from', 'to'));
  const ends = [`${a.hop.from}:${a.hop.fromIf}`, `${a.hop.to}:${a.hop.toIf}`];
  const link =
    [...topo.querySelectorAll<SVGGElement>('.link')].find((l) =>
      ends.every((e) => (l.dataset.ends ?? '').includes(` ${e} `)),
    ) ??
    [...topo.querySelectorAll<SVGGElement>('.link')].find((l) =>
      [a.hop.from, a.hop.to].every((h) => (l.dataset.ends ?? '').includes(` ${h}:`)),
    );
  link?.classList.add('current');
  topo.querySelector(`.host[data-host="${CSS.escape(a.hop.from)}"]`)?.classList.add('from');
  topo.querySelector(`.host[data-host="${CSS.escape(a.hop.to)}"]`)?.classList.add('to');
  pos.textContent = `Packet ${cur + 1} of ${n}: ${a.label}${a.translated ? ' (translated)' : ''}${a.alarm ? ' (reset)' : ''}`;
  byId('packet').innerHTML = packetHtml(run, a, cur, n);
  byId('conntrack').innerHTML = conntrackHtml(run, a);
  if (scroll && g) {
    const box = (g as SVGGElement).getBBox();
    const top = box.y - seq.clientHeight / 2;
    seq.scrollTo({ top: Math.max(0, top), left: Math.max(0, box.x - 20) });
  }
}

function stopPlay(): void {
  if (player !== undefined) clearInterval(player);
  player = undefined;
  playBtn.setAttribute('aria-pressed', 'false');
  playBtn.textContent = '▶ Play';
}

function togglePlay(): void {
  if (player !== undefined) return stopPlay();
  if (run && cur >= shown.length - 1) select(0);
  playBtn.setAttribute('aria-pressed', 'true');
  playBtn.textContent = '⏸ Pause';
  player = window.setInterval(() => {
    if (!run || cur >= shown.length - 1) return stopPlay();
    select(cur + 1);
  }, PLAY_MS);
}

function toVerdict(): void {
  stopPlay();
  if (run) select(shown.length - 1);
  const v = byId('verdict');
  v.scrollIntoView({ block: 'nearest' });
}

function refreshHosts(byHost: ReadonlyMap<string, string>): void {
  const names = [...byHost.keys()];
  const keep = hostSel.value;
  if (names.join('\n') !== [...hostSel.options].map((o) => o.value).join('\n')) {
    hostSel.innerHTML = names.map((n) => `<option>${esc(n)}</option>`).join('');
    hostSel.value = names.includes(keep) ? keep : (names.find((n) => n === 'router') ?? names[0] ?? '');
  }
}

function refreshRulesEditor(): void {
  // One reading of the YAML for the host list, the rules box and the SNAT button.
  const byHost = hostRules(yaml.value);
  refreshHosts(byHost);
  if (document.activeElement !== rules) rules.value = byHost.get(hostSel.value) ?? '';
  byId('rules-lang').textContent = `read as ${languageOf(rules.value)}`;
  const target = snatTarget(byHost);
  snatBtn.disabled = target === undefined;
  byId('snat-why').textContent = target
    ? 'rule B of the seed: SNAT the hairpinned connection to the router’s LAN address'
    : 'only for the seed without its SNAT rule';
}

function load(text: string, name: string): void {
  file = name;
  yaml.value = text;
  cur = 0;
  run = undefined;
  rerun();
}

function requestCheck(): void {
  const box = byId('check');
  box.dataset.state = 'running';
  byId('check-status').textContent = pageWords(lang).checkRunning;
  stats.checkId = checker.request(yaml.value, file, lang);
}

function checked(a: CheckAnswer, inWorker: boolean): void {
  const box = byId('check');
  const w = pageWords(lang);
  stats.checks++;
  stats.lastCheckMs = a.ms;
  if (a.ok) {
    report = a.report;
    box.innerHTML = findingsHtml(a.report, lang);
  } else {
    report = undefined;
    box.innerHTML = `<pre>${esc(a.errors.join('\n'))}</pre>`;
  }
  box.dataset.state = 'done';
  box.dataset.checks = String(stats.checks);
  box.dataset.lang = a.ok ? a.report.lang : lang;
  byId('check-status').textContent = w.checkIn(a.ms, inWorker ? 'Web Worker' : 'page thread');
}

function applyFinding(i: number): void {
  const fix = report?.findings[i]?.fix;
  if (!fix) return;
  try {
    const r = applyFix(yaml.value, fix);
    yaml.value = r.text;
    if (pending !== undefined) clearTimeout(pending);
    note = pageWords(lang).applied(r.where.join(', '));
    rerun();
  } catch (e) {
    byId('errors').textContent =
      `The fix could not go into the scenario: ${e instanceof Error ? e.message : String(e)}`;
  }
}

function init(): void {
  (window as unknown as { natbox: Stats }).natbox = stats;
  yaml = byId<HTMLTextAreaElement>('yaml');
  rules = byId<HTMLTextAreaElement>('rules');
  hostSel = byId<HTMLSelectElement>('host');
  exampleSel = byId<HTMLSelectElement>('example');
  langSel = byId<HTMLSelectElement>('lang');
  playBtn = byId<HTMLButtonElement>('play');
  snatBtn = byId<HTMLButtonElement>('add-snat');
  checker = new Checker(checked);
  byId('check').addEventListener('click', (e) => {
    const b = (e.target as Element).closest<HTMLButtonElement>('button.apply');
    if (b?.dataset.finding) applyFinding(Number(b.dataset.finding));
  });
  sources = [
    ...injected(),
    { file: 'examples/hairpin/dnat-only.yaml', label: 'Seed: hairpin, DNAT only', text: seedOnly },
    { file: 'examples/hairpin/dnat-snat.yaml', label: 'Seed fixed: DNAT and SNAT', text: seedFix },
  ];
  exampleSel.innerHTML = sources.map((s, i) => `<option value="${i}">${esc(s.label)}</option>`).join('');

  byId('first').addEventListener('click', () => select(0));
  byId('back').addEventListener('click', () => select(cur - 1));
  byId('fwd').addEventListener('click', () => select(cur + 1));
  byId('end').addEventListener('click', toVerdict);
  playBtn.addEventListener('click', togglePlay);
  byId('sequence').addEventListener('click', (e) => {
    const g = (e.target as Element).closest('.arrow');
    if (g instanceof SVGGElement && g.dataset.i) select(shown.indexOf(Number(g.dataset.i)), false);
  });
  byId('flow-filter').addEventListener('change', (e) => {
    flowFilter = (e.target as HTMLSelectElement).value;
    refreshFlows();
    select(0);
  });
  document.addEventListener('keydown', (e) => {
    const t = e.target as HTMLElement;
    if (t.closest('textarea, input, select') || e.altKey || e.ctrlKey || e.metaKey) return;
    const k = {
      ArrowLeft: () => select(cur - 1),
      ArrowRight: () => select(cur + 1),
      Home: () => select(0),
      End: toVerdict,
    }[e.key];
    if (k) {
      e.preventDefault();
      k();
    }
  });
  exampleSel.addEventListener('change', () => {
    const s = sources[Number(exampleSel.value)];
    if (s) load(s.text, s.file);
  });
  langSel.addEventListener('change', () => {
    lang = langSel.value === 'pt-BR' ? 'pt-BR' : 'en';
    document.documentElement.lang = lang;
    const w = pageWords(lang);
    byId('h-verdict').textContent = w.headVerdict;
    byId('h-check').textContent = w.headCheck;
    byId('check-about').textContent = w.checkAbout;
    if (run) {
      byId('verdict').innerHTML = verdictHtml(run, lang);
      requestCheck();
    }
  });
  yaml.addEventListener('input', schedule);
  hostSel.addEventListener('change', () => {
    rules.value = hostRules(yaml.value).get(hostSel.value) ?? '';
    byId('rules-lang').textContent = `read as ${languageOf(rules.value)}`;
  });
  rules.addEventListener('input', () => {
    byId('rules-lang').textContent = `read as ${languageOf(rules.value)}`;
    try {
      yaml.value = setHostRules(yaml.value, hostSel.value, rules.value);
      schedule();
    } catch (e) {
      byId('errors').textContent = `The scenario does not parse, so the rules cannot go in: ${String(e)}`;
    }
  });
  snatBtn.addEventListener('click', () => {
    yaml.value = addSeedSnat(yaml.value);
    if (pending !== undefined) clearTimeout(pending);
    rerun();
  });
  byId('copy-link').addEventListener('click', () => {
    const input = byId<HTMLInputElement>('link');
    input.select();
    void navigator.clipboard?.writeText(input.value).then(
      () => (byId('status').textContent = 'Link copied.'),
      () => (byId('status').textContent = 'Select the link and copy it.'),
    );
  });
  byId('pcap').addEventListener('click', () => {
    if (!run) return;
    const bytes = devicesPcapng(run.sim);
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
    a.download = `${run.scenario.name}.pcapng`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  });

  decodeFragment(location.hash).then(
    (text) => {
      if (text !== undefined) load(text, 'shared.yaml');
      else load(sources[0]!.text, sources[0]!.file);
    },
    (e: unknown) => {
      load(sources[0]!.text, sources[0]!.file);
      byId('errors').textContent =
        `The link's scenario could not be read (${String(e)}); showing ${sources[0]!.file}.`;
    },
  );
}

// The page, or (no document) the check's Web Worker started from this same script (checker.ts).
if (typeof document === 'undefined') serveChecks(self as unknown as Parameters<typeof serveChecks>[0]);
else init();
