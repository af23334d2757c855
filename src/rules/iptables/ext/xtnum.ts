// Numbers as libxtables reads them (xtables_strtoul_base with base 0, iptables 1.8.9): leading
// blanks, an optional "+", decimal, 0x hex or 0 octal; a "-" anywhere before the digits is
// refused (strtoul would wrap it). Values are bigints so that u64 options (connbytes, quota) stay
// exact. Used by the extensions of the connlimit/connbytes/quota/string/connlabel group.
import type { Token } from '../lex.ts';
import { fail } from '../parse-util.ts';

export const U64_MAX = 0xffffffffffffffffn;

const SPACE = /^[ \t\n\v\f\r]*/;

/**
 * strtoumax(text, &end, 0): the value and where it stopped, or undefined when no digit was read
 * (end == text). Overflow gives `over: true` (ERANGE).
 */
export function strtoumax(text: string): { value: bigint; end: number; over: boolean } | undefined {
  let i = SPACE.exec(text)![0].length;
  let neg = false;
  if (text[i] === '+' || text[i] === '-') {
    neg = text[i] === '-';
    i++;
  }
  let base = 10n;
  let digits = /[0-9]/;
  if (
    text[i] === '0' &&
    (text[i + 1] === 'x' || text[i + 1] === 'X') &&
    /[0-9a-fA-F]/.test(text[i + 2] ?? '')
  ) {
    base = 16n;
    digits = /[0-9a-fA-F]/;
    i += 2;
  } else if (text[i] === '0') {
    base = 8n;
    digits = /[0-7]/;
  }
  const start = i;
  let v = 0n;
  while (i < text.length && digits.test(text[i]!)) {
    v = v * base + BigInt(parseInt(text[i]!, 16));
    i++;
  }
  if (i === start) return undefined;
  const over = v > U64_MAX;
  if (over) v = U64_MAX;
  else if (neg) v = (U64_MAX + 1n - v) & U64_MAX;
  return { value: v, end: i, over };
}

/** xtables_strtoul(text, NULL, &v, 0, max): the whole text, no "-", within 0..max. */
export function xtUint(tok: Token, text: string, max: bigint, what: string): bigint {
  const r = /^[ \t\n\v\f\r]*-/.test(text) ? undefined : strtoumax(text);
  if (!r || r.over || r.end !== text.length || r.value > max)
    return fail(tok, `bad value "${text}" for ${what} (expected a number 0-${max})`);
  return r.value;
}
