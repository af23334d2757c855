// -m multiport (libxt_multiport.c, revision 1): one of --sports, --dports, --ports with up to 15
// ports (a range counts as 2), invertible; needs -p tcp, udp, udplite, sctp or dccp.
import type { Token } from '../lex.ts';
import type { Inv, PortRange } from '../model.ts';
import { fail, opt, parsePortRange, type ModuleParser } from '../parse-util.ts';
import { bang, numRange, type MatchExt } from './ext.ts';

export interface MultiportMatch {
  readonly module: 'multiport';
  readonly kind: 'sports' | 'dports' | 'ports';
  readonly ports: Inv<readonly PortRange[]>;
}

const MULTIPORT_PROTOS = new Set([6, 17, 33, 132, 136]);

function parser(tok: Token): ModuleParser {
  let kind: 'sports' | 'dports' | 'ports' | undefined;
  let ports: Inv<readonly PortRange[]> | undefined;
  return {
    name: 'multiport',
    tok,
    opts: [
      opt('source-ports', 1, true, 'sports'),
      opt('sports', 1, true),
      opt('destination-ports', 1, true, 'dports'),
      opt('dports', 1, true),
      opt('ports', 1, true),
    ],
    option(id, args, invert, optTok) {
      if (kind !== undefined) fail(optTok, `match "multiport" takes only one of --sports, --dports, --ports`);
      const t = args[0]!;
      const list: PortRange[] = [];
      let slots = 0;
      for (const part of t.text.split(',')) {
        if (part === '') fail(t, `empty port in "${t.text}"`);
        const r = parsePortRange({ ...t, text: part });
        list.push(r);
        slots += part.includes(':') ? 2 : 1;
      }
      if (slots > 15)
        fail(t, `too many ports in "${t.text}" (multiport takes at most 15, a range counts as 2)`);
      kind = id as 'sports' | 'dports' | 'ports';
      ports = { value: list, invert };
    },
    finish(ctx) {
      if (!ctx.protocol || ctx.protocol.invert || !MULTIPORT_PROTOS.has(ctx.protocol.value)) {
        fail(
          tok,
          'match "multiport" requires "-p tcp", "-p udp", "-p udplite", "-p sctp" or "-p dccp" before it',
        );
      }
      if (!kind) fail(tok, 'match "multiport" needs --sports, --dports or --ports');
      return { module: 'multiport', kind: kind!, ports: ports! };
    },
  };
}

export const multiport: MatchExt<MultiportMatch> = {
  name: 'multiport',
  parser,
  save: (m) => `${bang(m.ports.invert)} --${m.kind} ${m.ports.value.map((r) => numRange(r)).join(',')}`,
  print: (m) =>
    ` multiport ${m.kind} ${bang(m.ports.invert)}${m.ports.value.map((r) => numRange(r)).join(',')}`,
};
