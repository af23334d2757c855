// Printing a table as `iptables -t NAME -L -n -v --line-numbers` prints it (iptables 1.8.9,
// nf_tables), byte for byte with its trailing blanks: print_header() and print_rule_details() of
// xshared.c, print_ifaces(), the addresses, then each match's and the target's `print` form (not
// the save form: `tcp dpt:80`, `ctstate NEW`, `to:10.0.0.5:22`), from the libxt_*.c files and
// checked against the real tool in test/rules/kernel.test.ts.
import { formatIpv4, formatPrefix, type Prefix } from '../../wire/addr.ts';
import type { IfaceMatch, Inv, Match, Rule, Table, Target } from './model.ts';
import { orderedChains } from './print-save.ts';
import { extOf } from './ext/index.ts';
import { targetExtOf } from './ext/targets.ts';
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

/** The target's `print` form (nothing for the verdicts and chains). */
export function printTarget(t: Target): string {
  switch (t.kind) {
    case 'ACCEPT':
    case 'DROP':
    case 'RETURN':
    case 'jump':
    case 'goto':
    case 'other':
      return '';
    default:
      return targetExtOf(t).print(t);
  }
}

function targetName(t: Target | undefined): string {
  if (!t) return '';
  if (t.kind === 'jump' || t.kind === 'goto') return t.chain;
  if (t.kind === 'other') return t.name;
  if (t.kind === 'ACCEPT' || t.kind === 'DROP' || t.kind === 'RETURN') return t.kind;
  return targetExtOf(t).listName ?? t.kind; // iptables-nft lists NOTRACK as the CT target it is
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
