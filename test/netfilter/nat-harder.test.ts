// nf_nat_used_tuple_harder: in the last NF_NAT_HARDER_THRESH (32) attempts of a port search, for
// a TCP connection in SYN_SENT, the kernel looks the clashing reply tuple up with
// nf_conntrack_find_get, which counts nothing, instead of nf_conntrack_tuple_taken, which counts
// `found` (net/netfilter/nf_nat_core.c, Linux 6.18). A DNAT to one address and port onto a tuple in
// use searches a range of one port: 1 attempt left, so the clash is not counted for TCP and is for
// UDP. Origin of the expected counts: nf_nat_edemux.sh's DNAT case on Linux 6.18.44
// (test/verify/selftests/nf-nat-edemux-dnat-sport-clash.yaml: `conntrack -S` found=2 there), and
// the source above for the UDP case (every lookup is nf_nat_used_tuple).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NF_ACCEPT } from '../../src/netfilter/core/engine.ts';
import { buildTcpPacket, buildUdpPacket } from '../../src/wire/packet.ts';
import { engine, forward, ip } from './helpers.ts';

const rules = (proto: string): string =>
  `iptables -t nat -A PREROUTING -i lan -d 198.51.100.9 -p ${proto} -j DNAT --to-destination 198.51.100.2:80`;

function run(proto: 'tcp' | 'udp'): { verdicts: number[]; found: number } {
  const nf = engine(rules(proto));
  const pkt = (dst: string, dport: number): Uint8Array =>
    proto === 'tcp'
      ? buildTcpPacket(
          { src: ip('10.0.1.2'), dst: ip(dst), id: 1, ttl: 64 },
          { srcPort: 40002, dstPort: dport, seq: 1000, ack: 0, flags: 0x02, window: 64240 },
        )
      : buildUdpPacket(
          { src: ip('10.0.1.2'), dst: ip(dst), id: 1, ttl: 64 },
          { srcPort: 40002, dstPort: dport },
        );
  const verdicts = [
    forward(nf, pkt('198.51.100.2', 80), 'lan', 'wan', 0), // the tuple in use
    forward(nf, pkt('198.51.100.9', 8080), 'lan', 'wan', 1), // DNATed onto it
  ];
  return { verdicts, found: nf.stats.found };
}

test('a TCP SYN DNATed onto a tuple in use: the harder lookup counts nothing, the source manips count 2', () => {
  // DNAT: the one-port search ends in nf_nat_used_tuple_harder (not counted). The null SNAT
  // binding at POSTROUTING: the original tuple (counted), then the tuple with the address from
  // the range (counted), then a port search with 128 attempts whose first, free, candidate ends it.
  assert.deepEqual(run('tcp'), { verdicts: [NF_ACCEPT, NF_ACCEPT], found: 2 });
});

test('the same with UDP: every lookup is nf_nat_used_tuple, the DNAT clash is counted too', () => {
  assert.deepEqual(run('udp'), { verdicts: [NF_ACCEPT, NF_ACCEPT], found: 3 });
});
