// The kernel reference runs (../shared/reference/kernel/, format kernel-nat-oracle/1) as typed data:
// which cases there are, each case's scenario (case.json, with topology.json's defaults) and what
// the real Linux kernel did (result.json). Read-only; resolved from the repository root so the suite
// runs from any checkout that has the shared reference beside it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** ../shared/reference/kernel/ relative to the repository root (this file is test/conformance/). */
export const REFERENCE_DIR = new URL('../../../shared/reference/kernel/', import.meta.url);

export const referenceAvailable = (): boolean =>
  existsSync(new URL('topology.json', REFERENCE_DIR)) && existsSync(new URL('README.md', REFERENCE_DIR));

export const referencePath = (): string => fileURLToPath(REFERENCE_DIR);

export interface RefFlowSpec {
  readonly id: string;
  readonly client: string;
  readonly proto: 'tcp' | 'udp' | 'icmp';
  readonly dst: string;
  readonly dport?: number;
  readonly sport?: number;
  readonly icmp_id?: number;
  readonly start?: number;
  readonly timeout?: number;
  readonly hold?: number;
  readonly udp_connect?: boolean;
  readonly src?: string;
  readonly ttl?: number;
  readonly size?: number;
  readonly df?: boolean;
  /** SO_MARK: a number or a string such as "0x2". */
  readonly mark?: number | string;
  readonly count?: number;
  readonly interval?: number;
  readonly mss?: number;
  readonly expect: string;
}

/** A server (the topology's default ones, or a case's own `servers`). */
export interface RefServer {
  readonly ns: string;
  readonly proto: 'tcp' | 'udp';
  readonly port: number;
  readonly bind?: string;
  readonly reply_port?: number;
}

/** A timed command of a case (`actions`). */
export interface RefAction {
  readonly at: number;
  readonly ns: string;
  readonly cmd: string;
}

export interface CaseJson {
  readonly description: string;
  /** `"hairpin"` (the top-level topology.json) or a topology written inline. */
  readonly topology: string | TopologyJson;
  readonly vars?: Readonly<Record<string, string>>;
  readonly routes?: Readonly<Record<string, readonly string[]>>;
  readonly sysctls?: Readonly<Record<string, Readonly<Record<string, number | string>>>>;
  readonly rules?: Readonly<Record<string, readonly string[]>>;
  /** iptables-save text per namespace: one string or a list of lines. */
  readonly rules_restore?: Readonly<Record<string, string | readonly string[]>>;
  readonly servers?: readonly RefServer[];
  readonly flows: readonly RefFlowSpec[];
  readonly actions?: readonly RefAction[];
  readonly virtual_addrs?: readonly string[];
  readonly settle?: number;
  readonly conntrack_ns?: readonly string[];
  readonly known_ports?: readonly number[];
  readonly label_ports?: readonly number[];
  readonly name?: string;
}

/** One side of a veth pair (`links[].a` / `.b`). */
export interface RefLinkSide {
  readonly ns: string;
  readonly ifname: string;
  readonly addrs?: readonly string[];
  readonly master?: string;
  readonly mac?: string;
  readonly mtu?: number;
}

export interface TopologyJson {
  readonly name?: string;
  readonly description?: string;
  readonly vars?: Readonly<Record<string, string>>;
  readonly namespaces: readonly string[];
  readonly bridges?: readonly {
    readonly ns: string;
    readonly name: string;
    readonly addrs?: readonly string[];
    readonly mac?: string;
  }[];
  readonly links?: readonly { readonly a: RefLinkSide; readonly b: RefLinkSide }[];
  readonly routes?: Readonly<Record<string, readonly string[]>>;
  readonly sysctls?: Readonly<Record<string, Readonly<Record<string, number | string>>>>;
  readonly servers: readonly RefServer[];
  readonly virtual_addrs?: readonly string[];
}

/** One captured packet as result.json gives it (ARP, IPv4 TCP/UDP/ICMP). */
export interface RefPacket {
  readonly dir: 'in' | 'out';
  readonly proto: 'arp' | 'tcp' | 'udp' | 'icmp' | string;
  readonly src: string;
  readonly dst: string;
  readonly op?: 'request' | 'reply';
  readonly flags?: string;
  readonly seq?: string | null;
  readonly ack?: string | null;
  readonly len?: number;
  readonly opts?: string;
  readonly ttl?: number;
  readonly type?: number;
  readonly code?: number;
  readonly id?: number | string;
  readonly icmp_seq?: number;
  readonly gateway?: string;
  readonly inner?: {
    readonly proto: string;
    readonly src: string;
    readonly dst: string;
    readonly seq?: string;
    /** A quoted ICMP echo's type and id. */
    readonly type?: number;
    readonly id?: number | string;
  };
  /** Fragmentation needed (type 3 code 4): the next-hop MTU. */
  readonly mtu?: number;
  /** `ip-fragment`: the protocol of the datagram it belongs to. */
  readonly ipproto?: string;
  /** Every fragment: its offset in bytes and the more-fragments flag. */
  readonly frag?: { readonly offset: number; readonly mf: boolean };
  readonly lladdr?: string;
  readonly n: number;
}

export interface RefTuple {
  readonly src: string;
  readonly dst: string;
  readonly sport?: number | string;
  readonly dport?: number | string;
  readonly type?: number;
  readonly code?: number;
  readonly id?: number | string;
}

export interface RefCtEntry {
  readonly proto: string;
  readonly state?: string;
  readonly orig: RefTuple;
  readonly reply: RefTuple;
  readonly flags: readonly string[];
  readonly mark: number;
}

export interface RefRuleCounter {
  readonly table: string;
  readonly chain: string;
  readonly policy?: string;
  readonly rule?: string;
  readonly packets: number;
  readonly bytes: number;
}

export interface RefOutcome {
  readonly result: string;
  readonly server_saw_client_as?: string;
  readonly replies?: readonly {
    readonly from: string;
    readonly expected_source: boolean;
    readonly server_saw_client_as?: string;
  }[];
  readonly received?: readonly {
    readonly from: string;
    readonly type: number;
    readonly code: number;
    readonly id?: number | string;
    readonly seq?: number;
  }[];
  /** UDP: the errors the socket reported (errno names). */
  readonly socket_errors?: readonly string[];
  /** The errno of a failed connect()/sendto() (`ECONNREFUSED`, `EHOSTUNREACH`), or words. */
  readonly error?: string;
  readonly local?: string;
  readonly peer?: string;
}

/** An action as the kernel ran it: exit status, and stderr when it is not 0. */
export interface RefActionResult extends RefAction {
  readonly rc: number;
  readonly stderr?: string;
}

/** `conntrack -S` summed over CPUs (the counters the result keeps). */
export type RefConntrackStats = Readonly<Record<string, number>>;

export interface ResultJson {
  readonly format: string;
  readonly case: string;
  readonly vars: Readonly<Record<string, string>>;
  readonly topology: {
    readonly namespaces: readonly string[];
    readonly interfaces: Readonly<
      Record<
        string,
        {
          readonly kind: string;
          readonly peer?: string;
          readonly addrs: readonly string[];
          readonly master?: string;
          readonly mac: string;
        }
      >
    >;
    readonly routes: Readonly<Record<string, readonly string[]>>;
  };
  readonly sysctls: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly flows: readonly (RefFlowSpec & {
    readonly outcome: RefOutcome;
    /** `ip route get <dst>` in the client's namespace at the end. */
    readonly route_after?: string;
  })[];
  readonly actions?: readonly RefActionResult[];
  /** The servers as they ran (their `events` left out here). */
  readonly servers?: readonly RefServer[];
  readonly conntrack_stats?: Readonly<Record<string, RefConntrackStats>>;
  readonly packets: Readonly<Record<string, readonly RefPacket[]>>;
  readonly conntrack: Readonly<Record<string, readonly RefCtEntry[]>>;
  readonly rule_counters: Readonly<Record<string, readonly RefRuleCounter[]>>;
  readonly volatile: {
    readonly port_labels: Readonly<Record<string, number>>;
    readonly icmp_id_labels: Readonly<Record<string, number>>;
    /** What each flow's client program reported, in flow order (its `timeout` as it ran). */
    readonly flow_client_results?: readonly { readonly timeout?: number }[];
  };
}

export interface KernelCase {
  readonly name: string;
  /** case.json as written (variables not substituted). */
  readonly case: CaseJson;
  /** The case's network as written: its own (inline or the folder's topology.json) or the hairpin one. */
  readonly topology: TopologyJson;
  /** Whether the case has its own network (inline `topology` object, folder topology.json). */
  readonly ownTopology: boolean;
  /** All variables after merging (topology defaults overridden by the case). */
  readonly vars: Readonly<Record<string, string>>;
  readonly result: ResultJson;
  /** The same run with iptables-legacy (result.legacy.json), where one was made. */
  readonly legacy?: ResultJson;
  /** Substitutes ${VARS} with the case's values (topology defaults overridden by the case). */
  readonly sub: (s: string) => string;
}

const readJson = <T>(rel: string): T => JSON.parse(readFileSync(new URL(rel, REFERENCE_DIR), 'utf8')) as T;

/** The case folders, sorted. */
export function caseNames(): string[] {
  return readdirSync(REFERENCE_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(new URL(`${d.name}/case.json`, REFERENCE_DIR)))
    .map((d) => d.name)
    .sort();
}

/** `${NAME}` replaced by the variable NAME; an undefined variable is an error naming the case. */
export function substituter(name: string, vars: Readonly<Record<string, string>>): (s: string) => string {
  return (s) =>
    s.replace(/\$\{([A-Za-z0-9_]+)\}/g, (m, k: string) => {
      const v = vars[k];
      if (v === undefined) throw new Error(`${name}: no value for ${m}`);
      return v;
    });
}

/** Every string inside `v` with `sub` applied (keys stay as they are). */
export function substituteDeep<T>(v: T, sub: (s: string) => string): T {
  if (typeof v === 'string') return sub(v) as T;
  if (Array.isArray(v)) return v.map((x: unknown) => substituteDeep(x, sub)) as T;
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substituteDeep(x, sub)])) as T;
  return v;
}

export function loadCase(name: string): KernelCase {
  const c = readJson<CaseJson>(`${name}/case.json`);
  const own = existsSync(new URL(`${name}/topology.json`, REFERENCE_DIR))
    ? readJson<TopologyJson>(`${name}/topology.json`)
    : undefined;
  let topology: TopologyJson;
  if (typeof c.topology === 'object') {
    // The folder's topology.json is the same object as the inline one (README, "The network").
    if (own && JSON.stringify(own) !== JSON.stringify(c.topology))
      throw new Error(`${name}: topology.json differs from case.json's inline topology`);
    topology = c.topology;
  } else if (own) topology = own;
  else if (c.topology === 'hairpin') topology = readJson<TopologyJson>('topology.json');
  else throw new Error(`${name}: case.json: topology ${JSON.stringify(c.topology)} not found`);
  const result = readJson<ResultJson>(`${name}/result.json`);
  if (result.format !== 'kernel-nat-oracle/1')
    throw new Error(`${name}/result.json: unknown format ${result.format}`);
  const vars = { ...(topology.vars ?? {}), ...(c.vars ?? {}) };
  const sub = substituter(name, vars);
  const legacyFile = new URL(`${name}/result.legacy.json`, REFERENCE_DIR);
  const legacy = existsSync(legacyFile) ? readJson<ResultJson>(`${name}/result.legacy.json`) : undefined;
  return {
    name,
    case: c,
    topology,
    ownTopology: typeof c.topology === 'object' || own !== undefined,
    vars,
    result,
    ...(legacy ? { legacy } : {}),
    sub,
  };
}
