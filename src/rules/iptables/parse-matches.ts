// The extension match modules beyond the protocol matches: addrtype, iprange, mark, connmark,
// mac, length, ttl, pkttype, tos, dscp, limit, statistic, physdev, owner and set. Each parser
// takes its options as the libxt_*.c file of iptables 1.8.9 does (same defaults, same checks,
// same refusals) and yields the model's Match; printing is print-save.ts's, evaluation
// netfilter/xtables/match.ts's. The protocol matches and conntrack live in parse-command.ts.
import { parseIpv4 } from '../../wire/addr.ts';
import { IPV6_NOT_SIMULATED, looksLikeIpv6 } from '../diagnostics.ts';
import type { Token } from './lex.ts';
import type { AddrRange, IfaceMatch, Inv, PktTypeName, PortRange, ValueMask } from './model.ts';
import { ADDRTYPE_NAMES, DSCP_CLASSES, PKT_TYPES, TOS_NAMES } from './names.ts';
import { fail, once, opt, parseIface, type FinishCtx, type ModuleParser } from './parse-util.ts';

/** strtoul(text, 0) within 0..max: decimal, 0x hex or 0 octal, as xtables_strtoui does. */
export function parseUint(tok: Token, text: string, max: number, what: string): number {
  let n: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) n = parseInt(text.slice(2), 16);
  else if (/^0[0-7]+$/.test(text)) n = parseInt(text.slice(1), 8);
  else if (/^\d+$/.test(text)) n = Number(text);
  else return fail(tok, `bad ${what} "${text}" (expected a number 0-${max})`);
  if (n > max) fail(tok, `${what} "${text}" is out of range (0-${max})`);
  return n;
}

/** `value[/mask]` as xtables_parse_mark_mask reads it (mask defaults to all ones). */
export function parseValueMask(
  tok: Token,
  what: string,
  defaultMask = 0xffffffff,
  max = 0xffffffff,
): ValueMask {
  const [v, m, extra] = tok.text.split('/');
  if (extra !== undefined) fail(tok, `bad ${what} "${tok.text}" (expected value or value/mask)`);
  const value = parseUint(tok, v!, max, what);
  const mask = m === undefined ? defaultMask : parseUint(tok, m, max, `${what} mask`);
  return { value, mask };
}

const ALL_HOOKS = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'];
function onlyInHooks(ctx: FinishCtx, tok: Token, what: string, hooks: readonly string[]): void {
  if (ALL_HOOKS.includes(ctx.chain) && !hooks.includes(ctx.chain)) {
    fail(
      tok,
      `${what} is not allowed in chain ${ctx.chain} (the kernel allows it only in ${hooks.join(', ')})`,
    );
  }
}

function addrtypeModule(tok: Token): ModuleParser {
  let srcType: Inv<number> | undefined;
  let dstType: Inv<number> | undefined;
  let limitIn: Token | undefined;
  let limitOut: Token | undefined;
  const types = (t: Token): number => {
    let bits = 0;
    for (const part of t.text.split(',')) {
      const k = ADDRTYPE_NAMES.findIndex((n) => n === part.toUpperCase());
      if (k < 0)
        fail(t, `unknown address type "${part}" (expected a comma list of ${ADDRTYPE_NAMES.join(', ')})`);
      bits |= 1 << k;
    }
    return bits;
  };
  return {
    name: 'addrtype',
    tok,
    opts: [
      opt('src-type', 1, true),
      opt('dst-type', 1, true),
      opt('limit-iface-in', 0, false),
      opt('limit-iface-out', 0, false),
    ],
    option(id, args, invert, optTok) {
      if (id === 'src-type') {
        once(srcType, optTok, 'src-type');
        srcType = { value: types(args[0]!), invert };
      } else if (id === 'dst-type') {
        once(dstType, optTok, 'dst-type');
        dstType = { value: types(args[0]!), invert };
      } else if (id === 'limit-iface-in') limitIn = optTok;
      else limitOut = optTok;
    },
    finish(ctx) {
      if (!srcType && !dstType) fail(tok, 'match "addrtype" needs "--src-type" or "--dst-type"');
      if (limitIn && limitOut)
        fail(limitOut, 'addrtype: "--limit-iface-in" and "--limit-iface-out" cannot be used together');
      if (limitIn) onlyInHooks(ctx, limitIn, '"--limit-iface-in"', ['PREROUTING', 'INPUT', 'FORWARD']);
      if (limitOut) onlyInHooks(ctx, limitOut, '"--limit-iface-out"', ['FORWARD', 'OUTPUT', 'POSTROUTING']);
      return {
        module: 'addrtype',
        ...(srcType ? { srcType } : {}),
        ...(dstType ? { dstType } : {}),
        limitIfaceIn: limitIn !== undefined,
        limitIfaceOut: limitOut !== undefined,
      };
    },
  };
}

function parseAddrRange(t: Token, what: string): AddrRange {
  const [a, b, extra] = t.text.split('-');
  const x = parseIpv4(a!);
  const y = b === undefined ? x : parseIpv4(b);
  if (looksLikeIpv6(t.text)) fail(t, `"${t.text}" for ${what} is an IPv6 range; ${IPV6_NOT_SIMULATED}`);
  if (!x.ok || !y.ok || extra !== undefined)
    fail(t, `bad IP range "${t.text}" for ${what} (expected a.b.c.d-e.f.g.h)`);
  const min = (x as { value: number }).value;
  const max = (y as { value: number }).value;
  return { min, max };
}

function iprangeModule(tok: Token): ModuleParser {
  let src: Inv<AddrRange> | undefined;
  let dst: Inv<AddrRange> | undefined;
  return {
    name: 'iprange',
    tok,
    opts: [opt('src-range', 1, true), opt('dst-range', 1, true)],
    option(id, args, invert, optTok) {
      if (id === 'src-range') {
        once(src, optTok, 'src-range');
        src = { value: parseAddrRange(args[0]!, '--src-range'), invert };
      } else {
        once(dst, optTok, 'dst-range');
        dst = { value: parseAddrRange(args[0]!, '--dst-range'), invert };
      }
    },
    finish() {
      if (!src && !dst) fail(tok, 'match "iprange" needs "--src-range" or "--dst-range"');
      return { module: 'iprange', ...(src ? { src } : {}), ...(dst ? { dst } : {}) };
    },
  };
}

function markModule(name: 'mark' | 'connmark', tok: Token): ModuleParser {
  let mark: Inv<ValueMask> | undefined;
  return {
    name,
    tok,
    opts: [opt('mark', 1, true)],
    option(_id, args, invert, optTok) {
      once(mark, optTok, 'mark');
      mark = { value: parseValueMask(args[0]!, 'mark'), invert };
    },
    finish() {
      if (!mark) fail(tok, `match "${name}" needs "--mark"`);
      return { module: name, mark: mark! };
    },
  };
}

function macModule(tok: Token): ModuleParser {
  let mac: Inv<string> | undefined;
  return {
    name: 'mac',
    tok,
    opts: [opt('mac-source', 1, true)],
    option(_id, args, invert, optTok) {
      once(mac, optTok, 'mac-source');
      const t = args[0]!;
      if (!/^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}$/.test(t.text))
        fail(t, `bad MAC address "${t.text}" (expected XX:XX:XX:XX:XX:XX)`);
      const v = t.text
        .split(':')
        .map((x) => x.toLowerCase().padStart(2, '0'))
        .join(':');
      mac = { value: v, invert };
    },
    finish(ctx) {
      if (!mac) fail(tok, 'match "mac" needs "--mac-source"');
      onlyInHooks(ctx, tok, 'match "mac"', ['PREROUTING', 'INPUT', 'FORWARD']);
      return { module: 'mac', mac: mac! };
    },
  };
}

/** `n`, `min:max`, `:max`, `min:` with numbers up to `max` (length, owner ids, ctexpire). */
export function parseNumRange(t: Token, max: number, what: string, sep = ':'): PortRange {
  const k = t.text.indexOf(sep);
  if (k < 0) {
    const n = parseUint(t, t.text, max, what);
    return { min: n, max: n };
  }
  const lo = k === 0 ? 0 : parseUint(t, t.text.slice(0, k), max, what);
  const hi = k === t.text.length - 1 ? max : parseUint(t, t.text.slice(k + 1), max, what);
  if (lo > hi) fail(t, `bad ${what} range "${t.text}" (min > max)`);
  return { min: lo, max: hi };
}

function lengthModule(tok: Token): ModuleParser {
  let length: Inv<PortRange> | undefined;
  return {
    name: 'length',
    tok,
    opts: [opt('length', 1, true)],
    option(_id, args, invert, optTok) {
      once(length, optTok, 'length');
      length = { value: parseNumRange(args[0]!, 65535, 'length'), invert };
    },
    finish() {
      if (!length) fail(tok, 'match "length" needs "--length"');
      return { module: 'length', length: length! };
    },
  };
}

function ttlModule(tok: Token): ModuleParser {
  let op: 'eq' | 'ne' | 'lt' | 'gt' | undefined;
  let ttl = 0;
  return {
    name: 'ttl',
    tok,
    opts: [opt('ttl-eq', 1, true), opt('ttl-lt', 1, false), opt('ttl-gt', 1, false)],
    option(id, args, invert, optTok) {
      if (op) fail(optTok, 'match "ttl" takes only one of --ttl-eq, --ttl-lt, --ttl-gt');
      ttl = parseUint(args[0]!, args[0]!.text, 255, 'TTL');
      op = id === 'ttl-eq' ? (invert ? 'ne' : 'eq') : id === 'ttl-lt' ? 'lt' : 'gt';
    },
    finish() {
      if (!op) fail(tok, 'match "ttl" needs --ttl-eq, --ttl-lt or --ttl-gt');
      return { module: 'ttl', op: op!, ttl };
    },
  };
}

function pkttypeModule(tok: Token): ModuleParser {
  let pktType: Inv<PktTypeName> | undefined;
  return {
    name: 'pkttype',
    tok,
    opts: [opt('pkt-type', 1, true)],
    option(_id, args, invert, optTok) {
      once(pktType, optTok, 'pkt-type');
      const t = args[0]!;
      const e = PKT_TYPES.find(([n]) => n === t.text.toLowerCase());
      if (!e) fail(t, `bad packet type "${t.text}" (expected unicast, broadcast, multicast or otherhost)`);
      pktType = { value: e![1], invert };
    },
    finish() {
      if (!pktType) fail(tok, 'match "pkttype" needs "--pkt-type"');
      return { module: 'pkttype', pktType: pktType! };
    },
  };
}

function tosModule(tok: Token): ModuleParser {
  let tos: Inv<ValueMask> | undefined;
  return {
    name: 'tos',
    tok,
    opts: [opt('tos', 1, true)],
    option(_id, args, invert, optTok) {
      once(tos, optTok, 'tos');
      const t = args[0]!;
      const named = TOS_NAMES.find(([n]) => n.toLowerCase() === t.text.toLowerCase());
      tos = {
        value: named ? { value: named[1], mask: 0x3f } : parseValueMask(t, 'TOS value', 0xff, 0xff),
        invert,
      };
    },
    finish() {
      if (!tos) fail(tok, 'match "tos" needs "--tos"');
      return { module: 'tos', tos: tos! };
    },
  };
}

function dscpModule(tok: Token): ModuleParser {
  let dscp: Inv<number> | undefined;
  return {
    name: 'dscp',
    tok,
    opts: [opt('dscp', 1, true), opt('dscp-class', 1, true)],
    option(id, args, invert, optTok) {
      if (dscp) fail(optTok, 'match "dscp" takes only one of --dscp, --dscp-class');
      const t = args[0]!;
      if (id === 'dscp') dscp = { value: parseUint(t, t.text, 63, 'DSCP value'), invert };
      else {
        const c = DSCP_CLASSES.find(([n]) => n === t.text.toUpperCase());
        if (!c) fail(t, `unknown DSCP class "${t.text}" (expected CS0-CS7, AF11-AF43, EF or BE)`);
        dscp = { value: c![1], invert };
      }
    },
    finish() {
      if (!dscp) fail(tok, 'match "dscp" needs "--dscp" or "--dscp-class"');
      return { module: 'dscp', dscp: dscp! };
    },
  };
}

/** XT_LIMIT_SCALE: limit's periods are in 1/10000 s. */
export const XT_LIMIT_SCALE = 10000;

/** parse_rate() of libxt_limit.c: `N[/second|minute|hour|day]` (any prefix of the unit). */
function parseRate(t: Token): number {
  const m = /^(\d*)[^/]*(?:\/(.*))?$/.exec(t.text);
  const unit = m?.[2];
  let mult = 1;
  if (unit !== undefined) {
    const u = unit.toLowerCase();
    const units: [string, number][] = [
      ['second', 1],
      ['minute', 60],
      ['hour', 3600],
      ['day', 86400],
    ];
    const hit = u === '' ? undefined : units.find(([n]) => n.startsWith(u));
    if (!hit) fail(t, `bad rate "${t.text}" (expected N/second, N/minute, N/hour or N/day)`);
    mult = hit![1];
  }
  const r = Number(m?.[1] || 0);
  if (!r) fail(t, `bad rate "${t.text}" (expected N/second, N/minute, N/hour or N/day)`);
  const v = Math.floor((XT_LIMIT_SCALE * mult) / r);
  if (v === 0) fail(t, `rate too fast "${t.text}" (at most 10000/second)`);
  return v;
}

function limitModule(tok: Token): ModuleParser {
  let avg: number | undefined;
  let burst: number | undefined;
  return {
    name: 'limit',
    tok,
    opts: [opt('limit', 1, false), opt('limit-burst', 1, false)],
    option(id, args, _invert, optTok) {
      if (id === 'limit') {
        once(avg, optTok, 'limit');
        avg = parseRate(args[0]!);
      } else {
        once(burst, optTok, 'limit-burst');
        burst = parseUint(args[0]!, args[0]!.text, 10000, 'burst');
      }
    },
    finish() {
      // The defaults: 3/hour, burst 5 (XT_LIMIT_AVG, XT_LIMIT_BURST).
      return { module: 'limit', avg: avg ?? (XT_LIMIT_SCALE * 3600) / 3, burst: burst ?? 5 };
    },
  };
}

function statisticModule(tok: Token): ModuleParser {
  let mode: 'random' | 'nth' | undefined;
  let probability: number | undefined;
  let every: number | undefined;
  let packet: number | undefined;
  let invert = false;
  let everyTok: Token | undefined;
  let packetTok: Token | undefined;
  let probTok: Token | undefined;
  return {
    name: 'statistic',
    tok,
    opts: [
      opt('mode', 1, false),
      opt('probability', 1, true),
      opt('every', 1, true),
      opt('packet', 1, false),
    ],
    option(id, args, inv, optTok) {
      const t = args[0]!;
      switch (id) {
        case 'mode':
          once(mode, optTok, 'mode');
          if (t.text !== 'random' && t.text !== 'nth')
            fail(t, `bad mode "${t.text}" (expected random or nth)`);
          mode = t.text as 'random' | 'nth';
          break;
        case 'probability': {
          once(probability, optTok, 'probability');
          const p = Number(t.text);
          if (!/^\s*[0-9.eE+-]+$/.test(t.text) || !Number.isFinite(p) || p < 0 || p > 1)
            fail(t, `bad probability "${t.text}" (expected a number from 0 to 1)`);
          probability = Math.round(0x80000000 * p); // lround(): p >= 0, so halves go up as here
          probTok = optTok;
          if (inv) invert = true;
          break;
        }
        case 'every': {
          once(every, optTok, 'every');
          const n = parseUint(t, t.text, 0xffffffff, '--every value');
          if (n === 0) fail(t, '--every must be at least 1');
          every = n;
          everyTok = optTok;
          if (inv) invert = true;
          break;
        }
        default:
          once(packet, optTok, 'packet');
          packet = parseUint(t, t.text, 0xffffffff, '--packet value');
          packetTok = optTok;
      }
    },
    finish() {
      if (!mode) fail(tok, 'match "statistic" needs "--mode random" or "--mode nth"');
      if (mode === 'random') {
        if (everyTok || packetTok)
          fail((everyTok ?? packetTok)!, '"--every" and "--packet" are for "--mode nth"');
        if (probability === undefined) fail(tok, '"--mode random" needs "--probability"');
        return { module: 'statistic', mode, probability: probability!, every: 0, packet: 0, invert };
      }
      if (probTok) fail(probTok, '"--probability" is for "--mode random"');
      if (every === undefined) fail(packetTok ?? tok, '"--mode nth" needs "--every"');
      if (packet === undefined) fail(everyTok!, 'option "--every" also requires "--packet"');
      if (packet! > every! - 1) fail(packetTok!, `"--packet" must be below "--every" (0-${every! - 1})`);
      return { module: 'statistic', mode: 'nth', probability: 0, every: every!, packet: packet!, invert };
    },
  };
}

function physdevModule(tok: Token): ModuleParser {
  let physIn: Inv<IfaceMatch> | undefined;
  let physOut: Inv<IfaceMatch> | undefined;
  let isIn: Inv<true> | undefined;
  let isOut: Inv<true> | undefined;
  let isBridged: Inv<true> | undefined;
  return {
    name: 'physdev',
    tok,
    opts: [
      opt('physdev-in', 1, true),
      opt('physdev-out', 1, true),
      opt('physdev-is-in', 0, true),
      opt('physdev-is-out', 0, true),
      opt('physdev-is-bridged', 0, true),
    ],
    option(id, args, invert, optTok) {
      switch (id) {
        case 'physdev-in':
          once(physIn, optTok, id);
          physIn = { value: parseIface(args[0]!, '--physdev-in'), invert };
          break;
        case 'physdev-out':
          once(physOut, optTok, id);
          physOut = { value: parseIface(args[0]!, '--physdev-out'), invert };
          break;
        case 'physdev-is-in':
          once(isIn, optTok, id);
          isIn = { value: true, invert };
          break;
        case 'physdev-is-out':
          once(isOut, optTok, id);
          isOut = { value: true, invert };
          break;
        default:
          once(isBridged, optTok, id);
          isBridged = { value: true, invert };
      }
    },
    finish(ctx) {
      if (!physIn && !physOut && !isIn && !isOut && !isBridged)
        fail(tok, 'match "physdev" needs at least one --physdev-* option');
      // physdev_mt_check (xt_physdev.c): the output bridge port is not known yet in OUTPUT.
      if ((physOut || isOut) && (!isBridged || isBridged.invert) && ctx.chain === 'OUTPUT') {
        fail(
          tok,
          '"--physdev-out" and "--physdev-is-out" are only supported in FORWARD and POSTROUTING with bridged traffic (not in OUTPUT)',
        );
      }
      return {
        module: 'physdev',
        ...(physIn ? { physIn } : {}),
        ...(physOut ? { physOut } : {}),
        ...(isIn ? { isIn } : {}),
        ...(isOut ? { isOut } : {}),
        ...(isBridged ? { isBridged } : {}),
      };
    },
  };
}

/** User and group names natbox resolves without a passwd file (Debian's fixed ids; else numbers). */
const OWNER_NAMES: Readonly<Record<string, number>> = { root: 0, nobody: 65534, nogroup: 65534 };

function ownerModule(tok: Token): ModuleParser {
  let uid: Inv<PortRange> | undefined;
  let gid: Inv<PortRange> | undefined;
  let socketExists: Inv<true> | undefined;
  let suppl: Token | undefined;
  const ids = (t: Token, what: string): PortRange => {
    if (Object.hasOwn(OWNER_NAMES, t.text)) return { min: OWNER_NAMES[t.text]!, max: OWNER_NAMES[t.text]! };
    if (!/^[\d-]+$/.test(t.text)) {
      fail(t, `unknown ${what} name "${t.text}" (natbox has no passwd file: give the number, e.g. 1000)`);
    }
    return parseNumRange(t, 0xfffffffe, what, '-');
  };
  return {
    name: 'owner',
    tok,
    opts: [
      opt('uid-owner', 1, true),
      opt('gid-owner', 1, true),
      opt('socket-exists', 0, true),
      opt('suppl-groups', 0, false),
    ],
    option(id, args, invert, optTok) {
      if (id === 'uid-owner') {
        once(uid, optTok, 'uid-owner');
        uid = { value: ids(args[0]!, 'user'), invert };
      } else if (id === 'gid-owner') {
        once(gid, optTok, 'gid-owner');
        gid = { value: ids(args[0]!, 'group'), invert };
      } else if (id === 'socket-exists') {
        once(socketExists, optTok, 'socket-exists');
        socketExists = { value: true, invert };
      } else {
        if (!gid) fail(optTok, 'owner: "--suppl-groups" needs "--gid-owner" before it');
        suppl = optTok;
      }
    },
    finish(ctx) {
      if (!uid && !gid && !socketExists)
        fail(tok, 'match "owner" needs --uid-owner, --gid-owner or --socket-exists');
      onlyInHooks(ctx, tok, 'match "owner"', ['OUTPUT', 'POSTROUTING']);
      return {
        module: 'owner',
        ...(uid ? { uid } : {}),
        ...(gid ? { gid } : {}),
        ...(socketExists ? { socketExists } : {}),
        supplGroups: suppl !== undefined,
      };
    },
  };
}

function setModule(tok: Token): ModuleParser {
  let set: { name: string; dirs: ('src' | 'dst')[]; invert: boolean } | undefined;
  return {
    name: 'set',
    tok,
    opts: [opt('match-set', 2, true), opt('set', 2, true, 'match-set')],
    option(_id, args, invert, optTok) {
      if (set) fail(optTok, 'match "set" takes one "--match-set" (use another "-m set" for a second set)');
      const [nameTok, flagsTok] = args as [Token, Token];
      if (nameTok.text.length > 31) fail(nameTok, `set name "${nameTok.text}" is longer than 31 characters`);
      const dirs = flagsTok.text.split(',');
      if (dirs.length > 6 || dirs.some((d) => d !== 'src' && d !== 'dst')) {
        fail(flagsTok, `bad set flags "${flagsTok.text}" (expected a comma list of src and dst, at most 6)`);
      }
      set = { name: nameTok.text, dirs: dirs as ('src' | 'dst')[], invert };
    },
    finish() {
      if (!set) fail(tok, 'match "set" needs "--match-set NAME src|dst"');
      return { module: 'set', set: set!.name, dirs: set!.dirs, invert: set!.invert };
    },
  };
}

export const EXTRA_MODULES: Readonly<Record<string, (tok: Token) => ModuleParser>> = {
  addrtype: addrtypeModule,
  iprange: iprangeModule,
  mark: (t) => markModule('mark', t),
  connmark: (t) => markModule('connmark', t),
  mac: macModule,
  length: lengthModule,
  ttl: ttlModule,
  pkttype: pkttypeModule,
  tos: tosModule,
  dscp: dscpModule,
  limit: limitModule,
  statistic: statisticModule,
  physdev: physdevModule,
  owner: ownerModule,
  set: setModule,
};
