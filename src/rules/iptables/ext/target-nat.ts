// -j DNAT, SNAT (libxt_NAT.c), MASQUERADE (libxt_MASQUERADE.c) and REDIRECT (libxt_REDIRECT.c):
// the NAT targets, read as nf_nat_range2 (parse_to() for --to-destination/--to-source,
// --to-ports), printed as iptables-nft prints them back.
import { formatIpv4, parseIpv4 } from '../../../wire/addr.ts';
import { IPV6_NOT_SIMULATED, looksLikeIpv6 } from '../../diagnostics.ts';
import type { Token } from '../lex.ts';
import type { NatFlags, NatRange, PortRange } from '../model.ts';
import { IPPROTO_ICMP } from '../names.ts';
import { fail, opt, type TargetParser } from '../parse-util.ts';
import { at, type TargetExt } from './target-ext.ts';

export interface DnatTarget {
  readonly kind: 'DNAT';
  readonly ranges: readonly NatRange[];
  readonly flags: NatFlags;
}
export interface SnatTarget {
  readonly kind: 'SNAT';
  readonly ranges: readonly NatRange[];
  readonly flags: NatFlags;
}
export interface MasqueradeTarget {
  readonly kind: 'MASQUERADE';
  readonly ports?: PortRange;
  readonly flags: NatFlags;
}
export interface RedirectTarget {
  readonly kind: 'REDIRECT';
  readonly ports?: PortRange;
  readonly flags: NatFlags;
}

/** A NAT range: [a.b.c.d[-e.f.g.h]][:port[-port]] (parse_to() in libxt_NAT.c). */
function parseNatRange(tok: Token, opt: string): NatRange {
  const t = tok.text;
  const colon = t.indexOf(':');
  const addrText = colon < 0 ? t : t.slice(0, colon);
  let minAddr = 0;
  let maxAddr = 0;
  let minPort = 0;
  let maxPort = 0;
  let basePort: number | undefined;
  const hasAddr = addrText !== '';
  if (hasAddr) {
    const [a, b, ...rest] = addrText.split('-');
    const x = parseIpv4(a!);
    const y = b === undefined ? x : parseIpv4(b);
    if (looksLikeIpv6(t)) fail(tok, `"${t}" in ${opt} is an IPv6 address; ${IPV6_NOT_SIMULATED}`);
    if (!x.ok || !y.ok || rest.length)
      fail(tok, `bad IP address "${addrText}" in ${opt} (expected a.b.c.d or a.b.c.d-e.f.g.h)`);
    minAddr = (x as { value: number }).value;
    maxAddr = (y as { value: number }).value;
  }
  const hasPorts = colon >= 0;
  if (hasPorts) {
    const p = t.slice(colon + 1);
    const m = /^(\d+)(?:-(\d+))?(?:\/(\d+))?$/.exec(p);
    if (!m) fail(tok, `bad port "${p}" in ${opt} (expected port, port-port or port-port/base)`);
    minPort = Number(m![1]);
    maxPort = m![2] === undefined ? minPort : Number(m![2]);
    if (minPort > 65535 || maxPort > 65535) fail(tok, `bad port "${p}" in ${opt} (ports are 0-65535)`);
    if (maxPort < minPort) fail(tok, `bad port range "${p}" in ${opt} (min > max)`);
    if (m![3] !== undefined) {
      if (m![2] === undefined)
        fail(tok, `a base port ("/${m![3]}") needs a port range in ${opt} (min-max/base)`);
      basePort = Number(m![3]);
      if (basePort < 1 || basePort > 65535) fail(tok, `bad base port "${m![3]}" in ${opt} (1-65535)`);
    }
  }
  if (!hasAddr && !hasPorts) fail(tok, `empty range for ${opt} (expected an address, a port or both)`);
  const r = { minAddr, maxAddr, minPort, maxPort, hasAddr, hasPorts };
  return basePort === undefined ? r : { ...r, basePort };
}

/** --to-ports of MASQUERADE/REDIRECT: port[-port]. */
function parseToPorts(tok: Token): PortRange {
  const t = tok.text;
  if (/^\d+:\d+$/.test(t)) fail(tok, `invalid port range "${t}" for --to-ports (use a dash: min-max)`);
  const m = /^(\d+)(?:-(\d+))?$/.exec(t);
  if (!m) fail(tok, `bad port "${t}" for --to-ports (expected port or port-port)`);
  const min = Number(m![1]);
  const max = m![2] === undefined ? min : Number(m![2]);
  if (min > 65535 || max > 65535) fail(tok, `bad port "${t}" for --to-ports (ports are 0-65535)`);
  if (max < min) fail(tok, `bad port range "${t}" for --to-ports (min > max)`);
  return { min, max };
}

/** Protocols whose ports a NAT range may set (libxt_NAT.c, libxt_MASQUERADE.c). */
const NAT_PORT_PROTOS = new Set([6, 17, 33, 132, 136, IPPROTO_ICMP]);

function natParser(kind: 'DNAT' | 'SNAT', tok: Token): TargetParser {
  const toOpt = kind === 'DNAT' ? 'to-destination' : 'to-source';
  let range: NatRange | undefined;
  let rangeTok: Token | undefined;
  const flags = { random: false, randomFully: false, persistent: false };
  const opts = [opt(toOpt, 1, false), opt('random', 0, false), opt('persistent', 0, false)];
  if (kind === 'SNAT') opts.push(opt('random-fully', 0, false));
  return {
    name: kind,
    tok,
    opts,
    option(id, args, _invert, optTok) {
      if (id === toOpt) {
        if (range) fail(optTok, `${kind}: "--${toOpt}" can be given only once`);
        rangeTok = args[0]!;
        range = parseNatRange(rangeTok, `--${toOpt}`);
      } else if (id === 'random') flags.random = true;
      else if (id === 'random-fully') flags.randomFully = true;
      else flags.persistent = true;
    },
    finish(ctx) {
      if (!range) fail(tok, `target ${kind} needs "--${toOpt}"`);
      if (
        range!.hasPorts &&
        !(ctx.protocol && !ctx.protocol.invert && NAT_PORT_PROTOS.has(ctx.protocol.value))
      ) {
        fail(rangeTok!, `${kind} with a port needs "-p tcp", "-p udp", "-p sctp", "-p dccp" or "-p icmp"`);
      }
      return { kind, ranges: [range!], flags: { ...flags } as NatFlags };
    },
  };
}

function portsParser(kind: 'MASQUERADE' | 'REDIRECT', tok: Token): TargetParser {
  let ports: PortRange | undefined;
  let portsTok: Token | undefined;
  const flags = { random: false, randomFully: false, persistent: false };
  const opts = [opt('to-ports', 1, false), opt('random', 0, false)];
  if (kind === 'MASQUERADE') opts.push(opt('random-fully', 0, false));
  return {
    name: kind,
    tok,
    opts,
    option(id, args, _invert, optTok) {
      if (id === 'to-ports') {
        if (ports) fail(optTok, `${kind}: "--to-ports" can be given only once`);
        portsTok = args[0]!;
        ports = parseToPorts(portsTok);
      } else if (id === 'random') flags.random = true;
      else flags.randomFully = true;
    },
    finish(ctx) {
      if (ports && !(ctx.protocol && !ctx.protocol.invert && NAT_PORT_PROTOS.has(ctx.protocol.value))) {
        fail(portsTok!, `${kind} --to-ports needs "-p tcp", "-p udp", "-p sctp" or "-p dccp"`);
      }
      return ports ? { kind, ports, flags: { ...flags } } : { kind, flags: { ...flags } };
    },
  };
}

const saveFlags = (f: NatFlags): string =>
  `${f.random ? ' --random' : ''}${f.randomFully ? ' --random-fully' : ''}${f.persistent ? ' --persistent' : ''}`;
const printFlags = (f: NatFlags): string =>
  `${f.random ? ' random' : ''}${f.randomFully ? ' random-fully' : ''}${f.persistent ? ' persistent' : ''}`;
const portText = (r: PortRange): string => (r.min === r.max ? `${r.min}` : `${r.min}-${r.max}`);

/** One range as both forms write it; iptables-nft keeps DNAT's base port, SNAT's comes back as 0. */
function rangeText(kind: 'DNAT' | 'SNAT', r: NatRange): string {
  let s = '';
  if (r.hasAddr) s += formatIpv4(r.minAddr) + (r.maxAddr !== r.minAddr ? `-${formatIpv4(r.maxAddr)}` : '');
  if (r.hasPorts) s += `:${r.minPort}${r.maxPort !== r.minPort ? `-${r.maxPort}` : ''}`;
  if (r.basePort !== undefined) s += `/${kind === 'DNAT' ? r.basePort : 0}`;
  return s;
}

function natExt<T extends DnatTarget | SnatTarget>(kind: T['kind']): TargetExt<T> {
  const toOpt = kind === 'DNAT' ? '--to-destination' : '--to-source';
  return {
    name: kind,
    placement: at(['nat'], kind === 'DNAT' ? ['PREROUTING', 'OUTPUT'] : ['POSTROUTING', 'INPUT']),
    parser: (tok) => natParser(kind, tok),
    save: (t) => `${t.ranges.map((r) => ` ${toOpt} ${rangeText(kind, r)}`).join('')}${saveFlags(t.flags)}`,
    print: (t) => `${t.ranges.map((r) => ` to:${rangeText(kind, r)}`).join('')}${printFlags(t.flags)}`,
  };
}

export const DNAT = natExt<DnatTarget>('DNAT');
export const SNAT = natExt<SnatTarget>('SNAT');

export const MASQUERADE: TargetExt<MasqueradeTarget> = {
  name: 'MASQUERADE',
  placement: at(['nat'], ['POSTROUTING']),
  parser: (tok) => portsParser('MASQUERADE', tok),
  save: (t) => `${t.ports ? ` --to-ports ${portText(t.ports)}` : ''}${saveFlags(t.flags)}`,
  print: (t) => `${t.ports ? ` masq ports: ${portText(t.ports)}` : ''}${printFlags(t.flags)}`,
};

export const REDIRECT: TargetExt<RedirectTarget> = {
  name: 'REDIRECT',
  placement: at(['nat'], ['PREROUTING', 'OUTPUT']),
  parser: (tok) => portsParser('REDIRECT', tok),
  save: (t) => `${t.ports ? ` --to-ports ${portText(t.ports)}` : ''}${saveFlags(t.flags)}`,
  print: (t) => `${t.ports ? ` redir ports ${portText(t.ports)}` : ''}${printFlags(t.flags)}`,
};
