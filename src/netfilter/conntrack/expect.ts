// Conntrack expectations (net/netfilter/nf_conntrack_expect.c): a helper that read a data
// connection's address in its master's packets (TFTP's read request, FTP's PORT or 227 reply)
// expects that connection, and the first packet of a new connection matching an expectation makes
// it RELATED to the master (init_conntrack → nf_ct_find_expectation). Expectations are few (one
// per master at most for FTP and TFTP, nf_conntrack_expect_max in all): a plain array, newest
// first as the kernel's hlist_add_head keeps each hash chain, each an object made off the packet
// path of established connections (only a helper's packet makes one).
import { formatIpv4 } from '../../wire/addr.ts';

/** NF_CT_EXPECT_CLASS_DEFAULT: FTP and TFTP expect in class 0. */
export const NF_CT_EXPECT_CLASS_DEFAULT = 0;
/** nf_conntrack_expect_max on this kernel (nf_ct_expect_hsize * 4; 4096 measured in a namespace). */
export const NF_CT_EXPECT_MAX_DEFAULT = 4096;

export const EBUSY = -16;
export const EMFILE = -24;

/** struct nf_conntrack_expect, IPv4, as numbers. */
export interface Expectation {
  /** The master entry (its index in the table) and that entry's id (its creation number). */
  readonly master: number;
  readonly masterId: number;
  /** The expected tuple: source address (with its mask), source port (with its mask), destination. */
  src: number;
  srcMask: number;
  sport: number;
  sportMask: number;
  dst: number;
  dport: number;
  readonly proto: number;
  /** The master's zone key (conntrack/zone.ts): an expectation matches in that zone only. */
  readonly zone: number;
  /** exp->class. */
  readonly cls: number;
  /** The master's helper (helper.ts index): `helper=` in `conntrack -L expect`. */
  readonly helper: number;
  /** Absolute expiry, seconds. */
  expires: number;
  /** Creation order, for listing. */
  readonly id: number;
  // NAT (nf_nat_helper.c): set by the NAT half of a helper before the expectation is added.
  /** exp->dir: the direction the expected connection goes in, as the master's (-1: no NAT). */
  dir: number;
  /** exp->saved_proto: the port the expected connection is mapped to. */
  savedPort: number;
  /** exp->expectfn = nf_nat_follow_master. */
  followMaster: boolean;
}

/** The expectations of one conntrack table. */
export class ExpectTable {
  /** Newest first. */
  readonly list: Expectation[] = [];
  private nextId = 1;

  constructor(readonly max = NF_CT_EXPECT_MAX_DEFAULT) {}

  get count(): number {
    return this.list.length;
  }

  /** A new expectation (nf_ct_expect_alloc + nf_ct_expect_init), not yet added. */
  make(
    master: number,
    masterId: number,
    zone: number,
    helper: number,
    proto: number,
    src: number,
    dst: number,
    dport: number,
  ): Expectation {
    return {
      master,
      masterId,
      src,
      srcMask: 0xffffffff,
      sport: 0,
      sportMask: 0,
      dst,
      dport,
      proto,
      zone,
      cls: NF_CT_EXPECT_CLASS_DEFAULT,
      helper,
      expires: 0,
      id: this.nextId++,
      dir: -1,
      savedPort: 0,
      followMaster: false,
    };
  }

  /**
   * nf_ct_expect_related: __nf_ct_expect_check then nf_ct_expect_insert. 0, or -EBUSY when another
   * expectation clashes, -EMFILE when the table is full. An equal expectation of the same master is
   * replaced; past `maxExpected` for the master, its oldest goes (evict_oldest_expect).
   */
  related(exp: Expectation, now: number, timeout: number, maxExpected: number): number {
    const l = this.list;
    for (let i = 0; i < l.length; i++) {
      const x = l[i]!;
      if (x.expires <= now) {
        l.splice(i--, 1);
        continue;
      }
      if (x.master === exp.master && matches(x, exp)) {
        l.splice(i, 1);
        break;
      } else if (clash(x, exp)) return EBUSY;
    }
    let expecting = 0;
    for (const x of l) if (x.master === exp.master && x.cls === exp.cls) expecting++;
    if (expecting >= maxExpected) {
      // evict_oldest_expect: the last of the master's list (the oldest) of this class.
      for (let i = l.length - 1; i >= 0; i--) {
        const x = l[i]!;
        if (x.master === exp.master && x.cls === exp.cls) {
          l.splice(i, 1);
          break;
        }
      }
    }
    if (l.length >= this.max) return EMFILE;
    exp.expires = now + timeout;
    l.unshift(exp);
    return 0;
  }

  /**
   * nf_ct_find_expectation (unlink): the newest live expectation the tuple matches in `zone`, taken
   * out of the table; `confirmed(master)` must hold (a master whose packet has not left yet is not
   * expected by anyone). Expired ones met on the way are dropped.
   */
  find(
    src: number,
    dst: number,
    proto: number,
    sport: number,
    dport: number,
    zone: number,
    now: number,
    confirmed: (e: number, id: number) => boolean,
  ): Expectation | undefined {
    const l = this.list;
    for (let i = 0; i < l.length; i++) {
      const x = l[i]!;
      if (x.expires <= now) {
        l.splice(i--, 1);
        continue;
      }
      if (
        x.proto === proto &&
        x.dst === dst &&
        x.dport === dport &&
        ((src ^ x.src) & x.srcMask) === 0 &&
        ((sport ^ x.sport) & x.sportMask) === 0 &&
        x.zone === zone
      ) {
        if (!confirmed(x.master, x.masterId)) return undefined;
        l.splice(i, 1);
        return x;
      }
    }
    return undefined;
  }

  /** nf_ct_remove_expectations: the master `e` is gone. */
  removeMaster(e: number): void {
    const l = this.list;
    for (let i = 0; i < l.length; i++) if (l[i]!.master === e) l.splice(i--, 1);
  }

  /** nf_ct_unexpect_related. */
  remove(exp: Expectation): void {
    const i = this.list.indexOf(exp);
    if (i >= 0) this.list.splice(i, 1);
  }

  /** Live expectations, oldest first. */
  live(now: number): Expectation[] {
    return this.list.filter((x) => x.expires > now).sort((a, b) => a.id - b.id);
  }
}

/** expect_matches: the same tuple and masks (and zone). */
function matches(a: Expectation, b: Expectation): boolean {
  return (
    a.proto === b.proto &&
    a.src === b.src &&
    a.srcMask === b.srcMask &&
    a.sport === b.sport &&
    a.sportMask === b.sportMask &&
    a.dst === b.dst &&
    a.dport === b.dport &&
    a.zone === b.zone
  );
}

/** expect_clash: equal where both masks care. */
function clash(a: Expectation, b: Expectation): boolean {
  const am = (a.srcMask & b.srcMask) >>> 0;
  const pm = a.sportMask & b.sportMask;
  return (
    a.proto === b.proto &&
    ((a.src ^ b.src) & am) === 0 &&
    ((a.sport ^ b.sport) & pm) === 0 &&
    a.dst === b.dst &&
    a.dport === b.dport &&
    a.zone === b.zone
  );
}

const maskText = (m: number): string => formatIpv4(m >>> 0);

/**
 * One `conntrack -L expect` line (conntrack-tools 1.4.7 on Linux 6.18, measured):
 * `291 proto=17 src=203.0.113.2 dst=203.0.113.1 sport=0 dport=40003 mask-src=255.255.255.255
 * mask-dst=255.255.255.255 sport=0 dport=65535 master-src=10.7.0.2 master-dst=203.0.113.2
 * sport=40003 dport=6969 class=0 helper=tftp`. `master` is the master's original tuple.
 */
export function formatExpectLine(
  x: Expectation,
  now: number,
  master: { src: number; dst: number; sport: number; dport: number },
  helperName: string,
): string {
  const left = Math.max(0, Math.floor(x.expires - now + 1e-9));
  return (
    `${left} proto=${x.proto} src=${formatIpv4(x.src)} dst=${formatIpv4(x.dst)} sport=${x.sport} dport=${x.dport}` +
    ` mask-src=${maskText(x.srcMask)} mask-dst=255.255.255.255 sport=${x.sportMask} dport=65535` +
    ` master-src=${formatIpv4(master.src)} master-dst=${formatIpv4(master.dst)} sport=${master.sport} dport=${master.dport}` +
    ` class=${x.cls}${helperName ? ` helper=${helperName}` : ''}`
  );
}

/** One `/proc/net/nf_conntrack_expect` line: `291 l3proto = 2 proto=17 src=… dst=… sport=0 dport=40003 tftp`. */
export function formatExpectProcLine(x: Expectation, now: number, helperName: string): string {
  const left = Math.max(0, Math.floor(x.expires - now + 1e-9));
  return `${left} l3proto = 2 proto=${x.proto} src=${formatIpv4(x.src)} dst=${formatIpv4(x.dst)} sport=${x.sport} dport=${x.dport}${helperName ? ` ${helperName}` : ''}`;
}
