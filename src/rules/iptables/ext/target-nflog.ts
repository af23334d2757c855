// -j NFLOG (libxt_NFLOG.c): --nflog-group, --nflog-prefix, --nflog-size, --nflog-threshold;
// --nflog-range is read and dropped, as iptables 1.8.9 does (with a warning there).
import type { Token } from '../lex.ts';
import { fail, opt, parseUint, type TargetParser } from '../parse-util.ts';
import { saveString } from './ext.ts';
import type { TargetExt } from './target-ext.ts';

export interface NflogTarget {
  readonly kind: 'NFLOG';
  readonly group: number;
  readonly prefix: string;
  readonly size?: number;
  readonly threshold: number;
}

function parser(tok: Token): TargetParser {
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
      } else if (id === 'nflog-size') size = parseUint(t, t.text, 0xffffffff, 'NFLOG size');
      else if (id === 'nflog-threshold') threshold = parseUint(t, t.text, 65535, 'NFLOG threshold');
      else parseUint(t, t.text, 0xffffffff, 'NFLOG range'); // --nflog-range: accepted and ignored, as iptables does
    },
    finish: () => ({ kind: 'NFLOG', group, prefix, ...(size !== undefined ? { size } : {}), threshold }),
  };
}

function nflogText(t: NflogTarget, dash: string): string {
  let s = '';
  if (t.prefix) s += ` ${dash}nflog-prefix ${saveString(t.prefix)}`;
  if (t.group) s += ` ${dash}nflog-group ${t.group}`;
  if (t.size !== undefined) s += ` ${dash}nflog-size ${t.size}`;
  if (t.threshold !== 1) s += ` ${dash}nflog-threshold ${t.threshold}`;
  return s;
}

export const NFLOG: TargetExt<NflogTarget> = {
  name: 'NFLOG',
  parser,
  save: (t) => nflogText(t, '--'),
  print: (t) => nflogText(t, ''),
};
