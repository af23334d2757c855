// The named sets and maps of a ruleset as plain data for natbox verify's comparison (oracle/
// nft-sets.ts): per set, each element as `nft list` prints it less its `expires`, and its time
// left in ms; and its counters (rules' and named ones) as one-element sets. From natbox's listing after a run (Host.nftListing) or the kernel's `nft list
// ruleset` read back.
import type { NftRuleset } from './model.ts';
import { parseNft } from './index.ts';
import { elem } from './print.ts';

export interface NftSetListing {
  /** `@name (family table)`. */
  readonly set: string;
  readonly elements: readonly { readonly text: string; readonly expires?: number }[];
}

export function setListings(rs: NftRuleset): NftSetListing[] {
  return rs.tables.flatMap((t) => [
    ...t.sets.map((s) => ({
      set: `@${s.name} (${t.family} ${t.name})`,
      elements: s.elements.map((e) => {
        const { expires, ...rest } = e;
        return { text: elem(rest, t.family), ...(expires !== undefined ? { expires } : {}) };
      }),
    })),
    ...counterListings(t),
  ]);
}

/**
 * The counters of a table after a run, compared as one-element "sets": each rule's `counter`
 * (by chain, the rule's place in it and the statement's among the rule's counters) and each
 * named counter, as `packets P bytes B` (the kernel's nft_counter_do_dump through `nft list
 * ruleset`; natbox's counted by the engine, compile.ts).
 */
function counterListings(t: NftRuleset['tables'][number]): NftSetListing[] {
  const out: NftSetListing[] = [];
  const where = `(${t.family} ${t.name})`;
  for (const c of t.chains)
    c.rules.forEach((r, k) => {
      let n = 0;
      for (const st of r.stmts)
        if (st.kind === 'counter')
          out.push({
            set: `chain ${c.name} ${where} rule ${k + 1} counter ${++n}`,
            elements: [{ text: `packets ${st.packets} bytes ${st.bytes}` }],
          });
    });
  for (const o of t.objects)
    if (o.type === 'counter')
      out.push({
        set: `counter ${o.name} ${where}`,
        elements: [{ text: `packets ${o.packets} bytes ${o.bytes}` }],
      });
  return out;
}

/**
 * `nft list ruleset` text to its set listings: the whole listing read back, or else (nft lists a
 * few things it cannot read back itself, e.g. `tcp option @2,0,8` as `tcp option maxseg kind`)
 * its tables' set, map and counter blocks alone (setBlocks). `{ error }` when neither reads: the
 * first error of the whole listing, for the caller to say (a reader's matter, test/rules/nft, not
 * a difference of the run).
 */
export function setListingsOfText(text: string, what: string): NftSetListing[] | { error: string } {
  const read = (t: string): ReturnType<typeof parseNft> =>
    parseNft(t.split('\n').map((l, i) => ({ text: l, file: what, line: i + 1, column: 1 })));
  const r = read(text);
  if (r.ok) return setListings(r.ruleset);
  const sets = read(setBlocks(text));
  if (sets.ok) return setListings(sets.ruleset);
  const d = r.diagnostics[0];
  return { error: d ? `${d.file}:${d.line}:${d.column}: ${d.message}` : `${what}: not read` };
}

/**
 * The listing's `table` lines, their closing braces and the `set`, `map` and `counter` blocks
 * in them, everything else (chains, flowtables, other objects) left out; lines that are left out
 * are kept empty, so that an error's line number is the listing's. `nft list ruleset` prints a
 * block's opening line ending in `{` and its closing `}` alone on a line of one more tab.
 */
export function setBlocks(text: string): string {
  const keep = /^\t(set|map|counter) \S+ \{$/;
  let inTable = false;
  let inBlock = false;
  let inOther = false;
  return text
    .split('\n')
    .map((l) => {
      if (!inTable) {
        if (/^table \S+ \S+ \{$/.test(l)) inTable = true;
        return inTable ? l : '';
      }
      if (l === '}') {
        inTable = false;
        return l;
      }
      if (inBlock || inOther) {
        if (l === '\t}') {
          const was = inBlock;
          inBlock = inOther = false;
          return was ? l : '';
        }
        return inBlock ? l : '';
      }
      if (keep.test(l)) {
        inBlock = true;
        return l;
      }
      if (/^\t\S.*\{$/.test(l)) inOther = true;
      return '';
    })
    .join('\n');
}
