// A scenario host's addresses and what check asks of them (discover.ts, discover-nft.ts, causes.ts).
import { prefixMask, type Prefix } from '../wire/addr.ts';
import type { WorldConfig } from '../sim/world.ts';

export type HostCfg = WorldConfig['hosts'][number];

export interface Addr {
  readonly dev: string;
  readonly addr: number;
  readonly len: number;
}

/** Every address of a host, devices in order (interfaces, then bridges). */
export function hostAddrs(h: HostCfg): Addr[] {
  const out: Addr[] = [];
  for (const d of [...h.ifaces, ...h.bridges]) for (const a of d.addrs) out.push({ dev: d.name, ...a });
  return out;
}

/** The network of an address (its prefix). */
export const netOf = (a: Addr): Prefix => ({
  addr: (a.addr & prefixMask(a.len)) >>> 0,
  mask: prefixMask(a.len),
});

/** The host that owns `addr`, if any. */
export function ownerOf(world: WorldConfig, addr: number): string | undefined {
  return world.hosts.find((h) => hostAddrs(h).some((a) => a.addr === addr))?.name;
}

export const isRouter = (h: HostCfg): boolean => (h.sysctls.get('net.ipv4.ip_forward') ?? 0) === 1;
