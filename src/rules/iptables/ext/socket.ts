// -m socket (libxt_socket.c, revision 3): --transparent, --nowildcard, --restore-skmark, none
// invertible; the kernel (xt_socket.c) allows it only in PREROUTING and INPUT.
import type { Token } from '../lex.ts';
import { fail, onlyInHooks, opt, type ModuleParser } from '../parse-util.ts';
import type { MatchExt } from './ext.ts';

export interface SocketMatch {
  readonly module: 'socket';
  /** XT_SOCKET_TRANSPARENT: only sockets with IP_TRANSPARENT (or timewait/request sockets of one). */
  readonly transparent: boolean;
  /** XT_SOCKET_NOWILDCARD: a listener bound to 0.0.0.0 counts too. */
  readonly nowildcard: boolean;
  /** XT_SOCKET_RESTORESKMARK: skb->mark = sk->sk_mark when it matches. */
  readonly restoreSkmark: boolean;
}

function parser(tok: Token): ModuleParser {
  const seen = new Set<string>();
  return {
    name: 'socket',
    tok,
    opts: [opt('transparent', 0, false), opt('nowildcard', 0, false), opt('restore-skmark', 0, false)],
    option(id, _args, _invert, optTok) {
      if (seen.has(id)) fail(optTok, `socket: option "--${id}" can only be used once`);
      seen.add(id);
    },
    finish(ctx) {
      onlyInHooks(ctx, tok, 'match "socket"', ['PREROUTING', 'INPUT']);
      return {
        module: 'socket',
        transparent: seen.has('transparent'),
        nowildcard: seen.has('nowildcard'),
        restoreSkmark: seen.has('restore-skmark'),
      };
    },
  };
}

function flags(m: SocketMatch): string {
  return (
    (m.transparent ? ' --transparent' : '') +
    (m.nowildcard ? ' --nowildcard' : '') +
    (m.restoreSkmark ? ' --restore-skmark' : '')
  );
}

export const socket: MatchExt<SocketMatch> = {
  name: 'socket',
  parser,
  save: flags,
  print: (m) => ` socket${flags(m)}`,
};
