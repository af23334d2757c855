// -m ah (ipt_ah.c): the AH header's SPI in a range; the same test as -m esp (match-esp.ts) on
// the SPI at offset 4 of the 12-byte header.
import { describeSpi, spiMatch } from './match-esp.ts';
import type { MatchOf, XtMatch } from './xt-match.ts';

export const ahMatch: XtMatch<MatchOf<'ah'>> = { match: spiMatch, describe: describeSpi };
