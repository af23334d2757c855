// nf_dup_ipv4 (net/ipv4/netfilter/nf_dup_ipv4.c), what TEE does: a copy of the packet, taken out
// of connection tracking (IP_CT_UNTRACKED), DF set, its TTL one less when it was taken in
// PREROUTING or INPUT, is routed to the gateway as a known next hop and sent as the host's own
// (ip_local_out: OUTPUT and POSTROUTING), while the original goes on. The copies wait here until
// the table that made them has finished its walk (the kernel sends each at once, from inside the
// hook; sending it after that table's walk keeps the order on the wire and never re-enters a table
// mid-walk). A copy being sent makes no copy of its own (nf_skb_duplicated).
import { ipv4FillChecksum } from '../../wire/ipv4.ts';
import type { Skb } from './skb.ts';
import { NF_INET_LOCAL_IN, NF_INET_PRE_ROUTING } from './hook-numbers.ts';

/**
 * The host's side: sends `ip` (a copy of its own) towards `gw`, out of `oif` when it has that
 * device; `orig` is the packet it copies (pskb_copy keeps the skb's header bits, dst_pending_confirm
 * among them, which the host keeps with the buffer).
 */
export type DupSend = (ip: Uint8Array, gw: number, oif: string, mark: number, orig: Uint8Array) => void;

export class DupQueue {
  /** Copies waiting for the end of the current table walk. */
  n = 0;
  private readonly ips: Uint8Array[] = [];
  private readonly gws: number[] = [];
  private readonly oifs: string[] = [];
  private readonly marks: number[] = [];
  private readonly origs: Uint8Array[] = [];
  /** nf_skb_duplicated: a copy is being sent. */
  private sending = false;

  constructor(private readonly send: DupSend | undefined) {}

  /** TEE on `skb` at `hook`: a copy for `gw` (oif '' for any device). */
  push(skb: Skb, gw: number, oif: string, hook: number): void {
    if (this.sending || this.send === undefined) return;
    const ip = skb.buf.slice(skb.off, skb.off + skb.len);
    ip[6]! |= 0x40; // IP_DF
    if (hook === NF_INET_PRE_ROUTING || hook === NF_INET_LOCAL_IN) ip[8] = (ip[8]! - 1) & 0xff;
    ipv4FillChecksum(ip, 0);
    const k = this.n++;
    this.ips[k] = ip;
    this.gws[k] = gw;
    this.oifs[k] = oif;
    this.marks[k] = skb.mark;
    this.origs[k] = skb.buf;
  }

  /** Sends the waiting copies, in the order they were made. */
  flush(): void {
    if (this.sending) return; // the copy's own walk: its copies were refused in push
    const send = this.send!;
    this.sending = true;
    try {
      for (let k = 0; k < this.n; k++)
        send(this.ips[k]!, this.gws[k]!, this.oifs[k]!, this.marks[k]!, this.origs[k]!);
    } finally {
      this.sending = false;
      this.ips.length = 0;
      this.origs.length = 0;
      this.n = 0;
    }
  }
}
