// Shared by the wire tests: the recorded vectors, fast-check run counts, and external tools
// (tshark, tcpdump) that some tests use as oracles and skip without.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseIpv4 } from '../../src/wire/addr.ts';

/** fast-check runs per property: NATBOX_FC_RUNS, or 2000. */
export const FC_RUNS = Number(process.env.NATBOX_FC_RUNS ?? 2000) || 2000;

export interface Vector {
  readonly name: string;
  readonly what: string;
  readonly origin: string;
  readonly layer: 'ipv4' | 'arp';
  readonly hex: string;
  readonly tcpdump: string;
  readonly tshark: Readonly<Record<string, string>>;
  readonly fields: Readonly<Record<string, readonly string[]>>;
  readonly bytes: Uint8Array;
}

export function loadVectors(file = 'kernel.json'): Vector[] {
  const j = JSON.parse(readFileSync(join(import.meta.dirname, '../vectors/wire', file), 'utf8')) as {
    vectors: Omit<Vector, 'bytes'>[];
  };
  return j.vectors.map((v) => ({ ...v, bytes: fromHex(v.hex) }));
}

export function vector(name: string): Vector {
  const v = loadVectors().find((x) => x.name === name);
  if (v === undefined) throw new Error(`no vector ${name}`);
  return v;
}

export function fromHex(h: string): Uint8Array {
  return Uint8Array.from(Buffer.from(h, 'hex'));
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** A tshark number: decimal or 0x-hex. */
export function num(s: string | undefined): number {
  if (s === undefined) throw new Error('field missing');
  return s.startsWith('0x') ? parseInt(s, 16) : Number(s);
}

export function addr(s: string | undefined): number {
  const r = parseIpv4(s ?? '');
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

/** false when `tool` runs, else the reason a test that needs it is skipped. */
export function missing(tool: 'tshark' | 'tcpdump'): string | false {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return false;
  } catch {
    return `${tool} not installed: apt-get install ${tool}`;
  }
}

/** fast-check parameters: NATBOX_FC_RUNS runs, seeded (NATBOX_FC_SEED, or a fixed seed) so runs repeat. */
export function fcOpts(): { numRuns: number; seed: number } {
  return { numRuns: FC_RUNS, seed: Number(process.env.NATBOX_FC_SEED ?? 0x6e6174) };
}
