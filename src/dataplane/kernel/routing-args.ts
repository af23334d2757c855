// `ip route add` and `ip rule add` arguments from natbox's reading of a scenario's routes and
// rules (route/table.ts, route/rule.ts), so the kernel gets exactly what natbox simulated:
// addresses in dotted decimal, every attribute natbox keeps (type, table, tos, metric, src,
// proto, scope, mtu [lock], advmss, multipath nexthops with weights; a rule's selectors and
// action, its priority when one was written). Tables are given by number: a host's `rt_tables:`
// names are natbox's, and the kernel's iproute2 reads its own /etc/iproute2/rt_tables.
import { formatIpv4 } from '../../wire/addr.ts';
import {
  parseRoute,
  RTN_NAMES,
  RTN_UNICAST,
  RT_TABLE_MAIN,
  RT_TABLE_LOCAL,
  type TableNames,
} from '../../route/table.ts';
import { FR_ACT_GOTO, FR_ACT_NOP, FR_ACT_TO_TBL, parseRule } from '../../route/rule.ts';

export function fullRouteArgs(text: string, names?: TableNames): string[] | string {
  const p = parseRoute(text, names);
  if (!p.ok) return p.error.message;
  const r = p.value;
  const args: string[] = [];
  if (r.type !== RTN_UNICAST) args.push(RTN_NAMES[r.type]!);
  args.push(r.len === 0 ? 'default' : `${formatIpv4(r.addr)}/${r.len}`);
  if (r.tos) args.push('tos', `0x${r.tos.toString(16)}`);
  const localType = r.type === 2 || r.type === 3;
  if (r.table !== RT_TABLE_MAIN || localType)
    args.push('table', String(r.table === RT_TABLE_LOCAL ? 'local' : r.table));
  if (r.via) args.push('via', formatIpv4(r.via));
  if (r.dev !== undefined) args.push('dev', r.dev);
  if (r.src) args.push('src', formatIpv4(r.src));
  if (r.metric) args.push('metric', String(r.metric));
  if (r.proto !== undefined) args.push('proto', r.proto);
  if (r.scope !== undefined) args.push('scope', SCOPE_NAMES[r.scope] ?? String(r.scope));
  if (r.mtu !== undefined) args.push('mtu', ...(r.mtuLock ? ['lock'] : []), String(r.mtu));
  if (r.advmss !== undefined) args.push('advmss', String(r.advmss));
  for (const nh of r.nexthops ?? []) {
    args.push('nexthop');
    if (nh.via) args.push('via', formatIpv4(nh.via));
    if (nh.dev !== undefined) args.push('dev', nh.dev);
    args.push('weight', String(nh.weight));
  }
  return args;
}

export function ruleArgs(text: string, names?: TableNames): string[] {
  const p = parseRule(text, names);
  if (!p.ok) throw new Error(`ip rule "${text}": ${p.error.message}`);
  const r = p.value;
  const a: string[] = [];
  if (r.pref !== undefined) a.push('pref', String(r.pref));
  if (r.invert) a.push('not');
  if (r.srcLen) a.push('from', `${formatIpv4(r.src)}/${r.srcLen}`);
  if (r.dstLen) a.push('to', `${formatIpv4(r.dst)}/${r.dstLen}`);
  if (r.tos) a.push('tos', `0x${r.tos.toString(16)}`);
  if (r.hasMark) a.push('fwmark', `0x${r.mark.toString(16)}/0x${r.markMask.toString(16)}`);
  if (r.iif) a.push('iif', r.iif);
  if (r.oif) a.push('oif', r.oif);
  if (r.ipproto) a.push('ipproto', String(r.ipproto));
  if (r.sport) a.push('sport', `${r.sport[0]}-${r.sport[1]}`);
  if (r.dport) a.push('dport', `${r.dport[0]}-${r.dport[1]}`);
  if (r.action === FR_ACT_TO_TBL) {
    a.push('lookup', String(r.table));
    if (r.suppressPrefixlen >= 0) a.push('suppress_prefixlength', String(r.suppressPrefixlen));
    if (r.suppressIfgroup >= 0) a.push('suppress_ifgroup', String(r.suppressIfgroup));
  } else if (r.action === FR_ACT_GOTO) a.push('goto', String(r.target));
  else if (r.action === FR_ACT_NOP) a.push('nop');
  else a.push(r.action === 7 ? 'unreachable' : r.action === 8 ? 'prohibit' : 'blackhole');
  return a;
}

/** rtm_scope as iproute2 names it (rt_scopes), as a route was most likely written. */
const SCOPE_NAMES: Readonly<Record<number, string>> = {
  0: 'global',
  200: 'site',
  253: 'link',
  254: 'host',
  255: 'nowhere',
};

/**
 * An `ip route`/`ip rule` event's words with the host's table names (`table wan2`, `lookup wan2`)
 * as their numbers: the kernel side's iproute2 knows only its own rt_tables.
 */
export function numberTables(words: string[], names: TableNames | undefined): string[] {
  if (!names || names.size === 0 || words[0] !== 'ip' || !/^(r|ro|route|ru|rule)$/.test(words[1] ?? ''))
    return words;
  return words.map((w, i) => {
    const id = i > 0 && /^(table|lookup)$/.test(words[i - 1]!) ? names.get(w) : undefined;
    return id === undefined ? w : String(id);
  });
}
