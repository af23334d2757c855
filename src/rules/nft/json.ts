// `nft -j list ruleset` JSON (libnftables-json) read into the model and printed from it.
// The printer is json-print.ts, the reader json-read.ts, JSON text itself json-value.ts.
import type { NftLoadResult, NftRuleset } from './model.ts';
import { printNftJsonText } from './json-print.ts';
import { readNftJson } from './json-read.ts';

/** `nft -j list ruleset` JSON text to a ruleset (errors name the JSON path). */
export function parseNftJson(text: string, file: string): NftLoadResult {
  return readNftJson(text, file);
}

/** What `nft -j list ruleset` prints. */
export function printNftJson(rs: NftRuleset): string {
  return printNftJsonText(rs);
}
