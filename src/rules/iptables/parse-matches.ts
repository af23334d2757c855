// The match modules not yet moved to their own file under ext/ (addrtype, physdev, owner, set),
// and the list of every extension match parse-command.ts loads with -m (beyond the protocol
// matches, conntrack, state, multiport and comment, which live in parse-command.ts). Each parser
// takes its options as the libxt_*.c file of iptables 1.8.9 does (same defaults, same checks,
// same refusals) and yields the model's Match; printing is print-save.ts's and print-list.ts's,
// evaluation netfilter/xtables/'s.
import type { Token } from './lex.ts';
import type { IfaceMatch, Inv, PortRange } from './model.ts';
import { ADDRTYPE_NAMES } from './names.ts';
import * as ext from './ext/index.ts';
import { fail, onlyInHooks, once, opt, parseIface, parseNumRange, type ModuleParser } from './parse-util.ts';

function addrtypeModule(tok: Token): ModuleParser {
  let srcType: Inv<number> | undefined;
  let dstType: Inv<number> | undefined;
  let limitIn: Token | undefined;
  let limitOut: Token | undefined;
  const types = (t: Token): number => {
    let bits = 0;
    for (const part of t.text.split(',')) {
      const k = ADDRTYPE_NAMES.findIndex((n) => n === part.toUpperCase());
      if (k < 0)
        fail(t, `unknown address type "${part}" (expected a comma list of ${ADDRTYPE_NAMES.join(', ')})`);
      bits |= 1 << k;
    }
    return bits;
  };
  return {
    name: 'addrtype',
    tok,
    opts: [
      opt('src-type', 1, true),
      opt('dst-type', 1, true),
      opt('limit-iface-in', 0, false),
      opt('limit-iface-out', 0, false),
    ],
    option(id, args, invert, optTok) {
      if (id === 'src-type') {
        once(srcType, optTok, 'src-type');
        srcType = { value: types(args[0]!), invert };
      } else if (id === 'dst-type') {
        once(dstType, optTok, 'dst-type');
        dstType = { value: types(args[0]!), invert };
      } else if (id === 'limit-iface-in') limitIn = optTok;
      else limitOut = optTok;
    },
    finish(ctx) {
      if (!srcType && !dstType) fail(tok, 'match "addrtype" needs "--src-type" or "--dst-type"');
      if (limitIn && limitOut)
        fail(limitOut, 'addrtype: "--limit-iface-in" and "--limit-iface-out" cannot be used together');
      if (limitIn) onlyInHooks(ctx, limitIn, '"--limit-iface-in"', ['PREROUTING', 'INPUT', 'FORWARD']);
      if (limitOut) onlyInHooks(ctx, limitOut, '"--limit-iface-out"', ['FORWARD', 'OUTPUT', 'POSTROUTING']);
      return {
        module: 'addrtype',
        ...(srcType ? { srcType } : {}),
        ...(dstType ? { dstType } : {}),
        limitIfaceIn: limitIn !== undefined,
        limitIfaceOut: limitOut !== undefined,
      };
    },
  };
}

function physdevModule(tok: Token): ModuleParser {
  let physIn: Inv<IfaceMatch> | undefined;
  let physOut: Inv<IfaceMatch> | undefined;
  let isIn: Inv<true> | undefined;
  let isOut: Inv<true> | undefined;
  let isBridged: Inv<true> | undefined;
  return {
    name: 'physdev',
    tok,
    opts: [
      opt('physdev-in', 1, true),
      opt('physdev-out', 1, true),
      opt('physdev-is-in', 0, true),
      opt('physdev-is-out', 0, true),
      opt('physdev-is-bridged', 0, true),
    ],
    option(id, args, invert, optTok) {
      switch (id) {
        case 'physdev-in':
          once(physIn, optTok, id);
          physIn = { value: parseIface(args[0]!, '--physdev-in'), invert };
          break;
        case 'physdev-out':
          once(physOut, optTok, id);
          physOut = { value: parseIface(args[0]!, '--physdev-out'), invert };
          break;
        case 'physdev-is-in':
          once(isIn, optTok, id);
          isIn = { value: true, invert };
          break;
        case 'physdev-is-out':
          once(isOut, optTok, id);
          isOut = { value: true, invert };
          break;
        default:
          once(isBridged, optTok, id);
          isBridged = { value: true, invert };
      }
    },
    finish(ctx) {
      if (!physIn && !physOut && !isIn && !isOut && !isBridged)
        fail(tok, 'match "physdev" needs at least one --physdev-* option');
      // physdev_mt_check (xt_physdev.c): the output bridge port is not known yet in OUTPUT.
      if ((physOut || isOut) && (!isBridged || isBridged.invert) && ctx.chain === 'OUTPUT') {
        fail(
          tok,
          '"--physdev-out" and "--physdev-is-out" are only supported in FORWARD and POSTROUTING with bridged traffic (not in OUTPUT)',
        );
      }
      return {
        module: 'physdev',
        ...(physIn ? { physIn } : {}),
        ...(physOut ? { physOut } : {}),
        ...(isIn ? { isIn } : {}),
        ...(isOut ? { isOut } : {}),
        ...(isBridged ? { isBridged } : {}),
      };
    },
  };
}

/** User and group names natbox resolves without a passwd file (Debian's fixed ids; else numbers). */
const OWNER_NAMES: Readonly<Record<string, number>> = { root: 0, nobody: 65534, nogroup: 65534 };

function ownerModule(tok: Token): ModuleParser {
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

function setModule(tok: Token): ModuleParser {
  let set: { name: string; dirs: ('src' | 'dst')[]; invert: boolean } | undefined;
  return {
    name: 'set',
    tok,
    opts: [opt('match-set', 2, true), opt('set', 2, true, 'match-set')],
    option(_id, args, invert, optTok) {
      if (set) fail(optTok, 'match "set" takes one "--match-set" (use another "-m set" for a second set)');
      const [nameTok, flagsTok] = args as [Token, Token];
      if (nameTok.text.length > 31) fail(nameTok, `set name "${nameTok.text}" is longer than 31 characters`);
      const dirs = flagsTok.text.split(',');
      if (dirs.length > 6 || dirs.some((d) => d !== 'src' && d !== 'dst')) {
        fail(flagsTok, `bad set flags "${flagsTok.text}" (expected a comma list of src and dst, at most 6)`);
      }
      set = { name: nameTok.text, dirs: dirs as ('src' | 'dst')[], invert };
    },
    finish() {
      if (!set) fail(tok, 'match "set" needs "--match-set NAME src|dst"');
      return { module: 'set', set: set!.name, dirs: set!.dirs, invert: set!.invert };
    },
  };
}

export const EXTRA_MODULES: Readonly<Record<string, (tok: Token) => ModuleParser>> = {
  addrtype: addrtypeModule,
  iprange: ext.iprange.parser,
  mark: ext.mark.parser,
  connmark: ext.connmark.parser,
  mac: ext.mac.parser,
  length: ext.length.parser,
  ttl: ext.ttl.parser,
  pkttype: ext.pkttype.parser,
  tos: ext.tos.parser,
  dscp: ext.dscp.parser,
  limit: ext.limit.parser,
  statistic: ext.statistic.parser,
  physdev: physdevModule,
  owner: ownerModule,
  set: setModule,
};
