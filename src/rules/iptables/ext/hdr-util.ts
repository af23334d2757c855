// Value parsers the protocol-header matches share (sctp, dccp, esp, ah, tcpmss): the xtables
// option types XTTYPE_UINT16RC/UINT32RC (xtopt_parse_mint) and XTTYPE_PORTRC (xtopt_parse_mport),
// and the protocol check the kernel's xt_match.proto makes (xt_check_match: the rule's -p must
// be that protocol, not inverted).
import type { Token } from '../lex.ts';
import type { PortRange } from '../model.ts';
import { fail, parsePortText, type FinishCtx } from '../parse-util.ts';

function strtoul(tok: Token, raw: string, max: number, what: string): number {
  const text = raw.replace(/^[ \t\n\v\f\r]+/, ''); // strtoul skips leading blanks
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

/** xtables_parse_port(text, "sctp"): a number in any C base, else an sctp service name. */
export function parseSctpPort(tok: Token, text: string): number {
  if (/^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.test(text)) {
    const n = strtoul(tok, text, Number.MAX_SAFE_INTEGER, 'port');
    if (n <= 65535) return n;
  }
  if (text === 'amqp') return 5672; // the one sctp service of /etc/services (Debian netbase)
  return fail(
    tok,
    `invalid port/service "${text}" specified (expected 0-65535; sctp has no service of that name)`,
  );
}

/** parse_sctp_ports: `port` or `min:max` with empty ends meaning 0 and 65535; min <= max. */
export function parseSctpPorts(tok: Token): PortRange {
  const t = tok.text;
  const colon = t.indexOf(':');
  if (colon < 0) {
    const p = parseSctpPort(tok, t);
    return { min: p, max: p };
  }
  const min = colon === 0 ? 0 : parseSctpPort(tok, t.slice(0, colon));
  const max = colon === t.length - 1 ? 65535 : parseSctpPort(tok, t.slice(colon + 1));
  if (min > max) fail(tok, `invalid port range "${t}" (min > max)`);
  return { min, max };
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
