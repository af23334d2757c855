// A host's `routes:` (the whole `ip route add` syntax) and `ip_rules:` (`ip rule add`
// arguments), parsed by route/ and checked against the host as the kernel checks them: a device
// must exist, a gateway must be on a connected network ("Nexthop has invalid gateway"), a
// preferred source must be one of the host's addresses ("Invalid prefsrc address"), a goto must
// point forward ("Backward goto not supported"). Errors are at the word's file position.
import type { SourceLoc } from '../rules/iptables/model.ts';
import {
  nexthopBounds,
  parseRoute,
  RTN_BROADCAST,
  RTN_LOCAL,
  RTN_UNICAST,
  type TableNames,
} from '../route/table.ts';
import { parseRule, RuleList, type ParsedRule } from '../route/rule.ts';
import { prefixMask } from '../wire/addr.ts';
import type { HostConfig } from '../stack/host.ts';
import type { At, HostSpec } from './model.ts';

/** A host's `rt_tables:` as the name → id map route/ reads. */
export function tableNamesOf(h: Pick<HostSpec, 'rtTables'>): Map<string, number> {
  return new Map([...(h.rtTables ?? new Map<string, At<number>>())].map(([k, v]) => [k, v.value]));
}

type Dev = { readonly name: string; readonly addrs: readonly { addr: number; len: number }[] };
type Err = (loc: SourceLoc, message: string, colOffset?: number) => void;

const onNet = (a: { addr: number; len: number }, x: number): boolean =>
  ((a.addr ^ x) & prefixMask(a.len)) === 0;

/** The host's routes with their devices resolved, or nothing for a route in error. */
export function buildRoutes(
  name: string,
  routes: readonly At<string>[],
  devs: readonly Dev[],
  err: Err,
  names?: TableNames,
): HostConfig['routes'][number][] {
  const out: HostConfig['routes'][number][] = [];
  const devNames = ['lo', ...devs.map((d) => d.name)];
  const hasDev = (d: string): boolean => devNames.includes(d);
  const gatewayDev = (via: number, dev: string | undefined): string | undefined =>
    devs.find((d) => (dev === undefined || d.name === dev) && d.addrs.some((a) => onNet(a, via)))?.name;
  const local = (a: number): boolean =>
    a >>> 24 === 127 || devs.some((d) => d.addrs.some((x) => x.addr === a));
  for (const r of routes) {
    const p = parseRoute(r.value, names);
    if (!p.ok) {
      err(r.loc, `hosts.${name}.routes: ${p.error.message}`, p.error.offset);
      continue;
    }
    const v = p.value;
    const noDev = (d: string, at: number): void =>
      err(r.loc, `hosts.${name}.routes: no device "${d}" on ${name} (it has ${devNames.join(', ')})`, at);
    if (v.dev !== undefined && !hasDev(v.dev)) {
      noDev(v.dev, v.devAt);
      continue;
    }
    let dev = v.dev ?? '';
    if (v.via) {
      const d = gatewayDev(v.via, v.dev);
      if (!d) {
        err(
          r.loc,
          `hosts.${name}.routes: gateway ${r.value.slice(v.viaAt).split(/\s+/)[0]} is not on a network ${name} is connected to (Linux: "Nexthop has invalid gateway")`,
          v.viaAt,
        );
        continue;
      }
      dev = d;
    }
    if (
      v.src !== 0 &&
      (v.type === RTN_UNICAST || v.type === RTN_LOCAL || v.type === RTN_BROADCAST) &&
      !local(v.src)
    ) {
      const at = r.value.search(/\bsrc\s/);
      err(
        r.loc,
        `hosts.${name}.routes: preferred source is not an address of ${name} (Linux: "Invalid prefsrc address")`,
        at < 0 ? 0 : at,
      );
      continue;
    }
    let nexthops: ReturnType<typeof nexthopBounds> | undefined;
    if (v.nexthops) {
      const nhs: { via: number; dev: string; weight: number }[] = [];
      let bad = false;
      for (const nh of v.nexthops) {
        if (nh.dev !== undefined && !hasDev(nh.dev)) {
          noDev(nh.dev, nh.at);
          bad = true;
          break;
        }
        const d = nh.via ? gatewayDev(nh.via, nh.dev) : nh.dev;
        if (!d) {
          err(
            r.loc,
            `hosts.${name}.routes: a nexthop's gateway is not on a network ${name} is connected to (Linux: "Nexthop has invalid gateway")`,
            nh.at,
          );
          bad = true;
          break;
        }
        nhs.push({ via: nh.via, dev: d, weight: nh.weight });
      }
      if (bad) continue;
      nexthops = nexthopBounds(nhs);
    }
    out.push({
      addr: v.addr,
      len: v.len,
      via: v.via,
      dev,
      src: v.src,
      metric: v.metric,
      ...(v.type !== RTN_UNICAST ? { type: v.type } : {}),
      ...(v.table !== 254 ? { table: v.table } : {}),
      ...(v.tos ? { tos: v.tos } : {}),
      ...(v.scope !== undefined ? { scope: v.scope } : {}),
      ...(v.proto !== undefined ? { proto: v.proto } : {}),
      ...(v.mtu !== undefined ? { mtu: v.mtu, mtuLock: v.mtuLock } : {}),
      ...(v.advmss !== undefined ? { advmss: v.advmss } : {}),
      ...(nexthops ? { nexthops } : {}),
    });
  }
  return out;
}

/** The host's `ip rule add` rules, checked by adding them in order to Linux's defaults. */
export function buildIpRules(
  name: string,
  rules: readonly At<string>[],
  err: Err,
  names?: TableNames,
): ParsedRule[] {
  const out: ParsedRule[] = [];
  const trial = new RuleList();
  for (const r of rules) {
    const p = parseRule(r.value, names);
    if (!p.ok) {
      err(r.loc, `hosts.${name}.ip_rules: ${p.error.message}`, p.error.offset);
      continue;
    }
    const refused = trial.add(p.value);
    if (refused !== undefined) {
      err(r.loc, `hosts.${name}.ip_rules: ${refused}`);
      continue;
    }
    out.push(p.value);
  }
  return out;
}
