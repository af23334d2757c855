// inet_peer (net/ipv4/inetpeer.c): one record per remote address of a host, whose rate_tokens,
// rate_last and n_redirects three rate limits share (Linux 6.18):
// - icmp_send's per-destination limit (net/ipv4/icmp.c icmpv4_xrlim_allow → inet_peer_xrlim_allow):
//   the types in net.ipv4.icmp_ratemask (default 6168: destination unreachable except fragmentation
//   needed, source quench, time exceeded, parameter problem) are sent to one address at most one
//   per net.ipv4.icmp_ratelimit (1000 ms), in bursts of XRLIM_BURST_FACTOR (6); never limited
//   towards the host itself (the route back is loopback);
// - ip_rt_send_redirect (net/ipv4/route.c): ip_rt_redirect_number (9) redirects to a sender, the
//   n-th only ip_rt_redirect_load (20 ms) << n after the last, then none until
//   ip_rt_redirect_silence (20.48 s) without a packet that earns one, which also empties
//   rate_tokens;
// - ip_error (net/ipv4/route.c): the errors of a failed route lookup, ip_rt_error_cost (1 s) of
//   tokens each, at most ip_rt_error_burst (5 s) saved; the error then passes icmp_send's limit too.
// They are one record, so each moves the others: a redirect sets rate_last, after which an ICMP
// error to the same address has no tokens for a second. Time is counted in jiffies at HZ 250 (the
// kernel natbox verify runs on: CONFIG_HZ=250), so "later than" has the kernel's 4 ms steps.

/** One inet_peer's rate state. */
interface Peer {
  rateTokens: number;
  rateLast: number;
  nRedirects: number;
}

const HZ = 250;
/** XRLIM_BURST_FACTOR: icmp_send saves up to this many messages' worth of tokens. */
const XRLIM_BURST_FACTOR = 6;
const REDIRECT_NUMBER = 9;
const REDIRECT_LOAD = HZ / 50;
const REDIRECT_SILENCE = REDIRECT_LOAD << (REDIRECT_NUMBER + 1);
const ERROR_COST = HZ;
const ERROR_BURST = 5 * HZ;
/** ICMP types in the default net.ipv4.icmp_ratemask (0x1818). */
export const ICMP_RATEMASK = 6168;
/** time_after(a, b): a is later than b. */
const after = (a: number, b: number): boolean => a - b > 0;

export class InetPeers {
  private readonly peers = new Map<number, Peer>();

  /** inet_getpeer_v4 (create): a new record's rate_last is 60 s back, so its first burst is full. */
  private get(addr: number, now: number): Peer {
    let p = this.peers.get(addr);
    if (!p) this.peers.set(addr, (p = { rateTokens: 0, rateLast: now - 60 * HZ, nRedirects: 0 }));
    return p;
  }

  /** inet_peer_xrlim_allow(peer of `addr`, `timeoutMs`): may icmp_send send to `addr` now? */
  xrlimAllow(addr: number, nowSeconds: number, timeoutMs: number): boolean {
    const now = jiffies(nowSeconds);
    const timeout = Math.ceil((timeoutMs * HZ) / 1000); // msecs_to_jiffies
    const p = this.get(addr, now);
    let token = p.rateTokens + (now - p.rateLast);
    p.rateLast = now;
    if (token > XRLIM_BURST_FACTOR * timeout) token = XRLIM_BURST_FACTOR * timeout;
    let ok = false;
    if (token >= timeout) {
      token -= timeout;
      ok = true;
    }
    p.rateTokens = token;
    return ok;
  }

  /** ip_rt_send_redirect's limit for a redirect to `addr`: send it now? */
  redirectAllow(addr: number, nowSeconds: number): boolean {
    const now = jiffies(nowSeconds);
    const p = this.get(addr, now);
    if (after(now, p.rateLast + REDIRECT_SILENCE)) {
      p.rateTokens = 0;
      p.nRedirects = 0;
    }
    if (p.nRedirects >= REDIRECT_NUMBER) {
      p.rateLast = now;
      return false;
    }
    if (p.nRedirects === 0 || after(now, p.rateLast + (REDIRECT_LOAD << p.nRedirects))) {
      p.rateLast = now;
      p.nRedirects++;
      return true;
    }
    return false;
  }

  /** ip_error's limit for an error about a packet from `addr`. */
  errorAllow(addr: number, nowSeconds: number): boolean {
    const now = jiffies(nowSeconds);
    const p = this.get(addr, now);
    p.rateTokens = Math.min(ERROR_BURST, p.rateTokens + (now - p.rateLast));
    p.rateLast = now;
    if (p.rateTokens < ERROR_COST) return false;
    p.rateTokens -= ERROR_COST;
    return true;
  }
}

/** The jiffies counter at virtual time `t` (seconds). */
function jiffies(t: number): number {
  return Math.floor(t * HZ + 1e-6);
}
