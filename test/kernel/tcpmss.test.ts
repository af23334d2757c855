// TCPMSS against the live kernel: crafted TCP packets (the MSS option at offsets 0-3 after NOPs,
// after an EOL, missing, cut off by the end of the header, a bad data offset...) are sent by raw
// socket from a client namespace through a router namespace whose mangle FORWARD chain has a
// TCPMSS rule, captured with tcpdump on the server namespace, and compared byte for byte (the
// whole IPv4 packet: TTL, lengths, options, both checksums) with what natbox's engine makes of the
// same input. `natbox verify` cannot send crafted packets (its flows use real sockets), so this is
// a test of its own, with verify's safety rules: namespaces named nbx-mss-PID-*, never linked to
// the root namespace, addresses from 192.0.2.0/24 and 198.51.100.0/24, removed afterwards also on
// failure, bounded waits, only the tcpdump this test started is stopped. Skips, saying why,
// without root, ip netns, iptables-nft, tcpdump or python3.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPcap, networkOffset } from '../../src/wire/pcap.ts';
import { ipv4DecTtl, ipv4FillChecksum } from '../../src/wire/ipv4.ts';
import { tcpFillChecksum } from '../../src/wire/tcp.ts';
import { read16 } from '../../src/wire/checksum.ts';
import { NF_ACCEPT } from '../../src/netfilter/core/engine.ts';
import { engine, forward, lastSkb } from '../netfilter/helpers.ts';

function why(): string | undefined {
  if (process.platform !== 'linux') return 'kernel test: needs Linux';
  if (process.getuid?.() !== 0) return 'kernel test: needs root (ip netns add)';
  const has = (cmd: string, args: string[]): boolean => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    return !r.error && r.status === 0;
  };
  if (!has('ip', ['netns', 'list'])) return 'kernel test: "ip netns" is not available (install iproute2)';
  const ipt = spawnSync('iptables', ['--version'], { encoding: 'utf8' });
  if (ipt.error || ipt.status !== 0) return 'kernel test: iptables is not installed';
  if (!/nf_tables/.test(ipt.stdout)) return 'kernel test: expects iptables-nft (1.8.x, nf_tables)';
  if (!has('tcpdump', ['--version'])) return 'kernel test: tcpdump is not installed';
  if (!has('python3', ['--version']))
    return 'kernel test: python3 is not installed (it sends the raw packets)';
  return undefined;
}
const skip = why();

const PREFIX = `nbx-mss-${process.pid}`;
const C = `${PREFIX}-c`;
const R = `${PREFIX}-r`;
const S = `${PREFIX}-s`;

function run(args: string[], input?: string): string {
  const r = spawnSync(args[0]!, args.slice(1), {
    encoding: 'utf8',
    timeout: 20_000,
    ...(input ? { input } : {}),
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}
const inNs = (ns: string, ...args: string[]): string => run(['ip', 'netns', 'exec', ns, ...args]);

function cleanup(): void {
  for (const ns of [C, R, S]) spawnSync('ip', ['netns', 'del', ns]);
}

/** client c0 192.0.2.2 — r0 192.0.2.1 router r1 198.51.100.1 — s0 198.51.100.2 server. */
function build(): void {
  for (const ns of [C, R, S]) {
    run(['ip', 'netns', 'add', ns]);
    inNs(ns, 'ip', 'link', 'set', 'lo', 'up');
  }
  run(['ip', 'link', 'add', 'c0', 'netns', C, 'type', 'veth', 'peer', 'name', 'r0', 'netns', R]);
  run(['ip', 'link', 'add', 's0', 'netns', S, 'type', 'veth', 'peer', 'name', 'r1', 'netns', R]);
  inNs(C, 'ip', 'addr', 'add', '192.0.2.2/24', 'dev', 'c0');
  inNs(C, 'ip', 'link', 'set', 'c0', 'up');
  inNs(C, 'ip', 'route', 'add', 'default', 'via', '192.0.2.1');
  inNs(R, 'ip', 'addr', 'add', '192.0.2.1/24', 'dev', 'r0');
  inNs(R, 'ip', 'addr', 'add', '198.51.100.1/24', 'dev', 'r1');
  inNs(R, 'ip', 'link', 'set', 'r0', 'up');
  inNs(R, 'ip', 'link', 'set', 'r1', 'up');
  inNs(S, 'ip', 'addr', 'add', '198.51.100.2/24', 'dev', 's0');
  inNs(S, 'ip', 'link', 'set', 's0', 'up');
  inNs(S, 'ip', 'route', 'add', 'default', 'via', '198.51.100.1');
  inNs(R, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
}

const SRC = 0xc0000202; // 192.0.2.2
const DST = 0xc6336402; // 198.51.100.2

interface Case {
  readonly name: string;
  readonly opts: number[];
  readonly flags?: number;
  readonly payload?: number[];
  readonly doff?: number;
}

const MSS = [2, 4, 0x23, 0x00]; // 8960: every variant lowers it
const nops = (n: number): number[] => Array<number>(n).fill(1);
const CASES: Case[] = [
  { name: 'MSS at offset 0', opts: MSS },
  { name: 'MSS after 1 NOP (odd)', opts: [...nops(1), ...MSS] },
  { name: 'MSS after 2 NOPs', opts: [...nops(2), ...MSS] },
  { name: 'MSS after 3 NOPs (odd)', opts: [...nops(3), ...MSS] },
  { name: 'MSS after 5 NOPs (odd)', opts: [...nops(5), ...MSS] },
  { name: 'Linux SYN options', opts: [...MSS, 4, 2, 8, 10, 0, 1, 2, 3, 0, 0, 0, 0, 1, 3, 3, 7] },
  { name: 'SACK-permitted then MSS', opts: [4, 2, ...MSS] },
  { name: 'SACK-permitted, NOP, then MSS (odd)', opts: [4, 2, 1, ...MSS] },
  { name: 'MSS after an EOL', opts: [0, ...MSS] },
  { name: 'MSS after a zero-length option', opts: [5, 0, ...MSS] },
  { name: 'MSS already low', opts: [2, 4, 0x01, 0x00] },
  { name: 'no MSS option', opts: [4, 2] },
  { name: 'no option at all', opts: [] },
  { name: 'no MSS option, with payload', opts: [4, 2], payload: [0x41, 0x42] },
  {
    name: 'MSS cut off by the end of the header (payload after)',
    opts: [...nops(18), 2, 4],
    payload: [0x23, 0],
  },
  { name: 'MSS cut off, header of 56 bytes, no payload', opts: [...nops(34), 2, 4] },
  { name: 'MSS cut off, header of 60 bytes, no payload', opts: [...nops(38), 2, 4] },
  { name: 'data offset 4 (header under 20 bytes)', opts: [], doff: 4 },
  { name: 'data offset past the packet', opts: [...MSS], doff: 9 },
  { name: 'SYN-ACK with MSS after 1 NOP', opts: [...nops(1), ...MSS], flags: 0x12 },
  { name: 'ACK without options', opts: [], flags: 0x10 },
];

/** The crafted packet: IPv4 (id 1, TTL 64) + TCP from 192.0.2.2:sport to 198.51.100.2:80. */
function craft(c: Case, sport: number): Uint8Array {
  const o = [...c.opts];
  while (o.length % 4) o.push(0);
  const payload = c.payload ?? [];
  const tcpLen = 20 + o.length + payload.length;
  const b = new Uint8Array(20 + tcpLen);
  b.set([
    0x45,
    0,
    (20 + tcpLen) >> 8,
    (20 + tcpLen) & 0xff,
    0,
    1,
    0,
    0,
    64,
    6,
    0,
    0,
    192,
    0,
    2,
    2,
    198,
    51,
    100,
    2,
  ]);
  b.set([sport >> 8, sport & 0xff, 0, 80, 0, 0, 3, 0xe8, 0, 0, 0, 0, (c.doff ?? 5 + o.length / 4) << 4], 20);
  b[33] = c.flags ?? 0x02;
  b.set([0xfa, 0xf0], 34);
  b.set(o, 40);
  b.set(payload, 40 + o.length);
  ipv4FillChecksum(b, 0);
  tcpFillChecksum(b, 20, tcpLen, SRC, DST);
  return b;
}

const SENDER = [
  'import socket, sys',
  's = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)',
  'for h in sys.argv[1:]:',
  '    b = bytes.fromhex(h)',
  '    s.sendto(b, (socket.inet_ntoa(b[16:20]), 0))',
].join('\n');

/** Sends the packets from the client and returns what tcpdump saw arrive at the server, by sport. */
async function kernelRun(rule: string, packets: Uint8Array[], dir: string): Promise<Map<number, Uint8Array>> {
  inNs(R, 'iptables', '-t', 'mangle', '-F');
  inNs(R, 'sh', '-c', rule);
  const file = join(dir, `cap-${Math.random().toString(36).slice(2)}.pcap`);
  const dump = spawn(
    'ip',
    // --immediate-mode: packets are not held in the capture ring (up to 1 s) and lost at SIGINT.
    [
      'netns',
      'exec',
      S,
      'tcpdump',
      '-i',
      's0',
      '-n',
      '-U',
      '--immediate-mode',
      '-w',
      file,
      'tcp and src host 192.0.2.2',
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const exited = new Promise<void>((resolve) => dump.on('exit', () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => {
      let err = '';
      const t = setTimeout(() => reject(new Error(`tcpdump did not start: ${err}`)), 10_000);
      dump.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('listening on')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    inNs(C, 'python3', '-c', SENDER, ...packets.map((p) => Buffer.from(p).toString('hex')));
    await new Promise((r) => setTimeout(r, 1000));
  } finally {
    dump.kill('SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    if (dump.exitCode === null) dump.kill('SIGKILL');
  }
  const pcap = readPcap(new Uint8Array(readFileSync(file)));
  assert.ok(pcap.ok, 'tcpdump wrote a readable pcap');
  const at = networkOffset(pcap.value.linktype);
  const out = new Map<number, Uint8Array>();
  for (const p of pcap.value.packets) {
    const ip = p.data.subarray(at);
    out.set(read16(ip, 20), ip.slice(0, read16(ip, 2)));
  }
  return out;
}

/** natbox: the router's forward path (TTL first, as ip_forward), then its hooks. */
function natboxRun(rule: string, pkt: Uint8Array): Uint8Array | undefined {
  const nf = engine(rule);
  const b = pkt.slice();
  ipv4DecTtl(b, 0);
  if (forward(nf, b, 'r0', 'r1', 0) !== NF_ACCEPT) return undefined;
  const skb = lastSkb();
  return skb.buf.slice(0, skb.len);
}

const hex = (b: Uint8Array | undefined): string => (b ? Buffer.from(b).toString('hex') : '(dropped)');

const VARIANTS = [
  'iptables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1200',
  'iptables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu',
  // iptables-nft (nft_compat) skips xt_TCPMSS's check for a SYN match: every TCP packet is mangled.
  'iptables -t mangle -A FORWARD -p tcp -j TCPMSS --set-mss 1200',
];

test(
  'kernel: TCPMSS on crafted packets, byte for byte with natbox',
  skip ? { skip } : { timeout: 120_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nbx-mss-'));
    cleanup();
    try {
      build();
      for (const [v, rule] of VARIANTS.entries()) {
        const packets = CASES.map((c, i) => craft(c, 40000 + v * 100 + i));
        const seen = await kernelRun(rule, packets, dir);
        const diffs: string[] = [];
        CASES.forEach((c, i) => {
          const theirs = seen.get(40000 + v * 100 + i);
          const ours = natboxRun(rule, packets[i]!);
          if (hex(ours) !== hex(theirs))
            diffs.push(`${c.name}\n  kernel ${hex(theirs)}\n  natbox ${hex(ours)}`);
        });
        assert.deepEqual(diffs, [], `${rule}:\n${diffs.join('\n')}`);
        // The run really tested something: the kernel changed most packets and dropped the bad ones.
        assert.ok(
          seen.size >= CASES.length - 2 && seen.size < CASES.length,
          `${rule}: ${seen.size} packets seen`,
        );
      }
    } finally {
      cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
