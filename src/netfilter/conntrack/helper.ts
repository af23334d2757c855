// Conntrack helpers: FTP (nf_conntrack_ftp.c) and TFTP (nf_conntrack_tftp.c), their expectations
// (expect.ts) and the sequence adjustment a NAT rewrite of a different length needs
// (nf_conntrack_seqadj.c). Since Linux 6.0 a connection gets a helper only from a template: `-j CT
// --helper NAME` in the raw table (xt_CT.c) or nft's `ct helper set`; there is no automatic
// assignment by port any more (the nf_conntrack_helper sysctl is gone).
//
// Where the kernel runs what:
// - init_conntrack: a new connection that matches an expectation is RELATED to its master
//   (IPS_EXPECTED; the master's mark; nf_nat_follow_master binds it when the expectation came with
//   NAT); else the template's helper is attached (IPS_HELPER). → CtHelpers.initConntrack
// - nf_confirm (INPUT and POSTROUTING, before __nf_conntrack_confirm): helper->help on every packet
//   of a helped connection but ICMP errors in the reply direction, then nf_ct_seq_adjust when the
//   connection has IPS_SEQ_ADJUST. → CtHelpers.confirmHook
// - The NAT half of a helper (nf_nat_ftp.c, nf_nat_tftp.c) is called by the helper when the master
//   has NAT: nat/nat-helper.ts, reached through `CtHelpers.nat` as the kernel's nf_nat_*_hook.
//
// Cost: nothing per packet for connections without a helper. The engine asks confirmHook only when
// `active` (some connection ever had a helper) and the entry's status has IPS_HELPER or
// IPS_SEQ_ADJUST; the per-entry arrays below exist only once a helper was attached.
//
// For TCP window tracking (proto-tcp.ts): seqOffset() is nf_ct_seq_offset, the shift a peer's
// sequence numbers went through, that tcp_in_window applies to the receiver's ACKs.
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../../wire/ipv4.ts';
import { checksumUpdate32, read16, read32, write16, write32 } from '../../wire/checksum.ts';
import { tcpOptionNext, tcpSetAck, tcpSetSeq } from '../../wire/tcp.ts';
import { IP_CT_ESTABLISHED, IP_CT_ESTABLISHED_REPLY, IP_CT_RELATED_REPLY, type Skb } from '../core/skb.ts';
import {
  IPS_EXPECTED,
  IPS_NAT_MASK,
  IPS_SEQ_ADJUST,
  type ConntrackTable,
  type CtHelperExt,
} from './table.ts';
import { DIR_ORIGINAL, DIR_REPLY } from './tuple.ts';
import { ExpectTable, formatExpectLine, formatExpectProcLine, type Expectation } from './expect.ts';
import { FtpMatch, ftpSearch } from './helper-ftp.ts';
import { SynproxyExt } from './synproxy-ext.ts';
import { KERNEL_HELPERS } from '../../rules/kernel-helpers.ts';

/** IPS_HELPER_BIT (13): a helper was attached explicitly (a template or ctnetlink). */
export const IPS_HELPER = 1 << 13;

export const HELPER_NONE = 0;
export const HELPER_FTP = 1;
export const HELPER_TFTP = 2;
/** The helpers natbox has, by index; their protocols (nf_ct_helper_init's l4proto). */
export const HELPER_NAMES: readonly string[] = ['', 'ftp', 'tftp'];
export const HELPER_PROTOS: readonly number[] = [0, IPPROTO_TCP, IPPROTO_UDP];

/**
 * The kernel's other helpers (rules/kernel-helpers.ts), for nft's `ct helper` objects: natbox
 * attaches one by name (nft_ct_helper_obj_eval: `conntrack -L` shows it, `ct helper` matches it)
 * but has no help function for it: it parses none of its packets, so it makes no expectations and
 * no NAT of its payload. The ftp and tftp helpers are the simulated ones.
 */
const INERT_HELPERS = KERNEL_HELPERS.filter(([n]) => !HELPER_NAMES.includes(n));
/** Per helper index (HELPER_NAMES, then the inert ones): its name. */
const ALL_HELPER_NAMES: readonly string[] = [...HELPER_NAMES, ...INERT_HELPERS.map((h) => h[0])];

/**
 * nf_conntrack_helper_try_module_get for nft's ct helper object `type NAME protocol P`: the
 * helper's index (above HELPER_TFTP: an inert helper, see INERT_HELPERS), or 0 when the kernel has
 * no helper of that name for that protocol (nft then refuses the object: ENOENT).
 */
export function helperByName(name: string, l4proto: number): number {
  const i = HELPER_NAMES.indexOf(name);
  if (i > 0) return HELPER_PROTOS[i] === l4proto ? i : HELPER_NONE;
  const k = INERT_HELPERS.findIndex((h) => h[0] === name);
  return k >= 0 && INERT_HELPERS[k]![1].includes(l4proto) ? HELPER_NAMES.length + k : HELPER_NONE;
}

/** Whether helper index `h` has a help function in natbox (ftp, tftp). */
export const helperSimulated = (h: number): boolean => h === HELPER_FTP || h === HELPER_TFTP;

/** ftp_exp_policy and tftp_exp_policy: one expectation per master, 5 minutes. */
const EXPECT_TIMEOUT = 5 * 60;
const MAX_EXPECTED = 1;
/** NUM_SEQ_TO_REMEMBER (nf_conntrack_ftp.h). */
const NUM_SEQ = 2;

/** A helper's index by name (nf_conntrack_helper_try_module_get), 0 when natbox has none. */
export function helperIndex(name: string): number {
  const i = HELPER_NAMES.indexOf(name);
  return i > 0 ? i : HELPER_NONE;
}

/** before() and after() of include/net/tcp.h: sequence-number order modulo 2^32. */
export const seqBefore = (a: number, b: number): boolean => ((a - b) | 0) < 0;
export const seqAfter = (a: number, b: number): boolean => ((b - a) | 0) < 0;

/** The NAT halves of the helpers (nf_nat_tftp_hook, nf_nat_ftp_hook) and nf_nat_follow_master. */
export interface NatHelperHooks {
  /** nf_nat_follow_master: bind the new expected entry `e` as its expectation says. */
  followMaster(e: number, exp: Expectation, now: number): void;
  /** nf_nat_tftp's help: adds the expectation; false to drop the packet. */
  tftp(skb: Skb, exp: Expectation, now: number): boolean;
  /**
   * nf_nat_ftp: picks the port, adds the expectation, rewrites the numbers at b[off .. off + len)
   * of the packet; false to drop it.
   */
  ftp(skb: Skb, type: number, off: number, len: number, exp: Expectation, now: number): boolean;
}

/** The helpers' state of one conntrack table (ConntrackTable.helperExt). */
export class CtHelpers implements CtHelperExt {
  /** Some entry has had a helper: the engine starts asking confirmHook. */
  active = false;
  readonly expect = new ExpectTable();
  /** The NAT halves, when the engine has NAT (it always has: nat/nat-helper.ts). */
  nat: NatHelperHooks | undefined = undefined;
  /** nf_ct_ftp's `loose` module parameter (0: an address other than the sender's is not expected). */
  ftpLoose = false;
  /** Per entry: its helper; the helper of its master (an expected connection). */
  private helper: Uint8Array | undefined;
  private masterHelperOf: Uint8Array | undefined;
  /** struct nf_ct_ftp_master: seq_aft_nl[2][NUM_SEQ] and seq_aft_nl_num[2] per entry. */
  private ftpNl: Uint32Array | undefined;
  private ftpNlNum: Uint8Array | undefined;
  /** struct nf_conn_seqadj per entry and direction: correction_pos, offset_before, offset_after. */
  private seqPos: Uint32Array | undefined;
  private seqOffBefore: Int32Array | undefined;
  private seqOffAfter: Int32Array | undefined;
  private readonly m = new FtpMatch();
  /** The synproxy extension of the table's entries (SYNPROXY: core/synproxy.ts). */
  readonly synproxy: SynproxyExt;

  constructor(private readonly ct: ConntrackTable) {
    ct.helperExt = this;
    this.synproxy = new SynproxyExt(ct.max);
  }

  private arrays(): Uint8Array {
    const max = this.ct.max;
    this.masterHelperOf ??= new Uint8Array(max);
    this.ftpNl ??= new Uint32Array(max * 2 * NUM_SEQ);
    this.ftpNlNum ??= new Uint8Array(max * 2);
    return (this.helper ??= new Uint8Array(max));
  }

  // ---- CtHelperExt ---------------------------------------------------------------------------

  free(e: number): void {
    // SYNPROXY gives entries without a helper a sequence adjustment: cleared whatever the helper
    // (a killed entry's packet may set it again: SynproxyExt.clear).
    if (this.seqPos) {
      this.seqPos.fill(0, e * 2, e * 2 + 2);
      this.seqOffBefore!.fill(0, e * 2, e * 2 + 2);
      this.seqOffAfter!.fill(0, e * 2, e * 2 + 2);
    }
    if (this.helper === undefined) return;
    if (this.helper[e] !== 0) this.expect.removeMaster(e);
    this.helper[e] = 0;
    this.masterHelperOf![e] = 0;
  }

  helperName(e: number): string {
    return this.helper === undefined ? '' : ALL_HELPER_NAMES[this.helper[e]!]!;
  }

  masterHelper(e: number): string {
    return this.masterHelperOf === undefined ? '' : ALL_HELPER_NAMES[this.masterHelperOf[e]!]!;
  }

  /**
   * nft_ct_helper_obj_eval: helper `h` (helperByName) for the packet's entry `e` of protocol
   * `l4proto`, when the entry is not confirmed yet (its first packet), is of the helper object's
   * protocol and has no helper yet (IPS_HELPER).
   */
  assign(e: number, h: number, l4proto: number): void {
    const ct = this.ct;
    if (ct.isConfirmed(e) || ct.protoOf(e) !== l4proto || (ct.statusOf(e) & IPS_HELPER) !== 0) return;
    this.attach(e, h);
  }

  /** The helper index of entry `e` (0: none). */
  helperOf(e: number): number {
    return this.helper === undefined ? 0 : this.helper[e]!;
  }

  // ---- init_conntrack ------------------------------------------------------------------------

  /**
   * A new (unconfirmed) entry `e` with original tuple (src, dst, proto, sport, dport) in zone key
   * `zone`: RELATED to the master of the expectation it matches, else given the template's helper
   * `tmplHelper` (0: none).
   */
  initConntrack(
    e: number,
    src: number,
    dst: number,
    proto: number,
    sport: number,
    dport: number,
    zone: number,
    tmplHelper: number,
    now: number,
  ): void {
    const ct = this.ct;
    if (this.expect.count !== 0) {
      const exp = this.expect.find(src, dst, proto, sport, dport, zone, now, (m, id) =>
        ct.isUsed(m) && ct.id[m] === id ? ct.isConfirmed(m) : false,
      );
      if (exp !== undefined) {
        // "Welcome, Mr. Bond. We've been expecting you..."
        ct.orStatus(e, IPS_EXPECTED);
        ct.mark[e] = ct.mark[exp.master]!;
        this.arrays();
        this.masterHelperOf![e] = this.helper![exp.master]!;
        if (exp.followMaster) this.nat?.followMaster(e, exp, now);
        return;
      }
    }
    if (tmplHelper !== HELPER_NONE) this.attach(e, tmplHelper);
  }

  /** __nf_ct_try_assign_helper's end: helper `h` on entry `e`, IPS_HELPER set. */
  private attach(e: number, h: number): void {
    this.arrays()[e] = h;
    this.ct.orStatus(e, IPS_HELPER);
    this.ftpNlNum!.fill(0, e * 2, e * 2 + 2);
    this.active = true;
  }

  // ---- nf_confirm ----------------------------------------------------------------------------

  /**
   * nf_confirm's part before the confirmation, for a packet of an entry with IPS_HELPER or
   * IPS_SEQ_ADJUST: the helper, then the sequence adjustment. False: drop the packet.
   */
  confirmHook(skb: Skb, now: number): boolean {
    const e = skb.ct;
    // helper->help() do not expect ICMP packets (nor does nf_ct_seq_adjust).
    if (skb.ctinfo === IP_CT_RELATED_REPLY || skb.proto === IPPROTO_ICMP) return true;
    // nf_confirm: no sequence adjustment for a packet received on the loopback device
    // (nf_is_loopback_packet: skb->dev lo and skb_iif set, i.e. at LOCAL_IN after lo): it was
    // adjusted on its way out. SYNPROXY's ACK to a local server (synproxy_send_server_ack, sent
    // before nf_ct_seqadj_init) and anything else looped back arrive with the server's numbers.
    const seqadj = (this.ct.statusOf(e) & IPS_SEQ_ADJUST) !== 0 && skb.inIf !== 'lo';
    const h = this.helperOf(e);
    if (h === HELPER_TFTP) {
      if (!this.tftpHelp(skb, e, now)) return false;
    } else if (h === HELPER_FTP) {
      if (!this.ftpHelp(skb, e, now)) return false;
    }
    if (seqadj && skb.proto === IPPROTO_TCP && !this.seqAdjust(skb, e)) {
      this.ct.stats.drop++;
      return false;
    }
    return true;
  }

  /** nf_ct_expect_related with the helpers' policy: 0, or a negative errno. */
  expectRelated(exp: Expectation, now: number): number {
    return this.expect.related(exp, now, EXPECT_TIMEOUT, MAX_EXPECTED);
  }

  /** A new expectation of master `e` (nf_ct_expect_alloc + nf_ct_expect_init). */
  private newExpect(
    e: number,
    h: number,
    proto: number,
    src: number,
    dst: number,
    dport: number,
  ): Expectation {
    return this.expect.make(e, this.ct.id[e]!, this.ct.zoneOf(e), h, proto, src, dst, dport);
  }

  /**
   * tftp_help: a read or write request expects the server's answer from any port, to the
   * client's address and port as the reply tuple has them (after NAT: the translated ones).
   */
  private tftpHelp(skb: Skb, e: number, now: number): boolean {
    const b = skb.buf;
    const l4 = skb.l4off;
    if (skb.proto !== IPPROTO_UDP || skb.off + skb.len - l4 < 10) return true;
    const opcode = read16(b, l4 + 8);
    if (opcode !== 1 && opcode !== 2) return true; // RRQ, WRQ; DATA, ACK, ERROR, OACK pass
    const ct = this.ct;
    const exp = this.newExpect(
      e,
      HELPER_TFTP,
      IPPROTO_UDP,
      ct.src(e, DIR_REPLY),
      ct.dst(e, DIR_REPLY),
      ct.dport(e, DIR_REPLY),
    );
    if (this.nat !== undefined && (ct.statusOf(e) & IPS_NAT_MASK) !== 0) return this.nat.tftp(skb, exp, now);
    return this.expectRelated(exp, now) === 0;
  }

  /**
   * The FTP helper's help(): on a control connection with traffic both ways, a line that starts
   * right after a newline of its direction is searched for PORT/EPRT (client) or 227/229 (server);
   * what it names is expected from the other side. A partial match drops the packet.
   */
  private ftpHelp(skb: Skb, e: number, now: number): boolean {
    const ctinfo = skb.ctinfo;
    if (ctinfo !== IP_CT_ESTABLISHED && ctinfo !== IP_CT_ESTABLISHED_REPLY) return true;
    if (skb.proto !== IPPROTO_TCP) return true;
    const b = skb.buf;
    const l4 = skb.l4off;
    const end = skb.off + skb.len;
    if (end - l4 < 20) return true;
    const dataoff = l4 + (b[l4 + 12]! >> 4) * 4;
    if (dataoff >= end) return true;
    const datalen = end - dataoff;
    const dir = skb.ctDir;
    const endsInNl = b[end - 1] === 0x0a;
    const thSeq = read32(b, l4 + 4);
    const seq = (thSeq + datalen) >>> 0;
    let ret = true;
    if (this.findNlSeq(e, dir, thSeq)) {
      const ct = this.ct;
      const m = this.m;
      m.addr = ct.src(e, dir); // cmd.u3: EPSV names no address
      const found = ftpSearch(b, dataoff, datalen, dir, m);
      if (found === -1) return false; // "partial matching of `...'": dropped, nothing updated
      if (found === 1) {
        let daddr = ct.dst(e, dir ^ 1);
        let record = true;
        if (m.addr !== ct.src(e, dir)) {
          // Enrico Scholz's passive FTP to a partially RNAT'd server: not recorded unless loose.
          if (!this.ftpLoose) record = false;
          else daddr = m.addr;
        }
        if (record) {
          const exp = this.newExpect(e, HELPER_FTP, IPPROTO_TCP, ct.src(e, dir ^ 1), daddr, m.port);
          if (this.nat !== undefined && (ct.statusOf(e) & IPS_NAT_MASK) !== 0)
            ret = this.nat.ftp(skb, m.type, dataoff + m.off, m.len, exp, now);
          else ret = this.expectRelated(exp, now) === 0;
        }
      }
    }
    if (endsInNl) this.updateNlSeq(e, dir, seq);
    return ret;
  }

  private findNlSeq(e: number, dir: number, seq: number): boolean {
    const nl = this.ftpNl!;
    const n = this.ftpNlNum![e * 2 + dir]!;
    const o = (e * 2 + dir) * NUM_SEQ;
    for (let i = 0; i < n; i++) if (nl[o + i] === seq) return true;
    return false;
  }

  /** update_nl_seq: remember where a line starts (the two latest). */
  private updateNlSeq(e: number, dir: number, seq: number): void {
    const nl = this.ftpNl!;
    const num = this.ftpNlNum!;
    const k = e * 2 + dir;
    const o = k * NUM_SEQ;
    for (let i = 0; i < num[k]!; i++) if (nl[o + i] === seq) return;
    if (num[k]! < NUM_SEQ) {
      nl[o + num[k]!] = seq;
      num[k]!++;
    } else {
      const oldest = seqBefore(nl[o]!, nl[o + 1]!) ? 0 : 1;
      if (seqAfter(seq, nl[o + oldest]!)) nl[o + oldest] = seq;
    }
  }

  // ---- nf_conntrack_seqadj.c -----------------------------------------------------------------

  /**
   * nf_ct_seqadj_set: the packet of direction `dir` with sequence number `seq` grew by `off` bytes
   * (negative: shrank); later sequence numbers of that direction, and the other side's ACKs of
   * them, are shifted.
   */
  seqadjSet(e: number, dir: number, seq: number, off: number): void {
    if (off === 0) return;
    const [pos, before, after] = this.seqArrays();
    this.ct.orStatus(e, IPS_SEQ_ADJUST);
    const i = e * 2 + dir;
    if (before[i] === after[i] || seqBefore(pos[i]!, seq)) {
      pos[i] = seq >>> 0;
      before[i] = after[i]!;
      after[i] = (after[i]! + off) | 0;
    }
  }

  private seqArrays(): [Uint32Array, Int32Array, Int32Array] {
    const max = this.ct.max;
    return [
      (this.seqPos ??= new Uint32Array(max * 2)),
      (this.seqOffBefore ??= new Int32Array(max * 2)),
      (this.seqOffAfter ??= new Int32Array(max * 2)),
    ];
  }

  /**
   * nf_ct_seqadj_init: every sequence number of direction `dir` is shifted by `off` from now on
   * (SYNPROXY: the server's ISN to the client's cookie). Nothing when `off` is 0, as the kernel.
   */
  seqadjInit(e: number, dir: number, off: number): void {
    off |= 0;
    if (off === 0) return;
    const [, before, after] = this.seqArrays();
    this.ct.orStatus(e, IPS_SEQ_ADJUST);
    this.active = true;
    const i = e * 2 + dir;
    before[i] = off;
    after[i] = off;
  }

  /** nf_ct_seq_offset: the offset of direction `dir` at sequence number `seq` (0 without seqadj). */
  seqOffset(e: number, dir: number, seq: number): number {
    if (this.seqPos === undefined) return 0;
    const i = e * 2 + dir;
    return seqAfter(seq, this.seqPos[i]!) ? this.seqOffAfter![i]! : this.seqOffBefore![i]!;
  }

  /**
   * nf_ct_seq_adjust: this direction's sequence number and the other direction's shift taken out
   * of the acknowledgement, and of the SACK blocks' edges (nf_ct_sack_adjust).
   */
  private seqAdjust(skb: Skb, e: number): boolean {
    if (this.seqPos === undefined) return true;
    const b = skb.buf;
    const l4 = skb.l4off;
    if (skb.off + skb.len - l4 < 20) return false;
    const dir = skb.ctDir;
    const t = e * 2 + dir;
    const o = e * 2 + (dir ^ 1);
    const seq = read32(b, l4 + 4);
    const seqoff = seqAfter(seq, this.seqPos[t]!) ? this.seqOffAfter![t]! : this.seqOffBefore![t]!;
    if (seqoff !== 0) tcpSetSeq(b, l4, (seq + seqoff) >>> 0);
    if ((b[l4 + 13]! & 0x10) === 0) return true;
    const ack = read32(b, l4 + 8);
    const ackoff = seqAfter((ack - this.seqOffBefore![o]!) >>> 0, this.seqPos[o]!)
      ? this.seqOffAfter![o]!
      : this.seqOffBefore![o]!;
    if (ackoff !== 0) tcpSetAck(b, l4, (ack - ackoff) >>> 0);
    this.sackAdjust(b, l4, o);
    return true;
  }

  /**
   * nf_ct_sack_adjust / nf_ct_sack_block_adjust: each SACK block's edges (sequence numbers of the
   * other direction) get that direction's shift taken out, the checksum fixed as they change.
   */
  private sackAdjust(b: Uint8Array, l4: number, o: number): void {
    const end = l4 + (b[l4 + 12]! >> 4) * 4;
    for (let p = tcpOptionNext(b, l4 + 20, end); p >= 0; p = tcpOptionNext(b, p + b[p + 1]!, end)) {
      const len = b[p + 1]!;
      // TCPOPT_SACK with at least one block and whole blocks only.
      if (b[p] !== 5 || len < 10 || (len - 2) % 8 !== 0) continue;
      for (let q = p + 2; q + 4 <= p + len; q += 4) {
        const v = read32(b, q);
        const off = seqAfter((v - this.seqOffBefore![o]!) >>> 0, this.seqPos![o]!)
          ? this.seqOffAfter![o]!
          : this.seqOffBefore![o]!;
        if (off !== 0) setSeqWord(b, l4, q, (v - off) >>> 0);
      }
    }
  }

  // ---- listings ------------------------------------------------------------------------------

  /** `conntrack -L expect`, oldest first (the kernel lists by hash bucket). */
  listExpect(now: number): string[] {
    const ct = this.ct;
    return this.expect.live(now).map((x) =>
      formatExpectLine(
        x,
        now,
        {
          src: ct.src(x.master, DIR_ORIGINAL),
          dst: ct.dst(x.master, DIR_ORIGINAL),
          sport: ct.sport(x.master, DIR_ORIGINAL),
          dport: ct.dport(x.master, DIR_ORIGINAL),
        },
        HELPER_NAMES[x.helper]!,
      ),
    );
  }

  /** `/proc/net/nf_conntrack_expect`. */
  listExpectProc(now: number): string[] {
    return this.expect.live(now).map((x) => formatExpectProcLine(x, now, HELPER_NAMES[x.helper]!));
  }
}

/** Writes a 32-bit word of a TCP header at `at` and fixes the checksum (inet_proto_csum_replace4). */
function setSeqWord(b: Uint8Array, l4: number, at: number, v: number): void {
  write16(b, l4 + 16, checksumUpdate32(read16(b, l4 + 16), read32(b, at), v));
  write32(b, at, v);
}

/** The helpers of table `ct`, made on first use. */
export function ctHelpersOf(ct: ConntrackTable): CtHelpers {
  const h = ct.helperExt;
  return h instanceof CtHelpers ? h : new CtHelpers(ct);
}
