// The public library API: re-exports only. The engine (wire, rules, netfilter, stack, sim) has no
// Node-only code; the CLI is not part of the library.
export { simulateScenario, prepareScenario } from './scenario/simulate.ts';
export { loadScenario, formatScenarioError } from './scenario/load.ts';
export { buildScenario, formatBuildError } from './scenario/build.ts';
export { simulate, type SimResult, type SimOptions } from './sim/run.ts';
export { World, type WorldConfig } from './sim/world.ts';
export type { Flow, FlowResult, Verdict } from './sim/flows.ts';
export { Host, type HostConfig, type HostEnv } from './stack/host.ts';
export type { Step, TimedStep, StackTracer, DropStep } from './stack/steps.ts';
export { DropReason, DROP_TABLES } from './netfilter/core/drop.ts';
export { dropWords } from './trace/drop-words.ts';
export {
  Netfilter,
  checkRuleset,
  NF_ACCEPT,
  NF_DROP,
  type NfConfig,
  type NfHost,
} from './netfilter/core/engine.ts';
export { T_ACCEPT, T_DROP, T_REJECT, type NfTable, type NfTableEnv } from './netfilter/core/table.ts';
export {
  NF_INET_PRE_ROUTING,
  NF_INET_LOCAL_IN,
  NF_INET_FORWARD,
  NF_INET_LOCAL_OUT,
  NF_INET_POST_ROUTING,
  NF_IP_PRI_RAW,
  NF_IP_PRI_CONNTRACK,
  NF_IP_PRI_MANGLE,
  NF_IP_PRI_NAT_DST,
  NF_IP_PRI_FILTER,
  NF_IP_PRI_SECURITY,
  NF_IP_PRI_NAT_SRC,
  NF_IP_PRI_CONNTRACK_CONFIRM,
} from './netfilter/core/hooks.ts';
export { Skb } from './netfilter/core/skb.ts';
export { ConntrackTable } from './netfilter/conntrack/table.ts';
export {
  formatConntrackLine,
  formatProcLine,
  formatEventLine,
  entryJson,
} from './netfilter/conntrack/format.ts';
export { SeededRng } from './netfilter/nat/nat-core.ts';
export { AF_INET, AF_INET6, parseIp, formatIp, type IpAddr } from './wire/addr.ts';
export type { Fib } from './route/fib.ts';
export { loadRules, loadRulesText, emptyRuleset } from './rules/load.ts';
export { printSave, formatRule } from './rules/iptables/print-save.ts';
export { formatDiagnostic, type Diagnostic } from './rules/diagnostics.ts';
export type { Ruleset, Rule, Chain, Table, Match, Target } from './rules/iptables/model.ts';
export { buildTraceDoc, type TraceDoc } from './trace/model.ts';
export { renderText } from './trace/text.ts';
export { linkPcaps, devicesPcapng } from './trace/pcap.ts';
export { explain } from './trace/explain.ts';
