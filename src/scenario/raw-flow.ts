// The flows sent as one raw datagram (wire/raw.ts, sim/flows.ts): an SCTP INIT, a DCCP Request, an ESP or
// an AH header. Their words in a scenario: `proto: sctp | dccp | esp | ah`, ports for sctp and
// dccp, `spi` for esp and ah.
import type { At, Expectation, FlowProto } from './model.ts';
import type { Entry, Reader } from './reader.ts';

export const RAW_PROTOS = ['sctp', 'dccp', 'esp', 'ah'] as const;
export type RawProto = (typeof RAW_PROTOS)[number];

export const isRawProto = (p: string): p is RawProto => (RAW_PROTOS as readonly string[]).includes(p);

/** What one raw datagram can come to: an ICMP error back, nothing, or a send error. */
export const RAW_VERDICTS: readonly Expectation[] = [
  'timeout',
  'icmp-error',
  'error',
  'unreachable',
  'storm',
];

/** `spi: 0x1234` (or 4660, or "0x1234"): esp and ah flows only, 0..0xffffffff. */
export function rawFlowSpi(
  r: Reader,
  pr: FlowProto | undefined,
  e: Entry | undefined,
  bad: () => void,
): At<number> | undefined {
  if (!e) return undefined;
  if (pr !== undefined && pr !== 'esp' && pr !== 'ah') {
    r.error(e.keyNode, e.field, `spi is for esp and ah flows, not ${pr}`, 'spi');
    bad();
    return undefined;
  }
  const t = r.text(e.value, e.field, 'an SPI (0..0xffffffff, e.g. 0x1234)');
  if (t === undefined) {
    bad();
    return undefined;
  }
  const v = /^(0x[0-9a-fA-F]{1,8}|\d{1,10})$/.test(t.value) ? Number(t.value) : NaN;
  if (!(v >= 0 && v <= 0xffffffff)) {
    r.error(
      e.value,
      e.field,
      `${JSON.stringify(t.value)} is not an SPI (expected 0..0xffffffff, e.g. 0x1234)`,
    );
    bad();
    return undefined;
  }
  return { value: v, loc: t.loc };
}
