// The nftables evaluator's entry point: an nft ruleset's base chains as NfTables (core/table.ts),
// each at its hook and priority, beside the iptables tables. Families ip and inet run for IPv4
// packets (an inet table's IPv6-only rules never match one); netdev tables run at their devices
// (netdev.ts, called by the stack); ip6, arp and bridge tables are read and reported by checkNft.
import type { NftExpr, NftRuleset, NftSet, NftSetElem, NftStmt, NftTable } from '../../rules/nft/model.ts';
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

// What loading a ruleset turns on (nftFrontEnd): one typed walk over every statement and
// expression of the ruleset's rules and sets (uses()), not a JSON text or a generic walk over
// the objects (most of a 10,000-service ruleset's compile time).

/** An expression or statement that takes conntrack when loaded: ct, nat, ct count, flow add. */
const U_CONNTRACK = 1;
/** `ct bytes|packets|avgpkt` (nft_ct_get_init: nf_ct_set_acct). */
const U_ACCT = 2;
/** `ct label` (nf_connlabels_get). */
const U_LABELS = 4;
/** A synproxy statement, inline or by object (nft_synproxy_init). */
const U_SYNPROXY = 8;
/** The frame's MAC header: `ether` fields, `meta pkttype` (the host fills them in: ip4.ts). */
const U_LINK = 16;

function exprUses(e: NftExpr): number {
  switch (e.kind) {
    case 'ct':
      return (
        U_CONNTRACK |
        (e.key === 'bytes' || e.key === 'packets' || e.key === 'avgpkt'
          ? U_ACCT
          : e.key === 'label'
            ? U_LABELS
            : 0)
      );
    case 'hash':
      return e.expr ? exprUses(e.expr) : 0;
    case 'binop':
      return exprUses(e.left) | exprUses(e.right);
    case 'prefix':
      return exprUses(e.value);
    case 'range':
      return exprUses(e.low) | exprUses(e.high);
    case 'set':
      return elemsUses(e.elements);
    case 'concat': {
      let u = 0;
      for (const x of e.items) u |= exprUses(x);
      return u;
    }
    case 'map':
      return exprUses(e.key) | exprUses(e.map);
    case 'payload':
      return e.proto === 'ether' ? U_LINK : 0;
    case 'meta':
      return e.key === 'pkttype' ? U_LINK : 0;
    case 'rawpayload':
    case 'exthdr':
    case 'fib':
    case 'numgen':
    case 'misc':
    case 'value':
    case 'verdict':
    case 'setref':
    case 'wildcard':
      return 0;
    default:
      return unknownKind(e);
  }
}

/** Set elements: keys, data and their statements (a synproxy there is none of nft's). */
function elemsUses(elems: readonly NftSetElem[]): number {
  let u = 0;
  for (const el of elems) {
    u |= exprUses(el.key);
    if (el.data) u |= exprUses(el.data);
    if (el.stmts) u |= stmtsUses(el.stmts) & ~U_SYNPROXY;
  }
  return u;
}

function stmtsUses(stmts: readonly NftStmt[]): number {
  let u = 0;
  for (const s of stmts) u |= stmtUses(s);
  return u;
}

function stmtUses(s: NftStmt): number {
  switch (s.kind) {
    case 'match':
      return exprUses(s.left) | exprUses(s.right);
    case 'vmap':
      return exprUses(s.key) | exprUses(s.map);
    case 'queue':
      return s.num ? exprUses(s.num) : 0;
    case 'objref':
      return exprUses(s.name) | (s.type === 'synproxy' ? U_SYNPROXY : 0);
    case 'nat':
      return U_CONNTRACK | (s.addr ? exprUses(s.addr) : 0) | (s.port ? exprUses(s.port) : 0);
    case 'connlimit':
    case 'flow':
      return U_CONNTRACK;
    case 'synproxy':
      return U_SYNPROXY;
    case 'set':
      return exprUses(s.target) | exprUses(s.value);
    case 'dynset':
      return exprUses(s.key) | (s.data ? exprUses(s.data) : 0) | (s.stmts ? stmtsUses(s.stmts) : 0);
    case 'dup':
    case 'fwd':
      return (s.addr ? exprUses(s.addr) : 0) | (s.dev ? exprUses(s.dev) : 0);
    case 'tproxy':
      return (s.addr ? exprUses(s.addr) : 0) | (s.port ? exprUses(s.port) : 0);
    case 'verdict':
    case 'counter':
    case 'limit':
    case 'quota':
    case 'last':
    case 'log':
    case 'reject':
    case 'notrack':
    case 'other':
      return 0;
    default:
      return unknownKind(s);
  }
}

/** A kind the model does not have (tsc checks the switches are complete). */
function unknownKind(x: never): number {
  throw new Error(`nft: unknown expression or statement kind ${(x as { kind: string }).kind}`);
}

/** A named set's uses: its key and data `typeof` expressions, its statements and its elements. */
function setUses(s: NftSet): number {
  let u = elemsUses(s.elements);
  for (const x of s.key.typeof ?? []) u |= exprUses(x);
  for (const x of s.data?.typeof ?? []) u |= exprUses(x);
  if (s.stmts) u |= stmtsUses(s.stmts) & ~U_SYNPROXY;
  return u;
}

/**
 * What loading the ruleset turns on, in one walk over its rules (and, when that decides it, its
 * sets):
 * - conntrack: what calls nf_ct_netns_get when loaded in a table natbox evaluates (a nat chain, ct
 *   expressions and statements, NAT, ct count, flow offload, ct objects, synproxy). `notrack` alone
 *   does not (nft_notrack_ops has no init), as iptables' NOTRACK does not;
 * - synproxy: a synproxy statement in a rule of such a table, inline or by object
 *   (nft_synproxy_init: conntrack and SYNPROXY's hooks);
 * - the conntrack extensions, whatever the table's family: accounting for `ct
 *   bytes|packets|avgpkt` (nft_ct_get_init: nf_ct_set_acct), labels for `ct label`
 *   (nf_connlabels_get), in rules.
 */
export function rulesetUses(rs: NftRuleset): {
  conntrack: boolean;
  synproxy: boolean;
  acct: boolean;
  labels: boolean;
} {
  let conntrack = false;
  let synproxy = false;
  let ext = 0;
  for (const t of rs.tables) {
    let u = 0;
    for (const c of t.chains) for (const r of c.rules) u |= stmtsUses(r.stmts);
    ext |= u;
    if (!evaluated(t)) continue;
    if (u & U_SYNPROXY) synproxy = true;
    if (
      conntrack ||
      u & U_CONNTRACK ||
      // Not a nat chain without NAT statements: nft_chain_nat registers only the NAT hooks
      // (nf_nat_ipv4_register_fn), and only the statements take conntrack (nf_ct_netns_get).
      // ct helper, timeout and expectation objects: their init takes conntrack (nf_ct_netns_get).
      t.objects.some((o) => o.type.startsWith('ct '))
    ) {
      conntrack = true;
      continue;
    }
    for (const s of t.sets)
      if (setUses(s) & U_CONNTRACK) {
        conntrack = true;
        break;
      }
  }
  return {
    conntrack: conntrack || synproxy,
    synproxy,
    acct: (ext & U_ACCT) !== 0,
    labels: (ext & U_LABELS) !== 0,
  };
}

/**
 * Whether the rules of a table natbox evaluates read the frame's MAC header (`ether saddr`, `meta
 * pkttype`): the host then keeps it with each packet (Ip4.setLinkLayer), as -m mac makes it.
 */
export function nftReadsLinkLayer(rs: NftRuleset | undefined): boolean {
  for (const t of rs?.tables ?? [])
    if (evaluated(t))
      for (const c of t.chains) for (const r of c.rules) if (stmtsUses(r.stmts) & U_LINK) return true;
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
  const uses = rulesetUses(rs);
  return {
    needsConntrack: uses.conntrack,
    needsSynproxy: uses.synproxy,
    ctExtensions: { acct: uses.acct, labels: uses.labels },
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
