// A host's nftables rules in a scenario: which of `rules:` and `nft:` holds which language (a
// `rules:` in nftables is nftables; `nft:` must be), the nft ruleset read by the nft front end, and
// what the evaluator cannot run refused at its position (checkNft), as build.ts does for iptables.
import { detectLanguage, isNft, loadNftRules } from '../rules/language.ts';
import type { SourceLine } from '../rules/iptables/lex.ts';
import type { SourceLoc } from '../rules/iptables/model.ts';
import type { NftChain, NftRuleset, NftTable } from '../rules/nft/model.ts';
import { printNftRule } from '../rules/nft/index.ts';
import { checkNft } from '../netfilter/nftables/index.ts';
import type { HostSpec, RulesSpec } from './model.ts';

/** A RulesSpec's lines as the rules front ends take them. */
export const specLines = (r: RulesSpec): SourceLine[] =>
  r.lines.map((l) => ({ text: l.value, file: l.loc.file, line: l.loc.line, column: l.loc.column }));

/** The host's iptables lines and its nftables lines (either may be absent). */
export interface HostRules {
  readonly iptables?: RulesSpec;
  readonly nft?: RulesSpec;
}

/** Tells `rules:` and `nft:` apart; a problem (nft: in iptables, two nft rulesets) is an error. */
export function hostRules(h: HostSpec, err: (l: SourceLoc, m: string) => void): HostRules {
  const name = h.name.value;
  const rules = h.rules && h.rules.lines.length > 0 ? h.rules : undefined;
  const nft = h.nft && h.nft.lines.length > 0 ? h.nft : undefined;
  const rulesNft = rules !== undefined && isNft(detectLanguage(specLines(rules)));
  if (nft !== undefined) {
    const lang = detectLanguage(specLines(nft));
    if (!isNft(lang)) {
      const first = nft.lines.find((l) => !l.value.startsWith('#')) ?? nft.lines[0]!;
      err(
        first.loc,
        `hosts.${name}.nft: expected nftables (nft list ruleset, an nft -f script, nft -j JSON or nft commands), found "${first.value.split(/\s+/)[0] ?? ''}": iptables rules go in rules:`,
      );
      return rules !== undefined && !rulesNft ? { iptables: rules } : {};
    }
    if (rulesNft) {
      err(
        nft.lines[0]!.loc,
        `hosts.${name}.nft: rules: already holds nftables; a host has one nftables ruleset (write it in one of them, iptables rules in rules:)`,
      );
      return {};
    }
    return { ...(rules !== undefined ? { iptables: rules } : {}), nft };
  }
  if (rules === undefined) return {};
  return rulesNft ? { nft: rules } : { iptables: rules };
}

/** A rule left out with --skip-unsupported (build.ts's SkippedRule). */
interface Skipped {
  readonly host: string;
  readonly where: string;
  readonly rule: string;
  readonly reason: string;
}

/** A place in the rules and what is said about it. */
export interface NftNote {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
  /** What it is about, as nft lists it: `table inet fw4`, or a rule's text (`tcp dport 22 accept`). */
  readonly what?: string;
}

/** What reviewNft found: said, left out (with skip), or refused. */
export interface NftReview {
  /** Read and printed, without effect on the IPv4 packets natbox runs (an ip6 table, inet's IPv6 half). */
  readonly notes: NftNote[];
  /** Rules natbox cannot simulate, taken out of their chains (only with skip). */
  readonly leftOut: NftNote[];
  /** What stops the load: nft refuses it too, or natbox cannot simulate it and it is no one rule (or no skip). */
  readonly errors: (NftNote & { readonly nftRefuses: boolean; readonly skippable: boolean })[];
}

/** The note for an inet table: natbox runs IPv4 packets through it, not IPv6 ones. */
export const inetNote = (name: string): string =>
  `table inet ${name}: its IPv6 half is read and printed but not simulated (natbox runs IPv4 packets through inet tables)`;

/**
 * The notes on whole tables, without checking a rule (cheap on a large ruleset): an inet table's
 * IPv6 half, and the tables of families natbox does not run packets through (ip6, arp, bridge), in
 * checkNft's words.
 */
export function tableNotes(rs: NftRuleset): NftNote[] {
  const out: NftNote[] = [];
  for (const t of rs.tables) {
    const at = { file: t.pos?.file ?? '<nft>', line: t.pos?.line ?? 1, column: t.pos?.column ?? 1 };
    if (t.family === 'inet') out.push({ ...at, message: inetNote(t.name) });
    else if (t.family === 'ip6' || t.family === 'arp' || t.family === 'bridge')
      out.push({
        ...at,
        message: `table ${t.family} ${t.name} is read and printed but not simulated (natbox runs IPv4 packets through ip and inet tables)`,
      });
  }
  return out;
}

/**
 * What of `rs` natbox cannot simulate, by checkNft: notes for what has no effect on IPv4 packets
 * (plus one for each inet table's IPv6 half), errors for the rest. With `skip`
 * (--skip-unsupported), a rule natbox cannot simulate is taken out of `rs` (changed in place) and
 * listed in leftOut, in rounds until none is left (a rule goes each round); what nft itself
 * refuses, and what is not one rule (a table's hook), stays an error. Reading is not evaluating:
 * the notes and left-out rules are for the simulation, the printed ruleset is nft's.
 */
export function reviewNft(rs: NftRuleset, skip: boolean): NftReview {
  const notes: NftNote[] = [];
  const leftOut: NftNote[] = [];
  const errors: NftReview['errors'] = [];
  for (const t of rs.tables)
    if (t.family === 'inet')
      notes.push({
        file: t.pos?.file ?? '<nft>',
        line: t.pos?.line ?? 1,
        column: t.pos?.column ?? 1,
        message: inetNote(t.name),
        what: `table inet ${t.name}`,
      });
  for (let round = 0; round <= 100_000; round++) {
    // Each problem is placed in its rule before any goes (two problems of one rule leave it out
    // once; a one-line JSON listing has no other rule to take by mistake).
    const gone = new Map<object, { c: NftChain; text: string }>();
    for (const p of checkNft(rs)) {
      const message = `${p.message}${p.token ? ` ("${p.token}")` : ''}`;
      const at = { file: p.file, line: p.line, column: p.column };
      // A note (an ip6 table, an arp table, a table without base chains) has no effect on the IPv4
      // packets natbox runs: the scenario runs as the kernel would run it for those packets.
      if (p.severity === 'note') {
        if (round === 0) notes.push({ ...at, message: p.message, ...whatAt(rs, p) });
        continue;
      }
      const r = p.nftRefuses ? undefined : ruleAt(rs, p);
      if (skip && r !== undefined) {
        const rule = r.c.rules[r.k]!;
        if (!gone.has(rule)) {
          const text = printNftRule(r.t, r.c, rule);
          gone.set(rule, { c: r.c, text });
          leftOut.push({ ...at, message, what: text });
        }
        continue;
      }
      errors.push({
        ...at,
        message: p.nftRefuses ? p.message : message,
        nftRefuses: p.nftRefuses === true,
        skippable: r !== undefined,
      });
    }
    for (const [rule, { c }] of gone) (c.rules as unknown[]).splice(c.rules.indexOf(rule as never), 1);
    if (errors.length > 0 || gone.size === 0) break;
  }
  return { notes, leftOut, errors };
}

/**
 * The host's nft ruleset, or undefined after reporting its errors (nothing half-read). With `skip`
 * (--skip-unsupported), a rule natbox cannot simulate is left out of its chain and listed there,
 * as for iptables; what nft itself refuses, and what is not one rule (a table's hook), stays an
 * error. The notes (reviewNft) go to `notes` when given.
 */
export function buildNft(
  h: HostSpec,
  spec: RulesSpec,
  err: (l: SourceLoc, m: string) => void,
  skip?: Skipped[],
  notes?: string[],
): NftRuleset | undefined {
  const res = loadNftRules(specLines(spec));
  if (!res.ok) {
    for (const d of res.diagnostics) err({ file: d.file, line: d.line, column: d.column }, d.message);
    return undefined;
  }
  const text = (file: string, line: number): string =>
    spec.lines.find((l) => l.loc.file === file && l.loc.line === line)?.value ?? '';
  const r = reviewNft(res.ruleset, skip !== undefined);
  const host = h.name.value;
  for (const n of r.notes) notes?.push(`${n.file}:${n.line}:${n.column}: ${host}: ${n.message}`);
  for (const l of r.leftOut)
    skip?.push({
      host,
      where: `${l.file}:${l.line}:${l.column}`,
      rule: text(l.file, l.line) || (l.what ?? ''),
      reason: l.message,
    });
  for (const e of r.errors)
    err(
      { file: e.file, line: e.line, column: e.column },
      e.nftRefuses
        ? `${e.message} (nft refuses it too)`
        : `${e.message}: natbox cannot simulate it (hosts.${host}${e.skippable ? '; --skip-unsupported leaves such rules out' : ''})`,
    );
  return r.errors.length > 0 ? undefined : res.ruleset;
}

type At = { readonly file: string; readonly line: number; readonly column: number };

/**
 * The rule a place is in: of the rules written on its line, the last one starting at or before its
 * column (a listing has one rule a line; `nft -j` JSON is one line of many rules, each placed at
 * its object, and a problem in a JSON rule is placed at the rule).
 */
function ruleAt(rs: NftRuleset, at: At): { t: NftTable; c: NftChain; k: number } | undefined {
  let best: { t: NftTable; c: NftChain; k: number; column: number } | undefined;
  for (const t of rs.tables)
    for (const c of t.chains)
      c.rules.forEach((r, k) => {
        const p = r.pos;
        if (p?.file !== at.file || p.line !== at.line || p.column > at.column) return;
        if (best === undefined || p.column > best.column) best = { t, c, k, column: p.column };
      });
  return best;
}

/** What a note's place names: the table declared there, else the rule there. */
function whatAt(rs: NftRuleset, at: At): { what?: string } {
  const t = rs.tables.find(
    (x) => x.pos?.file === at.file && x.pos.line === at.line && x.pos.column === at.column,
  );
  if (t) return { what: `table ${t.family} ${t.name}` };
  const r = ruleAt(rs, at);
  return r ? { what: printNftRule(r.t, r.c, r.c.rules[r.k]!) } : {};
}
