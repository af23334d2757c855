// Diagnostics of the rules front end: one error or warning with the place it points at (file,
// line, 1-based column of the offending token) and the message, and its one-line text form
// `FILE:LINE:COLUMN: message`, as compilers print it. Building the messages is left to the parsers.

/** A note says what natbox left out on purpose (an ip6tables line of a script). */
export type Severity = 'error' | 'warning' | 'note';

export interface Diagnostic {
  readonly severity: Severity;
  readonly file: string;
  readonly line: number; // 1-based
  readonly column: number; // 1-based
  /** The word the message is about ('' when it points at the end of a line). */
  readonly token: string;
  readonly message: string;
}

/** `rules.txt:3:41: unknown option "--dprot" (did you mean "--dport"?)`; warnings say so. */
export function formatDiagnostic(d: Diagnostic): string {
  const prefix = d.severity === 'error' ? '' : `${d.severity}: `;
  return `${d.file}:${d.line}:${d.column}: ${prefix}${d.message}`;
}

/** A place in the input: where a token starts. */
export interface Pos {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export function diag(severity: Severity, at: Pos, token: string, message: string): Diagnostic {
  return { severity, file: at.file, line: at.line, column: at.column, token, message };
}

/** Optimal string alignment distance, for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    d.push([]);
    for (let j = 0; j <= b.length; j++) {
      if (i === 0 || j === 0) {
        d[i]![j] = i + j;
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest candidate within distance 2 (and less than half the word), if any. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const dist = editDistance(word, c);
    if (dist < bestD) {
      bestD = dist;
      best = c;
    }
  }
  return bestD <= 2 && bestD * 2 < word.length ? best : undefined;
}

export const didYouMean = (word: string, candidates: Iterable<string>): string => {
  const c = closest(word, candidates);
  return c === undefined ? '' : ` (did you mean "${c}"?)`;
};

/** An error that only says natbox does not model something (the rule itself is valid iptables). */
export const isUnsupported = (message: string): boolean =>
  /^unsupported (match|target|option)\b/.test(message);

/** What natbox says of IPv6 wherever it meets it (an address, ip6tables, -6). */
export const IPV6_NOT_SIMULATED = 'IPv6 is not simulated yet (natbox simulates IPv4)';

/**
 * What natbox says of nftables where only iptables is read (an nft command inside a script of
 * iptables commands, nft text where iptables rules were asked for): nftables is read whole.
 */
export const NFT_NOT_READ =
  "here natbox reads iptables rules (iptables commands or an iptables-save file); nftables is read whole, as a host's rules: or nft: (a ruleset, an nft -f script, nft -j JSON or a script of nft commands) and by natbox rules and natbox import";

/** What a scenario's error for an unsupported match or target adds: the way around it. */
export const SKIP_UNSUPPORTED_HINT = '; natbox trace and test leave such rules out with --skip-unsupported';

/**
 * Whether a word where an IPv4 address was expected is an IPv6 one: `2001:db8::1`, `::1`,
 * `fe80::1/64`, `[2001:db8::1]:80`, `::ffff:192.0.2.1`, a range of them. Only called where an
 * address is expected, so a MAC address never reaches it.
 */
export function looksLikeIpv6(text: string): boolean {
  const t = text.trim();
  if (/^\[[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\]/.test(t)) return true;
  return (
    /^[0-9A-Fa-f]{0,4}(:[0-9A-Fa-f]{0,4}){2,7}(:\d{1,3}(\.\d{1,3}){3})?(\/\d{1,3})?([-,].*)?$/.test(t) ||
    t.includes('::')
  );
}

/**
 * Whether a line of rules is nftables: `nft list ruleset` output (`table inet filter {`), an
 * `nft -f` script (`flush ruleset`, `add rule ...`, `define X = ...`), an `nft` command, or
 * `nft -j` JSON.
 */
export function looksLikeNft(line: string): boolean {
  return /^(\{\s*"nftables"\s*:|table\s+((ip|ip6|inet|arp|bridge|netdev)\s+)?\S+\s*(\{|$)|flush\s+ruleset\b|define\s+\S+\s*=|(add|create|insert|delete|flush)\s+(table|chain|rule|set|map|element)\s|(sudo\s+)?(\S*\/)?nft(\s|$))/.test(
    line.trim(),
  );
}
