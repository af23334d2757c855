// inet_peer (net/ipv4/inetpeer.c): what the kernel keeps per remote address for ICMP rate limits,
// one record shared by ip_error (route.c: ip_rt_error_cost 1 s, ip_rt_error_burst 5 s),
// ip_rt_send_redirect (route.c: n_redirects, rate_last) and icmp_send's icmpv4_xrlim_allow
// (icmp.c: inet_peer_xrlim_allow, icmp_ratelimit 1000 ms, bursts of XRLIM_BURST_FACTOR 6). Times in
// whole milliseconds (jiffies), so that a bucket is never 0.999... short of a token.

export interface InetPeer {
  /** rate_tokens, ms. */
  tokens: number;
  /** rate_last, ms. */
  last: number;
  /** n_redirects. */
  redirects: number;
}

/** ip_rt_redirect_load (20 ms) and ip_rt_redirect_number (9); the silence is load << (number + 1). */
const REDIRECT_LOAD = 20;
const REDIRECT_NUMBER = 9;
const REDIRECT_SILENCE = REDIRECT_LOAD << (REDIRECT_NUMBER + 1);

export class InetPeers {
  private readonly peers = new Map<number, InetPeer>();

  /** inet_getpeer: a new peer has no tokens and rate_last 60 s ago (a full bucket on first use). */
  private get(addr: number, nowMs: number): InetPeer {
    let p = this.peers.get(addr);
    if (!p) {
      p = { tokens: 0, last: nowMs - 60_000, redirects: 0 };
      this.peers.set(addr, p);
    }
    return p;
  }

  /** ip_error: may an ICMP error answer a packet from `addr` that had no route (1 s each, 5 s burst)? */
  errorAllowed(addr: number, now: number): boolean {
    return this.spend(addr, now, 5000, true);
  }

  /** icmpv4_xrlim_allow → inet_peer_xrlim_allow: an ICMP error to `addr` (icmp_ratelimit 1 s). */
  xrlimAllow(addr: number, now: number): boolean {
    return this.spend(addr, now, 6000, false);
  }

  /**
   * The time since rate_last added to the tokens (at most `cap`), then 1 s of them taken if there
   * is that much. ip_error caps and sets rate_last even when no time passed; inet_peer_xrlim_allow
   * does both only when some did.
   */
  private spend(addr: number, now: number, cap: number, always: boolean): boolean {
    const ms = Math.round(now * 1000);
    const p = this.get(addr, ms);
    if (always || ms !== p.last) {
      p.tokens = Math.min(cap, p.tokens + (ms - p.last));
      p.last = ms;
    }
    if (p.tokens < 1000) return false;
    p.tokens -= 1000;
    return true;
  }

  /**
   * ip_rt_send_redirect: may a redirect go to `addr`? The first at once, then after 20 ms << n
   * (n sent so far), at most 9, until 20.48 s without a redirected packet starts again.
   */
  redirectAllowed(addr: number, now: number): boolean {
    const ms = Math.round(now * 1000);
    const p = this.get(addr, ms);
    if (ms > p.last + REDIRECT_SILENCE) {
      p.tokens = 0;
      p.redirects = 0;
    }
    if (p.redirects >= REDIRECT_NUMBER) {
      p.last = ms;
      return false;
    }
    if (p.redirects !== 0 && ms <= p.last + (REDIRECT_LOAD << p.redirects)) return false;
    p.last = ms;
    p.redirects++;
    return true;
  }
}
