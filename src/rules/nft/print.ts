// The model printed as `nft list ruleset` (and `nft -a list ruleset`) prints it, byte for byte
// (rule.c's table_print/chain_print/set_print, expression.c, statement.c, datatype.c of nft
// 1.0.6; each rule checked against the real nft, see test/rules/nft/).
import { payloadWriteListing } from './write-listing.ts';
import { vlanRawListing } from './raw-payload.ts';
import type {
  NftChain,
  NftExpr,
  NftFamily,
  NftObject,
  NftRule,
  NftRuleset,
  NftSet,
  NftSetElem,
  NftStmt,
  NftTable,
} from './model.ts';
import { listOrder, payloadProtos } from './normalise.ts';
import { bridgePrio } from './prio.ts';
import {
  BITMASK_TYPES,
  ctHelperL3proto,
  CT_TIMEOUT_STATES,
  exprBits,
  exprType,
  formatIpv4,
  formatMac,
  formatHour,
  formatTime,
  parseIpv6,
  META_UNQUALIFIED,
  SYMBOLS,
  symbolName,
  formatDate,
} from './types.ts';

/** ct keys nft 1.0.6 lists without their direction (`ct original protocol 17`: `ct protocol udp`). */
export const CT_NO_DIR: ReadonlySet<string> = new Set(['protocol', 'l3proto']);

export interface PrintOpts {
  /** `nft -a`: each object's handle. */
  readonly handles?: boolean;
  /** `nft -s`: no counter or quota state (counters print bare, quotas without `used`). */
  readonly stateless?: boolean;
  /** `nft -p`: layer-4 protocols as numbers (`meta l4proto 6`). */
  readonly numericProto?: boolean;
}

/**
 * The options of the listing being printed, for the value and statement printers deep inside it
 * (printRuleset sets them for its own run; printing is synchronous).
 */
let active: PrintOpts = {};

export function printRuleset(rs: NftRuleset, o: PrintOpts = {}): string {
  const outer = active;
  active = o;
  try {
    return rs.tables.map((t) => printTable(t, o)).join('');
  } finally {
    active = outer;
  }
}

const hc = (o: PrintOpts, h: number): string => (o.handles ? ` # handle ${h}` : '');

export function printTable(t: NftTable, o: PrintOpts): string {
  const parts: string[] = [];
  let head = `table ${t.family} ${t.name} {${hc(o, t.handle)}\n`;
  if (t.flags?.length) head += `\tflags ${t.flags.join(',')}\n\n`;
  if (t.comment !== undefined) head += `\tcomment "${t.comment}"\n`;
  for (const ob of t.objects) parts.push(printObject(ob, o, t.family));
  for (const s of t.sets) parts.push(printSet(s, t, o));
  for (const f of t.flowtables)
    parts.push(
      `\tflowtable ${f.name} {${hc(o, f.handle)}\n\t\thook ${f.hook} priority ${prioText(t.family, f.hook, f.priority, 'filter')}\n\t\tdevices = { ${f.devices.join(', ')} }\n${f.flags?.length ? `\t\tflags ${f.flags.join(',')}\n` : ''}${f.counter ? '\t\tcounter\n' : ''}\t}\n`,
    );
  for (const c of t.chains) parts.push(printChain(t, c, o));
  return `${head}${parts.join('\n')}}\n`;
}

function printObject(ob: NftObject, o: PrintOpts, fam: NftFamily): string {
  const head = `\t${ob.type} ${ob.name} {${hc(o, ob.handle)}\n`;
  const cm = ob.comment !== undefined ? `\t\tcomment "${ob.comment}"\n` : '';
  let body: string;
  switch (ob.type) {
    case 'counter':
      body = active.stateless ? '' : `\t\tpackets ${ob.packets} bytes ${ob.bytes}\n`;
      break;
    case 'quota':
      body = `\t\t${ob.over ? 'over ' : ''}${bytesText(ob.bytes)}${ob.used && !active.stateless ? ` used ${bytesText(ob.used)}` : ''}\n`;
      break;
    case 'limit':
      body = `\t\trate ${limitText(ob)}\n`;
      break;
    case 'ct helper':
      body = `\t\ttype "${ob.helper}" protocol ${ob.protocol}\n\t\tl3proto ${ctHelperL3proto(ob.helper, fam, ob.l3proto)}\n`;
      break;
    case 'ct timeout': {
      // obj_print_data: the states whose value differs from nft's default, in nft's order.
      const given = new Map(ob.policy);
      const pol = (CT_TIMEOUT_STATES[ob.protocol] ?? [])
        .filter(([st, dflt]) => given.has(st) && given.get(st) !== dflt)
        .map(([st]) => `${st} : ${given.get(st)!}`);
      body = `\t\tprotocol ${ob.protocol}\n\t\tl3proto ${ob.l3proto ?? fam}\n\t\tpolicy = { ${pol.join(', ')} }\n`;
      break;
    }
    case 'ct expectation':
      body = `\t\tprotocol ${ob.protocol}\n\t\tdport ${ob.dport}\n\t\ttimeout ${formatTime(ob.timeout)}\n\t\tsize ${ob.size}\n\t\tl3proto ${ob.l3proto ?? fam}\n`;
      break;
    case 'secmark':
      body = `\t\t"${ob.context}"\n`;
      break;
    case 'synproxy':
      // One line each for what was given (obj_print_data: the NF_SYNPROXY_OPT_* flags).
      body =
        (ob.mss !== undefined ? `\t\tmss ${ob.mss}\n` : '') +
        (ob.wscale !== undefined ? `\t\twscale ${ob.wscale}\n` : '') +
        // "%s %s" of the two flags' words, each empty when unset: `timestamp `, ` sack-perm`.
        (ob.flags?.length
          ? `\t\t${ob.flags.includes('timestamp') ? 'timestamp' : ''} ${ob.flags.includes('sack-perm') ? 'sack-perm' : ''}\n`
          : '');
      break;
    default:
      body = '';
  }
  return `${head}${cm}${body}\t}\n`;
}

function printSet(s: NftSet, t: NftTable, o: PrintOpts): string {
  let r = `\t${s.isMap ? 'map' : 'set'} ${s.name} {${hc(o, s.handle)}\n`;
  const key = s.key.typeof
    ? `typeof ${s.key.typeof.map((e) => expr(e, t.family)).join(' . ')}`
    : `type ${s.key.types.join(' . ')}`;
  let data = '';
  if (s.objType) data = ` : ${s.objType}`;
  else if (s.data)
    data = ` : ${s.data.interval ? 'interval ' : ''}${s.data.typeof ? s.data.typeof.map((e) => expr(e, t.family)).join(' . ') : s.data.types.join(' . ')}`;
  r += `\t\t${key}${data}\n`;
  if (s.policy === 'memory') r += `\t\tpolicy memory\n`;
  if (s.size !== undefined) r += `\t\tsize ${s.size}\n`;
  // nft's set_print_declaration: a set with a timeout has NFT_SET_TIMEOUT (evaluate.c); the flags
  // line shows when a flag other than that redundant one is set, and then names timeout too.
  const flags = s.timeout !== undefined && !s.flags.includes('timeout') ? [...s.flags, 'timeout'] : s.flags;
  if (flags.some((f) => f !== 'timeout' || s.timeout === undefined)) r += `\t\tflags ${flags.join(',')}\n`;
  for (const st of s.stmts ?? []) r += `\t\t${st.kind === 'counter' ? 'counter' : stmt(st, t.family)}\n`;
  if (s.timeout !== undefined) r += `\t\ttimeout ${formatTime(s.timeout)}\n`;
  if (s.gcInterval !== undefined) r += `\t\tgc-interval ${formatTime(s.gcInterval)}\n`;
  if (s.autoMerge) r += `\t\tauto-merge\n`;
  if (s.comment !== undefined) r += `\t\tcomment "${s.comment}"\n`;
  if (s.elements.length)
    r += `\t\telements = ${setElems(withSetCounter(s), t.family, s.key.types.length > 1 ? undefined : s.key.types[0], false)}\n`;
  return `${r}\t}\n`;
}

/**
 * A set declared with `counter` gives each element without statements of its own a counter of
 * its own (nft_set_elem_expr_setup instantiates the set's expressions), listed from 0 until
 * packets count it (netfilter/nftables/listing.ts fills the engine's): nft 1.0.6 lists
 * `10.0.0.1 counter packets 0 bytes 0` for an element written `10.0.0.1`.
 */
function withSetCounter(s: NftSet): readonly NftSetElem[] {
  if (!s.stmts?.some((x) => x.kind === 'counter')) return s.elements;
  return s.elements.map((e) =>
    e.stmts?.length ? e : { ...e, stmts: [{ kind: 'counter', packets: 0, bytes: 0 }] },
  );
}

const LINE_TYPES5 = new Set([
  'nf_proto',
  'integer',
  'arp_op',
  'inet_proto',
  'inet_service',
  'tcp_flag',
  'dccp_pkttype',
  'mark',
  'iface_index',
  'classid',
  'uid',
  'gid',
  'ct_dir',
]);
const LINE_TYPES2 = new Set(['ipv4_addr', 'ct_state', 'ct_status', 'pkt_type']);

/** `{ a, b }`: anonymous sets on one line; named ones wrapped as expression.c's calculate_delim. */
function setElems(
  els: readonly NftSetElem[],
  fam: NftFamily,
  type: string | undefined,
  anonymous: boolean,
): string {
  let r = '{ ';
  let count = 0;
  let d = '';
  for (const e of listOrder(els)) {
    r += d + elem(e, fam);
    count++;
    if (anonymous) d = ', ';
    else if (type !== undefined && LINE_TYPES5.has(type) && count < 5) d = ', ';
    else if (type !== undefined && LINE_TYPES2.has(type) && count < 2) d = ', ';
    else {
      d = ',\n\t\t\t     ';
      count = 0;
    }
  }
  return `${r} }`;
}

/** One element of a named set as `nft list` prints it in `elements = { ... }`. */
export function elem(e: NftSetElem, fam: NftFamily): string {
  // nft 1.0.6's set_elem_expr_print: the key, the statements, the timeout, the expiry, the comment.
  let r = expr(e.key, fam);
  for (const s of e.stmts ?? []) r += ` ${stmt(s, fam)}`;
  if (e.timeout !== undefined) r += ` timeout ${formatTime(e.timeout)}`;
  if (e.expires !== undefined) r += ` expires ${formatTime(e.expires)}`;
  if (e.comment !== undefined) r += ` comment "${e.comment}"`;
  if (e.data) r += ` : ${expr(e.data, fam)}`;
  return r;
}

function prioText(fam: NftFamily, hook: string, p: number, type: string): string {
  const names: ReadonlyArray<readonly [string, number]> =
    fam === 'bridge'
      ? Object.entries(bridgePrio)
      : [
          ['raw', -300],
          ['mangle', -150],
          ['dstnat', -100],
          ['filter', 0],
          ['security', 50],
          ['srcnat', 100],
        ];
  void type;
  const allowed = (n: string): boolean => {
    if (fam === 'bridge') return true;
    if (n === 'filter') return true;
    if (n === 'dstnat') return hook === 'prerouting';
    if (n === 'srcnat') return hook === 'postrouting';
    if (fam === 'netdev' || fam === 'arp') return n === 'filter';
    return true;
  };
  let best: readonly [string, number] | undefined;
  for (const nm of names) {
    if (!allowed(nm[0])) continue;
    if (Math.abs(p - nm[1]) <= 10 && (!best || Math.abs(p - nm[1]) < Math.abs(p - best[1]))) best = nm;
  }
  if (!best) return String(p);
  const off = p - best[1];
  return off === 0 ? best[0] : off > 0 ? `${best[0]} + ${off}` : `${best[0]} - ${-off}`;
}

export function printChain(t: NftTable, c: NftChain, o: PrintOpts): string {
  let r = `\tchain ${c.name} {${hc(o, c.handle)}\n`;
  if (c.comment !== undefined) r += `\t\tcomment "${c.comment}"\n`;
  if (c.base) {
    const b = c.base;
    const dev = b.devices
      ? ` devices = { ${b.devices.join(', ')} }`
      : b.device !== undefined
        ? ` device "${b.device}"`
        : '';
    r += `\t\ttype ${b.type} hook ${b.hook}${dev} priority ${prioText(t.family, b.hook, b.priority, b.type)}; policy ${b.policy};\n`;
  }
  for (const rule of c.rules) r += `\t\t${printRuleText(t, rule)}${hc(o, rule.handle)}\n`;
  return `${r}\t}\n`;
}

/** One rule as `nft list` prints it (without its handle). */
/** Named types whose range ends nft 1.0.6 lists in hex, with their digits (`ip dscp 0x08-0x18`). */
const RANGE_HEX: Readonly<Record<string, number>> = { dscp: 2, ecn: 1, ether_type: 4 };

export function printRuleText(t: NftTable, rule: NftRule): string {
  const s = listedStmts(vlanRawListing(payloadWriteListing(rule.stmts, t.family)), t.family).map((x) =>
    stmt(x, t.family, t),
  );
  if (rule.comment !== undefined) s.push(`comment "${rule.comment}"`);
  return s.join(' ');
}

/** `st` is `KEY VALUE` (implicit or `==`) with a meta key or payload field, and its value. */
function plainMatch(st: NftStmt, key: string): number | undefined {
  if (st.kind !== 'match' || (st.op !== 'implicit' && st.op !== '==') || st.right.kind !== 'value')
    return undefined;
  const l = st.left;
  const k = l.kind === 'meta' ? `meta ${l.key}` : l.kind === 'payload' ? `${l.proto} ${l.field}` : '';
  return k === key && typeof st.right.value === 'number' ? st.right.value : undefined;
}

/** The network protocol `st` matches (`meta nfproto ipv4`, `ether type ip6`, `meta protocol ip`). */
function netProto(st: NftStmt): 'ip' | 'ip6' | undefined {
  const nf = plainMatch(st, 'meta nfproto');
  if (nf !== undefined) return nf === 2 ? 'ip' : nf === 10 ? 'ip6' : undefined;
  const et = plainMatch(st, 'meta protocol') ?? plainMatch(st, 'ether type');
  return et === 0x0800 ? 'ip' : et === 0x86dd ? 'ip6' : undefined;
}

/**
 * The statements of a rule as nft lists them: the dependencies its netlink_delinearize drops
 * (payload_dependency_kill) left out while the kernel still runs them, and a reject after a network
 * protocol match given its ICMP type (reject_stmt_print after stmt_reject_postprocess):
 *   - `meta iiftype ether` before an ether header field (ip, ip6 and inet tables; in inet before an
 *     IPv4 or IPv6 header field too);
 *   - `ether type 8021q` before a vlan header field, `icmpv6 type packet-too-big` before `icmpv6 mtu`;
 *   - in ip and ip6 tables, the `meta l4proto 6` (or `ip protocol 6`, `ip6 nexthdr 6`) that only
 *     matches lead from to `reject with tcp reset`;
 *   - in inet, bridge and netdev tables, `reject` after a network protocol lists `with icmp
 *     port-unreachable` (icmpv6 for IPv6), and the protocol match (`meta nfproto ipv4`, `meta
 *     protocol ip`, `ether type ip`) that only matches lead from to a reject with an ICMP type.
 */
export function listedStmts(stmts: readonly NftStmt[], fam: NftFamily): NftStmt[] {
  const out: NftStmt[] = [];
  const onlyMatchesTo = (k: number, pred: (x: NftStmt) => boolean): boolean => {
    for (let j = k + 1; j < stmts.length; j++) {
      if (pred(stmts[j]!)) return true;
      if (stmts[j]!.kind !== 'match') return false;
    }
    return false;
  };
  const tcpReset = (x: NftStmt): boolean => x.kind === 'reject' && x.with?.type === 'tcp reset';
  const nextProtos = (k: number): string[] => {
    for (let j = k + 1; j < stmts.length; j++) {
      const p = payloadProtos(stmts[j]!);
      if (p.length) return p;
    }
    return [];
  };
  let net: 'ip' | 'ip6' | undefined;
  for (let k = 0; k < stmts.length; k++) {
    const st = stmts[k]!;
    if (st.kind === 'match') {
      const np =
        netProto(st) ??
        (payloadProtos(st).includes('ip6') ? 'ip6' : payloadProtos(st).includes('ip') ? 'ip' : undefined);
      if (np) net = np;
      if (
        fam !== 'arp' &&
        plainMatch(st, 'meta iiftype') === 1 &&
        (stmts.slice(k + 1).some((x) => payloadProtos(x).includes('ether')) ||
          ((fam === 'inet' || fam === 'bridge' || fam === 'netdev') &&
            ['ip', 'ip6'].includes(nextProtos(k)[0] ?? '')))
      )
        continue;
      if (plainMatch(st, 'ether type') === 0x8100 && nextProtos(k)[0] === 'vlan') continue;
      // `icmpv6 mtu` implies packet-too-big (proto.c's PROTO_ICMP6_MTU dependency).
      if (
        plainMatch(st, 'icmpv6 type') === 2 &&
        onlyMatchesTo(
          k,
          (x) =>
            x.kind === 'match' &&
            x.left.kind === 'payload' &&
            x.left.proto === 'icmpv6' &&
            x.left.field === 'mtu',
        )
      )
        continue;
      if (
        (fam === 'ip' || fam === 'ip6') &&
        (plainMatch(st, 'meta l4proto') === 6 ||
          plainMatch(st, fam === 'ip' ? 'ip protocol' : 'ip6 nexthdr') === 6) &&
        onlyMatchesTo(k, tcpReset)
      )
        continue;
      if (
        fam !== 'ip' &&
        fam !== 'ip6' &&
        netProto(st) !== undefined &&
        onlyMatchesTo(
          k,
          (x) => x.kind === 'reject' && x.with?.type !== 'tcp reset' && x.with?.type !== 'icmpx',
        )
      )
        continue;
    } else if (st.kind === 'reject' && !st.with && net && fam !== 'ip' && fam !== 'ip6') {
      out.push({
        ...st,
        with:
          net === 'ip'
            ? { type: 'icmp', code: 'port-unreachable' }
            : { type: 'icmpv6', code: 'port-unreachable' },
      });
      continue;
    }
    out.push(st);
  }
  return out;
}

// ---- statements ----

function bytesText(n: number): string {
  // nft 1.0.6's units stop at mbytes (datatype.c data_unit_parse, print_data_unit).
  for (const [u, m] of [
    ['mbytes', 1024 ** 2],
    ['kbytes', 1024],
  ] as const)
    if (n >= m && n % m === 0) return `${n / m} ${u}`;
  return `${n} bytes`;
}

function limitText(l: { rate: number; per: string; unit: string; burst: number; over: boolean }): string {
  let r = l.over ? 'over ' : '';
  if (l.unit === 'packets') {
    r += `${l.rate}/${l.per}`;
    if (l.burst !== 5) r += ` burst ${l.burst} packets`;
  } else {
    const [n, u] = bytesText(l.rate).split(' ');
    r += `${n} ${u}/${l.per}`;
    if (l.burst) r += ` burst ${bytesText(l.burst)}`;
  }
  return r;
}

/** One statement's text as nft lists it (JSON prints the statements it has no form for so). */
export function stmtText(s: NftStmt, fam: NftFamily, t?: NftTable): string {
  return stmt(s, fam, t);
}

function stmt(s: NftStmt, fam: NftFamily, t?: NftTable): string {
  switch (s.kind) {
    case 'match':
      return match(s, fam);
    case 'verdict':
      return s.chain !== undefined ? `${s.verdict} ${s.chain}` : s.verdict;
    case 'vmap':
      return `${expr(s.key, fam)} vmap ${mapText(retype(s.map, s.key), fam, s.key)}`;
    case 'queue': {
      // nft's queue_stmt_print: flags bypass before fanout, and the queue number always (0 by default).
      const flags = (['bypass', 'fanout'] as const).filter((x) => s.flags?.includes(x));
      const f = flags.length ? ` flags ${flags.join(',')}` : '';
      return `queue${f} to ${s.num ? expr(s.num, fam) : '0'}`;
    }
    case 'counter':
      return active.stateless ? 'counter' : `counter packets ${s.packets} bytes ${s.bytes}`;
    case 'objref': {
      const name = expr(s.name, fam);
      if (s.type.startsWith('ct ')) return `${s.type} set ${name}`;
      if (s.type === 'secmark') return `meta secmark set ${name}`;
      return `${s.type} name ${name}`;
    }
    case 'limit':
      return `limit rate ${limitText(s)}`;
    case 'quota':
      return `quota ${s.over ? 'over ' : ''}${bytesText(s.bytes)}${s.used && !active.stateless ? ` used ${bytesText(s.used)}` : ''}`;
    case 'connlimit':
      return `ct count ${s.over ? 'over ' : ''}${s.count}`;
    case 'last':
      return s.used === undefined ? 'last used never' : `last used ${formatTime(s.used)}`;
    case 'log': {
      let r = 'log';
      if (s.prefix !== undefined) r += ` prefix "${s.prefix}"`;
      if (s.group !== undefined) r += ` group ${s.group}`;
      if (s.snaplen !== undefined) r += ` snaplen ${s.snaplen}`;
      if (s.queueThreshold !== undefined) r += ` queue-threshold ${s.queueThreshold}`;
      if (s.level !== undefined && s.level !== 'warn') r += ` level ${s.level}`;
      if (s.flags?.length) {
        const all = ['tcp sequence', 'tcp options', 'ip options', 'skuid', 'ether'];
        if (s.flags.includes('all') || all.every((x) => s.flags!.includes(x))) r += ' flags all';
        else {
          const tcp = s.flags.filter((f) => f.startsWith('tcp ')).map((f) => f.slice(4));
          if (tcp.length)
            r += ` flags tcp ${['sequence', 'options'].filter((x) => tcp.includes(x)).join(',')}`;
          if (s.flags.includes('ip options')) r += ' flags ip options';
          if (s.flags.includes('skuid')) r += ' flags skuid';
          if (s.flags.includes('ether')) r += ' flags ether';
        }
      }
      return r;
    }
    case 'reject': {
      if (!s.with) return 'reject';
      if (s.with.type === 'tcp reset') return 'reject with tcp reset';
      // A code given as a number lists by its name (reject_stmt_print, icmp_code_type …).
      const code =
        s.with.code !== undefined && /^[0-9]+$/.test(s.with.code)
          ? (symbolName(`${s.with.type}_code`, Number(s.with.code)) ?? s.with.code)
          : s.with.code;
      const defaultCode = code === 'port-unreachable';
      if (
        defaultCode &&
        ((fam !== 'ip' && fam !== 'ip6' && s.with.type === 'icmpx') ||
          (fam === 'ip' && s.with.type === 'icmp') ||
          (fam === 'ip6' && s.with.type === 'icmpv6'))
      )
        return 'reject';
      return `reject with ${s.with.type} ${code ?? ''}`.trimEnd();
    }
    case 'nat': {
      let r = s.type as string;
      const nf = natFamily(s, fam, t);
      if (nf) r += ` ${nf}`;
      if (s.prefix) r += ' prefix';
      if (s.addr || s.port) {
        r += ' to ';
        if (s.addr) {
          const pa = prefixOfRange(s.addr);
          const a = expr(pa, fam);
          // nat_stmt_print: an IPv6 address or range of them in brackets before a port (a range
          // that is a prefix is listed as one, without: `2001:db8::/64:80`).
          const v6 = pa.kind === 'range' ? addrIs6(pa.low) : pa.kind === 'value' && addrIs6(pa);
          if (v6 && s.port && pa.kind === 'range') r += `[${expr(pa.low, fam)}]-[${expr(pa.high, fam)}]`;
          else r += v6 && s.port ? `[${a}]` : a;
        }
        if (s.port) r += `:${expr(s.port, fam)}`;
      }
      if (s.flags?.length) r += ` ${s.flags.join(',')}`;
      return r;
    }
    case 'notrack':
      return 'notrack';
    case 'set':
      return `${expr(s.target, fam)} set ${expr(retype(s.value, s.target), fam)}`;
    case 'dynset': {
      let r = `${s.op} @${s.set} { ${expr(s.key, fam)}`;
      if (s.timeout !== undefined) r += ` timeout ${formatTime(s.timeout)}`;
      // nft_dynset_dump sends the element's expressions as templates: a counter without state.
      for (const x of s.stmts ?? []) r += x.kind === 'counter' ? ' counter' : ` ${stmt(x, fam, t)}`;
      if (s.data) r += ` : ${expr(s.data, fam)}`;
      return `${r} }`;
    }
    case 'flow':
      return `flow add @${s.flowtable}`;
    case 'synproxy': {
      let r = 'synproxy';
      if (s.mss !== undefined) r += ` mss ${s.mss}`;
      if (s.wscale !== undefined) r += ` wscale ${s.wscale}`;
      if (s.flags?.length) r += ` ${s.flags.join(' ')}`;
      return r;
    }
    case 'dup':
    case 'fwd': {
      let r = s.kind as string;
      if (s.family) r += ` ${s.family}`;
      r += ' to';
      if (s.addr) r += ` ${expr(s.addr, fam)}`;
      if (s.dev) r += s.addr ? ` device ${expr(s.dev, fam)}` : ` ${expr(s.dev, fam)}`;
      return r;
    }
    case 'tproxy': {
      // tproxy_stmt_print (statement.c): the family only in inet tables, then ` ADDR` and `:PORT`.
      let r = 'tproxy';
      if (fam === 'inet' && s.family) r += ` ${s.family}`;
      r += ' to';
      // An IPv6 address in brackets, port or not.
      if (s.addr)
        r += s.addr.kind === 'value' && addrIs6(s.addr) ? ` [${expr(s.addr, fam)}]` : ` ${expr(s.addr, fam)}`;
      if (s.port) r += `${s.addr ? '' : ' '}:${expr(s.port, fam)}`;
      return r;
    }
    case 'other':
      return s.text;
  }
}

/**
 * The family a snat/dnat statement carries when nft lists it (netlink_delinearize.c keeps the
 * kernel's NFTA_NAT_FAMILY in inet tables and for address . port maps and prefixes anywhere;
 * statement.c and json.c print it then), or undefined.
 */
export function natFamily(
  s: Extract<NftStmt, { kind: 'nat' }>,
  fam: NftFamily,
  t: NftTable | undefined,
): 'ip' | 'ip6' | undefined {
  if (
    (s.type === 'snat' || s.type === 'dnat') &&
    s.addr &&
    (fam === 'inet' || s.prefix || natConcat(s.addr, t))
  )
    return s.family ?? (addrIs6(s.addr) ? 'ip6' : 'ip');
  return undefined;
}

/** An IPv4 address range that is exactly a prefix lists as the prefix (`snat to 192.168.3.0/24`). */
function prefixOfRange(e: NftExpr): NftExpr {
  if (e.kind !== 'range' || e.low.kind !== 'value' || e.high.kind !== 'value') return e;
  if (e.low.type === 'ipv6_addr') {
    // The same for IPv6 (`2001:db8::-2001:db8::ffff` lists as `2001:db8::/112`).
    const big = (v: number | string): bigint | undefined => {
      const g = typeof v === 'string' ? parseIpv6(v) : undefined;
      return g ? g.reduce((a, x) => (a << 16n) | BigInt(x), 0n) : undefined;
    };
    const [lo, hi] = [big(e.low.value), big(e.high.value)];
    if (lo === undefined || hi === undefined || hi <= lo) return e;
    const size = hi - lo + 1n;
    if ((size & (size - 1n)) !== 0n || lo % size !== 0n) return e;
    return { kind: 'prefix', value: e.low, len: 128 - (size.toString(2).length - 1) };
  }
  if (e.low.type !== 'ipv4_addr') return e;
  const [lo, hi] = [e.low.value, e.high.value];
  if (typeof lo !== 'number' || typeof hi !== 'number' || hi <= lo) return e;
  const size = hi - lo + 1;
  const len = 32 - Math.log2(size);
  return Number.isInteger(len) && lo % size === 0 ? { kind: 'prefix', value: e.low, len } : e;
}

function natConcat(addr: NftExpr, t: NftTable | undefined): boolean {
  if (addr.kind !== 'map') return false;
  // Concatenated data, or address intervals (`: 192.168.2.0/24`, `: 10.0.0.2-10.0.0.4`): the real
  // nft 1.0.6 lists these with the family (`snat ip to ip saddr map { … }`).
  if (addr.map.kind === 'set')
    return addr.map.elements.some(
      (e) => e.data?.kind === 'concat' || e.data?.kind === 'range' || e.data?.kind === 'prefix',
    );
  if (addr.map.kind === 'setref') {
    const name = addr.map.name;
    const set = t?.sets.find((x) => x.name === name);
    return (set?.data?.types.length ?? 1) > 1;
  }
  return false;
}

function addrIs6(e: NftExpr): boolean {
  if (e.kind === 'value') return e.type === 'ipv6_addr';
  if (e.kind === 'range') return addrIs6(e.low);
  if (e.kind === 'prefix') return addrIs6(e.value);
  return false;
}

/**
 * What an integer compared with `l` lists as when its own type does not say: nft types a raw
 * payload and its constants xinteger (`@nh,8,8 0xff`), `comp flags` bitmask (hex too, proto.c) and
 * `socket mark` mark (socket.c).
 */
function integerAs(l: NftExpr): string | undefined {
  if (l.kind === 'rawpayload') return 'xinteger';
  // `meta time` is nft's date type: a number of seconds lists as a date (UTC, the zone here).
  if (l.kind === 'meta' && l.key === 'time') return 'date';
  if (l.kind === 'payload' && l.proto === 'comp' && l.field === 'flags') return 'xinteger';
  if (l.kind === 'misc' && l.words === 'socket mark') return 'mark';
  if (l.kind === 'binop') return integerAs(l.left);
  return undefined;
}

/** `r` with its integer constants typed as compared with `l` lists them (integerAs). */
function retype(r: NftExpr, l: NftExpr): NftExpr {
  if (l.kind === 'concat') {
    if (r.kind === 'concat' && r.items.length === l.items.length)
      return { ...r, items: r.items.map((x, i) => retype(x, l.items[i]!)) };
  } else if (integerAs(l) === undefined) return r;
  switch (r.kind) {
    case 'value':
      if (integerAs(l) === 'date')
        return r.type === 'time' && typeof r.value === 'number'
          ? { ...r, type: 'time', value: formatDate(r.value / 1000) }
          : r;
      return r.type === 'integer' && (typeof r.value === 'number' || /^[0-9]+$/.test(r.value))
        ? { ...r, type: integerAs(l)! }
        : r;
    case 'range':
      return { ...r, low: retype(r.low, l), high: retype(r.high, l) };
    case 'prefix':
      return { ...r, value: retype(r.value, l) };
    case 'set':
      return { ...r, elements: r.elements.map((e) => ({ ...e, key: retype(e.key, l) })) };
    default:
      return r;
  }
}

function match(m: Extract<NftStmt, { kind: 'match' }>, fam: NftFamily): string {
  let l = m.left;
  if (l.kind === 'binop' && integerAs(l.left) !== undefined) l = { ...l, right: retype(l.right, l.left) };
  // A set's elements under a raw payload's mask list as plain integers (`@th,0,8 & 0xe0 == { 32,
  // 64 }`), its single values and ranges in hex.
  const rawMasked = l.kind === 'binop' && l.left.kind === 'rawpayload' && m.right.kind === 'set';
  const s = { ...m, left: l, right: rawMasked ? m.right : retype(m.right, l) };
  const lt = expr(l, fam);
  // A flag mask (nft 1.0.6's relational print of `X & M OP V` for bitmask types, as the real nft
  // lists them): `tcp flags syn,ack` (any of M), `tcp flags &
  // syn == syn` (one flag), `tcp flags syn / syn,ack`, `tcp flags != syn / fin,syn`.
  if (
    l.kind === 'binop' &&
    l.op === '&' &&
    BITMASK_TYPES.has(exprType(l.left) ?? '') &&
    l.right.kind === 'value' &&
    typeof l.right.value === 'number' &&
    s.right.kind === 'value' &&
    typeof s.right.value === 'number' &&
    (s.op === '==' || s.op === 'implicit' || s.op === '!=')
  ) {
    const [x, m, v] = [expr(l.left, fam), l.right.value, s.right.value];
    const [mt, vt] = [expr(l.right, fam), expr(s.right, fam)];
    const eq = s.op !== '!=';
    const single = (n: number): boolean => n !== 0 && (n & (n - 1)) === 0;
    // A mask of all the field's bits goes (`tcp flags & 0xff == syn | ack` lists as `tcp flags ==
    // 0x12`): one flag by its name, others in hex.
    const bits = exprBits(l.left);
    if (bits < 32 && m === 2 ** bits - 1)
      return `${x} ${eq ? '==' : '!='} ${single(v) ? vt : `0x${v.toString(16)}`}`;
    if (v === 0) return eq ? `${x} ! ${mt}` : `${x} ${mt}`;
    if (m === v && single(m)) return `${x} & ${mt} ${eq ? '==' : '!='} ${vt}`;
    return eq ? `${x} ${vt} / ${mt}` : `${x} != ${vt} / ${mt}`;
  }
  // An address or mark under a prefix mask lists as a prefix (netlink_delinearize.c
  // relational_binop_postprocess, types with DTYPE_F_PREFIX): `ip saddr & 255.255.0.0 == 10.1.0.0`
  // as `ip saddr 10.1.0.0/16`, a mask of all ones as the value alone.
  if (
    l.kind === 'binop' &&
    l.op === '&' &&
    l.right.kind === 'value' &&
    s.right.kind === 'value' &&
    (s.op === '==' || s.op === 'implicit' || s.op === '!=')
  ) {
    const t = exprType(l.left);
    const width = t === 'ipv6_addr' ? 128 : t === 'ipv4_addr' || t === 'mark' ? 32 : 0;
    const big = (v: number | string): bigint | undefined => {
      if (typeof v === 'number') return BigInt(v >>> 0);
      const g = parseIpv6(v);
      return g ? g.reduce((a, x) => (a << 16n) | BigInt(x), 0n) : undefined;
    };
    const m = width ? big(l.right.value) : undefined;
    if (m !== undefined) {
      const inv = ~m & ((1n << BigInt(width)) - 1n);
      if ((inv & (inv + 1n)) === 0n) {
        const len = width - (inv === 0n ? 0 : inv.toString(2).length);
        const v = expr(s.right, fam);
        return `${expr(l.left, fam)}${s.op === '!=' ? ' != ' : ' '}${len === width ? v : `${v}/${len}`}`;
      }
    }
  }
  if (s.right.kind === 'set' || s.right.kind === 'setref') {
    // Flags in an anonymous set, and the mask before it, list as `syn | ack`.
    const flags = BITMASK_TYPES.has(exprType(l.kind === 'binop' ? l.left : l) ?? '');
    const outer = orFlags;
    orFlags = flags;
    try {
      const left =
        flags && l.kind === 'binop' && l.op === '&' && l.right.kind === 'value'
          ? `${expr(l.left, fam)} & ${bitsOr(l.right)}`
          : lt;
      // nft's must_print_eq_op: a binary operation on the left prints `==`.
      const op =
        (s.op === 'implicit' || s.op === '==') && l.kind === 'binop' && !flags
          ? ' == '
          : s.op === 'implicit' || (s.op === '==' && left === lt)
            ? ' '
            : ` ${s.op} `;
      return `${left}${op}${s.right.kind === 'set' ? setElems(s.right.elements, fam, undefined, true) : '@' + s.right.name}`;
    } finally {
      orFlags = outer;
    }
  }
  // A compare with `==`/`!=` of a bitmask value of several flags (nft 1.0.6): a header's field
  // lists the value in hex (payload_match_expand leaves it a value: `tcp flags == 0x9`), ct's as
  // its flags joined by ` | ` without `==` (bitmask_expr_to_binops: `ct state established |
  // related`).
  if (
    (s.op === '==' || s.op === '!=') &&
    s.right.kind === 'value' &&
    typeof s.right.value === 'number' &&
    BITMASK_TYPES.has(s.right.type) &&
    (s.right.value & (s.right.value - 1)) !== 0
  ) {
    const v = s.right.value;
    if (l.kind === 'payload') return `${lt} ${s.op} 0x${v.toString(16)}`;
    if (l.kind === 'ct')
      return `${lt}${s.op === '!=' ? ' != ' : ' '}${valueText(s.right.type, v).split(',').join(' | ')}`;
  }
  let op: string;
  if (s.op === 'implicit') op = l.kind === 'binop' && s.right.kind === 'range' ? ' == ' : ' ';
  else if (s.op === '==') {
    const rt = s.right.kind === 'value' ? s.right.type : undefined;
    op = (rt !== undefined && BITMASK_TYPES.has(rt)) || l.kind === 'binop' ? ' == ' : ' ';
  } else op = ` ${s.op} `;
  // A range of flag values lists each end's flags in hex joined by `|` (bitmask_expr_to_binops:
  // `ct state 0x1 | 0x2-0x1 | 0x4`), but against a header field's own bits (a value there).
  if (s.right.kind === 'range' && l.kind !== 'payload') {
    const ends = [s.right.low, s.right.high];
    if (ends.every((x) => x.kind === 'value' && typeof x.value === 'number' && BITMASK_TYPES.has(x.type))) {
      const hex = (x: NftExpr): string => {
        const n = (x as { value: number }).value;
        const b: string[] = [];
        for (let k = 0; k < 32; k++)
          if ((n >>> k) & 1) b.push(`0x${(1 << k) >>> 0 ? ((1 << k) >>> 0).toString(16) : '0'}`);
        return b.length ? b.join(' | ') : '0x0';
      };
      const left =
        l.kind === 'binop' && l.op === '&' && l.right.kind === 'value'
          ? `${expr(l.left, fam)} & ${bitsOr(l.right)}`
          : lt;
      return `${left}${op}${hex(ends[0]!)}-${hex(ends[1]!)}`;
    }
  }
  // A mask of several flags before a range is their OR (`tcp flags & (syn | ack) == 0x2-0x4`).
  const masked =
    l.kind === 'binop' &&
    l.op === '&' &&
    l.right.kind === 'value' &&
    BITMASK_TYPES.has(exprType(l.left) ?? '')
      ? `${expr(l.left, fam)} & ${bitsOr(l.right)}`
      : lt;
  return `${masked}${op}${expr(s.right, fam)}`;
}

/** Flags as `syn | ack` while an anonymous set of them prints (expression.c's binop form). */
let orFlags = false;

/** A flag mask as `(fin | syn)`, or `syn` for one flag. */
function bitsOr(v: Extract<NftExpr, { kind: 'value' }>): string {
  const t = valueText(v.type, v.value).split(/,| \| /);
  return t.length > 1 ? `(${t.join(' | ')})` : t[0]!;
}

function mapText(m: NftExpr, fam: NftFamily, key?: NftExpr): string {
  void key;
  if (m.kind === 'setref') return `@${m.name}`;
  if (m.kind === 'set') return setElems(m.elements, fam, undefined, true);
  return expr(m, fam);
}

// ---- expressions ----

export function expr(e: NftExpr, fam: NftFamily): string {
  switch (e.kind) {
    case 'payload':
      return `${e.proto} ${e.field}`;
    case 'rawpayload':
      return `@${e.base},${e.offset},${e.len}`;
    case 'exthdr':
      // An IPv6 extension header's field lists as `frag frag-off` (exthdr.c), its presence as
      // `exthdr frag exists`.
      if (e.hdr === 'exthdr' && e.field && !e.exists) return `${e.name} ${e.field}`;
      return `${e.hdr} ${e.name}${e.field ? ` ${e.field}` : ''}`;
    case 'meta':
      // `meta secpath` is the older name of `meta ipsec` (meta.c), which nft 1.0.6 lists.
      return META_UNQUALIFIED.has(e.key) ? e.key : `meta ${e.key === 'secpath' ? 'ipsec' : e.key}`;
    case 'ct':
      // ct.c: protocol and l3proto are the same both ways; nft 1.0.6 lists them without a direction.
      return `ct ${e.dir && !CT_NO_DIR.has(e.key) ? `${e.dir} ` : ''}${e.family ? `${e.family} ` : ''}${e.key}`;
    case 'fib':
      return `fib ${e.flags.join(' . ')} ${e.result}`;
    case 'numgen':
      return `numgen ${e.mode} mod ${e.mod}${e.offset ? ` offset ${e.offset}` : ''}`;
    case 'hash': {
      let r =
        e.type === 'jhash' && e.expr ? `jhash ${expr(e.expr, fam)} mod ${e.mod}` : `${e.type} mod ${e.mod}`;
      if (e.seed !== undefined) r += ` seed 0x${e.seed.toString(16)}`;
      if (e.offset) r += ` offset ${e.offset}`;
      return r;
    }
    case 'misc':
      // `ipsec in spnum 0 reqid 1`: spnum 0 is the default, which nft's xfrm_expr_print leaves out.
      return e.words.replace(/^ipsec (in|out) spnum 0 /, 'ipsec $1 ');
    case 'binop': {
      // expression.c's binop_arg_print: parentheses only around a looser-binding operand
      const prec = { '<<': 1, '>>': 1, '&': 2, '^': 3, '|': 4 } as const;
      const arg = (a: NftExpr): string =>
        a.kind === 'binop' && prec[e.op] < prec[a.op] ? `(${expr(a, fam)})` : expr(a, fam);
      return `${arg(e.left)} ${e.op} ${arg(e.right)}`;
    }
    case 'value':
      return valueText(e.type, e.value);
    case 'verdict':
      return e.chain !== undefined ? `${e.verdict} ${e.chain}` : e.verdict;
    case 'prefix':
      return `${expr(e.value, fam)}/${e.len}`;
    case 'range': {
      // A range's ends list as numbers, not names (`icmpv6 code 3-66`, `meta day 1-3`: the real
      // nft 1.0.6 here).
      const end = (x: NftExpr): string =>
        x.kind === 'value' && typeof x.value === 'number' && x.type in RANGE_HEX
          ? `0x${x.value.toString(16).padStart(RANGE_HEX[x.type]!, '0')}`
          : x.kind === 'value' &&
              typeof x.value === 'number' &&
              x.type in SYMBOLS &&
              !BITMASK_TYPES.has(x.type)
            ? String(x.value)
            : // A flag type's ends in hex (`tcp flags 0x1-0x40`: nft 1.0.6 here).
              x.kind === 'value' && typeof x.value === 'number' && BITMASK_TYPES.has(x.type)
              ? `0x${x.value.toString(16)}`
              : // Relative times as seconds (`ct expiration 1m-1h` lists as `60s-3600s`).
                x.kind === 'value' && x.type === 'time' && typeof x.value === 'number' && x.value % 1000 === 0
                ? `${x.value / 1000}s`
                : expr(x, fam);
      return `${end(e.low)}-${end(e.high)}`;
    }
    case 'set':
      return setElems(e.elements, fam, undefined, true);
    case 'setref':
      return `@${e.name}`;
    case 'concat':
      return e.items.map((x) => expr(x, fam)).join(' . ');
    case 'map':
      return `${expr(e.key, fam)} map ${mapText(e.map, fam)}`;
    case 'wildcard':
      return '*';
  }
}

export function valueText(type: string, v: number | string): string {
  if (typeof v === 'string') {
    // A classid the reader keeps as written: a plain number lists as a handle.
    if (type === 'classid' && /^(0x[0-9a-f]+|[0-9]+)$/i.test(v) && Number(v) <= 0xffffffff)
      return valueText(type, Number(v));
    // An interface index given as a number (`fib … oif != 0`) lists as one.
    if (type === 'iface_index' && /^[0-9]+$/.test(v)) return v;
    if (type === 'ifname' || type === 'string' || type === 'iface_index' || type === 'time') return `"${v}"`;
    // An integer wider than 2^53 (a decimal string in the model) in hex where its type lists so.
    if (type === 'xinteger' && /^[0-9]+$/.test(v)) return `0x${BigInt(v).toString(16)}`;
    return v;
  }
  switch (type) {
    case 'ipv4_addr':
      return formatIpv4(v);
    case 'ether_addr':
      return formatMac(v);
    case 'mark':
      return `0x${v.toString(16).padStart(8, '0')}`;
    case 'time':
      return formatTime(v);
    case 'hour':
      return `"${formatHour(v)}"`;
    // nft's tchandle_type_print (meta.c): `root`, `none` or `MAJOR:MINOR` in hex.
    case 'classid':
      return v === 0xffffffff
        ? 'root'
        : v === 0
          ? 'none'
          : `${(v >>> 16).toString(16)}:${(v & 0xffff).toString(16)}`;
    // devgroup_type's table is /etc/iproute2/group, whose only stock entry is `default 0`.
    case 'devgroup':
      return v === 0 ? '"default"' : String(v);
    case 'xinteger':
      return `0x${v.toString(16)}`;
    // dscp_type's symbol table is BASE_HEXADECIMAL: a value without a name lists as `0x04`.
    case 'dscp':
      return symbolName(type, v) ?? `0x${v.toString(16).padStart(2, '0')}`;
    case 'inet_proto':
      if (active.numericProto) return String(v);
      break;
    case 'inet_service':
    case 'integer':
    case 'uid':
    case 'gid':
      return String(v);
    default:
      break;
  }
  if (BITMASK_TYPES.has(type)) {
    const t = SYMBOLS[type] ?? [];
    const names: string[] = [];
    let rest = v;
    for (const [n, bit] of t)
      if (v & bit) {
        names.push(n);
        rest &= ~bit;
      }
    if (rest) names.push(`0x${rest.toString(16)}`);
    return names.length ? names.join(orFlags ? ' | ' : ',') : `0x0`;
  }
  if (type === 'day') return symbolName(type, v) !== undefined ? `"${symbolName(type, v)!}"` : String(v);
  // ethertype_tbl is BASE_HEXADECIMAL (proto.c): a type without a name lists as `0x4257`.
  if (type === 'ether_type') return symbolName(type, v) ?? `0x${v.toString(16).padStart(4, '0')}`;
  if (type in SYMBOLS) return symbolName(type, v) ?? String(v);
  return String(v);
}
