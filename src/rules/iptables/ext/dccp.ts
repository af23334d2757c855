// -m dccp (libxt_dccp.c): --sport/--dport (port or range, service names), --dccp-types (a list of
// packet type names; INVALID also stands for the types 11-15), --dccp-option 1-255, each
// invertible; -p dccp required (xt_dccp's proto).
import type { Token } from '../lex.ts';
import type { Inv, PortRange } from '../model.ts';
import { fail, once, opt, parseUint, type ModuleParser } from '../parse-util.ts';
import { bang, type MatchExt } from './ext.ts';
import { needProto, parsePortRc, printRange } from './hdr-util.ts';

export interface DccpMatch {
  readonly module: 'dccp';
  readonly sport?: Inv<PortRange>;
  readonly dport?: Inv<PortRange>;
  /** Bit n: DCCP packet type n (DCCP_PKT_*). */
  readonly types?: Inv<number>;
  readonly option?: Inv<number>;
}

/** dccp_pkt_types[], by type number. */
export const DCCP_TYPES = [
  'REQUEST', 'RESPONSE', 'DATA', 'ACK', 'DATAACK', 'CLOSEREQ', 'CLOSE', 'RESET', 'SYNC', 'SYNCACK', 'INVALID',
] as const; // prettier-ignore
const DCCP_PKT_INVALID = 10;
const INVALID_OTHER_TYPE_MASK = 0xf800;

function parseTypes(t: Token): number {
  let mask = 0;
  for (const part of t.text.split(',')) {
    if (part === '') continue; // strtok skips empty fields
    const i = DCCP_TYPES.findIndex((n) => n === part.toUpperCase());
    if (i < 0) fail(t, `unknown DCCP type "${part}" (expected ${DCCP_TYPES.join(', ')})`);
    mask |= 1 << i;
  }
  if (mask & (1 << DCCP_PKT_INVALID)) mask |= INVALID_OTHER_TYPE_MASK;
  return mask;
}

function parser(tok: Token): ModuleParser {
  let sport: Inv<PortRange> | undefined;
  let dport: Inv<PortRange> | undefined;
  let types: Inv<number> | undefined;
  let option: Inv<number> | undefined;
  return {
    name: 'dccp',
    tok,
    opts: [
      opt('source-port', 1, true, 'sport'),
      opt('sport', 1, true),
      opt('destination-port', 1, true, 'dport'),
      opt('dport', 1, true),
      opt('dccp-types', 1, true),
      opt('dccp-option', 1, true),
    ],
    option(id, args, invert, optTok) {
      const a = args[0]!;
      switch (id) {
        case 'sport':
          once(sport, optTok, 'sport');
          sport = { value: parsePortRc(a), invert };
          break;
        case 'dport':
          once(dport, optTok, 'dport');
          dport = { value: parsePortRc(a), invert };
          break;
        case 'dccp-types':
          once(types, optTok, id);
          types = { value: parseTypes(a), invert };
          break;
        default: {
          once(option, optTok, id);
          const n = parseUint(a, a.text, 255, 'DCCP option (--dccp-option)');
          if (n < 1) fail(a, `DCCP option "${a.text}" is out of range (1-255)`);
          option = { value: n, invert };
        }
      }
    },
    finish(ctx) {
      needProto(ctx, tok, 'dccp', 33, 'dccp');
      const m: { -readonly [K in keyof DccpMatch]: DccpMatch[K] } = { module: 'dccp' };
      if (sport) m.sport = sport;
      if (dport) m.dport = dport;
      if (types) m.types = types;
      if (option) m.option = option;
      return m;
    },
  };
}

/** print_types: names (stopping at INVALID) or, numeric, every bit's number. */
function typeList(mask: number, numeric: boolean): string {
  const out: string[] = [];
  for (let i = 0; i < 16; i++) {
    if (!(mask & (1 << i))) continue;
    if (numeric) out.push(String(i));
    else {
      out.push(DCCP_TYPES[i] ?? '(null)');
      if (i === DCCP_PKT_INVALID) break;
    }
  }
  return out.join(',');
}

const savePorts = (name: string, p: Inv<PortRange> | undefined): string =>
  p
    ? `${bang(p.invert)} --${name} ${p.value.min === p.value.max ? p.value.min : `${p.value.min}:${p.value.max}`}`
    : '';

export const dccp: MatchExt<DccpMatch> = {
  name: 'dccp',
  parser,
  save(m) {
    let s = savePorts('sport', m.sport) + savePorts('dport', m.dport);
    if (m.types) s += `${bang(m.types.invert)} --dccp-types ${typeList(m.types.value, false)}`;
    if (m.option) s += `${bang(m.option.invert)} --dccp-option ${m.option.value}`;
    return s;
  },
  print(m) {
    let s = ' dccp';
    if (m.sport) s += printRange('spt', m.sport.value, m.sport.invert, 65535);
    if (m.dport) s += printRange('dpt', m.dport.value, m.dport.invert, 65535);
    if (m.types) s += `${m.types.invert ? ' !' : ''} ${typeList(m.types.value, true)}`;
    if (m.option && (m.option.value || m.option.invert))
      s += ` option=${m.option.invert ? '!' : ''}${m.option.value}`;
    return s;
  },
};
