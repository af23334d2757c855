// One scenario verified: its text (public addresses moved to documentation ranges), natbox's
// simulation of it, the same scenario on the kernel (src/dataplane/kernel/live.ts), both normalised
// and compared (src/oracle/).
import { readFileSync } from 'node:fs';
import { formatIpv4 } from '../../wire/addr.ts';
import { pathPickKey, type PathPick } from '../../route/policy.ts';
import { simulate } from '../../sim/run.ts';
import { setListings, setListingsOfText, type NftSetListing } from '../../rules/nft/set-listing.ts';
import type { EventResult } from '../../sim/events.ts';
import { buildScenario, formatBuildError, type Built } from '../../scenario/build.ts';
import { formatScenarioError, loadScenario } from '../../scenario/load.ts';
import { readInput } from '../input.ts';
import type { Scenario } from '../../scenario/model.ts';
import type { Flow } from '../../sim/flows.ts';
import { entryJson } from '../../netfilter/conntrack/format.ts';
import type { SimResult } from '../../sim/run.ts';
import {
  compareRuns,
  formatDifference,
  type Comparison,
  type Difference,
  type FlowOutcome,
  type SideRun,
} from '../../oracle/compare.ts';
import { ctEntry, ctStatsCompared, type CtEntry } from '../../oracle/conntrack.ts';
import { literalNumbers } from '../../oracle/labels.ts';
import { kernelSide, natboxSide } from '../../oracle/packets.ts';
import { frameWindow } from '../../stack/neigh.ts';
import {
  LiveError,
  runOnKernel,
  type KernelRun,
  type KernelRunOptions,
} from '../../dataplane/kernel/live.ts';
import {
  ambiguousAddressForms,
  builtAddresses,
  liveSafetyProblems,
  remapScenario,
} from '../../dataplane/kernel/remap.ts';

/** A scenario ready to run on both sides. */
export interface Prepared {
  readonly file: string;
  readonly scenario: Scenario;
  readonly built: Built;
  /** Old /24 → documentation /24, for the report. */
  readonly moved: ReadonlyMap<string, string>;
  readonly natbox: SideRun;
  readonly literal: ReadonlySet<number>;
  /** Hosts with rules: their conntrack tables are compared. */
  readonly ctHosts: string[];
  /** What natbox's events did (exit status, stderr), compared with the kernel's commands. */
  readonly natboxEvents?: readonly EventResult[];
  /** natbox's end of the run (virtual seconds): ARP after it is not compared. */
  readonly end?: number;
  /** The seed of natbox's run (to run it again: settleRandomPaths). */
  readonly seed?: number;
  /** natbox's multipath choices that are random on the kernel (settleRandomPaths). */
  readonly randomPicks?: readonly RandomPick[];
}

/**
 * Loads, remaps, checks and simulates; errors are `FILE:LINE:COL: message` lines (bad input).
 * Public addresses are moved in the loaded values (YAML escapes decoded), and every address natbox
 * parsed from the moved scenario must then be safe for a live run (remap.ts).
 */
export function prepareVerify(
  text: string,
  file: string,
  seed = 1,
): { ok: true; prepared: Prepared } | { ok: false; errors: string[] } {
  const l = loadScenario(text, file, { readFile: readInput });
  if (!l.ok) return { ok: false, errors: l.errors.map(formatScenarioError) };
  const odd = ambiguousAddressForms(l.scenario);
  if (odd.length) return { ok: false, errors: odd };
  const b0 = buildScenario(l.scenario);
  if (!b0.ok) return { ok: false, errors: b0.errors.map(formatBuildError) };
  const parsed: number[] = [];
  builtAddresses(l.scenario, b0.built, (a) => parsed.push(a));
  const rm = remapScenario(l.scenario, parsed);
  if (!rm.ok) return rm;
  const scenario = rm.remap.scenario;
  const b = buildScenario(scenario);
  if (!b.ok) return { ok: false, errors: b.errors.map(formatBuildError) };
  const built = b.built;
  // A bridge loop on the kernel is a real broadcast storm (it takes every CPU of this machine), and
  // live.ts builds bridges without STP: such scenarios are refused before anything is built.
  for (const h of scenario.hosts)
    for (const br of h.bridges)
      if (br.stp)
        return {
          ok: false,
          errors: [
            `${br.stp.loc.file}:${br.stp.loc.line}:${br.stp.loc.column}: ${h.name.value} ${br.name.value} runs STP: natbox verify does not build STP bridges yet`,
          ],
        };
  const unsafe = liveSafetyProblems(scenario, built);
  if (unsafe.length) return { ok: false, errors: unsafe };
  const assigned = new Set<number>();
  for (const h of built.world.hosts)
    for (const d of [...h.ifaces, ...h.bridges]) for (const a of d.addrs) assigned.add(a.addr);
  const errors: string[] = [];
  built.flows.forEach((f, i) => {
    // 127.0.0.0/8 is the sending host's own (its loopback device), never another machine's.
    if (!assigned.has(f.dst) && f.dst >>> 24 !== 127) {
      const loc = scenario.flows[i]!.dst.loc;
      errors.push(
        `${loc.file}:${loc.line}:${loc.column}: flow "${f.name}" targets ${formatIpv4(f.dst)}, which no host of the scenario has: a live run only sends to addresses it assigns`,
      );
    }
  });
  if (errors.length) return { ok: false, errors };
  const sim = simulate(built.world, built.flows, { seed, pathPicks: true });
  if (sim.stopped?.kind === 'storm' || sim.stopped?.kind === 'pending')
    return {
      ok: false,
      errors: [
        `${file}: ${sim.stopped.text}; natbox verify does not build a loop on the kernel (the storm would take every CPU)`,
      ],
    };
  if (!sim.complete) return { ok: false, errors: [`${file}: the simulation hit its event bound`] };
  const ctHosts = scenario.hosts
    .filter((h) => (h.rules && h.rules.lines.length > 0) || (h.nft && h.nft.lines.length > 0))
    .map((h) => h.name.value);
  const natbox = natboxSideRun(sim, ctHosts);
  const literal = literalNumbers(
    built.flows,
    built.world.hosts.flatMap((h) => h.listen.map((l) => l.port)),
    scenario.hosts.flatMap((h) => h.rules?.lines.map((l) => l.value) ?? []),
  );
  return {
    ok: true,
    prepared: {
      file,
      scenario,
      built,
      moved: rm.remap.nets,
      natbox,
      literal,
      ctHosts,
      natboxEvents: sim.events,
      end: sim.end,
      seed,
      randomPicks: randomPicks(sim, built.flows),
    },
  };
}

/** natbox's side of a run as verify compares it: packets, conntrack tables of `ctHosts`, outcomes. */
export function natboxSideRun(sim: SimResult, ctHosts: readonly string[]): SideRun {
  return {
    side: natboxSide(
      sim.steps.flatMap((s) => {
        if (s.kind !== 'packet') return [];
        const w = frameWindow(s.frame);
        return [w ? { ...s, window: w } : s];
      }),
    ),
    conntrack: new Map(ctHosts.map((h) => [h, natboxConntrack(sim, h)])),
    ctStats: new Map(
      ctHosts.flatMap((h) => {
        const nf = sim.world.hosts.get(h)?.nf;
        return nf ? [[h, ctStatsCompared({ ...nf.conntrack.stats })] as const] : [];
      }),
    ),
    nftSets: new Map(
      ctHosts.flatMap((h) => {
        const rs = sim.world.hosts.get(h)?.nftListing(sim.end);
        return rs ? [[h, setListings(rs)] as const] : [];
      }),
    ),
    flows: sim.results.map((r) => ({
      verdict: r.verdict,
      detail: r.detail,
      ...(r.serverSaw ? { serverSaw: r.serverSaw } : {}),
      ...(r.replyFrom ? { replyFrom: r.replyFrom } : {}),
    })),
  };
}

/** A multipath choice the kernel makes at random, for a flow of the scenario (PolicyRouting.pickLog). */
export interface RandomPick {
  readonly host: string;
  readonly flow: string;
  readonly pick: PathPick;
}

/**
 * The policy-1 multipath choices of natbox's run that are random on the kernel: those of a TCP flow
 * or a UDP flow on a connected socket (their packets, both ways, carry a socket's random
 * sk_txhash); a UDP flow's unconnected socket sends none, and its path is the flow's hash.
 */
function randomPicks(sim: SimResult, flows: readonly Flow[]): RandomPick[] {
  const out: RandomPick[] = [];
  for (const [host, h] of sim.world.hosts)
    for (const pick of h.policy.pickLog ?? []) {
      const f = flows.find(
        (x) =>
          (x.proto === 'tcp' ? pick.proto === 6 : x.proto === 'udp' && x.udpConnect && pick.proto === 17) &&
          (x.sport === pick.sport || x.sport === pick.dport),
      );
      if (f) out.push({ host, flow: f.name, pick });
    }
  return out;
}

/**
 * The kernel's own choice for each random multipath pick of natbox's run: the device of the host
 * by which the kernel's capture shows the flow's first packet leave (its destination, destination
 * port and protocol, and its source and source port unless NAT changed them there). When it differs
 * from natbox's, natbox runs again taking the kernel's paths, and is compared with that run; a note
 * per pick says so. Without random picks, `prep` as it is.
 */
export function settleRandomPaths(prep: Prepared, kernel: SideRun): { prep: Prepared; notes: string[] } {
  const picks = prep.randomPicks ?? [];
  if (picks.length === 0) return { prep, notes: [] };
  const forced = new Map<string, Map<string, string>>();
  const notes: string[] = [];
  let differs = false;
  for (const { host, flow, pick } of picks) {
    const proto = pick.proto === 6 ? 'tcp' : 'udp';
    const dst = formatIpv4(pick.dst);
    const src = formatIpv4(pick.src);
    const out = kernel.side.packets.filter(
      (p) =>
        p.dir === 'out' &&
        p.proto === proto &&
        p.dst === dst &&
        p.dport === pick.dport &&
        pick.devs.some((d) => p.iface === `${host}:${d}`),
    );
    const seen = out.find((p) => p.src === src && p.sport === pick.sport) ?? out[0];
    const dev = seen?.iface.slice(host.length + 1);
    const why = `flow "${flow}": at ${host} its path (${pick.devs.join(' or ')}) is random on the kernel (fib_multipath_hash_policy 1: its packets carry the sender's socket hash, sk_txhash)`;
    if (dev === undefined) {
      notes.push(`${why}; the kernel's choice was not seen, natbox took ${pick.dev}`);
      continue;
    }
    let m = forced.get(host);
    if (!m) forced.set(host, (m = new Map()));
    m.set(pathPickKey(pick.src, pick.sport, pick.dst, pick.dport, pick.proto), dev);
    if (dev !== pick.dev) differs = true;
    notes.push(
      dev === pick.dev
        ? `${why}; the kernel took ${dev}, as natbox`
        : `${why}; the kernel took ${dev}, natbox ${pick.dev}: natbox is compared in a second run taking the kernel's paths`,
    );
  }
  if (!differs) return { prep, notes };
  const sim = simulate(prep.built.world, prep.built.flows, {
    seed: prep.seed ?? 1,
    pathPicks: true,
    forcedPaths: forced,
  });
  return {
    prep: {
      ...prep,
      natbox: natboxSideRun(sim, prep.ctHosts),
      natboxEvents: sim.events,
      end: sim.end,
    },
    notes,
  };
}

/**
 * natbox's table of one host at the end of the run, as verify compares it: no mark, the labels,
 * the exact time left (compared with the kernel's column within compare.ts's timeoutRange).
 */
export function natboxConntrack(sim: SimResult, host: string): CtEntry[] {
  const nf = sim.world.hosts.get(host)?.nf;
  if (!nf) return [];
  const t = nf.conntrack;
  return t
    .entries(sim.end)
    .map((x) =>
      ctEntry(entryJson(t, x, sim.end), { mark: false, labels: true, timeLeft: t.timeLeft(x, sim.end) }),
    );
}

/** The kernel's `nft list ruleset` per host as set listings (hosts whose listing natbox cannot read: none). */
function kernelSetListings(texts: ReadonlyMap<string, string>): {
  sets: Map<string, NftSetListing[]>;
  unread: Map<string, string>;
} {
  const sets = new Map<string, NftSetListing[]>();
  const unread = new Map<string, string>();
  for (const [h, t] of texts) {
    const l = setListingsOfText(t, `${h}: nft list ruleset`);
    if (Array.isArray(l)) sets.set(h, l);
    else unread.set(h, l.error);
  }
  return { sets, unread };
}

/** SideRun's nft fields of the kernel's listings: the unread ones only when there are some. */
const nftSide = (l: ReturnType<typeof kernelSetListings>): Pick<SideRun, 'nftSets' | 'nftUnread'> => ({
  nftSets: l.sets,
  ...(l.unread.size ? { nftUnread: l.unread } : {}),
});

/** The kernel's run as one side. */
export function kernelRunSide(kr: KernelRun): { ok: true; side: SideRun } | { ok: false; error: string } {
  const k = kernelSide(kr.captures, kr.t0);
  if (!k.ok) return k;
  return {
    ok: true,
    side: {
      side: k.side,
      conntrack: kr.conntrack,
      flows: kr.flows,
      ...(kr.ctStats ? { ctStats: kr.ctStats } : {}),
      ...(kr.ctStatsAt ? { ctStatsAt: kr.ctStatsAt } : {}),
      ...(kr.ctReadAt ? { ctReadAt: kr.ctReadAt } : {}),
      ...(kr.nftRulesets ? nftSide(kernelSetListings(kr.nftRulesets)) : {}),
      ...(kr.nftReadAt ? { nftReadAt: kr.nftReadAt } : {}),
    },
  };
}

export interface ScenarioReport {
  scenario: string;
  file: string;
  status: 'match' | 'mismatch' | 'error';
  /** With status `error`: `environment` (a command or tool failed: exit 3) or `input` (exit 2). */
  failure?: 'environment' | 'input';
  /** `82.120.11.0/24 -> 203.0.113.0/24`, when addresses were moved. */
  remapped: string[];
  notes: string[];
  packets?: {
    match: boolean;
    natbox: number;
    kernel: number;
    interfaces: Comparison['packets']['interfaces'];
  };
  conntrack?: { match: boolean; hosts: string[] };
  verdict?: { match: boolean };
  /** The nft sets' and maps' elements after the run, where both sides listed them (nft-sets.ts). */
  nftSets?: { match: boolean; compared: string[] };
  flows?: { name: string; natbox: string; kernel: string }[];
  /** The earliest difference of all, then the first of each kind. */
  first?: Difference;
  differences?: Difference[];
  arp?: string[];
  /** conntrack -E lines per host (information). */
  events?: Record<string, string[]>;
  /** The scenario's events: each command's exit status and stderr on both sides. */
  commands?: { at: number; host: string; run: string; natbox: string; kernel: string; match: boolean }[];
  error?: string;
  seconds: number;
}

/**
 * Whether ARP differences count for this scenario: yes unless its `verify: { arp: false }` says
 * otherwise; NATBOX_VERIFY_ARP=1 counts them everywhere, =0 nowhere (measuring).
 */
export function arpCompared(prep: Pick<Prepared, 'scenario'>): boolean {
  const env = process.env.NATBOX_VERIFY_ARP;
  if (env === '1' || env === '0') return env === '1';
  return prep.scenario.verify?.arp ?? true;
}

export function compareVerify(prep: Prepared, kernel: SideRun): Comparison {
  return compareRuns({
    flows: prep.built.flows,
    literal: prep.literal,
    ctHosts: prep.ctHosts,
    natbox: prep.natbox,
    kernel,
    ...(prep.end !== undefined ? { end: prep.end } : {}),
    arp: arpCompared(prep),
  });
}

export function scenarioReport(
  prep: Prepared,
  kr: KernelRun | undefined,
  cmp: Comparison | undefined,
  error: string | undefined,
  seconds: number,
  failure: 'environment' | 'input' = 'environment',
): ScenarioReport {
  const remapped = [...prep.moved].map(([a, b]) => `${a}.0/24 -> ${b}.0/24`);
  const base = { scenario: prep.scenario.name, file: prep.file, remapped, notes: kr?.notes ?? [], seconds };
  if (!cmp || !kr) return { ...base, status: 'error', failure, error: error ?? 'no kernel run' };
  const said = (o: FlowOutcome | undefined): string =>
    o ? `${o.verdict}${o.serverSaw ? ` (server saw ${o.serverSaw})` : ''}` : '(none)';
  const flows = prep.built.flows.map((f: Flow, i) => ({
    name: f.name,
    natbox: said(prep.natbox.flows[i]),
    kernel: said(kr.flows[i]),
  }));
  const commands = commandsCompared(prep, kr);
  const ok =
    cmp.packets.match &&
    cmp.conntrack.match &&
    cmp.verdict.match &&
    cmp.nft.match &&
    (cmp.arpCompared.match || !cmp.arpCompared.counted) &&
    commands.every((c) => c.match);
  const first = cmp.differences[0];
  return {
    ...base,
    status: ok ? 'match' : 'mismatch',
    packets: {
      match: cmp.packets.match,
      natbox: prep.natbox.side.packets.length,
      kernel: cmp.packets.interfaces.reduce((n, i) => n + i.kernel, 0),
      interfaces: cmp.packets.interfaces,
    },
    conntrack: { match: cmp.conntrack.match, hosts: cmp.conntrack.hosts },
    verdict: { match: cmp.verdict.match },
    ...(cmp.nft.compared.length
      ? { nftSets: { match: cmp.nft.match, compared: [...cmp.nft.compared] } }
      : {}),
    flows,
    ...(first ? { first } : {}),
    differences: [
      cmp.packets.first,
      cmp.conntrack.first,
      cmp.verdict.first,
      cmp.nft.first,
      cmp.arpCompared.counted ? cmp.arpCompared.first : undefined,
    ].filter((d): d is Difference => d !== undefined),
    arp: cmp.arp,
    events: Object.fromEntries(kr.events),
    ...(commands.length ? { commands } : {}),
  };
}

/** Each event's command as natbox and the kernel ran it: exit status and stderr, which must agree. */
function commandsCompared(prep: Prepared, kr: KernelRun): NonNullable<ScenarioReport['commands']> {
  const said = (r: { rc: number; stderr: string } | undefined): string =>
    r ? `exit ${r.rc}${r.stderr.trim() ? `, stderr ${JSON.stringify(r.stderr.trim())}` : ''}` : '(not run)';
  return (prep.built.world.events ?? []).map((ev, i) => {
    const n = prep.natboxEvents?.[i];
    const k = kr.commands?.[i];
    return {
      at: ev.at,
      host: ev.host,
      run: ev.run,
      natbox: said(n),
      kernel: said(k),
      match: n !== undefined && k !== undefined && n.rc === k.rc && n.stderr === k.stderr,
    };
  });
}

/** Runs one prepared scenario on the kernel and compares; never throws for a failed run. */
export async function verifyPrepared(
  prep: Prepared,
  opts: KernelRunOptions,
): Promise<{ report: ScenarioReport; kernel?: SideRun; run?: KernelRun }> {
  const t = Date.now();
  let kr: KernelRun;
  try {
    kr = await runOnKernel(prep.scenario, prep.built, opts);
  } catch (e) {
    const failure = e instanceof LiveError ? e.kind : 'environment';
    const message =
      e instanceof LiveError ? e.message : `natbox verify failed: ${(e as Error).stack ?? String(e)}`;
    return {
      report: scenarioReport(prep, undefined, undefined, message, (Date.now() - t) / 1000, failure),
    };
  }
  const k = kernelRunSide(kr);
  if (!k.ok)
    return { report: scenarioReport(prep, kr, undefined, k.error, (Date.now() - t) / 1000), run: kr };
  // Paths the kernel chose at random: natbox compared with a run taking the kernel's choices.
  const settled = settleRandomPaths(prep, k.side);
  const cmp = compareVerify(settled.prep, k.side);
  const report = scenarioReport(settled.prep, kr, cmp, undefined, (Date.now() - t) / 1000);
  report.notes = [...report.notes, ...settled.notes];
  return {
    report: lateCommands(lateRun(report, kr.late, prep.built.flows), kr),
    kernel: k.side,
    run: kr,
  };
}

/** How late (ms) a client may start before a difference may be the machine's rather than natbox's. */
export const LATE_MS = 250;

/**
 * A difference found while a client started more than LATE_MS after its time is not reported as
 * one (exit 1): the machine was too loaded to keep the flows' times, so it is an environment
 * failure (exit 3), with the comparison kept for the reader. A match stays a match.
 */
export function lateRun(
  report: ScenarioReport,
  late: readonly number[],
  flows: readonly Flow[],
): ScenarioReport {
  if (report.status !== 'mismatch') return report;
  let worst = 0;
  late.forEach((ms, i) => {
    if (ms > late[worst]!) worst = i;
  });
  const ms = late[worst] ?? 0;
  if (ms <= LATE_MS) return report;
  return {
    ...report,
    status: 'error',
    failure: 'environment',
    error: `the kernel run was not on time: the client of flow "${flows[worst]?.name}" started or closed ${ms} ms after its time (more than ${LATE_MS} ms: this machine is too loaded), so the difference below may be the machine's rather than natbox's; run it again on a quieter machine`,
  };
}

/** As lateRun, for the scenario's events: a command run too late on the kernel is the machine's. */
function lateCommands(report: ScenarioReport, kr: KernelRun): ScenarioReport {
  if (report.status !== 'mismatch') return report;
  const late = kr.commands ?? [];
  let worst = -1;
  late.forEach((c, i) => {
    if (c.late > LATE_MS && (worst < 0 || c.late > late[worst]!.late)) worst = i;
  });
  if (worst < 0) return report;
  return {
    ...report,
    status: 'error',
    failure: 'environment',
    error: `the kernel run was not on time: event ${worst + 1} ("${report.commands?.[worst]?.run}") ended ${late[worst]!.late} ms after its time (more than ${LATE_MS} ms: this machine is too loaded), so the difference below may be the machine's rather than natbox's; run it again on a quieter machine`,
  };
}

// ---- text ------------------------------------------------------------------------------------

const cell = (m: boolean | undefined, detail = ''): string =>
  m === undefined ? 'error' : `${m ? 'match' : 'MISMATCH'}${detail}`;

export function renderTable(reports: readonly ScenarioReport[]): string {
  const rows = [
    ['scenario', 'packets', 'conntrack', 'verdict'],
    ...reports.map((r) => [
      r.scenario,
      cell(r.packets?.match, r.packets ? ` (${r.packets.natbox}/${r.packets.kernel})` : ''),
      cell(r.conntrack?.match),
      cell(r.verdict?.match),
    ]),
  ];
  const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r
        .map((v, c) => v.padEnd(w[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function renderReport(r: ScenarioReport): string {
  const lines = [`${r.scenario} (${r.file}): ${r.status} in ${r.seconds.toFixed(1)} s`];
  if (r.remapped.length)
    lines.push(`  public addresses moved to documentation ranges on both sides: ${r.remapped.join(', ')}`);
  for (const n of r.notes) lines.push(`  note: ${n}`);
  if (r.error)
    lines.push(
      `  ${r.failure === 'input' ? 'bad input' : 'error (not a difference: the kernel run could not be done)'}: ${r.error.replace(/\n/g, '\n    ')}`,
    );
  for (const f of r.flows ?? []) lines.push(`  flow "${f.name}": natbox ${f.natbox}, kernel ${f.kernel}`);
  for (const e of r.commands ?? [])
    lines.push(
      `  event at ${e.at} s on ${e.host} "${e.run}": ${e.match ? `${e.natbox} on both` : `natbox ${e.natbox}, kernel ${e.kernel} (differs)`}`,
    );
  for (const a of r.arp ?? []) lines.push(`  ${a}`);
  if (r.nftSets)
    lines.push(
      `  nft sets and maps after the run (elements, counters, timeouts): ${r.nftSets.match ? 'the same' : 'differ'} (${r.nftSets.compared.join('; ')})`,
    );
  if (r.first) {
    lines.push(`  first difference: ${formatDifference(r.first).replace(/\n/g, '\n  ')}`);
    for (const d of r.differences ?? [])
      if (d !== r.first)
        lines.push(`  first ${d.what} difference: ${formatDifference(d).replace(/\n/g, '\n  ')}`);
  }
  return lines.join('\n');
}

export function readScenario(file: string): { ok: true; text: string } | { ok: false; error: string } {
  try {
    return { ok: true, text: readFileSync(file === '-' ? 0 : file, 'utf8') };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, error: `${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}` };
  }
}
