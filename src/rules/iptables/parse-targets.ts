// The extension targets beyond NAT, REJECT and LOG: MARK, CONNMARK, CT (--notrack), NOTRACK,
// NETMAP, TCPMSS, TRACE and NFLOG, read as their libxt_*.c files in iptables 1.8.9 read them
// (MARK and CONNMARK turn every form into --set-xmark value/mask as mark_tg_parse does).
// Where each may sit (table, hooks) is apply.ts's PLACEMENT; evaluation is netfilter/xtables/target.ts.
import type { Token } from './lex.ts';
import type { Target } from './model.ts';
import { IPPROTO_TCP } from './names.ts';
import {
  fail,
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
