// -m physdev (libxt_physdev.c): the bridge ports of a bridged packet (--physdev-in/-out NAME[+],
// --physdev-is-in/-out/-bridged), each invertible; physdev_mt_check's refusal in OUTPUT.
import type { Token } from '../lex.ts';
import type { IfaceMatch, Inv } from '../model.ts';
import { fail, once, opt, parseIface, type ModuleParser } from '../parse-util.ts';
import { bang, type MatchExt } from './ext.ts';

export interface PhysdevMatch {
  readonly module: 'physdev';
  readonly physIn?: Inv<IfaceMatch>;
  readonly physOut?: Inv<IfaceMatch>;
  readonly isIn?: Inv<true>;
  readonly isOut?: Inv<true>;
  readonly isBridged?: Inv<true>;
}

function parser(tok: Token): ModuleParser {
  let physIn: Inv<IfaceMatch> | undefined;
  let physOut: Inv<IfaceMatch> | undefined;
  let isIn: Inv<true> | undefined;
  let isOut: Inv<true> | undefined;
  let isBridged: Inv<true> | undefined;
  return {
    name: 'physdev',
    tok,
    opts: [
      opt('physdev-in', 1, true),
      opt('physdev-out', 1, true),
      opt('physdev-is-in', 0, true),
      opt('physdev-is-out', 0, true),
      opt('physdev-is-bridged', 0, true),
    ],
    option(id, args, invert, optTok) {
      switch (id) {
        case 'physdev-in':
          once(physIn, optTok, id);
          physIn = { value: parseIface(args[0]!, '--physdev-in'), invert };
          break;
        case 'physdev-out':
          once(physOut, optTok, id);
          physOut = { value: parseIface(args[0]!, '--physdev-out'), invert };
          break;
        case 'physdev-is-in':
          once(isIn, optTok, id);
          isIn = { value: true, invert };
          break;
        case 'physdev-is-out':
          once(isOut, optTok, id);
          isOut = { value: true, invert };
          break;
        default:
          once(isBridged, optTok, id);
          isBridged = { value: true, invert };
      }
    },
    finish(ctx) {
      if (!physIn && !physOut && !isIn && !isOut && !isBridged)
        fail(tok, 'match "physdev" needs at least one --physdev-* option');
      // physdev_mt_check (xt_physdev.c): the output bridge port is not known yet in OUTPUT.
      if ((physOut || isOut) && (!isBridged || isBridged.invert) && ctx.chain === 'OUTPUT') {
        fail(
          tok,
          '"--physdev-out" and "--physdev-is-out" are only supported in FORWARD and POSTROUTING with bridged traffic (not in OUTPUT)',
        );
      }
      return {
        module: 'physdev',
        ...(physIn ? { physIn } : {}),
        ...(physOut ? { physOut } : {}),
        ...(isIn ? { isIn } : {}),
        ...(isOut ? { isOut } : {}),
        ...(isBridged ? { isBridged } : {}),
      };
    },
  };
}

const dev = (d: IfaceMatch): string => `${d.name}${d.wildcard ? '+' : ''}`;

/** The save and the print forms are the same words (physdev_save, physdev_print). */
function form(m: PhysdevMatch): string {
  let s = '';
  if (m.physIn) s += `${bang(m.physIn.invert)} --physdev-in ${dev(m.physIn.value)}`;
  if (m.physOut) s += `${bang(m.physOut.invert)} --physdev-out ${dev(m.physOut.value)}`;
  if (m.isIn) s += `${bang(m.isIn.invert)} --physdev-is-in`;
  if (m.isOut) s += `${bang(m.isOut.invert)} --physdev-is-out`;
  if (m.isBridged) s += `${bang(m.isBridged.invert)} --physdev-is-bridged`;
  return s;
}

export const physdev: MatchExt<PhysdevMatch> = {
  name: 'physdev',
  parser,
  save: form,
  print: (m) => ` PHYSDEV match${form(m)}`,
};
