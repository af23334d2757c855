// -m ipvs (libxt_ipvs.c): [!] --ipvs, [!] --vproto, [!] --vaddr addr[/mask], [!] --vport,
// --vdir ORIGINAL|REPLY, [!] --vmethod GATE|IPIP|MASQ, [!] --vportctl: the IPVS connection
// of the packet. Any option but --ipvs implies --ipvs (then not printed), and "! --ipvs" cannot
// be combined with them. The vaddr is kept as given (not masked), as iptables prints it.
import type { Token } from '../lex.ts';
import type { Inv } from '../model.ts';
import { formatIpv4, maskLength, parseIpv4, prefixMask } from '../../../wire/addr.ts';
import { protocolNumber } from '../names.ts';
import { fail, opt, parsePortText, type ModuleParser } from '../parse-util.ts';
import type { MatchExt } from './ext.ts';

export type IpvsMethod = 'GATE' | 'IPIP' | 'MASQ';

export interface IpvsMatch {
  readonly module: 'ipvs';
  /** --ipvs alone (or "! --ipvs"); undefined when other options carry the ipvs property. */
  readonly ipvs?: Inv<true>;
  readonly vproto?: Inv<number>;
  readonly vaddr?: Inv<{ readonly addr: number; readonly mask: number }>;
  readonly vport?: Inv<number>;
  readonly vdir?: 'ORIGINAL' | 'REPLY';
  readonly vmethod?: Inv<IpvsMethod>;
  readonly vportctl?: Inv<number>;
}

function parseVaddr(t: Token): { addr: number; mask: number } {
  const [a, m, extra] = t.text.split('/');
  const addr = parseIpv4(a!);
  if (!addr.ok || extra !== undefined) return fail(t, `ipvs: bad address "${t.text}" for "--vaddr"`);
  if (m === undefined) return { addr: addr.value, mask: 0xffffffff };
  if (/^\d+$/.test(m) && Number(m) <= 32) return { addr: addr.value, mask: prefixMask(Number(m)) };
  const mask = parseIpv4(m);
  if (!mask.ok) {
    return fail(
      t,
      'ipvs: bad value for option "--vaddr", neither a valid network mask nor valid CIDR (0-32).',
    );
  }
  return { addr: addr.value, mask: mask.value };
}

function parser(tok: Token): ModuleParser {
  const seen = new Set<string>();
  let ipvs: Inv<true> | undefined;
  let vproto: Inv<number> | undefined;
  let vaddr: IpvsMatch['vaddr'];
  let vport: Inv<number> | undefined;
  let vdir: IpvsMatch['vdir'];
  let vmethod: Inv<IpvsMethod> | undefined;
  let vportctl: Inv<number> | undefined;
  return {
    name: 'ipvs',
    tok,
    opts: [
      opt('ipvs', 0, true),
      opt('vproto', 1, true),
      opt('vaddr', 1, true),
      opt('vport', 1, true),
      opt('vdir', 1, false),
      opt('vmethod', 1, true),
      opt('vportctl', 1, true),
    ],
    option(id, args, invert, optTok) {
      if (seen.has(id)) fail(optTok, `ipvs: option "--${id}" can only be used once`);
      seen.add(id);
      const a = args[0]!;
      switch (id) {
        case 'ipvs':
          ipvs = { value: true, invert };
          break;
        case 'vproto': {
          const p = protocolNumber(a.text);
          if (p === undefined) fail(a, `ipvs: unknown protocol "${a.text}" for "--vproto"`);
          vproto = { value: p!, invert };
          break;
        }
        case 'vaddr':
          vaddr = { value: parseVaddr(a), invert };
          break;
        case 'vport':
          vport = { value: parsePortText(a, a.text), invert };
          break;
        case 'vportctl':
          vportctl = { value: parsePortText(a, a.text), invert };
          break;
        case 'vdir': {
          const d = a.text.toUpperCase();
          if (d !== 'ORIGINAL' && d !== 'REPLY') fail(a, `ipvs: Bad value for "--vdir" option: "${a.text}"`);
          vdir = d as 'ORIGINAL' | 'REPLY';
          break;
        }
        case 'vmethod': {
          const v = a.text.toUpperCase();
          if (v !== 'GATE' && v !== 'IPIP' && v !== 'MASQ') {
            fail(a, `ipvs: Bad value for "--vmethod" option: "${a.text}"`);
          }
          vmethod = { value: v as IpvsMethod, invert };
          break;
        }
      }
    },
    finish() {
      if (seen.size === 0) fail(tok, 'IPVS: At least one option is required');
      const others = vproto || vaddr || vport || vdir || vmethod || vportctl;
      if (others && ipvs?.invert) fail(tok, '! --ipvs cannot be together with other options');
      return {
        module: 'ipvs',
        ...(ipvs && !others ? { ipvs } : {}),
        ...(vproto ? { vproto } : {}),
        ...(vaddr ? { vaddr } : {}),
        ...(vport ? { vport } : {}),
        ...(vdir ? { vdir } : {}),
        ...(vmethod ? { vmethod } : {}),
        ...(vportctl ? { vportctl } : {}),
      };
    },
  };
}

function dump(m: IpvsMatch, pfx: string): string {
  const b = (i: { invert: boolean }): string => (i.invert ? ' !' : '');
  let s = '';
  if (m.ipvs) s += `${b(m.ipvs)} ${pfx}ipvs`;
  if (m.vproto) s += `${b(m.vproto)} ${pfx}vproto ${m.vproto.value}`;
  if (m.vaddr) {
    const { addr, mask } = m.vaddr.value;
    const len = maskLength(mask);
    const ms = len === 32 ? '' : len >= 0 ? `/${len}` : `/${formatIpv4(mask)}`;
    s += `${b(m.vaddr)} ${pfx}vaddr ${formatIpv4(addr)}${ms}`;
  }
  if (m.vport) s += `${b(m.vport)} ${pfx}vport ${m.vport.value}`;
  if (m.vdir) s += ` ${pfx}vdir ${m.vdir}`;
  if (m.vmethod) s += `${b(m.vmethod)} ${pfx}vmethod ${m.vmethod.value}`;
  if (m.vportctl) s += `${b(m.vportctl)} ${pfx}vportctl ${m.vportctl.value}`;
  return s;
}

export const ipvs: MatchExt<IpvsMatch> = {
  name: 'ipvs',
  parser,
  save: (m) => dump(m, '--'),
  print: (m) => dump(m, ''),
};
