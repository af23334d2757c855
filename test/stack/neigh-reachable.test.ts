// The neighbour state machine past resolution, with exact frames and times (src/stack/neigh.ts):
// NUD_REACHABLE expiring after reachable_time (random in [base/2, 3·base/2): neigh_rand_reach_time),
// kept by confirmations (neigh_confirm: a TCP segment after forward progress), STALE → DELAY on
// use → PROBE (ucast_solicit unicast requests retrans_time apart, then mcast_resolicit broadcast
// ones) → FAILED, and the neigh sysctls that set these. Sources: net/core/neighbour.c
// (neigh_timer_handler, __neigh_event_send, __neigh_update), net/ipv4/arp.c (arp_solicit,
// arp_process), ip-sysctl.rst (neigh/default/*) and ip-neighbour(8).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Neighbours, frameWindow, wheelSlack, type NeighHost } from '../../src/stack/neigh.ts';
import { kernelTimerAt } from '../../src/stack/timer-wheel.ts';
import { makeIface, type Iface } from '../../src/stack/iface.ts';
import { arpReplyFrame } from '../../src/wire/arp.ts';
import { buildUdpPacket } from '../../src/wire/packet.ts';
import { DropReason } from '../../src/netfilter/core/drop.ts';

const ip = (s: string): number => s.split('.').reduce((a, b) => a * 256 + Number(b), 0);
const A = ip('10.0.0.1');
const B = ip('10.0.0.2');
const MAC_A = new Uint8Array([2, 0, 0, 0, 0, 1]);
const MAC_B = new Uint8Array([2, 0, 0, 0, 0, 2]);

interface Sent {
  t: number;
  /** `req` (broadcast), `probe` (unicast request), `reply`, `ip` */
  kind: string;
  window?: readonly [number, number];
}

/** A host with one device eth0 (10.0.0.1/24) and a clock whose timers the test runs. */
function rig(sysctls: Record<string, number> = {}) {
  let now = 0;
  const timers: { at: number; fn: () => void; seq: number }[] = [];
  let seq = 0;
  const sent: Sent[] = [];
  const drops: DropReason[] = [];
  const eth0: Iface = makeIface('eth0', 'eth', MAC_A, [{ addr: A, len: 24 }]);
  const host: NeighHost = {
    name: 'a',
    env: { now: () => now, timer: (at, fn) => void timers.push({ at, fn, seq: seq++ }) },
    ifaces: new Map([['eth0', eth0]]),
    trace: () => {},
    countDrop: (r) => (drops.push(r), false),
    sourceAddressFor: () => A,
    devOutput: (_dev, f) => {
      const w = frameWindow(f);
      const arp = f[12] === 0x08 && f[13] === 0x06;
      const kind = !arp ? 'ip' : f[21] === 2 ? 'reply' : f[0] === 0xff ? 'req' : 'probe';
      sent.push({
        t: Math.round(now * 1e6) / 1e6,
        kind,
        ...(w ? { window: w.map((x) => Math.round((now + x) * 1e3) / 1e3) as [number, number] } : {}),
      });
    },
    neighbourFailed: () => {},
    conf: () => 0,
    validateSource: () => 0,
    isLocal: (x) => x === A,
    routeDev: () => 'eth0',
    forwarding: () => false,
    random: () => 0.5,
    sysctl: (n, d) => sysctls[n] ?? d,
  };
  const n = new Neighbours(host);
  /** Runs the timers due up to `t`, in time order, and sets the clock to `t`. */
  const until = (t: number): void => {
    for (;;) {
      timers.sort((x, y) => x.at - y.at || x.seq - y.seq);
      const next = timers[0];
      if (!next || next.at > t) break;
      timers.shift();
      now = next.at;
      next.fn();
    }
    now = t;
  };
  const packet = () => buildUdpPacket({ src: A, dst: B, id: 1 }, { srcPort: 40000, dstPort: 5000 });
  const send = (t: number): void => {
    until(t);
    n.output({ via: 0, dev: 'eth0' }, packet());
  };
  /** B's answer to A (unicast: PACKET_HOST). */
  const reply = (t: number): void => {
    until(t);
    n.input(eth0, arpReplyFrame(MAC_B, B, MAC_A, A));
  };
  return { n, sent, drops, send, reply, until };
}

test('reachable_time: drawn once per device in [base/2, 3·base/2), from base_reachable_time_ms', () => {
  const r = rig({ 'net.ipv4.neigh.eth0.base_reachable_time_ms': 12000 });
  const rt = r.n.reachableTime('eth0');
  assert.ok(rt >= 6 && rt < 18, String(rt));
  assert.equal(r.n.reachableTime('eth0'), rt);
  const d = rig().n.reachableTime('eth0');
  assert.ok(d >= 15 && d < 45, String(d));
});

test('REACHABLE → STALE after reachable_time (silent); a use then: DELAY, 5 s later a unicast probe; the answer: REACHABLE', () => {
  const r = rig({ 'net.ipv4.neigh.eth0.base_reachable_time_ms': 12000 });
  r.send(0);
  r.reply(0.001);
  r.send(21); // past 3/2·base and the timer wheel's slack (2.048 s at 18 s): STALE for sure
  // The DELAY timer: jiffy 5250 + 1250 in level 2, rounded up to the next 64: 6528 (26.112 s).
  r.until(26.1125);
  r.reply(26.1125);
  r.send(27);
  r.until(40);
  assert.deepEqual(r.sent, [
    { t: 0, kind: 'req' },
    { t: 0.001, kind: 'ip' },
    { t: 21, kind: 'ip' },
    // natbox's time under its own tick phase; the kernel's, with another phase, anywhere in the
    // DELAY timer's 64-jiffy bucket after 26 s.
    { t: 26.112, kind: 'probe', window: [26, 26.256] },
    { t: 27, kind: 'ip' },
  ]);
  assert.ok(r.n.isReachable('eth0', B));
});

test('a use inside the random range: the probe carries the window of the kernel’s expiry plus delay_first_probe_time', () => {
  const r = rig({ 'net.ipv4.neigh.eth0.base_reachable_time_ms': 12000 });
  r.send(0);
  r.reply(0.001);
  const rt = r.n.reachableTime('eth0');
  const u = Math.min(17.9, rt + 0.5); // after natbox's expiry, before the latest possible one
  r.send(u);
  r.until(u + 5.5);
  const probe = r.sent.find((s) => s.kind === 'probe')!;
  assert.equal(probe.t, Math.round(kernelTimerAt(u, 1250, false) * 1e6) / 1e6);
  const hi = 0.001 + 18 + wheelSlack(18) + 5 + wheelSlack(5);
  assert.deepEqual(probe.window, [Math.round((0.001 + 6 + 5) * 1e3) / 1e3, Math.round(hi * 1e3) / 1e3]);
  assert.equal(wheelSlack(5), 0.256); // 1250 jiffies at HZ 250: level 2, 64 jiffies
  assert.equal(wheelSlack(18), 2.048); // level 3, 512 jiffies
  assert.equal(wheelSlack(0.8), 0.032); // proxy_delay: level 1, 8 jiffies
});

test('confirmations (neigh_confirm) keep it REACHABLE: no probe however long the flow', () => {
  const r = rig({ 'net.ipv4.neigh.eth0.base_reachable_time_ms': 4000 });
  r.send(0);
  r.reply(0.001);
  for (let t = 1; t <= 30; t++) {
    r.send(t);
    r.n.confirm('eth0', B);
  }
  r.until(31);
  assert.deepEqual(
    r.sent.filter((s) => s.kind !== 'ip'),
    [{ t: 0, kind: 'req' }],
  );
  assert.ok(r.n.isReachable('eth0', B));
});

test('without confirmations the same flow is probed: STALE, DELAY on the next use, PROBE 5 s later', () => {
  const r = rig({ 'net.ipv4.neigh.eth0.base_reachable_time_ms': 4000 });
  r.send(0);
  r.reply(0.001);
  const rt = r.n.reachableTime('eth0'); // [2, 6): the expiry finds the last use (0.001) within 5 s when rt < 5
  for (let t = 1; t <= 12; t++) r.send(t);
  r.until(13);
  const first = r.sent.find((s) => s.kind === 'probe')!;
  // Used within 5 s of the expiry (the last use 0.001 s): DELAY from the REACHABLE timer's handler;
  // else STALE, DELAY from the next send. Then the 5 s timer as the timer wheel runs it.
  const inTimer = rt + 0.001 <= 5.001;
  const at = kernelTimerAt(inTimer ? rt + 0.001 : Math.ceil(rt + 0.001), 1250, false, inTimer);
  assert.ok(Math.abs(first.t - at) < 1e-3, `${first.t} vs ${at} (rt ${rt})`);
  assert.ok(first.window, 'a probe after a random expiry carries a window');
});

test('PROBE unanswered: ucast_solicit unicast probes retrans_time apart, then mcast_resolicit broadcasts, then FAILED', () => {
  const r = rig({
    'net.ipv4.neigh.eth0.base_reachable_time_ms': 2000,
    'net.ipv4.neigh.eth0.ucast_solicit': 2,
    'net.ipv4.neigh.eth0.mcast_resolicit': 1,
    'net.ipv4.neigh.eth0.retrans_time_ms': 500,
    'net.ipv4.neigh.eth0.delay_first_probe_time': 2,
  });
  r.send(0);
  r.reply(0.001);
  r.send(10); // STALE since ≤ 3.001 + slack: DELAY
  r.until(20);
  // neigh->timer as the timer wheel runs it: jiffy 2500 + 500 (level 1) rounded up to 3008
  // (12.032 s); then re-armed from the handler (the wheel's clock one ahead) for 125 jiffies:
  // 3009 + 125 to 3136 (12.544 s), 3137 + 125 to 3264 (13.056 s).
  assert.deepEqual(
    r.sent.slice(3).map((s) => [s.t, s.kind]),
    [
      [12.032, 'probe'],
      [12.544, 'probe'],
      [13.056, 'req'],
    ],
  );
  assert.equal(r.n.get('eth0', B), undefined); // FAILED: forgotten
  r.send(20);
  assert.deepEqual(r.sent.at(-1), { t: 20, kind: 'req' });
});

test('INCOMPLETE: mcast_solicit broadcast requests retrans_time apart, then the packets are dropped', () => {
  const r = rig({ 'net.ipv4.neigh.eth0.mcast_solicit': 2, 'net.ipv4.neigh.eth0.retrans_time_ms': 300 });
  r.send(0);
  r.until(5);
  // 300 ms = 75 jiffies, in the timer wheel's level 1: rounded up to the next 8 (80: 0.32 s).
  assert.deepEqual(r.sent, [
    { t: 0, kind: 'req' },
    { t: 0.32, kind: 'req' },
  ]);
  assert.deepEqual(r.drops, [DropReason.NEIGH_FAILED]);
});

test('a resolution with nothing waiting (a redirect’s new gateway, eventSend): broadcast requests, no drop counted', () => {
  const r = rig();
  r.until(1);
  r.n.eventSend('eth0', B);
  r.n.eventSend('eth0', B); // already INCOMPLETE: nothing more
  r.until(10);
  // neigh->timer as the timer wheel runs it: jiffy 250 + 250 rounded up to 504 (2.016 s), then
  // from the timer (the wheel's clock one ahead) 504 + 250 to 760 (3.04 s).
  assert.deepEqual(r.sent, [
    { t: 1, kind: 'req' },
    { t: 2.016, kind: 'req' },
    { t: 3.04, kind: 'req' },
  ]);
  assert.deepEqual(r.drops, []);
});

test('a broadcast reply leaves a neighbour being resolved STALE: its first use probes 5 s later', () => {
  const r = rig();
  r.send(0);
  r.until(0.001);
  const bcast = arpReplyFrame(MAC_B, B, MAC_A, A);
  bcast.fill(0xff, 0, 6);
  r.n.input(makeIface('eth0', 'eth', MAC_A, [{ addr: A, len: 24 }]), bcast);
  assert.equal(r.n.isReachable('eth0', B), false);
  r.until(6);
  assert.deepEqual(
    r.sent.map((s) => [s.t, s.kind]),
    [
      [0, 'req'],
      [0.001, 'ip'],
      [5.12, 'probe'], // jiffy 0 + 1250 rounded up to 1280 (level 2, 64 jiffies)
    ],
  );
});

test('locktime: another MAC’s reply within 1 s of the entry’s last change is ignored; later it overrides', () => {
  const r = rig();
  const eth0 = makeIface('eth0', 'eth', MAC_A, [{ addr: A, len: 24 }]);
  const MAC_C = new Uint8Array([2, 0, 0, 0, 0, 3]);
  r.send(0);
  r.reply(0.001); // REACHABLE with MAC_B (neigh->updated 0.001 s)
  r.until(0.9);
  r.n.input(eth0, arpReplyFrame(MAC_C, B, MAC_A, A)); // within locktime: the first answer stays
  assert.deepEqual([...r.n.get('eth0', B)!], [...MAC_B]);
  r.until(1.2);
  r.n.input(eth0, arpReplyFrame(MAC_C, B, MAC_A, A)); // past it: overrides, REACHABLE
  assert.deepEqual([...r.n.get('eth0', B)!], [...MAC_C]);
  assert.ok(r.n.isReachable('eth0', B));
  // A gratuitous reply (sender = target, target MAC its own) overrides at once.
  r.until(1.3);
  const garp = arpReplyFrame(MAC_B, B, MAC_B, B);
  r.n.input(eth0, garp);
  assert.deepEqual([...r.n.get('eth0', B)!], [...MAC_B]);
});

test('locktime 0: a later jiffy’s reply overrides; one in the same jiffy does not', () => {
  const r = rig({ 'net.ipv4.neigh.eth0.locktime': 0 });
  const eth0 = makeIface('eth0', 'eth', MAC_A, [{ addr: A, len: 24 }]);
  const MAC_C = new Uint8Array([2, 0, 0, 0, 0, 3]);
  r.send(0);
  r.reply(0.0001); // jiffy 0
  r.until(0.0002);
  r.n.input(eth0, arpReplyFrame(MAC_C, B, MAC_A, A)); // still jiffy 0: ignored
  assert.deepEqual([...r.n.get('eth0', B)!], [...MAC_B]);
  r.until(0.005); // jiffy 1
  r.n.input(eth0, arpReplyFrame(MAC_C, B, MAC_A, A));
  assert.deepEqual([...r.n.get('eth0', B)!], [...MAC_C]);
});
