// The named sets and maps of a ruleset as plain data for natbox verify's comparison (oracle/
// nft-sets.ts): per set, each element as `nft list` prints it less its `expires`, and its time
// left in ms. From natbox's listing after a run (Host.nftListing) or the kernel's `nft list
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
  return rs.tables.flatMap((t) =>
    t.sets.map((s) => ({
      set: `@${s.name} (${t.family} ${t.name})`,
      elements: s.elements.map((e) => {
        const { expires, ...rest } = e;
        return { text: elem(rest, t.family), ...(expires !== undefined ? { expires } : {}) };
      }),
    })),
  );
}

/**
 * `nft list ruleset` text to its set listings; undefined when natbox cannot read it back (a
 * reader's matter, test/rules/nft, not a difference of the run).
 */
export function setListingsOfText(text: string, what: string): NftSetListing[] | undefined {
  const r = parseNft(text.split('\n').map((t, i) => ({ text: t, file: what, line: i + 1, column: 1 })));
  return r.ok ? setListings(r.ruleset) : undefined;
}
