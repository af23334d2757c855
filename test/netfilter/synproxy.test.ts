// SYNPROXY on exact packets, as the kernel builds and shifts them (net/netfilter/
// nf_synproxy_core.c, net/ipv4/netfilter/ipt_SYNPROXY.c, nf_conntrack_seqadj.c): the router of the
// iptables-extensions(8) SYNPROXY example (raw CT --notrack for SYNs, SYNPROXY for INVALID and
// UNTRACKED, nf_conntrack_tcp_loose=0). The option layouts and the values in each field follow
// those files; the live comparison with the kernel is test/conformance/extra/synproxy-*.yaml.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NF_ACCEPT, NF_DROP } from '../../src/netfilter/core/engine.ts';
import {
  Syncookies,
  syncookieMssIndex,
  SynproxyOptions,
  synproxyParseOptions,
  synproxyTstampAdjust,
} from '../../src/netfilter/core/synproxy.ts';
import { SynproxyExt } from '../../src/netfilter/conntrack/synproxy-ext.ts';
import { TCP_ACK, TCP_SYN, type TcpOption } from '../../src/wire/tcp.ts';
import { buildTcpPacket } from '../../src/wire/packet.ts';
import { read16, read32 } from '../../src/wire/checksum.ts';
import { assertChecksums, ruleset } from './helpers.ts';
import { CLIENT, pass, SERVER, synproxyRouter } from './synproxy-harness.ts';

const RULES = [
  'iptables -t raw -A PREROUTING -i eth0 -p tcp -m tcp --syn -j CT --notrack',
  'iptables -A FORWARD -i eth0 -p tcp -m conntrack --ctstate INVALID,UNTRACKED -j SYNPROXY --sack-perm --timestamp --wscale 7 --mss 1400',
  'iptables -A FORWARD -i eth0 -p tcp -m conntrack --ctstate INVALID -j DROP',
].join('\n');

/** A router engine whose SYNPROXY sends go through OUTPUT and POSTROUTING into `sent`. */
const router = () => synproxyRouter({ ruleset: ruleset(RULES) });

function tcp(
  from: 'client' | 'server',
  seq: number,
  ack: number,
  flags: number,
  window: number,
  options: TcpOption[],
  payload = new Uint8Array(0),
): Uint8Array {
  const c = from === 'client';
  return buildTcpPacket(
    { src: c ? CLIENT : SERVER, dst: c ? SERVER : CLIENT, id: 1, dontFragment: true },
    { srcPort: c ? 40000 : 80, dstPort: c ? 80 : 40000, seq, ack, flags, window, options },
    payload,
  );
}

const hex = (b: Uint8Array, from: number, to: number): string =>
  Buffer.from(b.subarray(from, to)).toString('hex');
const seqOf = (b: Uint8Array): number => read32(b, 24);
const ackOf = (b: Uint8Array): number => read32(b, 28);
const winOf = (b: Uint8Array): number => read16(b, 34);

const CISN = 0x11111111;
const SISN = 0x7000_0000;
const CLIENT_SYN_OPTS: TcpOption[] = [
  { kind: 'mss', mss: 1460 },
  { kind: 'sackOK' },
  { kind: 'ts', val: 1000, ecr: 0 },
  { kind: 'nop' },
  { kind: 'ws', shift: 10 },
];

test('the SYN is answered with a cookie SYN-ACK: window 0, the rule MSS, SACK and TS folded, the rule wscale', () => {
  const { nf, sent } = router();
  assert.equal(pass(nf, tcp('client', CISN, 0, TCP_SYN, 64240, CLIENT_SYN_OPTS), 'eth0'), NF_DROP);
  assert.equal(nf.synproxy!.ext.stats.syn_received, 1);
  assert.equal(sent.length, 1);
  const sa = sent[0]!;
  assertChecksums(sa, 'SYN-ACK');
  // synproxy_build_ip: id 0, DF, ip_default_ttl; from the server's address to the client.
  assert.equal(hex(sa, 4, 10), '000040004006');
  assert.equal(read32(sa, 12), SERVER);
  assert.equal(ackOf(sa), CISN + 1);
  assert.equal(sa[33], TCP_SYN | TCP_ACK);
  assert.equal(winOf(sa), 0);
  // MSS 1400 (the rule's), SACK-permitted folded before TS, TS val: clock & ~0x3f | 10 (the
  // client's wscale) | 1 << 4 (SACK), ecr the client's 1000; NOP, WS 7 (the rule's).
  assert.equal(sa[32]! >> 4, 10);
  assert.equal(hex(sa, 40, 46), '020405780402');
  assert.equal(hex(sa, 46, 48), '080a');
  assert.equal(read32(sa, 48) & 0x3f, 10 | 16);
  assert.equal(read32(sa, 52), 1000);
  assert.equal(hex(sa, 56, 60), '01030307');
  // The SYN made no entry (untracked); the SYN-ACK none either (a SYN-ACK starts nothing: INVALID).
  assert.equal(nf.conntrack.count, 0);
  assert.equal(nf.stats.invalid, 1);
});

test('the ACK with the cookie: the server SYN carries the client ISN, window and the options of the cookie', () => {
  const { nf, sent } = router();
  pass(nf, tcp('client', CISN, 0, TCP_SYN, 64240, CLIENT_SYN_OPTS), 'eth0');
  const cookie = seqOf(sent[0]!);
  const tsCookie = read32(sent[0]!, 48);
  sent.length = 0;
  const ack = tcp('client', CISN + 1, cookie + 1, TCP_ACK, 63, [
    { kind: 'nop' },
    { kind: 'nop' },
    { kind: 'ts', val: 1001, ecr: tsCookie },
  ]);
  assert.equal(pass(nf, ack, 'eth0'), NF_DROP);
  assert.equal(nf.synproxy!.ext.stats.cookie_valid, 1);
  assert.equal(sent.length, 1);
  const syn = sent[0]!;
  assertChecksums(syn, 'server SYN');
  assert.equal(read32(syn, 12), CLIENT);
  assert.equal(seqOf(syn), CISN);
  assert.equal(ackOf(syn), cookie); // the ISN relayed to the hook in ack_seq
  assert.equal(syn[33], TCP_SYN);
  assert.equal(winOf(syn), 63);
  // MSS 1460 (msstab[3], from the client's 1460), SACK + TS (the client's 1001, our cookie TS), WS 10.
  assert.equal(hex(syn, 40, 48), '020405b40402080a');
  assert.equal(read32(syn, 48), 1001);
  assert.equal(read32(syn, 52), tsCookie);
  assert.equal(hex(syn, 56, 60), '0103030a');
  // The entry the SYN made has the synproxy extension, and the cookie as its isn.
  const e = nf.conntrack.entries(1)[0]!;
  assert.ok(nf.synproxy!.ext.is(e));
  assert.equal(nf.synproxy!.ext.isn[e], cookie);
});

test('a bad cookie is dropped and counted cookie_invalid; no SYN goes to the server', () => {
  const { nf, sent } = router();
  pass(nf, tcp('client', CISN, 0, TCP_SYN, 64240, CLIENT_SYN_OPTS), 'eth0');
  const cookie = seqOf(sent[0]!);
  sent.length = 0;
  assert.equal(pass(nf, tcp('client', CISN + 1, cookie + 2, TCP_ACK, 63, []), 'eth0'), NF_DROP);
  assert.equal(sent.length, 0);
  assert.equal(nf.synproxy!.ext.stats.cookie_invalid, 1);
  assert.equal(nf.synproxy!.ext.stats.cookie_valid, 0);
});

test("the server's SYN-ACK: an ACK to the server, a window update to the client, then every packet shifted (SACK too)", () => {
  const { nf, sent } = router();
  pass(nf, tcp('client', CISN, 0, TCP_SYN, 64240, CLIENT_SYN_OPTS), 'eth0');
  const cookie = seqOf(sent[0]!);
  const tsCookie = read32(sent[0]!, 48);
  pass(
    nf,
    tcp('client', CISN + 1, cookie + 1, TCP_ACK, 63, [
      { kind: 'nop' },
      { kind: 'nop' },
      { kind: 'ts', val: 1001, ecr: tsCookie },
    ]),
    'eth0',
  );
  sent.length = 0;
  const synack = tcp('server', SISN, CISN + 1, TCP_SYN | TCP_ACK, 65160, [
    { kind: 'mss', mss: 1460 },
    { kind: 'sackOK' },
    { kind: 'ts', val: 50_000, ecr: 1001 },
    { kind: 'nop' },
    { kind: 'ws', shift: 10 },
  ]);
  assert.equal(pass(nf, synack, 'eth1'), NF_DROP); // stolen
  assert.equal(sent.length, 2);
  const [toServer, toClient] = sent as [Uint8Array, Uint8Array];
  assertChecksums(toServer, 'ACK to the server');
  assertChecksums(toClient, 'window update');
  // synproxy_send_server_ack: unshifted (seqadj is set after it), window seen[ORIGINAL].td_maxwin.
  assert.equal(read32(toServer, 12), CLIENT);
  assert.equal(seqOf(toServer), CISN + 1);
  assert.equal(ackOf(toServer), SISN + 1);
  assert.equal(winOf(toServer), 63);
  // TS only (tsval the server's tsecr, tsecr its tsval), then adjusted by tsoff as an original
  // packet: tsecr + (50000 - tsCookie), as the kernel's hook does to it.
  assert.equal(hex(toServer, 40, 44), '0101080a');
  assert.equal(read32(toServer, 44), 1001);
  assert.equal(read32(toServer, 48), (50_000 + 50_000 - tsCookie) >>> 0);
  // synproxy_send_client_ack: from the server, its seq shifted to the cookie's space, the
  // server's window shifted by the scale it offered (65160 >> 10), TS val back on our clock.
  assert.equal(read32(toClient, 12), SERVER);
  assert.equal(seqOf(toClient), cookie + 1);
  assert.equal(ackOf(toClient), CISN + 1);
  assert.equal(winOf(toClient), 63);
  assert.equal(read32(toClient, 44), tsCookie);
  assert.equal(read32(toClient, 48), 1001);

  // The server's data reaches the client in the cookie's space; the client's ACK of part of it,
  // with a SACK block of the rest (both in the cookie's space), reaches the server in its own.
  const answer = tcp('server', SISN + 1, CISN + 1, TCP_ACK, 64, [], new Uint8Array(30));
  assert.equal(pass(nf, answer, 'eth1'), NF_ACCEPT);
  assertChecksums(answer, 'shifted answer');
  assert.equal(seqOf(answer), cookie + 1);
  assert.equal(ackOf(answer), CISN + 1);
  const sackAck = tcp('client', CISN + 1, cookie + 11, TCP_ACK, 63, [
    { kind: 'nop' },
    { kind: 'nop' },
    { kind: 'sack', blocks: [[cookie + 21, cookie + 31]] },
  ]);
  assert.equal(pass(nf, sackAck, 'eth0'), NF_ACCEPT);
  assertChecksums(sackAck, 'shifted ACK with SACK');
  assert.equal(seqOf(sackAck), CISN + 1);
  assert.equal(ackOf(sackAck), SISN + 11);
  assert.equal(read32(sackAck, 44), SISN + 21);
  assert.equal(read32(sackAck, 48), SISN + 31);
});

test("the client's keep-alives while the server has not answered: accepted by conntrack, not counted invalid (gen-1505-35)", () => {
  // nf_conntrack_tcp_packet, case TCP_CONNTRACK_MAX: an ORIGINAL ACK of a synproxy entry in
  // SYN_SENT whose seq is seen[ORIGINAL].td_end - 1 is NF_ACCEPT; the hook at POSTROUTING then
  // takes it to synproxy_recv_client_ack with seq + 1, whose cookie check (__cookie_v4_check
  // reads th->seq - 1) fails: cookie_invalid, dropped, no SYN to the server.
  const { nf, sent } = router();
  pass(nf, tcp('client', CISN, 0, TCP_SYN, 64240, CLIENT_SYN_OPTS), 'eth0');
  const cookie = seqOf(sent[0]!);
  // The cookie SYN-ACK met conntrack at OUTPUT without an entry: invalid 1.
  assert.equal(nf.stats.invalid, 1);
  assert.equal(pass(nf, tcp('client', CISN + 1, cookie + 1, TCP_ACK, 0, []), 'eth0'), NF_DROP);
  // The client's ACK (tcp_loose 0: no pickup): invalid 2; it sent the server our SYN.
  assert.equal(nf.stats.invalid, 2);
  assert.equal(sent.length, 2);
  const e = nf.conntrack.entries(1)[0]!;
  assert.equal(nf.conntrack.tcpState(e), 1); // SYN_SENT
  // Four zero-window probes (SEG.SEQ = SND.NXT - 1 = CISN), as the live scenario's client sends.
  for (let k = 0; k < 4; k++)
    assert.equal(pass(nf, tcp('client', CISN, cookie + 1, TCP_ACK, 502, []), 'eth0'), NF_DROP);
  assert.equal(nf.stats.invalid, 2);
  assert.equal(nf.synproxy!.ext.stats.cookie_invalid, 4);
  assert.equal(nf.synproxy!.ext.stats.cookie_retrans, 0);
  assert.equal(sent.length, 2);
  assert.equal(nf.conntrack.tcpState(e), 1);
  // Another sequence number is no keep-alive: invalid (then SYNPROXY's ACK path: a valid cookie
  // sends the server the SYN again).
  assert.equal(pass(nf, tcp('client', CISN + 1, cookie + 1, TCP_ACK, 502, []), 'eth0'), NF_DROP);
  assert.equal(nf.stats.invalid, 3);
  assert.equal(sent.length, 3);
  assert.equal(seqOf(sent[2]!), CISN);
});

test('syncookies: the MSS index comes back within two minutes, not after; msstab rounds down', () => {
  const c = new Syncookies(Uint32Array.of(1, 2, 3, 4));
  const k = c.make(CLIENT, SERVER, 40000, 80, CISN, syncookieMssIndex(1400), 100);
  assert.equal(syncookieMssIndex(1400), 1); // 1300 <= 1400 < 1440
  assert.equal(c.check(k, CLIENT, SERVER, 40000, 80, CISN, 100), 1);
  assert.equal(c.check(k, CLIENT, SERVER, 40000, 80, CISN, 160), 1);
  assert.equal(c.check(k, CLIENT, SERVER, 40000, 80, CISN, 230), 0xffffffff);
  assert.notEqual(c.check(k, CLIENT, SERVER, 40001, 80, CISN, 100), 1);
  assert.deepEqual([500, 536, 1300, 1439, 1440, 9000].map(syncookieMssIndex), [0, 0, 1, 1, 2, 3]);
});

test('options: parse as synproxy_parse_options (wscale capped at 14); timestamps shifted by tsoff per direction', () => {
  const b = tcp('client', 1, 0, TCP_SYN, 1, [
    { kind: 'mss', mss: 1200 },
    { kind: 'nop' },
    { kind: 'ws', shift: 15 },
    { kind: 'nop' },
    { kind: 'nop' },
    { kind: 'ts', val: 7, ecr: 9 },
  ]);
  const o = new SynproxyOptions();
  assert.ok(synproxyParseOptions(b, 20, b.length, o));
  assert.deepEqual([o.options, o.mss, o.wscale, o.tsval, o.tsecr], [1 | 2 | 8, 1200, 14, 7, 9]);
  synproxyTstampAdjust(b, 20, 1, 5); // reply: TSval - tsoff
  assert.deepEqual([read32(b, 52), read32(b, 56)], [2, 9]);
  synproxyTstampAdjust(b, 20, 0, 5); // original: TSecr + tsoff
  assert.deepEqual([read32(b, 52), read32(b, 56)], [2, 14]);
  assertChecksums(b);
});

test('/proc/net/stat/synproxy as synproxy_cpu_seq_show prints it', () => {
  const x = new SynproxyExt(4);
  x.stats.syn_received = 3;
  x.stats.cookie_valid = 2;
  assert.equal(
    x.procText(),
    'entries\t\tsyn_received\tcookie_invalid\tcookie_valid\tcookie_retrans\tconn_reopened\n' +
      '00000000\t00000003\t00000000\t00000002\t00000000\t00000000\n',
  );
});
