// The contents of named nft sets and maps after a run, natbox's (Host.nftListing: the elements the
// packet path added, their counters, their time left) against the kernel's `nft list ruleset` read
// after the same traffic. Elements are compared as nft prints them (key, statements with their
// counters, own timeout, data), in nft's order whatever order either side holds them in; the time
// left (`expires`) within the time the kernel's listing took to be read, as conntrack timeouts are
// (compare.ts timeoutRange). Sets only one side has are not compared here (the rules are the same
// input on both sides).
import { parseNft, printNftSetElem } from '../rules/nft/index.ts';
import type { NftFamily, NftRuleset, NftSetElem } from '../rules/nft/model.ts';

/** How far (ms) the kernel's expiry may be from natbox's beyond the listing's read time. */
export const NFT_EXPIRES_JITTER_MS = 600;

export interface NftSetDifference {
  /** `host`. */
  readonly where: string;
  /** `@set elements` or `@set element KEY expires`. */
  readonly field: string;
  readonly natbox: string;
  readonly kernel: string;
  readonly context: string;
}

/** An element as nft prints it, less its time left; and its time left (ms), if any. */
function ident(e: NftSetElem, fam: NftFamily): [string, number | undefined] {
  const { expires, ...rest } = e;
  return [printNftSetElem(rest, fam), expires];
}

/**
 * The first difference of each host's set contents. `kernel`: the listing text per host; `readAt`:
 * when it was read, seconds after the run's end (without it, expiries are compared within the
 * jitter alone).
 */
export function compareNftSets(
  natbox: ReadonlyMap<string, NftRuleset>,
  kernel: ReadonlyMap<string, string>,
  readAt?: ReadonlyMap<string, readonly [number, number]>,
): { diffs: NftSetDifference[]; compared: string[] } {
  const out: NftSetDifference[] = [];
  const compared: string[] = [];
  for (const [h, nrs] of natbox) {
    const text = kernel.get(h);
    if (text === undefined) continue;
    const parsed = parseNft(
      text.split('\n').map((t, i) => ({ text: t, file: `${h}: nft list ruleset`, line: i + 1, column: 1 })),
    );
    // The kernel lists what natbox's reader read from the same input; a listing it cannot read
    // back is a reader's matter (test/rules/nft), not a difference of the run.
    if (!parsed.ok) continue;
    const at = readAt?.get(h) ?? [0, 0];
    const d = firstHostDifference(h, nrs, parsed.ruleset, at);
    if (d) out.push(d);
    const sets = nrs.tables.flatMap((t) => t.sets);
    if (sets.length)
      compared.push(
        `${h}: ${sets.length} set${sets.length === 1 ? '' : 's'}, ${sets.reduce((n, x) => n + x.elements.length, 0)} elements in natbox's listing`,
      );
  }
  return { diffs: out, compared };
}

function firstHostDifference(
  h: string,
  nrs: NftRuleset,
  krs: NftRuleset,
  at: readonly [number, number],
): NftSetDifference | undefined {
  for (const t of nrs.tables) {
    const kt = krs.tables.find((x) => x.family === t.family && x.name === t.name);
    if (!kt) continue;
    for (const s of t.sets) {
      const ks = kt.sets.find((x) => x.name === s.name);
      if (!ks) continue;
      const sort = (xs: [string, number | undefined][]): [string, number | undefined][] =>
        xs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      const a = sort(s.elements.map((e) => ident(e, t.family)));
      const b = sort(ks.elements.map((e) => ident(e, t.family)));
      const name = `@${s.name} (${t.family} ${t.name})`;
      const context = `  natbox: ${a.map((x) => x[0]).join(', ') || '(empty)'}\n  kernel: ${b.map((x) => x[0]).join(', ') || '(empty)'}`;
      if (a.length !== b.length || a.some((x, i) => x[0] !== b[i]![0]))
        return {
          where: h,
          field: `${name} elements`,
          natbox: a.map((x) => x[0]).join(', ') || '(none)',
          kernel: b.map((x) => x[0]).join(', ') || '(none)',
          context,
        };
      for (let i = 0; i < a.length; i++) {
        const n = a[i]![1];
        const k = b[i]![1];
        if (n === undefined && k === undefined) continue;
        const lo = n === undefined ? 0 : Math.max(0, n - at[1] * 1000 - NFT_EXPIRES_JITTER_MS);
        const hi = n === undefined ? -1 : n - at[0] * 1000 + NFT_EXPIRES_JITTER_MS;
        if (k !== undefined && k >= lo && k <= hi) continue;
        return {
          where: h,
          field: `${name} element ${a[i]![0]} expires`,
          natbox:
            n === undefined
              ? '(none)'
              : `${n} ms left at the end (${Math.round(lo)}-${Math.round(hi)} ms when the kernel's listing was read, ${at[0].toFixed(2)}-${at[1].toFixed(2)} s after)`,
          kernel: k === undefined ? '(none)' : `${k} ms`,
          context,
        };
      }
    }
  }
  return undefined;
}
