// -j MARK (libxt_MARK.c, revision 2) and -j CONNMARK (libxt_CONNMARK.c, revision 1): every form
// (--set-mark, --and/--or/--xor-mark) turned into --set-xmark value/mask as mark_tg_parse does,
// printed back as the operation it is; CONNMARK's --save-mark/--restore-mark with their masks.
import type { Token } from '../lex.ts';
import { fail, opt, parseUint, parseValueMask, type TargetParser } from '../parse-util.ts';
import { hex } from './ext.ts';
import type { TargetExt } from './target-ext.ts';

/** MARK --set-xmark (and every other form): mark = (mark & ~mask) ^ value. */
export interface MarkTarget {
  readonly kind: 'MARK';
  readonly value: number;
  readonly mask: number;
}

export interface ConnmarkTarget {
  readonly kind: 'CONNMARK';
  readonly op: 'set' | 'save' | 'restore';
  /** set: value/mask of --set-xmark; save/restore: --nfmask and --ctmask. */
  readonly value: number;
  readonly mask: number;
  readonly nfmask: number;
  readonly ctmask: number;
}

const ONES = 0xffffffff;

/** MARK's and CONNMARK's --set-*, --and/--or/--xor-mark forms, as value/mask. */
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

function markParser(tok: Token): TargetParser {
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

function connmarkParser(tok: Token): TargetParser {
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

/** mark_tg_print / connmark_tg_print: the xmark pair shown as the operation it is. */
function xmarkPrint(name: string, value: number, mask: number): string {
  if (value === 0) return ` ${name} and ${hex(~mask)}`;
  if (value === mask) return ` ${name} or ${hex(value)}`;
  if (mask === 0) return ` ${name} xor ${hex(value)}`;
  if (mask === 0xffffffff) return ` ${name} set ${hex(value)}`;
  return ` ${name} xset ${hex(value)}/${hex(mask)}`;
}

export const MARK: TargetExt<MarkTarget> = {
  name: 'MARK',
  parser: markParser,
  save: (t) => ` --set-xmark ${hex(t.value)}/${hex(t.mask)}`,
  print: (t) => xmarkPrint('MARK', t.value, t.mask),
};

export const CONNMARK: TargetExt<ConnmarkTarget> = {
  name: 'CONNMARK',
  parser: connmarkParser,
  save: (t) =>
    t.op === 'set'
      ? ` --set-xmark ${hex(t.value)}/${hex(t.mask)}`
      : ` --${t.op}-mark --nfmask ${hex(t.nfmask)} --ctmask ${hex(t.ctmask)}`,
  print(t) {
    if (t.op === 'set') return xmarkPrint('CONNMARK', t.value, t.mask);
    if (t.nfmask === 0xffffffff && t.ctmask === 0xffffffff) return ` CONNMARK ${t.op}`;
    if (t.nfmask === t.ctmask) return ` CONNMARK ${t.op} mask ${hex(t.nfmask)}`;
    return t.op === 'save'
      ? ` CONNMARK save nfmask ${hex(t.nfmask)} ctmask ~${hex(t.ctmask)}`
      : ` CONNMARK restore ctmask ${hex(t.ctmask)} nfmask ~${hex(t.nfmask)}`;
  },
};
