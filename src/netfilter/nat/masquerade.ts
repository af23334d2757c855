// nf_nat_masquerade_ipv4's notifiers: MASQUERADE records the interface it bound each connection
// through (a small tag per entry in ConntrackTable.masq), and when that interface goes down or
// loses its address, those connections are deleted, so that the next packet is tracked and
// masqueraded anew with the address the interface has now.
import { type ConntrackTable } from '../conntrack/table.ts';
import { DIR_REPLY } from '../conntrack/tuple.ts';

/** ConntrackTable.masq's tag for an interface found in masqMore. */
const MASQ_MORE = 255;

export class MasqueradeNotifier {
  /** Interfaces MASQUERADE bound through: ct.masq[e] - 1 indexes masqNames. */
  private readonly masqNames: string[] = [];
  private readonly masqIndex = new Map<string, number>();
  /** Entries bound through an interface past the first MASQ_MORE - 1 (their tag is MASQ_MORE). */
  private readonly masqMore = new Map<number, string>();
  /** The interface of the last call whose tag is its own (below MASQ_MORE), and that tag. */
  private lastName = '';
  private lastTag = 1; // as before: a first call for '' tagged 1

  constructor(private readonly conntrack: ConntrackTable) {}

  /** Records that MASQUERADE bound entry `e` through `ifname` (nf_nat_masquerade_ipv4). */
  tag(e: number, ifname: string): void {
    // The interface of the last call (an interface's number never changes); small enough for V8
    // to inline into its callers.
    if (ifname === this.lastName) this.conntrack.masq[e] = this.lastTag;
    else this.tagOther(e, ifname);
  }

  private tagOther(e: number, ifname: string): void {
    let i = this.masqIndex.get(ifname);
    if (i === undefined) {
      i = this.masqNames.length;
      this.masqNames.push(ifname);
      this.masqIndex.set(ifname, i);
    }
    if (i + 1 < MASQ_MORE) {
      this.conntrack.masq[e] = i + 1;
      this.lastName = ifname;
      this.lastTag = i + 1;
    } else {
      this.conntrack.masq[e] = MASQ_MORE;
      this.masqMore.set(e, ifname);
    }
  }

  /**
   * The tag (ConntrackTable.masq) of the entries bound through `ifname` alone, 0 when there is no
   * such tag (no entry was bound through it yet, or its entries share MASQ_MORE): an entry with
   * this non-zero tag was bound through `ifname` (an interface's tag never changes).
   */
  tagOf(ifname: string): number {
    const i = this.masqIndex.get(ifname);
    return i !== undefined && i + 1 < MASQ_MORE ? i + 1 : 0;
  }

  /**
   * The device MASQUERADE bound entry `e` through ('' when it was not masqueraded): the kernel's
   * nf_conn_nat masq_index, which nf_nat_oif_changed compares with the output device.
   */
  boundDevice(e: number): string {
    const m = this.conntrack.masq[e]!;
    if (m === 0) return '';
    return (m === MASQ_MORE ? this.masqMore.get(e) : this.masqNames[m - 1]) ?? '';
  }

  /**
   * The device and address notifiers: when `ifname` goes down (no `addr`), or loses the address
   * `addr`, the connections MASQUERADE bound through it are deleted. Returns how many went.
   */
  flush(ifname: string, addr?: number): number {
    const ct = this.conntrack;
    const masq = ct.masq;
    if (!this.masqIndex.has(ifname)) return 0;
    // The bound address is the reply tuple's destination (MASQUERADE's range is that one address).
    const gone: number[] = [];
    for (let e = 0; e < ct.max; e++) {
      const m = masq[e]!;
      if (m === 0 || !ct.isUsed(e)) continue;
      if ((m === MASQ_MORE ? this.masqMore.get(e) : this.masqNames[m - 1]) !== ifname) continue;
      if (addr !== undefined && ct.dst(e, DIR_REPLY) !== addr) continue;
      gone.push(e);
    }
    // In the order the connections were made (their DESTROY events come in that order).
    gone.sort((a, b) => ct.id[a]! - ct.id[b]!);
    for (const e of gone) {
      ct.remove(e);
      masq[e] = 0;
      this.masqMore.delete(e);
    }
    return gone.length;
  }
}
