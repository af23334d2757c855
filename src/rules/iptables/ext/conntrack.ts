// -m conntrack (libxt_conntrack.c, revision 3): --ctstate, --ctproto, --ctorig/--ctrepl
// src/dst and their ports, --ctstatus, --ctexpire (each invertible) and --ctdir.
import type { Prefix } from '../../../wire/addr.ts';
import { formatIpv4, formatPrefix } from '../../../wire/addr.ts';
import type { Token } from '../lex.ts';
import type { CtStateName, Inv, PortRange } from '../model.ts';
import { CT_STATES, CT_STATUS, protocolNumber } from '../names.ts';
import {
  fail,
  once,
  opt,
  parseAddress,
  parseNumRange,
  parsePortRange,
  type ModuleParser,
} from '../parse-util.ts';
import { bang, numRange, type MatchExt } from './ext.ts';
import { parseStates, stateList } from './state.ts';

export interface ConntrackMatch {
  readonly module: 'conntrack';
  readonly ctstate?: Inv<readonly CtStateName[]>;
  /** Layer-4 protocol of the original tuple (0 = any). */
  readonly ctproto?: Inv<number>;
  readonly ctorigsrc?: Inv<Prefix>;
  readonly ctorigdst?: Inv<Prefix>;
  readonly ctreplsrc?: Inv<Prefix>;
  readonly ctrepldst?: Inv<Prefix>;
  readonly ctorigsrcport?: Inv<PortRange>;
  readonly ctorigdstport?: Inv<PortRange>;
  readonly ctreplsrcport?: Inv<PortRange>;
  readonly ctrepldstport?: Inv<PortRange>;
  /** IPS_* bits (EXPECTED 1, SEEN_REPLY 2, ASSURED 4, CONFIRMED 8). */
  readonly ctstatus?: Inv<number>;
  /** Seconds left, min..max. */
  readonly ctexpire?: Inv<PortRange>;
  readonly ctdir?: 'ORIGINAL' | 'REPLY';
}

function parser(tok: Token): ModuleParser {
  const m: { -readonly [K in keyof ConntrackMatch]: ConntrackMatch[K] } = { module: 'conntrack' };
  const set = <K extends keyof ConntrackMatch>(k: K, optTok: Token, v: ConntrackMatch[K]): void => {
    once(m[k], optTok, k);
    m[k] = v;
  };
  const addr = (t: Token, name: string): Prefix => parseAddress(t, t.text, `--${name}`);
  return {
    name: 'conntrack',
    tok,
    opts: [
      opt('ctstate', 1, true),
      opt('ctproto', 1, true),
      ...['ctorigsrc', 'ctorigdst', 'ctreplsrc', 'ctrepldst'].map((n) => opt(n, 1, true)),
      ...['ctorigsrcport', 'ctorigdstport', 'ctreplsrcport', 'ctrepldstport'].map((n) => opt(n, 1, true)),
      opt('ctstatus', 1, true),
      opt('ctexpire', 1, true),
      opt('ctdir', 1, false),
    ],
    option(id, args, invert, optTok) {
      const t = args[0]!;
      switch (id) {
        case 'ctstate':
          return set('ctstate', optTok, { value: parseStates(t, CT_STATES, '--ctstate'), invert });
        case 'ctproto': {
          const n = protocolNumber(t.text);
          if (n === undefined) fail(t, `unknown protocol "${t.text}" for --ctproto`);
          return set('ctproto', optTok, { value: n!, invert });
        }
        case 'ctorigsrc':
        case 'ctorigdst':
        case 'ctreplsrc':
        case 'ctrepldst':
          return set(id, optTok, { value: addr(t, id), invert });
        case 'ctorigsrcport':
        case 'ctorigdstport':
        case 'ctreplsrcport':
        case 'ctrepldstport':
          return set(id, optTok, { value: parsePortRange(t), invert });
        case 'ctstatus': {
          let bits = 0;
          for (const part of t.text.split(',')) {
            const up = part.toUpperCase();
            const e = CT_STATUS.find(([n]) => n === up);
            if (!e && up !== 'NONE')
              fail(
                t,
                `bad status "${part}" for --ctstatus (expected NONE, EXPECTED, SEEN_REPLY, ASSURED, CONFIRMED)`,
              );
            bits |= e?.[1] ?? 0;
          }
          return set('ctstatus', optTok, { value: bits, invert });
        }
        case 'ctexpire':
          return set('ctexpire', optTok, { value: parseNumRange(t, 0xffffffff, 'expire time'), invert });
        default: {
          const d = t.text.toUpperCase();
          if (d !== 'ORIGINAL' && d !== 'REPLY')
            fail(t, `bad direction "${t.text}" for --ctdir (expected ORIGINAL or REPLY)`);
          return set('ctdir', optTok, d as 'ORIGINAL' | 'REPLY');
        }
      }
    },
    finish() {
      if (Object.keys(m).length === 1) fail(tok, 'match "conntrack" needs an option such as "--ctstate"');
      return m;
    },
  };
}

/** A conntrack address as conntrack_dump prints it: no `/32`, else the prefix length. */
const ctAddr = (p: Prefix): string => (p.mask === 0xffffffff ? formatIpv4(p.addr) : formatPrefix(p));

/** The save form (`--ctstate NEW`) or, with `dashes` '', the print form (`ctstate NEW`). */
function form(m: ConntrackMatch, dashes: string): string {
  let s = '';
  if (m.ctstate) s += `${bang(m.ctstate.invert)} ${dashes}ctstate ${stateList(m.ctstate.value)}`;
  if (m.ctproto) s += `${bang(m.ctproto.invert)} ${dashes}ctproto ${m.ctproto.value}`;
  for (const k of ['ctorigsrc', 'ctorigdst', 'ctreplsrc', 'ctrepldst'] as const) {
    const v = m[k];
    if (v) s += `${bang(v.invert)} ${dashes}${k} ${ctAddr(v.value)}`;
  }
  for (const k of ['ctorigsrcport', 'ctorigdstport', 'ctreplsrcport', 'ctrepldstport'] as const) {
    const v = m[k];
    if (v) s += `${bang(v.invert)} ${dashes}${k} ${numRange(v.value)}`;
  }
  if (m.ctstatus) {
    const names = CT_STATUS.filter(([, b]) => m.ctstatus!.value & b).map(([n]) => n);
    s += `${bang(m.ctstatus.invert)} ${dashes}ctstatus ${names.length ? names.join(',') : 'NONE'}`;
  }
  if (m.ctexpire) s += `${bang(m.ctexpire.invert)} ${dashes}ctexpire ${numRange(m.ctexpire.value)}`;
  if (m.ctdir) s += ` ${dashes}ctdir ${m.ctdir}`;
  return s;
}

export const conntrack: MatchExt<ConntrackMatch> = {
  name: 'conntrack',
  parser,
  save: (m) => form(m, '--'),
  print: (m) => form(m, ''),
};
