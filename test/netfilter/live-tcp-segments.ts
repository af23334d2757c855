// Hand-made TCP segments through a router, in natbox and in the kernel: the same list of segments
// (chosen sequence numbers and flags) sent by the client (10.0.1.2, behind `lan`) and the server
// (198.51.100.2, behind `wan`), one at a time, through natbox's engine and through a live router
// namespace (raw sockets; the ends' own kernels are kept from answering with RSTs). What the
// server and the client received, `conntrack -L` and `conntrack -S` are compared by the tests.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { formatConntrackLine, formatConntrackStats } from '../../src/netfilter/conntrack/format.ts';
import { NF_ACCEPT } from '../../src/netfilter/core/engine.ts';
import { buildTcpPacket } from '../../src/wire/packet.ts';
import { engine, forward, ip } from './helpers.ts';
import { routerNetns, shOk } from './live-env.ts';

/** One segment: from the client (`c`) or the server (`s`), to the address and port given. */
export interface Seg {
  from: 'c' | 's';
  src: string;
  sport: number;
  dst: string;
  dport: number;
  /** TCP flags, as tcpdump prints them: S, SA, A, PA, FA, R, RA. */
  flags: string;
  seq: number;
  ack: number;
  /** Payload bytes (x). */
  len?: number;
  /** The window field (default 64240). */
  win?: number;
  /** A window-scale option with this shift (and MSS 1460), as a SYN or SYN-ACK carries it. */
  wscale?: number;
  /** Take a `conntrack -L` snapshot once this segment has been sent (Run.snaps). */
  snap?: boolean;
}

/**
 * A segment of the connection 10.0.1.2:40000 <-> 198.51.100.2:80: from the client, or from the
 * server to the client's public side 198.51.100.1:`pubPort`.
 */
export function connSeg(
  pubPort: number,
  from: 'c' | 's',
  flags: string,
  seq: number,
  ack: number,
  len = 0,
): Seg {
  return from === 'c'
    ? { from, src: '10.0.1.2', sport: 40000, dst: '198.51.100.2', dport: 80, flags, seq, ack, len }
    : { from, src: '198.51.100.2', sport: 80, dst: '198.51.100.1', dport: pubPort, flags, seq, ack, len };
}

/** The three-way handshake of that connection: client ISN 1000, server ISN 7000. */
export const handshake = (pubPort: number): Seg[] => [
  connSeg(pubPort, 'c', 'S', 1000, 0),
  connSeg(pubPort, 's', 'SA', 7000, 1001),
  connSeg(pubPort, 'c', 'A', 1001, 7001),
];

/** A segment as the other end got it: `198.51.100.1:1024>198.51.100.2:80 SA seq ack len`. */
export type Got = string;

export interface Run {
  /** `conntrack -L` lines, timeout and use count left out, sorted. */
  list: string[];
  /** The `conntrack -S` counters summed over the CPUs. */
  stats: string;
  /** What reached the server (`s`) and the client (`c`), in order. */
  got: { c: Got[]; s: Got[] };
  /** `conntrack -L` (as `list`) after each segment marked `snap`, only when one is. */
  snaps?: string[][];
}

const FLAG_BITS: Record<string, number> = { F: 1, S: 2, R: 4, P: 8, A: 16 };
const flagBits = (f: string): number => [...f].reduce((a, c) => a | (FLAG_BITS[c] ?? 0), 0);
const flagText = (b: number): string =>
  'SFRPA'
    .split('')
    .filter((c) => b & FLAG_BITS[c]!)
    .join('');

const dot = (a: number): string => [a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].join('.');

/** One received segment as text. */
function gotText(b: Uint8Array): Got {
  const hl = (b[0]! & 15) * 4;
  const r32 = (o: number): number => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  const r16 = (o: number): number => (b[o]! << 8) | b[o + 1]!;
  const doff = (b[hl + 12]! >>> 4) * 4;
  const len = r16(2) - hl - doff;
  return `${dot(r32(12))}:${r16(hl)}>${dot(r32(16))}:${r16(hl + 2)} ${flagText(b[hl + 13]!)} ${r32(hl + 4)} ${r32(hl + 8)} ${len}`;
}

export function normalizeList(lines: readonly string[]): string[] {
  return lines
    .filter((l) => l.startsWith('tcp'))
    .map((l) => l.replace(/^(tcp\s+6) \d+ /, '$1 ').replace(/ use=\d+$/, ''))
    .sort();
}

export function sumStats(text: string): string {
  const sums = new Map<string, number>();
  for (const m of text.matchAll(/(\w+)=(\d+)/g))
    if (m[1] !== 'cpu') sums.set(m[1]!, (sums.get(m[1]!) ?? 0) + Number(m[2]));
  return [...sums].map(([k, v]) => `${k}=${v}`).join(' ');
}

/** The segments through natbox's engine (`rules`: iptables lines without `iptables`). */
export function natboxRun(
  rules: readonly string[],
  segs: readonly Seg[],
  sysctls?: Map<string, number>,
): Run {
  const nf = engine(rules.map((r) => `iptables ${r}`).join('\n'), { ...(sysctls ? { sysctls } : {}) });
  const got: Run['got'] = { c: [], s: [] };
  const ct = nf.conntrack;
  const listAt = (now: number): string[] => {
    const list: string[] = [];
    for (const e of ct.entries(now)) list.push(formatConntrackLine(ct, e, now));
    return normalizeList(list);
  };
  const snaps: string[][] = [];
  segs.forEach((g, i) => {
    const buf = buildTcpPacket(
      { src: ip(g.src), dst: ip(g.dst), id: 1, ttl: 64 },
      {
        srcPort: g.sport,
        dstPort: g.dport,
        seq: g.seq,
        ack: g.ack,
        flags: flagBits(g.flags),
        window: g.win ?? 64240,
        ...(g.wscale === undefined
          ? {}
          : { options: [{ kind: 'mss', mss: 1460 }, { kind: 'nop' }, { kind: 'ws', shift: g.wscale }] }),
      },
      new Uint8Array(g.len ?? 0).fill(0x78),
    );
    const lan = g.from === 'c';
    if (forward(nf, buf, lan ? 'lan' : 'wan', lan ? 'wan' : 'lan', i * 0.2) === NF_ACCEPT)
      got[lan ? 's' : 'c'].push(gotText(buf));
    if (g.snap) snaps.push(listAt(i * 0.2 + 0.1));
  });
  return {
    list: listAt(segs.length * 0.2),
    stats: sumStats(formatConntrackStats(nf.stats)),
    got,
    ...(segs.some((g) => g.snap) ? { snaps } : {}),
  };
}

// Sends one segment from a raw socket (marked 1, so that the OUTPUT rule below lets it pass; the
// kernel's own RSTs, for segments no socket owns, are dropped).
const SEND = String.raw`
import socket, struct, sys, json
g = json.loads(sys.argv[1])
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
bits = {'F': 1, 'S': 2, 'R': 4, 'P': 8, 'A': 16}
fl = sum(bits[c] for c in g['flags'])
data = b'x' * g.get('len', 0)
opt = b'' if g.get('wscale') is None else struct.pack('!BBHBBBB', 2, 4, 1460, 1, 3, 3, g['wscale'])
hdr = struct.pack('!HHIIBBHHH', g['sport'], g['dport'], g['seq'], g['ack'], (5 + len(opt) // 4) << 4, fl, g.get('win', 64240), 0, 0) + opt
ph = socket.inet_aton(g['src']) + socket.inet_aton(g['dst']) + struct.pack('!BBH', 0, 6, len(hdr) + len(data))
c = csum(ph + hdr + data)
seg = hdr[:16] + struct.pack('!H', c) + hdr[18:] + data
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
s.setsockopt(socket.SOL_SOCKET, 36, 1)
s.bind((g['src'], 0))
s.sendto(seg, (g['dst'], 0))
`;

// Prints every TCP segment reaching the namespace (a raw socket's copy) until killed (or 600 s).
const LISTEN = String.raw`
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
s.settimeout(0.2)
print('ready', flush=True)
end = time.time() + 600
while time.time() < end:
    try:
        b = s.recv(65535)
    except socket.timeout:
        continue
    print(b.hex(), flush=True)
`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The segments through a live router namespace, `sysctls` set on it (name=value). */
export async function kernelRun(
  rules: readonly string[],
  segs: readonly Seg[],
  sysctls: readonly string[] = [],
): Promise<Run> {
  const { c, r, s, del } = routerNetns(`nbx-tcpseg-${process.pid}`);
  const sh = shOk;
  const listeners: ReturnType<typeof spawn>[] = [];
  try {
    sh(`ip -n ${s} addr add 198.51.100.2/24 dev s0 && ip -n ${s} route add default via 198.51.100.1`);
    for (const k of sysctls) sh(`ip netns exec ${r} sysctl -qw ${k}`);
    for (const n of [c, s])
      sh(`ip netns exec ${n} iptables -A OUTPUT -p tcp --tcp-flags RST RST -m mark ! --mark 1 -j DROP`);
    for (const rule of rules) sh(`ip netns exec ${r} iptables ${rule}`);
    sh(`ip netns exec ${r} conntrack -F 2>/dev/null; ip netns exec ${r} conntrack -L >/dev/null 2>&1; true`);
    const out: Record<'c' | 's', string> = { c: '', s: '' };
    for (const n of ['c', 's'] as const) {
      const l = spawn('ip', ['netns', 'exec', n === 'c' ? c : s, 'python3', '-c', LISTEN]);
      listeners.push(l);
      await new Promise<void>((res) => {
        l.stdout.on('data', (d: Buffer) => {
          out[n] += d.toString();
          if (out[n].includes('ready')) res();
        });
      });
    }
    const snaps: string[][] = [];
    for (const g of segs) {
      const x = spawnSync(
        'ip',
        ['netns', 'exec', g.from === 'c' ? c : s, 'python3', '-c', SEND, JSON.stringify(g)],
        {
          encoding: 'utf8',
          timeout: 30_000,
        },
      );
      assert.equal(x.status, 0, x.stderr);
      await sleep(200);
      if (g.snap) snaps.push(normalizeList(sh(`ip netns exec ${r} conntrack -L 2>/dev/null`).split('\n')));
    }
    await sleep(300);
    for (const l of listeners) l.kill();
    const got: Run['got'] = { c: [], s: [] };
    for (const n of ['c', 's'] as const) {
      for (const line of out[n].split('\n')) {
        if (!/^[0-9a-f]+$/.test(line)) continue;
        const b = Uint8Array.from(Buffer.from(line, 'hex'));
        // Only what came in from the router (not the namespace's own segments, seen on output).
        const src = dot(((b[12]! << 24) | (b[13]! << 16) | (b[14]! << 8) | b[15]!) >>> 0);
        if ((n === 'c' && src === '10.0.1.2') || (n === 's' && src === '198.51.100.2')) continue;
        got[n].push(gotText(b));
      }
    }
    return {
      list: normalizeList(sh(`ip netns exec ${r} conntrack -L 2>/dev/null`).split('\n')),
      stats: sumStats(sh(`ip netns exec ${r} conntrack -S`)),
      got,
      ...(segs.some((g) => g.snap) ? { snaps } : {}),
    };
  } finally {
    for (const l of listeners) l.kill();
    del();
  }
}
