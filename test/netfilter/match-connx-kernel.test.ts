// The kernel's counts for connbytes, string, quota, connlabel and helper on one UDP exchange over
// loopback (three 56-byte datagrams 127.0.0.1:40000 -> :9999, each echoed back: six packets of 84
// bytes, each through OUTPUT, then PREROUTING and INPUT), and natbox's on the same packets. The
// expected counts are those of `iptables -L -n -v` after the run on the reference machine (Linux
// 6.18, iptables 1.8.9 nf_tables, a fresh namespace, the script PY below); when root with iptables
// and python3, the test runs it again and compares with the live kernel too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { NF_ACCEPT, Netfilter } from '../../src/netfilter/core/engine.ts';
import { SeededRng } from '../../src/netfilter/nat/nat-core.ts';
import { RTN_LOCAL, Skb } from '../../src/netfilter/core/skb.ts';
import { buildTcpPacket, buildUdpPacket } from '../../src/wire/packet.ts';
import { formatConntrackLine } from '../../src/netfilter/conntrack/format.ts';
import { HOST, ip, ruleset } from './helpers.ts';

const RULES = [
  '-A OUTPUT -p udp -m connbytes --connbytes 1:1 --connbytes-dir original --connbytes-mode packets',
  '-A OUTPUT -p udp -m connbytes --connbytes 2:2 --connbytes-dir both --connbytes-mode packets',
  '-A OUTPUT -p udp -m connbytes --connbytes 84:84 --connbytes-dir original --connbytes-mode bytes',
  '-A OUTPUT -p udp -m connbytes --connbytes 84 --connbytes-dir both --connbytes-mode avgpkt',
  '-A OUTPUT -p udp -m string --hex-string "|45|" --algo bm --to 1',
  '-A OUTPUT -p udp -m string --hex-string "|45|" --algo bm --from 1 --to 2',
  '-A OUTPUT -p udp -m string --string "xxxx" --algo kmp --from 80 --to 84',
  '-A OUTPUT -p udp -m string --string "xxxx" --algo kmp --from 81 --to 84',
  '-A OUTPUT -p udp -m quota --quota 200',
  '-A OUTPUT -p udp -m connlabel --label 3 --set',
  '-A INPUT -p udp -m connlabel --label 3',
  '-A INPUT -p udp -m connlabel --label 4',
  '-A INPUT -p udp -m helper ! --helper ftp',
  '-A INPUT -p udp -m connbytes --connbytes 3:3 --connbytes-dir both --connbytes-mode packets',
];

/** Packets per rule, in RULES order (OUTPUT's then INPUT's), from the reference run. */
const KERNEL = [2, 1, 2, 6, 6, 0, 6, 0, 2, 6, 6, 0, 6, 1];

function natbox(): number[] {
  const rs = ruleset(RULES.map((r) => `iptables ${r}`).join('\n') + '\n');
  const nf = new Netfilter({ ruleset: rs, host: HOST, rng: new SeededRng(1) });
  const skb = new Skb();
  skb.env = { addrType: () => RTN_LOCAL, random32: () => 0, conntrack: nf.conntrack };
  const lo = ip('127.0.0.1');
  const send = (sport: number, dport: number, now: number): void => {
    const buf = buildUdpPacket(
      { src: lo, dst: lo, id: 1 },
      { srcPort: sport, dstPort: dport },
      new Uint8Array(56).fill(0x78),
    );
    skb.load(buf, 0, '', 'lo');
    for (const v of [nf.output(skb, now), nf.outputFilter(skb, now), nf.postrouting(skb, now)])
      assert.equal(v, NF_ACCEPT);
    skb.inIf = 'lo'; // looped back: the entry stays attached, conntrack does not run again
    skb.outIf = '';
    assert.equal(nf.prerouting(skb, now), NF_ACCEPT);
    assert.equal(nf.input(skb, now), NF_ACCEPT);
  };
  for (let i = 0; i < 3; i++) {
    send(40000, 9999, i);
    send(9999, 40000, i);
  }
  const f = rs.tables.get('filter')!;
  return [...f.chains.get('OUTPUT')!.rules, ...f.chains.get('INPUT')!.rules].map((r) => r.counters.packets);
}

test('connx on loopback: natbox counts what the kernel counted', () => {
  assert.deepEqual(natbox(), KERNEL);
});

const PY = `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', 9999))
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c.bind(('127.0.0.1', 40000)); c.settimeout(1)
for i in range(3):
    c.sendto(b'x' * 56, ('127.0.0.1', 9999))
    d, a = s.recvfrom(2000)
    s.sendto(d, a)
    c.recvfrom(2000)
`;

function why(): string | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return 'needs root on Linux';
  const ipt = spawnSync('iptables', ['--version'], { encoding: 'utf8' });
  if (ipt.error || !/nf_tables/.test(ipt.stdout)) return 'needs iptables-nft';
  if (spawnSync('python3', ['--version']).status !== 0) return 'needs python3';
  if (spawnSync('ip', ['netns', 'list']).status !== 0) return 'needs ip netns';
  return undefined;
}

test('connx on loopback: the live kernel still counts the same', why() ? { skip: why() } : {}, () => {
  const ns = `nbx-connxk-${process.pid}`;
  const x = (...a: string[]) => spawnSync('ip', ['netns', 'exec', ns, ...a], { encoding: 'utf8' });
  assert.equal(spawnSync('ip', ['netns', 'add', ns]).status, 0);
  try {
    assert.equal(x('ip', 'link', 'set', 'lo', 'up').status, 0);
    for (const r of RULES) assert.equal(x('sh', '-c', `iptables ${r}`).status, 0, r);
    const py = x('python3', '-c', PY);
    assert.equal(py.status, 0, py.stderr);
    const counts = (chain: string): number[] =>
      x('iptables', '-L', chain, '-n', '-v', '-x')
        .stdout.split('\n')
        .slice(2)
        .filter((l) => l.trim())
        .map((l) => Number(l.trim().split(/\s+/)[0]));
    assert.deepEqual([...counts('OUTPUT'), ...counts('INPUT')], KERNEL);
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
});

// connlimit: six connections to 127.0.0.1:9000 from ports 40001-40006, with
// `-A OUTPUT -p tcp --syn --dport 9000 -m connlimit --connlimit-above 2 -j REJECT --reject-with
// tcp-reset`; the first is closed (FIN both ways: TIME_WAIT) before the fifth. The reference run
// (same machine, script PY_TCP) gave: ok ok refused refused ok refused. The fourth is refused
// although the third never got an entry (nf_conncount drops the third's tuple on the walk and adds
// the fourth's: still 3); the fifth is let in because the first is TIME_WAIT (already_closed).
const CONNLIMIT =
  '-A OUTPUT -p tcp --syn --dport 9000 -m connlimit --connlimit-above 2 -j REJECT --reject-with tcp-reset';
const KERNEL_TCP = 'ok ok refused refused ok refused';

function natboxTcp(): string {
  const rs = ruleset(`iptables ${CONNLIMIT}\n`);
  const nf = new Netfilter({ ruleset: rs, host: HOST, rng: new SeededRng(1) });
  const skb = new Skb();
  skb.env = { addrType: () => RTN_LOCAL, random32: () => 0, conntrack: nf.conntrack };
  const lo = ip('127.0.0.1');
  /** One segment over loopback; false when a hook dropped it. */
  const seg = (sport: number, dport: number, flags: number, now: number): boolean => {
    const buf = buildTcpPacket(
      { src: lo, dst: lo, id: 1 },
      { srcPort: sport, dstPort: dport, seq: 1, ack: 1, flags, window: 100 },
    );
    skb.load(buf, 0, '', 'lo');
    if (nf.output(skb, now) !== NF_ACCEPT || nf.outputFilter(skb, now) !== NF_ACCEPT) return false;
    if (nf.postrouting(skb, now) !== NF_ACCEPT) return false;
    skb.inIf = 'lo';
    skb.outIf = '';
    return nf.prerouting(skb, now) === NF_ACCEPT && nf.input(skb, now) === NF_ACCEPT;
  };
  const SYN = 0x02,
    ACK = 0x10,
    FIN = 0x01;
  let t = 0;
  const conn = (n: number): string => {
    const p = 40000 + n;
    if (!seg(p, 9000, SYN, t)) return 'refused';
    assert.ok(seg(9000, p, SYN | ACK, t) && seg(p, 9000, ACK, t));
    return 'ok';
  };
  const out = [conn(1), conn(2), conn(3), conn(4)];
  assert.ok(seg(40001, 9000, FIN | ACK, t) && seg(9000, 40001, ACK, t));
  assert.ok(seg(9000, 40001, FIN | ACK, t) && seg(40001, 9000, ACK, t));
  t = 0.2;
  out.push(conn(5), conn(6));
  return out.join(' ');
}

test('connlimit on loopback: natbox lets in and refuses the connections the kernel did', () => {
  assert.equal(natboxTcp(), KERNEL_TCP);
});

const PY_TCP = `
import socket, time
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); srv.bind(('127.0.0.1', 9000)); srv.listen(10)
conns = {}; acc = {}
def conn(n):
    try:
        c = socket.socket(); c.settimeout(2); c.bind(('127.0.0.1', 40000 + n)); c.connect(('127.0.0.1', 9000))
        conns[n] = c; acc[n], _ = srv.accept(); return 'ok'
    except ConnectionRefusedError:
        return 'refused'
out = [conn(1), conn(2), conn(3), conn(4)]
conns[1].close(); acc[1].close(); time.sleep(0.2)
out += [conn(5), conn(6)]
print(' '.join(out))
`;

test('connlimit on loopback: the live kernel still decides the same', why() ? { skip: why() } : {}, () => {
  const ns = `nbx-connxl-${process.pid}`;
  const x = (...a: string[]) => spawnSync('ip', ['netns', 'exec', ns, ...a], { encoding: 'utf8' });
  assert.equal(spawnSync('ip', ['netns', 'add', ns]).status, 0);
  try {
    assert.equal(x('ip', 'link', 'set', 'lo', 'up').status, 0);
    assert.equal(x('sh', '-c', `iptables ${CONNLIMIT}`).status, 0);
    const py = x('timeout', '30', 'python3', '-c', PY_TCP);
    assert.equal(py.status, 0, py.stderr);
    assert.equal(py.stdout.trim(), KERNEL_TCP);
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
});

test('conntrack -L shows the counters while a connbytes rule keeps accounting on', () => {
  // The reference machine's line after one 10-byte datagram with the rule below loaded, 1 s later.
  const want =
    'udp      17 29 src=127.0.0.1 dst=127.0.0.2 sport=43169 dport=7 packets=1 bytes=38 [UNREPLIED] ' +
    'src=127.0.0.2 dst=127.0.0.1 sport=7 dport=43169 packets=0 bytes=0 mark=0 use=1';
  const rs = ruleset(
    'iptables -A OUTPUT -p udp -m connbytes --connbytes 1 --connbytes-dir both --connbytes-mode packets\n',
  );
  const nf = new Netfilter({ ruleset: rs, host: HOST, rng: new SeededRng(1) });
  const skb = new Skb();
  skb.env = { addrType: () => RTN_LOCAL, random32: () => 0, conntrack: nf.conntrack };
  const buf = buildUdpPacket(
    { src: ip('127.0.0.1'), dst: ip('127.0.0.2'), id: 1 },
    { srcPort: 43169, dstPort: 7 },
    new Uint8Array(10),
  );
  skb.load(buf, 0, '', 'lo');
  assert.equal(nf.output(skb, 0), NF_ACCEPT);
  assert.equal(nf.outputFilter(skb, 0), NF_ACCEPT);
  assert.equal(nf.postrouting(skb, 0), NF_ACCEPT);
  assert.equal(formatConntrackLine(nf.conntrack, skb.ct, 1), want);
  // Without such a rule there are no counters, as with nf_conntrack_acct=0.
  const plain = new Netfilter({
    ruleset: ruleset('iptables -A OUTPUT -m state --state NEW\n'),
    host: HOST,
    rng: new SeededRng(1),
  });
  skb.load(
    buildUdpPacket({ src: ip('127.0.0.1'), dst: ip('127.0.0.2'), id: 1 }, { srcPort: 43169, dstPort: 7 }),
    0,
    '',
    'lo',
  );
  plain.output(skb, 0);
  assert.doesNotMatch(formatConntrackLine(plain.conntrack, skb.ct, 1), /packets=/);
});
