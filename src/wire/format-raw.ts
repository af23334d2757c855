// tcpdump -nn's one-line text for the transports natbox sends only from raw sockets (scenario
// flows of proto sctp, dccp, esp, ah): print-esp.c, print-ah.c, print-sctp.c and print-dccp.c
// without -v, checked against `tcpdump -nn -r` of the kernel reference's raw datagrams
// (test/wire/format-raw.test.ts). Chunk and packet types tcpdump words further with -v are
// printed by name only.
import { formatIpv4 } from './addr.ts';
import { read16, read32 } from './checksum.ts';
import { IPPROTO_AH, IPPROTO_ESP } from './ipsec.ts';
import { IPPROTO_SCTP } from './sctp.ts';
import { IPPROTO_DCCP } from './dccp.ts';

const hex8 = (v: number): string => `0x${v.toString(16).padStart(8, '0')}`;

// print-sctp.c sctp_chunkid_str.
const SCTP_CHUNK: readonly string[] = [
  'DATA',
  'INIT',
  'INIT ACK',
  'SACK',
  'HB REQ',
  'HB ACK',
  'ABORT',
  'SHUTDOWN',
  'SHUTDOWN ACK',
  'OP ERR',
  'COOKIE ECHO',
  'COOKIE ACK',
  'ECN ECHO',
  'ECN CWR',
  'SHUTDOWN COMPLETE',
];

// print-dccp.c dccp_pkt_type_str.
const DCCP_TYPE: readonly string[] = [
  'DCCP-Request',
  'DCCP-Response',
  'DCCP-Data',
  'DCCP-Ack',
  'DCCP-DataAck',
  'DCCP-CloseReq',
  'DCCP-Close',
  'DCCP-Reset',
  'DCCP-Sync',
  'DCCP-SyncAck',
];

// print-sctp.c: " (N) " before each chunk, then "[NAME] " and, for INIT and INIT ACK, its fields.
function sctp(b: Uint8Array, o: number, len: number): string {
  let out = 'sctp';
  let n = 0;
  for (let c = o + 12; c + 4 <= o + len && n < 64;) {
    const type = b[c]!;
    const clen = read16(b, c + 2);
    out += ` (${++n}) [${SCTP_CHUNK[type] ?? `Unknown chunk type: ${type}`}] `;
    if ((type === 1 || type === 2) && clen >= 20 && c + 20 <= o + len)
      out +=
        `[init tag: ${read32(b, c + 4)}] [rwnd: ${read32(b, c + 8)}] [OS: ${read16(b, c + 12)}] ` +
        `[MIS: ${read16(b, c + 14)}] [init TSN: ${read32(b, c + 16)}] `;
    if (clen < 4) break;
    c += (clen + 3) & ~3;
  }
  return out;
}

/**
 * The text after `IP ` for an ESP, AH, SCTP or DCCP packet whose transport header starts at `l4`
 * (`l4len` bytes), or undefined for another protocol or a header cut short.
 */
export function formatRawTransport(
  b: Uint8Array,
  proto: number,
  l4: number,
  l4len: number,
  src: number,
  dst: number,
): string | undefined {
  const ends = `${formatIpv4(src)} > ${formatIpv4(dst)}:`;
  if (proto === IPPROTO_ESP && l4len >= 8)
    return `${ends} ESP(spi=${hex8(read32(b, l4))},seq=0x${read32(b, l4 + 4).toString(16)}), length ${l4len}`;
  if (proto === IPPROTO_AH && l4len >= 12) {
    const hl = (b[l4 + 1]! + 2) * 4;
    if (hl > l4len) return undefined;
    let icv = '';
    for (let i = l4 + 12; i < l4 + hl; i++) icv += b[i]!.toString(16).padStart(2, '0');
    const next = b[l4]!;
    const head = `${ends} AH(spi=${hex8(read32(b, l4 + 4))},seq=0x${read32(b, l4 + 8).toString(16)}${icv ? `,icv=0x${icv}` : ''}):`;
    return next === 59 ? `${head} no next header` : `${head} ip-proto-${next} ${l4len - hl}`;
  }
  const ports = (): string =>
    `${formatIpv4(src)}.${read16(b, l4)} > ${formatIpv4(dst)}.${read16(b, l4 + 2)}:`;
  if (proto === IPPROTO_SCTP && l4len >= 12) return `${ports()} ${sctp(b, l4, l4len)}`;
  if (proto === IPPROTO_DCCP && l4len >= 12) {
    const type = (b[l4 + 8]! >> 1) & 0x0f;
    const name = DCCP_TYPE[type] ?? `DCCP-Invalid`;
    const x = b[l4 + 8]! & 1;
    const svcAt = l4 + (x ? 16 : 12);
    if ((type === 0 || type === 1) && svcAt + 4 <= l4 + l4len)
      return `${ports()} DCCP ${name} (service=${read32(b, svcAt + (type === 1 ? 8 : 0))}) `;
    return `${ports()} DCCP ${name} `;
  }
  return undefined;
}
