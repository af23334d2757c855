// `nft -f` scripts and `nft list ruleset` output to the model (parser_bison.y's grammar, the
// parts real rulesets use): commands, table blocks, chains, rules with their statements and
// expressions, sets, maps, flowtables and named objects, `define`/`$var` and `include`. Values
// are typed by what they are compared with (datatypes from types.ts); handles are given as the
// kernel gives them. All or nothing: the first error stops and nothing is returned.
import { writeError } from './write-check.ts';
import { diag, type Diagnostic, type Pos } from '../diagnostics.ts';
import type { SourceLine } from '../iptables/lex.ts';
import { lexNft, type NftTok } from './lex.ts';
import type {
  NftBaseChain,
  NftChain,
  NftDatatype,
  NftExpr,
  NftFamily,
  NftFlowtable,
  NftKeySpec,
  NftLoadResult,
  NftObject,
  NftObjectType,
  NftRelOp,
  NftRule,
  NftRuleset,
  NftSet,
  NftSetElem,
  NftStmt,
  NftTable,
} from './model.ts';
import {
  BITMASK_TYPES,
  canonicalIpv6,
  parseIpv6,
  CT,
  CT_TIMEOUT_STATES,
  exprBits,
  exprType,
  formatTime,
  hasInterval,
  isPayloadProto,
  isTcpContext,
  isTransportContext,
  valueBits,
  readsTransport,
  lookupSymbol,
  META,
  parseHour,
  parseInteger,
  parseIpv4,
  parseMac,
  parseTime,
  payloadFields,
  SYMBOLS,
  synproxyFlags,
  TRANSPORT_PROTOS,
  isL4Key,
  l4Name,
  formatDate,
  parseDate,
} from './types.ts';
import { addElements, firstOverlap, normaliseRule, normaliseSet, refreshExisting } from './normalise.ts';
import { dynsetError } from './dynset.ts';
import { expr as printExpr, stmtText } from './print.ts';
import { bridgePrio, PRIO_NAMES } from './prio.ts';
import { kernelHasHelper } from '../kernel-helpers.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../wire/ipv4.ts';
import {
  IPV6_EXTHDR_FIELDS,
  isFieldWord,
  optionField,
  optionFieldWritable,
  tcpOptionAt,
  tcpOptionKind,
  optionName,
  type OptionHeader,
} from './exthdr.ts';

export interface ParseOpts {
  readonly base?: NftRuleset;
  readonly readFile?: (path: string, from: string) => readonly SourceLine[] | undefined;
  /** `lines` are a whole file split at its newlines (lexNft's `wholeFile`); included files always are. */
  readonly wholeFile?: boolean;
  /** A device name's interface index on the host (see NftParseOptions.ifIndex). */
  readonly ifIndex?: (name: string) => number | undefined;
}

/** Limits: explicit errors past them. */
export const NFT_MAX_INCLUDE_DEPTH = 16;
export const NFT_MAX_TOKENS = 4_000_000;
export const NFT_MAX_NESTING = 64;
export const NFT_MAX_DEFINE_TOKENS = 1_000_000;

/** An evaluation error of a statement read whole: held, and the rule read on (symbolRelation). */
class NftHeld extends Error {
  constructor(readonly err: NftError) {
    super(err.message);
  }
}

class NftError extends Error {
  constructor(
    readonly at: Pos,
    readonly token: string,
    message: string,
  ) {
    super(message);
  }
}

/** A raw payload's `@base,offset,length` (the text after `@`). */
const RAW_PAYLOAD = /^(ll|nh|th|ih),(\d+),(\d+)$/;
const UNQUALIFIED_META = [
  'iif',
  'oif',
  'iifname',
  'oifname',
  'iiftype',
  'oiftype',
  'mark',
  'skuid',
  'skgid',
  'nftrace',
  'pkttype',
  'cpu',
  'iifgroup',
  'oifgroup',
  'cgroup',
  'rtclassid',
  'ibrname',
  'obrname',
  'ibriport',
  'obriport',
  'random',
  'secpath',
  'time',
  'day',
  'hour',
];
/** Words nft's scanner knows as keywords (bison names them; other words are a "string"). */
/** The ct keys after `original`/`reply` (parser_bison.y ct_key_dir, ct_key_dir_optional). */
const CT_DIR_KEYS = new Set(
  'saddr daddr l3proto protocol proto-src proto-dst bytes packets avgpkt zone'.split(' '),
);
const KEYWORDS = new Set(
  (
    'table chain rule set map element flowtable counter quota limit ct meta ip ip6 inet arp bridge netdev tcp udp ' +
    'udplite sctp dccp icmp icmpv6 th ether vlan accept drop continue return jump goto queue log reject snat dnat ' +
    'masquerade redirect notrack type hook priority policy device devices comment flags elements timeout size ' +
    'add create insert replace delete destroy flush list define include with to map vmap dport sport saddr daddr ' +
    'protocol state status mark iifname oifname iif oif l4proto nfproto fib numgen jhash symhash typeof'
  ).split(' '),
);
/** nft 1.0.6's own list (meta.c), in its words. */
const META_KEYS_TEXT =
  'length, protocol, priority, mark, iif, oif, iifname, oifname, iiftype, oiftype, skuid, skgid, nftrace, rtclassid, secmark, nfproto, l4proto, ibrname, obrname, pkttype, cpu, iifgroup, oifgroup, cgroup, random, ipsec, iifkind, oifkind, ibrpvid, ibrvproto, time, day, hour, sdif, sdifname';
/** Keywords nft's scanner never takes as a name (quote them to use them as one). */
const RESERVED = new Set(
  'fwd dup log counter quota accept drop jump goto queue snat dnat masquerade redirect notrack reject meta ct tcp udp icmp ether vlan'.split(
    ' ',
  ),
);
/**
 * The keywords nft 1.0.6's scanner returns as tokens where a name (its `identifier`: STRING) is
 * read, so that a table, chain, set, map, flowtable, object or `define` with one as its name is a
 * syntax error ("unexpected hook, expecting string"). Taken from the real nft 1.0.6: every token
 * name of libnftables' parser tables, tried as `table ip NAME` with `nft -c` (2026-12-03).
 */
export const NAME_KEYWORDS = new Set(
  (
    'vmap include define redefine undefine fib socket tproxy osf synproxy typeof hook device ' +
    'devices table chain rule set element map flowtable handle ruleset inet netdev add update ' +
    'replace create insert delete get list reset flush rename describe import export monitor all ' +
    'accept drop continue jump goto return constant interval dynamic auto-merge timeout ' +
    'gc-interval elements expires policy size flow offload meter th bridge ether type vlan arp ' +
    'ip ecn icmp igmp ip6 priority icmpv6 ah esp comp flags udp udplite tcp dccp sctp rt rt0 rt2 ' +
    'srh hbh frag dst mh meta mark iif iifname iiftype oif oifname oiftype skuid skgid nftrace ' +
    'rtclassid ibriport obriport ibrname obrname pkttype cpu iifgroup oifgroup cgroup time ct ' +
    'counter log limit quota secmark hour day reject snat dnat masquerade redirect random queue ' +
    'dup fwd numgen jhash symhash position index comment notrack exists missing exthdr ipsec xt '
  )
    .trim()
    .split(' '),
);
/** A value of the type that stands in for one nft could not parse (valueWord). */
const STAND_IN: Partial<Record<NftDatatype, string>> = {
  ipv4_addr: '0.0.0.0',
  ipv6_addr: '::',
  ether_addr: '00:00:00:00:00:00',
  ifname: 'lo',
  string: 'x',
};
/** Binary and relational operators, as nft's scanner reads them (symbolRelation). */
const BINOPS = new Set(['|', '&', '^', '<<', '>>', '.', 'or', 'and', 'xor', 'lshift', 'rshift']);
const RELOPS = new Set(['==', '!=', '<', '>', '<=', '>=', '!', 'eq', 'ne', 'lt', 'gt', 'le', 'ge']);
/**
 * Keywords nft 1.0.6 takes as a string on the right of `SYMBOL …` (`xx dport` is refused at
 * evaluation, `xx hook` at `hook`): tried one by one with `nft -c` (2026-12-03).
 */
const RHS_KEYWORDS = new Set(
  (
    'arp daddr dccp destroy dnat dport ecn ether filter icmp icmpv6 ip ip6 l4proto nat nfproto original ' +
    'protocol redirect reply reset saddr sctp snat sport state status tcp to udp udplite version vlan with ' +
    'label length'
  ).split(' '),
);
/** The keywords parser_bison.y's type_identifier takes as a datatype's name. */
const TYPE_KEYWORDS = new Set(['mark', 'dscp', 'ecn', 'classid', 'time']);
/**
 * The datatype names nft 1.0.6 knows (datatype.c datatype_lookup_byname), as the real nft takes
 * them in `set s { type NAME; }` with `nft -c` (2026-12-03; the unqualified ones are refused
 * later, at evaluation).
 */
const NFT_DATATYPES = new Set(
  (
    'invalid verdict nf_proto bitmask integer string ll_addr ipv4_addr ipv6_addr ether_addr ether_type ' +
    'arp_op inet_proto inet_service icmp_type tcp_flag dccp_pkttype mh_type time mark iface_index ' +
    'iface_type realm classid uid gid ct_state ct_dir ct_status icmpv6_type pkt_type icmp_code ' +
    'icmpv6_code icmpx_code devgroup dscp ecn fib_addrtype boolean ifname igmp_type cgroupsv2'
  ).split(' '),
);
/** nft's scanner's {string}: a letter, `_` or `.`, then letters, digits and `/ - _ .`. */
const NFT_STRING = /^[A-Za-z_.][A-Za-z0-9/\-_.]*/;
/** nft's {classid} (`1:2`, `a:b`), which its scanner also returns as a string. */
const NFT_CLASSID = /^[0-9a-fA-F]{1,4}:[0-9a-fA-F]{1,4}$/;
const FAMILIES = new Set(['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev']);
/** The hooks each family's base chains take (nft's evaluate.c, as nft 1.0.6 answers `nft -c`). */
const FAMILY_HOOKS: Readonly<Record<string, readonly string[]>> = {
  ip: ['prerouting', 'input', 'forward', 'output', 'postrouting'],
  ip6: ['prerouting', 'input', 'forward', 'output', 'postrouting'],
  inet: ['prerouting', 'input', 'forward', 'output', 'postrouting', 'ingress'],
  bridge: ['prerouting', 'input', 'forward', 'output', 'postrouting'],
  arp: ['input', 'forward', 'output'],
  netdev: ['ingress', 'egress'],
};
const ALL_HOOKS = new Set(Object.values(FAMILY_HOOKS).flat());

/** A base chain's hook: one nft knows, and one of the table's family (nft's messages). */
function checkHook(family: string, hook: NftTok): void {
  if (!ALL_HOOKS.has(hook.text)) throw new NftError(hook, hook.text, 'unknown chain hook');
  if (!FAMILY_HOOKS[family]?.includes(hook.text))
    throw new NftError(hook, hook.text, `The ${family} family does not support this hook`);
}
const SERVICES: Readonly<Record<string, number>> = {
  ftp: 21,
  ssh: 22,
  telnet: 23,
  smtp: 25,
  domain: 53,
  bootps: 67,
  bootpc: 68,
  tftp: 69,
  http: 80,
  pop3: 110,
  ntp: 123,
  imap: 143,
  snmp: 161,
  bgp: 179,
  ldap: 389,
  https: 443,
  submission: 587,
  imaps: 993,
  pop3s: 995,
  'http-alt': 8080,
  'netbios-ns': 137,
  'netbios-dgm': 138,
  'netbios-ssn': 139,
  'microsoft-ds': 445,
  'dhcpv6-client': 546,
  'dhcpv6-server': 547,
  rsync: 873,
  openvpn: 1194,
  mysql: 3306,
  'ms-wbt-server': 3389,
  mdns: 5353,
  postgresql: 5432,
  syslog: 514,
  isakmp: 500,
  'ipsec-nat-t': 4500,
  sip: 5060,
  ldaps: 636,
  kerberos: 88,
  nfs: 2049,
};
function cloneRuleset(rs: NftRuleset): NftRuleset {
  return structuredClone(rs);
}

interface Ctx {
  readonly rs: NftRuleset & { tableHandle?: number };
}

export function parseNftText(lines: readonly SourceLine[], opts: ParseOpts): NftLoadResult {
  const rs = cloneRuleset(opts.base ?? { tables: [] }) as NftRuleset & { tableHandle?: number };
  try {
    const lx = lexNft(lines, opts.wholeFile === true);
    if (!lx.ok) throw new NftError(lx.at, lx.token, lx.message);
    const p = new Parser(lx.tokens, opts, { rs }, 0);
    p.script();
    checkMapVerdicts(rs);
    // A junk token is where nft's scanner stopped: one the parser took in passing (a `define`'s
    // words) is still the error.
    const junk = lx.tokens.find((t) => t.kind === 'junk');
    if (junk) throw new NftError(junk, junk.text, 'syntax error, unexpected junk');
    return { ok: true, ruleset: rs, warnings: [] };
  } catch (e) {
    if (e instanceof NftError)
      return { ok: false, diagnostics: [diag('error', e.at, e.token, e.message)] as Diagnostic[] };
    throw e;
  }
}

/**
 * An error nft gives as it parses (bison's syntax errors and its parser actions' errors:
 * parser_bison.y's unknown datatype, comment length, undefined variables; the scanner's include
 * and size limits), which comes before any evaluation error; natbox's other errors are
 * evaluation errors.
 */
function isParseError(e: NftError): boolean {
  return /^(syntax error|unknown identifier|unknown datatype|comment too long|too many tokens|sets nested too deeply|Include nested|File not found|input too large|variable too large|list commands)/.test(
    e.message,
  );
}

/** How nft's parser (bison) names a punctuation token in "unexpected …" (parser_bison.y). */
const PUNCT_NAMES: Readonly<Record<string, string>> = {
  '==': '==',
  '!=': '!=',
  '<=': '<=',
  '>=': '>=',
  '<<': '<<',
  '>>': '>>',
  ':': 'colon',
  ';': 'semicolon',
  ',': 'comma',
  '.': '.',
  '&': '&',
  '^': '^',
  '!': '!',
  '/': '/',
  '*': '*',
  '-': '-',
  '+': '+',
  '<': '<',
  '>': '>',
};

/** Tokens that cannot start a statement (nft 1.0.6: `accept &x`, `ip daddr 1.2.3.4 !x`, `accept /x`). */
const AFTER_STMT = new Set(['!', '&', '/', '*', '^', 'colon', '==', '!=', '<=', '>=', '<', '>']);

/** nft's name for the token a word starts with where that is punctuation, not a string. */
const leadName = (text: string): string | undefined => {
  const c = text[0]!;
  return PUNCT_NAMES[c] ?? ('[]{}()'.includes(c) ? `'${c}'` : undefined);
};

/** The words nft's scanner returns as operators, by the operator's name (scanner.l). */
const WORD_OPS: Readonly<Record<string, string>> = {
  or: "'|'",
  and: '&',
  xor: '^',
  lshift: '<<',
  rshift: '>>',
  eq: '==',
  ne: '!=',
  lt: '<',
  gt: '>',
  le: '<=',
  ge: '>=',
};

const tokName = (t: NftTok): string =>
  t.kind === 'word' && Object.hasOwn(WORD_OPS, t.text)
    ? WORD_OPS[t.text]!
    : t.kind === 'junk'
      ? 'junk'
      : (t.kind === 'punct' || (t.kind === 'word' && t.text.length === 1)) &&
          PUNCT_NAMES[t.text] !== undefined
        ? PUNCT_NAMES[t.text]!
        : t.kind === 'word' && /^\d+$/.test(t.text)
          ? 'number'
          : t.kind === 'word' && !KEYWORDS.has(t.text)
            ? 'string'
            : t.kind === 'eof'
              ? 'end of file'
              : t.kind === 'nl'
                ? 'newline'
                : t.kind === 'string'
                  ? 'quoted string'
                  : t.kind === 'punct'
                    ? `'${t.text}'`
                    : t.kind === 'var'
                      ? 'variable'
                      : t.kind === 'at'
                        ? `'@'`
                        : t.text;

class Parser {
  private i = 0;
  private readonly defines: Map<string, NftTok[]>;
  private depth = 0;
  private inSet = 0;
  /** The sets and maps of the table block being read, not yet added to its table (tableBlock). */
  private blockSets: readonly { set: NftSet }[] = [];
  private parens = 0;
  private needTcp = false;
  /** Whether the rule's statements before the one being read match a transport protocol. */
  private transportBefore = false;
  /** The family a rule's `meta nfproto` gave, for `ct original saddr` after it. */
  private ruleNf: 'ip' | 'ip6' | undefined;
  /** Inside a rule's statements (not a set's `typeof`). */
  private inRule = 0;

  constructor(
    private toks: NftTok[],
    private readonly opts: ParseOpts,
    private readonly ctx: Ctx,
    private readonly includeDepth: number,
    defines?: Map<string, NftTok[]>,
  ) {
    this.defines = defines ?? new Map();
  }

  // ---- tokens ----

  private peek(k = 0): NftTok {
    // `$var:80`, `10.0.0.1:$port`, `$net/24`: a `$var` touching words joins them.
    const glued = glueVars(this.toks, this.i + k, this.defines);
    if (glued) this.toks = glued;
    // `$var`: its definition's tokens take its place.
    for (let guard = 0; ; guard++) {
      const t = this.toks[this.i + k]!;
      // Where nft's scanner stopped: reaching it is the error, whatever the parser expected.
      if (t.kind === 'junk') throw new NftError(t, t.text, 'syntax error, unexpected junk');
      if (t.kind !== 'var') return t;
      const def = this.defines.get(t.text);
      if (!def) throw new NftError({ ...t, column: t.column + 1 }, t.text, `unknown identifier '${t.text}'`);
      if (guard > 1000 || this.toks.length > NFT_MAX_TOKENS)
        throw new NftError(t, `$${t.text}`, 'too many tokens (variables expand without end)');
      this.toks = [
        ...this.toks.slice(0, this.i + k),
        ...def.map((d) => ({ ...d, ...pick(t) })),
        ...this.toks.slice(this.i + k + 1),
      ];
    }
  }
  private next(): NftTok {
    const t = this.peek();
    if (t.kind !== 'eof') this.i++;
    return t;
  }
  /**
   * Cuts the current word token into the given parts (the lexer keeps `addr:port` one word;
   * nft's scanner makes `192.168.1.100:numgen` an address, a colon and a keyword).
   */
  private splitWord(parts: readonly string[]): void {
    const t = this.peek();
    let col = t.column;
    const toks: NftTok[] = parts.map((text) => {
      const tok = { ...t, kind: 'word' as const, text, column: col };
      col += text.length;
      return tok;
    });
    this.toks = [...this.toks.slice(0, this.i), ...toks, ...this.toks.slice(this.i + 1)];
  }
  private isWord(w: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === 'word' && t.text === w;
  }
  private isPunct(p: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === 'punct' && t.text === p;
  }
  private eatWord(w: string): boolean {
    if (this.isWord(w)) {
      this.i++;
      return true;
    }
    return false;
  }
  private eatPunct(p: string): boolean {
    if (this.isPunct(p)) {
      this.i++;
      return true;
    }
    return false;
  }
  private fail(t: NftTok, expecting?: string): never {
    throw new NftError(
      t,
      t.text,
      `syntax error, unexpected ${tokName(t)}${expecting ? `, expecting ${expecting}` : ''}`,
    );
  }
  /**
   * Junk where the parser expects a few tokens: nft's message names them ("unexpected junk,
   * expecting newline or semicolon"), as bison does for a state with at most four.
   */
  private junkExpecting(expecting: string, k = 0): void {
    const t = this.toks[this.i + k];
    if (t?.kind === 'junk') this.fail(t, expecting);
  }
  private expectPunct(p: string, expecting = `'${p}'`): NftTok {
    this.junkExpecting(expecting);
    const t = this.peek();
    if (!(t.kind === 'punct' && t.text === p)) this.fail(t, expecting);
    return this.next();
  }
  private expectWord(w: string): NftTok {
    const t0 = this.peek();
    // `priority[x`: nft's scanner ends the keyword where its string ends.
    if (
      t0.kind === 'word' &&
      t0.text.length > w.length &&
      t0.text.startsWith(w) &&
      '[]:'.includes(t0.text[w.length]!)
    )
      this.cutName(w.length);
    const t = this.peek();
    if (!(t.kind === 'word' && t.text === w)) this.fail(t, w);
    return this.next();
  }
  private identifier(what = 'string'): NftTok {
    const t = this.peek();
    if (t.kind === 'word' && RESERVED.has(t.text))
      throw new NftError(t, t.text, `syntax error, unexpected ${t.text}, expecting ${what}`);
    if (t.kind === 'word' || t.kind === 'string') return this.next();
    return this.fail(t, what);
  }
  /**
   * A name where nft reads its `identifier` (a table, chain, set, map, flowtable, object, define or
   * jump target): a bare word as nft's scanner reads a string. A quoted string, a number or a
   * keyword is a syntax error; a word nft's scanner would cut short (`na:` `a[b`) is cut there,
   * and what follows is the next token, as in nft.
   */
  private name(what = 'string'): NftTok {
    this.junkExpecting(what);
    const t = this.peek();
    if (this.asteriskAt())
      throw new NftError(
        t,
        t.text,
        `syntax error, unexpected string with a trailing asterisk, expecting ${what}`,
      );
    if (t.kind === 'string') this.fail(t, what);
    if (t.kind === 'word' && !NFT_CLASSID.test(t.text)) {
      if (NAME_KEYWORDS.has(t.text) || RESERVED.has(t.text))
        throw new NftError(t, t.text, `syntax error, unexpected ${t.text}, expecting ${what}`);
      const m = NFT_STRING.exec(t.text);
      if (!m) {
        if (/^[0-9]/.test(t.text))
          throw new NftError(t, t.text, `syntax error, unexpected number, expecting ${what}`);
        const c = leadName(t.text);
        if (c !== undefined)
          throw new NftError(t, t.text[0]!, `syntax error, unexpected ${c}, expecting ${what}`);
      } else if (m[0].length < t.text.length) this.cutName(m[0].length);
    }
    return this.identifier(what);
  }
  /**
   * Cuts the word at the cursor after `n` characters, where nft's scanner ends a string: the
   * character there (`:` `[` `]`, or `%`, which nft's scanner has no rule for: junk) becomes its own
   * token, and what follows it a word again.
   */
  private cutName(n: number): void {
    const t = this.toks[this.i]!;
    const c = t.text[n]!;
    const toks: NftTok[] = [
      { ...t, text: t.text.slice(0, n) },
      { ...t, kind: c === '%' ? 'junk' : 'punct', text: c, column: t.column + n },
    ];
    if (t.text.length > n + 1) toks.push({ ...t, text: t.text.slice(n + 1), column: t.column + n + 1 });
    this.toks.splice(this.i, 1, ...toks);
  }
  private number(what = 'number'): number {
    const t = this.peek();
    const n = t.kind === 'word' ? parseInteger(t.text) : undefined;
    if (n === undefined) this.fail(t, what);
    this.i++;
    return n;
  }
  private skipSeps(): void {
    for (;;) {
      const t = this.peek();
      if (t.kind === 'nl' || t.kind === 'handle' || (t.kind === 'punct' && t.text === ';')) this.i++;
      else return;
    }
  }
  private skipNl(): void {
    for (;;) {
      const t = this.peek();
      if (t.kind === 'nl' || t.kind === 'handle') this.i++;
      else return;
    }
  }
  /** A command or block item ends at a newline or `;` (a block's `}` does not end one, as in nft). */
  private endOfCommand(inBlock = false): void {
    this.junkExpecting(inBlock ? 'newline or semicolon' : 'end of file or newline or semicolon');
    const t = this.peek();
    if (t.kind === 'nl' || t.kind === 'handle' || (t.kind === 'punct' && t.text === ';')) return;
    if (t.kind === 'eof' && !inBlock) return;
    this.fail(t, inBlock ? 'newline or semicolon' : 'end of file or newline or semicolon');
  }
  private takeHandle(): number | undefined {
    const t = this.toks[this.i];
    if (t?.kind === 'handle') {
      this.i++;
      return Number(t.text);
    }
    return undefined;
  }

  // ---- commands ----

  /**
   * nft parses the whole file before it evaluates a command (libnftables.c
   * nft_run_cmd_from_filename: nft_parse_bison_filename, then nft_evaluate), so a syntax error
   * anywhere comes before any evaluation error. natbox evaluates as it reads: the first evaluation
   * error is held (`pending`), the rest of its rule or command skipped, and the file read on for
   * a syntax error; the held error is thrown at the end.
   */
  script(): void {
    for (;;) {
      this.skipSeps();
      const t = this.peek();
      if (t.kind === 'eof') break;
      const start = this.i;
      try {
        this.command();
      } catch (e) {
        if (!(e instanceof NftError) || isParseError(e)) throw e;
        this.pending ??= e;
        this.skipRest(start);
      }
    }
    if (this.pending) throw this.pending;
  }
  /** The first evaluation error, held while the rest of the file is read for a syntax error. */
  private pending: NftError | undefined;
  /** Whether the rule being read is in a chain block (its end: newline or `;`, not the file's). */
  private inBlock = false;

  /**
   * After an evaluation error thrown by the rule or command begun at token `start`: skips to its
   * end (a newline, `;` or the `}` closing its block, outside the braces it opened), where reading
   * goes on. Junk on the way is the scanner's stop, a syntax error.
   */
  private skipRest(start: number): void {
    let depth = 0;
    if (this.i < start) this.i = start;
    for (let k = start; k < this.i; k++) {
      const x = this.toks[k]!;
      if (x.kind === 'punct' && x.text === '{') depth++;
      else if (x.kind === 'punct' && x.text === '}') depth--;
    }
    for (;;) {
      const x = this.toks[this.i]!;
      if (x.kind === 'junk') this.fail(x);
      if (x.kind === 'eof') return;
      const brace = x.kind === 'punct' ? x.text : '';
      if (depth <= 0 && (x.kind === 'nl' || x.kind === 'handle' || brace === ';' || brace === '}')) return;
      if (brace === '{') depth++;
      else if (brace === '}') depth--;
      this.i++;
    }
  }

  private command(): void {
    const t = this.peek();
    if (t.kind !== 'word') this.fail(t);
    // `add*`: nft's scanner takes the longest match, {string}\* (ASTERISK_STRING), over the keyword.
    if (this.asteriskAt())
      throw new NftError(t, t.text, 'syntax error, unexpected string with a trailing asterisk');
    switch (t.text) {
      case 'define':
      case 'redefine': {
        this.i++;
        const name = this.name('string');
        this.expectPunct('=');
        const start = this.i;
        let depth = 0;
        for (;;) {
          const x = this.toks[this.i]!;
          // An unclosed `{` runs to the end of the file: nft's "unexpected end of file".
          if (x.kind === 'eof') {
            if (depth > 0) this.fail(x);
            break;
          }
          if (x.kind === 'punct' && x.text === '{') depth++;
          if (x.kind === 'punct' && x.text === '}') depth--;
          if (depth <= 0 && (x.kind === 'nl' || (x.kind === 'punct' && x.text === ';'))) break;
          if (x.kind === 'var' && !this.defines.has(x.text))
            throw new NftError(x, `$${x.text}`, `unknown identifier '${x.text}'`);
          this.i++;
        }
        const raw = this.toks.slice(start, this.i).filter((x) => x.kind !== 'nl' && x.kind !== 'handle');
        const out: NftTok[] = [];
        for (const x of raw) {
          if (x.kind === 'var') out.push(...this.defines.get(x.text)!);
          else out.push(x);
        }
        if (out.length === 0) this.fail(this.peek());
        checkDefineSet(raw, (x) => this.fail(x, "comma or '}'"));
        if (out.length > NFT_MAX_DEFINE_TOKENS)
          throw new NftError(
            name,
            name.text,
            `variable too large (more than ${NFT_MAX_DEFINE_TOKENS} words)`,
          );
        this.defines.set(name.text, out);
        return;
      }
      case 'undefine':
        this.i++;
        this.defines.delete(this.identifier().text);
        return;
      case 'include':
        return this.include();
      case 'flush':
        if (this.isWord('ruleset', 1)) {
          this.i += 2;
          if (FAMILIES.has(this.peek().text) && this.peek().kind === 'word') {
            const fam = this.next().text;
            const keep = this.ctx.rs.tables.filter((x) => x.family !== fam);
            this.ctx.rs.tables.splice(0, this.ctx.rs.tables.length, ...keep);
          } else this.ctx.rs.tables.splice(0);
          return this.endOfCommand();
        }
        this.i++;
        return this.flushCmd();
      case 'add':
      case 'create':
        this.i++;
        return this.addCmd(t.text === 'create');
      case 'insert':
      case 'replace':
        this.i++;
        if (!this.isWord('rule')) this.fail(this.peek(), 'rule');
        this.i++;
        return this.ruleCmd(t.text as 'insert' | 'replace');
      case 'delete':
      case 'destroy':
        this.i++;
        return this.deleteCmd(t.text === 'destroy');
      case 'table':
      case 'chain':
      case 'rule':
      case 'set':
      case 'map':
      case 'element':
      case 'flowtable':
      case 'counter':
      case 'quota':
      case 'limit':
        return this.addCmd(false);
      case 'list':
        throw new NftError(
          t,
          t.text,
          'list commands are not read (natbox reads nft -f input and nft list ruleset output)',
        );
      default:
        return this.bareCommand(t);
    }
  }

  /** A command that starts with no command keyword. */
  private bareCommand(t: NftTok): void {
    // nft's base_cmd takes an `add` left out: `[family] TABLE CHAIN rule` is `add rule`
    // (parser_bison.y, add_cmd's rule_position), so a word that is no keyword is a table's name
    // and the syntax error comes at the token after it ("unexpected colon, expecting string").
    // The token after, as written (junk there is not yet the error).
    const next = this.toks[this.i + 1]!;
    // nft's {string}\* is one token (ASTERISK_STRING).
    if (tokName(t) === 'string' && next.kind === 'punct' && next.text === '*' && touches(t, next))
      throw new NftError(t, t.text, 'syntax error, unexpected string with a trailing asterisk');
    if (
      (tokName(t) === 'string' && /^[A-Za-z_]/.test(t.text)) ||
      (FAMILIES.has(t.text) && next.kind === 'word')
    )
      return this.implicitAddRule();
    // A word nft's scanner does not start as a string: its first character is the token.
    if (t.kind === 'word' && tokName(t) === 'string' && !/^[A-Za-z_]/.test(t.text)) {
      const c = leadName(t.text);
      if (c !== undefined) throw new NftError(t, t.text[0]!, `syntax error, unexpected ${c}`);
    }
    return this.fail(t);
  }

  /**
   * `[family] TABLE CHAIN rule` with its `add` left out. A table or chain that is not there is an
   * evaluation error, which nft reports only when the rule has no syntax error (its parser runs
   * before its evaluation), so the rule is still read (against an empty table) for one.
   */
  private implicitAddRule(): void {
    const save = this.i;
    const fam = this.family();
    const tname = this.name('string');
    const cname = this.name('string');
    const tb = this.findTable(fam, tname.text);
    if (tb && chainNamed(tb, cname.text)) {
      this.i = save;
      return this.ruleCmd('add');
    }
    const missing = new NftError(
      tb ? cname : tname,
      (tb ? cname : tname).text,
      'Could not process rule: No such file or directory',
    );
    try {
      if (this.isWord('position') || this.isWord('handle') || this.isWord('index')) {
        this.i++;
        this.number();
      }
      const empty = newTable(fam, tname.text, 0, tname);
      this.rule(empty);
      this.endOfCommand();
    } catch (e) {
      if (e instanceof NftError && e.message.startsWith('syntax error')) throw e;
    }
    throw missing;
  }

  private include(): void {
    const kw = this.next();
    const f = this.peek();
    if (f.kind !== 'string') this.fail(f, 'quoted string');
    this.i++;
    if (this.includeDepth >= NFT_MAX_INCLUDE_DEPTH)
      throw new NftError(kw, 'include', `Include nested too deeply, max ${NFT_MAX_INCLUDE_DEPTH} levels`);
    const lines = this.opts.readFile?.(f.text, f.file);
    if (lines === undefined) throw new NftError(kw, 'include', `File not found: ${f.text}`);
    const lx = lexNft(lines, true);
    if (!lx.ok) throw new NftError(lx.at, lx.token, lx.message);
    const sub = new Parser(lx.tokens, this.opts, this.ctx, this.includeDepth + 1, this.defines);
    sub.script();
  }

  private family(): NftFamily {
    const t = this.peek();
    if (
      t.kind === 'word' &&
      FAMILIES.has(t.text) &&
      (this.peek(1).kind === 'word' || this.peek(1).kind === 'string')
    ) {
      this.i++;
      return t.text as NftFamily;
    }
    return 'ip';
  }

  private findTable(fam: NftFamily, name: string): NftTable | undefined {
    return this.ctx.rs.tables.find((x) => x.family === fam && x.name === name);
  }
  private needTable(fam: NftFamily, nameTok: NftTok): NftTable {
    const tb = this.findTable(fam, nameTok.text);
    if (!tb) throw new NftError(nameTok, nameTok.text, 'Could not process rule: No such file or directory');
    return tb;
  }
  private needChain(tb: NftTable, nameTok: NftTok): NftChain {
    const c = chainNamed(tb, nameTok.text);
    if (!c) throw new NftError(nameTok, nameTok.text, 'Could not process rule: No such file or directory');
    return c;
  }
  private newHandle(tb: NftTable, given?: number): number {
    const h = given ?? (tb.lastHandle ?? 0) + 1;
    tb.lastHandle = Math.max(tb.lastHandle ?? 0, h);
    return h;
  }

  /** `nameFollows`: the command names a chain, set or element next (all but `flush table`). */
  private tableOf(create: boolean, t0: NftTok, exclusive = false, nameFollows = true): NftTable {
    const fam = this.family();
    const name = this.name('string');
    let tb = this.findTable(fam, name.text);
    if (tb && exclusive) throw new NftError(name, name.text, 'Could not process rule: File exists');
    if (!tb) {
      // A missing table is an evaluation error: a syntax error in the name after it comes first.
      if (!create && nameFollows) this.name();
      if (!create) throw new NftError(name, name.text, 'Could not process rule: No such file or directory');
      const rs = this.ctx.rs;
      const h = (rs.tableHandle ?? rs.tables.reduce((a, x) => Math.max(a, x.handle), 0)) + 1;
      tb = newTable(fam, name.text, h, t0);
      rs.tableHandle = h;
      rs.tables.push(tb);
    }
    return tb;
  }

  private addCmd(exclusive: boolean): void {
    const kw = this.next();
    switch (kw.text) {
      case 'table': {
        const save = this.i;
        const fam = this.family();
        const existed = this.findTable(fam, this.name().text);
        this.i = save;
        const tb = this.tableOf(true, kw, exclusive);
        if (this.isPunct('{')) this.tableBlock(tb, !existed);
        return this.endOfCommand();
      }
      case 'chain': {
        const tb = this.tableOf(false, kw);
        const name = this.name();
        const block = this.isPunct('{') ? this.chainBlock(tb, name, exclusive) : undefined;
        if (!block) this.declareChain(tb, name, undefined, exclusive);
        return this.endOfCommand();
      }
      case 'rule':
        return this.ruleCmd('add');
      case 'set':
      case 'map': {
        const tb = this.tableOf(false, kw);
        const name = this.name();
        const set = this.setBlock(tb, name, kw.text === 'map');
        this.addSet(tb, set, exclusive, name);
        return this.endOfCommand();
      }
      case 'element': {
        const tb = this.tableOf(false, kw);
        const name = this.name();
        const set = setNamed(tb, name.text);
        if (!set) throw new NftError(name, name.text, 'Could not process rule: No such file or directory');
        const lit = this.setLiteral(set.key.types, set.isMap ? set.data?.types : undefined, set.key.typeof);
        this.overlapCheck(set, set.elements, lit);
        addElements(set, lit);
        return this.endOfCommand();
      }
      case 'flowtable': {
        const tb = this.tableOf(false, kw);
        const name = this.name();
        const ft = this.flowtableBlock(name);
        tb.flowtables.push({ ...ft, handle: this.newHandle(tb) });
        return this.endOfCommand();
      }
      case 'counter':
      case 'quota':
      case 'limit':
      case 'ct':
      case 'synproxy':
      case 'secmark': {
        // `add counter inet t c1`, `add quota inet t q { over 10 mbytes }`, `add ct timeout inet t
        // n { ... }` (parser_bison.y add_cmd: TYPE obj_spec, then the object's config or block).
        const sub = kw.text === 'ct' ? this.ctObjectKind() : undefined;
        // nft's own lookup of the table (obj_evaluate): not the kernel's words.
        const save = this.i;
        const fam = this.family();
        const tname = this.name('string');
        if (!this.findTable(fam, tname.text))
          throw new NftError(tname, tname.text, 'No such file or directory');
        this.i = save;
        const tb = this.tableOf(false, kw);
        const o = this.objectBlock(kw, sub, true, tb.family);
        this.addObject(tb, o, exclusive);
        return this.endOfCommand();
      }
      default:
        // `add TABLE CHAIN rule` (parser_bison.y add_cmd: rule_position rule, no RULE keyword).
        if (!exclusive && (kw.kind === 'word' || kw.kind === 'var')) {
          this.i--;
          return this.bareCommand(this.peek());
        }
        return this.fail(kw, 'table, chain, rule, set, map, element or flowtable');
    }
  }

  private addSet(tb: NftTable, set: NftSet, exclusive: boolean, name: NftTok): void {
    const old = setNamed(tb, set.name);
    if (old) {
      if (exclusive) throw new NftError(name, name.text, 'Could not process rule: File exists');
      this.overlapCheck(old, old.elements, set.elements);
      refreshExisting(old, set.elements);
      old.elements.push(...set.elements);
      normaliseSet(old);
      return;
    }
    set.handle = this.newHandle(tb, set.handle || undefined);
    tb.sets.push(set);
  }

  private flushCmd(): void {
    const kw = this.next();
    switch (kw.text) {
      case 'table': {
        const tb = this.tableOf(false, kw, false, false);
        for (const c of tb.chains) c.rules.splice(0);
        for (const s of tb.sets) s.elements.splice(0);
        return this.endOfCommand();
      }
      case 'chain': {
        const tb = this.tableOf(false, kw);
        this.needChain(tb, this.name()).rules.splice(0);
        return this.endOfCommand();
      }
      case 'set':
      case 'map': {
        const tb = this.tableOf(false, kw);
        const name = this.name();
        const s = tb.sets.find((x) => x.name === name.text);
        if (!s) throw new NftError(name, name.text, 'Could not process rule: No such file or directory');
        s.elements.splice(0);
        return this.endOfCommand();
      }
      default:
        return this.fail(kw, 'ruleset, table, chain, set or map');
    }
  }

  private deleteCmd(destroy: boolean): void {
    const kw = this.next();
    const missing = (t: NftTok): void => {
      if (!destroy) throw new NftError(t, t.text, 'Could not process rule: No such file or directory');
    };
    switch (kw.text) {
      case 'table': {
        const fam = this.family();
        const name = this.name();
        const k = this.ctx.rs.tables.findIndex((x) => x.family === fam && x.name === name.text);
        if (k < 0) missing(name);
        else this.ctx.rs.tables.splice(k, 1);
        return this.endOfCommand();
      }
      case 'chain': {
        const tb = this.tableOf(false, kw);
        const name = this.name();
        const k = tb.chains.findIndex((x) => x.name === name.text);
        if (k < 0) missing(name);
        else tb.chains.splice(k, 1);
        return this.endOfCommand();
      }
      case 'rule': {
        const tb = this.tableOf(false, kw);
        const c = this.needChain(tb, this.name());
        this.expectWord('handle');
        const ht = this.peek();
        const h = this.number();
        const k = c.rules.findIndex((r) => r.handle === h);
        if (k < 0) missing(ht);
        else c.rules.splice(k, 1);
        return this.endOfCommand();
      }
      case 'set':
      case 'map':
      case 'flowtable': {
        const tb = this.tableOf(false, kw);
        const name = this.name();
        const list = kw.text === 'flowtable' ? tb.flowtables : tb.sets;
        const k = list.findIndex((x) => x.name === name.text);
        if (k < 0) missing(name);
        else list.splice(k, 1);
        return this.endOfCommand();
      }
      case 'element': {
        const tb = this.tableOf(false, kw);
        const name = this.name();
        const set = tb.sets.find((s) => s.name === name.text);
        if (!set) throw new NftError(name, name.text, 'Could not process rule: No such file or directory');
        const lit = this.setLiteral(set.key.types, set.isMap ? set.data?.types : undefined, set.key.typeof);
        for (const e of lit) {
          const key = JSON.stringify(stripPos(e.key));
          const k = set.elements.findIndex((x) => JSON.stringify(stripPos(x.key)) === key);
          if (k < 0) missing(kw);
          else set.elements.splice(k, 1);
        }
        return this.endOfCommand();
      }
      default:
        return this.fail(kw, 'table, chain, rule, set, map, element or flowtable');
    }
  }

  private ruleCmd(mode: 'add' | 'insert' | 'replace'): void {
    const t0 = this.toks[this.i - 1] ?? this.peek();
    // A table or chain that is not there is nft's error only once the whole file has parsed
    // (the kernel's ENOENT): held, and the rule read (against an empty table) for a syntax error.
    const save = this.i;
    const fam = this.family();
    const tname = this.name();
    const cname = this.name();
    const found = this.findTable(fam, tname.text);
    this.i = save;
    if (!found || !chainNamed(found, cname.text)) {
      const at = found ? cname : tname;
      this.pending ??= new NftError(at, at.text, 'Could not process rule: No such file or directory');
      this.family();
      this.name();
      this.name();
      const empty = newTable(fam, tname.text, 0, tname);
      if (this.isWord('position') || this.isWord('handle') || this.isWord('index')) {
        this.i++;
        this.number();
      } else if (mode === 'replace') this.fail(this.peek(), 'handle');
      this.rule(empty);
      return this.endOfCommand();
    }
    const tb = this.tableOf(false, t0);
    const chain = this.needChain(tb, this.name());
    let at = mode === 'insert' ? 0 : chain.rules.length;
    let replace = -1;
    if (this.isWord('position') || this.isWord('handle') || this.isWord('index')) {
      const how = this.next().text;
      const nt = this.peek();
      const n = this.number();
      if (how === 'index') {
        if (n > chain.rules.length)
          throw new NftError(nt, nt.text, 'Could not process rule: No such file or directory');
        at = mode === 'insert' ? n : n + 1;
      } else {
        const k = chain.rules.findIndex((r) => r.handle === n);
        if (k < 0) throw new NftError(nt, nt.text, 'Could not process rule: No such file or directory');
        if (mode === 'replace') replace = k;
        at = mode === 'insert' ? k : k + 1;
      }
    } else if (mode === 'replace') this.fail(this.peek(), 'handle');
    const rule = this.rule(tb);
    this.checkRule(tb, rule);
    for (let n = anonSets(rule); n > 0; n--) this.newHandle(tb);
    if (replace >= 0) {
      rule.handle = chain.rules[replace]!.handle;
      chain.rules[replace] = rule;
    } else {
      rule.handle = this.newHandle(tb);
      chain.rules.splice(at, 0, rule);
    }
    this.endOfCommand();
  }

  /**
   * What nft checks when a rule is added: its jump/goto targets and named sets exist (the kernel's
   * ENOENT, at the name); a set the rule adds to from the packet path becomes dynamic (size 65535
   * unless given), as nft makes it.
   */
  private checkRule(tb: NftTable, rule: NftRule): void {
    // evaluate.c rule_evaluate: nothing after a terminal statement (a verdict but continue, nat,
    // reject, queue: STMT_F_TERMINAL), put at the statement after it.
    let terminal = false;
    for (const st of rule.stmts) {
      if (terminal)
        throw new NftError(
          st.pos ?? rule.pos!,
          st.kind === 'match' ? '' : st.kind,
          'Statement after terminal statement has no effect',
        );
      terminal =
        (st.kind === 'verdict' && st.verdict !== 'continue') ||
        st.kind === 'nat' ||
        st.kind === 'reject' ||
        st.kind === 'queue';
    }
    const visit = (x: unknown): void => {
      if (Array.isArray(x)) return x.forEach(visit);
      if (!x || typeof x !== 'object') return;
      const o = x as {
        kind?: string;
        chain?: string;
        pos?: Pos;
        name?: string;
        set?: string;
        verdict?: string;
        flowtable?: string;
      };
      if (o.kind === 'verdict' && o.chain !== undefined && !chainNamed(tb, o.chain)) {
        const at = o.pos ? { ...o.pos, column: o.pos.column + (o.verdict ?? '').length + 1 } : rule.pos!;
        throw new NftError(at, o.chain, 'Could not process rule: No such file or directory');
      }
      // A named object a statement uses (`ct helper set "ftp"`, `counter name c`) exists: the
      // kernel's nft_objref_init, ENOENT, put by nft at the name.
      if (o.kind === 'objref') {
        const ref = x as Extract<NftStmt, { kind: 'objref' }>;
        const n = ref.name;
        if (
          n.kind === 'value' &&
          typeof n.value === 'string' &&
          !tb.objects.some((ob) => ob.type === ref.type && ob.name === n.value)
        )
          throw new NftError(
            n.pos ?? o.pos ?? rule.pos!,
            n.value,
            'Could not process rule: No such file or directory',
          );
      }
      if (o.kind === 'setref' && o.name !== undefined && !setNamed(tb, o.name))
        throw new NftError(
          o.pos ?? rule.pos!,
          `@${o.name}`,
          `Could not process rule: No such file or directory`,
        );
      if (o.kind === 'dynset' && o.set !== undefined) {
        const set = setNamed(tb, o.set);
        if (!set)
          throw new NftError(
            o.pos ?? rule.pos!,
            `@${o.set}`,
            'Could not process rule: No such file or directory',
          );
        const bad = dynsetError(set, o as Extract<NftStmt, { kind: 'dynset' }>, KERNEL_SIZED.has(set));
        if (bad) {
          const at = bad.at === 'set' && set.pos ? set.pos : (o.pos ?? rule.pos!);
          throw new NftError(at, bad.at === 'set' ? set.name : `@${o.set}`, bad.message);
        }
        // nft's set statement marks the set dynamic (NFT_SET_EVAL); its map statement does not (a
        // map keeps its flags); the kernel sizes either (nft_dynset_init: size 0 becomes 65535).
        if (!set.isMap && !set.flags.includes('dynamic')) {
          set.flags.push('dynamic');
          set.flags.sort((a, b) => SET_FLAG_ORDER.indexOf(a) - SET_FLAG_ORDER.indexOf(b));
        }
        if (set.size === undefined) {
          (set as { size?: number }).size = 65535;
          KERNEL_SIZED.add(set);
        }
      }
      if (
        o.kind === 'flow' &&
        o.flowtable !== undefined &&
        !tb.flowtables.some((f) => f.name === o.flowtable)
      )
        throw new NftError(
          o.pos ?? rule.pos!,
          `@${o.flowtable}`,
          'Could not process rule: No such file or directory',
        );
      const r = o as Record<string, unknown>;
      for (const k in r) if (k !== 'pos') visit(r[k]);
    };
    visit(rule.stmts);
    for (const st of rule.stmts) {
      if (st.kind === 'match' && st.right.kind === 'setref') setRefTypes(tb, st.left, st.right, false);
      else if (st.kind === 'vmap' && st.map.kind === 'setref') setRefTypes(tb, st.key, st.map, true);
    }
  }

  // ---- blocks ----

  private tableBlock(tb: NftTable, isNew = false): void {
    this.expectPunct('{');
    const th = this.takeHandle();
    if (th !== undefined && isNew) {
      tb.handle = th;
      this.ctx.rs.tableHandle = Math.max(this.ctx.rs.tableHandle ?? 0, th);
    }
    const chains: {
      chain: NftChain;
      rules: NftRule[];
      given: (number | undefined)[];
      isNew: boolean;
      handle?: number;
    }[] = [];
    const objs: NftObject[] = [];
    const sets: { set: NftSet; name: NftTok }[] = [];
    const outer = this.blockSets;
    this.blockSets = sets;
    try {
      this.tableBlockItems(tb, chains, objs, sets);
    } finally {
      this.blockSets = outer;
    }
  }

  /**
   * A set or map by name: the table's, else one declared earlier in the table block being read
   * (a map statement's data is typed by its map; nft types it after the block, so a map declared
   * after the rule in the same block is not found here and its data is read untyped).
   */
  private setInScope(tb: NftTable, name: string): NftSet | undefined {
    return setNamed(tb, name) ?? this.blockSets.find((s) => s.set.name === name)?.set;
  }

  private tableBlockItems(
    tb: NftTable,
    chains: {
      chain: NftChain;
      rules: NftRule[];
      given: (number | undefined)[];
      isNew: boolean;
      handle?: number;
    }[],
    objs: NftObject[],
    sets: { set: NftSet; name: NftTok }[],
  ): void {
    const fts: NftFlowtable[] = [];
    for (;;) {
      this.skipSeps();
      const t = this.peek();
      if (t.kind === 'punct' && t.text === '}') {
        this.i++;
        break;
      }
      if (t.kind !== 'word') this.fail(t);
      if (t.text === 'define' || t.text === 'redefine' || t.text === 'undefine') {
        this.command();
        continue;
      }
      this.i++;
      switch (t.text) {
        case 'flags': {
          const fl = [this.identifier().text];
          while (this.eatPunct(',')) fl.push(this.identifier().text);
          (tb as { flags?: string[] }).flags = fl;
          break;
        }
        case 'comment':
          (tb as { comment?: string }).comment = this.identifier().text;
          break;
        case 'chain': {
          const name = this.name();
          const existing =
            tb.chains.find((c) => c.name === name.text) ??
            chains.find((c) => c.chain.name === name.text)?.chain;
          const parsed = this.chainBody(tb, name, existing);
          if (existing) {
            const ent = chains.find((c) => c.chain === existing);
            if (ent) ent.rules.push(...parsed.rules);
            else chains.push({ chain: existing, rules: parsed.rules, given: parsed.given, isNew: false });
          } else
            chains.push({
              chain: parsed.chain,
              rules: parsed.rules,
              given: parsed.given,
              isNew: true,
              ...(parsed.handle !== undefined ? { handle: parsed.handle } : {}),
            });
          break;
        }
        case 'set':
        case 'map': {
          const name = this.name();
          sets.push({ set: this.setBlock(tb, name, t.text === 'map'), name });
          break;
        }
        case 'flowtable': {
          const name = this.name();
          fts.push(this.flowtableBlock(name));
          break;
        }
        case 'counter':
        case 'quota':
        case 'limit':
        case 'ct':
        case 'synproxy':
        case 'secmark':
          objs.push(this.objectBlock(t, undefined, false, tb.family));
          break;
        default:
          this.fail(t);
      }
      this.endOfCommand(true);
    }
    // Handles in nft's order (nft_cmd_expand): chains, objects, sets, flowtables, then rules.
    for (const c of chains)
      if (c.isNew) {
        c.chain.handle = this.newHandle(tb, c.handle);
        tb.chains.push(c.chain);
      }
    for (const o of objs) {
      o.handle = this.newHandle(tb, o.handle || undefined);
      tb.objects.push(o);
    }
    for (const s of sets) this.addSet(tb, s.set, false, s.name);
    for (const f of fts) {
      f.handle = this.newHandle(tb, f.handle || undefined);
      tb.flowtables.push(f);
    }
    for (const c of chains) {
      c.rules.forEach((r, k) => {
        const given = c.given[k];
        this.checkRule(tb, r);
        this.checkRule(tb, r);
        if (given === undefined) for (let n = anonSets(r); n > 0; n--) this.newHandle(tb);
        r.handle = this.newHandle(tb, given);
        c.chain.rules.push(r);
      });
    }
  }

  private declareChain(
    tb: NftTable,
    name: NftTok,
    base: NftBaseChain | undefined,
    exclusive: boolean,
    comment?: string,
  ): NftChain {
    const ex = chainNamed(tb, name.text);
    if (ex) {
      if (exclusive) throw new NftError(name, name.text, 'Could not process rule: File exists');
      return ex;
    }
    const c: NftChain = {
      name: name.text,
      handle: this.newHandle(tb),
      rules: [],
      pos: pick(name),
      ...(base ? { base } : {}),
      ...(comment !== undefined ? { comment } : {}),
    };
    tb.chains.push(c);
    return c;
  }

  private chainBlock(tb: NftTable, name: NftTok, exclusive: boolean): NftChain {
    const existing = chainNamed(tb, name.text);
    if (existing && exclusive) throw new NftError(name, name.text, 'Could not process rule: File exists');
    const parsed = this.chainBody(tb, name, existing);
    const c = existing ?? this.declareChain(tb, name, parsed.chain.base, false, parsed.chain.comment);
    parsed.rules.forEach((r, k) => {
      const given = parsed.given[k];
      this.checkRule(tb, r);
      if (given === undefined) for (let n = anonSets(r); n > 0; n--) this.newHandle(tb);
      r.handle = this.newHandle(tb, given);
      c.rules.push(r);
    });
    return c;
  }

  private chainBody(
    tb: NftTable,
    name: NftTok,
    existing: NftChain | undefined,
  ): { chain: NftChain; rules: NftRule[]; given: (number | undefined)[]; handle?: number } {
    this.expectPunct('{');
    const handle = this.takeHandle();
    let base: { -readonly [K in keyof NftBaseChain]?: NftBaseChain[K] } | undefined;
    let comment: string | undefined;
    const rules: NftRule[] = [];
    const given: (number | undefined)[] = [];
    for (;;) {
      this.skipSeps();
      const t = this.peek();
      if (t.kind === 'punct' && t.text === '}') {
        this.i++;
        break;
      }
      // nft's grammar expects too many tokens here to name them: plain "unexpected end of file".
      if (t.kind === 'eof') this.fail(t);
      if (this.isWord('type') && !this.isPunct('.', 1)) {
        this.i++;
        base ??= {};
        const ty = this.identifier();
        // Chain types and hooks are looked up when nft evaluates the chain (evaluate.c
        // chain_evaluate), after the whole file is parsed: held while the rest is read.
        if (!['filter', 'nat', 'route'].includes(ty.text))
          this.pending ??= new NftError(ty, ty.text, 'unknown chain type');
        base.type = ty.text as NftBaseChain['type'];
        this.expectWord('hook');
        const hook = this.identifier();
        this.junkExpecting('priority');
        try {
          checkHook(tb.family, hook);
        } catch (e) {
          if (!(e instanceof NftError)) throw e;
          this.pending ??= e;
        }
        base.hook = hook.text;
        if (this.eatWord('device')) {
          base.device = this.identifier().text;
        } else if (this.eatWord('devices')) {
          this.expectPunct('=');
          const devs = this.stringList();
          if (devs.length === 1) base.device = devs[0];
          else base.devices = devs;
        }
        this.junkExpecting('priority');
        this.expectWord('priority');
        base.priority = this.priority(tb.family, base.hook);
        this.endOfCommand(true);
        continue;
      }
      if (this.isWord('policy') && (this.isWord('accept', 1) || this.isWord('drop', 1))) {
        this.i++;
        base ??= {};
        base.policy = this.next().text as 'accept' | 'drop';
        this.endOfCommand(true);
        continue;
      }
      // nft's chain_policy: `policy` takes accept, drop or a variable; anything else is the syntax
      // error at the token after it (parser_bison.y, policy_spec).
      if (this.isWord('policy') && this.toks[this.i + 1]!.kind !== 'var') {
        this.junkExpecting("accept or drop or '$'", 1);
        this.fail(this.peek(1), "accept or drop or '$'");
      }
      if (this.isWord('comment') && this.peek(1).kind === 'string') {
        this.i++;
        comment = this.next().text;
        this.endOfCommand(true);
        continue;
      }
      const r = this.rule(tb, true);
      this.endOfCommand(true);
      given.push(this.takeHandle());
      rules.push(r);
    }
    if (base && (base.type === undefined || base.hook === undefined)) this.fail(this.peek(), 'type');
    const fullBase: NftBaseChain | undefined = base
      ? {
          type: base.type!,
          hook: base.hook!,
          priority: base.priority ?? 0,
          policy: base.policy ?? 'accept',
          ...(base.device !== undefined ? { device: base.device } : {}),
          ...(base.devices ? { devices: base.devices } : {}),
        }
      : undefined;
    const chain: NftChain = existing ?? {
      name: name.text,
      handle: 0,
      rules: [],
      pos: pick(name),
      ...(fullBase ? { base: fullBase } : {}),
      ...(comment !== undefined ? { comment } : {}),
    };
    return { chain, rules, given, ...(handle !== undefined ? { handle } : {}) };
  }

  private stringList(): string[] {
    const out: string[] = [];
    if (this.eatPunct('{')) {
      for (;;) {
        this.skipNl();
        if (this.eatPunct('}')) break;
        out.push(this.identifier().text);
        this.skipNl();
        if (!this.eatPunct(',')) {
          this.skipNl();
          this.expectPunct('}', "',' or '}'");
          break;
        }
      }
    } else out.push(this.identifier().text);
    return out;
  }

  private priority(family: NftFamily, hook: string): number {
    const kw = this.toks[this.i - 1]!;
    const t = this.peek();
    let base: number | undefined;
    // `priority[x`: nft's scanner makes `[` its own token, which no priority starts with.
    if ((t.kind === 'word' || t.kind === 'punct') && /^[[\]:]/.test(t.text))
      throw new NftError(t, t.text[0]!, `syntax error, unexpected ${leadName(t.text)!}`);
    if (t.kind === 'word') {
      base = parseInteger(t.text.replace(/^-/, ''));
      if (base !== undefined && t.text.startsWith('-')) base = -base;
      if (base === undefined) {
        const table = family === 'bridge' ? bridgePrio : PRIO_NAMES;
        base = table[t.text];
        // nft's std_prio_family_hook_compat (checked with nft 1.0.6): dstnat only at prerouting,
        // srcnat only at postrouting, netdev and arp chains only `filter`.
        const compat =
          family === 'bridge' ||
          (t.text === 'dstnat'
            ? hook === 'prerouting' && family !== 'netdev' && family !== 'arp'
            : t.text === 'srcnat'
              ? hook === 'postrouting' && family !== 'netdev' && family !== 'arp'
              : t.text === 'filter' || (family !== 'netdev' && family !== 'arp'));
        // A name is checked when nft evaluates the chain (evaluate.c chain_evaluate ->
        // evaluate_priority): held while the rest of the file is read.
        if (base === undefined || (t.text === 'out' && family !== 'bridge') || !compat) {
          this.pending ??= new NftError(kw, t.text, 'invalid priority expression value in this context.');
          base ??= 0;
        }
      }
      // nft's scanner ends the name where a string ends (`f[x`: `f`, then `[`).
      const m = NFT_STRING.exec(t.text);
      if (m && m[0].length < t.text.length && base !== undefined && !/^-?\d/.test(t.text))
        this.cutName(m[0].length);
      this.i++;
    } else this.fail(t, 'number');
    // `filter + 10`, `srcnat - 5`, `-100`
    const sign = this.peek();
    if ((sign.kind === 'punct' && sign.text === '+') || (sign.kind === 'word' && sign.text === '-')) {
      this.i++;
      const n = this.number();
      base += sign.text === '+' ? n : -n;
    } else if (sign.kind === 'word' && /^-\d+$/.test(sign.text)) {
      this.i++;
      base -= Number(sign.text.slice(1));
    }
    return base;
  }

  private flowtableBlock(name: NftTok): NftFlowtable {
    this.expectPunct('{');
    let hook = 'ingress';
    let priority = 0;
    let devices: string[] = [];
    const flags: string[] = [];
    let counter = false;
    let handle = this.takeHandle() ?? 0;
    for (;;) {
      this.skipSeps();
      if (this.eatPunct('}')) break;
      const t = this.next();
      if (t.text === 'hook') {
        hook = this.identifier().text;
        this.expectWord('priority');
        priority = this.priority('inet', hook);
      } else if (t.text === 'devices') {
        this.expectPunct('=');
        devices = this.stringList();
      } else if (t.text === 'flags') {
        flags.push(this.identifier().text);
      } else if (t.text === 'counter') counter = true;
      else this.fail(t);
      this.endOfCommand(true);
      handle ||= this.takeHandle() ?? 0;
    }
    return {
      name: name.text,
      handle,
      hook,
      priority,
      devices,
      pos: pick(name),
      ...(flags.length ? { flags } : {}),
      ...(counter ? { counter } : {}),
    };
  }

  /** `helper`, `timeout` or `expectation` after `ct` (an object's kind). */
  private ctObjectKind(): NftTok {
    const sub = this.identifier();
    if (!['helper', 'timeout', 'expectation'].includes(sub.text))
      this.fail(sub, 'timeout or expectation or helper');
    return sub;
  }

  /**
   * `add|create TYPE FAMILY TABLE NAME ...` (nf_tables_newobj): a new object gets the table's next
   * handle; `create` of one there is EEXIST; `add` of one there changes nothing but a quota's
   * limit and mode (nft_quota_obj_update keeps what it consumed).
   */
  private addObject(tb: NftTable, o: NftObject, exclusive: boolean): void {
    const old = tb.objects.find((x) => x.type === o.type && x.name === o.name);
    if (!old) {
      o.handle = this.newHandle(tb, o.handle || undefined);
      tb.objects.push(o);
      return;
    }
    if (exclusive) throw new NftError(this.toks[this.i - 1]!, o.name, 'Could not process rule: File exists');
    if (old.type === 'quota' && o.type === 'quota') {
      const k = tb.objects.indexOf(old);
      tb.objects[k] = { ...old, over: o.over, bytes: o.bytes };
    }
  }

  /**
   * An object after its type keyword (`counter`, `ct` …): its name and its block, or in a command
   * (`add counter inet t c { … }` or `add quota inet t q 25 mbytes`) its config without braces.
   */
  private objectBlock(kw: NftTok, ctSub?: NftTok, cmd = false, family: NftFamily = 'ip'): NftObject {
    let type: NftObjectType = kw.text as NftObjectType;
    if (kw.text === 'ct') type = `ct ${(ctSub ?? this.ctObjectKind()).text}` as NftObjectType;
    const name = this.name();
    const base = { name: name.text, handle: 0, pos: pick(kw) };
    let comment: string | undefined;
    const items: NftTok[][] = [];
    let end: NftTok = { ...kw, kind: 'eof', text: '' };
    const braced = this.isPunct('{');
    if (!braced) {
      if (type === 'counter' && !cmd) return { ...base, type, packets: 0, bytes: 0 };
      if (!cmd || type.startsWith('ct ')) this.fail(this.peek(), "'{'");
      // The config as one line, up to the end of the command (its end is the config's end).
      const line: NftTok[] = [];
      let t = this.peek();
      for (; t.kind !== 'eof' && t.kind !== 'nl' && !(t.kind === 'punct' && t.text === ';'); t = this.peek())
        line.push(this.next());
      end = t;
      if (type === 'counter' && line.length === 0) return { ...base, type, packets: 0, bytes: 0 };
      items.push(line);
    } else this.expectPunct('{');
    const h = braced ? this.takeHandle() : undefined;
    if (h !== undefined) base.handle = h;
    while (braced) {
      this.skipSeps();
      if (this.eatPunct('}')) break;
      if (this.eatWord('comment')) {
        comment = this.identifier().text;
        continue;
      }
      const line: NftTok[] = [];
      // A line ends at a newline, `;` or `}` outside braces (`policy = { established : 120 }`).
      let depth = 0;
      for (;;) {
        const t = this.peek();
        if (t.kind === 'eof') break;
        if (depth === 0 && (t.kind === 'nl' || (t.kind === 'punct' && (t.text === ';' || t.text === '}'))))
          break;
        if (t.kind === 'punct' && t.text === '{') depth++;
        else if (t.kind === 'punct' && t.text === '}') depth--;
        if (t.kind === 'nl') {
          this.i++;
          continue;
        }
        line.push(this.next());
      }
      items.push(line);
    }
    const withC = comment !== undefined ? { comment } : {};
    const words = items.flat();
    const wtext = words.map((w) => w.text);
    const num = (k: string): number => Number(wtext[wtext.indexOf(k) + 1] ?? 0);
    switch (type) {
      case 'counter':
        return { ...base, ...withC, type, packets: num('packets'), bytes: num('bytes') };
      case 'quota': {
        const sub = new Parser([...words, end], this.opts, this.ctx, this.includeDepth, this.defines);
        const q = sub.quotaArgs();
        return { ...base, ...withC, type, over: q.over, bytes: q.bytes, used: q.used };
      }
      case 'limit': {
        const sub = new Parser([...words, end], this.opts, this.ctx, this.includeDepth, this.defines);
        // Without braces nft's grammar also took a '{' there (add_cmd's LIMIT obj_spec limit_obj).
        if (!braced && !sub.isWord('rate')) sub.fail(sub.peek(), "rate or '{'");
        sub.expectWord('rate');
        const l = sub.limitArgs();
        return { ...base, ...withC, type, ...l };
      }
      case 'ct helper': {
        // nft_ct_helper_obj_init: a helper the kernel has not for the protocol is ENOENT.
        const helper = words[wtext.indexOf('type') + 1]?.text ?? '';
        // parser_bison.y ct_helper_config: `protocol` takes tcp or udp only.
        const pt = wtext.includes('protocol') ? words[wtext.indexOf('protocol') + 1] : undefined;
        if (pt && pt.text !== 'tcp' && pt.text !== 'udp')
          throw new NftError(
            pt,
            pt.text,
            `syntax error, unexpected ${/^[A-Za-z0-9]/.test(pt.text) ? tokName(pt) : pt.text[0]!}, expecting udp or tcp`,
          );
        const proto = pt?.text ?? 'tcp';
        if (!kernelHasHelper(helper, proto === 'udp' ? IPPROTO_UDP : IPPROTO_TCP))
          throw new NftError(name, name.text, 'Could not process rule: No such file or directory');
        return {
          ...base,
          ...withC,
          type,
          helper,
          protocol: (wtext[wtext.indexOf('protocol') + 1] ?? 'tcp') as 'tcp',
          ...(wtext.includes('l3proto') ? { l3proto: wtext[wtext.indexOf('l3proto') + 1]! } : {}),
        };
      }
      case 'ct timeout': {
        // nft 1.0.6's grammar takes tcp and udp only (ct_timeout_config: `protocol ct_l4protoname`),
        // and of their states only theirs ("invalid state for this protocol").
        const pt = words[wtext.indexOf('protocol') + 1];
        const protocol = pt?.text ?? 'tcp';
        if (pt && protocol !== 'tcp' && protocol !== 'udp') this.fail(pt, 'udp or tcp');
        const policy = ctTimeoutPolicyWords(words, kw);
        const known = new Set((CT_TIMEOUT_STATES[protocol] ?? []).map(([st]) => st));
        for (const [state] of policy)
          if (!known.has(state)) {
            const tok = words.find((w) => w.text === state || w.text === `${state}:`) ?? kw;
            throw new NftError(tok, state, 'invalid state for this protocol');
          }
        return {
          ...base,
          ...withC,
          type,
          protocol,
          ...(wtext.includes('l3proto') ? { l3proto: wtext[wtext.indexOf('l3proto') + 1]! } : {}),
          policy,
        };
      }
      case 'secmark':
        return { ...base, ...withC, type, context: words[0]?.text ?? '' };
      case 'synproxy': {
        const c = synproxyObjectGrammar(items, kw);
        return {
          ...base,
          ...withC,
          type,
          ...(c ? { mss: c.mss, wscale: c.wscale } : {}),
          ...(c?.flags.length ? { flags: c.flags } : {}),
        };
      }
      case 'ct expectation':
        return { ...base, ...withC, ...this.ctExpectation(items, name, family) };
      default:
        throw new NftError(kw, kw.text, `${type} objects are not read yet`);
    }
  }

  /**
   * A ct expectation object's config (parser_bison.y ct_expect_config: `protocol tcp|udp`, `dport
   * N`, `timeout T`, `size N`, `l3proto FAMILY`). nft sends dport as 16 bits and size as 8, and
   * refuses an object with any of the four unset or 0 ("missing options", at its name); the kernel
   * (nft_ct_expect_obj_init) takes the table's family as l3proto only, EINVAL for the other
   * family of ip/ip6, EAFNOSUPPORT for another.
   */
  private ctExpectation(
    items: readonly (readonly NftTok[])[],
    name: NftTok,
    family: NftFamily,
  ): {
    type: 'ct expectation';
    protocol: string;
    dport: number;
    timeout: number;
    size: number;
    l3proto?: string;
  } {
    let protocol = '';
    let dport = 0;
    let timeout = 0;
    let size = 0;
    let l3proto: string | undefined;
    for (const line of items) {
      const [k, v] = line;
      if (!k) continue;
      if (!v || line.length > 2) this.fail(line[v ? 2 : 1] ?? k);
      if (k.text === 'protocol') {
        if (v.text !== 'tcp' && v.text !== 'udp') this.fail(v, 'udp or tcp');
        protocol = v.text;
      } else if (k.text === 'dport' || k.text === 'size') {
        if (!/^\d+$/.test(v.text)) this.fail(v, 'number');
        if (k.text === 'dport') dport = Number(v.text) % 65536;
        else size = Number(v.text) % 256;
      } else if (k.text === 'timeout') {
        const ms = parseTime(v.text);
        if (ms === undefined) throw new NftError(v, v.text, 'syntax error, unexpected string');
        timeout = ms;
      } else if (k.text === 'l3proto') {
        if (!['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'].includes(v.text)) this.fail(v);
        l3proto = v.text;
      } else this.fail(k);
    }
    if (!protocol || !dport || !timeout || !size) throw new NftError(name, name.text, 'missing options');
    const l3 = l3proto ?? family;
    if (l3 !== 'ip' && l3 !== 'ip6')
      throw new NftError(name, name.text, 'Could not process rule: Address family not supported by protocol');
    if (family !== 'inet' && family !== l3)
      throw new NftError(name, name.text, 'Could not process rule: Invalid argument');
    return { type: 'ct expectation', protocol, dport, timeout, size, ...(l3proto ? { l3proto } : {}) };
  }

  private setBlock(tb: NftTable, name: NftTok, isMap: boolean): NftSet {
    this.expectPunct('{');
    let handle = this.takeHandle() ?? 0;
    let key: NftKeySpec | undefined;
    let data: NftKeySpec | undefined;
    let objType: NftObjectType | undefined;
    let flags: string[] = [];
    let timeout: number | undefined;
    let gcInterval: number | undefined;
    let size: number | undefined;
    let policy: 'performance' | 'memory' | undefined;
    let autoMerge = false;
    let comment: string | undefined;
    const stmts: NftStmt[] = [];
    let elemStart = -1;
    for (;;) {
      this.skipSeps();
      if (this.eatPunct('}')) break;
      const t = this.next();
      switch (t.text) {
        case 'type':
        case 'typeof': {
          const spec = t.text === 'type' ? this.typeSpec() : this.typeofSpec(tb);
          key = spec;
          if (this.eatColon()) {
            if (!isMap) this.fail(this.toks[this.i - 1]!);
            const interval = this.eatWord('interval');
            const d = this.peek();
            if (['counter', 'quota', 'limit', 'secmark', 'synproxy'].includes(d.text)) {
              this.i++;
              objType = d.text as NftObjectType;
            } else if (d.text === 'ct') {
              this.i++;
              objType = `ct ${this.identifier().text}` as NftObjectType;
            } else {
              const ds = t.text === 'type' ? this.typeSpec() : this.typeofSpec(tb);
              data = interval ? { ...ds, interval } : ds;
            }
          }
          break;
        }
        case 'flags':
          flags = [this.identifier().text];
          while (this.eatPunct(',')) flags.push(this.identifier().text);
          break;
        case 'timeout':
          timeout = this.time();
          break;
        case 'gc-interval':
          gcInterval = this.time();
          break;
        case 'size':
          size = this.number();
          break;
        case 'policy':
          policy = this.identifier().text as 'memory';
          break;
        case 'auto-merge':
          // parser_bison.y has AUTOMERGE in set_block only, not map_block.
          if (isMap) throw new NftError(t, t.text, 'syntax error, unexpected auto-merge');
          autoMerge = true;
          break;
        case 'comment':
          comment = this.identifier().text;
          break;
        case 'counter':
          stmts.push({ kind: 'counter', packets: 0, bytes: 0, pos: pick(t) });
          break;
        case 'elements':
          this.expectPunct('=');
          if (!key) this.fail(t);
          elemStart = this.i;
          this.setLiteral(key.types, isMap ? (data?.types ?? ['verdict']) : undefined, key.typeof);
          break;
        default:
          this.fail(t);
      }
      if (!(t.text === 'elements' && this.isPunct('}'))) this.endOfCommand(true);
      handle ||= this.takeHandle() ?? 0;
    }
    if (!key) this.fail(name, 'type');
    let elements: NftSetElem[] = [];
    if (elemStart >= 0) {
      const save = this.i;
      this.i = elemStart;
      elements = this.setLiteral(
        key.types,
        isMap ? (data?.types ?? ['verdict']) : undefined,
        key.typeof,
        flags.includes('interval'),
      );
      this.i = save;
    }
    const set: NftSet = {
      name: name.text,
      handle,
      isMap,
      key,
      ...(data ? { data } : {}),
      ...(objType ? { objType } : {}),
      flags: orderFlags(flags),
      ...(timeout !== undefined ? { timeout } : {}),
      ...(gcInterval !== undefined ? { gcInterval } : {}),
      ...(size !== undefined ? { size } : {}),
      ...(policy ? { policy } : {}),
      ...(stmts.length ? { stmts } : {}),
      ...(autoMerge ? { autoMerge } : {}),
      ...(comment !== undefined ? { comment } : {}),
      elements,
      pos: pick(name),
    };
    this.overlapCheck(set, [], elements);
    normaliseSet(set);
    return set;
  }

  /** Elements `added` to interval set `set` holding `existing` overlap (firstOverlap): nft's error. */
  private overlapCheck(set: NftSet, existing: readonly NftSetElem[], added: readonly NftSetElem[]): void {
    if (!set.flags.includes('interval') || (set.autoMerge && !set.isMap) || set.key.types.length !== 1)
      return;
    const bad = firstOverlap(existing, added);
    const at = bad?.key.pos ?? bad?.pos;
    if (at) throw new NftError(at, '', 'conflicting intervals specified');
  }

  private eatColon(): boolean {
    const t = this.peek();
    if (t.kind === 'word' && t.text === ':') {
      this.i++;
      return true;
    }
    return false;
  }

  private typeSpec(): NftKeySpec {
    const types: NftDatatype[] = [this.typeName().text];
    while (this.isWord('.')) {
      this.i++;
      types.push(this.typeName().text);
    }
    return { types };
  }

  /**
   * A datatype's name after `type` (parser_bison.y type_identifier: a string or one of the
   * keywords mark, dscp, ecn, classid). nft looks the name up as it parses
   * (data_type_atom_expr's action: datatype_lookup_byname), so an unknown one is its error before
   * a syntax error in the token after it.
   */
  private typeName(): NftTok {
    const t = this.peek();
    if (t.kind === 'word') {
      if (this.asteriskAt())
        throw new NftError(t, t.text, 'syntax error, unexpected string with a trailing asterisk');
      if (NAME_KEYWORDS.has(t.text) && !TYPE_KEYWORDS.has(t.text)) this.fail(t);
      const m = NFT_STRING.exec(t.text);
      if (m && m[0].length < t.text.length) this.cutName(m[0].length);
      if (m && !NFT_DATATYPES.has(m[0])) throw new NftError(t, m[0], `unknown datatype ${m[0]}`);
    }
    return this.identifier();
  }

  /** Whether the token at the cursor (+k) is nft's ASTERISK_STRING, `{string}\*` (`eth*`). */
  private asteriskAt(k = 0): boolean {
    const t = this.toks[this.i + k]!;
    const n = this.toks[this.i + k + 1];
    if (t.kind !== 'word' || n?.kind !== 'punct' || n.text !== '*' || !touches(t, n)) return false;
    return NFT_STRING.exec(t.text)?.[0].length === t.text.length;
  }

  private typeofSpec(tb: NftTable): NftKeySpec {
    const items: NftExpr[] = [this.primary(tb)];
    while (this.isWord('.')) {
      this.i++;
      items.push(this.primary(tb));
    }
    return { types: items.map((e) => exprType(e) ?? 'integer'), typeof: items.map(stripPos) };
  }

  private time(): number {
    const t = this.peek();
    const ms = t.kind === 'word' ? parseTime(t.text) : undefined;
    if (ms === undefined) this.fail(t, 'time');
    this.i++;
    return ms;
  }

  // ---- rules and statements ----

  /** `inBlock`: in a chain's block (what may end the rule differs: nft's "expecting …"). */
  private rule(tb: NftTable, inBlock = false): NftRule {
    const first = this.peek();
    const start = this.i;
    const stmts: NftStmt[] = [];
    let comment: string | undefined;
    let held: boolean;
    try {
      held = this.ruleStmts(tb, inBlock, stmts, (c) => (comment = c));
    } catch (e) {
      if (!(e instanceof NftError) || isParseError(e)) throw e;
      // An evaluation error in a statement: held, and the rest of the rule read by what follows
      // (script() throws it at the end of the file unless a syntax error comes first).
      this.pending ??= e;
      this.skipRest(start);
      return { handle: 0, pos: pick(first), stmts: [] };
    }
    if (stmts.length === 0 && comment === undefined && !held) this.fail(this.peek());
    const rule: NftRule = {
      handle: 0,
      pos: pick(first),
      stmts,
      ...(comment !== undefined ? { comment } : {}),
    };
    this.protocolConflict(stmts, tb.family);
    this.mapOverlap(stmts);
    normaliseRule(rule, tb.family);
    return rule;
  }

  /**
   * An anonymous map or verdict map with intervals that overlap (intervals.c setelem_overlap, nft
   * 1.0.6: maps are not merged): "conflicting intervals specified" at the later one in the
   * order of their low ends; the same interval twice is one.
   */
  private mapOverlap(stmts: readonly NftStmt[]): void {
    const walk = (x: unknown): void => {
      if (this.pending || !x || typeof x !== 'object') return;
      if (Array.isArray(x)) {
        for (const i of x) walk(i);
        return;
      }
      const o = x as Record<string, unknown>;
      if (
        (o['kind'] === 'vmap' || o['kind'] === 'map') &&
        (o['map'] as NftExpr | undefined)?.kind === 'set'
      ) {
        const els = (o['map'] as Extract<NftExpr, { kind: 'set' }>).elements;
        if (els.some((e) => hasInterval(e.key))) {
          const bad = firstOverlap([], els);
          if (bad) {
            const at = bad.key.pos ?? bad.pos;
            if (at) this.pending ??= new NftError(at, '', 'conflicting intervals specified');
            return;
          }
        }
      }
      for (const k in o) if (k !== 'pos') walk(o[k]);
    };
    walk(stmts);
  }

  /**
   * Headers of two network or two transport protocols in one rule, or one the table's family
   * cannot carry (evaluate.c resolve_protocol_conflict: "conflicting protocols specified: ip vs.
   * ip6", at the second): the table fixes the network header of ip, ip6 and arp (inet takes no
   * arp, arp no transport header); `meta nfproto` (and in bridge and netdev `meta protocol`) sets
   * it where it is open, `ether type` everywhere; `meta l4proto`, `ip protocol` and `ip6 nexthdr`
   * of one protocol set the transport header, as each header match does. Checked in the order
   * nft evaluates, statements included.
   */
  private protocolConflict(stmts: readonly NftStmt[], family: NftFamily): void {
    let net: string | undefined =
      family === 'ip' || family === 'ip6' || family === 'arp' ? family : undefined;
    let l4: string | undefined;
    // A set of transport protocols (`ip protocol { tcp, udp }`), in the order written: any one
    // transport header after it conflicts with the first other protocol of the set (nft 1.0.6:
    // `ip protocol { tcp, udp } tcp dport 20`, "udp vs. tcp").
    let l4Set: string[] | undefined;
    // The link layer's upper protocol is fixed (`ether type ip`, in bridge and netdev `meta
    // protocol`, in inet `meta nfproto`, outside ip, ip6 and arp a network header's dependency):
    // a VLAN header after it conflicts, "ether vs. vlan" (checked against nft 1.0.6).
    let llFixed = false;
    // The ICMP type the rule has fixed so far (a match or a field's dependency).
    let icmpType: number | undefined;
    // A VLAN header or `ether type 8021q` came first: nothing after it conflicts with a VLAN.
    let vlanOk = false;
    const openLl = family === 'bridge' || family === 'netdev' || family === 'inet';
    const VLAN_TYPES = new Set([0x8100, 0x88a8]);
    const NF: Readonly<Record<number, string>> = { 2: 'ip', 10: 'ip6' };
    const ETHER: Readonly<Record<number, string>> = { 0x0800: 'ip', 0x86dd: 'ip6', 0x0806: 'arp' };
    const conflict = (e: NftExpr, a: string, b: string): void => {
      this.pending ??= new NftError(
        e.pos ?? stmts[0]?.pos ?? pick(this.peek()),
        b,
        `conflicting protocols specified: ${a} vs. ${b}`,
      );
    };
    const walk = (x: unknown): void => {
      if (Array.isArray(x)) {
        for (const i of x) walk(i);
        return;
      }
      if (!x || typeof x !== 'object') return;
      const o = x as Record<string, unknown>;
      if (o['kind'] === 'match') {
        const m = o as unknown as Extract<NftStmt, { kind: 'match' }>;
        walk(m.left);
        walk(m.right);
        const l = m.left;
        if (m.op !== 'implicit' && m.op !== '==') return;
        if (m.right.kind === 'set') {
          if (l.kind === 'payload' && l.proto === 'ether' && l.field === 'type') llFixed = true;
          else if (l.kind === 'meta' && l.key === 'protocol' && (family === 'bridge' || family === 'netdev'))
            llFixed = true;
          else if (l4 === undefined && l4Set === undefined && isL4Key(l)) {
            l4Set = [];
            for (const el of m.right.elements) {
              if (el.key.kind !== 'value' || typeof el.key.value !== 'number') continue;
              const p = l4Name(el.key.value);
              if (p) l4Set.push(p);
            }
          }
          return;
        }
        if (m.right.kind !== 'value' || typeof m.right.value !== 'number') return;
        const v = m.right.value;
        if (l.kind === 'payload' && (l.proto === 'icmp' || l.proto === 'icmpv6') && l.field === 'type')
          icmpType = v;
        if (l.kind === 'payload' && l.proto === 'ether' && l.field === 'type') {
          llFixed = !VLAN_TYPES.has(v) && !vlanOk;
          vlanOk ||= VLAN_TYPES.has(v);
        } else if (
          (l.kind === 'meta' && l.key === 'protocol' && (family === 'bridge' || family === 'netdev')) ||
          (l.kind === 'meta' && l.key === 'nfproto' && family === 'inet')
        )
          llFixed = true;
        if (l.kind === 'meta' && l.key === 'nfproto' && net === undefined) net = NF[v];
        else if (l.kind === 'payload' && l.proto === 'ether' && l.field === 'type') net = ETHER[v] ?? net;
        else if (l.kind === 'meta' && l.key === 'protocol' && (family === 'bridge' || family === 'netdev'))
          net ??= ETHER[v];
        else if (isL4Key(l)) {
          const name = l4Name(v);
          if (name && TRANSPORT_PROTOS.has(name) && l4 === undefined) l4 = name;
        }
        return;
      }
      // A write nft cannot make (write-check.ts), found after its field's protocol conflicts.
      if (o['kind'] === 'set' && 'target' in o) {
        const w = o as unknown as Extract<NftStmt, { kind: 'set' }>;
        walk(w.target);
        walk(w.value);
        const wrong = writeError(w.target, w.value);
        if (wrong) this.pending ??= new NftError(wrong.at ?? w.pos ?? pick(this.peek()), '', wrong.message);
        return;
      }
      if (o['kind'] === 'payload' && typeof o['proto'] === 'string') {
        const e = o as unknown as NftExpr;
        const p = o['proto'];
        // payload.c payload_gen_icmp_dependency: a field of one ICMP type (echo's id and sequence,
        // unreachable's mtu, redirect's gateway) after a match of another type, or after a field
        // of another ("incompatible icmp match: rule has 2, need 3", at the field).
        const need = p === 'icmp' || p === 'icmpv6' ? ICMP_NEEDS[`${p} ${String(o['field'])}`] : undefined;
        if (need !== undefined) {
          const echo = need === 8 || need === 128;
          const ok = echo && need === 128 ? icmpType === 128 || icmpType === 129 : icmpType === need;
          // For ICMP, echo-reply is type 0: nft takes 0 as "no type yet".
          if (!ok && icmpType !== undefined && icmpType !== 0)
            this.pending ??= new NftError(
              e.pos ?? stmts[0]?.pos ?? pick(this.peek()),
              '',
              `incompatible icmp match: rule has ${icmpType}, need ${need}`,
            );
          if (!ok) icmpType = need;
        }
        if (p === 'ip' || p === 'ip6' || p === 'arp') {
          if (net !== undefined && net !== p) conflict(e, net, p);
          else if (family === 'inet' && p === 'arp') conflict(e, 'inet', p);
          net ??= p;
          if (openLl && !vlanOk) llFixed = true;
        } else if (TRANSPORT_PROTOS.has(p)) {
          const other = l4Set?.find((q) => q !== p);
          if (family === 'arp') conflict(e, 'arp', p);
          else if (l4 !== undefined && l4 !== p) conflict(e, l4, p);
          else if (other !== undefined) conflict(e, other, p);
          l4 ??= p;
        } else if (p === 'vlan') {
          if (llFixed) conflict(e, 'ether', 'vlan');
          vlanOk = true;
          llFixed = false;
        }
        return;
      }
      // evaluate.c stmt_evaluate_reject: no reject of ARP, a TCP reset of TCP only, an ICMP code
      // of the rule's network protocol ("ip vs ip6", without nft's usual period, at the code).
      if (o['kind'] === 'reject') {
        const r = o as unknown as Extract<NftStmt, { kind: 'reject' }>;
        const at = r.pos ?? stmts[0]?.pos ?? pick(this.peek());
        const type = r.with?.type;
        if (net === 'arp' && family !== 'arp')
          this.pending ??= new NftError(at, 'reject', 'cannot reject this network family');
        else if (
          type === 'tcp reset' &&
          ((l4 !== undefined && l4 !== 'tcp') || l4Set?.some((q) => q !== 'tcp') === true)
        )
          this.pending ??= new NftError(at, 'reject', 'you cannot use tcp reset with this protocol');
        else if ((type === 'icmp' && net === 'ip6') || (type === 'icmpv6' && net === 'ip'))
          this.pending ??= new NftError(
            this.rejectCodes.get(r) ?? at,
            r.with?.code ?? '',
            'conflicting protocols specified: ip vs ip6',
          );
        return;
      }
      // evaluate.c stmt_evaluate_tproxy / nat_evaluate_family: `tproxy ip6 to …` or `dnat ip to
      // …` where the rule's network header is the other family, at the statement.
      if ((o['kind'] === 'tproxy' || o['kind'] === 'nat') && typeof o['family'] === 'string') {
        const f = o['family'];
        if (net !== undefined && (net === 'ip' || net === 'ip6') && net !== f)
          this.pending ??= new NftError(
            (o['pos'] as Pos | undefined) ?? stmts[0]?.pos ?? pick(this.peek()),
            o['kind'] === 'nat' ? String(o['type']) : 'tproxy',
            `conflicting protocols specified: ${net} vs. ${f}. You must specify ip or ip6 family in ${o['kind'] === 'nat' ? 'nat' : 'tproxy'} statement`,
          );
        return;
      }
      // `ct original ip saddr` where the network header is another's (nft 1.0.6: "ip6 vs. ip").
      if (o['kind'] === 'ct' && typeof o['family'] === 'string' && o['implied'] !== true) {
        const f = o['family'];
        if (net !== undefined && net !== f) conflict(o as unknown as NftExpr, net, f);
        return;
      }
      for (const k in o) if (k !== 'pos') walk(o[k]);
    };
    walk(stmts);
  }

  /** Returns whether a statement's evaluation error was held (the rule is not empty then). */
  private ruleStmts(
    tb: NftTable,
    inBlock: boolean,
    stmts: NftStmt[],
    setComment: (c: string) => void,
  ): boolean {
    this.ruleNf = undefined;
    this.inRule++;
    try {
      return this.ruleStmtsIn(tb, inBlock, stmts, setComment);
    } finally {
      this.inRule--;
    }
  }

  private ruleStmtsIn(
    tb: NftTable,
    inBlock: boolean,
    stmts: NftStmt[],
    setComment: (c: string) => void,
  ): boolean {
    let held = false;
    for (;;) {
      const t = this.peek();
      if (
        t.kind === 'nl' ||
        t.kind === 'eof' ||
        t.kind === 'handle' ||
        (t.kind === 'punct' && (t.text === ';' || t.text === '}'))
      )
        break;
      if (t.kind === 'word' && t.text === 'comment' && this.peek(1).kind === 'string') {
        this.i++;
        setComment(this.next().text);
        // The comment ends the rule (parser_bison.y rule: stmt_list then comment_spec): nft 1.0.6
        // refuses `comment "x" counter` at `counter`, "expecting newline or semicolon".
        const after = this.peek();
        if (!(
          after.kind === 'nl' ||
          after.kind === 'eof' ||
          after.kind === 'handle' ||
          (after.kind === 'punct' && (after.text === ';' || after.text === '}'))
        ))
          this.fail(after, inBlock ? 'newline or semicolon' : 'end of file or newline or semicolon');
        continue;
      }
      // A word nft's scanner begins with `[` or `]` (its own token) starts no statement.
      if (t.kind === 'word' && /^[[\]]/.test(t.text))
        throw new NftError(
          t,
          t.text[0]!,
          `syntax error, unexpected ${leadName(t.text)!}${stmts.length > 0 ? `, expecting ${inBlock ? 'newline or semicolon' : 'end of file or newline or semicolon'}` : ''}`,
        );
      // `[`, `:` and `==`-like operators continue no statement (nft 1.0.6: `oif vi:counter`,
      // `ip saddr 1.2.3.4 [`, `accept <= 3`: "expecting newline or semicolon").
      if (stmts.length > 0 && t.kind === 'word' && t.text.startsWith('[')) {
        const name = "'['";
        throw new NftError(
          t,
          '[',
          `syntax error, unexpected ${name}, expecting ${inBlock ? 'newline or semicolon' : 'end of file or newline or semicolon'}`,
        );
      }
      // A token that starts no statement and continues none, after one: nft's parser has reduced
      // the rule by then and expects its end (`accept &x`: "unexpected &, expecting newline or
      // semicolon").
      if (stmts.length > 0 && (t.kind === 'punct' || t.kind === 'word') && AFTER_STMT.has(tokName(t)))
        this.fail(t, inBlock ? 'newline or semicolon' : 'end of file or newline or semicolon');
      this.needTcp = false;
      let st: NftStmt;
      this.inBlock = inBlock;
      try {
        this.transportBefore = stmts.some(isTransportContext);
        st = this.stmt(tb);
      } catch (e) {
        // A statement read whole whose evaluation error is held: the rule reads on.
        if (!(e instanceof NftHeld)) throw e;
        this.pending ??= e.err;
        held = true;
        continue;
      }
      if (this.needTcp && !stmts.some(isTcpContext)) {
        const tcp: NftExpr = { kind: 'value', type: 'inet_proto', value: 6, pos: st.pos! };
        stmts.push({
          kind: 'match',
          left: { kind: 'meta', key: 'l4proto', pos: st.pos! },
          op: 'implicit',
          right: tcp,
          pos: st.pos!,
        });
      }
      // evaluate.c stmt_evaluate_addr: in an inet table a nat address needs its family, `snat ip
      // to`, or an earlier match of the network header (`ip daddr`, `meta nfproto ipv4`, `icmp
      // type`; not `meta l4proto` or `ct original ip saddr`). nft 1.0.6 takes an address and
      // port map with a concatenated key (`snat to ip saddr . tcp dport map { … }`).
      if (
        st.kind === 'nat' &&
        tb.family === 'inet' &&
        st.addr &&
        !st.family &&
        !st.addrPort &&
        !stmts.some(fixesNetwork)
      )
        this.pending ??= new NftError(
          st.pos!,
          st.type,
          'ip or ip6 must be specified with address for inet tables.',
        );
      if (
        st.kind === 'nat' &&
        (st.port || st.addrPort) &&
        !stmts.some(isTransportContext) &&
        !(st.addr && readsTransport(st.addr))
      )
        this.pending ??= new NftError(
          (st.addrPort ? st.addr?.pos : st.port?.pos) ?? st.pos!,
          '',
          'transport protocol mapping is only valid after transport protocol match',
        );
      // An implied family is not enough for a set of addresses (nft: as in a concatenation).
      if (
        st.kind === 'match' &&
        st.left.kind === 'ct' &&
        st.left.implied &&
        st.right.kind === 'set' &&
        st.right.elements.length > 1
      )
        this.pending ??= new NftError(
          st.left.pos ?? st.pos!,
          'ct',
          'specify either ip or ip6 for address matching',
        );
      stmts.push(st);
      // `meta nfproto ipv4|ipv6` gives a later `ct original saddr` its family (ct.c).
      if (
        st.kind === 'match' &&
        st.left.kind === 'meta' &&
        st.left.key === 'nfproto' &&
        (st.op === 'implicit' || st.op === '==') &&
        st.right.kind === 'value'
      )
        this.ruleNf = st.right.value === 2 ? 'ip' : st.right.value === 10 ? 'ip6' : this.ruleNf;
    }
    return held;
  }

  /**
   * A word that starts no expression natbox knows is, to nft's grammar, a symbol (symbol_expr) on
   * the left of a relational expression: nft's syntax error is then at the word after it when that
   * cannot be a right-hand side (`acce` then a newline: "unexpected newline" at the newline).
   */
  private unknownWordAsNft<T>(t: NftTok, parse: () => T, inBlock: boolean): T {
    const start = this.i;
    try {
      return parse();
    } catch (e) {
      const next = this.toks[start + 1];
      if (
        e instanceof NftError &&
        e.at.line === t.line &&
        e.at.column === t.column &&
        (/^syntax error, unexpected (string|quoted string|number)$/.test(e.message) ||
          (t.kind === 'word' &&
            RHS_KEYWORDS.has(t.text) &&
            e.message === `syntax error, unexpected ${t.text}`)) &&
        (t.kind === 'string' || (t.kind === 'word' && (!KEYWORDS.has(t.text) || RHS_KEYWORDS.has(t.text))))
      ) {
        this.i = start;
        return this.symbolRelation(inBlock);
      }
      if (
        e instanceof NftError &&
        next &&
        t.kind === 'word' &&
        !KEYWORDS.has(t.text) &&
        e.at.line === t.line &&
        e.at.column === t.column &&
        e.message === 'syntax error, unexpected string' &&
        (next.kind === 'nl' ||
          next.kind === 'eof' ||
          next.kind === 'junk' ||
          (next.kind === 'punct' && [';', '}'].includes(next.text)) ||
          (next.kind === 'word' && (next.text === ':' || NOT_RHS.has(next.text))))
      )
        this.fail(next);
      throw e;
    }
  }

  /**
   * A statement that starts with a word nft's grammar has no keyword for: to nft a symbol
   * (parser_bison.y symbol_expr: a string) on the left of a relational expression, `W [op] RHS`,
   * with binary operators (`|` `&` `^` `<<` `>>` `.`) on either side; some keywords are strings on
   * the right (keyword_expr and the like: `dport`, `tcp`, `dnat`, ... checked with nft 1.0.6). Read
   * for its syntax only, as bison reads it: a token that continues nothing there is the error
   * ("unexpected hook"; after a whole relation, "expecting newline or semicolon"). With no syntax
   * error, nft's evaluation refuses the symbol (evaluate.c expr_evaluate_symbol: "No symbol type
   * information"), held behind any later syntax error.
   */
  private symbolRelation(inBlock: boolean): never {
    const w = this.peek();
    const primary = (): boolean => {
      const t = this.peek();
      if (t.kind === 'string' || t.kind === 'at') return this.next() !== undefined;
      if (t.kind === 'punct' && t.text === '{') {
        // A set on the right: read to its `}` (its contents are not checked here).
        let depth = 0;
        for (;;) {
          const x = this.next();
          if (x.kind === 'eof') this.fail(x);
          if (x.kind === 'punct' && x.text === '{') depth++;
          if (x.kind === 'punct' && x.text === '}' && --depth === 0) return true;
        }
      }
      if (t.kind !== 'word') return false;
      if (KEYWORDS.has(t.text) && !RHS_KEYWORDS.has(t.text)) return false;
      if (BINOPS.has(t.text) || RELOPS.has(t.text) || t.text === '-' || t.text === ':') return false;
      if (/^[A-Za-z_.]/.test(t.text)) {
        const m = NFT_STRING.exec(t.text)!;
        if (m[0].length < t.text.length) this.cutName(m[0].length);
      }
      this.i++;
      return true;
    };
    const isEnd = (t: NftTok): boolean =>
      t.kind === 'nl' ||
      t.kind === 'eof' ||
      t.kind === 'handle' ||
      (t.kind === 'punct' && (t.text === ';' || t.text === '}'));
    if (!primary()) this.fail(this.peek());
    // Left of the relation: binary operators and their operands.
    for (;;) {
      const t = this.peek();
      if ((t.kind === 'punct' || t.kind === 'word') && BINOPS.has(t.text)) {
        this.i++;
        if (!primary()) this.fail(this.peek());
        continue;
      }
      if ((t.kind === 'punct' || t.kind === 'word') && RELOPS.has(t.text)) this.i++;
      if (!primary()) this.fail(this.peek());
      break;
    }
    // Right of it, then what may follow a whole statement.
    for (;;) {
      const t = this.peek();
      if ((t.kind === 'punct' || t.kind === 'word') && BINOPS.has(t.text)) {
        this.i++;
        if (!primary()) this.fail(this.peek());
        continue;
      }
      if (
        isEnd(t) ||
        t.kind === 'string' ||
        (t.kind === 'word' && !RELOPS.has(t.text) && t.text !== ':' && t.text !== '-')
      )
        break;
      this.fail(t, inBlock ? 'newline or semicolon' : 'end of file or newline or semicolon');
    }
    throw new NftHeld(new NftError(w, w.text, 'No symbol type information'));
  }

  private stmt(tb: NftTable): NftStmt {
    const t = this.peek();
    const pos = pick(t);
    if (t.kind === 'word')
      switch (t.text) {
        case 'accept':
        case 'drop':
        case 'continue':
        case 'return':
          this.i++;
          return { kind: 'verdict', verdict: t.text, pos };
        case 'jump':
        case 'goto':
          this.i++;
          return { kind: 'verdict', verdict: t.text, chain: this.name("'{'").text, pos };
        case 'counter': {
          this.i++;
          if (this.eatWord('name')) return { kind: 'objref', type: 'counter', name: this.objName(tb), pos };
          // parser_bison.y counter_args: any run of `packets N` and `bytes N`, in any order, the
          // last of each winning; one left out is 0 (nft 1.0.6 lists `counter packets 0` as
          // `counter packets 0 bytes 0`, `counter bytes 5 packets 3 packets 2` as packets 2 bytes 5).
          let packets = 0;
          let bytes = 0;
          for (;;) {
            if (this.eatWord('packets')) packets = this.number();
            else if (this.eatWord('bytes')) bytes = this.number();
            else break;
          }
          return { kind: 'counter', packets, bytes, pos };
        }
        case 'limit':
          this.i++;
          if (this.eatWord('name')) return { kind: 'objref', type: 'limit', name: this.objName(tb), pos };
          this.expectWord('rate');
          return { kind: 'limit', ...this.limitArgs(), pos };
        case 'quota': {
          this.i++;
          if (this.eatWord('name')) return { kind: 'objref', type: 'quota', name: this.objName(tb), pos };
          return { kind: 'quota', ...this.quotaArgs(), pos };
        }
        case 'log':
          this.i++;
          return this.logArgs(pos);
        case 'reject':
          this.i++;
          return this.rejectArgs(pos);
        case 'snat':
        case 'dnat':
        case 'masquerade':
        case 'redirect':
          this.i++;
          return this.natArgs(tb, t.text, pos);
        case 'notrack':
          this.i++;
          return { kind: 'notrack', pos };
        case 'reset': {
          // optstrip_stmt (parser_bison.y): `reset tcp option TYPE`, TYPE a name or a number up
          // to 255; listed by name (tcpopt.c: sack0-3 as sack, 2 as maxseg). Read and printed only.
          this.i++;
          this.expectWord('tcp');
          this.expectWord('option');
          const nt = this.peek();
          if (nt.kind !== 'word') this.fail(nt);
          const n = optionName('tcp option', nt.text);
          if ('syntax' in n) this.fail(nt, n.syntax || undefined);
          if ('error' in n) throw new NftError(nt, nt.text, n.error);
          this.i++;
          const name = n.name.replace(/^sack\d$/, 'sack');
          return {
            kind: 'other',
            text: `reset tcp option ${name}`,
            json: { reset: { 'tcp option': { name: /^\d+$/.test(name) ? Number(name) : name } } },
            pos,
          };
        }
        case 'queue':
          this.i++;
          return this.queueArgs(tb, pos);
        case 'meter':
          return this.meter(tb, pos);
        case 'add':
        case 'update':
        case 'delete':
          if (this.peek(1).kind === 'at') {
            this.i++;
            const set = this.next();
            this.expectPunct('{');
            const key = this.expr(tb);
            let timeout: number | undefined;
            if (this.eatWord('timeout')) timeout = this.time();
            const stmts: NftStmt[] = [];
            let data: NftExpr | undefined;
            while (!this.isPunct('}')) {
              if (this.eatColon()) {
                // The map's data: a value of its data type (`: 0x1`) or an expression (`: ip daddr`).
                const types = this.setInScope(tb, set.text)?.data?.types;
                data = this.mapStmtData(tb, types);
                continue;
              }
              stmts.push(this.stmt(tb));
            }
            this.expectPunct('}');
            return {
              kind: 'dynset',
              op: t.text,
              set: set.text,
              key,
              ...(data ? { data } : {}),
              ...(timeout !== undefined ? { timeout } : {}),
              ...(stmts.length ? { stmts } : {}),
              pos,
            };
          }
          break;
        case 'flow':
          if (this.isWord('table', 1)) return this.meter(tb, pos);
          this.i++;
          if (!this.eatWord('add') && !this.eatWord('offload')) this.fail(this.peek(), 'add');
          {
            const ft = this.peek();
            if (ft.kind !== 'at') this.fail(ft, "'@'");
            this.i++;
            return { kind: 'flow', flowtable: ft.text, pos };
          }
        case 'ct':
          if (['helper', 'timeout', 'expectation'].includes(this.peek(1).text) && this.isWord('set', 2)) {
            this.i += 3;
            return {
              kind: 'objref',
              type: `ct ${this.toks[this.i - 2]!.text}` as NftObjectType,
              name: this.objName(tb),
              pos,
            };
          }
          if (this.isWord('count', 1)) {
            this.i += 2;
            const over = this.eatWord('over');
            return { kind: 'connlimit', count: this.number(), over, pos };
          }
          break;
        case 'fwd':
        case 'dup': {
          this.i++;
          let family: 'ip' | 'ip6' | undefined;
          if (this.isWord('ip') || this.isWord('ip6')) family = this.next().text as 'ip';
          this.expectWord('to');
          const devOf = (): NftExpr => {
            const d = this.peek();
            if (d.kind === 'word' && this.startsExpr(d.text)) return this.rhs(tb, ['ifname']);
            this.i++;
            return { kind: 'value', type: 'ifname', value: d.text, pos: pick(d) };
          };
          if (t.text === 'fwd' && !family) return { kind: 'fwd', dev: devOf(), pos };
          // The address's family: the one given, else the table's (an ip6 table's dup is IPv6).
          const v6 = family === 'ip6' || (family === undefined && tb.family === 'ip6');
          const addr = this.rhs(tb, [v6 ? 'ipv6_addr' : 'ipv4_addr']);
          const dev = this.eatWord('device') ? devOf() : undefined;
          return { kind: t.text, addr, ...(dev ? { dev } : {}), ...(family ? { family } : {}), pos };
        }
        case 'synproxy': {
          this.i++;
          if (this.eatWord('name')) return { kind: 'objref', type: 'synproxy', name: this.objName(tb), pos };
          let mss: number | undefined;
          let wscale: number | undefined;
          const flags: string[] = [];
          for (;;) {
            if (this.eatWord('mss')) mss = this.number();
            else if (this.eatWord('wscale')) wscale = this.number();
            else if (this.isWord('timestamp') || this.isWord('sack-perm')) flags.push(this.next().text);
            else break;
          }
          const sorted = synproxyFlags(flags);
          return {
            kind: 'synproxy',
            ...(mss !== undefined ? { mss } : {}),
            ...(wscale !== undefined ? { wscale } : {}),
            ...(sorted.length ? { flags: sorted } : {}),
            pos,
          };
        }
        case 'tproxy': {
          // tproxy_stmt (parser_bison.y): `tproxy [ip] to ADDR[:PORT]`, `tproxy [ip] to :PORT`.
          this.i++;
          let family: 'ip' | 'ip6' | undefined;
          if (this.isWord('ip') || this.isWord('ip6')) family = this.next().text as 'ip';
          this.expectWord('to');
          const w = this.next();
          if (w.kind !== 'word') this.fail(w);
          // evaluate.c stmt_evaluate_tproxy: a transport protocol before it, then the family given
          // against the table's.
          if (!this.transportBefore)
            this.pending ??= new NftError(
              pos,
              'tproxy',
              'Transparent proxy support requires transport protocol match',
            );
          const tf = tb.family === 'ip' || tb.family === 'ip6' ? tb.family : undefined;
          if (family && tf && family !== tf)
            this.pending ??= new NftError(
              pos,
              'tproxy',
              `conflicting protocols specified: ${tf} vs. ${family}. You must specify ip or ip6 family in tproxy statement`,
            );
          const v6 = (family ?? tf) === 'ip6';
          // `[ADDR]:PORT`, `[ADDR]`, `ADDR:PORT`, `ADDR`, `:PORT`.
          const m = /^\[([^\]]+)\](?::(.*))?$/.exec(w.text);
          const k = m ? -1 : v6 && w.text.includes('::') ? -1 : w.text.lastIndexOf(':');
          const a = m ? m[1]! : k < 0 ? w.text : w.text.slice(0, k);
          const p = m ? m[2] : k >= 0 ? w.text.slice(k + 1) : undefined;
          if (a && !family && tb.family === 'inet')
            this.pending ??= new NftError(
              pos,
              'tproxy',
              'ip or ip6 must be specified with address for inet tables.',
            );
          const at = { ...w, column: w.column + (m ? 1 : 0) };
          if (a && (a.includes(':') ? !v6 : v6) && (family || tf))
            this.pending ??= new NftError(
              w,
              a,
              'Could not resolve hostname: Address family for hostname not supported',
            );
          const addr = a ? this.valueWord(at, a, a.includes(':') ? 'ipv6_addr' : 'ipv4_addr') : undefined;
          const port =
            p !== undefined
              ? this.valueWord({ ...w, column: w.column + w.text.length - p.length }, p, 'inet_service')
              : undefined;
          return {
            kind: 'tproxy',
            ...(family ? { family } : {}),
            ...(addr ? { addr } : {}),
            ...(port ? { port } : {}),
            pos,
          };
        }
        case 'last':
          this.i++;
          if (this.eatWord('used')) {
            if (this.eatWord('never')) return { kind: 'last', pos };
            return { kind: 'last', used: this.time(), pos };
          }
          return { kind: 'last', pos };
      }
    // An expression: a match, a `set` statement or a verdict map.
    const left = this.unknownWordAsNft(t, () => this.expr(tb), this.inBlock);
    // An IPv6 extension header's field is not written (nft 1.0.6's grammar: "unexpected set").
    if (left.kind === 'exthdr' && left.hdr === 'exthdr' && this.isWord('set')) this.fail(this.peek());
    if (this.eatWord('set')) {
      // A set of values is no value to set (nft: "unexpected '{'").
      if (this.isPunct('{')) this.fail(this.peek());
      const ty = exprType(left);
      if (left.kind === 'meta' && left.key === 'secmark')
        return { kind: 'objref', type: 'secmark', name: this.objName(tb), pos };
      // A raw payload on the right is an expression (`@nh,80,8 set @nh,80,8 & 0xc0`, as nft lists
      // a write off byte bounds), not a set's `@name`.
      const at = this.peek();
      const value =
        at.kind === 'at' && RAW_PAYLOAD.test(at.text)
          ? this.expr(tb)
          : this.rhs(tb, ty ? [ty] : undefined, left);
      // nft_exthdr writes 2- and 4-byte TCP option fields only (the kernel's EOPNOTSUPP).
      if (
        (left.kind === 'exthdr' &&
          left.hdr !== 'exthdr' &&
          !optionFieldWritable(left.hdr, left.name, left.field ?? '')) ||
        (left.kind === 'misc' && left.words.startsWith('tcp option '))
      )
        throw new NftHeld(
          new NftError(left.pos ?? pos, t.text, 'Could not process rule: Operation not supported'),
        );
      const bad = outOfRangeIn(left, value);
      if (bad) throw new NftHeld(new NftError(bad.pos ?? value.pos ?? pos, '', bad.message));
      return { kind: 'set', target: left, value, pos };
    }
    if (this.eatWord('vmap')) {
      const map = this.mapRef(tb, typesOf(left), ['verdict'], left);
      return { kind: 'vmap', key: left, map, pos };
    }
    let op: NftRelOp = 'implicit';
    const o = this.peek();
    if (o.kind === 'punct' && ['==', '!=', '<', '>', '<=', '>=', '!'].includes(o.text)) {
      op = o.text as NftRelOp;
      this.i++;
    } else if (o.kind === 'word' && ['eq', 'ne', 'lt', 'gt', 'le', 'ge'].includes(o.text)) {
      op = ({ eq: '==', ne: '!=', lt: '<', gt: '>', le: '<=', ge: '>=' } as const)[o.text as 'eq'];
      this.i++;
    }
    const ot = this.peek();
    if (
      ot.kind === 'nl' ||
      ot.kind === 'eof' ||
      (ot.kind === 'punct' && [';', '}'].includes(ot.text)) ||
      (ot.kind === 'word' && NOT_RHS.has(ot.text))
    )
      this.fail(ot);
    // A TCP option without a template for the field (`tcp option eol length`): tcpopt.c finds no
    // type for the value.
    if (
      left.kind === 'exthdr' &&
      left.hdr === 'tcp option' &&
      left.field === 'length' &&
      optionField('tcp option', left.name, 'length', false) === 'no-type'
    ) {
      this.rhs(tb, ['integer'], left);
      throw new NftHeld(new NftError(ot, ot.text, 'No symbol type information'));
    }
    const right =
      left.kind === 'fib' && (this.isWord('exists') || this.isWord('missing'))
        ? ({
            kind: 'value',
            type: 'boolean',
            value: this.next().text === 'exists' ? 1 : 0,
            pos: pick(ot),
          } as const)
        : this.rhs(
            tb,
            left.kind === 'misc' && left.words === 'rt nexthop' ? [this.nexthopType(tb)] : typesOf(left),
            left,
          );
    const bad = outOfRangeIn(left, right);
    if (bad) throw new NftHeld(new NftError(bad.pos ?? right.pos ?? pos, '', bad.message));
    // The bridge's meta keys exist in bridge tables only (nft_meta_bridge; elsewhere the kernel's
    // nft_meta_get_init answers EOPNOTSUPP, which nft puts at the expression).
    if (left.kind === 'meta' && BRIDGE_META.has(left.key) && tb.family !== 'bridge')
      throw new NftHeld(
        new NftError(left.pos ?? pos, left.key, 'Could not process rule: Operation not supported'),
      );
    // rt.c: IPv6's next hop in an ip table never matches.
    if (left.kind === 'misc' && left.words === 'rt ip6 nexthop' && tb.family === 'ip')
      throw new NftHeld(new NftError(left.pos ?? pos, 'rt', 'ip6 nexthop will not match'));
    // rt.c expr_evaluate_rt: `rt nexthop` without ip/ip6 where neither the table nor a `meta
    // nfproto` before it gives the family.
    if (
      left.kind === 'misc' &&
      left.words === 'rt nexthop' &&
      tb.family !== 'ip' &&
      tb.family !== 'ip6' &&
      this.ruleNf === undefined
    )
      throw new NftHeld(
        new NftError(
          left.pos ?? pos,
          'rt',
          'cannot determine ip protocol version, use "ip nexthop" or "ip6 nexthop" instead',
        ),
      );
    // evaluate.c expr_evaluate_relational OP_NEG: not after a binary operation, at the rule's left.
    if (op === '!' && left.kind === 'binop')
      throw new NftHeld(new NftError(left.pos ?? pos, '!', 'cannot combine negation with binary expression'));
    // One value of a bitmask type.
    if (op === '!' && !(right.kind === 'value' && BITMASK_TYPES.has(right.type)))
      throw new NftHeld(new NftError(pos, '!', 'negation can only be used with singleton bitmask values'));
    // `tcp flags syn / fin,syn,rst,ack`: the value under a mask.
    if (this.isWord('/')) {
      this.i++;
      const mask = this.rhs(tb, typesOf(left), left);
      // evaluate.c expr_evaluate_relational: a value under a mask is compared for (in)equality only.
      if (op !== 'implicit' && op !== '==' && op !== '!=')
        throw new NftHeld(new NftError(pos, op, 'either == or != is allowed'));
      return {
        kind: 'match',
        left: { kind: 'binop', op: '&', left, right: mask },
        op: op === 'implicit' ? '==' : op,
        right,
        pos,
      };
    }
    return { kind: 'match', left, op, right, pos };
  }

  /**
   * `rt nexthop`'s address family (rt.c: the table's family; in inet nft takes it from the rule's
   * network protocol before it, here from the value's form).
   */
  private nexthopType(tb: NftTable): NftDatatype {
    if (tb.family === 'ip') return 'ipv4_addr';
    if (tb.family === 'ip6') return 'ipv6_addr';
    return this.peek().text.includes(':') ? 'ipv6_addr' : 'ipv4_addr';
  }

  /**
   * `HDR NAME [FIELD]` after `ip option`, `sctp chunk` or `tcp option` (token `t`: the protocol
   * word), as nft 1.0.6 reads it (exthdr.ts): a NAME nft does not know is a syntax error there; a
   * FIELD its grammar knows but not for NAME is a syntax error (tcp, sctp) or ipopt.c's "unknown ip
   * option type/field" at the expression (an evaluation error); any other word after NAME is the
   * value of a presence test (`tcp option maxseg exists`).
   */
  private optionHeader(hdr: OptionHeader, t: NftTok, pos: Pos): NftExpr {
    this.i += 2;
    const nt = this.peek();
    if (nt.kind === 'at' && hdr === 'tcp option') return this.rawTcpOption(nt, pos);
    if (nt.kind !== 'word') this.fail(nt, hdr === 'ip option' ? 'lsrr or rr or ssrr or ra' : undefined);
    const n = optionName(hdr, nt.text);
    if ('syntax' in n) this.fail(nt, n.syntax || undefined);
    if ('error' in n) throw new NftError(nt, nt.text, n.error);
    this.i++;
    const ft = this.peek();
    if (!(ft.kind === 'word' && isFieldWord(hdr, ft.text)))
      return { kind: 'exthdr', hdr, name: n.name, exists: true, pos };
    const how = optionField(hdr, n.name, ft.text, /^\d+$/.test(nt.text));
    // nft's scanner reads the field words as keywords: bison names them.
    if (how === 'syntax') throw new NftError(ft, ft.text, `syntax error, unexpected ${ft.text}`);
    if (how === 'unknown') throw new NftError(t, t.text, 'unknown ip option type/field');
    this.i++;
    return { kind: 'exthdr', hdr, name: n.name, field: ft.text, pos };
  }

  /**
   * `meter NAME [size N] { KEY [timeout T] STMT }` (parser_bison.y meter_stmt_alloc): a dynamic set
   * the rule fills, which takes a table handle before the rule's (anonSets) and is not listed on its own; nft
   * lists the size (65535 when none is given) and the statement without its state
   * (statement.c meter_stmt_print). Evaluated as nft_dynset on a set of its own (compile.ts).
   */
  private meter(tb: NftTable, pos: Pos): NftStmt {
    // `flow table NAME { … }`: its older spelling (flow_stmt_legacy_alloc).
    this.i += this.isWord('flow') ? 2 : 1;
    const name = this.identifier().text;
    let size = 65535;
    if (this.eatWord('size')) size = this.number() || 65535;
    this.expectPunct('{');
    const key = this.expr(tb);
    let timeout: number | undefined;
    // set_elem_options: a timeout is kept, an expiry dropped, a comment refused (evaluate.c).
    for (;;) {
      if (this.eatWord('timeout')) timeout = this.time();
      else if (this.eatWord('expires')) this.time();
      else if (this.eatWord('comment')) {
        this.identifier();
        this.pending ??= new NftError(
          key.pos ?? pos,
          'meter',
          'Meter key expression can not contain comments',
        );
      } else break;
    }
    const inner = this.stmt(tb);
    this.expectPunct('}');
    // evaluate.c stmt_evaluate_meter: a stateful statement; nft_dynset_init takes no connlimit.
    if (!['counter', 'limit', 'quota', 'connlimit', 'last'].includes(inner.kind))
      this.pending ??= new NftError(inner.pos ?? pos, 'meter', 'meter statement must be stateful');
    else if (inner.kind === 'connlimit')
      this.pending ??= new NftError(pos, 'meter', 'Could not process rule: Operation not supported');
    const fam = tb.family;
    const body = inner.kind === 'counter' ? 'counter' : stmtText(inner, fam, tb);
    const to = timeout !== undefined ? ` timeout ${formatTime(timeout)}` : '';
    return {
      kind: 'other',
      text: `meter ${name} size ${size} { ${printExpr(key, fam)}${to} ${body} }`,
      meter: {
        name,
        size,
        key,
        types: typesOf(key),
        ...(timeout !== undefined ? { timeout } : {}),
        stmt: inner,
      },
      pos,
    };
  }

  /**
   * `tcp option @KIND,OFFSET,LEN` (parser_bison.y tcp_hdr_expr, tcpopt.c tcpopt_init_raw): KIND a
   * name or a number up to 255, OFFSET and LEN in bits. nft lists it back by the template at that
   * place (`tcp option maxseg size`), as `tcp option NAME unknown` for a known option without one,
   * raw for another option. Evaluated (exthdr-op.ts). (A field not on byte bounds, which
   * nft lists as a masked compare, is printed as written.)
   */
  private rawTcpOption(at: NftTok, pos: Pos): NftExpr {
    // The lexer keeps commas in `@nh,0,8` only: here `@255`, `,`, `8`, `,`, `8`.
    const k0 = { ...at, kind: 'word' as const, column: at.column + 1 };
    const n = optionName('tcp option', at.text);
    if ('syntax' in n) this.fail(k0, n.syntax || undefined);
    if ('error' in n) throw new NftError(k0, k0.text, n.error);
    this.i++;
    this.expectPunct(',', 'comma');
    const offset = this.number();
    this.expectPunct(',', 'comma');
    const len = this.number();
    const kind = tcpOptionKind(n.name);
    // evaluate.c expr_evaluate_bits asserts a mask of at most a register's 128 bits (nft aborts).
    if (len > 128) throw new NftError(at, at.text, 'raw tcp option longer than 128 bits (nft 1.0.6 aborts)');
    const t = tcpOptionAt(kind, offset, len);
    if (t?.field) return { kind: 'exthdr', hdr: 'tcp option', name: t.name, field: t.field, pos };
    return {
      kind: 'misc',
      words: t ? `tcp option ${t.name} unknown` : `tcp option @${kind},${offset},${len}`,
      rawTcpOption: [kind, offset, len],
      pos,
    };
  }

  /**
   * A ct address of no written family in a concatenation or a map's key: nft cannot tell its
   * length there (evaluate.c: "specify either ip or ip6 for address matching").
   */
  private ctAddrKey(e: NftExpr): void {
    if (e.kind === 'ct' && (e.key === 'saddr' || e.key === 'daddr') && (!e.family || e.implied))
      this.pending ??= new NftError(
        e.pos ?? pick(this.peek()),
        'ct',
        'specify either ip or ip6 for address matching',
      );
  }

  /**
   * `srh sid[N]` (parser_bison.y rt4_hdr_field: `SID '[' NUM ']'`, spaces allowed; the lexer keeps
   * `sid[1]` one word). exthdr.c has templates for sid[1] and sid[2] only: for another N nft finds
   * no type for the value ("Could not parse integer" for 0, "No symbol type information" past 2),
   * an evaluation error at the value.
   */
  private srhSid(pos: Pos): NftExpr {
    this.i++;
    let text = '';
    const first = this.peek();
    for (let k = 0; k < 4 && !/^sid\[\d+\]$/.test(text); k++) {
      const t = this.peek();
      if (t.kind !== 'word' || !/^(sid)?\[?\d*\]?$/.test(t.text) || (k > 0 && /^sid/.test(t.text))) break;
      if (k === 0 && t.text === 'sid' && !this.peek(1).text.startsWith('[')) {
        this.i++;
        this.fail(this.peek(), "'['");
      }
      text += t.text;
      this.i++;
    }
    const m = /^sid\[(\d+)\]$/.exec(text);
    if (!m) this.fail(this.peek().kind === 'eof' ? this.peek() : first, "'['");
    const n = Number(m[1]);
    if (n < 1 || n > 2) {
      const v = this.peek();
      this.pending ??= new NftError(
        v,
        v.text,
        n === 0 ? 'Could not parse integer' : 'No symbol type information',
      );
    }
    return { kind: 'exthdr', hdr: 'exthdr', name: 'srh', field: `sid[${n}]`, pos };
  }

  private objName(tb: NftTable): NftExpr {
    const t = this.peek();
    if (
      t.kind === 'string' ||
      (t.kind === 'word' &&
        !isPayloadProto(t.text) &&
        !['meta', 'ct', 'numgen', 'jhash', 'symhash'].includes(t.text))
    ) {
      this.i++;
      return {
        kind: 'value',
        type: 'string',
        value: t.text,
        pos: { file: t.file, line: t.line, column: t.column },
      };
    }
    const key = this.expr(tb);
    this.expectWord('map');
    return { kind: 'map', key, map: this.mapRef(tb, typesOf(key), ['string'], key) };
  }

  limitArgs(): { rate: number; per: 'second'; unit: 'packets' | 'bytes'; burst: number; over: boolean } {
    let over = false;
    if (this.eatWord('over')) over = true;
    else this.eatWord('until');
    const t = this.next();
    let rate: number;
    let unit: 'packets' | 'bytes' = 'packets';
    let per: string;
    // parser_bison.y limit_rate_pkts (`NUM / time_unit`) and limit_rate_bytes (`NUM STRING`, e.g.
    // `kbytes/second`, or `NUM bytes_unit / time_unit`); the scanner splits `10/second` at `/`.
    const m = /^(\d+)\/(second|minute|hour|day|week)$/.exec(t.text);
    if (m) {
      rate = Number(m[1]);
      per = m[2]!;
    } else {
      rate = parseInteger(t.text) ?? this.fail(t, 'number');
      const u = this.next();
      // nft 1.0.6's data units are bytes, kbytes and mbytes (datatype.c data_unit_parse).
      if (/^gbytes(\/|$)/.test(u.text)) throw new NftError(t, t.text, 'Wrong rate format');
      const um = /^(bytes|kbytes|mbytes|gbytes)\/(second|minute|hour|day|week)$/.exec(u.text);
      if (um) {
        rate *= unitMul(um[1]!);
        per = um[2]!;
        unit = 'bytes';
      } else if (/^(bytes|kbytes|mbytes|gbytes)$/.test(u.text) && this.peek().text.startsWith('/')) {
        rate *= unitMul(u.text);
        per = this.timeAfterSlash();
        unit = 'bytes';
      } else if (u.text === '/' || u.text.startsWith('/')) {
        this.i--;
        per = this.timeAfterSlash();
      } else if (u.kind === 'word' && /^[kmg]?bytes\//.test(u.text)) {
        throw new NftError(t, t.text, 'Wrong rate format');
      } else this.fail(u, 'rate unit');
    }
    let burst = unit === 'packets' ? 5 : 0;
    if (this.eatWord('burst')) {
      const bt = this.peek();
      burst = this.number();
      const bu = this.next();
      if (bu.text === 'gbytes') throw new NftError(bt, bt.text, 'Wrong rate format');
      // limit_burst_pkts takes PACKETS only; limit_burst_bytes BYTES or a STRING (`kbytes`).
      // (`bytes` and `packets` are keywords of nft's scanner.)
      const kw = (x: NftTok): string => (x.text === 'bytes' || x.text === 'packets' ? x.text : tokName(x));
      if (unit === 'packets' && bu.text !== 'packets')
        throw new NftError(bu, bu.text, `syntax error, unexpected ${kw(bu)}, expecting packets`);
      if (unit === 'bytes' && bu.text === 'packets')
        throw new NftError(bu, bu.text, 'syntax error, unexpected packets, expecting string or bytes');
      if (bu.text !== 'packets' && !/^[kmg]?bytes$/.test(bu.text)) this.fail(bu, 'packets or bytes');
      if (bu.text !== 'packets') burst *= unitMul(bu.text);
    }
    return { rate, per: per as 'second', unit, burst, over };
  }

  /** `/ second` or `/second` (the scanner's SLASH, then a time unit). */
  private timeAfterSlash(): string {
    const sl = this.next();
    let w = sl.text.slice(1);
    if (w === '') w = this.next().text;
    if (!/^(second|minute|hour|day|week)$/.test(w)) throw new NftError(sl, sl.text, 'Wrong rate format');
    return w;
  }

  quotaArgs(): { over: boolean; bytes: number; used: number } {
    const start = this.i;
    let over = false;
    if (this.eatWord('over')) over = true;
    else this.eatWord('until');
    const n = this.number();
    const u = this.next();
    if (!/^[kmg]?bytes$/.test(u.text)) this.fail(u, 'bytes');
    // nft 1.0.6 has no gbytes (data_unit_parse): "Wrong rate format", at the statement.
    const at = this.toks[start - 1] ?? u;
    if (u.text === 'gbytes') throw new NftError(at, at.text, 'Wrong rate format');
    let used = 0;
    if (this.isWord('used')) {
      const ut = this.next();
      used = this.number();
      const uu = this.next();
      if (!/^[kmg]?bytes$/.test(uu.text)) this.fail(uu, 'bytes');
      if (uu.text === 'gbytes') throw new NftError(ut, ut.text, 'Wrong rate format');
      used *= unitMul(uu.text);
    }
    return { over, bytes: n * unitMul(u.text), used };
  }

  private logArgs(pos: Pos): NftStmt {
    let prefix: string | undefined;
    let level: string | undefined;
    let group: number | undefined;
    let snaplen: number | undefined;
    let queueThreshold: number | undefined;
    const flags: string[] = [];
    for (;;) {
      if (this.eatWord('prefix')) prefix = this.identifier().text;
      else if (this.eatWord('level')) level = this.identifier().text;
      else if (this.eatWord('group')) group = this.number();
      else if (this.eatWord('snaplen')) snaplen = this.number();
      else if (this.eatWord('queue-threshold')) queueThreshold = this.number();
      else if (this.eatWord('flags')) {
        do {
          const f = this.next();
          if (f.text === 'tcp') {
            const a = this.next().text;
            flags.push(`tcp ${a}`);
            while (this.isPunct(',') && (this.isWord('sequence', 1) || this.isWord('options', 1))) {
              this.i++;
              flags.push(`tcp ${this.next().text}`);
            }
          } else if (f.text === 'ip') flags.push(`ip ${this.next().text}`);
          else if (['skuid', 'ether', 'all'].includes(f.text)) flags.push(f.text);
          else this.fail(f);
        } while (this.eatPunct(','));
      } else break;
    }
    // evaluate.c stmt_evaluate_log: the kernel's log backends take a level or a group (with its
    // snaplen and queue-threshold: STMT_LOG_GROUP | STMT_LOG_SNAPLEN | STMT_LOG_QTHRESHOLD), not both.
    const nflog = group !== undefined || snaplen !== undefined || queueThreshold !== undefined;
    const why =
      level !== undefined && nflog
        ? 'level and group are mutually exclusive'
        : flags.length > 0 && nflog
          ? 'flags and group are mutually exclusive'
          : level === 'audit' &&
              (prefix !== undefined || flags.length > 0 || group !== undefined || snaplen !== undefined)
            ? "log level audit doesn't support any further options"
            : undefined;
    if (why) throw new NftHeld(new NftError(pos, 'log', why));
    return {
      kind: 'log',
      ...(prefix !== undefined ? { prefix } : {}),
      ...(level !== undefined ? { level } : {}),
      ...(flags.length ? { flags } : {}),
      ...(group !== undefined ? { group } : {}),
      ...(snaplen !== undefined ? { snaplen } : {}),
      ...(queueThreshold !== undefined ? { queueThreshold } : {}),
      pos,
    };
  }

  private rejectArgs(pos: Pos): NftStmt {
    if (!this.eatWord('with')) return { kind: 'reject', pos };
    const t = this.next();
    if (t.text === 'tcp') {
      this.expectWord('reset');
      this.needTcp = true;
      return { kind: 'reject', with: { type: 'tcp reset' }, pos };
    }
    if (t.text !== 'icmp' && t.text !== 'icmpv6' && t.text !== 'icmpx')
      this.fail(t, 'icmp, icmpv6, icmpx or tcp');
    this.eatWord('type');
    const c = this.identifier();
    const table = t.text === 'icmp' ? 'icmp_code' : t.text === 'icmpv6' ? 'icmpv6_code' : 'icmpx_code';
    if (lookupSymbol(table, c.text) === undefined && parseInteger(c.text) === undefined)
      throw new NftError(
        c,
        c.text,
        `Could not parse ${table === 'icmp_code' ? 'ICMP' : table === 'icmpv6_code' ? 'ICMPv6' : 'ICMPX'} code`,
      );
    const st: NftStmt = { kind: 'reject', with: { type: t.text, code: c.text }, pos };
    this.rejectCodes.set(st, pick(c));
    return st;
  }
  /** Each `reject with icmp… CODE`'s code word, where nft puts a protocol conflict (protocolConflict). */
  private readonly rejectCodes = new WeakMap<object, Pos>();

  private natArgs(tb: NftTable, type: 'snat' | 'dnat' | 'masquerade' | 'redirect', pos: Pos): NftStmt {
    let family: 'ip' | 'ip6' | undefined;
    let addr: NftExpr | undefined;
    let port: NftExpr | undefined;
    let addrPort = false;
    let prefix = false;
    if (
      (type === 'snat' || type === 'dnat') &&
      (this.isWord('ip') || this.isWord('ip6')) &&
      (this.isWord('to', 1) || this.isWord('addr', 1) || this.isWord('prefix', 1))
    ) {
      family = this.next().text as 'ip';
    }
    if (this.eatWord('addr')) {
      this.expectWord('.');
      this.expectWord('port');
      addrPort = true;
    }
    if (this.eatWord('prefix')) prefix = true;
    let addrType: NftDatatype =
      family === 'ip6' || (family === undefined && tb.family === 'ip6') ? 'ipv6_addr' : 'ipv4_addr';
    // `snat 2001:db8::1` / `dnat ::99` in an inet table: nft's scanner reads an IPv6 address as
    // one token and takes the family from the rule's network protocol (nat_evaluate_family).
    const isV6 = (w: string): boolean => w.includes(':') && canonicalIpv6(w) !== undefined;
    // nat_stmt_args (parser_bison.y): `snat ADDR` without `to` is accepted too.
    const oldSyntax =
      (type === 'snat' || type === 'dnat') &&
      !this.isWord('to') &&
      this.peek().kind === 'word' &&
      !['random', 'fully-random', 'persistent', 'comment'].includes(this.peek().text) &&
      (this.startsExpr(this.peek().text) || /^[0-9[]/.test(this.peek().text) || isV6(this.peek().text));
    if (oldSyntax || this.eatWord('to')) {
      let t = this.peek();
      if (family === undefined && tb.family === 'inet' && t.kind === 'word' && isV6(t.text))
        addrType = 'ipv6_addr';
      if (t.kind === 'word' && (type === 'snat' || type === 'dnat') && addrType === 'ipv4_addr') {
        // `192.168.1.100:numgen inc mod 2 map { ... }`: the port is an expression.
        const k = t.text.lastIndexOf(':');
        if (k > 0 && !t.text.startsWith('[') && this.startsExpr(t.text.slice(k + 1))) {
          this.splitWord([t.text.slice(0, k), ':', t.text.slice(k + 1)]);
          t = this.peek();
        }
      }
      // `redirect to 26`: a port without its colon
      if ((type === 'redirect' || type === 'masquerade') && t.kind === 'word' && /^[0-9]/.test(t.text)) {
        this.i++;
        const port = this.valueWord(t, t.text, 'inet_service');
        return { kind: 'nat', type, port, ...this.natFlags(), pos };
      }
      if (t.kind === 'word' && t.text === ':' && type !== 'snat' && type !== 'dnat') {
        // `redirect to :tcp dport map { 22 : 8000 }`: the scanner's COLON, then the port (an
        // expression here).
        this.i++;
        port = this.rhs(tb, ['inet_service']);
      } else if (t.kind === 'word' && t.text.startsWith(':') && type !== 'snat' && type !== 'dnat') {
        this.i++;
        port = this.valueWord({ ...t, column: t.column + 1 }, t.text.slice(1), 'inet_service');
      } else if (
        t.kind === 'word' &&
        /[0-9.\]]:[0-9a-z]/.test(t.text) &&
        !t.text.startsWith('[') &&
        addrType === 'ipv4_addr'
      ) {
        this.i++;
        const k = t.text.lastIndexOf(':');
        addr = this.valueWord(t, t.text.slice(0, k), addrType);
        let ports = t.text.slice(k + 1);
        // `to $addr:$lo - $hi`: a port range written with spaces
        if (this.isWord('-') && this.peek(1).kind === 'word' && /^[0-9]/.test(this.peek(1).text)) {
          this.i++;
          ports += `-${this.next().text}`;
        }
        port = this.valueWord({ ...t, column: t.column + k + 1 }, ports, 'inet_service');
      } else if (t.kind === 'word' && t.text.startsWith('[')) {
        this.i++;
        // `[ADDR]`, `[ADDR]/LEN`, `[LOW]-[HIGH]`, each with `:PORT` or `:LO-HI` after it.
        const m = /^\[([^\]]+)\](\/\d+|-\[[^\]]+\])?(?::(.+))?$/.exec(t.text);
        if (!m) this.fail(t);
        const tail = m[2] ?? '';
        // nft's scanner: a prefix length is a NUM, so a `:` after it is no port.
        if (tail.startsWith('/') && m[3] !== undefined)
          throw new NftError(
            { ...t, column: t.column + m[1]!.length + 3 },
            tail,
            'syntax error, unexpected string, expecting number',
          );
        if (tail.startsWith('-')) {
          const low = this.valueWord(t, m[1]!, 'ipv6_addr');
          const high = this.valueWord(t, tail.slice(2, -1), 'ipv6_addr');
          const lw = parseIpv6(m[1]!);
          const hw = parseIpv6(tail.slice(2, -1));
          // evaluate.c expr_evaluate_range.
          if (lw && hw && lw.join(',') !== hw.join(',')) {
            const k = lw.findIndex((x, j) => x !== hw[j]);
            if (lw[k]! > hw[k]!) this.pending ??= new NftError(t, t.text, 'Range has zero or negative size');
          }
          addr = { kind: 'range', low, high, pos: pick(t) };
        } else addr = this.valueWord(t, `${m[1]!}${tail}`, 'ipv6_addr');
        if (m[3])
          port = this.valueWord(
            { ...t, column: t.column + m[1]!.length + tail.length + 3 },
            m[3],
            'inet_service',
          );
      } else if (t.kind === 'word' && t.text.startsWith(':') && !(addrType === 'ipv6_addr' && isV6(t.text))) {
        this.i++;
        port = this.valueWord({ ...t, column: t.column + 1 }, t.text.slice(1), 'inet_service');
      } else {
        const dataTypes: NftDatatype[] = [addrType, 'inet_service'];
        addr = this.rhs(tb, dataTypes, undefined, true);
        if (
          addr.kind === 'map' &&
          addr.map.kind === 'set' &&
          addr.map.elements.some((e) => e.data?.kind === 'concat')
        )
          addrPort = true;
        // `dnat to tcp dport map { ... }:tcp dport map { ... }`: the colon starts the next word.
        const c = this.peek();
        if (
          c.kind === 'word' &&
          c.text.length > 1 &&
          c.text.startsWith(':') &&
          this.startsExpr(c.text.slice(1))
        )
          this.splitWord([':', c.text.slice(1)]);
        if (this.eatColon()) port = this.rhs(tb, ['inet_service']);
      }
    }
    const flags = this.natFlags().flags ?? [];
    return {
      kind: 'nat',
      type,
      ...(family ? { family } : {}),
      ...(addr ? { addr } : {}),
      ...(port ? { port } : {}),
      ...(addrPort ? { addrPort } : {}),
      ...(prefix ? { prefix } : {}),
      ...(flags.length ? { flags } : {}),
      pos,
    };
  }

  private natFlags(): { flags?: string[] } {
    const flags: string[] = [];
    for (;;) {
      const f = this.peek();
      if (f.kind === 'word' && ['random', 'fully-random', 'persistent'].includes(f.text)) {
        this.i++;
        flags.push(f.text);
        this.eatPunct(',');
      } else break;
    }
    const order = ['random', 'fully-random', 'persistent'];
    flags.sort((a, b) => order.indexOf(a) - order.indexOf(b));
    return flags.length ? { flags } : {};
  }

  private queueArgs(tb: NftTable, pos: Pos): NftStmt {
    const flags: ('bypass' | 'fanout')[] = [];
    let num: NftExpr | undefined;
    // Where nft puts "fanout requires a range": the number after `flags fanout`, `num N` when the
    // flag comes after it.
    let numAt: Pos | undefined;
    for (;;) {
      if (this.eatWord('flags')) {
        do flags.push(this.next().text as 'bypass');
        while (this.eatPunct(','));
      } else if (this.isWord('num') || this.isWord('to')) {
        // parser_bison.y queue_stmt_arg: `num` takes a number (or a variable), `to` an expression.
        const kw = this.next();
        const isNum = kw.text === 'num';
        const nt = this.peek();
        numAt = flags.length > 0 ? pick(nt) : pick(kw);
        if (isNum && !(nt.kind === 'var' || (nt.kind === 'word' && /^\d/.test(nt.text))))
          this.fail(nt, "number or '$'");
        num = this.rhs(tb, ['integer']);
        // parser_bison.y queue_stmt_expr: `to` takes a number, a range, a hash, numgen or a map; a
        // bare key (`queue to oif`) wants its `.` or `map` next.
        if (!isNum && (num.kind === 'meta' || num.kind === 'payload' || num.kind === 'ct'))
          this.fail(this.peek(), '. or map');
        // evaluate.c stmt_evaluate_queue: a queue number is 16 bits, a hash or numgen's too.
        if (num.kind === 'value' && typeof num.value === 'number' && num.value > 65535)
          this.pending ??= new NftError(kw, kw.text, `Value ${num.value} exceeds valid range 0-65535`);
        if ((num.kind === 'hash' || num.kind === 'numgen') && num.offset + num.mod - 1 > 65535)
          this.pending ??= new NftError(num.pos ?? pos, '', 'queue expression max value exceeds 65535');
      } else if (this.isWord('bypass') || this.isWord('fanout')) {
        flags.push(this.next().text as 'bypass');
        this.eatPunct(',');
      } else break;
    }
    // evaluate.c stmt_evaluate_queue: fanout spreads over a range of queues.
    if (flags.includes('fanout') && num !== undefined && num.kind !== 'range')
      this.pending ??= new NftError(numAt ?? pos, '', 'fanout requires a range to be specified');
    return { kind: 'queue', ...(num ? { num } : {}), ...(flags.length ? { flags } : {}), pos };
  }

  // ---- expressions ----

  /** A left-hand expression: primaries joined by `.`, with binary operators. */
  private expr(tb: NftTable): NftExpr {
    if (++this.depth > NFT_MAX_NESTING)
      throw new NftError(this.peek(), this.peek().text, 'expression nested too deeply');
    try {
      const first = this.binop(tb);
      if (!this.isWord('.')) return first;
      const items = [first];
      while (this.isWord('.')) {
        this.i++;
        items.push(this.binop(tb));
      }
      for (const x of items) this.ctAddrKey(x);
      return { kind: 'concat', items, pos: first.pos ?? pick(this.peek()) };
    } finally {
      this.depth--;
    }
  }

  private binop(tb: NftTable): NftExpr {
    let left = this.primary(tb);
    for (;;) {
      const t = this.peek();
      // The constant on the right takes the operators that bind tighter than this one with it, as
      // nft's grammar does (`P | 1 ^ 3` is `P | 2`, `P ^ 4 & 8` is `P ^ 0`).
      const level = VALUE_OPS.findIndex((m) => m.has(t.text));
      if (t.kind === 'punct' && ['&', '|', '^', '<<', '>>'].includes(t.text)) {
        this.i++;
        const ty = t.text === '<<' || t.text === '>>' ? 'integer' : (exprType(left) ?? 'integer');
        const right = this.valueOps(tb, ty, left, level + 1);
        left = { kind: 'binop', op: t.text as '&', left, right, pos: left.pos ?? pick(t) };
      } else if (t.kind === 'word' && ['and', 'or', 'xor'].includes(t.text)) {
        this.i++;
        const right = this.valueOps(tb, exprType(left) ?? 'integer', left, level + 1);
        left = {
          kind: 'binop',
          op: ({ and: '&', or: '|', xor: '^' } as const)[t.text as 'and'],
          left,
          right,
          pos: left.pos ?? pick(t),
        };
      } else return left;
    }
  }

  primary(tb: NftTable): NftExpr {
    const t = this.peek();
    const pos = pick(t);
    if (t.kind === 'punct' && t.text === '(') {
      this.i++;
      const e = this.expr(tb);
      this.expectPunct(')');
      return e;
    }
    if (t.kind === 'at') {
      const m = RAW_PAYLOAD.exec(t.text);
      if (m) {
        this.i++;
        return { kind: 'rawpayload', base: m[1] as 'll', offset: Number(m[2]), len: Number(m[3]), pos };
      }
    }
    if (t.kind !== 'word') this.fail(t);
    const w = t.text;
    // `ip option NAME [FIELD]`, `sctp chunk NAME [FIELD]`, `tcp option NAME [FIELD]` (exthdr.ts:
    // the names and fields nft takes; without a field, a presence test).
    const hdr: OptionHeader | undefined =
      w === 'ip' && this.isWord('option', 1)
        ? 'ip option'
        : w === 'sctp' && this.isWord('chunk', 1)
          ? 'sctp chunk'
          : w === 'tcp' && this.isWord('option', 1)
            ? 'tcp option'
            : undefined;
    if (hdr) return this.optionHeader(hdr, t, pos);
    // `exthdr NAME`: an IPv6 extension header's presence (`exthdr frag exists`).
    if (w === 'exthdr') {
      this.i++;
      const nt = this.peek();
      if (!(nt.kind === 'word' && IPV6_EXTHDR_FIELDS[nt.text])) this.fail(nt);
      this.i++;
      return { kind: 'exthdr', hdr: 'exthdr', name: nt.text, exists: true, pos };
    }
    // IPv6 extension header fields: `frag frag-off`, `hbh nexthdr`, `rt seg-left`, `srh tag`.
    const ext = IPV6_EXTHDR_FIELDS[w];
    if (w === 'srh' && this.peek(1).kind === 'word' && this.peek(1).text.startsWith('sid'))
      return this.srhSid(pos);
    if (ext && this.peek(1).kind === 'word' && ext.includes(this.peek(1).text)) {
      this.i += 2;
      return { kind: 'exthdr', hdr: 'exthdr', name: w, field: this.toks[this.i - 1]!.text, pos };
    }
    if (isPayloadProto(w) && !(w === 'ip' || w === 'ip6' ? false : this.isWord('set', 1))) {
      const f = this.peek(1);
      // `vlan cfi`: nft 1.0.6's older name of `vlan dei` (proto.c), listed as dei.
      const cfi = w === 'vlan' && f.kind === 'word' && f.text === 'cfi';
      if (
        f.kind === 'word' &&
        (cfi || payloadFields(w).some((x) => x === f.text || x.startsWith(`${f.text} `)))
      ) {
        this.i += 2;
        let field = cfi ? 'dei' : f.text;
        if (
          w === 'arp' &&
          (field === 'saddr' || field === 'daddr') &&
          (this.isWord('ip') || this.isWord('ether'))
        )
          field += ` ${this.next().text}`;
        return { kind: 'payload', proto: w, field, pos };
      }
      this.fail(f);
    }
    if (w === 'meta') {
      this.i++;
      const k = this.identifier();
      if (!(k.text in META))
        throw new NftError(t, k.text, `syntax error, unexpected ${k.text}, known keys are ${META_KEYS_TEXT}`);
      // evaluate.c expr_evaluate_meta: NFPROTO outside an inet table.
      if (k.text === 'nfproto' && tb.family !== 'inet')
        this.pending ??= new NftError(pos, 'meta', 'meta nfproto is only useful in the inet family');
      return { kind: 'meta', key: k.text, pos };
    }
    if (w in META && UNQUALIFIED_META.includes(w)) {
      this.i++;
      return { kind: 'meta', key: w, pos };
    }
    if (w === 'ct') {
      this.i++;
      let dir: 'original' | 'reply' | undefined;
      let family: 'ip' | 'ip6' | undefined;
      if (this.isWord('original') || this.isWord('reply')) dir = this.next().text as 'original';
      if (dir && (this.isWord('ip') || this.isWord('ip6'))) family = this.next().text as 'ip';
      const k = this.identifier();
      if (!(k.text in CT)) throw new NftError(k, k.text, `syntax error, unexpected ${k.text}`);
      // parser_bison.y ct_key_dir / ct_key_dir_optional: the keys a direction takes.
      if (dir && !CT_DIR_KEYS.has(k.text))
        throw new NftError(k, k.text, `syntax error, unexpected ${k.text}`);
      // `ct original saddr` without a family takes the table's, or in inet the one `meta nfproto`
      // gave before it (evaluate.c expr_evaluate_ct, ct.c ct_expr_update_type); nft lists it
      // with it (`ct original ip saddr`).
      if (!family && this.inRule > 0 && (k.text === 'saddr' || k.text === 'daddr')) {
        const fam = tb.family === 'ip' || tb.family === 'ip6' ? tb.family : this.ruleNf;
        if (fam) return { kind: 'ct', key: k.text, ...(dir ? { dir } : {}), family: fam, implied: true, pos };
        this.pending ??= new NftError(
          pos,
          'ct',
          'cannot determine ip protocol version, use "ip saddr" or "ip6 saddr" instead',
        );
      }
      return { kind: 'ct', key: k.text, ...(dir ? { dir } : {}), ...(family ? { family } : {}), pos };
    }
    if (w === 'fib') {
      this.i++;
      const flags = [this.identifier().text];
      while (this.isWord('.')) {
        this.i++;
        flags.push(this.identifier().text);
      }
      const r = this.identifier();
      if (!['oif', 'oifname', 'type'].includes(r.text)) this.fail(r, 'oif, oifname or type');
      // fib.c / evaluate.c expr_evaluate_fib: one address, at most one interface.
      const has = (f: string): boolean => flags.includes(f);
      const why =
        has('saddr') && has('daddr')
          ? 'fib: saddr and daddr are mutually exclusive'
          : !has('saddr') && !has('daddr')
            ? 'fib: need either saddr or daddr'
            : has('iif') && has('oif')
              ? 'fib: iif and oif are mutually exclusive'
              : undefined;
      if (why) throw new NftError(this.toks[this.i - flags.length * 2]!, flags[0]!, why);
      return { kind: 'fib', flags, result: r.text as 'oif', pos };
    }
    if (w === 'numgen') {
      this.i++;
      const mode = this.identifier().text as 'inc';
      this.expectWord('mod');
      const mod = this.number();
      const offset = this.eatWord('offset') ? this.number() : 0;
      return { kind: 'numgen', mode, mod, offset, pos };
    }
    if (w === 'jhash' || w === 'symhash') {
      this.i++;
      const expr = w === 'jhash' ? this.expr(tb) : undefined;
      this.expectWord('mod');
      const mod = this.number();
      const seed = this.eatWord('seed') ? this.number() : undefined;
      const offset = this.eatWord('offset') ? this.number() : 0;
      return {
        kind: 'hash',
        type: w,
        ...(expr ? { expr } : {}),
        mod,
        ...(seed !== undefined ? { seed } : {}),
        offset,
        pos,
      };
    }
    if (['socket', 'rt', 'osf', 'ipsec'].includes(w)) {
      this.i++;
      const words = [w];
      // rt [ip|ip6] KEY, socket KEY [level N], osf [ttl X] KEY, ipsec in|out [spnum N] [ip|ip6] KEY
      const more = (): boolean => this.peek().kind === 'word' && /^[a-z]/.test(this.peek().text);
      const take = (): void => {
        if (more()) words.push(this.next().text);
      };
      if (w === 'rt' && (this.isWord('ip') || this.isWord('ip6'))) take();
      if (w === 'osf' && this.isWord('ttl')) {
        take();
        // osf.c osf_ttl: loose or skip (parser_bison.y: "invalid ttl option" at the word).
        const tt = this.peek();
        if (!(this.isWord('loose') || this.isWord('skip')))
          throw new NftError(tt, tt.text, 'invalid ttl option');
        take();
      }
      if (w === 'ipsec') {
        // parser_bison.y ipsec_expr: a direction nft does not know is read as a boolean word and
        // refused at evaluation ("Could not parse boolean type"); spnum is at most 255.
        const d = this.peek();
        if (!this.isWord('in') && !this.isWord('out'))
          this.pending ??= new NftError(d, d.text, 'Could not parse boolean type');
        take();
        if (this.isWord('spnum')) {
          const sp = this.peek();
          take();
          const nt = this.next();
          const n = parseInteger(nt.text);
          if (n === undefined || n > 255) this.pending ??= new NftError(sp, sp.text, 'value too large');
          // The kernel's nft_xfrm_get_init: spnum >= XFRM_MAX_DEPTH (6) is ERANGE.
          else if (n >= 6)
            this.pending ??= new NftError(
              pos,
              'ipsec',
              'Could not process rule: Numerical result out of range',
            );
          words.push(nt.text);
        }
        if (this.isWord('ip') || this.isWord('ip6')) take();
      }
      take();
      if (w === 'socket' && this.isWord('level')) {
        take();
        words.push(this.next().text);
      }
      return { kind: 'misc', words: words.join(' '), pos };
    }
    return this.fail(t);
  }

  /**
   * A map statement's data (parser_bison.y map_stmt: a concat_expr): values of the map's data
   * types or expressions joined by `.`; no `map`, set literal, `@set` or verdict.
   */
  private mapStmtData(tb: NftTable, types: NftDatatype[] | undefined): NftExpr {
    if (types?.[0] === 'verdict') this.fail(this.peek());
    const items: NftExpr[] = [];
    for (let k = 0; ; k++) {
      const t = this.peek();
      const raw = t.kind === 'at' && /^(ll|nh|th|ih),\d+,\d+$/.test(t.text);
      if ((t.kind === 'at' && !raw) || (t.kind === 'punct' && t.text === '{')) this.fail(t);
      // An expression (`ip daddr`, `meta mark | 0x100`, `@th,0,16`) or a value of the field's type.
      const item =
        raw || (t.kind === 'word' && this.startsExpr(t.text))
          ? this.binop(tb)
          : this.value(tb, types?.[k] ?? types?.[0] ?? 'integer');
      if (this.isWord('map')) this.fail(this.peek());
      items.push(item);
      if (!this.isWord('.')) break;
      this.i++;
    }
    return items.length === 1
      ? items[0]!
      : { kind: 'concat', items, pos: items[0]!.pos ?? pick(this.peek()) };
  }

  /** A right-hand side typed by `types` (one per part of a concatenation). */
  private rhs(tb: NftTable, types: NftDatatype[] | undefined, left?: NftExpr, allowExpr = false): NftExpr {
    const t = this.peek();
    if (t.kind === 'punct' && t.text === '{') {
      const elements = this.setLiteral(types ?? ['integer'], undefined, undefined, false, tb, left);
      return { kind: 'set', elements, pos: pick(t) };
    }
    if (t.kind === 'at') {
      this.i++;
      return { kind: 'setref', name: t.text, pos: pick(t) };
    }
    // An expression on the right (`ct mark set meta mark`, `snat to ip saddr map {...}`,
    // `ct mark set (meta mark | 0x10) << 8`).
    const n = this.peek(1);
    if (
      (t.kind === 'word' && this.startsExpr(t.text)) ||
      (t.kind === 'punct' && t.text === '(' && n.kind === 'word' && this.startsExpr(n.text))
    ) {
      const e = this.expr(tb);
      if (this.isWord('map')) this.ctAddrKey(e);
      if (this.eatWord('map'))
        return {
          kind: 'map',
          key: e,
          map: this.mapRef(tb, typesOf(e), types ?? ['integer'], e),
          pos: e.pos ?? pick(t),
        };
      return e;
    }
    void allowExpr;
    return this.valueConcat(tb, types ?? [exprType(left ?? { kind: 'wildcard' }) ?? 'integer'], left);
  }

  private startsExpr(w: string): boolean {
    if (isPayloadProto(w) && payloadFields(w).some((f) => f.split(' ')[0] === this.peek(1).text)) return true;
    if ((w === 'rt' || w === 'socket' || w === 'osf' || w === 'ipsec') && this.peek(1).kind === 'word')
      return true;
    if (w === 'meta' || w === 'ct' || w === 'fib' || w === 'numgen' || w === 'jhash' || w === 'symhash')
      return true;
    return UNQUALIFIED_META.includes(w) && !(this.peek(1).kind === 'punct' && this.peek(1).text === ',');
  }

  private mapRef(tb: NftTable, keyTypes: NftDatatype[], dataTypes: NftDatatype[], left?: NftExpr): NftExpr {
    const t = this.peek();
    if (t.kind === 'at') {
      this.i++;
      return { kind: 'setref', name: t.text, pos: pick(t) };
    }
    if (!(t.kind === 'punct' && t.text === '{')) this.fail(t, "'{' or '@'");
    return {
      kind: 'set',
      elements: this.setLiteral(keyTypes, dataTypes, undefined, false, tb, left),
      pos: pick(t),
    };
  }

  private valueConcat(tb: NftTable, types: NftDatatype[], left?: NftExpr): NftExpr {
    const items = [this.valueRange(tb, types[0]!, left?.kind === 'concat' ? left.items[0] : left)];
    for (let k = 1; k < types.length; k++) {
      if (!this.isWord('.')) break;
      this.i++;
      items.push(this.valueRange(tb, types[k]!, left?.kind === 'concat' ? left.items[k] : undefined));
    }
    return items.length === 1 ? items[0]! : { kind: 'concat', items, pos: items[0]!.pos! };
  }

  private valueRange(tb: NftTable, type: NftDatatype, left?: NftExpr): NftExpr {
    const v = this.valueOps(tb, type, left, 0);
    if (this.isWord('-')) {
      this.i++;
      const hi = this.value(tb, type, left);
      return { kind: 'range', low: v, high: hi, pos: v.pos! };
    }
    return v;
  }

  /**
   * A value with constant operators after it (`0x11 xor 0x1331`, `new | related`, `1 << 8`), by
   * nft's precedence (parser_bison.y: shift over and over xor over or); nft folds constants as it
   * evaluates (evaluate.c constant_binop_simplify), and so does natbox.
   */
  private valueOps(tb: NftTable, type: NftDatatype, left: NftExpr | undefined, level: number): NftExpr {
    if (level === VALUE_OPS.length) return this.value(tb, type, left);
    let v = this.valueOps(tb, type, left, level + 1);
    for (;;) {
      const t = this.peek();
      const op = VALUE_OPS[level]!.get(t.text);
      if (op === undefined || !(t.kind === 'punct' || t.kind === 'word')) return v;
      this.i++;
      const shift = op === '<<' || op === '>>';
      const r = this.valueOps(tb, shift ? 'integer' : type, left, level + 1);
      // nft 1.0.6 stops on a shift of two constants (`meta mark set 1 << 8`: "BUG: invalid
      // basetype invalid", exit 1): refused, as it refuses the file.
      if (shift && v.kind === 'value' && r.kind === 'value')
        throw new NftError(
          t,
          t.text,
          'nft cannot shift a constant (nft 1.0.6: "BUG: invalid basetype invalid")',
        );
      v = foldValues(op, v, r);
    }
  }

  private parenValue(tb: NftTable, type: NftDatatype, left?: NftExpr): NftExpr {
    this.i++;
    const v = this.value(tb, type, left);
    if (this.isPunct('|')) {
      let acc = v;
      while (this.eatPunct('|')) acc = orValues(acc, this.value(tb, type, left));
      this.expectPunct(')');
      return acc;
    }
    this.expectPunct(')');
    return v;
  }

  /** One value: a word (possibly a range or prefix), a string, or a bitmask list. */
  private value(tb: NftTable, type: NftDatatype, left?: NftExpr): NftExpr {
    void tb;
    const inSet = this.inSet > 0;
    const t = this.peek();
    if (t.kind === 'punct' && t.text === '(') {
      if (this.depth + this.parens >= NFT_MAX_NESTING)
        throw new NftError(t, '(', `expression nested too deeply (more than ${NFT_MAX_NESTING} levels)`);
      this.parens++;
      try {
        return this.parenValue(tb, type, left);
      } finally {
        this.parens--;
      }
    }
    if (t.kind === 'string') {
      this.i++;
      const sym = lookupSymbol(type, t.text);
      if (sym !== undefined) return { kind: 'value', type, value: sym, pos: pick(t) };
      if (type === 'hour' || type === 'iface_index' || type === 'day') return this.valueWord(t, t.text, type);
      // meta.c date_type_parse: "%Y-%m-%d %T", "%Y-%m-%d" or a number of seconds.
      if (type === 'time' && left?.kind === 'meta' && left.key === 'time') {
        // The date as nft lists it back: "%Y-%m-%d %H:%M:%S", whatever form it was written in.
        const sec = parseDate(t.text);
        if (sec === undefined) throw new NftHeld(new NftError(t, t.text, 'Cannot parse date'));
        return { kind: 'value', type: 'time', value: formatDate(sec), pos: pick(t) };
      }
      return {
        kind: 'value',
        type: ['ifname', 'iface_index', 'string', 'ct_label', 'time'].includes(type) ? type : 'string',
        value: t.text,
        pos: pick(t),
      };
    }
    if (
      type === 'verdict' &&
      t.kind === 'word' &&
      ['accept', 'drop', 'continue', 'return', 'jump', 'goto'].includes(t.text)
    ) {
      this.i++;
      if (t.text === 'jump' || t.text === 'goto')
        return { kind: 'verdict', verdict: t.text, chain: this.name("'{'").text, pos: pick(t) };
      return { kind: 'verdict', verdict: t.text as 'accept', pos: pick(t) };
    }
    if (t.kind !== 'word') this.fail(t);
    if (type === 'ipv6_addr' && inSet) this.splitIp6Word(t);
    const vt = this.next();
    let v = this.valueWord(vt, vt.text, type);
    if (BITMASK_TYPES.has(type) && !inSet) {
      while (
        this.isPunct(',') &&
        this.peek(1).kind === 'word' &&
        lookupSymbol(type, this.peek(1).text) !== undefined
      ) {
        this.i++;
        v = orValues(v, this.valueWord(this.peek(), this.next().text, type));
      }
    }
    return v;
  }

  /**
   * An IPv6 address in a set element as nft's scanner reads it (scanner.l `ip6addr`, the longest
   * match, and `ip6addr_rfc2732` in brackets): `aaaa:::accept` is the address `aaaa::`, a colon
   * and `accept`; `::dddd:` the address and a colon; `::1:accept` the address `::1:acce` and the
   * string `pt`. The word is cut there (the lexer keeps it whole); one nft reads whole is left.
   */
  private splitIp6Word(t: NftTok): void {
    const w = t.text;
    if (!w.includes(':') || /[-/]/.test(w)) return;
    let addr: string | undefined;
    let skip = 0;
    const br = /^\[([^\]]*)\]/.exec(w);
    if (br) {
      if (!IP6_SCAN.test(br[1]!)) return;
      addr = br[1]!;
      skip = 2;
    } else {
      if (IP6_SCAN.test(w)) return;
      for (let n = w.length - 1; n > 1 && addr === undefined; n--)
        if (IP6_SCAN.test(w.slice(0, n))) addr = w.slice(0, n);
      if (addr === undefined) return;
    }
    const rest = w.slice(addr.length + skip);
    if (br && rest === '') {
      this.toks[this.i] = { ...t, text: addr, column: t.column + 1 };
      return;
    }
    const parts = rest.startsWith(':') ? [':', rest.slice(1)] : [rest];
    const col0 = t.column + addr.length + skip;
    let col = col0;
    const toks: NftTok[] = [{ ...t, text: addr, column: t.column + (br ? 1 : 0) }];
    for (const p of parts) {
      if (p !== '') toks.push({ ...t, text: p, column: col });
      col += p.length;
    }
    this.toks = [...this.toks.slice(0, this.i), ...toks, ...this.toks.slice(this.i + 1)];
  }

  /**
   * A word as a value of `type`. An address nft cannot resolve is an evaluation error, which nft
   * reports only when the command has no syntax error (its parser runs first): it is held as the
   * command's pending error and the command read on (script() throws it at the command's end).
   */
  valueWord(t: NftTok, w: string, type: NftDatatype): NftExpr {
    try {
      return this.valueWordNow(t, w, type);
    } catch (e) {
      // Every value is parsed when nft evaluates its rule (datatype.c symbolic_constant_parse and
      // the datatypes' parse functions, from evaluate.c expr_evaluate_symbol), after the whole
      // file has parsed: the error is held and a stand-in value read on.
      if (!(e instanceof NftError) || isParseError(e)) throw e;
      this.pending ??= e;
      const stand = STAND_IN[type];
      if (stand !== undefined) return this.valueWordNow(t, stand, type);
      return { kind: 'value', type, value: type === 'iface_index' ? w : 0, pos: pick(t) };
    }
  }

  private valueWordNow(t: NftTok, w: string, type: NftDatatype): NftExpr {
    const pos = pick(t);
    const bad = (): never => {
      if (type === 'ipv4_addr' || type === 'ipv6_addr')
        throw new NftError(t, w, 'Could not resolve hostname: Name or service not known');
      throw new NftError(t, w, `Could not parse ${describeType(type)}`);
    };
    // Prefix and range forms.
    const slash = w.indexOf('/');
    if (slash > 0 && (type === 'ipv4_addr' || type === 'ipv6_addr')) {
      const len = Number(w.slice(slash + 1));
      const max = type === 'ipv4_addr' ? 32 : 128;
      if (!/^\d+$/.test(w.slice(slash + 1))) bad();
      if (len > max)
        throw new NftError(t, w, `Prefix length ${len} is invalid for type of ${max} bits width`);
      return { kind: 'prefix', value: this.valueWord(t, w.slice(0, slash), type), len, pos };
    }
    // An integer prefix (`meta mark 0xffffff00/24`: its top 24 bits, evaluate.c
    // expr_evaluate_prefix); natbox's marks are the 32-bit integers that take one.
    if (slash > 0 && type === 'mark' && /^\d+$/.test(w.slice(slash + 1))) {
      const len = Number(w.slice(slash + 1));
      if (len > 32) throw new NftError(t, w, `Prefix length ${len} is invalid for type of 32 bits width`);
      return { kind: 'prefix', value: this.valueWord(t, w.slice(0, slash), type), len, pos };
    }
    const sym = lookupSymbol(type, w);
    if (sym !== undefined) return { kind: 'value', type, value: sym, pos };
    if (type === 'inet_service' && SERVICES[w] !== undefined)
      return { kind: 'value', type, value: SERVICES[w], pos };
    const dash = w.indexOf('-', 1);
    if (
      dash > 0 &&
      type !== 'ifname' &&
      type !== 'iface_index' &&
      type !== 'string' &&
      // A time range (`ct expiration 1m-1h`): a word that is no time as a whole.
      (type !== 'time' ||
        (parseTime(w) === undefined &&
          parseTime(w.slice(0, dash)) !== undefined &&
          parseTime(w.slice(dash + 1)) !== undefined)) &&
      !(type in SYMBOLS && lookupSymbol(type, w) !== undefined)
    ) {
      const lo = this.valueWord(t, w.slice(0, dash), type);
      // The high end at its own column (nft's errors of a value point at it: `1-4096`, 4096).
      const hi = this.valueWord({ ...t, column: t.column + dash + 1 }, w.slice(dash + 1), type);
      // evaluate.c expr_evaluate_range: the low end above the high one.
      if (
        lo.kind === 'value' &&
        hi.kind === 'value' &&
        typeof lo.value === 'number' &&
        typeof hi.value === 'number' &&
        lo.value > hi.value
      )
        throw new NftError(t, w, 'Range has zero or negative size');
      return { kind: 'range', low: lo, high: hi, pos };
    }
    switch (type) {
      case 'ipv4_addr': {
        const n = parseIpv4(w) ?? inetAton(w);
        if (n === undefined) bad();
        return { kind: 'value', type, value: n!, pos };
      }
      case 'ipv6_addr': {
        const s = canonicalIpv6(w);
        if (s === undefined) bad();
        return { kind: 'value', type, value: s!, pos };
      }
      case 'ether_addr': {
        const n = parseMac(w);
        if (n === undefined) bad();
        return { kind: 'value', type, value: n!, pos };
      }
      case 'inet_service': {
        const n = parseInteger(w) ?? SERVICES[w];
        if (n !== undefined && n > 65535) throw new NftError(t, w, 'Service out of range');
        if (n === undefined) bad();
        return { kind: 'value', type, value: n!, pos };
      }
      case 'iface_index': {
        // nft resolves the name to the device's index when it reads the rule.
        const ifindex = this.opts.ifIndex?.(w);
        // Given the host's devices, a name that is none of them is nft's error (datatype.c
        // ifindex_type_parse: "Interface does not exist").
        if (this.opts.ifIndex && ifindex === undefined) throw new NftError(t, w, 'Interface does not exist');
        return { kind: 'value', type, value: w, pos, ...(ifindex !== undefined ? { ifindex } : {}) };
      }
      case 'ifname':
      case 'string':
      case 'ct_label':
      case 'classid':
        return { kind: 'value', type, value: w, pos };
      case 'hour': {
        const n = parseHour(w);
        if (n === undefined) bad();
        return { kind: 'value', type, value: n!, pos };
      }
      case 'time': {
        const n = parseTime(w);
        if (n === undefined) bad();
        return { kind: 'value', type, value: n!, pos };
      }
      case 'verdict':
        return bad();
      default: {
        const n = parseInteger(w);
        if (n === undefined) bad();
        // Past 2^53 a number loses bits: the model keeps such an integer as a decimal string.
        if (!Number.isSafeInteger(n)) return { kind: 'value', type, value: BigInt(w).toString(), pos };
        return { kind: 'value', type, value: n!, pos };
      }
    }
  }

  /** `{ a, b : x, c timeout 1s }` (after `{`... `}`). */
  private setLiteral(
    keyTypes: NftDatatype[],
    dataTypes: NftDatatype[] | undefined,
    typeofExprs?: NftExpr[],
    interval = false,
    tb?: NftTable,
    left?: NftExpr,
  ): NftSetElem[] {
    void interval;
    void typeofExprs;
    const open = this.expectPunct('{');
    if (++this.depth > NFT_MAX_NESTING) throw new NftError(open, '{', 'sets nested too deeply');
    const out: NftSetElem[] = [];
    const table =
      tb ??
      ({
        family: 'inet',
        name: '',
        handle: 0,
        chains: [],
        sets: [],
        flowtables: [],
        objects: [],
      } as NftTable);
    for (;;) {
      this.skipNl();
      if (this.eatPunct('}')) break;
      const t = this.peek();
      if (t.kind === 'punct' && t.text === '{') {
        // A nested set (a define of a set inside a set): its elements join this one.
        out.push(...this.setLiteral(keyTypes, dataTypes, typeofExprs, interval, tb, left));
      } else if (t.kind === 'punct' && t.text === '*') {
        this.i++;
        out.push(this.elemTail({ kind: 'wildcard', pos: pick(t) }, dataTypes, table));
      } else {
        this.inSet++;
        const key = this.valueConcat(table, keyTypes, left);
        this.inSet--;
        out.push(this.elemTail(key, dataTypes, table));
      }
      // An anonymous map's element has its data (map_list_member_expr: `KEY : DATA`).
      if (tb && dataTypes && out[out.length - 1]?.data === undefined) this.fail(this.peek(), 'colon');
      this.skipNl();
      if (this.eatPunct(',')) continue;
      this.skipNl();
      this.expectPunct('}', "comma or '}'");
      break;
    }
    this.depth--;
    return out;
  }

  private elemTail(key: NftExpr, dataTypes: NftDatatype[] | undefined, tb: NftTable): NftSetElem {
    let timeout: number | undefined;
    let expires: number | undefined;
    let comment: string | undefined;
    const stmts: NftStmt[] = [];
    let data: NftExpr | undefined;
    for (;;) {
      if (this.eatWord('timeout')) timeout = this.time();
      else if (this.eatWord('expires')) expires = this.time();
      else if (this.eatWord('comment')) comment = this.identifier().text;
      else if (this.isWord('counter') || this.isWord('quota') || this.isWord('limit'))
        stmts.push(this.stmt(tb));
      else if (dataTypes && this.eatColon()) {
        data = dataTypes[0] === 'verdict' ? this.value(tb, 'verdict') : this.valueConcat(tb, dataTypes);
      } else break;
    }
    return {
      key,
      ...(data ? { data } : {}),
      ...(timeout !== undefined ? { timeout } : {}),
      ...(expires !== undefined ? { expires } : {}),
      ...(comment !== undefined ? { comment } : {}),
      ...(stmts.length ? { stmts } : {}),
      pos: key.pos!,
    };
  }
}

/**
 * Name lookups of a table's chains and sets in O(1): an index rebuilt only when the list changed
 * (length or last name), so that kube-proxy's tens of thousands of chains load in linear time.
 */
type NameIndex<T> = { n: number; last: string | undefined; map: Map<string, T> };
const chainIndex = new WeakMap<NftTable, NameIndex<NftChain>>();
const setIndex = new WeakMap<NftTable, NameIndex<NftSet>>();

function named<T extends { readonly name: string }>(
  list: readonly T[],
  indexes: WeakMap<NftTable, NameIndex<T>>,
  tb: NftTable,
  name: string,
): T | undefined {
  let ix = indexes.get(tb);
  const last = list[list.length - 1]?.name;
  if (ix && list.length > ix.n && (ix.n === 0 || list[ix.n - 1]?.name === ix.last)) {
    for (let k = ix.n; k < list.length; k++) ix.map.set(list[k]!.name, list[k]!);
    ix.n = list.length;
    ix.last = last;
  }
  if (!ix || ix.n !== list.length || ix.last !== last) {
    ix = { n: list.length, last, map: new Map(list.map((c) => [c.name, c])) };
    indexes.set(tb, ix);
  }
  return ix.map.get(name);
}

/** scanner.l's `ip6addr` (v680 … v60, the forms with an IPv4 tail included), whole words only. */
const IP6_SCAN = (() => {
  const h = '[0-9a-fA-F]{1,4}';
  const ip4 = '(?:[0-9]{1,3}\\.){3}[0-9]{1,3}';
  const alts = [`(?:${h}:){7}${h}`, '::', `::[fF]{4}:${ip4}`, `::${ip4}`];
  // vN M: M groups before `::` and up to N-1-M after it (v67 … v61), as nft lists them.
  for (let n = 7; n >= 1; n--)
    for (let m = 0; m <= n; m++) {
      const before = m === 0 ? ':' : `(?:${h}:){${m}}`;
      const after = n - m === 0 ? ':' : `(?::${h}){${n - m}}`;
      alts.push(before + after);
    }
  return new RegExp(`^(?:${alts.join('|')})$`);
})();

/**
 * Keywords that begin a statement and are no right-hand side (`x accept`, `tcp dport counter`:
 * bison's "unexpected accept"; nft 1.0.6's `nft -c`).
 */
const NOT_RHS = new Set([
  'accept',
  'drop',
  'continue',
  'return',
  'jump',
  'goto',
  'counter',
  'comment',
  'log',
  'limit',
  'reject',
  'masquerade',
  'notrack',
  'queue',
  'quota',
]);

/** Words after which a set element goes on with its options (set_elem_options, set_elem_stmt). */
const ELEM_OPTIONS = new Set(['timeout', 'expires', 'comment', 'counter', 'limit', 'quota', 'last']);
/** Words that join two values in an element (`.`, `-`, `/` written apart). */
const ELEM_JOINS = new Set(['.', '-', '/', ':']);

/**
 * nft parses a define's value when it reads it (parser_bison.y define: initializer_expr); natbox
 * keeps its words for where it is used, and checks here only the shape of a set's elements: two
 * values in a row (`{ 10 .0/24 }`: nft's scanner ends `10` at the `.`) are nft's "expecting comma
 * or '}'" at the second, before any `:` (map data) or element option.
 */
function checkDefineSet(toks: readonly NftTok[], fail: (t: NftTok) => never): void {
  if (toks[0]?.kind !== 'punct' || toks[0].text !== '{') return;
  let depth = 0;
  let prevValue = false;
  let free = false;
  for (const x of toks) {
    const value = x.kind === 'word' || x.kind === 'string' || x.kind === 'var';
    if (x.kind === 'punct' && (x.text === '{' || x.text === '(')) depth++;
    else if (x.kind === 'punct' && (x.text === '}' || x.text === ')')) depth--;
    if (depth !== 1 || (x.kind === 'punct' && x.text === ',')) {
      prevValue = false;
      free = depth === 1 ? false : free;
      continue;
    }
    if (free) continue;
    if (x.kind === 'word' && (ELEM_OPTIONS.has(x.text) || x.text.endsWith(':'))) {
      free = true;
      continue;
    }
    if (value && !(x.kind === 'word' && ELEM_JOINS.has(x.text))) {
      if (prevValue) fail(x);
      prevValue = true;
    } else prevValue = false;
  }
}

/**
 * A verdict map element's `jump`/`goto` chain exists once the whole batch is in (the kernel's
 * nft_verdict_init: ENOENT, which nft puts at the element: "Could not process rule: No such file
 * or directory"). Checked at the end, as the kernel checks at commit: a chain declared further on
 * in the same file is there.
 */
function checkMapVerdicts(rs: NftRuleset): void {
  for (const tb of rs.tables)
    for (const set of tb.sets)
      for (const e of set.elements) {
        const d = e.data;
        if (d?.kind !== 'verdict' || d.chain === undefined || chainNamed(tb, d.chain)) continue;
        const at = e.key.pos ?? e.pos ?? d.pos ?? set.pos;
        if (at) throw new NftError(at, d.chain, 'Could not process rule: No such file or directory');
      }
}

const chainNamed = (tb: NftTable, name: string): NftChain | undefined =>
  named(tb.chains, chainIndex, tb, name);
const setNamed = (tb: NftTable, name: string): NftSet | undefined => named(tb.sets, setIndex, tb, name);

/** The ICMP type a field's dependency needs (proto.c icmp_dep: echo, dest-unreach, redirect). */
const ICMP_NEEDS: Readonly<Record<string, number>> = {
  'icmp id': 8,
  'icmp sequence': 8,
  'icmp mtu': 3,
  'icmp gateway': 5,
  'icmpv6 id': 128,
  'icmpv6 sequence': 128,
  'icmpv6 mtu': 2,
};

const BRIDGE_META: ReadonlySet<string> = new Set([
  'ibrname',
  'obrname',
  'ibriport',
  'obriport',
  'ibrpvid',
  'ibrvproto',
]);

/** Types nft never takes one for another (datatype_equal); the check below holds to these. */
const STRICT_TYPES: ReadonlySet<string> = new Set(['ipv4_addr', 'ipv6_addr', 'inet_service', 'ether_addr']);

/**
 * A named set or map of another key type than the expression looked up in it (evaluate.c
 * expr_evaluate_relational / expr_evaluate_map: "datatype mismatch, expected IPv4 address,
 * expression has type IPv6 address", at the reference; a verdict map's "map expects …, mapping
 * expression has type …"). Checked where both sides are addresses or services, the types nft
 * never converts; a concatenation against one type, or one against a concatenation, likewise.
 */
function setRefTypes(
  tb: NftTable,
  left: NftExpr,
  ref: Extract<NftExpr, { kind: 'setref' }>,
  vmap: boolean,
): void {
  const set = setNamed(tb, ref.name);
  if (!set) return;
  const want = left.kind === 'concat' ? left.items.map(exprType) : [exprType(left)];
  const have = set.key.types;
  if (want.some((t) => t === undefined || !STRICT_TYPES.has(t)) || have.some((t) => !STRICT_TYPES.has(t)))
    return;
  if (want.length === have.length && want.every((t, k) => t === have[k])) return;
  const describe = (ts: readonly (string | undefined)[]): string =>
    ts.length === 1
      ? describeType(ts[0]!)
      : `concatenation of (${ts.map((t) => describeType(t!)).join(', ')})`;
  const message = vmap
    ? `datatype mismatch, map expects ${describe(have)}, mapping expression has type ${describe(want)}`
    : `datatype mismatch, expected ${describe(want)}, expression has type ${describe(have)}`;
  throw new NftError(ref.pos ?? left.pos!, `@${ref.name}`, message);
}

function describeType(t: string): string {
  switch (t) {
    case 'ipv4_addr':
      return 'IPv4 address';
    case 'ipv6_addr':
      return 'IPv6 address';
    case 'inet_service':
      return 'internet network service';
    case 'ether_addr':
      return 'Ethernet address';
    case 'ct_state':
      return 'conntrack state';
    case 'ct_status':
      return 'conntrack status';
    case 'tcp_flag':
      return 'TCP flag';
    case 'boolean':
      return 'boolean type';
    case 'ct_event':
      return 'conntrack event bits';
    case 'icmp_type':
      return 'ICMP type';
    case 'inet_proto':
      return 'Internet protocol';
    case 'day':
      return 'Day of week of packet reception';
    default:
      return t;
  }
}

/**
 * An IPv4 address in inet_aton's forms, as getaddrinfo reads it for nft (datatype.c
 * ipaddr_type_parse): `1` is 0.0.0.1, `0xffff0000` 255.255.0.0, `10.1` 10.0.0.1; each part decimal,
 * octal (leading 0) or hex (0x); the last part fills the bits the others leave.
 */
function inetAton(w: string): number | undefined {
  const parts = w.split('.');
  if (parts.length > 4) return undefined;
  const nums: number[] = [];
  for (const p of parts) {
    const m = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)$/.exec(p);
    if (!m) return undefined;
    nums.push(
      p.startsWith('0x') || p.startsWith('0X')
        ? parseInt(p.slice(2), 16)
        : p.startsWith('0')
          ? parseInt(p, 8) || 0
          : Number(p),
    );
  }
  const lastBits = 32 - 8 * (nums.length - 1);
  let v = 0;
  for (let k = 0; k < nums.length - 1; k++) {
    if (nums[k]! > 255) return undefined;
    v = v * 256 + nums[k]!;
  }
  const last = nums[nums.length - 1]!;
  if (last >= 2 ** lastBits) return undefined;
  return v * 2 ** lastBits + last;
}

function unitMul(u: string): number {
  return u.startsWith('k') ? 1024 : u.startsWith('m') ? 1024 * 1024 : u.startsWith('g') ? 1024 ** 3 : 1;
}

/**
 * What nft says of a value that does not fit its expression (datatype.c / evaluate.c
 * expr_evaluate_value: "Value N exceeds valid range 0-M"; the empty string: "Empty string is not
 * allowed"; a ct helper's name: "String exceeds maximum length of 16"), or undefined when it fits.
 */
function valueOutOfRange(left: NftExpr, right: NftExpr): string | undefined {
  if (right.kind !== 'value') return undefined;
  if (typeof right.value === 'string') {
    const t = exprType(left);
    if (right.value === '' && (t === 'ifname' || t === 'string')) return 'Empty string is not allowed';
    if (left.kind === 'ct' && left.key === 'helper' && right.value.length > 16)
      return 'String exceeds maximum length of 16';
    // ct.c ct_label_type_parse: a label is a bit of 128 (written as a number, held as text).
    if (left.kind === 'ct' && left.key === 'label' && /^\d+$/.test(right.value) && Number(right.value) >= 128)
      return `${right.value}: bit ${right.value} out of range (128 max)`;
    // osf.c: a name or version of at most 16 bytes (NFT_OSF_MAXGENRELEN).
    if (left.kind === 'misc' && /^osf( ttl \S+)? (name|version)$/.test(left.words) && right.value.length > 16)
      return 'String exceeds maximum length of 16';
    return undefined;
  }
  // datatype.c inet_protocol_type_parse.
  if (
    right.value > 255 &&
    ((left.kind === 'payload' &&
      ((left.proto === 'ip' && left.field === 'protocol') ||
        (left.proto === 'ip6' && left.field === 'nexthdr'))) ||
      (left.kind === 'meta' && left.key === 'l4proto'))
  )
    return 'Protocol out of range';
  if (left.kind === 'meta' && left.key === 'day')
    return right.value > 6 ? `Value ${right.value} exceeds valid range 0-6` : undefined;
  const bits = valueBits(left);
  if (bits === undefined || right.value < 2 ** bits) return undefined;
  return `Value ${right.value} exceeds valid range 0-${2 ** bits - 1}`;
}

/**
 * valueOutOfRange for each value of a right-hand side: a value, both ends of a range, each part of
 * a concatenation (against its part of the key) and each element of an anonymous set, as nft
 * evaluates each of them against the key's type (`vlan id { 1, 4096 }`: "Value 4096 exceeds valid
 * range 0-4095" at 4096); the first that does not fit, with its position.
 */
function outOfRangeIn(left: NftExpr, right: NftExpr): { message: string; pos?: Pos } | undefined {
  switch (right.kind) {
    case 'value': {
      const message = valueOutOfRange(left, right);
      return message === undefined ? undefined : { message, ...(right.pos ? { pos: right.pos } : {}) };
    }
    case 'range':
      return outOfRangeIn(left, right.low) ?? outOfRangeIn(left, right.high);
    case 'concat':
      if (left.kind !== 'concat') return undefined;
      for (let k = 0; k < right.items.length && k < left.items.length; k++) {
        const bad = outOfRangeIn(left.items[k]!, right.items[k]!);
        if (bad) return bad;
      }
      return undefined;
    case 'set':
      for (const el of right.elements) {
        const bad = outOfRangeIn(left, el.key);
        if (bad) return bad;
      }
      return undefined;
    default:
      return undefined;
  }
}

/** The constant operators of a value, loosest first (`|`, `^`, `&`, shifts) and their words. */
const VALUE_OPS: ReadonlyArray<ReadonlyMap<string, '|' | '^' | '&' | '<<' | '>>'>> = [
  new Map([
    ['|', '|'],
    ['or', '|'],
  ]),
  new Map([
    ['^', '^'],
    ['xor', '^'],
  ]),
  new Map([
    ['&', '&'],
    ['and', '&'],
  ]),
  new Map([
    ['<<', '<<'],
    ['lshift', '<<'],
    ['>>', '>>'],
    ['rshift', '>>'],
  ]),
];

/** `a OP b` of two values: folded when both are numbers (32-bit, as nft's marks and flags). */
function foldValues(op: '|' | '^' | '&' | '<<' | '>>', a: NftExpr, b: NftExpr): NftExpr {
  if (
    a.kind === 'value' &&
    b.kind === 'value' &&
    typeof a.value === 'number' &&
    typeof b.value === 'number'
  ) {
    const x = a.value;
    const y = b.value;
    const v = op === '|' ? x | y : op === '^' ? x ^ y : op === '&' ? x & y : op === '<<' ? x << y : x >>> y;
    return { ...a, value: v >>> 0 };
  }
  return { kind: 'binop', op, left: a, right: b, ...(a.pos ? { pos: a.pos } : {}) };
}

function orValues(a: NftExpr, b: NftExpr): NftExpr {
  if (a.kind === 'value' && b.kind === 'value' && typeof a.value === 'number' && typeof b.value === 'number')
    return { ...a, value: (a.value | b.value) >>> 0 };
  return { kind: 'binop', op: '|', left: a, right: b, ...(a.pos ? { pos: a.pos } : {}) };
}

function typesOf(e: NftExpr): NftDatatype[] {
  if (e.kind === 'concat') return e.items.map((x) => exprType(x) ?? 'integer');
  return [exprType(e) ?? 'integer'];
}

const pick = (p: Pos): Pos => ({ file: p.file, line: p.line, column: p.column });

/** A table with nothing in it yet, read at `at`. */
const newTable = (family: NftTable['family'], name: string, handle: number, at: Pos): NftTable => ({
  family,
  name,
  handle,
  chains: [],
  sets: [],
  flowtables: [],
  objects: [],
  pos: pick(at),
});

/** Tokens made by joining a `$var` with the words it touches (their text is not what was written). */
const joined = new WeakSet<NftTok>();
const touches = (a: NftTok, b: NftTok): boolean =>
  !joined.has(a) &&
  !joined.has(b) &&
  a.file === b.file &&
  a.line === b.line &&
  a.column + a.text.length + (a.kind === 'var' ? 1 : 0) === b.column;
/**
 * nft's scanner ends a `$name` where the name ends (`$var:80` is a variable, ':' and 80) and its
 * parser joins the parts (`dnat to $var:80`, `$var:$port`, `$net/24`, `$lo-$hi`). natbox reads
 * `10.0.0.1:80` as one word, so a run of touching words and `$vars` whose definitions are one word
 * each becomes the one word it would be written as: the new token list, or undefined when the run
 * starting at `j` has no variable to join (or one defined as more than one word, or not at all).
 */
function glueVars(toks: NftTok[], j: number, defines: ReadonlyMap<string, NftTok[]>): NftTok[] | undefined {
  const first = toks[j];
  const next = toks[j + 1];
  if (!first || !next || !(first.kind === 'var' || next.kind === 'var') || !touches(first, next))
    return undefined;
  let text = '';
  let m = j;
  for (; m < toks.length; m++) {
    const t = toks[m]!;
    if (m > j && !touches(toks[m - 1]!, t)) break;
    if (t.kind === 'word') text += t.text;
    else if (t.kind === 'var') {
      const def = defines.get(t.text);
      if (def?.length !== 1 || def[0]!.kind !== 'word') return undefined;
      text += def[0]!.text;
    } else break;
  }
  if (m - j < 2) return undefined;
  const word: NftTok = { kind: 'word', text, ...pick(first) };
  joined.add(word);
  return [...toks.slice(0, j), word, ...toks.slice(m)];
}

export function stripPos<T>(x: T): T {
  return JSON.parse(JSON.stringify(x, (k, v: unknown) => (k === 'pos' ? undefined : v))) as T;
}

const SET_FLAG_ORDER = ['constant', 'dynamic', 'interval', 'timeout'];

/** Sets whose size is the one the kernel gave them when a rule first wrote to them (dynset.ts). */
const KERNEL_SIZED = new WeakSet<NftSet>();

function orderFlags(f: string[]): string[] {
  const order = SET_FLAG_ORDER;
  return [...new Set(f)].sort((a, b) => order.indexOf(a) - order.indexOf(b));
}

/** How many anonymous sets a rule makes (each takes a handle before the rule's). */
/**
 * Whether a statement fixes the rule's network header for what follows (nft's protocol context,
 * PROTO_BASE_NETWORK_HDR): a match on an ip, ip6 or arp header field, or on icmp, icmpv6 or igmp
 * (their `meta nfproto` dependency), `meta nfproto` and `ether type`.
 */
function fixesNetwork(st: NftStmt): boolean {
  let found = false;
  const walk = (x: unknown): void => {
    if (found || !x || typeof x !== 'object') return;
    if (Array.isArray(x)) {
      for (const i of x) walk(i);
      return;
    }
    const o = x as Record<string, unknown>;
    if (
      o['kind'] === 'payload' &&
      ['ip', 'ip6', 'arp', 'icmp', 'icmpv6', 'igmp'].includes(String(o['proto']))
    )
      found = true;
    else if (o['kind'] === 'payload' && o['proto'] === 'ether' && o['field'] === 'type') found = true;
    else if (o['kind'] === 'meta' && o['key'] === 'nfproto') found = true;
    else for (const k in o) if (k !== 'pos') walk(o[k]);
  };
  if (st.kind === 'match') walk([st.left, st.right]);
  return found;
}

export function anonSets(r: NftRule): number {
  let n = 0;
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === 'object') {
      const o = x as { kind?: string };
      if (o.kind === 'set' && 'elements' in o) n++;
      // A meter's set takes a handle before its rule's too (see meter()).
      else if (o.kind === 'other' && (o as { meter?: unknown }).meter) n++;
      const r = o as Record<string, unknown>;
      for (const k in r) if (k !== 'pos') walk(r[k]);
    }
  };
  walk(r.stmts);
  return n;
}

export { exprBits };

/**
 * nft's synproxy object body (parser_bison.y synproxy_config): empty, or `mss N wscale N
 * [timestamp] [sack-perm]` on one line, or `mss N`, `wscale N` and `[timestamp] [sack-perm]` on
 * lines of their own; `items` are the body's lines. Anything else is nft's syntax error. The last
 * config wins (each sets mss, wscale and the flags anew).
 */
function synproxyObjectGrammar(
  items: readonly (readonly NftTok[])[],
  kw: NftTok,
): { mss: number; wscale: number; flags: string[] } | undefined {
  const name = (t: NftTok): string =>
    t.text === 'sack-perm'
      ? 'sack-permitted'
      : ['mss', 'wscale', 'timestamp'].includes(t.text)
        ? t.text
        : tokName(t);
  const bad = (t: NftTok | undefined, expecting?: string): never => {
    const at = t ?? kw;
    throw new NftError(
      at,
      at.text,
      `syntax error, unexpected ${t ? name(t) : "'}'"}${expecting ? `, expecting ${expecting}` : ''}`,
    );
  };
  const num = (t: NftTok | undefined): number => {
    if (!t || t.kind !== 'word' || !/^\d+$/.test(t.text)) return bad(t, 'number');
    return Number(t.text);
  };
  /** `[timestamp] [sack-perm]` from word k of `it` to its end. */
  const flags = (it: readonly NftTok[], k: number): string[] => {
    const out: string[] = [];
    if (it[k]?.text === 'timestamp') out.push(it[k++]!.text);
    if (it[k]?.text === 'sack-perm') out.push(it[k++]!.text);
    if (k < it.length) bad(it[k]);
    return out;
  };
  let last: { mss: number; wscale: number; flags: string[] } | undefined;
  for (let i = 0; i < items.length;) {
    const it = items[i]!;
    if (it[0]!.text !== 'mss') bad(it[0]);
    const mss = num(it[1]);
    if (it.length > 2) {
      if (it[2]!.text !== 'wscale') bad(it[2], 'newline or semicolon or wscale');
      last = { mss, wscale: num(it[3]), flags: flags(it, 4) };
      i++;
      continue;
    }
    const w = items[i + 1];
    if (!w) return bad(undefined, 'newline or semicolon or wscale');
    if (w[0]!.text !== 'wscale') bad(w[0], 'wscale');
    const wscale = num(w[1]);
    if (w.length > 2) bad(w[2], 'newline or semicolon');
    i += 2;
    const f = items[i];
    const fl = f && (f[0]!.text === 'timestamp' || f[0]!.text === 'sack-perm') ? flags(f, 0) : [];
    if (fl.length) i++;
    last = { mss, wscale, flags: fl };
  }
  return last;
}

/**
 * A ct timeout object's `policy = { state : seconds, ... }` from its words (nft 1.0.6's
 * timeout_state: STRING COLON NUM), in the order given.
 */
function ctTimeoutPolicyWords(words: readonly NftTok[], kw: NftTok): [string, number][] {
  const at = words.findIndex((w) => w.text === 'policy');
  if (at < 0) return [];
  const out: [string, number][] = [];
  let i = at + 1;
  const want = (text: string): void => {
    const w = words[i];
    if (!w || w.text !== text) throw new NftError(w ?? kw, w?.text ?? '', `expected '${text}'`);
    i++;
  };
  want('=');
  want('{');
  while (i < words.length && words[i]!.text !== '}') {
    // `established: 120` lexes as one word with its colon, `established : 120` as three.
    const name = words[i++]!;
    let state = name.text;
    let v: NftTok | undefined;
    let text = '';
    if (state.endsWith(':')) state = state.slice(0, -1);
    else if (words[i]?.text.startsWith(':') && words[i]!.text.length > 1) {
      v = words[i]!;
      text = v.text.slice(1);
    } else want(':');
    if (!v) {
      v = words[i];
      text = v?.text ?? '';
    }
    if (!v || !/^\d+$/.test(text))
      throw new NftError(v ?? name, v?.text ?? '', 'expected a number of seconds');
    out.push([state, Number(text)]);
    i++;
    if (words[i]?.text === ',') i++;
  }
  want('}');
  return out;
}
