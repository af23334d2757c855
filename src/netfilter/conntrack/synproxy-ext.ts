// The synproxy conntrack extension (struct nf_conn_synproxy, include/net/netfilter/
// nf_conntrack_synproxy.h) and the per-namespace state of nf_synproxy_core.c (struct synproxy_net:
// the statistics of /proc/net/stat/synproxy). An entry gets the extension from SYNPROXY's
// template, when the proxy's own SYN to the server makes it (conntrack-in.ts); the sequence
// adjustment the proxy then needs is nf_conntrack_seqadj's (helper.ts, CtHelpers.seqadjInit).
// Per entry: isn (the ISN the client was given: the cookie), its (the timestamp the client
// echoed) and tsoff (the server's timestamp clock minus the proxy's). Arrays made on first use.

/** struct synproxy_stats, as /proc/net/stat/synproxy lists them. */
export interface SynproxyStats {
  syn_received: number;
  cookie_invalid: number;
  cookie_valid: number;
  cookie_retrans: number;
  conn_reopened: number;
}

export class SynproxyExt {
  readonly stats: SynproxyStats = {
    syn_received: 0,
    cookie_invalid: 0,
    cookie_valid: 0,
    cookie_retrans: 0,
    conn_reopened: 0,
  };
  /** Per entry: 1 when it has the extension. */
  private has: Uint8Array | undefined;
  isn: Uint32Array = new Uint32Array(0);
  its: Uint32Array = new Uint32Array(0);
  tsoff: Uint32Array = new Uint32Array(0);
  /** The syncookie secrets (net_secret's siphash keys stand-in) and the clocks' bases, set once. */
  secret: Uint32Array | undefined;

  constructor(private readonly max: number) {}

  /** nfct_synproxy_ext_add: entry `e` is made from the synproxy template. */
  add(e: number): void {
    if (this.has === undefined) {
      this.has = new Uint8Array(this.max);
      this.isn = new Uint32Array(this.max);
      this.its = new Uint32Array(this.max);
      this.tsoff = new Uint32Array(this.max);
    }
    this.has[e] = 1;
    this.isn[e] = 0;
    this.its[e] = 0;
    this.tsoff[e] = 0;
  }

  /** nfct_synproxy: whether entry `e` has the extension. */
  is(e: number): boolean {
    return this.has !== undefined && this.has[e] === 1;
  }

  /**
   * Entry `e` is made without the extension. (Freeing an entry leaves its extension alone: a
   * packet that killed its entry, a server's reset to the proxy's SYN, still holds it in the
   * kernel, and the hook reads it: so the extension goes when the entry is made again.)
   */
  clear(e: number): void {
    if (this.has !== undefined) this.has[e] = 0;
  }

  /** /proc/net/stat/synproxy (synproxy_cpu_seq_show), one line per CPU: natbox has one. */
  procText(): string {
    const s = this.stats;
    const h = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');
    return (
      'entries\t\tsyn_received\tcookie_invalid\tcookie_valid\tcookie_retrans\tconn_reopened\n' +
      [0, s.syn_received, s.cookie_invalid, s.cookie_valid, s.cookie_retrans, s.conn_reopened]
        .map(h)
        .join('\t') +
      '\n'
    );
  }
}
