// What the engine can and cannot evaluate in an iptables ruleset, asked before an engine is made:
// checkRuleset lists every rule natbox would misread (an unsupported match or target, a target in
// a chain the kernel refuses it in, a jump to no chain), and needsConntrack says whether the
// ruleset turns connection tracking on, as the kernel's nf_ct_netns_get callers do.
import type { Rule, Ruleset, TableName } from '../../rules/iptables/model.ts';
import { checkMatch } from './match.ts';
import { checkTarget } from './target.ts';
import { HELPER_PROTOS, helperIndex } from '../conntrack/helper.ts';

export interface RuleProblem {
  readonly table: TableName;
  readonly chain: string;
  readonly index: number;
  readonly rule: Rule;
  readonly message: string;
}

/**
 * xt_ct_set_helper: a helper is looked up for the rule's protocol (`-p`, not inverted), and the
 * kernel refuses the rule without one ("You must specify a L4 protocol and not use inversions on
 * it", "No such helper"; iptables: RULE_APPEND failed (No such file or directory), measured).
 */
function ctHelperProtocol(
  helper: string,
  proto: { value: number; invert: boolean } | undefined,
): string | undefined {
  const h = helperIndex(helper);
  if (h === 0) return undefined;
  if (proto === undefined || proto.invert || proto.value === 0)
    return `CT --helper ${helper}: the kernel needs the rule's protocol (-p ${HELPER_PROTOS[h] === 6 ? 'tcp' : 'udp'}) to find the helper and refuses the rule without it`;
  if (proto.value !== HELPER_PROTOS[h])
    return `CT --helper ${helper}: no such helper for protocol ${proto.value} (${helper} is ${HELPER_PROTOS[h] === 6 ? 'tcp' : 'udp'}): the kernel refuses the rule`;
  return undefined;
}

/** What the engine and the stack fill in for the matches (see MatchCaps in match.ts). */
const MATCH_CAPS = { env: true, clock: true, linkLayer: true, owner: true } as const;

/** Every rule natbox cannot evaluate (unsupported match or target, NAT target in a bad chain). */
export function checkRuleset(rs: Ruleset): RuleProblem[] {
  const out: RuleProblem[] = [];
  for (const [tname, table] of rs.tables) {
    for (const chain of table.chains.values()) {
      chain.rules.forEach((rule, i) => {
        for (const m of rule.matches) {
          const p = checkMatch(m, MATCH_CAPS);
          if (p) out.push({ table: tname, chain: chain.name, index: i + 1, rule, message: p });
        }
        if (rule.target) {
          const p = checkTarget(rule.target, tname, chain.builtin ? chain.name : undefined);
          if (p) out.push({ table: tname, chain: chain.name, index: i + 1, rule, message: p });
          const hp =
            !p && rule.target.kind === 'CT' ? ctHelperProtocol(rule.target.helper, rule.protocol) : undefined;
          if (hp) out.push({ table: tname, chain: chain.name, index: i + 1, rule, message: hp });
          if (
            (rule.target.kind === 'jump' || rule.target.kind === 'goto') &&
            !table.chains.has(rule.target.chain)
          ) {
            out.push({
              table: tname,
              chain: chain.name,
              index: i + 1,
              rule,
              message: `unknown chain "${rule.target.chain}"`,
            });
          }
        }
      });
    }
  }
  return out;
}

const CT_MATCHES = new Set([
  'conntrack',
  'state',
  'connmark',
  'connlimit',
  'connbytes',
  'helper',
  'connlabel',
  'cluster',
]);
// NOTRACK and CT --notrack are not here: xt_ct_tg_check() returns before nf_ct_netns_get() when
// the rule takes packets out of tracking (a raw-table NOTRACK alone leaves `conntrack -L` empty on
// Linux 6.18; found by natbox verify --generate, test/conformance/generated/gen-1-2.yaml).
const CT_TARGETS = new Set([
  'CT',
  'CONNMARK',
  'MASQUERADE',
  'SNAT',
  'DNAT',
  'REDIRECT',
  'NETMAP',
  'SYNPROXY',
]);

/** Whether a rule jumps to SYNPROXY (nf_synproxy_ipv4_init registers its hooks then). */
export function usesSynproxy(rs: Ruleset): boolean {
  for (const t of rs.tables.values())
    for (const c of t.chains.values())
      for (const r of c.rules) if (r.target?.kind === 'SYNPROXY') return true;
  return false;
}

/**
 * Whether connection tracking runs at all. Linux turns it on in a network namespace only when
 * something needs it (nf_ct_netns_get callers): a rule that matches or sets conntrack state, NAT
 * targets included (measured: a lone filter rule leaves `conntrack -L` empty). The nat table
 * itself does not: iptable_nat_table_init and nft's nat chain type only register the NAT hooks
 * (nf_nat_ipv4_register_fn), and the last rule's destroy (nf_ct_netns_put) takes conntrack's
 * hooks away again while the table stays (seed 1415's #13: after `iptables -t nat -D` of r1's
 * only rule, its forwarded ping left no entry; gen-1415-13.yaml).
 */
export function needsConntrack(rs: Ruleset): boolean {
  for (const t of rs.tables.values()) {
    for (const c of t.chains.values()) {
      for (const r of c.rules) {
        if (r.matches.some((m) => CT_MATCHES.has(m.module === 'other' ? m.name : m.module))) return true;
        const tk = r.target?.kind;
        if (tk === 'CT' && (r.target as { notrack?: boolean }).notrack) continue;
        if (tk && CT_TARGETS.has(tk === 'other' ? (r.target as { name: string }).name : tk)) return true;
      }
    }
  }
  return false;
}

/**
 * The conntrack extensions the ruleset's matches turn on when they are loaded: accounting for
 * -m connbytes (connbytes_mt_check: nf_ct_set_acct), labels for -m connlabel (nf_connlabels_get).
 */
export function ctExtensions(rs: Ruleset): { acct: boolean; labels: boolean } {
  let acct = false;
  let labels = false;
  for (const t of rs.tables.values())
    for (const c of t.chains.values())
      for (const r of c.rules)
        for (const m of r.matches) {
          if (m.module === 'connbytes') acct = true;
          else if (m.module === 'connlabel') labels = true;
        }
  return { acct, labels };
}
