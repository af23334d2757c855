// ipset sets as xt_set evaluates them: a set of addresses, networks, address+port pairs or ports,
// and the test `-m set --match-set NAME src[,dst]` makes against a packet (each direction flag picks
// the packet's source or destination for that dimension of the set, in order). Types simulated:
// hash:ip, hash:net, hash:ip,port, hash:net,port, bitmap:port. Entries are parsed as `ipset save`
// writes them; a bad entry is an error for the caller to place at its line. The sets are writable
// from the engine (-j SET, xt_set.c set_target_v3): addSkb/delSkb put the packet's fields in or take
// them out, with per-entry timeouts on the simulation clock (Skb.now, seconds); an entry whose
// timeout has passed is absent to has() (ip_set_timeout_expired) and to a later add.
import { IPPROTO_TCP, IPPROTO_UDP } from '../../wire/ipv4.ts';
import { formatIpv4, parseIpv4, parsePrefix, type Prefix } from '../../wire/addr.ts';
import type { Skb } from '../core/skb.ts';

export const SET_TYPES = ['hash:ip', 'hash:net', 'hash:ip,port', 'hash:net,port', 'bitmap:port'] as const;
export type SetType = (typeof SET_TYPES)[number];

export const isSetType = (t: string): t is SetType => (SET_TYPES as readonly string[]).includes(t);

export class IpSetMatcher {
  /**
   * hash:ip: addresses; hash:ip,port: address * 2^17 + (udp ? 1 : 0) << 16 | port, exact in a
   * double (49 bits; a full protocol byte would need 56 and collide above 2^53).
   */
  private readonly exact = new Set<number>();
  /**
   * hash:net (and CIDR entries of hash:ip): networks, with the port key for hash:net,port, the
   * prefix length and the expiry (seconds on Skb.now's clock; Infinity: permanent).
   */
  private readonly nets: { p: Prefix; port: number; len: number; x: number }[] = [];
  /** Expiry (seconds, Skb.now's clock) of the exact entries that have a timeout; alive while now <= it. */
  private readonly expires = new Map<number, number>();
  /** The set's default timeout in seconds (`create ... timeout N`); 0: the set has no timeouts. */
  timeout = 0;
  /** `create ... skbinfo`: entries carry skbmark/skbmarkmask, skbprio and skbqueue. */
  skbinfo = false;
  /** The skbinfo of the exact entries that have one (others read as zeros). */
  private readonly info = new Map<number, SkbInfo>();

  constructor(
    readonly name: string,
    readonly type: SetType,
  ) {}

  /**
   * The options of `create NAME TYPE [options]` natbox uses: `timeout N` (the set's default entry
   * timeout, seconds). The others ipset save writes (family, hashsize, maxelem, ...) change nothing
   * simulated and are skipped. Returns why an option is bad.
   */
  options(words: readonly string[]): string | undefined {
    if (words.includes('skbinfo')) this.skbinfo = true;
    const k = words.indexOf('timeout');
    if (k < 0) return undefined;
    const n = parseSeconds(words[k + 1]);
    if (n < 0) return `"timeout ${words[k + 1] ?? ''}" is not a number of seconds (0-2147483)`;
    this.timeout = n;
    return undefined;
  }

  /**
   * Adds one entry as `ipset save` writes it (`opts`: the words after it, `timeout N` read when
   * the set has timeouts, at simulation time 0); returns why it is not valid for this type.
   */
  add(entry: string, opts: readonly string[] = []): string | undefined {
    // A nomatch entry (hash:net) turns a match into a miss (and -m set --return-nomatch into a
    // match): not simulated, so refused rather than read as an ordinary entry.
    if (opts.includes('nomatch'))
      return `"nomatch" on "${entry}" is not simulated (natbox's sets hold only matching entries)`;
    const info = this.parseInfo(opts);
    if (typeof info === 'string') return info;
    if (info) {
      const before = this.exact.size;
      const problem = this.add(
        entry,
        opts.filter((w, i) => !isInfoWord(opts, i)),
      );
      if (problem) return problem;
      if (this.exact.size !== before + 1)
        return `skbinfo on "${entry}" is not simulated (natbox keeps it for single entries, not networks)`;
      this.info.set(this.lastKey, info);
      return undefined;
    }
    const k = opts.indexOf('timeout');
    if (k >= 0) {
      if (this.timeout === 0) return `"timeout" on an entry of set "${this.name}", created without timeout`;
      const n = parseSeconds(opts[k + 1]);
      if (n < 0) return `"timeout ${opts[k + 1] ?? ''}" is not a number of seconds (0-2147483)`;
      const before = this.exact.size;
      const netsBefore = this.nets.length;
      const problem = this.addText(entry);
      if (problem) return problem;
      if (this.exact.size === before + 1 && n > 0) this.expires.set(this.lastKey, n);
      if (this.nets.length === netsBefore + 1 && n > 0) this.nets[netsBefore]!.x = n;
      return undefined;
    }
    return this.addText(entry);
  }

  private lastKey = 0;

  /** skbmark V[/M], skbprio MAJ:MIN, skbqueue N of an `add` line; undefined when none. */
  private parseInfo(opts: readonly string[]): SkbInfo | string | undefined {
    let info: SkbInfo | undefined;
    for (let i = 0; i < opts.length; i++) {
      const w = opts[i]!;
      if (w !== 'skbmark' && w !== 'skbprio' && w !== 'skbqueue') continue;
      if (!this.skbinfo) return `"${w}" on an entry of set "${this.name}", created without skbinfo`;
      info ??= { mark: 0, mask: 0, prio: 0, queue: 0 };
      const v = opts[i + 1] ?? '';
      if (w === 'skbmark') {
        const m = /^(0x[0-9a-f]{1,8}|\d{1,10})(?:\/(0x[0-9a-f]{1,8}|\d{1,10}))?$/i.exec(v);
        if (!m || Number(m[1]) > 0xffffffff || Number(m[2] ?? 0) > 0xffffffff)
          return `"skbmark ${v}" is not MARK[/MASK] (32-bit numbers)`;
        info.mark = Number(m[1]);
        info.mask = m[2] === undefined ? 0xffffffff : Number(m[2]);
      } else if (w === 'skbprio') {
        const m = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(v);
        if (!m) return `"skbprio ${v}" is not MAJOR:MINOR (hex, as tc writes a class)`;
        info.prio = ((parseInt(m[1]!, 16) << 16) | parseInt(m[2]!, 16)) >>> 0;
      } else {
        if (!/^\d{1,5}$/.test(v) || Number(v) > 65535)
          return `"skbqueue ${v}" is not a queue number (0-65535)`;
        info.queue = Number(v);
      }
    }
    return info;
  }

  /**
   * -j SET --map-set: the skbinfo of the packet's entry when it is in the set (match_set, then
   * ip_set_get_skbinfo), zeros for an entry without one or a set without skbinfo; undefined when
   * the packet is not in the set. No allocation.
   */
  mapInfo(skb: Skb, dirs: readonly ('src' | 'dst')[]): SkbInfo | undefined {
    if (!this.has(skb, dirs)) return undefined;
    const key = this.keyOf(skb, dirs);
    return (key >= 0 ? this.info.get(key) : undefined) ?? NO_INFO;
  }

  private addText(entry: string): string | undefined {
    const t = this.type;
    if (t === 'bitmap:port') {
      const port = parsePort(entry.replace(/^(tcp|udp):/, ''));
      if (port < 0) return `"${entry}" is not a port (bitmap:port takes a number 0-65535)`;
      this.exact.add(port);
      this.lastKey = port;
      return undefined;
    }
    const withPort = t === 'hash:ip,port' || t === 'hash:net,port';
    const [addrPart, portPart] = withPort ? entry.split(',') : [entry, undefined];
    let key = 0;
    if (withPort) {
      const m = /^(?:(tcp|udp):)?(\d+)$/.exec(portPart ?? '');
      const port = m ? parsePort(m[2]!) : -1;
      if (!m || port < 0) return `"${entry}" is not ADDRESS,[tcp:|udp:]PORT (as ${t} takes)`;
      key = ((m[1] === 'udp' ? 1 : 0) << 16) | port;
    }
    if (t.startsWith('hash:ip') && !addrPart!.includes('/')) {
      const a = parseIpv4(addrPart!);
      if (!a.ok) return a.error;
      this.lastKey = withPort ? a.value * 2 ** 17 + key : a.value;
      this.exact.add(this.lastKey);
      return undefined;
    }
    const p = parsePrefix(addrPart!);
    if (!p.ok) return p.error;
    this.nets.push({ p: p.value, port: key, len: prefixLen(p.value.mask), x: Infinity });
    return undefined;
  }

  /** Whether the exact entry `key` is in the set and its timeout, if any, has not passed at `now`. */
  private live(key: number, now: number): boolean {
    if (!this.exact.has(key)) return false;
    const x = this.expires.get(key);
    return x === undefined || now <= x;
  }

  /**
   * The exact key of the packet's fields for this set (the dimensions from `dirs`, in order), or
   * -1 when the packet has no such fields (a port set and a packet that is not TCP or UDP) or
   * `dirs` names fewer dimensions than the set has (ip_set_add: IPSET_ERR_TYPE_MISMATCH).
   * For hash:net and hash:net,port the address is then masked as kadtLen says.
   */
  private keyOf(skb: Skb, dirs: readonly ('src' | 'dst')[]): number {
    const t = this.type;
    const dim = t === 'hash:ip,port' || t === 'hash:net,port' ? 2 : 1;
    if (dirs.length < dim) return -1;
    const d0 = dirs[0]!;
    if (t === 'bitmap:port' || dim === 2) {
      if (skb.proto !== IPPROTO_TCP && skb.proto !== IPPROTO_UDP) return -1;
      if (t === 'bitmap:port') return d0 === 'src' ? skb.sport : skb.dport;
    }
    const addr = d0 === 'src' ? skb.src : skb.dst;
    if (dim === 1) return addr;
    return (
      addr * 2 ** 17 +
      (((skb.proto === IPPROTO_UDP ? 1 : 0) << 16) | (dirs[1] === 'src' ? skb.sport : skb.dport))
    );
  }

  /**
   * -j SET --add-set: the packet's entry (mtype_add). An entry already there and alive is left as
   * it is unless `exist` (IPSET_FLAG_EXIST), which rewrites its timeout. `timeout` in seconds, -1
   * when the rule gives none (the set's default then); timeouts apply only to a set created with
   * `timeout` (SET_WITH_TIMEOUT), 0 is permanent. Returns whether the set changed.
   */
  addSkb(skb: Skb, dirs: readonly ('src' | 'dst')[], timeout: number, exist: boolean): boolean {
    const key = this.keyOf(skb, dirs);
    if (key < 0) return false;
    if (this.isNet()) {
      const len = this.kadtLen(skb.now);
      const [addr, port] = this.splitKey(key);
      const i = this.netAt(addr, len, port, skb.now);
      if (i >= 0 && !exist) return false;
      const t = this.timeout === 0 ? 0 : timeout < 0 ? this.timeout : timeout;
      const x = t > 0 ? skb.now + t : Infinity;
      if (i >= 0) this.nets[i]!.x = x;
      else {
        const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
        for (let j = this.nets.length - 1; j >= 0; j--) if (skb.now > this.nets[j]!.x) this.nets.splice(j, 1);
        this.nets.push({ p: { addr: (addr & mask) >>> 0, mask }, port, len, x });
      }
      return true;
    }
    if (this.live(key, skb.now) && !exist) return false;
    this.exact.add(key);
    const t = this.timeout === 0 ? 0 : timeout < 0 ? this.timeout : timeout;
    if (t > 0) this.expires.set(key, skb.now + t);
    else this.expires.delete(key);
    return true;
  }

  private isNet(): boolean {
    return this.type === 'hash:net' || this.type === 'hash:net,port';
  }

  /** keyOf's key as [address, port key] (port key 0 for a set without ports). */
  private splitKey(key: number): [number, number] {
    return this.type === 'hash:net,port' ? [Math.floor(key / 2 ** 17), key % 2 ** 17] : [key, 0];
  }

  /** -j SET --del-set: removes the packet's entry (mtype_del); whether one alive was there. */
  delSkb(skb: Skb, dirs: readonly ('src' | 'dst')[]): boolean {
    const key = this.keyOf(skb, dirs);
    if (key < 0) return false;
    if (this.isNet()) {
      const [addr, port] = this.splitKey(key);
      const i = this.netAt(addr, this.kadtLen(skb.now), port, skb.now);
      if (i >= 0) this.nets.splice(i, 1);
      return i >= 0;
    }
    const was = this.live(key, skb.now);
    this.exact.delete(key);
    this.expires.delete(key);
    return was;
  }

  /** xt_set's test: the dimensions of the set filled from the packet as `dirs` says. */
  has(skb: Skb, dirs: readonly ('src' | 'dst')[]): boolean {
    const t = this.type;
    const d0 = dirs[0] ?? 'src';
    const d1 = dirs[1] ?? d0;
    if (t === 'bitmap:port') {
      if (skb.proto !== IPPROTO_TCP && skb.proto !== IPPROTO_UDP) return false;
      return this.live(d0 === 'src' ? skb.sport : skb.dport, skb.now);
    }
    const addr = d0 === 'src' ? skb.src : skb.dst;
    let key = 0;
    if (t === 'hash:ip,port' || t === 'hash:net,port') {
      if (skb.proto !== IPPROTO_TCP && skb.proto !== IPPROTO_UDP) return false;
      key = ((skb.proto === IPPROTO_UDP ? 1 : 0) << 16) | (d1 === 'src' ? skb.sport : skb.dport);
      if (this.live(addr * 2 ** 17 + key, skb.now)) return true;
    } else if (this.live(addr, skb.now)) return true;
    const now = skb.now;
    for (const n of this.nets)
      if ((addr & n.p.mask) >>> 0 === n.p.addr && n.port === key && now <= n.x) return true;
    return false;
  }

  /**
   * The prefix length -j SET adds and deletes a packet's address with in a hash:net or
   * hash:net,port set (hash_net4_kadt, hash_netport4_kadt): `INIT_CIDR(h->nets[0].cidr[0],
   * HOST_MASK)`, the longest prefix among the set's entries (nets[] is kept most specific first),
   * 32 when the set is empty. Entries whose timeout has passed are left out (the kernel drops
   * their prefix when its garbage collection removes them).
   */
  private kadtLen(now: number): number {
    let len = -1;
    for (const n of this.nets) if (now <= n.x && n.len > len) len = n.len;
    return len < 0 ? 32 : len;
  }

  /** The network entry of `addr` at `len` with port key `port`, alive at `now`; its index or -1. */
  private netAt(addr: number, len: number, port: number, now: number): number {
    const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    const a = (addr & mask) >>> 0;
    for (let i = 0; i < this.nets.length; i++) {
      const n = this.nets[i]!;
      if (n.len === len && n.p.addr === a && n.port === port && now <= n.x) return i;
    }
    return -1;
  }

  /**
   * `ipset save`'s `add` lines of the entries alive at `now` (without timeouts), sorted: what a
   * test compares with the kernel's listing.
   */
  entries(now: number): string[] {
    const t = this.type;
    const withPort = t === 'hash:ip,port' || t === 'hash:net,port';
    const port = (k: number) => `${k >> 16 ? 'udp' : 'tcp'}:${k & 0xffff}`;
    const out: string[] = [];
    for (const k of this.exact) {
      if (!this.live(k, now)) continue;
      if (t === 'bitmap:port') out.push(String(k));
      else if (withPort) out.push(`${formatIpv4(Math.floor(k / 2 ** 17))},${port(k % 2 ** 17)}`);
      else out.push(formatIpv4(k));
    }
    for (const n of this.nets) {
      if (now > n.x) continue;
      const a = n.len === 32 ? formatIpv4(n.p.addr) : `${formatIpv4(n.p.addr)}/${n.len}`;
      out.push(withPort ? `${a},${port(n.port)}` : a);
    }
    return out.map((e) => `add ${this.name} ${e}`).sort();
  }
}

/** The length of a contiguous netmask (a non-contiguous one: its number of one bits). */
function prefixLen(mask: number): number {
  let n = 0;
  for (let m = mask >>> 0; m; m = (m << 1) >>> 0) n++;
  return n;
}

/** An entry's skbinfo extension (struct ip_set_skbinfo). */
export interface SkbInfo {
  mark: number;
  mask: number;
  prio: number;
  queue: number;
}

const NO_INFO: SkbInfo = Object.freeze({ mark: 0, mask: 0, prio: 0, queue: 0 });

/** Whether opts[i] is an skbinfo word or its value. */
function isInfoWord(opts: readonly string[], i: number): boolean {
  const w = (k: number) => opts[k] === 'skbmark' || opts[k] === 'skbprio' || opts[k] === 'skbqueue';
  return w(i) || (i > 0 && w(i - 1));
}

/** seconds: ipset's timeout range (0 = permanent up to IPSET_MAX_TIMEOUT 2147483), else -1. */
function parseSeconds(s: string | undefined): number {
  if (s === undefined || !/^\d{1,10}$/.test(s)) return -1;
  const n = Number(s);
  return n <= 2147483 ? n : -1;
}

function parsePort(s: string): number {
  if (!/^\d{1,5}$/.test(s)) return -1;
  const n = Number(s);
  return n <= 65535 ? n : -1;
}
