// The kernel's timer wheel (kernel/time/timer.c), as far as it decides when a TCP timer fires:
// which jiffy a timer_list armed with mod_timer() runs at, and in which order two timers of the
// same tick run. natbox's sockets arm every kernel timer through kernelTimerAt, so a SYN
// retransmission, a SYN-ACK retransmission, a delayed ACK and the TIME_WAIT timer fire at the
// jiffy Linux fires them, not at the nominal time.
//
// Time: the simulation's clock in seconds; the kernel's jiffies count ticks of 1/HZ s. natbox puts
// a tick at time 0 (jiffies(t) = floor(t * HZ)); in a live run the phase is whatever the kernel's
// was when the scenario started, and 1 s timers fire anywhere in the 32 ms after their nominal time.

/** CONFIG_HZ of the reference kernel (Linux 6.18, Fedora's configuration: HZ_250). */
export const HZ = 250;

/** LVL_CLK_SHIFT: each level's granularity is 8 times the one below. */
const LVL_CLK_SHIFT = 3;
/** LVL_BITS: 64 buckets a level. */
const LVL_SIZE = 64;
/** LVL_DEPTH at HZ > 100. */
const LVL_DEPTH = 9;
/** LVL_START(n): the smallest delta (jiffies) that goes into level n (63 << 3(n-1)). */
const lvlStart = (n: number): number => (LVL_SIZE - 1) * 2 ** ((n - 1) * LVL_CLK_SHIFT);
/** WHEEL_TIMEOUT_CUTOFF and WHEEL_TIMEOUT_MAX: timers further out are clamped. */
const CUTOFF = lvlStart(LVL_DEPTH);
const TIMEOUT_MAX = CUTOFF - 2 ** ((LVL_DEPTH - 1) * LVL_CLK_SHIFT);

/**
 * calc_wheel_index: the level a timer due at jiffy `expires` goes into when the wheel's clock
 * (base->clk) is `clk`: the first whose range holds delta = expires - clk (level 0 below 63
 * jiffies, level 1 below 504, level 2 below 4032, ...).
 */
export function wheelLevel(expires: number, clk: number): number {
  const delta = expires - clk;
  if (delta < 0) return 0;
  let lvl = 0;
  while (lvl < LVL_DEPTH - 1 && delta >= lvlStart(lvl + 1)) lvl++;
  return lvl;
}

/**
 * calc_wheel_index / calc_index: the jiffy at which a timer armed for `expires` runs, the wheel's
 * clock being `clk` (bucket_expiry). calc_index rounds the expiry *up* to its level's granularity,
 * 8^level jiffies, and one bucket further even when it is a multiple (`(expires >> LVL_SHIFT(lvl))
 * + 1`): "the timer wheel has to guarantee that a timer does not fire early" when it was armed at
 * the edge of a tick. So a timer never runs before `expires + 1`, and at most 8^level jiffies after
 * `expires`; __run_timers runs the bucket when the clock reaches it (collect_expired_timers). A
 * timer already due (delta < 0) runs at the next tick (`*bucket_expiry = clk`); one beyond the
 * wheel's reach runs at clk + WHEEL_TIMEOUT_MAX's bucket.
 */
export function wheelExpiry(expires: number, clk: number): number {
  const delta = expires - clk;
  if (delta < 0) return clk;
  const e = delta >= CUTOFF ? clk + TIMEOUT_MAX : expires;
  const gran = 2 ** (wheelLevel(e, clk) * LVL_CLK_SHIFT);
  return (Math.floor(e / gran) + 1) * gran;
}

/** The jiffy that time `t` (seconds) falls in (a tick at time 0; a hair's slack for rounding). */
export const jiffiesAt = (t: number): number => Math.floor(t * HZ + 1e-6);

/** A delay in seconds as the kernel converts it to jiffies (usecs_to_jiffies rounds up). */
export const toJiffies = (secs: number): number => Math.ceil(secs * HZ - 1e-6);

/**
 * How much after the tick the timers of the global base run (BASE_GLOBAL): run_timer_softirq
 * expires BASE_LOCAL first, then BASE_GLOBAL, so a TIMER_PINNED timer (a request sock's, a
 * TIME_WAIT sock's) runs before an unpinned one (a socket's retransmit and delayed-ACK timers) of
 * the same tick. Far below a link's latency (0.1 ms).
 */
const GLOBAL_AFTER = 1e-7;

/**
 * When a kernel timer armed now (`now`, seconds) for `delay` jiffies (mod_timer(timer, jiffies +
 * delay)) runs, in seconds: at the tick wheelExpiry gives, unpinned timers just after pinned ones.
 * `inTimer`: armed from a timer's own handler (a retransmission timer re-armed), when the wheel's
 * clock is one ahead of jiffies (__run_timers: "base->clk is set 1 offset ahead of jiffies").
 */
export function kernelTimerAt(now: number, delay: number, pinned: boolean, inTimer = false): number {
  const j = jiffiesAt(now);
  const fire = wheelExpiry(j + delay, inTimer ? j + 1 : j);
  return fire / HZ + (pinned ? 0 : GLOBAL_AFTER);
}
