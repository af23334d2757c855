// A flow's `count` and `interval` (UDP datagrams, ICMP echoes), as the kernel reference's clients
// send them (README "Flow fields"): datagram i (0-based, sequence i + 1) is sent `i * interval`
// after the first, or as soon as the wait for the answer to datagram i - 1 ended if that is later.
// A wait ends when an answer (or an error the socket reports) arrives, or `timeout` after the send.
import type { World } from './world.ts';

export interface Repeat {
  /** An answer or an error reached the socket: the wait for the datagram in flight ends. */
  answered(): void;
}

/**
 * Schedules the sends of one flow from `at`: `send(seq)` for seq 1..count, and `done()` once the
 * last wait has ended.
 */
export function repeatSends(
  world: World,
  flow: {
    readonly at: number;
    readonly timeout: number;
    readonly count?: number;
    readonly interval?: number;
  },
  send: (seq: number) => void,
  done: () => void,
): Repeat {
  const sched = world.sched;
  const count = flow.count ?? 1;
  const interval = flow.interval ?? 0;
  let i = 0;
  let waiting = false;
  const next = (): void => {
    const mine = i;
    waiting = true;
    send(i + 1);
    sched.at(sched.now + flow.timeout, () => {
      if (waiting && i === mine) endWait();
    });
  };
  const endWait = (): void => {
    waiting = false;
    i++;
    if (i >= count) return done();
    sched.at(Math.max(flow.at + i * interval, sched.now), next);
  };
  sched.at(flow.at, next);
  return {
    answered: () => {
      if (waiting) endWait();
    },
  };
}

/** The latest time a repeated flow can still be waiting for an answer. */
export const repeatLength = (f: {
  readonly timeout: number;
  readonly count?: number;
  readonly interval?: number;
}): number => (f.count ?? 1) * Math.max(f.interval ?? 0, f.timeout);
