// ConntrackTable: alloc/confirm/lookup in both directions (nf_conntrack_find_get over both
// tuplehash entries), removal keeping every other entry findable, expiry exactly at the timeout
// (nf_ct_is_expired: gone when timeout - now <= 0), gc, and the table maximum with early_drop
// (nf_conntrack_core.c, __nf_conntrack_alloc / early_drop_list).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConntrackTable,
  IPS_ASSURED,
  IPS_CONFIRMED,
  NO_ENTRY,
  type CtEventKind,
} from '../../src/netfilter/conntrack/table.ts';
import { DIR_ORIGINAL, DIR_REPLY, invertTuple, TupleBuf } from '../../src/netfilter/conntrack/tuple.ts';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../../src/wire/ipv4.ts';
import { addEntry, find, ip, tuple } from './helpers.ts';

const inv = (t: TupleBuf): TupleBuf => {
  const r = new TupleBuf();
  invertTuple(r, t);
  return r;
};

test('conntrack-table: an unconfirmed entry is not found; confirm makes both directions findable', () => {
  const ct = new ConntrackTable(16);
  const orig = tuple('192.168.1.10', '203.0.113.22', IPPROTO_TCP, 40000, 80);
  const reply = tuple('192.168.1.200', '192.168.1.1', IPPROTO_TCP, 80, 40000);
  const e = ct.alloc(orig, reply, 0);
  ct.expires[e] = 120;
  assert.equal(find(ct, orig, 0), NO_ENTRY);
  assert.equal(ct.count, 1);
  assert.ok(!ct.isConfirmed(e));
  assert.ok(ct.confirm(e, 0));
  assert.ok(ct.status[e]! & IPS_CONFIRMED);
  assert.equal(find(ct, orig, 1), (e << 1) | DIR_ORIGINAL);
  assert.equal(find(ct, reply, 1), (e << 1) | DIR_REPLY);
  // The inverse of the original is not the reply tuple once NAT changed it.
  assert.equal(find(ct, inv(orig), 1), NO_ENTRY);
  assert.deepEqual({ ...ct.readTuple(e, DIR_REPLY, new TupleBuf()) }, { ...reply });
  assert.equal(ct.src(e, DIR_REPLY), ip('192.168.1.200'));
  assert.equal(ct.dport(e, DIR_REPLY), 40000);
});

test('conntrack-table: protocol is part of the key (TCP and UDP with equal ports are two entries)', () => {
  const ct = new ConntrackTable(16);
  const a = addEntry(ct, tuple('10.0.0.1', '10.0.0.2', IPPROTO_TCP, 1000, 53), 0);
  const b = addEntry(ct, tuple('10.0.0.1', '10.0.0.2', IPPROTO_UDP, 1000, 53), 0);
  assert.notEqual(a, b);
  assert.equal(find(ct, tuple('10.0.0.1', '10.0.0.2', IPPROTO_UDP, 1000, 53), 0) >>> 1, b);
  assert.equal(find(ct, tuple('10.0.0.2', '10.0.0.1', IPPROTO_TCP, 53, 1000), 0), (a << 1) | 1);
});

test('conntrack-table: ICMP echo entry found by the reply (type 0, same id)', () => {
  const ct = new ConntrackTable(16);
  const orig = tuple('192.168.1.10', '203.0.113.50', IPPROTO_ICMP, 20306, 8 << 8);
  const e = addEntry(ct, orig, 0);
  assert.equal(find(ct, tuple('203.0.113.50', '192.168.1.10', IPPROTO_ICMP, 20306, 0), 0), (e << 1) | 1);
  assert.equal(find(ct, tuple('203.0.113.50', '192.168.1.10', IPPROTO_ICMP, 20307, 0), 0), NO_ENTRY);
});

test('conntrack-table: confirm refuses a clashing tuple and frees the entry (insert_failed)', () => {
  const ct = new ConntrackTable(16);
  const orig = tuple('192.168.1.10', '192.168.1.200', IPPROTO_TCP, 40000, 80);
  addEntry(ct, orig, 0);
  // A second entry whose *reply* equals the first's reply (two SNATs to the same port).
  const other = tuple('192.168.1.11', '192.168.1.200', IPPROTO_TCP, 40000, 80);
  const e2 = ct.alloc(other, inv(orig), 0);
  ct.expires[e2] = 100;
  assert.equal(ct.confirm(e2, 0), false);
  assert.equal(ct.count, 1);
  assert.equal(ct.used[e2], 0);
  assert.equal(find(ct, other, 0), NO_ENTRY);
});

test('conntrack-table: expiry is exact: alive at t < expires, gone at t >= expires', () => {
  const ct = new ConntrackTable(16);
  const orig = tuple('192.168.1.10', '192.168.1.200', IPPROTO_UDP, 40001, 5000);
  const e = addEntry(ct, orig, 10, 30); // expires at 40
  assert.equal(find(ct, orig, 39.999999), e << 1);
  assert.deepEqual(ct.entries(39.999999), [e]);
  assert.deepEqual(ct.entries(40), []);
  assert.equal(find(ct, inv(orig), 40), NO_ENTRY);
  assert.equal(ct.count, 0, 'the expired entry found by lookup was removed');
  assert.equal(find(ct, orig, 39), NO_ENTRY, 'and stays gone');
});

test('conntrack-table: gc removes exactly the expired entries and reports DESTROY', () => {
  const ct = new ConntrackTable(64);
  const events: [CtEventKind, number][] = [];
  ct.listener = (k, e) => events.push([k, e]);
  const es: number[] = [];
  for (let i = 0; i < 10; i++) {
    es.push(addEntry(ct, tuple('10.0.0.1', '10.0.0.2', IPPROTO_UDP, 1000 + i, 53), 0, 10 + i));
  }
  assert.equal(events.filter(([k]) => k === 'NEW').length, 10);
  assert.equal(ct.gc(14), 5); // expires 10..14
  assert.equal(ct.count, 5);
  assert.deepEqual(ct.entries(14), es.slice(5));
  assert.deepEqual(
    events.filter(([k]) => k === 'DESTROY').map(([, e]) => e),
    es.slice(0, 5),
  );
  assert.equal(ct.gc(14), 0);
  assert.equal(ct.gc(1000), 5);
  assert.equal(ct.count, 0);
});

test('conntrack-table: remove (backward-shift delete) keeps every other entry findable both ways', () => {
  // 1,500 entries in a table of 2,048 (8,192 slots, 3,000 tuples): long probe clusters.
  const ct = new ConntrackTable(2048);
  const live = new Map<number, TupleBuf>();
  let x = 12345;
  const rnd = (): number => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
  for (let i = 0; i < 1500; i++) {
    const t = new TupleBuf().set(0x0a000000 + (rnd() & 0xff), 0xc0a80100 + (i & 0xff), IPPROTO_TCP, i, 80);
    live.set(addEntry(ct, t, 0, 1000), t);
  }
  const order = [...live.keys()].sort(() => (rnd() & 1 ? 1 : -1));
  for (let k = 0; k < order.length; k++) {
    const e = order[k]!;
    const t = live.get(e)!;
    ct.remove(e);
    live.delete(e);
    assert.equal(find(ct, t, 1), NO_ENTRY);
    if (k % 100 === 0 || live.size < 20) {
      for (const [e2, t2] of live) {
        assert.equal(find(ct, t2, 1), e2 << 1, `original of ${e2} after removing ${e}`);
        assert.equal(find(ct, inv(t2), 1), (e2 << 1) | 1, `reply of ${e2} after removing ${e}`);
      }
    }
  }
  assert.equal(ct.count, 0);
});

test('conntrack-table: freed slots are reused and the table never holds more than max', () => {
  const ct = new ConntrackTable(8);
  for (let round = 0; round < 5; round++) {
    const es = [];
    for (let i = 0; i < 8; i++)
      es.push(addEntry(ct, tuple('10.0.0.1', '10.0.0.9', IPPROTO_UDP, i, round), 0));
    assert.equal(ct.count, 8);
    assert.equal(new Set(es).size, 8);
    for (const e of es) assert.ok(e >= 0 && e < 8);
    for (const e of es) ct.remove(e);
  }
});

test('conntrack-table: full table evicts a non-ASSURED entry (early_drop) and counts it', () => {
  const ct = new ConntrackTable(4);
  const es = [];
  for (let i = 0; i < 4; i++)
    es.push(addEntry(ct, tuple('10.0.0.1', '10.0.0.2', IPPROTO_TCP, 1000 + i, 80), 0));
  for (const e of es) ct.status[e]! |= IPS_ASSURED;
  ct.status[es[2]!]! &= ~IPS_ASSURED;
  const t = tuple('10.0.0.1', '10.0.0.2', IPPROTO_TCP, 2000, 80);
  const e = ct.alloc(t, inv(t), 1);
  assert.notEqual(e, NO_ENTRY);
  assert.equal(ct.stats.early_drop, 1);
  assert.equal(ct.stats.drop, 0);
  assert.equal(e, es[2], 'the evicted slot is reused');
  assert.equal(find(ct, tuple('10.0.0.1', '10.0.0.2', IPPROTO_TCP, 1002, 80), 1), NO_ENTRY);
  assert.equal(ct.count, 4);
});

test('conntrack-table: full table of ASSURED entries drops the new one and counts the drop', () => {
  const ct = new ConntrackTable(4);
  for (let i = 0; i < 4; i++) {
    const e = addEntry(ct, tuple('10.0.0.1', '10.0.0.2', IPPROTO_TCP, 1000 + i, 80), 0);
    ct.status[e]! |= IPS_ASSURED;
  }
  const t = tuple('10.0.0.1', '10.0.0.2', IPPROTO_TCP, 2000, 80);
  assert.equal(ct.alloc(t, inv(t), 1), NO_ENTRY);
  assert.equal(ct.alloc(t, inv(t), 2), NO_ENTRY);
  assert.equal(ct.stats.drop, 2);
  assert.equal(ct.stats.early_drop, 0);
  assert.equal(ct.count, 4);
  for (let i = 0; i < 4; i++) {
    assert.notEqual(find(ct, tuple('10.0.0.1', '10.0.0.2', IPPROTO_TCP, 1000 + i, 80), 1), NO_ENTRY);
  }
});

test('conntrack-table: a full table reaps an expired ASSURED entry before dropping (not an early drop)', () => {
  const ct = new ConntrackTable(2);
  for (let i = 0; i < 2; i++) {
    const e = addEntry(ct, tuple('10.0.0.1', '10.0.0.2', IPPROTO_TCP, 1000 + i, 80), 0, 10 + i);
    ct.status[e]! |= IPS_ASSURED;
  }
  const t = tuple('10.0.0.1', '10.0.0.2', IPPROTO_TCP, 2000, 80);
  assert.notEqual(ct.alloc(t, inv(t), 10), NO_ENTRY);
  assert.equal(ct.stats.early_drop, 0);
  assert.equal(ct.stats.drop, 0);
});

test('conntrack-table: release frees an unconfirmed entry without a DESTROY event', () => {
  const ct = new ConntrackTable(4);
  const events: CtEventKind[] = [];
  ct.listener = (k) => events.push(k);
  const t = tuple('10.0.0.1', '10.0.0.2', IPPROTO_TCP, 1, 2);
  const e = ct.alloc(t, inv(t), 0);
  ct.release(e);
  ct.release(e); // twice is harmless
  assert.equal(ct.count, 0);
  assert.deepEqual(events, []);
});

test('conntrack-table: by-source chains hold entries linked by NAT until they are freed', () => {
  const ct = new ConntrackTable(64);
  const chain = (t: TupleBuf): number[] => {
    const out = [];
    for (let e = ct.firstBySource(t.src, t.sport, t.proto); e >= 0; e = ct.nextBySource(e)) out.push(e);
    return out;
  };
  const a = addEntry(ct, tuple('10.0.0.1', '10.0.0.2', IPPROTO_TCP, 1000, 80), 0);
  const b = addEntry(ct, tuple('10.0.0.1', '10.0.0.3', IPPROTO_TCP, 1000, 80), 0);
  const t = tuple('10.0.0.1', '0.0.0.0', IPPROTO_TCP, 1000, 0);
  assert.deepEqual(chain(t), []);
  ct.linkBySource(a);
  ct.linkBySource(b);
  ct.linkBySource(b); // idempotent
  assert.deepEqual(chain(t), [b, a], 'newest first, as hlist_add_head');
  ct.remove(b);
  assert.deepEqual(chain(t), [a]);
  const c = addEntry(ct, tuple('10.0.0.1', '10.0.0.4', IPPROTO_TCP, 1000, 80), 0);
  assert.equal(c, b, 'slot reused');
  assert.deepEqual(chain(t), [a], 'a reused slot is not linked until NAT links it');
  ct.remove(a);
  assert.deepEqual(chain(t), []);
});

test('conntrack-table: times are millisecond ticks; past 24 days the base moves and expiries keep their meaning', () => {
  const ct = new ConntrackTable(16);
  const day = 86400;
  const old = addEntry(ct, tuple('10.0.0.1', '10.0.0.2', IPPROTO_UDP, 1000, 53), 0, 100);
  const t0 = 30 * day + 0.25; // beyond 2^31 ms after the first base: a rebase
  const orig = tuple('10.0.0.3', '10.0.0.2', IPPROTO_TCP, 1000, 80);
  const e = addEntry(ct, orig, t0, 432000);
  assert.equal(ct.expiresAt(e), t0 + 432000);
  assert.equal(ct.expires[e], t0 + 432000, 'the seconds view agrees');
  assert.equal(find(ct, orig, t0 + 431999.999), e << 1);
  assert.deepEqual(ct.entries(t0), [e], 'the entry of day 0 expired long ago');
  assert.ok(ct.isExpired(old, t0));
  const u = addEntry(ct, tuple('10.0.0.4', '10.0.0.2', IPPROTO_UDP, 1000, 53), t0 + 1.5, 30);
  ct.tick(t0 + 13 * day); // another rebase, 12.4 days back from then
  assert.ok(Math.abs(ct.expiresAt(e) - (t0 + 432000)) < 1e-6, 'expiries move with the base');
  // A time before the new base is kept as the base: still days ago, and "more than 2 s ago" is
  // all UDP asks of it.
  assert.ok(ct.createdAt(u) <= t0 + 13 * day - 2);
  assert.equal(find(ct, orig, t0 + 432000), NO_ENTRY);
});

test('conntrack-table: confirm reaps expired entries on both probes and keeps every live tuple findable', () => {
  // A small table where entries keep expiring and their tuples come back, in both directions.
  const ct = new ConntrackTable(8);
  const live = new Map<number, [TupleBuf, TupleBuf]>();
  let now = 0;
  for (let round = 0; round < 400; round++) {
    now += (round * 7) % 5;
    const a = round % 11;
    const orig = new TupleBuf().set(0x0a000001 + (a % 3), 0x0a000100, IPPROTO_UDP, 1000 + a, 53);
    // The reply of every third entry is the inverse of another tuple's, so that reply probes meet
    // expired entries of other connections.
    const reply = new TupleBuf().set(0x0a000100, 0x0a000001 + ((a + round) % 3), IPPROTO_UDP, 53, 1000 + a);
    if (ct.lookup(orig.src, orig.dst, orig.proto, orig.sport, orig.dport, now) !== NO_ENTRY) continue;
    const e = ct.alloc(orig, reply, now);
    if (e === NO_ENTRY) continue;
    ct.expires[e] = now + 1 + (round % 4);
    if (ct.confirm(e, now)) live.set(e, [orig, reply]);
    for (const [x, [o, r]] of live) {
      if (!ct.isUsed(x) || ct.isExpired(x, now)) {
        live.delete(x);
        continue;
      }
      assert.equal(find(ct, o, now), x << 1, `round ${round}: original of ${x}`);
      assert.equal(find(ct, r, now), (x << 1) | 1, `round ${round}: reply of ${x}`);
    }
  }
});

test('conntrack-table: confirm after failed lookups of its tuples (remembered probe ends) places them where a fresh probe would', () => {
  // A small table, so that probes collide and clusters form; lookups before each confirm fill the
  // remembered misses, inserts and removals in between must make confirm forget them.
  for (let seed = 1; seed <= 20; seed++) {
    let x = seed;
    const rnd = (n: number): number => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return (x >>> 8) % n;
    };
    const ct = new ConntrackTable(16);
    const live = new Map<number, TupleBuf>();
    for (let step = 0; step < 400; step++) {
      const op = rnd(4);
      if (op === 0 && live.size) {
        const es = [...live.keys()];
        const e = es[rnd(es.length)]!;
        ct.remove(e);
        live.delete(e);
        continue;
      }
      const t = new TupleBuf().set(0x0a000000 + rnd(4), 0x0a000100 + rnd(4), IPPROTO_UDP, 1000 + rnd(8), 53);
      const r = inv(t);
      if (find(ct, t, 0) !== NO_ENTRY || find(ct, r, 0) !== NO_ENTRY) continue;
      const e = ct.alloc(t, r, 0);
      if (e === NO_ENTRY) continue;
      ct.expires[e] = 1000;
      if (op === 1) {
        // Another connection confirmed between the lookups and this confirm.
        const t2 = new TupleBuf().set(0x0a000200 + rnd(4), 0x0a000300, IPPROTO_UDP, 2000 + rnd(8), 53);
        if (find(ct, t2, 0) === NO_ENTRY && find(ct, inv(t2), 0) === NO_ENTRY) {
          const e2 = ct.alloc(t2, inv(t2), 0);
          if (e2 !== NO_ENTRY) {
            ct.expires[e2] = 1000;
            assert.ok(ct.confirm(e2, 0));
            live.set(e2, t2);
          }
        }
      }
      if (!ct.confirm(e, 0)) continue;
      live.set(e, t);
      for (const [le, lt] of live) {
        assert.equal(find(ct, lt, 0), le << 1, `seed ${seed} step ${step}: original of ${le}`);
        assert.equal(find(ct, inv(lt), 0), (le << 1) | 1, `seed ${seed} step ${step}: reply of ${le}`);
      }
    }
  }
});
