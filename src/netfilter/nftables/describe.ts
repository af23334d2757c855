// Why a rule did not match, in words for the trace: the statement whose expression ended the rule
// (NFT_BREAK), named as nft writes its left side. Runs only with a tracer attached.
import type { NftExpr, NftStmt } from '../../rules/nft/model.ts';
import type { Skb } from '../core/skb.ts';
import type { CRule } from './compile.ts';

function exprWords(e: NftExpr): string {
  switch (e.kind) {
    case 'payload':
      return `${e.proto} ${e.field}`;
    case 'meta':
      return `meta ${e.key}`;
    case 'ct':
      return `ct ${e.dir ? `${e.dir} ` : ''}${e.key}`;
    case 'fib':
      return `fib ${e.flags.join(' . ')} ${e.result}`;
    case 'concat':
      return e.items.map(exprWords).join(' . ');
    case 'binop':
      return `${exprWords(e.left)} ${e.op} ...`;
    case 'numgen':
      return `numgen ${e.mode}`;
    case 'hash':
      return e.type;
    case 'rawpayload':
      return `@${e.base},${e.offset},${e.len}`;
    case 'setref':
      return `@${e.name}`;
    default:
      return e.kind;
  }
}

function stmtWords(s: NftStmt): string {
  switch (s.kind) {
    case 'match':
      return `${exprWords(s.left)} did not match`;
    case 'vmap':
      return `${exprWords(s.key)}: no element of the verdict map`;
    case 'limit':
      return s.over ? 'limit: within the rate' : 'limit: over the rate';
    case 'quota':
      return s.over ? 'quota: not used up' : 'quota: used up';
    case 'dynset': {
      // The element's statements (a limit, a ct count) may have stopped the rule.
      const inner = (s.stmts ?? []).filter((t) => t.kind === 'limit' || t.kind === 'connlimit');
      return inner.length
        ? `${s.op} @${s.set}: the element's ${inner.map(stmtWords).join(' or ')}`
        : `${s.op} @${s.set}: no match`;
    }
    case 'connlimit':
      return s.over ? `ct count: ${s.count} or fewer connections` : `ct count: over ${s.count} connections`;
    case 'nat':
      return `${s.type}: no mapping for the packet`;
    default:
      return `${s.kind}: no match`;
  }
}

/** The reason rule `r` stopped at op `k`. */
export function describeMiss(r: CRule, k: number, skb: Skb): string {
  void skb;
  const s = r.rule.stmts[r.stmtOf[k] ?? -1];
  return s ? stmtWords(s) : 'no match';
}
