// Clash resolution at confirm, line by line from net/netfilter/nf_conntrack_core.c (Linux 6.18):
// __nf_conntrack_confirm finds the original tuple, then the reply tuple, taken; nf_ct_resolve_clash
// gives up at once for a protocol without allow_clash (TCP, SCTP, DCCP); __nf_ct_resolve_clash
// merges the packet into the entry that won when the two are one flow (nf_ct_can_merge: the very
// same tuples and zones, nf_ct_match, or the same swapped, nf_ct_match_reverse); nf_ct_resolve_clash_harder inserts the loser in the reply
// direction only (1 s fixed timeout, IPS_NAT_CLASH, not listed by `conntrack -L`) when its reply
// tuple is free, and merges or fails on the entry holding it otherwise. Each resolution counts
// clash_resolve, each failure drop (and insert_failed, counted by the caller). The races of
// tools/testing/selftests/net/netfilter/conntrack_clash.sh (udpclash: threads sending the same new
// UDP flow at once) are two unconfirmed entries here: natbox handles one packet at a time, so no
// live scenario reaches these paths (a new packet whose tuple is in the table finds that entry
// at PREROUTING), and the kernel's races are not deterministic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConntrackTable,
  IPS_DST_NAT_DONE,
  IPS_DYING,
  IPS_FIXED_TIMEOUT,
  IPS_NAT_CLASH,
  IPS_SRC_NAT_DONE,
  NO_ENTRY,
} from '../../src/netfilter/conntrack/table.ts';
import { DIR_ORIGINAL, DIR_REPLY, invertTuple, TupleBuf } from '../../src/netfilter/conntrack/tuple.ts';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../../src/wire/ipv4.ts';
import { icmpPacket, udpPacket } from '../../src/netfilter/conntrack/proto-udp-icmp.ts';
import { defaultTimeouts, TimeoutTicks } from '../../src/netfilter/conntrack/timeouts.ts';
import { IPS_ASSURED, IPS_SEEN_REPLY } from '../../src/netfilter/conntrack/table.ts';
import { find, tuple } from './helpers.ts';

const NAT_DONE = IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE;

/** An unconfirmed entry for `orig` whose reply tuple is `reply` (the inverse when not given). */
function unconfirmed(ct: ConntrackTable, orig: TupleBuf, reply?: TupleBuf, status = NAT_DONE): number {
  const r = reply ?? new TupleBuf();
  if (!reply) assert.ok(invertTuple(r, orig));
  const e = ct.alloc(orig, r, 0);
  assert.notEqual(e, NO_ENTRY);
  ct.expires[e] = 30;
  ct.orStatus(e, status);
  return e;
}

const flow = (proto: number, sport = 40000): TupleBuf => tuple('10.0.1.2', '198.51.100.2', proto, sport, 53);
const counters = (ct: ConntrackTable) => ({ clash_resolve: ct.stats.clash_resolve, drop: ct.stats.drop });

test('the same new UDP flow twice (the race of conntrack_clash.sh): the second joins the first', () => {
  const ct = new ConntrackTable(64);
  const a = unconfirmed(ct, flow(IPPROTO_UDP));
  const b = unconfirmed(ct, flow(IPPROTO_UDP));
  assert.ok(ct.confirm(a, 0));
  assert.equal(ct.confirmedAs, a);
  assert.ok(ct.confirm(b, 0)); // original clash, nf_ct_match: merged
  assert.equal(ct.confirmedAs, a);
  assert.deepEqual(counters(ct), { clash_resolve: 1, drop: 0 });
  assert.equal(ct.count, 1);
  assert.deepEqual(ct.entries(0), [a]);
});

test('the same new TCP flow twice: TCP has no allow_clash, the second is dropped', () => {
  const ct = new ConntrackTable(64);
  const a = unconfirmed(ct, flow(IPPROTO_TCP));
  const b = unconfirmed(ct, flow(IPPROTO_TCP));
  assert.ok(ct.confirm(a, 0));
  assert.equal(ct.confirm(b, 0), false);
  assert.deepEqual(counters(ct), { clash_resolve: 0, drop: 1 });
  assert.equal(ct.count, 1);
});

test('the same UDP flow NATed two ways: the loser goes in the reply direction only, hidden', () => {
  const ct = new ConntrackTable(64);
  const o = flow(IPPROTO_UDP);
  const a = unconfirmed(ct, o, tuple('198.51.100.2', '198.51.100.1', IPPROTO_UDP, 53, 1024));
  const b = unconfirmed(ct, o, tuple('198.51.100.2', '198.51.100.1', IPPROTO_UDP, 53, 1025));
  assert.ok(ct.confirm(a, 0));
  assert.ok(ct.confirm(b, 0)); // nf_ct_match fails (other reply), the reply tuple is free
  assert.equal(ct.confirmedAs, b);
  assert.deepEqual(counters(ct), { clash_resolve: 1, drop: 0 });
  assert.equal(ct.statusOf(b) & (IPS_FIXED_TIMEOUT | IPS_NAT_CLASH), IPS_FIXED_TIMEOUT | IPS_NAT_CLASH);
  // The original tuple still finds the winner; the loser's reply tuple finds the loser.
  assert.equal(find(ct, o, 0), (a << 1) | DIR_ORIGINAL);
  const r = tuple('198.51.100.2', '198.51.100.1', IPPROTO_UDP, 53, 1025);
  assert.equal(find(ct, r, 0), (b << 1) | DIR_REPLY);
  assert.deepEqual(ct.entries(0), [a]); // not listed
  // "We want the clashing entry to go away real soon: 1 second timeout."
  assert.equal(find(ct, r, 0.999), (b << 1) | DIR_REPLY);
  assert.equal(find(ct, r, 1), NO_ENTRY);
  ct.gc(1);
  assert.equal(ct.count, 1);
  assert.equal(find(ct, o, 1), (a << 1) | DIR_ORIGINAL);
});

test('two UDP flows whose NATed reply tuples clash: the winner is bound, the loser is dropped', () => {
  const ct = new ConntrackTable(64);
  const reply = tuple('198.51.100.2', '198.51.100.1', IPPROTO_UDP, 53, 5000);
  const a = unconfirmed(ct, flow(IPPROTO_UDP, 40001), reply);
  assert.ok(ct.confirm(a, 0));
  const b = unconfirmed(ct, tuple('10.0.1.3', '198.51.100.2', IPPROTO_UDP, 40001, 53), reply);
  assert.equal(ct.confirm(b, 0), false); // merge refused twice (NAT bound, other flow)
  assert.deepEqual(counters(ct), { clash_resolve: 0, drop: 1 });
  assert.equal(ct.isUsed(b), false);
});

// Linux 6.12 ("netfilter: conntrack: add clash resolution for reverse collisions") dropped the
// "winner without NAT binding" merge: only nf_ct_match or nf_ct_match_reverse merges.
test('a reply clash with another flow that has no NAT binding: dropped (no merge of other flows)', () => {
  const ct = new ConntrackTable(64);
  const reply = tuple('198.51.100.2', '198.51.100.1', IPPROTO_UDP, 53, 5000);
  // The winner was never bound by NAT (no NAT_DONE bits: no nat hook saw it).
  const w = unconfirmed(ct, reply, undefined, 0);
  assert.ok(ct.confirm(w, 0));
  const b = unconfirmed(ct, flow(IPPROTO_UDP, 40001), reply);
  assert.equal(ct.confirm(b, 0), false);
  assert.deepEqual(counters(ct), { clash_resolve: 0, drop: 1 });
  assert.equal(ct.isUsed(b), false);
});

test('the same UDP flow seen new from both ends (conntrack_reverse_clash.sh): nf_ct_match_reverse merges', () => {
  const ct = new ConntrackTable(64);
  const o = flow(IPPROTO_UDP);
  const a = unconfirmed(ct, o);
  const r = new TupleBuf();
  assert.ok(invertTuple(r, o));
  const b = unconfirmed(ct, r); // its original tuple is a's reply, its reply a's original
  assert.ok(ct.confirm(a, 0));
  assert.ok(ct.confirm(b, 0));
  assert.equal(ct.confirmedAs, a);
  assert.deepEqual(counters(ct), { clash_resolve: 1, drop: 0 });
  assert.equal(ct.isUsed(b), false);
});

test('reversed tuples in other zones (CT --zone-reply 5, the reply in zone 0): no merge, dropped', () => {
  const ct = new ConntrackTable(64);
  const o = flow(IPPROTO_UDP);
  const a = unconfirmed(ct, o, undefined, 0);
  ct.setZone(a, 5 << 16); // zone-reply=5: the reply tuple's id is 5, the original's 0
  assert.ok(ct.confirm(a, 0));
  const r = new TupleBuf();
  assert.ok(invertTuple(r, o));
  const b = unconfirmed(ct, r, undefined, 0); // zone 0 both ways
  // Its original tuple is a's reply tuple in zone 0, not a's (zone 5): no original clash. Its
  // reply tuple is a's original, zone 0 both: a reply clash; match_reverse wants a's reply zone
  // (5) equal to b's original zone (0): refused, and the reply tuple is taken: dropped.
  assert.equal(ct.confirm(b, 0), false);
  assert.deepEqual(counters(ct), { clash_resolve: 0, drop: 1 });
});

test('a clash with a dying entry is not resolved', () => {
  const ct = new ConntrackTable(64);
  const a = unconfirmed(ct, flow(IPPROTO_UDP));
  assert.ok(ct.confirm(a, 0));
  ct.orStatus(a, IPS_DYING);
  const b = unconfirmed(ct, flow(IPPROTO_UDP));
  assert.equal(ct.confirm(b, 0), false);
  assert.deepEqual(counters(ct), { clash_resolve: 0, drop: 1 });
});

// Linux 6.18: udp_packet refreshes a replied entry, but __nf_ct_refresh_acct leaves an
// IPS_FIXED_TIMEOUT one alone, and "never set ASSURED for IPS_NAT_CLASH, they time out soon".
// The deletion at the first reply (5.6's nf_conntrack_udp_refresh_unreplied) was removed in 5.9 by
// "netfilter: conntrack: do not auto-delete clash entries on reply": replies pass for 1 s.
test('a clash entry sees replies for 1 s: its expiry does not move, it is never ASSURED, then it goes', () => {
  const ct = new ConntrackTable(64);
  const to = defaultTimeouts();
  const o = flow(IPPROTO_UDP);
  const a = unconfirmed(ct, o, tuple('198.51.100.2', '198.51.100.1', IPPROTO_UDP, 53, 1024));
  const b = unconfirmed(ct, o, tuple('198.51.100.2', '198.51.100.1', IPPROTO_UDP, 53, 1025));
  assert.ok(ct.confirm(a, 0));
  assert.ok(ct.confirm(b, 0));
  const r = tuple('198.51.100.2', '198.51.100.1', IPPROTO_UDP, 53, 1025);
  // The first reply at 0.4 s: found (not deleted), marked SEEN_REPLY by the caller, not refreshed.
  assert.equal(find(ct, r, 0.4), (b << 1) | DIR_REPLY);
  udpPacket(ct, b, 0.4, to);
  ct.orStatus(b, IPS_SEEN_REPLY);
  assert.equal(ct.expiresAt(b), 1);
  // A second reply at 0.9 s: still there, still 1 s, not ASSURED.
  assert.equal(find(ct, r, 0.9), (b << 1) | DIR_REPLY);
  udpPacket(ct, b, 0.9, to);
  assert.equal(ct.expiresAt(b), 1);
  assert.equal(ct.statusOf(b) & IPS_ASSURED, 0);
  assert.deepEqual(ct.entries(0.9), [a]);
  // The winner is refreshed as usual.
  udpPacket(ct, a, 0.9, to);
  assert.equal(ct.expiresAt(a), 0.9 + to.nf_conntrack_udp_timeout);
  assert.equal(find(ct, r, 1), NO_ENTRY);
  ct.gc(1); // (the lookup above may have removed it already, as ____nf_conntrack_find does)
  assert.equal(ct.count, 1);
});

test('an ICMP echo clash entry keeps its 1 s too', () => {
  const ct = new ConntrackTable(64);
  const o = tuple('10.0.1.2', '198.51.100.2', IPPROTO_ICMP, 7, 0x0800);
  const a = unconfirmed(ct, o, tuple('198.51.100.2', '198.51.100.1', IPPROTO_ICMP, 7, 0));
  const b = unconfirmed(ct, o, tuple('198.51.100.2', '198.51.100.1', IPPROTO_ICMP, 8, 0));
  assert.ok(ct.confirm(a, 0));
  assert.ok(ct.confirm(b, 0));
  assert.equal(ct.statusOf(b) & IPS_NAT_CLASH, IPS_NAT_CLASH);
  icmpPacket(ct, b, ct.tick(0.5), new TimeoutTicks(defaultTimeouts()));
  assert.equal(ct.expiresAt(b), 1);
});
