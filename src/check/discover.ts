// Discovery: from a built scenario, the routers (hosts that forward), the networks on each side,
// their port forwards (DNAT, REDIRECT, NETMAP reached from nat PREROUTING, through jumps into user
// chains such as Docker's DOCKER; nft dnat/redirect statements), their MASQUERADE/SNAT rules and
// the services listening. Then the flows that matter: from one host of each inside network and
// from the outside to each forward (per protocol), the router's own traffic to its public address,
// and each inside network out through the masquerade. An outside host is added when the scenario
// has none on the WAN side.
import { formatIpv4, formatPrefix, inPrefix, parseIpv4, prefixMask, type Prefix } from '../wire/addr.ts';
import type { Chain, Inv, IfaceMatch, Rule, Ruleset } from '../rules/iptables/model.ts';
import { formatRule } from '../rules/iptables/print-save.ts';
import type { Flow } from '../sim/flows.ts';
import type { WorldConfig } from '../sim/world.ts';
import type { Built } from '../scenario/build.ts';
import type { NftRuleset } from '../rules/nft/model.ts';
import type { CheckFlow, ForwardView, NetworkView, Proto, RouterView, SnatView } from './model.ts';
import { nftForwards, nftSnats } from './discover-nft.ts';

import { hostAddrs, isRouter, netOf, ownerOf, type Addr, type HostCfg } from './hosts.ts';

export { hostAddrs, isRouter, ownerOf, type Addr, type HostCfg } from './hosts.ts';

/** The name of the outside host check adds when the scenario has none. */
export const OUTSIDE_HOST = 'check-outside';

function networkOf(world: WorldConfig, router: HostCfg, a: Addr): NetworkView {
  const p = netOf(a);
  const hosts = world.hosts
    .filter((h) => h.name !== router.name && hostAddrs(h).some((x) => inPrefix(x.addr, p)))
    .map((h) => h.name);
  return { dev: a.dev, prefix: formatPrefix(p), routerAddr: formatIpv4(a.addr), hosts };
}

const prefixOfText = (t: string): Prefix => {
  const [a = '', l = '32'] = t.split('/');
  const len = Number(l);
  return { addr: ((parseIpv4(a) as { value: number }).value & prefixMask(len)) >>> 0, mask: prefixMask(len) };
};

const ifaceMatches = (m: Inv<IfaceMatch> | undefined, dev: string): boolean => {
  if (!m) return true;
  const hit = m.value.wildcard ? dev.startsWith(m.value.name) : dev === m.value.name;
  return hit !== m.invert;
};
const prefixAdmits = (m: Inv<Prefix> | undefined, addr: number): boolean =>
  !m || inPrefix(addr, m.value) !== m.invert;

/** A rule's conditions along its chain path, merged (the innermost wins). */
interface PathCond {
  readonly src?: Inv<Prefix>;
  readonly dst?: Inv<Prefix>;
  readonly inIface?: Inv<IfaceMatch>;
  readonly protocol?: number;
  readonly dport?: { min: number; max: number };
  readonly dstLocal: boolean;
  readonly conds: readonly Rule[];
}

function dportOf(r: Rule): { min: number; max: number } | undefined {
  for (const m of r.matches) {
    if ((m.module === 'tcp' || m.module === 'udp') && m.dport && !m.dport.invert) return m.dport.value;
    if (m.module === 'multiport' && m.kind !== 'sports' && !m.ports.invert) return m.ports.value[0];
  }
  return undefined;
}

function addCond(c: PathCond, r: Rule): PathCond {
  const dport = dportOf(r);
  const local = r.matches.some(
    (m) =>
      m.module === 'addrtype' &&
      m.dstType !== undefined &&
      !m.dstType.invert &&
      (m.dstType.value & (1 << 2)) !== 0,
  );
  return {
    ...c,
    ...(r.src ? { src: r.src } : {}),
    ...(r.dst ? { dst: r.dst } : {}),
    ...(r.inIface ? { inIface: r.inIface } : {}),
    ...(r.protocol && !r.protocol.invert && r.protocol.value !== 0 ? { protocol: r.protocol.value } : {}),
    ...(dport ? { dport } : {}),
    dstLocal: c.dstLocal || local,
    conds: [...c.conds, r],
  };
}

/** Every NAT-target rule reachable from `chain`, with its path and merged conditions. */
function walk(
  chains: Map<string, Chain>,
  chain: string,
  cond: PathCond,
  path: string[],
  out: { rule: Rule; chain: string; index: number; cond: PathCond; path: string[] }[],
  depth = 0,
): void {
  const c = chains.get(chain);
  if (!c || depth > 16) return;
  c.rules.forEach((r, i) => {
    const t = r.target;
    if (!t) return;
    if (t.kind === 'jump' || t.kind === 'goto')
      walk(chains, t.chain, addCond(cond, r), [...path, t.chain], out, depth + 1);
    else if (
      t.kind === 'DNAT' ||
      t.kind === 'REDIRECT' ||
      t.kind === 'NETMAP' ||
      t.kind === 'SNAT' ||
      t.kind === 'MASQUERADE'
    )
      out.push({ rule: r, chain, index: i + 1, cond: addCond(cond, r), path });
  });
}

const PROTOS: Record<number, Proto> = { 6: 'tcp', 17: 'udp' };

/** The router's view: networks, forwards, SNATs, services. */
export function discoverRouter(world: WorldConfig, built: Built, router: HostCfg): RouterView {
  const addrs = hostAddrs(router).filter((a) => a.dev !== 'lo');
  const rs: Ruleset | undefined = built.rulesets.get(router.name);
  const nft: NftRuleset | undefined = built.nftRulesets?.get(router.name);
  const nat = rs?.tables.get('nat')?.chains;
  const found: Parameters<typeof walk>[4] = [];
  if (nat) walk(nat, 'PREROUTING', { dstLocal: false, conds: [] }, ['PREROUTING'], found);
  const post: Parameters<typeof walk>[4] = [];
  if (nat) walk(nat, 'POSTROUTING', { dstLocal: false, conds: [] }, ['POSTROUTING'], post);

  // The WAN: the default route's device, else the device the forwards' -i names.
  const defDev = router.routes.find((r) => r.len === 0 && (r.table === undefined || r.table === 254))?.dev;
  const dnatIn = found.find((f) => f.cond.inIface && !f.cond.inIface.invert)?.cond.inIface?.value.name;
  const wanDev = defDev ?? dnatIn;
  const wanAddr = addrs.find((a) => a.dev === wanDev);
  const wan = wanAddr ? networkOf(world, router, wanAddr) : undefined;
  const inside = addrs.filter((a) => a.dev !== wanDev).map((a) => networkOf(world, router, a));
  const publicAddr = wanAddr?.addr ?? addrs[0]?.addr ?? 0;

  const forwards: ForwardView[] = [];
  const listenOf = (host: string | undefined, proto: Proto): number | undefined =>
    world.hosts.find((h) => h.name === host)?.listen.find((l) => l.proto === proto)?.port;
  for (const f of found) {
    const t = f.rule.target!;
    if (t.kind !== 'DNAT' && t.kind !== 'REDIRECT' && t.kind !== 'NETMAP') continue;
    const c = f.cond;
    const dstAddr = c.dst && !c.dst.invert && c.dst.value.mask === 0xffffffff ? c.dst.value.addr : publicAddr;
    let targetAddr = router === undefined ? 0 : dstAddr;
    let targetPort: number | undefined;
    if (t.kind === 'DNAT') {
      const r0 = t.ranges[0];
      if (r0?.hasAddr) targetAddr = r0.minAddr;
      if (r0?.hasPorts) targetPort = r0.minPort;
    } else if (t.kind === 'REDIRECT') {
      targetAddr = addrs.find((a) => inPrefix(dstAddr, netOf(a)))?.addr ?? publicAddr;
      if (t.ports) targetPort = t.ports.min;
    } else {
      targetAddr = (t.to.addr | (dstAddr & ~t.to.mask)) >>> 0;
    }
    const targetHost =
      targetAddr === dstAddr || addrs.some((a) => a.addr === targetAddr)
        ? router.name
        : ownerOf(world, targetAddr);
    const protos: Proto[] = c.protocol
      ? PROTOS[c.protocol]
        ? [PROTOS[c.protocol]!]
        : []
      : (['tcp', 'udp'] as Proto[]).filter((p) => listenOf(targetHost, p) !== undefined);
    const sideAdmits = (n: NetworkView | undefined): boolean =>
      n !== undefined &&
      ifaceMatches(c.inIface, n.dev) &&
      prefixAdmits(
        c.src,
        prefixOfText(n.prefix).addr === 0 ? 1 : (firstHostAddr(world, n) ?? prefixOfText(n.prefix).addr),
      );
    for (const proto of protos) {
      const publicPort = c.dport?.min ?? targetPort ?? listenOf(targetHost, proto);
      if (publicPort === undefined) continue;
      forwards.push({
        id: `${router.name}:${proto}/${publicPort}`,
        lang: 'iptables',
        rule: formatRule(f.chain, f.rule),
        path: f.path.join(' > '),
        ...(f.rule.loc ? { loc: f.rule.loc } : {}),
        proto,
        publicAddr: formatIpv4(dstAddr),
        publicPort,
        targetAddr: formatIpv4(targetAddr),
        targetPort: targetPort ?? publicPort,
        ...(targetHost ? { targetHost } : {}),
        fromInside: inside.some((n) => sideAdmits(n)),
        fromOutside: sideAdmits(wan),
      });
    }
  }
  if (nft) forwards.push(...nftForwards(world, router, nft, { wan, inside, publicAddr, addrs }));

  const snats: SnatView[] = [];
  for (const f of post) {
    const t = f.rule.target!;
    if (t.kind !== 'SNAT' && t.kind !== 'MASQUERADE') continue;
    const o = f.cond.conds.find((r) => r.outIface)?.outIface;
    snats.push({
      rule: formatRule(f.chain, f.rule),
      ...(f.rule.loc ? { loc: f.rule.loc } : {}),
      kind: t.kind,
      ...(f.cond.src && !f.cond.src.invert ? { src: formatPrefix(f.cond.src.value) } : {}),
      ...(f.cond.dst && !f.cond.dst.invert ? { dst: formatPrefix(f.cond.dst.value) } : {}),
      ...(o ? { outIface: o.value.name + (o.value.wildcard ? '+' : '') } : {}),
      outInvert: o?.invert ?? false,
    });
  }
  if (nft) snats.push(...nftSnats(nft));
  const services = router.listen.map((l) => `${l.proto}/${l.port}`);
  const lang = rs ? 'iptables' : nft ? 'nft' : 'none';
  // Forwards found twice (tcp with no dport and a listener) keep their first.
  const seen = new Set<string>();
  return {
    host: router.name,
    lang,
    ...(wan ? { wan } : {}),
    inside,
    forwards: forwards.filter((f) => (seen.has(f.id) ? false : (seen.add(f.id), true))),
    snats,
    services,
  };
}

/** A host address in the network (the first host's), to test -s against. */
function firstHostAddr(world: WorldConfig, n: NetworkView): number | undefined {
  const p = prefixOfText(n.prefix);
  for (const name of n.hosts) {
    const h = world.hosts.find((x) => x.name === name);
    const a = h && hostAddrs(h).find((x) => inPrefix(x.addr, p));
    if (a) return a.addr;
  }
  return undefined;
}

export interface Discovery {
  /** The world the generated flows run in (an outside host added when needed). */
  readonly world: WorldConfig;
  readonly routers: RouterView[];
  readonly flows: CheckFlow[];
  readonly simFlows: Flow[];
}

/**
 * The client of network `n`: a host that is not `not`, preferring a plain client (one with a
 * default route, that does not forward and listens on nothing) to a server or another router.
 */
function clientIn(world: WorldConfig, n: NetworkView, not: string | undefined): string | undefined {
  const score = (name: string): number => {
    const h = world.hosts.find((x) => x.name === name);
    if (!h) return 9;
    return (
      (isRouter(h) ? 4 : 0) + (h.routes.some((r) => r.len === 0) ? 0 : 2) + (h.listen.length > 0 ? 1 : 0)
    );
  };
  const c = n.hosts.filter((h) => h !== not && h !== OUTSIDE_HOST);
  return c.sort((a, b) => score(a) - score(b))[0];
}

/** Adds an outside host on the router's WAN segment when nothing but the router is there. */
function withOutside(
  world: WorldConfig,
  router: HostCfg,
  wan: NetworkView,
): { world: WorldConfig; host: string } {
  const p = prefixOfText(wan.prefix);
  const used = new Set(world.hosts.flatMap((h) => hostAddrs(h).map((a) => a.addr)));
  const size = (~p.mask >>> 0) + 1;
  let addr = 0;
  for (let i = size - 2; i >= 1 && addr === 0; i--)
    if (!used.has((p.addr + i) >>> 0)) addr = (p.addr + i) >>> 0;
  const len = 32 - Math.log2(size);
  const host: HostCfg = {
    name: OUTSIDE_HOST,
    ifaces: [{ name: 'eth0', mac: new Uint8Array([2, 0xc4, 0xec, 0, 0, 1]), addrs: [{ addr, len }] }],
    bridges: [],
    routes: [
      { addr: p.addr, len, via: 0, dev: 'eth0', src: addr, metric: 0, scope: 253, proto: 'kernel' },
      {
        addr: 0,
        len: 0,
        via: (parseIpv4(wan.routerAddr) as { value: number }).value,
        dev: 'eth0',
        src: 0,
        metric: 0,
      },
    ],
    sysctls: new Map(),
    listen: [
      { proto: 'tcp', port: 80 },
      { proto: 'udp', port: 5000 },
    ],
  };
  const link = world.links.find((l) =>
    l.endpoints.some((e) => e.host === router.name && e.iface === wan.dev),
  );
  const links = link
    ? world.links.map((l) =>
        l === link ? { ...l, endpoints: [...l.endpoints, { host: OUTSIDE_HOST, iface: 'eth0' }] } : l,
      )
    : [
        ...world.links,
        {
          name: 'check-wan',
          endpoints: [
            { host: router.name, iface: wan.dev },
            { host: OUTSIDE_HOST, iface: 'eth0' },
          ],
        },
      ];
  return { world: { ...world, hosts: [...world.hosts, host], links }, host: OUTSIDE_HOST };
}

/** Discovery over the whole scenario: routers and the flows to run. */
export function discover(built: Built): Discovery {
  let world = built.world;
  const routers: RouterView[] = [];
  const flows: CheckFlow[] = [];
  let sport = 47000;
  const add = (f: Omit<CheckFlow, 'sport'>): void => {
    flows.push({ ...f, sport: sport++ });
  };
  for (const h of built.world.hosts.filter(isRouter)) {
    let rv = discoverRouter(world, built, h);
    if (rv.forwards.length === 0 && rv.snats.length === 0) continue;
    // An outside host: someone on the WAN segment other than the router, else one added.
    let outside =
      rv.wan?.hosts.find((x) => !world.hosts.find((y) => y.name === x && isRouter(y))) ?? rv.wan?.hosts[0];
    if (rv.wan && !outside) {
      const w = withOutside(world, h, rv.wan);
      world = w.world;
      outside = w.host;
      rv = discoverRouter(
        world,
        built,
        world.hosts.find((x) => x.name === h.name)!,
      );
    }
    routers.push(rv);
    for (const f of rv.forwards) {
      const to = `${f.publicAddr}:${f.publicPort}`;
      for (const n of rv.inside) {
        const c = clientIn(world, n, f.targetHost);
        if (!c) continue;
        add({
          name: `${c} -> ${to}/${f.proto} (${n.dev})`,
          kind: 'forward-inside',
          from: c,
          proto: f.proto,
          to,
          forward: f.id,
          router: h.name,
          intended: f.fromInside,
        });
      }
      if (outside && outside !== f.targetHost)
        add({
          name: `${outside} -> ${to}/${f.proto} (outside)`,
          kind: 'forward-outside',
          from: outside,
          proto: f.proto,
          to,
          forward: f.id,
          router: h.name,
          intended: f.fromOutside,
        });
      add({
        name: `${h.name} -> ${to}/${f.proto} (router itself)`,
        kind: 'router-own',
        from: h.name,
        proto: f.proto,
        to,
        forward: f.id,
        router: h.name,
        intended: false,
      });
    }
    // Out through each MASQUERADE/SNAT: one host of each inside network it covers to an outside service.
    const out = outside ? world.hosts.find((x) => x.name === outside) : undefined;
    const svc = out?.listen.find((l) => l.proto === 'tcp');
    const outAddr = out
      ? hostAddrs(out).find((a) => rv.wan && inPrefix(a.addr, prefixOfText(rv.wan.prefix)))
      : undefined;
    if (out && svc && outAddr)
      for (const n of rv.inside) {
        // Outbound intent: a MASQUERADE/SNAT for this network not aimed at an inside server.
        const covered = rv.snats.some(
          (s) =>
            (!s.src || inPrefix(prefixOfText(n.prefix).addr, prefixOfText(s.src))) &&
            (!s.dst || !rv.inside.some((m) => inPrefix(prefixOfText(s.dst!).addr, prefixOfText(m.prefix)))),
        );
        const c = clientIn(world, n, undefined);
        if (!covered || !c) continue;
        add({
          name: `${c} -> ${formatIpv4(outAddr.addr)}:${svc.port}/tcp (out, ${n.dev})`,
          kind: 'outbound',
          from: c,
          proto: 'tcp',
          to: `${formatIpv4(outAddr.addr)}:${svc.port}`,
          router: h.name,
          intended: true,
        });
      }
  }
  return { world, routers, flows, simFlows: flows.map((f, i) => toSimFlow(f, i)) };
}

/** A check flow as the simulator runs it: 1.5 s to connect (a SYN and one retry), held 0.2 s, 20 ms apart. */
export function toSimFlow(f: CheckFlow, i: number): Flow {
  const [a = '', p = '0'] = f.to.split(':');
  return {
    name: f.name,
    from: f.from,
    proto: f.proto,
    dst: (parseIpv4(a) as { value: number }).value,
    dport: Number(p),
    sport: f.sport,
    at: 0.1 + i * 0.02,
    timeout: 1.5,
    hold: 0.2,
    udpConnect: true,
    icmpId: 20306,
  };
}
