// -m sctp (libxt_sctp.c): --sport/--dport (port or range), --chunk-types all|any|only LIST where
// LIST is ALL, NONE or chunk names with optional flag letters (upper case: set, lower case:
// clear), each invertible; -p sctp required (xt_sctp's proto). Loaded implicitly by `-p sctp`.
import type { Token } from '../lex.ts';
import type { Inv, PortRange } from '../model.ts';
import { fail, once, opt, type ModuleParser } from '../parse-util.ts';
import { bang, type MatchExt } from './ext.ts';
import { needProto, parseSctpPorts, printRange } from './hdr-util.ts';

export type SctpChunkMatchType = 'any' | 'all' | 'only';

export interface SctpChunks {
  readonly type: SctpChunkMatchType;
  /** The chunk types, 256 bits in 8 words (bit t & 31 of word t >> 5), as xt_sctp_info.chunkmap. */
  readonly map: readonly number[];
  /**
   * Flag tests (xt_sctp_flag_info, at most 4): `chunk` is what libxt_sctp stores there, the index
   * of the name in its table (equal to the chunk type for DATA..SHUTDOWN_COMPLETE only).
   */
  readonly flags: readonly { readonly chunk: number; readonly flag: number; readonly mask: number }[];
}

export interface SctpMatch {
  readonly module: 'sctp';
  readonly sport?: Inv<PortRange>;
  readonly dport?: Inv<PortRange>;
  readonly chunks?: Inv<SctpChunks>;
}

/** sctp_chunk_names[]: name, chunk type, the flag letters by bit (bit 7 first). */
export const SCTP_CHUNKS: ReadonlyArray<readonly [string, number, string]> = [
  ['DATA', 0, '----IUBE'], ['INIT', 1, '--------'], ['INIT_ACK', 2, '--------'], ['SACK', 3, '--------'],
  ['HEARTBEAT', 4, '--------'], ['HEARTBEAT_ACK', 5, '--------'], ['ABORT', 6, '-------T'],
  ['SHUTDOWN', 7, '--------'], ['SHUTDOWN_ACK', 8, '--------'], ['ERROR', 9, '--------'],
  ['COOKIE_ECHO', 10, '--------'], ['COOKIE_ACK', 11, '--------'], ['ECN_ECNE', 12, '--------'],
  ['ECN_CWR', 13, '--------'], ['SHUTDOWN_COMPLETE', 14, '-------T'], ['I_DATA', 64, '----IUBE'],
  ['RE_CONFIG', 130, '--------'], ['PAD', 132, '--------'], ['ASCONF', 193, '--------'],
  ['ASCONF_ACK', 128, '--------'], ['FORWARD_TSN', 192, '--------'], ['I_FORWARD_TSN', 194, '--------'],
]; // prettier-ignore
const XT_NUM_SCTP_FLAGS = 4;

function parseChunks(typeTok: Token, listTok: Token): SctpChunks {
  const t = typeTok.text.toLowerCase();
  if (t !== 'any' && t !== 'all' && t !== 'only')
    fail(typeTok, `bad SCTP chunk match type "${typeTok.text}" (expected all, any or only)`);
  const map = [0, 0, 0, 0, 0, 0, 0, 0];
  const flags: { chunk: number; flag: number; mask: number }[] = [];
  const list = listTok.text;
  if (list.toUpperCase() === 'ALL') map.fill(0xffffffff);
  else if (list.toUpperCase() !== 'NONE') {
    for (const item of list.split(',')) {
      if (item === '') continue; // strtok skips empty fields
      const colon = item.indexOf(':');
      const name = colon < 0 ? item : item.slice(0, colon);
      const i = SCTP_CHUNKS.findIndex(([n]) => n === name.toUpperCase());
      if (i < 0) fail(listTok, `unknown SCTP chunk "${name}"`);
      const [, type, valid] = SCTP_CHUNKS[i]!;
      map[type >> 5] = (map[type >> 5]! | (1 << (type & 31))) >>> 0;
      if (colon < 0) continue;
      for (const c of item.slice(colon + 1)) {
        const p = valid.indexOf(c.toUpperCase());
        if (p < 0)
          fail(
            listTok,
            `invalid flag "${c}" for SCTP chunk ${name} (it takes ${valid.replace(/-/g, '') || 'none'})`,
          );
        const bit = 7 - p;
        let f = flags.find((x) => x.chunk === i);
        if (!f) {
          if (flags.length === XT_NUM_SCTP_FLAGS)
            fail(listTok, `flags on more than ${XT_NUM_SCTP_FLAGS} SCTP chunk types (the kernel's limit)`);
          f = { chunk: i, flag: 0, mask: 0 };
          flags.push(f);
        }
        f.mask |= 1 << bit;
        if (c !== c.toLowerCase()) f.flag |= 1 << bit; // isupper()
      }
    }
  }
  // The order of the flag tests does not matter (one per chunk); keep them by chunk, as printed.
  flags.sort((a, b) => a.chunk - b.chunk);
  return { type: t as SctpChunkMatchType, map, flags };
}

function parser(tok: Token): ModuleParser {
  let sport: Inv<PortRange> | undefined;
  let dport: Inv<PortRange> | undefined;
  let chunks: Inv<SctpChunks> | undefined;
  return {
    name: 'sctp',
    tok,
    opts: [
      opt('source-port', 1, true, 'sport'),
      opt('sport', 1, true),
      opt('destination-port', 1, true, 'dport'),
      opt('dport', 1, true),
      opt('chunk-types', 2, true),
    ],
    option(id, args, invert, optTok) {
      switch (id) {
        case 'sport':
          once(sport, optTok, 'source-port');
          sport = { value: parseSctpPorts(args[0]!), invert };
          break;
        case 'dport':
          once(dport, optTok, 'destination-port');
          dport = { value: parseSctpPorts(args[0]!), invert };
          break;
        default: {
          once(chunks, optTok, 'chunk-types');
          const list = args[1]!;
          if (list.text.startsWith('-') || list.text.startsWith('!'))
            fail(list, '"--chunk-types" requires two arguments: all|any|only and the chunk list');
          chunks = { value: parseChunks(args[0]!, list), invert };
        }
      }
    },
    finish(ctx) {
      needProto(ctx, tok, 'sctp', 132, 'sctp');
      const m: { -readonly [K in keyof SctpMatch]: SctpMatch[K] } = { module: 'sctp' };
      if (sport) m.sport = sport;
      if (dport) m.dport = dport;
      if (chunks) m.chunks = chunks;
      return m;
    },
  };
}

const isSet = (map: readonly number[], t: number): boolean => ((map[t >> 5]! >>> (t & 31)) & 1) === 1;

/** print_chunks: the match type, then NONE, ALL or the list (names, or 0x%04X when numeric). */
function printChunks(c: SctpChunks, numeric: boolean): string {
  let s = ` ${c.type}`;
  if (c.map.every((w) => w === 0)) return `${s} NONE`;
  if (c.map.every((w) => w === 0xffffffff)) return `${s} ALL`;
  let first = true;
  for (let t = 0; t < 256; t++) {
    if (!isSet(c.map, t)) continue;
    s += first ? ' ' : ',';
    first = false;
    s += numeric
      ? `0x${t.toString(16).toUpperCase().padStart(4, '0')}`
      : SCTP_CHUNKS.filter(([, n]) => n === t)
          .map(([n]) => n)
          .join('');
    for (const f of c.flags) {
      if (f.chunk !== t || !f.mask) continue;
      const valid = SCTP_CHUNKS[t]?.[2] ?? '--------';
      s += ':';
      for (let b = 7; b >= 0; b--) {
        if (!(f.mask & (1 << b))) continue;
        const ch = valid[7 - b]!;
        s += f.flag & (1 << b) ? ch : ch.toLowerCase();
      }
    }
  }
  return s;
}

const savePorts = (name: string, p: Inv<PortRange> | undefined): string =>
  p
    ? `${bang(p.invert)} --${name} ${p.value.min === p.value.max ? p.value.min : `${p.value.min}:${p.value.max}`}`
    : '';

export const sctp: MatchExt<SctpMatch> = {
  name: 'sctp',
  parser,
  save(m) {
    let s = savePorts('sport', m.sport) + savePorts('dport', m.dport);
    if (m.chunks) s += `${bang(m.chunks.invert)} --chunk-types${printChunks(m.chunks.value, false)}`;
    return s;
  },
  print(m) {
    let s = ' sctp';
    if (m.sport) s += printRange('spt', m.sport.value, m.sport.invert, 65535);
    if (m.dport) s += printRange('dpt', m.dport.value, m.dport.invert, 65535);
    if (m.chunks) s += `${m.chunks.invert ? ' !' : ''}${printChunks(m.chunks.value, true)}`;
    return s;
  },
};
