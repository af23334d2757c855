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
  readonly expect: string;
}

export interface CaseJson {
  readonly description: string;
  readonly topology: string;
  readonly vars?: Readonly<Record<string, string>>;
  readonly routes?: Readonly<Record<string, readonly string[]>>;
  readonly sysctls?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly rules: Readonly<Record<string, readonly string[]>>;
  readonly flows: readonly RefFlowSpec[];
}

export interface TopologyJson {
  readonly vars: Readonly<Record<string, string>>;
  readonly namespaces: readonly string[];
  readonly servers: readonly { readonly ns: string; readonly proto: 'tcp' | 'udp'; readonly port: number }[];
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
  };
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
    readonly id: number | string;
  }[];
}

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
  readonly flows: readonly (RefFlowSpec & { readonly outcome: RefOutcome })[];
  readonly packets: Readonly<Record<string, readonly RefPacket[]>>;
  readonly conntrack: Readonly<Record<string, readonly RefCtEntry[]>>;
  readonly rule_counters: Readonly<Record<string, readonly RefRuleCounter[]>>;
  readonly volatile: {
    readonly port_labels: Readonly<Record<string, number>>;
    readonly icmp_id_labels: Readonly<Record<string, number>>;
  };
}

export interface KernelCase {
  readonly name: string;
  readonly case: CaseJson;
  readonly topology: TopologyJson;
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

export function loadCase(name: string): KernelCase {
  const topology = readJson<TopologyJson>('topology.json');
  const c = readJson<CaseJson>(`${name}/case.json`);
  const result = readJson<ResultJson>(`${name}/result.json`);
  if (result.format !== 'kernel-nat-oracle/1')
    throw new Error(`${name}/result.json: unknown format ${result.format}`);
  const vars = { ...topology.vars, ...(c.vars ?? {}) };
  const sub = (s: string): string =>
    s.replace(/\$\{([A-Z0-9_]+)\}/g, (m, k: string) => {
      const v = vars[k];
      if (v === undefined) throw new Error(`${name}: no value for ${m}`);
      return v;
    });
  const legacyFile = new URL(`${name}/result.legacy.json`, REFERENCE_DIR);
  const legacy = existsSync(legacyFile) ? readJson<ResultJson>(`${name}/result.legacy.json`) : undefined;
  return { name, case: c, topology, result, ...(legacy ? { legacy } : {}), sub };
}
