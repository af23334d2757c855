// -m rpfilter (xt_rpfilter.c rpfilter_mt, rpfilter_lookup_reverse): a packet from the loopback
// device passes; a 0.0.0.0 source to the limited broadcast or 224.0.0.0/24 passes; else the
// route back to the source (the host's FIB through skb.env.rpfLookup, with the mark under
// --validmark, the packet's destination as the flow's source and its TOS) must be unicast (or local with --accept-local) and leave by the input device
// (any device with --loose). --invert turns the answer round.
import { RPF_USES_DEV, RTN_LOCAL, RTN_UNICAST, rpfSaddr, rpfTos, type Skb } from '../core/skb.ts';
import { needs, type MatchOf, type XtMatch } from './xt-match.ts';

/** 1 pass, 0 fail, before --invert; `why` receives nothing: the words come from describe. */
function rpf(m: MatchOf<'rpfilter'>, skb: Skb): number {
  if (skb.inIf === 'lo') return 1; // rpfilter_is_loopback
  if (skb.src >>> 24 === 0 && (skb.dst === 0xffffffff || skb.dst >>> 8 === 0xe00000)) return 1;
  const env = skb.env;
  if (!env?.rpfLookup) return 0; // refused by check; never reached
  const r = env.rpfLookup(skb.src, m.validmark ? skb.mark : 0, skb.inIf, rpfSaddr(skb.dst), rpfTos(skb));
  if (r < 0) return 0;
  const type = r & 0xff;
  if (type !== RTN_UNICAST && (type !== RTN_LOCAL || !m.acceptLocal)) return 0;
  return (r & RPF_USES_DEV) !== 0 || m.loose ? 1 : 0;
}

export const rpfilterMatch: XtMatch<MatchOf<'rpfilter'>> = {
  check: (m, caps) => needs(m.module, "the host's routes (skb.env)", caps.env),
  match: (m, skb) => (rpf(m, skb) === 1) !== m.invert,
  describe(m, skb) {
    const env = skb.env;
    const r = env?.rpfLookup
      ? env.rpfLookup(skb.src, m.validmark ? skb.mark : 0, skb.inIf, rpfSaddr(skb.dst), rpfTos(skb))
      : -1;
    const src = `${skb.src >>> 24}.${(skb.src >>> 16) & 255}.${(skb.src >>> 8) & 255}.${skb.src & 255}`;
    if (m.invert) return `-m rpfilter --invert: the route back to ${src} passes the reverse-path test`;
    if (r < 0) return `-m rpfilter: no route back to ${src}`;
    const type = r & 0xff;
    if (type === RTN_LOCAL && !m.acceptLocal)
      return `-m rpfilter: ${src} is a local address (no --accept-local)`;
    if (type !== RTN_UNICAST && type !== RTN_LOCAL)
      return `-m rpfilter: the route back to ${src} is not unicast`;
    return `-m rpfilter: the route back to ${src} does not leave by ${skb.inIf} (strict mode; --loose would accept it)`;
  },
};
