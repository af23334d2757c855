// Writes test/conformance/scenarios/<case>.yaml from the kernel reference runs
// (../shared/reference/kernel/<case>/case.json, topology.json and result.json): the same namespaces
// as hosts, the same interface names, MACs, addresses, routes, sysctls, rules (with ${VARS}
// substituted), listening servers and flows. Run it again when the reference changes:
//   node --import tsx test/conformance/generate-scenarios.ts
// The files it writes are checked in; kernel-reference.test.ts checks they still agree with the
// reference (scenario-shape test), so a hand edit that drifts from the kernel's case is caught.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  caseNames,
  loadCase,
  REFERENCE_DIR,
  substituteDeep,
  type KernelCase,
  type RefServer,
} from './reference.ts';

const OUT = new URL('./scenarios/', import.meta.url);

/** sysctls natbox's scenario loader accepts; the reference's others are listed in a comment. */
const MODELLED_SYSCTLS = new Set([
  'net.ipv4.ip_forward',
  'net.bridge.bridge-nf-call-iptables',
  'net.ipv4.conf.all.rp_filter',
  'net.ipv4.conf.all.send_redirects',
  'net.ipv4.conf.all.accept_redirects',
  'net.netfilter.nf_conntrack_tcp_loose',
  'net.ipv4.tcp_syn_retries',
]);

/**
 * The kernel harness's client timeout when a case gives none (README, "Flow fields": 2.5 for every
 * protocol; each run's flow_client_results shows the value it used, and convertCase checks it).
 */
/**
 * Reference cases whose ARP frames natbox verify does not count yet (the scenario's `verify: { arp:
 * false }`), each with the reason.
 */
const ARP_NOT_COMPARED: Readonly<Record<string, string>> = {
  // control-no-nat-redirect is compared with ARP since natbox models connect()'s hold on its socket
  // (sim/world.ts system call windows): the box's redirect arrives while connect() holds it and is
  // dropped (tcp_v4_err, TcpExtLockDroppedIcmps), as on the kernel.
};

export const DEFAULT_TIMEOUT: Readonly<Record<string, number>> = { tcp: 2.5, udp: 2.5, icmp: 2.5 };

function fold(text: string, width = 100, indent = '  '): string {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let cur = '';
  for (const w of words) {
    if (cur && cur.length + 1 + w.length > width) {
      lines.push(indent + cur);
      cur = w;
    } else cur = cur ? `${cur} ${w}` : w;
  }
  if (cur) lines.push(indent + cur);
  return lines.join('\n');
}

/** Every field of a case (README, "Case fields"): a field not listed here is refused. */
const CASE_FIELDS = new Set([
  'description',
  'topology',
  'vars',
  'sysctls',
  'routes',
  'rules',
  'rules_restore',
  'servers',
  'flows',
  'actions',
  'virtual_addrs',
  'settle',
  'conntrack_ns',
  'known_ports',
  'label_ports',
  'name',
]);
const TOPOLOGY_FIELDS = new Set([
  'name',
  'description',
  'vars',
  'namespaces',
  'bridges',
  'links',
  'routes',
  'sysctls',
  'servers',
  'virtual_addrs',
]);
const LINK_SIDE_FIELDS = new Set(['ns', 'ifname', 'addrs', 'master', 'mac', 'mtu']);
const BRIDGE_FIELDS = new Set(['ns', 'name', 'addrs', 'mac']);
const SERVER_FIELDS = new Set(['ns', 'proto', 'port', 'bind', 'reply_port']);
const ACTION_FIELDS = new Set(['at', 'ns', 'cmd']);
const FLOW_FIELDS = new Set([
  'id',
  'client',
  'proto',
  'dst',
  'dport',
  'sport',
  'src',
  'start',
  'timeout',
  'hold',
  'count',
  'interval',
  'icmp_id',
  'udp_connect',
  'ttl',
  'size',
  'df',
  'mark',
  'mss',
  'expect',
]);
/**
 * The reference's outcomes (README, "Outcomes") as natbox verdicts: the same words. `refused`,
 * `error` and `icmp-error` are the verdicts issue 14 adds; `connected-then-failed` and
 * `helper-failed` have none.
 */
const VERDICTS = new Set([
  'connected',
  'timeout',
  'refused',
  'error',
  'reply',
  'reply-from-unexpected-source',
  'icmp-error',
]);
/** The iptables programs a `rules` line may name (the backend is natbox's, as the kernel's). */
const IPTABLES = new Set(['iptables', 'iptables-nft', 'iptables-legacy']);

/** Shell-like words (quotes group, no shell runs), as the reference's runner splits a command. */
export function shellWords(cmd: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let quote: string | undefined;
  for (const ch of cmd) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else cur += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      has = true;
    } else if (/\s/.test(ch)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else cur += ch;
  }
  if (quote) throw new Error(`unterminated ${quote} in ${JSON.stringify(cmd)}`);
  if (has || cur) out.push(cur);
  return out;
}

/** One `rules` command as natbox takes it: which part of the host it goes to. */
export type SetupCommand =
  | { readonly kind: 'iptables'; readonly line: string }
  | { readonly kind: 'nft'; readonly line: string }
  | { readonly kind: 'ip_rule'; readonly args: string }
  | { readonly kind: 'route'; readonly args: string }
  | { readonly kind: 'address'; readonly addr: string; readonly dev: string }
  | { readonly kind: 'sysctl'; readonly key: string; readonly value: string }
  | { readonly kind: 'unconvertible'; readonly why: string };

/** Splits a `rules` command by program: iptables → rules, `ip rule add` → ip_rules, ... */
export function classifyCommand(cmd: string): SetupCommand {
  const w = shellWords(cmd);
  const prog = w[0] ?? '';
  if (IPTABLES.has(prog)) return { kind: 'iptables', line: cmd };
  // nft commands go to the host's `nft:` as written (natbox reads a script of nft commands).
  if (prog === 'nft') return { kind: 'nft', line: cmd };
  if (prog === 'ip') {
    const [obj, verb, ...rest] = w.slice(1);
    const isAdd = verb === 'add';
    if ((obj === 'rule' || obj === 'ru') && isAdd) return { kind: 'ip_rule', args: rest.join(' ') };
    if ((obj === 'route' || obj === 'r' || obj === 'ro') && isAdd)
      return { kind: 'route', args: rest.join(' ') };
    if ((obj === 'addr' || obj === 'address' || obj === 'a') && isAdd) {
      if (rest.length === 3 && rest[1] === 'dev' && /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(rest[0]!))
        return { kind: 'address', addr: rest[0]!, dev: rest[2]! };
      return { kind: 'unconvertible', why: 'an `ip addr add` other than `ip addr add A/LEN dev D`' };
    }
    return { kind: 'unconvertible', why: `\`ip ${obj ?? ''} ${verb ?? ''}\` at setup` };
  }
  if (prog === 'sysctl') {
    const args = w.slice(1).filter((a) => a !== '-w' && a !== '-q');
    const m = args.length === 1 ? /^([\w.-]+)=(.*)$/.exec(args[0]!) : null;
    if (m) return { kind: 'sysctl', key: m[1]!, value: m[2]! };
  }
  return { kind: 'unconvertible', why: `program ${JSON.stringify(prog)} at setup` };
}

/** A YAML string as prettier writes it: single-quoted (a quote inside doubled), else JSON's form. */
const yamlString = (s: string): string =>
  /^[\x20-\x7e]*$/.test(s) ? `'${s.replace(/'/g, "''")}'` : JSON.stringify(s);

/** What a case becomes: the scenario text and every field it could not convert (with why). */
export interface Conversion {
  readonly yaml: string;
  /** `path: why`, e.g. `rules.box[4]: nft add rule … (nftables: issue 16)`; empty when whole. */
  readonly left: readonly string[];
}

/**
 * The case as a natbox scenario. Every field of the case format is read; what natbox's scenario
 * format cannot say is listed in `left` (never dropped silently): `scenarioYaml` refuses such a
 * case, `convertCase` also returns the text without those parts (hairpin-vip-dnat-from-wan).
 */
export function convertCase(c: KernelCase): Conversion {
  const left: string[] = [];
  const { result } = c;
  const cs = substituteDeep(c.case, c.sub);
  const tp = substituteDeep(c.topology, c.sub);
  const topo = result.topology;
  for (const k of Object.keys(cs)) if (!CASE_FIELDS.has(k)) left.push(`${k}: not a field of the case format`);
  for (const k of Object.keys(tp))
    if (!TOPOLOGY_FIELDS.has(k)) left.push(`topology.${k}: not a field of the topology format`);
  if (JSON.stringify(tp.namespaces) !== JSON.stringify(topo.namespaces))
    left.push(
      `topology.namespaces: ${tp.namespaces.join(',')} but result.json has ${topo.namespaces.join(',')}`,
    );

  // The interfaces as the topology declares them (addresses, mac, mtu), checked against result.json.
  const sides = new Map<string, { addrs: string[]; mac?: string; mtu?: number }>();
  (tp.links ?? []).forEach((l, i) => {
    for (const [end, side] of [
      ['a', l.a],
      ['b', l.b],
    ] as const) {
      for (const k of Object.keys(side))
        if (!LINK_SIDE_FIELDS.has(k))
          left.push(`topology.links[${i}].${end}.${k}: not a field of a link side`);
      sides.set(`${side.ns}:${side.ifname}`, {
        addrs: [...(side.addrs ?? [])],
        ...(side.mac !== undefined ? { mac: side.mac } : {}),
        ...(side.mtu !== undefined ? { mtu: side.mtu } : {}),
      });
    }
  });
  (tp.bridges ?? []).forEach((b, i) => {
    for (const k of Object.keys(b))
      if (!BRIDGE_FIELDS.has(k)) left.push(`topology.bridges[${i}].${k}: not a field of a bridge`);
    sides.set(`${b.ns}:${b.name}`, {
      addrs: [...(b.addrs ?? [])],
      ...(b.mac !== undefined ? { mac: b.mac } : {}),
    });
  });
  for (const [k, v] of Object.entries(topo.interfaces)) {
    const s = sides.get(k);
    if (!s) left.push(`topology: no interface ${k} (result.json has it)`);
    else if (s.addrs.join(',') !== v.addrs.join(','))
      left.push(`topology: ${k} addresses ${s.addrs.join(',')} but result.json has ${v.addrs.join(',')}`);
    else if (s.mac !== undefined && s.mac.toLowerCase() !== v.mac.toLowerCase())
      left.push(`topology: ${k} mac ${s.mac} but result.json has ${v.mac}`);
  }
  for (const k of sides.keys())
    if (!(k in topo.interfaces)) left.push(`topology: ${k} missing from result.json`);

  // Routes: the topology's, then the case's (result.json lists them together, in that order).
  for (const ns of topo.namespaces) {
    const want = [...(tp.routes?.[ns] ?? []), ...(cs.routes?.[ns] ?? [])];
    const got = topo.routes[ns] ?? [];
    if (want.join('\n') !== got.join('\n'))
      left.push(`routes.${ns}: ${JSON.stringify(want)} but result.json has ${JSON.stringify(got)}`);
  }
  for (const ns of Object.keys(cs.routes ?? {}))
    if (!topo.namespaces.includes(ns)) left.push(`routes.${ns}: no such namespace`);

  // sysctls the case or topology sets must be ones natbox models.
  for (const [where, sc] of [
    ['topology.sysctls', tp.sysctls],
    ['sysctls', cs.sysctls],
  ] as const) {
    for (const [ns, kv] of Object.entries(sc ?? {}))
      for (const k of Object.keys(kv))
        if (!MODELLED_SYSCTLS.has(k)) left.push(`${where}.${ns}.${k}: a sysctl natbox does not model`);
  }

  // rules, split by program; rules_restore as an iptables-save block.
  const hostRules = new Map<string, string[]>();
  const nftRules = new Map<string, string[]>();
  const ipRules = new Map<string, string[]>();
  const extraRoutes = new Map<string, string[]>();
  const extraAddrs = new Map<string, string[]>();
  const extraSysctls = new Map<string, [string, string][]>();
  const push = <T>(m: Map<string, T[]>, k: string, v: T): void => {
    const l = m.get(k);
    if (l) l.push(v);
    else m.set(k, [v]);
  };
  for (const [ns, cmds] of Object.entries(cs.rules ?? {})) {
    if (!topo.namespaces.includes(ns)) left.push(`rules.${ns}: no such namespace`);
    cmds.forEach((cmd, i) => {
      const k = classifyCommand(cmd);
      const at = `rules.${ns}[${i}]`;
      if (k.kind === 'iptables') push(hostRules, ns, k.line);
      else if (k.kind === 'nft') push(nftRules, ns, k.line);
      else if (k.kind === 'ip_rule') push(ipRules, ns, k.args);
      else if (k.kind === 'route') push(extraRoutes, ns, k.args);
      else if (k.kind === 'address') {
        if (!(`${ns}:${k.dev}` in topo.interfaces))
          left.push(`${at}: ${cmd}: ${ns} has no interface ${k.dev}`);
        else push(extraAddrs, `${ns}:${k.dev}`, k.addr);
      } else if (k.kind === 'sysctl') {
        if (MODELLED_SYSCTLS.has(k.key)) push(extraSysctls, ns, [k.key, k.value]);
        else left.push(`${at}: ${cmd}: a sysctl natbox does not model`);
      } else left.push(`${at}: ${cmd}: ${k.why}`);
    });
  }
  const restore = new Map<string, string[]>();
  for (const [ns, text] of Object.entries(cs.rules_restore ?? {})) {
    const lines = (typeof text === 'string' ? text.split('\n') : [...text]).filter((l) => l.trim() !== '');
    if (hostRules.has(ns))
      left.push(
        `rules_restore.${ns}: with iptables commands in rules.${ns} too (natbox takes one form per host)`,
      );
    restore.set(ns, lines);
  }

  // Servers: the case's replace the topology's.
  const servers = cs.servers ?? tp.servers;
  servers.forEach((s, i) => {
    for (const k of Object.keys(s))
      if (!SERVER_FIELDS.has(k)) left.push(`servers[${i}].${k}: not a field of a server`);
    if (s.reply_port !== undefined && s.proto !== 'udp') left.push(`servers[${i}].reply_port: UDP only`);
  });

  // result.json lists the servers that ran: the same ones, ports and reply ports.
  const key = (x: RefServer): string =>
    `${x.ns} ${x.proto}/${x.port}${x.reply_port ? ` reply ${x.reply_port}` : ''}`;
  const ranServers = (result.servers ?? []).map(key).join(', ');
  if (result.servers && ranServers !== servers.map(key).join(', '))
    left.push(`servers: ${servers.map(key).join(', ')} but result.json ran ${ranServers}`);

  // Timed actions as events.
  (cs.actions ?? []).forEach((a, i) => {
    for (const k of Object.keys(a))
      if (!ACTION_FIELDS.has(k)) left.push(`actions[${i}].${k}: not a field of an action`);
    const prog = shellWords(a.cmd)[0] ?? '';
    if (!IPTABLES.has(prog) && !['conntrack', 'ip', 'sysctl'].includes(prog))
      left.push(`actions[${i}]: ${a.cmd}: program ${JSON.stringify(prog)} in an event`);
  });

  // Flows.
  const virtual = [...(tp.virtual_addrs ?? []), ...(cs.virtual_addrs ?? [])];
  const ran = result.volatile.flow_client_results;
  cs.flows.forEach((f, i) => {
    // The timeout the client ran with (flow_client_results, in flow order) is the one written.
    const used = ran?.length === cs.flows.length ? ran[i]?.timeout : undefined;
    const written = f.timeout ?? DEFAULT_TIMEOUT[f.proto];
    if (used !== undefined && used !== written)
      left.push(`flows[${f.id}].timeout: ${written} written, the client ran with ${used}`);
  });
  for (const f of cs.flows) {
    for (const k of Object.keys(f))
      if (!FLOW_FIELDS.has(k)) left.push(`flows[${f.id}].${k}: not a flow field`);
    if (!VERDICTS.has(f.expect)) left.push(`flows[${f.id}].expect: ${f.expect} has no natbox verdict`);
  }
  for (const ns of cs.conntrack_ns ?? [])
    if (!(ns in result.conntrack)) left.push(`conntrack_ns: ${ns} not recorded in result.json`);

  const out: string[] = [];
  out.push('# yaml-language-server: $schema=../../../schema/scenario.schema.json');
  out.push('#');
  out.push(
    `# Kernel reference case ${c.name} (../shared/reference/kernel/${c.name}/), as a natbox scenario.`,
  );
  out.push('# Generated by test/conformance/generate-scenarios.ts from case.json, topology.json and');
  out.push('# result.json: same namespaces, interfaces, MACs, addresses, routes, sysctls, rules and flows.');
  out.push(`# Kernel outcome: ${result.flows.map((f) => `${f.id} ${f.outcome.result}`).join(', ')}.`);
  if (left.length) {
    out.push('# NOT THE WHOLE CASE: left out because natbox cannot say them yet:');
    for (const l of left) out.push(`#   ${l}`);
  }
  if (virtual.length)
    out.push(`# Virtual addresses (no interface has them; flows go to them): ${virtual.join(', ')}.`);
  const recorded = Object.keys(result.conntrack);
  if (cs.conntrack_ns !== undefined || cs.settle !== undefined)
    out.push(
      `# The kernel recorded the conntrack tables and rule counters of ${recorded.join(', ') || '(none)'}` +
        `${cs.conntrack_ns ? ` (conntrack_ns: ${cs.conntrack_ns.join(', ')})` : ''};`,
    );
  if (cs.conntrack_ns !== undefined || cs.settle !== undefined)
    out.push(
      `# read ${cs.settle ?? 0.4} s after the last flow and action (settle). natbox compares those` +
        " hosts' state at the end of its run (when nothing is left to happen).",
    );
  if (cs.known_ports?.length)
    out.push(`# Ports kept as numbers in the comparison (known_ports): ${cs.known_ports.join(', ')}.`);
  if (cs.label_ports?.length)
    out.push(`# Ports labelled in the comparison (label_ports): ${cs.label_ports.join(', ')}.`);
  const arpOff = ARP_NOT_COMPARED[c.name];
  if (arpOff)
    out.push(
      '#',
      ...fold(`verify.arp false: ${arpOff}`, 98, '')
        .split('\n')
        .map((l) => `# ${l}`),
    );
  out.push(`name: ${cs.name ?? c.name}`);
  out.push('description: >');
  out.push(fold(cs.description));
  out.push('');
  if (arpOff) out.push('verify: { arp: false }');
  out.push('hosts:');
  for (const ns of topo.namespaces) {
    out.push(`  ${ns}:`);
    const ifaces = Object.entries(topo.interfaces).filter(
      ([k, v]) => k.startsWith(`${ns}:`) && v.kind !== 'bridge',
    );
    const bridges = Object.entries(topo.interfaces).filter(
      ([k, v]) => k.startsWith(`${ns}:`) && v.kind === 'bridge',
    );
    out.push('    interfaces:');
    for (const [k, v] of ifaces) {
      const name = k.slice(ns.length + 1);
      const all = [...v.addrs, ...(extraAddrs.get(k) ?? [])];
      const addrs = all.length ? `addresses: [${all.join(', ')}], ` : '';
      const mtu = sides.get(k)?.mtu;
      const note = v.master ? ` # port of ${v.master}` : '';
      out.push(
        `      ${name}: { ${addrs}mac: '${v.mac}'${mtu !== undefined ? `, mtu: ${mtu}` : ''} }${note}`,
      );
    }
    if (bridges.length) {
      out.push('    bridges:');
      for (const [k, v] of bridges) {
        const name = k.slice(ns.length + 1);
        const ports = ifaces.filter(([, i]) => i.master === name).map(([p]) => p.slice(ns.length + 1));
        out.push(
          `      ${name}: { ports: [${ports.join(', ')}], addresses: [${v.addrs.join(', ')}], mac: '${v.mac}' }`,
        );
      }
    }
    // result.json's routes hold the topology's and the case's (checked above); `ip route add` in
    // `rules` comes after them, as the runner ran it.
    const routes = [...(topo.routes[ns] ?? []), ...(extraRoutes.get(ns) ?? [])];
    if (routes.length) {
      out.push('    routes:');
      for (const r of routes) out.push(`      - ${r}`);
    }
    const rulesIp = ipRules.get(ns) ?? [];
    if (rulesIp.length) {
      out.push('    ip_rules:');
      for (const r of rulesIp) out.push(`      - ${r}`);
    }
    // The values read back after setup (so `sysctl` in `rules` is in them too).
    const sysctls = Object.entries(result.sysctls[ns] ?? {});
    for (const [k, v] of extraSysctls.get(ns) ?? [])
      if (!sysctls.some(([x]) => x === k)) sysctls.push([k, v]);
    const modelled = sysctls.filter(([k]) => MODELLED_SYSCTLS.has(k));
    const other = sysctls.filter(([k]) => !MODELLED_SYSCTLS.has(k));
    if (modelled.length) {
      out.push('    sysctls:');
      for (const [k, v] of modelled) out.push(`      ${k}: ${v}`);
      if (other.length) {
        out.push(`      # also set in the kernel run, not modelled by natbox's loader:`);
        for (const [k, v] of other) out.push(`      # ${k}: ${v}`);
      }
    }
    const rules = restore.get(ns) ?? hostRules.get(ns) ?? [];
    if (rules.length) {
      out.push(`    rules: |${restore.has(ns) ? ' # rules_restore: an iptables-save block' : ''}`);
      for (const r of rules) out.push(`      ${r}`);
    }
    const nft = nftRules.get(ns) ?? [];
    if (nft.length) {
      out.push('    nft: |');
      for (const r of nft) out.push(`      ${r}`);
    }
    const listen = servers
      .filter((s) => s.ns === ns)
      .map((s) =>
        s.bind === undefined && s.reply_port === undefined
          ? `${s.proto}/${s.port}`
          : `{ proto: ${s.proto}, port: ${s.port}${s.bind !== undefined ? `, bind: ${s.bind}` : ''}${s.reply_port !== undefined ? `, reply_port: ${s.reply_port}` : ''} }`,
      );
    if (listen.length) out.push(`    listen: [${listen.join(', ')}]`);
  }
  out.push('');
  out.push('links:');
  // Each veth pair once, written from its end that has an address (the host side).
  for (const [k, v] of Object.entries(topo.interfaces)) {
    if (v.kind === 'veth' && v.peer && !v.master && (topo.interfaces[v.peer]?.master || k < v.peer)) {
      out.push(`  - [${k}, ${v.peer}]`);
    }
  }
  if (cs.actions?.length) {
    out.push('');
    out.push('events:');
    for (const a of cs.actions) out.push(`  - { at: ${a.at}, host: ${a.ns}, run: ${yamlString(a.cmd)} }`);
  }
  out.push('');
  out.push('flows:');
  for (const f of cs.flows) {
    const outcome = result.flows.find((r) => r.id === f.id)?.outcome;
    out.push(`  - name: ${f.id}`);
    out.push(`    from: ${f.client}`);
    out.push(`    proto: ${f.proto}`);
    out.push(`    to: ${f.proto === 'icmp' ? f.dst : `${f.dst}:${f.dport}`}`);
    if (f.src !== undefined) out.push(`    src: ${f.src}`);
    if (f.sport !== undefined) out.push(`    sport: ${f.sport}`);
    if (f.icmp_id !== undefined) out.push(`    id: ${f.icmp_id}`);
    if (f.udp_connect !== undefined) out.push(`    udp_connect: ${f.udp_connect}`);
    out.push(`    at: ${f.start ?? 0}`);
    out.push(`    timeout: ${f.timeout ?? DEFAULT_TIMEOUT[f.proto]}`);
    if (f.hold !== undefined) out.push(`    hold: ${f.hold}`);
    if (f.count !== undefined) out.push(`    count: ${f.count}`);
    if (f.interval !== undefined) out.push(`    interval: ${f.interval}`);
    if (f.ttl !== undefined) out.push(`    ttl: ${f.ttl}`);
    if (f.size !== undefined) out.push(`    size: ${f.size}`);
    if (f.df !== undefined) out.push(`    df: ${f.df}`);
    if (f.mark !== undefined)
      out.push(`    mark: ${typeof f.mark === 'string' ? yamlString(f.mark) : f.mark}`);
    if (f.mss !== undefined) out.push(`    mss: ${f.mss}`);
    const saw = outcome?.server_saw_client_as;
    if (saw && !saw.includes('$')) out.push(`    expect: { verdict: ${f.expect}, server_sees: ${saw} }`);
    else {
      if (saw) out.push(`    # the kernel's server saw ${saw} (a random port: not checked here)`);
      out.push(`    expect: ${f.expect}`);
    }
  }
  return { yaml: out.join('\n') + '\n', left };
}

/**
 * The fields of a case that this converter does not turn into scenario text (empty when it
 * converts the whole case): a case is never converted with a field silently dropped.
 */
export function unconvertedFields(c: KernelCase): string[] {
  return [...convertCase(c).left];
}

export function scenarioYaml(c: KernelCase): string {
  const { yaml, left } = convertCase(c);
  if (left.length) throw new Error(`${c.name}: fields not converted: ${left.join('; ')}`);
  return yaml;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  readFileSync(new URL('README.md', REFERENCE_DIR)); // fail early without the reference
  for (const name of caseNames()) {
    const file = new URL(`${name}.yaml`, OUT);
    const { yaml, left } = convertCase(loadCase(name));
    // A case with a part natbox cannot say is written without it, the part named at the top.
    writeFileSync(file, yaml);
    console.log(`${fileURLToPath(file)}${left.length ? ` (partial: ${left.join('; ')})` : ''}`);
  }
}
