// A simulated network: hosts (stack/Host) joined by links. A link with two ends is a cable (a veth
// pair); with more it is a learning switch. Links carry Ethernet frames with a small delay and
// record every frame for captures. Owns the clock, the seeded RNG and the tracer hookup.
import { SeededRng } from '../netfilter/nat/nat-core.ts';
import { Host, type HostConfig, type HostEnv } from '../stack/host.ts';
import { macKey } from '../stack/iface.ts';
import type { StackTracer } from '../stack/steps.ts';
import { Scheduler } from './scheduler.ts';

export interface Endpoint {
  readonly host: string;
  readonly iface: string;
}

export interface LinkConfig {
  readonly name: string;
  readonly endpoints: readonly Endpoint[];
}

export interface WorldConfig {
  readonly hosts: readonly (HostConfig & { listen: readonly { proto: 'tcp' | 'udp'; port: number }[] })[];
  readonly links: readonly LinkConfig[];
  readonly seed?: number;
  /** One-way delay of every link, in seconds. */
  readonly latency?: number;
}

export interface Captured {
  readonly t: number;
  readonly from: Endpoint;
  readonly frame: Uint8Array;
}

class Link {
  readonly captures: Captured[] = [];
  /** Switch learning table: MAC → endpoint index. */
  private readonly fdb = new Map<string, number>();
  constructor(readonly cfg: LinkConfig) {}

  /** The endpoints a frame from endpoint `from` reaches. */
  targets(from: number, frame: Uint8Array): number[] {
    const n = this.cfg.endpoints.length;
    if (n === 2) return [1 - from];
    this.fdb.set(macKey(frame, 6), from);
    const to = this.fdb.get(macKey(frame, 0));
    if (to !== undefined && to !== from) return [to];
    return [...Array(n).keys()].filter((i) => i !== from);
  }
}

export class World {
  readonly sched = new Scheduler();
  readonly rng: SeededRng;
  readonly hosts = new Map<string, Host>();
  readonly links: Link[] = [];
  private readonly attach = new Map<string, { link: Link; index: number }>();
  private readonly latency: number;
  tracer: StackTracer | undefined;

  constructor(cfg: WorldConfig, tracer?: StackTracer) {
    this.rng = new SeededRng(cfg.seed ?? 1);
    this.latency = cfg.latency ?? 0.0001;
    this.tracer = tracer;
    for (const l of cfg.links) {
      const link = new Link(l);
      this.links.push(link);
      l.endpoints.forEach((e, index) => this.attach.set(`${e.host}\0${e.iface}`, { link, index }));
    }
    const sched = this.sched;
    const env: HostEnv = {
      now: () => sched.now,
      transmit: (host, ifname, frame) => this.transmit(host.name, ifname, frame),
      timer: (at, fn) => sched.at(at, fn),
      rng: this.rng,
      tracer: this.tracer,
    };
    for (const h of cfg.hosts) {
      const host = new Host(h, env);
      for (const l of h.listen) host.sockets.listen(l.proto, l.port);
      this.hosts.set(h.name, host);
    }
  }

  host(name: string): Host {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`no host ${name}`);
    return h;
  }

  private transmit(hostName: string, ifname: string, frame: Uint8Array): void {
    const a = this.attach.get(`${hostName}\0${ifname}`);
    if (!a) return; // an interface with no cable: the frame goes nowhere
    const copy = frame.slice();
    a.link.captures.push({ t: this.sched.now, from: a.link.cfg.endpoints[a.index]!, frame: copy });
    for (const i of a.link.targets(a.index, copy)) {
      const ep = a.link.cfg.endpoints[i]!;
      const dst = this.hosts.get(ep.host);
      if (dst) this.sched.at(this.sched.now + this.latency, () => dst.receive(ep.iface, copy.slice()));
    }
  }

  run(until: number): boolean {
    return this.sched.run(until);
  }
}
