// The NAT halves of the conntrack helpers, as the kernel's nf_nat_tftp.c, nf_nat_ftp.c and
// nf_nat_helper.c: the expectation made NAT-aware (the port and address the expected connection
// is mapped to, nf_nat_follow_master as what binds it), nf_nat_exp_find_port, and
// nf_nat_mangle_tcp_packet (the numbers of a PORT/EPRT command or 227/229 reply rewritten, the
// packet's lengths and checksums fixed, and nf_ct_seqadj_set when the length changed). conntrack/
// helper.ts calls these through CtHelpers.nat when the master connection has NAT.
import { ipv4FillChecksum, ipv4SetTotalLength } from '../../wire/ipv4.ts';
import { read32 } from '../../wire/checksum.ts';
import { tcpFillChecksum } from '../../wire/tcp.ts';
import type { ConntrackTable } from '../conntrack/table.ts';
import { DIR_ORIGINAL, DIR_REPLY } from '../conntrack/tuple.ts';
import { EBUSY, type Expectation } from '../conntrack/expect.ts';
import type { CtHelpers, NatHelperHooks } from '../conntrack/helper.ts';
import { ftpFormat } from '../conntrack/helper-ftp.ts';
import type { Skb } from '../core/skb.ts';
import {
  MANIP_DST,
  MANIP_SRC,
  NF_NAT_RANGE_MAP_IPS,
  NF_NAT_RANGE_PROTO_SPECIFIED,
  type NatCore,
  type NatRangeN,
  type Rng,
} from './nat-core.ts';

/** nf_nat_exp_find_port's max_attempts. */
const MAX_ATTEMPTS = 128;

export class NatHelper implements NatHelperHooks {
  private readonly range: NatRangeN = { minAddr: 0, maxAddr: 0, minPort: 0, maxPort: 0, flags: 0 };

  constructor(
    private readonly ct: ConntrackTable,
    private readonly nat: NatCore,
    private readonly helpers: CtHelpers,
    private readonly rng: Rng,
  ) {}

  /**
   * nf_nat_follow_master: the source becomes where the master sends to, and the destination
   * where the expectation said (the master's other side, at the saved port).
   */
  followMaster(e: number, exp: Expectation, now: number): void {
    const ct = this.ct;
    const d = exp.dir ^ 1; // !exp->dir
    const r = this.range;
    r.minAddr = r.maxAddr = ct.dst(exp.master, d);
    r.minPort = r.maxPort = 0;
    r.flags = NF_NAT_RANGE_MAP_IPS;
    this.nat.setup(e, r, MANIP_SRC, now);
    r.minAddr = r.maxAddr = ct.src(exp.master, d);
    r.minPort = r.maxPort = exp.savedPort;
    r.flags = NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED;
    this.nat.setup(e, r, MANIP_DST, now);
  }

  /** nf_nat_tftp's help: the answer goes to the client's own port, the master's original source. */
  tftp(_skb: Skb, exp: Expectation, now: number): boolean {
    exp.savedPort = this.ct.sport(exp.master, DIR_ORIGINAL);
    exp.dir = DIR_REPLY;
    exp.followMaster = true;
    return this.helpers.expectRelated(exp, now) === 0;
  }

  /**
   * nf_nat_ftp: the connection will come from wherever this packet goes; a port for the
   * expectation (the same if free), and the numbers at b[off .. off + len) rewritten to the address
   * the other side sees and that port.
   */
  ftp(skb: Skb, type: number, off: number, len: number, exp: Expectation, now: number): boolean {
    const dir = skb.ctDir;
    const newaddr = this.ct.dst(exp.master, dir ^ 1);
    exp.savedPort = exp.dport;
    exp.dir = dir ^ 1;
    exp.followMaster = true;
    const port = this.findPort(exp, exp.savedPort, now);
    if (port === 0) return false; // "all ports in use"
    if (!this.mangleTcp(skb, off, len, ftpFormat(type, newaddr, port))) {
      this.helpers.expect.remove(exp); // "cannot mangle packet"
      return false;
    }
    return true;
  }

  /** nf_nat_exp_find_port: `port` if the expectation can be added there, else random ones. */
  private findPort(exp: Expectation, port: number, now: number): number {
    const min = port;
    const range = 0xffff - port;
    let left = Math.min(range, MAX_ATTEMPTS);
    for (;;) {
      exp.dport = port;
      const res = this.helpers.expectRelated(exp, now);
      if (res === 0) return port;
      if (res !== EBUSY || --left < 0) break;
      port = min + Math.floor((this.rng.u16() * range) / 0x10000);
    }
    return 0;
  }

  /**
   * __nf_nat_mangle_tcp_packet (adjust): `text` replaces b[off .. off + len) of the packet; the IP
   * total length and checksum and the TCP checksum are made anew; a change of length is
   * remembered for the sequence adjustment. False when the packet would pass 65535 bytes.
   */
  private mangleTcp(skb: Skb, off: number, len: number, text: string): boolean {
    const rep = new TextEncoder().encode(text);
    const diff = rep.length - len;
    if (skb.len + diff > 0xffff) return false;
    const b = skb.buf;
    const o = skb.off;
    const l4 = skb.l4off;
    const end = o + skb.len;
    const seq = read32(b, l4 + 4);
    const nb = diff === 0 ? b : new Uint8Array(end + diff);
    if (diff !== 0) {
      nb.set(b.subarray(0, off));
      nb.set(b.subarray(off + len, end), off + rep.length);
    }
    nb.set(rep, off);
    skb.buf = nb;
    ipv4SetTotalLength(nb, o, skb.len + diff);
    ipv4FillChecksum(nb, o);
    tcpFillChecksum(nb, l4, end + diff - l4, skb.src, skb.dst);
    skb.parse();
    if (diff !== 0) this.helpers.seqadjSet(skb.ct, skb.ctDir, seq, diff);
    return true;
  }
}
