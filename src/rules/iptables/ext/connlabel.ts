// -m connlabel (libxt_connlabel.c): [!] --label NAME|BIT [--set]. Names come from
// /etc/xtables/connlabel.conf; without that file (as on the reference machine, and always in
// natbox) iptables takes only numbers (strtoul base 0, as an int) and refuses a name. The kernel
// refuses a bit above 127 (XT_CONNLABEL_MAXBIT, ERANGE). Saved as `--label "N"`, listed as
// `connlabel N`.
import type { Token } from '../lex.ts';
import { fail, opt, type ModuleParser } from '../parse-util.ts';
import type { MatchExt } from './ext.ts';
import { strtoumax } from './xtnum.ts';

export interface ConnlabelMatch {
  readonly module: 'connlabel';
  /** The label's bit, 0-127. */
  readonly bit: number;
  readonly invert: boolean;
  /** XT_CONNLABEL_OP_SET: set the bit on the entry (then the match holds, unless inverted). */
  readonly set: boolean;
}

/** connlabel_value_parse(): strtoul(in, &end, 0) read as an int; -1 when not a number. */
function labelValue(text: string): number {
  if (text === '') return -1;
  const r = strtoumax(text);
  if (!r || r.end !== text.length) return -1;
  // strtoul: a "-" negates modulo 2^64, an overflow is ULONG_MAX; the int keeps the low 32 bits.
  return Number(BigInt.asIntN(32, r.value));
}

function parser(tok: Token): ModuleParser {
  let bit: number | undefined;
  let invert = false;
  let set = false;
  return {
    name: 'connlabel',
    tok,
    opts: [opt('label', 1, true), opt('set', 0, false)],
    option(id, args, inv, optTok) {
      if (id === 'set') {
        if (set) fail(optTok, '"--set" can only be used once');
        set = true;
        return;
      }
      if (bit !== undefined) fail(optTok, '"--label" can only be used once');
      const t = args[0]!;
      if (t.text === '') fail(t, '--label needs at least 1 character');
      const v = labelValue(t.text);
      if (v < 0)
        fail(
          t,
          `label "${t.text}" not found or invalid value: there is no /etc/xtables/connlabel.conf, give the bit number (0-127)`,
        );
      if (v > 127) fail(t, `label bit ${v} is out of range (the kernel takes 0-127: ERANGE)`);
      bit = v;
      invert = inv;
    },
    finish() {
      if (bit === undefined) fail(tok, 'match "connlabel" needs "--label"');
      return { module: 'connlabel', bit: bit!, invert, set };
    },
  };
}

export const connlabel: MatchExt<ConnlabelMatch> = {
  name: 'connlabel',
  parser,
  save: (m) => `${m.invert ? ' !' : ''} --label "${m.bit}"${m.set ? ' --set' : ''}`,
  print: (m) => ` connlabel${m.invert ? ' !' : ''} ${m.bit}${m.set ? ' set' : ''}`,
};
