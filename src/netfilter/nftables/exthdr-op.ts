// TCP options in nft rules, as nft_exthdr.c (Linux 6.18) reads, writes and strips them:
// `tcp option NAME exists|missing`, `tcp option NAME FIELD` and raw `tcp option @KIND,OFF,LEN`
// (nft_exthdr_tcp_eval), `tcp option NAME FIELD set N` (nft_exthdr_tcp_set_eval) and
// `reset tcp option NAME` (nft_exthdr_tcp_strip_eval).
//
// The three walk the options alike, and not as tcp_parse_options does (wire/tcp.ts tcpOptionNext,
// which the stack, conntrack and synproxy use): nft_exthdr's optlen() makes EOL and NOP one byte
// and an option of length 0 one byte too, and the walk goes on after an EOL; it runs while
// i < doff*4 - 1 (the header's last byte is never a kind). The first option of the kind decides:
// when it runs past the header, or the field past the option, the load ends the rule (NFT_BREAK)
// and a presence test reads 0 (absent). nft_tcp_header_pointer: not TCP, a later fragment, a data
// offset below 5 or a header longer than the packet: no header (the same answers).
import type { NftExpr, NftStmt } from '../../rules/nft/model.ts';
import { tcpOptionKind } from '../../rules/nft/exthdr.ts';
import { read16, write16 } from '../../wire/checksum.ts';
import type { Skb } from '../core/skb.ts';
import { csumReplace2 } from '../xtables/tcpmss.ts';
import { NftRefusal } from './refusal.ts';

/** A numeric getter as expr.ts's Getter has it (a register's value, or -1 for NFT_BREAK). */
type Getter = { readonly str: false; readonly get: (skb: Skb) => number; readonly bits: number };

/** A fragment after the first (pkt->fragoff): no transport header. */
const laterFragment = (skb: Skb): boolean => skb.fragment && (read16(skb.buf, skb.off + 6) & 0x1fff) !== 0;

const R_GO = 0;
const R_BREAK = 1;
const R_DROP = 3;
const TCPOPT_MSS = 2;
const TCPOPT_NOP = 1;

/** nft_tcp_header_pointer: the TCP header's length (doff * 4), or -1 when there is none to read. */
function tcpHdrLen(skb: Skb): number {
  if (skb.proto !== 6 || laterFragment(skb)) return -1;
  const th = skb.l4off;
  const end = skb.off + skb.len;
  if (th + 20 > end) return -1;
  const hl = (skb.buf[th + 12]! >> 4) * 4;
  return hl < 20 || th + hl > end ? -1 : hl;
}

/**
 * The offset from the TCP header of the first option `type` in nft_exthdr's walk; -1 when there
 * is none (or no header); for an option whose length runs past the header, -2 - its offset.
 * `hl`: the header's length (tcpHdrLen).
 */
export function nftTcpOptFind(b: Uint8Array, th: number, hl: number, type: number): number {
  for (let i = 20; i < hl - 1;) {
    const k = b[th + i]!;
    // optlen(): "Beware zero-length options: make finite progress".
    const l = b[th + i + 1]!;
    const optl = k <= TCPOPT_NOP || l === 0 ? 1 : l;
    if (k === type) return i + optl > hl ? -2 - i : i;
    i += optl;
  }
  return -1;
}

/** The option's length as optlen() reads it (1 for EOL, NOP and a length byte of 0). */
const optlenAt = (b: Uint8Array, p: number): number =>
  b[p]! <= TCPOPT_NOP || b[p + 1] === 0 ? 1 : b[p + 1]!;

/**
 * `tcp option ...` as a register load (nft_exthdr_tcp_eval): `present`, 1 or 0; else `len` bytes
 * (1 to 4) at byte `offset` of the option, big-endian, or -1 (NFT_BREAK). `mask`/`shift`: a field
 * narrower than its bytes (mptcp subtype: nft's bitwise after the load).
 */
export function tcpOptGetter(
  type: number,
  offset: number,
  len: number,
  present: boolean,
  mask = 0,
  shift = 0,
): Getter {
  if (present)
    return {
      str: false,
      bits: 8,
      get: (skb) => {
        const hl = tcpHdrLen(skb);
        if (hl < 0) return 0;
        const i = nftTcpOptFind(skb.buf, skb.l4off, hl, type);
        // The check of nft_exthdr_tcp_eval with nft's len 1 at offset 0 (never past optl).
        return i >= 0 ? 1 : 0;
      },
    };
  return {
    str: false,
    bits: mask ? 32 - Math.clz32(mask >>> shift) : len * 8,
    get: (skb) => {
      const hl = tcpHdrLen(skb);
      if (hl < 0) return -1;
      const b = skb.buf;
      const th = skb.l4off;
      const i = nftTcpOptFind(b, th, hl, type);
      if (i < 0) return -1;
      if (len + offset > optlenAt(b, th + i)) return -1;
      let v = 0;
      for (let j = 0; j < len; j++) v = v * 256 + b[th + i + offset + j]!;
      return mask ? ((v & mask) >>> shift) >>> 0 : v;
    },
  };
}

/** Where nft's templates put `tcp option NAME FIELD`: [kind, byte offset, bytes, mask, shift]. */
const FIELD_BYTES: Readonly<Record<string, readonly [number, number, number, number]>> = {
  kind: [0, 1, 0, 0],
  length: [1, 1, 0, 0],
  'maxseg size': [2, 2, 0, 0],
  'window count': [2, 1, 0, 0],
  'sack left': [2, 4, 0, 0],
  'sack right': [6, 4, 0, 0],
  'sack1 left': [10, 4, 0, 0],
  'sack1 right': [14, 4, 0, 0],
  'sack2 left': [18, 4, 0, 0],
  'sack2 right': [22, 4, 0, 0],
  'sack3 left': [26, 4, 0, 0],
  'sack3 right': [30, 4, 0, 0],
  'timestamp tsval': [2, 4, 0, 0],
  'timestamp tsecr': [6, 4, 0, 0],
  // 4 bits at bit 16: nft loads the byte and masks it (0xf0), the value compared shifted.
  'mptcp subtype': [2, 1, 0xf0, 4],
};

/** The raw form nft lists for an option or field it has no template for: `tcp option @K,O,L`. */
const RAW = /^tcp option @(\d+),(\d+),(\d+)$/;

/**
 * What the kernel is given for a TCP option expression: [kind, byte offset, bytes, mask, shift,
 * present], or undefined when `e` is none. Refused: a field natbox has no place for, a raw field
 * not on byte boundaries or wider than 32 bits.
 */
export function tcpOptionSpec(
  e: NftExpr,
): readonly [number, number, number, number, number, boolean] | undefined {
  if (e.kind === 'exthdr' && e.hdr === 'tcp option') {
    const kind = tcpOptionKind(e.name === 'mss' ? 'maxseg' : e.name);
    if (kind < 0) throw new NftRefusal(`tcp option ${e.name} is not simulated`, e, e.name);
    if (e.field === undefined) return [kind, 0, 1, 0, 0, true];
    const name = e.name === 'sack0' ? 'sack' : e.name;
    const f = FIELD_BYTES[e.field === 'kind' || e.field === 'length' ? e.field : `${name} ${e.field}`];
    if (!f) throw new NftRefusal(`tcp option ${e.name} ${e.field} is not simulated`, e, e.field);
    return [kind, f[0], f[1], f[2], f[3], false];
  }
  if (e.kind === 'misc') {
    // The reader keeps the numbers (`tcp option maxseg unknown` lists none); else the words.
    const m = RAW.exec(e.words);
    const raw = e.rawTcpOption ?? (m ? ([Number(m[1]), Number(m[2]), Number(m[3])] as const) : undefined);
    if (!raw) return undefined;
    const [kind, bitOff, bits] = raw;
    if (bitOff % 8 !== 0 || bits % 8 !== 0 || bits === 0 || bits > 32)
      throw new NftRefusal(
        `raw tcp option @${kind},${bitOff},${bits}: only whole bytes up to 32 bits are simulated`,
        e,
        `@${kind}`,
      );
    return [kind, bitOff / 8, bits / 8, 0, 0, false];
  }
  return undefined;
}

/** A getter for a TCP option expression, or undefined for any other expression. */
export function tcpOptionExpr(e: NftExpr): Getter | undefined {
  const s = tcpOptionSpec(e);
  return s ? tcpOptGetter(s[0], s[1], s[2], s[5], s[3], s[4]) : undefined;
}

/**
 * nft_exthdr_tcp_set_eval: writes `value` (a big-endian u16 or u32) at byte `offset` of the first
 * option `type`; false (NFT_BREAK) with no header, an option past the header or a field past the
 * option; no option: nothing, true. The MSS is only lowered ("increase can cause connection to
 * stall"). The checksum: inet_proto_csum_replace2/4, the field taken as 16-bit aligned (at an odd
 * offset the kernel's sum is wrong; natbox writes the same).
 */
export function tcpOptSet(skb: Skb, type: number, offset: number, len: 2 | 4, value: number): boolean {
  const hl = tcpHdrLen(skb);
  if (hl < 0) return false;
  const b = skb.buf;
  const th = skb.l4off;
  const i = nftTcpOptFind(b, th, hl, type);
  if (i === -1) return true;
  if (i < 0 || len + offset > optlenAt(b, th + i)) return false;
  const p = th + i + offset;
  if (len === 2) {
    const old = read16(b, p);
    const v = value & 0xffff;
    if (type === TCPOPT_MSS && old <= v) return true;
    if (old === v) return true;
    write16(b, p, v);
    write16(b, th + 16, csumReplace2(read16(b, th + 16), old, v));
    return true;
  }
  const oldHi = read16(b, p);
  const oldLo = read16(b, p + 2);
  const v = value >>> 0;
  if (((oldHi << 16) | oldLo) >>> 0 === v) return true;
  write16(b, p, v >>> 16);
  write16(b, p + 2, v & 0xffff);
  // inet_proto_csum_replace4 (~from + to over the two halves).
  write16(b, th + 16, csumReplace2(csumReplace2(read16(b, th + 16), oldHi, v >>> 16), oldLo, v & 0xffff));
  return true;
}

/**
 * nft_exthdr_tcp_strip_eval (`reset tcp option NAME`): the first option `type` becomes NOPs, the
 * checksum updated byte by byte; none: nothing (the rule goes on); an option past the header: the
 * packet is dropped ("can't remove, no choice but to drop"); no header: NFT_BREAK.
 */
export function tcpOptStrip(skb: Skb, type: number): number {
  const hl = tcpHdrLen(skb);
  if (hl < 0) return R_BREAK;
  const b = skb.buf;
  const th = skb.l4off;
  const i = nftTcpOptFind(b, th, hl, type);
  if (i === -1) return R_GO;
  if (i < 0) return R_DROP;
  const optl = optlenAt(b, th + i);
  let c = read16(b, th + 16);
  for (let j = 0; j < optl; j++) {
    const o = b[th + i + j]!;
    c = (i + j) % 2 === 0 ? csumReplace2(c, o << 8, TCPOPT_NOP << 8) : csumReplace2(c, o, TCPOPT_NOP);
  }
  write16(b, th + 16, c);
  b.fill(TCPOPT_NOP, th + i, th + i + optl);
  return R_GO;
}

/** `reset tcp option NAME` (an `other` statement as the reader keeps it): the strip op, or undefined. */
export function tcpOptStripStmt(s: NftStmt): ((skb: Skb) => number) | undefined {
  if (s.kind !== 'other') return undefined;
  const m = /^reset tcp option (\S+)$/.exec(s.text);
  if (!m) return undefined;
  const kind = tcpOptionKind(m[1]!);
  if (kind < 0) throw new NftRefusal(`reset tcp option ${m[1]} is not simulated`, s, m[1]!);
  return (skb) => tcpOptStrip(skb, kind);
}

// ---- IPv4 options (nft_exthdr_ipv4_eval) --------------------------------------------------------

const IPOPT_END = 0;
const IPOPT_NOOP = 1;
const IPOPT_RR = 7;
const IPOPT_TIMESTAMP = 68;
const IPOPT_LSRR = 131;
const IPOPT_CIPSO = 134;
const IPOPT_SSRR = 137;
const IPOPT_RA = 148;
const IPOPT_TS_TSANDADDR = 1;
const IPOPT_TS_PRESPEC = 3;
/** ipv4_find_option's answers besides an offset: no such option, options the kernel refuses. */
const ENOENT = -1;
const EBADMSG = -2;

/**
 * ipv4_find_option (nft_exthdr.c): where option `target` (LSRR, SSRR, RR or RA) starts, from the
 * IPv4 header at `o` (the packet ending at `end`), ENOENT (-1) or EBADMSG (-2). The options are
 * checked first as __ip_options_compile checks them for a socket's options (skb NULL, its send
 * path's rules): EOL ends them; a length under 2 or past the options, a second source route, RR or
 * timestamp, a pointer below its minimum or a slot past the option refuse them all; a source route
 * must have its pointer at 4 and whole addresses (so a source-routed packet a hop has advanced is
 * refused); an RA option counts only with value 0 (the last such one). Options natbox does not
 * check further: CIPSO (cipso_v4_validate) and the ones the kernel takes with CAP_NET_RAW (SEC,
 * SID, any other kind, a timestamp of another flag), all taken as the kernel takes them from a
 * capable context.
 */
export function ipv4FindOption(b: Uint8Array, o: number, end: number, target: number): number {
  const hl = (b[o]! & 15) * 4;
  const optlen = hl - 20;
  if (optlen <= 0) return ENOENT;
  if (o + hl > end) return EBADMSG; // skb_copy_bits of the options fails
  let srr = 0;
  let strict = false;
  let rr = 0;
  let ts = 0;
  let ra = 0;
  let cipso = 0;
  let p = o + 20;
  for (let l = optlen; l > 0;) {
    const t = b[p]!;
    if (t === IPOPT_END) break;
    if (t === IPOPT_NOOP) {
      l--;
      p++;
      continue;
    }
    if (l < 2) return EBADMSG;
    const len = b[p + 1]!;
    if (len < 2 || len > l) return EBADMSG;
    const ptr = b[p + 2]!;
    switch (t) {
      case IPOPT_SSRR:
      case IPOPT_LSRR:
        if (len < 3 || ptr < 4 || srr) return EBADMSG;
        if (ptr !== 4 || len < 7 || ((len - 3) & 3) !== 0) return EBADMSG;
        strict = t === IPOPT_SSRR;
        srr = p - o;
        break;
      case IPOPT_RR:
        if (rr || len < 3 || ptr < 4) return EBADMSG;
        if (ptr <= len && ptr + 3 > len) return EBADMSG;
        rr = p - o;
        break;
      case IPOPT_TIMESTAMP: {
        if (ts || len < 4 || ptr < 5) return EBADMSG;
        const flag = b[p + 3]! & 15;
        if (ptr <= len) {
          if (ptr + 3 > len) return EBADMSG;
          if ((flag === IPOPT_TS_TSANDADDR || flag === IPOPT_TS_PRESPEC) && ptr + 7 > len) return EBADMSG; // an address and a time
        } else if (flag !== IPOPT_TS_PRESPEC && b[p + 3]! >> 4 === 15) return EBADMSG; // overflow
        ts = p - o;
        break;
      }
      case IPOPT_RA:
        if (len < 4) return EBADMSG;
        if (ptr === 0 && b[p + 3] === 0) ra = p - o;
        break;
      case IPOPT_CIPSO:
        if (cipso) return EBADMSG;
        cipso = p - o;
        break;
      default:
        break;
    }
    l -= len;
    p += len;
  }
  switch (target) {
    case IPOPT_SSRR:
    case IPOPT_LSRR:
      return srr && strict === (target === IPOPT_SSRR) ? srr : ENOENT;
    case IPOPT_RR:
      return rr || ENOENT;
    case IPOPT_RA:
      return ra || ENOENT;
    default:
      return ENOENT;
  }
}

/** ipopt.c's options and fields: [kind, byte offset, bytes]. */
const IP_OPTION_KIND: Readonly<Record<string, number>> = {
  lsrr: IPOPT_LSRR,
  ssrr: IPOPT_SSRR,
  rr: IPOPT_RR,
  ra: IPOPT_RA,
};
const IP_OPTION_FIELD: Readonly<Record<string, readonly [number, number]>> = {
  type: [0, 1],
  length: [1, 1],
  ptr: [2, 1],
  addr: [3, 4],
  value: [2, 2],
};

/**
 * `ip option NAME exists|missing` and `ip option NAME FIELD` (nft_exthdr_ipv4_eval): a presence
 * test reads 1 when ipv4_find_option finds the option, else 0 (its options refused too); a field
 * is read at the option's offset plus the field's from the packet (not bounded by the option's
 * length), NFT_BREAK when there is no option or the bytes are past the packet.
 */
export function ipOptionExpr(e: NftExpr): Getter | undefined {
  if (e.kind !== 'exthdr' || e.hdr !== 'ip option') return undefined;
  const kind = IP_OPTION_KIND[e.name];
  if (kind === undefined) throw new NftRefusal(`ip option ${e.name} is not simulated`, e, e.name);
  if (e.field === undefined)
    return {
      str: false,
      bits: 8,
      // No IPv4 packet (a netdev chain's other frames, skb->protocol not ETH_P_IP): NFT_BREAK,
      // the presence test too.
      get: (skb) =>
        skb.len === 0 ? -1 : ipv4FindOption(skb.buf, skb.off, skb.off + skb.len, kind) >= 0 ? 1 : 0,
    };
  const f = IP_OPTION_FIELD[e.field];
  if (!f) throw new NftRefusal(`ip option ${e.name} ${e.field} is not simulated`, e, e.field);
  const [off, len] = f;
  return {
    str: false,
    bits: len * 8,
    get: (skb) => {
      const b = skb.buf;
      const end = skb.off + skb.len;
      if (skb.len === 0) return -1;
      const at = ipv4FindOption(b, skb.off, end, kind);
      if (at < 0) return -1;
      const p = skb.off + at + off;
      if (p + len > end) return -1;
      let v = 0;
      for (let j = 0; j < len; j++) v = v * 256 + b[p + j]!;
      return v;
    },
  };
}
