// The contents of named nft sets and maps after a run, natbox's (Host.nftListing: the elements the
// packet path added, their counters, their time left) against the kernel's `nft list ruleset` read
// after the same traffic, both as plain listings (rules/nft/set-listing.ts). Elements are compared
// as nft prints them (key, statements with their counters, own timeout, data), sorted, whatever
// order either side holds them in; the time left (`expires`) within the time the kernel's listing
// took to be read, as conntrack timeouts are (compare.ts timeoutRange). Sets only one side has are
// not compared here (the rules are the same input on both sides).

/** One set as compared (the same shape as rules/nft/set-listing.ts NftSetListing). */
export interface SetListing {
  /** `@name (family table)`. */
  readonly set: string;
  readonly elements: readonly { readonly text: string; readonly expires?: number }[];
}

/** How far (ms) the kernel's expiry may be from natbox's beyond the listing's read time. */
export const NFT_EXPIRES_JITTER_MS = 600;

export interface NftSetDifference {
  /** The host. */
  readonly where: string;
  /** `@set (ip t) elements` or `@set (ip t) element KEY expires`. */
  readonly field: string;
  readonly natbox: string;
  readonly kernel: string;
  readonly context: string;
}

/**
 * The first difference of each host's set contents. `readAt`: when the kernel's listing was read,
 * seconds after the run's end (without it, expiries are compared within the jitter alone);
 * `unread`: the hosts whose listing did not read back, with why (named in `compared`).
 */
export function compareNftSets(
  natbox: ReadonlyMap<string, readonly SetListing[]>,
  kernel: ReadonlyMap<string, readonly SetListing[]>,
  readAt?: ReadonlyMap<string, readonly [number, number]>,
  unread?: ReadonlyMap<string, string>,
): { diffs: NftSetDifference[]; compared: string[] } {
  const out: NftSetDifference[] = [];
  const compared: string[] = [];
  for (const [h, sets] of natbox) {
    const ks = kernel.get(h);
    if (ks === undefined) {
      const why = unread?.get(h);
      if (why !== undefined && sets.length)
        compared.push(`${h}: not compared, the kernel's listing does not read back (${why})`);
      continue;
    }
    const d = firstHostDifference(h, sets, ks, readAt?.get(h) ?? [0, 0]);
    if (d) out.push(d);
    if (sets.length)
      compared.push(
        `${h}: ${sets.length} set${sets.length === 1 ? '' : 's'}, ${sets.reduce((n, x) => n + x.elements.length, 0)} elements in natbox's listing`,
      );
  }
  return { diffs: out, compared };
}

function firstHostDifference(
  h: string,
  natbox: readonly SetListing[],
  kernel: readonly SetListing[],
  at: readonly [number, number],
): NftSetDifference | undefined {
  for (const s of natbox) {
    const ks = kernel.find((x) => x.set === s.set);
    if (!ks) continue;
    const sort = (xs: readonly SetListing['elements'][number][]): SetListing['elements'][number][] =>
      [...xs].sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
    const a = sort(s.elements);
    const b = sort(ks.elements);
    const context = `  natbox: ${a.map((x) => x.text).join(', ') || '(empty)'}\n  kernel: ${b.map((x) => x.text).join(', ') || '(empty)'}`;
    if (a.length !== b.length || a.some((x, i) => x.text !== b[i]!.text))
      return {
        where: h,
        field: `${s.set} elements`,
        natbox: a.map((x) => x.text).join(', ') || '(none)',
        kernel: b.map((x) => x.text).join(', ') || '(none)',
        context,
      };
    for (let i = 0; i < a.length; i++) {
      const n = a[i]!.expires;
      const k = b[i]!.expires;
      if (n === undefined && k === undefined) continue;
      const lo = n === undefined ? 0 : Math.max(0, n - at[1] * 1000 - NFT_EXPIRES_JITTER_MS);
      const hi = n === undefined ? -1 : n - at[0] * 1000 + NFT_EXPIRES_JITTER_MS;
      if (k !== undefined && k >= lo && k <= hi) continue;
      return {
        where: h,
        field: `${s.set} element ${a[i]!.text} expires`,
        natbox:
          n === undefined
            ? '(none)'
            : `${n} ms left at the end (${Math.round(lo)}-${Math.round(hi)} ms when the kernel's listing was read, ${at[0].toFixed(2)}-${at[1].toFixed(2)} s after)`,
        kernel: k === undefined ? '(none)' : `${k} ms`,
        context,
      };
    }
  }
  return undefined;
}
