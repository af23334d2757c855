// From a loaded Scenario to what the simulator runs: host configurations (addresses, bridges,
// routes resolved to devices, sysctls, rules parsed by the rules front end and checked by
// netfilter), links and flows. Every problem is reported at the file, line and column of the value
// that causes it; nothing is half-built.
import { parseIpv4 } from '../wire/addr.ts';
import { parseMac } from '../wire/addr.ts';
import { buildIpRules, buildRoutes, tableNamesOf } from './routing.ts';
import { addressConflicts } from './segments.ts';
import { loadRules } from '../rules/load.ts';
import { formatRule } from '../rules/iptables/print-save.ts';
import type { Ruleset, SourceLoc } from '../rules/iptables/model.ts';
import { checkRuleset } from '../netfilter/core/engine.ts';
import { IpSetMatcher, isSetType, SET_TYPES } from '../netfilter/xtables/set.ts';
import { checkSetsExist } from '../rules/ipset.ts';
import { generateMac } from '../stack/iface.ts';
import type { Flow, Verdict } from '../sim/flows.ts';
import type { LinkConfig, WorldConfig } from '../sim/world.ts';
import type { At, HostSpec, Scenario } from './model.ts';
import type { NftRuleset } from '../rules/nft/model.ts';
import { buildNft, hostRules } from './nft.ts';

export interface BuildError {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

export const formatBuildError = (e: BuildError): string => `${e.file}:${e.line}:${e.column}: ${e.message}`;

export interface Built {
  readonly world: WorldConfig;
  readonly flows: Flow[];
  readonly rulesets: ReadonlyMap<string, Ruleset>;
  /** Rules left out because natbox cannot simulate them (only with `skipUnsupported`). */
  readonly skipped: readonly SkippedRule[];
  /** What a run goes on with but a user should know (an address twice on one segment). */
  readonly warnings?: readonly string[];
  /**
   * What the rules hold that is read but has no effect on the IPv4 packets natbox runs (an nft
   * ip6 table, an inet table's IPv6 half), FILE:LINE:COLUMN: HOST: message.
   */
  readonly notes?: readonly string[];
  /** The hosts' nftables rulesets (from `rules:` in nftables, or `nft:`), by host. */
  readonly nftRulesets?: ReadonlyMap<string, NftRuleset>;
}

/** A rule natbox could not simulate and left out, where it was written and why. */
export interface SkippedRule {
  readonly host: string;
  readonly where: string; // FILE:LINE:COLUMN
  readonly rule: string; // -A CHAIN … as iptables-save prints it
  readonly reason: string;
}

export interface BuildOptions {
  /**
   * Leave out the rules natbox cannot simulate (an unsupported match or target) instead of
   * refusing the scenario; each is listed in `skipped`, and the trace says so.
   */
  readonly skipUnsupported?: boolean;
}

const DEFAULT_SYSCTLS: ReadonlyArray<readonly [string, number]> = [
  ['net.ipv4.ip_forward', 0],
  // OpenWrt's value, and the examples' default; a new Linux namespace with br_netfilter has 1.
  ['net.bridge.bridge-nf-call-iptables', 0],
  ['net.netfilter.nf_conntrack_tcp_loose', 1],
  ['net.ipv4.tcp_syn_retries', 6],
  ['net.ipv4.tcp_syn_linear_timeouts', 4],
];

/** The device part of a per-device sysctl, net.ipv4.conf.DEV.KEY or net.ipv4.neigh.DEV.KEY. */
const CONF_DEV = /^net\.ipv4\.(?:conf|neigh)\.([^.]+)\.[a-z_]+$/;

function addrWithLen(text: string): { addr: number; len: number } | undefined {
  const [a, l] = text.split('/');
  const ip = parseIpv4(a ?? '');
  const len = Number(l);
  if (!ip.ok || !Number.isInteger(len) || len < 0 || len > 32) return undefined;
  return { addr: ip.value, len };
}

export function buildScenario(
  sc: Scenario,
  opts: BuildOptions = {},
): { ok: true; built: Built } | { ok: false; errors: BuildError[] } {
  const errors: BuildError[] = [];
  const skipped: SkippedRule[] = [];
  const notes: string[] = [];
  const err = (loc: SourceLoc, message: string, colOffset = 0): void => {
    errors.push({ file: loc.file, line: loc.line, column: loc.column + colOffset, message });
  };
  const hosts: WorldConfig['hosts'][number][] = [];
  const rulesets = new Map<string, Ruleset>();
  const nftRulesets = new Map<string, NftRuleset>();

  for (const h of sc.hosts) {
    const name = h.name.value;
    const ifaces = h.interfaces.map((i) => ({
      name: i.name.value,
      mac: macOf(i.mac, name, i.name.value, err),
      addrs: i.addresses.map((a) => addrWithLen(a.value)).filter((x) => x !== undefined),
      ...(i.group ? { group: i.group.value } : {}),
      ...(i.mtu ? { mtu: i.mtu.value } : {}),
    }));
    const bridges = h.bridges.map((b) => ({
      name: b.name.value,
      mac: macOf(b.mac, name, b.name.value, err),
      addrs: b.addresses.map((a) => addrWithLen(a.value)).filter((x) => x !== undefined),
      ports: b.ports.map((p) => p.value),
      ...(b.stp
        ? {
            stp: {
              priority: b.stp.priority,
              forwardDelay: b.stp.forwardDelay,
              helloTime: b.stp.helloTime,
              maxAge: b.stp.maxAge,
            },
          }
        : {}),
    }));
    const devs = [...ifaces, ...bridges];
    const rtTables = tableNamesOf(h);
    const routes = buildRoutes(name, h.routes, devs, err, rtTables);
    const ipRules = h.ipRules ? buildIpRules(name, h.ipRules, err, rtTables) : undefined;
    const sysctls = new Map<string, number>(DEFAULT_SYSCTLS);
    for (const [k, v] of h.sysctls) {
      const dev = CONF_DEV.exec(k)?.[1];
      if (dev !== undefined && dev !== 'all' && !devs.some((d) => d.name === dev)) {
        err(
          v.loc,
          `hosts.${name}.sysctls: ${k}: ${name} has no device "${dev}" (Linux: "No such file or directory")`,
        );
        continue;
      }
      sysctls.set(k, Number(v.value));
    }
    const ipsets = h.ipsets ? buildIpsets(h, err) : undefined;
    let ruleset: Ruleset | undefined;
    const langs = hostRules(h, err);
    if (langs.iptables)
      ruleset = buildRules({ ...h, rules: langs.iptables }, err, opts.skipUnsupported ? skipped : undefined);
    const nft = langs.nft
      ? buildNft(h, langs.nft, err, opts.skipUnsupported ? skipped : undefined, notes)
      : undefined;
    if (nft) nftRulesets.set(name, nft);
    if (ruleset) {
      rulesets.set(name, ruleset);
      // iptables refuses a rule naming a set that does not exist (xt_set's checkentry).
      for (const d of checkSetsExist(ruleset, ipsets ?? new Map()))
        err(
          { file: d.file, line: d.line, column: d.column },
          `set "${d.token}" does not exist: define it under hosts.${name}.ipsets`,
        );
    }
    hosts.push({
      name,
      ifaces,
      bridges,
      routes,
      sysctls,
      ...(ruleset ? { ruleset } : {}),
      ...(ipsets ? { ipsets } : {}),
      ...(ipRules && ipRules.length > 0 ? { ipRules } : {}),
      ...(rtTables.size > 0 ? { rtTables } : {}),
      ...(nft ? { nft } : {}),
      // A listener's verdict on each queue (NF_ACCEPT 1, NF_DROP 0).
      ...(h.queues
        ? { queues: new Map([...h.queues].map(([n, v]) => [n, v.value === 'accept' ? 1 : 0])) }
        : {}),
      listen: h.listen.map((l) => {
        const bind = l.bind ? parseIpv4(l.bind.value) : undefined;
        return {
          proto: l.proto.value,
          port: l.port.value,
          ...(bind?.ok && bind.value !== 0 ? { bind: bind.value } : {}),
          ...(l.replyPort ? { replyPort: l.replyPort.value } : {}),
          ...(l.ftp?.value ? { ftp: true } : {}),
          ...(l.closeFirst?.value ? { closeFirst: true } : {}),
          ...(l.transparent?.value ? { transparent: true } : {}),
        };
      }),
    });
  }

  const links: LinkConfig[] = sc.links.map((l) => ({
    name: l.name?.value ?? l.endpoints.map((e) => `${e.value.host}.${e.value.iface}`).join('--'),
    endpoints: l.endpoints.map((e) => ({ host: e.value.host, iface: e.value.iface })),
  }));

  const flows: Flow[] = [];
  for (const f of sc.flows) {
    const dst = parseIpv4(f.dst.value);
    if (!dst.ok) {
      err(f.dst.loc, `flow "${f.name.value}": ${dst.error}`);
      continue;
    }
    const expect: { verdict?: Verdict; serverSees?: string; translatedSource?: string } = {};
    if (f.expect?.verdict) expect.verdict = f.expect.verdict.value;
    if (f.expect?.serverSees) expect.serverSees = f.expect.serverSees.value;
    if (f.expect?.translatedSource) expect.translatedSource = f.expect.translatedSource.value;
    flows.push({
      name: f.name.value,
      from: f.from.value,
      proto: f.proto.value,
      dst: dst.value,
      dport: f.dport?.value ?? 0,
      sport: f.sport?.value ?? (f.proto.value === 'esp' || f.proto.value === 'ah' ? 0 : 40000 + flows.length),
      at: f.at.value,
      timeout: f.timeout.value,
      hold: f.hold?.value ?? 0,
      udpConnect: f.udpConnect?.value ?? true,
      icmpId: f.icmpId?.value ?? 20306,
      ...(f.count ? { count: f.count.value } : {}),
      ...(f.interval ? { interval: f.interval.value } : {}),
      ...(f.expect ? { expect } : {}),
      ...(f.size ? { size: f.size.value } : {}),
      ...(f.df ? { df: f.df.value } : {}),
      ...(f.mark ? { mark: f.mark.value } : {}),
      ...(f.src && parseIpv4(f.src.value).ok
        ? { src: (parseIpv4(f.src.value) as { value: number }).value }
        : {}),
      ...(f.ttl ? { ttl: f.ttl.value } : {}),
      ...(f.tos ? { tos: f.tos.value } : {}),
      ...(f.ipOptions ? { ipOptions: ipOptionBytes(f.ipOptions.value) } : {}),
      ...(f.mss ? { mss: f.mss.value } : {}),
      ...(f.keepalive ? { keepalive: f.keepalive.value } : {}),
      ...(f.tftp?.value ? { tftp: true } : {}),
      ...(f.ftp ? { ftp: f.ftp.value } : {}),
      ...(f.spi ? { spi: f.spi.value } : {}),
    });
  }

  if (errors.length > 0)
    return { ok: false, errors: errors.sort((a, b) => a.line - b.line || a.column - b.column) };
  const events = (sc.events ?? []).map((e) => ({
    at: e.at.value,
    host: e.host.value,
    run: e.run.value,
    loc: e.run.loc,
    ...(e.input
      ? {
          input: e.input.map((l) => ({
            text: l.value,
            file: l.loc.file,
            line: l.loc.line,
            column: l.loc.column,
          })),
        }
      : {}),
  }));
  const world = {
    hosts,
    links,
    ...(sc.epoch !== undefined ? { epoch: sc.epoch } : {}),
    ...(events.length > 0 ? { events } : {}),
  };
  const warnings = addressConflicts(hosts, links);
  return {
    ok: true,
    built: {
      world,
      flows,
      rulesets,
      skipped,
      ...(warnings.length > 0 ? { warnings } : {}),
      ...(notes.length > 0 ? { notes } : {}),
      ...(nftRulesets.size > 0 ? { nftRulesets } : {}),
    },
  };
}

function macOf(
  mac: At<string> | undefined,
  host: string,
  iface: string,
  err: (l: SourceLoc, m: string) => void,
): Uint8Array {
  if (!mac) return generateMac(host, iface);
  const m = parseMac(mac.value);
  if (!m.ok) {
    err(mac.loc, m.error);
    return generateMac(host, iface);
  }
  return m.value;
}

/** Parses a host's rules and refuses what netfilter cannot evaluate, at the rule's position. */
function buildRules(
  h: HostSpec,
  err: (l: SourceLoc, m: string) => void,
  skip: SkippedRule[] | undefined,
): Ruleset | undefined {
  const lines = h.rules!.lines.map((l) => ({
    text: l.value,
    file: l.loc.file,
    line: l.loc.line,
    column: l.loc.column,
  }));
  const res = loadRules(lines, undefined, { skipUnsupported: skip !== undefined });
  if (!res.ok) {
    for (const d of res.diagnostics) err({ file: d.file, line: d.line, column: d.column }, d.message);
    return undefined;
  }
  for (const d of res.skipped ?? []) {
    const line = lines.find((l) => l.file === d.file && l.line === d.line);
    skip!.push({
      host: h.name.value,
      where: `${d.file}:${d.line}:${d.column}`,
      rule: line?.text.trim() ?? d.token,
      reason: d.message,
    });
  }
  for (const p of checkRuleset(res.ruleset)) {
    const loc = p.rule.loc ?? h.rules!.lines[0]!.loc;
    const text = formatRule(p.chain, p.rule);
    if (skip) {
      // Leave it out of its chain; the trace lists it so nobody mistakes the run for the real box.
      const chain = res.ruleset.tables.get(p.table)!.chains.get(p.chain)!;
      chain.rules = chain.rules.filter((r) => r !== p.rule);
      skip.push({
        host: h.name.value,
        where: `${loc.file}:${loc.line}:${loc.column}`,
        rule: text,
        reason: p.message,
      });
      continue;
    }
    err(
      loc,
      `${p.message} in ${p.table} ${p.chain} rule ${p.index} (${text}): natbox cannot simulate it (--skip-unsupported leaves such rules out)`,
    );
  }
  return res.ruleset;
}

/**
 * A host's ipset sets from its `ipsets:` lines (`ipset save` form: `create NAME TYPE [options]`,
 * `add NAME ENTRY [options]`), each problem at its line and word.
 */
function buildIpsets(
  h: HostSpec,
  err: (l: SourceLoc, m: string, col?: number) => void,
): Map<string, IpSetMatcher> {
  const sets = new Map<string, IpSetMatcher>();
  for (const l of h.ipsets!.lines) {
    const text = l.value;
    const found = [...text.matchAll(/\S+/g)];
    if (found.length === 0 || text.trim().startsWith('#')) continue;
    const at = (i: number): number => found[i]?.index ?? 0; // the word's offset in the line
    const [cmd, name, arg] = found.map((m) => m[0]);
    if (cmd === 'create') {
      if (!name || !arg)
        err(l.loc, `ipsets: "create" needs a set name and a type (e.g. create blocked hash:ip)`);
      else if (sets.has(name)) err(l.loc, `ipsets: set "${name}" already exists`, at(1));
      else if (!isSetType(arg))
        err(l.loc, `ipsets: set type "${arg}" is not simulated (natbox has ${SET_TYPES.join(', ')})`, at(2));
      else {
        const set = new IpSetMatcher(name, arg);
        const problem = set.options(found.slice(3).map((m) => m[0]));
        if (problem) err(l.loc, `ipsets: ${problem}`, at(3));
        else sets.set(name, set);
      }
    } else if (cmd === 'add') {
      const set = name ? sets.get(name) : undefined;
      if (!set) err(l.loc, `ipsets: "add" to unknown set "${name ?? ''}" (create it first)`, at(1));
      else if (!arg) err(l.loc, `ipsets: "add ${name}" needs an entry`);
      else {
        const problem = set.add(
          arg,
          found.slice(3).map((m) => m[0]),
        );
        if (problem) err(l.loc, `ipsets: ${problem}`, at(2));
      }
    } else {
      err(l.loc, `ipsets: unknown command "${cmd}" (expected create or add, as ipset save writes)`);
    }
  }
  return sets;
}

/** IP_OPTIONS' hex bytes, padded with EOL to a multiple of 4 (ip_options_get). */
function ipOptionBytes(hex: string): Uint8Array {
  const b = (hex.match(/../g) ?? []).map((x) => parseInt(x, 16));
  while (b.length % 4) b.push(0);
  return Uint8Array.from(b);
}
