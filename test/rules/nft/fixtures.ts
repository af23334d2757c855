// The nft fixtures (test/rules/nft/fixtures/): NAME.nft is an `nft -f` input, NAME.list and
// NAME.list-a what the real `nft list ruleset` / `nft -a list ruleset` printed for it, captured
// from nftables v1.0.6 (Debian) in a fresh network namespace on this project's test machine:
//   ip netns add NS; ip netns exec NS nft -f NAME.nft; ip netns exec NS nft [-a] list ruleset
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SourceLine } from '../../../src/rules/iptables/lex.ts';

export const FIXTURES = join(import.meta.dirname, 'fixtures');

export const fixtureNames = (): string[] =>
  readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.nft'))
    .map((f) => f.slice(0, -4))
    .sort();

export const read = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

export function lines(text: string, file: string): SourceLine[] {
  const ls = text.split('\n');
  if (ls.length > 0 && ls[ls.length - 1] === '') ls.pop();
  return ls.map((t, i) => ({ text: t, file, line: i + 1, column: 1 }));
}
