// The order nft 1.0.6 lists a rule's payload matches in after its payload merge (rule.c
// stmt_reduce, payload_do_merge; payload.c payload_can_merge). Before a rule goes to the kernel,
// nft joins payload matches against constants that sit side by side in one header into one load
// and compare, and lists the joined compare back field by field, in header order, where the merged
// statement stands. So `tcp dport 2 tcp sport 1` lists as `tcp sport 1 tcp dport 2`, `ip protocol 6
// ip ttl 3` as `ip ttl 3 ip protocol tcp`, while `ip daddr 1.2.3.4 ip saddr 5.6.7.8` stays (two
// 32-bit loads are not joined). Checked against the real nft 1.0.6 (test/rules/nft/nft-c-leftovers).
import type { NftFamily, NftStmt } from './model.ts';

/** Header base (0 link, 1 network, 2 transport), bit offset, bit length, and whether the field
 * names the next protocol (EXPR_F_PROTOCOL: a merge keeps that statement's place). */
type Layout = readonly [base: number, off: number, len: number, key?: boolean];

const N = 1;
const T = 2;
const RAW_BASE: Readonly<Record<string, number>> = { ll: 0, nh: N, th: T };
const TH: Readonly<Record<string, Layout>> = { sport: [T, 0, 16], dport: [T, 16, 16] };
export const LAYOUT: Readonly<Record<string, Readonly<Record<string, Layout>>>> = {
  ip: {
    version: [N, 0, 4],
    hdrlength: [N, 4, 4],
    dscp: [N, 8, 6],
    ecn: [N, 14, 2],
    length: [N, 16, 16],
    id: [N, 32, 16],
    'frag-off': [N, 48, 16],
    ttl: [N, 64, 8],
    protocol: [N, 72, 8, true],
    checksum: [N, 80, 16],
    saddr: [N, 96, 32],
    daddr: [N, 128, 32],
  },
  ip6: {
    version: [N, 0, 4],
    dscp: [N, 4, 6],
    ecn: [N, 10, 2],
    flowlabel: [N, 12, 20],
    length: [N, 32, 16],
    nexthdr: [N, 48, 8, true],
    hoplimit: [N, 56, 8],
    saddr: [N, 64, 128],
    daddr: [N, 192, 128],
  },
  arp: {
    htype: [N, 0, 16],
    ptype: [N, 16, 16],
    hlen: [N, 32, 8],
    plen: [N, 40, 8],
    operation: [N, 48, 16],
    'saddr ether': [N, 64, 48],
    'saddr ip': [N, 112, 32],
    'daddr ether': [N, 144, 48],
    'daddr ip': [N, 192, 32],
  },
  tcp: {
    ...TH,
    sequence: [T, 32, 32],
    ackseq: [T, 64, 32],
    doff: [T, 96, 4],
    reserved: [T, 100, 4],
    flags: [T, 104, 8],
    window: [T, 112, 16],
    checksum: [T, 128, 16],
    urgptr: [T, 144, 16],
  },
  udp: { ...TH, length: [T, 32, 16], checksum: [T, 48, 16] },
  udplite: { ...TH, csumcov: [T, 32, 16], checksum: [T, 48, 16] },
  th: TH,
  sctp: { ...TH, vtag: [T, 32, 32], checksum: [T, 64, 32] },
  dccp: TH,
  icmp: {
    type: [T, 0, 8],
    code: [T, 8, 8],
    checksum: [T, 16, 16],
    id: [T, 32, 16],
    sequence: [T, 48, 16],
    gateway: [T, 32, 32],
    mtu: [T, 48, 16],
  },
  icmpv6: {
    type: [T, 0, 8],
    code: [T, 8, 8],
    checksum: [T, 16, 16],
    id: [T, 32, 16],
    sequence: [T, 48, 16],
    mtu: [T, 32, 32],
    'max-delay': [T, 32, 16],
  },
};

/** The layout of a statement nft would put in a merge group, or undefined. */
function layoutOf(st: NftStmt): Layout | undefined {
  if (st.kind !== 'match' || st.right.kind !== 'value') return undefined;
  if (st.op !== 'implicit' && st.op !== '==' && st.op !== '!=') return undefined;
  const l = st.left;
  // A raw load of whole bytes joins as a field does (raw-payload.ts lists the joined compare).
  const lay =
    l.kind === 'payload'
      ? LAYOUT[l.proto]?.[l.field]
      : l.kind === 'rawpayload' && l.base in RAW_BASE
        ? ([RAW_BASE[l.base]!, l.offset, l.len] as const)
        : undefined;
  // A field of whole bytes: nft compares the others under a mask (a binary operation, no merge).
  return lay && lay[1] % 8 === 0 && lay[2] % 8 === 0 ? lay : undefined;
}

/** The protocol numbers of `meta l4proto` dependencies. */
const L4PROTO: Readonly<Record<string, number>> = {
  tcp: 6,
  udp: 17,
  udplite: 136,
  sctp: 132,
  dccp: 33,
  icmp: 1,
  icmpv6: 58,
};

/**
 * The dependency nft put before the first match of a transport header (`meta l4proto tcp`): when
 * the merge moves that match away, the dependency stays where it was (and is listed unless a
 * match of its protocol follows it: normalise.ts).
 */
function dependencyOf(st: NftStmt): NftStmt | undefined {
  if (st.kind !== 'match' || st.left.kind !== 'payload') return undefined;
  const p = st.left.proto;
  if (p in L4PROTO)
    return {
      kind: 'match',
      left: { kind: 'meta', key: 'l4proto' },
      op: 'implicit',
      right: { kind: 'value', type: 'inet_proto', value: L4PROTO[p]! },
    };
  // (inet's `meta nfproto` dependency of a network header is not put back: nft drops it for any
  // later match of that header, which a moved match always is.)
  return undefined;
}

/**
 * Whether a statement before `k` already names the transport protocol of the match at `k` (`meta
 * l4proto udp`, `ip protocol 17`, `ip6 nexthdr 17`): nft then put no dependency before it.
 */
function established(stmts: readonly NftStmt[], k: number): boolean {
  const st = stmts[k]!;
  const want = st.kind === 'match' && st.left.kind === 'payload' ? L4PROTO[st.left.proto] : undefined;
  if (want === undefined) return false;
  return stmts.slice(0, k).some((x) => {
    if (x.kind !== 'match' || (x.op !== 'implicit' && x.op !== '==') || x.right.kind !== 'value')
      return false;
    const l = x.left;
    const names =
      (l.kind === 'meta' && l.key === 'l4proto') ||
      (l.kind === 'payload' &&
        ((l.proto === 'ip' && l.field === 'protocol') || (l.proto === 'ip6' && l.field === 'nexthdr')));
    return names && x.right.value === want;
  });
}

/** payload_can_merge: adjacent, whole bytes, one register, and worth it past 32 bits. */
function canMerge(a: Layout, b: Layout): boolean {
  if (a[0] !== b[0] || a[1] + a[2] !== b[1]) return false;
  if (a[1] % 8 || a[2] % 8 || b[1] % 8 || b[2] % 8) return false;
  const total = a[2] + b[2];
  if (total > 128) return false;
  return total <= 32 || a[0] === 0 || a[2] > 32 || b[2] > 32;
}

const sameOp = (a: NftStmt, b: NftStmt): boolean => {
  const op = (s: NftStmt): string => (s.kind === 'match' ? (s.op === 'implicit' ? '==' : s.op) : '');
  return op(a) === op(b);
};

/**
 * The statements in the order nft 1.0.6 lists them after its payload merge. Groups are the payload
 * matches against constants between statements that are not expressions (a counter, a verdict,
 * `meta mark set`): as in nft 1.0.6, a group of fewer than two does not end there. The first of a joined `!=` group carries neqJoin (the evaluator's one compare).
 * `dependencies`: put a moved transport match's `meta l4proto` back where it stood (the text
 * reader, whose dependency step drops it again where nft does); the JSON reader keeps its
 * statements as given.
 */
export function payloadMergeOrder(
  stmts: readonly NftStmt[],
  family: NftFamily,
  dependencies = true,
): NftStmt[] {
  // In bridge and netdev tables the link layer's fields stay as written: nft merges them with the
  // hidden `ether type` dependencies of later matches (vlan's, bridge arp's), which are not
  // statements here. The network and transport headers' dependencies there are `meta protocol`
  // and `meta l4proto`, as in the other families.
  const ll = family === 'bridge' || family === 'netdev';
  // Per statement index: the index whose place its merged compare takes (-1: removed into
  // another), and per kept place, the statements listed there in header order.
  const at = new Map<number, number[]>();
  const gone = new Set<number>();
  let group: number[] = [];
  const merge = (): void => {
    const g = [...group].sort((x, y) => {
      const a = layoutOf(stmts[x]!)!;
      const b = layoutOf(stmts[y]!)!;
      return a[0] - b[0] || a[1] - b[1];
    });
    // The running merged compare: its layout, its place, its members.
    let last = g[0]!;
    let lay = layoutOf(stmts[last]!)!;
    let members = [last];
    let key = lay[3] === true;
    const close = (): void => {
      if (members.length > 1) {
        at.set(last, members);
        for (const m of members) if (m !== last) gone.add(m);
      }
    };
    for (let i = 1; i < g.length; i++) {
      const k = g[i]!;
      const l = layoutOf(stmts[k]!)!;
      if (!canMerge(lay, l) || !sameOp(stmts[last]!, stmts[k]!)) {
        close();
        last = k;
        lay = l;
        members = [k];
        key = l[3] === true;
        continue;
      }
      lay = [lay[0], lay[1], lay[2] + l[2]];
      members.push(k);
      // The statement naming the next protocol keeps its place (payload_do_merge's swap).
      if (l[3] === true && !key) {
        last = k;
        key = true;
      }
    }
    close();
  };
  stmts.forEach((st, k) => {
    if (st.kind !== 'match' && st.kind !== 'vmap') {
      if (group.length >= 2) {
        merge();
        group = [];
      }
      return;
    }
    const lay = layoutOf(st);
    if (lay && !(ll && lay[0] === 0)) group.push(k);
  });
  if (group.length >= 2) merge();
  if (at.size === 0) return [...stmts];
  // The first match of each protocol's header, in the order written.
  const first = new Map<string, number>();
  stmts.forEach((st, k) => {
    const p = st.kind === 'match' && st.left.kind === 'payload' ? st.left.proto : undefined;
    if (p !== undefined && !first.has(p)) first.set(p, k);
  });
  const firsts = new Set(first.values());
  const out: NftStmt[] = [];
  stmts.forEach((st, k) => {
    if (gone.has(k)) {
      const dep = dependencies && firsts.has(k) && !established(stmts, k) ? dependencyOf(st) : undefined;
      if (dep) out.push(dep);
      return;
    }
    const members = at.get(k);
    if (!members) {
      out.push(st);
      return;
    }
    members.forEach((m, j) => {
      const s = stmts[m]!;
      // A joined compare lists its fields with `==` where a bitmask would list bare (`tcp flags ==
      // syn`); a joined `!=` holds when any field differs (neqJoin on its first).
      out.push(
        s.kind === 'match' && s.op === 'implicit' && s.left.kind === 'payload' && s.left.field === 'flags'
          ? { ...s, op: '==' }
          : s.kind === 'match' && s.op === '!=' && j === 0
            ? { ...s, neqJoin: members.length }
            : s,
      );
    });
  });
  return out;
}
