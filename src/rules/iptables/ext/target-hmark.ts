// -j HMARK (libxt_HMARK.c, IPv4): the mark from a hash of the packet's (or its connection's)
// addresses, ports and protocol: mark = hash % --hmark-mod + --hmark-offset. --hmark-tuple
// names (case-insensitive prefixes: `s`, `d`) set the full masks; --hmark-rnd and --hmark-mod
// are mandatory. Printed in HMARK_ip4_save / HMARK_ip4_print's order.
import type { Token } from '../lex.ts';
import { fail, opt, parseUint, type TargetParser } from '../parse-util.ts';
import type { TargetExt } from './target-ext.ts';

/** XT_HMARK_* flag bits (xt_HMARK.h). */
export const HMARK_SADDR_MASK = 1 << 0;
export const HMARK_DADDR_MASK = 1 << 1;
export const HMARK_SPI = 1 << 2;
export const HMARK_SPI_MASK = 1 << 3;
export const HMARK_SPORT = 1 << 4;
export const HMARK_DPORT = 1 << 5;
export const HMARK_SPORT_MASK = 1 << 6;
export const HMARK_DPORT_MASK = 1 << 7;
export const HMARK_PROTO_MASK = 1 << 8;
export const HMARK_RND = 1 << 9;
export const HMARK_MODULUS = 1 << 10;
export const HMARK_OFFSET = 1 << 11;
export const HMARK_CT = 1 << 12;

export interface HmarkTarget {
  readonly kind: 'HMARK';
  readonly flags: number;
  /** Prefix lengths of --hmark-src-prefix / --hmark-dst-prefix (32 from the tuple). */
  readonly srcPrefix: number;
  readonly dstPrefix: number;
  readonly sportMask: number;
  readonly dportMask: number;
  readonly spiMask: number;
  readonly sport: number;
  readonly dport: number;
  readonly spi: number;
  readonly protoMask: number;
  readonly rnd: number;
  readonly mod: number;
  readonly offset: number;
}

const TUPLE: ReadonlyArray<readonly [string, number]> = [
  ['ct', HMARK_CT],
  ['src', HMARK_SADDR_MASK],
  ['dst', HMARK_DADDR_MASK],
  ['sport', HMARK_SPORT_MASK],
  ['dport', HMARK_DPORT_MASK],
  ['proto', HMARK_PROTO_MASK],
  ['spi', HMARK_SPI_MASK],
];

const OPTS: ReadonlyArray<readonly [string, number]> = [
  ['hmark-src-prefix', HMARK_SADDR_MASK],
  ['hmark-dst-prefix', HMARK_DADDR_MASK],
  ['hmark-sport-mask', HMARK_SPORT_MASK],
  ['hmark-dport-mask', HMARK_DPORT_MASK],
  ['hmark-spi-mask', HMARK_SPI_MASK],
  ['hmark-sport', HMARK_SPORT],
  ['hmark-dport', HMARK_DPORT],
  ['hmark-spi', HMARK_SPI],
  ['hmark-proto-mask', HMARK_PROTO_MASK],
  ['hmark-rnd', HMARK_RND],
  ['hmark-mod', HMARK_MODULUS],
  ['hmark-offset', HMARK_OFFSET],
];

function parser(tok: Token): TargetParser {
  const v = {
    flags: 0,
    srcPrefix: 0,
    dstPrefix: 0,
    sportMask: 0,
    dportMask: 0,
    spiMask: 0,
    sport: 0,
    dport: 0,
    spi: 0,
    protoMask: 0,
    rnd: 0,
    mod: 0,
    offset: 0,
  };
  /** xtables' xflags: an option given (or set by the tuple) may not be given again. */
  let given = 0;
  return {
    name: 'HMARK',
    tok,
    opts: [opt('hmark-tuple', 1, false), ...OPTS.map(([n]) => opt(n, 1, false))],
    option(id, args, _inv, optTok) {
      const t = args[0]!;
      if (id === 'hmark-tuple') {
        for (const part of t.text.split(',')) {
          const e = part === '' ? undefined : TUPLE.find(([n]) => n.startsWith(part.toLowerCase()));
          if (!e) fail(t, `bad --hmark-tuple type "${part}" (expected ${TUPLE.map(([n]) => n).join(', ')})`);
          const bit = e![1];
          v.flags |= bit;
          given |= bit;
          if (bit === HMARK_SADDR_MASK) v.srcPrefix = 32;
          else if (bit === HMARK_DADDR_MASK) v.dstPrefix = 32;
          else if (bit === HMARK_SPORT_MASK) v.sportMask = 0xffff;
          else if (bit === HMARK_DPORT_MASK) v.dportMask = 0xffff;
          else if (bit === HMARK_PROTO_MASK) v.protoMask = 0xffff;
          else if (bit === HMARK_SPI_MASK) v.spiMask = 0xffffffff;
        }
        return;
      }
      const bit = OPTS.find(([n]) => n === id)![1];
      if (given & bit) fail(optTok, `HMARK: option "--${id}" can only be used once`);
      given |= bit;
      v.flags |= bit;
      const u16 = (): number => parseUint(t, t.text, 65535, `HMARK --${id}`);
      const u32 = (): number => parseUint(t, t.text, 0xffffffff, `HMARK --${id}`);
      switch (id) {
        case 'hmark-src-prefix':
          v.srcPrefix = parseUint(t, t.text, 32, 'HMARK --hmark-src-prefix');
          break;
        case 'hmark-dst-prefix':
          v.dstPrefix = parseUint(t, t.text, 32, 'HMARK --hmark-dst-prefix');
          break;
        case 'hmark-sport-mask':
          v.sportMask = u16();
          break;
        case 'hmark-dport-mask':
          v.dportMask = u16();
          break;
        case 'hmark-spi-mask':
          v.spiMask = u32();
          break;
        case 'hmark-sport':
          v.sport = u16();
          break;
        case 'hmark-dport':
          v.dport = u16();
          break;
        case 'hmark-spi':
          v.spi = u32();
          break;
        case 'hmark-proto-mask':
          v.protoMask = u16();
          break;
        case 'hmark-rnd':
          v.rnd = u32();
          break;
        case 'hmark-mod':
          v.mod = u32();
          if (v.mod < 1) fail(t, 'HMARK: bad value for option "--hmark-mod" (1-4294967295)');
          break;
        default:
          v.offset = u32();
      }
    },
    finish() {
      if (!(given & HMARK_MODULUS)) fail(tok, 'HMARK: --hmark-mod is mandatory');
      if (!(given & HMARK_RND)) fail(tok, 'HMARK: --hmark-rnd is mandatory');
      if (given & HMARK_SPI_MASK && given & (HMARK_SPORT_MASK | HMARK_DPORT_MASK))
        fail(tok, 'HMARK: you cannot use --hmark-spi-mask and --hmark-?port-mask at the same time');
      const pkt =
        HMARK_SADDR_MASK |
        HMARK_DADDR_MASK |
        HMARK_SPI_MASK |
        HMARK_SPORT_MASK |
        HMARK_DPORT_MASK |
        HMARK_PROTO_MASK |
        HMARK_SPORT |
        HMARK_DPORT |
        HMARK_SPI;
      if (!(given & (pkt | HMARK_CT))) fail(tok, 'HMARK: you have to specify --hmark-tuple at least');
      return { kind: 'HMARK', ...v };
    },
  };
}

const h = (n: number, w = 0): string => `0x${(n >>> 0).toString(16).padStart(w, '0')}`;

export const HMARK: TargetExt<HmarkTarget> = {
  name: 'HMARK',
  parser,
  save(t) {
    const f = t.flags;
    let s = '';
    if (f & HMARK_SADDR_MASK) s += ` --hmark-src-prefix ${t.srcPrefix}`;
    if (f & HMARK_DADDR_MASK) s += ` --hmark-dst-prefix ${t.dstPrefix}`;
    if (f & HMARK_SPORT_MASK) s += ` --hmark-sport-mask ${h(t.sportMask, 4)}`;
    if (f & HMARK_DPORT_MASK) s += ` --hmark-dport-mask ${h(t.dportMask, 4)}`;
    if (f & HMARK_SPI_MASK) s += ` --hmark-spi-mask ${h(t.spiMask, 8)}`;
    if (f & HMARK_SPORT) s += ` --hmark-sport ${h(t.sport, 4)}`;
    if (f & HMARK_DPORT) s += ` --hmark-dport ${h(t.dport, 4)}`;
    if (f & HMARK_SPI) s += ` --hmark-spi ${h(t.spi, 8)}`;
    if (f & HMARK_PROTO_MASK) s += ` --hmark-proto-mask ${h(t.protoMask, 2)}`;
    if (f & HMARK_RND) s += ` --hmark-rnd ${h(t.rnd, 8)}`;
    if (f & HMARK_MODULUS) s += ` --hmark-mod ${t.mod}`;
    if (f & HMARK_OFFSET) s += ` --hmark-offset ${t.offset}`;
    if (f & HMARK_CT) s += ' --hmark-tuple ct';
    return s;
  },
  print(t) {
    const f = t.flags;
    let s = ' HMARK ';
    if (f & HMARK_MODULUS) s += `mod ${t.mod} `;
    if (f & HMARK_OFFSET) s += `+ ${h(t.offset)} `;
    if (f & HMARK_CT) s += 'ct, ';
    if (f & HMARK_SADDR_MASK) s += `src-prefix ${t.srcPrefix} `;
    if (f & HMARK_DADDR_MASK) s += `dst-prefix ${t.dstPrefix} `;
    if (f & HMARK_SPORT_MASK) s += `sport-mask ${h(t.sportMask)} `;
    if (f & HMARK_DPORT_MASK) s += `dport-mask ${h(t.dportMask)} `;
    if (f & HMARK_SPI_MASK) s += `spi-mask ${h(t.spiMask)} `;
    if (f & HMARK_SPORT) s += `sport ${h(t.sport)} `;
    if (f & HMARK_DPORT) s += `dport ${h(t.dport)} `;
    if (f & HMARK_SPI) s += `spi ${h(t.spi)} `;
    if (f & HMARK_PROTO_MASK) s += `proto-mask ${h(t.protoMask)} `;
    if (f & HMARK_RND) s += `rnd ${h(t.rnd)} `;
    return s;
  },
};
