// A Linux bridge (net/bridge/): its ports, the forwarding database it learns, which ports a frame
// may enter and leave by, and, when the bridge runs STP (`stp_state 1`, the kernel's own 802.1D
// spanning tree, net/bridge/br_stp*.c), the protocol that blocks the ports of a loop.
//
// Without STP every port forwards, as on Linux, and a loop of bridges melts down (the simulator's
// storm detector reports it). With STP the bridge sends and reads configuration BPDUs and follows
// the kernel's code: root bridge by lowest bridge id (priority, then MAC), root port by lowest root
// path cost, then designated bridge id, designated port id and own port id; a designated port per
// segment; every other port blocking. Ports that are to forward go through listening and learning,
// forward_delay each (15 s by default: no data crosses a port for 30 s after the start, as on Linux).
// Simplified: no topology change notifications (no TCN BPDUs, no short FDB ageing), no message age
// expiry (links never fail during a run), no RSTP; a port's path cost is 2 (what Linux derives
// from a veth's 10 Gb/s).
//
// The IPv4 side of a bridge (its addresses, bridge netfilter) stays in host.ts.
import { formatMac } from '../wire/addr.ts';
import { read16 } from '../wire/checksum.ts';
import type { Iface } from './iface.ts';
import { macKey } from './iface.ts';
import type { Step } from './steps.ts';
import { DropReason } from '../netfilter/core/drop.ts';

/** Port states, with Linux's numbers (BR_STATE_*). */
export const BR_STATE_DISABLED = 0;
export const BR_STATE_LISTENING = 1;
export const BR_STATE_LEARNING = 2;
export const BR_STATE_FORWARDING = 3;
export const BR_STATE_BLOCKING = 4;
/** The port states' names, by BR_STATE_* number (as `bridge link` prints them). */
export const STATE_NAMES = ['disabled', 'listening', 'learning', 'forwarding', 'blocking'] as const;
export type PortStateName = (typeof STATE_NAMES)[number];

/** STP settings of one bridge, in seconds (ip link … type bridge stp_state 1 priority … forward_delay …). */
export interface StpConfig {
  /** Bridge priority, 0..65535 (Linux default 32768). */
  readonly priority: number;
  /** forward_delay: how long a port listens, then learns (Linux default 15 s; 2..30 s with STP). */
  readonly forwardDelay: number;
  /** hello_time: how often the root sends configuration BPDUs (default 2 s). */
  readonly helloTime: number;
  /** max_age (default 20 s). Carried in BPDUs; information does not expire here (see above). */
  readonly maxAge: number;
}

export const STP_DEFAULTS: StpConfig = { priority: 32768, forwardDelay: 15, helloTime: 2, maxAge: 20 };

/** The path cost of a port: Linux's port_cost() for a 10 Gb/s link (a veth). */
export const PORT_PATH_COST = 2;
/** BR_HOLD_TIME: at most one configuration BPDU a second per port. */
const HOLD_TIME = 1;
/** MESSAGE_AGE_INCR, in seconds (one jiffy and a bit, rounded to the BPDU's 1/256 s). */
const MESSAGE_AGE_INCR = 1 / 256;

/** What a bridge needs of its host. */
export interface BridgeHost {
  readonly name: string;
  readonly tracing: boolean;
  now(): number;
  timer(at: number, fn: () => void): void;
  /** Puts a frame on a port's wire (traced as a frame out of the port). */
  send(port: string, frame: Uint8Array): void;
  trace(s: Step): void;
  /** Counts a drop by its reason; true when a tracer is attached (then trace the step). */
  countDrop(reason: DropReason): boolean;
}

interface StpPort {
  readonly name: string;
  readonly mac: Uint8Array;
  readonly portId: number;
  readonly pathCost: number;
  state: number;
  designatedRoot: string;
  designatedCost: number;
  designatedBridge: string;
  designatedPort: number;
  /** When the information now held was sent by the root (now − message age). */
  designatedAge: number;
  /** Forward delay timer: the generation of the one running (0: none). */
  fdTimer: number;
  holdUntil: number;
  configPending: boolean;
}

export interface ConfigBpdu {
  readonly root: string;
  readonly cost: number;
  readonly bridge: string;
  readonly port: number;
  readonly messageAge: number;
  readonly maxAge: number;
  readonly helloTime: number;
  readonly forwardDelay: number;
}

const STP_GROUP = [0x01, 0x80, 0xc2, 0x00, 0x00, 0x00];

/** Is this frame sent to the STP group address 01:80:c2:00:00:00? */
export function isStpGroup(frame: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (frame[i] !== STP_GROUP[i]) return false;
  return true;
}

/** A bridge id as Linux prints it: `8000.0200c0a80101` (priority, MAC); compares as the id. */
export function bridgeId(priority: number, mac: Uint8Array): string {
  return `${priority.toString(16).padStart(4, '0')}.${formatMac(mac).replaceAll(':', '')}`;
}

function idBytes(id: string): number[] {
  const hex = id.replace('.', '');
  const out: number[] = [];
  for (let i = 0; i < 16; i += 2) out.push(parseInt(hex.slice(i, i + 2), 16));
  return out;
}

function idFrom(b: Uint8Array, o: number): string {
  let s = '';
  for (let i = 0; i < 8; i++) s += (b[o + i] ?? 0).toString(16).padStart(2, '0') + (i === 1 ? '.' : '');
  return s;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A configuration BPDU in its frame: 802.3 + LLC (42 42 03) + the 35-byte BPDU, padded to 60. */
export function configBpduFrame(src: Uint8Array, b: ConfigBpdu): Uint8Array {
  const f = new Uint8Array(60);
  f.set(STP_GROUP, 0);
  f.set(src, 6);
  f[12] = 0;
  f[13] = 3 + 35; // 802.3 length: LLC + BPDU
  f.set([0x42, 0x42, 0x03], 14);
  let o = 17;
  f[o++] = 0; // protocol identifier
  f[o++] = 0;
  f[o++] = 0; // version: 802.1D
  f[o++] = 0; // type: configuration
  f[o++] = 0; // flags: no topology change
  f.set(idBytes(b.root), o);
  o += 8;
  f[o++] = (b.cost >>> 24) & 0xff;
  f[o++] = (b.cost >>> 16) & 0xff;
  f[o++] = (b.cost >>> 8) & 0xff;
  f[o++] = b.cost & 0xff;
  f.set(idBytes(b.bridge), o);
  o += 8;
  f[o++] = (b.port >>> 8) & 0xff;
  f[o++] = b.port & 0xff;
  for (const t of [b.messageAge, b.maxAge, b.helloTime, b.forwardDelay]) {
    const v = Math.min(0xffff, Math.round(t * 256)); // 1/256 s
    f[o++] = v >>> 8;
    f[o++] = v & 0xff;
  }
  return f;
}

/** br_stp_rcv: the configuration BPDU in a frame, or undefined (TCN, RSTP, not a BPDU, short). */
export function parseConfigBpdu(f: Uint8Array): ConfigBpdu | undefined {
  if (f.length < 17 + 35 || !isStpGroup(f) || read16(f, 12) > 1500) return undefined;
  if (f[14] !== 0x42 || f[15] !== 0x42 || f[16] !== 0x03) return undefined;
  const o = 17;
  if (f[o] !== 0 || f[o + 1] !== 0 || f[o + 2] !== 0 || f[o + 3] !== 0) return undefined;
  const t = (i: number): number => read16(f, i) / 256;
  return {
    root: idFrom(f, o + 5),
    cost: ((f[o + 13]! << 24) | (f[o + 14]! << 16) | (f[o + 15]! << 8) | f[o + 16]!) >>> 0,
    bridge: idFrom(f, o + 17),
    port: read16(f, o + 25),
    messageAge: t(o + 27),
    maxAge: t(o + 29),
    helloTime: t(o + 31),
    forwardDelay: t(o + 33),
  };
}

export class Bridge {
  readonly name: string;
  /** The bridge's device: its MAC, addresses, ports (in enslavement order) and FDB. */
  readonly dev: Iface;
  readonly stpEnabled: boolean;
  private readonly host: BridgeHost;
  private readonly stpPorts = new Map<string, StpPort>();
  readonly bridgeId: string;
  designatedRoot: string;
  rootPathCost = 0;
  /** The root port's name ('' on the root bridge or without STP). */
  rootPort = '';
  private maxAge: number;
  private helloTime: number;
  private forwardDelay: number;
  private helloGen = 0;
  private timerGen = 0;
  private readonly myMaxAge: number;
  private readonly myHelloTime: number;
  private readonly myForwardDelay: number;

  constructor(dev: Iface, ports: readonly Iface[], host: BridgeHost, stp?: StpConfig) {
    this.name = dev.name;
    this.dev = dev;
    this.host = host;
    this.stpEnabled = stp !== undefined;
    const s = stp ?? STP_DEFAULTS;
    this.bridgeId = bridgeId(s.priority, dev.mac);
    this.designatedRoot = this.bridgeId;
    this.maxAge = this.myMaxAge = s.maxAge;
    this.helloTime = this.myHelloTime = s.helloTime;
    this.forwardDelay = this.myForwardDelay = s.forwardDelay;
    ports.forEach((p, i) => {
      // br_make_port_id: port priority 32 (0x20) << 10 | port number (from 1, in enslavement order).
      const portId = (0x20 << 10) | (i + 1);
      this.stpPorts.set(p.name, {
        name: p.name,
        mac: p.mac,
        portId,
        pathCost: PORT_PATH_COST,
        // With STP a port is disabled until the bridge enables it (at t = 0, below).
        state: this.stpEnabled ? BR_STATE_DISABLED : BR_STATE_FORWARDING,
        designatedRoot: this.bridgeId,
        designatedCost: 0,
        designatedBridge: this.bridgeId,
        designatedPort: portId,
        designatedAge: 0,
        fdTimer: 0,
        holdUntil: -Infinity,
        configPending: false,
      });
    });
    // br_stp_enable_bridge once every host exists (frames sent in a constructor would be lost).
    if (this.stpEnabled) host.timer(0, () => this.enable());
  }

  // ---- the frame path (br_handle_frame, br_forward, br_flood) ----------------------------------

  /**
   * A frame came in by `port`. STP BPDUs go to the protocol when STP runs (and are flooded like
   * any multicast when it does not: Linux forwards them "to keep loop detection"). A port that is
   * not learning or forwarding drops the frame; a learning port learns its source and drops it.
   * Returns true when the frame goes on (to the bridge itself, or forwarded).
   */
  input(port: Iface, frame: Uint8Array): boolean {
    const p = this.stpPorts.get(port.name);
    if (!p) return false;
    if (this.stpEnabled && isStpGroup(frame)) {
      const b = parseConfigBpdu(frame);
      if (b && p.state !== BR_STATE_DISABLED && b.messageAge <= b.maxAge) this.receivedConfigBpdu(p, b);
      return false;
    }
    if (p.state !== BR_STATE_LEARNING && p.state !== BR_STATE_FORWARDING) {
      if (this.host.countDrop(DropReason.STP_PORT_STATE))
        this.host.trace({
          kind: 'drop',
          host: this.host.name,
          ifname: port.name,
          reason: DropReason.STP_PORT_STATE,
          dev: this.name,
          port: port.name,
          state: p.state,
        });
      return false;
    }
    this.dev.fdb.set(macKey(frame, 6), port.name);
    if (p.state === BR_STATE_LEARNING) {
      if (this.host.countDrop(DropReason.STP_LEARNING))
        this.host.trace({
          kind: 'drop',
          host: this.host.name,
          ifname: port.name,
          reason: DropReason.STP_LEARNING,
          dev: this.name,
          port: port.name,
        });
      return false;
    }
    return true;
  }

  /** should_deliver: only a forwarding port sends frames out. */
  canSend(port: string): boolean {
    return this.stpPorts.get(port)?.state === BR_STATE_FORWARDING;
  }

  /** br_forward: out of the port that leads to the frame's destination MAC, or flood. */
  forward(frame: Uint8Array, except: string): void {
    const out = this.dev.fdb.get(macKey(frame, 0));
    if (out === undefined) return this.flood(frame, except);
    if (out === except) return; // the destination is on the port it came from
    if (this.canSend(out)) this.host.send(out, frame);
  }

  /** br_flood: out of every forwarding port but the one it came in by. */
  flood(frame: Uint8Array, except: string): void {
    // port_list walked from its head: br_add_if adds each port there, so the newest port first.
    const ports = this.dev.ports;
    for (let i = ports.length - 1; i >= 0; i--) {
      const p = ports[i]!;
      if (p !== except && this.canSend(p)) this.host.send(p, frame);
    }
  }

  /** The FDB's port for a destination MAC (bridge netfilter's physdev-out). */
  portFor(frame: Uint8Array): string | undefined {
    return this.dev.fdb.get(macKey(frame, 0));
  }

  /**
   * A port's carrier lost or back (br_port_carrier_check). Lost: br_stp_disable_port: the port
   * disabled (it neither learns nor sends) and the FDB entries learned on it deleted
   * (br_fdb_delete_by_port), so frames to those MACs flood; with STP the other ports' roles are
   * chosen again. Back: br_stp_enable_port: designated and blocking, then the state selection
   * (forwarding at once without STP: br_make_forwarding).
   */
  portCarrier(port: string, on: boolean): void {
    const p = this.stpPorts.get(port);
    if (!p) return;
    if (!on) {
      if (p.state === BR_STATE_DISABLED) return;
      p.fdTimer = 0;
      this.setState(p, BR_STATE_DISABLED);
      for (const [mac, at] of this.dev.fdb) if (at === port) this.dev.fdb.delete(mac);
      if (this.stpEnabled) {
        this.configurationUpdate();
        this.portStateSelection();
      }
      return;
    }
    if (p.state !== BR_STATE_DISABLED) return;
    if (!this.stpEnabled) {
      this.setState(p, BR_STATE_FORWARDING);
      return;
    }
    this.becomeDesignated(p);
    p.state = BR_STATE_BLOCKING;
    this.portStateSelection();
  }

  // ---- introspection -------------------------------------------------------------------------

  /** `bridge link`'s state of a port. */
  portState(port: string): PortStateName | undefined {
    const p = this.stpPorts.get(port);
    return p ? STATE_NAMES[p.state] : undefined;
  }

  /** The port's STP role: root, designated, or blocked (alternate); undefined without STP. */
  portRole(port: string): 'root' | 'designated' | 'blocked' | undefined {
    const p = this.stpPorts.get(port);
    if (!p || !this.stpEnabled) return undefined;
    if (port === this.rootPort) return 'root';
    return this.isDesignated(p) ? 'designated' : 'blocked';
  }

  isRoot(): boolean {
    return this.designatedRoot === this.bridgeId;
  }

  // ---- 802.1D, as net/bridge/br_stp.c, br_stp_if.c, br_stp_timer.c ----------------------------

  private enable(): void {
    // br_stp_enable_bridge: the hello timer (the first BPDUs leave hello_time later), then
    // br_stp_enable_port for each port in turn: designated, blocking, and the state selection
    // makes it listening.
    this.startHello();
    for (const p of this.stpPorts.values()) {
      this.becomeDesignated(p);
      p.state = BR_STATE_BLOCKING;
      this.portStateSelection();
    }
  }

  private startHello(): void {
    const gen = ++this.helloGen;
    const tick = (): void => {
      if (gen !== this.helloGen) return;
      this.configBpduGeneration();
      this.host.timer(this.host.now() + this.helloTime, tick);
    };
    this.host.timer(this.host.now() + this.helloTime, tick);
  }

  private isDesignated(p: StpPort): boolean {
    return p.designatedBridge === this.bridgeId && p.designatedPort === p.portId;
  }

  private supersedes(p: StpPort, b: ConfigBpdu): boolean {
    let t = cmp(b.root, p.designatedRoot);
    if (t !== 0) return t < 0;
    if (b.cost !== p.designatedCost) return b.cost < p.designatedCost;
    t = cmp(b.bridge, p.designatedBridge);
    if (t !== 0) return t < 0;
    if (b.bridge !== this.bridgeId) return true;
    return b.port <= p.designatedPort;
  }

  private receivedConfigBpdu(p: StpPort, b: ConfigBpdu): void {
    const wasRoot = this.isRoot();
    if (this.supersedes(p, b)) {
      p.designatedRoot = b.root;
      p.designatedCost = b.cost;
      p.designatedBridge = b.bridge;
      p.designatedPort = b.port;
      p.designatedAge = this.host.now() - b.messageAge;
      this.configurationUpdate();
      this.portStateSelection();
      if (!this.isRoot() && wasRoot) this.helloGen++; // del_timer(&br->hello_timer)
      if (p.name === this.rootPort) {
        // br_record_config_timeout_values: the root's timers rule the whole tree.
        this.maxAge = b.maxAge;
        this.helloTime = b.helloTime;
        this.forwardDelay = b.forwardDelay;
        this.configBpduGeneration();
      }
    } else if (this.isDesignated(p)) {
      this.transmitConfig(p); // br_reply
    }
  }

  private configurationUpdate(): void {
    // br_root_selection
    let root: StpPort | undefined;
    for (const p of this.stpPorts.values()) if (this.shouldBecomeRootPort(p, root)) root = p;
    const wasRoot = this.isRoot();
    this.rootPort = root?.name ?? '';
    if (!root) {
      this.designatedRoot = this.bridgeId;
      this.rootPathCost = 0;
    } else {
      this.designatedRoot = root.designatedRoot;
      this.rootPathCost = root.designatedCost + root.pathCost;
    }
    if (!wasRoot && this.isRoot()) {
      // br_become_root_bridge: our own timers again, and hello.
      this.maxAge = this.myMaxAge;
      this.helloTime = this.myHelloTime;
      this.forwardDelay = this.myForwardDelay;
      this.startHello();
    }
    // br_designated_port_selection
    for (const p of this.stpPorts.values())
      if (p.state !== BR_STATE_DISABLED && this.shouldBecomeDesignated(p)) this.becomeDesignated(p);
  }

  private shouldBecomeRootPort(p: StpPort, rp: StpPort | undefined): boolean {
    if (this.isDesignated(p) || p.state === BR_STATE_DISABLED) return false;
    if (cmp(this.bridgeId, p.designatedRoot) <= 0) return false;
    if (!rp) return true;
    const t = cmp(p.designatedRoot, rp.designatedRoot);
    if (t !== 0) return t < 0;
    const a = p.designatedCost + p.pathCost;
    const c = rp.designatedCost + rp.pathCost;
    if (a !== c) return a < c;
    const u = cmp(p.designatedBridge, rp.designatedBridge);
    if (u !== 0) return u < 0;
    if (p.designatedPort !== rp.designatedPort) return p.designatedPort < rp.designatedPort;
    return p.portId < rp.portId;
  }

  private shouldBecomeDesignated(p: StpPort): boolean {
    if (this.isDesignated(p)) return true;
    if (p.designatedRoot !== this.designatedRoot) return true;
    if (this.rootPathCost !== p.designatedCost) return this.rootPathCost < p.designatedCost;
    const t = cmp(this.bridgeId, p.designatedBridge);
    if (t !== 0) return t < 0;
    return p.portId < p.designatedPort;
  }

  private becomeDesignated(p: StpPort): void {
    p.designatedRoot = this.designatedRoot;
    p.designatedCost = this.rootPathCost;
    p.designatedBridge = this.bridgeId;
    p.designatedPort = p.portId;
  }

  private portStateSelection(): void {
    for (const p of this.stpPorts.values()) {
      if (p.state === BR_STATE_DISABLED) continue;
      if (p.name === this.rootPort || this.isDesignated(p)) this.makeForwarding(p);
      else {
        p.configPending = false;
        this.makeBlocking(p);
      }
    }
  }

  private makeForwarding(p: StpPort): void {
    if (p.state !== BR_STATE_BLOCKING) return;
    if (this.forwardDelay === 0) {
      this.setState(p, BR_STATE_FORWARDING);
      return;
    }
    this.setState(p, BR_STATE_LISTENING);
    this.startForwardDelay(p);
  }

  private makeBlocking(p: StpPort): void {
    if (p.state === BR_STATE_DISABLED || p.state === BR_STATE_BLOCKING) return;
    this.setState(p, BR_STATE_BLOCKING);
    p.fdTimer = 0;
  }

  private startForwardDelay(p: StpPort): void {
    const gen = (p.fdTimer = ++this.timerGen);
    this.host.timer(this.host.now() + this.forwardDelay, () => {
      if (p.fdTimer !== gen) return;
      p.fdTimer = 0;
      if (p.state === BR_STATE_LISTENING) {
        this.setState(p, BR_STATE_LEARNING);
        this.startForwardDelay(p);
      } else if (p.state === BR_STATE_LEARNING) this.setState(p, BR_STATE_FORWARDING);
    });
  }

  private setState(p: StpPort, state: number): void {
    if (p.state === state) return;
    p.state = state;
    if (this.host.tracing) {
      const role =
        p.name === this.rootPort ? 'root port' : this.isDesignated(p) ? 'designated port' : 'not designated';
      this.host.trace({
        kind: 'config',
        host: this.host.name,
        text: `${this.name}: port ${p.name} entered ${STATE_NAMES[state]} state (STP: ${role}; root ${this.designatedRoot}${this.isRoot() ? ', this bridge' : ` cost ${this.rootPathCost}`})`,
      });
    }
  }

  private configBpduGeneration(): void {
    for (const p of this.stpPorts.values())
      if (p.state !== BR_STATE_DISABLED && this.isDesignated(p)) this.transmitConfig(p);
  }

  private transmitConfig(p: StpPort): void {
    const now = this.host.now();
    if (now < p.holdUntil) {
      if (!p.configPending) {
        p.configPending = true;
        this.host.timer(p.holdUntil, () => {
          if (p.configPending) this.transmitConfig(p);
        });
      }
      return;
    }
    let messageAge = 0;
    if (!this.isRoot()) {
      const root = this.stpPorts.get(this.rootPort);
      messageAge = now - (root?.designatedAge ?? now) + MESSAGE_AGE_INCR;
    }
    if (messageAge >= this.maxAge) return;
    p.configPending = false;
    p.holdUntil = now + HOLD_TIME;
    this.host.send(
      p.name,
      configBpduFrame(p.mac, {
        root: this.designatedRoot,
        cost: this.rootPathCost,
        bridge: this.bridgeId,
        port: p.portId,
        messageAge,
        maxAge: this.maxAge,
        helloTime: this.helloTime,
        forwardDelay: this.forwardDelay,
      }),
    );
  }
}
