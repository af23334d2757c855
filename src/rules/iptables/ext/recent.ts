// -m recent (libxt_recent.c revision 1, as iptables 1.8.9 loads it): one command of --set,
// --rcheck, --update, --remove (a "!" before it inverts the match), --seconds, --reap, --hitcount,
// --rttl, --name (default DEFAULT), --rsource/--rdest (the last one wins), --mask. The refusals
// of recent_mt_check (xt_recent.c) are made here too: the kernel answers them with a bare
// "Invalid argument", natbox names the option.
import { formatIpv4 } from '../../../wire/addr.ts';
import { IPV6_NOT_SIMULATED, looksLikeIpv6 } from '../../diagnostics.ts';
import type { Token } from '../lex.ts';
import { fail, opt, parseUint, type ModuleParser } from '../parse-util.ts';
import type { MatchExt } from './ext.ts';

export type RecentCommand = 'set' | 'rcheck' | 'update' | 'remove';

/** xt_recent_mtinfo_v1. */
export interface RecentMatch {
  readonly module: 'recent';
  readonly command: RecentCommand;
  readonly invert: boolean;
  /** 0: no time window. */
  readonly seconds: number;
  readonly reap: boolean;
  /** 0: any one entry is enough. */
  readonly hitcount: number;
  readonly rttl: boolean;
  /** The table's name (XT_RECENT_NAME_LEN - 1 characters at most). */
  readonly name: string;
  readonly side: 'source' | 'dest';
  readonly mask: number;
}

/** XT_RECENT_NAME_LEN: libxtables keeps the first 199 characters of a longer --name. */
const NAME_LEN = 200;
/** XT_RECENT_MAX_NSTAMPS of the kernel (65536 since Linux 6.11, 256 before). */
export const RECENT_MAX_HITCOUNT = 65535;

/** The host form XTTYPE_HOST reads: inet_aton's a, a.b, a.b.c or a.b.c.d (decimal or 0x hex). */
function parseMaskHost(t: Token): number {
  const text = t.text;
  if (looksLikeIpv6(text)) fail(t, `"${text}" for --mask is an IPv6 address; ${IPV6_NOT_SIMULATED}`);
  const parts = text.split('.');
  const num = (p: string): number =>
    /^0[xX][0-9a-fA-F]+$/.test(p)
      ? parseInt(p.slice(2), 16)
      : /^0[0-7]*$/.test(p)
        ? parseInt(p, 8)
        : /^[1-9]\d*$/.test(p)
          ? Number(p)
          : NaN;
  const ns = parts.map(num);
  const bad = (): never => fail(t, `bad --mask "${text}" (expected an IPv4 address such as 255.255.255.0)`);
  if (parts.length > 4 || ns.some((n) => !Number.isFinite(n))) bad();
  // The last part fills the bytes that are left; the others are one byte each.
  const last = ns[ns.length - 1]!;
  if (ns.slice(0, -1).some((n) => n > 255) || last >= 2 ** (8 * (5 - ns.length))) bad();
  let v = 0;
  for (let i = 0; i < ns.length - 1; i++) v += ns[i]! * 2 ** (8 * (3 - i));
  return (v + last) >>> 0;
}

function parser(tok: Token): ModuleParser {
  let command: RecentCommand | undefined;
  let invert = false;
  let seconds: number | undefined;
  let secTok: Token | undefined;
  let reapTok: Token | undefined;
  let hitcount: number | undefined;
  let hitTok: Token | undefined;
  let rttlTok: Token | undefined;
  let name: string | undefined;
  let nameTok: Token | undefined;
  let side: 'source' | 'dest' = 'source';
  let mask: number | undefined;
  const seen = new Set<string>();
  const CMDS = ['set', 'rcheck', 'update', 'remove'];
  return {
    name: 'recent',
    tok,
    opts: [
      opt('set', 0, true),
      opt('rcheck', 0, true),
      opt('update', 0, true),
      opt('remove', 0, true),
      opt('seconds', 1, false),
      opt('reap', 0, false),
      opt('hitcount', 1, false),
      opt('rttl', 0, false),
      opt('name', 1, false),
      opt('rsource', 0, false),
      opt('rdest', 0, false),
      opt('mask', 1, false),
    ],
    option(id, args, inv, optTok) {
      // xtables' option flags: each option once, --set/--rcheck/--update/--remove exclusive, and
      // --rttl not with --set or --remove (F_ANY_OP, .excl).
      if (seen.has(id)) fail(optTok, `option "--${id}" can only be used once`);
      seen.add(id);
      const t = args[0];
      if (CMDS.includes(id)) {
        if (command) fail(optTok, `option "--${command}" cannot be used together with "--${id}"`);
        if (id !== 'rcheck' && id !== 'update' && rttlTok)
          fail(optTok, `option "--rttl" cannot be used together with "--${id}"`);
        command = id as RecentCommand;
        if (inv) invert = true;
        return;
      }
      switch (id) {
        case 'seconds':
          seconds = parseUint(t!, t!.text, 0xffffffff, '--seconds value');
          if (seconds === 0) fail(t!, 'bad --seconds value "0" (expected 1-4294967295)');
          secTok = optTok;
          break;
        case 'reap':
          reapTok = optTok;
          break;
        case 'hitcount':
          hitcount = parseUint(t!, t!.text, 0xffffffff, '--hitcount value');
          hitTok = optTok;
          break;
        case 'rttl':
          if (command === 'set' || command === 'remove')
            fail(optTok, `option "--rttl" cannot be used together with "--${command}"`);
          rttlTok = optTok;
          break;
        case 'name':
          name = t!.text.slice(0, NAME_LEN - 1);
          nameTok = t;
          break;
        case 'rsource':
          side = 'source';
          break;
        case 'rdest':
          side = 'dest';
          break;
        default:
          mask = parseMaskHost(t!);
      }
    },
    finish() {
      if (!command) fail(tok, "recent: you must specify one of `--set', `--rcheck' `--update' or `--remove'");
      if (reapTok && seconds === undefined) fail(reapTok, 'option "--reap" also requires "--seconds"');
      // recent_mt_check (xt_recent.c): the kernel's "Invalid argument".
      if (command === 'set' || command === 'remove') {
        const extra = secTok ?? (hitcount ? hitTok : undefined);
        if (extra) fail(extra, `"--${command}" takes no "--seconds" or "--hitcount" (the kernel refuses it)`);
      }
      if (hitcount !== undefined && hitcount > RECENT_MAX_HITCOUNT)
        fail(hitTok!, `--hitcount ${hitcount} is larger than the kernel allows (${RECENT_MAX_HITCOUNT})`);
      const nm = name ?? 'DEFAULT';
      if (nm === '' || nm === '.' || nm === '..' || nm.includes('/'))
        fail(nameTok!, `bad --name "${nm}" (the kernel refuses "", ".", ".." and names with "/")`);
      return {
        module: 'recent',
        command: command!,
        invert,
        seconds: seconds ?? 0,
        reap: reapTok !== undefined,
        hitcount: hitcount ?? 0,
        rttl: rttlTok !== undefined,
        name: nm,
        side,
        mask: mask ?? 0xffffffff,
      };
    },
  };
}

/** The words libxt_recent prints for the command (-L) and the option (save). */
const CMD_WORD: Readonly<Record<RecentCommand, string>> = {
  set: 'SET',
  rcheck: 'CHECK',
  update: 'UPDATE',
  remove: 'REMOVE',
};

/** printf("%d") of a u32, as libxt_recent prints --seconds and --hitcount. */
const s32 = (n: number): number => n | 0;

export const recent: MatchExt<RecentMatch> = {
  name: 'recent',
  parser,
  save: (m) =>
    `${m.invert ? ' !' : ''} --${m.command}${m.seconds ? ` --seconds ${s32(m.seconds)}` : ''}` +
    `${m.reap ? ' --reap' : ''}${m.hitcount ? ` --hitcount ${s32(m.hitcount)}` : ''}` +
    `${m.rttl ? ' --rttl' : ''} --name ${m.name} --mask ${formatIpv4(m.mask)}` +
    ` --r${m.side === 'source' ? 'source' : 'dest'}`,
  print: (m) =>
    `${m.invert ? ' !' : ''} recent: ${CMD_WORD[m.command]}${m.seconds ? ` seconds: ${s32(m.seconds)}` : ''}` +
    `${m.reap ? ' reap' : ''}${m.hitcount ? ` hit_count: ${s32(m.hitcount)}` : ''}` +
    `${m.rttl ? ' TTL-Match' : ''} name: ${m.name} side: ${m.side} mask: ${formatIpv4(m.mask)}`,
};
