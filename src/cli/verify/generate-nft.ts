// The differential generator's nftables rules (issues 15 and 16, docs/generator.md): a router whose
// rules are drawn as nft writes them in one `table ip gen` of base chains at the standard hooks and
// priorities (nat at dstnat/srcnat, filter at filter, mangle and raw, and a second forward chain at
// another priority), with the iptables families' rules written as nft statements and families only
// nft has: named and anonymous sets, maps (dnat/snat to ... map), verdict maps, concatenations,
// numgen, `fib daddr type local`, `ct status dnat`, counters. The ruleset is a small structure
// (GenNft) so that the shrinker removes one rule, one set element or one policy at a time.
import type { Rng, RouterView } from './gen-rng.ts';

/** One nft rule; `@@` in its text is an anonymous set or map of `elems` (shrunk one at a time). */
export interface GenNftRule {
  text: string;
  elems?: string[];
}

export interface GenNftChain {
  name: string;
  /** `type nat hook prerouting priority dstnat` (a regular chain, for jump/goto, when absent). */
  base?: string;
  policy?: 'drop';
  rules: GenNftRule[];
}

/** A named set or map: `type ...` (with `: ...` for a map), flags, elements. */
export interface GenNftSet {
  kind: 'set' | 'map';
  name: string;
  type: string;
  flags?: string;
  elems: string[];
}

export interface GenNft {
  sets: GenNftSet[];
  chains: GenNftChain[];
}

/** What an nft family knows of the router. */
export type NftRouter = Pick<RouterView, 'wan' | 'wanAddrs' | 'lan' | 'lanAddr' | 'lanNet' | 'nas'>;

/** The table every drawn ruleset is in (iptables-nft's tables are `ip nat`, `ip filter`, ...). */
export const NFT_TABLE = 'gen';

/** The base chains a family writes to, by name. */
const BASES: Record<string, string> = {
  pre_nat: 'type nat hook prerouting priority dstnat',
  post_nat: 'type nat hook postrouting priority srcnat',
  pre_raw: 'type filter hook prerouting priority raw',
  pre_mangle: 'type filter hook prerouting priority mangle',
  forward: 'type filter hook forward priority filter',
  forward_late: 'type filter hook forward priority filter + 10',
  post_filter: 'type filter hook postrouting priority filter',
  input: 'type filter hook input priority filter',
  output: 'type filter hook output priority filter',
};

/** The rules of chain `name` (created, base or regular, on first use). */
export function nftChain(n: GenNft, name: string, policy?: 'drop'): GenNftRule[] {
  let c = n.chains.find((x) => x.name === name);
  if (!c) {
    c = { name, ...(BASES[name] ? { base: BASES[name] } : {}), rules: [] };
    n.chains.push(c);
  }
  if (policy) c.policy = policy;
  return c.rules;
}

const add = (n: GenNft, chain: string, text: string, elems?: string[]): void => {
  const rules = nftChain(n, chain);
  if (!rules.some((r) => r.text === text && String(r.elems) === String(elems)))
    rules.push({ text, ...(elems ? { elems } : {}) });
};

const set = (n: GenNft, s: GenNftSet): void => {
  if (!n.sets.some((x) => x.name === s.name)) n.sets.push(s);
};

/** An nft rule family: rules added to `n` for one router (false: no place for it). */
export type NftFamily = (rng: Rng, r: NftRouter, n: GenNft) => boolean;

const q = (dev: string): string => `"${dev}"`;
const l4 = (rng: Rng, ps: readonly string[]): string => {
  const p = rng.pick(ps);
  return p ? `meta l4proto ${p} ` : '';
};
/** A NAT port (one, or the wide range: numbers are compared literally, docs/generator.md). */
const natPort = (rng: Rng): string => rng.pick(['', '', ':40000', ':20000-60000']);
const natFlags = (rng: Rng, persistent: boolean): string =>
  rng.pick(['', '', '', ' random', ' fully-random', ...(persistent ? [' persistent'] : [])]);
const counter = (rng: Rng): string => (rng.chance(0.3) ? 'counter ' : '');

/** The iptables NAT families (generate.ts NAT_FAMILIES) as nft statements. */
export const NFT_NAT_FAMILIES: Record<string, NftFamily> = {
  masquerade: (rng, r, n) => {
    const p = l4(rng, ['', '', 'tcp', 'udp', 'sctp']);
    const s = rng.pick(['', `ip saddr ${r.lanNet}.0/24 `]);
    const to = p ? rng.pick(['', '', ' to :40000', ' to :20000-60000']) : '';
    add(n, 'post_nat', `oifname ${q(r.wan)} ${s}${p}${counter(rng)}masquerade${to}${natFlags(rng, true)}`);
    return true;
  },
  snat: (rng, r, n) => {
    const p = l4(rng, ['', 'tcp', 'udp']);
    const to =
      r.wanAddrs.length > 1 && rng.chance(0.5) ? `${r.wanAddrs[0]}-${r.wanAddrs[1]}` : rng.pick(r.wanAddrs);
    add(n, 'post_nat', `oifname ${q(r.wan)} ${p}snat to ${to}${p ? natPort(rng) : ''}${natFlags(rng, true)}`);
    return true;
  },
  dnat: (rng, r, n) => {
    if (!r.nas) return false;
    const d = rng.pick(['', `ip daddr ${r.wanAddrs[0]} `]);
    const f = rng.pick(['tcp', 'tcp', 'udp', 'icmp', 'set']);
    const pre = `iifname ${q(r.wan)} ${d}`;
    if (f === 'icmp') add(n, 'pre_nat', `${pre}meta l4proto icmp dnat to ${r.nas}`);
    else if (f === 'set')
      add(n, 'pre_nat', `${pre}tcp dport @@ dnat to ${r.nas}${rng.pick(['', ':80'])}`, ['8080', '8081']);
    else {
      const port = f === 'tcp' ? rng.pick(['', ':80', ':8080']) : '';
      add(
        n,
        'pre_nat',
        `${pre}${f} dport ${f === 'tcp' ? 8080 : 5000} ${counter(rng)}dnat to ${r.nas}${port}${rng.pick(['', '', ' persistent'])}`,
      );
    }
    return true;
  },
  dnatRange: (rng, r, n) => {
    if (!r.nas || Number(r.nas.split('.')[3]) < 12) return false;
    const p = rng.pick(['tcp', 'udp']);
    add(
      n,
      'pre_nat',
      `iifname ${q(r.wan)} ${p} dport ${p === 'tcp' ? 8080 : 5000} dnat to ${r.lanNet}.11-${r.nas}${rng.pick(['', ' persistent', ' random'])}`,
    );
    return true;
  },
  redirect: (rng, r, n) => {
    if (rng.chance(0.5)) add(n, 'pre_nat', `iifname ${q(r.lan)} tcp dport 80 redirect to :8080`);
    else add(n, 'pre_nat', `iifname ${q(r.lan)} udp dport 5000 redirect to :5353`);
    return true;
  },
  hairpin: (rng, r, n) => {
    if (!r.nas) return false;
    if (rng.chance(0.5))
      add(n, 'post_nat', `oifname ${q(r.lan)} ip saddr ${r.lanNet}.0/24 ip daddr ${r.nas} masquerade`);
    else add(n, 'post_nat', `oifname ${q(r.lan)} ct status dnat snat to ${r.lanAddr}`);
    return true;
  },
};

/** NAT only nft writes: maps, concatenations, numgen, fib. */
export const NFT_ONLY_NAT_FAMILIES: Record<string, NftFamily> = {
  /** `dnat to tcp dport map { ... }`, anonymous or named, or keyed by `ip daddr . tcp dport`. */
  dnatMap: (rng, r, n) => {
    if (!r.nas) return false;
    const other = `${r.lanNet}.11`;
    const how = rng.pick(['anon', 'named', 'concat']);
    if (how === 'anon')
      add(n, 'pre_nat', `iifname ${q(r.wan)} dnat to tcp dport map @@`, [
        `8080 : ${r.nas}`,
        `8081 : ${other}`,
      ]);
    else if (how === 'named') {
      set(n, {
        kind: 'map',
        name: 'fwd_ports',
        type: 'inet_service : ipv4_addr',
        elems: [`8080 : ${r.nas}`, `8081 : ${other}`],
      });
      add(n, 'pre_nat', `iifname ${q(r.wan)} dnat to tcp dport map @fwd_ports`);
    } else
      add(n, 'pre_nat', `iifname ${q(r.wan)} meta l4proto tcp dnat ip to ip daddr . tcp dport map @@`, [
        `${r.wanAddrs[0]} . 8080 : ${r.nas} . 80`,
        `${r.wanAddrs[0]} . 8081 : ${r.nas} . 8080`,
      ]);
    return true;
  },
  /** `snat to ip saddr map { host : public address }` (an unmapped source is not NATed). */
  snatMap: (rng, r, n) => {
    const elems = [11, 12, 13].map((h, i) => `${r.lanNet}.${h} : ${r.wanAddrs[i % r.wanAddrs.length]}`);
    if (rng.chance(0.5)) add(n, 'post_nat', `oifname ${q(r.wan)} snat to ip saddr map @@`, elems);
    else {
      set(n, {
        kind: 'map',
        name: 'src_nat',
        type: 'ipv4_addr : ipv4_addr',
        flags: 'interval',
        elems: [`${r.lanNet}.0/24 : ${r.wanAddrs[0]}`],
      });
      add(n, 'post_nat', `oifname ${q(r.wan)} snat to ip saddr map @src_nat`);
    }
    return true;
  },
  /** Round robin: `dnat to numgen inc mod 2 map`, or `numgen inc mod 2 vmap` to regular chains. */
  numgen: (rng, r, n) => {
    if (!r.nas) return false;
    const other = `${r.lanNet}.11`;
    if (rng.chance(0.5))
      add(n, 'pre_nat', `iifname ${q(r.wan)} tcp dport 8080 dnat to numgen inc mod 2 map @@`, [
        `0 : ${other}`,
        `1 : ${r.nas}`,
      ]);
    else {
      add(n, 'pre_nat', `iifname ${q(r.wan)} udp dport 5000 numgen inc mod 2 vmap @@`, [
        '0 : jump ep0',
        '1 : jump ep1',
      ]);
      add(n, 'ep0', `meta l4proto udp dnat to ${other}`);
      add(n, 'ep1', `meta l4proto udp dnat to ${r.nas}`);
    }
    return true;
  },
  /** Docker's way: DNAT what is addressed to one of the router's own addresses. */
  fib: (rng, r, n) => {
    if (!r.nas) return false;
    add(n, 'pre_nat', `fib daddr type local tcp dport ${rng.pick([8080, 8081])} dnat to ${r.nas}:80`);
    return true;
  },
};

const REJECT_WITH = [
  '',
  ' with icmp type host-unreachable',
  ' with icmp type net-unreachable',
  ' with icmp type admin-prohibited',
  ' with icmp type host-prohibited',
  ' with icmp type prot-unreachable',
];

/** The iptables filter families (generate.ts FILTER_FAMILIES) as nft statements. */
export const NFT_FILTER_FAMILIES: Record<string, NftFamily> = {
  stateful: (rng, r, n) => {
    nftChain(n, 'forward', 'drop');
    add(n, 'forward', 'ct state established,related accept');
    if (rng.chance(0.5)) add(n, 'forward', 'ct state invalid drop');
    add(
      n,
      'forward',
      rng.pick([
        `iifname ${q(r.lan)} oifname ${q(r.wan)} accept`,
        `iifname ${q(r.lan)} ct state new accept`,
        'ct status dnat accept',
      ]),
    );
    return true;
  },
  reject: (rng, _r, n) => {
    const w = rng.pick(REJECT_WITH);
    const [chain, text, elems] = rng.pick<[string, string, string[]?]>([
      ['forward', 'tcp dport @@ reject with tcp reset', ['80', '443']],
      ['forward', `udp dport 5000 reject${w}`],
      ['forward', `meta l4proto icmp reject${w}`],
      ['forward', `tcp dport 81 reject${w}`],
      ['input', 'tcp dport 8080 reject with tcp reset'],
      ['input', `meta l4proto udp reject${w}`],
    ]);
    add(n, chain, text, elems);
    return true;
  },
  drop: (rng, r, n) => {
    const [chain, text, elems] = rng.pick<[string, string, string[]?]>([
      ['forward', 'udp dport 5353 drop'],
      ['forward', `iifname ${q(r.wan)} tcp flags & (fin|syn|rst|ack) == syn drop`],
      ['forward', 'tcp sport @@ drop', ['40000', '40001']],
      ['input', 'meta l4proto icmp drop'],
      ['output', 'icmp type destination-unreachable drop'],
    ]);
    add(n, chain, text, elems);
    return true;
  },
  log: (rng, _r, n) => {
    if (rng.chance(0.5)) add(n, 'forward', 'log prefix "fwd "');
    else add(n, 'input', 'ct state new log');
    return true;
  },
  limit: (rng, _r, n) => {
    const p = rng.pick(['icmp', 'udp']);
    add(
      n,
      'forward',
      `meta l4proto ${p} limit rate ${rng.pick(['1/second', '2/minute'])} burst ${rng.pick([1, 2])} packets accept`,
    );
    add(n, 'forward', `meta l4proto ${p} drop`);
    return true;
  },
  mark: (rng, r, n) => {
    add(
      n,
      'pre_mangle',
      `iifname ${q(r.lan)} meta l4proto ${rng.pick(['udp', 'tcp', 'icmp'])} meta mark set 0x1`,
    );
    add(n, 'forward', rng.pick(['meta mark 0x1 drop', 'meta mark != 0x1 meta l4proto udp reject']));
    return true;
  },
  connmark: (rng, r, n) => {
    add(n, 'pre_mangle', `iifname ${q(r.wan)} ct state new ct mark set 0x2`);
    add(n, 'pre_mangle', 'meta mark set ct mark');
    add(n, 'forward', rng.pick(['meta mark 0x2 drop', 'ct mark 0x2 meta l4proto tcp reject with tcp reset']));
    return true;
  },
  notrack: (rng, _r, n) => {
    add(n, 'pre_raw', `meta l4proto ${rng.pick(['udp', 'icmp'])} notrack`);
    return true;
  },
  zone: (rng, r, n) => {
    const z = rng.pick([1, 2]);
    add(n, 'pre_raw', rng.pick([`ct zone set ${z}`, `iifname ${q(r.lan)} ct zone set ${z}`]));
    return true;
  },
};

/** Filtering only nft writes: sets, concatenations, verdict maps, two base chains on one hook. */
export const NFT_ONLY_FILTER_FAMILIES: Record<string, NftFamily> = {
  /** A named set of servers (plain or interval), dropped or rejected in forward. */
  namedSet: (rng, _r, n) => {
    if (rng.chance(0.5)) {
      set(n, { kind: 'set', name: 'blocked', type: 'ipv4_addr', elems: ['203.0.113.10', '203.0.113.99'] });
      add(n, 'forward', `ip daddr @blocked ${counter(rng)}${rng.pick(['drop', 'reject'])}`);
    } else {
      set(n, {
        kind: 'set',
        name: 'blocked_nets',
        type: 'ipv4_addr',
        flags: 'interval',
        elems: ['203.0.113.8/31', '203.0.113.64-203.0.113.70'],
      });
      add(n, 'forward', `ip daddr @blocked_nets meta l4proto ${rng.pick(['udp', 'icmp'])} counter drop`);
    }
    return true;
  },
  /** A concatenation `ip daddr . tcp dport` in a named or anonymous set. */
  concat: (rng, _r, n) => {
    const elems = ['203.0.113.10 . 80', '203.0.113.11 . 443', '203.0.113.10 . 8080'];
    if (rng.chance(0.5)) add(n, 'forward', 'ip daddr . tcp dport @@ reject with tcp reset', elems);
    else {
      set(n, { kind: 'set', name: 'pairs', type: 'ipv4_addr . inet_service', elems });
      add(n, 'forward', 'ip daddr . tcp dport @pairs drop');
    }
    return true;
  },
  /** A verdict map on the destination port, with a jump to a regular chain. */
  vmap: (rng, _r, n) => {
    if (rng.chance(0.5)) {
      add(n, 'forward', 'tcp dport vmap @@', ['80 : accept', '81 : drop', '443 : jump rej']);
      add(n, 'rej', 'reject with tcp reset');
    } else {
      add(n, 'forward', 'meta l4proto vmap @@', ['udp : jump udp_in', 'icmp : accept']);
      add(n, 'udp_in', rng.pick(['udp dport 5000 drop', 'udp dport 5353 reject']));
    }
    return true;
  },
  /** A second forward chain at a later priority: its drop wins over the first chain's accept. */
  priority: (rng, _r, n) => {
    const p = rng.pick(['udp dport 5000', 'tcp dport 81', 'meta l4proto icmp']);
    add(n, 'forward', `${p} accept`);
    add(n, 'forward_late', `${p} ${rng.pick(['drop', 'reject'])}`);
    return true;
  },
  /**
   * nft's synproxy statement as the kernel selftest nft_synproxy.sh writes it: the LAN's SYNs
   * `notrack` at raw priority, `ct state invalid,untracked synproxy ...` in forward, then `ct state
   * invalid drop` (without tcp_loose 0: the client's ACK may be picked up mid-stream instead).
   */
  synproxy: (rng, r, n) => {
    const dport = rng.pick(['', ' tcp dport 80', ' tcp dport 443']);
    const opts = rng.pick([' sack-perm timestamp wscale 7', ' sack-perm timestamp', ' wscale 7', '']);
    add(n, 'pre_raw', `iifname ${q(r.lan)}${dport} tcp flags syn notrack`);
    add(
      n,
      'forward',
      `iifname ${q(r.lan)} meta l4proto tcp${dport} ct state invalid,untracked synproxy mss 1460${opts}`,
    );
    add(n, 'forward', `iifname ${q(r.lan)} ct state invalid drop`);
    return true;
  },
  /** The reverse-path check nft's way (`fib saddr . iif oif missing`: xt_rpfilter's strict test). */
  rpfib: (rng, r, n) => {
    const iif = rng.pick(['', `iifname ${q(r.wan)} `, `iifname ${q(r.lan)} `]);
    add(n, rng.pick(['pre_raw', 'pre_mangle']), `${iif}fib saddr . iif oif missing ${counter(rng)}drop`);
    return true;
  },
};

/**
 * Session 19's nft family (generate.ts lateExtras), drawn after everything else: a dynamic set
 * the router fills from the packet path (nft_dynset), the nft side of the `ipset` feature's
 * `-j SET --add-set seen src`: `add @seen { ip saddr }` after a drop of what it holds, `update`
 * with a timeout of the element's own, a concatenation of source and destination, or a per-source
 * rate limit kept in the element (`update @rl { ip saddr limit rate over 1/second burst 1 packets }
 * drop`, the usual ICMP flood guard).
 */
export const NFT_LATE_FAMILIES: Record<string, NftFamily> = {
  dynset: (rng, r, n) => {
    const lan = `iifname ${q(r.lan)}`;
    const v = rng.pick(['add', 'update', 'concat', 'limit'] as const);
    const dyn = 'dynamic,timeout; timeout 60s';
    if (v === 'limit') {
      set(n, { kind: 'set', name: 'rl', type: 'ipv4_addr', flags: 'dynamic', elems: [] });
      const p = rng.pick(['icmp', 'icmp', 'udp']);
      add(
        n,
        'forward',
        `${lan} meta l4proto ${p} update @rl { ip saddr limit rate over 1/second burst 1 packets } ${counter(rng)}drop`,
      );
    } else if (v === 'concat') {
      set(n, { kind: 'set', name: 'pairs_seen', type: 'ipv4_addr . ipv4_addr', flags: dyn, elems: [] });
      add(
        n,
        'forward',
        `${lan} ip saddr . ip daddr @pairs_seen meta l4proto ${rng.pick(['udp', 'tcp', 'icmp'])} ${counter(rng)}drop`,
      );
      add(n, 'forward', `${lan} ct state new add @pairs_seen { ip saddr . ip daddr }`);
    } else {
      set(n, { kind: 'set', name: 'seen', type: 'ipv4_addr', flags: dyn, elems: [] });
      add(
        n,
        'forward',
        `${lan} ip saddr @seen meta l4proto ${rng.pick(['udp', 'tcp', 'icmp'])} ${counter(rng)}drop`,
      );
      add(
        n,
        'forward',
        v === 'add'
          ? `${lan} add @seen { ip saddr }`
          : `${lan} update @seen { ip saddr timeout ${rng.pick(['30s', '2m'])} }`,
      );
    }
    return true;
  },
};

/**
 * Session 22's: filtering by a LAN client's MAC (`r.mac`), as fw4 writes a rule with `src_mac`:
 * the incoming frame's header in forward and postrouting (`ether saddr` in an ip or inet table),
 * one address, all but one (`!=`), or an anonymous set.
 */
export function nftMacFamily(rng: Rng, r: NftRouter, mac: string, n: GenNft): void {
  const what = rng.pick([
    `ether saddr ${mac}`,
    `iifname ${q(r.lan)} ether saddr != ${mac}`,
    `ether saddr { ${mac}, 02:00:00:00:ff:ff }`,
  ]);
  const p = rng.pick(['meta l4proto tcp', 'meta l4proto udp', 'meta l4proto icmp', 'tcp dport 80']);
  add(n, rng.pick(['forward', 'forward', 'post_filter']), `${what} ${p} ${counter(rng)}drop`);
}

/** The ruleset as `nft -f` reads it (and `nft:` in a scenario holds it). */
export function renderNft(n: GenNft): string[] {
  const out = [`table ip ${NFT_TABLE} {`];
  for (const s of n.sets) {
    const flags = s.flags ? ` flags ${s.flags};` : '';
    const elems = s.elems.length ? ` elements = { ${s.elems.join(', ')} }` : '';
    out.push(`  ${s.kind} ${s.name} { type ${s.type};${flags}${elems} }`);
  }
  for (const c of n.chains) {
    out.push(`  chain ${c.name} {`);
    if (c.base) out.push(`    ${c.base}; policy ${c.policy ?? 'accept'};`);
    for (const r of c.rules)
      out.push(`    ${r.elems ? r.text.replace('@@', `{ ${r.elems.join(', ')} }`) : r.text}`);
    out.push('  }');
  }
  out.push('}');
  return out;
}

/** How many rules the ruleset has. */
export const nftRuleCount = (n: GenNft | undefined): number =>
  n ? n.chains.reduce((k, c) => k + c.rules.length, 0) : 0;
