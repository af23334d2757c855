// NatCore against nf_nat_core.c: get_unique_tuple (keep the tuple when in range and unused,
// find_appropriate_src, find_best_ips_proto), nf_nat_l4proto_unique_tuple (port ranges by the
// original port, random start from the seeded RNG, halving attempts), nf_nat_setup_info (reply
// tuple, SRC_NAT/DST_NAT, *_DONE) and the null binding (nf_nat_alloc_null_binding).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConntrackTable,
  IPS_DST_NAT,
  IPS_DST_NAT_DONE,
  IPS_SRC_NAT,
  IPS_SRC_NAT_DONE,
  NO_ENTRY,
} from '../../src/netfilter/conntrack/table.ts';
import { DIR_ORIGINAL, DIR_REPLY, invertTuple, TupleBuf } from '../../src/netfilter/conntrack/tuple.ts';
import {
  MANIP_DST,
  MANIP_SRC,
  NatCore,
  NF_NAT_RANGE_MAP_IPS,
  NF_NAT_RANGE_PERSISTENT,
  NF_NAT_RANGE_PROTO_RANDOM_FULLY,
  NF_NAT_RANGE_PROTO_SPECIFIED,
  SeededRng,
  type NatRangeN,
} from '../../src/netfilter/nat/nat-core.ts';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../../src/wire/ipv4.ts';
import { ip, tuple } from './helpers.ts';

const SEED = 0x1234;

function toAddr(a: string, b = a, ports?: [number, number], flags = 0): NatRangeN {
  return {
    minAddr: ip(a),
    maxAddr: ip(b),
    minPort: ports?.[0] ?? 0,
    maxPort: ports?.[1] ?? 0,
    flags: NF_NAT_RANGE_MAP_IPS | (ports ? NF_NAT_RANGE_PROTO_SPECIFIED : 0) | flags,
  };
}

class Box {
  readonly ct = new ConntrackTable(4096);
  readonly nat = new NatCore(this.ct, new SeededRng(SEED));
  /** One connection's first packet: DNAT at PREROUTING, SNAT at POSTROUTING, confirm. */
  connect(
    orig: TupleBuf,
    dnat: NatRangeN | undefined,
    snat: NatRangeN | undefined,
    now = 0,
  ): { e: number; ok: boolean } {
    const r = new TupleBuf();
    invertTuple(r, orig);
    const e = this.ct.alloc(orig, r, now);
    assert.notEqual(e, NO_ENTRY);
    this.ct.expires[e] = now + 120;
    if (!this.nat.setup(e, dnat, MANIP_DST, now) || !this.nat.setup(e, snat, MANIP_SRC, now)) {
      this.ct.release(e);
      return { e, ok: false };
    }
    return { e, ok: this.ct.confirm(e, now) };
  }
  reply(e: number): TupleBuf {
    return this.ct.readTuple(e, DIR_REPLY, new TupleBuf());
  }
}

/** The port the kernel would pick on the first random draw: min + off % size. */
function firstDraw(min: number, size: number, seed = SEED): number {
  return min + (new SeededRng(seed).u16() % size);
}

const SNAT_1 = toAddr('192.168.1.1');
const DNAT_200 = toAddr('192.168.1.200');

test('nat-POSTROUTING-SNAT-keeps-source-port when the reply tuple is free (hairpin-tcp-dnat-snat run)', () => {
  const b = new Box();
  const { e, ok } = b.connect(
    tuple('192.168.1.10', '203.0.113.22', IPPROTO_TCP, 40000, 80),
    DNAT_200,
    SNAT_1,
  );
  assert.ok(ok);
  assert.deepEqual({ ...b.reply(e) }, { ...tuple('192.168.1.200', '192.168.1.1', IPPROTO_TCP, 80, 40000) });
  const st = b.ct.status[e]!;
  assert.ok(st & IPS_SRC_NAT && st & IPS_DST_NAT && st & IPS_SRC_NAT_DONE && st & IPS_DST_NAT_DONE);
  assert.equal(b.nat.lastTries, 0, 'no port search');
  // The original tuple is never touched.
  assert.equal(b.ct.dst(e, DIR_ORIGINAL), ip('203.0.113.22'));
});

test('nat-POSTROUTING-SNAT-port-clash: the second client gets a random port in 1024-65535 (seeded)', () => {
  const b = new Box();
  b.connect(tuple('192.168.1.10', '203.0.113.22', IPPROTO_TCP, 40000, 80), DNAT_200, SNAT_1);
  const { e, ok } = b.connect(
    tuple('192.168.1.11', '203.0.113.22', IPPROTO_TCP, 40000, 80),
    DNAT_200,
    SNAT_1,
  );
  assert.ok(ok);
  const port = b.reply(e).dport;
  assert.notEqual(port, 40000);
  assert.equal(port, firstDraw(1024, 65535 - 1024 + 1), 'min + (random u16 % range size)');
  assert.equal(b.ct.dst(e, DIR_REPLY), ip('192.168.1.1'));
  // Deterministic: the same seed gives the same port.
  const b2 = new Box();
  b2.connect(tuple('192.168.1.10', '203.0.113.22', IPPROTO_TCP, 40000, 80), DNAT_200, SNAT_1);
  const again = b2.connect(tuple('192.168.1.11', '203.0.113.22', IPPROTO_TCP, 40000, 80), DNAT_200, SNAT_1);
  assert.equal(b2.reply(again.e).dport, port);
});

test('nat-POSTROUTING-SNAT-port-clash: the first connection in TIME_WAIT still clashes (sequential run)', () => {
  // The entry lives on in TIME_WAIT (its reply tuple is taken), so the kernel remapped c2.
  const b = new Box();
  const first = b.connect(tuple('192.168.1.10', '203.0.113.22', IPPROTO_TCP, 40000, 80), DNAT_200, SNAT_1);
  b.ct.state[first.e] = 7; // TIME_WAIT, 120 s left
  const { e } = b.connect(tuple('192.168.1.11', '203.0.113.22', IPPROTO_TCP, 40000, 80), DNAT_200, SNAT_1, 5);
  assert.notEqual(b.reply(e).dport, 40000);
});

test('nat-POSTROUTING-SNAT: the port range follows the original port: <512 -> 1-511, 512-1023 -> 600-1023', () => {
  for (const [sport, min, max] of [
    [100, 1, 511],
    [700, 600, 1023],
    [511, 1, 511],
    [512, 600, 1023],
    [1023, 600, 1023],
    [1024, 1024, 65535],
  ] as const) {
    const b = new Box();
    const ports = new Set<number>();
    for (let i = 0; i < 40; i++) {
      const c = b.connect(
        tuple(`10.0.0.${i + 1}`, '203.0.113.50', IPPROTO_UDP, sport, 53),
        undefined,
        SNAT_1,
      );
      assert.ok(c.ok);
      const p = b.reply(c.e).dport;
      if (i === 0) assert.equal(p, sport, 'the first keeps its port');
      else assert.ok(p >= min && p <= max, `sport ${sport}: ${p} not in ${min}-${max}`);
      ports.add(p);
    }
    assert.equal(ports.size, 40, 'no two connections share a mapping');
  }
});

test('nat-POSTROUTING-SNAT --to-source with a port range: ports from the range, then drop when full', () => {
  const b = new Box();
  const r = toAddr('192.168.1.1', '192.168.1.1', [2000, 2010]);
  const seen = new Set<number>();
  for (let i = 0; i < 11; i++) {
    const c = b.connect(tuple(`10.0.0.${i + 1}`, '203.0.113.50', IPPROTO_TCP, 40000, 80), undefined, r);
    assert.ok(c.ok, `connection ${i}`);
    const p = b.reply(c.e).dport;
    assert.ok(p >= 2000 && p <= 2010, `${p}`);
    seen.add(p);
    if (i === 0) assert.equal(p, firstDraw(2000, 11), 'out of range: random start in the range');
  }
  assert.equal(seen.size, 11);
  const full = b.connect(tuple('10.0.0.99', '203.0.113.50', IPPROTO_TCP, 40000, 80), undefined, r);
  assert.equal(full.ok, false, 'every port of the range is taken');
  assert.equal(b.ct.count, 11);
});

test('nat-POSTROUTING-SNAT: a source already in the range keeps its port (nf_in_range, step 1)', () => {
  const b = new Box();
  const r = toAddr('10.0.0.1', '10.0.0.1', [40000, 40010]);
  const c = b.connect(tuple('10.0.0.1', '203.0.113.50', IPPROTO_TCP, 40005, 80), undefined, r);
  assert.deepEqual({ ...b.reply(c.e) }, { ...tuple('203.0.113.50', '10.0.0.1', IPPROTO_TCP, 80, 40005) });
  assert.equal(b.ct.status[c.e]! & IPS_SRC_NAT, 0, 'unchanged: no SRC_NAT');
});

test('nat-POSTROUTING-SNAT: an address range picks by hash, the same for one client (find_best_ips_proto)', () => {
  const b = new Box();
  const r = toAddr('198.51.100.1', '198.51.100.8', undefined, NF_NAT_RANGE_PERSISTENT);
  const a1 = b.connect(tuple('10.0.0.7', '203.0.113.50', IPPROTO_TCP, 1111, 80), undefined, r);
  const a2 = b.connect(tuple('10.0.0.7', '203.0.113.60', IPPROTO_TCP, 2222, 80), undefined, r);
  const x = b.ct.dst(a1.e, DIR_REPLY);
  assert.ok(x >= ip('198.51.100.1') && x <= ip('198.51.100.8'));
  assert.equal(b.ct.dst(a2.e, DIR_REPLY), x, '--persistent: the source address alone decides');
});

test('nat-POSTROUTING-SNAT: find_appropriate_src lends a client its existing mapping', () => {
  const b = new Box();
  b.connect(tuple('192.168.1.10', '203.0.113.50', IPPROTO_UDP, 40001, 5000), undefined, SNAT_1);
  const c2 = b.connect(tuple('192.168.1.11', '203.0.113.50', IPPROTO_UDP, 40001, 5000), undefined, SNAT_1);
  const mapped = b.reply(c2.e).dport;
  assert.notEqual(mapped, 40001);
  // The same client and port to another server: same public port, no new search.
  const c3 = b.connect(tuple('192.168.1.11', '203.0.113.60', IPPROTO_UDP, 40001, 5000), undefined, SNAT_1);
  assert.equal(b.reply(c3.e).dport, mapped);
  assert.equal(b.reply(c3.e).src, ip('203.0.113.60'), 'and its own destination');
  // Once that mapping is gone, a new connection no longer finds it.
  b.ct.remove(c2.e);
  b.ct.remove(c3.e);
  const c4 = b.connect(tuple('192.168.1.11', '203.0.113.60', IPPROTO_UDP, 40001, 5000), undefined, SNAT_1);
  assert.equal(b.reply(c4.e).dport, 40001, 'the original port is free again for this destination');
});

test('nat-POSTROUTING-SNAT --random-fully: a random port even without a clash', () => {
  const b = new Box();
  const r = toAddr('192.168.1.1', '192.168.1.1', undefined, NF_NAT_RANGE_PROTO_RANDOM_FULLY);
  const c = b.connect(tuple('192.168.1.10', '203.0.113.50', IPPROTO_TCP, 40000, 80), undefined, r);
  assert.equal(b.reply(c.e).dport, firstDraw(1024, 64512));
});

test('nat-PREROUTING-DNAT without a port never changes the port', () => {
  const b = new Box();
  const c = b.connect(tuple('192.168.1.10', '203.0.113.22', IPPROTO_TCP, 40000, 80), DNAT_200, undefined);
  assert.deepEqual(
    { ...b.reply(c.e) },
    { ...tuple('192.168.1.200', '192.168.1.10', IPPROTO_TCP, 80, 40000) },
  );
  // A clash on the DNATed tuple: the port still does not move (nf_nat_l4proto_unique_tuple: "If
  // it's dst rewrite, can't change port"); the null binding at POSTROUTING then moves the
  // *source* port, as get_unique_tuple does for any SRC manip whose reply tuple is taken.
  const b2 = new Box();
  b2.connect(tuple('192.168.1.10', '192.168.1.200', IPPROTO_TCP, 40000, 80), undefined, undefined);
  const clash = b2.connect(
    tuple('192.168.1.10', '203.0.113.22', IPPROTO_TCP, 40000, 80),
    DNAT_200,
    undefined,
  );
  assert.ok(clash.ok);
  const r = b2.reply(clash.e);
  assert.equal(r.src, ip('192.168.1.200'));
  assert.equal(r.sport, 80, 'the destination port is never changed');
  assert.equal(r.dst, ip('192.168.1.10'));
  assert.notEqual(r.dport, 40000, 'the source port moved');
  assert.ok(b2.ct.status[clash.e]! & IPS_SRC_NAT);
});

test('nat-PREROUTING-DNAT with a port maps to it (port forward 8080 -> 80)', () => {
  const b = new Box();
  const r = toAddr('192.168.1.200', '192.168.1.200', [80, 80]);
  const c = b.connect(tuple('203.0.113.50', '203.0.113.22', IPPROTO_TCP, 41001, 8080), r, undefined);
  assert.deepEqual(
    { ...b.reply(c.e) },
    { ...tuple('192.168.1.200', '203.0.113.50', IPPROTO_TCP, 80, 41001) },
  );
  assert.ok(b.ct.status[c.e]! & IPS_DST_NAT);
});

test('nat-null-binding: identity when free (no SRC_NAT bit), port remapped only on clash', () => {
  const b = new Box();
  // A plain forwarded connection: both null bindings, nothing changes.
  const plain = b.connect(tuple('10.0.0.5', '10.0.1.5', IPPROTO_TCP, 5555, 22), undefined, undefined);
  assert.ok(plain.ok);
  assert.equal(b.ct.status[plain.e]! & (IPS_SRC_NAT | IPS_DST_NAT), 0);
  assert.equal(
    b.ct.status[plain.e]! & (IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE),
    IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE,
  );
  // A client SNATed to 192.168.1.1:40000, then the box itself opens 192.168.1.1:40000 to the
  // same server: the null binding finds the reply tuple taken and moves the port.
  b.connect(tuple('192.168.1.10', '192.168.1.200', IPPROTO_TCP, 40000, 80), undefined, SNAT_1);
  const own = b.connect(tuple('192.168.1.1', '192.168.1.200', IPPROTO_TCP, 40000, 80), undefined, undefined);
  assert.ok(own.ok);
  const p = b.reply(own.e).dport;
  assert.notEqual(p, 40000);
  assert.ok(p >= 1024 && p <= 65535);
  assert.equal(b.ct.dst(own.e, DIR_REPLY), ip('192.168.1.1'), 'the null binding keeps the address');
  assert.ok(b.ct.status[own.e]! & IPS_SRC_NAT);
});

test('nat-POSTROUTING-MASQUERADE-icmp-id-clash: the second echo id is remapped at random (masq-icmp-id-clash run)', () => {
  const b = new Box();
  const masq = toAddr('203.0.113.22');
  const echo = (src: string): TupleBuf => tuple(src, '203.0.113.50', IPPROTO_ICMP, 20306, 8 << 8);
  const c1 = b.connect(echo('192.168.1.10'), undefined, masq);
  const c2 = b.connect(echo('192.168.1.11'), undefined, masq);
  assert.ok(c1.ok && c2.ok);
  assert.deepEqual(
    { ...b.reply(c1.e) },
    { ...tuple('203.0.113.50', '203.0.113.22', IPPROTO_ICMP, 20306, 0) },
  );
  const r2 = b.reply(c2.e);
  assert.equal(r2.dport, 0, 'echo reply type/code');
  assert.notEqual(r2.sport, 20306);
  assert.equal(r2.sport, firstDraw(0, 65536), 'ids over 0-65535 from a random start');
});

test('nat: the port search walks on from the random offset: min + (off + i) % size', () => {
  const b = new Box();
  const start = firstDraw(1024, 64512);
  assert.ok(start + 2 <= 65535);
  b.connect(tuple('192.168.1.10', '203.0.113.50', IPPROTO_TCP, 40000, 80), undefined, SNAT_1);
  // The box's own connections take the first two candidates (null bindings: no clash, no draw).
  for (const p of [start, start + 1]) {
    assert.ok(b.connect(tuple('192.168.1.1', '203.0.113.50', IPPROTO_TCP, p, 80), undefined, undefined).ok);
  }
  const c = b.connect(tuple('192.168.1.11', '203.0.113.50', IPPROTO_TCP, 40000, 80), undefined, SNAT_1);
  assert.equal(b.reply(c.e).dport, start + 2);
  assert.equal(b.nat.lastTries, 3);
});
