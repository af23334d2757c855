// C's strtoul as the iptables extensions call it (leading blanks, a sign, base 0 or 10), for the
// parsers that read a number and then look at the character where it stopped (libxt_time.c).
// Shared by the ext/ files of the misc matches; nothing else.

export interface CNum {
  /** The value as unsigned long (a leading "-" wraps it, as strtoul does); Infinity on overflow. */
  readonly value: number;
  /** Where the number stopped (the start when no digit was read). */
  readonly end: number;
}

/** strtoul(s + at, &end, base) with base 0 (0x.., 0..., decimal) or 10. */
export function cStrtoul(s: string, at: number, base: 0 | 10): CNum {
  let i = at;
  while (i < s.length && ' \t\n\v\f\r'.includes(s[i]!)) i++;
  let neg = false;
  if (s[i] === '+' || s[i] === '-') neg = s[i++] === '-';
  let b = 10;
  if (base === 0 && s[i] === '0') {
    if ((s[i + 1] === 'x' || s[i + 1] === 'X') && /[0-9a-fA-F]/.test(s[i + 2] ?? '')) {
      b = 16;
      i += 2;
    } else b = 8;
  }
  const digits = b === 16 ? /[0-9a-fA-F]/ : b === 8 ? /[0-7]/ : /[0-9]/;
  const start = i;
  let v = 0;
  while (i < s.length && digits.test(s[i]!)) v = v * b + parseInt(s[i++]!, b);
  if (i === start && b !== 8) return { value: 0, end: at };
  if (v >= 2 ** 64) v = Infinity;
  if (neg && v !== 0) v = v === Infinity ? Infinity : 2 ** 64 - v;
  return { value: v, end: i };
}

/** The low 32 bits of an unsigned long (C's conversion to unsigned int). */
export const u32 = (v: number): number => (v === Infinity ? 0xffffffff : Number(BigInt(v) & 0xffffffffn));
