// Public addresses in live runs must be documentation addresses (RFC 5737: 192.0.2.0/24,
// 198.51.100.0/24, 203.0.113.0/24). A scenario that uses another public address (the seed's
// 82.120.11.22) is rewritten before both the natbox run and the kernel run, so both sides see the
// same addresses and compare equal: each public /24 it uses moves to a documentation /24 the
// scenario does not use, keeping the last octet. Private, loopback, link-local, shared (CGN) and
// multicast addresses stay as they are. A public network wider than /24 cannot be moved this way.
import { parseIpv4 } from '../../wire/addr.ts';

export const DOC_NETS = ['203.0.113', '198.51.100', '192.0.2'] as const;

export interface Remap {
  /** The scenario text with every moved address rewritten. */
  readonly text: string;
  /** Old /24 → new /24 (`82.120.11` → `203.0.113`), in the order first met. */
  readonly nets: ReadonlyMap<string, string>;
}

const QUAD = /(?<![\d.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?(?![\d.])/g;

/** Whether a live run may put this address in a namespace as it is. */
export function isLiveSafe(a: number): boolean {
  const in_ = (net: string, len: number): boolean => {
    const n = parseIpv4(net);
    if (!n.ok) return false;
    const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    return (a & mask) >>> 0 === n.value;
  };
  return (
    a === 0 ||
    in_('10.0.0.0', 8) ||
    in_('172.16.0.0', 12) ||
    in_('192.168.0.0', 16) ||
    in_('100.64.0.0', 10) ||
    in_('127.0.0.0', 8) ||
    in_('169.254.0.0', 16) ||
    in_('224.0.0.0', 3) ||
    in_('192.0.2.0', 24) ||
    in_('198.51.100.0', 24) ||
    in_('203.0.113.0', 24) ||
    a === 0xffffffff
  );
}

/** Rewrites the scenario text; an error when a public network wider than /24 is used. */
export function remapScenarioText(text: string): { ok: true; remap: Remap } | { ok: false; error: string } {
  const used = new Set<string>();
  const moves: { net: string; len?: number; at: number }[] = [];
  for (const m of text.matchAll(QUAD)) {
    const octets = [m[1], m[2], m[3], m[4]].map(Number);
    if (octets.some((o) => o > 255)) continue;
    const net = octets.slice(0, 3).join('.');
    used.add(net);
    const a = parseIpv4(octets.join('.'));
    if (!a.ok || isLiveSafe(a.value)) continue;
    moves.push({ net, ...(m[5] !== undefined ? { len: Number(m[5]) } : {}), at: m.index });
  }
  const nets = new Map<string, string>();
  for (const mv of moves) {
    if (mv.len !== undefined && mv.len < 24) {
      const line = text.slice(0, mv.at).split('\n').length;
      return {
        ok: false,
        error: `line ${line}: the public network ${text.slice(mv.at).split(/[\s,\]]/)[0]} is wider than /24: a live run can only use documentation addresses (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) and cannot move it there`,
      };
    }
    if (nets.has(mv.net)) continue;
    const free = DOC_NETS.find((d) => !used.has(d) && ![...nets.values()].includes(d));
    if (!free)
      return {
        ok: false,
        error: `too many public /24 networks to move to documentation ranges (${[...nets.keys(), mv.net].join(', ')})`,
      };
    nets.set(mv.net, free);
  }
  if (nets.size === 0) return { ok: true, remap: { text, nets } };
  const out = text.replace(QUAD, (all, a: string, b: string, c: string, d: string, len?: string) => {
    const to = nets.get(`${a}.${b}.${c}`);
    return to ? `${to}.${d}${len !== undefined ? `/${len}` : ''}` : all;
  });
  return { ok: true, remap: { text: out, nets } };
}
