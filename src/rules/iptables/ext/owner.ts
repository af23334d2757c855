// -m owner (libxt_owner.c, revision 1): --uid-owner / --gid-owner (a name natbox knows, an id or
// an id range), --socket-exists, each invertible, and --suppl-groups; only in OUTPUT and
// POSTROUTING.
import type { Token } from '../lex.ts';
import type { Inv, PortRange } from '../model.ts';
import { fail, onlyInHooks, once, opt, parseNumRange, type ModuleParser } from '../parse-util.ts';
import { bang, numRange, type MatchExt } from './ext.ts';

export interface OwnerMatch {
  readonly module: 'owner';
  readonly uid?: Inv<PortRange>;
  readonly gid?: Inv<PortRange>;
  readonly socketExists?: Inv<true>;
  readonly supplGroups: boolean;
}

/** User and group names natbox resolves without a passwd file (Debian's fixed ids; else numbers). */
const OWNER_NAMES: Readonly<Record<string, number>> = { root: 0, nobody: 65534, nogroup: 65534 };

function parser(tok: Token): ModuleParser {
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

export const owner: MatchExt<OwnerMatch> = {
  name: 'owner',
  parser,
  save(m) {
    let s = '';
    if (m.socketExists) s += `${bang(m.socketExists.invert)} --socket-exists`;
    if (m.uid) s += `${bang(m.uid.invert)} --uid-owner ${numRange(m.uid.value, '-')}`;
    if (m.gid) s += `${bang(m.gid.invert)} --gid-owner ${numRange(m.gid.value, '-')}`;
    if (m.supplGroups) s += ' --suppl-groups';
    return s;
  },
  print(m) {
    let s = '';
    if (m.socketExists) s += `${bang(m.socketExists.invert)} owner socket exists`;
    if (m.uid) s += `${bang(m.uid.invert)} owner UID match ${numRange(m.uid.value, '-')}`;
    if (m.gid) s += `${bang(m.gid.invert)} owner GID match ${numRange(m.gid.value, '-')}`;
    if (m.supplGroups) s += ' incl. suppl. groups';
    return s;
  },
};
