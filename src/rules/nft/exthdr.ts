// nft's option and chunk headers as nft 1.0.6 reads them: `tcp option NAME [FIELD]` (tcpopt.c
// tcpopt_protocols), `ip option NAME [FIELD]` (ipopt.c ipopt_protocols), `sctp chunk NAME [FIELD]`
// (sctp_chunk.c sctp_chunk_protocol_table) and the IPv6 extension headers (exthdr.c
// exthdr_protocols). Without a field the expression is a presence test (boolean: `exists`,
// `missing`). Which names and fields nft takes, and what it says otherwise, were measured with the
// real `nft -c` (test/rules/nft/exthdr.test.ts).

/** A field's width in bits. */
import type { NftDatatype } from './model.ts';

type Fields = Readonly<Record<string, number>>;

interface TcpOption {
  readonly kind: number;
  /** The name nft lists (`sack0` and `5` list as `sack`, `noop` as `nop`). */
  readonly name: string;
  readonly fields: Fields;
}

const TCP_OPTIONS: readonly TcpOption[] = [
  { kind: 0, name: 'eol', fields: {} },
  { kind: 1, name: 'nop', fields: {} },
  { kind: 2, name: 'maxseg', fields: { length: 8, size: 16 } },
  { kind: 3, name: 'window', fields: { length: 8, count: 8 } },
  { kind: 4, name: 'sack-perm', fields: { length: 8 } },
  { kind: 5, name: 'sack', fields: { length: 8, left: 32, right: 32 } },
  { kind: 8, name: 'timestamp', fields: { length: 8, tsval: 32, tsecr: 32 } },
  { kind: 19, name: 'md5sig', fields: { length: 8 } },
  { kind: 30, name: 'mptcp', fields: { length: 8, subtype: 4 } },
  { kind: 34, name: 'fastopen', fields: { length: 8 } },
];
const SACK_BLOCK: Fields = { length: 8, left: 32, right: 32 };
const TCP_ALIASES: Readonly<Record<string, string>> = {
  noop: 'nop',
  'sack-permitted': 'sack-perm',
  sack0: 'sack',
  mss: 'maxseg',
};
/** The words nft's grammar takes as a tcp option's field (any other word is the value). */
const TCP_FIELD_WORDS = new Set(['length', 'size', 'count', 'left', 'right', 'tsval', 'tsecr', 'subtype']);

const IP_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  lsrr: ['type', 'length', 'ptr', 'addr'],
  rr: ['type', 'length', 'ptr', 'addr'],
  ssrr: ['type', 'length', 'ptr', 'addr'],
  ra: ['type', 'length', 'value'],
};
const IP_FIELD_WORDS = new Set(['type', 'length', 'value', 'ptr', 'addr']);

const SCTP_COMMON = ['type', 'flags', 'length'];
const SCTP_INIT = [
  ...SCTP_COMMON,
  'init-tag',
  'a-rwnd',
  'num-outbound-streams',
  'num-inbound-streams',
  'initial-tsn',
];
const SCTP_CHUNKS: Readonly<Record<string, readonly string[]>> = {
  data: [...SCTP_COMMON, 'tsn', 'stream', 'ssn', 'ppid'],
  init: SCTP_INIT,
  'init-ack': SCTP_INIT,
  sack: [...SCTP_COMMON, 'a-rwnd', 'cum-tsn-ack', 'num-gap-ack-blocks', 'num-dup-tsns'],
  heartbeat: SCTP_COMMON,
  'heartbeat-ack': SCTP_COMMON,
  abort: SCTP_COMMON,
  shutdown: [...SCTP_COMMON, 'cum-tsn-ack'],
  'shutdown-ack': SCTP_COMMON,
  error: SCTP_COMMON,
  'cookie-echo': SCTP_COMMON,
  'cookie-ack': SCTP_COMMON,
  ecne: [...SCTP_COMMON, 'lowest-tsn'],
  cwr: [...SCTP_COMMON, 'lowest-tsn'],
  'shutdown-complete': SCTP_COMMON,
  'asconf-ack': [...SCTP_COMMON, 'seqno'],
  'forward-tsn': [...SCTP_COMMON, 'new-cum-tsn'],
  asconf: [...SCTP_COMMON, 'seqno'],
};
const SCTP_FIELD_WORDS = new Set(Object.values(SCTP_CHUNKS).flat());

/** The IPv6 extension headers and their fields (exthdr.c exthdr_protocols). */
export const IPV6_EXTHDR_FIELDS: Readonly<Record<string, readonly string[]>> = {
  hbh: ['nexthdr', 'hdrlength'],
  rt: ['nexthdr', 'hdrlength', 'type', 'seg-left'],
  rt0: ['addr'],
  rt2: ['addr'],
  // `sid[N]`: parse.ts srhSid.
  srh: ['last-entry', 'flags', 'tag', 'seg-left'],
  frag: ['nexthdr', 'reserved', 'frag-off', 'reserved2', 'more-fragments', 'id'],
  dst: ['nexthdr', 'hdrlength'],
  mh: ['nexthdr', 'hdrlength', 'type', 'reserved', 'checksum'],
};

export type OptionHeader = 'tcp option' | 'ip option' | 'sctp chunk';

/**
 * A header's NAME as nft lists it, or why nft refuses it: `{ syntax: expecting }` is a syntax error
 * at the word (`expecting` is bison's list, empty where it has more than four), `{ error }` nft's
 * own message.
 */
export function optionName(
  hdr: OptionHeader,
  word: string,
): { readonly name: string } | { readonly syntax: string } | { readonly error: string } {
  if (hdr === 'ip option') return IP_OPTIONS[word] ? { name: word } : { syntax: 'lsrr or rr or ssrr or ra' };
  if (hdr === 'sctp chunk') return SCTP_CHUNKS[word] ? { name: word } : { syntax: '' };
  if (/^\d+$/.test(word)) {
    const kind = Number(word);
    if (kind > 255) return { error: 'value too large' };
    return { name: TCP_OPTIONS.find((o) => o.kind === kind)?.name ?? String(kind) };
  }
  const name = TCP_ALIASES[word] ?? word;
  return TCP_OPTIONS.some((o) => o.name === name) || /^sack[123]$/.test(name) ? { name } : { syntax: '' };
}

/** Whether nft's grammar takes `word` as a field of `hdr` (else it is the presence test's value). */
export function isFieldWord(hdr: OptionHeader, word: string): boolean {
  return (
    hdr === 'tcp option' ? TCP_FIELD_WORDS : hdr === 'ip option' ? IP_FIELD_WORDS : SCTP_FIELD_WORDS
  ).has(word);
}

/**
 * How nft takes FIELD of NAME (a name as optionName gives it; `typed`: the NAME as written was a
 * number): 'ok'; 'syntax' (bison's "unexpected FIELD"); 'unknown' (ipopt.c: "unknown ip option
 * type/field", at the expression); 'no-type' (tcpopt.c has no template for it: "No symbol type
 * information", at the value; nft 1.0.6 crashes on some, which refuses the file all the same).
 */
export function optionField(
  hdr: OptionHeader,
  name: string,
  field: string,
  typed: boolean,
): 'ok' | 'syntax' | 'unknown' | 'no-type' {
  if (hdr === 'ip option') return IP_OPTIONS[name]!.includes(field) ? 'ok' : 'unknown';
  if (hdr === 'sctp chunk') return SCTP_CHUNKS[name]!.includes(field) ? 'ok' : 'syntax';
  const fields = tcpFields(name);
  if (typed) return field !== 'length' ? 'syntax' : fields?.['length'] ? 'ok' : 'no-type';
  if (field === 'length') return fields?.['length'] ? 'ok' : 'no-type';
  return fields?.[field] ? 'ok' : 'syntax';
}

/**
 * Whether the kernel writes FIELD of NAME (`tcp option maxseg size set 1360`): nft_exthdr's TCP
 * set takes 2- and 4-byte fields only; IP options and SCTP chunks are not written at all
 * (nft_exthdr_init's ops: "Operation not supported").
 */
export function optionFieldWritable(hdr: OptionHeader, name: string, field: string): boolean {
  if (hdr !== 'tcp option') return false;
  const bits = tcpFields(name)?.[field];
  return bits === 16 || bits === 32;
}

/** Where tcpopt.c's templates put a field (offset and width in bits; `kind` and `length` aside). */
const TCP_FIELD_AT: Readonly<Record<string, Readonly<Record<string, readonly [number, number]>>>> = {
  maxseg: { size: [16, 16] },
  window: { count: [16, 8] },
  sack: { left: [16, 32], right: [48, 32] },
  sack1: { left: [80, 32], right: [112, 32] },
  sack2: { left: [144, 32], right: [176, 32] },
  sack3: { left: [208, 32], right: [240, 32] },
  timestamp: { tsval: [16, 32], tsecr: [48, 32] },
  mptcp: { subtype: [16, 4] },
};

/**
 * `tcp option @KIND,OFFSET,LEN` as nft lists it back (the kernel keeps the option's kind, byte
 * offset and length; tcpopt.c tcpopt_find_template names a field of a known option at that place
 * and width): `{ name, field }` for a template's field (`maxseg size`, `sack1 left`, `maxseg
 * kind`), `{ name }` for a known option with none there (listed `maxseg unknown`), undefined for
 * an option nft has no name for (listed raw). `kind`: the option's number (sack0-3 are sack's, 5).
 */
export function tcpOptionAt(
  kind: number,
  offset: number,
  len: number,
): { readonly name: string; readonly field?: string } | undefined {
  const o = TCP_OPTIONS.find((x) => x.kind === kind);
  if (!o) return undefined;
  if (offset === 0 && len === 8) return { name: o.name, field: 'kind' };
  if (offset === 8 && len === 8 && o.fields['length']) return { name: o.name, field: 'length' };
  const names = o.name === 'sack' ? ['sack', 'sack1', 'sack2', 'sack3'] : [o.name];
  for (const n of names)
    for (const [f, [at, w]] of Object.entries(TCP_FIELD_AT[n] ?? {}))
      if (at === offset && w === len) return { name: n, field: f };
  return { name: o.name };
}

/** A tcp option's number from a name nft takes (`sack0`-`sack3` are sack's) or a number. */
export function tcpOptionKind(name: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  const n = /^sack\d$/.test(name) ? 'sack' : name;
  return TCP_OPTIONS.find((o) => o.name === n)?.kind ?? -1;
}

function tcpFields(name: string): Fields | undefined {
  return /^sack[123]$/.test(name) ? SACK_BLOCK : TCP_OPTIONS.find((o) => o.name === name)?.fields;
}

/**
 * The datatype of an option's or extension header's field (exthdr.c, ipopt.c, tcpopt.c,
 * sctp_chunk.c templates): next headers are protocols, IPv6 routing addresses are addresses, the
 * mobility header's type has names; the rest are integers (ipopt.c's `addr` too).
 */
export function exthdrFieldType(hdr: OptionHeader | 'exthdr', name: string, field: string): NftDatatype {
  if (field === 'nexthdr') return 'inet_proto';
  if (hdr === 'exthdr' && name === 'mh' && field === 'type') return 'mh_type';
  if (hdr === 'exthdr' && (field === 'addr' || field.startsWith('sid['))) return 'ipv6_addr';
  return 'integer';
}
