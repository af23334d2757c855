// -j REJECT (libipt_REJECT.c): --reject-with TYPE (aliases and case as iptables reads them);
// tcp-reset needs -p tcp.
import { didYouMean } from '../../diagnostics.ts';
import type { Token } from '../lex.ts';
import { IPPROTO_TCP, REJECT_WITH } from '../names.ts';
import { fail, opt, protoIs, type TargetParser } from '../parse-util.ts';
import { at, type TargetExt } from './target-ext.ts';

export interface RejectTarget {
  readonly kind: 'REJECT';
  readonly with: string;
}

function parser(tok: Token): TargetParser {
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

export const REJECT: TargetExt<RejectTarget> = {
  name: 'REJECT',
  placement: at(['filter'], ['INPUT', 'FORWARD', 'OUTPUT']),
  parser,
  save: (t) => ` --reject-with ${t.with}`,
  print: (t) => ` reject-with ${t.with}`,
};
