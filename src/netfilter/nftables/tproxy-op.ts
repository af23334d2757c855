// nft's `tproxy [ip] to [ADDR][:PORT]` (nft_tproxy.c nft_tproxy_eval_v4) and `socket transparent`
// (nft_socket.c NFT_SOCKET_TRANSPARENT) as a rule's ops. tproxy hands the packet to a
// transparent socket (core/tproxy.ts, as TPROXY) and the rule goes on (the mark is a
// `meta mark set` of its own), or stops the rule (NFT_BREAK) when no transparent socket takes
// it. The kernel takes it in a prerouting chain only (nft_tproxy_validate: "Operation not
// supported"). `socket transparent` reads inet_sk_transparent of the socket the packet would
// reach; with no socket the rule stops, whatever is compared.
import type { NftChain, NftExpr, NftStmt } from '../../rules/nft/model.ts';
import { NF_INET_PRE_ROUTING } from '../core/hook-numbers.ts';
import { SK_KIND, SK_NONE, SK_TRANSPARENT, type Skb } from '../core/skb.ts';
import { tproxyAssign } from '../core/tproxy.ts';
import { socketLookupOf } from '../xtables/match-socket.ts';
import { NftRefusal } from './expr.ts';

const R_GO = 0;
const R_BREAK = 1;

const constant = (e: NftExpr | undefined, what: string): number => {
  if (e === undefined) return 0;
  if (e.kind === 'value' && typeof e.value === 'number') return e.value >>> 0;
  throw new NftRefusal(`tproxy ${what} from an expression (${e.kind}) is not simulated`, e, e.kind);
};

export function tproxyOp(
  s: Extract<NftStmt, { kind: 'tproxy' }>,
  hook: number,
  chain: NftChain,
): (skb: Skb) => number {
  if (chain.base && hook !== NF_INET_PRE_ROUTING)
    throw new NftRefusal(
      'tproxy is valid in a prerouting chain only (nft: Could not process rule: Operation not supported)',
      s,
      'tproxy',
    );
  const addr = constant(s.addr, 'address');
  const port = constant(s.port, 'port');
  return (skb) => (tproxyAssign(skb, addr, port) ? R_GO : R_BREAK);
}

/** `socket transparent OP VALUE`: `want` 1 or 0, `neg` for `!=`. */
export function socketTransparentOp(want: number, neg: boolean): (skb: Skb) => number {
  return (skb) => {
    const found = socketLookupOf(skb);
    if ((found & SK_KIND) === SK_NONE) return R_BREAK;
    const t = found & SK_TRANSPARENT ? 1 : 0;
    return (t === want) !== neg ? R_GO : R_BREAK;
  };
}
