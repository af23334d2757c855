// The nftables model: plain data for what `nft list ruleset` shows (tables of a family, with their
// chains, rules, sets, maps, flowtables and named objects), as natbox reads it from text or JSON
// and prints it back. The evaluator (netfilter/nftables/) compiles it; nothing here runs packets.
//
// Shape (owned by the language engineer; changes after the first full commit are additive only):
//
//   NftRuleset
//   └ NftTable (family, name, handle, flags, comment)
//     ├ objects: NftObject[]   named counter / quota / limit / ct helper / ct timeout /
//     │                        ct expectation / synproxy / secmark, in creation order
//     ├ sets: NftSet[]         named sets and maps (anonymous sets live inside their rule)
//     ├ flowtables: NftFlowtable[]
//     └ chains: NftChain[]     base (`base` set) or regular
//       └ rules: NftRule[]     handle, comment, stmts
//         └ NftStmt            a relational match, a verdict, counter, nat, set, ...
//           └ NftExpr          payload / meta / ct / fib / ... / binop / value / set / map ...
//
// Everything is as the kernel holds it after `nft -f`, i.e. what `nft list ruleset` shows:
// `$variables` are substituted, symbolic constants resolved to numbers (`tcp dport ssh` is the
// inet_service value 22, `ct state established,related` is the ct_state value 6), priorities
// are numbers, the `meta l4proto tcp` an nft command implies is not a statement of its own. The
// printer turns values back into nft's words with their datatype.
//
// Values (NftValue) carry their datatype (NftDatatype: nft's own type names, datatype.c), so
// the printer and the evaluator both know how to read them:
//   - numbers (`value: number`) for everything up to 48 bits: ipv4_addr as a uint32 (host
//     order: 192.0.2.1 is 0xc0000201), inet_service (port), mark, ct_state/ct_status/tcp_flag
//     bitmasks, inet_proto, ether_addr (48 bits), integer, ...;
//   - strings (`value: string`) for ifname and string types (without quotes), ipv6_addr in its
//     canonical text (`2001:db8::1`), and integers wider than 48 bits as a decimal string
//     (ct_label, raw payloads) with `bits` giving the width.
import type { Diagnostic, Pos } from '../diagnostics.ts';

export type NftFamily = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';

export interface NftRuleset {
  /** Tables in the order `nft list ruleset` prints them (creation order). */
  readonly tables: NftTable[];
}

export interface NftTable {
  readonly family: NftFamily;
  readonly name: string;
  /** The kernel's handle (what `nft -a` prints). */
  handle: number;
  readonly chains: NftChain[];
  readonly pos?: Pos;
  /** Named sets and maps in creation order (anonymous sets stay in their rules). */
  readonly sets: NftSet[];
  readonly flowtables: NftFlowtable[];
  /** Named stateful objects in creation order. */
  readonly objects: NftObject[];
  /** `flags dormant` / `owner` / `persist`. */
  readonly flags?: string[];
  readonly comment?: string;
  /**
   * The table's handle generator: the last handle given to a chain, rule, set (anonymous ones
   * too), flowtable or object of this table (the kernel's table->hgenerator). Kept so that later
   * commands (`add rule ...`) number on as the kernel does.
   */
  lastHandle?: number;
}

export interface NftChain {
  readonly name: string;
  handle: number;
  /** A base chain's hook, type, priority and policy; undefined for a regular chain. */
  readonly base?: NftBaseChain;
  readonly rules: NftRule[];
  readonly pos?: Pos;
  readonly comment?: string;
}

export interface NftBaseChain {
  readonly type: 'filter' | 'nat' | 'route';
  /** prerouting, input, forward, output, postrouting, ingress, egress (netdev, inet ingress). */
  readonly hook: string;
  /** The priority as a number (names resolved with the family's and hook's table). */
  readonly priority: number;
  readonly policy: 'accept' | 'drop';
  /** `device "eth0"` (netdev/ingress chains); see also `devices`. */
  readonly device?: string;
  /** `devices = { a, b }` when more than one device. */
  readonly devices?: string[];
}

export interface NftRule {
  handle: number;
  readonly pos?: Pos;
  /** The statements in order (matches included). */
  readonly stmts: NftStmt[];
  readonly comment?: string;
}

// ---------------------------------------------------------------------------------------------
// Datatypes and values

/**
 * nft's datatype names (datatype.c and the *_type of each module); a concatenation's parts
 * each have their own. `string` is any other type name read from a set's `type`.
 */
export type NftDatatype =
  | 'invalid'
  | 'verdict'
  | 'nf_proto'
  | 'bitmask'
  | 'integer'
  | 'string'
  | 'll_addr'
  | 'ipv4_addr'
  | 'ipv6_addr'
  | 'ether_addr'
  | 'ether_type'
  | 'arp_op'
  | 'inet_proto'
  | 'inet_service'
  | 'icmp_type'
  | 'icmp_code'
  | 'icmpv6_type'
  | 'icmpv6_code'
  | 'icmpx_code'
  | 'tcp_flag'
  | 'sctp_chunk_type'
  | 'dccp_pkttype'
  | 'mh_type'
  | 'time'
  | 'mark'
  | 'iface_index'
  | 'iface_type'
  | 'ifname'
  | 'realm'
  | 'classid'
  | 'uid'
  | 'gid'
  | 'ct_state'
  | 'ct_dir'
  | 'ct_status'
  | 'ct_event'
  | 'ct_label'
  | 'pkt_type'
  | 'devgroup'
  | 'dscp'
  | 'ecn'
  | 'fib_addrtype'
  | 'boolean'
  | 'igmp_type'
  | 'day'
  | 'hour'
  | 'cgroupsv2'
  | 'queue'
  | (string & {});

/** A constant with its datatype (see the head of this file for how `value` holds it). */
export interface NftValue {
  readonly kind: 'value';
  readonly type: NftDatatype;
  readonly value: number | string;
  /** The width in bits when it is not the datatype's own (integers of a given size, raw payloads). */
  readonly bits?: number;
  readonly pos?: Pos;
  /**
   * An iface_index value (`iif "eth0"`): the interface index nft resolved the name to when it read
   * the rule (natbox's parse option `ifIndex`); sets of them list in index order.
   */
  readonly ifindex?: number;
}

/** A verdict as a value (map data of a verdict map, `vmap { 1.2.3.4 : drop }`). */
export interface NftVerdictValue {
  readonly kind: 'verdict';
  readonly verdict: NftVerdictName;
  /** jump/goto's chain. */
  readonly chain?: string;
  readonly pos?: Pos;
}

export type NftVerdictName = 'accept' | 'drop' | 'continue' | 'return' | 'jump' | 'goto' | 'queue';

// ---------------------------------------------------------------------------------------------
// Expressions

/** Payload protocols nft knows by name (proto_*.c). */
export type NftPayloadProto =
  | 'ether'
  | 'vlan'
  | 'arp'
  | 'ip'
  | 'ip6'
  | 'icmp'
  | 'icmpv6'
  | 'igmp'
  | 'tcp'
  | 'udp'
  | 'udplite'
  | 'sctp'
  | 'dccp'
  | 'th'
  | 'ah'
  | 'esp'
  | 'comp'
  | (string & {});

export type NftExpr =
  /** `ip saddr`, `tcp dport`, `th dport`, `icmp type`, `ether saddr`, `ip6 daddr` ... */
  | { readonly kind: 'payload'; readonly proto: NftPayloadProto; readonly field: string; readonly pos?: Pos }
  /** `@nh,96,32` (base ll/nh/th/ih, offset and length in bits). */
  | {
      readonly kind: 'rawpayload';
      readonly base: 'll' | 'nh' | 'th' | 'ih';
      readonly offset: number;
      readonly len: number;
      readonly pos?: Pos;
    }
  /** `tcp option mss size`, `ip option rr type`, `ip6 exthdr ...` (read, printed, not evaluated). */
  | {
      readonly kind: 'exthdr';
      readonly hdr: 'tcp option' | 'ip option' | 'sctp chunk' | 'exthdr';
      readonly name: string;
      readonly field?: string;
      readonly exists?: boolean;
      readonly pos?: Pos;
    }
  /** `meta mark`, `iifname` (printed without `meta` for iif, oif, iifname, oifname, ...). */
  | { readonly kind: 'meta'; readonly key: string; readonly pos?: Pos }
  /**
   * `ct state`, `ct mark`, `ct original saddr`, `ct reply ip daddr`, `ct original proto-dst`:
   * `dir` for per-direction keys, `family` for `ct original ip saddr`.
   */
  | {
      readonly kind: 'ct';
      readonly key: string;
      readonly dir?: 'original' | 'reply';
      readonly family?: 'ip' | 'ip6';
      /** The family was not written: the table's or a `meta nfproto` before it gave it. */
      readonly implied?: boolean;
      readonly pos?: Pos;
    }
  /** `fib saddr . iif oif`, `fib daddr type`, `fib daddr . mark oifname`. */
  | {
      readonly kind: 'fib';
      /** saddr or daddr, then any of mark, iif, oif, in nft's order. */
      readonly flags: string[];
      readonly result: 'oif' | 'oifname' | 'type';
      /** `fib ... oif exists` / `missing` (1.0: `present`). */
      readonly present?: boolean;
      readonly pos?: Pos;
    }
  /** `numgen inc mod 2 offset 100`, `numgen random mod 10`. */
  | {
      readonly kind: 'numgen';
      readonly mode: 'inc' | 'random';
      readonly mod: number;
      readonly offset: number;
      readonly pos?: Pos;
    }
  /** `jhash ip saddr . tcp sport mod 2 seed 0xdeadbeef offset 100`, `symhash mod 2`. */
  | {
      readonly kind: 'hash';
      readonly type: 'jhash' | 'symhash';
      readonly expr?: NftExpr;
      readonly mod: number;
      readonly seed?: number;
      readonly offset: number;
      readonly pos?: Pos;
    }
  /** `socket transparent`, `rt nexthop`, `osf name`, `ipsec in reqid`: read and printed only. */
  | {
      readonly kind: 'misc';
      readonly words: string;
      /** A raw `tcp option @KIND,OFFSET,LEN` (bits) nft lists without a field's name. */
      readonly rawTcpOption?: readonly [kind: number, offset: number, len: number];
      readonly pos?: Pos;
    }
  /** `left & right`, `|`, `^`, `<<`, `>>` (nft prints parentheses where needed). */
  | {
      readonly kind: 'binop';
      readonly op: '&' | '|' | '^' | '<<' | '>>';
      readonly left: NftExpr;
      readonly right: NftExpr;
      readonly pos?: Pos;
    }
  | NftValue
  | NftVerdictValue
  /** `10.0.0.0/8` (a value and its prefix length). */
  | { readonly kind: 'prefix'; readonly value: NftExpr; readonly len: number; readonly pos?: Pos }
  /** `1000-2000`, `10.0.0.1-10.0.0.9`. */
  | { readonly kind: 'range'; readonly low: NftExpr; readonly high: NftExpr; readonly pos?: Pos }
  /** An anonymous set or map literal `{ 22, 80 }`, `{ 1.2.3.4 : jump x }`. */
  | { readonly kind: 'set'; readonly elements: NftSetElem[]; readonly pos?: Pos }
  /** `@name`: a named set or map. */
  | { readonly kind: 'setref'; readonly name: string; readonly pos?: Pos }
  /** `a . b . c`. */
  | { readonly kind: 'concat'; readonly items: NftExpr[]; readonly pos?: Pos }
  /** `key map { ... }` / `key map @m` as an expression (snat to ip saddr map {...}). */
  | { readonly kind: 'map'; readonly key: NftExpr; readonly map: NftExpr; readonly pos?: Pos }
  /** `*` in a set (the catch-all element of a map). */
  | { readonly kind: 'wildcard'; readonly pos?: Pos };

/** One element of a set or map, literal or named. */
export interface NftSetElem {
  /** A value, prefix, range or concatenation of them. */
  readonly key: NftExpr;
  /** A map's data: a value, verdict, concatenation (`. port`), range or prefix. */
  readonly data?: NftExpr;
  /** Element timeout and remaining time, in milliseconds. */
  readonly timeout?: number;
  readonly expires?: number;
  readonly comment?: string;
  /** `counter packets N bytes M` and other per-element statements (counter, quota, limit). */
  readonly stmts?: NftStmt[];
  readonly pos?: Pos;
}

// ---------------------------------------------------------------------------------------------
// Statements

/** `!`: none of a bitmask value's bits (nft's OP_NEG: `ct status ! dnat`, (x & v) == 0). */
export type NftRelOp = '==' | '!=' | '<' | '>' | '<=' | '>=' | '!' | 'implicit';

/**
 * The statements of a rule. Every statement keeps its source position (`pos`, where its first
 * token is).
 */
export type NftStmt =
  /**
   * `left op right` (`tcp dport 22` is op 'implicit' with a value; against a set the implicit
   * op means membership; for a bitmask type an implicit op against a flag list means "all these
   * bits set" (`tcp flags syn` = `(tcp flags & syn) == syn`). `tcp flags syn / fin,syn,rst,ack`
   * is read as op '==' with left `tcp flags & (fin|syn|rst|ack)`.
   */
  | {
      readonly kind: 'match';
      readonly left: NftExpr;
      readonly op: NftRelOp;
      readonly right: NftExpr;
      readonly pos?: Pos;
      /**
       * The first of N `!=` payload matches nft's payload merge joins into one load and one `cmp
       * neq` over their bytes (payload-merge.ts): this and the next N - 1 statements hold
       * together when any of their fields differs (`tcp sport != 1 tcp dport != 2` matches sport
       * 1, dport 5), not when each does.
       */
      readonly neqJoin?: number;
    }
  /** accept, drop, continue, return, jump CHAIN, goto CHAIN. */
  | {
      readonly kind: 'verdict';
      readonly verdict: Exclude<NftVerdictName, 'queue'>;
      readonly chain?: string;
      readonly pos?: Pos;
    }
  /** `key vmap { a : accept, b : jump c }` / `key vmap @m`. */
  | { readonly kind: 'vmap'; readonly key: NftExpr; readonly map: NftExpr; readonly pos?: Pos }
  /** `queue [flags bypass,fanout] [to|num] N[-M]` (num as a value or range; `to` a map/hash). */
  | {
      readonly kind: 'queue';
      readonly num?: NftExpr;
      readonly flags?: ('bypass' | 'fanout')[];
      readonly pos?: Pos;
    }
  /** An anonymous counter (`counter packets 0 bytes 0`). */
  | { readonly kind: 'counter'; packets: number; bytes: number; readonly pos?: Pos }
  /**
   * A named object's reference: `counter name "c"`, `quota name "q"`, `limit name "l"`,
   * `ct helper set "ftp"`, `ct timeout set "t"`, `ct expectation set "e"`, `synproxy name "s"`,
   * `meta secmark set "s"`. `name` is a string value or a map giving one.
   */
  | { readonly kind: 'objref'; readonly type: NftObjectType; readonly name: NftExpr; readonly pos?: Pos }
  /** `limit rate [over] 10/second [burst 5 packets]`, `limit rate 1 mbytes/second`. */
  | {
      readonly kind: 'limit';
      readonly rate: number;
      readonly per: 'second' | 'minute' | 'hour' | 'day' | 'week';
      /** packets, or bytes with `rate` in bytes (printed with the largest unit that divides it). */
      readonly unit: 'packets' | 'bytes';
      readonly burst: number;
      readonly over: boolean;
      readonly pos?: Pos;
    }
  /** `quota [over] 100 mbytes [used 0 bytes]` (in bytes). */
  | {
      readonly kind: 'quota';
      readonly over: boolean;
      readonly bytes: number;
      used: number;
      readonly pos?: Pos;
    }
  /** `ct count [over] 10` (connlimit). */
  | { readonly kind: 'connlimit'; readonly count: number; readonly over: boolean; readonly pos?: Pos }
  /** `last [used never | used 1s]`. */
  | { readonly kind: 'last'; used?: number; readonly pos?: Pos }
  /** `log [prefix "x"] [level warn] [flags tcp sequence,options] [group 2] [snaplen 64] [queue-threshold 2]`. */
  | {
      readonly kind: 'log';
      readonly prefix?: string;
      readonly level?: string;
      readonly flags?: string[];
      readonly group?: number;
      readonly snaplen?: number;
      readonly queueThreshold?: number;
      readonly pos?: Pos;
    }
  /**
   * `reject` (default: icmp port-unreachable / icmpx port-unreachable in inet), `reject with
   * icmp host-prohibited`, `with icmpv6 ...`, `with icmpx admin-prohibited`, `with tcp reset`.
   */
  | {
      readonly kind: 'reject';
      readonly with?: { readonly type: 'icmp' | 'icmpv6' | 'icmpx' | 'tcp reset'; readonly code?: string };
      readonly pos?: Pos;
    }
  /**
   * snat/dnat/masquerade/redirect: `dnat ip to 10.0.0.1:80`, `snat to 10.0.0.1-10.0.0.9`,
   * `dnat to ip saddr map { ... }`, `dnat ip addr . port to ip daddr map { ... }`,
   * `masquerade to :1024-2048 random`, `redirect to :8080`, `snat prefix to 10.0.0.0/24`.
   */
  | {
      readonly kind: 'nat';
      readonly type: 'snat' | 'dnat' | 'masquerade' | 'redirect';
      /** The `ip`/`ip6` of `dnat ip to` (needed in inet tables). */
      readonly family?: 'ip' | 'ip6';
      readonly addr?: NftExpr;
      readonly port?: NftExpr;
      /** `dnat ip addr . port to <map>`: addr is the map giving address . port. */
      readonly addrPort?: boolean;
      /** `snat prefix to ...`. */
      readonly prefix?: boolean;
      /** random, fully-random, persistent (in nft's order). */
      readonly flags?: string[];
      readonly pos?: Pos;
    }
  | { readonly kind: 'notrack'; readonly pos?: Pos }
  /**
   * `meta mark set 1`, `ct mark set meta mark`, `meta nftrace set 1`, `ct zone set 1`,
   * `ip dscp set cs1`, `tcp option maxseg size set rt mtu`: the target is a meta, ct, payload or
   * exthdr expression.
   */
  | { readonly kind: 'set'; readonly target: NftExpr; readonly value: NftExpr; readonly pos?: Pos }
  /**
   * `add @s { ip saddr timeout 10s counter }`, `update @s { ip saddr limit rate 10/second }`,
   * `delete @s { ip saddr }`, `add @m { ip saddr : 1 }`.
   */
  | {
      readonly kind: 'dynset';
      readonly op: 'add' | 'update' | 'delete';
      readonly set: string;
      readonly key: NftExpr;
      readonly data?: NftExpr;
      /** ms */
      readonly timeout?: number;
      readonly stmts?: NftStmt[];
      readonly pos?: Pos;
    }
  /** `flow add @ft` (flow offload). */
  | { readonly kind: 'flow'; readonly flowtable: string; readonly pos?: Pos }
  /** `dup to 1.2.3.4 device "eth0"`, `fwd to "eth0"`: read and printed only. */
  | {
      readonly kind: 'dup' | 'fwd';
      readonly addr?: NftExpr;
      readonly dev?: NftExpr;
      readonly family?: 'ip' | 'ip6';
      readonly pos?: Pos;
    }
  /** `tproxy ip to 1.2.3.4:80`: read and printed only. */
  | {
      readonly kind: 'tproxy';
      readonly family?: 'ip' | 'ip6';
      readonly addr?: NftExpr;
      readonly port?: NftExpr;
      readonly pos?: Pos;
    }
  /** `synproxy mss 1460 wscale 7 timestamp sack-perm` (anonymous; flags in nft's order). */
  | {
      readonly kind: 'synproxy';
      readonly mss?: number;
      readonly wscale?: number;
      readonly flags?: string[];
      readonly pos?: Pos;
    }
  /**
   * Anything else nft prints that natbox only carries (its words as nft prints them, and the
   * statement as `nft -j` gives it): `reset tcp option sack`, `meter NAME size N { … }`. Read and
   * printed, not simulated (the engine refuses a ruleset with one).
   */
  | {
      readonly kind: 'other';
      readonly text: string;
      readonly json?: unknown;
      /** A meter's parts (the engine runs it as nft_dynset on a set of its own). */
      readonly meter?: NftMeter;
      readonly pos?: Pos;
    };

/**
 * `meter NAME [size N] { KEY [timeout T] STMT }`: nft 1.0.6 makes a dynamic set NAME (not listed
 * by `nft list ruleset`, only by `nft list meters`) that a dynset fills, `add` without a timeout,
 * `update` with one (netlink_linearize.c netlink_gen_meter_stmt).
 */
export interface NftMeter {
  readonly name: string;
  readonly size: number;
  readonly key: NftExpr;
  /** The key's datatypes (the set's type). */
  readonly types: readonly NftDatatype[];
  /** ms */
  readonly timeout?: number;
  readonly stmt: NftStmt;
}

// ---------------------------------------------------------------------------------------------
// Sets, maps, flowtables, objects

/** A set's `type a . b` (datatypes) or `typeof expr . expr` (the expressions giving them). */
export interface NftKeySpec {
  /** One datatype per part of a concatenation. */
  readonly types: NftDatatype[];
  /** `typeof`: the expressions the types were taken from (printed as `typeof ...`). */
  readonly typeof?: NftExpr[];
  /** A map data's `interval` (`: interval ipv4_addr`). */
  readonly interval?: boolean;
}

export interface NftSet {
  readonly name: string;
  handle: number;
  /** A map (`map` keyword): `data` is given. A verdict map has data type ['verdict']. */
  readonly isMap: boolean;
  readonly key: NftKeySpec;
  readonly data?: NftKeySpec;
  /** An object map (`type ipv4_addr : counter`). */
  readonly objType?: NftObjectType;
  /** constant, interval, timeout, dynamic (nft prints them in this order). */
  readonly flags: string[];
  /** ms */
  readonly timeout?: number;
  /** ms */
  readonly gcInterval?: number;
  readonly size?: number;
  readonly policy?: 'performance' | 'memory';
  /** Statements every element gets (`counter`, `quota`...): nft prints them as `counter`. */
  readonly stmts?: NftStmt[];
  readonly autoMerge?: boolean;
  readonly comment?: string;
  /** In the order nft prints them (sorted for interval sets, see print.ts). */
  readonly elements: NftSetElem[];
  readonly pos?: Pos;
}

export interface NftFlowtable {
  readonly name: string;
  handle: number;
  readonly hook: string;
  readonly priority: number;
  readonly devices: string[];
  /** `offload` */
  readonly flags?: string[];
  readonly counter?: boolean;
  readonly pos?: Pos;
}

export type NftObjectType =
  'counter' | 'quota' | 'limit' | 'ct helper' | 'ct timeout' | 'ct expectation' | 'synproxy' | 'secmark';

interface NftObjectBase {
  readonly name: string;
  handle: number;
  readonly comment?: string;
  readonly pos?: Pos;
}

export type NftObject =
  | (NftObjectBase & { readonly type: 'counter'; packets: number; bytes: number })
  | (NftObjectBase & { readonly type: 'quota'; readonly over: boolean; readonly bytes: number; used: number })
  | (NftObjectBase & {
      readonly type: 'limit';
      readonly rate: number;
      readonly per: 'second' | 'minute' | 'hour' | 'day' | 'week';
      readonly unit: 'packets' | 'bytes';
      readonly burst: number;
      readonly over: boolean;
    })
  | (NftObjectBase & {
      readonly type: 'ct helper';
      /** `type "ftp" protocol tcp` */
      readonly helper: string;
      readonly protocol: 'tcp' | 'udp';
      readonly l3proto?: string;
    })
  | (NftObjectBase & {
      readonly type: 'ct timeout';
      readonly protocol: 'tcp' | 'udp' | (string & {});
      readonly l3proto?: string;
      /** state name to seconds */
      readonly policy: ReadonlyArray<readonly [string, number]>;
    })
  | (NftObjectBase & {
      readonly type: 'ct expectation';
      readonly protocol: string;
      readonly dport: number;
      /** ms */
      readonly timeout: number;
      readonly size: number;
      readonly l3proto?: string;
    })
  | (NftObjectBase & {
      readonly type: 'synproxy';
      /** Absent when not given (NF_SYNPROXY_OPT_MSS unset: nft prints no `mss` line). */
      readonly mss?: number;
      readonly wscale?: number;
      /** timestamp, sack-perm, in that order (nft's). */
      readonly flags?: string[];
    })
  | (NftObjectBase & { readonly type: 'secmark'; readonly context: string });

/** What reading a ruleset gives: all of it, or only the errors (nothing applied). */
export type NftLoadResult =
  | { readonly ok: true; readonly ruleset: NftRuleset; readonly warnings: Diagnostic[] }
  | { readonly ok: false; readonly diagnostics: Diagnostic[] };
