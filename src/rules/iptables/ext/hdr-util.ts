// Value parsers the protocol-header matches share (sctp, dccp, esp, ah, tcpmss): the xtables
// option types XTTYPE_UINT16RC/UINT32RC (xtopt_parse_mint) and XTTYPE_PORTRC (xtopt_parse_mport),
// and the protocol check the kernel's xt_match.proto makes (xt_check_match: the rule's -p must
// be that protocol, not inverted).
import type { Token } from '../lex.ts';
import type { PortRange } from '../model.ts';
import { fail, parsePortText, type FinishCtx } from '../parse-util.ts';

function strtoul(tok: Token, text: string, max: number, what: string): number {
  let n: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) n = parseInt(text.slice(2), 16);
  else if (/^0[0-7]*$/.test(text)) n = parseInt(text, 8);
  else if (/^[1-9][0-9]*$/.test(text)) n = Number(text);
  else return fail(tok, `bad value "${text}" for ${what} (expected a number 0-${max})`);
  if (n > max) fail(tok, `${what} "${text}" is out of range (0-${max})`);
  return n;
}

/**
 * `n`, `a:b`, `:b`, `a:` (xtopt_parse_mint): numbers in any C base up to `max`; a missing first
 * part is 0, a missing second `max`. No order check (the kernel takes min > max and matches nothing).
 */
export function parseMint(tok: Token, max: number, what: string): PortRange {
  const parts = tok.text.split(':');
  if (parts.length > 2) fail(tok, `too many components in "${tok.text}" for ${what} (at most 2)`);
  const a = parts[0] === '' ? 0 : strtoul(tok, parts[0]!, max, what);
  if (parts.length === 1) return { min: a, max: a };
  const b = parts[1] === '' ? max : strtoul(tok, parts[1]!, max, what);
  return { min: a, max: b };
}

/** `port`, `a:b`, `:b`, `a:` with service names (xtopt_parse_mport); no order check. */
export function parsePortRc(tok: Token): PortRange {
  const parts = tok.text.split(':');
  if (parts.length > 2) fail(tok, `too many components in port range "${tok.text}" (at most 2)`);
  const a = parts[0] === '' ? 0 : parsePortText(tok, parts[0]!);
  if (parts.length === 1) return { min: a, max: a };
  const b = parts[1] === '' ? 65535 : parsePortText(tok, parts[1]!);
  return { min: a, max: b };
}

/** xt_check_match with xt_match.proto: -p must be that protocol, without "!" (EINVAL otherwise). */
export function needProto(ctx: FinishCtx, tok: Token, name: string, proto: number, pname: string): void {
  if (ctx.protocol?.value !== proto || ctx.protocol.invert)
    fail(tok, `match "${name}" is only valid with "-p ${pname}" (the kernel refuses it otherwise)`);
}

/** The -L form of a range: `name:n`, `names:a:b`, nothing when it is the whole range uninverted. */
export function printRange(name: string, r: PortRange, invert: boolean, full: number): string {
  if (r.min === 0 && r.max === full && !invert) return '';
  const i = invert ? '!' : '';
  return r.min === r.max ? ` ${name}:${i}${r.min}` : ` ${name}s:${i}${r.min}:${r.max}`;
}
