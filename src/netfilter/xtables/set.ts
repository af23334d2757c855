// ipset sets as xt_set evaluates them: a set of addresses, networks, address+port pairs or ports,
// and the test `-m set --match-set NAME src[,dst]` makes against a packet (each direction flag picks
// the packet's source or destination for that dimension of the set, in order). Types simulated:
// hash:ip, hash:net, hash:ip,port, hash:net,port, bitmap:port. Entries are parsed as `ipset save`
// writes them; a bad entry is an error for the caller to place at its line.
import { IPPROTO_TCP, IPPROTO_UDP } from '../../wire/ipv4.ts';
import { parseIpv4, parsePrefix, type Prefix } from '../../wire/addr.ts';
import type { Skb } from '../core/skb.ts';

export const SET_TYPES = ['hash:ip', 'hash:net', 'hash:ip,port', 'hash:net,port', 'bitmap:port'] as const;
export type SetType = (typeof SET_TYPES)[number];

export const isSetType = (t: string): t is SetType => (SET_TYPES as readonly string[]).includes(t);

export class IpSetMatcher {
  /** hash:ip: addresses; hash:ip,port: address * 2^24 + proto << 16 | port (exact numbers). */
  private readonly exact = new Set<number>();
  /** hash:net (and CIDR entries of hash:ip): networks, with the port key for hash:net,port. */
  private readonly nets: { p: Prefix; port: number }[] = [];

  constructor(
    readonly name: string,
    readonly type: SetType,
  ) {}

  /** Adds one entry as `ipset save` writes it; returns why it is not valid for this type. */
  add(entry: string): string | undefined {
    const t = this.type;
    if (t === 'bitmap:port') {
      const port = parsePort(entry.replace(/^(tcp|udp):/, ''));
      if (port < 0) return `"${entry}" is not a port (bitmap:port takes a number 0-65535)`;
      this.exact.add(port);
      return undefined;
    }
    const withPort = t === 'hash:ip,port' || t === 'hash:net,port';
    const [addrPart, portPart] = withPort ? entry.split(',') : [entry, undefined];
    let key = 0;
    if (withPort) {
      const m = /^(?:(tcp|udp):)?(\d+)$/.exec(portPart ?? '');
      const port = m ? parsePort(m[2]!) : -1;
      if (!m || port < 0) return `"${entry}" is not ADDRESS,[tcp:|udp:]PORT (as ${t} takes)`;
      key = ((m[1] === 'udp' ? IPPROTO_UDP : IPPROTO_TCP) << 16) | port;
    }
    if (t.startsWith('hash:ip') && !addrPart!.includes('/')) {
      const a = parseIpv4(addrPart!);
      if (!a.ok) return a.error;
      this.exact.add(withPort ? a.value * 2 ** 24 + key : a.value);
      return undefined;
    }
    const p = parsePrefix(addrPart!);
    if (!p.ok) return p.error;
    this.nets.push({ p: p.value, port: key });
    return undefined;
  }

  /** xt_set's test: the dimensions of the set filled from the packet as `dirs` says. */
  has(skb: Skb, dirs: readonly ('src' | 'dst')[]): boolean {
    const t = this.type;
    const d0 = dirs[0] ?? 'src';
    const d1 = dirs[1] ?? d0;
    if (t === 'bitmap:port') {
      if (skb.proto !== IPPROTO_TCP && skb.proto !== IPPROTO_UDP) return false;
      return this.exact.has(d0 === 'src' ? skb.sport : skb.dport);
    }
    const addr = d0 === 'src' ? skb.src : skb.dst;
    let key = 0;
    if (t === 'hash:ip,port' || t === 'hash:net,port') {
      if (skb.proto !== IPPROTO_TCP && skb.proto !== IPPROTO_UDP) return false;
      key = (skb.proto << 16) | (d1 === 'src' ? skb.sport : skb.dport);
      if (this.exact.has(addr * 2 ** 24 + key)) return true;
    } else if (this.exact.has(addr)) return true;
    for (const n of this.nets) if ((addr & n.p.mask) >>> 0 === n.p.addr && n.port === key) return true;
    return false;
  }
}

function parsePort(s: string): number {
  if (!/^\d{1,5}$/.test(s)) return -1;
  const n = Number(s);
  return n <= 65535 ? n : -1;
}
