// ConntrackTable.confirmAfter (the fused first-packet path's confirm, core/first-packet.ts) against
// confirm(): two tables take the same new connections, one confirmed with confirmAfter from the
// miss noted at the original tuple's lookup, the other with confirm(). Between the note and the
// confirm, other connections come and go (each insertion or deletion changes slots, so a noted
// miss no longer says where the tuple goes), the noted miss may be another tuple's, and lookups of
// other tuples push the noted one out of the memo: confirmAfter must insert exactly as confirm()
// does, so that every live tuple is found in both tables and the slot words are the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConntrackTable } from '../../src/netfilter/conntrack/table.ts';
import { IPPROTO_UDP } from '../../src/wire/ipv4.ts';

/** xorshift32: the same "random" steps in every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

interface Flow {
  src: number;
  dst: number;
  sport: number;
  dport: number;
}

/** A new UDP connection's lookups, alloc and confirm, with `between` run before the confirm. */
function connect(
  ct: ConntrackTable,
  f: Flow,
  after: boolean,
  between: (ct: ConntrackTable) => void,
  before?: Flow,
): number {
  // Another tuple's failed lookup first: the original's miss is not the memo's first.
  if (before) ct.lookupTick(before.src, before.dst, IPPROTO_UDP, before.sport, before.dport, ct.tick(1));
  ct.lookupTick(f.src, f.dst, IPPROTO_UDP, f.sport, f.dport, ct.tick(1));
  const k0 = ct.newestMiss();
  const epoch = ct.missEpoch;
  const e = ct.alloc4(f.src, f.dst, IPPROTO_UDP, f.sport, f.dport, ct.tick(1));
  if (e < 0) return e;
  ct.refresh(e, ct.tick(1), 30_000); // udp_packet's timeout: alive for the whole test
  between(ct);
  // The NAT clash check: the reply tuple's lookup, the last one before the confirm.
  ct.taken4(f.dst, f.src, IPPROTO_UDP, f.dport, f.sport, e, 1);
  const ok = after ? ct.confirmAfter(e, k0, epoch, 1) : ct.confirm(e, 1);
  assert.ok(ok);
  return e;
}

test('confirmAfter inserts as confirm does, whatever happened since the noted miss', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const r = rng(seed);
    // A small table: probes run into each other, so a slot noted too early is a wrong one.
    const a = new ConntrackTable(24);
    const b = new ConntrackTable(24);
    const live: Flow[] = [];
    const flow = (): Flow => ({
      src: 0x0a000000 + (r() % 5),
      dst: 0xcb007100 + (r() % 3),
      sport: 1024 + (r() % 6),
      dport: 53,
    });
    for (let step = 0; step < 60; step++) {
      const f = flow();
      if (live.some((x) => x.src === f.src && x.dst === f.dst && x.sport === f.sport)) continue;
      if (live.length >= 20) break;
      const kind = r() % 4;
      const other = { ...flow(), sport: 3000 + step }; // a tuple no other flow has
      const gone = kind === 1 ? live.shift() : undefined;
      const between = (ct: ConntrackTable): void => {
        if (gone !== undefined) {
          // Another connection goes: its slots are deleted (the memo is forgotten).
          const ed = ct.lookupTick(gone.src, gone.dst, IPPROTO_UDP, gone.sport, gone.dport, ct.tick(1));
          assert.ok(ed >= 0);
          ct.remove(ed >>> 1);
        } else if (kind === 2) {
          // Five other failed lookups: the noted miss is no longer in the memo.
          for (let k = 0; k < 5; k++)
            ct.lookupTick(other.src, other.dst, IPPROTO_UDP, other.sport + k, 9, ct.tick(1));
        } else if (kind === 3) {
          // Another connection is confirmed first (slots inserted).
          connect(ct, other, false, () => {});
        }
      };
      if (kind === 3) live.push(other);
      const before = r() % 2 === 0 ? { ...other, dport: 7 } : undefined;
      const ea = connect(a, f, true, between, before);
      const eb = connect(b, f, false, between, before);
      assert.equal(ea, eb);
      live.push(f);
      for (const x of live) {
        for (const ct of [a, b]) {
          assert.ok(
            ct.lookupTick(x.src, x.dst, IPPROTO_UDP, x.sport, x.dport, ct.tick(1)) >= 0,
            `seed ${seed}`,
          );
          assert.ok(
            ct.lookupTick(x.dst, x.src, IPPROTO_UDP, x.dport, x.sport, ct.tick(1)) >= 0,
            `seed ${seed}`,
          );
        }
      }
      // The hash tables themselves: the same slot words.
      const sa = (a as unknown as { slots: Uint32Array }).slots;
      const sb = (b as unknown as { slots: Uint32Array }).slots;
      assert.deepEqual(sa, sb, `seed ${seed} step ${step}`);
    }
  }
});
