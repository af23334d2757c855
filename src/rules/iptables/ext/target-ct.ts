// -j CT (libxt_CT.c, revision 2 as iptables-nft 1.8.9 uses it): --notrack, --helper, --timeout,
// --ctevents, --expevents, --zone/--zone-orig/--zone-reply (a number or `mark`), printed in
// ct_save_v1/ct_print_v1's order; -j NOTRACK (the alias: revision 2 with XT_CT_NOTRACK_ALIAS).
import type { Token } from '../lex.ts';
import { fail, opt, parseUint, type TargetParser } from '../parse-util.ts';
import { at, noOptions, type TargetExt } from './target-ext.ts';

import { XT_CT_ZONE_DIR_ORIG, XT_CT_ZONE_DIR_REPL, XT_CT_ZONE_MARK } from '../model.ts';

export { XT_CT_ZONE_DIR_ORIG, XT_CT_ZONE_DIR_REPL, XT_CT_ZONE_MARK };

export interface CtTarget {
  readonly kind: 'CT';
  readonly notrack: boolean;
  /** '' when none. */
  readonly helper: string;
  /** The nfct timeout policy's name, '' when none. */
  readonly timeout: string;
  /** Bit i: the i-th name of CT_EVENTS (the IPCT_* numbers). */
  readonly ctEvents: number;
  /** Bit 0: `new` (IPEXP_NEW). */
  readonly expEvents: number;
  readonly zone: number;
  /** XT_CT_ZONE_DIR_ORIG, XT_CT_ZONE_DIR_REPL, XT_CT_ZONE_MARK. */
  readonly zoneFlags: number;
}

/** NOTRACK: CT --notrack under its old name (iptables-nft lists it as CT). */
export interface NotrackTarget {
  readonly kind: 'NOTRACK';
}

/** ct_event_tbl: the names by IPCT_* bit. */
export const CT_EVENTS = [
  'new',
  'related',
  'destroy',
  'reply',
  'assured',
  'protoinfo',
  'helper',
  'mark',
  'natseqinfo',
  'secmark',
];
const EXP_EVENTS = ['new'];

function parseEvents(t: Token, names: readonly string[]): number {
  let mask = 0;
  for (const e of t.text.split(',')) {
    const i = names.indexOf(e);
    if (i < 0) fail(t, `unknown event type "${e}" (expected ${names.join(', ')})`);
    mask |= 1 << i;
  }
  return mask;
}

function parser(tok: Token): TargetParser {
  let notrack = false;
  let helper = '';
  let timeout = '';
  let ctEvents = 0;
  let expEvents = 0;
  let zone = 0;
  let zoneFlags = 0;
  return {
    name: 'CT',
    tok,
    opts: ['helper', 'timeout', 'ctevents', 'expevents', 'zone-orig', 'zone-reply', 'zone']
      .map((n) => opt(n, 1, false))
      .concat(opt('notrack', 0, false)),
    option(id, args) {
      const t = args[0]!;
      switch (id) {
        case 'notrack':
          notrack = true;
          break;
        case 'helper':
          if (t.text.length > 15) fail(t, 'CT --helper names are at most 15 characters');
          helper = t.text;
          break;
        case 'timeout':
          if (t.text.length > 31) fail(t, 'CT --timeout names are at most 31 characters');
          timeout = t.text;
          break;
        case 'ctevents':
          ctEvents = parseEvents(t, CT_EVENTS);
          break;
        case 'expevents':
          expEvents = parseEvents(t, EXP_EVENTS);
          break;
        default:
          // ct_parse_zone_id: the direction flags add up, the id (or mark) is the last one given.
          if (id === 'zone-orig') zoneFlags |= XT_CT_ZONE_DIR_ORIG;
          if (id === 'zone-reply') zoneFlags |= XT_CT_ZONE_DIR_REPL;
          if (t.text.toLowerCase() === 'mark') {
            zone = 0;
            zoneFlags |= XT_CT_ZONE_MARK;
          } else zone = parseUint(t, t.text, 65535, 'zone ID');
      }
    },
    finish() {
      // Both directions is the plain --zone (what ct_print_zone_id prints, and what it means).
      const both = XT_CT_ZONE_DIR_ORIG | XT_CT_ZONE_DIR_REPL;
      if ((zoneFlags & both) === both) zoneFlags &= ~both;
      return { kind: 'CT', notrack, helper, timeout, ctEvents, expEvents, zone, zoneFlags };
    },
  };
}

function events(pfx: string, names: readonly string[], mask: number): string {
  return ` ${pfx} ${names.filter((_n, i) => mask & (1 << i)).join(',')}`;
}

/** ct_save_v1 / ct_print_v1 (`dash` is `--` in the save form). */
function ctText(t: CtTarget, dash: string): string {
  let s = '';
  if (t.notrack) s += ` ${dash}notrack`;
  if (t.helper) s += ` ${dash}helper ${t.helper}`;
  if (t.timeout) s += ` ${dash}timeout ${t.timeout}`;
  if (t.ctEvents) s += events(`${dash}ctevents`, CT_EVENTS, t.ctEvents);
  if (t.expEvents) s += events(`${dash}expevents`, EXP_EVENTS, t.expEvents);
  if (t.zoneFlags & XT_CT_ZONE_MARK || t.zone) {
    const dir = t.zoneFlags & (XT_CT_ZONE_DIR_ORIG | XT_CT_ZONE_DIR_REPL);
    s += ` ${dash}zone${dir === XT_CT_ZONE_DIR_ORIG ? '-orig' : dir === XT_CT_ZONE_DIR_REPL ? '-reply' : ''}`;
    s += t.zoneFlags & XT_CT_ZONE_MARK ? ' mark' : ` ${t.zone}`;
  }
  return s;
}

export const CT: TargetExt<CtTarget> = {
  name: 'CT',
  placement: at(['raw'], ['PREROUTING', 'OUTPUT']),
  parser,
  save: (t) => ctText(t, '--'),
  print: (t) => ` CT${ctText(t, '')}`,
};

export const NOTRACK: TargetExt<NotrackTarget> = {
  name: 'NOTRACK',
  placement: at(['raw'], ['PREROUTING', 'OUTPUT']),
  parser: noOptions('NOTRACK', () => ({ kind: 'NOTRACK' })),
  save: () => '',
  print: () => ' NOTRACK',
  listName: 'CT',
};
