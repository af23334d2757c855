// -m esp (libxt_esp.c) and -m ah (libipt_ah.c): the SPI, a number or range (--espspi / --ahspi,
// invertible). Without the option the whole range; save then prints nothing.
import type { Token } from '../lex.ts';
import type { Inv, PortRange } from '../model.ts';
import { once, opt, type ModuleParser } from '../parse-util.ts';
import { bang, type MatchExt } from './ext.ts';
import { needProto, parseMint, printRange } from './hdr-util.ts';

export interface EspMatch {
  readonly module: 'esp';
  readonly spi: Inv<PortRange>;
}

export interface AhMatch {
  readonly module: 'ah';
  readonly spi: Inv<PortRange>;
}

function parser(name: 'esp' | 'ah', tok: Token): ModuleParser {
  let spi: Inv<PortRange> | undefined;
  const optName = name === 'esp' ? 'espspi' : 'ahspi';
  return {
    name,
    tok,
    opts: [opt(optName, 1, true)],
    option(_id, args, invert, optTok) {
      once(spi, optTok, optName);
      spi = { value: parseMint(args[0]!, 0xffffffff, `--${optName}`), invert };
    },
    finish(ctx) {
      needProto(ctx, tok, name, name === 'esp' ? 50 : 51, name);
      return { module: name, spi: spi ?? { value: { min: 0, max: 0xffffffff }, invert: false } } as
        EspMatch | AhMatch;
    },
  };
}

function save(m: EspMatch | AhMatch): string {
  const r = m.spi.value;
  if (r.min === 0 && r.max === 0xffffffff) return '';
  return `${bang(m.spi.invert)} --${m.module}spi ${r.min === r.max ? r.min : `${r.min}:${r.max}`}`;
}

export const esp: MatchExt<EspMatch> = {
  name: 'esp',
  parser: (t) => parser('esp', t),
  save,
  print: (m) => ` esp${printRange('spi', m.spi.value, m.spi.invert, 0xffffffff)}`,
};

export const ah: MatchExt<AhMatch> = {
  name: 'ah',
  parser: (t) => parser('ah', t),
  save,
  // ah_print: " ah " then the SPIs without their own leading blank.
  print: (m) => ` ah ${printRange('spi', m.spi.value, m.spi.invert, 0xffffffff).slice(1)}`,
};
