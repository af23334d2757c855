// The differential generator's scenarios (issue 15, `natbox verify --generate`): random networks of
// one to three routers with LANs, WANs, NAT and filter rules and flows, drawn from a seeded RNG so
// that a seed always gives the same scenarios, as a small structure (GenScenario) that renders to
// scenario YAML and that the shrinker (shrinkCandidates) makes smaller one piece at a time.
//
// Families are functions: a topology family builds hosts and links, a rule family adds rules to a
// router, a flow family adds flows. Adding one (ip rules, MTU, timed events, new flow fields, when
// the loader has them) is one function in the lists below; docs/generator.md says which are next.
//
// Constraints that keep every scenario one the comparison can judge (docs/generator.md):
// - ports and ICMP ids of flows, listeners and rules are >= 10000 or one of 80/81/443/5000/5353/8080/8081
//   (numbers of the rules are compared literally, src/oracle/labels.ts);
// - a NAT port range is one port or the wide 20000-60000: a port drawn at random from a small range
//   would be compared as a literal number on both sides (test/verify/found/FINDINGS.md, H4);
// - no two flows start within 0.3 s of each other (flow i starts at slot + 0.3 i, slots 2 s
//   apart): two kernel processes of about the same moment race (FINDINGS.md, H2);
// - only documentation (203.0.113.0/24) and private addresses.

/** A seeded RNG (mulberry32): the same seed, the same draws, on every machine. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

export interface GenIface {
  name: string;
  addrs: string[];
}

export interface GenHost {
  name: string;
  role: 'router' | 'client' | 'server';
  ifaces: GenIface[];
  /** A Linux bridge of the host over some of its interfaces (a router's LAN). */
  bridge?: { name: string; ports: string[]; addrs: string[] };
  routes: string[];
  sysctls: [string, string][];
  /** iptables arguments (after `iptables `), in order. */
  rules: string[];
  listen: string[];
}

export interface GenFlow {
  from: string;
  proto: 'tcp' | 'udp' | 'icmp';
  to: string;
  dport?: number;
  /** Source port (TCP/UDP) or echo id (ICMP). */
  sport?: number;
  at: number;
  hold?: number;
  udpConnect?: boolean;
}

export interface GenScenario {
  /** The campaign seed and the scenario's index in it: `seed`/`index` draw it again. */
  seed: number;
  index: number;
  family: string;
  hosts: GenHost[];
  /** Each link: its endpoints `host:iface` (two: a cable; more: a switch). */
  links: string[][];
  flows: GenFlow[];
}

export interface GenOptions {
  /** LANs behind different routers use the same network (needs a loader that accepts it). */
  overlap?: boolean;
  /**
   * Let two TCP or UDP flows of one host bind the same source port while both are open. Off by
   * default: natbox refuses a UDP bind() as Linux does (EADDRINUSE, udp_lib_get_port;
   * test/conformance/generated/gen-20261202-19.yaml), but two TCP sockets on one port (the
   * kernel's clients set SO_REUSEADDR: the second connect() to the same peer fails) are not
   * modelled yet, so every such scenario would find that difference again and hide others.
   */
  bindClash?: boolean;
}

/** What a rule family knows of the router it writes rules for. */
export interface RouterView {
  name: string;
  /** The uplink interface and its addresses. */
  wan: string;
  wanAddrs: string[];
  /** The LAN device (an interface or the bridge) and its address and network. */
  lan: string;
  lanAddr: string;
  lanNet: string;
  /** A LAN host that listens (DNAT target), if any. */
  nas?: string;
  bridged: boolean;
}

/** The scenario being drawn, for the families. */
interface Draft {
  rng: Rng;
  hosts: GenHost[];
  links: string[][];
  flows: GenFlow[];
  routers: RouterView[];
  /** Hosts beyond the first router's WAN (the "internet") and their addresses. */
  servers: { name: string; addr: string }[];
  /** LAN hosts per router (by index) and their addresses. */
  lanHosts: { name: string; addr: string; router: number }[];
}

const SERVER_LISTEN = ['tcp/80', 'tcp/81', 'tcp/443', 'tcp/8080', 'udp/5000', 'udp/5353'];

function host(name: string, role: GenHost['role']): GenHost {
  return { name, role, ifaces: [], routes: [], sysctls: [], rules: [], listen: [] };
}

// ---- topology ------------------------------------------------------------------------------

/**
 * One to three routers: r1 on the internet segment (servers s1, s2 on 203.0.113.0/24), r2 below r1
 * and r3 below r2 (a line) or below r1 (a tree). A router below another reaches it through the
 * upper router's LAN (as a LAN host) or through a transit cable of its own. Each router has a LAN:
 * a switch of hosts on one interface, a bridge of the router over one cable per host, or one cable.
 */
function topology(d: Draft, opts: GenOptions): string {
  const { rng } = d;
  const n = rng.pick([1, 1, 2, 2, 3]);
  const tree = n === 3 && rng.chance(0.5);
  const nServers = rng.pick([1, 2, 2]);
  const internet: string[] = [];
  const back = rng.chance(0.7);
  for (let i = 1; i <= nServers; i++) {
    const s = host(`s${i}`, 'server');
    const addr = `203.0.113.${9 + i}`;
    s.ifaces.push({ name: 'eth0', addrs: [`${addr}/24`] });
    if (back) s.routes.push('default via 203.0.113.1');
    s.listen = [...SERVER_LISTEN];
    d.hosts.push(s);
    d.servers.push({ name: s.name, addr });
    internet.push(`${s.name}:eth0`);
  }
  const kinds: string[] = [];
  for (let k = 1; k <= n; k++) {
    const r = host(`r${k}`, 'router');
    const parent = k === 1 ? 0 : tree ? 1 : k - 1;
    const lanNet = opts.overlap ? '192.168.1' : `10.${k}.0`;
    const lanAddr = `${lanNet}.1`;
    let wanAddrs: string[];
    if (k === 1) {
      wanAddrs = rng.chance(0.3) ? ['203.0.113.1', '203.0.113.2'] : ['203.0.113.1'];
      r.ifaces.push({ name: 'wan', addrs: wanAddrs.map((a) => `${a}/24`) });
      internet.push('r1:wan');
    } else {
      const up = d.routers[parent - 1]!;
      const viaLan = !opts.overlap && rng.chance(0.5) && !up.bridged;
      if (viaLan) {
        // On the upper router's LAN switch, as one of its hosts.
        wanAddrs = [`${up.lanNet}.${250 + k}`];
        r.ifaces.push({ name: 'wan', addrs: [`${wanAddrs[0]}/24`] });
        const link = d.links.find((l) => l.includes(`${up.name}:${up.lan}`));
        link!.push(`${r.name}:wan`);
        r.routes.push(`default via ${up.lanAddr}`);
      } else {
        wanAddrs = [`172.16.${k}.2`];
        r.ifaces.push({ name: 'wan', addrs: [`${wanAddrs[0]}/24`] });
        const upHost = d.hosts.find((h) => h.name === up.name)!;
        upHost.ifaces.push({ name: `down${k}`, addrs: [`172.16.${k}.1/24`] });
        d.links.push([`${up.name}:down${k}`, `${r.name}:wan`]);
        r.routes.push(`default via 172.16.${k}.1`);
      }
      // The routers above know this LAN (unless the overlap makes it ambiguous, or by chance).
      if (!opts.overlap && rng.chance(0.75)) {
        let via = wanAddrs[0]!;
        for (let u = parent; u >= 1; u = u === 1 ? 0 : tree ? 1 : u - 1) {
          d.hosts.find((h) => h.name === `r${u}`)!.routes.push(`${lanNet}.0/24 via ${via}`);
          via = d.routers[u - 1]!.wanAddrs[0]!;
          if (u === 1) break;
        }
      }
    }
    r.sysctls.push(['net.ipv4.ip_forward', rng.chance(0.95) ? '1' : '0']);
    const kind = rng.pick(['switch', 'switch', 'bridge', 'cable']);
    kinds.push(kind);
    const nHosts = kind === 'cable' ? 1 : rng.int(1, 3);
    const names: string[] = [];
    for (let i = 1; i <= nHosts; i++) {
      const c = host(`h${k}${i}`, 'client');
      const addr = `${lanNet}.${10 + i}`;
      c.ifaces.push({ name: 'eth0', addrs: [`${addr}/24`] });
      if (rng.chance(0.9)) c.routes.push(`default via ${lanAddr}`);
      names.push(c.name);
      d.hosts.push(c);
      d.lanHosts.push({ name: c.name, addr, router: k });
    }
    // The last LAN host often listens: the target of DNAT rules.
    let nas: string | undefined;
    if (rng.chance(0.7)) {
      const last = d.hosts.find((h) => h.name === names[names.length - 1])!;
      last.role = 'server';
      last.listen = ['tcp/80', 'tcp/8080', 'udp/5000'];
      nas = `${lanNet}.${10 + nHosts}`;
    }
    let lan = 'lan';
    if (kind === 'bridge') {
      lan = 'br0';
      const ports = names.map((_, i) => `p${i + 1}`);
      for (const p of ports) r.ifaces.push({ name: p, addrs: [] });
      r.bridge = { name: 'br0', ports, addrs: [`${lanAddr}/24`] };
      names.forEach((h, i) => d.links.push([`${h}:eth0`, `${r.name}:${ports[i]}`]));
      if (rng.chance(0.3)) r.sysctls.push(['net.bridge.bridge-nf-call-iptables', '1']);
    } else {
      r.ifaces.push({ name: 'lan', addrs: [`${lanAddr}/24`] });
      d.links.push([...names.map((h) => `${h}:eth0`), `${r.name}:lan`]);
    }
    if (rng.chance(0.3)) r.listen = ['tcp/8080', 'udp/5353'];
    d.hosts.push(r);
    d.routers.push({
      name: r.name,
      wan: 'wan',
      wanAddrs,
      lan,
      lanAddr,
      lanNet,
      ...(nas ? { nas } : {}),
      bridged: kind === 'bridge',
    });
  }
  d.links.unshift(internet);
  return `${n} router${n > 1 ? 's' : ''}${n === 3 ? (tree ? ' tree' : ' line') : ''}, LANs ${kinds.join('/')}`;
}

// ---- rules ---------------------------------------------------------------------------------

/** A rule family: rules for one router (each a list of iptables argument strings). */
export type RuleFamily = (rng: Rng, r: RouterView) => string[];

const ports = (rng: Rng, proto: string): string =>
  proto ? rng.pick(['', '', ' --to-ports 40000', ' --to-ports 20000-60000']) : '';
const randomFlag = (rng: Rng): string => rng.pick(['', '', '', ' --random', ' --random-fully']);

export const NAT_FAMILIES: Record<string, RuleFamily> = {
  masquerade: (rng, r) => {
    const p = rng.pick(['', '', ' -p tcp', ' -p udp']);
    const s = rng.pick(['', ` -s ${r.lanNet}.0/24`]);
    return [`-t nat -A POSTROUTING -o ${r.wan}${s}${p} -j MASQUERADE${ports(rng, p)}${randomFlag(rng)}`];
  },
  snat: (rng, r) => {
    const p = rng.pick(['', ' -p tcp', ' -p udp']);
    const to =
      r.wanAddrs.length > 1 && rng.chance(0.5) ? `${r.wanAddrs[0]}-${r.wanAddrs[1]}` : rng.pick(r.wanAddrs);
    const port = p ? rng.pick(['', '', ':40000', ':20000-60000']) : '';
    const extra = rng.pick(['', '', ' --persistent', ' --random', ' --random-fully']);
    return [`-t nat -A POSTROUTING -o ${r.wan}${p} -j SNAT --to-source ${to}${port}${extra}`];
  },
  dnat: (rng, r) => {
    if (!r.nas) return [];
    const d = rng.pick(['', ` -d ${r.wanAddrs[0]}`]);
    const f = rng.pick(['tcp', 'tcp', 'udp', 'icmp', 'multiport']);
    if (f === 'icmp')
      return [`-t nat -A PREROUTING -i ${r.wan}${d} -p icmp -j DNAT --to-destination ${r.nas}`];
    if (f === 'multiport')
      return [
        `-t nat -A PREROUTING -i ${r.wan}${d} -p tcp -m multiport --dports 8080,8081 -j DNAT --to-destination ${r.nas}${rng.pick(['', ':80'])}`,
      ];
    const port = f === 'tcp' ? rng.pick(['', ':80', ':8080']) : '';
    return [
      `-t nat -A PREROUTING -i ${r.wan}${d} -p ${f} --dport ${f === 'tcp' ? 8080 : 5000} -j DNAT --to-destination ${r.nas}${port}${rng.pick(['', '', ' --persistent'])}`,
    ];
  },
  redirect: (rng, r) =>
    rng.chance(0.5)
      ? [`-t nat -A PREROUTING -i ${r.lan} -p tcp --dport 80 -j REDIRECT --to-ports 8080`]
      : [`-t nat -A PREROUTING -i ${r.lan} -p udp --dport 5000 -j REDIRECT --to-ports 5353`],
  hairpin: (rng, r) =>
    !r.nas
      ? []
      : rng.chance(0.5)
        ? [`-t nat -A POSTROUTING -o ${r.lan} -s ${r.lanNet}.0/24 -d ${r.nas} -j MASQUERADE`]
        : [`-t nat -A POSTROUTING -o ${r.lan} -m conntrack --ctstate DNAT -j SNAT --to-source ${r.lanAddr}`],
};

export const FILTER_FAMILIES: Record<string, RuleFamily> = {
  stateful: (rng, r) => [
    '-P FORWARD DROP',
    '-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT',
    ...(rng.chance(0.5) ? ['-A FORWARD -m conntrack --ctstate INVALID -j DROP'] : []),
    rng.pick([
      `-A FORWARD -i ${r.lan} -o ${r.wan} -j ACCEPT`,
      `-A FORWARD -i ${r.lan} -m conntrack --ctstate NEW -j ACCEPT`,
      '-A FORWARD -m conntrack --ctstate DNAT -j ACCEPT',
    ]),
  ],
  reject: (rng) => {
    const w = rng.pick([
      '',
      ' --reject-with icmp-host-unreachable',
      ' --reject-with icmp-net-unreachable',
      ' --reject-with icmp-admin-prohibited',
      ' --reject-with icmp-host-prohibited',
      ' --reject-with icmp-proto-unreachable',
    ]);
    return [
      rng.pick([
        `-A FORWARD -p tcp -m multiport --dports 80,443 -j REJECT --reject-with tcp-reset`,
        `-A FORWARD -p udp --dport 5000 -j REJECT${w}`,
        `-A FORWARD -p icmp -j REJECT${w}`,
        `-A FORWARD -p tcp --dport 81 -j REJECT${w}`,
        `-A INPUT -p tcp --dport 8080 -j REJECT --reject-with tcp-reset`,
        `-A INPUT -p udp -j REJECT${w}`,
      ]),
    ];
  },
  drop: (rng, r) => [
    rng.pick([
      '-A FORWARD -p udp --dport 5353 -j DROP',
      `-A FORWARD -i ${r.wan} -p tcp --syn -j DROP`,
      '-A FORWARD -p tcp -m multiport --sports 40000,40001 -j DROP',
      '-A INPUT -p icmp -j DROP',
      '-A OUTPUT -p icmp --icmp-type destination-unreachable -j DROP',
    ]),
  ],
  log: (rng) => [
    rng.pick(['-A FORWARD -j LOG --log-prefix "fwd "', '-A INPUT -m conntrack --ctstate NEW -j LOG']),
  ],
  limit: (rng) => [
    `-A FORWARD -p ${rng.pick(['icmp', 'udp'])} -m limit --limit ${rng.pick(['1/second', '2/minute'])} --limit-burst ${rng.pick([1, 2])} -j ACCEPT`,
    rng.pick(['-A FORWARD -p icmp -j DROP', '-A FORWARD -p udp -j DROP']),
  ],
  mark: (rng, r) => [
    `-t mangle -A PREROUTING -i ${r.lan} -p ${rng.pick(['udp', 'tcp', 'icmp'])} -j MARK --set-mark 0x1`,
    rng.pick(['-A FORWARD -m mark --mark 0x1 -j DROP', '-A FORWARD -m mark ! --mark 0x1 -p udp -j REJECT']),
  ],
  connmark: (rng, r) => [
    `-t mangle -A PREROUTING -i ${r.wan} -m conntrack --ctstate NEW -j CONNMARK --set-mark 0x2`,
    '-t mangle -A PREROUTING -j CONNMARK --restore-mark',
    rng.pick([
      '-A FORWARD -m mark --mark 0x2 -j DROP',
      '-A FORWARD -m connmark --mark 0x2 -p tcp -j REJECT --reject-with tcp-reset',
    ]),
  ],
  notrack: (rng) => [`-t raw -A PREROUTING -p ${rng.pick(['udp', 'icmp'])} -j CT --notrack`],
};

function rules(d: Draft): string {
  const used: string[] = [];
  for (const r of d.routers) {
    const h = d.hosts.find((x) => x.name === r.name)!;
    const nNat = d.rng.int(r.name === 'r1' ? 1 : 0, 3);
    for (let i = 0; i < nNat; i++) {
      const f = d.rng.pick(Object.keys(NAT_FAMILIES));
      const rs = NAT_FAMILIES[f]!(d.rng, r);
      if (rs.length) used.push(f);
      for (const x of rs) if (!h.rules.includes(x)) h.rules.push(x);
    }
    const nFilter = d.rng.int(0, 2);
    for (let i = 0; i < nFilter; i++) {
      const f = d.rng.pick(Object.keys(FILTER_FAMILIES));
      used.push(f);
      for (const x of FILTER_FAMILIES[f]!(d.rng, r)) if (!h.rules.includes(x)) h.rules.push(x);
    }
  }
  return [...new Set(used)].join(',');
}

// ---- flows ---------------------------------------------------------------------------------

/** A flow family: one flow (without its start time) or nothing when the scenario has no place for it. */
export type FlowFamily = (d: Draft) => Omit<GenFlow, 'at'> | undefined;

const SPORTS = [40000, 40000, 40001, 50000];
const sport = (rng: Rng): number | undefined => (rng.chance(0.6) ? rng.pick(SPORTS) : undefined);

function service(rng: Rng): { proto: GenFlow['proto']; dport?: number } {
  const proto = rng.pick(['tcp', 'tcp', 'udp', 'icmp'] as const);
  if (proto === 'icmp') return { proto };
  return { proto, dport: proto === 'tcp' ? rng.pick([80, 80, 81, 443, 8080]) : rng.pick([5000, 5000, 5353]) };
}

export const FLOW_FAMILIES: Record<string, FlowFamily> = {
  /** A LAN host to an internet server. */
  out: (d) => {
    const c = d.rng.pick(d.lanHosts);
    const s = d.rng.pick(d.servers);
    return { from: c.name, to: s.addr, ...service(d.rng), sport: sport(d.rng) };
  },
  /** An internet server to a router's WAN address (DNAT's way in). */
  in: (d) => {
    const s = d.rng.pick(d.servers);
    const r = d.routers[0]!;
    const proto = d.rng.pick(['tcp', 'tcp', 'udp', 'icmp'] as const);
    const dport = proto === 'tcp' ? d.rng.pick([8080, 8080, 8081]) : proto === 'udp' ? 5000 : undefined;
    return {
      from: s.name,
      to: d.rng.pick(r.wanAddrs),
      proto,
      ...(dport ? { dport } : {}),
      sport: sport(d.rng),
    };
  },
  /** A LAN host to its own router's public address (hairpin NAT). */
  hairpin: (d) => {
    const c = d.rng.pick(d.lanHosts);
    const r = d.routers[c.router - 1]!;
    const proto = d.rng.pick(['tcp', 'udp'] as const);
    return {
      from: c.name,
      to: r.wanAddrs[0]!,
      proto,
      dport: proto === 'tcp' ? 8080 : 5000,
      sport: sport(d.rng),
    };
  },
  /** A LAN host to another router's LAN (across the routers) or to a router below. */
  across: (d) => {
    if (d.routers.length < 2) return undefined;
    const c = d.rng.pick(d.lanHosts);
    const others = d.lanHosts.filter((h) => h.router !== c.router);
    const routersWan = d.routers.filter((r) => r.name !== `r${c.router}`).map((r) => r.wanAddrs[0]!);
    const to = d.rng.chance(0.5) && others.length ? d.rng.pick(others).addr : d.rng.pick(routersWan);
    return { from: c.name, to, ...service(d.rng), sport: sport(d.rng) };
  },
  /** A router itself to a server (its OUTPUT and POSTROUTING). */
  router: (d) => {
    const r = d.rng.pick(d.routers);
    const s = d.rng.pick(d.servers);
    return { from: r.name, to: s.addr, ...service(d.rng), sport: sport(d.rng) };
  },
};

function flows(d: Draft): void {
  const n = d.rng.int(1, 5);
  const keys = Object.keys(FLOW_FAMILIES);
  const weights = ['out', 'out', 'out', 'in', 'in', 'hairpin', 'across', 'across', 'router'];
  for (let i = 0, tries = 0; d.flows.length < n && tries < 50; tries++, i++) {
    const fam = d.rng.pick(weights.filter((w) => keys.includes(w)));
    const f = FLOW_FAMILIES[fam]!(d);
    if (!f) continue;
    const k = d.flows.length;
    // Slots 2 s apart, flow k 0.3 k s later (at most 5 flows): no two flows start within 0.3 s
    // of each other. With 0.1 s, a loaded machine's agents swapped the order of two flows'
    // packets now and then (campaign 1, scenarios #1 and #17: flaky differences of order).
    const at = Math.round((d.rng.pick([0, 0, 2, 4]) + 0.3 * k) * 10) / 10;
    const g: GenFlow = { ...f, at };
    if (g.sport === undefined) delete g.sport;
    if (g.proto !== 'icmp' && d.rng.chance(0.3)) g.hold = d.rng.pick([0.5, 1]);
    if (g.proto === 'udp' && d.rng.chance(0.2)) g.udpConnect = false;
    d.flows.push(g);
  }
}

/**
 * Gives a TCP/UDP flow another source port when an earlier flow of the same host and protocol
 * holds that port while it starts (flows without a port get natbox's default, 40000 + index, so
 * they are given it explicitly first). A flow holds its port from its start to its timeout, hold
 * and a second more.
 */
export function separateBinds(flows: GenFlow[]): void {
  const end = (f: GenFlow): number => f.at + 1.5 + (f.hold ?? 0) + 1;
  flows.forEach((f, i) => {
    if (f.proto === 'icmp') return;
    const busy = (port: number): boolean =>
      flows.some(
        (g, j) =>
          j !== i &&
          g.proto === f.proto &&
          g.from === f.from &&
          (g.sport ?? 40000 + j) === port &&
          g.at <= end(f) &&
          f.at <= end(g),
      );
    if (busy(f.sport ?? 40000 + i)) f.sport = 45000 + i;
  });
}

// ---- drawing -------------------------------------------------------------------------------

/** The scenario number `index` of the campaign `seed` (independent of the others). */
export function drawScenario(seed: number, index: number, opts: GenOptions = {}): GenScenario {
  const rng = new Rng((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77)) >>> 0);
  const d: Draft = { rng, hosts: [], links: [], flows: [], routers: [], servers: [], lanHosts: [] };
  const topo = topology(d, opts);
  const ruleFams = rules(d);
  flows(d);
  if (!opts.bindClash) separateBinds(d.flows);
  return {
    seed,
    index,
    family: `${topo}; rules ${ruleFams || 'none'}${opts.overlap ? '; overlapping LANs' : ''}`,
    hosts: d.hosts,
    links: d.links,
    flows: d.flows,
  };
}

// ---- YAML ----------------------------------------------------------------------------------

const q = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** The scenario as natbox YAML (the same text runs on natbox and on the kernel). */
export function renderYaml(s: GenScenario, name = `gen-${s.seed}-${s.index}`): string {
  const out = [`name: ${name}`, 'hosts:'];
  const ifaceLine = (i: GenIface): string =>
    `      ${i.name}: ${i.addrs.length === 0 ? '{}' : `{ addresses: [${i.addrs.join(', ')}] }`}`;
  for (const h of s.hosts) {
    out.push(`  ${h.name}:`, '    interfaces:');
    for (const i of h.ifaces) out.push(ifaceLine(i));
    if (h.bridge)
      out.push(
        '    bridges:',
        `      ${h.bridge.name}: { ports: [${h.bridge.ports.join(', ')}], addresses: [${h.bridge.addrs.join(', ')}] }`,
      );
    if (h.routes.length) out.push(`    routes: [${h.routes.map(q).join(', ')}]`);
    if (h.sysctls.length) {
      out.push('    sysctls:');
      for (const [k, v] of h.sysctls) out.push(`      ${k}: ${v}`);
    }
    if (h.rules.length) {
      out.push('    rules: |');
      for (const r of h.rules) out.push(`      iptables ${r}`);
    }
    if (h.listen.length) out.push(`    listen: [${h.listen.join(', ')}]`);
  }
  out.push('links:');
  for (const l of s.links) out.push(`  - [${l.join(', ')}]`);
  out.push('flows:');
  s.flows.forEach((f, i) => {
    const to = f.proto === 'icmp' || f.dport === undefined ? f.to : `'${f.to}:${f.dport}'`;
    const parts = [`name: f${i + 1}`, `from: ${f.from}`, `proto: ${f.proto}`, `to: ${to}`];
    if (f.sport !== undefined) parts.push(f.proto === 'icmp' ? `id: ${f.sport}` : `sport: ${f.sport}`);
    parts.push(`at: ${f.at}`, 'timeout: 1.5');
    if (f.hold !== undefined) parts.push(`hold: ${f.hold}`);
    if (f.udpConnect === false) parts.push('udp_connect: false');
    out.push(`  - { ${parts.join(', ')} }`);
  });
  return out.join('\n') + '\n';
}

// ---- shrinking -----------------------------------------------------------------------------

/** One smaller scenario and what was removed to get it. */
export interface Candidate {
  what: string;
  scenario: GenScenario;
}

const clone = (s: GenScenario): GenScenario => structuredClone(s);

/**
 * Every scenario one step smaller than `s`, the biggest steps first: a flow, a host (with its
 * links' ends), a rule, a route, a sysctl, a listener, an extra address, then a flow's options.
 * Some may not load (a flow to an address no host has any more): the caller checks each.
 */
export function shrinkCandidates(s: GenScenario, focus?: string): Candidate[] {
  const out: Candidate[] = [];
  const add = (what: string, f: (c: GenScenario) => void): void => {
    const c = clone(s);
    f(c);
    out.push({ what, scenario: c });
  };
  const dropHosts = (c: GenScenario, names: ReadonlySet<string>): void => {
    c.hosts = c.hosts.filter((h) => !names.has(h.name));
    c.links = c.links.map((l) => l.filter((e) => !names.has(e.split(':')[0]!))).filter((l) => l.length >= 2);
  };
  // Big steps first (delta debugging): the flow the difference is about alone, the hosts no flow
  // starts from and that route nothing (not routers) all at once, each host's rules at once.
  const fi = focus ? Number(/^f(\d+)$/.exec(focus)?.[1]) - 1 : -1;
  if (s.flows.length > 1 && fi >= 0 && fi < s.flows.length)
    add(`every flow but ${focus}`, (c) => (c.flows = [c.flows[fi]!]));
  if (s.flows.length > 1) s.flows.forEach((_, i) => add(`flow f${i + 1}`, (c) => c.flows.splice(i, 1)));
  const used = new Set(s.flows.map((f) => f.from));
  const idle = s.hosts.filter((h) => !used.has(h.name) && h.role !== 'router').map((h) => h.name);
  if (idle.length > 1) add(`hosts ${idle.join(', ')}`, (c) => dropHosts(c, new Set(idle)));
  s.hosts.forEach((h, i) => {
    if (h.rules.length > 1) add(`every rule of ${h.name}`, (c) => (c.hosts[i]!.rules = []));
  });
  s.hosts.forEach((h) => {
    if (!used.has(h.name)) add(`host ${h.name}`, (c) => dropHosts(c, new Set([h.name])));
  });
  s.hosts.forEach((h, i) => {
    h.rules.forEach((r, j) => add(`${h.name} rule "${r}"`, (c) => c.hosts[i]!.rules.splice(j, 1)));
  });
  s.hosts.forEach((h, i) => {
    h.routes.forEach((r, j) => add(`${h.name} route "${r}"`, (c) => c.hosts[i]!.routes.splice(j, 1)));
    h.sysctls.forEach(([k], j) => add(`${h.name} sysctl ${k}`, (c) => c.hosts[i]!.sysctls.splice(j, 1)));
    if (h.listen.length) add(`${h.name} listeners`, (c) => (c.hosts[i]!.listen = []));
    h.ifaces.forEach((f, j) => {
      if (f.addrs.length > 1)
        add(`${h.name} ${f.name} address ${f.addrs[1]}`, (c) => c.hosts[i]!.ifaces[j]!.addrs.splice(1));
    });
  });
  s.flows.forEach((f, i) => {
    if (f.sport !== undefined) add(`f${i + 1} source port`, (c) => delete c.flows[i]!.sport);
    if (f.hold !== undefined) add(`f${i + 1} hold`, (c) => delete c.flows[i]!.hold);
    if (f.udpConnect !== undefined) add(`f${i + 1} udp_connect`, (c) => delete c.flows[i]!.udpConnect);
    if (f.at >= 2) add(`f${i + 1} start`, (c) => (c.flows[i]!.at = Math.round((f.at % 2) * 10) / 10));
  });
  return out;
}

/** The size of a scenario, for reports: flows, hosts, rules. */
export const sizeOf = (s: GenScenario): string =>
  `${s.flows.length} flow${s.flows.length === 1 ? '' : 's'}, ${s.hosts.length} hosts, ${s.hosts.reduce((n, h) => n + h.rules.length, 0)} rules`;
