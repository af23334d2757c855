// nft expressions compiled to getters over the Skb (nft_payload.c, nft_meta.c, nft_ct.c,
// nft_fib_ipv4.c, nft_numgen.c, nft_hash.c, nft_bitwise.c): a numeric getter returns the value the
// kernel would load into a register (a u32, or up to 48 bits for an Ethernet address) or -1 where
// the kernel's expression ends the rule with NFT_BREAK (a header the packet does not have, no
// conntrack entry, no socket). Strings (interface names) have getters of their own. Everything is
// decided here, at compile time; a getter reads numbers and bytes only.
import { nftZoneLoad } from '../conntrack/zone.ts';
import { ipOptionExpr, tcpOptionExpr } from './exthdr-op.ts';
import { NftRefusal } from './refusal.ts';
import type { NftExpr } from '../../rules/nft/model.ts';
import { TupleBuf } from '../conntrack/tuple.ts';
import { IPS_CONFIRMED } from '../conntrack/table.ts';
import { bswap32, jhash2, reciprocalScale } from '../../wire/jhash.ts';
import { readBE } from '../../wire/checksum.ts';
import {
  CT_UNTRACKED,
  PACKET_BROADCAST,
  PACKET_HOST,
  PACKET_MULTICAST,
  PACKET_OUTGOING,
  RPF_USES_DEV,
  RTN_BROADCAST,
  RTN_LOCAL,
  RTN_MULTICAST,
  RTN_UNICAST,
  rpfSaddr,
  rpfTos,
  type Skb,
} from '../core/skb.ts';
import {
  NF_INET_FORWARD,
  NF_INET_LOCAL_OUT,
  NF_INET_POST_ROUTING,
  NF_INET_PRE_ROUTING,
} from '../core/hook-numbers.ts';

// Local reads and constants: an imported binding is read through a getter when the module is
// loaded as CommonJS (tsx), a cost on every packet.
const read16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;
const read32 = (b: Uint8Array, o: number): number =>
  ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

export type NumGetter = (skb: Skb) => number;
export type StrGetter = (skb: Skb) => string;

/** A compiled expression: a number (u32 or wider, -1 for NFT_BREAK) or a string. */
export type Getter =
  | { readonly str: false; readonly get: NumGetter; readonly bits: number }
  | { readonly str: true; readonly get: StrGetter };

export { NftRefusal } from './refusal.ts';

/** What the compiler knows around an expression: the hook of the chain (when one), the family. */
export interface ExprCtx {
  readonly family: string;
  /** The hooks the expression can run at (a regular chain: every hook of the base chains). */
  readonly hook: number;
  /** The engine's current hook (set by the walk before a rule runs). */
  readonly rt: { hook: number };
}

// ---- payload ----------------------------------------------------------------------------------

/** [base: 0 network header, 1 transport header, bit offset, bit length, l4 protocol or -1]. */
type Field = readonly [base: 0 | 1, off: number, len: number, proto: number];

const IP: Readonly<Record<string, Field>> = {
  version: [0, 0, 4, -1],
  hdrlength: [0, 4, 4, -1],
  dscp: [0, 8, 6, -1],
  ecn: [0, 14, 2, -1],
  length: [0, 16, 16, -1],
  id: [0, 32, 16, -1],
  'frag-off': [0, 48, 16, -1],
  ttl: [0, 64, 8, -1],
  protocol: [0, 72, 8, -1],
  checksum: [0, 80, 16, -1],
  saddr: [0, 96, 32, -1],
  daddr: [0, 128, 32, -1],
};

const L4: Readonly<Record<string, { readonly proto: number; readonly f: Readonly<Record<string, Field>> }>> =
  {
    tcp: {
      proto: 6,
      f: {
        sport: [1, 0, 16, 6],
        dport: [1, 16, 16, 6],
        sequence: [1, 32, 32, 6],
        ackseq: [1, 64, 32, 6],
        doff: [1, 96, 4, 6],
        reserved: [1, 100, 4, 6],
        flags: [1, 104, 8, 6],
        window: [1, 112, 16, 6],
        checksum: [1, 128, 16, 6],
        urgptr: [1, 144, 16, 6],
      },
    },
    udp: {
      proto: 17,
      f: {
        sport: [1, 0, 16, 17],
        dport: [1, 16, 16, 17],
        length: [1, 32, 16, 17],
        checksum: [1, 48, 16, 17],
      },
    },
    udplite: {
      proto: 136,
      f: {
        sport: [1, 0, 16, 136],
        dport: [1, 16, 16, 136],
        csumcov: [1, 32, 16, 136],
        checksum: [1, 48, 16, 136],
      },
    },
    th: { proto: -1, f: { sport: [1, 0, 16, -1], dport: [1, 16, 16, -1] } },
    icmp: {
      proto: 1,
      f: {
        type: [1, 0, 8, 1],
        code: [1, 8, 8, 1],
        checksum: [1, 16, 16, 1],
        id: [1, 32, 16, 1],
        sequence: [1, 48, 16, 1],
        gateway: [1, 32, 32, 1],
        mtu: [1, 48, 16, 1],
      },
    },
    igmp: {
      proto: 2,
      f: { type: [1, 0, 8, 2], mrt: [1, 8, 8, 2], checksum: [1, 16, 16, 2], group: [1, 32, 32, 2] },
    },
    sctp: {
      proto: 132,
      f: {
        sport: [1, 0, 16, 132],
        dport: [1, 16, 16, 132],
        vtag: [1, 32, 32, 132],
        checksum: [1, 64, 32, 132],
      },
    },
    dccp: { proto: 33, f: { sport: [1, 0, 16, 33], dport: [1, 16, 16, 33] } },
    esp: { proto: 50, f: { spi: [1, 0, 32, 50], sequence: [1, 32, 32, 50] } },
    ah: {
      proto: 51,
      f: {
        nexthdr: [1, 0, 8, 51],
        hdrlength: [1, 8, 8, 51],
        reserved: [1, 16, 16, 51],
        spi: [1, 32, 32, 51],
        sequence: [1, 64, 32, 51],
      },
    },
    comp: { proto: 108, f: { nexthdr: [1, 0, 8, 108], flags: [1, 8, 8, 108], cpi: [1, 16, 16, 108] } },
  };

/** Whether the packet is a fragment after the first (no transport header: pkt->fragoff). */
export const laterFragment = (skb: Skb): boolean =>
  skb.fragment && (read16(skb.buf, skb.off + 6) & 0x1fff) !== 0;

/** A payload load (nft_payload_eval): the field's bits, or -1 past the packet's end / no header. */
function payloadGetter(base: 0 | 1, off: number, len: number, proto: number): NumGetter {
  const byte = off >>> 3;
  const nbytes = ((off & 7) + len + 7) >>> 3;
  const shift = nbytes * 8 - (off & 7) - len;
  const mask = len >= 32 ? 0xffffffff : (1 << len) - 1;
  const check = (skb: Skb): number => {
    if (base === 0) return skb.off + byte;
    if (proto >= 0 && skb.proto !== proto) return -1;
    if (laterFragment(skb)) return -1;
    return skb.l4off + byte;
  };
  if (shift === 0 && (off & 7) === 0) {
    if (nbytes === 1)
      return (skb) => {
        const p = check(skb);
        return p < 0 || p + 1 > skb.off + skb.len ? -1 : skb.buf[p]!;
      };
    if (nbytes === 2)
      return (skb) => {
        const p = check(skb);
        return p < 0 || p + 2 > skb.off + skb.len ? -1 : read16(skb.buf, p);
      };
    if (nbytes === 4)
      return (skb) => {
        const p = check(skb);
        return p < 0 || p + 4 > skb.off + skb.len ? -1 : read32(skb.buf, p) >>> 0;
      };
  }
  return (skb) => {
    const p = check(skb);
    if (p < 0 || p + nbytes > skb.off + skb.len) return -1;
    let v = 0;
    for (let i = 0; i < nbytes; i++) v = v * 256 + skb.buf[p + i]!;
    // Unsigned: a 32-bit field with its top bit set is no missing header (-1).
    return (Math.floor(v / 2 ** shift) & mask) >>> 0;
  };
}

/**
 * A byte-aligned payload field of 1, 2 or 4 bytes as the flat program loads it (program.ts
 * OP_PAY): [base, byte offset, bytes, l4 protocol or -1], or undefined for any other expression
 * (bit fields, unknown fields: compileExpr answers or refuses those).
 */
export function alignedPayload(e: NftExpr): readonly [0 | 1, number, number, number] | undefined {
  let f: Field | undefined;
  if (e.kind === 'payload') f = e.proto === 'ip' ? IP[e.field] : L4[e.proto]?.f[e.field];
  else if (e.kind === 'rawpayload' && (e.base === 'nh' || e.base === 'th') && e.len <= 32)
    f = [e.base === 'nh' ? 0 : 1, e.offset, e.len, -1];
  if (!f || (f[1] & 7) !== 0 || (f[2] !== 8 && f[2] !== 16 && f[2] !== 32)) return undefined;
  return [f[0], f[1] >>> 3, f[2] >>> 3, f[3]];
}

// ---- meta ---------------------------------------------------------------------------------------

/** ARPHRD_ETHER, ARPHRD_LOOPBACK (natbox's devices: Ethernet, and lo). */
const devType = (name: string): number => (name === 'lo' ? 772 : 1);

/** meta pkttype (nft_meta_get_eval NFT_META_PKTTYPE): a local packet reads as unicast or multicast. */
function pktType(skb: Skb): number {
  const t = skb.pktType;
  if (t !== PACKET_OUTGOING) return t;
  return skb.dst >>> 28 === 0xe ? PACKET_MULTICAST : skb.dst === 0xffffffff ? PACKET_BROADCAST : PACKET_HOST;
}

/** The wall-clock seconds of the packet (scenario epoch + now), or -1 without an epoch. */
const wallSeconds = (skb: Skb): number => (skb.env?.epoch === undefined ? -1 : skb.env.epoch + skb.now);

function metaGetter(key: string, e: NftExpr): Getter {
  const num = (get: NumGetter, bits = 32): Getter => ({ str: false, get, bits });
  switch (key) {
    case 'length':
      return num((skb) => skb.len);
    case 'protocol':
      return num(() => 0x0800, 16);
    case 'nfproto':
      return num(() => 2, 8);
    case 'l4proto':
      return num((skb) => skb.proto, 8);
    case 'mark':
      return num((skb) => skb.mark >>> 0);
    case 'priority':
      return num((skb) => skb.priority >>> 0);
    case 'iifname':
      return { str: true, get: (skb) => skb.inIf };
    case 'oifname':
      return { str: true, get: (skb) => skb.outIf };
    case 'iif':
      return { str: true, get: (skb) => skb.inIf };
    case 'oif':
      return { str: true, get: (skb) => skb.outIf };
    case 'iiftype':
      return num((skb) => (skb.inIf === '' ? -1 : devType(skb.inIf)), 16);
    case 'oiftype':
      return num((skb) => (skb.outIf === '' ? -1 : devType(skb.outIf)), 16);
    case 'skuid':
      return num((skb) => (skb.uid < 0 ? -1 : skb.uid));
    case 'skgid':
      return num((skb) => (skb.gid < 0 ? -1 : skb.gid));
    case 'pkttype':
      return num(pktType, 8);
    case 'cpu':
      return num(() => 0);
    case 'iifgroup':
      return num((skb) => (skb.inIf === '' ? -1 : (skb.env?.devGroup?.(skb.inIf) ?? 0)));
    case 'oifgroup':
      return num((skb) => (skb.outIf === '' ? -1 : (skb.env?.devGroup?.(skb.outIf) ?? 0)));
    case 'random':
      return num((skb) => (skb.env ? skb.env.random32() : 0));
    case 'nftrace':
      return num(() => 0, 1);
    case 'day':
      // The day of the week, 0 = Sunday (nft_meta_weekday: 1970-01-01 was a Thursday).
      return num((skb) => {
        const s = wallSeconds(skb);
        return s < 0 ? -1 : (Math.floor(s / 86400) + 4) % 7;
      }, 8);
    case 'hour':
      // Seconds since midnight, UTC (nft_meta_hour).
      return num((skb) => {
        const s = wallSeconds(skb);
        return s < 0 ? -1 : Math.floor(s) % 86400;
      });
    case 'time':
      // Nanoseconds since 1970 (nft prints and reads them as dates): kept in a double.
      return num((skb) => {
        const s = wallSeconds(skb);
        return s < 0 ? -1 : Math.floor(s * 1e9);
      }, 64);
    default:
      throw new NftRefusal(`meta ${key} is read and printed but not simulated`, e, `meta ${key}`);
  }
}

// ---- ct ---------------------------------------------------------------------------------------

// NF_CT_STATE_* bits (nf_conntrack_common.h).
const NF_CT_STATE_INVALID_BIT = 1;
const NF_CT_STATE_UNTRACKED_BIT = 64;
const UNTRACKED = CT_UNTRACKED;

function ctGetter(e: Extract<NftExpr, { kind: 'ct' }>): Getter {
  const num = (get: NumGetter, bits = 32): Getter => ({ str: false, get, bits });
  const key = e.key;
  if (key === 'state')
    // nft_ct_get_eval NFT_CT_STATE: NF_CT_STATE_BIT(ctinfo), untracked or invalid bits.
    return num((skb) =>
      skb.ct >= 0
        ? 1 << ((skb.ctinfo % 3) + 1)
        : skb.ctinfo === UNTRACKED
          ? NF_CT_STATE_UNTRACKED_BIT
          : NF_CT_STATE_INVALID_BIT,
    );
  const tb = new TupleBuf();
  const dirOf = (skb: Skb): number => (e.dir === 'original' ? 0 : e.dir === 'reply' ? 1 : skb.ctDir); // keys without a direction
  switch (key) {
    case 'direction':
      return num((skb) => (skb.ct < 0 ? -1 : skb.ctDir), 8);
    case 'status':
      return num((skb) => (skb.ct < 0 || !skb.env ? -1 : skb.env.conntrack.status[skb.ct]! >>> 0));
    case 'mark':
      return num((skb) => (skb.ct < 0 || !skb.env ? -1 : skb.env.conntrack.mark[skb.ct]! >>> 0));
    case 'expiration':
      // jiffies_to_msecs(nf_ct_expires(ct)): milliseconds left; 0 for an entry not confirmed yet
      // (a connection's first packet), whose ct->timeout still holds a relative timeout
      // (__nf_ct_refresh_acct), so that timeout - nfct_time_stamp is negative.
      return num((skb) =>
        skb.ct < 0 || !skb.env
          ? -1
          : (skb.env.conntrack.status[skb.ct]! & IPS_CONFIRMED) === 0
            ? 0
            : Math.max(0, Math.round((skb.env.conntrack.expires[skb.ct]! - skb.now) * 1000)),
      );
    case 'l3proto':
      return num((skb) => (skb.ct < 0 ? -1 : 2), 8);
    case 'zone':
      return num(
        (skb) =>
          skb.ct < 0 ? -1 : skb.env ? nftZoneLoad(skb.env.conntrack.zoneOf?.(skb.ct) ?? 0, e.dir) : 0,
        16,
      );
    case 'protocol':
      return num(
        (skb) => (skb.ct < 0 || !skb.env ? -1 : skb.env.conntrack.readTuple(skb.ct, 0, tb).proto),
        8,
      );
    case 'saddr':
    case 'ip saddr':
      return num((skb) =>
        skb.ct < 0 || !skb.env ? -1 : skb.env.conntrack.readTuple(skb.ct, dirOf(skb), tb).src,
      );
    case 'daddr':
    case 'ip daddr':
      return num((skb) =>
        skb.ct < 0 || !skb.env ? -1 : skb.env.conntrack.readTuple(skb.ct, dirOf(skb), tb).dst,
      );
    case 'proto-src':
      return num(
        (skb) => (skb.ct < 0 || !skb.env ? -1 : skb.env.conntrack.readTuple(skb.ct, dirOf(skb), tb).sport),
        16,
      );
    case 'proto-dst':
      return num(
        (skb) => (skb.ct < 0 || !skb.env ? -1 : skb.env.conntrack.readTuple(skb.ct, dirOf(skb), tb).dport),
        16,
      );
    case 'bytes':
    case 'packets':
    case 'avgpkt': {
      // nft_ct_get_eval NFT_CT_BYTES/PKTS/AVGPKT: the entry's nf_conn_acct counters (the packet
      // itself counted: nf_conntrack_in counts it first) of the direction, or of both summed
      // without one (nft_ct_get_eval_counter); 0 without the accounting extension; avgpkt is
      // bytes / packets (0 with no packet). A u64 (a double here, exact to 2^53).
      const off = key === 'bytes' ? 1 : 0;
      const d = e.dir === 'original' ? 0 : e.dir === 'reply' ? 1 : 2;
      const count = (a: Float64Array, i: number, o: number): number =>
        d === 2 ? a[i + o]! + a[i + 2 + o]! : a[i + d * 2 + o]!;
      return num((skb) => {
        if (skb.ct < 0 || !skb.env) return -1;
        const a = skb.env.conntrack.acct;
        if (a === undefined) return 0;
        const i = skb.ct * 4;
        if (key !== 'avgpkt') return count(a, i, off);
        const p = count(a, i, 0);
        return p === 0 ? 0 : Math.floor(count(a, i, 1) / p);
      }, 64);
    }
    default:
      throw new NftRefusal(`ct ${key} is read and printed but not simulated`, e, `ct ${key}`);
  }
}

// ---- fib --------------------------------------------------------------------------------------

function fibGetter(e: Extract<NftExpr, { kind: 'fib' }>, ctx: ExprCtx): Getter {
  const daddr = e.flags.includes('daddr');
  const iif = e.flags.includes('iif');
  const oif = e.flags.includes('oif');
  const mark = e.flags.includes('mark');
  if (e.result === 'type') {
    // nft_fib4_eval_type: inet_dev_addr_type of the address (on iif/oif's device when given).
    return {
      str: false,
      bits: 32,
      get: (skb) => {
        const a = daddr ? skb.dst : skb.src;
        if (a >>> 24 === 0 || a === 0xffffffff) return RTN_BROADCAST;
        if (a >>> 28 === 0xe) return RTN_MULTICAST;
        const dev = iif ? skb.inIf : oif ? skb.outIf : undefined;
        return skb.env ? skb.env.addrType(a, dev) : RTN_UNICAST;
      },
    };
  }
  // oif / oifname: the route's device (nft_fib4_eval). nft_fib_init refuses `. oif` with these
  // results, nft_fib_validate their use outside prerouting, input and forward.
  if (oif)
    throw new NftRefusal(`fib ${e.flags.join(' . ')} ${e.result}: the kernel refuses it (EINVAL)`, e, 'fib');
  if (ctx.hook === NF_INET_LOCAL_OUT || ctx.hook === NF_INET_POST_ROUTING)
    throw new NftRefusal(
      `fib ... ${e.result} is not valid at this hook (the kernel refuses it: EOPNOTSUPP)`,
      e,
      'fib',
    );
  if (!iif) {
    // No device to check: the device of the route fib_lookup finds from the loopback device for
    // the address (daddr, or saddr with daddr as the flow's source), 0 for none and for a local
    // address (RTN_LOCAL). A packet from lo at prerouting, and one from 0.0.0.0 to a broadcast or
    // local multicast address, get the input device (nft_fib_is_loopback, the zeronet case).
    const dev = (skb: Skb): string => {
      if (ctx.rt.hook === NF_INET_PRE_ROUTING && skb.inIf === 'lo') return skb.inIf;
      if (skb.src >>> 24 === 0 && (skb.dst === 0xffffffff || skb.dst >>> 8 === 0xe00000)) return skb.inIf;
      const env = skb.env;
      if (!env?.fibDev) return '';
      const m = mark ? skb.mark : 0;
      return daddr
        ? env.fibDev(skb.dst, m, rpfSaddr(skb.src), rpfTos(skb))
        : env.fibDev(skb.src, m, rpfSaddr(skb.dst), rpfTos(skb));
    };
    // oif: an ifindex natbox does not number; the name stands for it, '' when missing.
    return { str: true, get: dev };
  }

  const found = (skb: Skb): boolean => {
    if (ctx.rt.hook === NF_INET_PRE_ROUTING && skb.inIf === 'lo') return true; // nft_fib_is_loopback
    if (skb.src >>> 24 === 0 && (skb.dst === 0xffffffff || skb.dst >>> 8 === 0xe00000)) return true;
    const env = skb.env;
    if (!env?.rpfLookup) return false;
    // In FORWARD the kernel asks from the output device (flowi4_iif = out->ifindex); natbox's
    // lookup takes the device the next hop must use, the input device either way.
    // `daddr . iif`: the route to the destination, through the input device.
    const r = daddr
      ? env.rpfLookup(skb.dst, mark ? skb.mark : 0, skb.inIf, rpfSaddr(skb.src), rpfTos(skb))
      : env.rpfLookup(skb.src, mark ? skb.mark : 0, skb.inIf, rpfSaddr(skb.dst), rpfTos(skb));
    if (r < 0) return false;
    if ((r & 0xff) === RTN_LOCAL) return false;
    return (r & RPF_USES_DEV) !== 0;
  };
  void NF_INET_FORWARD;
  if (e.result === 'oifname') return { str: true, get: (skb) => (found(skb) ? skb.inIf : '') };
  // oif: an ifindex natbox does not number; the name stands for it, '' when missing.
  return { str: true, get: (skb) => (found(skb) ? skb.inIf : '') };
}

// ---- numgen, hash -------------------------------------------------------------------------------

function numgenGetter(e: Extract<NftExpr, { kind: 'numgen' }>): Getter {
  const mod = e.mod >>> 0;
  const offset = e.offset >>> 0;
  if (e.mode === 'random')
    // nft_ng_random_gen: reciprocal_scale(get_random_u32(), modulus) + offset.
    return {
      str: false,
      bits: 32,
      get: (skb) => ((skb.env ? reciprocalScale(skb.env.random32(), mod) : 0) + offset) >>> 0,
    };
  // nft_ng_inc_gen: the counter starts at modulus - 1, so the first packet gets 0.
  const st = { v: mod - 1 };
  return {
    str: false,
    bits: 32,
    get: () => {
      st.v = st.v + 1 < mod ? st.v + 1 : 0;
      return (st.v + offset) >>> 0;
    },
  };
}

/** A register-sized word of a field as a little-endian CPU reads its network-order bytes. */
function leWord(v: number, bits: number): number {
  if (bits <= 8) return v & 0xff;
  if (bits <= 16) return ((v >>> 8) & 0xff) | ((v & 0xff) << 8);
  return bswap32(v >>> 0);
}

function hashGetter(e: Extract<NftExpr, { kind: 'hash' }>, ctx: ExprCtx): Getter {
  const mod = e.mod >>> 0;
  const offset = e.offset >>> 0;
  if (e.type === 'symhash') {
    // __skb_get_hash_symmetric: the flow dissector's hash with a boot-time random key. natbox
    // uses jhash of the sorted addresses and ports (symmetric, deterministic).
    const w = new Uint32Array(3);
    return {
      str: false,
      bits: 32,
      get: (skb) => {
        const a = skb.src >>> 0;
        const b = skb.dst >>> 0;
        w[0] = Math.min(a, b);
        w[1] = Math.max(a, b);
        w[2] = (Math.min(skb.sport, skb.dport) << 16) | Math.max(skb.sport, skb.dport) | (skb.proto << 0);
        return (reciprocalScale(jhash2(w, 0, 3, 0), mod) + offset) >>> 0;
      },
    };
  }
  if (!e.expr) throw new NftRefusal('jhash without an expression', e, 'jhash');
  const parts = e.expr.kind === 'concat' ? e.expr.items : [e.expr];
  const gets = parts.map((p) => {
    const g = compileExpr(p, ctx);
    if (g.str || g.bits > 32)
      throw new NftRefusal('jhash of a string or wide field is not simulated', p, 'jhash');
    return g;
  });
  const words = new Uint32Array(gets.length);
  const seed = (e.seed ?? 0) >>> 0;
  return {
    str: false,
    bits: 32,
    get: (skb) => {
      for (let i = 0; i < gets.length; i++) {
        const g = gets[i]! as { get: NumGetter; bits: number };
        const v = g.get(skb);
        if (v < 0) return -1;
        words[i] = leWord(v, g.bits);
      }
      // nft_jhash_eval: jhash(register bytes, len, seed), each field padded to 4 bytes.
      return (reciprocalScale(jhash2(words, 0, words.length, seed), mod) + offset) >>> 0;
    },
  };
}

// ---- the netdev family's own readings -----------------------------------------------------

/** NFPROTO_NETDEV: what `meta nfproto` reads in a netdev chain. */
const NFPROTO_NETDEV = 5;
const ETH_HLEN = 14;

const ETHER: Readonly<Record<string, readonly [off: number, len: number]>> = {
  daddr: [0, 6],
  saddr: [6, 6],
  type: [12, 2],
};

/**
 * The netdev family's own readings (or undefined: compileExpr's own): `ether` fields (the frame's
 * link-layer header, at the network header less 14), `meta protocol` (the ethertype) and
 * `meta nfproto` (NFPROTO_NETDEV).
 */
function netdevExpr(e: NftExpr, ctx: ExprCtx): Getter | undefined {
  if (ctx.family !== 'netdev') return undefined;
  if (e.kind === 'payload' && e.proto === 'ether') {
    const f = ETHER[e.field];
    if (!f) throw new NftRefusal(`ether ${e.field} is not simulated`, e, `ether ${e.field}`);
    const [off, len] = f;
    return { str: false, bits: len * 8, get: (skb) => readBE(skb.buf, skb.off - ETH_HLEN + off, len) };
  }
  if (e.kind === 'meta' && e.key === 'protocol')
    return { str: false, bits: 16, get: (skb) => (skb.buf[skb.off - 2]! << 8) | skb.buf[skb.off - 1]! };
  if (e.kind === 'meta' && e.key === 'nfproto') return { str: false, bits: 8, get: () => NFPROTO_NETDEV };
  return undefined;
}

// ---- the dispatch -------------------------------------------------------------------------------

/**
 * `ether saddr|daddr|type` in an ip or inet table (nft_payload_eval, NFT_PAYLOAD_LL_HEADER): the
 * MAC header of the frame the packet arrived in, still there in forward and postrouting; a packet
 * made here has none (skb_mac_header_was_set false): the rule breaks, whatever the compare.
 */
function etherL3Expr(e: Extract<NftExpr, { kind: 'payload' }>): Getter {
  if (e.field === 'saddr') return { str: false, bits: 48, get: (skb) => skb.llSrc };
  if (e.field === 'daddr') return { str: false, bits: 48, get: (skb) => skb.llDst };
  if (e.field === 'type') return { str: false, bits: 16, get: (skb) => (skb.llSrc < 0 ? -1 : 0x0800) };
  throw new NftRefusal(`ether ${e.field} is not simulated`, e, `ether ${e.field}`);
}

/** Bits of a payload field, for keys and jhash (the register width it loads). */
export function compileExpr(e: NftExpr, ctx: ExprCtx): Getter {
  const nd = netdevExpr(e, ctx);
  if (nd) return nd;
  if (e.kind === 'payload' && e.proto === 'ether') return etherL3Expr(e);
  switch (e.kind) {
    case 'payload': {
      if (e.proto === 'ip') {
        const f = IP[e.field];
        if (!f) throw new NftRefusal(`ip ${e.field} is not simulated`, e, `ip ${e.field}`);
        return { str: false, bits: f[2], get: payloadGetter(f[0], f[1], f[2], f[3]) };
      }
      if (e.proto === 'ip6' || e.proto === 'icmpv6')
        // An IPv6 header never matches an IPv4 packet (the inet table's IPv6 half).
        return { str: false, bits: 32, get: () => -1 };
      const l4 = L4[e.proto];
      const f = l4?.f[e.field];
      if (!f) throw new NftRefusal(`${e.proto} ${e.field} is not simulated`, e, `${e.proto} ${e.field}`);
      return { str: false, bits: f[2], get: payloadGetter(f[0], f[1], f[2], f[3]) };
    }
    case 'rawpayload': {
      if (e.base === 'll' || e.base === 'ih' || e.len > 32)
        throw new NftRefusal(`@${e.base},${e.offset},${e.len} is not simulated`, e, `@${e.base}`);
      return { str: false, bits: e.len, get: payloadGetter(e.base === 'nh' ? 0 : 1, e.offset, e.len, -1) };
    }
    case 'meta':
      return metaGetter(e.key, e);
    case 'ct':
      if (e.family === 'ip6') return { str: false, bits: 32, get: () => -1 };
      return ctGetter(e);
    case 'fib':
      return fibGetter(e, ctx);
    case 'numgen':
      return numgenGetter(e);
    case 'hash':
      return hashGetter(e, ctx);
    case 'binop': {
      const l = compileExpr(e.left, ctx);
      const r = compileExpr(e.right, ctx);
      if (l.str || r.str) throw new NftRefusal(`${e.op} on a string`, e, e.op);
      const lg = l.get;
      const rg = r.get;
      const bits = l.bits;
      const get: NumGetter =
        e.op === '&'
          ? (skb) => {
              const a = lg(skb);
              return a < 0 ? -1 : (a & rg(skb)) >>> 0;
            }
          : e.op === '|'
            ? (skb) => {
                const a = lg(skb);
                return a < 0 ? -1 : (a | rg(skb)) >>> 0;
              }
            : e.op === '^'
              ? (skb) => {
                  const a = lg(skb);
                  return a < 0 ? -1 : (a ^ rg(skb)) >>> 0;
                }
              : e.op === '<<'
                ? (skb) => {
                    const a = lg(skb);
                    return a < 0 ? -1 : (a << rg(skb)) >>> 0;
                  }
                : (skb) => {
                    const a = lg(skb);
                    return a < 0 ? -1 : a >>> rg(skb);
                  };
      return { str: false, bits, get };
    }
    case 'exthdr':
    case 'misc': {
      // `tcp option ...` and raw `tcp option @K,O,L` (nft_exthdr_tcp_eval), `ip option ...`
      // (nft_exthdr_ipv4_eval): exthdr-op.ts.
      const g = tcpOptionExpr(e) ?? ipOptionExpr(e);
      if (g) return g;
      const what = e.kind === 'exthdr' ? `${e.hdr} ${e.name}` : e.words;
      throw new NftRefusal(`${what} is read and printed but not simulated`, e, what);
    }
    case 'value': {
      if (typeof e.value === 'string') {
        const s = e.value;
        return { str: true, get: () => s };
      }
      const v = e.value;
      return { str: false, bits: e.bits ?? 32, get: () => v };
    }
    default:
      throw new NftRefusal(`the expression ${e.kind} is not simulated here`, e, e.kind);
  }
}
