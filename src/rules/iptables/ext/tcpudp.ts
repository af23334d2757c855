// -m tcp and -m udp (libxt_tcp.c, libxt_udp.c): --sport/--dport ports or ranges, for tcp also
// --tcp-flags / --syn and --tcp-option (read, printed, refused by the engine); loaded implicitly
// by `-p tcp` / `-p udp` when one of their options follows (parse-command.ts).
import type { Token } from '../lex.ts';
import type { Inv, PortRange } from '../model.ts';
import { formatTcpFlags, IPPROTO_TCP, IPPROTO_UDP, TCP_FLAGS } from '../names.ts';
import { fail, once, opt, parsePortRange, type ModuleParser } from '../parse-util.ts';
import { bang, numRange, type MatchExt } from './ext.ts';

export interface TcpMatch {
  readonly module: 'tcp';
  readonly sport?: Inv<PortRange>;
  readonly dport?: Inv<PortRange>;
  /** --tcp-flags mask comp (and --syn, which is SYN,RST,ACK,FIN SYN). */
  readonly flags?: Inv<{ readonly mask: number; readonly comp: number }>;
  readonly option?: Inv<number>;
}

export interface UdpMatch {
  readonly module: 'udp';
  readonly sport?: Inv<PortRange>;
  readonly dport?: Inv<PortRange>;
}

function parseTcpFlags(tok: Token): number {
  let v = 0;
  for (const part of tok.text.split(',')) {
    const up = part.toUpperCase();
    if (up === 'ALL') v |= 0x3f;
    else if (up === 'NONE') continue;
    else {
      const f = TCP_FLAGS.find(([n]) => n === up);
      if (!f) fail(tok, `unknown TCP flag "${part}" (expected SYN, ACK, FIN, RST, URG, PSH, ALL or NONE)`);
      v |= f![1];
    }
  }
  return v;
}

function parser(name: 'tcp' | 'udp', tok: Token): ModuleParser {
  let sport: Inv<PortRange> | undefined;
  let dport: Inv<PortRange> | undefined;
  let flags: Inv<{ mask: number; comp: number }> | undefined;
  let option: Inv<number> | undefined;
  const opts = [
    opt('source-port', 1, true, 'sport'),
    opt('sport', 1, true),
    opt('destination-port', 1, true, 'dport'),
    opt('dport', 1, true),
  ];
  if (name === 'tcp') opts.push(opt('syn', 0, true), opt('tcp-flags', 2, true), opt('tcp-option', 1, true));
  return {
    name,
    tok,
    opts,
    option(id, args, invert, optTok) {
      switch (id) {
        case 'sport':
          once(sport, optTok, 'source-port');
          sport = { value: parsePortRange(args[0]!), invert };
          break;
        case 'dport':
          once(dport, optTok, 'destination-port');
          dport = { value: parsePortRange(args[0]!), invert };
          break;
        case 'syn':
          once(flags, optTok, 'tcp-flags');
          flags = { value: { mask: 0x17, comp: 0x02 }, invert };
          break;
        case 'tcp-flags':
          once(flags, optTok, 'tcp-flags');
          flags = { value: { mask: parseTcpFlags(args[0]!), comp: parseTcpFlags(args[1]!) }, invert };
          break;
        case 'tcp-option': {
          once(option, optTok, 'tcp-option');
          const t = args[0]!;
          if (!/^\d+$/.test(t.text) || Number(t.text) < 1 || Number(t.text) > 255) {
            fail(t, `bad TCP option "${t.text}" (expected 1-255)`);
          }
          option = { value: Number(t.text), invert };
          break;
        }
      }
    },
    finish(ctx) {
      // libxt_tcp/udp check the protocol number only: `! -p udp -m udp` is accepted (nf_tables).
      if (ctx.protocol?.value !== (name === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP)) {
        fail(tok, `match "${name}" requires "-p ${name}" before it`);
      }
      const full = (p: Inv<PortRange> | undefined): boolean =>
        p !== undefined && !p.invert && p.value.min === 0 && p.value.max === 65535;
      if (full(sport)) sport = undefined; // iptables-save prints nothing for 0:65535
      if (full(dport)) dport = undefined;
      const m: { -readonly [K in keyof TcpMatch]: TcpMatch[K] } = { module: name as 'tcp' };
      if (sport) m.sport = sport;
      if (dport) m.dport = dport;
      if (flags) m.flags = flags;
      if (option) m.option = option;
      return m as TcpMatch | UdpMatch;
    },
  };
}

function save(m: TcpMatch | UdpMatch): string {
  let s = '';
  if (m.sport) s += `${bang(m.sport.invert)} --sport ${numRange(m.sport.value)}`;
  if (m.dport) s += `${bang(m.dport.invert)} --dport ${numRange(m.dport.value)}`;
  if (m.module === 'tcp') {
    if (m.option) s += `${bang(m.option.invert)} --tcp-option ${m.option.value}`;
    if (m.flags) {
      const f = m.flags.value;
      s += `${bang(m.flags.invert)} --tcp-flags ${formatTcpFlags(f.mask)} ${formatTcpFlags(f.comp)}`;
    }
  }
  return s;
}

function ports(name: string, p: Inv<PortRange> | undefined): string {
  if (!p) return '';
  const i = p.invert ? '!' : '';
  return p.value.min === p.value.max
    ? ` ${name}:${i}${p.value.min}`
    : ` ${name}s:${i}${p.value.min}:${p.value.max}`;
}

function print(m: TcpMatch | UdpMatch): string {
  let s = ` ${m.module}${ports('spt', m.sport)}${ports('dpt', m.dport)}`;
  if (m.module === 'tcp') {
    if (m.option) s += ` option=${m.option.invert ? '!' : ''}${m.option.value}`;
    if (m.flags) {
      const f = m.flags.value;
      const X = (n: number): string => `0x${n.toString(16).toUpperCase().padStart(2, '0')}`;
      s += ` flags:${m.flags.invert ? '!' : ''}${X(f.mask)}/${X(f.comp)}`;
    }
  }
  return s;
}

export const tcp: MatchExt<TcpMatch> = { name: 'tcp', parser: (t) => parser('tcp', t), save, print };
export const udp: MatchExt<UdpMatch> = { name: 'udp', parser: (t) => parser('udp', t), save, print };
