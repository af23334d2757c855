// The targets with one small option set: AUDIT (libxt_AUDIT.c), CHECKSUM (libxt_CHECKSUM.c),
// CONNSECMARK (libxt_CONNSECMARK.c), SECMARK (libxt_SECMARK.c), IDLETIMER (libxt_IDLETIMER.c,
// revision 1), LED (libxt_LED.c), CLASSIFY (libxt_CLASSIFY.c): read, saved and listed as those
// files do in iptables 1.8.9.
import type { Token } from '../lex.ts';
import { fail, opt, parseUint, type TargetParser } from '../parse-util.ts';
import { at, type TargetExt } from './target-ext.ts';

export interface AuditTarget {
  readonly kind: 'AUDIT';
  readonly type: 'accept' | 'drop' | 'reject';
}
export interface ChecksumTarget {
  readonly kind: 'CHECKSUM';
}
export interface ConnsecmarkTarget {
  readonly kind: 'CONNSECMARK';
  readonly mode: 'save' | 'restore';
}
export interface SecmarkTarget {
  readonly kind: 'SECMARK';
  readonly selctx: string;
}
export interface IdletimerTarget {
  readonly kind: 'IDLETIMER';
  readonly timeout: number;
  readonly label: string;
  readonly alarm: boolean;
}
export interface LedTarget {
  readonly kind: 'LED';
  readonly id: string;
  /** Milliseconds; -1 for `inf`. */
  readonly delay: number;
  readonly alwaysBlink: boolean;
}
/** skb->priority = TC_H_MAKE(major << 16, minor). */
export interface ClassifyTarget {
  readonly kind: 'CLASSIFY';
  readonly priority: number;
}

/** A parser that collects options into `st` and checks them in `done`. */
function simpleParser<S>(
  name: string,
  tok: Token,
  opts: TargetParser['opts'],
  st: S,
  option: (st: S, id: string, args: Token[], optTok: Token) => void,
  done: (st: S, ctx: Parameters<TargetParser['finish']>[0]) => ReturnType<TargetParser['finish']>,
): TargetParser {
  return {
    name,
    tok,
    opts,
    option: (id, args, _inv, optTok) => option(st, id, args, optTok),
    finish: (ctx) => done(st, ctx),
  };
}

export const AUDIT: TargetExt<AuditTarget> = {
  name: 'AUDIT',
  parser: (tok) =>
    simpleParser(
      'AUDIT',
      tok,
      [opt('type', 1, false)],
      { type: undefined as AuditTarget['type'] | undefined },
      (st, _id, args) => {
        const v = args[0]!.text.toLowerCase();
        if (v !== 'accept' && v !== 'drop' && v !== 'reject')
          fail(args[0]!, `bad action type value "${args[0]!.text}" (expected accept, drop or reject)`);
        st.type = v as AuditTarget['type'];
      },
      (st) => {
        if (!st.type) fail(tok, 'AUDIT: option "--type" must be specified');
        return { kind: 'AUDIT', type: st.type! };
      },
    ),
  save: (t) => ` --type ${t.type}`,
  print: (t) => ` AUDIT ${t.type}`,
};

export const CHECKSUM: TargetExt<ChecksumTarget> = {
  name: 'CHECKSUM',
  placement: at(['mangle']),
  parser: (tok) =>
    simpleParser(
      'CHECKSUM',
      tok,
      [opt('checksum-fill', 0, false)],
      { fill: false },
      (st) => {
        st.fill = true;
      },
      (st) => {
        if (!st.fill) fail(tok, 'CHECKSUM: option "--checksum-fill" must be specified');
        return { kind: 'CHECKSUM' };
      },
    ),
  save: () => ' --checksum-fill',
  print: () => ' CHECKSUM fill',
};

export const CONNSECMARK: TargetExt<ConnsecmarkTarget> = {
  name: 'CONNSECMARK',
  placement: at(['mangle', 'security']),
  parser: (tok) =>
    simpleParser(
      'CONNSECMARK',
      tok,
      [opt('save', 0, false), opt('restore', 0, false)],
      { mode: undefined as ConnsecmarkTarget['mode'] | undefined },
      (st, id, _args, optTok) => {
        if (st.mode && st.mode !== id)
          fail(optTok, 'CONNSECMARK: "--save" and "--restore" exclude each other');
        st.mode = id as ConnsecmarkTarget['mode'];
      },
      (st) => {
        if (!st.mode) fail(tok, 'CONNSECMARK target: parameter required (--save or --restore)');
        return { kind: 'CONNSECMARK', mode: st.mode! };
      },
    ),
  save: (t) => ` --${t.mode}`,
  print: (t) => ` CONNSECMARK ${t.mode}`,
};

export const SECMARK: TargetExt<SecmarkTarget> = {
  name: 'SECMARK',
  placement: at(['mangle', 'security']),
  parser: (tok) =>
    simpleParser(
      'SECMARK',
      tok,
      [opt('selctx', 1, false)],
      { selctx: undefined as string | undefined },
      (st, _id, args) => {
        // struct xt_secmark_target_info: char secctx[SECMARK_SECCTX_MAX = 256].
        if (args[0]!.text.length > 255) fail(args[0]!, 'SECMARK --selctx is longer than 255 characters');
        st.selctx = args[0]!.text;
      },
      (st) => {
        if (st.selctx === undefined) fail(tok, 'SECMARK: option "--selctx" must be specified');
        return { kind: 'SECMARK', selctx: st.selctx! };
      },
    ),
  save: (t) => ` --selctx ${t.selctx}`,
  print: (t) => ` SECMARK selctx ${t.selctx}`,
};

export const IDLETIMER: TargetExt<IdletimerTarget> = {
  name: 'IDLETIMER',
  parser: (tok) =>
    simpleParser(
      'IDLETIMER',
      tok,
      [opt('timeout', 1, false), opt('label', 1, false), opt('alarm', 0, false)],
      { timeout: undefined as number | undefined, label: undefined as string | undefined, alarm: false },
      (st, id, args) => {
        const t = args[0]!;
        if (id === 'timeout') st.timeout = parseUint(t, t.text, 0xffffffff, 'IDLETIMER timeout');
        else if (id === 'label') {
          // char label[MAX_IDLETIMER_LABEL_SIZE = 28]: iptables keeps the first 27 characters.
          st.label = t.text.slice(0, 27);
        } else st.alarm = true;
      },
      (st) => {
        if (st.timeout === undefined) fail(tok, 'IDLETIMER: option "--timeout" must be specified');
        if (st.label === undefined) fail(tok, 'IDLETIMER: option "--label" must be specified');
        // idletimer_tg_checkentry: 0 < timeout < INT_MAX / 1000 (the kernel says EINVAL).
        if (st.timeout === 0 || st.timeout! >= 2147483)
          fail(tok, 'IDLETIMER --timeout must be 1-2147482 seconds (the kernel refuses other values)');
        return { kind: 'IDLETIMER', timeout: st.timeout!, label: st.label!, alarm: st.alarm };
      },
    ),
  save: (t) => ` --timeout ${t.timeout} --label ${t.label}${t.alarm ? ' --alarm' : ''}`,
  print: (t) => ` timeout:${t.timeout} label:${t.label}${t.alarm ? ' alarm' : ''}`,
};

const ledQuote = (id: string): string => `"${id.replace(/["\\]/g, (c) => `\\${c}`)}"`;

export const LED: TargetExt<LedTarget> = {
  name: 'LED',
  parser: (tok) =>
    simpleParser(
      'LED',
      tok,
      [opt('led-trigger-id', 1, false), opt('led-delay', 1, false), opt('led-always-blink', 0, false)],
      { id: undefined as string | undefined, delay: 0, blink: false },
      (st, id, args) => {
        const t = args[0]!;
        if (id === 'led-trigger-id') {
          // char id[27] holds "netfilter-" + the id + NUL.
          if (t.text.length > 16) fail(t, 'LED --led-trigger-id is longer than 16 characters');
          st.id = t.text;
        } else if (id === 'led-delay') {
          if (t.text.toLowerCase().startsWith('inf')) st.delay = -1;
          else st.delay = parseUint(t, t.text, 0x7fffffff, 'LED delay');
        } else st.blink = true;
      },
      (st) => {
        if (st.id === undefined) fail(tok, 'LED: option "--led-trigger-id" must be specified');
        return { kind: 'LED', id: st.id!, delay: st.delay, alwaysBlink: st.blink };
      },
    ),
  save: (t) =>
    ` --led-trigger-id ${ledQuote(t.id)}${t.delay > 0 ? ` --led-delay ${t.delay}` : t.delay === -1 ? ' --led-delay inf' : ''}${t.alwaysBlink ? ' --led-always-blink' : ''}`,
  print: (t) =>
    ` led-trigger-id:${ledQuote(t.id)}${t.delay === -1 ? ' led-delay:inf' : ` led-delay:${t.delay}ms`}${t.alwaysBlink ? ' led-always-blink' : ''}`,
};

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

export const CLASSIFY: TargetExt<ClassifyTarget> = {
  name: 'CLASSIFY',
  placement: at(undefined, ['OUTPUT', 'FORWARD', 'POSTROUTING']),
  parser: (tok) =>
    simpleParser(
      'CLASSIFY',
      tok,
      [opt('set-class', 1, false)],
      { priority: undefined as number | undefined },
      (st, _id, args) => {
        // sscanf("%x:%x"): hex with an optional 0x, each part cut to its 16 bits by TC_H_MAKE.
        const m = /^\s*(?:0[xX])?([0-9a-fA-F]+):\s*(?:0[xX])?([0-9a-fA-F]+)/.exec(args[0]!.text);
        if (!m) fail(args[0]!, `bad class value "${args[0]!.text}" (expected MAJOR:MINOR in hex)`);
        const major = parseInt(m![1]!, 16) % 0x10000;
        const minor = parseInt(m![2]!, 16) % 0x10000;
        st.priority = (major * 0x10000 + minor) >>> 0;
      },
      (st) => {
        if (st.priority === undefined) fail(tok, 'CLASSIFY: option "--set-class" must be specified');
        return { kind: 'CLASSIFY', priority: st.priority! };
      },
    ),
  save: (t) => ` --set-class ${hex4(t.priority >>> 16)}:${hex4(t.priority & 0xffff)}`,
  print: (t) => ` CLASSIFY set ${(t.priority >>> 16).toString(16)}:${(t.priority & 0xffff).toString(16)}`,
};
