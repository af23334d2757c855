// -m devgroup (xt_devgroup.c devgroup_mt): the input (--src-group) and output (--dst-group)
// device's group, ((group ^ value) & mask) == 0, XOR the inversion. The groups come from the
// scenario (`group:` of an interface, 0 for the others); a host whose scenario gives no interface
// a group has its -m devgroup refused at evaluation (it never matches, and the trace says why),
// since natbox cannot know the real host's groups.
import { needs, type MatchOf, type XtMatch } from './xt-match.ts';

export const devgroupMatch: XtMatch<MatchOf<'devgroup'>> = {
  check: (m, caps) => needs(m.module, "the interfaces' groups (skb.env)", caps.env),
  match(m, skb) {
    const group = skb.env?.devGroup;
    if (group === undefined) return false;
    if (m.src && (((group(skb.inIf) ^ m.src.value.value) & m.src.value.mask) === 0) === m.src.invert) {
      return false;
    }
    if (m.dst && (((group(skb.outIf) ^ m.dst.value.value) & m.dst.value.mask) === 0) === m.dst.invert) {
      return false;
    }
    return true;
  },
  describe(m, skb) {
    const group = skb.env?.devGroup;
    if (group === undefined) {
      return 'match "devgroup" is refused: the scenario gives none of this host\'s interfaces a group (add group: N to them)';
    }
    const parts: string[] = [];
    if (m.src) parts.push(`${skb.inIf} is in group ${group(skb.inIf)}`);
    if (m.dst) parts.push(`${skb.outIf} is in group ${group(skb.outIf)}`);
    return `-m devgroup did not match: ${parts.join(', ')}`;
  },
};
