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

import {
  NFT_FILTER_FAMILIES,
  NFT_LATE_FAMILIES,
  nftMacFamily,
  NFT_NAT_FAMILIES,
  NFT_ONLY_FILTER_FAMILIES,
  NFT_ONLY_NAT_FAMILIES,
  NFT_TABLE,
  nftRuleCount,
  renderNft,
  type GenNft,
  type NftFamily,
} from './generate-nft.ts';
import { Rng, type RouterView } from './gen-rng.ts';

export { Rng, type RouterView } from './gen-rng.ts';

export interface GenIface {
  name: string;
  addrs: string[];
  /** `ip link set DEV mtu N` (1500 when absent). */
  mtu?: number;
  /** The interface's MAC address (natbox's own when absent; verify gives the kernel's the same). */
  mac?: string;
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
  /** An nft ruleset (`nft:`, beside the iptables rules when both are there: iptables-nft's tables). */
  nft?: GenNft;
  /** YAML flow entries: `tcp/80`, or a listener object `{ proto: udp, port: 69, reply_port: 50069 }`. */
  listen: string[];
  /** `ip rule add` arguments, in order. */
  ipRules: string[];
  /** `ipset save` lines (`create NAME TYPE`, `add NAME ENTRY`), given to the kernel's `ipset restore`. */
  ipsets: string[];
}

export interface GenFlow {
  from: string;
  /** sctp and dccp: one raw datagram (an INIT, a Request), answered by protocol unreachable. */
  proto: 'tcp' | 'udp' | 'icmp' | 'sctp' | 'dccp';
  to: string;
  dport?: number;
  /** Source port (TCP/UDP) or echo id (ICMP). */
  sport?: number;
  at: number;
  hold?: number;
  udpConnect?: boolean;
  /** Payload bytes (1500-byte links carry 1472 of UDP). */
  size?: number;
  /** IP_MTU_DISCOVER: true DO, false DONT, absent WANT. */
  df?: boolean;
  /** A TFTP read request (udp, unconnected: the answer comes from the server's transfer port). */
  tftp?: boolean;
  /** An FTP session (tcp to port 21 of an FTP server), its data connection PASV or PORT. */
  ftp?: 'passive' | 'active';
  /** UDP datagrams / ICMP echo requests sent from one socket (`count`), `interval` s apart. */
  count?: number;
  interval?: number;
  /** IP_TTL of the client's packets: 1 or 2 expire at the first or second router. */
  ttl?: number;
  /** IP_TOS of the client's socket (an `ip rule ... tos` selects by its DSCP bits). */
  tos?: number;
  /** SO_MARK of a router's own flow (its route is chosen by `ip rule fwmark`). */
  mark?: number;
}

/** Seconds a flow waits for its answer: 2 for an FTP session (two connections), else 1.5. */
export const flowTimeout = (f: GenFlow): number => (f.ftp ? 2 : 1.5);

/**
 * The seconds after its start at which a flow may send its i-th datagram of a burst (`count`):
 * i·interval when each is answered in time, i·timeout when none is (a datagram waits for the
 * answer to the one before it or its timeout, whichever is later: schema's `interval`).
 */
const burstMoments = (f: GenFlow): number[] => {
  const out: number[] = [];
  for (let i = 1; i < (f.count ?? 1); i++) out.push(i * (f.interval ?? 0), i * flowTimeout(f));
  return out;
};

/** How long a flow lasts from its start: its bursts, its wait for the last answer, its hold. */
const flowSpan = (f: GenFlow): number =>
  ((f.count ?? 1) - 1) * Math.max(f.interval ?? 0, flowTimeout(f)) + flowTimeout(f) + (f.hold ?? 0);

/** A command run on a host while the flows run (`events:`). */
export interface GenEvent {
  at: number;
  host: string;
  run: string;
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
  events: GenEvent[];
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
  /**
   * The language of the routers' rules: `iptables` (the default, as before nft was drawn: a seed
   * draws what it drew then), `nft` (every router an nft ruleset), or `both`: each router drawn
   * with RULES_WEIGHTS (iptables, nft, or mixed: NAT in one, filtering in the other).
   */
  rules?: 'iptables' | 'nft' | 'both';
  /**
   * Draw link flaps (`ip link set DEV down|up` events, linkFlap). On by default (session 15);
   * false draws exactly what a seed drew before them.
   */
  linkFlaps?: boolean;
  /**
   * Draw session 19's families (lateExtras: `sysctl -w` and `ip rule` events, a flow's TOS or mark,
   * TCP exchanges). On by default; false draws exactly what a seed drew before them.
   */
  lateExtras?: boolean;
}

/** How a router's rules are written with `--rules both` (and `nft`, without `iptables`). */
export const RULES_WEIGHTS = { iptables: 2, nft: 3, mixed: 1 };

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
  events: GenEvent[];
  /** The feature families drawn (FEATURE_FAMILIES), which bias the flows drawn after them. */
  features: Set<string>;
  /** Every LAN is 192.168.1.0/24 (topology): flows across go to routers' WAN addresses only. */
  overlap: boolean;
}

/** An FTP server's listener (stack/ftp.ts on natbox, the kernel's agent alike). */
const FTP_LISTEN = '{ proto: tcp, port: 21, ftp: true }';

const SERVER_LISTEN = ['tcp/80', 'tcp/81', 'tcp/443', 'tcp/8080', 'udp/5000', 'udp/5353'];

function host(name: string, role: GenHost['role']): GenHost {
  return { name, role, ifaces: [], routes: [], sysctls: [], rules: [], listen: [], ipRules: [], ipsets: [] };
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
  // Overlapping private LANs (every LAN 192.168.1.0/24, each router on a transit cable of its
  // own, nobody routing to a LAN below): with --overlap always, else drawn 1 time in 5 when
  // there are two routers or more. Only NAT gets a LAN's packets out (the rules drawn for them).
  const overlap = opts.overlap === true || (n >= 2 && rng.chance(0.2));
  d.overlap = overlap;
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
    const lanNet = overlap ? '192.168.1' : `10.${k}.0`;
    const lanAddr = `${lanNet}.1`;
    let wanAddrs: string[];
    if (k === 1) {
      wanAddrs = rng.chance(0.4) ? ['203.0.113.1', '203.0.113.2'] : ['203.0.113.1'];
      r.ifaces.push({ name: 'wan', addrs: wanAddrs.map((a) => `${a}/24`) });
      internet.push('r1:wan');
    } else {
      const up = d.routers[parent - 1]!;
      const viaLan = !overlap && rng.chance(0.5) && !up.bridged;
      if (viaLan) {
        // On the upper router's LAN switch, as one of its hosts.
        wanAddrs = [`${up.lanNet}.${250 + k}`];
        r.ifaces.push({ name: 'wan', addrs: [`${wanAddrs[0]}/24`] });
        const link = d.links.find((l) => l.includes(`${up.name}:${up.lan}`));
        link!.push(`${r.name}:wan`);
        r.routes.push(`default via ${up.lanAddr}`);
      } else {
        // A second transit address now and then (more often behind overlapping LANs): SNAT
        // --to-source A-B of two addresses, the kernel's hash of the source picking one.
        wanAddrs = rng.chance(overlap ? 0.6 : 0.2) ? [`172.16.${k}.2`, `172.16.${k}.3`] : [`172.16.${k}.2`];
        r.ifaces.push({ name: 'wan', addrs: wanAddrs.map((a) => `${a}/24`) });
        const upHost = d.hosts.find((h) => h.name === up.name)!;
        upHost.ifaces.push({ name: `down${k}`, addrs: [`172.16.${k}.1/24`] });
        d.links.push([`${up.name}:down${k}`, `${r.name}:wan`]);
        r.routes.push(`default via 172.16.${k}.1`);
      }
      // The routers above know this LAN (unless the overlap makes it ambiguous, or by chance).
      if (!overlap && rng.chance(0.75)) {
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
  return `${n} router${n > 1 ? 's' : ''}${n === 3 ? (tree ? ' tree' : ' line') : ''}, LANs ${kinds.join('/')}${overlap ? ' (overlapping)' : ''}`;
}

// ---- rules ---------------------------------------------------------------------------------

/** A rule family: rules for one router (each a list of iptables argument strings). */
export type RuleFamily = (rng: Rng, r: RouterView) => string[];

const ports = (rng: Rng, proto: string): string =>
  proto ? rng.pick(['', '', ' --to-ports 40000', ' --to-ports 20000-60000']) : '';
const randomFlag = (rng: Rng): string => rng.pick(['', '', '', ' --random', ' --random-fully']);

export const NAT_FAMILIES: Record<string, RuleFamily> = {
  masquerade: (rng, r) => {
    const p = rng.pick(['', '', ' -p tcp', ' -p udp', ' -p sctp']);
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
  /** DNAT to an address range of the LAN (the kernel's jhash picks one), --persistent or --random. */
  dnatRange: (rng, r) => {
    if (!r.nas) return [];
    const last = Number(r.nas.split('.')[3]);
    if (last < 12) return [];
    const p = rng.pick(['tcp', 'udp']);
    return [
      `-t nat -A PREROUTING -i ${r.wan} -p ${p} --dport ${p === 'tcp' ? 8080 : 5000} -j DNAT --to-destination ${r.lanNet}.11-${r.nas}${rng.pick(['', ' --persistent', ' --random'])}`,
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

/** Draws `n` nft families of `fams` into the router's ruleset; the names of those that wrote rules. */
function nftRules(d: Draft, r: RouterView, h: GenHost, fams: Record<string, NftFamily>, n: number): string[] {
  const used: string[] = [];
  h.nft ??= { sets: [], chains: [] };
  for (let i = 0; i < n; i++) {
    const f = d.rng.pick(Object.keys(fams));
    if (fams[f]!(d.rng, r, h.nft)) used.push(`nft:${f}`);
  }
  return used;
}

function rules(d: Draft, opts: GenOptions): string {
  const used: string[] = [];
  for (const r of d.routers) {
    const h = d.hosts.find((x) => x.name === r.name)!;
    const lang = opts.rules ?? 'iptables';
    if (lang !== 'iptables') {
      const w = lang === 'nft' ? { nft: RULES_WEIGHTS.nft, mixed: RULES_WEIGHTS.mixed } : RULES_WEIGHTS;
      const how = weighted(d.rng, w);
      if (how !== 'iptables') {
        used.push(...routerNft(d, r, h, how === 'mixed'));
        continue;
      }
    }
    const nNat = d.rng.int(r.name === 'r1' || d.overlap ? 1 : 0, 3);
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

/**
 * A router's rules in nft (NFT_* families, with the families only nft has), or mixed: its NAT in
 * one language and its filtering in the other (iptables-nft's tables beside `table ip gen`).
 */
function routerNft(d: Draft, r: RouterView, h: GenHost, mixed: boolean): string[] {
  const used: string[] = [];
  const nNat = d.rng.int(r.name === 'r1' || d.overlap ? 1 : 0, 3);
  const nFilter = d.rng.int(mixed ? 1 : 0, 2);
  const iptNat = mixed && d.rng.chance(0.5);
  const nat = { ...NFT_NAT_FAMILIES, ...NFT_ONLY_NAT_FAMILIES };
  const filter = { ...NFT_FILTER_FAMILIES, ...NFT_ONLY_FILTER_FAMILIES };
  const ipt = (fams: Record<string, RuleFamily>, n: number): void => {
    for (let i = 0; i < n; i++) {
      const f = d.rng.pick(Object.keys(fams));
      const rs = fams[f]!(d.rng, r);
      if (rs.length) used.push(f);
      for (const x of rs) if (!h.rules.includes(x)) h.rules.push(x);
    }
  };
  if (iptNat) ipt(NAT_FAMILIES, nNat);
  else used.push(...nftRules(d, r, h, nat, nNat));
  if (mixed && !iptNat) ipt(FILTER_FAMILIES, nFilter);
  else used.push(...nftRules(d, r, h, filter, nFilter));
  if (!nftRuleCount(h.nft)) delete h.nft;
  return used;
}

// ---- features: what a router has beyond rules ----------------------------------------------

/**
 * A feature family: settings of one router beyond its NAT and filter rules (sysctls, ip rules,
 * MTUs, helpers), with the rules that go with them. It returns false when the router has no place
 * for it (nothing is changed then). Drawn with FEATURE_WEIGHTS; flows drawn later see `d.features`.
 */
export type FeatureFamily = (d: Draft, r: RouterView, h: GenHost) => boolean;

/** A sysctl of the host, unless another feature set that key already (the first one stays). */
function setOnce(h: GenHost, kv: [string, string]): void {
  if (!h.sysctls.some(([k]) => k === kv[0])) h.sysctls.push(kv);
}

const lanOf = (d: Draft, r: RouterView): Draft['lanHosts'] =>
  d.lanHosts.filter((x) => `r${x.router}` === r.name);

export const FEATURE_FAMILIES: Record<string, FeatureFamily> = {
  /** TCP window tracking's sysctls, with a rule that drops the clients' data (retransmissions). */
  window: ({ rng }, r, h) => {
    const all: [string, string][] = [
      ['net.netfilter.nf_conntrack_tcp_be_liberal', '1'],
      ['net.netfilter.nf_conntrack_tcp_loose', '0'],
      ['net.netfilter.nf_conntrack_tcp_max_retrans', rng.pick(['0', '1'])],
    ];
    for (const x of all) if (rng.chance(0.5)) setOnce(h, x);
    if (!h.sysctls.some(([k]) => k.startsWith('net.netfilter.'))) setOnce(h, rng.pick(all));
    if (rng.chance(0.5)) setOnce(h, ['net.netfilter.nf_conntrack_tcp_timeout_max_retrans', '1']);
    // "ping\n" with timestamps is a 57-byte packet: the data is lost and sent again.
    if (rng.chance(0.5)) h.rules.push(`-A FORWARD -i ${r.lan} -p tcp -m length --length 57 -j DROP`);
    return true;
  },
  /** The TFTP helper on the LAN side (flows `tftp` go to the servers' port 69). */
  helper: ({ rng }, r, h) => {
    h.rules.push(`-t raw -A PREROUTING -i ${r.lan} -p udp --dport 69 -j CT --helper tftp`);
    if (rng.chance(0.5)) h.rules.push('-A FORWARD -m helper --helper tftp');
    return true;
  },
  /** TEE: a copy of the WAN's traffic to a LAN host (which is not a router: it drops the copies). */
  tee: (d, r, h) => {
    const lan = lanOf(d, r);
    if (!lan.length) return false;
    const g = d.rng.pick(lan).addr;
    h.rules.push(
      d.rng.pick([
        `-t mangle -A PREROUTING -i ${r.wan} -p udp -j TEE --gateway ${g}`,
        `-t mangle -A POSTROUTING -o ${r.wan} -p tcp -j TEE --gateway ${g}`,
        `-t mangle -A PREROUTING -i ${r.wan} -p icmp -j TEE --gateway ${g}`,
      ]),
    );
    return true;
  },
  /** ICMP redirects: send_redirects off in `all`, on the LAN device, or both (ORed by the kernel). */
  redirects: ({ rng }, r, h) => {
    const k = rng.int(1, 3);
    if (k & 1) h.sysctls.push(['net.ipv4.conf.all.send_redirects', '0']);
    if (k & 2) h.sysctls.push([`net.ipv4.conf.${r.lan}.send_redirects`, '0']);
    return true;
  },
  /** Conntrack zones from the raw table. */
  zone: ({ rng }, r, h) => {
    const z = rng.pick([1, 2]);
    h.rules.push(
      rng.pick([
        `-t raw -A PREROUTING -j CT --zone ${z}`,
        `-t raw -A PREROUTING -i ${r.lan} -j CT --zone ${z}`,
        `-t raw -A PREROUTING -i ${r.lan} -j CT --zone-orig ${z}`,
        `-t raw -A PREROUTING -i ${r.wan} -j CT --zone-reply ${z}`,
      ]),
    );
    if (rng.chance(0.3)) h.rules.push(`-t raw -A OUTPUT -j CT --zone ${z}`);
    return true;
  },
  /** Policy routing: a MARK set before routing and `ip rule fwmark` to a table of its own. */
  policy: ({ rng }, r, h) => {
    const p = rng.pick(['udp', 'tcp', 'icmp']);
    h.rules.push(`-t mangle -A PREROUTING -i ${r.lan} -p ${p} -j MARK --set-mark 0x3`);
    h.ipRules.push(rng.pick(['fwmark 0x3 lookup 100', 'fwmark 0x3/0x3 lookup 100 pref 1000']));
    h.routes.push(`${rng.pick(['unreachable', 'prohibit', 'blackhole', 'throw'])} default table 100`);
    if (rng.chance(0.3)) h.ipRules.push(`from ${r.lanNet}.11 lookup 100`);
    return true;
  },
  /**
   * SYNPROXY with its usual recipe (iptables-extensions(8), the kernel's nft_synproxy.sh): the SYNs
   * taken out of conntrack in raw PREROUTING, `--ctstate INVALID,UNTRACKED -j SYNPROXY` then
   * `INVALID -j DROP`, tcp_loose off. In FORWARD for the LAN's connections out, or (r1) in INPUT
   * for the WAN's connections to the router's own port 8080 (it listens then).
   */
  synproxy: ({ rng }, r, h) => {
    const opts = rng.pick([
      ' --sack-perm --timestamp --wscale 7 --mss 1460',
      ' --sack-perm --wscale 7 --mss 1460',
      ' --timestamp --mss 1460',
      ' --mss 1460',
    ]);
    const input = r.name === 'r1' && rng.chance(0.5);
    if (input) {
      if (!h.listen.includes('tcp/8080')) h.listen.push('tcp/8080');
      h.rules.push(
        `-t raw -A PREROUTING -i ${r.wan} -p tcp -m tcp --syn --dport 8080 -j CT --notrack`,
        `-A INPUT -i ${r.wan} -p tcp -m tcp --dport 8080 -m conntrack --ctstate INVALID,UNTRACKED -j SYNPROXY${opts}`,
        `-A INPUT -i ${r.wan} -p tcp -m tcp --dport 8080 -m conntrack --ctstate INVALID -j DROP`,
      );
    } else {
      const dport = rng.pick(['', ' --dport 80', ' --dport 443']);
      h.rules.push(
        `-t raw -A PREROUTING -i ${r.lan} -p tcp -m tcp --syn${dport} -j CT --notrack`,
        `-A FORWARD -i ${r.lan} -p tcp -m tcp${dport} -m conntrack --ctstate INVALID,UNTRACKED -j SYNPROXY${opts}`,
        `-A FORWARD -i ${r.lan} -p tcp -m tcp${dport} -m conntrack --ctstate INVALID -j DROP`,
      );
    }
    if (rng.chance(0.8)) setOnce(h, ['net.netfilter.nf_conntrack_tcp_loose', '0']);
    return true;
  },
  /**
   * The FTP helper: `CT --helper ftp` in raw PREROUTING from the LAN (or, for sessions from the
   * WAN to a DNATed LAN server, from the WAN), sometimes with `-m helper --helper ftp` and a
   * RELATED accept; `ftp` flows (PASV or PORT) become likelier.
   */
  ftp: (d, r, h) => {
    const { rng } = d;
    h.rules.push(`-t raw -A PREROUTING -i ${r.lan} -p tcp --dport 21 -j CT --helper ftp`);
    const nas = d.lanHosts.find((x) => x.addr === r.nas && `r${x.router}` === r.name);
    if (nas && r.name === 'r1' && rng.chance(0.4)) {
      h.rules.push(
        `-t raw -A PREROUTING -i ${r.wan} -p tcp --dport 21 -j CT --helper ftp`,
        `-t nat -A PREROUTING -i ${r.wan} -p tcp --dport 21 -j DNAT --to-destination ${r.nas}`,
      );
      d.hosts.find((x) => x.name === nas.name)!.listen.push(FTP_LISTEN);
      d.features.add(':ftpIn'); // (a ':' keeps it out of the report's feature list)
    }
    if (rng.chance(0.5)) h.rules.push('-A FORWARD -m helper --helper ftp');
    if (rng.chance(0.3)) h.rules.push('-A FORWARD -m conntrack --ctstate RELATED -j ACCEPT');
    return true;
  },
  /**
   * The reverse-path match (`-m rpfilter`, raw or mangle PREROUTING: xt_rpfilter's hooks), as the
   * anti-spoofing `--invert -j DROP` or counted with a MARK; `--loose`, `--accept-local`,
   * `--validmark` now and then. Packets from a LAN below a router that has no route back to it
   * fail the strict test (the routers above know the LANs below 3 times in 4).
   */
  rpfilter: ({ rng }, r, h) => {
    const opt = rng.pick(['', '', ' --loose', ' --accept-local', ' --validmark', ' --loose --validmark']);
    const table = rng.pick(['raw', 'mangle']);
    const iif = rng.pick(['', ` -i ${r.wan}`, ` -i ${r.lan}`]);
    if (rng.chance(0.6)) h.rules.push(`-t ${table} -A PREROUTING${iif} -m rpfilter${opt} --invert -j DROP`);
    else
      h.rules.push(
        `-t mangle -A PREROUTING${iif} -m rpfilter${opt} -j MARK --set-mark 0x4`,
        rng.pick(['-A FORWARD -m mark ! --mark 0x4 -j DROP', '-A INPUT -m mark ! --mark 0x4 -j DROP']),
      );
    return true;
  },
  /**
   * ipsets (`ipset restore` on the kernel) matched with `-m set`: a hash:ip of a server or a LAN
   * host, a hash:net of the LAN, a hash:ip,port of a service, or a set the router fills itself
   * (`-j SET --add-set seen src` with a timeout, tested before it is added).
   */
  ipset: (d, r, h) => {
    const { rng } = d;
    const v = rng.pick(['ip', 'net', 'ipport', 'seen'] as const);
    if (v === 'ip') {
      const addrs = [...d.servers.map((x) => x.addr), ...lanOf(d, r).map((x) => x.addr)];
      const n = rng.int(1, Math.min(2, addrs.length));
      h.ipsets.push('create blocked hash:ip');
      for (let i = 0; i < n; i++) {
        const a = rng.pick(addrs);
        if (!h.ipsets.includes(`add blocked ${a}`)) h.ipsets.push(`add blocked ${a}`);
      }
      h.rules.push(
        rng.pick([
          '-A FORWARD -m set --match-set blocked dst -j DROP',
          '-A FORWARD -m set --match-set blocked src -j REJECT',
          '-A FORWARD -m set ! --match-set blocked dst -p udp -j DROP',
        ]),
      );
    } else if (v === 'net') {
      h.ipsets.push('create nets hash:net', `add nets ${r.lanNet}.${rng.pick(['0/24', '8/30', '12/30'])}`);
      h.rules.push(
        rng.pick([
          `-t nat -A POSTROUTING -o ${r.wan} -m set --match-set nets src -j MASQUERADE`,
          '-A FORWARD -m set --match-set nets src -p tcp --dport 81 -j DROP',
        ]),
      );
    } else if (v === 'ipport') {
      const s = rng.pick(d.servers).addr;
      h.ipsets.push('create svc hash:ip,port');
      h.ipsets.push(rng.pick([`add svc ${s},tcp:80`, `add svc ${s},udp:5000`, `add svc ${s},tcp:443`]));
      h.rules.push(`-A FORWARD -m set --match-set svc dst,dst -j REJECT`);
    } else {
      h.ipsets.push('create seen hash:ip timeout 60');
      h.rules.push(
        `-A FORWARD -i ${r.lan} -m set --match-set seen src -p ${rng.pick(['udp', 'tcp', 'icmp'])} -j DROP`,
        `-A FORWARD -i ${r.lan} -j SET --add-set seen src`,
      );
    }
    return true;
  },
  /** A smaller MTU on the WAN side (flows then carry big payloads), sometimes with TCPMSS. */
  mtu: ({ rng }, r, h) => {
    const wan = h.ifaces.find((i) => i.name === r.wan)!;
    wan.mtu = rng.pick([1280, 1400]);
    if (rng.chance(0.3))
      h.rules.push('-t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu');
    return true;
  },
};

/** How often each feature is drawn, relative to the others. */
const FEATURE_WEIGHTS: Record<keyof typeof FEATURE_FAMILIES, number> = {
  window: 3,
  helper: 2,
  tee: 1,
  redirects: 1,
  zone: 2,
  policy: 2,
  mtu: 2,
  synproxy: 2,
  ftp: 2,
  rpfilter: 2,
  ipset: 2,
};

/** A key of `weights` drawn in proportion to its weight. */
function weighted(rng: Rng, weights: Record<string, number>): string {
  const keys = Object.keys(weights);
  let x = rng.next() * keys.reduce((n, k) => n + weights[k]!, 0);
  for (const k of keys) if ((x -= weights[k]!) < 0) return k;
  return keys[keys.length - 1]!;
}

function features(d: Draft): void {
  for (const r of d.routers) {
    if (!d.rng.chance(0.6)) continue;
    const h = d.hosts.find((x) => x.name === r.name)!;
    const n = d.rng.pick([1, 1, 2]);
    for (let i = 0; i < n; i++) {
      const f = weighted(d.rng, FEATURE_WEIGHTS);
      if (d.features.has(`${r.name}:${f}`)) continue;
      if (FEATURE_FAMILIES[f]!(d, r, h)) {
        d.features.add(f);
        d.features.add(`${r.name}:${f}`);
      }
    }
  }
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
    // Behind overlapping LANs another LAN's address is the sender's own network: routers only.
    const to =
      !d.overlap && d.rng.chance(0.5) && others.length ? d.rng.pick(others).addr : d.rng.pick(routersWan);
    return { from: c.name, to, ...service(d.rng), sport: sport(d.rng) };
  },
  /** A router itself to a server (its OUTPUT and POSTROUTING). */
  router: (d) => {
    const r = d.rng.pick(d.routers);
    const s = d.rng.pick(d.servers);
    return { from: r.name, to: s.addr, ...service(d.rng), sport: sport(d.rng) };
  },
  /** An SCTP INIT or a DCCP Request from a LAN host to a server (which answers protocol unreachable). */
  raw: (d) => {
    const c = d.rng.pick(d.lanHosts);
    const s = d.rng.pick(d.servers);
    const proto = d.rng.pick(['sctp', 'sctp', 'dccp'] as const);
    return { from: c.name, to: s.addr, proto, dport: d.rng.pick([5000, 80]), sport: d.rng.pick(SPORTS) };
  },
  /** A TFTP read request from a LAN host to a server's port 69 (answered from port 50069). */
  tftp: (d) => {
    const c = d.rng.pick(d.lanHosts);
    const s = d.rng.pick(d.servers);
    const h = d.hosts.find((x) => x.name === s.name)!;
    const l = '{ proto: udp, port: 69, reply_port: 50069 }';
    if (!h.listen.includes(l)) h.listen.push(l);
    return {
      from: c.name,
      to: s.addr,
      proto: 'udp',
      dport: 69,
      sport: sport(d.rng),
      tftp: true,
      udpConnect: false,
    };
  },
};

/** An FTP session to port 21 (PASV or PORT): from a LAN host to a server, or (ftpIn) from a
 * server to r1's public address, DNATed to the LAN's FTP server. */
const ftpFlow: FlowFamily = (d) => {
  const mode = d.rng.pick(['passive', 'active'] as const);
  if (d.features.has(':ftpIn') && d.rng.chance(0.4)) {
    const s = d.rng.pick(d.servers);
    return {
      from: s.name,
      to: d.routers[0]!.wanAddrs[0]!,
      proto: 'tcp',
      dport: 21,
      ftp: mode,
      size: 100,
      hold: 0.2,
    };
  }
  const c = d.rng.pick(d.lanHosts);
  const s = d.rng.pick(d.servers);
  const h = d.hosts.find((x) => x.name === s.name)!;
  if (!h.listen.includes(FTP_LISTEN)) h.listen.push(FTP_LISTEN);
  return {
    from: c.name,
    to: s.addr,
    proto: 'tcp',
    dport: 21,
    sport: sport(d.rng),
    ftp: mode,
    size: 100,
    hold: 0.2,
  };
};
FLOW_FAMILIES.ftp = ftpFlow;

/** How often each flow family is drawn; the features drawn make theirs likelier. */
function flowWeights(d: Draft): Record<string, number> {
  return {
    out: 3,
    in: 2,
    hairpin: 1,
    across: d.routers.length > 1 ? 2 : 0,
    router: 1,
    raw: 1,
    tftp: d.features.has('helper') ? 3 : 0.3,
    ftp: d.features.has('ftp') ? 3 : 0.3,
  };
}

function flows(d: Draft): void {
  const n = d.rng.int(1, 5);
  const weights = flowWeights(d);
  for (let tries = 0; d.flows.length < n && tries < 50; tries++) {
    const fam = weighted(d.rng, weights);
    const f = FLOW_FAMILIES[fam]!(d);
    if (!f) continue;
    const k = d.flows.length;
    // Slots 2 s apart, flow k 0.3 k s later (at most 5 flows): no two flows start within 0.3 s
    // of each other. With 0.1 s, a loaded machine's agents swapped the order of two flows'
    // packets now and then (campaign 1, scenarios #1 and #17: flaky differences of order).
    const at = Math.round((d.rng.pick([0, 0, 2, 4]) + 0.3 * k) * 10) / 10;
    const g: GenFlow = { ...f, at };
    if (g.sport === undefined) delete g.sport;
    const stream = g.proto === 'tcp' || g.proto === 'udp';
    if (g.tftp) g.hold = 0.5;
    else if (g.ftp) g.hold = 0.2;
    else if (stream && d.rng.chance(0.3)) g.hold = d.rng.pick([0.5, 1]);
    if (g.proto === 'udp' && !g.tftp && d.rng.chance(0.2)) g.udpConnect = false;
    // A link with a smaller MTU somewhere: big payloads, with DF or without (TCP always has DF).
    if (d.features.has('mtu') && !g.tftp && !g.ftp && (stream || g.proto === 'icmp') && d.rng.chance(0.6)) {
      g.size = d.rng.pick([1300, 1450]);
      if (g.proto !== 'tcp' && d.rng.chance(0.6)) g.df = d.rng.chance(0.5);
    }
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
  const end = (f: GenFlow): number => f.at + flowSpan(f) + 1;
  flows.forEach((f, i) => {
    if (f.proto !== 'tcp' && f.proto !== 'udp') return;
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

// ---- timed events --------------------------------------------------------------------------

/** An event family: a command for a router while the flows run (or nothing when it has none). */
export type EventFamily = (d: Draft, r: RouterView, h: GenHost) => string | undefined;

export const EVENT_FAMILIES: Record<string, EventFamily> = {
  /** Every conntrack entry deleted: the next packet of a connection is picked up anew (or not). */
  flush: () => 'conntrack -F',
  /** Some entries deleted (exit 1 and conntrack's message when none matches). */
  delete: ({ rng }) =>
    rng.pick([
      'conntrack -D -p udp',
      'conntrack -D -p tcp',
      'conntrack -D -p tcp --dport 80',
      'conntrack -D -p udp --dport 5000',
    ]),
  /** A rule inserted in front: only new connections see it... and FORWARD sees every packet. */
  insert: ({ rng }, r) =>
    rng.pick([
      `iptables -I FORWARD 1 -p ${rng.pick(['udp', 'tcp', 'icmp'])} -j DROP`,
      `iptables -I FORWARD 1 -i ${r.wan} -j REJECT`,
      `iptables -t nat -I POSTROUTING 1 -o ${r.wan} -j MASQUERADE`,
      `iptables -t nat -I PREROUTING 1 -i ${r.lan} -p tcp --dport 80 -j REDIRECT --to-ports 8080`,
    ]),
  /** One of the router's rules deleted (by its text), or a whole nat chain flushed. */
  remove: ({ rng }, _r, h) => {
    // An nft router: one of its chains flushed, or its table deleted (drawn only when it has one,
    // so that a seed of iptables routers draws what it drew before).
    if (h.nft && rng.chance(0.6)) {
      const c = rng.pick(h.nft.chains.filter((x) => x.rules.length));
      return rng.chance(0.7)
        ? `nft flush chain ip ${NFT_TABLE} ${c.name}`
        : `nft delete table ip ${NFT_TABLE}`;
    }
    const appended = h.rules.filter((x) => /(^| )-A /.test(x));
    if (appended.length && rng.chance(0.7))
      return `iptables ${rng.pick(appended).replace(/(^| )-A /, '$1-D ')}`;
    return rng.pick(['iptables -t nat -F POSTROUTING', 'iptables -t nat -F', 'iptables -F FORWARD']);
  },
};

const EVENT_WEIGHTS: Record<keyof typeof EVENT_FAMILIES, number> = {
  flush: 3,
  delete: 2,
  insert: 2,
  remove: 2,
};

/**
 * The moments a flow's packets are likely on the wire: its start, a SYN sent again after 1 s, the
 * end of its wait (1.5 s) and its close after `hold`. Events keep 0.25 s away from them: an event
 * and a packet of about one moment race on the kernel, as two flows do.
 */
function busyMoments(flows: readonly GenFlow[]): number[] {
  return flows.flatMap((f) => {
    const h = f.hold ?? 0;
    const end = flowSpan(f) - h;
    return [0, 1, flowTimeout(f), end, ...burstMoments(f)].flatMap((x) => [f.at + x, f.at + x + h]);
  });
}

/** The moments at least 0.25 s from every busy one and 0.5 s from every event, up to the flows' end. */
function freeMoments(d: Draft): number[] {
  const busy = busyMoments(d.flows);
  const last = Math.max(...d.flows.map((f) => f.at + flowSpan(f)));
  const free: number[] = [];
  for (let t = 0.25; t < last; t = Math.round((t + 0.1) * 100) / 100)
    if (busy.every((b) => Math.abs(b - t) >= 0.25) && d.events.every((e) => Math.abs(e.at - t) >= 0.5))
      free.push(t);
  return free;
}

function events(d: Draft): string[] {
  if (!d.rng.chance(0.35) || !d.flows.length) return [];
  const busy = busyMoments(d.flows);
  const last = Math.max(...d.flows.map((f) => f.at + flowSpan(f)));
  const free: number[] = [];
  for (let t = 0.25; t < last; t = Math.round((t + 0.1) * 100) / 100)
    if (busy.every((b) => Math.abs(b - t) >= 0.25)) free.push(t);
  const used: string[] = [];
  const n = d.rng.pick([1, 1, 2]);
  for (let i = 0; i < n && free.length; i++) {
    const at = d.rng.pick(free);
    free.splice(0, free.length, ...free.filter((t) => Math.abs(t - at) >= 0.5));
    const r = d.rng.pick(d.routers);
    const fam = weighted(d.rng, EVENT_WEIGHTS);
    const run = EVENT_FAMILIES[fam]!(
      d,
      r,
      d.hosts.find((x) => x.name === r.name)!,
    );
    if (!run) continue;
    d.events.push({ at, host: r.name, run });
    used.push(fam);
  }
  d.events.sort((a, b) => a.at - b.at);
  return used;
}

// ---- changes of the network, flow options ---------------------------------------------------
//
// Drawn after everything above, from the same random numbers: a seed draws the scenarios it drew
// before these families existed, some of them with a network event or a flow option more.

/**
 * A network event: a command that changes a router's routing, links or forwarding while the flows
 * run (the kernel's `ip`, `sysctl -w`; natbox's src/sim/events.ts). `undefined`: the router has
 * nothing for it.
 */
export const NET_EVENT_FAMILIES: Record<string, EventFamily> = {
  /** net.ipv4.ip_forward turned off (on when it was off): devinet_sysctl_forward, every device. */
  forwarding: (_d, _r, h) => {
    const on = h.sysctls.find(([k]) => k === 'net.ipv4.ip_forward')?.[1] !== '0';
    return `sysctl -w net.ipv4.ip_forward=${on ? 0 : 1}`;
  },
  /** The WAN's MTU made smaller under the flows (PMTU: fragmentation needed, TCP's MSS). */
  mtu: ({ rng }, r) => `ip link set ${r.wan} mtu ${rng.pick([1280, 1400])}`,
  /** A host route to a server that refuses: unreachable, prohibit (ip_error's ICMP) or blackhole. */
  route: ({ rng, servers }, r) =>
    r.name === 'r1' && servers.length
      ? `ip route add ${rng.pick(['unreachable', 'prohibit', 'blackhole'])} ${rng.pick(servers).addr}/32`
      : undefined,
  /** A route to a LAN below deleted (its replies then go by the default route, or nowhere). */
  unroute: ({ rng }, _r, h) => {
    const below = h.routes.filter((x) => !x.startsWith('default') && / via /.test(x));
    return below.length ? `ip route del ${rng.pick(below)}` : undefined;
  },
};

const NET_EVENT_WEIGHTS: Record<keyof typeof NET_EVENT_FAMILIES, number> = {
  forwarding: 2,
  mtu: 2,
  route: 2,
  unroute: 1,
};

/**
 * Flow options (`FLOW_OPTION_FAMILIES`): each a change to one flow, or false when the flow has no
 * place for it. A burst keeps its datagrams 0.25 s away from the other flows' moments and the
 * events, as events keep away from packets.
 */
export const FLOW_OPTION_FAMILIES: Record<string, (d: Draft, f: GenFlow) => boolean> = {
  /** 2-3 datagrams or echo requests from one socket (limit, recent, --random-fully, ICMP ids). */
  burst: ({ rng, flows, events }, f) => {
    if ((f.proto !== 'udp' && f.proto !== 'icmp') || f.tftp) return false;
    const g: GenFlow = { ...f, count: rng.pick([2, 3]), interval: rng.pick([0.45, 0.65]) };
    const others = busyMoments(flows.filter((x) => x !== f));
    const mine = burstMoments(g).map((x) => g.at + x);
    const endMine = g.at + flowSpan(g);
    if (mine.some((t) => others.some((b) => Math.abs(b - t) < 0.25))) return false;
    if (events.some((e) => e.at >= g.at - 0.25 && e.at <= endMine + 0.25)) return false;
    // A later flow of the host on its port would find it bound (separateBinds ran before).
    if (
      flows.some(
        (x) => x !== f && x.from === f.from && x.proto === f.proto && x.at >= f.at && x.at <= endMine + 1,
      )
    )
      return false;
    f.count = g.count;
    f.interval = g.interval;
    return true;
  },
  /** TTL 1 or 2: the packets expire at the first or second router (ICMP time exceeded, NATed back). */
  ttl: ({ rng }, f) => {
    if (f.ftp || f.tftp || f.proto === 'sctp' || f.proto === 'dccp') return false;
    f.ttl = rng.pick([1, 2, 2]);
    return true;
  },
};

/** Network events and flow options (the families above); the names drawn, for the report. */
function extras(d: Draft): string[] {
  const used: string[] = [];
  for (const f of d.flows) {
    if (!d.rng.chance(0.15)) continue;
    // A burst where the flow can have one (UDP, ICMP), 2 times in 3; else a TTL half the time.
    const burst = (f.proto === 'udp' || f.proto === 'icmp') && !f.tftp && d.rng.chance(0.67);
    const fam = burst ? 'burst' : d.rng.chance(0.5) ? 'ttl' : undefined;
    if (fam && FLOW_OPTION_FAMILIES[fam]!(d, f) && !used.includes(fam)) used.push(fam);
  }
  if (d.flows.length && d.rng.chance(0.25)) {
    const free = freeMoments(d);
    if (free.length) {
      const at = d.rng.pick(free);
      const r = d.rng.pick(d.routers);
      const fam = weighted(d.rng, NET_EVENT_WEIGHTS);
      const run = NET_EVENT_FAMILIES[fam]!(
        d,
        r,
        d.hosts.find((x) => x.name === r.name)!,
      );
      if (run) {
        d.events.push({ at, host: r.name, run });
        d.events.sort((a, b) => a.at - b.at);
        used.push(`net:${fam}`);
      }
    }
  }
  return used;
}

/**
 * A link flap (drawn after the extras, from the same random numbers: a seed keeps what it drew,
 * some scenarios with a flap more; the report's extras say `net:link`): one of a router's devices
 * set down at a free moment with the 1.25 s after it free too (the peer's carrier goes when
 * linkwatch runs, up to 1 s later: Host.setCarrier), and 3 times in 4 up again 1.3-2.5 s after. Down,
 * the kernel forgets the device's neighbours, deletes every route through it
 * (fib_disable_ip → fib_sync_down_dev) and the connections MASQUERADE bound to it (masq_device_event);
 * its veth peer loses its carrier. Up, only the connected routes come back (a static route through
 * it, such as a lower router's default, stays gone). The WAN, or the LAN when it is one interface
 * (not the router's bridge).
 */
function linkFlap(d: Draft): string | undefined {
  if (!d.flows.length || !d.rng.chance(0.5)) return undefined;
  const free = freeMoments(d);
  if (!free.length) return undefined;
  // The peer's carrier goes when linkwatch runs, at once or up to 1 s later (Host.setCarrier): the
  // down needs the 1.25 s after it free of the flows' moments, and the up comes after that.
  const quiet = free.filter((t) => free.filter((u) => u > t && u <= t + 1.25 + 1e-9).length >= 12);
  if (!quiet.length) return undefined;
  const at = d.rng.pick(quiet);
  const r = d.rng.pick(d.routers);
  const dev = d.rng.pick([r.wan, ...(r.bridged ? [] : [r.lan])]);
  d.events.push({ at, host: r.name, run: `ip link set ${dev} down` });
  const later = free.filter((t) => t >= at + 1.3 && t <= at + 2.5);
  if (later.length && d.rng.chance(0.75))
    d.events.push({ at: d.rng.pick(later), host: r.name, run: `ip link set ${dev} up` });
  d.events.sort((a, b) => a.at - b.at);
  return 'net:link';
}

/**
 * Session 19's events (lateExtras): a `sysctl -w` a router reads at each packet (reverse-path
 * filtering, window tracking, redirects, proxy ARP, bridge netfilter), and `ip rule` changes
 * (a rule of the `policy` feature deleted, or a rule that refuses or looks up table 100 added).
 */
export const LATE_EVENT_FAMILIES: Record<string, EventFamily> = {
  sysctl: ({ rng }, r, h) => {
    const now = (k: string): string | undefined => h.sysctls.find(([x]) => x === k)?.[1];
    const bnf = 'net.bridge.bridge-nf-call-iptables';
    return `sysctl -w ${rng.pick([
      `net.ipv4.conf.all.rp_filter=${rng.pick([1, 2])}`,
      `net.ipv4.conf.${r.lan}.rp_filter=${rng.pick([1, 2])}`,
      `net.ipv4.conf.${r.wan}.rp_filter=1`,
      `net.netfilter.nf_conntrack_tcp_loose=${now('net.netfilter.nf_conntrack_tcp_loose') === '0' ? 1 : 0}`,
      'net.netfilter.nf_conntrack_tcp_be_liberal=1',
      'net.ipv4.conf.all.send_redirects=0',
      `net.ipv4.conf.${r.lan}.proxy_arp=1`,
      ...(r.bridged ? [`${bnf}=${now(bnf) === '1' ? 0 : 1}`] : []),
    ])}`;
  },
  rule: ({ rng, servers }, r, h) => {
    if (h.ipRules.length && rng.chance(0.4)) return `ip rule del ${rng.pick(h.ipRules)}`;
    const sel = rng.pick([
      ...(servers.length ? [`to ${rng.pick(servers).addr}`] : []),
      `from ${r.lanNet}.11`,
      `iif ${r.lan} ipproto ${rng.pick(['udp', 'tcp', 'icmp'])}`,
      `iif ${r.lan} ipproto tcp dport 80`,
      'fwmark 0x3',
      'tos 0x10',
    ]);
    const action = rng.pick(['prohibit', 'unreachable', 'blackhole', 'lookup 100', 'lookup 100']);
    return `ip rule add ${sel} ${action} pref 500`;
  },
};

const LATE_EVENT_WEIGHTS: Record<keyof typeof LATE_EVENT_FAMILIES, number> = { sysctl: 3, rule: 2 };

/** A TOS drawn for a flow: DSCP 4 (0x10, what `tos 0x10` rules select), 5, 2, EF, and ECN bits. */
const TOSES = [0x10, 0x10, 0x14, 0x08, 0xb8, 0x12];

/**
 * Session 19's families (docs/generator.md), drawn after the link flap from the same random
 * numbers, so a seed keeps every scenario it drew, some with these more (the report's extras name
 * them): in a quarter of the scenarios a LATE_EVENT_FAMILIES event at a free moment (an added
 * `ip rule` deleted again 1.3-2.5 s later, half the time); for 1 flow in 8 a TOS; a router's own
 * flow a mark 0x3 (the `policy` feature's fwmark) 1 time in 4; a TCP flow 2 or 3 exchanges on its
 * connection 1 time in 4 where its lines stay 0.25 s from the other flows' moments and the events.
 */
function lateExtras(d: Draft): string[] {
  const used: string[] = [];
  const { rng } = d;
  for (const f of d.flows) {
    if (f.proto !== 'sctp' && f.proto !== 'dccp' && !f.ftp && !f.tftp && rng.chance(0.125)) {
      f.tos = rng.pick(TOSES);
      if (!used.includes('tos')) used.push('tos');
    }
    if (d.routers.some((r) => r.name === f.from) && rng.chance(0.25)) {
      f.mark = 3;
      if (!used.includes('mark')) used.push('mark');
    }
    if (f.proto === 'tcp' && !f.ftp && f.count === undefined && rng.chance(0.25)) {
      if (exchanges(d, f, rng.pick([2, 3]), rng.pick([0.45, 0.65])) && !used.includes('exchanges'))
        used.push('exchanges');
    }
  }
  if (d.flows.length && rng.chance(0.25)) {
    const free = freeMoments(d);
    if (free.length) {
      const at = rng.pick(free);
      const r = rng.pick(d.routers);
      const fam = weighted(rng, LATE_EVENT_WEIGHTS);
      const run = LATE_EVENT_FAMILIES[fam]!(
        d,
        r,
        d.hosts.find((x) => x.name === r.name)!,
      );
      if (run) {
        d.events.push({ at, host: r.name, run });
        const pref = / pref 500$/.test(run) && run.startsWith('ip rule add ');
        const later = free.filter((t) => t >= at + 1.3 && t <= at + 2.5);
        if (pref && later.length && rng.chance(0.5))
          d.events.push({ at: rng.pick(later), host: r.name, run: 'ip rule del pref 500' });
        d.events.sort((a, b) => a.at - b.at);
        used.push(`net:${fam}`);
      }
    }
  }
  // An nft router fills a dynamic set from the packet path 1 time in 4 (NFT_LATE_FAMILIES).
  for (const r of d.routers) {
    const h = d.hosts.find((x) => x.name === r.name)!;
    if (h.nft && rng.chance(0.25) && NFT_LATE_FAMILIES.dynset!(rng, r, h.nft) && !used.includes('nft:dynset'))
      used.push('nft:dynset');
  }
  // Session 22: an nft router filters by a LAN client's MAC 1 time in 5 (nftMacFamily),
  // the client's MAC written out so the rule can name it.
  for (const r of d.routers) {
    const h = d.hosts.find((x) => x.name === r.name)!;
    const lan = lanOf(d, r).flatMap((x) => d.hosts.filter((y) => y.name === x.name && y.ifaces.length));
    if (!h.nft || !lan.length || !rng.chance(0.2)) continue;
    const c = rng.pick(lan);
    const k = d.hosts.indexOf(c);
    const mac =
      (c.ifaces[0]!.mac = `02:00:00:00:${(k >> 8).toString(16).padStart(2, '0')}:${(k & 255).toString(16).padStart(2, '0')}`);
    nftMacFamily(rng, r, mac, h.nft);
    if (!used.includes('nft:mac')) used.push('nft:mac');
  }
  return used;
}

/**
 * `count` exchanges on a TCP flow's connection, `interval` s apart, when each line stays 0.25 s
 * from the other flows' moments and the events and no later flow of the host starts while it is
 * open (its port is bound until then); false leaves the flow as it was.
 */
function exchanges(d: Draft, f: GenFlow, count: number, interval: number): boolean {
  const g: GenFlow = { ...f, count, interval };
  const others = busyMoments(d.flows.filter((x) => x !== f));
  const mine = burstMoments(g).map((x) => g.at + x);
  const endMine = g.at + flowSpan(g);
  if (mine.some((t) => others.some((b) => Math.abs(b - t) < 0.25))) return false;
  if (d.events.some((e) => e.at >= g.at - 0.25 && e.at <= endMine + 0.25)) return false;
  if (d.flows.some((x) => x !== f && x.from === f.from && x.at >= f.at && x.at <= endMine + 1)) return false;
  f.count = count;
  f.interval = interval;
  return true;
}

// ---- drawing -------------------------------------------------------------------------------

/** The scenario number `index` of the campaign `seed` (independent of the others). */
export function drawScenario(seed: number, index: number, opts: GenOptions = {}): GenScenario {
  const rng = new Rng((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77)) >>> 0);
  const d: Draft = {
    rng,
    hosts: [],
    links: [],
    flows: [],
    routers: [],
    servers: [],
    lanHosts: [],
    events: [],
    features: new Set(),
    overlap: false,
  };
  const topo = topology(d, opts);
  const ruleFams = rules(d, opts);
  features(d);
  flows(d);
  if (!opts.bindClash) separateBinds(d.flows);
  const evs = events(d);
  const more = extras(d);
  const flap = opts.linkFlaps === false ? undefined : linkFlap(d);
  if (flap) more.push(flap);
  if (opts.lateExtras !== false) more.push(...lateExtras(d));
  const feats = [...d.features].filter((f) => !f.includes(':'));
  return {
    seed,
    index,
    family: [
      `${topo}; rules ${ruleFams || 'none'}`,
      ...(feats.length ? [`features ${feats.join(',')}`] : []),
      ...(evs.length ? [`events ${evs.join(',')}`] : []),
      ...(more.length ? [`extras ${more.join(',')}`] : []),
    ].join('; '),
    hosts: d.hosts,
    links: d.links,
    flows: d.flows,
    events: d.events,
  };
}

// ---- YAML ----------------------------------------------------------------------------------

const q = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** The scenario as natbox YAML (the same text runs on natbox and on the kernel). */
export function renderYaml(s: GenScenario, name = `gen-${s.seed}-${s.index}`): string {
  const out = [`name: ${name}`, 'hosts:'];
  const ifaceLine = (i: GenIface): string => {
    const parts = [
      ...(i.addrs.length ? [`addresses: [${i.addrs.join(', ')}]`] : []),
      ...(i.mtu ? [`mtu: ${i.mtu}`] : []),
      ...(i.mac ? [`mac: ${q(i.mac)}`] : []),
    ];
    return `      ${i.name}: ${parts.length ? `{ ${parts.join(', ')} }` : '{}'}`;
  };
  for (const h of s.hosts) {
    out.push(`  ${h.name}:`, '    interfaces:');
    for (const i of h.ifaces) out.push(ifaceLine(i));
    if (h.bridge)
      out.push(
        '    bridges:',
        `      ${h.bridge.name}: { ports: [${h.bridge.ports.join(', ')}], addresses: [${h.bridge.addrs.join(', ')}] }`,
      );
    if (h.routes.length) out.push(`    routes: [${h.routes.map(q).join(', ')}]`);
    if (h.ipRules.length) out.push(`    ip_rules: [${h.ipRules.map(q).join(', ')}]`);
    if (h.sysctls.length) {
      out.push('    sysctls:');
      for (const [k, v] of h.sysctls) out.push(`      ${k}: ${v}`);
    }
    if (h.ipsets.length) {
      out.push('    ipsets: |');
      for (const l of h.ipsets) out.push(`      ${l}`);
    }
    if (h.rules.length) {
      out.push('    rules: |');
      for (const r of h.rules) out.push(`      iptables ${r}`);
    }
    if (h.nft) {
      out.push('    nft: |');
      for (const l of renderNft(h.nft)) out.push(`      ${l}`);
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
    parts.push(`at: ${f.at}`, `timeout: ${flowTimeout(f)}`);
    if (f.hold !== undefined) parts.push(`hold: ${f.hold}`);
    if (f.udpConnect === false) parts.push('udp_connect: false');
    if (f.size !== undefined) parts.push(`size: ${f.size}`);
    if (f.df !== undefined) parts.push(`df: ${f.df}`);
    if (f.tftp) parts.push('tftp: true');
    if (f.ftp) parts.push(`ftp: ${f.ftp}`);
    if (f.count !== undefined) parts.push(`count: ${f.count}`, `interval: ${f.interval ?? 0}`);
    if (f.ttl !== undefined) parts.push(`ttl: ${f.ttl}`);
    if (f.tos !== undefined) parts.push(`tos: 0x${f.tos.toString(16)}`);
    if (f.mark !== undefined) parts.push(`mark: '0x${f.mark.toString(16)}'`);
    out.push(`  - { ${parts.join(', ')} }`);
  });
  if (s.events.length) {
    out.push('events:');
    for (const e of s.events) out.push(`  - { at: ${e.at}, host: ${e.host}, run: ${q(e.run)} }`);
  }
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
    if (nftRuleCount(h.nft) > 1) add(`every nft rule of ${h.name}`, (c) => delete c.hosts[i]!.nft);
  });
  s.hosts.forEach((h) => {
    if (!used.has(h.name)) add(`host ${h.name}`, (c) => dropHosts(c, new Set([h.name])));
  });
  s.events.forEach((e, j) => add(`event "${e.run}" at ${e.at}`, (c) => c.events.splice(j, 1)));
  s.hosts.forEach((h, i) => {
    h.rules.forEach((r, j) => add(`${h.name} rule "${r}"`, (c) => c.hosts[i]!.rules.splice(j, 1)));
    h.nft?.chains.forEach((ch, k) =>
      ch.rules.forEach((r, j) =>
        add(`${h.name} nft rule "${r.text}" of ${ch.name}`, (c) =>
          c.hosts[i]!.nft!.chains[k]!.rules.splice(j, 1),
        ),
      ),
    );
  });
  s.hosts.forEach((h, i) => {
    h.nft?.chains.forEach((ch, k) => {
      if (ch.policy)
        add(`${h.name} ${ch.name}'s policy drop`, (c) => delete c.hosts[i]!.nft!.chains[k]!.policy);
      ch.rules.forEach((r, j) => {
        if (r.elems && r.elems.length > 1)
          r.elems.forEach((e, m) =>
            add(`${h.name} element "${e}" of "${r.text}"`, (c) =>
              c.hosts[i]!.nft!.chains[k]!.rules[j]!.elems!.splice(m, 1),
            ),
          );
      });
    });
    h.nft?.sets.forEach((st, k) =>
      st.elems.forEach((e, m) =>
        add(`${h.name} element "${e}" of @${st.name}`, (c) => c.hosts[i]!.nft!.sets[k]!.elems.splice(m, 1)),
      ),
    );
  });
  s.hosts.forEach((h, i) => {
    h.routes.forEach((r, j) => add(`${h.name} route "${r}"`, (c) => c.hosts[i]!.routes.splice(j, 1)));
    h.ipRules.forEach((r, j) => add(`${h.name} ip rule "${r}"`, (c) => c.hosts[i]!.ipRules.splice(j, 1)));
    // An ipset's entries one at a time (a set a rule names stays: without it the host does not load).
    h.ipsets.forEach((l, j) => {
      if (l.startsWith('add ')) add(`${h.name} ipset entry "${l}"`, (c) => c.hosts[i]!.ipsets.splice(j, 1));
    });
    h.sysctls.forEach(([k], j) => add(`${h.name} sysctl ${k}`, (c) => c.hosts[i]!.sysctls.splice(j, 1)));
    if (h.listen.length) add(`${h.name} listeners`, (c) => (c.hosts[i]!.listen = []));
    h.ifaces.forEach((f, j) => {
      if (f.mtu !== undefined) add(`${h.name} ${f.name} mtu`, (c) => delete c.hosts[i]!.ifaces[j]!.mtu);
      if (f.addrs.length > 1)
        add(`${h.name} ${f.name} address ${f.addrs[1]}`, (c) => c.hosts[i]!.ifaces[j]!.addrs.splice(1));
    });
  });
  s.flows.forEach((f, i) => {
    if (f.sport !== undefined) add(`f${i + 1} source port`, (c) => delete c.flows[i]!.sport);
    if (f.hold !== undefined) add(`f${i + 1} hold`, (c) => delete c.flows[i]!.hold);
    if (f.udpConnect !== undefined) add(`f${i + 1} udp_connect`, (c) => delete c.flows[i]!.udpConnect);
    if (f.size !== undefined) add(`f${i + 1} size`, (c) => delete c.flows[i]!.size);
    if (f.df !== undefined) add(`f${i + 1} df`, (c) => delete c.flows[i]!.df);
    if (f.count !== undefined)
      add(`f${i + 1} burst`, (c) => {
        delete c.flows[i]!.count;
        delete c.flows[i]!.interval;
      });
    if (f.ttl !== undefined) add(`f${i + 1} ttl`, (c) => delete c.flows[i]!.ttl);
    if (f.tos !== undefined) add(`f${i + 1} tos`, (c) => delete c.flows[i]!.tos);
    if (f.mark !== undefined) add(`f${i + 1} mark`, (c) => delete c.flows[i]!.mark);
    // An FTP session's data connection the simpler way (PASV: the client opens it), then none.
    if (f.ftp === 'active') add(`f${i + 1} ftp active`, (c) => (c.flows[i]!.ftp = 'passive'));
    if (f.ftp) add(`f${i + 1} ftp session`, (c) => delete c.flows[i]!.ftp);
    if (f.at >= 2) add(`f${i + 1} start`, (c) => (c.flows[i]!.at = Math.round((f.at % 2) * 10) / 10));
  });
  return out;
}

/** The size of a scenario, for reports: flows, hosts, rules. */
export const sizeOf = (s: GenScenario): string =>
  `${s.flows.length} flow${s.flows.length === 1 ? '' : 's'}, ${s.hosts.length} hosts, ${s.hosts.reduce((n, h) => n + h.rules.length + nftRuleCount(h.nft), 0)} rules${s.events.length ? `, ${s.events.length} event${s.events.length === 1 ? '' : 's'}` : ''}`;
