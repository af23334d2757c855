// The targets after -j / -g: the verdicts and chains, DNAT, SNAT, MASQUERADE, REDIRECT, REJECT,
// LOG, MARK, CONNMARK, CT (--notrack), NOTRACK, NETMAP, TCPMSS, TRACE and NFLOG, read as their
// libxt_*.c files in iptables 1.8.9 read them (MARK and CONNMARK turn every form into
// --set-xmark value/mask as mark_tg_parse does). makeTarget() picks the parser for a -j word.
// Where each may sit (table, hooks) is apply.ts's PLACEMENT; evaluation is netfilter/xtables/target.ts.
import { parseIpv4 } from '../../wire/addr.ts';
import { didYouMean, IPV6_NOT_SIMULATED, looksLikeIpv6 } from '../diagnostics.ts';
import type { Token } from './lex.ts';
import type { NatFlags, NatRange, PortRange, Target } from './model.ts';
import {
  IPPROTO_ICMP,
  IPPROTO_TCP,
  LOG_FLAGS,
  LOG_LEVELS,
  REJECT_WITH,
  UNSUPPORTED_TARGETS,
} from './names.ts';
import {
  fail,
  once,
  opt,
  parseAddress,
  parseUint,
  parseValueMask,
  protoIs,
  unsupportedOpt,
  type TargetParser,
} from './parse-util.ts';

const ONES = 0xffffffff;

/** MARK (revision 2) and CONNMARK's --set-*, --and/--or/--xor-mark forms, as value/mask. */
function xmark(id: string, t: Token): { value: number; mask: number } {
  switch (id) {
    case 'set-xmark':
      return parseValueMask(t, 'mark');
    case 'set-mark': {
      const vm = parseValueMask(t, 'mark');
      return { value: vm.value, mask: (vm.mask | vm.value) >>> 0 };
    }
    case 'and-mark':
      return { value: 0, mask: ~parseUint(t, t.text, ONES, 'mark') >>> 0 };
    case 'or-mark': {
      const v = parseUint(t, t.text, ONES, 'mark');
      return { value: v, mask: v };
    }
    default:
      return { value: parseUint(t, t.text, ONES, 'mark'), mask: 0 };
  }
}

const MARK_OPS = ['set-xmark', 'set-mark', 'and-mark', 'or-mark', 'xor-mark'];

function markTarget(tok: Token): TargetParser {
  let vm: { value: number; mask: number } | undefined;
  return {
    name: 'MARK',
    tok,
    opts: MARK_OPS.map((n) => opt(n, 1, false)),
    option(id, args, _invert, optTok) {
      if (vm)
        fail(optTok, 'MARK takes only one of --set-xmark, --set-mark, --and-mark, --or-mark, --xor-mark');
      vm = xmark(id, args[0]!);
    },
    finish() {
      if (!vm) fail(tok, 'target MARK needs --set-xmark, --set-mark, --and-mark, --or-mark or --xor-mark');
      return { kind: 'MARK', ...vm! };
    },
  };
}

function connmarkTarget(tok: Token): TargetParser {
  let op: 'set' | 'save' | 'restore' | undefined;
  let vm = { value: 0, mask: 0 };
  let nfmask: number | undefined;
  let ctmask: number | undefined;
  let maskTok: Token | undefined;
  const one = (optTok: Token): void => {
    if (op)
      fail(
        optTok,
        'CONNMARK takes only one of --set-xmark, --set-mark, --save-mark, --restore-mark, --and/--or/--xor-mark',
      );
  };
  return {
    name: 'CONNMARK',
    tok,
    opts: [
      ...MARK_OPS.map((n) => opt(n, 1, false)),
      opt('save-mark', 0, false),
      opt('restore-mark', 0, false),
      opt('nfmask', 1, false),
      opt('ctmask', 1, false),
      opt('mask', 1, false),
    ],
    option(id, args, _invert, optTok) {
      const t = args[0]!;
      if (MARK_OPS.includes(id)) {
        one(optTok);
        op = 'set';
        vm = xmark(id, t);
      } else if (id === 'save-mark' || id === 'restore-mark') {
        one(optTok);
        op = id === 'save-mark' ? 'save' : 'restore';
      } else {
        maskTok = optTok;
        const m = parseUint(t, t.text, ONES, 'mask');
        if (id !== 'ctmask') nfmask = m;
        if (id !== 'nfmask') ctmask = m;
      }
    },
    finish() {
      if (!op) fail(tok, 'target CONNMARK needs --set-xmark, --set-mark, --save-mark or --restore-mark');
      if (op === 'set' && maskTok)
        fail(maskTok, '--nfmask, --ctmask and --mask go with --save-mark or --restore-mark');
      return { kind: 'CONNMARK', op: op!, ...vm, nfmask: nfmask ?? ONES, ctmask: ctmask ?? ONES };
    },
  };
}

function ctTarget(tok: Token): TargetParser {
  let notrack = false;
  return {
    name: 'CT',
    tok,
    opts: [
      opt('notrack', 0, false),
      ...['helper', 'ctevents', 'expevents', 'zone', 'zone-orig', 'zone-reply', 'timeout'].map((n) =>
        unsupportedOpt(n, 1),
      ),
    ],
    option() {
      notrack = true;
    },
    finish() {
      if (!notrack) fail(tok, 'target CT needs --notrack (natbox supports no other CT option)');
      return { kind: 'CT' };
    },
  };
}

const simple =
  (kind: 'NOTRACK' | 'TRACE') =>
  (tok: Token): TargetParser => ({ name: kind, tok, opts: [], option() {}, finish: () => ({ kind }) });

function netmapTarget(tok: Token): TargetParser {
  let to: Target | undefined;
  return {
    name: 'NETMAP',
    tok,
    opts: [opt('to', 1, false)],
    option(_id, args, _invert, optTok) {
      if (to) fail(optTok, 'NETMAP: "--to" can be given only once');
      const t = args[0]!;
      to = { kind: 'NETMAP', to: parseAddress(t, t.text, '--to') };
    },
    finish() {
      if (!to) fail(tok, 'target NETMAP needs "--to address/mask"');
      return to!;
    },
  };
}

function tcpmssTarget(tok: Token): TargetParser {
  let mss: number | 'clamp' | undefined;
  return {
    name: 'TCPMSS',
    tok,
    opts: [opt('set-mss', 1, false), opt('clamp-mss-to-pmtu', 0, false)],
    option(id, args, _invert, optTok) {
      if (mss !== undefined) fail(optTok, 'TCPMSS takes only one of --set-mss, --clamp-mss-to-pmtu');
      mss = id === 'set-mss' ? parseUint(args[0]!, args[0]!.text, 65535 - 40, 'MSS') : 'clamp';
    },
    finish(ctx) {
      if (mss === undefined) fail(tok, 'target TCPMSS needs --set-mss or --clamp-mss-to-pmtu');
      if (!protoIs(ctx, IPPROTO_TCP)) fail(tok, 'target TCPMSS needs "-p tcp"');
      return { kind: 'TCPMSS', mss: mss! };
    },
  };
}

function nflogTarget(tok: Token): TargetParser {
  let group = 0;
  let prefix = '';
  let size: number | undefined;
  let threshold = 1;
  return {
    name: 'NFLOG',
    tok,
    opts: [
      opt('nflog-group', 1, false),
      opt('nflog-prefix', 1, false),
      opt('nflog-range', 1, false),
      opt('nflog-size', 1, false),
      opt('nflog-threshold', 1, false),
    ],
    option(id, args) {
      const t = args[0]!;
      if (id === 'nflog-group') group = parseUint(t, t.text, 65535, 'NFLOG group');
      else if (id === 'nflog-prefix') {
        if (new TextEncoder().encode(t.text).length > 63) fail(t, 'NFLOG prefix is longer than 63 bytes');
        prefix = t.text;
      } else if (id === 'nflog-size') size = parseUint(t, t.text, ONES, 'NFLOG size');
      else if (id === 'nflog-threshold') threshold = parseUint(t, t.text, 65535, 'NFLOG threshold');
      else parseUint(t, t.text, ONES, 'NFLOG range'); // --nflog-range: accepted and ignored, as iptables does
    },
    finish: () => ({ kind: 'NFLOG', group, prefix, ...(size !== undefined ? { size } : {}), threshold }),
  };
}

export const EXTRA_TARGETS: Readonly<Record<string, (tok: Token) => TargetParser>> = {
  MARK: markTarget,
  CONNMARK: connmarkTarget,
  CT: ctTarget,
  NOTRACK: simple('NOTRACK'),
  TRACE: simple('TRACE'),
  NETMAP: netmapTarget,
  TCPMSS: tcpmssTarget,
  NFLOG: nflogTarget,
};

/** A NAT range: [a.b.c.d[-e.f.g.h]][:port[-port]] (parse_to() in libxt_NAT.c). */
function parseNatRange(tok: Token, opt: string): NatRange {
  const t = tok.text;
  const colon = t.indexOf(':');
  const addrText = colon < 0 ? t : t.slice(0, colon);
  let minAddr = 0;
  let maxAddr = 0;
  let minPort = 0;
  let maxPort = 0;
  let basePort: number | undefined;
  const hasAddr = addrText !== '';
  if (hasAddr) {
    const [a, b, ...rest] = addrText.split('-');
    const x = parseIpv4(a!);
    const y = b === undefined ? x : parseIpv4(b);
    if (looksLikeIpv6(t)) fail(tok, `"${t}" in ${opt} is an IPv6 address; ${IPV6_NOT_SIMULATED}`);
    if (!x.ok || !y.ok || rest.length)
      fail(tok, `bad IP address "${addrText}" in ${opt} (expected a.b.c.d or a.b.c.d-e.f.g.h)`);
    minAddr = (x as { value: number }).value;
    maxAddr = (y as { value: number }).value;
  }
  const hasPorts = colon >= 0;
  if (hasPorts) {
    const p = t.slice(colon + 1);
    const m = /^(\d+)(?:-(\d+))?(?:\/(\d+))?$/.exec(p);
    if (!m) fail(tok, `bad port "${p}" in ${opt} (expected port, port-port or port-port/base)`);
    minPort = Number(m![1]);
    maxPort = m![2] === undefined ? minPort : Number(m![2]);
    if (minPort > 65535 || maxPort > 65535) fail(tok, `bad port "${p}" in ${opt} (ports are 0-65535)`);
    if (maxPort < minPort) fail(tok, `bad port range "${p}" in ${opt} (min > max)`);
    if (m![3] !== undefined) {
      if (m![2] === undefined)
        fail(tok, `a base port ("/${m![3]}") needs a port range in ${opt} (min-max/base)`);
      basePort = Number(m![3]);
      if (basePort < 1 || basePort > 65535) fail(tok, `bad base port "${m![3]}" in ${opt} (1-65535)`);
    }
  }
  if (!hasAddr && !hasPorts) fail(tok, `empty range for ${opt} (expected an address, a port or both)`);
  const r = { minAddr, maxAddr, minPort, maxPort, hasAddr, hasPorts };
  return basePort === undefined ? r : { ...r, basePort };
}

/** --to-ports of MASQUERADE/REDIRECT: port[-port]. */
function parseToPorts(tok: Token): PortRange {
  const t = tok.text;
  if (/^\d+:\d+$/.test(t)) fail(tok, `invalid port range "${t}" for --to-ports (use a dash: min-max)`);
  const m = /^(\d+)(?:-(\d+))?$/.exec(t);
  if (!m) fail(tok, `bad port "${t}" for --to-ports (expected port or port-port)`);
  const min = Number(m![1]);
  const max = m![2] === undefined ? min : Number(m![2]);
  if (min > 65535 || max > 65535) fail(tok, `bad port "${t}" for --to-ports (ports are 0-65535)`);
  if (max < min) fail(tok, `bad port range "${t}" for --to-ports (min > max)`);
  return { min, max };
}

/** Protocols whose ports a NAT range may set (libxt_NAT.c, libxt_MASQUERADE.c). */
const NAT_PORT_PROTOS = new Set([6, 17, 33, 132, 136, IPPROTO_ICMP]);

function natTarget(kind: 'DNAT' | 'SNAT', tok: Token): TargetParser {
  const toOpt = kind === 'DNAT' ? 'to-destination' : 'to-source';
  let range: NatRange | undefined;
  let rangeTok: Token | undefined;
  const flags = { random: false, randomFully: false, persistent: false };
  const opts = [opt(toOpt, 1, false), opt('random', 0, false), opt('persistent', 0, false)];
  if (kind === 'SNAT') opts.push(opt('random-fully', 0, false));
  return {
    name: kind,
    tok,
    opts,
    option(id, args, _invert, optTok) {
      if (id === toOpt) {
        if (range) fail(optTok, `${kind}: "--${toOpt}" can be given only once`);
        rangeTok = args[0]!;
        range = parseNatRange(rangeTok, `--${toOpt}`);
      } else if (id === 'random') flags.random = true;
      else if (id === 'random-fully') flags.randomFully = true;
      else flags.persistent = true;
    },
    finish(ctx) {
      if (!range) fail(tok, `target ${kind} needs "--${toOpt}"`);
      if (
        range!.hasPorts &&
        !(ctx.protocol && !ctx.protocol.invert && NAT_PORT_PROTOS.has(ctx.protocol.value))
      ) {
        fail(rangeTok!, `${kind} with a port needs "-p tcp", "-p udp", "-p sctp", "-p dccp" or "-p icmp"`);
      }
      return { kind, ranges: [range!], flags: { ...flags } as NatFlags };
    },
  };
}

function portsTarget(kind: 'MASQUERADE' | 'REDIRECT', tok: Token): TargetParser {
  let ports: PortRange | undefined;
  let portsTok: Token | undefined;
  const flags = { random: false, randomFully: false, persistent: false };
  const opts = [opt('to-ports', 1, false), opt('random', 0, false)];
  if (kind === 'MASQUERADE') opts.push(opt('random-fully', 0, false));
  return {
    name: kind,
    tok,
    opts,
    option(id, args, _invert, optTok) {
      if (id === 'to-ports') {
        if (ports) fail(optTok, `${kind}: "--to-ports" can be given only once`);
        portsTok = args[0]!;
        ports = parseToPorts(portsTok);
      } else if (id === 'random') flags.random = true;
      else flags.randomFully = true;
    },
    finish(ctx) {
      if (ports && !(ctx.protocol && !ctx.protocol.invert && NAT_PORT_PROTOS.has(ctx.protocol.value))) {
        fail(portsTok!, `${kind} --to-ports needs "-p tcp", "-p udp", "-p sctp" or "-p dccp"`);
      }
      return ports ? { kind, ports, flags: { ...flags } } : { kind, flags: { ...flags } };
    },
  };
}

function rejectTarget(tok: Token): TargetParser {
  let withName = 'icmp-port-unreachable';
  let withTok: Token | undefined;
  return {
    name: 'REJECT',
    tok,
    opts: [opt('reject-with', 1, false)],
    option(_id, args) {
      const t = args[0]!;
      const lower = t.text.toLowerCase();
      const e = REJECT_WITH.find(([n, alias]) => n === lower || alias === lower);
      if (!e)
        fail(
          t,
          `unknown --reject-with "${t.text}"${didYouMean(
            t.text,
            REJECT_WITH.map(([n]) => n),
          )}`,
        );
      withName = e![0];
      withTok = t;
    },
    finish(ctx) {
      if (withName === 'tcp-reset' && !protoIs(ctx, IPPROTO_TCP)) {
        fail(withTok!, 'REJECT --reject-with tcp-reset needs "-p tcp"');
      }
      return { kind: 'REJECT', with: withName };
    },
  };
}

function logTarget(tok: Token): TargetParser {
  let prefix: string | undefined;
  let level: number | undefined;
  const flags = new Set<string>();
  return {
    name: 'LOG',
    tok,
    opts: [
      opt('log-prefix', 1, false),
      opt('log-level', 1, false),
      ...LOG_FLAGS.map((f) => opt(f.slice(2), 0, false)),
    ],
    option(id, args, _invert, optTok) {
      const t = args[0];
      if (id === 'log-prefix') {
        once(prefix, optTok, 'log-prefix');
        if (new TextEncoder().encode(t!.text).length > 29) fail(t!, 'log prefix is longer than 29 bytes');
        prefix = t!.text;
      } else if (id === 'log-level') {
        once(level, optTok, 'log-level');
        const n = /^\d$/.test(t!.text) ? Number(t!.text) : LOG_LEVELS[t!.text.toLowerCase()];
        if (n === undefined || n > 7)
          fail(t!, `bad log level "${t!.text}" (expected 0-7 or a syslog level name)`);
        level = n;
      } else flags.add(`--${id}`);
    },
    finish() {
      const args: string[] = [];
      if (prefix) args.push('--log-prefix', prefix);
      if (level !== undefined && level !== 4) args.push('--log-level', String(level));
      for (const f of LOG_FLAGS) if (flags.has(f)) args.push(f);
      return { kind: 'LOG', args };
    },
  };
}

function simpleTarget(kind: 'ACCEPT' | 'DROP' | 'RETURN', tok: Token): TargetParser {
  return {
    name: kind,
    tok,
    opts: [],
    option() {},
    finish(ctx) {
      if (kind === 'DROP' && ctx.table === 'nat') {
        fail(tok, 'the "nat" table is not intended for filtering: DROP is refused there (as iptables does)');
      }
      return { kind };
    },
  };
}

function chainTarget(kind: 'jump' | 'goto', tok: Token): TargetParser {
  return { name: tok.text, tok, opts: [], option() {}, finish: () => ({ kind, chain: tok.text }) };
}

export function makeTarget(tok: Token, isGoto: boolean): TargetParser {
  const name = tok.text;
  if (name === '') fail(tok, 'empty target name');
  if (isGoto) {
    if (['ACCEPT', 'DROP', 'RETURN'].includes(name) || Object.hasOwn(TARGETS, name)) {
      fail(tok, `-g needs a user chain, not the target "${name}"`);
    }
    return chainTarget('goto', tok);
  }
  if (name === 'ACCEPT' || name === 'DROP' || name === 'RETURN') return simpleTarget(name, tok);
  const t = Object.hasOwn(TARGETS, name) ? TARGETS[name] : undefined;
  if (t) return t(tok);
  if (UNSUPPORTED_TARGETS.has(name)) fail(tok, `unsupported target "${name}" (natbox does not evaluate it)`);
  return chainTarget('jump', tok);
}

export const TARGETS: Readonly<Record<string, (tok: Token) => TargetParser>> = {
  DNAT: (t) => natTarget('DNAT', t),
  SNAT: (t) => natTarget('SNAT', t),
  MASQUERADE: (t) => portsTarget('MASQUERADE', t),
  REDIRECT: (t) => portsTarget('REDIRECT', t),
  REJECT: rejectTarget,
  LOG: logTarget,
  ...EXTRA_TARGETS,
};
