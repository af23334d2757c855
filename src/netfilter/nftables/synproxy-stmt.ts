// nft's synproxy statement and synproxy objects (net/netfilter/nft_synproxy.c, Linux 6.18) on the
// engine's SYNPROXY (core/synproxy.ts, which iptables' SYNPROXY target uses too): the options
// nft sends (NFTA_SYNPROXY_FLAGS: the MSS and window scale bits only when given, timestamp,
// sack-perm), nft_synproxy_validate's hooks (input and forward), and nft_synproxy_do_eval's
// verdicts: a packet that is not TCP breaks the rule (NFT_BREAK); a SYN answered or a cookie's
// ACK relayed is taken (NF_STOLEN); a bad cookie is dropped; anything else goes on with the rule.
import type { NftStmt } from '../../rules/nft/model.ts';
import { IPPROTO_TCP } from '../../wire/ipv4.ts';
import { NF_INET_FORWARD, NF_INET_LOCAL_IN } from '../core/hook-numbers.ts';
import type { Skb } from '../core/skb.ts';
import {
  SYNPROXY_OPT_MSS,
  SYNPROXY_OPT_SACK_PERM,
  SYNPROXY_OPT_TIMESTAMP,
  SYNPROXY_OPT_WSCALE,
} from '../core/synproxy.ts';
import { T_DROP, T_STOLEN, type NfTableEnv, type SynproxyInfo } from '../core/table.ts';
import { NftRefusal } from './expr.ts';
import { R_BREAK, R_DROP, R_GO, R_STOLEN } from './sets.ts';

type SynproxyArgs = { readonly mss?: number; readonly wscale?: number; readonly flags?: readonly string[] };

/** struct nf_synproxy_info as nft fills it from a statement or an object. */
export function nftSynproxyInfo(s: SynproxyArgs): SynproxyInfo {
  let options = 0;
  if (s.mss !== undefined) options |= SYNPROXY_OPT_MSS;
  if (s.wscale !== undefined) options |= SYNPROXY_OPT_WSCALE;
  if (s.flags?.includes('timestamp')) options |= SYNPROXY_OPT_TIMESTAMP;
  if (s.flags?.includes('sack-perm')) options |= SYNPROXY_OPT_SACK_PERM;
  return { options, mss: s.mss ?? 0, wscale: s.wscale ?? 0 };
}

/** nft_synproxy_validate: a base chain at another hook refuses the rule (EOPNOTSUPP). */
export function checkSynproxyHook(hook: number, at: NftStmt): void {
  if (hook >= 0 && hook !== NF_INET_LOCAL_IN && hook !== NF_INET_FORWARD)
    throw new NftRefusal(
      'synproxy is only valid in input and forward chains (Could not process rule: Operation not supported)',
      at,
      'synproxy',
    );
}

/**
 * The statement's op: `info` (or, for a named object or a map of them, `infoOf(skb)`: undefined
 * when the map has no element for the packet, nft_objref_map_eval's NFT_BREAK).
 */
export function synproxyOp(
  env: NfTableEnv | undefined,
  rt: { readonly now: number },
  infoOf: (skb: Skb) => SynproxyInfo | undefined,
): (skb: Skb) => number {
  return (skb) => {
    if (skb.proto !== IPPROTO_TCP) return R_BREAK;
    const info = infoOf(skb);
    if (info === undefined) return R_BREAK;
    if (env?.synproxy === undefined) return R_DROP;
    const v = env.synproxy(skb, info, rt.now, true);
    return v === T_STOLEN ? R_STOLEN : v === T_DROP ? R_DROP : R_GO;
  };
}
