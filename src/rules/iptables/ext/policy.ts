// -m policy (libxt_policy.c): the IPsec policy a packet was (--dir in) or will be (--dir out)
// handled by: --pol none|ipsec, --strict, and per policy element (--next between elements, only
// with --strict) --reqid, --spi, --proto ah|esp|ipcomp, --mode transport|tunnel,
// --tunnel-src/--tunnel-dst (tunnel mode only), each invertible.
import { formatIpv4, maskLength, type Prefix } from '../../../wire/addr.ts';
import type { Token } from '../lex.ts';
import type { Inv } from '../model.ts';
import { protocolName, protocolNumber } from '../names.ts';
import { fail, onlyInHooks, opt, parseUint, type ModuleParser } from '../parse-util.ts';
import type { MatchExt } from './ext.ts';

export interface PolicyElem {
  readonly reqid?: Inv<number>;
  readonly spi?: Inv<number>;
  /** 50 (esp), 51 (ah) or 108 (ipcomp). */
  readonly proto?: Inv<number>;
  readonly mode?: Inv<'transport' | 'tunnel'>;
  /** The address as given (not masked: xt_policy masks when it compares) and its mask. */
  readonly tunnelSrc?: Inv<Prefix>;
  readonly tunnelDst?: Inv<Prefix>;
}

export interface PolicyMatch {
  readonly module: 'policy';
  readonly dir: 'in' | 'out';
  readonly pol: 'none' | 'ipsec';
  readonly strict: boolean;
  /** The policy elements (none with --pol none: options given then are dropped, as iptables does). */
  readonly elems: readonly PolicyElem[];
}

const XT_POLICY_MAX_ELEM = 4;
/** /etc/protocols' upper-case aliases of the three IPsec protocols. */
const PROTO_ALIASES = new Map([
  ['IPSEC-ESP', 50],
  ['IPSEC-AH', 51],
  ['IPCOMP', 108],
]);

/** inet_aton: `a`, `a.b` (b 24 bits), `a.b.c` (c 16 bits) or `a.b.c.d`, each part in any C base. */
function inetAton(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length > 4) return undefined;
  const nums: number[] = [];
  for (const p of parts) {
    let n: number;
    if (/^0[xX][0-9a-fA-F]+$/.test(p)) n = parseInt(p.slice(2), 16);
    else if (/^0[0-7]*$/.test(p)) n = parseInt(p, 8);
    else if (/^[1-9][0-9]*$/.test(p)) n = Number(p);
    else return undefined;
    nums.push(n);
  }
  const last = nums.length - 1;
  let v = 0;
  for (let i = 0; i < last; i++) {
    if (nums[i]! > 255) return undefined;
    v = v * 256 + nums[i]!;
  }
  const rest = 4 - last; // bytes the last part fills
  if (nums[last]! >= 2 ** (8 * rest)) return undefined;
  return (v * 2 ** (8 * rest) + nums[last]!) >>> 0;
}

/**
 * XTTYPE_HOSTMASK (xtopt_parse_hostmask): the host as getaddrinfo reads it (inet_aton forms), then
 * a prefix length 0-32 or a dotted mask; a mask that is not contiguous leaves all 32 bits (its
 * length is -1, which xtopt_parse_plenmask does not shift).
 */
function hostmask(t: Token, what: string): Prefix {
  const slash = t.text.indexOf('/');
  const hostText = slash < 0 ? t.text : t.text.slice(0, slash);
  const addr = inetAton(hostText);
  if (addr === undefined) return fail(t, `bad address "${hostText}" for ${what}`);
  if (slash < 0) return { addr, mask: 0xffffffff };
  const m = t.text.slice(slash + 1);
  if (/^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.test(m)) {
    const n =
      m.startsWith('0x') || m.startsWith('0X')
        ? parseInt(m.slice(2), 16)
        : /^0/.test(m)
          ? parseInt(m, 8)
          : Number(m);
    if (n <= 32) return { addr, mask: n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0 };
  }
  const dotted = inetAton(m);
  if (dotted === undefined)
    return fail(
      t,
      `bad value for ${what}: "${m}" is neither a valid network mask nor a valid CIDR length (0-32)`,
    );
  return { addr, mask: maskLength(dotted) >= 0 ? dotted : 0xffffffff };
}

function parser(tok: Token): ModuleParser {
  let dir: 'in' | 'out' | undefined;
  let pol: 'none' | 'ipsec' | undefined;
  let strict = false;
  const elems: { -readonly [K in keyof PolicyElem]: PolicyElem[K] }[] = [{}];
  const seen = new Set<string>();
  return {
    name: 'policy',
    tok,
    opts: [
      opt('dir', 1, false),
      opt('pol', 1, false),
      opt('strict', 0, false),
      opt('reqid', 1, true),
      opt('spi', 1, true),
      opt('tunnel-src', 1, true),
      opt('tunnel-dst', 1, true),
      opt('proto', 1, true),
      opt('mode', 1, true),
      opt('next', 0, false),
    ],
    option(id, args, invert, optTok) {
      if ((id === 'dir' || id === 'pol' || id === 'strict') && seen.has(id))
        fail(optTok, `policy: option "--${id}" can only be used once`);
      seen.add(id);
      const e = elems[elems.length - 1]!;
      const a = args[0]!;
      const double = (cur: unknown): void => {
        if (cur !== undefined) fail(optTok, `policy match: double --${id} option`);
      };
      switch (id) {
        case 'dir':
          if (a.text !== 'in' && a.text !== 'out')
            fail(a, `policy match: invalid dir "${a.text}" (expected in or out)`);
          dir = a.text as 'in' | 'out';
          break;
        case 'pol':
          if (a.text !== 'none' && a.text !== 'ipsec')
            fail(a, `policy match: invalid policy "${a.text}" (expected none or ipsec)`);
          pol = a.text as 'none' | 'ipsec';
          break;
        case 'strict':
          strict = true;
          break;
        case 'reqid':
          double(e.reqid);
          e.reqid = { value: parseUint(a, a.text, 0xffffffff, 'reqid'), invert };
          break;
        case 'spi':
          double(e.spi);
          e.spi = { value: parseUint(a, a.text, 0xffffffff, 'spi'), invert };
          break;
        case 'tunnel-src':
          double(e.tunnelSrc);
          e.tunnelSrc = { value: hostmask(a, '--tunnel-src'), invert };
          break;
        case 'tunnel-dst':
          double(e.tunnelDst);
          e.tunnelDst = { value: hostmask(a, '--tunnel-dst'), invert };
          break;
        case 'proto': {
          double(e.proto);
          // xtables_parse_protocol without lowercasing: a number, the chain_protos names, then
          // getprotobyname (case-sensitive: "IPSEC-ESP" is an alias, "ipsec-esp" is not).
          const n = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.test(a.text)
            ? parseUint(a, a.text, 255, 'protocol')
            : a.text === a.text.toLowerCase() || PROTO_ALIASES.has(a.text)
              ? (PROTO_ALIASES.get(a.text) ??
                (a.text.startsWith('ipsec-') ? undefined : protocolNumber(a.text)))
              : undefined;
          if (n === undefined) fail(a, `unknown protocol "${a.text}" specified`);
          if (n !== 50 && n !== 51 && n !== 108) fail(a, 'policy match: protocol must be ah/esp/ipcomp');
          e.proto = { value: n!, invert };
          break;
        }
        case 'mode':
          double(e.mode);
          if (a.text !== 'transport' && a.text !== 'tunnel')
            fail(a, `policy match: invalid mode "${a.text}" (expected transport or tunnel)`);
          e.mode = { value: a.text as 'transport' | 'tunnel', invert };
          break;
        case 'next':
          if (elems.length === XT_POLICY_MAX_ELEM) fail(optTok, 'policy match: maximum policy depth reached');
          elems.push({});
          break;
      }
    },
    finish(ctx) {
      if (!dir) fail(tok, 'policy match: neither --dir in nor --dir out specified');
      if (seen.has('next') && !strict) fail(tok, 'policy: option "--next" also requires "--strict"');
      const none = pol === 'none';
      if (none && strict) fail(tok, 'policy match: policy none but --strict given');
      if (none && elems.length > 1) fail(tok, 'policy match: policy none but policy given');
      const list = none ? [] : elems;
      list.forEach((e, i) => {
        if (strict && !e.reqid && !e.spi && !e.tunnelSrc && !e.tunnelDst && !e.proto && !e.mode)
          fail(
            tok,
            `policy match: empty policy element ${i}. --strict is in effect, but at least one of reqid, spi, tunnel-src, tunnel-dst, proto or mode is required.`,
          );
        if ((e.tunnelSrc || e.tunnelDst) && e.mode && (e.mode.value === 'tunnel') === e.mode.invert)
          fail(tok, 'policy match: --tunnel-src/--tunnel-dst is only valid in tunnel mode');
      });
      // policy_mt_check: an output policy is not valid in PREROUTING/INPUT, an input one in
      // POSTROUTING/OUTPUT.
      if (dir === 'out') onlyInHooks(ctx, tok, 'policy --dir out', ['FORWARD', 'OUTPUT', 'POSTROUTING']);
      else onlyInHooks(ctx, tok, 'policy --dir in', ['PREROUTING', 'INPUT', 'FORWARD']);
      return { module: 'policy', dir: dir!, pol: pol ?? 'ipsec', strict, elems: list };
    },
  };
}

const mask = (m: number): string => {
  const len = maskLength(m);
  return len === 32 ? '' : len >= 0 ? `/${len}` : `/${formatIpv4(m)}`;
};

function entry(p: string, e: PolicyElem, numeric: boolean): string {
  const i = (x: { invert: boolean }): string => (x.invert ? ' !' : '');
  let s = '';
  if (e.reqid) s += `${i(e.reqid)} ${p}reqid ${e.reqid.value}`;
  if (e.spi) s += `${i(e.spi)} ${p}spi 0x${e.spi.value.toString(16)}`;
  if (e.proto) s += `${i(e.proto)} ${p}proto ${numeric ? e.proto.value : protocolName(e.proto.value)}`;
  if (e.mode) s += `${i(e.mode)} ${p}mode ${e.mode.value}`;
  if (e.tunnelDst)
    s += `${i(e.tunnelDst)} ${p}tunnel-dst ${formatIpv4(e.tunnelDst.value.addr)}${mask(e.tunnelDst.value.mask)}`;
  if (e.tunnelSrc)
    s += `${i(e.tunnelSrc)} ${p}tunnel-src ${formatIpv4(e.tunnelSrc.value.addr)}${mask(e.tunnelSrc.value.mask)}`;
  return s;
}

const flags = (p: string, m: PolicyMatch): string =>
  ` ${p}dir ${m.dir} ${p}pol ${m.pol}${m.strict ? ` ${p}strict` : ''}`;

export const policy: MatchExt<PolicyMatch> = {
  name: 'policy',
  parser,
  save: (m) => flags('--', m) + m.elems.map((e) => entry('--', e, false)).join(' --next'),
  print: (m) =>
    ` policy match${flags('', m)}` +
    m.elems.map((e, k) => `${m.elems.length > 1 ? ` [${k}]` : ''}${entry('', e, true)}`).join(''),
};
