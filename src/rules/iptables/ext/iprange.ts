// -m iprange (libxt_iprange.c): --src-range and/or --dst-range a.b.c.d[-e.f.g.h], invertible.
import { formatIpv4, parseIpv4 } from '../../../wire/addr.ts';
import { IPV6_NOT_SIMULATED, looksLikeIpv6 } from '../../diagnostics.ts';
import type { Token } from '../lex.ts';
import type { AddrRange, Inv } from '../model.ts';
import { fail, once, opt, type ModuleParser } from '../parse-util.ts';
import { bang, type MatchExt } from './ext.ts';

export interface IprangeMatch {
  readonly module: 'iprange';
  readonly src?: Inv<AddrRange>;
  readonly dst?: Inv<AddrRange>;
}

function parseAddrRange(t: Token, what: string): AddrRange {
  const [a, b, extra] = t.text.split('-');
  const x = parseIpv4(a!);
  const y = b === undefined ? x : parseIpv4(b);
  if (looksLikeIpv6(t.text)) fail(t, `"${t.text}" for ${what} is an IPv6 range; ${IPV6_NOT_SIMULATED}`);
  if (!x.ok || !y.ok || extra !== undefined)
    fail(t, `bad IP range "${t.text}" for ${what} (expected a.b.c.d-e.f.g.h)`);
  const min = (x as { value: number }).value;
  const max = (y as { value: number }).value;
  return { min, max };
}

function parser(tok: Token): ModuleParser {
  let src: Inv<AddrRange> | undefined;
  let dst: Inv<AddrRange> | undefined;
  return {
    name: 'iprange',
    tok,
    opts: [opt('src-range', 1, true), opt('dst-range', 1, true)],
    option(id, args, invert, optTok) {
      if (id === 'src-range') {
        once(src, optTok, 'src-range');
        src = { value: parseAddrRange(args[0]!, '--src-range'), invert };
      } else {
        once(dst, optTok, 'dst-range');
        dst = { value: parseAddrRange(args[0]!, '--dst-range'), invert };
      }
    },
    finish() {
      if (!src && !dst) fail(tok, 'match "iprange" needs "--src-range" or "--dst-range"');
      return { module: 'iprange', ...(src ? { src } : {}), ...(dst ? { dst } : {}) };
    },
  };
}

const range = (r: AddrRange): string => `${formatIpv4(r.min)}-${formatIpv4(r.max)}`;

export const iprange: MatchExt<IprangeMatch> = {
  name: 'iprange',
  parser,
  save(m) {
    let s = '';
    if (m.src) s += `${bang(m.src.invert)} --src-range ${range(m.src.value)}`;
    if (m.dst) s += `${bang(m.dst.invert)} --dst-range ${range(m.dst.value)}`;
    return s;
  },
  print(m) {
    let s = '';
    if (m.src) s += ` source IP range ${m.src.invert ? '! ' : ''}${range(m.src.value)}`;
    if (m.dst) s += ` destination IP range ${m.dst.invert ? '! ' : ''}${range(m.dst.value)}`;
    return s;
  },
};
