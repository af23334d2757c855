// A host's network devices: physical (veth-like) interfaces and Linux bridges, with their MAC,
// IPv4 addresses and, for a bridge, its ports and forwarding database.

export interface IfAddr {
  readonly addr: number;
  readonly len: number;
}

export interface Iface {
  readonly name: string;
  readonly kind: 'eth' | 'bridge';
  readonly mac: Uint8Array;
  readonly addrs: IfAddr[];
  /** The bridge this interface is a port of. */
  master: string | undefined;
  /** Bridge only: its ports, in order, and the MAC → port table it has learned. */
  readonly ports: string[];
  readonly fdb: Map<string, string>;
  /** The device's MTU (`ip link set DEV mtu N`; 1500 by default; a bridge's: its smallest port's). */
  mtu: number;
}

export function makeIface(
  name: string,
  kind: 'eth' | 'bridge',
  mac: Uint8Array,
  addrs: IfAddr[] = [],
  mtu = 1500,
): Iface {
  return { name, kind, mac, addrs, master: undefined, ports: [], fdb: new Map(), mtu };
}

/** A deterministic locally administered MAC from a host and interface name (02:…). */
export function generateMac(host: string, ifname: string): Uint8Array {
  let h = 0x811c9dc5;
  for (const c of `${host}:${ifname}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  let h2 = 0x01000193;
  for (const c of `${ifname}/${host}`) h2 = Math.imul(h2 ^ c.charCodeAt(0), 0x811c9dc5) >>> 0;
  return new Uint8Array([0x02, (h >>> 24) & 0xff, (h >>> 16) & 0xff, (h >>> 8) & 0xff, h & 0xff, h2 & 0xff]);
}

export const macKey = (b: Uint8Array, off = 0): string =>
  `${b[off]},${b[off + 1]},${b[off + 2]},${b[off + 3]},${b[off + 4]},${b[off + 5]}`;
