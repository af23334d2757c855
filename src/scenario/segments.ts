// Address spaces as they are: an address must be unique within one L2 segment, not across the
// scenario. Two routers may each have a LAN 192.168.1.0/24 with a client 192.168.1.10 (CGNAT
// subscribers, VPN sites). A segment is what a link joins (a cable or a switch), widened by the
// bridges whose ports are on it (the bridge device is on that segment too). The same address
// twice on one segment is what Linux experiences as an address conflict: both hosts answer ARP
// for it. natbox simulates exactly that and says so in a warning.
import { formatIpv4 } from '../wire/addr.ts';
import type { HostConfig } from '../stack/host.ts';
import type { LinkConfig } from '../sim/world.ts';

/** The warnings for addresses used more than once on one segment. */
export function addressConflicts(hosts: readonly HostConfig[], links: readonly LinkConfig[]): string[] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let p = parent.get(x) ?? x;
    while (p !== (parent.get(p) ?? p)) p = parent.get(p) ?? p;
    parent.set(x, p);
    return p;
  };
  const join = (a: string, b: string): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra, rb);
  };
  for (const l of links) {
    const [first, ...rest] = l.endpoints.map((e) => `${e.host}:${e.iface}`);
    for (const e of rest) join(first!, e);
  }
  for (const h of hosts)
    for (const b of h.bridges) for (const p of b.ports) join(`${h.name}:${b.name}`, `${h.name}:${p}`);
  const seen = new Map<string, string>();
  const out: string[] = [];
  for (const h of hosts)
    for (const d of [...h.ifaces, ...h.bridges])
      for (const a of d.addrs) {
        const seg = find(`${h.name}:${d.name}`);
        const key = `${seg} ${a.addr}`;
        const first = seen.get(key);
        const here = `${h.name} ${d.name}`;
        if (first === undefined) seen.set(key, here);
        else if (first.split(' ')[0] !== h.name)
          out.push(
            `address ${formatIpv4(a.addr)} is on both ${first} and ${here}, on the same segment: an address conflict (both answer ARP for it, as on Linux)`,
          );
      }
  return out;
}
