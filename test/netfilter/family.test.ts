// The engine's types admit IPv6 (issue 12): a conntrack table made with the IPv6 layout inserts,
// looks up and inverts IPv6 tuples with the same code as the IPv4 table; NAT ranges hold IPv6
// ranges and NatCore maps IPv6 tuples into them with get_unique_tuple's logic; the IPv4 layout is
// today's record exactly. Nothing IPv6 is parsed from packets yet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConntrackTable,
  CT_LAYOUT_IPV4,
  CT_LAYOUT_IPV4_WINDOW,
  CT_LAYOUT_IPV6,
  IPS_SRC_NAT,
  IPS_SRC_NAT_DONE,
  NO_ENTRY,
  REC_EXPIRES,
  REC_META,
} from '../../src/netfilter/conntrack/table.ts';
import {
  DIR_ORIGINAL,
  DIR_REPLY,
  IPPROTO_ICMPV6,
  invertTuple,
  TupleBuf,
  tupleEqual,
} from '../../src/netfilter/conntrack/tuple.ts';
import {
  MANIP_SRC,
  natRange,
  natRangeFamily,
  NatCore,
  NF_NAT_RANGE_MAP_IPS,
  NF_NAT_RANGE_PROTO_SPECIFIED,
  SeededRng,
} from '../../src/netfilter/nat/nat-core.ts';
import { Skb } from '../../src/netfilter/core/skb.ts';
import {
  AF_INET,
  AF_INET6,
  formatIpv6,
  ip4,
  parseIp,
  type IpAddr,
  type Words6,
} from '../../src/wire/addr.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../src/wire/ipv4.ts';
import { buildUdpPacket } from '../../src/wire/packet.ts';
import { ip, tuple } from './helpers.ts';

function a6(text: string): Words6 {
  const r = parseIp(text, AF_INET6);
  assert.ok(r.ok && r.value.family === AF_INET6, text);
  return r.value.v6;
}
function addr(text: string): IpAddr {
  const r = parseIp(text);
  assert.ok(r.ok, text);
  return r.value;
}
function t6(src: string, dst: string, proto: number, sport: number, dport: number): TupleBuf {
  return new TupleBuf().setWide(AF_INET6, a6(src), 0, a6(dst), 0, proto, sport, dport);
}
/** A tuple as text: `[src]:sport -> [dst]:dport/proto`. */
function show(t: TupleBuf): string {
  return `[${formatIpv6(t.addr, 0)}]:${t.sport} -> [${formatIpv6(t.addr, 4)}]:${t.dport}/${t.proto}`;
}
/** Allocates and confirms an entry for `orig` (reply: its inverse). */
function track(ct: ConntrackTable, orig: TupleBuf, now = 0): number {
  const reply = new TupleBuf();
  assert.ok(invertTuple(reply, orig));
  const e = ct.alloc(orig, reply, now);
  assert.notEqual(e, NO_ENTRY);
  ct.expires[e] = now + 60;
  assert.ok(ct.confirm(e, now));
  return e;
}

test('layouts: IPv4 keeps its 3-word tuples and 8-word record; IPv6 has 9 and 20', () => {
  assert.deepEqual(
    { ...CT_LAYOUT_IPV4 },
    {
      family: AF_INET,
      addrWords: 1,
      tupleWords: 3,
      recWords: 8,
      meta: REC_META,
      expires: REC_EXPIRES,
    },
  );
  assert.deepEqual([REC_META, REC_EXPIRES], [6, 7]);
  // With window tracking: the same record, then the 8 window words (64 bytes per entry).
  assert.deepEqual({ ...CT_LAYOUT_IPV4_WINDOW }, { ...CT_LAYOUT_IPV4, recWords: 16 });
  assert.equal(new ConntrackTable(4, CT_LAYOUT_IPV4_WINDOW).rw, 16);
  assert.deepEqual(
    { ...CT_LAYOUT_IPV6 },
    { family: AF_INET6, addrWords: 4, tupleWords: 9, recWords: 20, meta: 18, expires: 19 },
  );
  assert.equal(new ConntrackTable(16).layout, CT_LAYOUT_IPV4);
  assert.equal(new ConntrackTable(16, CT_LAYOUT_IPV6).rec.length, 16 * 20);
});

test('IPv4 table: the record is today’s (src, dst, ports per tuple), found by lookup and lookupTuple', () => {
  const ct = new ConntrackTable(16);
  const e = track(ct, tuple('192.168.1.10', '203.0.113.5', IPPROTO_TCP, 40000, 80));
  assert.deepEqual(
    [...ct.rec.subarray(e * 8, e * 8 + 6)],
    [
      ip('192.168.1.10'),
      ip('203.0.113.5'),
      ((40000 << 16) | 80) >>> 0,
      ip('203.0.113.5'),
      ip('192.168.1.10'),
      (80 << 16) | 40000,
    ],
  );
  const byScalars = ct.lookup(ip('203.0.113.5'), ip('192.168.1.10'), IPPROTO_TCP, 80, 40000, 1);
  const byTuple = ct.lookupTuple(tuple('203.0.113.5', '192.168.1.10', IPPROTO_TCP, 80, 40000), 1);
  assert.equal(byScalars, (e << 1) | DIR_REPLY);
  assert.equal(byTuple, byScalars);
});

test('IPv6 table: inserts, looks up both directions, inverts, refuses a clash, removes', () => {
  const ct = new ConntrackTable(64, CT_LAYOUT_IPV6);
  const orig = t6('2001:db8:1::10', '2001:db8:ffff::80', IPPROTO_TCP, 40000, 443);
  const e = track(ct, orig);
  // The record: 4 + 4 address words and the ports, per direction.
  assert.deepEqual(
    [...ct.rec.subarray(e * 20, e * 20 + 9)],
    [0x20010db8, 0x00010000, 0, 0x10, 0x20010db8, 0xffff0000, 0, 0x80, ((40000 << 16) | 443) >>> 0],
  );
  assert.deepEqual(
    [...ct.rec.subarray(e * 20 + 9, e * 20 + 18)],
    [0x20010db8, 0xffff0000, 0, 0x80, 0x20010db8, 0x00010000, 0, 0x10, (443 << 16) | 40000],
  );
  assert.equal(ct.protoOf(e), IPPROTO_TCP);
  assert.equal(ct.lookupTuple(orig, 1), (e << 1) | DIR_ORIGINAL);
  const reply = t6('2001:db8:ffff::80', '2001:db8:1::10', IPPROTO_TCP, 443, 40000);
  assert.equal(ct.lookupTuple(reply, 1), (e << 1) | DIR_REPLY);
  const read = ct.readTuple(e, DIR_REPLY, new TupleBuf());
  assert.equal(read.family, AF_INET6);
  assert.equal(show(read), '[2001:db8:ffff::80]:443 -> [2001:db8:1::10]:40000/6');
  assert.ok(tupleEqual(read, reply));
  // Only the last word differs: another tuple.
  assert.equal(
    ct.lookupTuple(t6('2001:db8:1::11', '2001:db8:ffff::80', IPPROTO_TCP, 40000, 443), 1),
    NO_ENTRY,
  );
  // Same words, other protocol: another tuple.
  assert.equal(
    ct.lookupTuple(t6('2001:db8:1::10', '2001:db8:ffff::80', IPPROTO_UDP, 40000, 443), 1),
    NO_ENTRY,
  );
  // The same tuple again clashes at confirm (both its tuples are taken).
  const again = ct.alloc(orig, reply, 1);
  assert.equal(ct.confirm(again, 1), false);
  assert.equal(ct.count, 1);
  assert.equal(ct.tupleTaken(reply, -1, 1), true);
  // Many entries: every one found in both directions (probing and deletion with backward shift).
  const es: number[] = [];
  for (let i = 0; i < 40; i++)
    es.push(track(ct, t6('2001:db8:1::10', `2001:db8:2::${i + 1}`, IPPROTO_UDP, 5000, 53)));
  for (let i = 0; i < 40; i += 2) ct.remove(es[i]!);
  for (let i = 0; i < 40; i++) {
    const want = i % 2 === 0 ? NO_ENTRY : (es[i]! << 1) | DIR_REPLY;
    assert.equal(
      ct.lookupTuple(t6(`2001:db8:2::${i + 1}`, '2001:db8:1::10', IPPROTO_UDP, 53, 5000), 1),
      want,
    );
  }
  ct.remove(e);
  assert.equal(ct.lookupTuple(orig, 1), NO_ENTRY);
  // An entry past its expiry is not found.
  const late = track(ct, t6('2001:db8:1::99', '2001:db8:ffff::80', IPPROTO_TCP, 1, 2), 0);
  assert.equal(ct.lookupTuple(t6('2001:db8:1::99', '2001:db8:ffff::80', IPPROTO_TCP, 1, 2), 61), NO_ENTRY);
  assert.equal(ct.isUsed(late), false);
});

test('a tuple of one family does not go into a table of the other', () => {
  const ct6 = new ConntrackTable(16, CT_LAYOUT_IPV6);
  const v4 = tuple('192.0.2.1', '198.51.100.1', IPPROTO_UDP, 1, 2);
  assert.throws(() => ct6.alloc(v4, v4, 0), /family 2 tuple in a family 10 table/);
  const ct4 = new ConntrackTable(16);
  const v6 = t6('2001:db8::1', '2001:db8::2', IPPROTO_UDP, 1, 2);
  assert.throws(() => ct4.alloc(v6, v6, 0), /family 10 tuple in a family 2 table/);
});

test('invertTuple: IPv6 ends swap; ICMPv6 echo request inverts to echo reply, id kept', () => {
  const t = t6('2001:db8::1', '2001:db8::2', IPPROTO_UDP, 1234, 53);
  const r = new TupleBuf();
  assert.ok(invertTuple(r, t));
  assert.equal(show(r), '[2001:db8::2]:53 -> [2001:db8::1]:1234/17');
  // In place, too.
  assert.ok(invertTuple(t, t));
  assert.equal(show(t), '[2001:db8::2]:53 -> [2001:db8::1]:1234/17');
  // ICMPv6: sport is the id, dport type << 8 | code (nf_conntrack_proto_icmpv6.c invmap).
  const echo = t6('2001:db8::1', '2001:db8::2', IPPROTO_ICMPV6, 77, 128 << 8);
  assert.ok(invertTuple(r, echo));
  assert.equal(show(r), `[2001:db8::2]:77 -> [2001:db8::1]:${129 << 8}/58`);
  // A neighbour solicitation (135) is no query: no inverse.
  assert.equal(invertTuple(r, t6('2001:db8::1', '2001:db8::2', IPPROTO_ICMPV6, 0, 135 << 8)), false);
  // The IPv4 tuple's words: word 0 and word 4.
  const v4 = tuple('192.0.2.1', '198.51.100.7', IPPROTO_TCP, 1, 2);
  assert.deepEqual(
    [v4.family, v4.addr[0], v4.addr[4], v4.src, v4.dst],
    [AF_INET, ip('192.0.2.1'), ip('198.51.100.7'), ip('192.0.2.1'), ip('198.51.100.7')],
  );
});

test('NAT range of IPv6 addresses: family and words, as nf_nat_range2 holds them', () => {
  const r = natRange(addr('2001:db8:100::1'), addr('2001:db8:100::ff'), { min: 1024, max: 2047 });
  assert.equal(natRangeFamily(r), AF_INET6);
  assert.deepEqual(r.min6, [0x20010db8, 0x01000000, 0, 1]);
  assert.deepEqual(r.max6, [0x20010db8, 0x01000000, 0, 0xff]);
  assert.equal(r.flags, NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED);
  assert.deepEqual([r.minPort, r.maxPort], [1024, 2047]);
  // IPv4 ranges are today's numbers.
  const r4 = natRange(ip4(ip('198.51.100.1')), ip4(ip('198.51.100.9')));
  assert.deepEqual(r4, {
    minAddr: ip('198.51.100.1'),
    maxAddr: ip('198.51.100.9'),
    minPort: 0,
    maxPort: 0,
    flags: NF_NAT_RANGE_MAP_IPS,
  });
  assert.equal(natRangeFamily(r4), AF_INET);
  assert.throws(() => natRange(addr('2001:db8::1'), addr('192.0.2.1')), /mixes IPv4 and IPv6/);
  assert.throws(() => natRange(addr('2001:db8::9'), addr('2001:db8::1')), /ends before it starts/);
});

test('NatCore on an IPv6 table: SNAT into an IPv6 range, port kept, then a clash moves the port', () => {
  const ct = new ConntrackTable(256, CT_LAYOUT_IPV6);
  const nat = new NatCore(ct, new SeededRng(7));
  const pub = natRange(addr('2001:db8:100::1'), addr('2001:db8:100::1'));
  const connect = (src: string, sport: number): number => {
    const orig = t6(src, '2001:db8:ffff::80', IPPROTO_TCP, sport, 443);
    const reply = new TupleBuf();
    invertTuple(reply, orig);
    const e = ct.alloc(orig, reply, 0);
    ct.expires[e] = 60;
    assert.ok(nat.setup(e, pub, MANIP_SRC, 0));
    assert.ok(ct.confirm(e, 0));
    return e;
  };
  const e1 = connect('fd00::10', 40000);
  assert.equal(
    show(ct.readTuple(e1, DIR_REPLY, new TupleBuf())),
    '[2001:db8:ffff::80]:443 -> [2001:db8:100::1]:40000/6',
  );
  assert.equal(ct.statusOf(e1) & (IPS_SRC_NAT | IPS_SRC_NAT_DONE), IPS_SRC_NAT | IPS_SRC_NAT_DONE);
  // Another client, same port: the mapped tuple is taken, so the port moves (1024..65535).
  const e2 = connect('fd00::11', 40000);
  const r2 = ct.readTuple(e2, DIR_REPLY, new TupleBuf());
  assert.equal(formatIpv6(r2.addr, 4), '2001:db8:100::1');
  assert.notEqual(r2.dport, 40000);
  assert.ok(r2.dport >= 1024 && r2.dport <= 65535);
  // The first client's second connection keeps the mapping it has (find_appropriate_src).
  const wide = natRange(addr('2001:db8:100::1'), addr('2001:db8:100::ff'));
  const orig3 = t6('fd00::10', '2001:db8:ffff::81', IPPROTO_TCP, 40000, 443);
  const rep3 = new TupleBuf();
  invertTuple(rep3, orig3);
  const e3 = ct.alloc(orig3, rep3, 0);
  ct.expires[e3] = 60;
  assert.ok(nat.setup(e3, wide, MANIP_SRC, 0));
  assert.equal(
    show(ct.readTuple(e3, DIR_REPLY, new TupleBuf())),
    '[2001:db8:ffff::81]:443 -> [2001:db8:100::1]:40000/6',
  );
  // A range of the other family is refused, not misread.
  const orig4 = t6('fd00::12', '2001:db8:ffff::80', IPPROTO_TCP, 1, 443);
  const rep4 = new TupleBuf();
  invertTuple(rep4, orig4);
  const e4 = ct.alloc(orig4, rep4, 0);
  assert.throws(
    () => nat.setup(e4, natRange(ip4(ip('198.51.100.1')), ip4(ip('198.51.100.1'))), MANIP_SRC, 0),
    /family 2 range for a family 10 connection/,
  );
});

test('NatCore on an IPv6 table: an address from a range stays inside it (find_best_ips_proto)', () => {
  const ct = new ConntrackTable(512, CT_LAYOUT_IPV6);
  const nat = new NatCore(ct, new SeededRng(9));
  const lo = addr('2001:db8:100::ff00');
  const hi = addr('2001:db8:100::1:ff');
  const r = natRange(lo, hi);
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const orig = t6(`fd00::${(i + 1).toString(16)}`, '2001:db8:ffff::80', IPPROTO_UDP, 5000, 53);
    const reply = new TupleBuf();
    invertTuple(reply, orig);
    const e = ct.alloc(orig, reply, 0);
    ct.expires[e] = 60;
    assert.ok(nat.setup(e, r, MANIP_SRC, 0));
    const got = ct.readTuple(e, DIR_REPLY, new TupleBuf());
    const mapped = formatIpv6(got.addr, 4);
    const m = parseIp(mapped);
    assert.ok(m.ok);
    assert.ok(compare(m.value, lo) >= 0 && compare(m.value, hi) <= 0, mapped);
    seen.add(mapped);
    ct.release(e);
  }
  assert.ok(seen.size > 20, `${seen.size} addresses used of 512`);
});

function compare(a: IpAddr, b: IpAddr): number {
  const x = a.family === AF_INET6 ? a.v6 : [a.v4];
  const y = b.family === AF_INET6 ? b.v6 : [b.v4];
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

test('Skb knows its family: AF_INET for the IPv4 packets it parses', () => {
  const skb = new Skb();
  const p = buildUdpPacket(
    { src: ip('192.0.2.1'), dst: ip('198.51.100.2'), id: 1 },
    { srcPort: 1, dstPort: 2 },
    new Uint8Array(4),
  );
  skb.load(p, 0, 'lan', '');
  assert.equal(skb.family, AF_INET);
  assert.equal(skb.family, 2); // NFPROTO_IPV4
});
