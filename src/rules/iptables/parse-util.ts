// Shared pieces of the iptables option parsers: the error type, option specs, the parser shapes
// every match module and target implements (parse-command.ts drives them, ext/<name>.ts holds the
// match extensions and parse-targets.ts the targets), and value parsers for numbers, ranges,
// ports, addresses and interfaces. No command-line logic lives here.
import { parsePrefix, type Prefix } from '../../wire/addr.ts';
import { IPV6_NOT_SIMULATED, looksLikeIpv6, type Pos } from '../diagnostics.ts';
import type { Token } from './lex.ts';
import type { IfaceMatch, Inv, Match, PortRange, TableName, Target, ValueMask } from './model.ts';
import { portNumber } from './names.ts';

/** A parse or apply error at a token; caught at the line boundary and turned into a Diagnostic. */
export class RuleError extends Error {
  constructor(
    readonly at: Pos,
    readonly token: string,
    message: string,
  ) {
    super(message);
  }
}

export const fail = (tok: Token, message: string): never => {
  throw new RuleError(tok, tok.text, message);
};

export interface OptSpec {
  /** The long name without dashes, as typed. */
  readonly name: string;
  /** The canonical option it is an alias of. */
  readonly id: string;
  readonly args: 0 | 1 | 2;
  readonly invert: boolean;
  /** Known to iptables but not evaluated by natbox: an explicit error, not "unknown". */
  readonly unsupported?: boolean;
  /** The next word is its argument unless it starts with "-" or "!" (libxt_rateest's rates). */
  readonly optionalArg?: boolean;
}

export const opt = (name: string, args: 0 | 1 | 2, invert: boolean, id = name): OptSpec => ({
  name,
  id,
  args,
  invert,
});
export const unsupportedOpt = (name: string, args: 0 | 1 | 2): OptSpec => ({
  name,
  id: name,
  args,
  invert: true,
  unsupported: true,
});

export function parsePortText(tok: Token, text: string): number {
  const n = portNumber(text);
  if (n === undefined)
    fail(tok, `invalid port/service "${text}" in "${tok.text}" (expected 0-65535 or a service name)`);
  return n!;
}

/** tcp/udp --sport/--dport: `port`, `min:max`, `:max`, `min:` (parse_port_range in libxt_tcp.c). */
export function parsePortRange(tok: Token): PortRange {
  const t = tok.text;
  const colon = t.indexOf(':');
  if (colon < 0) {
    const p = parsePortText(tok, t);
    return { min: p, max: p };
  }
  const min = colon === 0 ? 0 : parsePortText(tok, t.slice(0, colon));
  const max = colon === t.length - 1 ? 65535 : parsePortText(tok, t.slice(colon + 1));
  if (min > max) fail(tok, `invalid port range "${t}" (min > max)`);
  return { min, max };
}

/** -s/-d: a.b.c.d[/len|/mask]; iptables also takes fewer parts (10/8 is 10.0.0.0/8). */
export function parseAddress(tok: Token, text: string, opt: string): Prefix {
  if (looksLikeIpv6(text)) fail(tok, `"${text}" for ${opt} is an IPv6 address; ${IPV6_NOT_SIMULATED}`);
  const slash = text.indexOf('/');
  let addr = slash < 0 ? text : text.slice(0, slash);
  if (/^\d+(\.\d+){0,2}$/.test(addr)) addr = (addr + '.0.0.0').split('.').slice(0, 4).join('.');
  const r = parsePrefix(slash < 0 ? addr : `${addr}${text.slice(slash)}`);
  if (!r.ok) fail(tok, `bad address "${text}" for ${opt}: ${r.error}`);
  return (r as { value: Prefix }).value;
}

export function parseIface(tok: Token, opt: string): IfaceMatch {
  const t = tok.text;
  if (t.length > 15) fail(tok, `interface name "${t}" for ${opt} is longer than 15 characters (IFNAMSIZ)`);
  if (t.endsWith('+')) return { name: t.slice(0, -1), wildcard: true };
  return { name: t, wildcard: false };
}

export interface FinishCtx {
  readonly protocol?: Inv<number>;
  readonly table: TableName;
  readonly chain: string;
}

export interface ModuleParser {
  readonly name: string;
  readonly tok: Token;
  readonly opts: readonly OptSpec[];
  option(id: string, args: Token[], invert: boolean, optTok: Token): void;
  finish(ctx: FinishCtx): Match;
}

export const protoIs = (ctx: FinishCtx, n: number): boolean =>
  ctx.protocol?.value === n && !ctx.protocol.invert;

export function once<T>(cur: T | undefined, optTok: Token, name: string): void {
  if (cur !== undefined) fail(optTok, `only one "--${name}" allowed in one match`);
}

export interface TargetParser {
  readonly name: string;
  readonly tok: Token;
  readonly opts: readonly OptSpec[];
  option(id: string, args: Token[], invert: boolean, optTok: Token): void;
  finish(ctx: FinishCtx): Target;
}

/** strtoul(text, 0) within 0..max: decimal, 0x hex or 0 octal, as xtables_strtoui does. */
export function parseUint(tok: Token, text: string, max: number, what: string): number {
  let n: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) n = parseInt(text.slice(2), 16);
  else if (/^0[0-7]+$/.test(text)) n = parseInt(text.slice(1), 8);
  else if (/^\d+$/.test(text)) n = Number(text);
  else return fail(tok, `bad ${what} "${text}" (expected a number 0-${max})`);
  if (n > max) fail(tok, `${what} "${text}" is out of range (0-${max})`);
  return n;
}

/** `value[/mask]` as xtables_parse_mark_mask reads it (mask defaults to all ones). */
export function parseValueMask(
  tok: Token,
  what: string,
  defaultMask = 0xffffffff,
  max = 0xffffffff,
): ValueMask {
  const [v, m, extra] = tok.text.split('/');
  if (extra !== undefined) fail(tok, `bad ${what} "${tok.text}" (expected value or value/mask)`);
  const value = parseUint(tok, v!, max, what);
  const mask = m === undefined ? defaultMask : parseUint(tok, m, max, `${what} mask`);
  return { value, mask };
}

/** `n`, `min:max`, `:max`, `min:` with numbers up to `max` (length, owner ids, ctexpire). */
export function parseNumRange(t: Token, max: number, what: string, sep = ':'): PortRange {
  const k = t.text.indexOf(sep);
  if (k < 0) {
    const n = parseUint(t, t.text, max, what);
    return { min: n, max: n };
  }
  const lo = k === 0 ? 0 : parseUint(t, t.text.slice(0, k), max, what);
  const hi = k === t.text.length - 1 ? max : parseUint(t, t.text.slice(k + 1), max, what);
  if (lo > hi) fail(t, `bad ${what} range "${t.text}" (min > max)`);
  return { min: lo, max: hi };
}

const ALL_HOOKS = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'];
export function onlyInHooks(ctx: FinishCtx, tok: Token, what: string, hooks: readonly string[]): void {
  if (ALL_HOOKS.includes(ctx.chain) && !hooks.includes(ctx.chain)) {
    fail(
      tok,
      `${what} is not allowed in chain ${ctx.chain} (the kernel allows it only in ${hooks.join(', ')})`,
    );
  }
}

/** An option without an argument that takes the next word when it is no option (`optionalArg`). */
export const optArgOpt = (name: string, invert: boolean, id = name): OptSpec => ({
  name,
  id,
  args: 0,
  invert,
  optionalArg: true,
});
