// The timer wheel's expiry (kernel/time/timer.c calc_wheel_index / calc_index at HZ 250,
// LVL_CLK_SHIFT 3, LVL_BITS 6, LVL_DEPTH 9), against values computed by hand from the kernel's
// formulas: level n holds deltas from LVL_START(n) = 63 << 3(n-1) jiffies, and a timer runs at
// ((expires >> 3n) + 1) << 3n.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HZ,
  jiffiesAt,
  kernelTimerAt,
  toJiffies,
  wheelExpiry,
  wheelLevel,
} from '../../src/stack/timer-wheel.ts';

test('levels: below 63 jiffies level 0, below 504 level 1, below 4032 level 2, below 32256 level 3', () => {
  assert.deepEqual(
    [0, 62, 63, 503, 504, 4031, 4032, 32255, 32256].map((d) => wheelLevel(1000 + d, 1000)),
    [0, 0, 1, 1, 2, 2, 3, 3, 4],
  );
});

test('calc_index rounds up to the level granularity, one bucket on when already a multiple', () => {
  // Level 0: the next jiffy after expires (TCP_DELACK_MIN, 10 jiffies, runs at 11).
  assert.equal(wheelExpiry(10, 0), 11);
  assert.equal(wheelExpiry(62, 0), 63);
  // Level 1 (8 jiffies, 32 ms): TCP_TIMEOUT_INIT (250) from jiffy 0 runs at 256; 256 at 264.
  assert.equal(wheelExpiry(63, 0), 64);
  assert.equal(wheelExpiry(250, 0), 256);
  assert.equal(wheelExpiry(256, 0), 264);
  assert.equal(wheelExpiry(503, 0), 504);
  // Level 2 (64 jiffies, 256 ms): a 4 s timer from 0 runs at 1024 (4.096 s).
  assert.equal(wheelExpiry(504, 0), 512);
  assert.equal(wheelExpiry(1000, 0), 1024);
  // Level 3 (512 jiffies, 2.048 s): TCP_TIMEWAIT_LEN (15000) runs at 15360 (61.44 s).
  assert.equal(wheelExpiry(15000, 0), 15360);
  // The level comes from the delta to the wheel's clock, the rounding from the absolute expiry.
  assert.equal(wheelExpiry(1062, 1000), 1063);
  assert.equal(wheelExpiry(1062, 999), 1064);
  assert.equal(wheelExpiry(1250, 1000), 1256);
  assert.equal(wheelExpiry(1253, 1003), 1256);
  assert.equal(wheelExpiry(1255, 1005), 1256);
  assert.equal(wheelExpiry(1256, 1006), 1264);
});

test('a timer already due runs at the next tick; one beyond the wheel at its last bucket', () => {
  assert.equal(wheelExpiry(5, 10), 10);
  // WHEEL_TIMEOUT_MAX = LVL_START(9) - LVL_GRAN(8) = (63 << 24) - (1 << 24): level 8's bucket 63.
  assert.equal(wheelExpiry(2_000_000_000, 0), 63 * 2 ** 24);
});

test('kernelTimerAt: ticks at multiples of 4 ms from time 0; pinned timers before unpinned ones of a tick', () => {
  assert.equal(HZ, 250);
  assert.equal(jiffiesAt(0), 0);
  assert.equal(jiffiesAt(0.0039), 0);
  assert.equal(jiffiesAt(1.024), 256);
  assert.equal(toJiffies(0.04), 10);
  assert.equal(toJiffies(0.2001), 51);
  // A client's SYN at 0 and the server's request armed at 0.2 ms: the same tick, 1.024 s, the
  // request's (pinned) first.
  const client = kernelTimerAt(0, 250, false);
  const server = kernelTimerAt(0.0002, 250, true);
  assert.equal(server, 1.024);
  assert.ok(client > server && client - server < 1e-6, `${client} ${server}`);
  // Re-armed from its own handler at 1.024 s: the wheel's clock is one ahead (delta 249).
  assert.ok(Math.abs(kernelTimerAt(client, 250, false, true) - 2.048) < 1e-6);
  // A delayed ACK armed 1 ms into jiffy 25: expires 35, runs at 36 (144 ms).
  assert.ok(Math.abs(kernelTimerAt(0.101, 10, false) - 0.144) < 1e-6);
});
