// Choosing a connection's NAT mapping, as nf_nat_core.c does: get_unique_tuple (keep the tuple when
// it is in range and unused, else the best address, else a port by nf_nat_l4proto_unique_tuple)
// and nf_nat_setup_info (store the new reply tuple, set SRC_NAT/DST_NAT). Runs once per connection
// and manip type, never for later packets.
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../../wire/ipv4.ts';
import {
  IPS_DST_NAT,
  IPS_DST_NAT_DONE,
  IPS_SRC_NAT,
  IPS_SRC_NAT_DONE,
  type ConntrackTable,
} from '../conntrack/table.ts';
import { DIR_ORIGINAL, DIR_REPLY, invertTuple, TupleBuf } from '../conntrack/tuple.ts';

export const MANIP_SRC = 0;
export const MANIP_DST = 1;

/** nf_nat_range2, as numbers (flags as NF_NAT_RANGE_*). */
export interface NatRangeN {
  minAddr: number;
  maxAddr: number;
  minPort: number;
  maxPort: number;
  flags: number;
  /** With NF_NAT_RANGE_PROTO_OFFSET: the port that maps to minPort (DNAT `ip:min-max/base`). */
  basePort?: number;
}

export const NF_NAT_RANGE_MAP_IPS = 1 << 0;
export const NF_NAT_RANGE_PROTO_SPECIFIED = 1 << 1;
export const NF_NAT_RANGE_PROTO_RANDOM = 1 << 2;
export const NF_NAT_RANGE_PERSISTENT = 1 << 3;
export const NF_NAT_RANGE_PROTO_RANDOM_FULLY = 1 << 4;
export const NF_NAT_RANGE_PROTO_OFFSET = 1 << 5;
export const NF_NAT_RANGE_PROTO_RANDOM_ALL = NF_NAT_RANGE_PROTO_RANDOM | NF_NAT_RANGE_PROTO_RANDOM_FULLY;

/** NF_NAT_MAX_ATTEMPTS: candidates tried before the attempt count halves. */
const MAX_ATTEMPTS = 128;

export interface Rng {
  /** A uniformly random 16-bit number (get_random_u16). */
  u16(): number;
}

/** A seeded xorshift32 generator, so every simulated run chooses the same "random" ports. */
export class SeededRng implements Rng {
  private s: number;
  constructor(seed = 0x2545f491) {
    this.s = seed >>> 0 || 1;
  }
  u32(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  u16(): number {
    return this.u32() >>> 16;
  }
}

export class NatCore {
  private readonly t1 = new TupleBuf();
  private readonly t2 = new TupleBuf();
  private readonly inv = new TupleBuf();
  private readonly out = new TupleBuf();
  // find_appropriate_src's own scratch tuples: setup() passes t2 as `orig`, so reusing t1/t2
  // there overwrote the tuple being mapped.
  private readonly fa1 = new TupleBuf();
  private readonly fa2 = new TupleBuf();
  /** The null binding's range, reused (nullRange without an object per connection). */
  private readonly nullR: NatRangeN = nullRange(0);
  /** Candidates tried in the last port search (for the trace and tests). */
  lastTries = 0;

  constructor(
    private readonly ct: ConntrackTable,
    private readonly rng: Rng,
  ) {}

  /** nf_nat_used_tuple: would the reply tuple of `t` clash with another live connection? */
  usedTuple(t: TupleBuf, e: number, now: number): boolean {
    invertTuple(this.inv, t);
    return this.ct.tupleTaken(this.inv, e, now);
  }

  private inRange(t: TupleBuf, r: NatRangeN, manip: number): boolean {
    const addr = manip === MANIP_SRC ? t.src : t.dst;
    if (r.flags & NF_NAT_RANGE_MAP_IPS && (addr < r.minAddr || addr > r.maxAddr)) return false;
    if (r.flags & NF_NAT_RANGE_PROTO_SPECIFIED) {
      const port = this.key(t, manip);
      if (port < r.minPort || port > r.maxPort) return false;
    }
    return true;
  }

  private key(t: TupleBuf, manip: number): number {
    if (t.proto === IPPROTO_ICMP) return t.sport; // the echo id, whichever side is mapped
    return manip === MANIP_SRC ? t.sport : t.dport;
  }

  private setKey(t: TupleBuf, manip: number, v: number): void {
    if (t.proto === IPPROTO_ICMP || manip === MANIP_SRC) t.sport = v;
    else t.dport = v;
  }

  /**
   * find_best_ips_proto: one address is used as is; from a range, a hash of the addresses picks
   * one, so a client keeps its address (--persistent: the source address alone).
   */
  private bestIp(t: TupleBuf, r: NatRangeN, manip: number): void {
    if (!(r.flags & NF_NAT_RANGE_MAP_IPS)) return;
    let addr = r.minAddr;
    if (r.maxAddr !== r.minAddr) {
      const size = r.maxAddr - r.minAddr + 1;
      const other = r.flags & NF_NAT_RANGE_PERSISTENT ? 0 : manip === MANIP_SRC ? t.dst : t.src;
      const h =
        Math.imul((manip === MANIP_SRC ? t.src : t.dst) ^ Math.imul(other, 0x9e3779b1), 0x85ebca6b) >>> 0;
      addr = r.minAddr + Math.floor(((h >>> 0) / 0x100000000) * size);
    }
    if (manip === MANIP_SRC) t.src = addr >>> 0;
    else t.dst = addr >>> 0;
  }

  /** nf_nat_l4proto_unique_tuple: try ports from a random start, halving the attempts. */
  private uniqueProto(t: TupleBuf, r: NatRangeN, manip: number, e: number, now: number): boolean {
    const p = t.proto;
    let min: number;
    let size: number;
    if (p === IPPROTO_ICMP) {
      if (r.flags & NF_NAT_RANGE_PROTO_SPECIFIED) {
        min = r.minPort;
        size = r.maxPort - r.minPort + 1;
      } else {
        min = 0;
        size = 65536;
      }
    } else if (p === IPPROTO_TCP || p === IPPROTO_UDP) {
      if (!(r.flags & NF_NAT_RANGE_PROTO_SPECIFIED)) {
        // "If it's dst rewrite, can't change port": the tuple stays even when taken. The kernel
        // does not fail here: the source manip (a SNAT rule or the null binding at POSTROUTING)
        // may still move the source port, and a clash left over is refused at confirm.
        if (manip === MANIP_DST) return true;
        const port = this.key(t, manip);
        if (port < 1024) {
          // "Loose convention: >> 512 is credential passing"
          if (port < 512) {
            min = 1;
            size = 511;
          } else {
            min = 600;
            size = 1023 - 600 + 1;
          }
        } else {
          min = 1024;
          size = 65535 - 1024 + 1;
        }
      } else {
        min = Math.min(r.minPort, r.maxPort);
        size = Math.abs(r.maxPort - r.minPort) + 1;
      }
    } else {
      return true; // no per-protocol part to change (the kernel's default: return)
    }
    // The port shift of `/base` keeps the distance from the base (u16 arithmetic, as the kernel's
    // `off`); otherwise a random start, except DNAT which tries the range in order.
    let off =
      r.flags & NF_NAT_RANGE_PROTO_OFFSET
        ? (this.key(t, manip) - (r.basePort ?? 0)) & 0xffff
        : r.flags & NF_NAT_RANGE_PROTO_RANDOM_ALL || manip !== MANIP_DST
          ? this.rng.u16()
          : 0;
    let attempts = Math.min(size, MAX_ATTEMPTS);
    this.lastTries = 0;
    for (;;) {
      // `off` is a u16 in the kernel: it wraps at 65536, which shifts the walk when the range
      // size does not divide 65536.
      for (let i = 0; i < attempts; i++, off = (off + 1) & 0xffff) {
        this.setKey(t, manip, min + (off % size));
        this.lastTries++;
        if (!this.usedTuple(t, e, now)) return true;
      }
      if (attempts >= size || attempts < 16) return false;
      attempts >>= 1;
      off = this.rng.u16();
    }
  }

  /**
   * get_unique_tuple: the new tuple for the original direction of entry `e` under `r`, written to
   * `out`. Returns false when a port search over the range found no free tuple (the kernel keeps
   * the last candidate and then refuses the entry at confirm: the packet is dropped either way).
   * A tuple that cannot change (DNAT without a port, protocols without ports) is returned as is,
   * taken or not, as the kernel does.
   */
  uniqueTuple(out: TupleBuf, orig: TupleBuf, r: NatRangeN, manip: number, e: number, now: number): boolean {
    if (manip === MANIP_SRC && !(r.flags & NF_NAT_RANGE_PROTO_RANDOM_ALL)) {
      // 1) Keep the original tuple if it is in range and its reply tuple is free.
      if (this.inRange(orig, r, manip)) {
        if (!this.usedTuple(orig, e, now)) {
          out.copy(orig);
          return true;
        }
      } else {
        // The tuple of step 2 is looked up after the by-source walk unless the walk finds a
        // mapping: its hash slot is read now, so that both cache misses overlap.
        out.copy(orig);
        this.bestIp(out, r, manip);
        invertTuple(this.inv, out);
        this.ct.touch(this.inv);
        if (this.findAppropriateSrc(out, orig, r, now) && !this.usedTuple(out, e, now)) return true;
      }
    }
    // 2) The address from the range.
    out.copy(orig);
    this.bestIp(out, r, manip);
    // 3) Keep the port if it is in range and free; else search.
    if (!(r.flags & NF_NAT_RANGE_PROTO_RANDOM_ALL)) {
      if (r.flags & NF_NAT_RANGE_PROTO_SPECIFIED) {
        const k = this.key(out, manip);
        if (r.flags & NF_NAT_RANGE_PROTO_OFFSET) return this.uniqueProto(out, r, manip, e, now);
        if (k >= r.minPort && k <= r.maxPort && (r.minPort === r.maxPort || !this.usedTuple(out, e, now)))
          return true;
      } else if (manip === MANIP_DST && out.proto !== IPPROTO_ICMP) {
        // Taken or not, this tuple is the answer: uniqueProto cannot change a destination port
        // without a port range (nor anything of a protocol without ports), so the lookup the
        // kernel makes here decides nothing (a null binding at PREROUTING, DNAT to an address).
        return true;
      } else if (!this.usedTuple(out, e, now)) {
        return true;
      }
    }
    return this.uniqueProto(out, r, manip, e, now);
  }

  /**
   * find_appropriate_src: another connection from the same source address and port, mapped into
   * this range, lends its mapping (so one client keeps one public address and port).
   */
  private findAppropriateSrc(out: TupleBuf, orig: TupleBuf, r: NatRangeN, now: number): boolean {
    // Walks the by-source chain as the kernel walks nf_nat_bysource[hash_by_src(tuple)], newest
    // first; same_src compares protocol, source address and source port of the original tuples.
    const ct = this.ct;
    for (let e = ct.firstBySource(orig.src, orig.sport, orig.proto); e >= 0; e = ct.nextBySource(e)) {
      if (ct.src(e, DIR_ORIGINAL) !== orig.src || ct.sport(e, DIR_ORIGINAL) !== orig.sport) continue;
      if (ct.protoOf(e) !== orig.proto || ct.isExpired(e, now)) continue;
      // The mapped source of that entry is its reply tuple's destination.
      ct.readTuple(e, DIR_REPLY, this.fa1);
      invertTuple(this.fa2, this.fa1);
      out.copy(orig);
      out.src = this.fa2.src;
      out.sport = this.fa2.sport;
      if (this.inRange(out, r, MANIP_SRC)) return true;
    }
    return false;
  }

  private nullRangeOf(addr: number): NatRangeN {
    this.nullR.minAddr = addr;
    this.nullR.maxAddr = addr;
    return this.nullR;
  }

  /**
   * nf_nat_setup_info: bind entry `e` for one manip type. With `r` undefined this is the null
   * binding (nf_nat_alloc_null_binding): the identity, still checked for clashes. Returns false
   * when the packet must be dropped.
   */
  setup(e: number, r: NatRangeN | undefined, manip: number, now: number): boolean {
    const ct = this.ct;
    const cur = ct.readTuple(e, DIR_REPLY, this.t1);
    invertTuple(this.t2, cur); // "what we have got will look like the inverse of the reply"
    const orig = this.t2;
    const range: NatRangeN = r ?? this.nullRangeOf(manip === MANIP_SRC ? orig.src : orig.dst);
    const out = this.out;
    if (!this.uniqueTuple(out, orig, range, manip, e, now)) return false;
    const changed =
      out.src !== orig.src || out.dst !== orig.dst || out.sport !== orig.sport || out.dport !== orig.dport;
    if (changed) {
      invertTuple(this.inv, out);
      ct.setTuple(e, DIR_REPLY, this.inv);
      ct.orStatus(e, manip === MANIP_SRC ? IPS_SRC_NAT : IPS_DST_NAT);
    }
    ct.orStatus(e, manip === MANIP_SRC ? IPS_SRC_NAT_DONE : IPS_DST_NAT_DONE);
    if (manip === MANIP_SRC) ct.linkBySource(e); // hlist_add_head_rcu(&ct->nat_bysource, ...)
    return true;
  }
}

export function nullRange(addr: number): NatRangeN {
  return { minAddr: addr, maxAddr: addr, minPort: 0, maxPort: 0, flags: NF_NAT_RANGE_MAP_IPS };
}
