// The order of two conversations' packets on one interface, where the kernel's order is the live
// harness's timing. natbox runs each flow at its exact time; the kernel's clients and servers are
// processes that a loaded machine starts, wakes and schedules milliseconds (tens of them at load
// 17) late. Two conversations' packets close together on a link — one flow's FIN, another's SYN at
// the moment it closes — then come in either order on the kernel (CI stop 27: the kernel's FIN
// 3 ms after natbox's SYN in one run, before it in the next), and that order says nothing about
// Linux. Within one conversation the order is the kernel's own (TCP, conntrack) and stays compared
// as it is.

import type { RawPacket } from './packets.ts';

/**
 * How far apart (seconds, on the kernel's clock) two conversations' packets may be and still come
 * in natbox's order rather than the kernel's: the harness's lateness on a loaded machine (tens of
 * ms at load 17; 56 ms seen at load 18), with room.
 */
export const INTERLEAVE_WINDOW = 0.1;

/**
 * The captures' resolution (pcap's microseconds), added to a tolerance's bound so that a gap of
 * exactly the tolerance is within it whatever the floating-point subtraction rounds to
 * (0.6032 - 0.5032 is 0.09999999999999998, 1.6 - 1.5 is 0.10000000000000009).
 */
export const CAPTURE_RESOLUTION = 1e-6;

/**
 * A packet's conversation on its interface: the protocol and both ends, the same for both
 * directions (an echo by its id; an ICMP error by what it quotes).
 */
export function conversationKey(p: RawPacket): string {
  const ends = (a: string, b: string): string => (a < b ? `${a} ${b}` : `${b} ${a}`);
  if (p.inner) return `err ${p.inner.proto} ${ends(p.inner.src, p.inner.dst)}`;
  if (p.icmpId !== undefined) return `${p.proto} ${p.icmpId} ${ends(p.src, p.dst)}`;
  const port = (a: string, n: number | undefined): string => (n === undefined ? a : `${a}:${n}`);
  return `${p.proto} ${ends(port(p.src, p.sport), port(p.dst, p.dport))}`;
}

/**
 * The kernel's packets `y` of one interface, with packets of different conversations in natbox's
 * order (`x`) where they are at most `window` apart on the kernel's clock. Conversations pair by
 * their first appearance (the n-th natbox conversation on the interface is the kernel's n-th: NAT
 * may give them other ports on each side). Walking natbox's packets, each takes the kernel's next
 * packet of its conversation, provided every kernel packet of another conversation it passes is
 * within `window` of it; at the first packet that cannot (its conversation has no packet left, or
 * one too far), the rest keep the kernel's order, and the strict comparison that follows reports
 * the difference there. Lists in the same interleaving come back unchanged.
 */
export function alignConversations(
  x: readonly RawPacket[],
  y: readonly RawPacket[],
  window = INTERLEAVE_WINDOW,
): RawPacket[] {
  const kx = x.map(conversationKey);
  const ky = y.map(conversationKey);
  // Each conversation's first packet, in order of appearance.
  const firsts = (ps: readonly RawPacket[], ks: readonly string[]): [string, RawPacket][] => {
    const m = new Map<string, RawPacket>();
    ks.forEach((k, i) => m.has(k) || m.set(k, ps[i]!));
    return [...m];
  };
  const fx = firsts(x, kx);
  const fy = firsts(y, ky);
  // Paired while their first packets agree in direction and protocol: past a conversation one
  // side has and the other lacks, the pairs would be guesses.
  const pair = new Map<string, string>();
  for (let i = 0; i < Math.min(fx.length, fy.length); i++) {
    const [a, p] = fx[i]!;
    const [b, q] = fy[i]!;
    if (p.dir !== q.dir || p.proto !== q.proto) break;
    pair.set(a, b);
  }
  const queues = new Map<string, number[]>();
  ky.forEach((k, j) => {
    const q = queues.get(k);
    if (q) q.push(j);
    else queues.set(k, [j]);
  });
  const used = new Array<boolean>(y.length).fill(false);
  const out: RawPacket[] = [];
  let low = 0; // the kernel's first packet not taken yet
  for (const k of kx) {
    const q = queues.get(pair.get(k) ?? '');
    const j = q?.[0];
    if (j === undefined) break;
    let fits = true;
    for (let m = low; m < j && fits; m++)
      if (!used[m] && Math.abs(y[m]!.t - y[j]!.t) > window + CAPTURE_RESOLUTION) fits = false;
    if (!fits) break;
    q!.shift();
    used[j] = true;
    out.push(y[j]!);
    while (low < y.length && used[low]) low++;
  }
  for (let m = low; m < y.length; m++) if (!used[m]) out.push(y[m]!);
  return out;
}
