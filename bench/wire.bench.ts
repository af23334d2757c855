// Wire-layer rates: parse + checksum verification of 64- and 1500-byte TCP packets, and the
// incremental NAT rewrite (source address + port, checksums fixed per RFC 1624). Runs on import.
import { bench } from './harness.ts';
import { ipv4ChecksumOk, ipv4SetSrc, parseIpv4Header } from '../src/wire/ipv4.ts';
import { parseTcpHeader, tcpChecksumOk, tcpPseudoAddrChanged, tcpSetPort } from '../src/wire/tcp.ts';
import { buildTcpPacket } from '../src/wire/packet.ts';

function tcpPacket(total: number): Uint8Array {
  const opts = [{ kind: 'nop' as const }, { kind: 'nop' as const }, { kind: 'ts' as const, val: 1, ecr: 2 }];
  const payload = new Uint8Array(total - 20 - 32).map((_, i) => i * 7);
  return buildTcpPacket(
    { src: 0xc0a8010a, dst: 0x52780b16, id: 1, dontFragment: true },
    { srcPort: 40000, dstPort: 80, seq: 1000, ack: 2000, flags: 0x18, window: 502, options: opts },
    payload,
  );
}

function parseVerify(p: Uint8Array): (n: number) => number {
  return (n) => {
    let ok = 0;
    for (let i = 0; i < n; i++) {
      const h = parseIpv4Header(p, 0, p.length);
      if (!h.ok || !ipv4ChecksumOk(p, 0)) continue;
      const t = parseTcpHeader(p, 20, h.value.totalLength);
      if (t.ok && tcpChecksumOk(p, 20, h.value.totalLength - 20, h.value.src, h.value.dst)) ok++;
    }
    return ok;
  };
}

for (const size of [64, 1500]) {
  const p = tcpPacket(size);
  bench(`wire: parse + verify checksums, TCP ${size} B (packets)`, parseVerify(p), {
    batch: size > 100 ? 2_000 : 20_000,
  });
}

const p = tcpPacket(1500);
let addr = 0xcb007116;
bench(
  'wire: NAT rewrite src address + port, incremental checksums (packets)',
  (n) => {
    for (let i = 0; i < n; i++) {
      const old = (p[12]! * 16777216 + ((p[13]! << 16) | (p[14]! << 8) | p[15]!)) >>> 0;
      addr = (addr + 1) >>> 0;
      ipv4SetSrc(p, 0, addr);
      tcpPseudoAddrChanged(p, 20, old, addr);
      tcpSetPort(p, 20, 0, addr & 0xffff);
    }
    return p[10];
  },
  { batch: 100_000 },
);
