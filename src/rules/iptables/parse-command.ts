// The iptables command language: the words after `iptables` (or of a restore-file rule line) to a
// Command — which table and chain, what to do, and the rules it carries, in the model's terms.
// Options are read the way iptables' getopt_long does (getopt.ts: long options may be abbreviated
// to any unique prefix, `--opt=value`, `-j` options only after `-j`, tcp/udp/icmp options loaded
// implicitly after `-p`); the matches' parsers are ext/<name>.ts, the targets' parse-targets.ts. Whether the chain exists and whether a NAT target may sit in it is
// checked when the command is applied (apply.ts). A parse error is raised as a RuleError inside
// the front end and becomes a Diagnostic at the line's boundary (load.ts never throws).
import { makeCounters, parseCounter } from '../counters.ts';
import type { Prefix } from '../../wire/addr.ts';
import { didYouMean, IPV6_NOT_SIMULATED, NFT_NOT_READ } from '../diagnostics.ts';
import {
  RuleError,
  fail,
  parseAddress,
  parseIface,
  type FinishCtx,
  type ModuleParser,
  type OptSpec,
  type TargetParser,
} from './parse-util.ts';
import type { Token } from './lex.ts';
import {
  COMMANDS,
  GLOBAL_BY_SHORT,
  implicitMatch,
  MODULES,
  RULE_OPTS,
  resolveLong,
  type GlobalOpt,
} from './getopt.ts';
import { makeTarget, TARGETS } from './parse-targets.ts';
import type { Counters, IfaceMatch, Inv, Policy, Rule, SourceLoc, TableName } from './model.ts';
import { UNSUPPORTED_TARGETS, protocolNumber } from './names.ts';

export { RuleError };

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
        /** -C: is the rule there? Exit status 0 or 1, which drives `||` and `&&` in a script. */
        readonly op: 'check';
        readonly chain: string;
        readonly chainTok: Token;
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
    /** -L, -S, -V, -h: change nothing; the loader warns that they were skipped. */
    | { readonly op: 'noop'; readonly what: string }
  );

export interface ParseOptions {
  /** A restore-file line: the table comes from `*table` and -t is refused. */
  readonly restoreTable?: TableName;
  /** Where the line starts, kept in each rule for diagnostics and the trace. */
  readonly loc?: SourceLoc;
}

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
  /** The match -p loads on an option nothing else takes (getopt.ts implicitMatch). */
  let implicit: string | undefined;
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
      const r = resolveLong(name, tok, longPool(), implicit, modules);
      if (r.kind === 'global') g = r.g;
      else if (r.kind === 'ext') ext = r.ext;
      else {
        const m = MODULES.get(implicit!)!({ ...tok, text: implicit! });
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
      if (spec.optionalArg && inline === undefined) {
        const n = tokens[i];
        if (n && !n.text.startsWith('-') && !n.text.startsWith('!')) args.push(tokens[i++]!);
      }
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
        // iptables 1.8.9 takes the protocol from argv[optind - 1] (xshared.c): `-pudp` and
        // `--protocol=udp` are read as the protocols "-pudp" and "--protocol=udp".
        const a = inline !== undefined ? tok : arg();
        if (protocol) fail(tok, 'only one -p allowed');
        const text = a.text.toLowerCase();
        // xtables_parse_protocol: a number as strtoul(s, 0) reads it (0x11 is 17, 017 is 15).
        const num = protoNumberText(text);
        const n = num ?? (inline !== undefined ? undefined : protocolNumber(text));
        if (n === undefined)
          fail(a, `unknown protocol "${a.text}" (expected a name such as tcp, udp, icmp or a number 0-255)`);
        protocol = { value: n!, invert: inv !== undefined };
        implicit = implicitMatch(text, n!, num !== undefined);
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
          // natbox reads every match of iptables 1.8.9 itself: what is left is a typo or an
          // add-on (xtables-addons' geoip, ...), which iptables loads only where it is installed.
          const hint =
            didYouMean(a.text, names) ||
            " (not a match of iptables 1.8.9 itself, all of which natbox reads: add-on matches such as xtables-addons' are not read)";
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
      return { ...base, op: 'check', chain, chainTok: chainTok!, rules };
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

/** A -p number as xtables_strtoui(s, 0..255) reads it (decimal, 0x hex, 0 octal); else undefined. */
function protoNumberText(text: string): number | undefined {
  let n: number;
  if (/^0x[0-9a-f]+$/.test(text)) n = parseInt(text.slice(2), 16);
  else if (/^0[0-7]*$/.test(text)) n = parseInt(text, 8);
  else if (/^[1-9][0-9]*$/.test(text)) n = Number(text);
  else return undefined;
  return n <= 255 ? n : undefined;
}
