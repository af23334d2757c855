// Conntrack and NAT rates (`npm run bench -- conntrack`). Issue targets: >= 10 M packets/s
// established at 65,536 connections; 1 M new connections/s; <= 64 bytes per connection (<= 96
// with TCP window tracking on; its established rate within 20 % of the rate with it off).
//
// Established, "engine pre+postrouting": one packet is one 64-byte UDP or TCP (PSH|ACK) packet of
// a random already-established connection (original direction, LAN -> WAN, MASQUERADE), through
// the real hook methods as the stack calls them for a forwarded packet:
//   Skb.load (parse IPv4 + ports/flags)
//   Netfilter.prerouting: conntrack lookup (hash, probe, tuple compare, expiry check), the
//     UDP/TCP state update (TCP state table, status bits, timeout refresh), nat PREROUTING (no
//     destination manip for this direction: nothing rewritten)
//   Netfilter.postrouting: nat POSTROUTING rewrites the source from the reply tuple (address
//     changed; the port is kept, so its setter finds nothing to do), with the IP header checksum
//     and the UDP/TCP checksum updated incrementally (RFC 1624); confirm (already confirmed)
//   + restoring the packet for its next use (below).
// The connections are 3 s old (NOW below). No tables but nat; no tracer. At 1,000, 65,536 and
// 1,000,000 tracked connections.
// "table + rewrite only" does the same lookup, state update and rewrite with table and wire calls,
// without the hooks, to show what the engine adds.
//
// NAT rewrites packets in place, so each is restored before it is sent again: the sample packets
// sit 64 bytes apart in one buffer, and the 32 bytes that a NAT rewrite can change (bytes 8..39:
// IP TTL..destination, the UDP header / TCP ports..checksum) are copied back as 8 aligned words
// (included in the rates). A check before timing proves that the rewrite happened and that no
// byte outside that window changed.
// TCP data advances as real traffic does: each send of a sample packet moves its sequence number
// on by its 24-byte payload (the restored window's copy is updated, the checksum fixed by RFC 1624:
// a few word operations per packet, in every TCP case, window tracking on or off). Sending the same
// segment again would be a retransmission to window tracking (tcp_in_window's retrans counter:
// after nf_conntrack_tcp_max_retrans repeats the entry takes the max_retrans timeout; measured:
// 5.29 M of 5.32 M timed packets did, all on the fast path). The handshake negotiates window
// scale 7 and a 65535 window (8 MB), so the data stays in the receiver's window without ACKs from
// the server (the entries show DATA_UNACKNOWLEDGED, the unacknowledged timeout).
//
// New connections: see the last case.
import { loadavg } from 'node:os';
import { bench, formatRate } from './harness.ts';
import { ipv4SetSrc, IPPROTO_TCP, IPPROTO_UDP } from '../src/wire/ipv4.ts';
import { checksumUpdate32, read16, read32 } from '../src/wire/checksum.ts';
import {
  TCP_ACK,
  TCP_PSH,
  TCP_SYN,
  tcpChecksumOk,
  tcpPseudoAddrChanged,
  tcpSetPort,
} from '../src/wire/tcp.ts';
import { udpPseudoAddrChanged, udpSetPort } from '../src/wire/udp.ts';
import { NF_ACCEPT, type Netfilter } from '../src/netfilter/core/engine.ts';
import { Skb } from '../src/netfilter/core/skb.ts';
import { tcpPacketTick } from '../src/netfilter/conntrack/proto-tcp.ts';
import { udpPacketTick } from '../src/netfilter/conntrack/proto-udp-icmp.ts';
import { TimeoutTicks } from '../src/netfilter/conntrack/timeouts.ts';
import { TupleBuf, invertTuple } from '../src/netfilter/conntrack/tuple.ts';
import {
  clientAddr,
  clientPort,
  makeEngine,
  MASQ,
  NewConnPacket,
  PUBLIC,
  serverAddr,
  tcp64,
  tcpSyn,
  TEN,
  udp64,
} from './conntrack-fixture.ts';

/**
 * The bytes of a conntrack table's typed arrays (and `extra`'s), each buffer once: `reci` is an
 * Int32Array view of the records' buffer, not more memory (counted twice before session 17).
 */
function tableBytes(ct: object, extra?: ArrayBufferView): number {
  const seen = new Set<ArrayBufferLike>();
  let bytes = 0;
  for (const v of [...Object.values(ct), extra])
    if (ArrayBuffer.isView(v) && !seen.has(v.buffer)) {
      seen.add(v.buffer);
      bytes += v.buffer.byteLength;
    }
  return bytes;
}

/** MASQUERADE and a gateway's stateful FORWARD chain: established packets meet its first rule. */
const MASQ_FILTER = [
  MASQ,
  'iptables -P FORWARD DROP',
  'iptables -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  'iptables -A FORWARD -i lan -o wan -j ACCEPT',
].join('\n');
const skb = new Skb();
function send(nf: Netfilter, b: Uint8Array, off: number, inIf: string, outIf: string, now: number): number {
  skb.load(b, off, inIf, '');
  if (nf.prerouting(skb, now) !== NF_ACCEPT) return 0;
  skb.outIf = outIf;
  return nf.postrouting(skb, now);
}

/** Tracks `n` connections (established, replied) and returns sample packets of `sample` of them. */
function populate(nf: Netfilter, n: number, proto: 'udp' | 'tcp', sample: number): Uint8Array[] {
  for (let i = 0; i < n; i++) {
    const a = clientAddr(i);
    const p = clientPort(i);
    if (proto === 'udp') {
      const s = serverAddr(i);
      send(nf, udp64(a, s, p, 5000), 0, 'lan', 'wan', 0);
      send(nf, udp64(s, PUBLIC, 5000, p), 0, 'wan', 'lan', 0);
    } else {
      const s = serverAddr(i);
      // Client ISN 0 (its data starts at 1), server ISN 1000 (the client's ACKs say 1001).
      send(nf, tcpSyn(a, s, p, 80, TCP_SYN, 0, 0), 0, 'lan', 'wan', 0);
      send(nf, tcpSyn(s, PUBLIC, 80, p, TCP_SYN | TCP_ACK, 1000, 1), 0, 'wan', 'lan', 0);
      send(nf, tcpSyn(a, s, p, 80, TCP_ACK, 1, 1001), 0, 'lan', 'wan', 0);
    }
  }
  if (nf.conntrack.count !== n) throw new Error(`populated ${nf.conntrack.count} of ${n}`);
  const out: Uint8Array[] = [];
  let x = 99991;
  for (let k = 0; k < sample; k++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const i = x % n;
    out.push(
      proto === 'udp'
        ? udp64(clientAddr(i), serverAddr(i), clientPort(i), 5000)
        : tcp64(clientAddr(i), serverAddr(i), clientPort(i), 80, TCP_PSH | TCP_ACK, 1, 1001),
    );
  }
  return out;
}

/** Packets per forwardEstablished call (`NATBOX_BENCH_BURST`). */
const BURST = Number(process.env.NATBOX_BENCH_BURST ?? 32);
const SAMPLE = 8192; // packets of distinct random connections, cycled
const PKT = 64; // bytes per packet, and the distance between packets in the work buffer
/** The restored window: words 2..9 of a packet (bytes 8..39), every byte a NAT rewrite can change. */
const W0 = 2;
const WN = 8;

/** The sample packets in one buffer, PKT apart, and a copy of each one's restored window. */
class Packets {
  readonly buf: Uint8Array;
  readonly w32: Uint32Array;
  readonly pristine: Uint32Array;
  readonly original: Uint8Array;
  /** Each TCP packet's sequence number (host order) and whether the packets are TCP. */
  readonly seq: Uint32Array;
  readonly tcp: boolean;
  constructor(pkts: readonly Uint8Array[]) {
    this.tcp = pkts[0]![9] === IPPROTO_TCP;
    this.seq = Uint32Array.from(pkts, (p) => read32(p, 24));
    this.buf = new Uint8Array(pkts.length * PKT);
    pkts.forEach((p, k) => this.buf.set(p, k * PKT));
    this.w32 = new Uint32Array(this.buf.buffer);
    this.pristine = new Uint32Array(pkts.length * WN);
    for (let k = 0; k < pkts.length; k++)
      for (let w = 0; w < WN; w++) this.pristine[k * WN + w] = this.w32[k * (PKT / 4) + W0 + w]!;
    this.original = this.buf.slice();
  }
  /** Puts packet k's window back as it was (8 word copies). */
  restore(k: number): void {
    const d = k * (PKT / 4) + W0;
    const s = k * WN;
    const w = this.w32;
    const p = this.pristine;
    w[d] = p[s]!;
    w[d + 1] = p[s + 1]!;
    w[d + 2] = p[s + 2]!;
    w[d + 3] = p[s + 3]!;
    w[d + 4] = p[s + 4]!;
    w[d + 5] = p[s + 5]!;
    w[d + 6] = p[s + 6]!;
    w[d + 7] = p[s + 7]!;
  }
  /**
   * Packet k's next send: a TCP packet's sequence number moves on by its payload (24 bytes), its
   * checksum fixed incrementally (RFC 1624), in the restored window; then restore(k). The words are
   * little-endian (bytes 24..27 are word 4 of the window, the checksum the low half of word 7).
   */
  next(k: number): void {
    if (this.tcp) {
      const s = k * WN;
      const p = this.pristine;
      const old = this.seq[k]!;
      const nw = (old + 24) >>> 0;
      this.seq[k] = nw;
      const cw = p[s + 7]!;
      const hc = ((cw & 0xff) << 8) | ((cw >>> 8) & 0xff);
      const nc = checksumUpdate32(hc, old, nw);
      p[s + 7] = (cw & 0xffff0000) | ((nc & 0xff) << 8) | (nc >>> 8);
      p[s + 4] = ((nw >>> 24) | ((nw >>> 8) & 0xff00) | ((nw & 0xff00) << 8) | (nw << 24)) >>> 0;
    }
    this.restore(k);
  }
  /**
   * Sends every packet once and checks that it was accepted and rewritten (source = PUBLIC), that
   * no byte outside the restored window changed, and that restore() gives the original back.
   */
  check(nf: Netfilter): void {
    const b = this.buf;
    for (let k = 0; k * PKT < b.length; k++) {
      const o = k * PKT;
      if (send(nf, b, o, 'lan', 'wan', NOW) !== NF_ACCEPT) throw new Error(`packet ${k} dropped`);
      const src = ((b[o + 12]! << 24) | (b[o + 13]! << 16) | (b[o + 14]! << 8) | b[o + 15]!) >>> 0;
      if (src !== PUBLIC) throw new Error(`packet ${k} not rewritten`);
      for (let j = 0; j < PKT; j++) {
        if ((j < W0 * 4 || j >= (W0 + WN) * 4) && b[o + j] !== this.original[o + j])
          throw new Error(`packet ${k}: byte ${j} changed outside the restored window`);
      }
      this.restore(k);
      for (let j = 0; j < PKT; j++)
        if (b[o + j] !== this.original[o + j]) throw new Error(`packet ${k}: not restored`);
    }
    if (!this.tcp) return;
    // next() advances a TCP packet by its payload with a valid checksum (then back to the start).
    const seq0 = this.seq[0]!;
    const p0 = this.pristine.slice(0, WN);
    this.next(0);
    const src = read32(b, 12);
    const dst = read32(b, 16);
    if (read32(b, 24) !== (seq0 + 24) >>> 0 || !tcpChecksumOk(b, 20, PKT - 20, src, dst))
      throw new Error('next(): sequence number or checksum wrong');
    this.seq[0] = seq0;
    this.pristine.set(p0, 0);
    this.restore(0);
  }
}

/**
 * A bench body: the sample packets through Netfilter.forwardEstablished, BURST at a time, each
 * restored before its burst is sent.
 */
function bursts(nf: Netfilter, pk: Packets, offs: Int32Array): (count: number) => number {
  let k = 0;
  return (count) => {
    let ok = 0;
    for (let i = 0; i < count;) {
      let m = count - i;
      if (m > BURST) m = BURST;
      if (m > SAMPLE - k) m = SAMPLE - k;
      for (let j = 0; j < m; j++) pk.next(k + j);
      ok += nf.forwardEstablished(pk.buf, offs, k, m, 'lan', 'wan', NOW);
      k = (k + m) & (SAMPLE - 1);
      i += m;
    }
    return ok;
  };
}

/**
 * The time of the timed packets, seconds: the connections were made at 0, so they are 3 s old,
 * and the UDP ones have passed the 2 s stream test (ASSURED, the stream timeout), as a long-lived
 * flow has. `NATBOX_BENCH_NOW=1` measures them younger than that (unassured UDP).
 */
const NOW = Number(process.env.NATBOX_BENCH_NOW ?? 3);
/** `NATBOX_BENCH_SIZES=65536` (comma-separated) runs only those table sizes. */
const sizes = (process.env.NATBOX_BENCH_SIZES ?? '1000,65536,1000000').split(',').map(Number);

// TCP twice: window tracking off, then on (", window tracking on" in the names).
for (const [proto, window] of [
  ['udp', false],
  ['tcp', false],
  ['tcp', true],
] as const) {
  const W = window ? ', window tracking on' : '';
  for (const n of sizes) {
    const nf: Netfilter = makeEngine(MASQ, Math.max(n, 1024), window);
    const pk = new Packets(populate(nf, n, proto, SAMPLE));
    pk.check(nf);
    const work = pk.buf;
    let k = 0;
    const engine = nf;
    bench(
      `conntrack: established ${proto.toUpperCase()} 64 B, ${n} conns, engine pre+postrouting${W} (pkts)`,
      (count) => {
        let ok = 0;
        for (let i = 0; i < count; i++) {
          pk.next(k);
          ok += send(engine, work, k * PKT, 'lan', 'wan', NOW);
          k = (k + 1) & (SAMPLE - 1);
        }
        return ok;
      },
      { batch: 50_000 },
    );
    // The same packets and accounting through Netfilter.forwardEstablished, BURST at a time (each
    // restored before its burst is sent): prerouting + forward + postrouting per packet, with the
    // lookups of a burst made together.
    const offs = Int32Array.from({ length: SAMPLE }, (_, j) => j * PKT);
    bench(
      `conntrack: established ${proto.toUpperCase()} 64 B, ${n} conns, engine forwardEstablished x${BURST}${W} (pkts)`,
      bursts(engine, pk, offs),
      { batch: 50_000 },
    );
    if (n <= 65536) {
      // The same through an engine with a filter table as well: FORWARD runs for every packet.
      const nff = makeEngine(MASQ_FILTER, Math.max(n, 1024), window);
      const pf = new Packets(populate(nff, n, proto, SAMPLE));
      pf.check(nff);
      bench(
        `conntrack: established ${proto.toUpperCase()} 64 B, ${n} conns, forwardEstablished x${BURST} + filter FORWARD${W} (pkts)`,
        bursts(nff, pf, offs),
        { batch: 50_000 },
      );
    }
    const ct = engine.conntrack;
    if (window) {
      if (n === 1_000_000) {
        // The window words (tcp-window.ts) are in the record (CT_LAYOUT_IPV4_WINDOW), or in an
        // array of their own: count that with the table.
        const w = ct.tcpWin?.w;
        const bytes = tableBytes(ct, w);
        console.log(
          `${`conntrack: bytes per tracked connection at ${n}, window tracking on`.padEnd(60)} ${(bytes / ct.max).toFixed(1)} B`,
        );
      }
      continue;
    }
    // The same work on the table directly: lookup, state update, rewrite from the reply tuple.
    const to = new TimeoutTicks(engine.timeouts);
    const tb = new TupleBuf();
    const tc = new TupleBuf();
    bench(
      `conntrack: established ${proto.toUpperCase()} 64 B, ${n} conns, table + rewrite only (pkts)`,
      (count) => {
        let ok = 0;
        for (let i = 0; i < count; i++) {
          pk.next(k);
          const o = k * PKT;
          const b = work;
          k = (k + 1) & (SAMPLE - 1);
          const src = ((b[o + 12]! << 24) | (b[o + 13]! << 16) | (b[o + 14]! << 8) | b[o + 15]!) >>> 0;
          const dst = ((b[o + 16]! << 24) | (b[o + 17]! << 16) | (b[o + 18]! << 8) | b[o + 19]!) >>> 0;
          const sport = read16(b, o + 20);
          const dport = read16(b, o + 22);
          const ed = ct.lookup(src, dst, proto === 'udp' ? IPPROTO_UDP : IPPROTO_TCP, sport, dport, NOW);
          if (ed < 0) continue;
          const e = ed >>> 1;
          const nowTick = ct.tick(NOW);
          if (proto === 'udp') udpPacketTick(ct, e, nowTick, to);
          else tcpPacketTick(ct, e, ed & 1, b[o + 33]!, 0, nowTick, to, false);
          ct.readTuple(e, 1, tb);
          invertTuple(tc, tb);
          if (tc.src !== src) {
            ipv4SetSrc(b, o, tc.src);
            if (proto === 'udp') udpPseudoAddrChanged(b, o + 20, src, tc.src);
            else tcpPseudoAddrChanged(b, o + 20, src, tc.src);
          }
          if (tc.sport !== sport) {
            if (proto === 'udp') udpSetPort(b, o + 20, 0, tc.sport);
            else tcpSetPort(b, o + 20, 0, tc.sport);
          }
          ok++;
        }
        return ok;
      },
      { batch: 50_000 },
    );
    if (n === 1_000_000 && proto === 'udp') {
      const bytes = tableBytes(ct);
      console.log(
        `${`conntrack: bytes per tracked connection at ${n} (typed arrays / max)`.padEnd(60)} ${(bytes / ct.max).toFixed(1)} B`,
      );
    }
  }
}

// Window tracking on against off in one process (issue 15's aim: on within 20 % of off): two
// engines tracking the same TCP connections, one with window tracking off and one with it on, the
// same sample packets (each engine its own copy, advancing alike), through forwardEstablished
// x32 in alternating batches (off, on, off, on, ...) of 100,000 packets, each batch's rate per
// CPU second of this process; the ratio of each round's pair, and its median over 25 rounds, so
// that load on the machine falls on both sides alike. `NATBOX_BENCH_ONLY` matches its name.
const AB_ROUNDS = 25;
const AB_BATCH = 100_000;
function cpuRate(body: (count: number) => number, count: number): number {
  const c0 = process.cpuUsage();
  const ok = body(count);
  const c = process.cpuUsage(c0);
  if (ok !== count) throw new Error(`${count - ok} of ${count} packets not accepted`);
  return count / ((c.user + c.system) / 1e6);
}
const median = (xs: readonly number[]): number => {
  const a = [...xs].sort((x, y) => x - y);
  return a.length % 2 ? a[a.length >> 1]! : (a[a.length / 2 - 1]! + a[a.length / 2]!) / 2;
};
for (const n of sizes) {
  const name = `conntrack: established TCP 64 B, ${n} conns, forwardEstablished x${BURST}, window tracking on / off`;
  const only = process.env.NATBOX_BENCH_ONLY;
  if (only !== undefined && !new RegExp(only).test(name)) continue;
  const offs = Int32Array.from({ length: SAMPLE }, (_, j) => j * PKT);
  const sides = [false, true].map((window) => {
    const nf = makeEngine(MASQ, Math.max(n, 1024), window);
    const pk = new Packets(populate(nf, n, 'tcp', SAMPLE));
    pk.check(nf);
    return bursts(nf, pk, offs);
  });
  const [off, on] = sides as [(count: number) => number, (count: number) => number];
  for (let i = 0; i < 3; i++) {
    // warm-up
    cpuRate(off, AB_BATCH);
    cpuRate(on, AB_BATCH);
  }
  const rOff: number[] = [];
  const rOn: number[] = [];
  const ratio: number[] = [];
  for (let i = 0; i < AB_ROUNDS; i++) {
    rOff.push(cpuRate(off, AB_BATCH));
    rOn.push(cpuRate(on, AB_BATCH));
    ratio.push(rOn[i]! / rOff[i]!);
  }
  console.log(
    `${name} = ${median(ratio).toFixed(2)} (on ${formatRate(median(rOn))}/s, off ${formatRate(median(rOff))}/s per CPU second; median of ${AB_ROUNDS} alternating batches, ratios ${Math.min(...ratio).toFixed(2)}-${Math.max(...ratio).toFixed(2)}, load ${loadavg()[0]!.toFixed(1)})`,
  );
}

// New connections: one UDP packet from a client never seen before through a 10-rule nat table
// (5 PREROUTING DNAT rules that do not match, 4 POSTROUTING SNAT rules that do not match, then
// MASQUERADE): conntrack alloc, the nat table at both hooks, the binding, confirm. For a table of
// each size: it fills from empty and is replaced when full (the allocation is counted in the
// rate), so the table holds between 0 and `max` connections while measured. Sizes from 65,536 up
// (a smaller table would be replaced so often that its replacement is what gets measured).
for (const max of sizes.filter((n) => n >= 65536)) {
  const MAX = max;
  let nf = makeEngine(TEN, MAX);
  let i = 0;
  const pk = new NewConnPacket(MAX);
  const b = pk.b;
  bench(
    `conntrack: new UDP connections through a 10-rule nat table, table of ${max} (conns)`,
    (count) => {
      let ok = 0;
      for (let j = 0; j < count; j++, i++) {
        if (nf.conntrack.count >= MAX - 1) {
          nf = makeEngine(TEN, MAX);
          i = 0;
        }
        // A new client address and port per connection (checksums are not checked on the way in).
        pk.write(i);
        ok += send(nf, b, 0, 'lan', 'wan', 1);
      }
      return ok;
    },
    { batch: 10_000 },
  );
  if (nf.stats.insert_failed || nf.drops.some((n) => n > 0))
    console.log('  (drops by reason:', [...nf.drops], ')');
}
