// Printing a table as `iptables -t NAME -L -n -v --line-numbers` prints it (iptables 1.8.9,
// nf_tables), byte for byte with its trailing blanks: print_header() and print_rule_details() of
// xshared.c, print_ifaces(), the addresses, then each match's and the target's `print` form (not
// the save form: `tcp dpt:80`, `ctstate NEW`, `to:10.0.0.5:22`), from the libxt_*.c files and
// checked against the real tool in test/rules/kernel.test.ts.
import { formatIpv4, formatPrefix, type Prefix } from '../../wire/addr.ts';
import type { IfaceMatch, Inv, Match, Rule, Table, Target } from './model.ts';
import { orderedChains, saveString } from './print-save.ts';
import { extOf } from './ext/index.ts';
import { byteCount, COUNTER_MAX, packetCount } from '../counters.ts';

/**
 * xtables_print_num() (xshared.c): with -x (`exact`) `%8llu `; else, as -v alone, `%5llu ` or
 * the value rounded to K/M/G/T units as `%4llu` + unit. In u64 arithmetic: (n + 500) wraps for n
 * near 2^64, so 2^64 - 1 prints `0K` as iptables prints it (measured with iptables 1.8.9).
 * `noTable` (the policy line) drops the padding.
 */
export function printNum(value: bigint | number, noTable = false, exact = false): string {
  const pad = (s: string, w: number): string => (noTable ? s : s.padStart(w));
  let n = BigInt(value);
  if (exact) return `${pad(String(n), 8)} `;
  if (n <= 99999n) return `${pad(String(n), 5)} `;
  for (const unit of ['K', 'M', 'G']) {
    n = ((n + 500n) & COUNTER_MAX) / 1000n;
    if (n <= 9999n) return `${pad(String(n), 4)}${unit} `;
  }
  n = ((n + 500n) & COUNTER_MAX) / 1000n;
  return `${pad(String(n), 4)}T `;
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;
const range = (r: { min: number; max: number }, sep = ':'): string =>
  r.min === r.max ? `${r.min}` : `${r.min}${sep}${r.max}`;
const ctAddr = (p: Prefix): string => (p.mask === 0xffffffff ? formatIpv4(p.addr) : formatPrefix(p));

/** ipv4_addr_to_string() with -n: `0.0.0.0/0`, a bare address for /32, else address/len. */
function listAddr(p: Inv<Prefix> | undefined): string {
  if (!p) return ' 0.0.0.0/0';
  const text = p.value.mask === 0 ? '0.0.0.0/0' : ctAddr(p.value);
  return `${p.invert ? '!' : ' '}${text}`;
}

function iface(m: Inv<IfaceMatch> | undefined): string {
  if (!m) return '*';
  return `${m.invert ? '!' : ''}${m.value.name}${m.value.wildcard ? '+' : ''}`;
}

/** One match's `print` form (the part after the addresses). */
export function printMatch(m: Match): string {
  return m.module === 'other' ? ` ${m.name}` : extOf(m).print(m);
}

function natPrint(t: Extract<Target, { kind: 'DNAT' | 'SNAT' }>): string {
  let s = '';
  for (const r of t.ranges) {
    s += ' to:';
    if (r.hasAddr) s += formatIpv4(r.minAddr) + (r.maxAddr !== r.minAddr ? `-${formatIpv4(r.maxAddr)}` : '');
    if (r.hasPorts) s += `:${r.minPort}${r.maxPort !== r.minPort ? `-${r.maxPort}` : ''}`;
    if (r.basePort !== undefined) s += `/${t.kind === 'DNAT' ? r.basePort : 0}`;
  }
  return s + flagsPrint(t.flags);
}

const flagsPrint = (f: { random: boolean; randomFully: boolean; persistent: boolean }): string =>
  `${f.random ? ' random' : ''}${f.randomFully ? ' random-fully' : ''}${f.persistent ? ' persistent' : ''}`;

/** mark_tg_print / connmark_tg_print: the xmark pair shown as the operation it is. */
function xmarkPrint(name: string, value: number, mask: number): string {
  if (value === 0) return ` ${name} and ${hex(~mask)}`;
  if (value === mask) return ` ${name} or ${hex(value)}`;
  if (mask === 0) return ` ${name} xor ${hex(value)}`;
  if (mask === 0xffffffff) return ` ${name} set ${hex(value)}`;
  return ` ${name} xset ${hex(value)}/${hex(mask)}`;
}

const LOG_FLAG_BITS: Readonly<Record<string, number>> = {
  '--log-tcp-sequence': 1,
  '--log-tcp-options': 2,
  '--log-ip-options': 4,
  '--log-uid': 8,
  '--log-macdecode': 0x20,
};

/** The target's `print` form. */
export function printTarget(t: Target): string {
  switch (t.kind) {
    case 'DNAT':
    case 'SNAT':
      return natPrint(t);
    case 'MASQUERADE':
      return `${t.ports ? ` masq ports: ${range(t.ports, '-')}` : ''}${flagsPrint(t.flags)}`;
    case 'REDIRECT':
      return `${t.ports ? ` redir ports ${range(t.ports, '-')}` : ''}${flagsPrint(t.flags)}`;
    case 'REJECT':
      return ` reject-with ${t.with}`;
    case 'LOG': {
      let flags = 0;
      let level = 4;
      let prefix: string | undefined;
      for (let k = 0; k < t.args.length; k++) {
        const a = t.args[k]!;
        if (a === '--log-level') level = Number(t.args[++k]);
        else if (a === '--log-prefix') prefix = t.args[++k];
        else flags |= LOG_FLAG_BITS[a] ?? 0;
      }
      return ` LOG flags ${flags} level ${level}${prefix !== undefined ? ` prefix "${prefix}"` : ''}`;
    }
    case 'MARK':
      return xmarkPrint('MARK', t.value, t.mask);
    case 'CONNMARK':
      if (t.op === 'set') return xmarkPrint('CONNMARK', t.value, t.mask);
      if (t.nfmask === 0xffffffff && t.ctmask === 0xffffffff) return ` CONNMARK ${t.op}`;
      if (t.nfmask === t.ctmask) return ` CONNMARK ${t.op} mask ${hex(t.nfmask)}`;
      return t.op === 'save'
        ? ` CONNMARK save nfmask ${hex(t.nfmask)} ctmask ~${hex(t.ctmask)}`
        : ` CONNMARK restore ctmask ${hex(t.ctmask)} nfmask ~${hex(t.nfmask)}`;
    case 'CT':
      return ' CT notrack';
    case 'NOTRACK':
      return ' NOTRACK';
    case 'NETMAP':
      return ` to:${formatPrefix(t.to)}`;
    case 'TCPMSS':
      return t.mss === 'clamp' ? ' TCPMSS clamp to PMTU' : ` TCPMSS set ${t.mss}`;
    case 'NFLOG': {
      let s = '';
      if (t.prefix) s += ` nflog-prefix ${saveString(t.prefix)}`;
      if (t.group) s += ` nflog-group ${t.group}`;
      if (t.size !== undefined) s += ` nflog-size ${t.size}`;
      if (t.threshold !== 1) s += ` nflog-threshold ${t.threshold}`;
      return s;
    }
    default:
      return ''; // ACCEPT, DROP, RETURN, jumps, TRACE: nothing after the matches
  }
}

function targetName(t: Target | undefined): string {
  if (!t) return '';
  if (t.kind === 'jump' || t.kind === 'goto') return t.chain;
  if (t.kind === 'other') return t.name;
  if (t.kind === 'NOTRACK') return 'CT'; // iptables-nft lists NOTRACK as the CT target it is
  return t.kind;
}

/** One rule line of `-L -n -v --line-numbers` (with -x when `exact`). */
export function listRule(num: number, r: Rule, exact = false): string {
  let s = `${String(num).padEnd(4)} `;
  s += printNum(packetCount(r.counters), false, exact) + printNum(byteCount(r.counters), false, exact);
  s += `${targetName(r.target).padEnd(9)} `;
  s += r.protocol?.invert ? '!' : ' ';
  s += `${String(r.protocol?.value ?? 0).padEnd(4)} `;
  s += `${r.fragment?.invert ? '!' : '-'}${r.fragment ? 'f' : '-'} `;
  s += ` ${iface(r.inIface).padEnd(6)} ${iface(r.outIface).padEnd(6)} `;
  s += `${listAddr(r.src).padEnd(20)} ${listAddr(r.dst).padEnd(20)} `;
  if (r.target?.kind === 'goto') s += '[goto] ';
  for (const m of r.matches) s += printMatch(m);
  if (r.target) s += printTarget(r.target);
  return s;
}

// print_header(): `%5s ` for pkts and bytes, with -x `%8s ` and `%10s `.
const header = (exact: boolean): string =>
  `num  ${'pkts'.padStart(exact ? 8 : 5)} ${'bytes'.padStart(exact ? 10 : 5)} ${'target'.padEnd(9)}  prot opt ${'in'.padEnd(6)} ${'out'.padEnd(6)}  ${'source'.padEnd(19)}  ${'destination'.padEnd(19)} `;

/** How many rules jump or go to each chain (one pass over the table). */
function references(table: Table): Map<string, number> {
  const n = new Map<string, number>();
  for (const c of table.chains.values())
    for (const r of c.rules)
      if (r.target?.kind === 'jump' || r.target?.kind === 'goto')
        n.set(r.target.chain, (n.get(r.target.chain) ?? 0) + 1);
  return n;
}

/** The whole table as `iptables -t NAME -L -n -v --line-numbers` prints it (`exact`: with -x). */
export function printList(table: Table, exact = false): string {
  const out: string[] = [];
  const refs = references(table);
  orderedChains(table.chains.values(), table.name).forEach((c, k) => {
    if (k > 0) out.push('');
    out.push(
      c.builtin
        ? `Chain ${c.name} (policy ${c.policy ?? 'ACCEPT'} ${printNum(packetCount(c.counters), true, exact)}packets, ${printNum(byteCount(c.counters), true, exact)}bytes)`
        : `Chain ${c.name} (${refs.get(c.name) ?? 0} references)`,
    );
    out.push(header(exact));
    c.rules.forEach((r, i) => out.push(listRule(i + 1, r, exact)));
  });
  return `${out.join('\n')}\n`;
}
