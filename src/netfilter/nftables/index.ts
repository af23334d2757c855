// The nftables evaluator's entry point: an nft ruleset's base chains as NfTables (core/table.ts),
// each at its hook and priority, beside the iptables tables. Families ip and inet run for IPv4
// packets (an inet table's IPv6-only rules never match one); netdev tables run at their devices
// (netdev.ts, called by the stack); ip6, arp and bridge tables are read and reported by checkNft.
import type { NftRuleset, NftStmt, NftTable } from '../../rules/nft/model.ts';
import type { NfFrontEnd, NfTable, NfTableEnv } from '../core/table.ts';
import { HOOKS, RtTable } from './compile.ts';
import { NftChainTable } from './table.ts';
import { NetdevTables } from './netdev.ts';
import { NFT_JUMP_STACK_SIZE } from './table.ts';

export { NftChainTable } from './table.ts';
export { NftTracedRule } from './traced-rule.ts';

/** What the ruleset uses that natbox does not evaluate, each at its place (empty: all of it runs). */
export interface NftProblem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly token: string;
  readonly message: string;
  /**
   * 'error' (absent: the same): refused, the loader stops there. 'note': read, and without effect
   * on the IPv4 packets natbox runs (an ip6 table): the loader may go on.
   */
  readonly severity?: 'error' | 'note';
  /** The real nft refuses it too (in its words in `message`): not a gap of natbox's. */
  readonly nftRefuses?: boolean;
}

const evaluated = (t: NftTable): boolean => t.family === 'ip' || t.family === 'inet';

/** The chains a table's jumps and gotos reach deeper than the kernel allows, or in a loop. */
function jumpProblems(t: NftTable): { chain: string; message: string }[] {
  const out: { chain: string; message: string }[] = [];
  const edges = new Map<string, string[]>();
  const targets = (x: unknown, acc: string[]): void => {
    if (!x || typeof x !== 'object') return;
    const o = x as { kind?: string; verdict?: string; chain?: string };
    if ((o.verdict === 'jump' || o.verdict === 'goto') && o.chain) acc.push(o.chain);
    for (const v of Object.values(x)) if (v && typeof v === 'object') targets(v, acc);
  };
  for (const c of t.chains) {
    const acc: string[] = [];
    targets(c.rules, acc);
    for (const s of t.sets) if (s.isMap && s.data?.types[0] === 'verdict' && acc.length >= 0) void s;
    edges.set(c.name, acc);
  }
  // Named verdict maps: any chain using the map reaches their chains.
  for (const c of t.chains) {
    const refs = JSON.stringify(c.rules);
    for (const s of t.sets)
      if (s.isMap && refs.includes(`"name":"${s.name}"`)) {
        const acc: string[] = [];
        targets(s.elements, acc);
        edges.get(c.name)!.push(...acc);
      }
  }
  const depth = new Map<string, number>();
  const onPath = new Set<string>();
  const walk = (c: string): number => {
    const d = depth.get(c);
    if (d !== undefined) return d;
    if (onPath.has(c)) {
      out.push({ chain: c, message: `chain ${c} jumps to itself through other chains (a loop)` });
      return 0;
    }
    onPath.add(c);
    let m = 0;
    for (const n of edges.get(c) ?? []) m = Math.max(m, 1 + walk(n));
    onPath.delete(c);
    depth.set(c, m);
    return m;
  };
  for (const c of t.chains)
    if (c.base && walk(c.name) > NFT_JUMP_STACK_SIZE)
      out.push({
        chain: c.name,
        message: `chains reached from ${c.name} nest deeper than ${NFT_JUMP_STACK_SIZE}`,
      });
  return out;
}

/** Payload protocols below the transport header (a match on them sets no transport context). */
const L3_PROTOS = new Set(['ip', 'ip6', 'ether', 'vlan', 'arp', 'th']);

/** Whether an expression reads a transport header (nft then puts `meta l4proto` before it). */
function readsL4(e: unknown, th: boolean): boolean {
  if (!e || typeof e !== 'object') return false;
  const o = e as { kind?: string; proto?: string };
  if (o.kind === 'payload' && o.proto !== undefined && (!L3_PROTOS.has(o.proto) || (th && o.proto === 'th')))
    return true;
  return Object.values(e).some((v) => readsL4(v, th));
}

/**
 * NAT to a port (`dnat to ADDR:PORT`, `masquerade to :PORT`, `redirect to :PORT`) where nothing
 * before it in the rule names the transport protocol: nft refuses the rule ("transport protocol
 * mapping is only valid after transport protocol match", evaluate.c nat_evaluate_transport), and
 * so does natbox, at the port.
 */
function natPortProblems(
  t: NftTable,
  at: (p: NftStmt['pos']) => Pick<NftProblem, 'file' | 'line' | 'column'>,
): NftProblem[] {
  const out: NftProblem[] = [];
  for (const c of t.chains)
    for (const r of c.rules) {
      let l4 = false;
      for (const s of r.stmts) {
        if (s.kind === 'match') {
          const l = s.left;
          if (
            (l.kind === 'meta' && l.key === 'l4proto') ||
            (l.kind === 'payload' && (l.field === 'protocol' || l.field === 'nexthdr')) ||
            readsL4(l, false)
          )
            l4 = true;
          continue;
        }
        if (s.kind !== 'nat' || s.port === undefined || l4) continue;
        if (readsL4(s.addr, true) || readsL4(s.port, false)) continue;
        out.push({
          ...at(s.port.pos ?? s.pos),
          token: '',
          message: 'transport protocol mapping is only valid after transport protocol match',
          nftRefuses: true,
        });
      }
    }
  return out;
}

export function checkNft(rs: NftRuleset): NftProblem[] {
  const out: NftProblem[] = [];
  const at = (
    pos: { file: string; line: number; column: number } | undefined,
  ): Pick<NftProblem, 'file' | 'line' | 'column'> => ({
    file: pos?.file ?? '<nft>',
    line: pos?.line ?? 1,
    column: pos?.column ?? 1,
  });
  for (const t of rs.tables) {
    if (t.family === 'netdev') {
      // Run at their devices by the stack (netdev.ts), not as hook entries of the engine.
      for (const p of new NetdevTables({ ...rs, tables: [t] }).problems)
        out.push({ ...at(p.pos ?? t.pos), token: p.token, message: p.message, severity: p.severity });
      continue;
    }
    if (!evaluated(t)) {
      const hooked = t.chains.some((c) => c.base);
      // No rule and every base chain's policy accept (iptables-nft's empty ebtables tables): it
      // changes no packet, so natbox leaves it out exactly.
      const inert = t.chains.every((c) => c.rules.length === 0 && (c.base?.policy ?? 'accept') === 'accept');
      out.push({
        ...at(t.pos),
        token: t.family,
        message: `table ${t.family} ${t.name} is read and printed but not simulated (natbox runs IPv4 packets through ip and inet tables)`,
        severity: t.family === 'ip6' || t.family === 'arp' || !hooked || inert ? 'note' : 'error',
      });
      continue;
    }
    for (const c of t.chains) {
      const b = c.base;
      if (!b) continue;
      if (HOOKS[b.hook] === undefined)
        out.push({
          ...at(c.pos),
          token: b.hook,
          message: `the ${b.hook} hook of chain ${c.name} is read and printed but not simulated`,
        });
    }
    out.push(...natPortProblems(t, at));
    for (const j of jumpProblems(t)) {
      const c = t.chains.find((x) => x.name === j.chain);
      out.push({ ...at(c?.pos ?? t.pos), token: j.chain, message: j.message });
    }
    const rt = new RtTable(t, undefined, undefined);
    for (const p of rt.problems)
      out.push({ ...at(p.pos ?? t.pos), token: p.token, message: p.message, severity: p.severity });
  }
  return out;
}

/**
 * Whether the ruleset needs connection tracking: what calls nf_ct_netns_get when loaded (ct
 * expressions and statements, NAT, ct count, flow offload, ct objects, synproxy). `notrack` alone
 * does not (nft_notrack_ops has no init), as iptables' NOTRACK does not; nor does a nat chain
 * without NAT statements (nft_chain_nat registers only the NAT hooks: nf_nat_ipv4_register_fn).
 */
function needsConntrack(rs: NftRuleset): boolean {
  for (const t of rs.tables) {
    if (!evaluated(t)) continue;
    // ct helper, timeout and expectation objects: their init takes conntrack (nf_ct_netns_get).
    if (t.objects.some((o) => o.type.startsWith('ct '))) return true;
    const text = JSON.stringify([t.chains, t.sets]);
    if (/"kind":"(ct|nat|connlimit|flow)"/.test(text)) return true;
  }
  return needsSynproxy(rs);
}

/**
 * The conntrack extensions the ruleset turns on when nft loads it, whatever its family:
 * accounting for `ct bytes|packets|avgpkt` (nft_ct_get_init: nf_ct_set_acct), labels for
 * `ct label` (nf_connlabels_get).
 */
function ctExtensionsOf(rs: NftRuleset): { acct: boolean; labels: boolean } {
  let acct = false;
  let labels = false;
  const walk = (v: unknown): void => {
    if (typeof v !== 'object' || v === null) return;
    if (Array.isArray(v)) {
      for (const x of v) walk(x);
      return;
    }
    const o = v as Record<string, unknown>;
    if (o.kind === 'ct') {
      if (o.key === 'bytes' || o.key === 'packets' || o.key === 'avgpkt') acct = true;
      else if (o.key === 'label') labels = true;
    }
    for (const k in o) if (k !== 'pos') walk(o[k]);
  };
  for (const t of rs.tables) walk(t.chains);
  return { acct, labels };
}

/**
 * Whether a rule has a synproxy statement (nft_synproxy_init: conntrack and SYNPROXY's hooks),
 * inline or by object (`synproxy name ...`). A walk over the rules' statements (and a dynset's, the
 * only statements that hold statements), not a JSON text of the chains: that was most of a 10,000
 * service ruleset's compile time.
 */
function needsSynproxy(rs: NftRuleset): boolean {
  const has = (stmts: readonly NftStmt[]): boolean =>
    stmts.some(
      (s) =>
        s.kind === 'synproxy' ||
        (s.kind === 'objref' && s.type === 'synproxy') ||
        (s.kind === 'dynset' && s.stmts !== undefined && has(s.stmts)),
    );
  for (const t of rs.tables)
    if (evaluated(t) && t.chains.some((c) => c.rules.some((r) => has(r.stmts)))) return true;
  return false;
}

/**
 * The ruleset's base chains as a front end for the engine (NfConfig.frontEnds): one NfTable per
 * base chain of a family natbox evaluates, named `FAMILY TABLE CHAIN` for the trace; a new engine
 * given the tables made for the one it replaces carries rule state (limits, quotas) and the set
 * elements the packet path added over. Rule counters, quota use and named counters are the
 * model's own fields, updated as packets match (what `nft list ruleset` prints).
 */
export function nftFrontEnd(rs: NftRuleset): NfFrontEnd {
  return {
    needsConntrack: needsConntrack(rs),
    needsSynproxy: needsSynproxy(rs),
    ctExtensions: ctExtensionsOf(rs),
    tables(env: NfTableEnv, prev: readonly NfTable[] | undefined): readonly NfTable[] {
      const prevRt = new Map<string, RtTable>();
      for (const p of prev ?? [])
        if (p instanceof NftChainTable) prevRt.set(`${p.rt.table.family} ${p.rt.table.name}`, p.rt);
      const out: NfTable[] = [];
      for (const t of rs.tables) {
        if (!evaluated(t)) continue;
        const rt = new RtTable(t, env, prevRt.get(`${t.family} ${t.name}`));
        for (const c of t.chains)
          if (c.base && HOOKS[c.base.hook] !== undefined) out.push(new NftChainTable(rt, c));
      }
      return out;
    },
  };
}
