// Conntrack helpers (conntrack/helper.ts, expect.ts, helper-ftp.ts, nat/nat-helper.ts) through the
// engine's forward path. Expected values are the kernel's, measured on Linux 6.18.44 (helpers
// built in) with conntrack-tools 1.4.7 in throwaway namespaces c — r — s, r masquerading out of
// its wan and `iptables -t raw -A PREROUTING -p udp --dport 69 -j CT --helper tftp` (or `-p tcp
// --dport 21 -j CT --helper ftp`), a Python TFTP read request and a Python FTP session:
// - `conntrack -L expect` after the RRQ: `300 proto=17 src=S dst=R sport=0 dport=P mask-src=
//   255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=C master-dst=S
//   sport=P dport=69 class=0 helper=tftp`; the answer from the server's other port is RELATED,
//   DNATed to the client, `-m helper --helper tftp` counted it and the ACK back (2 packets), the
//   master is listed with `helper=tftp`, the data connection without;
// - active FTP through MASQUERADE: `PORT 10,7,0,2,...` (22 bytes) left r as `PORT
//   203,0,113,1,...` (25 bytes), the server's next segment acked seq+3 on the wan and was
//   acked seq on the lan side (nf_ct_seq_adjust); the data connection from port 20 was RELATED.
// Before the helpers, CT --helper was refused and every one of these packets was NEW.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTcpPacket, buildUdpPacket } from '../../../src/wire/packet.ts';
import { read32 } from '../../../src/wire/checksum.ts';
import { ipv4Dst, ipv4Src } from '../../../src/wire/ipv4.ts';
import { TCP_ACK, TCP_PSH, TCP_SYN } from '../../../src/wire/tcp.ts';
import { IP_CT_ESTABLISHED_REPLY, IP_CT_NEW, IP_CT_RELATED } from '../../../src/netfilter/core/skb.ts';
import { NF_ACCEPT } from '../../../src/netfilter/core/engine.ts';
import { ctHelpersOf } from '../../../src/netfilter/conntrack/helper.ts';
import { formatConntrackLine } from '../../../src/netfilter/conntrack/format.ts';
import { FtpMatch, ftpSearch } from '../../../src/netfilter/conntrack/helper-ftp.ts';
import { checkRuleset } from '../../../src/netfilter/xtables/check.ts';
import { assertChecksums, engine, forward, ip, lastSkb, ruleset } from '../helpers.ts';

const C = '192.168.1.10';
const S = '198.51.100.2';
const R = '203.0.113.22'; // HOST's wan address (MASQUERADE)
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array, o: number, n: number): string => new TextDecoder().decode(b.subarray(o, o + n));

const udp = (src: string, dst: string, sport: number, dport: number, data: Uint8Array): Uint8Array =>
  buildUdpPacket(
    { src: ip(src), dst: ip(dst), id: 1, dontFragment: true },
    { srcPort: sport, dstPort: dport },
    data,
  );
const tcp = (
  src: string,
  dst: string,
  sport: number,
  dport: number,
  seq: number,
  ack: number,
  flags: number,
  data = '',
): Uint8Array =>
  buildTcpPacket(
    { src: ip(src), dst: ip(dst), id: 1, dontFragment: true },
    { srcPort: sport, dstPort: dport, seq, ack, flags, window: 64 },
    enc(data),
  );
const RRQ = new Uint8Array([0, 1, ...enc('natbox'), 0, ...enc('octet'), 0]);

const TFTP_RULES = [
  'iptables -t raw -A PREROUTING -p udp --dport 69 -j CT --helper tftp',
  'iptables -t nat -A POSTROUTING -o wan -j MASQUERADE',
  'iptables -A FORWARD -m helper --helper tftp',
  'iptables -A FORWARD -m conntrack --ctstate RELATED',
].join('\n');

test('TFTP through MASQUERADE: the RRQ expects the answer from any port; it is RELATED and DNATed back', () => {
  const nf = engine(TFTP_RULES);
  // What the host gives the matches (-m helper and -m conntrack read the entry through it).
  lastSkb().env = { addrType: () => 1, random32: () => 0, conntrack: nf.conntrack };
  assert.equal(forward(nf, udp(C, S, 40001, 69, RRQ), 'lan', 'wan', 0), NF_ACCEPT);
  const h = ctHelpersOf(nf.conntrack);
  assert.deepEqual(h.listExpect(0), [
    `300 proto=17 src=${S} dst=${R} sport=0 dport=40001 mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=${C} master-dst=${S} sport=40001 dport=69 class=0 helper=tftp`,
  ]);
  assert.deepEqual(h.listExpectProc(9), [
    `291 l3proto = 2 proto=17 src=${S} dst=${R} sport=0 dport=40001 tftp`,
  ]);
  const data = udp(S, R, 50069, 40001, new Uint8Array([0, 3, 0, 1, ...enc('hello')]));
  assert.equal(forward(nf, data, 'wan', 'lan', 1), NF_ACCEPT);
  const s = lastSkb();
  assert.equal(s.ctinfo, IP_CT_RELATED);
  assert.equal(ipv4Dst(data, 0), ip(C), 'DNATed to the client (nf_nat_follow_master)');
  assertChecksums(data);
  assert.deepEqual(h.listExpect(1), [], 'the expectation is used up');
  const ackb = udp(C, S, 40001, 50069, new Uint8Array([0, 4, 0, 1]));
  assert.equal(forward(nf, ackb, 'lan', 'wan', 1.1), NF_ACCEPT);
  assert.equal(lastSkb().ctinfo, IP_CT_ESTABLISHED_REPLY);
  assert.equal(ipv4Src(ackb, 0), ip(R));
  // The FORWARD counters, as `iptables -L FORWARD -v` showed them on the kernel: -m helper saw the
  // answer and the ACK (2 packets, 69 bytes there with a 5-byte DATA), RELATED the answer only.
  const rs = (
    nf as unknown as {
      tables: Map<string, Map<string, { rules: { counters: { packets: number; bytes: number } }[] }>>;
    }
  ).tables;
  const fwd = rs.get('filter')!.get('FORWARD')!.rules;
  assert.deepEqual(
    fwd.map((r) => r.counters),
    [
      { packets: 2, bytes: 37 + 32 },
      { packets: 1, bytes: 37 },
    ],
  );
  const lines = nf.conntrack.entries(2).map((e) => formatConntrackLine(nf.conntrack, e, 2));
  lastSkb().env = undefined;
  assert.deepEqual(lines, [
    `udp      17 28 src=${C} dst=${S} sport=40001 dport=69 [UNREPLIED] src=${S} dst=${R} sport=69 dport=40001 mark=0 helper=tftp use=1`,
    `udp      17 29 src=${S} dst=${R} sport=50069 dport=40001 src=${C} dst=${S} sport=40001 dport=50069 mark=0 use=1`,
  ]);
});

test('TFTP: without CT --helper the answer from another port is a NEW connection to the router', () => {
  const nf = engine('iptables -t nat -A POSTROUTING -o wan -j MASQUERADE');
  forward(nf, udp(C, S, 40001, 69, RRQ), 'lan', 'wan', 0);
  const data = udp(S, R, 50069, 40001, new Uint8Array([0, 3, 0, 1]));
  forward(nf, data, 'wan', 'lan', 1);
  assert.equal(lastSkb().ctinfo, IP_CT_NEW);
  assert.equal(ipv4Dst(data, 0), ip(R), 'not translated');
});

test('TFTP: a DATA or ACK opcode expects nothing; only one expectation per master (the newest)', () => {
  const nf = engine(TFTP_RULES);
  forward(nf, udp(C, S, 40001, 69, new Uint8Array([0, 4, 0, 1])), 'lan', 'wan', 0);
  assert.equal(ctHelpersOf(nf.conntrack).expect.count, 0);
  forward(nf, udp(C, S, 40001, 69, RRQ), 'lan', 'wan', 1);
  forward(nf, udp(C, S, 40001, 69, RRQ), 'lan', 'wan', 2);
  assert.equal(ctHelpersOf(nf.conntrack).expect.count, 1);
});

test('FTP search: PORT, EPRT, 227 (numbers anywhere), 229; partial and malformed lines', () => {
  const m = new FtpMatch();
  const at = (s: string, dir: number): [number, number, number, number, number] => {
    const b = enc(s);
    const r = ftpSearch(b, 0, b.length, dir, m);
    return [r, m.off, m.len, m.addr, m.port];
  };
  assert.deepEqual(at('PORT 10,7,0,2,160,60\r\n', 0), [1, 5, 15, ip('10.7.0.2'), 41020]);
  assert.deepEqual(at('port 10,7,0,2,160,60\r\n', 0), [1, 5, 15, ip('10.7.0.2'), 41020]);
  assert.deepEqual(at('EPRT |1|10.7.0.2|41020|\r\n', 0), [1, 5, 18, ip('10.7.0.2'), 41020]);
  assert.deepEqual(at('227 Entering Passive Mode (198,51,100,2,195,101).\r\n', 1).slice(0, 5), [
    1,
    27,
    20,
    ip('198.51.100.2'),
    50021,
  ]);
  assert.deepEqual(at('229 Entering Extended Passive Mode (|||50021|)\r\n', 1).slice(0, 3), [1, 36, 9]);
  assert.equal(at('POR', 0)[0], -1, 'a partial command is dropped');
  assert.equal(at('PORT 10,7,0,2,160\r\n', 0)[0], -1, 'five numbers');
  assert.equal(at('PORT 10,7,0,300,1,1\r\n', 0)[0], -1, 'a number above 255');
  assert.equal(at('USER anonymous\r\n', 0)[0], 0);
  assert.equal(
    at('227 Entering Passive Mode (198,51,100,2,195,101).\r\n', 0)[0],
    0,
    "a 227 from the client's side",
  );
});

const FTP_RULES = [
  'iptables -t raw -A PREROUTING -p tcp --dport 21 -j CT --helper ftp',
  'iptables -t nat -A POSTROUTING -o wan -j MASQUERADE',
].join('\n');

/** The control connection up to the server's 230, client ISN 1000, server ISN 5000; returns the next seqs. */
function login(nf: ReturnType<typeof engine>): { c: number; s: number } {
  let c = 1000;
  let s = 5000;
  const up = (flags: number, data = ''): void => {
    assert.equal(forward(nf, tcp(C, S, 43021, 21, c, s, flags, data), 'lan', 'wan', 0), NF_ACCEPT);
    c += data.length + (flags & TCP_SYN ? 1 : 0);
  };
  const down = (flags: number, data = ''): void => {
    assert.equal(forward(nf, tcp(S, R, 21, 43021, s, c, flags, data), 'wan', 'lan', 0), NF_ACCEPT);
    s += data.length + (flags & TCP_SYN ? 1 : 0);
  };
  up(TCP_SYN);
  down(TCP_SYN | TCP_ACK);
  up(TCP_ACK);
  down(TCP_PSH | TCP_ACK, '220 natbox ftp\r\n');
  up(TCP_PSH | TCP_ACK, 'USER u\r\n');
  down(TCP_PSH | TCP_ACK, '331 ok\r\n');
  up(TCP_PSH | TCP_ACK, 'PASS p\r\n');
  down(TCP_PSH | TCP_ACK, '230 ok\r\n');
  return { c, s };
}

test('active FTP through MASQUERADE: PORT rewritten (22 → 25 bytes), sequence numbers shifted, data RELATED', () => {
  const nf = engine(FTP_RULES);
  const { c, s } = login(nf);
  const port = tcp(C, S, 43021, 21, c, s, TCP_PSH | TCP_ACK, 'PORT 192,168,1,10,168,4\r\n');
  assert.equal(forward(nf, port, 'lan', 'wan', 0), NF_ACCEPT);
  const out = lastSkb().buf;
  assertChecksums(out, 'the rewritten PORT');
  assert.equal(dec(out, 40, out.length - 40), 'PORT 203,0,113,22,168,4\r\n');
  assert.equal(read32(out, 24), c, 'its own sequence number is unchanged');
  const grew = 'PORT 203,0,113,22,168,4\r\n'.length - 'PORT 192,168,1,10,168,4\r\n'.length;
  // The server acks what it got (c + 25); the client must see c + 24 (kernel: +3 on the wan, 0 on the lan).
  const ok = tcp(S, R, 21, 43021, s, c + 25 + grew, TCP_PSH | TCP_ACK, '200 ok\r\n');
  assert.equal(forward(nf, ok, 'wan', 'lan', 0), NF_ACCEPT);
  assert.equal(read32(lastSkb().buf, 28), c + 25, 'the ack, un-shifted');
  assertChecksums(lastSkb().buf, '200 ok');
  const retr = tcp(C, S, 43021, 21, c + 25, s + 8, TCP_PSH | TCP_ACK, 'RETR x\r\n');
  assert.equal(forward(nf, retr, 'lan', 'wan', 0), NF_ACCEPT);
  assert.equal(read32(lastSkb().buf, 24), c + 25 + grew, 'later data shifted by the growth');
  // The data connection from the server's port 20 to the address and port the PORT named.
  const syn = tcp(S, R, 20, 43012, 7000, 0, TCP_SYN);
  assert.equal(forward(nf, syn, 'wan', 'lan', 0.5), NF_ACCEPT);
  assert.equal(lastSkb().ctinfo, IP_CT_RELATED);
  assert.equal(ipv4Dst(syn, 0), ip(C));
});

test('passive FTP to a DNATed server: the 227 reply names the public address; the data connection is DNATed', () => {
  const nf = engine(
    [
      'iptables -t raw -A PREROUTING -p tcp --dport 21 -j CT --helper ftp',
      'iptables -t nat -A PREROUTING -i wan -p tcp --dport 21 -j DNAT --to-destination 192.168.1.20',
    ].join('\n'),
  );
  const P = '198.51.100.7'; // a client outside
  let c = 1;
  let s = 9;
  const up = (flags: number, data = ''): Uint8Array => {
    const b = tcp(P, R, 40000, 21, c, s, flags, data);
    assert.equal(forward(nf, b, 'wan', 'lan', 0), NF_ACCEPT);
    c += data.length + (flags & TCP_SYN ? 1 : 0);
    return lastSkb().buf;
  };
  const down = (flags: number, data = ''): Uint8Array => {
    const b = tcp('192.168.1.20', P, 21, 40000, s, c, flags, data);
    assert.equal(forward(nf, b, 'lan', 'wan', 0), NF_ACCEPT);
    s += data.length + (flags & TCP_SYN ? 1 : 0);
    return lastSkb().buf;
  };
  up(TCP_SYN);
  down(TCP_SYN | TCP_ACK);
  up(TCP_ACK);
  down(TCP_PSH | TCP_ACK, '220 x\r\n');
  up(TCP_PSH | TCP_ACK, 'PASV\r\n');
  const r = down(TCP_PSH | TCP_ACK, '227 Entering Passive Mode (192,168,1,20,195,101).\r\n');
  assertChecksums(r, 'the rewritten 227');
  assert.equal(dec(r, 40, r.length - 40), '227 Entering Passive Mode (203,0,113,22,195,101).\r\n');
  const syn = tcp(P, R, 40001, 50021, 77, 0, TCP_SYN);
  assert.equal(forward(nf, syn, 'wan', 'lan', 0.2), NF_ACCEPT);
  assert.equal(lastSkb().ctinfo, IP_CT_RELATED);
  assert.equal(ipv4Dst(syn, 0), ip('192.168.1.20'), 'to the server, at the port it named');
});

test('CT --helper needs the rule protocol of the helper, as the kernel refuses the rule otherwise', () => {
  const problems = (r: string): string[] => checkRuleset(ruleset(r)).map((p) => p.message);
  assert.deepEqual(problems('iptables -t raw -A PREROUTING -p tcp --dport 21 -j CT --helper ftp'), []);
  assert.deepEqual(problems('iptables -t raw -A PREROUTING -p udp --dport 69 -j CT --helper tftp'), []);
  // Measured: each of these is "RULE_APPEND failed (No such file or directory)" on Linux 6.18.
  assert.match(
    problems('iptables -t raw -A PREROUTING -j CT --helper ftp')[0]!,
    /needs the rule's protocol \(-p tcp\)/,
  );
  assert.match(
    problems('iptables -t raw -A PREROUTING -p tcp --dport 69 -j CT --helper tftp')[0]!,
    /no such helper/,
  );
});
