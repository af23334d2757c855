// The ruleset as `nft list ruleset` shows it after traffic: the model (its rule and element counters
// already count, compile.ts) with each named set's run-time contents (sets.ts RtSet): the elements
// the packet path added (`add @s { ip saddr }`, `update @s { ... timeout 30s }`, the map statement
// `add @m { k : v }`, nft_dynset_new), those it deleted or that expired left out, and the time left
// of each element that expires. What the kernel dumps per element (nf_tables_fill_setelem): the
// key, the data, the element's expressions (a counter with its packets and bytes), the element's
// timeout when it is not the set's own, and its expiry when it has a timeout; nft 1.0.6 prints
// them in that order (set_elem_expr_print: key, statements, timeout, expires, then `: data`).
import type { NfTable } from '../core/table.ts';
import type { CtAccess } from '../core/skb.ts';
import type { NftExpr, NftRuleset, NftSet, NftSetElem, NftStmt, NftTable } from '../../rules/nft/model.ts';
import type { RtSet } from './sets.ts';
import { NftChainTable } from './table.ts';
import type { RtTable } from './compile.ts';

/**
 * `rs` as the kernel lists it at `now` (seconds of simulation time), the state of `tables` (the
 * engine's front-end tables, Netfilter.frontEndTables) in it. The model is not changed. `ct`: the
 * conntrack table, for the elements with a `ct count` (left out once they count nothing).
 * `netdev`: the netdev tables' run-time state (netdev.ts NetdevTables.rtTables).
 */
export function listedRuleset(
  rs: NftRuleset,
  tables: readonly NfTable[],
  now: number,
  ct?: CtAccess,
  netdev: readonly RtTable[] = [],
): NftRuleset {
  const rts = new Map<string, RtTable>();
  for (const t of tables)
    if (t instanceof NftChainTable) rts.set(`${t.rt.table.family} ${t.rt.table.name}`, t.rt);
  // The netdev tables run outside the engine (netdev.ts NetdevTables, at the host's devices).
  for (const rt of netdev) rts.set(`${rt.table.family} ${rt.table.name}`, rt);
  return {
    ...rs,
    tables: rs.tables.map((t): NftTable => {
      const rt = rts.get(`${t.family} ${t.name}`);
      if (!rt) return t;
      return { ...t, sets: t.sets.map((s) => listedSet(s, rt, rt.sets.get(s.name), now, ct)) };
    }),
  };
}

/** Milliseconds left before `at` (seconds), as nf_tables_fill_setelem's expiration. */
const msLeft = (at: number, now: number): number => Math.max(0, Math.round((at - now) * 1000));

function listedSet(
  s: NftSet,
  table: RtTable,
  rt: RtSet | undefined,
  now: number,
  ct: CtAccess | undefined,
): NftSet {
  if (!rt || rt.anon) return s;
  const out: NftSetElem[] = [];
  // The declared elements hold slots 0 .. n-1 (buildSet), in their order.
  s.elements.forEach((el, slot) => {
    const at = rt.expiryOf(slot);
    if (Number.isNaN(at) || at <= now) return; // deleted (`delete @s`), or expired
    // A declared element with no statement of its own in a set with `counter` has the set's
    // counter (nf_tables_api.c nft_set_elem_expr_setup clones the set's expressions), which a
    // lookup counts (nft_lookup_eval: nft_set_elem_update_expr).
    const elx: NftSetElem =
      rt.cfg.counters && !el.stmts?.length
        ? { ...el, stmts: [{ kind: 'counter', packets: rt.packets[slot]!, bytes: rt.bytes[slot]! }] }
        : el;
    if (at === Infinity) out.push(elx);
    else {
      // Its timeout (its own or the set's, nft_add_set_elem) shown when not the set's own.
      const { timeout, expires: _, ...rest } = elx;
      out.push({
        ...rest,
        ...(timeout !== undefined && timeout !== (s.timeout ?? 0) ? { timeout } : {}),
        expires: msLeft(at, now),
      });
    }
  });
  const w = rt.cfg.strFields.length;
  const names = rt.cfg.strFields.some((x) => x) ? [...rt.intern.keys()] : [];
  for (const slot of rt.added) {
    if (slot < s.elements.length) continue;
    const at = rt.expiryOf(slot);
    if (Number.isNaN(at) || at <= now) continue;
    // An element whose `ct count` counts no connection any more: the set's gc (nft_rhash_gc, every
    // second for a dynamic set: nft_set_gc_interval) removes it (nft_rhash_expr_needs_gc_run,
    // nft_connlimit_gc). natbox takes it as gone at once; the kernel's within a second.
    const cl = rt.creators[slot]?.stmts?.find((x) => x.kind === 'connlimit');
    const st = cl && table.connState.get(cl);
    if (ct && st && st.alive(slot, ct, now) === 0) continue;
    const fields: NftExpr[] = [];
    for (let i = 0; i < w; i++) {
      const v = rt.keyWords[slot * w + i]!;
      fields.push(
        rt.cfg.strFields[i]
          ? { kind: 'value', type: s.key.types[i] ?? 'ifname', value: names[v] ?? '' }
          : { kind: 'value', type: s.key.types[i] ?? 'integer', value: v },
      );
    }
    const key: NftExpr = fields.length === 1 ? fields[0]! : { kind: 'concat', items: fields };
    let data: NftExpr | undefined;
    const d = rt.cfg.dataFields;
    if (d > 0 && !rt.cfg.verdictMap && s.data) {
      const items: NftExpr[] = [];
      for (let i = 0; i < d; i++)
        items.push({ kind: 'value', type: s.data.types[i] ?? 'integer', value: rt.dataLo[slot * d + i]! });
      data = items.length === 1 ? items[0]! : { kind: 'concat', items };
    }
    const stmts = elemStmts(rt, slot);
    const timeout = rt.timeoutOf(slot) * 1000;
    out.push({
      key,
      ...(stmts.length ? { stmts } : {}),
      // The set's own timeout is not repeated (nf_tables_fill_setelem sends it when it differs).
      ...(timeout > 0 && timeout !== (s.timeout ?? 0) ? { timeout } : {}),
      ...(at < Infinity ? { expires: msLeft(at, now) } : {}),
      ...(data ? { data } : {}),
    });
  }
  return { ...s, elements: out };
}

/**
 * The statements of an element the packet path added: those of the statement that added it (its
 * counter with the element's packets and bytes), or the set's counter (nft_dynset_init clones the
 * set's expressions for a statement that has none).
 */
function elemStmts(rt: RtSet, slot: number): NftStmt[] {
  const own = rt.creators[slot]?.stmts ?? [];
  const count = (): NftStmt => ({ kind: 'counter', packets: rt.packets[slot]!, bytes: rt.bytes[slot]! });
  if (own.length === 0) return rt.cfg.counters ? [count()] : [];
  return own.map((t) => (t.kind === 'counter' ? count() : t));
}
