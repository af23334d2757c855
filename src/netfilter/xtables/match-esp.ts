// -m esp and -m ah (xt_esp.c, ipt_ah.c): the SPI in a range (inverted with !). A non-first
// fragment never matches; a packet too short for the header (8 bytes ESP, 12 AH) is dropped
// (hotdrop).
import { AH_HDR_LEN, ahSpi, ESP_HDR_LEN, espSpi } from '../../wire/ipsec.ts';
import type { Skb } from '../core/skb.ts';
import { have, nonFirstFragment } from './hdr.ts';
import type { MatchOf, XtMatch } from './xt-match.ts';

export function spiMatch(m: MatchOf<'esp'> | MatchOf<'ah'>, skb: Skb): boolean {
  if (nonFirstFragment(skb)) return false;
  const esp = m.module === 'esp';
  if (!have(skb, skb.l4off, esp ? ESP_HDR_LEN : AH_HDR_LEN)) {
    skb.hotdrop = true;
    return false;
  }
  const spi = esp ? espSpi(skb.buf, skb.l4off) : ahSpi(skb.buf, skb.l4off);
  return (spi >= m.spi.value.min && spi <= m.spi.value.max) !== m.spi.invert;
}

export function describeSpi(m: MatchOf<'esp'> | MatchOf<'ah'>, skb: Skb): string {
  const esp = m.module === 'esp';
  const r = m.spi.value;
  const want = `${m.spi.invert ? '! ' : ''}--${m.module}spi ${r.min === r.max ? r.min : `${r.min}:${r.max}`}`;
  if (nonFirstFragment(skb))
    return `-m ${m.module}: a non-first fragment has no ${m.module.toUpperCase()} header`;
  if (!have(skb, skb.l4off, esp ? ESP_HDR_LEN : AH_HDR_LEN))
    return `-m ${m.module}: the ${m.module.toUpperCase()} header is truncated (the kernel drops the packet)`;
  return `${want}: the SPI is ${esp ? espSpi(skb.buf, skb.l4off) : ahSpi(skb.buf, skb.l4off)}`;
}

export const espMatch: XtMatch<MatchOf<'esp'>> = { match: spiMatch, describe: describeSpi };
