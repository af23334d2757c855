// The verdicts a hook returns to the stack (NF_DROP, NF_ACCEPT) and the one place a packet is
// counted as dropped: the reason (a DropReason number, core/drop.ts) and the table go on the Skb,
// the per-reason counter goes up, and an unconfirmed conntrack entry the packet made is released
// (nf_ct_put of an entry never confirmed). Shared by the hook walk, conntrack and the NAT hook.
import type { ConntrackTable } from '../conntrack/table.ts';
import { DIR_ORIGINAL } from '../conntrack/tuple.ts';
import type { Skb } from './skb.ts';
import { DROP_REASON_COUNT, type DropReason } from './drop.ts';

export const NF_DROP = 0;
export const NF_ACCEPT = 1;

/** skb.ct for a packet NOTRACK / CT --notrack took out of connection tracking. */
export const NOTRACK = -2;

export class Drops {
  /** Packets dropped, by reason (conntrack INVALID is not a drop by itself). */
  readonly counts: Uint32Array = new Uint32Array(DROP_REASON_COUNT);

  constructor(private readonly conntrack: ConntrackTable) {}

  /** Records why `skb` is dropped, counts it, releases what it owned; returns NF_DROP. */
  drop(skb: Skb, reason: DropReason, table = 0): number {
    skb.dropReason = reason;
    skb.dropTable = table;
    this.counts[reason]!++;
    // A REJECT's answer is sent with the entry attached (nf_ct_attach, while the rejected packet
    // still holds it): the stack sends it, then abandons the packet.
    if (skb.rejectWith === '') this.abandon(skb);
    return NF_DROP;
  }

  /** The packet goes no further: forget an unconfirmed entry it made. */
  abandon(skb: Skb): void {
    // Only the packet that created an unconfirmed entry owns it: a reply-direction packet attached
    // to it (an ICMP error or reset about it) leaves it alone.
    if (skb.ct >= 0 && skb.ctDir === DIR_ORIGINAL && !this.conntrack.isConfirmed(skb.ct))
      this.conntrack.release(skb.ct);
    skb.ct = -1;
  }
}
