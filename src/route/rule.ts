// `ip rule`: the routing policy database (net/core/fib_rules.c, net/ipv4/fib_rules.c). A rule
// has a priority, selectors (from, to, tos, fwmark/mask, iif, oif, ipproto, sport, dport, each
// negated as a whole by `not`) and an action: look up a table (with suppress_prefixlength /
// suppress_ifgroup), goto another priority, nop, or answer unreachable (ENETUNREACH), prohibit
// (EACCES) or blackhole (EINVAL). parseRule reads `ip rule add` arguments as iproute2 does,
// formatRule prints a rule as `ip rule show` does, and RuleList keeps them in the kernel's order
// (priority, then insertion: a new rule goes after every rule of the same priority) with the
// kernel's automatic priority (one below the second rule's, when that is not 0).
import { formatIpv4, maskLength, parsePrefix, prefixMask, type Result } from '../wire/addr.ts';
import {
  EACCES,
  EINVAL,
  ENETUNREACH,
  parseTableId,
  RT_TABLE_DEFAULT,
  RT_TABLE_LOCAL,
  RT_TABLE_MAIN,
  badTable,
  tableName,
  type TableNames,
} from './table.ts';

// Rule actions (FR_ACT_*, include/uapi/linux/fib_rules.h).
export const FR_ACT_TO_TBL = 1;
export const FR_ACT_GOTO = 2;
export const FR_ACT_NOP = 3;
export const FR_ACT_BLACKHOLE = 6;
export const FR_ACT_UNREACHABLE = 7;
export const FR_ACT_PROHIBIT = 8;

export interface FibRule {
  readonly pref: number;
  readonly invert: boolean;
  /** `from`: address and prefix length (len 0: all). */
  readonly src: number;
  readonly srcLen: number;
  readonly dst: number;
  readonly dstLen: number;
  readonly tos: number;
  readonly mark: number;
  readonly markMask: number;
  /** Was a fwmark given (printed even when the mark is 0 with a mask)? */
  readonly hasMark: boolean;
  readonly iif: string;
  readonly oif: string;
  readonly ipproto: number;
  readonly sport: readonly [number, number] | undefined;
  readonly dport: readonly [number, number] | undefined;
  readonly action: number;
  /** FR_ACT_TO_TBL: the table id. */
  readonly table: number;
  /** FR_ACT_GOTO: the target priority. */
  readonly target: number;
  /** -1: none. */
  readonly suppressPrefixlen: number;
  readonly suppressIfgroup: number;
}

const PROTO_NAMES: Readonly<Record<number, string>> = {
  1: 'icmp',
  2: 'igmp',
  6: 'tcp',
  17: 'udp',
  47: 'gre',
  50: 'esp',
  51: 'ah',
  58: 'ipv6-icmp',
  132: 'sctp',
  136: 'udplite',
};
const PROTO_NUMBERS: Readonly<Record<string, number>> = Object.fromEntries(
  Object.entries(PROTO_NAMES).map(([n, s]) => [s, Number(n)]),
);

export const DEFAULT_RULES: readonly FibRule[] = [
  rule(0, RT_TABLE_LOCAL),
  rule(32766, RT_TABLE_MAIN),
  rule(32767, RT_TABLE_DEFAULT),
];

function rule(pref: number, table: number): FibRule {
  return {
    pref,
    invert: false,
    src: 0,
    srcLen: 0,
    dst: 0,
    dstLen: 0,
    tos: 0,
    mark: 0,
    markMask: 0,
    hasMark: false,
    iif: '',
    oif: '',
    ipproto: 0,
    sport: undefined,
    dport: undefined,
    action: FR_ACT_TO_TBL,
    table,
    target: 0,
    suppressPrefixlen: -1,
    suppressIfgroup: -1,
  };
}

type ParseError = { offset: number; token: string; message: string };

/** A rule as parsed: `pref` undefined when the kernel is to choose it. */
export type ParsedRule = Omit<FibRule, 'pref'> & { readonly pref: number | undefined };

function num(w: string | undefined, max: number): number | undefined {
  if (w === undefined || !/^(0x[0-9a-fA-F]+|\d+)$/.test(w)) return undefined;
  const n = Number(w);
  return n <= max ? n : undefined;
}

/**
 * Parses `ip rule add` arguments (`from 10.0.1.11 lookup 100`, `not fwmark 51820 table 51820`,
 * `table main suppress_prefixlength 0`, `fwmark 0x10/0xff prohibit`, `priority 20 goto 1000`).
 * A leading `ip rule add` is allowed. Errors name the word, with its 0-based offset.
 */
export function parseRule(
  text: string,
  names?: TableNames,
  forDelete = false,
): Result<ParsedRule, ParseError> {
  const words: { w: string; at: number }[] = [];
  for (const m of text.matchAll(/\S+/g)) words.push({ w: m[0], at: m.index });
  const fail = (i: number, message: string) => {
    const t = words[i] ?? { w: '', at: text.length };
    return { ok: false as const, error: { offset: t.at, token: t.w, message } };
  };
  let i = 0;
  if (words[0]?.w === 'ip' && words[1]?.w === 'rule' && (words[2]?.w === 'add' || words[2]?.w === 'append'))
    i = 3;
  const r = { ...rule(0, 0) } as { -readonly [K in keyof FibRule]: FibRule[K] };
  let pref: number | undefined;
  let action: number | undefined;
  const prefix = (w: string, k: number): Result<{ addr: number; len: number }, ParseError> => {
    if (w === 'all' || w === 'any' || w === 'default') return { ok: true, value: { addr: 0, len: 0 } };
    // iproute2's get_addr_ipv4 takes fewer than four parts as the leading ones (`10/8`, `0/8`).
    const [head, plen] = w.split('/');
    const parts = (head ?? '').split('.');
    const full = /^\d+(\.\d+){0,3}$/.test(head ?? '')
      ? [...parts, '0', '0', '0'].slice(0, 4).join('.')
      : head;
    const p = parsePrefix(`${full}/${plen ?? 32}`);
    if (!p.ok) return fail(k, `bad prefix "${w}": ${p.error}`);
    const len = maskLength(p.value.mask);
    return { ok: true, value: { addr: (p.value.addr & prefixMask(len)) >>> 0, len } };
  };
  const range = (w: string | undefined, k: number): Result<[number, number], ParseError> => {
    const m = /^(\d+)(?:-(\d+))?$/.exec(w ?? '');
    const a = m ? Number(m[1]) : NaN;
    const b = m?.[2] !== undefined ? Number(m[2]) : a;
    if (!m || a > 65535 || b > 65535 || a > b)
      return fail(k, `bad port range "${w ?? ''}": expected N or N-M (0..65535)`);
    return { ok: true, value: [a, b] };
  };
  const VALUED = [
    'from',
    'to',
    'tos',
    'dsfield',
    'fwmark',
    'iif',
    'dev',
    'oif',
    'ipproto',
    'sport',
    'dport',
    'priority',
    'preference',
    'order',
    'pref',
    'lookup',
    'table',
    'goto',
    'suppress_prefixlength',
    'sup_pl',
    'suppress_ifgroup',
    'sup_group',
    'realms',
    'type',
    'protocol',
    'proto',
    'uidrange',
  ];
  for (; i < words.length; i++) {
    const key = words[i]!.w;
    const val = words[i + 1]?.w;
    if (VALUED.includes(key) && val === undefined) return fail(i, `"${key}" needs a value`);
    switch (key) {
      case 'not':
        r.invert = true;
        continue;
      case 'from':
      case 'to': {
        const p = prefix(val!, i + 1);
        if (!p.ok) return p;
        if (key === 'from') {
          r.src = p.value.addr;
          r.srcLen = p.value.len;
        } else {
          r.dst = p.value.addr;
          r.dstLen = p.value.len;
        }
        break;
      }
      case 'tos':
      case 'dsfield': {
        const n = num(val, 255);
        if (n === undefined) return fail(i + 1, `bad tos "${val}": expected a number 0..255`);
        r.tos = n;
        break;
      }
      case 'fwmark': {
        const [m, mk] = val!.split('/');
        const mark = num(m, 0xffffffff);
        const mask = mk === undefined ? undefined : num(mk, 0xffffffff);
        if (mark === undefined || (mk !== undefined && mask === undefined))
          return fail(i + 1, `bad fwmark "${val}": expected MARK or MARK/MASK (numbers, 0x hex)`);
        r.mark = mark;
        // The kernel: a mark without a mask matches all 32 bits; fwmark 0 alone matches any mark.
        r.markMask = mask ?? (mark !== 0 ? 0xffffffff : 0);
        r.hasMark = r.mark !== 0 || r.markMask !== 0;
        break;
      }
      case 'iif':
      case 'dev':
        r.iif = val!;
        break;
      case 'oif':
        r.oif = val!;
        break;
      case 'ipproto': {
        const n = PROTO_NUMBERS[val!] ?? num(val, 255);
        if (n === undefined)
          return fail(i + 1, `bad ipproto "${val}": expected tcp, udp, icmp, ... or a number`);
        r.ipproto = n;
        break;
      }
      case 'sport':
      case 'dport': {
        const p = range(val, i + 1);
        if (!p.ok) return p;
        if (key === 'sport') r.sport = p.value;
        else r.dport = p.value;
        break;
      }
      case 'priority':
      case 'preference':
      case 'order':
      case 'pref': {
        const n = num(val, 0xffffffff);
        if (n === undefined) return fail(i + 1, `bad priority "${val}": expected a number 0..4294967295`);
        pref = n;
        break;
      }
      case 'lookup':
      case 'table': {
        const t = parseTableId(val!, names);
        if (t === undefined) return fail(i + 1, badTable(val!, names));
        r.table = t;
        action ??= FR_ACT_TO_TBL;
        break;
      }
      case 'goto': {
        const n = num(val, 0xffffffff);
        if (n === undefined) return fail(i + 1, `bad goto target "${val}": expected a priority`);
        r.target = n;
        action = FR_ACT_GOTO;
        break;
      }
      case 'suppress_prefixlength':
      case 'sup_pl': {
        const n = num(val, 32);
        if (n === undefined) return fail(i + 1, `bad suppress_prefixlength "${val}": expected 0..32`);
        r.suppressPrefixlen = n;
        break;
      }
      case 'suppress_ifgroup':
      case 'sup_group': {
        const n = num(val, 0x7fffffff);
        if (n === undefined) return fail(i + 1, `bad suppress_ifgroup "${val}": expected a group number`);
        r.suppressIfgroup = n;
        break;
      }
      case 'nop':
        action = FR_ACT_NOP;
        continue;
      case 'unreachable':
        action = FR_ACT_UNREACHABLE;
        continue;
      case 'prohibit':
        action = FR_ACT_PROHIBIT;
        continue;
      case 'blackhole':
        action = FR_ACT_BLACKHOLE;
        continue;
      case 'type': {
        const t = { unreachable: FR_ACT_UNREACHABLE, prohibit: FR_ACT_PROHIBIT, blackhole: FR_ACT_BLACKHOLE }[
          val!
        ];
        if (t === undefined)
          return fail(i + 1, `bad rule type "${val}": expected unreachable, prohibit or blackhole`);
        action = t;
        break;
      }
      default:
        return fail(
          i,
          `unknown rule keyword "${key}" (expected from, to, tos, fwmark, iif, oif, ipproto, sport, dport, priority, lookup, goto, suppress_prefixlength, not, unreachable, prohibit, blackhole)`,
        );
    }
    i++;
  }
  // `ip rule del pref 1000`: a deletion may name no action (FR_ACT_UNSPEC: any).
  if (action === undefined && forDelete) action = 0;
  if (action === undefined)
    return fail(
      words.length,
      'a rule needs an action: "lookup TABLE", "goto PRIORITY", "unreachable", "prohibit", "blackhole" or "nop" (iproute2: "Error: Rule action is missing" ... )',
    );
  r.action = action;
  if (action !== FR_ACT_TO_TBL && action !== 0) r.table = 0;
  if (action === FR_ACT_GOTO && pref !== undefined && r.target <= pref)
    return fail(
      words.findIndex((w) => w.w === 'goto'),
      'a goto must point to a later priority (Linux: "Backward goto not supported.")',
    );
  return { ok: true, value: { ...r, pref } };
}

/** One rule as `ip rule show` prints it: `1000:\tfrom all fwmark 0x2 lookup 200`. */
export function formatRule(r: FibRule, names?: TableNames): string {
  const p: string[] = [];
  if (r.invert) p.push('not');
  p.push(
    r.srcLen === 0
      ? 'from all'
      : r.srcLen === 32
        ? `from ${formatIpv4(r.src)}`
        : `from ${formatIpv4(r.src)}/${r.srcLen}`,
  );
  if (r.dstLen !== 0)
    p.push(r.dstLen === 32 ? `to ${formatIpv4(r.dst)}` : `to ${formatIpv4(r.dst)}/${r.dstLen}`);
  if (r.tos) p.push(`tos 0x${r.tos.toString(16).padStart(2, '0')}`);
  if (r.hasMark)
    p.push(
      r.markMask === 0xffffffff
        ? `fwmark 0x${r.mark.toString(16)}`
        : `fwmark 0x${r.mark.toString(16)}/0x${r.markMask.toString(16)}`,
    );
  if (r.iif) p.push(`iif ${r.iif}`);
  if (r.oif) p.push(`oif ${r.oif}`);
  if (r.ipproto) p.push(`ipproto ${PROTO_NAMES[r.ipproto] ?? r.ipproto}`);
  if (r.sport)
    p.push(r.sport[0] === r.sport[1] ? `sport ${r.sport[0]}` : `sport ${r.sport[0]}-${r.sport[1]}`);
  if (r.dport)
    p.push(r.dport[0] === r.dport[1] ? `dport ${r.dport[0]}` : `dport ${r.dport[0]}-${r.dport[1]}`);
  if (r.action === FR_ACT_TO_TBL) {
    p.push(`lookup ${tableName(r.table, names)}`);
    if (r.suppressPrefixlen >= 0) p.push(`suppress_prefixlength ${r.suppressPrefixlen}`);
    if (r.suppressIfgroup >= 0) p.push(`suppress_ifgroup ${r.suppressIfgroup}`);
  } else if (r.action === FR_ACT_GOTO) p.push(`goto ${r.target}`);
  else if (r.action === FR_ACT_NOP) p.push('nop');
  else
    p.push(
      r.action === FR_ACT_UNREACHABLE
        ? 'unreachable'
        : r.action === FR_ACT_PROHIBIT
          ? 'prohibit'
          : 'blackhole',
    );
  return `${r.pref}:\t${p.join(' ')}`;
}

/** What a rule action answers without a table (fib4_rule_action). */
export function ruleActionError(action: number): number {
  return action === FR_ACT_UNREACHABLE ? ENETUNREACH : action === FR_ACT_PROHIBIT ? EACCES : EINVAL;
}

/** The rules of one host, in the kernel's order. */
export class RuleList {
  readonly rules: FibRule[] = [...DEFAULT_RULES];
  /** For each rule, the index of its goto target (-1: none or unresolved). */
  targets: Int32Array = new Int32Array(3).fill(-1);
  /** Bumped at every change (a lookup's compiled form of the rules follows it). */
  version = 0;
  /**
   * net->ipv4.fib_has_custom_rules: set for good by any rule added or deleted (fib4_rule_configure,
   * fib4_rule_delete); fib_validate_source then makes its full reverse lookup even with rp_filter 0.
   */
  custom = false;

  /**
   * fib_nl_newrule: a rule without priority gets fib_default_rule_pref's (the second rule's
   * priority minus one when that is not 0, else 0); it goes after every rule with a priority not
   * above its own. Returns the error text iproute2 prints when the kernel refuses it.
   */
  add(p: ParsedRule): string | undefined {
    let pref = p.pref;
    if (pref === undefined) {
      const second = this.rules[1];
      pref = second && second.pref ? second.pref - 1 : 0;
    }
    if (p.action === FR_ACT_GOTO && p.target <= pref) return 'Error: Backward goto not supported.';
    const r: FibRule = { ...p, pref };
    let k = 0;
    while (k < this.rules.length && this.rules[k]!.pref <= pref) k++;
    this.rules.splice(k, 0, r);
    this.custom = true;
    this.resolve();
    return undefined;
  }

  /** fib_nl_delrule: the first rule equal to `p` in what it gives (priority only when given). */
  delete(p: ParsedRule): string | undefined {
    const k = this.rules.findIndex((r) => sameRule(r, p));
    if (k < 0) return 'RTNETLINK answers: No such file or directory';
    this.rules.splice(k, 1);
    this.custom = true;
    this.resolve();
    return undefined;
  }

  private resolve(): void {
    this.version++;
    this.targets = new Int32Array(this.rules.length).fill(-1);
    this.rules.forEach((r, i) => {
      if (r.action === FR_ACT_GOTO) this.targets[i] = this.rules.findIndex((t) => t.pref === r.target);
    });
  }

  /** `ip rule show` lines. */
  format(names?: TableNames): string[] {
    return this.rules.map((r) => {
      const line = formatRule(r, names);
      return r.action === FR_ACT_GOTO && this.targets[this.rules.indexOf(r)] === -1
        ? `${line} [unresolved]`
        : line;
    });
  }
}

/**
 * rule_find and fib4_rule_compare: a deletion compares only what it gives (`ip rule del pref
 * 1000`, `ip rule del lookup 100` delete the first rule with that priority, that table).
 */
function sameRule(r: FibRule, p: ParsedRule): boolean {
  if (p.pref !== undefined && p.pref !== r.pref) return false;
  return (
    r.invert === p.invert &&
    (p.srcLen === 0 || (r.src === p.src && r.srcLen === p.srcLen)) &&
    (p.dstLen === 0 || (r.dst === p.dst && r.dstLen === p.dstLen)) &&
    (p.tos === 0 || r.tos === p.tos) &&
    (p.mark === 0 || r.mark === p.mark) &&
    (p.markMask === 0 || r.markMask === p.markMask) &&
    (p.iif === '' || r.iif === p.iif) &&
    (p.oif === '' || r.oif === p.oif) &&
    (p.ipproto === 0 || r.ipproto === p.ipproto) &&
    (p.action === 0 || r.action === p.action) &&
    (p.table === 0 || r.table === p.table) &&
    (p.action !== FR_ACT_GOTO || r.target === p.target)
  );
}
