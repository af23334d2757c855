// -m addrtype (libxt_addrtype.c, revision 1): --src-type / --dst-type as comma lists of address
// types, invertible; --limit-iface-in (PREROUTING, INPUT, FORWARD) or --limit-iface-out (FORWARD,
// OUTPUT, POSTROUTING).
import type { Token } from '../lex.ts';
import type { Inv } from '../model.ts';
import { ADDRTYPE_NAMES } from '../names.ts';
import { fail, onlyInHooks, once, opt, type ModuleParser } from '../parse-util.ts';
import { bang, type MatchExt } from './ext.ts';

export interface AddrtypeMatch {
  readonly module: 'addrtype';
  /** Bit masks of address types (1 << RTN_*; ADDRTYPE_NAMES). */
  readonly srcType?: Inv<number>;
  readonly dstType?: Inv<number>;
  readonly limitIfaceIn: boolean;
  readonly limitIfaceOut: boolean;
}

function parser(tok: Token): ModuleParser {
  let srcType: Inv<number> | undefined;
  let dstType: Inv<number> | undefined;
  let limitIn: Token | undefined;
  let limitOut: Token | undefined;
  const types = (t: Token): number => {
    let bits = 0;
    for (const part of t.text.split(',')) {
      const k = ADDRTYPE_NAMES.findIndex((n) => n === part.toUpperCase());
      if (k < 0)
        fail(t, `unknown address type "${part}" (expected a comma list of ${ADDRTYPE_NAMES.join(', ')})`);
      bits |= 1 << k;
    }
    return bits;
  };
  return {
    name: 'addrtype',
    tok,
    opts: [
      opt('src-type', 1, true),
      opt('dst-type', 1, true),
      opt('limit-iface-in', 0, false),
      opt('limit-iface-out', 0, false),
    ],
    option(id, args, invert, optTok) {
      if (id === 'src-type') {
        once(srcType, optTok, 'src-type');
        srcType = { value: types(args[0]!), invert };
      } else if (id === 'dst-type') {
        once(dstType, optTok, 'dst-type');
        dstType = { value: types(args[0]!), invert };
      } else if (id === 'limit-iface-in') limitIn = optTok;
      else limitOut = optTok;
    },
    finish(ctx) {
      if (!srcType && !dstType) fail(tok, 'match "addrtype" needs "--src-type" or "--dst-type"');
      if (limitIn && limitOut)
        fail(limitOut, 'addrtype: "--limit-iface-in" and "--limit-iface-out" cannot be used together');
      if (limitIn) onlyInHooks(ctx, limitIn, '"--limit-iface-in"', ['PREROUTING', 'INPUT', 'FORWARD']);
      if (limitOut) onlyInHooks(ctx, limitOut, '"--limit-iface-out"', ['FORWARD', 'OUTPUT', 'POSTROUTING']);
      return {
        module: 'addrtype',
        ...(srcType ? { srcType } : {}),
        ...(dstType ? { dstType } : {}),
        limitIfaceIn: limitIn !== undefined,
        limitIfaceOut: limitOut !== undefined,
      };
    },
  };
}

const names = (bits: number): string => ADDRTYPE_NAMES.filter((_, k) => bits & (1 << k)).join(',');

export const addrtype: MatchExt<AddrtypeMatch> = {
  name: 'addrtype',
  parser,
  save(m) {
    let s = '';
    if (m.srcType) s += `${bang(m.srcType.invert)} --src-type ${names(m.srcType.value)}`;
    if (m.dstType) s += `${bang(m.dstType.invert)} --dst-type ${names(m.dstType.value)}`;
    if (m.limitIfaceIn) s += ' --limit-iface-in';
    if (m.limitIfaceOut) s += ' --limit-iface-out';
    return s;
  },
  print(m) {
    const types = (x: Inv<number>): string => `${x.invert ? '!' : ''}${names(x.value)}`;
    let s = ' ADDRTYPE match';
    if (m.srcType) s += ` src-type ${types(m.srcType)}`;
    if (m.dstType) s += ` dst-type ${types(m.dstType)}`;
    if (m.limitIfaceIn) s += ' limit-in';
    if (m.limitIfaceOut) s += ' limit-out';
    return s;
  },
};
