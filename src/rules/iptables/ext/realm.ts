// -m realm (libipt_realm.c): [!] --realm value[/mask] or a name of /etc/iproute2/rt_realms, the
// route's realm (dst->tclassid); the kernel (xt_realm.c) allows it in INPUT, FORWARD, OUTPUT and
// POSTROUTING.
import type { Token } from '../lex.ts';
import type { Inv, ValueMask } from '../model.ts';
import { fail, onlyInHooks, opt, type ModuleParser } from '../parse-util.ts';
import type { MatchExt } from './ext.ts';
import { parseValMask, REALM_NAMES, valMask } from './misc-util.ts';

export interface RealmMatch {
  readonly module: 'realm';
  readonly realm: Inv<ValueMask>;
}

function parser(tok: Token): ModuleParser {
  let realm: Inv<ValueMask> | undefined;
  return {
    name: 'realm',
    tok,
    opts: [opt('realm', 1, true)],
    option(_id, args, invert, optTok) {
      if (realm) fail(optTok, 'realm: option "--realm" can only be used once');
      realm = { value: parseValMask(args[0]!, 'realm', 'realm', REALM_NAMES), invert };
    },
    finish(ctx) {
      if (!realm) fail(tok, 'realm: option "--realm" must be specified');
      onlyInHooks(ctx, tok, 'match "realm"', ['INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);
      return { module: 'realm', realm: realm! };
    },
  };
}

export const realm: MatchExt<RealmMatch> = {
  name: 'realm',
  parser,
  save: (m) => `${m.realm.invert ? ' !' : ''} --realm${valMask(m.realm.value, REALM_NAMES)}`,
  print: (m) => `${m.realm.invert ? ' !' : ''} realm${valMask(m.realm.value, undefined)}`,
};
