// Choosing a connection's NAT mapping, as nf_nat_core.c does: get_unique_tuple (keep the tuple when
// it is in range and unused, else the best address, else a port by nf_nat_l4proto_unique_tuple)
// and nf_nat_setup_info (store the new reply tuple, set SRC_NAT/DST_NAT). Runs once per connection
// and manip type, never for later packets. Tuples and ranges carry their family: IPv4 addresses
// are one number (the hot form), IPv6 addresses four words; the IPv4 path is unchanged.
import { IPPROTO_SCTP } from '../../wire/sctp.ts';
import { AF_INET, AF_INET6, compareIp, type IpAddr, type Family, type Words6 } from '../../wire/addr.ts';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../../wire/ipv4.ts';
import {
  allowClash,
  IPS_DST_NAT,
  IPS_DST_NAT_DONE,
  IPS_DYING,
  IPS_NAT_MASK,
  IPS_SEQ_ADJUST,
  IPS_SRC_NAT,
  IPS_SRC_NAT_DONE,
  NO_ENTRY,
  type ConntrackTable,
} from '../conntrack/table.ts';
import { TCP_CONNTRACK_SYN_SENT, TCP_CONNTRACK_TIME_WAIT } from '../conntrack/proto-tcp.ts';
import {
  DIR_ORIGINAL,
  DIR_REPLY,
  invertTuple,
  IPPROTO_ICMPV6,
  TupleBuf,
  tupleEqual,
} from '../conntrack/tuple.ts';
import { zoneIdOf, zoneRawId } from '../conntrack/zone.ts';
import { bswap32, jhash2, reciprocalScale } from '../../wire/jhash.ts';

export const MANIP_SRC = 0;
export const MANIP_DST = 1;

/**
 * nf_nat_range2, as numbers (flags as NF_NAT_RANGE_*). The addresses are the family's: IPv4 (the
 * default) in minAddr/maxAddr, IPv6 in min6/max6 (nf_inet_addr's `ip` and `ip6`). natRange()
 * makes one from addresses that carry their family.
 */
export interface NatRangeN {
  /** AF_INET when absent. */
  family?: Family;
  /** IPv4: the first and last address (uint32). */
  minAddr: number;
  maxAddr: number;
  /** AF_INET6: the first and last address, 4 words each, most significant first. */
  min6?: Words6;
  max6?: Words6;
  minPort: number;
  maxPort: number;
  flags: number;
  /** With NF_NAT_RANGE_PROTO_OFFSET: the port that maps to minPort (DNAT `ip:min-max/base`). */
  basePort?: number;
}

export const NF_NAT_RANGE_MAP_IPS = 1; // 1 << 0
export const NF_NAT_RANGE_PROTO_SPECIFIED = 2; // 1 << 1
export const NF_NAT_RANGE_PROTO_RANDOM = 4; // 1 << 2
export const NF_NAT_RANGE_PERSISTENT = 8; // 1 << 3
export const NF_NAT_RANGE_PROTO_RANDOM_FULLY = 16; // 1 << 4
export const NF_NAT_RANGE_PROTO_OFFSET = 32; // 1 << 5
export const NF_NAT_RANGE_PROTO_RANDOM_ALL = NF_NAT_RANGE_PROTO_RANDOM | NF_NAT_RANGE_PROTO_RANDOM_FULLY;

/** NF_NAT_MAX_ATTEMPTS: candidates tried before the attempt count halves. */
const MAX_ATTEMPTS = 128;
/** NF_NAT_HARDER_THRESH: the attempts left from which nf_nat_used_tuple_harder looks harder. */
const HARDER_THRESH = MAX_ATTEMPTS / 4;

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

/**
 * The numbers setup()'s shortcuts read, as literals in the emitted code (a const enum): an
 * imported or module constant is a load from the module's context and a check at each use in
 * V8's optimised code. The same values as those constants (checked below).
 */
const enum N {
  MANIP_SRC = 0,
  MANIP_DST = 1,
  AF_INET = 2,
  SRC_NAT = 16,
  SRC_NAT_DONE = 128,
  DST_NAT_DONE = 256,
}
const enum P {
  ICMP = 1,
}
const enum R {
  MAP_IPS = 1,
  PERSISTENT = 8,
}
const sameValues: [
  typeof MANIP_SRC,
  typeof MANIP_DST,
  typeof AF_INET,
  typeof IPS_SRC_NAT,
  typeof IPS_SRC_NAT_DONE,
  typeof IPS_DST_NAT_DONE,
  typeof IPPROTO_ICMP,
  typeof NF_NAT_RANGE_MAP_IPS,
  typeof NF_NAT_RANGE_PERSISTENT,
] = [
  N.MANIP_SRC,
  N.MANIP_DST,
  N.AF_INET,
  N.SRC_NAT,
  N.SRC_NAT_DONE,
  N.DST_NAT_DONE,
  P.ICMP,
  R.MAP_IPS,
  R.PERSISTENT,
];
void sameValues;
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
  /** jhash2's key: the source address as nf_inet_addr's four words (the last three stay 0). */
  private readonly hk = new Uint32Array(4);
  /**
   * Whether `out` may hold something other than step 2's tuple: uniqueTuple clears it before
   * findAppropriateSrc, which sets it when it writes `out`; true at every other time.
   */
  private faWrote = true;
  /** Candidates tried in the last port search (for the trace and tests). */
  lastTries = 0;
  /**
   * setup()'s shortcuts for the common bindings (the null binding at a destination hook, one
   * source address without ports: setupSrcOne), which give what the general path gives; false:
   * every binding takes the general path (the tests compare the two).
   */
  fastPaths = true;

  constructor(
    private readonly ct: ConntrackTable,
    private readonly rng: Rng,
  ) {}

  /** nf_nat_used_tuple: would the reply tuple of `t` clash with another live connection? */
  usedTuple(t: TupleBuf, e: number, now: number): boolean {
    invertTuple(this.inv, t);
    return this.ct.tupleTaken(this.inv, e, now);
  }

  /**
   * nf_nat_used_tuple_new, get_unique_tuple's test of the unchanged tuple for a source manip:
   * nf_nat_used_tuple, except that a clash in the reverse direction is no clash when neither
   * connection is subject to NAT. For a protocol that allows clashes (allowClash), when entry `e`
   * has no NAT nor sequence adjustment (IPS_NAT_MASK | IPS_SEQ_ADJUST), the holder is looked up
   * with nf_conntrack_find_get in e's zone, by `t` and then by its inverse (kernel commits
   * d8f84a9bc7c4 "don't try nat source port reallocation for reverse dir clash", 50d9ce9679dd
   * "also check reverse tuple to obtain clashing entry", and "remove bogus direction check",
   * Dec 2025, all in 6.18.y): a holder without NAT whose original tuple is e's reply tuple leaves
   * the tuple free, and the clash goes to confirm (nf_ct_resolve_clash). Without zones a holder
   * without NAT is never found (its reply would have matched e's packet); with directional zones
   * it is: `CT --zone-reply 5` on the way out, the reply back in zone 0 is a new connection whose
   * reply tuple is the first one's original tuple. The kernel keeps its ports and drops it at
   * confirm (insert_failed, drop). Lookups here count nothing (`found` is nf_nat_used_tuple's).
   */
  private usedTupleNew(t: TupleBuf, e: number, now: number): boolean {
    if (!this.usedTuple(t, e, now)) return false;
    const ct = this.ct;
    if (e < 0 || !allowClash(t.proto)) return true;
    const usesNat = IPS_NAT_MASK | IPS_SEQ_ADJUST;
    if (ct.statusOf(e) & usesNat) return true;
    const zone = ct.zoneOf(e);
    const tick = ct.tick(now);
    let ed = ct.lookupZoneTick(t, zone, tick);
    if (ed === NO_ENTRY) {
      invertTuple(this.inv, t);
      ed = ct.lookupZoneTick(this.inv, zone, tick);
      if (ed === NO_ENTRY) return false; // "clashing entry went away"
    }
    const h = ed >>> 1;
    if (ct.statusOf(h) & usesNat) return true;
    // nf_ct_tuple_equal(&ct->tuplehash[ORIGINAL].tuple, &ignored_ct->tuplehash[REPLY].tuple)
    return !tupleEqual(ct.readTuple(h, DIR_ORIGINAL, this.fa1), ct.readTuple(e, DIR_REPLY, this.fa2));
  }

  /**
   * nf_nat_used_tuple_harder, the port search's test: in its last NF_NAT_HARDER_THRESH attempts
   * for a TCP connection in SYN_SENT the kernel looks the reply tuple up with
   * nf_conntrack_find_get instead of nf_conntrack_tuple_taken, so a clash there is not counted in
   * `conntrack -S found` (nf_nat_edemux.sh's DNAT onto a tuple in use counts 2, not 3). An
   * original-direction holder is taken. A reply-direction one is evicted when nf_nat_may_kill
   * allows it (TCP state TIME_WAIT or later, SRC_NAT, not dying; natbox has no fixed timeouts nor
   * offload) and the new SYN's sequence has advanced past the old connection's
   * (nf_seq_has_advanced: seen[0].td_end of the new entry after the old one's, as s32): the old
   * entry is killed (nf_ct_kill: a DESTROY event, gone from `conntrack -L`, no counter) and the
   * tuple is free. Kernel commit "netfilter: snat: evict closing tcp entries on reply tuple
   * collision" (Linux 6.5). Without window tracking natbox has no td_end: the holder stays taken.
   */
  private usedTupleHarder(t: TupleBuf, e: number, now: number, attemptsLeft: number): boolean {
    const ct = this.ct;
    if (
      attemptsLeft > HARDER_THRESH ||
      t.proto !== IPPROTO_TCP ||
      e < 0 ||
      ct.tcpState(e) !== TCP_CONNTRACK_SYN_SENT
    )
      return this.usedTuple(t, e, now);
    invertTuple(this.inv, t);
    const ed = ct.tupleHolder(this.inv, e, now);
    if (ed === NO_ENTRY) return false;
    if ((ed & 1) === DIR_ORIGINAL) return true;
    const old = ed >>> 1;
    if (!natMayKill(ct, old) || !seqHasAdvanced(ct, old, e)) return true;
    ct.remove(old); // nf_ct_kill
    return false;
  }

  private inRange(t: TupleBuf, r: NatRangeN, manip: number): boolean {
    if (t.family !== AF_INET) {
      if (r.flags & NF_NAT_RANGE_MAP_IPS && !inRangeWide(t, r, manip)) return false;
    } else {
      const addr = manip === MANIP_SRC ? t.src : t.dst;
      if (r.flags & NF_NAT_RANGE_MAP_IPS && (addr < r.minAddr || addr > r.maxAddr)) return false;
    }
    if (r.flags & NF_NAT_RANGE_PROTO_SPECIFIED) {
      const port = this.key(t, manip);
      if (port < r.minPort || port > r.maxPort) return false;
    }
    return true;
  }

  private key(t: TupleBuf, manip: number): number {
    if (isIcmp(t)) return t.sport; // the echo id, whichever side is mapped
    return manip === MANIP_SRC ? t.sport : t.dport;
  }

  private setKey(t: TupleBuf, manip: number, v: number): void {
    if (isIcmp(t) || manip === MANIP_SRC) t.sport = v;
    else t.dport = v;
  }

  /**
   * find_best_ips_proto: one address is used as is; from a range, the kernel's jhash2 of the
   * tuple's source address (with the destination address as initval, 0 with --persistent) scaled
   * onto the range (reciprocal_scale), so a client keeps its address. The source address is hashed
   * whichever side is mapped (SNAT and DNAT alike).
   */
  private bestIp(t: TupleBuf, r: NatRangeN, manip: number, e: number): void {
    if (!(r.flags & NF_NAT_RANGE_MAP_IPS)) return;
    // zone->id of the connection's zone (nf_ct_zone(ct)), whichever directions it covers.
    const zoneId = e >= 0 ? zoneRawId(this.ct.zoneOf(e)) : 0;
    if (t.family !== AF_INET) return bestIpWide(t, r, manip, zoneId);
    let addr = r.minAddr;
    if (r.maxAddr !== r.minAddr) {
      const k = this.hk;
      k[0] = bswap32(t.src);
      const j = jhash2(k, 0, 4, r.flags & NF_NAT_RANGE_PERSISTENT ? 0 : bswap32(t.dst) ^ zoneId);
      addr = r.minAddr + reciprocalScale(j, (r.maxAddr - r.minAddr + 1) >>> 0);
    }
    if (manip === MANIP_SRC) t.src = addr >>> 0;
    else t.dst = addr >>> 0;
  }

  /** nf_nat_l4proto_unique_tuple: try ports from a random start, halving the attempts. */
  private uniqueProto(t: TupleBuf, r: NatRangeN, manip: number, e: number, now: number): boolean {
    const p = t.proto;
    let min: number;
    let size: number;
    if (isIcmp(t)) {
      if (r.flags & NF_NAT_RANGE_PROTO_SPECIFIED) {
        min = r.minPort;
        size = r.maxPort - r.minPort + 1;
      } else {
        min = 0;
        size = 65536;
      }
    } else if (p === IPPROTO_TCP || p === IPPROTO_UDP || p === IPPROTO_SCTP) {
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
        if (!this.usedTupleHarder(t, e, now, attempts - i)) return true;
      }
      if (attempts >= size || attempts < 16) return false;
      attempts >>= 1;
      off = this.rng.u16();
    }
  }

  /**
   * get_unique_tuple: the new tuple for the original direction of entry `e` under `r`, written to
   * `out`. Returns false when a port search over the range found no free tuple: `out` then holds
   * the last candidate, which the kernel binds all the same (setup does too).
   * A tuple that cannot change (DNAT without a port, protocols without ports) is returned as is,
   * taken or not, as the kernel does.
   */
  uniqueTuple(out: TupleBuf, orig: TupleBuf, r: NatRangeN, manip: number, e: number, now: number): boolean {
    if (manip === MANIP_SRC && !(r.flags & NF_NAT_RANGE_PROTO_RANDOM_ALL)) {
      // 1) Keep the original tuple if it is in range and its reply tuple is free.
      if (this.inRange(orig, r, manip)) {
        if (!this.usedTupleNew(orig, e, now)) {
          out.copy(orig);
          return true;
        }
      } else {
        // The tuple of step 2 is looked up after the by-source walk unless the walk finds a
        // mapping: its hash slot is read now, so that both cache misses overlap.
        out.copy(orig);
        this.bestIp(out, r, manip, e);
        invertTuple(this.inv, out);
        this.ct.touch(this.inv);
        this.faWrote = false;
        if (this.findAppropriateSrc(out, orig, r, e, now) && !this.usedTuple(out, e, now)) return true;
      }
    }
    // 2) The address from the range (already in `out` when find_appropriate_src wrote nothing).
    if (this.faWrote) {
      out.copy(orig);
      this.bestIp(out, r, manip, e);
    }
    this.faWrote = true;
    // 3) Keep the port if it is in range and free; else search.
    if (!(r.flags & NF_NAT_RANGE_PROTO_RANDOM_ALL)) {
      if (r.flags & NF_NAT_RANGE_PROTO_SPECIFIED) {
        const k = this.key(out, manip);
        if (r.flags & NF_NAT_RANGE_PROTO_OFFSET) return this.uniqueProto(out, r, manip, e, now);
        if (k >= r.minPort && k <= r.maxPort && (r.minPort === r.maxPort || !this.usedTuple(out, e, now)))
          return true;
      } else if (manip === MANIP_DST && !isIcmp(out)) {
        // Taken or not, this tuple is the answer: uniqueProto cannot change a destination port
        // without a port range (nor anything of a protocol without ports), so the lookup the
        // kernel makes here decides nothing (a null binding at PREROUTING, DNAT to an address).
        // It counts `found` when taken, the null binding's too: its identity reply tuple is
        // taken by a connection NATed onto it (a hairpin) or one of another zone in the original
        // direction (`CT --zone-reply`). A lookup that fails is remembered by the table, so the
        // source manip's and confirm's probes of the same tuple cost nothing more.
        this.usedTuple(out, e, now);
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
  private findAppropriateSrc(
    out: TupleBuf,
    orig: TupleBuf,
    r: NatRangeN,
    self: number,
    now: number,
  ): boolean {
    // Walks the by-source chain as the kernel walks nf_nat_bysource[hash_by_src(tuple)], newest
    // first; same_src compares protocol, source address and source port of the original tuples.
    const ct = this.ct;
    // nf_ct_zone_equal(ct, zone, IP_CT_DIR_ORIGINAL): only a connection of the same zone lends.
    const zone = self >= 0 ? zoneIdOf(ct.zoneOf(self), 0) : 0;
    for (let e = ct.firstBySourceOf(orig); e >= 0; e = ct.nextBySource(e)) {
      if (!ct.sameSource(e, orig) || ct.isExpired(e, now)) continue;
      if (zoneIdOf(ct.zoneOf(e), 0) !== zone) continue;
      // The mapped source of that entry is its reply tuple's destination.
      ct.readTuple(e, DIR_REPLY, this.fa1);
      invertTuple(this.fa2, this.fa1);
      this.faWrote = true;
      out.copy(orig);
      if (orig.family === AF_INET) out.src = this.fa2.src;
      else for (let i = 0; i < 4; i++) out.addr[i] = this.fa2.addr[i]!;
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

  /** nullRangeOf for a tuple of any family: its source (MANIP_SRC) or destination address. */
  private nullRangeOfTuple(t: TupleBuf, manip: number): NatRangeN {
    if (t.family === AF_INET) return this.nullRangeOf(manip === MANIP_SRC ? t.src : t.dst);
    const o = manip === MANIP_SRC ? 0 : 4;
    const a = t.addr;
    const w: Words6 = [a[o]!, a[o + 1]!, a[o + 2]!, a[o + 3]!];
    return {
      family: t.family,
      minAddr: 0,
      maxAddr: 0,
      min6: w,
      max6: w,
      minPort: 0,
      maxPort: 0,
      flags: NF_NAT_RANGE_MAP_IPS,
    };
  }

  /**
   * setup() for a source manip onto one IPv4 address, no port range, no random flags (MASQUERADE,
   * SNAT --to-source ADDR), of an entry of zone 0 in the IPv4 layout that is not ICMP (the caller
   * checks the rest): get_unique_tuple's steps as uniqueTuple takes them for such a range, on
   * numbers instead of TupleBufs, with the same lookups in the same order (each may count `found`
   * or remove an expired entry), the same port search when the address is taken, and the same
   * binding. False, with nothing read but the range and the entry and nothing changed or counted,
   * for any other range (more than one address, ports, flags but PERSISTENT, another family), an
   * entry in a zone or a wide layout, when the original tuple is in range already (step 1's
   * nf_nat_used_tuple_new: the general path), or the entry is ICMP (its inverse is not a swap).
   */
  private setupSrcOne(e: number, r: NatRangeN, now: number): boolean {
    const ct = this.ct;
    if (
      r.minAddr !== r.maxAddr ||
      (r.flags & ~R.PERSISTENT) !== R.MAP_IPS ||
      (r.family !== undefined && r.family !== N.AF_INET) ||
      ct.layout.addrWords !== 1 ||
      ct.zoneOf(e) !== 0
    )
      return false;
    const proto = ct.protoOf(e);
    if (proto === P.ICMP) return false;
    // The original tuple as setup() reads it: the inverse of the reply tuple (a swap of its ends).
    const rec = ct.rec;
    const i = e * ct.rw + 3;
    const od = rec[i]! | 0;
    const os = rec[i + 1]! | 0;
    const rp = rec[i + 2]!;
    const osp = rp & 0xffff; // the reply's destination port
    const odp = rp >>> 16;
    const a = r.minAddr | 0;
    if (os === a) return false; // in range: step 1 (in_range and nf_nat_used_tuple_new)
    // Not in range: step 2's tuple (the range's one address, find_best_ips_proto) is touched, then
    // find_appropriate_src: the newest connection from the same source (address, port, protocol)
    // of the same zone, not expired, whose mapping is in range lends it.
    ct.touch4(od, a, proto, odp, osp);
    const zone = zoneIdOf(ct.zoneOf(e), 0);
    let lent = false;
    let cs = a;
    let csp = osp;
    const rw = ct.rw;
    const sb = ct.bySourceBucket(os >>> 0, osp, proto); // hash_by_src, also where e is linked
    for (let x = ct.bySourceHead(sb); x >= 0; x = ct.nextBySource(x)) {
      // same_src, on the record's words (IPv4 layout: original tuple at 0, reply tuple at 3).
      const xb = x * rw;
      if ((rec[xb]! | 0) !== os || rec[xb + 2]! >>> 16 !== osp || ct.protoOf(x) !== proto) continue;
      if (ct.isExpired(x, now) || zoneIdOf(ct.zoneOf(x), 0) !== zone) continue;
      // Its mapped source: the destination of its reply tuple; in range when it is the address.
      if ((rec[xb + 4]! | 0) === a) {
        csp = rec[xb + 5]! & 0xffff;
        lent = true;
        break;
      }
    }
    // nf_nat_used_tuple of the lent tuple (its reply tuple looked up), then step 3's of step 2's.
    if (!lent || ct.taken4(od, cs, proto, odp, csp, e, now)) {
      cs = a;
      csp = osp;
      if (ct.taken4(od, cs, proto, odp, csp, e, now)) {
        // nf_nat_l4proto_unique_tuple: the general port search from here.
        const out = this.out.set(cs >>> 0, od >>> 0, proto, csp, odp);
        this.uniqueProto(out, r, N.MANIP_SRC, e, now);
        csp = out.sport;
      }
    }
    if (cs !== os || csp !== osp) {
      ct.setReply4(e, od, cs, odp, csp);
      ct.orStatus(e, N.SRC_NAT | N.SRC_NAT_DONE);
    } else ct.orStatus(e, N.SRC_NAT_DONE);
    ct.linkBySourceIn(e, sb);
    return true;
  }

  /**
   * nf_nat_setup_info: bind entry `e` for one manip type. With `r` undefined this is the null
   * binding (nf_nat_alloc_null_binding): the identity, still checked for clashes. Returns true (the
   * kernel's NF_ACCEPT: a clash is not refused here but at confirm).
   */
  setup(e: number, r: NatRangeN | undefined, manip: number, now: number): boolean {
    // setupSrcOne first (MASQUERADE's and SNAT's common case): kept this small so that V8 inlines
    // setup into the targets that call it.
    return (
      (this.fastPaths && r !== undefined && manip === N.MANIP_SRC && this.setupSrcOne(e, r, now)) ||
      this.setupOther(e, r, manip, now)
    );
  }

  /** setup() but for setupSrcOne's bindings. */
  private setupOther(e: number, r: NatRangeN | undefined, manip: number, now: number): boolean {
    const ct = this.ct;
    if (
      this.fastPaths &&
      r === undefined &&
      manip === N.MANIP_DST &&
      ct.layout.addrWords === 1 &&
      ct.zoneOf(e) === 0
    ) {
      const proto = ct.protoOf(e);
      if (proto !== P.ICMP) {
        // The null binding at a destination hook (below), for an IPv4 entry of zone 0 without
        // TupleBufs: the tuple nf_nat_used_tuple looks up is the inverse of the inverse of the
        // entry's reply tuple (invertTuple swaps the ends of a tuple that is not ICMP), the reply
        // tuple itself, read from the record.
        ct.replyTupleTaken(e, now);
        ct.orStatus(e, N.DST_NAT_DONE);
        return true;
      }
    }
    const cur = ct.readTuple(e, DIR_REPLY, this.t1);
    invertTuple(this.t2, cur); // "what we have got will look like the inverse of the reply"
    const orig = this.t2;
    if (r !== undefined && (r.family ?? AF_INET) !== orig.family)
      throw new TypeError(
        `NAT: a family ${r.family ?? AF_INET} range for a family ${orig.family} connection`,
      );
    if (r === undefined && manip === MANIP_DST && !isIcmp(orig)) {
      // The null binding at a destination hook (PREROUTING, OUTPUT: every new connection that no
      // DNAT bound), get_unique_tuple written out for its range (the tuple's own destination, no
      // ports): step 2 keeps the address, step 3's nf_nat_used_tuple counts `found` when the
      // tuple is taken, and nf_nat_l4proto_unique_tuple cannot change a destination port without
      // a port range (nor anything of a protocol without ports), so the tuple stays, taken or
      // not (uniqueTuple's MANIP_DST branch). Nothing to store but the DONE bit.
      this.usedTuple(orig, e, now);
      ct.orStatus(e, IPS_DST_NAT_DONE);
      return true;
    }
    const range: NatRangeN = r ?? this.nullRangeOfTuple(orig, manip);
    const out = this.out;
    // get_unique_tuple is void in the kernel: when no free tuple was found, the last candidate is
    // bound all the same. A later source manip (a SNAT rule, or the null binding at POSTROUTING or
    // LOCAL_IN) may still move the source port off the clash; one left over is refused at confirm.
    this.uniqueTuple(out, orig, range, manip, e, now);
    if (!tupleEqual(out, orig)) {
      invertTuple(this.inv, out);
      ct.setTuple(e, DIR_REPLY, this.inv);
      ct.orStatus(e, manip === MANIP_SRC ? IPS_SRC_NAT : IPS_DST_NAT);
    }
    ct.orStatus(e, manip === MANIP_SRC ? IPS_SRC_NAT_DONE : IPS_DST_NAT_DONE);
    if (manip === MANIP_SRC) ct.linkBySource(e); // hlist_add_head_rcu(&ct->nat_bysource, ...)
    return true;
  }
}

/**
 * nf_nat_may_kill: a closing connection (TCP state TIME_WAIT, CLOSE or SYN_SENT2: the states from
 * TIME_WAIT on), source NATed, not dying (IPS_FIXED_TIMEOUT, also refused, natbox never sets).
 */
function natMayKill(ct: ConntrackTable, e: number): boolean {
  if (ct.tcpState(e) < TCP_CONNTRACK_TIME_WAIT) return false;
  const flags = ct.statusOf(e);
  return (flags & IPS_DYING) === 0 && (flags & IPS_SRC_NAT) !== 0;
}

/** nf_seq_has_advanced: (s32)(new seen[0].td_end - old seen[0].td_end) > 0. */
function seqHasAdvanced(ct: ConntrackTable, old: number, neu: number): boolean {
  const tw = ct.tcpWin;
  if (tw === undefined) return false;
  return ((tw.w[neu * tw.stride + tw.off]! - tw.w[old * tw.stride + tw.off]!) | 0) > 0;
}

export function nullRange(addr: number): NatRangeN {
  return { minAddr: addr, maxAddr: addr, minPort: 0, maxPort: 0, flags: NF_NAT_RANGE_MAP_IPS };
}

/** ICMP and ICMPv6 map their id (the tuple's sport) whichever side is mapped. */
function isIcmp(t: TupleBuf): boolean {
  return t.proto === IPPROTO_ICMP || (t.family === AF_INET6 && t.proto === IPPROTO_ICMPV6);
}

/** The range's family (AF_INET when it does not say). */
export const natRangeFamily = (r: NatRangeN): Family => r.family ?? AF_INET;

/**
 * A range from addresses that carry their family (a NAT target as a user writes it, e.g.
 * `--to-source 2001:db8::1-2001:db8::ff:1024-2047`): `min`..`max` (same family, in order), and the
 * ports when `ports` is given. `flags` adds NF_NAT_RANGE_PROTO_RANDOM*, PERSISTENT.
 */
export function natRange(
  min: IpAddr,
  max: IpAddr,
  ports?: { readonly min: number; readonly max: number },
  flags = 0,
): NatRangeN {
  if (min.family !== max.family) throw new RangeError('a NAT range mixes IPv4 and IPv6 addresses');
  if (compareIp(min, max) > 0) throw new RangeError('a NAT range ends before it starts');
  const f = flags | NF_NAT_RANGE_MAP_IPS | (ports ? NF_NAT_RANGE_PROTO_SPECIFIED : 0);
  const p = { minPort: ports?.min ?? 0, maxPort: ports?.max ?? 0, flags: f };
  if (min.family === AF_INET) return { minAddr: min.v4, maxAddr: (max as typeof min).v4, ...p };
  return { family: AF_INET6, minAddr: 0, maxAddr: 0, min6: min.v6, max6: (max as typeof min).v6, ...p };
}

/** ipv6_addr_cmp of `n` words at a[ao] and b[bo]: negative, 0 or positive. */
function cmpWords(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, n: number): number {
  for (let i = 0; i < n; i++) if (a[ao + i] !== b[bo + i]) return a[ao + i]! - b[bo + i]!;
  return 0;
}

/** The IPv6 part of in_range (nf_nat_inet_in_range): min <= address <= max, as ipv6_addr_cmp. */
function inRangeWide(t: TupleBuf, r: NatRangeN, manip: number): boolean {
  const o = manip === MANIP_SRC ? 0 : 4;
  const min = r.min6;
  const max = r.max6;
  if (min === undefined || max === undefined) return false;
  return cmpWords(t.addr, o, min, 0, 4) >= 0 && cmpWords(t.addr, o, max, 0, 4) <= 0;
}

/**
 * find_best_ips_proto for IPv6: word by word from the most significant, each word taken from the
 * range by reciprocal_scale of the hash; once a word is below the range's maximum, the later words
 * may take any value (`full_range`). The hash is jhash2 of the source address's four words, with
 * the destination's last word as initval, and each destination word mixed in as the walk goes,
 * unless --persistent (words as a little-endian CPU reads them, as everywhere in bestIp).
 */
function bestIpWide(t: TupleBuf, r: NatRangeN, manip: number, zoneId: number): void {
  const min = r.min6;
  const max = r.max6;
  if (min === undefined || max === undefined) return;
  const a = t.addr;
  const o = manip === MANIP_SRC ? 0 : 4;
  if (cmpWords(min, 0, max, 0, 4) === 0) {
    for (let i = 0; i < 4; i++) a[o + i] = min[i]!;
    return;
  }
  const persistent = (r.flags & NF_NAT_RANGE_PERSISTENT) !== 0;
  const k = [bswap32(a[0]!), bswap32(a[1]!), bswap32(a[2]!), bswap32(a[3]!)];
  let j = jhash2(k, 0, 4, persistent ? 0 : bswap32(a[7]!) ^ zoneId);
  let full = false;
  for (let i = 0; i < 4; i++) {
    let lo: number;
    let dist: number;
    if (!full) {
      lo = min[i]!;
      dist = (max[i]! - min[i]! + 1) >>> 0; // u32: 0 when the word spans all of 2^32
    } else {
      lo = 0;
      dist = 0xffffffff;
    }
    a[o + i] = (lo + reciprocalScale(j, dist)) >>> 0;
    if (a[o + i] !== max[i]) full = true;
    if (!persistent) j = (j ^ bswap32(a[4 + i]!)) >>> 0;
  }
}
