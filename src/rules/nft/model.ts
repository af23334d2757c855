// The nftables model: plain data for what `nft list ruleset` shows (tables of a family, with their
// chains, rules, sets, maps, flowtables and named objects), as natbox reads it from text or JSON
// and prints it back. The evaluator (netfilter/nftables/) compiles it; nothing here runs packets.
// SKELETON (session 7): the language engineer owns this file and fills it in; changes after the
// first full commit are additive only (new fields, new union members).
import type { Diagnostic, Pos } from '../diagnostics.ts';

export type NftFamily = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';

export interface NftRuleset {
  /** Tables in the order `nft list ruleset` prints them (creation order). */
  readonly tables: NftTable[];
}

export interface NftTable {
  readonly family: NftFamily;
  readonly name: string;
  /** The kernel's handle (what `nft -a` prints). */
  handle: number;
  readonly chains: NftChain[];
  readonly pos?: Pos;
}

export interface NftChain {
  readonly name: string;
  handle: number;
  /** A base chain's hook, type, priority and policy; undefined for a regular chain. */
  readonly base?: NftBaseChain;
  readonly rules: NftRule[];
  readonly pos?: Pos;
}

export interface NftBaseChain {
  readonly type: 'filter' | 'nat' | 'route';
  readonly hook: string;
  /** The priority as a number (names resolved with the family's and hook's table). */
  readonly priority: number;
  readonly policy: 'accept' | 'drop';
  readonly device?: string;
}

export interface NftRule {
  handle: number;
  readonly pos?: Pos;
}

/** What reading a ruleset gives: all of it, or only the errors (nothing applied). */
export type NftLoadResult =
  | { readonly ok: true; readonly ruleset: NftRuleset; readonly warnings: Diagnostic[] }
  | { readonly ok: false; readonly diagnostics: Diagnostic[] };
