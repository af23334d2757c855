// natbox check's data: what discovery found around each router (services, NAT rules, networks),
// the flows it generated, and the report (findings with their cause, evidence, fix and proof).
// Plain data, so the CLI prints it as text or JSON (schema/check.schema.json) and tests compare it.
import type { SourceLoc } from '../rules/iptables/model.ts';

export type Proto = 'tcp' | 'udp';

/** A network on one of the router's devices. */
export interface NetworkView {
  readonly dev: string;
  /** `a.b.c.d/len` */
  readonly prefix: string;
  /** The router's own address there. */
  readonly routerAddr: string;
  /** Hosts (other than the router) with an address in it, in scenario order. */
  readonly hosts: readonly string[];
}

/** A port forward: a DNAT, REDIRECT or NETMAP rule reached from the nat PREROUTING hook. */
export interface ForwardView {
  readonly id: string;
  readonly lang: 'iptables' | 'nft';
  /** The rule as its tool prints it (`-A PREROUTING … -j DNAT …`, or the nft statement). */
  readonly rule: string;
  /** The chain path from the hook (`PREROUTING > DOCKER`). */
  readonly path: string;
  readonly loc?: SourceLoc;
  readonly proto: Proto;
  /** The address clients use (the public address unless the rule names another). */
  readonly publicAddr: string;
  readonly publicPort: number;
  /** Where the rule sends it (REDIRECT: the router itself). */
  readonly targetAddr: string;
  readonly targetPort: number;
  /** The host that owns the target address, if any. */
  readonly targetHost?: string;
  /** Which sides the rule admits by its -i/-s conditions. */
  readonly fromInside: boolean;
  readonly fromOutside: boolean;
}

/** A MASQUERADE or SNAT rule in POSTROUTING. */
export interface SnatView {
  readonly rule: string;
  readonly loc?: SourceLoc;
  readonly kind: 'MASQUERADE' | 'SNAT';
  readonly src?: string;
  /** -d of the rule (a hairpin SNAT names its server). */
  readonly dst?: string;
  readonly outIface?: string;
  readonly outInvert: boolean;
}

export interface RouterView {
  readonly host: string;
  readonly lang: 'iptables' | 'nft' | 'none';
  /** The device of the default route (or of the forwards' -i), its network and address. */
  readonly wan?: NetworkView;
  readonly inside: readonly NetworkView[];
  readonly forwards: readonly ForwardView[];
  readonly snats: readonly SnatView[];
  /** Services the router itself listens on (`tcp/22`). */
  readonly services: readonly string[];
}

/** A generated flow and what it is for. */
export interface CheckFlow {
  readonly name: string;
  readonly kind: 'forward-inside' | 'forward-outside' | 'router-own' | 'outbound';
  readonly from: string;
  readonly proto: Proto;
  /** `ip:port` */
  readonly to: string;
  readonly sport: number;
  /** The forward it tests, if any. */
  readonly forward?: string;
  readonly router: string;
  /** Whether the rules say it should work (by the rule's own -i/-s): a failure is then broken. */
  readonly intended: boolean;
}

export interface FlowOutcome {
  readonly flow: string;
  readonly verdict: string;
  readonly ok: boolean;
  /** What the server saw (`ip:port`). */
  readonly serverSaw?: string;
  /** The sentence the trace gives for the verdict. */
  readonly reason: string;
}

export type CauseId =
  | 'hairpin-no-snat'
  | 'no-reflection'
  | 'forward-dropped'
  | 'server-gateway'
  | 'no-listener'
  | 'rp-filter'
  | 'snat-wrong-interface'
  | 'wan-not-public'
  | 'router-output-dnat'
  | 'never-match'
  | 'stale-conntrack'
  | 'exposure'
  | 'unexplained';

export type Severity = 'broken' | 'warning' | 'info';

export interface Evidence {
  /** The packet, as the trace prints it. */
  readonly packet?: string;
  /** The rule (as its tool prints it) and where it was written. */
  readonly rule?: string;
  readonly where?: string;
  /** A conntrack entry as `conntrack -L` prints it. */
  readonly conntrack?: string;
  /** The trace's sentence for the flow. */
  readonly trace?: string;
}

export interface Fix {
  /** `iptables`, `nft`, `sysctl`, `ip`, `conntrack`, `uci` or `advice` (no paste-able change). */
  readonly dialect: string;
  /** On which host to run it. */
  readonly host: string;
  /** Lines to paste. */
  readonly commands: readonly string[];
  readonly alternatives?: readonly { readonly label: string; readonly commands: readonly string[] }[];
  /** What the fix costs. */
  readonly cost?: string;
  /** When to run it, in the scenario's seconds (0, before any flow, when not given). */
  readonly at?: number;
}

export interface Proof {
  /** The flows re-run on a copy with the fix. */
  readonly flows: readonly FlowOutcome[];
  readonly passed: boolean;
  /** Each alternative of the fix, applied instead of it to a copy: whether the same flows pass. */
  readonly alternatives?: readonly { readonly label: string; readonly passed: boolean }[];
}

export interface Finding {
  readonly cause: CauseId;
  readonly severity: Severity;
  readonly router: string;
  /** The flows that show it. */
  readonly flows: readonly string[];
  readonly title: string;
  readonly explanation: string;
  readonly evidence: Evidence;
  readonly fix?: Fix;
  readonly proof?: Proof;
}

export interface CheckReport {
  readonly format: 'natbox-check/1';
  readonly scenario: { readonly name: string; readonly file: string };
  readonly lang: 'en' | 'pt-BR';
  readonly routers: readonly RouterView[];
  readonly flows: readonly (CheckFlow & { outcome: FlowOutcome })[];
  readonly findings: readonly Finding[];
  readonly broken: boolean;
  readonly summary: string;
  readonly matrix?: Matrix;
}

export interface MatrixCell {
  readonly source: string;
  readonly service: string;
  readonly connects: boolean;
  readonly verdict: string;
  /** `router DNAT 192.168.1.200:80, SNAT 192.168.1.1` */
  readonly path: string;
  readonly changed?: boolean;
}

export interface Matrix {
  readonly sources: readonly string[];
  readonly services: readonly string[];
  readonly cells: readonly MatrixCell[];
}
