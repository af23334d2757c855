// An nft table compiled for the engine: its named sets and objects, and every chain's rules as
// arrays of small closures made once here (the kernel's expressions of a rule, nft_do_chain's
// inner loop). An op returns R_GO to go on with the rule's next expression, R_BREAK when the rule
// does not match (NFT_BREAK), or a verdict. Refusals (what natbox reads but does not run) are
// collected with their position, never thrown at the caller.
import { nftSetZone } from '../conntrack/zone.ts';
import type { NftChain, NftExpr, NftRule, NftStmt, NftTable } from '../../rules/nft/model.ts';
import type { Pos } from '../../rules/diagnostics.ts';
import { hasInterval } from '../../rules/nft/types.ts';
import type { Skb } from '../core/skb.ts';
import { NOTRACK } from '../core/verdict.ts';
import type { NfTableEnv } from '../core/table.ts';
import {
  NF_INET_FORWARD,
  NF_INET_LOCAL_IN,
  NF_INET_LOCAL_OUT,
  NF_INET_POST_ROUTING,
  NF_INET_PRE_ROUTING,
} from '../core/hook-numbers.ts';
import {
  MANIP_DST,
  MANIP_SRC,
  NF_NAT_RANGE_MAP_IPS,
  NF_NAT_RANGE_PERSISTENT,
  NF_NAT_RANGE_PROTO_RANDOM,
  NF_NAT_RANGE_PROTO_RANDOM_FULLY,
  NF_NAT_RANGE_PROTO_SPECIFIED,
  type NatRangeN,
} from '../nat/nat-core.ts';
import { compileExpr, NftRefusal, type ExprCtx, type Getter, type NumGetter } from './expr.ts';
import { buildSet, namedSetConfig, RtSet, UNKNOWN_STR, verdictCode, type SetConfig } from './sets.ts';
import { NftTracedRule } from './traced-rule.ts';
import { SetTooLarge } from './set-index.ts';

// The walk's codes (sets.ts R_*), as local constants: an imported binding is read through a
// getter when the module is loaded as CommonJS (tsx), a cost on every op.
const R_GO = 0;
const R_BREAK = 1;
const R_ACCEPT = 2;
const R_DROP = 3;
const R_REJECT = 4;
const R_JUMP = 6;
const R_GOTO = 7;
const LOCAL_OUT = 3; // NF_INET_LOCAL_OUT
const UNTRACKED = 6; // CT_UNTRACKED

export type Op = (skb: Skb) => number;

export interface CRule {
  readonly rule: NftRule;
  readonly ops: readonly Op[];
  /** Per op: the index of the statement it comes from (the trace's reason). */
  readonly stmtOf: readonly number[];
  readonly traced: NftTracedRule;
}

export interface CChain {
  readonly name: string;
  readonly index: number;
  rules: CRule[];
}

export interface NftProblemAt {
  readonly pos: Pos | undefined;
  readonly token: string;
  readonly message: string;
  /** 'note': read, and without effect on the IPv4 packets natbox runs; 'error': refused. */
  readonly severity: 'error' | 'note';
}

/** The hook numbers of nft's hook names (NF_INET_*). */
export const HOOKS: Readonly<Record<string, number>> = {
  prerouting: NF_INET_PRE_ROUTING,
  input: NF_INET_LOCAL_IN,
  forward: NF_INET_FORWARD,
  output: NF_INET_LOCAL_OUT,
  postrouting: NF_INET_POST_ROUTING,
};

/** Per-statement state (limit buckets, quota use) that a replacing engine carries over. */
export interface StmtState {
  tokens: number;
  last: number;
  consumed: number;
}

const BITMASK_TYPES = new Set(['ct_state', 'ct_status', 'tcp_flag', 'ct_event', 'bitmask']);

/** An nft table at run time: its sets, objects' state, and compiled chains. */
export class RtTable {
  readonly chains: CChain[] = [];
  readonly byName = new Map<string, CChain>();
  readonly sets = new Map<string, RtSet>();
  readonly problems: NftProblemAt[] = [];
  /** The walk's registers: the current hook and time, the jump target, the key words. */
  readonly rt = { hook: 0, now: 0, jump: 0 };
  readonly key: Uint32Array = new Uint32Array(16);
  readonly stmtState = new Map<object, StmtState>();
  /** The NAT range of the statement running (reused). */
  private readonly range: NatRangeN = { minAddr: 0, maxAddr: 0, minPort: 0, maxPort: 0, flags: 0 };

  constructor(
    readonly table: NftTable,
    readonly env: NfTableEnv | undefined,
    prev: RtTable | undefined,
  ) {
    for (const c of table.chains) {
      const cc: CChain = { name: c.name, index: this.chains.length, rules: [] };
      this.chains.push(cc);
      this.byName.set(c.name, cc);
    }
    for (const s of table.sets) {
      try {
        const rs = buildSet(namedSetConfig(s), s.elements, (n, at) => this.chainIndex(n, at));
        this.sets.set(s.name, rs);
        const old = prev?.sets.get(s.name);
        if (old) carrySet(old, rs);
      } catch (e) {
        this.refuse(e, s.pos);
      }
    }
    if (prev) for (const [k, v] of prev.stmtState) this.stmtState.set(k, v);
    table.chains.forEach((c, i) => {
      const hook = c.base ? (HOOKS[c.base.hook] ?? -1) : -1;
      this.chains[i]!.rules = c.rules.map((r) => this.compileRule(c, r, hook));
    });
  }

  private refuse(e: unknown, pos: Pos | undefined): void {
    if (e instanceof NftRefusal)
      this.problems.push({
        pos: e.at?.pos ?? pos,
        token: e.token,
        message: e.message,
        severity: 'error',
      });
    else if (e instanceof SetTooLarge)
      this.problems.push({ pos, token: '', message: e.message, severity: 'error' });
    else throw e;
  }

  chainIndex(name: string, at: NftExpr | NftStmt): number {
    const c = this.byName.get(name);
    if (!c) throw new NftRefusal(`no chain "${name}" in table ${this.table.name}`, at, name);
    return c.index;
  }

  private compileRule(chain: NftChain, rule: NftRule, hook: number): CRule {
    const ops: Op[] = [];
    const stmtOf: number[] = [];
    const ctx: ExprCtx = { family: this.table.family, hook, rt: this.rt };
    rule.stmts.forEach((s, i) => {
      try {
        for (const op of this.compileStmt(s, ctx, chain)) {
          ops.push(op);
          stmtOf.push(i);
        }
      } catch (e) {
        this.refuse(e, s.pos ?? rule.pos);
        ops.push(() => R_BREAK); // never runs: a refused ruleset is not loaded
        stmtOf.push(i);
      }
    });
    return {
      rule,
      ops,
      stmtOf,
      traced: new NftTracedRule(this.table.family, this.table.name, chain.name, rule.handle, rule),
    };
  }

  // ---- keys and sets --------------------------------------------------------------------------

  /** A key builder: writes the expression's fields as words into this.key; false on NFT_BREAK. */
  private keyBuilder(e: NftExpr, ctx: ExprCtx, set: () => RtSet, intern: boolean): (skb: Skb) => boolean {
    const items = e.kind === 'concat' ? e.items : [e];
    const gets = items.map((it) => compileExpr(it, ctx));
    const key = this.key;
    if (gets.length > key.length) throw new NftRefusal('a key of more than 16 fields', e, '.');
    const n = gets.length;
    if (n === 1 && !gets[0]!.str) {
      const g = gets[0]!.get;
      return (skb) => {
        const v = g(skb);
        key[0] = v;
        return v >= 0;
      };
    }
    if (n === 3 && gets.every((g) => !g.str)) {
      const [a, b, c] = gets.map((g) => g.get as NumGetter) as [NumGetter, NumGetter, NumGetter];
      return (skb) => {
        const x = a(skb);
        const y = b(skb);
        const z = c(skb);
        key[0] = x;
        key[1] = y;
        key[2] = z;
        return x >= 0 && y >= 0 && z >= 0;
      };
    }
    return (skb) => {
      for (let i = 0; i < n; i++) {
        const g = gets[i]!;
        if (g.str) {
          const s = g.get(skb);
          const rs = set();
          key[i] = intern ? rs.internId(s) : (rs.intern.get(s) ?? UNKNOWN_STR);
        } else {
          const v = g.get(skb);
          if (v < 0) return false;
          key[i] = v;
        }
      }
      return true;
    };
  }

  /** The set a match, vmap or map names: a named one, or a literal compiled here. */
  private setOf(e: NftExpr, left: NftExpr, ctx: ExprCtx, isMap: boolean, verdict: boolean): RtSet {
    if (e.kind === 'setref') {
      const s = this.sets.get(e.name);
      if (!s) {
        if (this.table.sets.some((x) => x.name === e.name))
          throw new NftRefusal(`set @${e.name} is not simulated`, e, `@${e.name}`);
        throw new NftRefusal(`no set @${e.name}`, e, `@${e.name}`);
      }
      return s;
    }
    if (e.kind !== 'set') throw new NftRefusal(`a ${e.kind} where a set is expected`, e, e.kind);
    const items = left.kind === 'concat' ? left.items : [left];
    const strFields = items.map((it) => compileExpr(it, ctx).str);
    const interval = e.elements.some((el) => hasInterval(el.key));
    const first = e.elements[0]?.data;
    const cfg: SetConfig = {
      name: '',
      strFields,
      interval,
      dataFields: isMap ? (verdict ? 1 : first?.kind === 'concat' ? first.items.length : 1) : 0,
      verdictMap: verdict,
      timeout: 0,
      maxSize: Infinity,
      counters: false,
    };
    return buildSet(cfg, e.elements, (n, at) => this.chainIndex(n, at));
  }

  // ---- statements ---------------------------------------------------------------------------

  private compileStmt(s: NftStmt, ctx: ExprCtx, chain: NftChain): Op[] {
    const rt = this.rt;
    switch (s.kind) {
      case 'match':
        return [this.compileMatch(s, ctx)];
      case 'verdict': {
        const code = verdictCode(s.verdict, s);
        if (code === R_JUMP || code === R_GOTO) {
          const idx = this.chainIndex(s.chain ?? '', s);
          return [
            () => {
              rt.jump = idx;
              return code;
            },
          ];
        }
        return code === R_GO ? [] : [() => code];
      }
      case 'vmap': {
        const set = this.setOf(s.map, s.key, ctx, true, true);
        const build = this.keyBuilder(s.key, ctx, () => set, false);
        const key = this.key;
        return [
          (skb) => {
            if (!build(skb)) return R_BREAK;
            const slot = set.lookup(key, rt.now);
            if (slot < 0) return R_BREAK;
            countElem(set, slot, skb);
            rt.jump = set.vchain[slot]!;
            return set.vcode[slot]!;
          },
        ];
      }
      case 'queue': {
        // No queue listener in natbox (nf_queue finds no instance): bypass goes on, else a drop.
        const bypass = (s.flags ?? []).includes('bypass');
        return [() => (bypass ? R_ACCEPT : R_DROP)];
      }
      case 'counter':
        return [
          (skb) => {
            s.packets++;
            s.bytes += skb.len;
            return R_GO;
          },
        ];
      case 'objref':
        return [this.compileObjref(s)];
      case 'limit':
        return [this.limitOp(s, s)];
      case 'quota': {
        const st = this.state(s, () => ({ tokens: 0, last: 0, consumed: s.used }));
        return [
          (skb) => {
            // nft_quota_do_eval: consumed += len; over when consumed >= quota.
            st.consumed += skb.len;
            const over = st.consumed >= s.bytes;
            s.used = Math.min(st.consumed, s.bytes);
            return over !== s.over ? R_BREAK : R_GO;
          },
        ];
      }
      case 'log':
        return [];
      case 'reject':
        return [this.rejectOp(s)];
      case 'nat':
        return [this.natOp(s, ctx, chain)];
      case 'notrack': {
        const notrack = NOTRACK;
        return [
          (skb) => {
            // nft_notrack_eval: a packet already tracked (or untracked), or carrying a template
            // (a zone set by ct zone set), is left alone. (A packet not yet seen by conntrack has
            // ct -1 and ctinfo CT_UNTRACKED too: test ct alone.)
            if (skb.ct >= 0 || skb.ct === notrack || skb.ctZone !== 0) return R_GO;
            skb.ct = notrack;
            skb.ctinfo = UNTRACKED;
            return R_GO;
          },
        ];
      }
      case 'set':
        return [this.setStmt(s, ctx)];
      case 'dynset':
        return [this.dynsetOp(s, ctx)];
      case 'flow':
        throw new NftRefusal(
          'flow add @flowtable (flow offload) is read and printed but not simulated yet',
          s,
          'flow',
        );
      case 'connlimit':
        throw new NftRefusal('ct count (connlimit) is read and printed but not simulated', s, 'ct count');
      case 'last':
        throw new NftRefusal('last is read and printed but not simulated', s, 'last');
      default:
        throw new NftRefusal(`the statement ${s.kind} is read and printed but not simulated`, s, s.kind);
    }
  }

  private state(key: object, init: () => StmtState): StmtState {
    let st = this.stmtState.get(key);
    if (!st) this.stmtState.set(key, (st = init()));
    return st;
  }

  private compileMatch(s: Extract<NftStmt, { kind: 'match' }>, ctx: ExprCtx): Op {
    const { left, right } = s;
    const neg = s.op === '!=';
    // An IPv6 header or ct ip6 address never matches an IPv4 packet, equal or not, whatever the
    // right side holds (IPv6 addresses are not numbers here): the rule's nfproto dependency fails.
    if (
      (left.kind === 'payload' && (left.proto === 'ip6' || left.proto === 'icmpv6')) ||
      (left.kind === 'ct' && left.family === 'ip6')
    )
      return () => R_BREAK;
    // Membership: `expr { ... }`, `expr @set`, `expr != @set`.
    if (right.kind === 'set' || right.kind === 'setref') {
      if (s.op !== 'implicit' && s.op !== '==' && s.op !== '!=')
        throw new NftRefusal(`${s.op} against a set`, s, s.op);
      const set = this.setOf(right, left, ctx, false, false);
      const build = this.keyBuilder(left, ctx, () => set, false);
      const key = this.key;
      const rt = this.rt;
      return (skb) => {
        if (!build(skb)) return R_BREAK;
        const slot = set.lookup(key, rt.now);
        if (slot >= 0) countElem(set, slot, skb);
        return slot >= 0 !== neg ? R_GO : R_BREAK;
      };
    }
    // fib ... oif exists / missing (nft writes it as a boolean on the right, or `present`).
    if (
      left.kind === 'fib' &&
      left.result !== 'type' &&
      (left.present !== undefined || (right.kind === 'value' && right.type === 'boolean'))
    ) {
      const g = compileExpr(left, ctx);
      const get = g.get as (skb: Skb) => string | number;
      let want =
        right.kind === 'value' && right.type === 'boolean' ? right.value !== 0 : left.present !== false;
      if (neg) want = !want;
      return (skb) => {
        const v = get(skb);
        return (v !== '' && v !== 0) === want ? R_GO : R_BREAK;
      };
    }
    const g: Getter = compileExpr(left, ctx);
    if (g.str) {
      if (right.kind !== 'value' || typeof right.value !== 'string')
        throw new NftRefusal('an interface name compared with a non-name', right, right.kind);
      const get = g.get;
      const text = right.value;
      if (s.op !== 'implicit' && s.op !== '==' && s.op !== '!=')
        throw new NftRefusal(`${s.op} on a name`, s, s.op);
      if (text.endsWith('*') && !text.endsWith('\\*')) {
        const pre = text.slice(0, -1);
        return (skb) => (get(skb).startsWith(pre) !== neg ? R_GO : R_BREAK);
      }
      const exact = text.replace(/\\\*$/, '*');
      return (skb) => ((get(skb) === exact) !== neg ? R_GO : R_BREAK);
    }
    const get = g.get;
    if (right.kind === 'prefix') {
      const v = numValue(right.value);
      const mask = right.len === 0 ? 0 : (0xffffffff << (32 - right.len)) >>> 0;
      const want = (v & mask) >>> 0;
      return (skb) => {
        const x = get(skb);
        if (x < 0) return R_BREAK;
        return ((x & mask) >>> 0 === want) !== neg ? R_GO : R_BREAK;
      };
    }
    if (right.kind === 'range') {
      const lo = numValue(right.low);
      const hi = numValue(right.high);
      return (skb) => {
        const x = get(skb);
        if (x < 0) return R_BREAK;
        return (x >= lo && x <= hi) !== neg ? R_GO : R_BREAK;
      };
    }
    if (right.kind !== 'value' && right.kind !== 'binop')
      throw new NftRefusal(`a match against ${right.kind} is not simulated`, right, right.kind);
    const rg = compileExpr(right, ctx);
    if (rg.str) throw new NftRefusal('a number compared with a name', right, '');
    const v = right.kind === 'value' ? (right.value as number) : -1;
    const rget = rg.get;
    const bitmask = right.kind === 'value' && BITMASK_TYPES.has(right.type);
    switch (s.op) {
      case 'implicit':
        if (bitmask)
          // A flag list: any of its bits (nft's implicit relational on a bitmask: (x & v) != 0).
          return (skb) => {
            const x = get(skb);
            return x >= 0 && (x & v) !== 0 ? R_GO : R_BREAK;
          };
        return right.kind === 'value'
          ? (skb) => (get(skb) === v ? R_GO : R_BREAK)
          : (skb) => {
              const x = get(skb);
              return x >= 0 && x === rget(skb) ? R_GO : R_BREAK;
            };
      case '==':
        return right.kind === 'value'
          ? (skb) => (get(skb) === v ? R_GO : R_BREAK)
          : (skb) => {
              const x = get(skb);
              return x >= 0 && x === rget(skb) ? R_GO : R_BREAK;
            };
      case '!=':
        return (skb) => {
          const x = get(skb);
          return x >= 0 && x !== rget(skb) ? R_GO : R_BREAK;
        };
      case '<':
        return (skb) => {
          const x = get(skb);
          return x >= 0 && x < rget(skb) ? R_GO : R_BREAK;
        };
      case '>':
        return (skb) => {
          const x = get(skb);
          return x >= 0 && x > rget(skb) ? R_GO : R_BREAK;
        };
      case '<=':
        return (skb) => {
          const x = get(skb);
          return x >= 0 && x <= rget(skb) ? R_GO : R_BREAK;
        };
      default:
        return (skb) => {
          const x = get(skb);
          return x >= 0 && x >= rget(skb) ? R_GO : R_BREAK;
        };
    }
  }

  private limitOp(
    s: {
      readonly rate: number;
      readonly per: string;
      readonly unit: 'packets' | 'bytes';
      readonly burst: number;
      readonly over: boolean;
    },
    key: object,
  ): Op {
    // nft_limit_init / nft_limit_eval, in nanoseconds: a bucket of tokens_max, refilled by the
    // time elapsed, a packet costs nsecs / rate (bytes: nsecs * len / rate).
    const { nsecs, pkts, tokensMax, cost } = limitParams(s);
    const st = this.state(key, () => ({ tokens: tokensMax, last: -1, consumed: 0 }));
    const rt = this.rt;
    return (skb) => {
      const now = Math.round(rt.now * 1e9);
      if (st.last < 0) st.last = now; // the bucket starts full
      let tokens = st.tokens + now - st.last;
      if (tokens > tokensMax) tokens = tokensMax;
      st.last = now;
      const c = pkts ? cost : Math.floor((nsecs * skb.len) / s.rate);
      const delta = tokens - c;
      let over: boolean;
      if (delta >= 0) {
        st.tokens = delta;
        over = false;
      } else {
        st.tokens = tokens;
        over = true;
      }
      // Without `over` the rule goes on while within the rate; with it, once past it.
      return over !== s.over ? R_BREAK : R_GO;
    };
  }

  private compileObjref(s: Extract<NftStmt, { kind: 'objref' }>): Op {
    if (s.name.kind !== 'value' || typeof s.name.value !== 'string')
      throw new NftRefusal(`${s.type} name from a map is not simulated`, s, s.type);
    const name = s.name.value;
    const obj = this.table.objects.find((o) => o.type === s.type && o.name === name);
    if (!obj) throw new NftRefusal(`no ${s.type} object "${name}"`, s, name);
    if (obj.type === 'counter')
      return (skb) => {
        obj.packets++;
        obj.bytes += skb.len;
        return R_GO;
      };
    if (obj.type === 'quota') {
      const st = this.state(obj, () => ({ tokens: 0, last: 0, consumed: obj.used }));
      return (skb) => {
        st.consumed += skb.len;
        const over = st.consumed >= obj.bytes;
        obj.used = Math.min(st.consumed, obj.bytes);
        return over !== obj.over ? R_BREAK : R_GO;
      };
    }
    if (obj.type === 'limit') return this.limitOp(obj, obj);
    throw new NftRefusal(`${s.type} objects are read and printed but not simulated`, s, s.type);
  }

  private rejectOp(s: Extract<NftStmt, { kind: 'reject' }>): Op {
    // nft_reject_ipv4 / nft_reject_inet: the answer the stack sends (REJECT's words).
    const w = s.with;
    let how = 'icmp-port-unreachable';
    if (w?.type === 'tcp reset') how = 'tcp-reset';
    else if (w?.type === 'icmpv6')
      return () => R_BREAK; // an IPv6 packet's answer: never IPv4
    else if (w?.code !== undefined) {
      const icmp: Readonly<Record<string, string>> = {
        'net-unreachable': 'icmp-net-unreachable',
        'host-unreachable': 'icmp-host-unreachable',
        'prot-unreachable': 'icmp-proto-unreachable',
        'port-unreachable': 'icmp-port-unreachable',
        'net-prohibited': 'icmp-net-prohibited',
        'host-prohibited': 'icmp-host-prohibited',
        'admin-prohibited': 'icmp-admin-prohibited',
        // icmpx (nft_reject_icmp_code): no-route is net unreachable.
        'no-route': 'icmp-net-unreachable',
      };
      const m = icmp[w.code];
      if (!m) throw new NftRefusal(`reject with ${w.type} ${w.code} is not simulated`, s, w.code);
      how = m;
    }
    const tcpOnly = how === 'tcp-reset';
    return (skb) => {
      // `reject with tcp reset` needs a TCP packet (nft requires `meta l4proto tcp` before it).
      if (tcpOnly && skb.proto !== 6) return R_BREAK;
      skb.rejectWith = how;
      return R_REJECT;
    };
  }

  private setStmt(s: Extract<NftStmt, { kind: 'set' }>, ctx: ExprCtx): Op {
    const t = s.target;
    const vg = this.valueGetter(s.value, ctx);
    if (t.kind === 'meta' && t.key === 'mark')
      return (skb) => {
        const v = vg(skb);
        if (v < 0) return R_BREAK;
        skb.mark = v >>> 0;
        return R_GO;
      };
    if (t.kind === 'meta' && t.key === 'priority')
      return (skb) => {
        const v = vg(skb);
        if (v < 0) return R_BREAK;
        skb.priority = v >>> 0;
        return R_GO;
      };
    if (t.kind === 'meta' && t.key === 'nftrace') return () => R_GO; // natbox's trace sees every packet
    if (t.kind === 'ct' && t.key === 'mark')
      return (skb) => {
        const v = vg(skb);
        if (v < 0) return R_BREAK;
        if (skb.ct >= 0 && skb.env) skb.env.conntrack.mark[skb.ct] = v >>> 0;
        return R_GO;
      };
    if (t.kind === 'ct' && t.key === 'zone') {
      const dir = t.dir;
      return (skb) => {
        const v = vg(skb);
        if (v < 0) return R_BREAK;
        nftSetZone(skb, v, dir);
        return R_GO;
      };
    }
    const what = t.kind === 'meta' || t.kind === 'ct' ? `${t.kind} ${t.key}` : t.kind;
    throw new NftRefusal(`${what} set is read and printed but not simulated`, s, what);
  }

  /** A numeric value: a constant, an expression, or `key map { ... }` (its data). */
  private valueGetter(e: NftExpr, ctx: ExprCtx): NumGetter {
    if (e.kind === 'map') {
      const set = this.setOf(e.map, e.key, ctx, true, false);
      const build = this.keyBuilder(e.key, ctx, () => set, false);
      const key = this.key;
      const rt = this.rt;
      return (skb) => {
        if (!build(skb)) return -1;
        const slot = set.lookup(key, rt.now);
        return slot < 0 ? -1 : set.dataLo[slot * set.cfg.dataFields]!;
      };
    }
    const g = compileExpr(e, ctx);
    if (g.str) throw new NftRefusal('a name where a number is expected', e, '');
    return g.get;
  }

  private natOp(s: Extract<NftStmt, { kind: 'nat' }>, ctx: ExprCtx, chain: NftChain): Op {
    const env = this.env;
    const base = chain.base;
    const hook = ctx.hook;
    if (base && base.type !== 'nat') throw new NftRefusal(`${s.type} outside a nat chain`, s, s.type);
    const dst = s.type === 'dnat' || s.type === 'redirect';
    if (base) {
      const ok = dst
        ? hook === NF_INET_PRE_ROUTING || hook === NF_INET_LOCAL_OUT
        : s.type === 'masquerade'
          ? hook === NF_INET_POST_ROUTING
          : hook === NF_INET_POST_ROUTING || hook === NF_INET_LOCAL_IN;
      if (!ok) throw new NftRefusal(`${s.type} is not valid at hook ${base.hook}`, s, s.type);
    }
    if (s.prefix) throw new NftRefusal(`${s.type} prefix (netmap) is not simulated`, s, 'prefix');
    if (s.family === 'ip6') return () => R_GO; // nft_nat_inet_eval: another family's NAT does nothing
    let flags = 0;
    for (const f of s.flags ?? []) {
      if (f === 'random') flags |= NF_NAT_RANGE_PROTO_RANDOM;
      else if (f === 'fully-random') flags |= NF_NAT_RANGE_PROTO_RANDOM_FULLY;
      else if (f === 'persistent') flags |= NF_NAT_RANGE_PERSISTENT;
      else throw new NftRefusal(`nat flag ${f} is not simulated`, s, f);
    }
    const range = this.range;
    const rt = this.rt;
    // The address part: fixed ends, or a map's data (addr, or addr . port).
    let addr: ((skb: Skb) => boolean) | undefined;
    let fixedPort: [number, number] | undefined;
    let portGet: NumGetter | undefined;
    if (s.addr) {
      const a = s.addr;
      if (a.kind === 'map') {
        const set = this.setOf(a.map, a.key, ctx, true, false);
        const build = this.keyBuilder(a.key, ctx, () => set, false);
        const key = this.key;
        const d = set.cfg.dataFields;
        const withPort = s.addrPort === true;
        if (withPort && d < 2) throw new NftRefusal('addr . port from a map without a port', a, '.');
        addr = (skb) => {
          if (!build(skb)) return false;
          const slot = set.lookup(key, rt.now);
          if (slot < 0) return false;
          range.minAddr = set.dataLo[slot * d]!;
          range.maxAddr = set.dataHi[slot * d]!;
          if (withPort) {
            range.minPort = set.dataLo[slot * d + 1]!;
            range.maxPort = set.dataHi[slot * d + 1]!;
          }
          return true;
        };
      } else {
        const [lo, hi] = ends(a);
        addr = () => {
          range.minAddr = lo;
          range.maxAddr = hi;
          return true;
        };
      }
    }
    if (s.port) {
      const p = s.port;
      if (p.kind === 'value' || p.kind === 'range') fixedPort = ends(p);
      else portGet = this.valueGetter(p, ctx);
    }
    const hasPort = s.port !== undefined || s.addrPort === true;
    const type = s.type;
    const manip = dst ? MANIP_DST : MANIP_SRC;
    return (skb) => {
      if (!env) return R_DROP;
      range.flags = flags | (hasPort ? NF_NAT_RANGE_PROTO_SPECIFIED : 0);
      range.minPort = 0;
      range.maxPort = 0;
      if (fixedPort) {
        range.minPort = fixedPort[0];
        range.maxPort = fixedPort[1];
      } else if (portGet) {
        const v = portGet(skb);
        if (v < 0) return R_BREAK;
        range.minPort = v;
        range.maxPort = v;
      }
      if (type === 'masquerade') {
        // nf_nat_masquerade_ipv4: the out interface's address towards the next hop.
        const a = env.host.masqueradeAddress(skb.outIf, skb.dst);
        if (a === 0) return R_DROP;
        range.minAddr = range.maxAddr = a;
        range.flags |= NF_NAT_RANGE_MAP_IPS;
        if (!env.bindNat(skb, MANIP_SRC, range, rt.now)) return R_DROP;
        env.tagMasquerade(skb.ct, skb.outIf);
        return R_ACCEPT;
      }
      if (type === 'redirect') {
        // nf_nat_redirect_ipv4: 127.0.0.1 from OUTPUT, else the in interface's primary address.
        const a = rt.hook === LOCAL_OUT ? 0x7f000001 : env.host.primaryAddress(skb.inIf);
        if (a === 0) return R_DROP;
        range.minAddr = range.maxAddr = a;
        range.flags |= NF_NAT_RANGE_MAP_IPS;
      } else if (addr) {
        if (!addr(skb)) return R_BREAK;
        range.flags |= NF_NAT_RANGE_MAP_IPS;
      }
      return env.bindNat(skb, manip, range, rt.now) ? R_ACCEPT : R_DROP;
    };
  }

  private dynsetOp(s: Extract<NftStmt, { kind: 'dynset' }>, ctx: ExprCtx): Op {
    const set = this.sets.get(s.set);
    if (!set) throw new NftRefusal(`no set @${s.set}`, s, `@${s.set}`);
    if (!set.hash)
      throw new NftRefusal('add/update/delete on an interval set is not simulated', s, `@${s.set}`);
    if (s.data)
      throw new NftRefusal('add/update of a map element from the packet path is not simulated', s, ':');
    const build = this.keyBuilder(s.key, ctx, () => set, s.op !== 'delete');
    const key = this.key;
    const rt = this.rt;
    if (s.op === 'delete')
      return (skb) => {
        if (build(skb)) set.deleteKey(key);
        return R_GO;
      };
    const timeout = s.timeout !== undefined ? s.timeout / 1000 : set.cfg.timeout;
    let counter = false;
    let limit: Op | undefined;
    let lim: Extract<NftStmt, { kind: 'limit' }> | undefined;
    for (const t of s.stmts ?? []) {
      if (t.kind === 'counter') counter = true;
      else if (t.kind === 'limit') lim = t;
      else throw new NftRefusal(`${t.kind} in a set element is not simulated`, t, t.kind);
    }
    if (lim) limit = this.elemLimitOp(set, lim);
    const update = s.op === 'update';
    return (skb) => {
      if (!build(skb)) return R_BREAK;
      const slot = set.addKey(key, rt.now, timeout);
      if (slot < 0) return R_BREAK; // the set is full
      if (update && !set.fresh && timeout > 0) set.expires[slot] = rt.now + timeout;
      if (counter || set.cfg.counters) {
        set.packets[slot]!++;
        set.bytes[slot]! += skb.len;
      }
      rt.jump = slot; // the element for its limit
      return limit ? limit(skb) : R_GO;
    };
  }

  /** A per-element limit (meters: `update @m { ip saddr limit rate over 10/second }`). */
  private elemLimitOp(set: RtSet, s: Extract<NftStmt, { kind: 'limit' }>): Op {
    const { nsecs, pkts, tokensMax, cost } = limitParams(s);
    const rt = this.rt;
    return (skb) => {
      const slot = rt.jump;
      const now = Math.round(rt.now * 1e9);
      if (set.tokens[slot]! < 0) {
        set.tokens[slot] = tokensMax;
        set.last[slot] = now;
      }
      let tokens = set.tokens[slot]! + now - set.last[slot]!;
      if (tokens > tokensMax) tokens = tokensMax;
      set.last[slot] = now;
      const c = pkts ? cost : Math.floor((nsecs * skb.len) / s.rate);
      const over = tokens - c < 0;
      set.tokens[slot] = over ? tokens : tokens - c;
      return over !== s.over ? R_BREAK : R_GO;
    };
  }
}

/** A set element lookup hit: the element's own counter (nft_set_elem_update_expr). */
function countElem(set: RtSet, slot: number, skb: Skb): void {
  const c = set.elemCounters[slot];
  if (c) {
    c.packets++;
    c.bytes += skb.len;
  }
}

function numValue(e: NftExpr): number {
  if (e.kind === 'value' && typeof e.value === 'number') return e.value >>> 0;
  throw new NftRefusal(`a ${e.kind} where a number is expected`, e, e.kind);
}

/** A value, range or prefix as its first and last number. */
function ends(e: NftExpr): [number, number] {
  if (e.kind === 'range') return [numValue(e.low), numValue(e.high)];
  if (e.kind === 'prefix') {
    const v = numValue(e.value);
    const mask = e.len === 0 ? 0 : (0xffffffff << (32 - e.len)) >>> 0;
    return [(v & mask) >>> 0, (v | ~mask) >>> 0];
  }
  const v = numValue(e);
  return [v, v];
}

/** Elements the packet path added to `old` still alive go into `next` (same key layout). */
function carrySet(old: RtSet, next: RtSet): void {
  if (!old.hash || !next.hash) return;
  const w = old.cfg.strFields.length;
  if (w !== next.cfg.strFields.length) return;
  const k = new Uint32Array(w);
  const names = [...old.intern.keys()];
  for (const s of old.added) {
    if (!(old.expires[s]! > -Infinity)) continue; // deleted (NaN)
    for (let i = 0; i < w; i++) {
      const v = old.keyWords[s * w + i]!;
      k[i] = old.cfg.strFields[i] ? next.internId(names[v] ?? '') : v;
    }
    if (next.hash.lookup(k, 0) >= 0) continue;
    const slot = next.addKey(k, -Infinity, 0);
    if (slot < 0) continue;
    next.expires[slot] = old.expires[s]!;
    next.packets[slot] = old.packets[s]!;
    next.bytes[slot] = old.bytes[s]!;
    next.tokens[slot] = old.tokens[s]!;
    next.last[slot] = old.last[s]!;
  }
}

/** nft_limit_init's numbers for a limit statement: the period in ns, the bucket size and a packet's cost. */
function limitParams(s: {
  readonly rate: number;
  readonly per: string;
  readonly unit: 'bytes' | 'packets';
  readonly burst: number;
}): {
  nsecs: number;
  pkts: boolean;
  tokensMax: number;
  cost: number;
} {
  const units: Readonly<Record<string, number>> = {
    second: 1,
    minute: 60,
    hour: 3600,
    day: 86400,
    week: 604800,
  };
  const unit = units[s.per] ?? 1;
  const nsecs = unit * 1e9;
  const pkts = s.unit === 'packets';
  const burst = pkts && s.burst === 0 ? 5 : s.burst;
  const tokensMax = pkts
    ? Math.floor(nsecs / s.rate) * burst
    : Math.floor((nsecs * (s.rate + burst)) / s.rate);
  return { nsecs, pkts, tokensMax, cost: Math.floor(nsecs / s.rate) };
}
