// Real machine state → a scenario host: `ip -j addr` (interfaces, addresses, MACs, bridge ports),
// `ip -j route` (the routes iproute2 lists, less the kernel's connected ones, which natbox derives
// itself) and `iptables-save` (checked with the rules front end, so an error points at its line).
// Returns the YAML text of a scenario with that one host, ready for links and flows to be added.
// No I/O: the CLI reads the files.
import { Document, Scalar } from 'yaml';
import { loadRules } from '../rules/load.ts';
import { formatDiagnostic } from '../rules/diagnostics.ts';

export interface ImportSource {
  readonly text: string;
  readonly file: string;
}

export interface ImportInput {
  /** The host's name in the scenario. */
  readonly name: string;
  /** `ip -j addr` output. */
  readonly addr: ImportSource;
  /** `ip -j route` output. */
  readonly route?: ImportSource;
  /** `iptables-save` output. */
  readonly rules?: ImportSource;
  /** Set net.ipv4.ip_forward: 1 (a router). */
  readonly forward?: boolean;
}

export type ImportResult = { ok: true; yaml: string; notes: string[] } | { ok: false; errors: string[] };

interface IpAddrInfo {
  family?: string;
  local?: string;
  prefixlen?: number;
}
interface IpLink {
  ifname?: string;
  link_type?: string;
  address?: string;
  master?: string;
  addr_info?: IpAddrInfo[];
}
interface IpRoute {
  dst?: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  prefsrc?: string;
  metric?: number;
  type?: string;
}

/** JSON.parse with the error placed at FILE:LINE:COLUMN. */
function parseJson(src: ImportSource, errors: string[]): unknown {
  try {
    return JSON.parse(src.text);
  } catch (e) {
    const msg = (e as Error).message;
    const m = /position (\d+)/.exec(msg);
    const pos = m ? Number(m[1]) : 0;
    const before = src.text.slice(0, pos);
    const line = before.split('\n').length;
    const col = pos - before.lastIndexOf('\n');
    errors.push(
      `${src.file}:${line}:${col}: not valid JSON (${msg.replace(/ in JSON at position \d+.*$/, '')}); expected the output of \`ip -j …\``,
    );
    return undefined;
  }
}

export function importHost(input: ImportInput): ImportResult {
  const errors: string[] = [];
  const notes: string[] = [];
  const links = parseJson(input.addr, errors);
  if (links !== undefined && !Array.isArray(links))
    errors.push(`${input.addr.file}:1:1: expected a JSON array (the output of \`ip -j addr\`)`);
  const routes = input.route ? parseJson(input.route, errors) : [];
  if (routes !== undefined && !Array.isArray(routes))
    errors.push(`${input.route!.file}:1:1: expected a JSON array (the output of \`ip -j route\`)`);
  let rulesText: string | undefined;
  if (input.rules) {
    const lines = input.rules.text
      .split('\n')
      .map((text, i) => ({ text, file: input.rules!.file, line: i + 1, column: 1 }));
    const r = loadRules(lines);
    if (!r.ok) for (const d of r.diagnostics) errors.push(formatDiagnostic(d));
    // Keep the rules as the machine printed them, less iptables-save's comment lines.
    rulesText = input.rules.text
      .split('\n')
      .filter((l) => !/^# (Generated|Completed) /.test(l))
      .join('\n')
      .trim();
  }
  if (errors.length > 0) return { ok: false, errors };

  const all = (links as IpLink[]).filter((l) => l.ifname && l.link_type !== 'loopback');
  const bridgeNames = new Set(all.map((l) => l.master).filter((m): m is string => !!m));
  const v4 = (l: IpLink): string[] =>
    (l.addr_info ?? []).filter((a) => a.family === 'inet' && a.local).map((a) => `${a.local}/${a.prefixlen}`);
  const interfaces: Record<string, unknown> = {};
  const bridges: Record<string, unknown> = {};
  for (const l of all) {
    const entry: Record<string, unknown> = {};
    const addrs = v4(l);
    if (addrs.length > 0) entry.addresses = addrs;
    if (l.address && l.link_type === 'ether') entry.mac = l.address;
    if (bridgeNames.has(l.ifname!)) {
      bridges[l.ifname!] = { ports: all.filter((p) => p.master === l.ifname).map((p) => p.ifname), ...entry };
    } else if (l.link_type === 'ether') {
      interfaces[l.ifname!] = entry;
    } else {
      notes.push(`${l.ifname}: link type ${l.link_type} is not modelled; left out`);
    }
  }
  const routeLines: string[] = [];
  for (const r of (routes ?? []) as IpRoute[]) {
    if (r.protocol === 'kernel' || (r.type && r.type !== 'unicast')) continue; // natbox derives connected routes
    if (!r.dst) continue;
    const parts = [r.dst];
    if (r.gateway) parts.push(`via ${r.gateway}`);
    if (r.dev) parts.push(`dev ${r.dev}`);
    if (r.prefsrc) parts.push(`src ${r.prefsrc}`);
    if (r.metric) parts.push(`metric ${r.metric}`);
    routeLines.push(parts.join(' '));
  }
  const host: Record<string, unknown> = { interfaces };
  if (Object.keys(bridges).length > 0) host.bridges = bridges;
  if (routeLines.length > 0) host.routes = routeLines;
  if (input.forward) host.sysctls = { 'net.ipv4.ip_forward': 1 };
  if (rulesText) host.rules = rulesText;
  const doc = new Document({
    name: `${input.name}-imported`,
    hosts: { [input.name]: host },
    links: [],
    flows: [],
  });
  if (rulesText) {
    const node = doc.getIn(['hosts', input.name, 'rules'], true) as Scalar;
    node.type = Scalar.BLOCK_LITERAL;
  }
  doc.commentBefore = ` natbox scenario imported from ${[input.addr, input.route, input.rules]
    .filter(Boolean)
    .map((s) => s!.file)
    .join(', ')}.\n Add the other hosts, the links between them and the flows to simulate.`;
  return { ok: true, yaml: doc.toString({ lineWidth: 0 }), notes };
}
