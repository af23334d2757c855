// `meta time` compared (net/netfilter/nft_meta.c NFT_META_TIME_NS: ktime_get_real_ns(), the
// packet's wall clock in nanoseconds since 1970; nft's meta.c date_type_parse reads the constant).
// The model keeps an unquoted number as milliseconds (seconds as nft reads them, times 1000) and a
// date as nft lists it ("%Y-%m-%d %H:%M:%S", types.ts parseDate). nft converts a date with the
// machine's time zone; natbox's hosts, like the corpus captured with TZ=UTC, are in UTC. Times are doubles here: past 2^53 ns (1970 + 104 days) they
// step by 256 ns in this century, far below the seconds nft writes dates in.
import type { NftExpr, NftStmt } from '../../rules/nft/model.ts';
import { parseDate } from '../../rules/nft/types.ts';
import type { Skb } from '../core/skb.ts';
import { NftRefusal } from './refusal.ts';
import { R_BREAK, R_GO } from './sets.ts';

/** A `meta time` constant in nanoseconds since 1970 (UTC), or a refusal. */
function timeNs(e: NftExpr): number {
  if (e.kind === 'value' && typeof e.value === 'number') return e.value * 1e6;
  const sec = e.kind === 'value' && typeof e.value === 'string' ? parseDate(e.value) : undefined;
  if (sec === undefined)
    throw new NftRefusal(`meta time compared with ${e.kind === 'value' ? String(e.value) : e.kind}`, e, '');
  return sec * 1e9;
}

/**
 * `meta time OP DATE`, `meta time DATE-DATE` (and `!=` of either) as an op, `get` the packet's
 * time in nanoseconds (-1: none, the scenario has no epoch: the rule breaks).
 */
export function metaTimeMatch(
  s: Extract<NftStmt, { kind: 'match' }>,
  get: (skb: Skb) => number,
): (skb: Skb) => number {
  const r = s.right;
  const neg = s.op === '!=';
  if (r.kind === 'range') {
    if (s.op !== 'implicit' && s.op !== '==' && s.op !== '!=')
      throw new NftRefusal(`${s.op} against a range`, s, s.op);
    const lo = timeNs(r.low);
    const hi = timeNs(r.high);
    return (skb) => {
      const x = get(skb);
      return x >= 0 && (x >= lo && x <= hi) !== neg ? R_GO : R_BREAK;
    };
  }
  if (r.kind !== 'value') throw new NftRefusal(`meta time against a ${r.kind} is not simulated`, r, r.kind);
  const v = timeNs(r);
  const test: (x: number) => boolean =
    s.op === '<'
      ? (x) => x < v
      : s.op === '>'
        ? (x) => x > v
        : s.op === '<='
          ? (x) => x <= v
          : s.op === '>='
            ? (x) => x >= v
            : neg
              ? (x) => x !== v
              : (x) => x === v;
  return (skb) => {
    const x = get(skb);
    return x >= 0 && test(x) ? R_GO : R_BREAK;
  };
}
