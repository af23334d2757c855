// `nft` commands in a scenario's events (`run: nft add rule ip nat pre tcp dport 81 dnat to …`):
// read when the scenario is loaded, applied at their time to a copy of the host's nft ruleset, all
// or nothing, as nft's one transaction per command line. A command that fails changes nothing and
// says what nft 1.0.6 says on its standard error (`Error: MESSAGE`, the command as nft joined its
// words, carets under the token), exit status 1. The host then swaps its engine
// (Host.replaceNft): the conntrack table, NAT bindings and the state of the tables stay, so a live
// connection keeps its entry (and its NAT) while new ones see the new rules.
import type { Diagnostic, Pos } from '../rules/diagnostics.ts';
import type { SourceLine, Token } from '../rules/iptables/lex.ts';
import { loadNftRules, nftCommandLines } from '../rules/language.ts';
import { checkNft } from '../netfilter/nftables/index.ts';
import type { Host } from '../stack/host.ts';

/**
 * An nft command of an event: the nft -f line its words make (nft joins its arguments); or
 * `nft -f FILE`: the file's name as written and its lines (SimEvent.input, read at load).
 */
export interface NftEventCommand {
  readonly kind: 'nft';
  readonly line: SourceLine;
  readonly file?: string;
  readonly lines?: readonly SourceLine[];
}

/** The nft commands that change nothing (and print what natbox does not compare): not events. */
const READ_ONLY = /^(list|monitor|describe|export)\b/;

/** Reads an `nft …` event's words: the command, or the problem at its place. */
export function parseNftEvent(
  src: SourceLine,
  words: readonly Token[],
):
  | { readonly ok: true; readonly command: NftEventCommand }
  | {
      readonly ok: false;
      readonly at: Pos;
      readonly token: string;
      readonly message: string;
    } {
  const fileOpt = words.find((w) => w.text === '-f' || w.text === '--file');
  if (fileOpt) {
    const name = words[2];
    if (words.length !== 3 || words[1] !== fileOpt || !name || name.text === '-')
      return {
        ok: false,
        at: words.length > 3 ? words[3]! : (name ?? fileOpt),
        token: words.length > 3 ? words[3]!.text : (name?.text ?? fileOpt.text),
        message: 'expected nft -f FILE (a file relative to the scenario, no other options)',
      };
    return { ok: true, command: { kind: 'nft', line: src, file: name.text } };
  }
  const r = nftCommandLines([src]);
  if ('diagnostics' in r) {
    const d = r.diagnostics[0]!;
    return { ok: false, at: d, token: d.token, message: d.message };
  }
  const line = r.lines[0];
  if (!line)
    return {
      ok: false,
      at: words[0] ?? src,
      token: 'nft',
      message: 'nft without a command: expected nft add|insert|replace|delete|flush|create …',
    };
  if (READ_ONLY.test(line.text))
    return {
      ok: false,
      at: line,
      token: line.text.split(' ')[0]!,
      message: `"nft ${line.text.split(' ')[0]!}" changes nothing and prints what natbox does not compare: not an event`,
    };
  return { ok: true, command: { kind: 'nft', line } };
}

/** nft's standard error for a command line that failed: the message, the line, carets. */
export function nftErrorText(line: SourceLine, d: Diagnostic): string {
  const col = d.line === line.line && d.file === line.file ? Math.max(0, d.column - line.column) : 0;
  const len = Math.max(1, Math.min(d.token.length, Math.max(1, line.text.length - col)));
  return `Error: ${d.message}\n${line.text}\n${' '.repeat(col)}${'^'.repeat(len)}\n`;
}

/**
 * Runs an nft event on a live host. Natbox refusing what the command added (a statement it
 * cannot simulate) is not the command failing: it stops the run with the reason at the event.
 */
export function runNftEvent(
  host: Host,
  c: NftEventCommand,
): { rc: number; stdout: string; stderr: string; effect: string } {
  const lines = c.file !== undefined ? (c.lines ?? []) : [c.line];
  const r = loadNftRules(lines, { base: host.nft ?? { tables: [] } });
  if (!r.ok)
    return {
      rc: 1,
      stdout: '',
      stderr:
        c.file !== undefined
          ? nftFileErrorText(c.file, lines, r.diagnostics[0]!)
          : nftErrorText(c.line, r.diagnostics[0]!),
      effect: '',
    };
  const refused = checkNft(r.ruleset).find((p) => p.severity !== 'note');
  if (refused)
    throw new Error(
      `${refused.file}:${refused.line}:${refused.column}: ${refused.message}${refused.token ? ` ("${refused.token}")` : ''}: natbox cannot simulate it`,
    );
  host.replaceNft(r.ruleset);
  return {
    rc: 0,
    stdout: '',
    stderr: '',
    effect: c.file !== undefined ? `nft -f ${c.file}` : `nft ${c.line.text}`,
  };
}

/**
 * nft -f's standard error for a file it refused: `FILE:LINE:FIRST-LAST: Error: MESSAGE`, the line,
 * carets (the event's file by the name it was given, an included file by its path).
 */
function nftFileErrorText(file: string, lines: readonly SourceLine[], d: Diagnostic): string {
  const top = lines[0]?.file;
  const l = lines.find((x) => x.file === d.file && x.line === d.line);
  const text = l?.text ?? '';
  const col = l ? Math.max(0, d.column - l.column) : 0;
  const len = Math.max(1, Math.min(d.token.length, Math.max(1, text.length - col)));
  const name = d.file === top ? file : d.file;
  return `${name}:${d.line}:${col + 1}-${col + len}: Error: ${d.message}\n${text}\n${' '.repeat(col)}${'^'.repeat(len)}\n`;
}
