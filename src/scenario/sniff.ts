// What a file that failed to load as a scenario is instead: an iptables-save file, a shell script
// of iptables commands, an nftables ruleset (nft list ruleset, nft -f scripts, nft -j JSON), or
// IPv6 rules. Such a file gets one short positioned message that says what it is and what to do,
// instead of the YAML parser's errors about text that was never YAML. Only the first line that
// says something decides (and, after a shell's #! line, the first unindented iptables command), so
// a YAML scenario, whose first line is a key, is never mistaken for one of these.

import { IPV6_NOT_SIMULATED, looksLikeNft } from '../rules/diagnostics.ts';

export interface NotScenario {
  readonly line: number; // 1-based
  readonly column: number; // 1-based
  readonly token: string;
  readonly message: string;
}

/** Lines looked at: what a file is shows in its first lines. */
const MAX_LINES = 500;

const SEE = 'a scenario is YAML with hosts, links and flows (see docs/scenarios.md)';
const IPV6 = IPV6_NOT_SIMULATED;

const IPTABLES_CMD = /^(sudo\s+)?(\S*\/)?(iptables|ip6tables)(-nft|-legacy)?(\s|$)/;
const SAVE_LINE =
  /^(\*(filter|nat|mangle|raw|security)\s*$|:[^\s]+ (ACCEPT|DROP|-) \[\d+:\d+\]|COMMIT\s*$|-[AIN] \S)/;
/** The file's base name, for the `rules: { file: NAME }` hint. */
const baseName = (file: string): string =>
  file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);

export function notAScenario(text: string, file: string): NotScenario | undefined {
  const lines = text.split('\n', MAX_LINES);
  let ip6save = false;
  let shell = false;
  const use = `a host takes these rules with rules: { file: ${baseName(file)} }, and natbox rules save ${baseName(file)} reads them alone`;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    const t = raw.trim();
    if (t === '') continue;
    const at = (message: string, token = t.split(/\s+/)[0] ?? ''): NotScenario => ({
      line: i + 1,
      column: raw.length - raw.trimStart().length + 1,
      token,
      message,
    });
    if (t.startsWith('#')) {
      if (i === 0 && /^#!.*\bnft\b/.test(t))
        return at(`this looks like an nftables script, not a scenario: ${SEE}; ${use}`);
      if (i === 0 && /^#!.*\b(ba|da|k|z)?sh\b/.test(t)) shell = true;
      if (/\bip6tables-save\b/.test(t)) ip6save = true;
      continue;
    }
    const indented = raw !== raw.trimStart();
    if (!indented && looksLikeNft(t))
      return at(`this looks like an nftables ruleset, not a scenario: ${SEE}; ${use}`);
    if (!indented && SAVE_LINE.test(t)) {
      return ip6save
        ? at(`this looks like an ip6tables-save file, not a scenario; ${IPV6}`)
        : at(`this looks like an iptables-save file, not a scenario: ${SEE}; ${use}`);
    }
    if (!indented && IPTABLES_CMD.test(t)) {
      return /ip6tables/.test(t.split(/\s+/).slice(0, 2).join(' '))
        ? at(`this looks like a script of ip6tables commands, not a scenario; ${IPV6}`)
        : at(`this looks like a script of iptables commands, not a scenario: ${SEE}; ${use}`);
    }
    // A shell script may set things up before its first iptables command; anything else decides.
    if (!shell) return undefined;
  }
  return undefined;
}
