// SYNPROXY as the kernel does it (net/netfilter/nf_synproxy_core.c, net/ipv4/netfilter/
// ipt_SYNPROXY.c, net/netfilter/nft_synproxy.c; include/net/netfilter/nf_synproxy.h; the cookies
// of net/ipv4/syncookies.c). The target (iptables' -j SYNPROXY, nft's `synproxy` statement) answers
// a client's SYN with a SYN-ACK whose sequence number is a syncookie (window 0, the options the
// rule allows, the client's window scale, SACK-permitted and ECN folded into the timestamp), and
// takes the packet (NF_STOLEN). The client's ACK that echoes a valid cookie makes the proxy send
// the server a SYN of its own, as the client's (its ISN, window, and the MSS, window scale and SACK
// the cookie held), through the synproxy conntrack template: the entry that SYN makes carries the
// synproxy and seqadj extensions. The hook (ipv4_synproxy_hook, at LOCAL_IN and POST_ROUTING just
// before the confirmation) follows that entry: on the server's SYN-ACK it acknowledges the server,
// sets the sequence adjustment (the client was given the cookie as the server's ISN), sends the
// client a window update, and takes the SYN-ACK; from then on every packet of the connection is
// shifted by nf_ct_seq_adjust at the confirmation (helper.ts), and timestamps by tsoff here.
//
// The cookie: the kernel's is siphash with secret keys (net_secret, syncookie_secret), which no
// one outside the kernel can reproduce. natbox makes one of the same shape (secure_tcp_syn_cookie:
// hash + client ISN + (minute counter << 24) + (hash(counter) + MSS index) & 0xffffff, valid for two
// counter values) with jhash and secrets from the run's RNG; the oracle labels ISNs per side, so
// the cookie compares as a value bound on each side (oracle/labels.ts).
//
// Packets made here are queued in order and sent (ip_local_out: OUTPUT, POSTROUTING) by flush(),
// which the engine calls once the hook or table walk that made them has finished; the sequence
// adjustment is a queued step between the server's ACK and the client's window update, as the
// kernel sets it between the two sends.
import { checksumUpdate32, read16, read32, write16, write32 } from '../../wire/checksum.ts';
import { IPPROTO_TCP, ipv4FillChecksum } from '../../wire/ipv4.ts';
import {
  TCP_ACK,
  TCP_CWR,
  TCP_ECE,
  TCP_FIN,
  TCP_RST,
  TCP_SYN,
  tcpFillChecksum,
  tcpOptionAt,
  tcpOptionNext,
} from '../../wire/tcp.ts';
import type { CtHelpers } from '../conntrack/helper.ts';
import {
  TCP_CONNTRACK_CLOSE,
  TCP_CONNTRACK_SYN_RECV,
  TCP_CONNTRACK_SYN_SENT,
} from '../conntrack/proto-tcp.ts';
import type { SynproxyExt } from '../conntrack/synproxy-ext.ts';
import type { ConntrackTable } from '../conntrack/table.ts';
import { DIR_ORIGINAL, DIR_REPLY } from '../conntrack/tuple.ts';
import type { Rng } from '../nat/nat-core.ts';
import { jhash3words } from '../../wire/jhash.ts';
import { IP_CT_ESTABLISHED_REPLY, IP_CT_NEW, type Skb } from './skb.ts';
import { T_DROP, T_STOLEN, type SynproxyInfo } from './table.ts';
import { NF_ACCEPT, NF_DROP } from './verdict.ts';
import { NF_INET_LOCAL_IN } from './hook-numbers.ts';

/** NF_SYNPROXY_OPT_* (include/uapi/linux/netfilter/nf_synproxy.h), also XT_SYNPROXY_OPT_*. */
export const SYNPROXY_OPT_MSS = 0x01;
export const SYNPROXY_OPT_WSCALE = 0x02;
export const SYNPROXY_OPT_SACK_PERM = 0x04;
export const SYNPROXY_OPT_TIMESTAMP = 0x08;
export const SYNPROXY_OPT_ECN = 0x10;

/** A target's XT_CONTINUE (xt-target.ts): the packet is none of SYNPROXY's business. */
export const SYNPROXY_CONTINUE = -1;
/** The hook's NF_STOLEN. */
export const SYNPROXY_STOLEN = 3;

const TCP_MAX_WSCALE = 14;
/** msstab of net/ipv4/syncookies.c. */
export const SYNCOOKIE_MSSTAB: readonly number[] = [536, 1300, 1440, 1460];
const COOKIEBITS = 24;
const COOKIEMASK = (1 << COOKIEBITS) - 1;
const MAX_SYNCOOKIE_AGE = 2;

/** struct synproxy_options (one, reused). `mss` is mss_option, `mssEncode` mss_encode. */
export class SynproxyOptions {
  options = 0;
  wscale = 0;
  mss = 0;
  mssEncode = 0;
  tsval = 0;
  tsecr = 0;

  /** `struct synproxy_options opts = {}`. */
  reset(): this {
    this.options = this.wscale = this.mss = this.mssEncode = this.tsval = this.tsecr = 0;
    return this;
  }
}

/**
 * synproxy_parse_options: the options of the TCP header at `l4` (packet ends at `end`) into `o`;
 * false when the header is cut short (the caller drops the packet).
 */
export function synproxyParseOptions(b: Uint8Array, l4: number, end: number, o: SynproxyOptions): boolean {
  const doff = (b[l4 + 12]! >> 4) * 4;
  if (l4 + doff > end) return false;
  const optEnd = l4 + doff;
  o.options = 0;
  for (let i = tcpOptionNext(b, l4 + 20, optEnd); i >= 0; i = tcpOptionNext(b, i + b[i + 1]!, optEnd)) {
    const opcode = b[i]!;
    const opsize = b[i + 1]!;
    const p = i + 2;
    if (opcode === 2 && opsize === 4) {
      o.mss = read16(b, p);
      o.options |= SYNPROXY_OPT_MSS;
    } else if (opcode === 3 && opsize === 3) {
      o.wscale = Math.min(b[p]!, TCP_MAX_WSCALE);
      o.options |= SYNPROXY_OPT_WSCALE;
    } else if (opcode === 8 && opsize === 10) {
      o.tsval = read32(b, p);
      o.tsecr = read32(b, p + 4);
      o.options |= SYNPROXY_OPT_TIMESTAMP;
    } else if (opcode === 4 && opsize === 2) o.options |= SYNPROXY_OPT_SACK_PERM;
  }
  return true;
}

/** synproxy_options_size: the bytes synproxy_build_options writes. */
export function synproxyOptionsSize(o: SynproxyOptions): number {
  let size = 0;
  if (o.options & SYNPROXY_OPT_MSS) size += 4;
  if (o.options & SYNPROXY_OPT_TIMESTAMP) size += 12;
  else if (o.options & SYNPROXY_OPT_SACK_PERM) size += 4;
  if (o.options & SYNPROXY_OPT_WSCALE) size += 4;
  return size;
}

/** synproxy_build_options: the options, in its layout, at `at`. */
export function synproxyBuildOptions(b: Uint8Array, at: number, o: SynproxyOptions): void {
  const opts = o.options;
  let p = at;
  const word = (v: number): void => {
    write32(b, p, v >>> 0);
    p += 4;
  };
  if (opts & SYNPROXY_OPT_MSS) word((2 << 24) | (4 << 16) | o.mss);
  if (opts & SYNPROXY_OPT_TIMESTAMP) {
    word(
      opts & SYNPROXY_OPT_SACK_PERM
        ? (4 << 24) | (2 << 16) | (8 << 8) | 10
        : (1 << 24) | (1 << 16) | (8 << 8) | 10,
    );
    word(o.tsval);
    word(o.tsecr);
  } else if (opts & SYNPROXY_OPT_SACK_PERM) word((1 << 24) | (1 << 16) | (4 << 8) | 2);
  if (opts & SYNPROXY_OPT_WSCALE) word((1 << 24) | (3 << 16) | (3 << 8) | o.wscale);
}

/**
 * synproxy_init_timestamp_cookie: the SYN-ACK's timestamp is the proxy's clock (`clockMs`) with
 * the low 6 bits holding the client's window scale (0xf: none), SACK-permitted (bit 4) and ECN
 * (bit 5); the client's own timestamp is echoed; the window scale offered becomes the rule's.
 */
export function synproxyInitTimestampCookie(info: SynproxyInfo, o: SynproxyOptions, clockMs: number): void {
  o.tsecr = o.tsval;
  o.tsval = (clockMs & ~0x3f) >>> 0;
  if (o.options & SYNPROXY_OPT_WSCALE) {
    o.tsval = (o.tsval | o.wscale) >>> 0;
    o.wscale = info.wscale;
  } else o.tsval = (o.tsval | 0xf) >>> 0;
  if (o.options & SYNPROXY_OPT_SACK_PERM) o.tsval = (o.tsval | (1 << 4)) >>> 0;
  if (o.options & SYNPROXY_OPT_ECN) o.tsval = (o.tsval | (1 << 5)) >>> 0;
}

/** synproxy_check_timestamp_cookie: what the echoed timestamp says of the client's options. */
export function synproxyCheckTimestampCookie(o: SynproxyOptions): void {
  o.wscale = o.tsecr & 0xf;
  if (o.wscale !== 0xf) o.options |= SYNPROXY_OPT_WSCALE;
  if (o.tsecr & (1 << 4)) o.options |= SYNPROXY_OPT_SACK_PERM;
  if (o.tsecr & (1 << 5)) o.options |= SYNPROXY_OPT_ECN;
}

/** The index of the largest msstab entry not above `mss` (__cookie_v4_init_sequence). */
export function syncookieMssIndex(mss: number): number {
  let i = SYNCOOKIE_MSSTAB.length - 1;
  for (; i > 0; i--) if (mss >= SYNCOOKIE_MSSTAB[i]!) break;
  return i;
}

/** The syncookies of one network namespace: secure_tcp_syn_cookie and check_tcp_syn_cookie. */
export class Syncookies {
  constructor(private readonly secret: Uint32Array) {}

  /** cookie_hash(saddr, daddr, sport, dport, count, c). */
  private hash(saddr: number, daddr: number, ports: number, count: number, c: number): number {
    return jhash3words(saddr, daddr ^ count, ports, this.secret[c]!);
  }

  /** tcp_cookie_time: the minute counter (jiffies / (60 * HZ), from a random start). */
  time(now: number): number {
    return (Math.floor(now / 60) + this.secret[2]!) >>> 0;
  }

  /** secure_tcp_syn_cookie: the SYN-ACK's ISN for the client's SYN with ISN `sseq`. */
  make(
    saddr: number,
    daddr: number,
    sport: number,
    dport: number,
    sseq: number,
    data: number,
    now: number,
  ): number {
    const ports = ((sport << 16) | dport) >>> 0;
    const count = this.time(now);
    return (
      (this.hash(saddr, daddr, ports, 0, 0) +
        sseq +
        (count << COOKIEBITS) +
        ((this.hash(saddr, daddr, ports, count, 1) + data) & COOKIEMASK)) >>>
      0
    );
  }

  /** check_tcp_syn_cookie: the data (MSS index) of a cookie, or 0xffffffff when it is too old. */
  check(
    cookie: number,
    saddr: number,
    daddr: number,
    sport: number,
    dport: number,
    sseq: number,
    now: number,
  ): number {
    const ports = ((sport << 16) | dport) >>> 0;
    const count = this.time(now);
    cookie = (cookie - this.hash(saddr, daddr, ports, 0, 0) - sseq) >>> 0;
    const diff = (count - (cookie >>> COOKIEBITS)) & (0xffffffff >>> COOKIEBITS);
    if (diff >= MAX_SYNCOOKIE_AGE) return 0xffffffff;
    return (cookie - this.hash(saddr, daddr, ports, (count - diff) >>> 0, 1)) & COOKIEMASK;
  }
}

/** How the engine sends a packet the proxy made (ip_local_out), with its conntrack attachment. */
export type SynproxySend = (ip: Uint8Array, ct: number, dir: number, ctinfo: number, tmpl: boolean) => void;

/** One network namespace's SYNPROXY: the target's and the hook's work, and the send queue. */
export class Synproxy {
  readonly ext: SynproxyExt;
  private readonly cookies: Syncookies;
  private readonly o = new SynproxyOptions();
  // The queue: a packet (ip, its attachment) or, with ip undefined, nf_ct_seqadj_init(ct, dir, off).
  private readonly qIp: (Uint8Array | undefined)[] = [];
  private readonly qCt: number[] = [];
  private readonly qDir: number[] = [];
  private readonly qInfo: number[] = [];
  private readonly qTmpl: boolean[] = [];
  private n = 0;
  private sending = false;

  constructor(
    private readonly ct: ConntrackTable,
    private readonly helpers: CtHelpers,
    rng: Rng,
    private readonly send: SynproxySend | undefined,
    /** net.ipv4.ip_default_ttl */
    private readonly ttl = 64,
  ) {
    this.ext = helpers.synproxy;
    const r32 = (): number => ((rng.u16() << 16) | rng.u16()) >>> 0;
    this.ext.secret ??= Uint32Array.of(r32(), r32(), r32() & 0xff, r32());
    this.cookies = new Syncookies(this.ext.secret);
  }

  /** The proxy's timestamp clock (tcp_clock_ms), from a random start. */
  private clockMs(now: number): number {
    return (Math.floor(now * 1000) + this.ext.secret![3]!) >>> 0;
  }

  /**
   * synproxy_tg4 / nft_synproxy_eval_v4 on a TCP packet: T_STOLEN (a SYN answered, a valid
   * cookie's ACK relayed), T_DROP (a bad cookie), or SYNPROXY_CONTINUE. iptables' target takes a
   * bare SYN and a bare ACK only; nft's statement (`nft`) any SYN, then any ACK (`tcp->syn`, else
   * `tcp->ack`: a SYN-ACK is answered with a cookie too).
   */
  target(skb: Skb, info: SynproxyInfo, now: number, nft = false): number {
    const b = skb.buf;
    const l4 = skb.l4off;
    const end = skb.off + skb.len;
    if (skb.proto !== IPPROTO_TCP || end - l4 < 20) return T_DROP;
    const o = this.o.reset();
    if (!synproxyParseOptions(b, l4, end, o)) return T_DROP;
    const flags = b[l4 + 13]!;
    if (nft ? flags & TCP_SYN : flags & TCP_SYN && !(flags & (TCP_ACK | TCP_FIN | TCP_RST))) {
      // Initial SYN from client.
      this.ext.stats.syn_received++;
      if (flags & TCP_ECE && flags & TCP_CWR) o.options |= SYNPROXY_OPT_ECN;
      o.options &= info.options;
      o.mssEncode = o.mss;
      o.mss = info.mss;
      if (o.options & SYNPROXY_OPT_TIMESTAMP) synproxyInitTimestampCookie(info, o, this.clockMs(now));
      else o.options &= ~(SYNPROXY_OPT_WSCALE | SYNPROXY_OPT_SACK_PERM | SYNPROXY_OPT_ECN);
      this.sendClientSynack(skb, o, now);
      return T_STOLEN;
    }
    if (nft ? flags & TCP_ACK : flags & TCP_ACK && !(flags & (TCP_FIN | TCP_RST | TCP_SYN))) {
      // ACK from client.
      return this.recvClientAck(skb, o, read32(b, l4 + 4), now) ? T_STOLEN : T_DROP;
    }
    return SYNPROXY_CONTINUE;
  }

  /**
   * ipv4_synproxy_hook for a packet of an entry with the synproxy extension, at `hook` (LOCAL_IN
   * or POST_ROUTING, just before the confirmation): NF_ACCEPT, NF_DROP or SYNPROXY_STOLEN.
   */
  hook(skb: Skb, now: number, hook: number): number {
    // nf_is_loopback_packet: skb->dev (in at LOCAL_IN, out at POST_ROUTING) is lo and skb_iif is
    // set (the packet was received). A locally made packet going out lo at POST_ROUTING (skb_iif
    // 0) is not one: the proxy's SYN to a server on this host records the cookie's ISN there.
    if (
      ((hook === NF_INET_LOCAL_IN ? skb.inIf : skb.outIf) === 'lo' && skb.inIf !== '') ||
      skb.proto !== IPPROTO_TCP
    )
      return NF_ACCEPT;
    const b = skb.buf;
    const l4 = skb.l4off;
    const end = skb.off + skb.len;
    if (end - l4 < 20) return NF_DROP;
    const e = skb.ct;
    const dir = skb.ctDir;
    const ext = this.ext;
    const o = this.o.reset();
    const flags = b[l4 + 13]!;
    const seq = read32(b, l4 + 4);
    // An entry a reset just killed (nf_ct_kill: still held by this packet) is in CLOSE.
    const state = this.ct.isUsed(e) ? this.ct.tcpState(e) : TCP_CONNTRACK_CLOSE;
    let synSent = state === TCP_CONNTRACK_SYN_SENT;
    if (state === TCP_CONNTRACK_CLOSE) {
      if (flags & TCP_RST && dir !== DIR_ORIGINAL) {
        // The server refused the proxy's SYN: its reset reaches the client in the cookie's space.
        this.helpers.seqadjInit(e, dir, (ext.isn[e]! - seq + 1) | 0);
      } else if (flags & TCP_SYN && !(flags & TCP_ACK) && dir === DIR_ORIGINAL) {
        // Reopened connection: the adjustments start again once it is re-established
        // (nf_ct_seqadj_init with 0 changes nothing, as in the kernel).
        ext.tsoff[e] = 0;
        ext.stats.conn_reopened++;
        synSent = true;
      }
    }
    if (synSent) {
      if (!synproxyParseOptions(b, l4, end, o)) return NF_DROP;
      if (!(flags & TCP_SYN) && flags & TCP_ACK && dir === DIR_ORIGINAL) {
        // Keep-alives are sent with SEG.SEQ = SND.NXT-1: add 1 to match the first SYN's.
        if (this.recvClientAck(skb, o, (seq + 1) >>> 0, now)) {
          ext.stats.cookie_retrans++;
          return SYNPROXY_STOLEN;
        }
        return NF_DROP;
      }
      ext.isn[e] = read32(b, l4 + 8);
      if (o.options & SYNPROXY_OPT_TIMESTAMP) ext.its[e] = o.tsecr;
    } else if (state === TCP_CONNTRACK_SYN_RECV && flags & TCP_SYN && flags & TCP_ACK) {
      if (!synproxyParseOptions(b, l4, end, o)) return NF_DROP;
      if (o.options & SYNPROXY_OPT_TIMESTAMP) ext.tsoff[e] = (o.tsval - ext.its[e]!) >>> 0;
      o.options &= ~(SYNPROXY_OPT_MSS | SYNPROXY_OPT_WSCALE | SYNPROXY_OPT_SACK_PERM);
      let t = o.tsval;
      o.tsval = o.tsecr;
      o.tsecr = t;
      this.sendServerAck(skb, e, o);
      this.queueSeqadj(e, dir, (ext.isn[e]! - seq) | 0);
      t = o.tsval;
      o.tsval = o.tsecr;
      o.tsecr = t;
      this.sendClientAck(skb, o);
      return SYNPROXY_STOLEN;
    }
    synproxyTstampAdjust(b, l4, dir, ext.tsoff[e]!);
    return NF_ACCEPT;
  }

  /** synproxy_recv_client_ack: a valid cookie sends the server our SYN; false when invalid. */
  private recvClientAck(skb: Skb, o: SynproxyOptions, recvSeq: number, now: number): boolean {
    const b = skb.buf;
    const l4 = skb.l4off;
    // __cookie_v4_check(iph, th, ntohl(th->ack_seq) - 1): the client's ISN is th->seq - 1.
    const data = this.cookies.check(
      (read32(b, l4 + 8) - 1) >>> 0,
      skb.src,
      skb.dst,
      skb.sport,
      skb.dport,
      (read32(b, l4 + 4) - 1) >>> 0,
      now,
    );
    const mss = data < SYNCOOKIE_MSSTAB.length ? SYNCOOKIE_MSSTAB[data]! : 0;
    if (mss === 0) {
      this.ext.stats.cookie_invalid++;
      return false;
    }
    this.ext.stats.cookie_valid++;
    o.mss = mss;
    o.options |= SYNPROXY_OPT_MSS;
    if (o.options & SYNPROXY_OPT_TIMESTAMP) synproxyCheckTimestampCookie(o);
    this.sendServerSyn(skb, o, recvSeq);
    return true;
  }

  /** synproxy_send_client_synack. */
  private sendClientSynack(skb: Skb, o: SynproxyOptions, now: number): void {
    const b = skb.buf;
    const l4 = skb.l4off;
    const seq = read32(b, l4 + 4);
    const cookie = this.cookies.make(
      skb.src,
      skb.dst,
      skb.sport,
      skb.dport,
      seq,
      syncookieMssIndex(o.mssEncode),
      now,
    );
    let flags = TCP_SYN | TCP_ACK;
    if (o.options & SYNPROXY_OPT_ECN) flags |= TCP_ECE;
    const ip = this.build(skb.dst, skb.src, skb.dport, skb.sport, cookie, (seq + 1) >>> 0, flags, 0, o);
    // skb_nfct() of an untracked SYN is NULL: the SYN-ACK meets conntrack at OUTPUT as a packet of
    // its own (a SYN-ACK that starts nothing: INVALID, counted in `conntrack -S`).
    this.push(ip, skb.ct >= 0 ? skb.ct : -1, DIR_REPLY, IP_CT_ESTABLISHED_REPLY, false);
  }

  /** synproxy_send_server_syn: through the synproxy template (a new entry with the extensions). */
  private sendServerSyn(skb: Skb, o: SynproxyOptions, recvSeq: number): void {
    const b = skb.buf;
    const l4 = skb.l4off;
    let flags = TCP_SYN;
    if (o.options & SYNPROXY_OPT_ECN) flags |= TCP_ECE | TCP_CWR;
    // ack_seq relays our ISN (the cookie) to the hook, which keeps it once the entry exists.
    const ip = this.build(
      skb.src,
      skb.dst,
      skb.sport,
      skb.dport,
      (recvSeq - 1) >>> 0,
      (read32(b, l4 + 8) - 1) >>> 0,
      flags,
      read16(b, l4 + 14),
      o,
    );
    this.push(ip, -1, DIR_ORIGINAL, IP_CT_NEW, true);
  }

  /** synproxy_send_server_ack: the window is the entry's seen[ORIGINAL].td_maxwin. */
  private sendServerAck(skb: Skb, e: number, o: SynproxyOptions): void {
    const b = skb.buf;
    const l4 = skb.l4off;
    const tw = this.ct.tcpWin;
    const win = tw === undefined ? 0 : tw.w[e * tw.stride + tw.off + 2]! & 0xffff;
    const ip = this.build(
      skb.dst,
      skb.src,
      skb.dport,
      skb.sport,
      read32(b, l4 + 8),
      (read32(b, l4 + 4) + 1) >>> 0,
      TCP_ACK,
      win,
      o,
    );
    this.push(ip, -1, DIR_ORIGINAL, 0, false);
  }

  /** synproxy_send_client_ack: the server's window, shifted by the scale it offered. */
  private sendClientAck(skb: Skb, o: SynproxyOptions): void {
    const b = skb.buf;
    const l4 = skb.l4off;
    const ip = this.build(
      skb.src,
      skb.dst,
      skb.sport,
      skb.dport,
      (read32(b, l4 + 4) + 1) >>> 0,
      read32(b, l4 + 8),
      TCP_ACK,
      read16(b, l4 + 14) >>> o.wscale,
      o,
    );
    this.push(ip, skb.ct, skb.ctDir, IP_CT_ESTABLISHED_REPLY, false);
  }

  /** synproxy_build_ip and the TCP header: IPv4 (id 0, DF, ip_default_ttl), checksums filled. */
  build(
    src: number,
    dst: number,
    sport: number,
    dport: number,
    seq: number,
    ack: number,
    flags: number,
    window: number,
    o: SynproxyOptions,
  ): Uint8Array {
    const thlen = 20 + synproxyOptionsSize(o);
    const ip = new Uint8Array(20 + thlen);
    ip[0] = 0x45;
    write16(ip, 2, ip.length);
    write16(ip, 6, 0x4000);
    ip[8] = this.ttl;
    ip[9] = IPPROTO_TCP;
    write32(ip, 12, src);
    write32(ip, 16, dst);
    ipv4FillChecksum(ip, 0);
    write16(ip, 20, sport);
    write16(ip, 22, dport);
    write32(ip, 24, seq);
    write32(ip, 28, ack);
    ip[32] = (thlen / 4) << 4;
    ip[33] = flags;
    write16(ip, 34, window);
    synproxyBuildOptions(ip, 40, o);
    tcpFillChecksum(ip, 20, thlen, src, dst);
    return ip;
  }

  private push(ip: Uint8Array | undefined, ct: number, dir: number, ctinfo: number, tmpl: boolean): void {
    const k = this.n++;
    this.qIp[k] = ip;
    this.qCt[k] = ct;
    this.qDir[k] = dir;
    this.qInfo[k] = ctinfo;
    this.qTmpl[k] = tmpl;
  }

  private queueSeqadj(e: number, dir: number, off: number): void {
    this.push(undefined, e, dir, off, false);
  }

  /** Whether packets or steps wait to be sent. */
  get pending(): boolean {
    return this.n !== 0;
  }

  /** Sends what waits, in order (a send that makes more leaves them to this loop). */
  flush(): void {
    if (this.sending) return;
    this.sending = true;
    try {
      for (let k = 0; k < this.n; k++) {
        const ip = this.qIp[k];
        if (ip === undefined) this.helpers.seqadjInit(this.qCt[k]!, this.qDir[k]!, this.qInfo[k]!);
        else this.send?.(ip, this.qCt[k]!, this.qDir[k]!, this.qInfo[k]!, this.qTmpl[k]!);
        this.qIp[k] = undefined;
      }
    } finally {
      this.sending = false;
      this.n = 0;
    }
  }
}

/**
 * synproxy_tstamp_adjust: the server's timestamps go to the client on the proxy's clock (a reply's
 * TSval less tsoff) and the client's echoes back on the server's (an original packet's TSecr plus
 * tsoff), the checksum fixed. Nothing while tsoff is 0.
 */
export function synproxyTstampAdjust(b: Uint8Array, l4: number, dir: number, tsoff: number): void {
  if (tsoff === 0) return;
  const end = l4 + (b[l4 + 12]! >> 4) * 4;
  const p = tcpOptionAt(b, l4 + 20, end, 8, 10);
  if (p < 0) return;
  const at = dir === DIR_REPLY ? p : p + 4;
  const old = read32(b, at);
  const v = (dir === DIR_REPLY ? old - tsoff : old + tsoff) >>> 0;
  write16(b, l4 + 16, checksumUpdate32(read16(b, l4 + 16), old, v));
  write32(b, at, v);
}
