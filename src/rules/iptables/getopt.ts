// Option scanning for the iptables command line, as iptables' getopt_long does it: the global
// options (commands, -s/-d/-p/-i/-o/-f/-j/-g/-m/-t/-c and the ones without effect on rules), a
// long option found by its exact name or by the one option every matching prefix stands for,
// among the global options and those of the matches and the target loaded so far, and the
// options of the implicit protocol match (-p tcp loads -m tcp on --dport). Which words an option
// takes and what it means to the rule is parse-command.ts's.
import { didYouMean } from '../diagnostics.ts';
import { MATCH_EXTS } from './ext/index.ts';
import type { Token } from './lex.ts';
import { protocolName } from './names.ts';
import { TARGETS } from './parse-targets.ts';
import { fail, type ModuleParser, type OptSpec, type TargetParser } from './parse-util.ts';

export type Arity = 'none' | 'required' | 'optional';
export interface GlobalOpt {
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
export const GLOBAL_BY_SHORT = new Map(GLOBAL.filter((g) => g.short).map((g) => [g.short!, g]));
export const COMMANDS = new Set(['A', 'C', 'D', 'I', 'R', 'L', 'S', 'F', 'Z', 'N', 'X', 'E', 'P', 'V', 'h']);
export const RULE_OPTS = new Set(['s', 'd', 'p', 'i', 'o', 'f', 'j', 'g', 'm', 'c']);

/** The match parsers by -m name (ext/index.ts), in a Map: no name reaches Object.prototype. */
export const MODULES: ReadonlyMap<string, (tok: Token) => ModuleParser> = new Map(
  MATCH_EXTS.map((e) => [e.name, e.parser]),
);
/**
 * xtables_chain_protos (libxtables/xtables.c): the names proto_to_name() gives a -p number before
 * /etc/protocols is asked; `-p 136` is udplite there (no match of that name: nothing is loaded).
 */
const CHAIN_PROTOS: Readonly<Record<number, string>> = {
  6: 'tcp',
  132: 'sctp',
  17: 'udp',
  136: 'udplite',
  1: 'icmp',
  58: 'ipv6-icmp',
  50: 'esp',
  51: 'ah',
  135: 'mobility-header',
  0: 'all',
};

/**
 * The match `-p` loads when an option no loaded module takes follows (find_proto in
 * iptables/xshared.c): for a number its name (xtables_chain_protos, then /etc/protocols:
 * `-p 17` loads udp, `-p 33` dccp), for a name the name itself (`-p sctp`), in both cases only
 * when a match of that name exists. The inversion does not matter (`! -p udp --dport 53` loads
 * udp).
 */
export function implicitMatch(typed: string, number: number, isNumber: boolean): string | undefined {
  const name = isNumber ? (CHAIN_PROTOS[number] ?? (number ? protocolName(number) : undefined)) : typed;
  return name !== undefined && MODULES.has(name) ? name : undefined;
}

export type Resolved =
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
export function resolveLong(
  name: string,
  tok: Token,
  pool: { spec: OptSpec; owner: ModuleParser | TargetParser }[],
  implicitName: string | undefined,
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
        hint = ` (it belongs to match "${mod}": add "-m ${mod}"${IMPLICIT_BY_NAME.has(mod) ? ` or "-p ${mod}"` : ''} before it)`;
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
/** The matches a `-p NAME` loads (named as their protocol). */
const IMPLICIT_BY_NAME: ReadonlySet<string> = new Set(['tcp', 'udp', 'icmp', 'sctp', 'dccp', 'esp', 'ah']);
