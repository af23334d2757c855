// `ct label N` / `ct label != N` and `ct label set N` (nft_ct.c NFT_CT_LABELS): the connection's
// 128 label bits (the nf_conn_labels extension, which entries made while a ruleset uses labels
// have: nf_connlabels_get), the same bits -m connlabel reads (bit N: word N >> 5, bit N & 31).
// The match loads the bits (zeros without the extension) and tests bit N (nft's bitwise and
// cmp); no connection: the rule breaks, equal or not. The set ORs bit N in
// (nf_connlabels_replace with the value as its own mask). A label by name needs connlabel.conf,
// which natbox does not read: refused.
import type { NftExpr, NftStmt } from '../../rules/nft/model.ts';
import type { Skb } from '../core/skb.ts';
import { NftRefusal } from './expr.ts';

const R_GO = 0;
const R_BREAK = 1;

/** The bit a ct_label value names (ct_label_type_parse: strtoull base 0, below 128). */
export function ctLabelBit(e: NftExpr): number {
  if (e.kind !== 'value' || e.type !== 'ct_label')
    throw new NftRefusal(`ct label compared with a ${e.kind} is not simulated`, e, e.kind);
  const w = String(e.value);
  const n = /^0x[0-9a-f]+$/i.test(w)
    ? parseInt(w.slice(2), 16)
    : /^0[0-7]*$/.test(w)
      ? parseInt(w, 8)
      : /^[1-9]\d*$/.test(w)
        ? Number(w)
        : NaN;
  if (Number.isNaN(n))
    throw new NftRefusal(`ct label "${w}": label names (connlabel.conf) are not simulated`, e, w);
  if (n >= 128) throw new NftRefusal(`ct label bit ${n} out of range (127 max)`, e, w);
  return n;
}

/** `ct label N` (neg: `ct label != N`). */
export function ctLabelMatchOp(s: Extract<NftStmt, { kind: 'match' }>): (skb: Skb) => number {
  if (s.op !== 'implicit' && s.op !== '==' && s.op !== '!=')
    throw new NftRefusal(`${s.op} on ct label is not simulated`, s, s.op);
  const bit = ctLabelBit(s.right);
  const neg = s.op === '!=';
  const word = bit >>> 5;
  const mask = 1 << (bit & 31);
  return (skb) => {
    if (skb.ct < 0 || !skb.env) return R_BREAK;
    const l = skb.env.conntrack.labels;
    const set = l !== undefined && (l[skb.ct * 4 + word]! & mask) !== 0;
    return set !== neg ? R_GO : R_BREAK;
  };
}

/** `ct label set N`. */
export function ctLabelSetOp(value: NftExpr): (skb: Skb) => number {
  const bit = ctLabelBit(value);
  const word = bit >>> 5;
  const mask = 1 << (bit & 31);
  return (skb) => {
    if (skb.ct < 0 || !skb.env) return R_GO;
    const l = skb.env.conntrack.labels;
    if (l !== undefined) l[skb.ct * 4 + word]! |= mask;
    return R_GO;
  };
}
