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
const TH: Readonly<Record<string, Layout>> = { sport: [T, 0, 16], dport: [T, 16, 16] };
const LAYOUT: Readonly<Record<string, Readonly<Record<string, Layout>>>> = {
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
  return l.kind === 'payload' ? LAYOUT[l.proto]?.[l.field] : undefined;
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
 * `meta mark set`): as in nft 1.0.6, a group of fewer than two does not end there. Bridge and
 * netdev tables are left as written (their `ether type` dependencies, which nft merges too, are not
 * statements here).
 */
export function payloadMergeOrder(stmts: readonly NftStmt[], family: NftFamily): NftStmt[] {
  if (family === 'bridge' || family === 'netdev') return [...stmts];
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
    if (layoutOf(st)) group.push(k);
  });
  if (group.length >= 2) merge();
  if (at.size === 0) return [...stmts];
  const out: NftStmt[] = [];
  stmts.forEach((st, k) => {
    if (gone.has(k)) return;
    const members = at.get(k);
    if (!members) {
      out.push(st);
      return;
    }
    for (const m of members) {
      const s = stmts[m]!;
      // A joined compare lists its fields with `==` where a bitmask would list bare (`tcp flags ==
      // syn`).
      out.push(
        s.kind === 'match' && s.op === 'implicit' && s.left.kind === 'payload' && s.left.field === 'flags'
          ? { ...s, op: '==' }
          : s,
      );
    }
  });
  return out;
}
