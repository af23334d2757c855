// A simulated network: hosts (stack/Host) joined by links. A link with two ends is a cable (a veth
// pair); with more it is a learning switch. Links carry Ethernet frames with a small delay and
// record frames for captures (up to MAX_CAPTURED in all). Owns the clock, the seeded RNG and the
// tracer hookup.
//
// It also watches for storms. Bridges and switches never change a frame, so a frame that goes
// round a loop crosses the same link again and again, byte for byte (retransmissions mostly differ
// in their IP id, TTL or timestamps; ARP retries are a second apart). When the same frame crosses
// the same link STORM_REPEATS times within STORM_WINDOW seconds of virtual time and the links it
// crossed hold a cycle, the world stops the run and names the loop: the links that frame kept
// crossing, less those that only lead out of the loop (a host hanging off a bridge). Without a
// cycle it is an endpoint sending the same bytes again (a RST answering each retransmission): the
// run goes on. The memory it takes is fixed (a table of STORM_SLOTS entries, no object per frame).
//
// System call windows (HostEnv.syscall). On veth, a frame sent is taken in by the peer in the
// softirq of the sender's own context: veth_xmit → __netif_rx queues it on this CPU's backlog,
// and the local_bh_enable that ends __dev_queue_xmit runs net_rx_action → process_backlog, which
// takes in that frame, the frames it makes the next hosts send, and so on, all before the sender's
// call goes on. A socket's system call (connect(), send(), close()) holds the socket meanwhile
// (lock_sock: sock_owned_by_user), so whatever that chain brings back to the socket waits in its
// backlog (tcp_add_backlog) or, an ICMP redirect, is dropped (tcp_v4_err). The world marks each delivery with the window whose
// frames set it off (a frame a timer sends belongs to none) and runs the window's `done` when the
// last of them has been taken in: the end of the softirq chain, where release_sock takes over.
// The kernel's softirq ends early after netdev_budget (300) frames, restarted at most
// MAX_SOFTIRQ_RESTART (10) times, and within 2 ms of CPU time (the rest goes to ksoftirqd, and the
// system call goes on): a window of more than SYSCALL_BUDGET deliveries ends there, a point that on
// the kernel depends on its speed (no scenario here comes near it). A frame sent outside every
// window (a timer's, a write()) starts a chain of its own (chain()), and an application a delivery
// wakes runs once its chain is over (HostEnv.wake): the server's answer, the client's close.
import { formatIpv4 } from '../wire/addr.ts';
import { read16, read32 } from '../wire/checksum.ts';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETH_HEADER_LEN, ethType } from '../wire/ethernet.ts';
import { SeededRng } from '../netfilter/nat/nat-core.ts';
import { Host, LINKWATCH_DELAY, type HostConfig, type HostEnv } from '../stack/host.ts';
import { isStpGroup } from '../stack/bridge.ts';
import { macKey } from '../stack/iface.ts';
import { copyFrameWindow, hasPendingConfirm, markPendingConfirm } from '../stack/neigh.ts';
import type { StackTracer } from '../stack/steps.ts';
import { Scheduler } from './scheduler.ts';
import type { SimEvent } from './events.ts';

/** A frame crossing the same link this many times within STORM_WINDOW is going round a loop. */
export const STORM_REPEATS = 8;
/** Seconds of virtual time (a loop of bridges repeats a frame every few tenths of a millisecond). */
export const STORM_WINDOW = 1;
/** Slots of the repeat table (fixed memory: a few hundred kilobytes). */
const STORM_SLOTS = 1 << 14;
/** Frames kept for captures, all links together; later frames are counted, not kept. */
export const MAX_CAPTURED = 200_000;
/** Deliveries a system call's window takes in at most (netdev_budget × MAX_SOFTIRQ_RESTART). */
export const SYSCALL_BUDGET = 3000;

const noop = (): void => {};

export interface Endpoint {
  readonly host: string;
  readonly iface: string;
}

export interface LinkConfig {
  readonly name: string;
  readonly endpoints: readonly Endpoint[];
}

export interface WorldConfig {
  readonly hosts: readonly (HostConfig & {
    listen: readonly {
      proto: 'tcp' | 'udp';
      port: number;
      bind?: number;
      replyPort?: number;
      ftp?: boolean;
      closeFirst?: boolean;
      transparent?: boolean;
    }[];
  })[];
  readonly links: readonly LinkConfig[];
  readonly seed?: number;
  /** One-way delay of every link, in seconds. */
  readonly latency?: number;
  /** The wall-clock time of simulation time 0 (seconds since 1970 UTC): -m time's clock. */
  readonly epoch?: number;
  /** Commands run on hosts at given times (sim/events.ts). */
  readonly events?: readonly SimEvent[];
}

export interface Captured {
  readonly t: number;
  readonly from: Endpoint;
  readonly frame: Uint8Array;
}

class Link {
  readonly captures: Captured[] = [];
  /** Frames put on this link (kept or not). */
  sent = 0;
  /** Switch learning table: MAC → endpoint index. */
  private readonly fdb = new Map<string, number>();
  constructor(
    readonly cfg: LinkConfig,
    readonly index: number,
  ) {}

  /** Switch ports whose carrier is off (their host's device is down): disabled. */
  private readonly disabled = new Set<number>();

  /** The endpoints a frame from endpoint `from` reaches. */
  targets(from: number, frame: Uint8Array): number[] {
    const n = this.cfg.endpoints.length;
    if (n === 2) return [1 - from];
    if (this.disabled.size > 0 && this.disabled.has(from)) return [];
    this.fdb.set(macKey(frame, 6), from);
    const to = this.fdb.get(macKey(frame, 0));
    if (to !== undefined && to !== from) return this.disabled.has(to) ? [] : [to];
    // br_flood: the live switch's ports newest first (br_add_if puts each at the head of
    // port_list), so the endpoint listed last gets a flooded frame first.
    return [...Array(n).keys()].filter((i) => i !== from && !this.disabled.has(i)).reverse();
  }

  /**
   * The switch port of endpoint `i` loses or regains its carrier: disabled, and the MACs learned
   * on it forgotten (br_stp_disable_port → br_fdb_delete_by_port); forwarding again when it is back
   * (no STP).
   */
  /** A new carrier change of endpoint `i`: its number (a pending one older than it is void). */
  carrierChange(i: number): number {
    const g = (this.gens.get(i) ?? 0) + 1;
    this.gens.set(i, g);
    return g;
  }

  carrierGen(i: number): number {
    return this.gens.get(i) ?? 0;
  }

  private readonly gens = new Map<number, number>();

  portCarrier(i: number, on: boolean): void {
    if (on) {
      this.disabled.delete(i);
      return;
    }
    this.disabled.add(i);
    for (const [mac, at] of this.fdb) if (at === i) this.fdb.delete(mac);
  }
}

/** An open window: deliveries still pending, taken in, what runs at the end, the window it is in. */
interface OpenWindow {
  pending: number;
  taken: number;
  done: () => void;
  /** xmit's window of one frame: the system call's window it is part of (0: none). */
  readonly parent: number;
}

export class World {
  readonly sched: Scheduler;
  readonly rng: SeededRng;
  readonly hosts = new Map<string, Host>();
  readonly links: Link[] = [];
  private readonly attach = new Map<string, { link: Link; index: number }>();
  private readonly latency: number;
  tracer: StackTracer | undefined;
  /** Frames not kept for captures (beyond MAX_CAPTURED). */
  capturesDropped = 0;
  private captured = 0;
  // The repeat table: frame hash, link index + 1, count, time of the first crossing counted.
  private readonly rHash = new Int32Array(STORM_SLOTS);
  private readonly rLink = new Int32Array(STORM_SLOTS);
  private readonly rCount = new Uint16Array(STORM_SLOTS);
  private readonly rFirst = new Float64Array(STORM_SLOTS);
  /** The first broadcast or multicast frame seen crossing a link twice: the likely cause. */
  private bcast: { h: number; frame: Uint8Array } | undefined;
  /** The system call window whose chain the running event belongs to (0: none). */
  private window = 0;
  private windows = 0;
  /** The last chain started outside every window (chain()), and when. */
  private loose = 0;
  private looseAt = -1;
  /** Open windows: deliveries still pending, deliveries taken in, and what runs at the end. */
  private readonly open = new Map<number, OpenWindow>();

  constructor(cfg: WorldConfig, tracer?: StackTracer, maxPending?: number) {
    this.sched = new Scheduler(maxPending);
    this.rng = new SeededRng(cfg.seed ?? 1);
    this.latency = cfg.latency ?? 0.0001;
    this.tracer = tracer;
    for (const l of cfg.links) {
      const link = new Link(l, this.links.length);
      this.links.push(link);
      l.endpoints.forEach((e, index) => this.attach.set(`${e.host}\0${e.iface}`, { link, index }));
    }
    const sched = this.sched;
    sched.onBudget = (_kind, text) => this.budgetText(text);
    const env: HostEnv = {
      now: () => sched.now,
      transmit: (host, ifname, frame) => this.transmit(host.name, ifname, frame),
      // Work deferred to the current time (loopback's process_backlog, a reject's conntrack
      // release) stays in the window it was deferred from; a timer that waits starts none.
      timer: (at, fn) => {
        const w = at <= sched.now ? this.window : 0;
        if (w === 0) return sched.at(at, fn);
        this.pend(w);
        sched.at(at, () => this.within(w, fn));
      },
      syscall: (fn, done) => this.syscall(fn, done),
      wake: (fn) => this.wake(fn),
      xmit: (fn, then) => this.xmit(fn, then),
      linkChanged: (host, ifname, up) => this.linkChanged(host.name, ifname, up),
      rng: this.rng,
      tracer: this.tracer,
      ...(cfg.epoch !== undefined ? { epoch: cfg.epoch } : {}),
    };
    for (const h of cfg.hosts) {
      const host = new Host(h, env);
      for (const l of h.listen) host.sockets.listen(l.proto, l.port, l);
      this.hosts.set(h.name, host);
    }
  }

  host(name: string): Host {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`no host ${name}`);
    return h;
  }

  /**
   * A device set down or up: on a cable, the far end's carrier goes with it (veth_close,
   * veth_open); on a switch (the live run's bridge in a namespace of its own), the port's carrier,
   * so the switch disables it and forgets the MACs it learned there (br_fdb_delete_by_port).
   */
  private linkChanged(hostName: string, ifname: string, up: boolean): void {
    const a = this.attach.get(`${hostName}\0${ifname}`);
    if (!a) return;
    const eps = a.link.cfg.endpoints;
    if (eps.length === 2) {
      const ep = eps[1 - a.index]!;
      this.hosts.get(ep.host)?.setCarrier(ep.iface, up);
      return;
    }
    // The switch's port: as a host's carrier (Host.setCarrier), lost when linkwatch runs, at the
    // latest LINKWATCH_DELAY later unless it is back by then; back at once.
    const link = a.link;
    const gen = link.carrierChange(a.index);
    if (up) link.portCarrier(a.index, true);
    else
      this.sched.at(this.sched.now + LINKWATCH_DELAY, () => {
        if (link.carrierGen(a.index) === gen) link.portCarrier(a.index, false);
      });
  }

  private transmit(hostName: string, ifname: string, frame: Uint8Array): void {
    const a = this.attach.get(`${hostName}\0${ifname}`);
    if (!a) return; // an interface with no cable: the frame goes nowhere
    if (this.sched.stopped) return;
    const copy = frame.slice();
    const confirm = hasPendingConfirm(frame);
    a.link.sent++;
    if (this.captured < MAX_CAPTURED) {
      this.captured++;
      a.link.captures.push({ t: this.sched.now, from: a.link.cfg.endpoints[a.index]!, frame: copy });
    } else this.capturesDropped++;
    if (this.repeated(a.link, copy)) return;
    for (const i of a.link.targets(a.index, copy)) {
      const ep = a.link.cfg.endpoints[i]!;
      const dst = this.hosts.get(ep.host);
      if (!dst) continue;
      const f = copy.slice();
      if (confirm) markPendingConfirm(f); // the skb crosses the veth with its dst_pending_confirm
      copyFrameWindow(frame, f); // a frame sent at a random time: its window too
      const w = this.window || this.chain();
      if (w === 0) this.sched.at(this.sched.now + this.latency, () => dst.receive(ep.iface, f));
      else {
        this.pend(w);
        this.sched.at(this.sched.now + this.latency, () => this.within(w, () => dst.receive(ep.iface, f)));
      }
    }
  }

  /**
   * A system call's window: `fn` runs in it, and `done` once the chain of deliveries it set off
   * is over (at once when it sent nothing).
   */
  private syscall(fn: () => void, done: () => void): void {
    const w = ++this.windows;
    this.open.set(w, { pending: 1, taken: 0, done, parent: 0 });
    this.within(w, fn);
  }

  /**
   * The chain a frame sent outside every window starts (a timer's, an application's write): the
   * softirq that takes it in, and what that sets off, as a system call's window without a `done`
   * of its own. Frames sent at one moment share one (one softirq takes in the backlog they join).
   */
  private chain(): number {
    const now = this.sched.now;
    if (this.loose !== 0 && this.looseAt === now && this.open.has(this.loose)) return this.loose;
    this.loose = ++this.windows;
    this.looseAt = now;
    this.open.set(this.loose, { pending: 0, taken: 0, done: noop, parent: 0 });
    return this.loose;
  }

  /**
   * An application woken now (a server's read returning a line) runs once the chain under way is
   * over: the softirq that woke it takes in every frame its chain put on the backlog before the
   * CPU returns to a process (net_rx_action → process_backlog; on this 2-CPU machine the woken
   * process is later too: gen-1415-17.yaml). After a system call's own `done` (release_sock).
   */
  private wake(fn: () => void): void {
    let o = this.window !== 0 ? this.open.get(this.window) : undefined;
    // Within one frame of a train (xmit): the system call's window, whose chain goes on.
    while (o && o.parent !== 0 && this.open.has(o.parent)) o = this.open.get(o.parent);
    if (!o) return fn();
    const done = o.done;
    o.done = () => {
      done();
      fn();
    };
  }

  /**
   * One frame of a system call's train: tcp_sendmsg → tcp_push → tcp_write_xmit sends a write's
   * segments one by one, and each tcp_transmit_skb → ip_queue_xmit → dev_queue_xmit → veth_xmit →
   * __netif_rx, then the local_bh_enable that ends __dev_queue_xmit runs net_rx_action →
   * process_backlog: the chain that segment sets off (the router forwarding it, the server's quick
   * ACK coming back to the socket's backlog) is over before tcp_write_xmit sends the next. `fn`
   * sends the frame in a window of its own within the current one; `then` runs in the current
   * window when that window ends. Outside every window (a timer's retransmission: softirq
   * context, where dev_queue_xmit's local_bh_enable runs nothing) the frames go back to back.
   */
  private xmit(fn: () => void, then: () => void): void {
    const outer = this.window;
    if (outer === 0 || !this.open.has(outer)) {
      fn();
      then();
      return;
    }
    this.pend(outer);
    const w = ++this.windows;
    this.open.set(w, { pending: 1, taken: 0, done: () => this.within(outer, then), parent: outer });
    this.within(w, fn);
  }

  private pend(w: number): void {
    const o = this.open.get(w);
    if (o) o.pending++;
  }

  /** Runs `fn` as part of window `w`, then counts it done; the window's last ends the window. */
  private within(w: number, fn: () => void): void {
    const outer = this.window;
    this.window = w;
    try {
      fn();
    } finally {
      this.window = outer;
    }
    const o = this.open.get(w);
    if (!o) return; // ended early (SYSCALL_BUDGET): the rest of its chain runs on its own
    o.pending--;
    if (o.pending > 0 && ++o.taken < SYSCALL_BUDGET) return;
    this.open.delete(w);
    o.done();
  }

  run(until: number): boolean {
    return this.sched.run(until);
  }

  /** Counts the frame on the link; true when that makes a storm (the run is stopped then). */
  private repeated(link: Link, frame: Uint8Array): boolean {
    const h = fnv1a(frame);
    const li = link.index + 1;
    const slot = ((h ^ Math.imul(li, 0x9e3779b1)) >>> 0) & (STORM_SLOTS - 1);
    const now = this.sched.now;
    if (this.rHash[slot] === h && this.rLink[slot] === li && now - this.rFirst[slot]! <= STORM_WINDOW) {
      const n = ++this.rCount[slot]!;
      // Three crossings within the window: no ARP retry does that (they are a second apart).
      if (n === 3 && !this.bcast && (frame[0]! & 1) === 1) this.bcast = { h, frame };
      if (n < STORM_REPEATS) return false;
      // No cycle among the links this frame crossed: not a loop but endpoints sending the same
      // bytes again (a host's RST without timestamps or IP id answering each retransmission, as
      // tcp_v4_send_reset does): Linux runs on, so does the simulation (the queue budget still
      // bounds a run that never ends). Counting starts again.
      if (this.loopOf(new Set(this.linksOf(h).keys())).length === 0) {
        this.rCount[slot] = 1;
        this.rFirst[slot] = now;
        return false;
      }
      // A broadcast going round is what starts a storm (the unicast frames that go round with it
      // follow from the FDB entries it keeps moving): name it when it is still going round.
      const b = this.bcast;
      const cause = b && this.linksOf(b.h).size > 0 ? b : { h, frame };
      this.sched.stop('storm', this.stormText(cause.h, cause.frame));
      return true;
    }
    this.rHash[slot] = h;
    this.rLink[slot] = li;
    this.rCount[slot] = 1;
    this.rFirst[slot] = now;
    return false;
  }

  /** The links (by index) a frame with hash `h` crossed more than once lately, with the counts. */
  private linksOf(h: number): Map<number, { n: number; first: number }> {
    const out = new Map<number, { n: number; first: number }>();
    const now = this.sched.now;
    for (let s = 0; s < STORM_SLOTS; s++)
      if (this.rHash[s] === h && this.rCount[s]! > 1 && now - this.rFirst[s]! <= STORM_WINDOW)
        out.set(this.rLink[s]! - 1, { n: this.rCount[s]!, first: this.rFirst[s]! });
    return out;
  }

  /**
   * The loop among `links`: hosts are nodes, a cable an edge (a switch a node of its own); nodes
   * with fewer than two edges are removed until none is left (the 2-core). What stays is the loop.
   */
  private loopOf(links: Set<number>): number[] {
    const edges = [...links].flatMap((li) => {
      const eps = this.links[li]!.cfg.endpoints;
      if (eps.length === 2) return [{ li, a: eps[0]!.host, b: eps[1]!.host }];
      return eps.map((e) => ({ li, a: `\0${this.links[li]!.cfg.name}`, b: e.host }));
    });
    let alive = edges;
    for (;;) {
      const deg = new Map<string, number>();
      for (const e of alive) {
        deg.set(e.a, (deg.get(e.a) ?? 0) + 1);
        deg.set(e.b, (deg.get(e.b) ?? 0) + 1);
      }
      const next = alive.filter((e) => deg.get(e.a)! >= 2 && deg.get(e.b)! >= 2);
      if (next.length === alive.length) break;
      alive = next;
    }
    return [...new Set(alive.map((e) => e.li))].sort((x, y) => x - y);
  }

  private linkText(li: number): string {
    return this.links[li]!.cfg.endpoints.map((e) => `${e.host}:${e.iface}`).join('–');
  }

  /** The words of a storm verdict: where the loop is, which bridges lack STP, what went round. */
  private stormText(h: number, frame: Uint8Array): string {
    const crossed = this.linksOf(h);
    const loop = this.loopOf(new Set(crossed.keys()));
    const links = loop.length > 0 ? loop : [...crossed.keys()].sort((x, y) => x - y);
    let most = links[0] ?? 0;
    for (const li of links) if ((crossed.get(li)?.n ?? 0) > (crossed.get(most)?.n ?? 0)) most = li;
    const count = crossed.get(most)?.n ?? 0;
    const span = this.sched.now - (crossed.get(most)?.first ?? this.sched.now);
    const seen = `${frameWords(frame)} crossed ${this.linkText(most)} ${count} times in ${(span * 1000).toFixed(1)} ms`;
    const stoppedAt = `the run was stopped at t = ${this.sched.now.toFixed(6)} s`;
    if (loop.length === 0) {
      // The same frame again and again, but no cycle among the links it crossed: say what was seen.
      return `frames repeating on ${links.map((li) => this.linkText(li)).join(', ')} (no loop of links found): ${seen}; ${stoppedAt}`;
    }
    const hosts: string[] = [];
    const bridges: string[] = [];
    const noStp: string[] = [];
    for (const li of loop)
      for (const e of this.links[li]!.cfg.endpoints) {
        const host = this.hosts.get(e.host);
        const master = host?.ifaces.get(e.iface)?.master;
        if (!host || !master) continue;
        if (!hosts.includes(e.host)) hosts.push(e.host);
        const name = `${e.host} ${master}`;
        if (bridges.includes(name)) continue;
        bridges.push(name);
        if (!host.bridges.get(master)?.stpEnabled) noStp.push(name);
      }
    const bcast = (frame[0]! & 1) === 1;
    const where =
      hosts.length === 0
        ? `on ${loop.map((li) => this.linkText(li)).join(', ')}`
        : hosts.length === 1
          ? `on ${hosts[0]}`
          : `between ${hosts.slice(0, -1).join(', ')} and ${hosts[hosts.length - 1]}`;
    const why =
      noStp.length === 0
        ? 'a loop'
        : noStp.length === bridges.length
          ? 'a loop without STP'
          : `a loop (STP is off on ${noStp.join(', ')})`;
    return (
      `${bcast ? 'broadcast storm' : 'frames circulating'} ${where}: ${why} ` +
      `(${loop.map((li) => this.linkText(li)).join(', ')}); ${seen}, and bridges without STP forward it round ` +
      `for ever, as Linux does (stp: true on a bridge cuts the loop); ${stoppedAt}`
    );
  }

  /** A budget was spent: say so, and name the links that carried the most frames. */
  private budgetText(text: string): string {
    const busiest = this.links
      .map((l, li) => ({ li, n: l.sent }))
      .filter((x) => x.n > 0)
      .sort((a, b) => b.n - a.n)
      .slice(0, 3)
      .map((x) => `${this.linkText(x.li)} (${x.n.toLocaleString('en-US')} frames)`);
    return `the run was stopped at t = ${this.sched.now.toFixed(6)} s: ${text}${busiest.length ? `; the busiest links were ${busiest.join(', ')}` : ''}`;
  }
}

/**
 * FNV-1a over the frame's length and first 128 bytes (every header, the IP id and checksums that
 * make two packets differ), as a signed 32-bit number (what an Int32Array holds).
 */
function fnv1a(b: Uint8Array): number {
  let h = Math.imul(0x811c9dc5 ^ b.length, 0x01000193);
  const n = Math.min(b.length, 128);
  for (let i = 0; i < n; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h | 0;
}

/** What went round, in a few words. */
function frameWords(f: Uint8Array): string {
  if (f.length < ETH_HEADER_LEN) return 'a frame';
  if (isStpGroup(f)) return 'an STP BPDU';
  const type = ethType(f);
  const o = ETH_HEADER_LEN;
  if (type === ETHERTYPE_ARP && f.length >= o + 28) {
    const op = read16(f, o + 6);
    const spa = formatIpv4(read32(f, o + 14));
    const tpa = formatIpv4(read32(f, o + 24));
    return op === 1 ? `the ARP request who-has ${tpa} tell ${spa}` : `the ARP reply ${spa} is-at … to ${tpa}`;
  }
  if (type === ETHERTYPE_IPV4 && f.length >= o + 20)
    return `an IPv4 packet ${formatIpv4(read32(f, o + 12))} > ${formatIpv4(read32(f, o + 16))} (protocol ${f[o + 9]})`;
  return `a frame of type 0x${type.toString(16).padStart(4, '0')}`;
}
