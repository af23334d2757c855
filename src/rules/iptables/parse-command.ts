// The iptables command language: the words after `iptables` (or of a restore-file rule line) to a
// Command — which table and chain, what to do, and the rules it carries, in the model's terms.
// Options are read the way iptables' getopt_long does (long options may be abbreviated to any
// unique prefix, `--opt=value`, `-j` options only after `-j`, tcp/udp/icmp options loaded
// implicitly after `-p`). Whether the chain exists and whether a NAT target may sit in it is
// checked when the command is applied (apply.ts). A parse error is raised as a RuleError inside
// the front end and becomes a Diagnostic at the line's boundary (load.ts never throws).
import { makeCounters, parseCounter } from '../counters.ts';
import { parseIpv4, type Prefix } from '../../wire/addr.ts';
import { didYouMean, IPV6_NOT_SIMULATED, looksLikeIpv6, NFT_NOT_READ } from '../diagnostics.ts';
import {
  RuleError,
  fail,
  once,
  opt,
  parseAddress,
  parseIface,
  protoIs,
  type FinishCtx,
  type ModuleParser,
  type OptSpec,
  type TargetParser,
} from './parse-util.ts';

export { RuleError };
import type { Token } from './lex.ts';
import { MATCH_EXTS } from './ext/index.ts';
import { EXTRA_TARGETS } from './parse-targets.ts';
import type {
  Counters,
  IfaceMatch,
  Inv,
  NatFlags,
  NatRange,
  Policy,
  PortRange,
  Rule,
  SourceLoc,
  TableName,
} from './model.ts';
import {
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  LOG_FLAGS,
  LOG_LEVELS,
  REJECT_WITH,
  UNSUPPORTED_TARGETS,
  protocolNumber,
} from './names.ts';

export const TABLES: readonly TableName[] = ['raw', 'mangle', 'nat', 'filter', 'security'];

/** A rule as parsed, with the token of its target (for errors found when it is applied). */
export interface ParsedRule {
  readonly rule: Rule;
  readonly targetTok?: Token;
}

interface CommandBase {
  readonly table: TableName;
  /** The command option itself (-A, --flush...). */
  readonly cmdTok: Token;
}

export type Command = CommandBase &
  (
    | {
        readonly op: 'append';
        readonly chain: string;
        readonly chainTok: Token;
        readonly rules: ParsedRule[];
      }
    | {
        readonly op: 'insert';
        readonly chain: string;
        readonly chainTok: Token;
        readonly index: number;
        readonly indexTok?: Token;
        readonly rules: ParsedRule[];
      }
    | {
        readonly op: 'delete';
        readonly chain: string;
        readonly chainTok: Token;
        readonly rules: ParsedRule[];
      }
    | {
        readonly op: 'deleteNum' | 'replace';
        readonly chain: string;
        readonly chainTok: Token;
        readonly index: number;
        readonly indexTok: Token;
        readonly rules: ParsedRule[];
      }
    | { readonly op: 'flush' | 'zero' | 'deleteChain'; readonly chain?: string; readonly chainTok?: Token }
    | { readonly op: 'newChain'; readonly chain: string; readonly chainTok: Token }
    | {
        readonly op: 'policy';
        readonly chain: string;
        readonly chainTok: Token;
        readonly policy: Policy;
        readonly policyTok: Token;
      }
    | {
        readonly op: 'rename';
        readonly chain: string;
        readonly chainTok: Token;
        readonly newName: string;
        readonly newTok: Token;
      }
    /** -L, -S, -C, -V, -h: change nothing; the loader warns that they were skipped. */
    | { readonly op: 'noop'; readonly what: string }
  );

export interface ParseOptions {
  /** A restore-file line: the table comes from `*table` and -t is refused. */
  readonly restoreTable?: TableName;
  /** Where the line starts, kept in each rule for diagnostics and the trace. */
  readonly loc?: SourceLoc;
}

// ---------------------------------------------------------------------------------------------
// Option tables

type Arity = 'none' | 'required' | 'optional';
interface GlobalOpt {
  readonly id: string;
  readonly short?: string;
  readonly long: readonly string[];
  readonly arity: Arity;
  readonly invert?: boolean;
}

const GLOBAL: readonly GlobalOpt[] = [
  { id: 'A', short: 'A', long: ['append'], arity: 'required' },
  { id: 'C', short: 'C', long: ['check'], arity: 'required' },
  { id: 'D', short: 'D', long: ['delete'], arity: 'required' },
  { id: 'I', short: 'I', long: ['insert'], arity: 'required' },
  { id: 'R', short: 'R', long: ['replace'], arity: 'required' },
  { id: 'L', short: 'L', long: ['list'], arity: 'optional' },
  { id: 'S', short: 'S', long: ['list-rules'], arity: 'optional' },
  { id: 'F', short: 'F', long: ['flush'], arity: 'optional' },
  { id: 'Z', short: 'Z', long: ['zero'], arity: 'optional' },
  { id: 'N', short: 'N', long: ['new-chain'], arity: 'required' },
  { id: 'X', short: 'X', long: ['delete-chain'], arity: 'optional' },
  { id: 'E', short: 'E', long: ['rename-chain'], arity: 'required' },
  { id: 'P', short: 'P', long: ['policy'], arity: 'required' },
  { id: 'V', short: 'V', long: ['version'], arity: 'none' },
  { id: 'h', short: 'h', long: ['help'], arity: 'none' },
  { id: 's', short: 's', long: ['source', 'src'], arity: 'required', invert: true },
  { id: 'd', short: 'd', long: ['destination', 'dst'], arity: 'required', invert: true },
  { id: 'p', short: 'p', long: ['protocol'], arity: 'required', invert: true },
  { id: 'i', short: 'i', long: ['in-interface'], arity: 'required', invert: true },
  { id: 'o', short: 'o', long: ['out-interface'], arity: 'required', invert: true },
  { id: 'f', short: 'f', long: ['fragment', 'fragments'], arity: 'none', invert: true },
  { id: 'j', short: 'j', long: ['jump'], arity: 'required' },
  { id: 'g', short: 'g', long: ['goto'], arity: 'required' },
  { id: 'm', short: 'm', long: ['match'], arity: 'required' },
  { id: 't', short: 't', long: ['table'], arity: 'required' },
  { id: 'c', short: 'c', long: ['set-counters'], arity: 'required' },
  { id: 'n', short: 'n', long: ['numeric'], arity: 'none' },
  { id: 'v', short: 'v', long: ['verbose'], arity: 'none' },
  { id: 'x', short: 'x', long: ['exact'], arity: 'none' },
  { id: 'w', short: 'w', long: ['wait'], arity: 'optional' },
  { id: 'W', short: 'W', long: ['wait-interval'], arity: 'required' },
  { id: 'line-numbers', long: ['line-numbers'], arity: 'none' },
  { id: 'modprobe', short: 'M', long: ['modprobe'], arity: 'required' },
  { id: '4', short: '4', long: ['ipv4'], arity: 'none' },
  { id: '6', short: '6', long: ['ipv6'], arity: 'none' },
];
const GLOBAL_BY_SHORT = new Map(GLOBAL.filter((g) => g.short).map((g) => [g.short!, g]));
const COMMANDS = new Set(['A', 'C', 'D', 'I', 'R', 'L', 'S', 'F', 'Z', 'N', 'X', 'E', 'P', 'V', 'h']);
const RULE_OPTS = new Set(['s', 'd', 'p', 'i', 'o', 'f', 'j', 'g', 'm', 'c']);

// ---------------------------------------------------------------------------------------------
// Value parsers

/** A NAT range: [a.b.c.d[-e.f.g.h]][:port[-port]] (parse_to() in libxt_NAT.c). */
function parseNatRange(tok: Token, opt: string): NatRange {
  const t = tok.text;
  const colon = t.indexOf(':');
  const addrText = colon < 0 ? t : t.slice(0, colon);
  let minAddr = 0;
  let maxAddr = 0;
  let minPort = 0;
  let maxPort = 0;
  let basePort: number | undefined;
  const hasAddr = addrText !== '';
  if (hasAddr) {
    const [a, b, ...rest] = addrText.split('-');
    const x = parseIpv4(a!);
    const y = b === undefined ? x : parseIpv4(b);
    if (looksLikeIpv6(t)) fail(tok, `"${t}" in ${opt} is an IPv6 address; ${IPV6_NOT_SIMULATED}`);
    if (!x.ok || !y.ok || rest.length)
      fail(tok, `bad IP address "${addrText}" in ${opt} (expected a.b.c.d or a.b.c.d-e.f.g.h)`);
    minAddr = (x as { value: number }).value;
    maxAddr = (y as { value: number }).value;
  }
  const hasPorts = colon >= 0;
  if (hasPorts) {
    const p = t.slice(colon + 1);
    const m = /^(\d+)(?:-(\d+))?(?:\/(\d+))?$/.exec(p);
    if (!m) fail(tok, `bad port "${p}" in ${opt} (expected port, port-port or port-port/base)`);
    minPort = Number(m![1]);
    maxPort = m![2] === undefined ? minPort : Number(m![2]);
    if (minPort > 65535 || maxPort > 65535) fail(tok, `bad port "${p}" in ${opt} (ports are 0-65535)`);
    if (maxPort < minPort) fail(tok, `bad port range "${p}" in ${opt} (min > max)`);
    if (m![3] !== undefined) {
      if (m![2] === undefined)
        fail(tok, `a base port ("/${m![3]}") needs a port range in ${opt} (min-max/base)`);
      basePort = Number(m![3]);
      if (basePort < 1 || basePort > 65535) fail(tok, `bad base port "${m![3]}" in ${opt} (1-65535)`);
    }
  }
  if (!hasAddr && !hasPorts) fail(tok, `empty range for ${opt} (expected an address, a port or both)`);
  const r = { minAddr, maxAddr, minPort, maxPort, hasAddr, hasPorts };
  return basePort === undefined ? r : { ...r, basePort };
}

/** --to-ports of MASQUERADE/REDIRECT: port[-port]. */
function parseToPorts(tok: Token): PortRange {
  const t = tok.text;
  if (/^\d+:\d+$/.test(t)) fail(tok, `invalid port range "${t}" for --to-ports (use a dash: min-max)`);
  const m = /^(\d+)(?:-(\d+))?$/.exec(t);
  if (!m) fail(tok, `bad port "${t}" for --to-ports (expected port or port-port)`);
  const min = Number(m![1]);
  const max = m![2] === undefined ? min : Number(m![2]);
  if (min > 65535 || max > 65535) fail(tok, `bad port "${t}" for --to-ports (ports are 0-65535)`);
  if (max < min) fail(tok, `bad port range "${t}" for --to-ports (min > max)`);
  return { min, max };
}

// ---------------------------------------------------------------------------------------------
// Match modules

/** The match parsers by -m name (ext/index.ts), in a Map: no name reaches Object.prototype. */
const MODULES: ReadonlyMap<string, (tok: Token) => ModuleParser> = new Map(
  MATCH_EXTS.map((e) => [e.name, e.parser]),
);
const IMPLICIT: Readonly<Record<number, string>> = {
  [IPPROTO_TCP]: 'tcp',
  [IPPROTO_UDP]: 'udp',
  [IPPROTO_ICMP]: 'icmp',
};

// ---------------------------------------------------------------------------------------------
// Targets

/** Protocols whose ports a NAT range may set (libxt_NAT.c, libxt_MASQUERADE.c). */
const NAT_PORT_PROTOS = new Set([6, 17, 33, 132, 136, IPPROTO_ICMP]);

function natTarget(kind: 'DNAT' | 'SNAT', tok: Token): TargetParser {
  const toOpt = kind === 'DNAT' ? 'to-destination' : 'to-source';
  let range: NatRange | undefined;
  let rangeTok: Token | undefined;
  const flags = { random: false, randomFully: false, persistent: false };
  const opts = [opt(toOpt, 1, false), opt('random', 0, false), opt('persistent', 0, false)];
  if (kind === 'SNAT') opts.push(opt('random-fully', 0, false));
  return {
    name: kind,
    tok,
    opts,
    option(id, args, _invert, optTok) {
      if (id === toOpt) {
        if (range) fail(optTok, `${kind}: "--${toOpt}" can be given only once`);
        rangeTok = args[0]!;
        range = parseNatRange(rangeTok, `--${toOpt}`);
      } else if (id === 'random') flags.random = true;
      else if (id === 'random-fully') flags.randomFully = true;
      else flags.persistent = true;
    },
    finish(ctx) {
      if (!range) fail(tok, `target ${kind} needs "--${toOpt}"`);
      if (
        range!.hasPorts &&
        !(ctx.protocol && !ctx.protocol.invert && NAT_PORT_PROTOS.has(ctx.protocol.value))
      ) {
        fail(rangeTok!, `${kind} with a port needs "-p tcp", "-p udp", "-p sctp", "-p dccp" or "-p icmp"`);
      }
      return { kind, ranges: [range!], flags: { ...flags } as NatFlags };
    },
  };
}

function portsTarget(kind: 'MASQUERADE' | 'REDIRECT', tok: Token): TargetParser {
  let ports: PortRange | undefined;
  let portsTok: Token | undefined;
  const flags = { random: false, randomFully: false, persistent: false };
  const opts = [opt('to-ports', 1, false), opt('random', 0, false)];
  if (kind === 'MASQUERADE') opts.push(opt('random-fully', 0, false));
  return {
    name: kind,
    tok,
    opts,
    option(id, args, _invert, optTok) {
      if (id === 'to-ports') {
        if (ports) fail(optTok, `${kind}: "--to-ports" can be given only once`);
        portsTok = args[0]!;
        ports = parseToPorts(portsTok);
      } else if (id === 'random') flags.random = true;
      else flags.randomFully = true;
    },
    finish(ctx) {
      if (ports && !(ctx.protocol && !ctx.protocol.invert && NAT_PORT_PROTOS.has(ctx.protocol.value))) {
        fail(portsTok!, `${kind} --to-ports needs "-p tcp", "-p udp", "-p sctp" or "-p dccp"`);
      }
      return ports ? { kind, ports, flags: { ...flags } } : { kind, flags: { ...flags } };
    },
  };
}

function rejectTarget(tok: Token): TargetParser {
  let withName = 'icmp-port-unreachable';
  let withTok: Token | undefined;
  return {
    name: 'REJECT',
    tok,
    opts: [opt('reject-with', 1, false)],
    option(_id, args) {
      const t = args[0]!;
      const lower = t.text.toLowerCase();
      const e = REJECT_WITH.find(([n, alias]) => n === lower || alias === lower);
      if (!e)
        fail(
          t,
          `unknown --reject-with "${t.text}"${didYouMean(
            t.text,
            REJECT_WITH.map(([n]) => n),
          )}`,
        );
      withName = e![0];
      withTok = t;
    },
    finish(ctx) {
      if (withName === 'tcp-reset' && !protoIs(ctx, IPPROTO_TCP)) {
        fail(withTok!, 'REJECT --reject-with tcp-reset needs "-p tcp"');
      }
      return { kind: 'REJECT', with: withName };
    },
  };
}

function logTarget(tok: Token): TargetParser {
  let prefix: string | undefined;
  let level: number | undefined;
  const flags = new Set<string>();
  return {
    name: 'LOG',
    tok,
    opts: [
      opt('log-prefix', 1, false),
      opt('log-level', 1, false),
      ...LOG_FLAGS.map((f) => opt(f.slice(2), 0, false)),
    ],
    option(id, args, _invert, optTok) {
      const t = args[0];
      if (id === 'log-prefix') {
        once(prefix, optTok, 'log-prefix');
        if (new TextEncoder().encode(t!.text).length > 29) fail(t!, 'log prefix is longer than 29 bytes');
        prefix = t!.text;
      } else if (id === 'log-level') {
        once(level, optTok, 'log-level');
        const n = /^\d$/.test(t!.text) ? Number(t!.text) : LOG_LEVELS[t!.text.toLowerCase()];
        if (n === undefined || n > 7)
          fail(t!, `bad log level "${t!.text}" (expected 0-7 or a syslog level name)`);
        level = n;
      } else flags.add(`--${id}`);
    },
    finish() {
      const args: string[] = [];
      if (prefix) args.push('--log-prefix', prefix);
      if (level !== undefined && level !== 4) args.push('--log-level', String(level));
      for (const f of LOG_FLAGS) if (flags.has(f)) args.push(f);
      return { kind: 'LOG', args };
    },
  };
}

function simpleTarget(kind: 'ACCEPT' | 'DROP' | 'RETURN', tok: Token): TargetParser {
  return {
    name: kind,
    tok,
    opts: [],
    option() {},
    finish(ctx) {
      if (kind === 'DROP' && ctx.table === 'nat') {
        fail(tok, 'the "nat" table is not intended for filtering: DROP is refused there (as iptables does)');
      }
      return { kind };
    },
  };
}

function chainTarget(kind: 'jump' | 'goto', tok: Token): TargetParser {
  return { name: tok.text, tok, opts: [], option() {}, finish: () => ({ kind, chain: tok.text }) };
}

function makeTarget(tok: Token, isGoto: boolean): TargetParser {
  const name = tok.text;
  if (name === '') fail(tok, 'empty target name');
  if (isGoto) {
    if (['ACCEPT', 'DROP', 'RETURN'].includes(name) || Object.hasOwn(TARGETS, name)) {
      fail(tok, `-g needs a user chain, not the target "${name}"`);
    }
    return chainTarget('goto', tok);
  }
  if (name === 'ACCEPT' || name === 'DROP' || name === 'RETURN') return simpleTarget(name, tok);
  const t = Object.hasOwn(TARGETS, name) ? TARGETS[name] : undefined;
  if (t) return t(tok);
  if (UNSUPPORTED_TARGETS.has(name)) fail(tok, `unsupported target "${name}" (natbox does not evaluate it)`);
  return chainTarget('jump', tok);
}

const TARGETS: Readonly<Record<string, (tok: Token) => TargetParser>> = {
  DNAT: (t) => natTarget('DNAT', t),
  SNAT: (t) => natTarget('SNAT', t),
  MASQUERADE: (t) => portsTarget('MASQUERADE', t),
  REDIRECT: (t) => portsTarget('REDIRECT', t),
  REJECT: rejectTarget,
  LOG: logTarget,
  ...EXTRA_TARGETS,
};

// ---------------------------------------------------------------------------------------------
// The command line

const BUILTIN_NAMES = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);

/**
 * Parses the words of one command (without the `iptables` word). Throws RuleError on the first
 * problem (load.ts turns that into a Diagnostic).
 */
export function parseCommandTokens(tokens: readonly Token[], options: ParseOptions = {}): Command {
  let i = 0;
  let invert: Token | undefined;
  let command: { id: string; tok: Token; args: Token[] } | undefined;
  let table: TableName = options.restoreTable ?? 'filter';
  let tableTok: Token | undefined;
  let src: { tok: Token; list: Prefix[]; invert: boolean } | undefined;
  let dst: { tok: Token; list: Prefix[]; invert: boolean } | undefined;
  let inIface: Inv<IfaceMatch> | undefined;
  let inTok: Token | undefined;
  let outIface: Inv<IfaceMatch> | undefined;
  let outTok: Token | undefined;
  let protocol: Inv<number> | undefined;
  let fragment: Inv<true> | undefined;
  let counters: Counters | undefined;
  const modules: ModuleParser[] = [];
  let target: TargetParser | undefined;
  let firstRuleTok: Token | undefined;
  const last = tokens[tokens.length - 1];
  const endPos: Token = last
    ? { file: last.file, line: last.line, column: last.column + last.text.length, text: '' }
    : {
        file: options.loc?.file ?? '',
        line: options.loc?.line ?? 0,
        column: options.loc?.column ?? 1,
        text: '',
      };

  const takeArg = (optTok: Token, display: string): Token => {
    const t = tokens[i++];
    if (!t) fail(optTok, `option "${display}" requires an argument`);
    return t!;
  };
  /** An optional argument: the next word unless it is an option or `!`. */
  const takeOptional = (): Token | undefined => {
    const t = tokens[i];
    if (t && !t.text.startsWith('-') && t.text !== '!') {
      i++;
      return t;
    }
    return undefined;
  };

  // The long options the loaded matches and the target take, in the order they are tried: the
  // target's, then the newest match's first. A match loaded again (-m comment twice) shadows the
  // options of its older copies, which are left out, so the pool stays as small as the set of
  // distinct matches and a rule with n matches is parsed in O(n) (it was rebuilt per option).
  type PoolEntry = { spec: OptSpec; owner: ModuleParser | TargetParser };
  let modPool: PoolEntry[] = [];
  const addModule = (m: ModuleParser): void => {
    modules.push(m);
    const mine = m.opts.map((spec) => ({ spec, owner: m }));
    modPool = [
      ...mine,
      ...modPool.filter((x) => x.owner.name !== m.name || !m.opts.some((s) => s.name === x.spec.name)),
    ];
  };
  const longPool = (): PoolEntry[] =>
    target ? [...target.opts.map((spec) => ({ spec, owner: target! })), ...modPool] : modPool;

  while (i < tokens.length) {
    const tok = tokens[i++]!;
    const t = tok.text;
    if (t === '!') {
      if (invert) fail(tok, 'two "!" in a row');
      invert = tok;
      continue;
    }
    if (!t.startsWith('-') || t === '-') {
      fail(tok, `unexpected word "${t}" (expected an option${command ? '' : ' such as -A CHAIN'})`);
    }
    // Which option is it?
    let g: GlobalOpt | undefined;
    let ext: { spec: OptSpec; owner: ModuleParser | TargetParser } | undefined;
    let inline: string | undefined;
    let display = t;
    if (t.startsWith('--')) {
      const eq = t.indexOf('=');
      const name = eq < 0 ? t.slice(2) : t.slice(2, eq);
      if (eq >= 0) inline = t.slice(eq + 1);
      const r = resolveLong(name, tok, longPool(), protocol, modules);
      if (r.kind === 'global') g = r.g;
      else if (r.kind === 'ext') ext = r.ext;
      else {
        const m = MODULES.get(IMPLICIT[protocol!.value]!)!({ ...tok, text: IMPLICIT[protocol!.value]! });
        addModule(m);
        ext = { spec: r.spec, owner: m };
      }
      display = `--${ext ? ext.spec.name : (g!.long.find((l) => l.startsWith(name)) ?? g!.long[0])}`;
    } else {
      const letter = t[1]!;
      g = GLOBAL_BY_SHORT.get(letter);
      if (!g) fail(tok, `unknown option "${t}"`);
      if (t.length > 2) {
        if (g!.arity === 'none') {
          // Bundled flags such as -nv.
          for (const c of t.slice(2)) {
            const h = GLOBAL_BY_SHORT.get(c);
            if (!h || h.arity !== 'none' || COMMANDS.has(h.id)) fail(tok, `unknown option "${t}"`);
          }
        } else inline = t.slice(2);
      }
      display = `-${letter}`;
    }
    const inv = invert;
    invert = undefined;

    if (ext) {
      const { spec, owner } = ext;
      if (spec.unsupported)
        fail(tok, `unsupported option "--${spec.name}" of ${owner.name} (natbox does not evaluate it)`);
      if (inv && !spec.invert) fail(inv, `"!" cannot be used with "--${spec.name}"`);
      const args: Token[] = [];
      if (spec.args > 0) {
        if (inline !== undefined) args.push({ ...tok, text: inline });
        else args.push(takeArg(tok, display));
      }
      if (spec.args > 1) args.push(takeArg(tok, display));
      if (spec.args === 0 && inline !== undefined) fail(tok, `option "--${spec.name}" takes no argument`);
      firstRuleTok ??= tok;
      owner.option(spec.id, args, inv !== undefined, tok);
      continue;
    }

    const gopt = g!;
    if (inv && !gopt.invert) fail(inv, `"!" cannot be used with "${display}"`);
    const arg = (): Token =>
      inline !== undefined ? { ...tok, text: inline, column: tok.column + 2 } : takeArg(tok, display);
    if (RULE_OPTS.has(gopt.id)) firstRuleTok ??= tok;
    if (COMMANDS.has(gopt.id)) {
      if (command) fail(tok, `two commands on one line ("${command.tok.text}" and "${t}")`);
      const args: Token[] = [];
      if (gopt.arity === 'required') args.push(arg());
      else if (gopt.arity === 'optional') {
        const a = inline !== undefined ? { ...tok, text: inline } : takeOptional();
        if (a) args.push(a);
      }
      if (gopt.id === 'E' || gopt.id === 'P') args.push(takeArg(tok, display));
      if ('IDR'.includes(gopt.id)) {
        const n = tokens[i];
        if (n && /^\d+$/.test(n.text)) {
          args.push(n);
          i++;
        } else if (gopt.id === 'R')
          fail(n ?? endPos, `"${display}" needs a rule number after the chain name`);
      }
      command = { id: gopt.id, tok, args };
      continue;
    }
    switch (gopt.id) {
      case 't': {
        const a = arg();
        if (options.restoreTable)
          fail(tok, 'the -t option cannot be used in a restore file (the table is set by "*table")');
        if (tableTok) fail(tok, 'only one -t allowed');
        if (!TABLES.includes(a.text as TableName)) {
          fail(a, `unknown table "${a.text}" (expected ${TABLES.join(', ')})${didYouMean(a.text, TABLES)}`);
        }
        table = a.text as TableName;
        tableTok = a;
        break;
      }
      case 's':
      case 'd': {
        const a = arg();
        const cur = gopt.id === 's' ? src : dst;
        if (cur) fail(tok, `only one ${display} allowed`);
        const list = a.text.split(',').map((p) => parseAddress(a, p, display));
        if (inv && list.length > 1) fail(inv, `"!" cannot be used with several addresses in ${display}`);
        const v = { tok: a, list, invert: inv !== undefined };
        if (gopt.id === 's') src = v;
        else dst = v;
        break;
      }
      case 'i':
      case 'o': {
        const a = arg();
        if ((gopt.id === 'i' ? inIface : outIface) !== undefined) fail(tok, `only one ${display} allowed`);
        const v = { value: parseIface(a, display), invert: inv !== undefined };
        if (gopt.id === 'i') {
          inIface = v;
          inTok = tok;
        } else {
          outIface = v;
          outTok = tok;
        }
        break;
      }
      case 'p': {
        const a = arg();
        if (protocol) fail(tok, 'only one -p allowed');
        const n = protocolNumber(a.text);
        if (n === undefined)
          fail(a, `unknown protocol "${a.text}" (expected a name such as tcp, udp, icmp or a number 0-255)`);
        protocol = { value: n!, invert: inv !== undefined };
        break;
      }
      case 'f':
        if (fragment) fail(tok, 'only one -f allowed');
        fragment = { value: true, invert: inv !== undefined };
        break;
      case 'm': {
        const a = arg();
        const make = MODULES.get(a.text);
        if (!make) {
          const names = [...MODULES.keys()];
          const hint = didYouMean(a.text, names) || ` (natbox supports ${names.join(', ')})`;
          fail(a, `unsupported match "${a.text}"${hint}`);
        }
        addModule(make!(a));
        break;
      }
      case 'j':
      case 'g': {
        const a = arg();
        if (target) fail(tok, 'only one -j or -g allowed');
        target = makeTarget(a, gopt.id === 'g');
        break;
      }
      case 'c': {
        const p = arg();
        const b = takeArg(tok, display);
        const pv = parseCounter(p.text);
        if (typeof pv === 'string') fail(p, `bad packet counter "${p.text}" (${pv})`);
        const bv = parseCounter(b.text);
        if (typeof bv === 'string') fail(b, `bad byte counter "${b.text}" (${bv})`);
        counters = makeCounters(pv as bigint, bv as bigint);
        break;
      }
      case '6':
        fail(tok, `-6 asks for IPv6; ${IPV6_NOT_SIMULATED}`);
        break;
      case 'w':
        if (inline === undefined) takeOptional();
        break;
      case 'W':
      case 'modprobe':
        arg();
        break;
      default:
        break; // -n -v -x --line-numbers -4: no effect on the rules
    }
  }
  if (invert) fail(invert, '"!" at the end of the command (expected an option after it)');
  if (!command)
    fail(tokens[0] ?? endPos, 'no command given (expected -A, -I, -D, -R, -F, -N, -X, -P, -Z or -E)');
  const cmd = command!;
  const base = { table, cmdTok: cmd.tok };
  const chainTok = cmd.args[0];
  const takesRule = 'ACDIR'.includes(cmd.id);
  if (!takesRule && firstRuleTok) {
    fail(
      firstRuleTok,
      `option "${firstRuleTok.text}" cannot be used with "${cmd.tok.text}" (it takes no rule)`,
    );
  }
  const num = (t: Token | undefined, what: string): number => {
    const n = Number(t!.text);
    if (n < 1) fail(t!, `${what} ${t!.text} is out of range (rules count from 1)`);
    return n;
  };
  switch (cmd.id) {
    case 'L':
    case 'S':
    case 'V':
    case 'h':
      return { ...base, op: 'noop', what: cmd.tok.text };
    case 'F':
    case 'Z':
    case 'X': {
      const op = cmd.id === 'F' ? 'flush' : cmd.id === 'Z' ? 'zero' : 'deleteChain';
      return chainTok ? { ...base, op, chain: chainTok.text, chainTok } : { ...base, op };
    }
    case 'N':
      return { ...base, op: 'newChain', chain: chainTok!.text, chainTok: chainTok! };
    case 'E':
      return {
        ...base,
        op: 'rename',
        chain: chainTok!.text,
        chainTok: chainTok!,
        newName: cmd.args[1]!.text,
        newTok: cmd.args[1]!,
      };
    case 'P': {
      const p = cmd.args[1]!;
      if (p.text !== 'ACCEPT' && p.text !== 'DROP')
        fail(p, `bad policy "${p.text}" (expected ACCEPT or DROP)`);
      if (p.text === 'DROP' && table === 'nat')
        fail(p, 'the "nat" table is not intended for filtering: a DROP policy is refused there');
      return {
        ...base,
        op: 'policy',
        chain: chainTok!.text,
        chainTok: chainTok!,
        policy: p.text as Policy,
        policyTok: p,
      };
    }
  }
  // A command with a rule.
  const chain = chainTok!.text;
  if (cmd.id === 'D' && cmd.args[1]) {
    if (firstRuleTok) fail(firstRuleTok, '-D takes either a rule number or a rule, not both');
    return {
      ...base,
      op: 'deleteNum',
      chain,
      chainTok: chainTok!,
      index: num(cmd.args[1], 'rule number'),
      indexTok: cmd.args[1],
      rules: [],
    };
  }
  if (BUILTIN_NAMES.has(chain)) {
    if (outIface && (chain === 'PREROUTING' || chain === 'INPUT'))
      fail(outTok!, `-o cannot be used in ${chain} (no output interface is known there)`);
    if (inIface && (chain === 'POSTROUTING' || chain === 'OUTPUT'))
      fail(inTok!, `-i cannot be used in ${chain} (no input interface is known there)`);
  }
  const ctx: FinishCtx = { table, chain, ...(protocol ? { protocol } : {}) };
  const matches = modules.map((m) => m.finish(ctx));
  const tgt = target?.finish(ctx);
  const rules: ParsedRule[] = [];
  for (const s of src?.list ?? [undefined]) {
    for (const d of dst?.list ?? [undefined]) {
      const rule: { -readonly [K in keyof Rule]: Rule[K] } = { matches, counters: { packets: 0, bytes: 0 } };
      if (s && (s.mask !== 0 || src!.invert)) rule.src = { value: s, invert: src!.invert };
      if (d && (d.mask !== 0 || dst!.invert)) rule.dst = { value: d, invert: dst!.invert };
      if (inIface && !(inIface.value.wildcard && inIface.value.name === '' && !inIface.invert))
        rule.inIface = inIface;
      if (outIface && !(outIface.value.wildcard && outIface.value.name === '' && !outIface.invert))
        rule.outIface = outIface;
      if (protocol && (protocol.value !== 0 || protocol.invert)) rule.protocol = protocol;
      if (fragment) rule.fragment = fragment;
      if (tgt) rule.target = tgt;
      if (counters) rule.counters = { ...counters };
      if (options.loc) rule.loc = options.loc;
      rules.push(target ? { rule, targetTok: target.tok } : { rule });
    }
  }
  switch (cmd.id) {
    case 'A':
      return { ...base, op: 'append', chain, chainTok: chainTok!, rules };
    case 'C':
      return { ...base, op: 'noop', what: cmd.tok.text };
    case 'D':
      return { ...base, op: 'delete', chain, chainTok: chainTok!, rules };
    case 'I':
      return cmd.args[1]
        ? {
            ...base,
            op: 'insert',
            chain,
            chainTok: chainTok!,
            index: num(cmd.args[1], 'rule number'),
            indexTok: cmd.args[1],
            rules,
          }
        : { ...base, op: 'insert', chain, chainTok: chainTok!, index: 1, rules };
    default: {
      if (rules.length !== 1)
        fail(src?.tok ?? dst!.tok, '-R replaces one rule: several addresses are not allowed');
      return {
        ...base,
        op: 'replace',
        chain,
        chainTok: chainTok!,
        index: num(cmd.args[1], 'rule number'),
        indexTok: cmd.args[1]!,
        rules,
      };
    }
  }
}

type Resolved =
  | { kind: 'global'; g: GlobalOpt }
  | { kind: 'ext'; ext: { spec: OptSpec; owner: ModuleParser | TargetParser } }
  | { kind: 'implicit'; spec: OptSpec };

/** Every long name of the global options, with its option. */
const GLOBAL_LONG = GLOBAL.flatMap((g) => g.long.map((l) => ({ l, g })));

/**
 * Finds a long option as getopt_long would: an exact name first, else the one option every
 * matching prefix stands for. Options of the protocol's implicit match (-p tcp → tcp) are tried
 * when nothing else matches, as iptables loads that match on an unknown option.
 */
function resolveLong(
  name: string,
  tok: Token,
  pool: { spec: OptSpec; owner: ModuleParser | TargetParser }[],
  protocol: Inv<number> | undefined,
  modules: readonly ModuleParser[],
): Resolved {
  const globals = GLOBAL_LONG;
  const exactG = globals.find((x) => x.l === name);
  if (exactG) return { kind: 'global', g: exactG.g };
  const exactE = pool.find((x) => x.spec.name === name);
  if (exactE) return { kind: 'ext', ext: exactE };
  const ids = new Set<string>();
  const gp = globals.filter((x) => x.l.startsWith(name));
  const ep = pool.filter((x) => x.spec.name.startsWith(name));
  for (const x of gp) ids.add(`g:${x.g.id}`);
  for (const x of ep) ids.add(`e:${x.owner.name}:${x.spec.id}`);
  if (name !== '' && ids.size === 1)
    return gp.length ? { kind: 'global', g: gp[0]!.g } : { kind: 'ext', ext: ep[0]! };
  if (ids.size > 1) {
    const names = [...new Set([...gp.map((x) => x.l), ...ep.map((x) => x.spec.name)])].map((n) => `--${n}`);
    fail(tok, `ambiguous option "${tok.text}" (could be ${names.join(', ')})`);
  }
  // The implicit protocol match.
  const implicitName = protocol && !protocol.invert ? IMPLICIT[protocol.value] : undefined;
  let implicitOpts: readonly OptSpec[] = [];
  if (implicitName && !modules.some((m) => m.name === implicitName)) {
    implicitOpts = MODULES.get(implicitName)!(tok).opts;
    const exact = implicitOpts.find((s) => s.name === name);
    const pre = implicitOpts.filter((s) => s.name.startsWith(name));
    if (exact) return { kind: 'implicit', spec: exact };
    if (name !== '' && new Set(pre.map((s) => s.id)).size === 1) return { kind: 'implicit', spec: pre[0]! };
  }
  const known = [
    ...globals.map((x) => `--${x.l}`),
    ...pool.map((x) => `--${x.spec.name}`),
    ...implicitOpts.map((s) => `--${s.name}`),
  ];
  // Options that exist only with the right -p, -m or -j: say what is missing.
  let hint = didYouMean(tok.text.split('=')[0]!, known);
  if (!hint) {
    for (const [mod, make] of MODULES) {
      if (make(tok).opts.some((s) => s.name === name)) {
        hint = ` (it belongs to match "${mod}": add "-m ${mod}"${mod in IMPLICIT_BY_NAME ? ` or "-p ${mod}"` : ''} before it)`;
        break;
      }
    }
  }
  if (!hint) {
    for (const [tname, make] of Object.entries(TARGETS)) {
      if (make(tok).opts.some((s) => s.name === name)) {
        hint = ` (it belongs to target ${tname}: put it after "-j ${tname}")`;
        break;
      }
    }
  }
  return fail(tok, `unknown option "${tok.text.split('=')[0]}"${hint}`);
}
const IMPLICIT_BY_NAME: Readonly<Record<string, number>> = {
  tcp: IPPROTO_TCP,
  udp: IPPROTO_UDP,
  icmp: IPPROTO_ICMP,
};

/** A chain name `-N` accepts (xtables: under 29 characters, not an option, not a target). */
export function checkChainName(tok: Token): void {
  const n = tok.text;
  if (n.length > 28) fail(tok, `chain name "${n}" is too long (at most 28 characters)`);
  if (n === '' || n.startsWith('-') || n.startsWith('!')) fail(tok, `invalid chain name "${n}"`);
  if (
    ['ACCEPT', 'DROP', 'RETURN', 'QUEUE'].includes(n) ||
    Object.hasOwn(TARGETS, n) ||
    UNSUPPORTED_TARGETS.has(n)
  ) {
    fail(tok, `chain name "${n}" clashes with the target of that name`);
  }
  if (/\s/.test(n)) fail(tok, `invalid chain name "${n}" (no blanks)`);
}

const PROGRAMS = new Set(['iptables', 'iptables-nft', 'iptables-legacy']);

/**
 * A script line: `iptables ...` (also /sbin/iptables, iptables-nft, iptables-legacy, after an
 * optional `sudo`). Throws RuleError for anything else.
 */
export function parseCommandLine(tokens: readonly Token[], options: ParseOptions = {}): Command {
  let k = 0;
  if (tokens[k]?.text === 'sudo') k++;
  const prog = tokens[k];
  if (!prog) fail(tokens[0]!, 'expected an iptables command after "sudo"');
  const base = prog!.text.slice(prog!.text.lastIndexOf('/') + 1);
  if (!PROGRAMS.has(base)) {
    const why = base.startsWith('ip6tables')
      ? `ip6tables rules are IPv6; ${IPV6_NOT_SIMULATED}`
      : base === 'nft'
        ? NFT_NOT_READ
        : base.startsWith('iptables-')
          ? `"${base}" is not supported here (write the iptables commands, or load the file itself)`
          : 'expected an iptables command (iptables, /sbin/iptables, iptables-nft or iptables-legacy)';
    fail(prog!, `unexpected command "${prog!.text}": ${why}`);
  }
  return parseCommandTokens(tokens.slice(k + 1), options);
}
