// tcpdump's text for the raw flows' datagrams (ESP, AH, SCTP INIT, DCCP Request). The expected
// lines are `tcpdump -nn -r` (tcpdump 4.99) of the kernel reference's capture of the same bytes
// sent from python3 raw sockets and MASQUERADEd to 198.51.100.1 (the lead's /tmp/rawexp.sh, Linux
// 6.18): before format-raw.ts natbox printed `ip-proto-50 16` and the like.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIpv4Packet } from '../../src/wire/format.ts';
import { buildRawPacket, RAW_PROTO_NUMBER, rawFlowPayload, type RawFlowProto } from '../../src/wire/raw.ts';
import { parseIpv4 } from '../../src/wire/addr.ts';

const ip = (s: string): number => (parseIpv4(s) as { value: number }).value;

test('ESP, AH, SCTP INIT and DCCP Request print as tcpdump -nn prints them', () => {
  const cases: [RawFlowProto, number, string][] = [
    ['esp', 0x1234, 'IP 198.51.100.1 > 198.51.100.80: ESP(spi=0x00001234,seq=0x1), length 16'],
    [
      'ah',
      0x99,
      'IP 198.51.100.1 > 198.51.100.80: AH(spi=0x00000099,seq=0x1,icv=0x000000000000000000000000): no next header',
    ],
    [
      'sctp',
      0,
      'IP 198.51.100.1.40000 > 198.51.100.80.5000: sctp (1) [INIT] [init tag: 4369] [rwnd: 65535] [OS: 10] [MIS: 10] [init TSN: 8738] ',
    ],
    ['dccp', 0, 'IP 198.51.100.1.40000 > 198.51.100.80.5000: DCCP DCCP-Request (service=0) '],
  ];
  for (const [proto, spi, want] of cases) {
    const p = buildRawPacket(
      { src: ip('198.51.100.1'), dst: ip('198.51.100.80'), id: 1, dontFragment: true, ttl: 63 },
      RAW_PROTO_NUMBER[proto],
      rawFlowPayload(proto, 40000, 5000, spi),
    );
    assert.equal(formatIpv4Packet(p), want);
  }
});

test('a header cut short prints generically', () => {
  const p = buildRawPacket({ src: ip('10.0.0.1'), dst: ip('10.0.0.2'), id: 1 }, 50, new Uint8Array(4));
  assert.equal(formatIpv4Packet(p), 'IP 10.0.0.1 > 10.0.0.2:  ip-proto-50 4');
});
