// A small builder of nft models for the evaluator's tests (what the parser gives for the nft text
// quoted beside each use), and an engine with nft front end and an empty iptables ruleset.
import type {
  NftBaseChain,
  NftChain,
  NftExpr,
  NftFamily,
  NftRelOp,
  NftRule,
  NftRuleset,
  NftSet,
  NftSetElem,
  NftStmt,
  NftTable,
} from '../../../src/rules/nft/model.ts';
import { Netfilter, NF_ACCEPT } from '../../../src/netfilter/core/engine.ts';
import { SeededRng } from '../../../src/netfilter/nat/nat-core.ts';
import { checkNft, nftFrontEnd } from '../../../src/netfilter/nftables/index.ts';
import { buildUdpPacket } from '../../../src/wire/packet.ts';
import { Skb, type XtEnv } from '../../../src/netfilter/core/skb.ts';
import { HOST, ip, ruleset } from '../helpers.ts';
import { parseNft, printNft } from '../../../src/rules/nft/index.ts';
import assert from 'node:assert/strict';

export const pay = (proto: string, field: string): NftExpr => ({ kind: 'payload', proto, field });
export const meta = (key: string): NftExpr => ({ kind: 'meta', key });
export const ct = (key: string, dir?: 'original' | 'reply'): NftExpr => ({
  kind: 'ct',
  key,
  ...(dir ? { dir } : {}),
});
export const addr = (text: string): NftExpr => ({ kind: 'value', type: 'ipv4_addr', value: ip(text) });
export const num = (value: number, type = 'integer'): NftExpr => ({ kind: 'value', type, value });
export const port = (value: number): NftExpr => num(value, 'inet_service');
export const str = (value: string): NftExpr => ({ kind: 'value', type: 'ifname', value });
export const prefix = (text: string, len: number): NftExpr => ({ kind: 'prefix', value: addr(text), len });
export const range = (low: NftExpr, high: NftExpr): NftExpr => ({ kind: 'range', low, high });
export const cat = (...items: NftExpr[]): NftExpr => ({ kind: 'concat', items });
export const anon = (...keys: NftExpr[]): NftExpr => ({
  kind: 'set',
  elements: keys.map((key) => ({ key })),
});
export const amap = (...els: [NftExpr, NftExpr][]): NftExpr => ({
  kind: 'set',
  elements: els.map(([key, data]) => ({ key, data })),
});
export const ref = (name: string): NftExpr => ({ kind: 'setref', name });
export const verdictV = (verdict: 'accept' | 'drop' | 'jump' | 'goto', chain?: string): NftExpr => ({
  kind: 'verdict',
  verdict,
  ...(chain ? { chain } : {}),
});

export const match = (left: NftExpr, right: NftExpr, op: NftRelOp = 'implicit'): NftStmt => ({
  kind: 'match',
  left,
  op,
  right,
});
export const verdict = (
  v: 'accept' | 'drop' | 'continue' | 'return' | 'jump' | 'goto',
  chain?: string,
): NftStmt => ({
  kind: 'verdict',
  verdict: v,
  ...(chain ? { chain } : {}),
});
export const counter = (): NftStmt & { kind: 'counter' } => ({ kind: 'counter', packets: 0, bytes: 0 });

let handle = 1;
export const rule = (...stmts: NftStmt[]): NftRule => ({ handle: handle++, stmts });
export function chain(
  name: string,
  rules: NftRule[],
  base?: Partial<NftBaseChain> & { hook: string },
): NftChain {
  return {
    name,
    handle: handle++,
    rules,
    ...(base
      ? {
          base: {
            type: base.type ?? 'filter',
            hook: base.hook,
            priority: base.priority ?? 0,
            policy: base.policy ?? 'accept',
          },
        }
      : {}),
  };
}
export function set(
  name: string,
  types: string[],
  elements: NftSetElem[],
  more: Partial<NftSet> = {},
): NftSet {
  return {
    name,
    handle: handle++,
    isMap: false,
    key: { types },
    flags: [],
    elements,
    ...more,
  };
}
export function table(family: NftFamily, name: string, chains: NftChain[], sets: NftSet[] = []): NftTable {
  return { family, name, handle: handle++, chains, sets, flowtables: [], objects: [] };
}
export const rs = (...tables: NftTable[]): NftRuleset => ({ tables });

/** An engine with `nft` beside the iptables rules `ipt` (iptables commands, may be empty). */
export function nftEngine(nft: NftRuleset, ipt = '', seed = 1): Netfilter {
  return new Netfilter({
    ruleset: ruleset(ipt),
    frontEnds: [nftFrontEnd(nft)],
    host: HOST,
    rng: new SeededRng(seed),
  });
}

/** The XtEnv the stack gives: the conntrack table, addresses of the reference box. */
export function envOf(nf: Netfilter, extra: Partial<XtEnv> = {}): XtEnv {
  let r = 7;
  return {
    addrType: (a) => (a === ip('203.0.113.22') || a === ip('192.168.1.1') ? 2 : 1),
    random32: () => (r = (Math.imul(r, 1103515245) + 12345) >>> 0),
    conntrack: nf.conntrack,
    ...extra,
  };
}

/** One packet forwarded: PREROUTING, FORWARD, POSTROUTING (skb.env set); the verdict. */
export function fwd(
  nf: Netfilter,
  skb: Skb,
  buf: Uint8Array,
  inIf: string,
  outIf: string,
  now: number,
): number {
  const env = skb.env ?? envOf(nf);
  skb.load(buf, 0, inIf, '');
  skb.env = env;
  let v = nf.prerouting(skb, now);
  if (v !== NF_ACCEPT) return v;
  skb.outIf = outIf;
  v = nf.forward(skb, now);
  if (v !== NF_ACCEPT) return v;
  return nf.postrouting(skb, now);
}

/**
 * A 2-byte UDP datagram from `src` to `dst` port 9 forwarded from a to b at `now` on a fresh Skb:
 * the verdict (the set tests' probe of an element's presence).
 */
export function udpVerdict(nf: Netfilter, src: string, dst: string, now: number): number {
  const skb = new Skb();
  skb.env = envOf(nf);
  const buf = buildUdpPacket(
    { src: ip(src), dst: ip(dst), id: 1 },
    { srcPort: 1000, dstPort: 9 },
    new Uint8Array(2),
  );
  return fwd(nf, skb, buf, 'a', 'b', now);
}

/** nft text read by parseNft (lines of file `file`); throws with the diagnostics. */
export function parseNftText(text: string, file = 'fw4.nft'): NftRuleset {
  const lines = text.split('\n').map((t, i) => ({ text: t, file, line: i + 1, column: 1 }));
  const r = parseNft(lines);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => `${d.line}:${d.column}: ${d.message}`).join('\n'));
  return r.ruleset;
}

/**
 * An engine loaded from nft text that checks clean and prints back as written, with one skb on
 * its env (the ct-* tests' boxes extend it with their packet builders).
 */
export class NftBox {
  readonly nf: Netfilter;
  readonly skb = new Skb();
  constructor(text: string) {
    const rs = parseNftText(text);
    assert.deepEqual(checkNft(rs), []);
    assert.equal(printNft(rs), text);
    this.nf = nftEngine(rs);
    this.skb.env = envOf(this.nf);
  }
}
