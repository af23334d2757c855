// -m bpf (xt_bpf.c bpf_mt / bpf_mt_v1): a classic BPF program run on the packet from the IP
// header (wire/cbpf.ts interprets it with the kernel's rules); it matches when it returns
// non-zero. Programs loading skb fields (ancillary loads) or the link-layer header, and pinned
// eBPF objects (--object-pinned), are refused: natbox cannot run them.
import { cbpfRun, cbpfUsesAncillary } from '../../wire/cbpf.ts';
import type { MatchOf, XtMatch } from './xt-match.ts';

export const bpfMatch: XtMatch<MatchOf<'bpf'>> = {
  check(m) {
    if (m.pinned !== undefined)
      return `match "bpf --object-pinned ${m.pinned}": an eBPF program in bpffs, which natbox cannot load or run`;
    if (cbpfUsesAncillary(m.program))
      return 'match "bpf": the program loads socket-buffer fields or the link-layer header (ancillary loads), which natbox does not model';
    return undefined;
  },
  match: (m, skb) =>
    cbpfRun(m.program, skb.buf, skb.off, Math.min(skb.off + skb.len, skb.buf.length), skb.len) !== 0,
  describe: () => '-m bpf: the program returned 0',
};
