// The callgrind driver of the conntrack established figures (issue 15, "Speed"): tracks CONNS
// connections (UDP, or TCP with window tracking off or on) as bench/conntrack.bench.ts does, warms
// up, then sends PACKETS packets of random established connections through
// Netfilter.forwardEstablished, 32 at a time, and nothing else. Instructions and cache misses per
// packet are callgrind's, counting only while the driver is told to (no start-up in the figure):
//   npx esbuild bench/conntrack-packets.ts --bundle --platform=node --format=esm --outfile=/tmp/ctp.mjs
//   valgrind --tool=callgrind --instr-atstart=no --cache-sim=yes --I1=32768,8,64 --D1=32768,8,64 \
//     --LL=1048576,16,64 --callgrind-out-file=/tmp/ctp.out node --single-threaded /tmp/ctp.mjs \
//     tcp 1 65536 200000 /tmp/ctp
// The driver writes /tmp/ctp.ready once warm and waits for /tmp/ctp.go; `callgrind_control -i on
// PID`, then `touch /tmp/ctp.go`: it sends the packets, writes /tmp/ctp.done and waits for
// /tmp/ctp.stop (`callgrind_control -i off PID` first). scripts/ct-callgrind.sh does all of that
// and prints the totals divided by PACKETS (the few polls around the timed loop are in the count:
// under 0.5 instructions per packet at 200,000).
// Arguments: udp|tcp, window tracking 0|1, CONNS, PACKETS, the marker files' prefix.
import { existsSync, writeFileSync } from 'node:fs';
import { TCP_ACK, TCP_PSH, TCP_SYN } from '../src/wire/tcp.ts';
import { NF_ACCEPT } from '../src/netfilter/core/engine.ts';
import { Skb } from '../src/netfilter/core/skb.ts';
import {
  clientAddr,
  clientPort,
  makeEngine,
  MASQ,
  PUBLIC,
  serverAddr,
  tcp64,
  tcpSyn,
  udp64,
} from './conntrack-fixture.ts';

const [proto = 'tcp', win = '0', connsArg = '65536', packetsArg = '200000', marker = '/tmp/ctp'] =
  process.argv.slice(2);
const CONNS = Number(connsArg);
const PACKETS = Number(packetsArg);
// Window tracking on (1, the engine's default) or off (0).
const nf = makeEngine(MASQ, CONNS, win === '1');
const udp = udp64;
const tcp = (
  src: number,
  dst: number,
  sp: number,
  dp: number,
  flags: number,
  seq: number,
  ack: number,
  hs = false,
) => (hs ? tcpSyn(src, dst, sp, dp, flags, seq, ack) : tcp64(src, dst, sp, dp, flags, seq, ack));
const skb = new Skb();
function send(b: Uint8Array, inIf: string, outIf: string): number {
  skb.load(b, 0, inIf, '');
  if (nf.prerouting(skb, 0) !== NF_ACCEPT) return 0;
  skb.outIf = outIf;
  return nf.postrouting(skb, 0);
}
for (let i = 0; i < CONNS; i++) {
  const a = clientAddr(i);
  const p = clientPort(i);
  const s = serverAddr(i);
  if (proto === 'udp') {
    send(udp(a, s, p, 5000), 'lan', 'wan');
    send(udp(s, PUBLIC, 5000, p), 'wan', 'lan');
  } else {
    send(tcp(a, s, p, 80, TCP_SYN, 0, 0, true), 'lan', 'wan');
    send(tcp(s, PUBLIC, 80, p, TCP_SYN | TCP_ACK, 1000, 1, true), 'wan', 'lan');
    send(tcp(a, s, p, 80, TCP_ACK, 1, 1001, true), 'lan', 'wan');
  }
}
if (nf.conntrack.count !== CONNS) throw new Error(`populated ${nf.conntrack.count}`);

// 8,192 sample packets of random connections, 64 bytes apart; bytes 8..39 restored before each
// send, a TCP packet's sequence number advanced by its payload (checksum fixed by RFC 1624).
const SAMPLE = 8192;
const buf = new Uint8Array(SAMPLE * 64);
let x = 99991;
for (let k = 0; k < SAMPLE; k++) {
  x = (Math.imul(x, 1103515245) + 12345) >>> 0;
  const i = x % CONNS;
  buf.set(
    proto === 'udp'
      ? udp(clientAddr(i), serverAddr(i), clientPort(i), 5000)
      : tcp(clientAddr(i), serverAddr(i), clientPort(i), 80, TCP_PSH | TCP_ACK, 1, 1001),
    k * 64,
  );
}
const w32 = new Uint32Array(buf.buffer);
const pristine = new Uint32Array(SAMPLE * 8);
for (let k = 0; k < SAMPLE; k++) for (let j = 0; j < 8; j++) pristine[k * 8 + j] = w32[k * 16 + 2 + j]!;
const seq = new Uint32Array(SAMPLE).fill(1);
const isTcp = proto === 'tcp';
const bswap = (v: number): number =>
  ((v >>> 24) | ((v >>> 8) & 0xff00) | ((v & 0xff00) << 8) | (v << 24)) >>> 0;
function next(k: number): void {
  const s = k * 8;
  if (isTcp) {
    const old = seq[k]!;
    const nw = (old + 24) >>> 0;
    seq[k] = nw;
    const cw = pristine[s + 7]!;
    // RFC 1624: HC' = ~(~HC + ~m + m') over the 16-bit halves of the old and new numbers.
    let c = (~(((cw & 0xff) << 8) | ((cw >>> 8) & 0xff)) & 0xffff) + (~(old >>> 16) & 0xffff);
    c += ~old & 0xffff;
    c += (nw >>> 16) + (nw & 0xffff);
    c = (c & 0xffff) + (c >>> 16);
    c = (c & 0xffff) + (c >>> 16);
    const nc = ~c & 0xffff;
    pristine[s + 7] = (cw & 0xffff0000) | ((nc & 0xff) << 8) | (nc >>> 8);
    pristine[s + 4] = bswap(nw);
  }
  const d = k * 16 + 2;
  for (let j = 0; j < 8; j++) w32[d + j] = pristine[s + j]!;
}
const offs = Int32Array.from({ length: SAMPLE }, (_, j) => j * 64);
let kk = 0;
function run(n: number): number {
  let ok = 0;
  for (let i = 0; i < n; i += 32) {
    for (let j = 0; j < 32; j++) next(kk + j);
    ok += nf.forwardEstablished(buf, offs, kk, 32, 'lan', 'wan', 3);
    kk = (kk + 32) & (SAMPLE - 1);
  }
  return ok;
}
let acc = run(400_000); // warm-up: optimised code in place
if (acc !== 400_000) throw new Error(`warm-up: ${acc} of 400000 accepted`);
const sleep = new Int32Array(new SharedArrayBuffer(4));
writeFileSync(`${marker}.ready`, String(process.pid));
while (!existsSync(`${marker}.go`)) Atomics.wait(sleep, 0, 0, 20);
acc = run(PACKETS);
writeFileSync(`${marker}.done`, '');
while (!existsSync(`${marker}.stop`)) Atomics.wait(sleep, 0, 0, 200);
console.log(
  `${proto} window ${win} ${CONNS} conns ${PACKETS} packets: ${acc} accepted, short way ${nf.shortWayPackets}`,
);
