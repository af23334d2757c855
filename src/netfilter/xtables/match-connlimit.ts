// -m connlimit (xt_connlimit.c connlimit_mt with nf_conncount.c): the number of connections
// whose packets this rule has seen from the same masked source (or destination) address, the
// packet's own connection included, compared with the limit: above it matches, or with
// --connlimit-upto at or below it. As nf_conncount does, the rule keeps, per masked address, the
// list of the original tuples it has seen (its own data: per rule and per engine, made when the
// chain is compiled), and on each packet walks that list: a tuple whose entry is no longer in the
// table (expired, or never confirmed because its first packet was dropped) or whose TCP state is
// TIME_WAIT or CLOSE (already_closed) leaves the list; meeting the packet's own tuple ends the walk
// without adding it; more than 8 (CONNCOUNT_GC_MAX_NODES) collected ends the walk too; then the
// packet's tuple is appended. The key is the packet's address (iph->saddr or daddr), masked.
// Numbers in typed arrays; a new address adds one Map key, a new connection one list node (the
// kernel allocates both, too); an established connection's packet allocates nothing.
import { IPPROTO_TCP } from '../../wire/ipv4.ts';
import { TCP_CONNTRACK_CLOSE, TCP_CONNTRACK_TIME_WAIT } from '../conntrack/proto-tcp.ts';
import { DIR_ORIGINAL, TupleBuf } from '../conntrack/tuple.ts';
import type { CtAccess, Skb } from '../core/skb.ts';
import { needs, type MatchOf, type XtMatch } from './xt-match.ts';

const GC_MAX_NODES = 8;

/** One rule's nf_conncount_data: lists of tuples by masked address. */
export class ConnlimitState {
  readonly mask: number;
  /** Masked address -> list number. */
  readonly lists = new Map<number, number>();
  head: Int32Array = new Int32Array(4);
  tail: Int32Array = new Int32Array(4);
  count: Int32Array = new Int32Array(4);
  nLists = 0;
  // Nodes: the original tuple of a connection, and the next node of its list (-1 ends it).
  src: Uint32Array = new Uint32Array(16);
  dst: Uint32Array = new Uint32Array(16);
  ports: Uint32Array = new Uint32Array(16);
  proto: Uint8Array = new Uint8Array(16);
  next: Int32Array = new Int32Array(16);
  nNodes = 0;
  /** Free nodes, chained through `next`. */
  free = -1;
  readonly t = new TupleBuf();
  /** The count the last packet got (for the trace). */
  last = 0;

  constructor(prefix: number) {
    this.mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  }

  private newList(): number {
    if (this.nLists === this.head.length) {
      const grow = (a: Int32Array): Int32Array => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.head = grow(this.head);
      this.tail = grow(this.tail);
      this.count = grow(this.count);
    }
    const l = this.nLists++;
    this.head[l] = -1;
    this.tail[l] = -1;
    this.count[l] = 0;
    return l;
  }

  private newNode(): number {
    if (this.free >= 0) {
      const n = this.free;
      this.free = this.next[n]!;
      return n;
    }
    if (this.nNodes === this.src.length) {
      const len = this.src.length * 2;
      const u32 = (a: Uint32Array): Uint32Array => {
        const b = new Uint32Array(len);
        b.set(a);
        return b;
      };
      this.src = u32(this.src);
      this.dst = u32(this.dst);
      this.ports = u32(this.ports);
      const p = new Uint8Array(len);
      p.set(this.proto);
      this.proto = p;
      const nx = new Int32Array(len);
      nx.set(this.next);
      this.next = nx;
    }
    return this.nNodes++;
  }

  /**
   * Empties the list of `key` (its nodes freed): nft's connlimit in a set element starts a new
   * list when its element is new (nft_connlimit_clone), also in a slot an old element left.
   */
  reset(key: number): void {
    const l = this.lists.get(key);
    if (l === undefined || this.count[l] === 0) return;
    this.next[this.tail[l]!] = this.free;
    this.free = this.head[l]!;
    this.head[l] = -1;
    this.tail[l] = -1;
    this.count[l] = 0;
  }

  /**
   * The connections of list `key` still counted at `now`, the list unchanged: those whose entry is
   * there and, for TCP, not in TIME_WAIT or CLOSE (nf_conncount_gc_list's test). 0 for no list.
   */
  alive(key: number, ct: CtAccess, now: number): number {
    const l = this.lists.get(key);
    if (l === undefined) return 0;
    let k = 0;
    for (let n = this.head[l]!; n >= 0; n = this.next[n]!) {
      const np = this.ports[n]!;
      const proto = this.proto[n]!;
      const ed = ct.lookup ? ct.lookup(this.src[n]!, this.dst[n]!, proto, np >>> 16, np & 0xffff, now) : -1;
      if (ed < 0) continue;
      if (proto === IPPROTO_TCP && ct.tcpState) {
        const s = ct.tcpState(ed >>> 1);
        if (s === TCP_CONNTRACK_TIME_WAIT || s === TCP_CONNTRACK_CLOSE) continue;
      }
      k++;
    }
    return k;
  }

  /** nf_conncount_count(key, tuple): the list's count after adding `t` (if it is new). */
  countAdd(key: number, t: TupleBuf, skb: Skb): number {
    let l = this.lists.get(key);
    if (l === undefined) {
      l = this.newList();
      this.lists.set(key, l);
    }
    const ports = ((t.sport << 16) | t.dport) >>> 0;
    if (this.count[l]! > 0) {
      const ct = skb.env!.conntrack;
      let collect = 0;
      let prev = -1;
      let n = this.head[l]!;
      while (n >= 0) {
        if (collect > GC_MAX_NODES) break;
        const nx = this.next[n]!;
        const src = this.src[n]!;
        const dst = this.dst[n]!;
        const np = this.ports[n]!;
        const proto = this.proto[n]!;
        const ed = ct.lookup!(src, dst, proto, np >>> 16, np & 0xffff, skb.now);
        let evict = ed < 0;
        if (!evict) {
          if (src === t.src && dst === t.dst && np === ports && proto === t.proto) return this.count[l]!;
          if (proto === IPPROTO_TCP) {
            const s = ct.tcpState!(ed >>> 1);
            evict = s === TCP_CONNTRACK_TIME_WAIT || s === TCP_CONNTRACK_CLOSE;
          }
        }
        if (evict) {
          // conn_free
          if (prev < 0) this.head[l] = nx;
          else this.next[prev] = nx;
          if (this.tail[l] === n) this.tail[l] = prev;
          this.next[n] = this.free;
          this.free = n;
          this.count[l]!--;
          collect++;
        } else {
          prev = n;
        }
        n = nx;
      }
    }
    const n = this.newNode();
    this.src[n] = t.src;
    this.dst[n] = t.dst;
    this.ports[n] = ports;
    this.proto[n] = t.proto;
    this.next[n] = -1;
    if (this.tail[l]! < 0) this.head[l] = n;
    else this.next[this.tail[l]!] = n;
    this.tail[l] = n;
    return ++this.count[l]!;
  }
}

function count(m: MatchOf<'connlimit'>, skb: Skb, st: ConnlimitState): number {
  const t = st.t;
  if (skb.ct >= 0) skb.env!.conntrack.readTuple(skb.ct, DIR_ORIGINAL, t);
  else t.set(skb.src, skb.dst, skb.proto, skb.sport, skb.dport); // nf_ct_get_tuplepr
  const key = ((m.daddr ? skb.dst : skb.src) & st.mask) >>> 0;
  return (st.last = st.countAdd(key, t, skb));
}

export const connlimitMatch: XtMatch<MatchOf<'connlimit'>, ConnlimitState> = {
  check: (m, caps) =>
    needs(m.module, 'the conntrack table (skb.env)', caps.env) ??
    needs(m.module, 'the time (skb.now)', caps.clock),
  newState: (m) => new ConnlimitState(m.mask),
  match: (m, skb, st) => count(m, skb, st) > m.limit !== m.upto,
  describe: (m) =>
    `-m connlimit: the connections this rule counted for the ${m.daddr ? 'destination' : 'source'} address/${m.mask} are ${m.upto ? 'more than' : 'at most'} ${m.limit}`,
};
