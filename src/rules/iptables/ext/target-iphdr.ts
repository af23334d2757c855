// The targets that rewrite the IPv4 header (mangle table only): TTL (libxt_TTL.c), TOS
// (libxt_TOS.c, revision 1: every form as --set-tos value/mask), DSCP (libxt_DSCP.c) and ECN
// (libipt_ECN.c: the ECT codepoint, and TCP's ECE/CWR bits with -p tcp).
import type { Token } from '../lex.ts';
import { DSCP_CLASSES, IPPROTO_TCP, TOS_NAMES } from '../names.ts';
import { fail, opt, parseUint, parseValueMask, protoIs, type TargetParser } from '../parse-util.ts';
import { hex2 } from './ext.ts';
import { at, type TargetExt } from './target-ext.ts';

export interface TtlTarget {
  readonly kind: 'TTL';
  readonly mode: 'set' | 'dec' | 'inc';
  readonly ttl: number;
}
/** tos = (tos & ~mask) ^ value on the TOS byte. */
export interface TosTarget {
  readonly kind: 'TOS';
  readonly value: number;
  readonly mask: number;
}
export interface DscpTarget {
  readonly kind: 'DSCP';
  readonly dscp: number;
}
/** IPT_ECN_OP_SET_IP 0x10, _SET_ECE 0x20, _SET_CWR 0x40 and their values. */
export interface EcnTarget {
  readonly kind: 'ECN';
  readonly operation: number;
  readonly ipEct: number;
  readonly ece: number;
  readonly cwr: number;
}

export const ECN_OP_SET_IP = 0x10;
export const ECN_OP_SET_ECE = 0x20;
export const ECN_OP_SET_CWR = 0x40;

const MANGLE = at(['mangle']);

/** xtables' "option X cannot be used together with Y" for options that exclude each other. */
function exclusive(name: string, seen: { id?: string }, id: string, optTok: Token): void {
  if (seen.id === id) fail(optTok, `${name}: option "--${id}" can only be used once`);
  if (seen.id) fail(optTok, `${name}: option "--${seen.id}" cannot be used together with "--${id}"`);
  seen.id = id;
}

function ttlParser(tok: Token): TargetParser {
  const seen: { id?: string } = {};
  let ttl = 0;
  return {
    name: 'TTL',
    tok,
    opts: [opt('ttl-set', 1, false), opt('ttl-dec', 1, false), opt('ttl-inc', 1, false)],
    option(id, args, _inv, optTok) {
      exclusive('TTL', seen, id, optTok);
      const t = args[0]!;
      ttl = parseUint(t, t.text, 255, `TTL value for --${id}`);
      if (id !== 'ttl-set' && ttl < 1) fail(t, `TTL: bad value for option "--${id}" (1-255)`);
    },
    finish() {
      if (!seen.id) fail(tok, 'TTL: you must specify an action (--ttl-set, --ttl-dec or --ttl-inc)');
      return { kind: 'TTL', mode: seen.id!.slice(4) as TtlTarget['mode'], ttl };
    },
  };
}

export const TTL: TargetExt<TtlTarget> = {
  name: 'TTL',
  placement: MANGLE,
  parser: ttlParser,
  save: (t) => ` --ttl-${t.mode} ${t.ttl}`,
  print: (t) =>
    ` TTL ${t.mode === 'set' ? 'set to' : t.mode === 'dec' ? 'decrement by' : 'increment by'} ${t.ttl}`,
};

function tosParser(tok: Token): TargetParser {
  const seen: { id?: string } = {};
  let vm = { value: 0, mask: 0 };
  return {
    name: 'TOS',
    tok,
    opts: ['set-tos', 'and-tos', 'or-tos', 'xor-tos'].map((n) => opt(n, 1, false)),
    option(id, args, _inv, optTok) {
      exclusive('TOS', seen, id, optTok);
      const t = args[0]!;
      if (id === 'set-tos') {
        const named = TOS_NAMES.find(([n]) => n.toLowerCase() === t.text.toLowerCase());
        if (named) vm = { value: named[1], mask: 0x3f };
        else if (/^(0[xX][0-9a-fA-F]+|\d+)(\/(0[xX][0-9a-fA-F]+|\d+))?$/.test(t.text)) {
          vm = parseValueMask(t, 'TOS value', 0xff, 0xff);
        } else fail(t, `symbolic TOS name "${t.text}" is unknown`);
        return;
      }
      const v = parseUint(t, t.text, 255, `TOS value for --${id}`);
      if (id === 'and-tos') vm = { value: 0, mask: ~v & 0xff };
      else if (id === 'or-tos') vm = { value: v, mask: v };
      else vm = { value: v, mask: 0 };
    },
    finish() {
      if (!seen.id) fail(tok, 'TOS: an action is required (--set-tos, --and-tos, --or-tos or --xor-tos)');
      return { kind: 'TOS', ...vm };
    },
  };
}

export const TOS: TargetExt<TosTarget> = {
  name: 'TOS',
  placement: MANGLE,
  parser: tosParser,
  save: (t) => ` --set-tos ${hex2(t.value)}/${hex2(t.mask)}`,
  print: (t) => ` TOS set ${hex2(t.value)}/${hex2(t.mask)}`,
};

function dscpParser(tok: Token): TargetParser {
  const seen: { id?: string } = {};
  let dscp = 0;
  return {
    name: 'DSCP',
    tok,
    opts: [opt('set-dscp', 1, false), opt('set-dscp-class', 1, false)],
    option(id, args, _inv, optTok) {
      exclusive('DSCP', seen, id, optTok);
      const t = args[0]!;
      if (id === 'set-dscp') dscp = parseUint(t, t.text, 63, 'DSCP value for --set-dscp');
      else {
        const c = DSCP_CLASSES.find(([n]) => n === t.text.toUpperCase());
        if (!c) fail(t, `invalid DSCP class "${t.text}" (expected CS0-CS7, AF11-AF43, EF or BE)`);
        dscp = c![1];
      }
    },
    finish() {
      if (!seen.id) fail(tok, 'DSCP target: parameter --set-dscp is required');
      return { kind: 'DSCP', dscp };
    },
  };
}

export const DSCP: TargetExt<DscpTarget> = {
  name: 'DSCP',
  placement: MANGLE,
  parser: dscpParser,
  save: (t) => ` --set-dscp ${hex2(t.dscp)}`,
  print: (t) => ` DSCP set ${hex2(t.dscp)}`,
};

function ecnParser(tok: Token): TargetParser {
  let operation = 0;
  let ipEct = 0;
  let ece = 0;
  let cwr = 0;
  let removeTok: Token | undefined;
  let tcpTok: Token | undefined;
  return {
    name: 'ECN',
    tok,
    opts: [
      opt('ecn-tcp-remove', 0, false),
      opt('ecn-tcp-cwr', 1, false),
      opt('ecn-tcp-ece', 1, false),
      opt('ecn-ip-ect', 1, false),
    ],
    option(id, args, _inv, optTok) {
      const t = args[0]!;
      if (id === 'ecn-tcp-remove') {
        if (tcpTok)
          fail(
            optTok,
            'ECN: option "--ecn-tcp-remove" cannot be used together with "--ecn-tcp-cwr"/"--ecn-tcp-ece"',
          );
        removeTok = optTok;
        operation |= ECN_OP_SET_ECE | ECN_OP_SET_CWR;
        ece = 0;
        cwr = 0;
      } else if (id === 'ecn-ip-ect') {
        ipEct = parseUint(t, t.text, 3, 'ECN value for --ecn-ip-ect');
        operation |= ECN_OP_SET_IP;
      } else {
        if (removeTok) fail(optTok, `ECN: option "--${id}" cannot be used together with "--ecn-tcp-remove"`);
        tcpTok = optTok;
        const v = parseUint(t, t.text, 1, `ECN value for --${id}`);
        if (id === 'ecn-tcp-cwr') {
          operation |= ECN_OP_SET_CWR;
          cwr = v;
        } else {
          operation |= ECN_OP_SET_ECE;
          ece = v;
        }
      }
    },
    finish(ctx) {
      if (!operation) fail(tok, 'ECN target: an operation is required');
      // ecn_tg_check: the TCP bits only with -p tcp (the kernel says EINVAL).
      if (operation & (ECN_OP_SET_ECE | ECN_OP_SET_CWR) && !protoIs(ctx, IPPROTO_TCP))
        fail(removeTok ?? tcpTok ?? tok, 'ECN --ecn-tcp-remove/--ecn-tcp-cwr/--ecn-tcp-ece need "-p tcp"');
      return { kind: 'ECN', operation, ipEct, ece, cwr };
    },
  };
}

const isRemove = (t: EcnTarget): boolean =>
  t.operation === (ECN_OP_SET_ECE | ECN_OP_SET_CWR) && t.ece === 0 && t.cwr === 0;

export const ECN: TargetExt<EcnTarget> = {
  name: 'ECN',
  placement: MANGLE,
  parser: ecnParser,
  save(t) {
    if (isRemove(t)) return ' --ecn-tcp-remove';
    let s = '';
    if (t.operation & ECN_OP_SET_ECE) s += ` --ecn-tcp-ece ${t.ece}`;
    if (t.operation & ECN_OP_SET_CWR) s += ` --ecn-tcp-cwr ${t.cwr}`;
    if (t.operation & ECN_OP_SET_IP) s += ` --ecn-ip-ect ${t.ipEct}`;
    return s;
  },
  print(t) {
    if (isRemove(t)) return ' ECN TCP remove';
    let s = ' ECN';
    if (t.operation & ECN_OP_SET_ECE) s += ` ECE=${t.ece}`;
    if (t.operation & ECN_OP_SET_CWR) s += ` CWR=${t.cwr}`;
    if (t.operation & ECN_OP_SET_IP) s += ` ECT codepoint=${t.ipEct}`;
    return s;
  },
};
