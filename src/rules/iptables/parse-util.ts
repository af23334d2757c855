// Shared pieces of the iptables option parsers: the error type, option specs, the parser shapes
// every match module and target implements (parse-command.ts drives them, parse-matches.ts and
// parse-targets.ts hold the extension modules), and value parsers for ports, addresses and
// interfaces. No command-line logic lives here.
import { parsePrefix, type Prefix } from '../../wire/addr.ts';
import { IPV6_NOT_SIMULATED, looksLikeIpv6, type Pos } from '../diagnostics.ts';
import type { Token } from './lex.ts';
import type { IfaceMatch, Inv, Match, PortRange, TableName, Target } from './model.ts';
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
