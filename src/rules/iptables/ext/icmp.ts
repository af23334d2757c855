// -m icmp (libxt_icmp.c): --icmp-type TYPE[/CODE] or a name (any prefix that is unique),
// invertible; loaded implicitly by `-p icmp`.
import { didYouMean } from '../../diagnostics.ts';
import type { Token } from '../lex.ts';
import type { Inv } from '../model.ts';
import { ICMP_TYPES, IPPROTO_ICMP } from '../names.ts';
import { fail, once, opt, protoIs, type ModuleParser } from '../parse-util.ts';
import { bang, type MatchExt } from './ext.ts';

export interface IcmpMatch {
  readonly module: 'icmp';
  /** type 255 means "any"; code range min..max. */
  readonly icmpType?: Inv<{ readonly type: number; readonly codeMin: number; readonly codeMax: number }>;
}

function parser(tok: Token): ModuleParser {
  let icmpType: Inv<{ type: number; codeMin: number; codeMax: number }> | undefined;
  return {
    name: 'icmp',
    tok,
    opts: [opt('icmp-type', 1, true)],
    option(_id, args, invert, optTok) {
      once(icmpType, optTok, 'icmp-type');
      const t = args[0]!;
      const m = /^(\d+)(?:\/(\d+))?$/.exec(t.text);
      if (m) {
        const type = Number(m[1]);
        const code = m[2] === undefined ? undefined : Number(m[2]);
        if (type > 255 || (code ?? 0) > 255) fail(t, `bad ICMP type "${t.text}" (type and code are 0-255)`);
        icmpType = {
          value: { type, codeMin: code ?? 0, codeMax: code ?? 0xff },
          invert,
        };
        return;
      }
      const lower = t.text.toLowerCase();
      const exact = ICMP_TYPES.find(([n]) => n.toLowerCase() === lower);
      const cands = exact ? [exact] : ICMP_TYPES.filter(([n]) => n.toLowerCase().startsWith(lower));
      if (cands.length !== 1) {
        fail(
          t,
          cands.length
            ? `ambiguous ICMP type "${t.text}" (${cands.map(([n]) => n).join(', ')})`
            : `unknown ICMP type "${t.text}"${didYouMean(
                t.text,
                ICMP_TYPES.map(([n]) => n),
              )}`,
        );
      }
      const [, type, codeMin, codeMax] = cands[0]!;
      icmpType = { value: { type, codeMin, codeMax }, invert };
    },
    finish(ctx) {
      if (!protoIs(ctx, IPPROTO_ICMP)) fail(tok, 'match "icmp" requires "-p icmp" before it');
      if (!icmpType) fail(tok, 'match "icmp" needs "--icmp-type"');
      return { module: 'icmp', icmpType: icmpType! };
    },
  };
}

export const icmp: MatchExt<IcmpMatch> = {
  name: 'icmp',
  parser,
  save(m) {
    const t = m.icmpType;
    if (!t) return '';
    const s = `${bang(t.invert)} --icmp-type `;
    if (t.value.type === 0xff) return `${s}any`;
    let v = `${t.value.type}`;
    if (t.value.codeMin !== 0 || t.value.codeMax !== 0xff) v += `/${t.value.codeMin}`;
    return s + v;
  },
  print(m) {
    const t = m.icmpType!;
    let s = ` icmp${t.invert ? ' !' : ''}type ${t.value.type}`;
    if (t.value.codeMin === t.value.codeMax) s += ` code ${t.value.codeMin}`;
    else if (t.value.codeMin !== 0 || t.value.codeMax !== 0xff)
      s += ` codes ${t.value.codeMin}-${t.value.codeMax}`;
    return s;
  },
};
