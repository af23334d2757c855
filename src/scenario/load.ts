// The scenario loader: YAML text (and the file name, for positions) → a validated Scenario (model.ts),
// or every error found, each with file, line, column, field path, token and what was expected.
// It checks shapes, names, addresses, ports and cross references (links, bridges, flows); it does not
// parse routes (route/ does, from `ip route` syntax) nor rules (rules/ does, from the positioned lines
// kept here). No I/O: the CLI reads the file.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, Scalar, type Node } from 'yaml';
import { parseIpv4, parseMac, parsePrefix } from '../wire/addr.ts';
import type { SourceLoc } from '../rules/iptables/model.ts';
import type {
  EventSpec,
  At,
  BridgeSpec,
  Expectation,
  FlowProto,
  FlowSpec,
  HostSpec,
  InterfaceSpec,
  LinkSpec,
  ListenSpec,
  RulesSpec,
  Scenario,
  StpSpec,
} from './model.ts';
import { childField, hint, Reader, suggest, type ScenarioError } from './reader.ts';
import { notAScenario } from './sniff.ts';
import { IPV6_NOT_SIMULATED, looksLikeIpv6 } from '../rules/diagnostics.ts';
import { parseEventCommand } from '../sim/events.ts';
import { isLiveNfSysctl } from '../netfilter/core/engine.ts';
import { tableNamesOf } from './routing.ts';
import { expandNftIncludes, hasNftInclude, textLines } from './nft-include.ts';
import { isRawProto, RAW_PROTOS, RAW_VERDICTS, rawFlowSpi } from './raw-flow.ts';

export { formatScenarioError, type ScenarioError } from './reader.ts';

export type LoadResult = { ok: true; scenario: Scenario } | { ok: false; errors: ScenarioError[] };

/** A file's text, or why it could not be read in one line (`router.rules: no such file`). */
export type ReadFile = (path: string) => { ok: true; text: string } | { ok: false; error: string };

export interface LoadOptions {
  /**
   * Reads the files a scenario names (`rules: { file: router.rules }`), given their path joined to
   * the scenario's folder. The loader does no I/O itself (it runs in a browser): the natbox command
   * passes one; without it, a scenario that names a file is an error.
   */
  readonly readFile?: ReadFile;
}

/** The most text one included file may hold (an explicit limit, not an exhausted memory). */
export const MAX_INCLUDE_BYTES = 16 * 1024 * 1024;
/** The most files one scenario may include. */
export const MAX_INCLUDES = 256;

/** The scenario's epoch: a full date and time with seconds (fraction allowed) and a zone. */
const EPOCH_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const TOP_KEYS = ['name', 'description', 'epoch', 'hosts', 'links', 'flows', 'events', 'verify'] as const;
/** `verify:` natbox verify's settings for this scenario. */
const VERIFY_KEYS = ['arp'] as const;
const EVENT_KEYS = ['at', 'host', 'run'] as const;
/** The most events one scenario may hold (an explicit limit). */
export const MAX_EVENTS = 10_000;
const HOST_KEYS = [
  'interfaces',
  'bridges',
  'routes',
  'sysctls',
  'rules',
  'ipsets',
  'listen',
  'ip_rules',
  'rt_tables',
  'nft',
  'queues',
] as const;
const IFACE_KEYS = ['address', 'addresses', 'mac', 'mtu', 'group'] as const;
const BRIDGE_KEYS = ['ports', 'address', 'addresses', 'mac', 'stp'] as const;
const STP_KEYS = ['priority', 'forward_delay', 'hello_time', 'max_age'] as const;
const LINK_KEYS = ['name', 'connect'] as const;
const FLOW_KEYS = [
  'name',
  'from',
  'proto',
  'to',
  'dst',
  'dport',
  'sport',
  'id',
  'at',
  'timeout',
  'hold',
  'udp_connect',
  'expect',
  'count',
  'interval',
  'size',
  'df',
  'mark',
  'src',
  'ttl',
  'tos',
  'ip_options',
  'mss',
  'keepalive',
  'tftp',
  'ftp',
  'spi',
] as const;
const EXPECT_KEYS = ['verdict', 'server_sees', 'translated_source'] as const;
const KEEPALIVE_KEYS = ['idle', 'interval', 'count'] as const;
const INCLUDE_KEYS = ['file', 'files'] as const;

export const DEFAULT_FLOW_TIMEOUT = 3;

/** sysctls the simulator models, with the values each accepts. */
const SYSCTLS: Readonly<
  Record<string, { readonly what: string; readonly min: number; readonly max: number }>
> = {
  'net.ipv4.ip_forward': { what: '0 or 1', min: 0, max: 1 },
  'net.bridge.bridge-nf-call-iptables': { what: '0 or 1', min: 0, max: 1 },
  'net.ipv4.conf.all.rp_filter': { what: '0, 1 or 2', min: 0, max: 2 },
  'net.ipv4.conf.all.send_redirects': { what: '0 or 1', min: 0, max: 1 },
  'net.ipv4.conf.all.accept_redirects': { what: '0 or 1', min: 0, max: 1 },
  'net.netfilter.nf_conntrack_tcp_loose': { what: '0 or 1', min: 0, max: 1 },
  'net.netfilter.nf_conntrack_tcp_be_liberal': { what: '0 or 1', min: 0, max: 1 },
  'net.netfilter.nf_conntrack_max': { what: 'a whole number from 1', min: 1, max: 2 ** 31 - 1 },
  // net/ipv4/sysctl_net_ipv4.c: tcp_syn_retries is bounded 1..MAX_TCP_SYNCNT (127).
  'net.ipv4.tcp_syn_retries': { what: 'a whole number from 1 to 127', min: 1, max: 127 },
  // proc_fib_multipath_hash_policy: 0..3.
  'net.ipv4.fib_multipath_hash_policy': {
    what: '0 (L3), 1 (L4), 2 (L3 or inner L3) or 3 (custom: fib_multipath_hash_fields)',
    min: 0,
    max: 3,
  },
  // proc_fib_multipath_hash_fields: FIB_MULTIPATH_HASH_FIELD_* bits, 1..0xfff.
  'net.ipv4.fib_multipath_hash_fields': {
    what: 'a mask of FIB_MULTIPATH_HASH_FIELD_* bits from 1 to 4095 (0x0001 to 0x0fff)',
    min: 1,
    max: 0xfff,
  },
  // How many SYN retransmissions keep a 1 s timeout before it doubles (Linux 6.18; 0..127 measured).
  'net.ipv4.tcp_syn_linear_timeouts': { what: 'a whole number from 0 to 127', min: 0, max: 127 },
  // proc_fib_multipath_hash_seed: a u32; 0 is the kernel's random boot seed.
  'net.ipv4.fib_multipath_hash_seed': {
    what: 'a whole number from 0 to 4294967295',
    min: 0,
    max: 4294967295,
  },
  // tcp_twsk_unique: 0 never, 1 always, 2 (default) only for loopback traffic.
  'net.ipv4.tcp_tw_reuse': { what: '0, 1 or 2', min: 0, max: 2 },
  // The TCP options a host offers and accepts (src/stack/tcp-options.ts); tcp_timestamps 2 is
  // timestamps without the per-connection random offset.
  'net.ipv4.tcp_timestamps': { what: '0, 1 or 2', min: 0, max: 2 },
  'net.ipv4.tcp_sack': { what: '0 or 1', min: 0, max: 1 },
  'net.ipv4.tcp_window_scaling': { what: '0 or 1', min: 0, max: 1 },
  // TCP window tracking (src/netfilter/conntrack/tcp-window.ts); the kernel keeps both in a u8.
  'net.netfilter.nf_conntrack_tcp_max_retrans': { what: 'a whole number from 0 to 255', min: 0, max: 255 },
  'net.netfilter.nf_conntrack_tcp_ignore_invalid_rst': { what: '0 or 1', min: 0, max: 1 },
  // TCP keepalive (src/stack/keepalive.ts): seconds (proc_dointvec_jiffies), probes (a u8).
  'net.ipv4.tcp_keepalive_time': { what: 'a whole number of seconds from 1', min: 1, max: 2 ** 31 / 1000 },
  'net.ipv4.tcp_keepalive_intvl': { what: 'a whole number of seconds from 1', min: 1, max: 2 ** 31 / 1000 },
  'net.ipv4.tcp_keepalive_probes': { what: 'a whole number from 0 to 255', min: 0, max: 255 },
};
const TIMEOUT_SYSCTL = /^net\.netfilter\.nf_conntrack_[a-z0-9_]*timeout[a-z0-9_]*$/;
/** Per-device ARP and reverse-path settings (net.ipv4.conf.all.KEY or net.ipv4.conf.DEV.KEY). */
const CONF_SYSCTL =
  /^net\.ipv4\.conf\.[A-Za-z0-9_@-]+\.(rp_filter|arp_ignore|arp_announce|arp_filter|proxy_arp|route_localnet|arp_notify|send_redirects|accept_local|src_valid_mark)$/;
const CONF_RANGES: Readonly<
  Record<string, { readonly what: string; readonly min: number; readonly max: number }>
> = {
  rp_filter: { what: '0, 1 or 2', min: 0, max: 2 },
  arp_ignore: { what: 'a whole number from 0 to 8 (0, 1, 2, 3 or 8 mean something)', min: 0, max: 8 },
  arp_announce: { what: '0, 1 or 2', min: 0, max: 2 },
  arp_filter: { what: '0 or 1', min: 0, max: 1 },
  proxy_arp: { what: '0 or 1', min: 0, max: 1 },
  route_localnet: { what: '0 or 1', min: 0, max: 1 },
  arp_notify: { what: '0 or 1', min: 0, max: 1 },
  send_redirects: { what: '0 or 1', min: 0, max: 1 },
  accept_local: { what: '0 or 1', min: 0, max: 1 },
  src_valid_mark: { what: '0 or 1', min: 0, max: 1 },
};
/** Per-device neighbour parameters (net.ipv4.neigh.DEV.KEY; a namespace has no `default`). */
const NEIGH_SYSCTL =
  /^net\.ipv4\.neigh\.[A-Za-z0-9_@-]+\.(base_reachable_time_ms|delay_first_probe_time|retrans_time_ms|ucast_solicit|mcast_solicit|mcast_resolicit|proxy_delay|locktime)$/;
const NEIGH_RANGES: Readonly<
  Record<string, { readonly what: string; readonly min: number; readonly max: number }>
> = {
  base_reachable_time_ms: { what: 'milliseconds from 1', min: 1, max: 2 ** 31 - 1 },
  delay_first_probe_time: { what: 'seconds from 1', min: 1, max: 2 ** 31 - 1 },
  retrans_time_ms: { what: 'milliseconds from 10', min: 10, max: 2 ** 31 - 1 },
  ucast_solicit: { what: 'a whole number from 0 to 255', min: 0, max: 255 },
  mcast_solicit: { what: 'a whole number from 1 to 255', min: 1, max: 255 },
  mcast_resolicit: { what: 'a whole number from 0 to 255', min: 0, max: 255 },
  proxy_delay: { what: 'hundredths of a second (0 or more)', min: 0, max: 2 ** 31 - 1 },
  locktime: { what: 'hundredths of a second (0 or more)', min: 0, max: 2 ** 31 - 1 },
};
const TIMEOUT_RANGE = { what: 'a whole number of seconds (0 or more)', min: 0, max: 2 ** 31 - 1 };

/** The values a modelled sysctl accepts (undefined: natbox does not model it). */
export const sysctlRange = (
  name: string,
): { readonly what: string; readonly min: number; readonly max: number } | undefined =>
  SYSCTLS[name] ??
  (TIMEOUT_SYSCTL.test(name)
    ? TIMEOUT_RANGE
    : (CONF_RANGES[CONF_SYSCTL.exec(name)?.[1] ?? ''] ?? NEIGH_RANGES[NEIGH_SYSCTL.exec(name)?.[1] ?? '']));

const VERDICTS: readonly Expectation[] = [
  'connected',
  'reset',
  'timeout',
  'unreachable',
  'reply',
  'reply-from-unexpected-source',
  'storm',
  'refused',
  'error',
  'icmp-error',
  'connected-then-failed',
];
// The kernel reference's outcome table: which result each protocol can have (`reset` and
// `unreachable` are natbox's older words, aliases: sim/flows.ts verdictSatisfies).
const VERDICTS_FOR: Readonly<Record<FlowProto, readonly Expectation[]>> = {
  tcp: ['connected', 'reset', 'timeout', 'unreachable', 'storm', 'refused', 'error', 'connected-then-failed'],
  udp: ['reply', 'reply-from-unexpected-source', 'timeout', 'unreachable', 'storm', 'refused', 'error'],
  icmp: ['reply', 'reply-from-unexpected-source', 'timeout', 'unreachable', 'storm', 'error', 'icmp-error'],
  sctp: RAW_VERDICTS,
  dccp: RAW_VERDICTS,
  esp: RAW_VERDICTS,
  ah: RAW_VERDICTS,
};

const q = (s: string): string => JSON.stringify(s);

/** The reason inside an addr.ts message: `"x" is not … (reason)` → reason; `"x": reason` → reason. */
function reasonOf(message: string): string {
  const paren = /\((.*)\)$/.exec(message);
  if (paren) return paren[1]!;
  const colon = message.indexOf('": ');
  return colon >= 0 ? message.slice(colon + 3) : message;
}

/** Why `text` is not an interface address `a.b.c.d/len`, or undefined when it is one. */
export function prefixProblem(text: string): string | undefined {
  if (looksLikeIpv6(text)) return `${q(text)} is an IPv6 address; ${IPV6_NOT_SIMULATED}`;
  const slash = text.indexOf('/');
  if (slash < 0) return `${q(text)} is not an IPv4 prefix (expected address/length, e.g. 192.168.1.1/24)`;
  const r = parsePrefix(text);
  if (!r.ok) return `${q(text)} is not an IPv4 prefix (${reasonOf(r.error)})`;
  if (!/^\d{1,2}$/.test(text.slice(slash + 1))) {
    return `${q(text)} is not an IPv4 prefix (write the length as a number 0-32, not a dotted mask)`;
  }
  return undefined;
}

/** A scenario-wide name for an address owner: `router br-lan`. */
interface Owner {
  readonly where: string;
  readonly loc: SourceLoc;
}

interface Built {
  readonly spec: HostSpec;
  readonly ifaces: Map<string, InterfaceSpec>;
  readonly bridged: Map<string, string>; // port → bridge
}

export function loadScenario(text: string, file: string, opts: LoadOptions = {}): LoadResult {
  const r = loadYaml(text, file, opts);
  if (r.ok) return r;
  // Not YAML at all but rules (iptables-save, a script, nftables): one message that says so.
  const other = notAScenario(text, file);
  if (other === undefined) return r;
  return { ok: false, errors: [{ ...other, file, field: '' }] };
}

function loadYaml(text: string, file: string, opts: LoadOptions): LoadResult {
  const lc = new LineCounter();
  const doc = parseDocument(text, {
    keepSourceTokens: true,
    lineCounter: lc,
    prettyErrors: false,
    uniqueKeys: false,
  });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => {
        const p = lc.linePos(e.pos[0]);
        const token = text.slice(e.pos[0], Math.max(e.pos[1], e.pos[0] + 1)).split(/\r?\n/)[0] ?? '';
        return {
          file,
          line: p.line,
          column: p.col,
          field: '',
          token,
          message: `YAML syntax error: ${e.message.replace(/\s+/g, ' ').trim()}`,
        };
      }),
    };
  }
  const r = new Reader(file, text, lc, doc);
  // Valid YAML that would be read as something else: refused before the scenario is looked at.
  r.refuseTagsAndLooseAliases();
  if (r.errors.length > 0)
    return { ok: false, errors: [...r.errors].sort((a, b) => a.line - b.line || a.column - b.column) };
  const scenario = new Loader(r, opts).scenario(r.resolve(doc.contents));
  if (r.errors.length > 0 || scenario === undefined) {
    const errors = [...r.errors].sort((a, b) => a.line - b.line || a.column - b.column);
    return { ok: false, errors };
  }
  return { ok: true, scenario };
}

/**
 * `name` as seen from where the scenario `file` is: joined to its folder unless absolute (or the
 * scenario came from standard input). No `node:path` here: the loader runs in a browser too.
 */
export function relativeTo(file: string, name: string): string {
  if (/^([\\/]|[A-Za-z]:[\\/])/.test(name) || file === '-' || file === '<stdin>') return name;
  const slash = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  return slash < 0 ? name : `${file.slice(0, slash + 1)}${name}`;
}

/** A read file's text, refused above MAX_INCLUDE_BYTES. */
const sized = (
  got: { ok: true; text: string } | { ok: false; error: string },
): { ok: true; text: string } | { ok: false; error: string } =>
  got.ok && got.text.length > MAX_INCLUDE_BYTES
    ? { ok: false, error: `larger than ${MAX_INCLUDE_BYTES / 1024 / 1024} MiB` }
    : got;

class Loader {
  /** Addresses by device (`host dev address`): Linux refuses the same address twice on one device. */
  private readonly usedAddrs = new Map<string, Owner>();
  private readonly hosts = new Map<string, Built>();

  private includes = 0;

  constructor(
    private readonly r: Reader,
    private readonly opts: LoadOptions,
  ) {}

  /** `epoch`: an ISO 8601 date and time with its zone (Z or ±hh:mm), as seconds since 1970 UTC. */
  private epoch(node: Node | null, field: string): number | undefined {
    const s = this.r.string(node, field, 'an epoch (e.g. "2026-12-01T09:00:00Z")')?.value;
    if (s === undefined) return undefined;
    const ms = EPOCH_RE.test(s) ? Date.parse(s) : NaN;
    if (!Number.isFinite(ms) || ms < 0 || ms / 1000 > 0xffffffff) {
      this.r.error(
        node,
        field,
        `bad epoch "${s}": expected YYYY-MM-DDThh:mm:ss with Z or ±hh:mm, from 1970 to 2106 (e.g. "2026-12-01T09:00:00Z")`,
      );
      return undefined;
    }
    return ms / 1000;
  }

  scenario(root: Node | null): Scenario | undefined {
    const r = this.r;
    if (r.isNull(root)) {
      r.error(root, '', 'the file is empty; expected a scenario (name, hosts, links, flows)');
      return undefined;
    }
    const top = r.entries(root, '', 'a scenario (a mapping with name, hosts, links, flows)', TOP_KEYS);
    if (top === undefined) return undefined;
    const get = (k: string): { value: Node | null; field: string } | undefined =>
      top.find((e) => e.key === k);

    const nameE = get('name');
    const name = nameE ? r.text(nameE.value, nameE.field, 'a scenario name')?.value : undefined;
    const descE = get('description');
    const description = descE ? r.string(descE.value, descE.field, 'a description')?.value.trim() : undefined;
    const epochE = get('epoch');
    const epoch = epochE ? this.epoch(epochE.value, epochE.field) : undefined;

    const hostsE = get('hosts');
    if (hostsE === undefined) r.error(root, 'hosts', 'missing: a scenario needs at least one host');
    else this.hostsOf(hostsE.value, hostsE.field);

    const linksE = get('links');
    const links = linksE ? this.links(linksE.value, linksE.field) : [];
    const flowsE = get('flows');
    const flows = flowsE ? this.flows(flowsE.value, flowsE.field) : [];
    const eventsE = get('events');
    const events = eventsE ? this.events(eventsE.value, eventsE.field) : undefined;
    const verifyE = get('verify');
    let verify: { arp?: boolean } | undefined;
    if (verifyE) {
      const ve = r.entries(verifyE.value, verifyE.field, 'a mapping of verify settings (arp)', VERIFY_KEYS);
      const arpE = ve?.find((e) => e.key === 'arp');
      const arp = arpE ? r.boolean(arpE.value, arpE.field, 'true or false')?.value : undefined;
      verify = arp !== undefined ? { arp } : {};
    }

    const base = r.file.split(/[\\/]/).pop() ?? r.file;
    return {
      file: r.file,
      name: name ?? base.replace(/\.ya?ml$/i, ''),
      ...(description !== undefined ? { description } : {}),
      ...(epoch !== undefined ? { epoch } : {}),
      hosts: [...this.hosts.values()].map((b) => b.spec),
      links,
      flows,
      ...(events ? { events } : {}),
      ...(verify ? { verify } : {}),
    };
  }

  /** `events:` (sim/events.ts): each command is read now, so a bad one is a load error here. */
  private events(node: Node | null, field: string): EventSpec[] {
    const r = this.r;
    const out: EventSpec[] = [];
    const items = r.list(node, field, 'a list of events ({ at, host, run })');
    if (items.length > MAX_EVENTS) {
      r.error(node, field, `${items.length} events: a scenario may have at most ${MAX_EVENTS}`);
      return out;
    }
    for (const it of items) {
      const entries = r.entries(it.node, it.field, 'an event ({ at, host, run })', EVENT_KEYS);
      if (entries === undefined) continue;
      const get = (k: string) => entries.find((e) => e.key === k);
      const atE = get('at');
      const hostE = get('host');
      const runE = get('run');
      if (!atE || !hostE || !runE) {
        const k = !atE ? 'at' : !hostE ? 'host' : 'run';
        r.error(
          it.node,
          childField(it.field, k),
          `missing: the event's ${k === 'at' ? 'time in seconds' : k === 'host' ? 'host' : 'command line'}`,
          '',
        );
        continue;
      }
      const at = r.number(atE.value, atE.field, 'a time in seconds (0 or more)', { min: 0 });
      const host = r.text(hostE.value, hostE.field, 'a host name');
      const run = r.string(runE.value, runE.field, 'one command line (a string)');
      if (!at || !host || !run) continue;
      if (!this.hosts.has(host.value)) {
        r.error(
          hostE.value,
          hostE.field,
          `unknown host ${q(host.value)}${hint(host.value, [...this.hosts.keys()], 'one of the hosts')}`,
        );
        continue;
      }
      if (/[\r\n]/.test(run.value.trim())) {
        r.error(runE.value, runE.field, 'one command line per event (write several events)');
        continue;
      }
      const p = parseEventCommand(
        { text: run.value, ...run.loc },
        tableNamesOf(this.hosts.get(host.value)!.spec),
      );
      if (!p.ok) {
        r.error(p.at, runE.field, p.message, p.token);
        continue;
      }
      if (p.command.kind === 'sysctl') {
        const key = p.command.key;
        const range = sysctlRange(key);
        const nfStartOnly = key.startsWith('net.netfilter.') && !isLiveNfSysctl(key.slice(14));
        if (nfStartOnly || !range) {
          r.error(
            run.loc,
            runE.field,
            nfStartOnly
              ? `${key}: natbox applies this net.netfilter sysctl only at the start (hosts.${host.value}.sysctls); the conntrack timeouts, nf_conntrack_tcp_loose, _be_liberal, _max_retrans and _ignore_invalid_rst may change while running`
              : `${key}: natbox does not model this sysctl (it models ${Object.keys(SYSCTLS)
                  .filter((k) => !k.startsWith('net.netfilter.'))
                  .join(', ')})`,
            key,
          );
          continue;
        }
        if (p.command.value < range.min || p.command.value > range.max) {
          r.error(run.loc, runE.field, `${key}=${p.command.value}: natbox models ${range.what}`, key);
          continue;
        }
      }
      const input =
        p.command.kind === 'nft' && p.command.file
          ? this.nftFile(p.command.file, run.loc, runE.field)
          : undefined;
      if (p.command.kind === 'nft' && p.command.file && !input) continue;
      out.push({ at, host, run, loc: r.loc(it.node), ...(input ? { input } : {}) });
    }
    return out;
  }

  // ---- hosts -------------------------------------------------------------------------------

  private hostsOf(node: Node | null, field: string): void {
    const r = this.r;
    const entries = r.entries(node, field, 'a mapping of host names to hosts', undefined, 'host');
    if (entries === undefined) return;
    if (entries.length === 0) r.error(node, field, 'a scenario needs at least one host');
    for (const e of entries) {
      const nameAt: At<string> = { value: e.key, loc: r.loc(e.keyNode) };
      if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(e.key)) {
        r.error(e.keyNode, e.field, `${q(e.key)} is not a host name (use letters, digits, ".", "_" and "-")`);
      }
      this.host(nameAt, e.value, e.field);
    }
  }

  private host(name: At<string>, node: Node | null, field: string): void {
    const r = this.r;
    const ifaces = new Map<string, InterfaceSpec>();
    const bridged = new Map<string, string>();
    const bridges: BridgeSpec[] = [];
    let routes: At<string>[] = [];
    const sysctls = new Map<string, At<string>>();
    let rules: RulesSpec | undefined;
    let listen: ListenSpec[] = [];
    const entries = r.isNull(node)
      ? []
      : r.entries(node, field, 'a host (interfaces, bridges, routes, ...)', HOST_KEYS);
    const byKey = new Map((entries ?? []).map((e) => [e.key, e]));

    const ifE = byKey.get('interfaces');
    if (ifE !== undefined) {
      const list = r.entries(ifE.value, ifE.field, 'a mapping of interface names', undefined, 'interface');
      for (const ie of list ?? []) {
        if (!this.ifName(ie.key, ie.keyNode, ie.field)) continue;
        const spec = this.iface(name.value, { value: ie.key, loc: r.loc(ie.keyNode) }, ie.value, ie.field);
        ifaces.set(ie.key, spec);
      }
    }
    const brE = byKey.get('bridges');
    if (brE !== undefined) {
      const list = r.entries(brE.value, brE.field, 'a mapping of bridge names', undefined, 'bridge');
      for (const be of list ?? []) {
        if (!this.ifName(be.key, be.keyNode, be.field)) continue;
        if (ifaces.has(be.key)) {
          const first = ifaces.get(be.key)!.name.loc;
          r.error(
            be.keyNode,
            be.field,
            `${q(be.key)} is already an interface of ${name.value} (line ${first.line})`,
          );
          continue;
        }
        const b = this.bridge(
          name.value,
          { value: be.key, loc: r.loc(be.keyNode) },
          be.value,
          be.field,
          ifaces,
          bridged,
        );
        if (b !== undefined) bridges.push(b);
      }
    }
    const rtE = byKey.get('routes');
    if (rtE !== undefined) routes = this.routes(rtE.value, rtE.field);
    const scE = byKey.get('sysctls');
    if (scE !== undefined) this.sysctls(scE.value, scE.field, sysctls);
    const ruE = byKey.get('rules');
    if (ruE !== undefined) rules = this.rules(ruE.value, ruE.field, 'rules');
    // ipset save lines are positioned text too; the rules reader keeps each line's place.
    const ipE = byKey.get('ipsets');
    const ipsets = ipE !== undefined ? this.rules(ipE.value, ipE.field, 'ipsets') : undefined;
    const liE = byKey.get('listen');
    if (liE !== undefined) listen = this.listen(liE.value, liE.field);
    const irE = byKey.get('ip_rules');
    const ipRules = irE !== undefined ? this.ipRules(irE.value, irE.field) : undefined;
    const ttE = byKey.get('rt_tables');
    const rtTables = ttE !== undefined ? this.rtTables(ttE.value, ttE.field) : undefined;
    // nftables beside iptables rules: the same forms as rules: (the front end reads the text).
    const nfE = byKey.get('nft');
    const nft = nfE !== undefined ? this.rules(nfE.value, nfE.field, 'nft') : undefined;
    const quE = byKey.get('queues');
    const queues = quE !== undefined ? this.queues(quE.value, quE.field) : undefined;

    const spec: HostSpec = {
      name,
      interfaces: [...ifaces.values()],
      bridges,
      routes,
      sysctls,
      ...(rules !== undefined ? { rules } : {}),
      ...(ipsets !== undefined ? { ipsets } : {}),
      listen,
      ...(ipRules !== undefined ? { ipRules } : {}),
      ...(rtTables !== undefined ? { rtTables } : {}),
      ...(nft !== undefined ? { nft } : {}),
      ...(queues !== undefined ? { queues } : {}),
    };
    this.hosts.set(name.value, { spec, ifaces, bridged });
  }

  /** Linux interface names: 1-15 characters (IFNAMSIZ - 1), no "/", ":" or white space. */
  private ifName(name: string, node: Node, field: string): boolean {
    if (name.length === 0 || name.length > 15 || /[/:\s]/.test(name) || name === '.' || name === '..') {
      this.r.error(
        node,
        field,
        `${q(name)} is not an interface name (1-15 characters, no "/", ":" or spaces)`,
      );
      return false;
    }
    return true;
  }

  private iface(host: string, name: At<string>, node: Node | null, field: string): InterfaceSpec {
    const r = this.r;
    const where = `${host} ${name.value}`;
    // Shorthands: `eth0:` / `eth0: {}` (no address), `eth0: 10.0.0.1/24`, `eth0: [10.0.0.1/24, ...]`.
    if (r.isNull(node)) return { name, addresses: [] };
    if (isScalar(node) || isSeq(node)) {
      return { name, addresses: this.addresses(node, field, where) };
    }
    const entries = r.entries(node, field, 'an interface (addresses, mac, mtu) or an address', IFACE_KEYS);
    let addresses: At<string>[] = [];
    let mac: At<string> | undefined;
    let mtu: At<number> | undefined;
    const one = entries?.find((e) => e.key === 'address');
    const many = entries?.find((e) => e.key === 'addresses');
    if (one && many) r.error(one.keyNode, one.field, 'write either address or addresses, not both');
    else if (one) addresses = this.addresses(one.value, one.field, where, true);
    else if (many) addresses = this.addresses(many.value, many.field, where);
    const macE = entries?.find((e) => e.key === 'mac');
    if (macE) mac = this.mac(macE.value, macE.field);
    const mtuE = entries?.find((e) => e.key === 'mtu');
    if (mtuE)
      mtu = r.number(mtuE.value, mtuE.field, 'an MTU (a whole number from 68 to 65535)', {
        integer: true,
        min: 68,
        max: 65535,
      });
    const groupE = entries?.find((e) => e.key === 'group');
    const group = groupE
      ? r.number(groupE.value, groupE.field, 'a device group (a whole number from 0 to 4294967295)', {
          integer: true,
          min: 0,
          max: 0xffffffff,
        })
      : undefined;
    return { name, addresses, ...(mac ? { mac } : {}), ...(mtu ? { mtu } : {}), ...(group ? { group } : {}) };
  }

  private bridge(
    host: string,
    name: At<string>,
    node: Node | null,
    field: string,
    ifaces: Map<string, InterfaceSpec>,
    bridged: Map<string, string>,
  ): BridgeSpec | undefined {
    const r = this.r;
    const entries = r.isNull(node)
      ? []
      : r.entries(node, field, 'a bridge (ports, addresses, mac, stp)', BRIDGE_KEYS);
    if (entries === undefined) return undefined;
    const get = (k: string) => entries.find((e) => e.key === k);
    const ports: At<string>[] = [];
    const portsE = get('ports');
    if (portsE) {
      for (const it of r.list(portsE.value, portsE.field, 'a list of interface names')) {
        const p = r.text(it.node, it.field, 'an interface name');
        if (p === undefined) continue;
        if (!ifaces.has(p.value)) {
          const names = [...ifaces.keys()];
          r.error(
            it.node,
            it.field,
            `${q(p.value)} is not an interface of host ${host}` +
              (names.length ? hint(p.value, names, 'one of its interfaces') : ' (it declares no interfaces)'),
          );
          continue;
        }
        const other = bridged.get(p.value);
        if (other !== undefined) {
          r.error(
            it.node,
            it.field,
            `${q(p.value)} is already a port of bridge ${other}; a port belongs to one bridge`,
          );
          continue;
        }
        bridged.set(p.value, name.value);
        ports.push(p);
      }
    }
    let addresses: At<string>[] = [];
    const one = get('address');
    const many = get('addresses');
    if (one && many) r.error(one.keyNode, one.field, 'write either address or addresses, not both');
    else if (one) addresses = this.addresses(one.value, one.field, `${host} ${name.value}`, true);
    else if (many) addresses = this.addresses(many.value, many.field, `${host} ${name.value}`);
    const macE = get('mac');
    const mac = macE ? this.mac(macE.value, macE.field) : undefined;
    const stpE = get('stp');
    const stp = stpE ? this.stp(stpE.value, stpE.field) : undefined;
    return { name, ports, addresses, ...(mac ? { mac } : {}), ...(stp ? { stp } : {}) };
  }

  /**
   * `stp: true|false` or `stp: { priority, forward_delay, hello_time, max_age }`, with the ranges
   * Linux accepts (br_stp_set_bridge_priority, br_set_forward_delay etc.; times in seconds).
   */
  private stp(node: Node | null, field: string): StpSpec | undefined {
    const r = this.r;
    const loc = r.loc(node);
    const d = { priority: 32768, forwardDelay: 15, helloTime: 2, maxAge: 20 };
    if (isScalar(node) && typeof node.value === 'boolean') return node.value ? { ...d, loc } : undefined;
    const entries = r.entries(
      node,
      field,
      'true, false or STP settings (priority, forward_delay, hello_time, max_age)',
      STP_KEYS,
    );
    if (entries === undefined) return undefined;
    for (const e of entries) {
      const v =
        e.key === 'priority'
          ? r.number(e.value, e.field, 'a bridge priority (a whole number from 0 to 65535)', {
              integer: true,
              min: 0,
              max: 65535,
            })
          : e.key === 'forward_delay'
            ? r.number(e.value, e.field, 'a forward delay in seconds (2 to 30 with STP)', { min: 2, max: 30 })
            : e.key === 'hello_time'
              ? r.number(e.value, e.field, 'a hello time in seconds (1 to 10)', { min: 1, max: 10 })
              : r.number(e.value, e.field, 'a max age in seconds (6 to 40)', { min: 6, max: 40 });
      if (v === undefined) continue;
      if (e.key === 'priority') d.priority = v.value;
      else if (e.key === 'forward_delay') d.forwardDelay = v.value;
      else if (e.key === 'hello_time') d.helloTime = v.value;
      else d.maxAge = v.value;
    }
    return { ...d, loc };
  }

  /**
   * Interface addresses `a.b.c.d/len`, each once per device (`ip addr add` refuses it again);
   * the same address on different segments is fine, and twice on one segment is a warning the
   * builder gives (scenario/segments.ts).
   */
  private addresses(node: Node | null, field: string, where: string, single = false): At<string>[] {
    const r = this.r;
    const out: At<string>[] = [];
    const items = single ? [{ node, field }] : r.list(node, field, 'a list of addresses (a.b.c.d/len)', true);
    for (const it of items) {
      const a = r.string(it.node, it.field, 'an IPv4 address with its prefix length (a.b.c.d/len)');
      if (a === undefined) continue;
      const problem = prefixProblem(a.value);
      if (problem !== undefined) {
        r.error(it.node, it.field, problem);
        continue;
      }
      const ip = parseIpv4(a.value.slice(0, a.value.indexOf('/')));
      if (ip.ok) {
        const owner = this.usedAddrs.get(`${where} ${ip.value}/${a.value.slice(a.value.indexOf('/') + 1)}`);
        if (owner !== undefined) {
          r.error(
            it.node,
            it.field,
            `${q(a.value)}: address ${a.value.slice(0, a.value.indexOf('/'))} is already on ${owner.where} (line ${owner.loc.line}) (Linux: "Error: ipv4: Address already assigned.")`,
          );
          continue;
        }
        this.usedAddrs.set(`${where} ${ip.value}/${a.value.slice(a.value.indexOf('/') + 1)}`, {
          where,
          loc: a.loc,
        });
      }
      out.push(a);
    }
    return out;
  }

  private mac(node: Node | null, field: string): At<string> | undefined {
    const r = this.r;
    const m = r.string(node, field, 'a MAC address (xx:xx:xx:xx:xx:xx)');
    if (m === undefined) return undefined;
    const p = parseMac(m.value);
    if (!p.ok) {
      r.error(node, field, p.error);
      return undefined;
    }
    if ((p.value[0]! & 1) !== 0) {
      r.error(
        node,
        field,
        `${q(m.value)} is a multicast MAC address (the first byte is odd); an interface needs a unicast one`,
      );
      return undefined;
    }
    return m;
  }

  private routes(node: Node | null, field: string): At<string>[] {
    const r = this.r;
    const out: At<string>[] = [];
    for (const it of r.list(node, field, 'a list of routes (ip route syntax)', true)) {
      const s = r.string(it.node, it.field, 'a route in ip route syntax, e.g. "default via 192.168.1.1"');
      if (s === undefined) continue;
      if (s.value.trim() === '' || s.value.includes('\n')) {
        r.error(
          it.node,
          it.field,
          `${q(s.value)} is not a route (expected one line of ip route syntax, e.g. "default via 192.168.1.1")`,
        );
        continue;
      }
      const lead = s.value.length - s.value.trimStart().length;
      // An IPv6 route (`default via fe80::1`, `2001:db8::/32 dev eth0`): said here, at its word.
      const v6 = /\S+/g;
      let w: RegExpExecArray | null;
      let ipv6 = false;
      while ((w = v6.exec(s.value)) !== null && !ipv6) {
        if (!looksLikeIpv6(w[0]) || it.node === null) continue;
        r.error(
          r.locIn(it.node, w.index),
          it.field,
          `${q(w[0])} is an IPv6 address; ${IPV6_NOT_SIMULATED}`,
          w[0],
        );
        ipv6 = true;
      }
      if (ipv6) continue;
      out.push({ value: s.value.trim(), loc: it.node ? r.locIn(it.node, lead) : s.loc });
    }
    return out;
  }

  /** `ip_rules:` a list of `ip rule add` argument strings (route/rule.ts parses them). */
  private ipRules(node: Node | null, field: string): At<string>[] {
    const r = this.r;
    const out: At<string>[] = [];
    for (const it of r.list(node, field, 'a list of ip rules (ip rule add syntax)', true)) {
      const s = r.string(it.node, it.field, 'a rule in ip rule syntax, e.g. "fwmark 0x2 lookup 200"');
      if (s === undefined) continue;
      if (s.value.trim() === '' || s.value.includes('\n')) {
        r.error(it.node, it.field, `${q(s.value)} is not a rule (expected one line of ip rule syntax)`);
        continue;
      }
      const lead = s.value.length - s.value.trimStart().length;
      out.push({ value: s.value.trim(), loc: it.node ? r.locIn(it.node, lead) : s.loc });
    }
    return out;
  }

  /**
   * `rt_tables:` table names as /etc/iproute2/rt_tables declares them (`wan2: 200` for the line
   * `200 wan2`), for `table`/`lookup` in routes, rules and events. A name is one word that is not
   * a number nor a reserved name; an id is 1..4294967295 but not 253-255 (default, main, local).
   */
  private rtTables(node: Node | null, field: string): Map<string, At<number>> {
    const r = this.r;
    const out = new Map<string, At<number>>();
    const RESERVED = ['local', 'main', 'default', 'unspec', 'all'];
    for (const e of r.entries(
      node,
      field,
      'a mapping of table names to ids, e.g. { wan2: 200 }',
      undefined,
      'table',
    ) ?? []) {
      if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(e.key) || RESERVED.includes(e.key)) {
        r.error(
          e.keyNode,
          e.field,
          RESERVED.includes(e.key)
            ? `${q(e.key)} is a reserved table name (${RESERVED.join(', ')})`
            : `${q(e.key)} is not a table name (a word of letters, digits, ".", "_", "-" that does not start with a digit)`,
          e.key,
        );
        continue;
      }
      const n = r.number(e.value, e.field, 'a table id (1..4294967295, not 253-255)', {
        integer: true,
        min: 1,
        max: 0xffffffff,
      });
      if (n === undefined) continue;
      if (n.value >= 253 && n.value <= 255) {
        r.error(e.value, e.field, `${n.value} is a reserved table id (253 default, 254 main, 255 local)`);
        continue;
      }
      out.set(e.key, n);
    }
    return out;
  }

  /** `queues: { 0: accept, 3: drop }`: queue numbers (0..65535) to a listener's verdict. */
  private queues(node: Node | null, field: string): Map<number, At<'accept' | 'drop'>> {
    const r = this.r;
    const out = new Map<number, At<'accept' | 'drop'>>();
    for (const e of r.entries(
      node,
      field,
      'a mapping of queue numbers to verdicts, e.g. { 0: accept }',
      undefined,
      'queue',
    ) ?? []) {
      if (!/^\d+$/.test(e.key) || Number(e.key) > 65535) {
        r.error(e.keyNode, e.field, `${q(e.key)} is not a queue number (0..65535)`, e.key);
        continue;
      }
      const v = r.string(e.value, e.field, 'a verdict: accept or drop');
      if (v === undefined) continue;
      if (v.value !== 'accept' && v.value !== 'drop') {
        r.error(e.value, e.field, `${q(v.value)} is not a queue verdict (accept or drop)`, v.value);
        continue;
      }
      out.set(Number(e.key), { value: v.value, loc: v.loc });
    }
    return out;
  }

  private sysctls(node: Node | null, field: string, out: Map<string, At<string>>): void {
    const r = this.r;
    const known = Object.keys(SYSCTLS);
    for (const e of r.entries(node, field, 'a mapping of sysctl names to values', undefined, 'sysctl') ??
      []) {
      const limits = sysctlRange(e.key);
      if (limits === undefined) {
        const s = suggest(e.key, known);
        r.error(
          e.keyNode,
          e.field,
          `unknown sysctl ${q(e.key)}${s ? `; did you mean "${s}"?` : ''} (supported: ${known.join(', ')}, net.netfilter.nf_conntrack_*timeout*, net.ipv4.conf.{all,DEV}.{rp_filter,arp_ignore,arp_announce,arp_filter,proxy_arp,route_localnet,arp_notify,accept_local,src_valid_mark} and net.ipv4.neigh.DEV.{base_reachable_time_ms,delay_first_probe_time,retrans_time_ms,ucast_solicit,mcast_solicit,mcast_resolicit,proxy_delay,locktime})`,
          e.key,
        );
        continue;
      }
      const v = e.value;
      const n =
        isScalar(v) && typeof v.value === 'number'
          ? v.value
          : isScalar(v) && typeof v.value === 'string' && /^\d+$/.test(v.value.trim())
            ? Number(v.value)
            : NaN;
      if (!Number.isInteger(n) || n < limits.min || n > limits.max) {
        r.error(
          v,
          e.field,
          `${r.isNull(v) ? 'nothing' : isScalar(v) && typeof v.value === 'number' ? r.token(v) : q(r.token(v))} is not a value for ${e.key} (expected ${limits.what})`,
        );
        continue;
      }
      out.set(e.key, { value: String(n), loc: r.locIn(v!, 0) });
    }
  }

  /**
   * Rule text as positioned lines: a literal block (`rules: |`), one line, a list of lines, or
   * `{ file: NAME }` / `{ files: [NAME, ...] }`, files read relative to the scenario's folder whose
   * lines keep their own file, line and column.
   */
  private rules(node: Node | null, field: string, what: 'rules' | 'ipsets' | 'nft'): RulesSpec {
    const r = this.r;
    const lines: At<string>[] = [];
    if (isMap(node)) {
      const entries = r.entries(
        node,
        field,
        `${what} from files: { file: NAME } or { files: [NAME, ...] }`,
        INCLUDE_KEYS,
      );
      const one = entries?.find((e) => e.key === 'file');
      const many = entries?.find((e) => e.key === 'files');
      if (one && many) r.error(one.keyNode, one.field, 'write either file or files, not both');
      else if (one) this.include(one.value, one.field, what, lines);
      else if (many) {
        for (const it of r.list(many.value, many.field, 'a list of file names'))
          this.include(it.node, it.field, what, lines);
      } else if (entries !== undefined && node.items.length === 0)
        r.error(node, field, `expected { file: NAME } or { files: [NAME, ...] }, found an empty mapping`);
    } else if (isSeq(node)) {
      for (const it of r.list(node, field, 'a list of rules')) this.ruleText(it.node, it.field, lines);
    } else if (!r.isNull(node)) {
      this.ruleText(node, field, lines);
    }
    return { lines: what !== 'ipsets' && hasNftInclude(lines) ? this.nftIncludes(lines, field) : lines };
  }

  /** The lines of an `nft -f FILE` event's file (relative to the scenario), its includes in place. */
  private nftFile(name: string, at: SourceLoc, field: string): At<string>[] | undefined {
    const read = this.opts.readFile;
    const path = relativeTo(this.r.file, name);
    const got = read === undefined ? undefined : sized(read(path));
    if (!got?.ok) {
      const why = got ? got.error : 'files are not read here (as a library, pass readFile to loadScenario)';
      this.r.error(at, field, `nft -f ${name}: cannot read ${path}: ${why}`, name);
      return undefined;
    }
    return this.nftIncludes(textLines(got.text, path), field);
  }

  /** nftables text with its `include "file"` lines replaced by the files' lines (nft-include.ts). */
  private nftIncludes(lines: readonly At<string>[], field: string): At<string>[] {
    const read = this.opts.readFile;
    return expandNftIncludes(lines, {
      read: (path) =>
        read === undefined
          ? { ok: false, error: 'files are not read here (as a library, pass readFile to loadScenario)' }
          : ++this.includes > MAX_INCLUDES
            ? { ok: false, error: `a scenario includes at most ${MAX_INCLUDES} files` }
            : sized(read(path)),
      resolve: relativeTo,
      error: (at, message, token) => this.r.error(at, field, message, token),
    });
  }

  /** One included file's lines, each at its own place in that file. */
  private include(
    node: Node | null,
    field: string,
    what: 'rules' | 'ipsets' | 'nft',
    out: At<string>[],
  ): void {
    const r = this.r;
    const name = r.string(
      node,
      field,
      `a file name (${what === 'rules' ? 'iptables-save or iptables commands, or nftables' : what === 'nft' ? 'nft list ruleset, an nft -f script or nft -j JSON' : 'ipset save'}), relative to the scenario`,
    );
    if (name === undefined) return;
    if (name.value.trim() === '' || name.value.includes('\n')) {
      r.error(node, field, `${q(name.value)} is not a file name`);
      return;
    }
    const read = this.opts.readFile;
    if (read === undefined) {
      r.error(
        node,
        field,
        `${q(name.value)}: files are not read here (natbox trace, test and diff read them; as a library, pass readFile to loadScenario)`,
      );
      return;
    }
    if (++this.includes > MAX_INCLUDES) {
      r.error(node, field, `${q(name.value)}: a scenario includes at most ${MAX_INCLUDES} files`);
      return;
    }
    const path = relativeTo(r.file, name.value);
    const got = read(path);
    if (!got.ok) {
      r.error(node, field, `cannot read ${q(name.value)}: ${got.error}`);
      return;
    }
    if (got.text.length > MAX_INCLUDE_BYTES) {
      r.error(
        node,
        field,
        `${q(name.value)} is larger than ${MAX_INCLUDE_BYTES / 1024 / 1024} MiB, the most a ${what} file may hold`,
      );
      return;
    }
    for (const l of textLines(got.text, path)) out.push(l);
  }

  private ruleText(node: Node | null, field: string, out: At<string>[]): void {
    const r = this.r;
    if (!isScalar(node) || typeof node.value !== 'string') {
      r.error(
        node,
        field,
        `expected rules (iptables commands or an iptables-save block as text, or { file: NAME }), found ${r.describe(node)}`,
      );
      return;
    }
    if (node.type === Scalar.BLOCK_FOLDED) {
      r.error(
        node,
        field,
        'a folded block (>) joins the rules into one line; write `rules: |` (a literal block)',
      );
      return;
    }
    if (node.type === Scalar.BLOCK_LITERAL) {
      // Value line i is file line (header line + 1 + i); its text is the end of that file line, so the
      // column is where it starts there (the block's indentation removed), moved past further spaces.
      const header = r.locAt(node.range![0]).line;
      const fileLines = r.source.split('\n');
      node.value.split('\n').forEach((line, i) => {
        if (line.trim() === '') return;
        const raw = (fileLines[header + i] ?? '').replace(/\r$/, '');
        const lead = line.length - line.trimStart().length;
        const col = raw.length - line.length + lead + 1;
        out.push({ value: line.trim(), loc: { file: r.file, line: header + 1 + i, column: col } });
      });
      return;
    }
    // A plain or quoted scalar: one rule on one line.
    const start = r.locAt(node.range![0]).line;
    const end = r.locAt(node.range![1]).line;
    if (node.value.includes('\n') || end !== start) {
      r.error(
        node,
        field,
        'a rule written over several lines is folded into one; write `rules: |` with one rule per line, or a list',
      );
      return;
    }
    if (node.value.trim() === '') {
      r.error(node, field, 'an empty rule');
      return;
    }
    const lead = node.value.length - node.value.trimStart().length;
    out.push({ value: node.value.trim(), loc: r.locIn(node, lead) });
  }

  private listen(node: Node | null, field: string): ListenSpec[] {
    const r = this.r;
    const out: ListenSpec[] = [];
    const seen = new Map<string, SourceLoc>();
    for (const it of r.list(node, field, 'a list of sockets (tcp/80, udp/5000)', true)) {
      if (isMap(it.node)) {
        const l = this.listenObject(it.node, it.field, out);
        if (l) out.push(l);
        continue;
      }
      const s = r.string(it.node, it.field, 'a socket as proto/port, e.g. tcp/80');
      if (s === undefined || it.node === null) continue;
      const m = /^(tcp|udp)\/(\d+)$/.exec(s.value);
      if (m === null) {
        r.error(
          it.node,
          it.field,
          `${q(s.value)} is not a listening socket (expected tcp/PORT or udp/PORT, e.g. tcp/80)`,
        );
        continue;
      }
      const port = Number(m[2]);
      if (port < 1 || port > 65535) {
        r.error(
          r.locIn(it.node, m[1]!.length + 1),
          it.field,
          `${q(s.value)}: port ${m[2]} is not a port number (1-65535)`,
          s.value,
        );
        continue;
      }
      const first = seen.get(s.value);
      if (first !== undefined) {
        r.error(it.node, it.field, `${q(s.value)} is listed twice (first at line ${first.line})`);
        continue;
      }
      seen.set(s.value, s.loc);
      out.push({
        proto: { value: m[1] as 'tcp' | 'udp', loc: s.loc },
        port: { value: port, loc: r.locIn(it.node, m[1]!.length + 1) },
        loc: s.loc,
      });
    }
    return out;
  }

  /**
   * A listening socket written as an object: `{ proto: udp, port: 6000, bind: 10.0.2.20,
   * reply_port: 6001 }` (bind: the address it listens on; reply_port, UDP only: answers leave
   * from a second socket bound to bind:reply_port). Two sockets on one port must not overlap
   * (the same address, or either on 0.0.0.0: bind() would fail with EADDRINUSE).
   */
  private listenObject(node: Node, field: string, earlier: readonly ListenSpec[]): ListenSpec | undefined {
    const r = this.r;
    const es = r.entries(
      node,
      field,
      'a listening socket { proto, port, bind, reply_port, ftp, close_first, transparent }',
      ['proto', 'port', 'bind', 'reply_port', 'ftp', 'close_first', 'transparent'],
    );
    if (es === undefined) return undefined;
    const get = (k: string): (typeof es)[number] | undefined => es.find((e) => e.key === k);
    const loc = r.loc(node);
    let ok = true;
    const pE = get('proto');
    let proto: At<'tcp' | 'udp'> | undefined;
    if (!pE) {
      r.error(node, field, 'a listening socket needs proto (tcp or udp)');
      ok = false;
    } else {
      const p = r.string(pE.value, pE.field, 'tcp or udp');
      if (p && (p.value === 'tcp' || p.value === 'udp')) proto = { value: p.value, loc: p.loc };
      else {
        if (p)
          r.error(pE.value, pE.field, `${q(p.value)} is not a protocol a server listens with (tcp or udp)`);
        ok = false;
      }
    }
    const portE = get('port');
    let port: At<number> | undefined;
    if (!portE) {
      r.error(node, field, 'a listening socket needs port (1-65535)');
      ok = false;
    } else if (!(port = this.port(portE.value, portE.field))) ok = false;
    let bind: At<string> | undefined;
    const bE = get('bind');
    if (bE) {
      const hp = this.hostPort(bE.value, bE.field, 'none');
      if (hp) bind = hp.ip;
      else ok = false;
    }
    let replyPort: At<number> | undefined;
    const rpE = get('reply_port');
    if (rpE) {
      if (proto && proto.value !== 'udp') {
        r.error(
          rpE.keyNode,
          rpE.field,
          'reply_port is for udp servers (answers from a second socket)',
          'reply_port',
        );
        ok = false;
      } else if (!(replyPort = this.port(rpE.value, rpE.field))) ok = false;
      else if (port && replyPort.value === port.value) {
        r.error(rpE.value, rpE.field, `reply_port ${replyPort.value} is the listening port itself`);
        ok = false;
      }
    }
    // ftp: an FTP server (stack/ftp.ts) answers on this TCP port.
    const ftpE = get('ftp');
    const ftp = ftpE ? r.boolean(ftpE.value, ftpE.field, 'true (an FTP server) or false') : undefined;
    if (ftpE && !ftp) ok = false;
    if (ftp?.value && proto && proto.value !== 'tcp') {
      r.error(ftpE!.keyNode, ftpE!.field, 'ftp is for tcp servers', 'ftp');
      ok = false;
    }
    // close_first: the server closes each connection right after its answer (its side ends in TIME_WAIT).
    const cfE = get('close_first');
    const closeFirst = cfE
      ? r.boolean(cfE.value, cfE.field, 'true (the server closes first) or false')
      : undefined;
    if (cfE && !closeFirst) ok = false;
    if (closeFirst?.value && proto && (proto.value !== 'tcp' || ftp?.value)) {
      r.error(cfE!.keyNode, cfE!.field, 'close_first is for tcp servers answering `ping`', 'close_first');
      ok = false;
    }
    // transparent: IP_TRANSPARENT (TPROXY hands it packets for any address).
    const tpE = get('transparent');
    const transparent = tpE ? r.boolean(tpE.value, tpE.field, 'true (IP_TRANSPARENT) or false') : undefined;
    if (tpE && !transparent) ok = false;
    if (!ok || !proto || !port) return undefined;
    const b = bind?.value ?? '0.0.0.0';
    const clash = earlier.find(
      (e) =>
        e.proto.value === proto.value &&
        (e.port.value === port.value || e.replyPort?.value === port.value) &&
        (b === '0.0.0.0' || (e.bind?.value ?? '0.0.0.0') === '0.0.0.0' || e.bind?.value === b),
    );
    if (clash) {
      r.error(
        node,
        field,
        `${proto.value} port ${port.value} on ${b} is already taken by the socket at line ${clash.loc.line} (bind() would fail with EADDRINUSE)`,
      );
      return undefined;
    }
    return {
      proto,
      port,
      loc,
      ...(bind ? { bind } : {}),
      ...(replyPort ? { replyPort } : {}),
      ...(ftp?.value ? { ftp } : {}),
      ...(closeFirst?.value ? { closeFirst } : {}),
      ...(transparent?.value ? { transparent } : {}),
    };
  }

  // ---- links -------------------------------------------------------------------------------

  private links(node: Node | null, field: string): LinkSpec[] {
    const r = this.r;
    const out: LinkSpec[] = [];
    const used = new Map<string, SourceLoc>(); // "host:iface" → where it was linked
    const names = new Map<string, SourceLoc>();
    for (const it of r.list(node, field, 'a list of links')) {
      const loc = r.loc(it.node);
      let name: At<string> | undefined;
      let connect: { node: Node | null; field: string } = { node: it.node, field: it.field };
      if (!isSeq(it.node)) {
        const entries = r.entries(
          it.node,
          it.field,
          'a link: [host:iface, host:iface] or { name, connect: [...] }',
          LINK_KEYS,
        );
        if (entries === undefined) continue;
        const nameE = entries.find((e) => e.key === 'name');
        if (nameE) name = r.text(nameE.value, nameE.field, 'a link name');
        if (name !== undefined) {
          const first = names.get(name.value);
          if (first)
            r.error(
              nameE!.value,
              nameE!.field,
              `duplicate link name ${q(name.value)} (first at line ${first.line})`,
            );
          else names.set(name.value, name.loc);
        }
        const c = entries.find((e) => e.key === 'connect');
        if (c === undefined) {
          r.error(
            it.node,
            childField(it.field, 'connect'),
            'missing: the endpoints of the link (host:iface, ...)',
          );
          continue;
        }
        connect = { node: c.value, field: c.field };
      }
      const items = r.list(connect.node, connect.field, 'a list of endpoints (host:iface)');
      if (isSeq(connect.node) && items.length < 2) {
        r.error(
          connect.node,
          connect.field,
          `a link needs at least two endpoints (host:iface), found ${items.length}`,
        );
      }
      const endpoints: LinkSpec['endpoints'][number][] = [];
      for (const e of items) {
        const s = r.string(e.node, e.field, 'an endpoint host:iface');
        if (s === undefined || e.node === null) continue;
        const ep = this.endpoint(s.value, e.node, e.field);
        if (ep === undefined) continue;
        const key = `${ep.host}:${ep.iface}`;
        const first = used.get(key);
        if (first !== undefined) {
          r.error(
            e.node,
            e.field,
            `${q(s.value)}: interface ${ep.iface} of ${ep.host} is already linked (line ${first.line}); an interface plugs into one link`,
          );
          continue;
        }
        used.set(key, s.loc);
        endpoints.push({ value: ep, loc: s.loc });
      }
      out.push({ ...(name ? { name } : {}), endpoints, loc });
    }
    return out;
  }

  private endpoint(text: string, node: Node, field: string): { host: string; iface: string } | undefined {
    const r = this.r;
    const colon = text.indexOf(':');
    if (colon <= 0 || colon === text.length - 1) {
      r.error(node, field, `${q(text)} is not an endpoint (expected host:iface, e.g. router:lan1)`);
      return undefined;
    }
    const host = text.slice(0, colon);
    const iface = text.slice(colon + 1);
    const h = this.hosts.get(host);
    if (h === undefined) {
      r.error(
        node,
        field,
        `${q(text)}: unknown host ${q(host)}${hint(host, [...this.hosts.keys()], 'one of the hosts')}`,
      );
      return undefined;
    }
    if (!h.ifaces.has(iface)) {
      const isBridge = h.spec.bridges.some((b) => b.name.value === iface);
      r.error(
        r.locIn(node, colon + 1),
        field,
        isBridge
          ? `${q(text)}: ${iface} is a bridge; link one of its ports instead`
          : `${q(text)}: host ${host} has no interface ${q(iface)}${hint(iface, [...h.ifaces.keys()], 'one of its interfaces')}`,
        text,
      );
      return undefined;
    }
    return { host, iface };
  }

  // ---- flows -------------------------------------------------------------------------------

  private flows(node: Node | null, field: string): FlowSpec[] {
    const r = this.r;
    const out: FlowSpec[] = [];
    const names = new Map<string, SourceLoc>();
    for (const it of r.list(node, field, 'a list of flows')) {
      const f = this.flow(it.node, it.field);
      if (f === undefined) continue;
      const first = names.get(f.name.value);
      if (first !== undefined) {
        r.error(
          f.name.loc,
          childField(it.field, 'name'),
          `duplicate flow name ${q(f.name.value)} (first at line ${first.line})`,
          f.name.value,
        );
        continue;
      }
      names.set(f.name.value, f.name.loc);
      out.push(f);
    }
    return out;
  }

  private port(node: Node | null, field: string): At<number> | undefined {
    return this.r.number(node, field, 'a port number (1-65535)', { integer: true, min: 1, max: 65535 });
  }

  /** `a.b.c.d:port` (or `a.b.c.d` when `port` is 'none' or 'optional'), with the port's position. */
  private hostPort(
    node: Node | null,
    field: string,
    port: 'required' | 'optional' | 'none',
    noPorts = 'ICMP has no ports',
  ): { ip: At<string>; port?: At<number> } | undefined {
    const r = this.r;
    const want =
      port === 'required' ? 'a.b.c.d:port' : port === 'none' ? 'a.b.c.d' : 'a.b.c.d or a.b.c.d:port';
    const s = r.string(node, field, `an address ${want}`);
    if (s === undefined || node === null) return undefined;
    if (looksLikeIpv6(s.value)) {
      r.error(node, field, `${q(s.value)} is an IPv6 address; ${IPV6_NOT_SIMULATED}`);
      return undefined;
    }
    const colon = s.value.lastIndexOf(':');
    const ipText = colon < 0 ? s.value : s.value.slice(0, colon);
    const ip = parseIpv4(ipText);
    if (!ip.ok) {
      r.error(node, field, `${q(s.value)}: ${ip.error} (expected ${want})`);
      return undefined;
    }
    if (colon < 0) {
      if (port === 'required') {
        r.error(node, field, `${q(s.value)} has no port (expected ${want}, e.g. ${ipText}:80)`);
        return undefined;
      }
      return { ip: { value: ipText, loc: s.loc } };
    }
    if (port === 'none') {
      r.error(r.locIn(node, colon), field, `${q(s.value)}: ${noPorts} (expected ${want})`, s.value);
      return undefined;
    }
    const pText = s.value.slice(colon + 1);
    const pn = /^\d{1,5}$/.test(pText) ? Number(pText) : NaN;
    if (!(pn >= 1 && pn <= 65535)) {
      r.error(
        r.locIn(node, colon + 1),
        field,
        `${q(s.value)}: ${q(pText)} is not a port number (1-65535)`,
        s.value,
      );
      return undefined;
    }
    return { ip: { value: ipText, loc: s.loc }, port: { value: pn, loc: r.locIn(node, colon + 1) } };
  }

  private flow(node: Node | null, field: string): FlowSpec | undefined {
    const r = this.r;
    const entries = r.entries(node, field, 'a flow (from, proto, to, expect, ...)', FLOW_KEYS);
    if (entries === undefined) return undefined;
    const loc = r.loc(node);
    const get = (k: string) => entries.find((e) => e.key === k);
    let ok = true;
    const need = <T>(v: T | undefined): v is T => {
      if (v === undefined) ok = false;
      return v !== undefined;
    };
    const missing = (k: string, what: string): void => {
      r.error(node, childField(field, k), `missing: ${what}`, '');
      ok = false;
    };

    // from
    let from: At<string> | undefined;
    const fromE = get('from');
    if (fromE === undefined) missing('from', 'the host the flow starts from');
    else {
      from = r.text(fromE.value, fromE.field, 'a host name');
      if (need(from) && !this.hosts.has(from.value)) {
        r.error(
          fromE.value,
          fromE.field,
          `unknown host ${q(from.value)}${hint(from.value, [...this.hosts.keys()], 'one of the hosts')}`,
        );
        ok = false;
      }
    }

    // proto
    let proto: At<FlowProto> | undefined;
    const protoE = get('proto');
    if (protoE === undefined) missing('proto', 'the protocol (tcp, udp or icmp)');
    else {
      const p = r.string(protoE.value, protoE.field, 'a protocol (tcp, udp or icmp)');
      if (need(p)) {
        if (p.value === 'tcp' || p.value === 'udp' || p.value === 'icmp')
          proto = { value: p.value, loc: p.loc };
        else if (isRawProto(p.value)) proto = { value: p.value, loc: p.loc };
        else {
          r.error(
            protoE.value,
            protoE.field,
            `${q(p.value)} is not a protocol${hint(p.value, ['tcp', 'udp', 'icmp', ...RAW_PROTOS])}`,
          );
          ok = false;
        }
      }
    }
    const pr = proto?.value;
    const hasPorts = pr !== 'icmp' && pr !== 'esp' && pr !== 'ah';
    const noPorts = pr === 'esp' || pr === 'ah' ? `${pr.toUpperCase()} has no ports` : 'ICMP has no ports';

    // destination: `to: ip:port` or `dst` + `dport`
    let dst: At<string> | undefined;
    let dport: At<number> | undefined;
    const toE = get('to');
    const dstE = get('dst');
    const dportE = get('dport');
    if (toE && (dstE || dportE)) {
      r.error(toE.keyNode, toE.field, 'write either to (address:port) or dst and dport, not both');
      ok = false;
    } else if (toE) {
      const hp = this.hostPort(
        toE.value,
        toE.field,
        pr === undefined ? 'optional' : hasPorts ? 'required' : 'none',
        noPorts,
      );
      if (need(hp)) [dst, dport] = [hp.ip, hp.port];
    } else if (dstE) {
      const hp = this.hostPort(dstE.value, dstE.field, 'none');
      if (need(hp)) dst = hp.ip;
      if (dportE) {
        if (!hasPorts) {
          r.error(dportE.keyNode, dportE.field, `${noPorts}; remove dport`, 'dport');
          ok = false;
        } else need((dport = this.port(dportE.value, dportE.field)));
      } else if (pr !== undefined && hasPorts)
        missing(
          'dport',
          `the destination port (a ${pr} flow needs one; or write to: ${dst?.value ?? 'a.b.c.d'}:PORT)`,
        );
    } else missing('to', 'the destination (to: a.b.c.d:port)');

    let sport: At<number> | undefined;
    const sportE = get('sport');
    if (sportE) {
      if (!hasPorts) {
        r.error(
          sportE.keyNode,
          sportE.field,
          pr === 'icmp' ? 'ICMP has no ports; use id for the echo identifier' : `${noPorts}; use spi`,
          'sport',
        );
        ok = false;
      } else need((sport = this.port(sportE.value, sportE.field)));
    }
    let icmpId: At<number> | undefined;
    const idE = get('id');
    if (idE) {
      if (pr !== undefined && pr !== 'icmp') {
        r.error(idE.keyNode, idE.field, `id is the ICMP echo identifier; a ${pr} flow uses sport`, 'id');
        ok = false;
      } else
        need(
          (icmpId = r.number(idE.value, idE.field, 'an echo identifier (0-65535)', {
            integer: true,
            min: 0,
            max: 65535,
          })),
        );
    }

    const spi = rawFlowSpi(r, pr, get('spi'), () => (ok = false));

    const atE = get('at');
    const at = atE
      ? r.number(atE.value, atE.field, 'a start time in seconds (0 or more)', { min: 0 })
      : { value: 0, loc };
    need(at);
    const toutE = get('timeout');
    const timeout = toutE
      ? r.number(toutE.value, toutE.field, 'a timeout in seconds (more than 0)', { above: 0 })
      : { value: DEFAULT_FLOW_TIMEOUT, loc };
    need(timeout);
    const holdE = get('hold');
    const hold = holdE
      ? r.number(holdE.value, holdE.field, 'a hold time in seconds (0 or more)', { min: 0 })
      : undefined;
    if (holdE) need(hold);

    let udpConnect: At<boolean> | undefined;
    const ucE = get('udp_connect');
    if (ucE) {
      if (pr !== undefined && pr !== 'udp') {
        r.error(ucE.keyNode, ucE.field, `udp_connect is for udp flows, not ${pr}`, 'udp_connect');
        ok = false;
      } else need((udpConnect = r.boolean(ucE.value, ucE.field, 'true or false')));
    }

    // count and interval: UDP datagrams / ICMP echoes (sim/flows.ts, sim/repeat.ts), TCP
    // request/answer exchanges on one connection (stack/sockets.ts).
    const countE = get('count');
    const count = countE
      ? r.number(countE.value, countE.field, 'a number of datagrams, echoes or exchanges (1-1000)', {
          integer: true,
          min: 1,
          max: 1000,
        })
      : undefined;
    if (countE) {
      if (pr !== undefined && pr !== 'udp' && pr !== 'icmp' && pr !== 'tcp') {
        r.error(
          countE.keyNode,
          countE.field,
          `count is for tcp, udp and icmp flows (a ${pr} flow sends one datagram)`,
          'count',
        );
        ok = false;
      } else need(count);
    }
    const intervalE = get('interval');
    const interval = intervalE
      ? r.number(intervalE.value, intervalE.field, 'an interval in seconds (0 to 3600)', {
          min: 0,
          max: 3600,
        })
      : undefined;
    if (intervalE) {
      if (pr !== undefined && pr !== 'udp' && pr !== 'icmp' && pr !== 'tcp') {
        r.error(intervalE.keyNode, intervalE.field, 'interval is for tcp, udp and icmp flows', 'interval');
        ok = false;
      } else need(interval);
    }
    // size and df: the payload's bytes and IP_MTU_DISCOVER (stack/frag.ts).
    const sizeE = get('size');
    const size = sizeE
      ? r.number(sizeE.value, sizeE.field, 'a payload size in bytes (a whole number from 0 to 8000)', {
          integer: true,
          min: 0,
          max: 8000,
        })
      : undefined;
    if (sizeE) need(size);
    const dfE = get('df');
    const df = dfE
      ? r.boolean(dfE.value, dfE.field, 'true (DF: IP_PMTUDISC_DO) or false (IP_PMTUDISC_DONT)')
      : undefined;
    if (dfE) need(df);
    // mark: SO_MARK, a number or a "0x2" string (0..0xffffffff).
    let mark: At<number> | undefined;
    const mkE = get('mark');
    if (mkE) {
      mark = this.mark(mkE.value, mkE.field);
      need(mark);
    }
    // Socket options: src (bind address), ttl (IP_TTL), tos (IP_TOS), mss (TCP_MAXSEG).
    let src: At<string> | undefined;
    const srcE = get('src');
    if (srcE) {
      const hp = this.hostPort(srcE.value, srcE.field, 'none');
      if (need(hp)) src = hp.ip;
    }
    const sockNum = (k: string, what: string, min: number, max: number): At<number> | undefined => {
      const e = get(k);
      if (!e) return undefined;
      const v = r.number(e.value, e.field, what, { integer: true, min, max });
      need(v);
      return v;
    };
    const ttl = sockNum('ttl', 'an IP TTL (1-255)', 1, 255);
    const tos = sockNum('tos', 'an IP TOS byte (0-255)', 0, 255);
    // ip_options: IP_OPTIONS on a udp flow's socket, hex bytes; only options the kernel sends as
    // given (ip_options_build fills RR, timestamps and source routes): NOP, EOL, router alert.
    let ipOptions: At<string> | undefined;
    const ioE = get('ip_options');
    if (ioE) {
      const v = r.string(ioE.value, ioE.field, 'IP options as hex bytes, e.g. "94040000" (router alert)');
      const bad = v ? ipOptionsProblem(v.value, pr) : undefined;
      if (v && bad) r.error(ioE.value, ioE.field, bad, v.value);
      if (v && !bad) ipOptions = v;
      else ok = false;
    }
    const mssE = get('mss');
    if (mssE && pr !== undefined && pr !== 'tcp') {
      r.error(mssE.keyNode, mssE.field, `mss (TCP_MAXSEG) is for tcp flows, not ${pr}`, 'mss');
      ok = false;
    }
    const mss = sockNum('mss', 'a TCP maximum segment size (88-65535)', 88, 65535);
    // keepalive: SO_KEEPALIVE; true, or { idle, interval, count } (TCP_KEEPIDLE 1..32767 s,
    // TCP_KEEPINTVL 1..32767 s, TCP_KEEPCNT 1..127: do_tcp_setsockopt's bounds).
    let keepalive: FlowSpec['keepalive'];
    const kaE = get('keepalive');
    if (kaE) {
      if (pr !== undefined && pr !== 'tcp') {
        r.error(kaE.keyNode, kaE.field, `keepalive (SO_KEEPALIVE) is for tcp flows, not ${pr}`, 'keepalive');
        ok = false;
      }
      if (isScalar(kaE.value)) {
        const b = r.boolean(kaE.value, kaE.field, 'true (SO_KEEPALIVE) or { idle, interval, count }');
        if (need(b) && b.value) keepalive = { value: {}, loc: b.loc };
      } else {
        const es = r.entries(kaE.value, kaE.field, '{ idle, interval, count }', KEEPALIVE_KEYS);
        if (es === undefined) ok = false;
        const v: { idle?: number; interval?: number; count?: number } = {};
        for (const e of es ?? []) {
          const max = e.key === 'count' ? 127 : 32767;
          const what =
            e.key === 'count'
              ? 'a number of keepalive probes (TCP_KEEPCNT, 1-127)'
              : `seconds (TCP_KEEP${e.key === 'idle' ? 'IDLE' : 'INTVL'}, 1-32767)`;
          const n = r.number(e.value, e.field, what, { integer: true, min: 1, max });
          if (need(n)) v[e.key as 'idle' | 'interval' | 'count'] = n.value;
        }
        keepalive = { value: v, loc: r.loc(kaE.keyNode) };
      }
    }
    // tftp: the datagram is a TFTP read request; the first answer is acknowledged where it came from.
    const tftpE = get('tftp');
    const tftp = tftpE
      ? r.boolean(tftpE.value, tftpE.field, 'true (a TFTP read request, the answer acknowledged) or false')
      : undefined;
    if (tftpE) need(tftp);
    if (tftpE && pr !== undefined && pr !== 'udp') {
      r.error(tftpE.keyNode, tftpE.field, `tftp is for udp flows, not ${pr}`, 'tftp');
      ok = false;
    }
    // ftp: an FTP session (stack/ftp.ts) on the TCP connection, its data connection passive or active.
    const ftpE = get('ftp');
    let ftp: At<'passive' | 'active'> | undefined;
    if (ftpE) {
      const m = r.string(ftpE.value, ftpE.field, 'passive (PASV) or active (PORT)');
      if (m && (m.value === 'passive' || m.value === 'active')) ftp = { value: m.value, loc: m.loc };
      else {
        if (m) r.error(ftpE.value, ftpE.field, `${q(m.value)} is not an FTP mode (passive or active)`);
        ok = false;
      }
      if (pr !== undefined && pr !== 'tcp') {
        r.error(ftpE.keyNode, ftpE.field, `ftp is for tcp flows, not ${pr}`, 'ftp');
        ok = false;
      }
      if (count && count.value > 1) {
        r.error(countE!.keyNode, countE!.field, 'count is not for ftp flows (one FTP session)', 'count');
        ok = false;
      }
      if (size && size.value > 1400) {
        r.error(
          sizeE!.value,
          sizeE!.field,
          `an FTP flow's file is at most 1400 bytes (one segment), not ${size.value}`,
        );
        ok = false;
      }
    }

    // expect: a verdict, or { verdict, server_sees }
    let expect: FlowSpec['expect'];
    const exE = get('expect');
    if (exE) {
      let verdictNode: { node: Node | null; field: string } | undefined;
      let seesNode: { node: Node | null; field: string } | undefined;
      let transNode: { node: Node | null; field: string } | undefined;
      if (isScalar(exE.value)) verdictNode = { node: exE.value, field: exE.field };
      else {
        const ex = r.entries(exE.value, exE.field, 'a verdict or { verdict, server_sees }', EXPECT_KEYS);
        if (ex === undefined) ok = false;
        const v = ex?.find((e) => e.key === 'verdict');
        const s = ex?.find((e) => e.key === 'server_sees');
        const ts = ex?.find((e) => e.key === 'translated_source');
        if (v) verdictNode = { node: v.value, field: v.field };
        if (s) seesNode = { node: s.value, field: s.field };
        if (ts) transNode = { node: ts.value, field: ts.field };
      }
      let verdict: At<Expectation> | undefined;
      if (verdictNode) {
        const v = r.string(verdictNode.node, verdictNode.field, `a verdict (${VERDICTS.join(', ')})`);
        if (need(v)) {
          if (!(VERDICTS as readonly string[]).includes(v.value)) {
            r.error(
              verdictNode.node,
              verdictNode.field,
              `${q(v.value)} is not a verdict${hint(v.value, VERDICTS)}`,
            );
            ok = false;
          } else if (pr !== undefined && !VERDICTS_FOR[pr].includes(v.value as Expectation)) {
            r.error(
              verdictNode.node,
              verdictNode.field,
              `${q(v.value)} is not a verdict for a ${pr} flow (expected one of: ${VERDICTS_FOR[pr].join(', ')})`,
            );
            ok = false;
          } else verdict = { value: v.value as Expectation, loc: v.loc };
        }
      }
      // server_sees and translated_source: ip:port, or the address alone (then only it is checked).
      let serverSees: At<string> | undefined;
      if (seesNode) {
        const hp = this.hostPort(seesNode.node, seesNode.field, 'optional');
        if (need(hp)) {
          const s = r.string(seesNode.node, seesNode.field, 'an address')!;
          serverSees = { value: s.value, loc: s.loc };
        }
      }
      let translatedSource: At<string> | undefined;
      if (transNode) {
        const hp = this.hostPort(transNode.node, transNode.field, 'optional');
        if (need(hp)) {
          const s = r.string(transNode.node, transNode.field, 'an address')!;
          translatedSource = { value: s.value, loc: s.loc };
        }
      }
      expect = {
        ...(verdict ? { verdict } : {}),
        ...(serverSees ? { serverSees } : {}),
        ...(translatedSource ? { translatedSource } : {}),
      };
    }

    const nameE = get('name');
    const name = nameE ? r.text(nameE.value, nameE.field, 'a flow name') : undefined;
    if (nameE) need(name);

    if (
      !ok ||
      from === undefined ||
      proto === undefined ||
      dst === undefined ||
      at === undefined ||
      timeout === undefined
    ) {
      return undefined;
    }
    const defaultName = `${from.value} ${proto.value} ${dst.value}${dport ? `:${dport.value}` : ''}`;
    return {
      name: name ?? { value: defaultName, loc },
      from,
      proto,
      dst,
      ...(dport ? { dport } : {}),
      ...(sport ? { sport } : {}),
      ...(icmpId ? { icmpId } : {}),
      at,
      timeout,
      ...(hold ? { hold } : {}),
      ...(udpConnect ? { udpConnect } : {}),
      ...(count ? { count } : {}),
      ...(interval ? { interval } : {}),
      ...(expect ? { expect } : {}),
      loc,
      ...(size ? { size } : {}),
      ...(df ? { df } : {}),
      ...(mark ? { mark } : {}),
      ...(src ? { src } : {}),
      ...(ttl ? { ttl } : {}),
      ...(tos ? { tos } : {}),
      ...(ipOptions ? { ipOptions } : {}),
      ...(mss ? { mss } : {}),
      ...(keepalive ? { keepalive } : {}),
      ...(tftp ? { tftp } : {}),
      ...(ftp ? { ftp } : {}),
      ...(spi ? { spi } : {}),
    };
  }

  /** A 32-bit mark: a number, or a string in decimal or 0x hex ("0x2"). */
  private mark(node: Node | null, field: string): At<number> | undefined {
    const r = this.r;
    const t = r.text(node, field, 'a mark (0..0xffffffff, e.g. 2 or "0x2")');
    if (t === undefined) return undefined;
    const v = /^(0x[0-9a-fA-F]{1,8}|\d{1,10})$/.test(t.value) ? Number(t.value) : NaN;
    if (!(v >= 0 && v <= 0xffffffff)) {
      r.error(node, field, `${q(t.value)} is not a mark (expected 0..0xffffffff, e.g. 2 or "0x2")`);
      return undefined;
    }
    return { value: v, loc: t.loc };
  }
}

/**
 * Why `hex` cannot be a udp flow's IP_OPTIONS here, or undefined: hex bytes, at most 40, of NOP,
 * EOL and router alert (148, length 4) only, on a udp flow.
 */
function ipOptionsProblem(hex: string, proto: string | undefined): string | undefined {
  if (proto !== 'udp') return 'ip_options (IP_OPTIONS) is for udp flows here';
  if (!/^([0-9a-fA-F]{2})+$/.test(hex)) return 'ip_options: hex bytes expected, e.g. "94040000"';
  const b = hex.match(/../g)!.map((x) => parseInt(x, 16));
  if (b.length > 40) return 'ip_options: at most 40 bytes';
  for (let i = 0; i < b.length;) {
    if (b[i] === 0) break;
    if (b[i] === 1) i++;
    else if (b[i] === 148 && b[i + 1] === 4 && i + 4 <= b.length) i += 4;
    else return 'ip_options: only NOP (01), EOL (00) and router alert (94 04 xx xx) are simulated';
  }
  return undefined;
}
