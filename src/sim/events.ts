// Time in a scenario: events that run one command line on a host at a given time, as an
// administrator would type it while connections are alive (issue 14, point 7). The commands are
// those of the agreed scenario syntax: iptables (-A/-I/-D/-R/-F/-X/-N/-P/-Z/-E, and -C),
// `conntrack -F`, `conntrack -D` with filters, `ip addr add|del`, `ip link set DEV up|down`,
// `ip route add|del|replace`, `ip rule add|del` and `sysctl -w key=value`.
//
// A command is read when the scenario is loaded (parseEventCommand: a command natbox cannot run is
// a load error at its file, line and column) and run at its time (runEvent) on the live host. A
// command that fails does what the tool does: its exit status and its stderr, as the real tools
// print them (iptables 1.8.9 nf_tables, conntrack-tools 1.4.7, iproute2, procps sysctl, measured in
// network namespaces), and nothing is applied. The run goes on.
//
// iptables commands are applied to a copy of the host's ruleset with the kernel's checks
// (rules/iptables/apply.ts); the host then swaps its engine (Host.replaceRuleset), which keeps the
// conntrack table, the NAT bindings, the counters and the state of every untouched rule, as the
// kernel does across a transaction: a connection that started before the change keeps its NAT
// ("I added the rule but the old connection still goes the old way") until `conntrack -D` deletes
// its entry and the next packet makes a new one that sees the new rules.
import { formatIpv4, inPrefix, parseIpv4, parsePrefix, prefixMask } from '../wire/addr.ts';
import { parseRoute, RTN_BROADCAST, RTN_LOCAL, RTN_UNICAST, type TableNames } from '../route/table.ts';
import { parseRule } from '../route/rule.ts';
import type { Pos } from '../rules/diagnostics.ts';
import { lexShell, type SourceLine, type Token } from '../rules/iptables/lex.ts';
import { RuleError, parseCommandLine, type Command } from '../rules/iptables/parse-command.ts';
import {
  applyCommand,
  cloneRuleset,
  emptyRuleset,
  putChainsInOrder,
  ruleExists,
} from '../rules/iptables/apply.ts';
import { formatRule } from '../rules/iptables/print-save.ts';
import { BUILTIN_CHAINS, type Chain, type Ruleset } from '../rules/iptables/model.ts';
import { checkRuleset } from '../netfilter/core/engine.ts';
import { formatConntrackLine } from '../netfilter/conntrack/format.ts';
import { DIR_ORIGINAL, DIR_REPLY } from '../netfilter/conntrack/tuple.ts';
import type { Host } from '../stack/host.ts';
import { parseNftEvent, runNftEvent, type NftEventCommand } from './events-nft.ts';
import { linkMtu, runLinkMtu, type LinkMtuCommand } from './events-link.ts';

/** What scheduling events needs of the world (world.ts imports this file's types). */
interface EventWorld {
  readonly sched: { readonly now: number; at(time: number, fn: () => void): void };
  host(name: string): Host;
}

/** The versions whose messages the failures repeat (measured here). */
export const IPTABLES_VERSION = 'iptables v1.8.9 (nf_tables)';
export const CONNTRACK_VERSION = 'conntrack v1.4.7 (conntrack-tools)';

/** One event of a scenario: `- { at: 1.25, host: r, run: "iptables -A FORWARD -p udp -j DROP" }`. */
export interface SimEvent {
  /** Seconds after the start of the run. */
  readonly at: number;
  readonly host: string;
  /** The command line as written. */
  readonly run: string;
  /** Where `run` was written (its first character). */
  readonly loc: Pos;
  /** `nft -f FILE`: the file's lines, read when the scenario was loaded. */
  readonly input?: readonly SourceLine[];
}

/** What a command did: its exit status and output, as the tool would have printed them. */
export interface EventResult {
  readonly event: SimEvent;
  /** Virtual time at which it ran. */
  readonly t: number;
  readonly rc: number;
  readonly stdout: string;
  readonly stderr: string;
  /** What changed, in words (empty when nothing did). */
  readonly effect: string;
}

/** conntrack -D's filters (conntrack(8)): every one given must hold. */
export interface CtFilter {
  proto?: number;
  origSrc?: number;
  origDst?: number;
  replySrc?: number;
  replyDst?: number;
  sport?: number;
  dport?: number;
  replySport?: number;
  replyDport?: number;
  mark?: { value: number; mask: number };
}

export type EventCommand =
  | { readonly kind: 'iptables'; readonly cmd: Command }
  | { readonly kind: 'conntrack-flush' }
  | { readonly kind: 'conntrack-delete'; readonly filter: CtFilter }
  | {
      readonly kind: 'addr';
      readonly op: 'add' | 'del';
      readonly addr: number;
      readonly len: number;
      readonly dev: string;
    }
  | { readonly kind: 'link'; readonly dev: string; readonly up: boolean }
  | { readonly kind: 'route'; readonly op: 'add' | 'del' | 'replace'; readonly text: string }
  | { readonly kind: 'rule'; readonly op: 'add' | 'del'; readonly text: string }
  | { readonly kind: 'sysctl'; readonly key: string; readonly value: number }
  | NftEventCommand
  | LinkMtuCommand;

export type ParsedEvent =
  | { readonly ok: true; readonly command: EventCommand }
  | { readonly ok: false; readonly at: Pos; readonly token: string; readonly message: string };

/** The iptables operations an event may run (-L/-S print and change nothing: not events). */
const IPT_OPS = new Set([
  'append',
  'insert',
  'delete',
  'deleteNum',
  'replace',
  'flush',
  'zero',
  'newChain',
  'deleteChain',
  'policy',
  'rename',
  'check',
]);

const EVENT_COMMANDS =
  'iptables -A/-I/-D/-R/-F/-X/-N/-P/-Z/-E/-C, conntrack -F, conntrack -D, ip addr add|del, ip link set DEV up|down, ip route add|del|replace, ip rule add|del, sysctl -w key=value, nft add|insert|replace|delete|flush|create …';

/**
 * Reads one event's command line (`names`: the host's `rt_tables:`, for `ip route`/`ip rule`).
 * Never throws.
 */
export function parseEventCommand(src: SourceLine, names?: TableNames): ParsedEvent {
  const lexed = lexShell([src]);
  if (!lexed.ok) return { ok: false, at: lexed.at, token: lexed.token, message: lexed.message };
  const w = lexed.tokens;
  const bad = (tok: Token | undefined, message: string): ParsedEvent => ({
    ok: false,
    at: tok ?? { file: src.file, line: src.line, column: src.column + src.text.length },
    token: tok?.text ?? '',
    message,
  });
  const first = w[0];
  if (!first) return bad(undefined, `an empty command: expected one of ${EVENT_COMMANDS}`);
  const prog = first.text.slice(first.text.lastIndexOf('/') + 1);
  try {
    switch (prog) {
      case 'iptables':
      case 'iptables-nft':
      case 'iptables-legacy': {
        const cmd = parseCommandLine(w, {
          loc: { file: first.file, line: first.line, column: first.column },
        });
        if (!IPT_OPS.has(cmd.op))
          return bad(
            w[1],
            `"${w[1]?.text ?? ''}" changes nothing and prints what natbox does not compare: not an event`,
          );
        const unsupported = unsupportedIn(cmd);
        if (unsupported) return bad(cmd.cmdTok, unsupported);
        return { ok: true, command: { kind: 'iptables', cmd } };
      }
      case 'conntrack':
        return parseConntrack(w, bad);
      case 'ip':
        return parseIp(w, bad, names);
      case 'sysctl': {
        if (w[1]?.text !== '-w' || w.length !== 3)
          return bad(w[1] ?? first, 'expected sysctl -w key=value (one setting)');
        const m = /^([a-z0-9_.-]+)=(\d+)$/.exec(w[2]!.text);
        if (!m) return bad(w[2], 'expected key=value with a whole number, e.g. net.ipv4.ip_forward=1');
        return { ok: true, command: { kind: 'sysctl', key: m[1]!, value: Number(m[2]) } };
      }
      case 'nft': {
        const p = parseNftEvent(src, w);
        if (!p.ok) return { ok: false, at: p.at, token: p.token, message: p.message };
        return p;
      }
      default:
        return bad(first, `unknown command "${first.text}": an event runs one of ${EVENT_COMMANDS}`);
    }
  } catch (e) {
    if (e instanceof RuleError) return { ok: false, at: e.at, token: e.token, message: e.message };
    throw e;
  }
}

/** A rule natbox cannot evaluate (an unsupported match or target), in words; else undefined. */
function unsupportedIn(cmd: Command): string | undefined {
  if (!('rules' in cmd)) return undefined;
  const chain: Chain = {
    name: cmd.chain,
    builtin: BUILTIN_CHAINS[cmd.table].includes(cmd.chain),
    policy: undefined,
    counters: { packets: 0, bytes: 0 },
    rules: cmd.rules.map((r) => r.rule),
  };
  const rs: Ruleset = {
    tables: new Map([[cmd.table, { name: cmd.table, chains: new Map([[chain.name, chain]]) }]]),
  };
  // A jump to a chain made by another event, and a target in a chain the kernel refuses it in,
  // are checked when the event runs, as the kernel does (exit 2 and 4).
  const p = checkRuleset(rs).find(
    (x) => !x.message.startsWith('unknown chain') && !/ only valid in /.test(x.message),
  );
  return p && `${formatRule(p.chain, p.rule)}: ${p.message}`;
}

function parseConntrack(w: Token[], bad: (t: Token | undefined, m: string) => ParsedEvent): ParsedEvent {
  const op = w[1];
  if (op?.text === '-F' || op?.text === '--flush') {
    if (w.length > 2) return bad(w[2], 'conntrack -F takes no filter (write conntrack -D with filters)');
    return { ok: true, command: { kind: 'conntrack-flush' } };
  }
  if (op?.text !== '-D' && op?.text !== '--delete')
    return bad(op ?? w[0], 'expected conntrack -F or conntrack -D [filters]');
  const f: CtFilter = {};
  const addr = (t: Token | undefined): number => {
    const a = parseIpv4(t?.text ?? '');
    if (!a.ok)
      throw new RuleError(t ?? w[0]!, t?.text ?? '', `expected an IPv4 address, found "${t?.text ?? ''}"`);
    return a.value;
  };
  const port = (t: Token | undefined): number => {
    const n = Number(t?.text);
    if (!/^\d+$/.test(t?.text ?? '') || n > 65535)
      throw new RuleError(t ?? w[0]!, t?.text ?? '', `expected a port (0-65535), found "${t?.text ?? ''}"`);
    return n;
  };
  for (let i = 2; i < w.length; i++) {
    const o = w[i]!;
    const v = w[i + 1];
    i++;
    switch (o.text) {
      case '-p':
      case '--proto': {
        const p = { tcp: 6, udp: 17, icmp: 1 }[v?.text ?? ''];
        if (p === undefined)
          return bad(v ?? o, `expected a protocol (tcp, udp or icmp), found "${v?.text ?? ''}"`);
        f.proto = p;
        break;
      }
      case '-s':
      case '--src':
      case '--orig-src':
        f.origSrc = addr(v);
        break;
      case '-d':
      case '--dst':
      case '--orig-dst':
        f.origDst = addr(v);
        break;
      case '-r':
      case '--reply-src':
        f.replySrc = addr(v);
        break;
      case '-q':
      case '--reply-dst':
        f.replyDst = addr(v);
        break;
      case '--sport':
      case '--orig-port-src':
        f.sport = port(v);
        break;
      case '--dport':
      case '--orig-port-dst':
        f.dport = port(v);
        break;
      case '--reply-port-src':
        f.replySport = port(v);
        break;
      case '--reply-port-dst':
        f.replyDport = port(v);
        break;
      case '-m':
      case '--mark': {
        const m = /^(0x[0-9a-f]+|\d+)(?:\/(0x[0-9a-f]+|\d+))?$/i.exec(v?.text ?? '');
        if (!m) return bad(v ?? o, `expected a mark (N or N/MASK), found "${v?.text ?? ''}"`);
        f.mark = { value: Number(m[1]) >>> 0, mask: m[2] === undefined ? 0xffffffff : Number(m[2]) >>> 0 };
        break;
      }
      default:
        return bad(
          o,
          `unknown conntrack -D option "${o.text}" (natbox reads -p, -s, -d, -r, -q, --sport, --dport, --orig-src, --orig-dst, --reply-src, --reply-dst, --reply-port-src, --reply-port-dst, -m)`,
        );
    }
    if (v === undefined) return bad(o, `"${o.text}" needs a value`);
  }
  const ports = [f.sport, f.dport, f.replySport, f.replyDport].some((x) => x !== undefined);
  if (ports && f.proto !== 6 && f.proto !== 17)
    return bad(w[1], 'port filters need -p tcp or -p udp before them (conntrack: "missing protocol")');
  return { ok: true, command: { kind: 'conntrack-delete', filter: f } };
}

function parseIp(
  w: Token[],
  bad: (t: Token | undefined, m: string) => ParsedEvent,
  names: TableNames | undefined,
): ParsedEvent {
  const obj = w[1]?.text ?? '';
  const op = w[2];
  const rest = w.slice(3);
  const textOf = (ts: Token[]): string => ts.map((t) => t.text).join(' ');
  if (/^a(d(d(r(e(s(s)?)?)?)?)?)?$/.test(obj) && obj.length >= 1) {
    if (op?.text !== 'add' && op?.text !== 'del')
      return bad(op ?? w[1], 'expected ip addr add|del ADDR/LEN dev DEV');
    const a = rest[0];
    const devAt = rest.findIndex((t) => t.text === 'dev');
    const dev = devAt >= 0 ? rest[devAt + 1] : undefined;
    if (!a || !a.text.includes('/')) return bad(a ?? op, 'expected ADDR/LEN (e.g. 192.0.2.7/24)');
    const p = parsePrefix(a.text);
    const len = Number(a.text.split('/')[1]);
    const ip = parseIpv4(a.text.split('/')[0]!);
    if (!p.ok || !ip.ok) return bad(a, `bad address "${a.text}"`);
    if (!dev || rest.length !== 3 || devAt !== 1)
      return bad(rest[1] ?? a, 'expected ip addr add|del ADDR/LEN dev DEV');
    return { ok: true, command: { kind: 'addr', op: op.text, addr: ip.value, len, dev: dev.text } };
  }
  if (obj === 'link' || obj === 'l') {
    if (op?.text !== 'set') return bad(op ?? w[1], 'expected ip link set DEV up|down');
    const words = rest[0]?.text === 'dev' ? rest.slice(1) : rest;
    if (words.length === 3 && words[1]!.text === 'mtu') return linkMtu(words[0]!, words[2]!, bad);
    if (words.length !== 2 || (words[1]!.text !== 'up' && words[1]!.text !== 'down'))
      return bad(words[1] ?? op, 'expected ip link set DEV up|down');
    return { ok: true, command: { kind: 'link', dev: words[0]!.text, up: words[1]!.text === 'up' } };
  }
  if (obj === 'route' || obj === 'r' || obj === 'ro') {
    const o = op?.text;
    if (o !== 'add' && o !== 'del' && o !== 'replace')
      return bad(op ?? w[1], 'expected ip route add|del|replace ROUTE');
    const text = textOf(rest);
    const p = routeOf(o, text, names);
    if (!p.ok) {
      const k = rest.findIndex((t) => t.text === p.error.token);
      return bad(rest[k] ?? rest[0] ?? op, p.error.message);
    }
    return { ok: true, command: { kind: 'route', op: o, text } };
  }
  if (obj === 'rule' || obj === 'ru') {
    const o = op?.text;
    if (o !== 'add' && o !== 'del') return bad(op ?? w[1], 'expected ip rule add|del SELECTOR ACTION');
    const text = textOf(rest);
    const p = parseRule(text, names, o === 'del');
    if (!p.ok) {
      const k = rest.findIndex((t) => t.text === p.error.token);
      return bad(rest[k] ?? rest[0] ?? op, p.error.message);
    }
    return { ok: true, command: { kind: 'rule', op: o, text } };
  }
  return bad(w[1] ?? w[0], 'expected ip addr, ip link, ip route or ip rule');
}

// ---- running ---------------------------------------------------------------------------------

/** Schedules every event on the world's clock; each result is pushed onto `out` when it ran. */
export function scheduleEvents(world: EventWorld, events: readonly SimEvent[], out: EventResult[]): void {
  const commands = events.map((ev) => {
    const parsed = parseEventCommand({ text: ev.run, ...ev.loc }, world.host(ev.host).policy.tableNames);
    if (!parsed.ok) throw new Error(`${ev.loc.file}:${ev.loc.line}:${ev.loc.column}: ${parsed.message}`);
    const c = parsed.command;
    return c.kind === 'nft' && c.file !== undefined ? { ...c, lines: ev.input ?? [] } : c;
  });
  for (let i = 0; i < events.length;) {
    const ev = events[i]!;
    // Events next to each other in the list at the same time on the same host that only add
    // iptables rules run as one batch: each command checked and applied in its order as alone,
    // the engine swapped once for them all (no packet can pass between them; a fix of hundreds
    // of rules is not hundreds of copies of the ruleset).
    let j = i + 1;
    if (addsRules(commands[i]!))
      while (
        j < events.length &&
        events[j]!.at === ev.at &&
        events[j]!.host === ev.host &&
        addsRules(commands[j]!)
      )
        j++;
    const batch = events.slice(i, j);
    const cmds = commands.slice(i, j);
    world.sched.at(ev.at, () => {
      const host = world.host(ev.host);
      const ran =
        cmds.length === 1
          ? [runEvent(host, cmds[0]!)]
          : runIptablesBatch(
              host,
              cmds.map((c) => (c as EventCommand & { kind: 'iptables' }).cmd),
            );
      batch.forEach((e, k) => {
        const r = ran[k]!;
        const res: EventResult = { event: e, t: world.sched.now, ...r };
        out.push(res);
        host.trace({
          kind: 'event',
          host: e.host,
          command: e.run,
          rc: r.rc,
          stderr: r.stderr,
          ...(r.stdout ? { stdout: r.stdout } : {}),
          effect: r.effect,
        });
      });
    });
    i = j;
  }
}

/** The time by which every event has run. */
export const eventsEnd = (events: readonly SimEvent[] | undefined): number =>
  (events ?? []).reduce((m, e) => Math.max(m, e.at), 0);

type Ran = { rc: number; stdout: string; stderr: string; effect: string };
const ok = (effect: string, stdout = '', stderr = ''): Ran => ({ rc: 0, stdout, stderr, effect });
const failed = (rc: number, stderr: string): Ran => ({ rc, stdout: '', stderr, effect: '' });

/** Runs one command on a live host: what the tool would print and return. */
export function runEvent(host: Host, c: EventCommand): Ran {
  switch (c.kind) {
    case 'iptables':
      return runIptables(host, c.cmd);
    case 'conntrack-flush': {
      const ct = host.nf?.conntrack;
      const now = host.env.now();
      const gone = ct ? ct.entries(now) : [];
      for (const e of gone) ct!.remove(e);
      return ok(
        `conntrack table flushed (${gone.length} entr${gone.length === 1 ? 'y' : 'ies'} deleted)`,
        '',
        `${CONNTRACK_VERSION}: connection tracking table has been emptied.\n`,
      );
    }
    case 'conntrack-delete':
      return conntrackDelete(host, c.filter);
    case 'addr':
      return ipAddr(host, c);
    case 'link': {
      if (!host.ifaces.has(c.dev)) return failed(1, `Cannot find device "${c.dev}"\n`);
      const was = !host.down.has(c.dev);
      const n = host.setLinkUp(c.dev, c.up);
      if (was === c.up) return ok('');
      return ok(
        c.up
          ? `${c.dev} is up: its connected routes are back`
          : `${c.dev} is down: its routes are gone${n > 0 ? `; MASQUERADE forgot ${n} connection(s) bound through it` : ''}`,
      );
    }
    case 'route':
      return ipRoute(host, c.op, c.text);
    case 'rule':
      return applyIpRule(host, c.op, c.text);
    case 'nft':
      return runNftEvent(host, c);
    case 'sysctl': {
      host.writeSysctl(c.key, c.value);
      return ok(`${c.key} = ${c.value}`, `${c.key} = ${c.value}\n`);
    }
    case 'mtu':
      return runLinkMtu(host, c.dev, c.mtu);
  }
}

/**
 * An iptables command on the host's ruleset: the failure iptables 1.8.9 (nf_tables) reports, with
 * its exit status, or the new ruleset swapped in with its state (Host.replaceRuleset).
 */
function runIptables(host: Host, cmd: Command): Ran {
  const rs = cloneRuleset(host.ruleset ?? emptyRuleset());
  const r = iptablesOn(rs, cmd);
  if (r) return r.ran;
  putChainsInOrder(rs);
  host.replaceRuleset(rs);
  return ok(iptablesEffect(cmd));
}

/** An event command that only adds rules (`iptables -A`, `-I`): such neighbours run as a batch. */
const addsRules = (c: EventCommand): boolean =>
  c.kind === 'iptables' && (c.cmd.op === 'append' || c.cmd.op === 'insert');

/**
 * iptables commands that run at the same instant on one host, in their order: each checked and
 * applied as runIptables does, on one copy of the ruleset, and the engine swapped once at the
 * end. A command the kernel refuses leaves the copy as it was before it (made again from the
 * commands applied before it when the refusal came after a change).
 */
function runIptablesBatch(host: Host, cmds: readonly Command[]): Ran[] {
  const fresh = (): Ruleset => cloneRuleset(host.ruleset ?? emptyRuleset());
  let rs = fresh();
  const applied: Command[] = [];
  const out = cmds.map((cmd): Ran => {
    const r = iptablesOn(rs, cmd);
    if (!r) {
      applied.push(cmd);
      return ok(iptablesEffect(cmd));
    }
    if (r.changed) {
      rs = fresh();
      for (const c of applied) applyCommand(rs, c);
    }
    return r.ran;
  });
  if (applied.length > 0) {
    putChainsInOrder(rs);
    host.replaceRuleset(rs);
  }
  return out;
}

/**
 * Checks an iptables command against `rs` and applies it there, as iptables 1.8.9 (nf_tables)
 * does: undefined when applied (-C: when the rule exists), else the failure with its exit status,
 * and whether `rs` may have been changed before the refusal.
 */
function iptablesOn(rs: Ruleset, cmd: Command): { ran: Ran; changed: boolean } | undefined {
  const table = rs.tables.get(cmd.table);
  const has = (name: string): boolean => table?.chains.has(name) ?? BUILTIN_CHAINS[cmd.table].includes(name);
  const NO_CHAIN = 'iptables: No chain/target/match by that name.\n';
  // Refused before anything was changed, or by applyCommand (which may have changed `rs`).
  const refused = (rc: number, stderr: string, changed = false): { ran: Ran; changed: boolean } => ({
    ran: failed(rc, stderr),
    changed,
  });
  // A jump to a chain that does not exist: the command line is refused before the kernel is asked.
  if ('rules' in cmd)
    for (const pr of cmd.rules) {
      const t = pr.rule.target;
      if (t && (t.kind === 'jump' || t.kind === 'goto') && !has(t.chain))
        return refused(
          2,
          `${IPTABLES_VERSION}: Chain '${t.chain}' does not exist\nTry \`iptables -h' or 'iptables --help' for more information.\n`,
        );
    }
  const chain = 'chain' in cmd && cmd.chain !== undefined ? cmd.chain : undefined;
  const builtin = chain !== undefined && BUILTIN_CHAINS[cmd.table].includes(chain);
  if (cmd.op === 'newChain') {
    if (has(cmd.chain)) return refused(1, 'iptables: Chain already exists.\n');
  } else if (cmd.op === 'policy') {
    if (!builtin) return refused(1, has(cmd.chain) ? 'iptables: Bad built-in chain name.\n' : NO_CHAIN);
  } else if (cmd.op === 'deleteChain' && chain !== undefined && builtin) {
    return refused(1, NO_CHAIN);
  } else if (chain !== undefined && !has(chain)) {
    return refused(1, NO_CHAIN);
  }
  const len = chain !== undefined ? (table?.chains.get(chain)?.rules.length ?? 0) : 0;
  if (cmd.op === 'insert' && cmd.index > len + 1)
    return refused(1, 'iptables: Index of insertion too big.\n');
  if (cmd.op === 'replace' && cmd.index > len) return refused(1, 'iptables: Index of replacement too big.\n');
  if (cmd.op === 'deleteNum' && cmd.index > len) return refused(1, 'iptables: Index of deletion too big.\n');
  if (cmd.op === 'rename' && has(cmd.newName)) return refused(1, 'iptables: File exists.\n');
  const BAD_RULE = 'iptables: Bad rule (does a matching rule exist in that chain?).\n';
  if (cmd.op === 'check') return ruleExists(rs, cmd) ? { ran: ok(''), changed: false } : refused(1, BAD_RULE);
  try {
    applyCommand(rs, cmd);
  } catch (e) {
    if (!(e instanceof RuleError)) throw e;
    switch (cmd.op) {
      case 'delete':
        return refused(1, BAD_RULE, true);
      case 'deleteChain': {
        const victim = chain ?? /chain (\S+)/.exec(e.message)?.[1] ?? '';
        return refused(
          4,
          `${IPTABLES_VERSION}:  CHAIN_DEL failed (Device or resource busy): chain ${victim}\n`,
          true,
        );
      }
      case 'append':
      case 'insert':
      case 'replace': {
        const what = { append: 'RULE_APPEND', insert: 'RULE_INSERT', replace: 'RULE_REPLACE' }[cmd.op];
        return refused(
          4,
          `${IPTABLES_VERSION}:  ${what} failed (Invalid argument): rule in chain ${cmd.chain}\n`,
          true,
        );
      }
      default:
        return refused(1, `iptables: ${e.message}.\n`, true);
    }
  }
  return undefined;
}

function iptablesEffect(cmd: Command): string {
  const where = (c: string | undefined): string => `${cmd.table} ${c ?? '(every chain)'}`;
  switch (cmd.op) {
    case 'append':
      return `rule appended to ${where(cmd.chain)}`;
    case 'insert':
      return `rule inserted at ${cmd.index} in ${where(cmd.chain)}`;
    case 'replace':
      return `rule ${cmd.index} of ${where(cmd.chain)} replaced`;
    case 'delete':
    case 'deleteNum':
      return `rule deleted from ${where(cmd.chain)}`;
    case 'flush':
      return `${where(cmd.chain)} flushed`;
    case 'zero':
      return `counters of ${where(cmd.chain)} zeroed`;
    case 'newChain':
      return `chain ${cmd.chain} created in ${cmd.table}`;
    case 'deleteChain':
      return `chain ${cmd.chain ?? '(every empty user chain)'} deleted from ${cmd.table}`;
    case 'policy':
      return `policy of ${where(cmd.chain)} set to ${cmd.policy}`;
    case 'rename':
      return `chain ${cmd.chain} renamed ${cmd.newName} in ${cmd.table}`;
    default:
      return '';
  }
}

/** Whether entry `e` passes every filter given (conntrack -D's filters, all of them). */
function conntrackDelete(host: Host, f: CtFilter): Ran {
  const ct = host.nf?.conntrack;
  const now = host.env.now();
  const victims = (ct ? ct.entries(now) : []).filter((e) => {
    const t = ct!;
    if (f.proto !== undefined && t.protoOf(e) !== f.proto) return false;
    if (f.origSrc !== undefined && t.src(e, DIR_ORIGINAL) !== f.origSrc) return false;
    if (f.origDst !== undefined && t.dst(e, DIR_ORIGINAL) !== f.origDst) return false;
    if (f.replySrc !== undefined && t.src(e, DIR_REPLY) !== f.replySrc) return false;
    if (f.replyDst !== undefined && t.dst(e, DIR_REPLY) !== f.replyDst) return false;
    if (f.sport !== undefined && t.sport(e, DIR_ORIGINAL) !== f.sport) return false;
    if (f.dport !== undefined && t.dport(e, DIR_ORIGINAL) !== f.dport) return false;
    if (f.replySport !== undefined && t.sport(e, DIR_REPLY) !== f.replySport) return false;
    if (f.replyDport !== undefined && t.dport(e, DIR_REPLY) !== f.replyDport) return false;
    if (f.mark !== undefined && (t.mark[e]! & f.mark.mask) >>> 0 !== f.mark.value) return false;
    return true;
  });
  const lines = victims.map((e) => formatConntrackLine(ct!, e, now) + '\n').join('');
  for (const e of victims) ct!.remove(e);
  const said = `${CONNTRACK_VERSION}: ${victims.length} flow entries have been deleted.\n`;
  if (victims.length === 0) return { rc: 1, stdout: '', stderr: said, effect: '' };
  return ok(`${victims.length} conntrack entr${victims.length === 1 ? 'y' : 'ies'} deleted`, lines, said);
}

function ipAddr(host: Host, c: EventCommand & { kind: 'addr' }): Ran {
  const dev = host.ifaces.get(c.dev);
  if (!dev) return failed(1, `Cannot find device "${c.dev}"\n`);
  const has = dev.addrs.some((a) => a.addr === c.addr && a.len === c.len);
  const text = `${formatIpv4(c.addr)}/${c.len}`;
  if (c.op === 'add') {
    if (dev.addrs.some((a) => a.addr === c.addr))
      return failed(2, 'Error: ipv4: Address already assigned.\n');
    host.setAddresses(c.dev, [...dev.addrs, { addr: c.addr, len: c.len }]);
    if (host.down.has(c.dev)) host.routes.removeWhere((r) => r.dev === c.dev);
    return ok(`${text} added to ${c.dev}`);
  }
  if (!has) return failed(2, 'Error: ipv4: Address not found.\n');
  // The device's last address going: IP is disabled on it (fib_disable_ip), its ARP table flushed.
  if (dev.addrs.length === 1) host.forgetNeighbours(dev.name);
  const n = host.setAddresses(
    c.dev,
    dev.addrs.filter((a) => !(a.addr === c.addr && a.len === c.len)),
  );
  if (host.down.has(c.dev)) host.routes.removeWhere((r) => r.dev === c.dev);
  return ok(
    `${text} removed from ${c.dev}${n > 0 ? `; MASQUERADE forgot ${n} connection(s) bound to it` : ''}`,
  );
}

/** A device name no host has: `ip route del PREFIX` names neither gateway nor device. */
const ANY_DEV = '\0any';

/** parseRoute, but a deletion may name the destination alone (it deletes the first match). */
function routeOf(op: string, text: string, names: TableNames | undefined): ReturnType<typeof parseRoute> {
  const p = parseRoute(text, names);
  if (p.ok || op !== 'del' || /\b(via|dev)\b/.test(text)) return p;
  const q = parseRoute(`${text} dev ${ANY_DEV}`, names);
  return q.ok ? { ok: true, value: { ...q.value, dev: undefined } } : p;
}

function ipRoute(host: Host, op: 'add' | 'del' | 'replace', text: string): Ran {
  const p = routeOf(op, text, host.policy.tableNames);
  if (!p.ok) return failed(1, `Error: ${p.error.message}\n`);
  const r = p.value;
  if (r.nexthops) return failed(2, 'Error: natbox does not take multipath routes in events.\n');
  // The table the route names (main unless `table`; local for local/broadcast routes).
  const table = host.policy.table(r.table);
  const same = (x: { addr: number; len: number; metric: number; tos?: number }): boolean =>
    x.addr === r.addr && x.len === r.len && x.metric === r.metric && (x.tos ?? 0) === r.tos;
  const dest = r.len === 0 ? 'default' : `${formatIpv4(r.addr)}/${r.len}`;
  if (op === 'del') {
    const victim = table
      .list()
      .find(
        (x) =>
          x.addr === r.addr &&
          x.len === r.len &&
          (r.via === 0 || x.via === r.via) &&
          (r.dev === undefined || x.dev === r.dev) &&
          (!/\bmetric\b/.test(text) || x.metric === r.metric),
      );
    if (!victim) return failed(2, 'RTNETLINK answers: No such process\n');
    table.removeWhere((x) => x === victim);
    return ok(`route ${dest} deleted`);
  }
  // blackhole, unreachable, prohibit and throw routes have no device.
  const deviceless = r.type !== RTN_UNICAST && r.type !== RTN_LOCAL && r.type !== RTN_BROADCAST;
  if (r.dev !== undefined && !host.ifaces.has(r.dev)) return failed(1, `Cannot find device "${r.dev}"\n`);
  let dev = deviceless ? '' : r.dev;
  if (r.via && !deviceless) {
    // The gateway must be on a connected network (of `dev`, when given): fib_check_nh.
    const onLink = host.routes
      .list()
      .find((x) => x.origin === 'kernel' && (dev === undefined || x.dev === dev) && inPrefix(r.via, x));
    if (!onLink) return failed(2, 'Error: Nexthop has invalid gateway.\n');
    dev ??= onLink.dev;
  }
  if (dev === undefined) return failed(2, 'Error: Device for nexthop is not up.\n');
  if (dev !== '' && host.down.has(dev)) return failed(2, 'Error: Nexthop device is not up.\n');
  const exists = table.list().some((x) => same(x));
  if (op === 'add' && exists) return failed(2, 'RTNETLINK answers: File exists\n');
  if (exists) table.removeWhere((x) => same(x));
  host.policy.add({
    addr: r.addr,
    mask: prefixMask(r.len),
    len: r.len,
    via: deviceless ? 0 : r.via,
    dev,
    src: r.src,
    metric: r.metric,
    origin: 'static',
    type: r.type,
    table: r.table,
    ...(r.tos ? { tos: r.tos } : {}),
    ...(r.scope !== undefined ? { scope: r.scope } : {}),
    ...(r.proto !== undefined ? { proto: r.proto } : {}),
    ...(r.mtu !== undefined ? { mtu: r.mtu, mtuLock: r.mtuLock } : {}),
    ...(r.advmss !== undefined ? { advmss: r.advmss } : {}),
  });
  host.refreshMtus();
  return ok(
    `route ${dest}${r.via && !deviceless ? ` via ${formatIpv4(r.via)}` : ''}${dev ? ` dev ${dev}` : ''} ${op === 'add' ? 'added' : 'replaced'}`,
  );
}

/**
 * `ip rule add|del TEXT` on a live host: the host's rule list (route/rule.ts, the parser of the
 * host's `ip_rules:`), with the kernel's refusals as iproute2 prints them (a deletion that matches
 * no rule: `RTNETLINK answers: No such file or directory`, rc 2).
 */
function applyIpRule(host: Host, op: 'add' | 'del', text: string): Ran {
  const p = parseRule(text, host.policy.tableNames, op === 'del');
  if (!p.ok) return failed(255, `Error: ${p.error.message}\n`);
  const why = op === 'add' ? host.policy.rules.add(p.value) : host.policy.rules.delete(p.value);
  if (why !== undefined) return failed(2, `${why}\n`);
  const norm = text.trim().replace(/\s+/g, ' ');
  return ok(`ip rule "${norm}" ${op === 'add' ? 'added' : 'deleted'}`);
}
