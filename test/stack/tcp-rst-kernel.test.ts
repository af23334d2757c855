// RST rules of an established Linux connection (issue 14 point 6; RFC 5961 3.2 as net/ipv4/
// tcp_input.c tcp_validate_incoming applies it): a reset at exactly rcv_nxt resets the connection;
// anywhere else in the receive window it gets a challenge ACK (tcp_send_challenge_ack, at most one
// per net.ipv4.tcp_invalid_ratelimit, 500 ms: tcp_oow_rate_limited); outside the window it is
// dropped silently (tcp_sequence; rcv_nxt - 1 resets only in CLOSE_WAIT, LAST_ACK, CLOSING:
// tcp_reset_check). A peer of raw sockets opens a connection to a listening server by hand and
// sends resets, through natbox's sockets and through a live namespace (its own kernel's RSTs
// dropped); what the server answered is compared, and whether its connection was reset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { prepareScenario } from '../../src/scenario/simulate.ts';
import { World } from '../../src/sim/world.ts';
import { buildTcpPacket } from '../../src/wire/packet.ts';
import { decodeEthernet } from '../../src/wire/decode.ts';
import { liveNatMissing, shOk } from '../netfilter/live-env.ts';

/** The resets the peer sends after the handshake: time (s) and offset from the server's rcv_nxt. */
const RESETS: readonly { at: number; off: number; why: string }[] = [
  { at: 0.2, off: 100, why: 'in the window: challenge ACK' },
  { at: 0.3, off: 200, why: 'in the window again within 500 ms: rate limited' },
  { at: 0.4, off: 2_000_000, why: 'beyond the window: dropped' },
  { at: 1.0, off: 300, why: 'in the window, 800 ms after the first: challenge ACK' },
  { at: 1.1, off: -1, why: 'rcv_nxt - 1 in ESTABLISHED: dropped' },
  { at: 1.3, off: 0, why: 'exactly rcv_nxt: the connection is reset' },
];
const CLIENT_ISN = 1000;

/** What the peer received from the server after its SYN-ACK: flags, seq and ack relative to the ISNs. */
type Got = string;
const gotText = (flags: number, seq: number, ack: number, isn: number, len: number): Got =>
  `${flags & 4 ? 'R' : ''}${flags & 16 ? 'A' : ''} seq=isn+${(seq - isn) >>> 0} ack=${(ack - CLIENT_ISN) >>> 0} len=${len}`;

const SCENARIO = `
name: rst
hosts:
  p:
    interfaces: { eth0: 10.9.0.1/24 }
    rules: |
      iptables -A OUTPUT -p tcp --tcp-flags RST RST -m mark ! --mark 1 -j DROP
  s:
    interfaces: { eth0: 10.9.0.2/24 }
    listen: [tcp/80]
links:
  - [p:eth0, s:eth0]
`;

function natboxRun(): { got: Got[]; reset: boolean } {
  const prep = prepareScenario(SCENARIO, 'rst.yaml');
  assert.ok(prep.ok, prep.ok ? '' : prep.errors.join('\n'));
  const steps: { host: string; dir: string; frame?: Uint8Array; text?: string }[] = [];
  const world = new World(
    { ...prep.built.world, seed: 1 },
    {
      step: (_t, s) => {
        if (s.kind === 'packet') steps.push({ host: s.host, dir: s.dir, frame: s.frame });
        if (s.kind === 'socket') steps.push({ host: s.host, dir: '', text: s.text });
      },
    },
  );
  const p = world.host('p');
  const seg = (flags: number, seq: number, ack: number): void =>
    void p.output(
      buildTcpPacket(
        { src: 0x0a090001, dst: 0x0a090002, id: 1, ttl: 64 },
        { srcPort: 40000, dstPort: 80, seq, ack, flags, window: 64240 },
      ),
      undefined,
      false,
      1,
    );
  const fromServer = () =>
    steps
      .filter((s) => s.host === 'p' && s.dir === 'in' && s.frame)
      .map((s) => decodeEthernet(s.frame!).ipv4?.tcp)
      .filter((t) => t !== undefined);
  let isn = 0;
  world.sched.at(0, () => seg(2, CLIENT_ISN, 0));
  world.sched.at(0.1, () => {
    const synack = fromServer()[0]!;
    isn = synack.seq;
    seg(16, CLIENT_ISN + 1, (isn + 1) >>> 0);
  });
  for (const r of RESETS) world.sched.at(r.at, () => seg(4, (CLIENT_ISN + 1 + r.off) >>> 0, 0));
  world.sched.run(3);
  const got = fromServer()
    .slice(1)
    .map((t) => gotText(t.flags, t.seq, t.ack, isn, t.len));
  const reset = steps.some((s) => s.host === 's' && /reset by peer/.test(s.text ?? ''));
  return { got, reset };
}

// The peer, live: SYN, the SYN-ACK's ISN read from a raw socket, ACK, then the resets at their
// times; prints the segments the server sent after its SYN-ACK.
const PEER = String.raw`
import socket, struct, sys, json, time
spec = json.loads(sys.argv[1])
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
SRC, DST = '10.9.0.1', '10.9.0.2'
out = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
out.setsockopt(socket.SOL_SOCKET, 36, 1)
lis = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
lis.settimeout(0.01)
def send(fl, seq, ack):
    hdr = struct.pack('!HHIIBBHHH', 40000, 80, seq & 0xffffffff, ack & 0xffffffff, 5 << 4, fl, 64240, 0, 0)
    ph = socket.inet_aton(SRC) + socket.inet_aton(DST) + struct.pack('!BBH', 0, 6, len(hdr))
    c = csum(ph + hdr)
    out.sendto(hdr[:16] + struct.pack('!H', c) + hdr[18:], (DST, 0))
got = []
def drain(until):
    while time.time() < until:
        try:
            b = lis.recv(65535)
        except socket.timeout:
            continue
        hl = (b[0] & 15) * 4
        sport, dport, seq, ack, off, fl = struct.unpack('!HHIIBB', b[hl:hl + 14])
        if sport != 80 or dport != 40000: continue
        got.append([fl, seq, ack, len(b) - hl - (off >> 4) * 4])
t0 = time.time()
send(2, spec['isn'], 0)
while not got and time.time() < t0 + 3: drain(time.time() + 0.01)
drain(t0 + 0.1)
t0 = time.time() - 0.1  # the resets' times count from the ACK (0.1 s), as natbox's
isn = got[0][1]
send(16, spec['isn'] + 1, isn + 1)
for r in spec['resets']:
    drain(t0 + r['at'])
    send(4, spec['isn'] + 1 + r['off'], 0)
drain(t0 + 2)
print(json.dumps({'isn': isn, 'got': got[1:]}))
`;

// The server, live: accepts one connection and reports how recv() on it ended.
const SERVER = String.raw`
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('10.9.0.2', 80)); s.listen(8)
print('ready', flush=True)
c, a = s.accept()
c.settimeout(5)
try:
    d = c.recv(100)
    print('eof' if not d else 'data', flush=True)
except ConnectionResetError:
    print('reset', flush=True)
except socket.timeout:
    print('timeout', flush=True)
`;

function kernelRun(): { got: Got[]; reset: boolean } {
  const [p, s] = [`nbx-rst-${process.pid}-p`, `nbx-rst-${process.pid}-s`];
  const del = (): void => {
    for (const n of [p, s]) spawnSync('ip', ['netns', 'del', n]);
  };
  try {
    for (const n of [p, s]) shOk(`ip netns add ${n} && ip -n ${n} link set lo up`);
    shOk(`ip link add p0 netns ${p} type veth peer name s0 netns ${s}`);
    shOk(`ip -n ${p} addr add 10.9.0.1/24 dev p0 && ip -n ${p} link set p0 up`);
    shOk(`ip -n ${s} addr add 10.9.0.2/24 dev s0 && ip -n ${s} link set s0 up`);
    shOk(`ip netns exec ${p} iptables -A OUTPUT -p tcp --tcp-flags RST RST -m mark ! --mark 1 -j DROP`);
    const server = spawnSync(
      'sh',
      [
        '-c',
        `ip netns exec ${s} python3 -c "$SERVER" > /tmp/nbx-rst-${process.pid}.srv & sleep 0.5; ` +
          `ip netns exec ${p} python3 -c "$PEER" '${JSON.stringify({ isn: CLIENT_ISN, resets: RESETS })}'; wait`,
      ],
      { encoding: 'utf8', env: { ...process.env, SERVER, PEER }, timeout: 20_000 },
    );
    assert.equal(server.status, 0, server.stderr);
    const r = JSON.parse(server.stdout.trim().split('\n').at(-1)!) as { isn: number; got: number[][] };
    const srv = shOk(`cat /tmp/nbx-rst-${process.pid}.srv; rm -f /tmp/nbx-rst-${process.pid}.srv`);
    return {
      got: r.got.map(([fl, seq, ack, len]) => gotText(fl!, seq!, ack!, r.isn, len!)),
      reset: /reset/.test(srv),
    };
  } finally {
    del();
  }
}

const EXPECTED: Got[] = [
  'A seq=isn+1 ack=1 len=0', // the first in-window reset's challenge ACK
  'A seq=isn+1 ack=1 len=0', // the one 800 ms later
];

test('natbox: challenge ACK for an in-window reset (rate limited), nothing for one outside, reset at rcv_nxt', () => {
  const r = natboxRun();
  assert.deepEqual(r.got, EXPECTED);
  assert.equal(r.reset, true);
});

const missing = liveNatMissing();
test('the kernel answers the same resets the same way', { skip: missing }, () => {
  const r = kernelRun();
  assert.deepEqual(r.got, EXPECTED);
  assert.equal(r.reset, true);
});
