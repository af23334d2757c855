// nft's synproxy statement and objects (net/netfilter/nft_synproxy.c, Linux 6.18) on exact
// packets: the router of the kernel selftest tools/testing/selftests/net/netfilter/
// nft_synproxy.sh (untracked SYNs, synproxy for INVALID and UNTRACKED in forward,
// nf_conntrack_tcp_loose=0), with the named objects and object map of nft(8)'s SYNPROXY section.
// The live comparison with the kernel is test/conformance/extra/nft-synproxy-*.yaml.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NF_ACCEPT, NF_DROP } from '../../src/netfilter/core/engine.ts';
import { checkNft, nftFrontEnd } from '../../src/netfilter/nftables/index.ts';
import { parseNft } from '../../src/rules/nft/index.ts';
import { TCP_ACK, TCP_SYN, type TcpOption } from '../../src/wire/tcp.ts';
import { buildIcmpIpv4Packet, buildTcpPacket } from '../../src/wire/packet.ts';
import { read32 } from '../../src/wire/checksum.ts';
import { ruleset } from './helpers.ts';
import { CLIENT, pass, SERVER, synproxyRouter } from './synproxy-harness.ts';

const NFT = `table ip sp {
	synproxy plain {
		mss 1400
		wscale 7
	}
	synproxy ts {
		mss 1460
		wscale 7
		timestamp sack-perm
	}
	chain pre {
		type filter hook prerouting priority raw; policy accept;
		iif "eth0" tcp flags syn notrack
		iif "eth0" icmp type echo-request notrack
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		iif "eth0" ct state invalid,untracked synproxy name tcp dport map { 80 : "plain", 81 : "ts" }
		iif "eth0" tcp dport 82 ct state invalid,untracked synproxy mss 536 sack-perm
		ct state invalid drop
	}
}
`;

function parse(text: string) {
  const r = parseNft(text.split('\n').map((t, i) => ({ text: t, line: i + 1, file: 'sp.nft' })) as never);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.diagnostics));
  return r.ruleset;
}

const router = (text = NFT) =>
  synproxyRouter({ ruleset: ruleset(''), frontEnds: [nftFrontEnd(parse(text))] });

const OPTS: TcpOption[] = [
  { kind: 'mss', mss: 1460 },
  { kind: 'sackOK' },
  { kind: 'ts', val: 1000, ecr: 0 },
  { kind: 'nop' },
  { kind: 'ws', shift: 10 },
];
const syn = (dport: number, flags = TCP_SYN): Uint8Array =>
  buildTcpPacket(
    { src: CLIENT, dst: SERVER, id: 1, dontFragment: true },
    { srcPort: 40000, dstPort: dport, seq: 0x11111111, ack: 0, flags, window: 64240, options: OPTS },
    new Uint8Array(0),
  );
const hex = (b: Uint8Array, from: number, to: number): string =>
  Buffer.from(b.subarray(from, to)).toString('hex');

test('the object map picks "plain" for port 80: the cookie SYN-ACK offers MSS 1400 alone', () => {
  const { nf, sent } = router();
  assert.equal(pass(nf, syn(80), 'eth0'), NF_DROP); // NF_STOLEN
  assert.equal(nf.synproxy!.ext.stats.syn_received, 1);
  assert.equal(sent.length, 1);
  const sa = sent[0]!;
  assert.equal(sa[33], TCP_SYN | TCP_ACK);
  // No timestamp in the object: nft_synproxy_tcp_options clears wscale and SACK; MSS only.
  assert.equal(sa[32]! >> 4, 6);
  assert.equal(hex(sa, 40, 44), '02040578');
});

test('and "ts" for port 81: MSS 1460, SACK and the timestamp cookie, window scale 7', () => {
  const { nf, sent } = router();
  assert.equal(pass(nf, syn(81), 'eth0'), NF_DROP);
  const sa = sent[0]!;
  assert.equal(sa[32]! >> 4, 10);
  assert.equal(hex(sa, 40, 48), '020405b40402080a');
  assert.equal(read32(sa, 52), 1000); // the client's tsval echoed
  assert.equal(hex(sa, 56, 60), '01030307');
});

test('a port the map has no element for: the rule breaks, the untracked SYN passes untouched', () => {
  const { nf, sent } = router();
  assert.equal(pass(nf, syn(8080), 'eth0'), NF_ACCEPT);
  assert.equal(sent.length, 0);
});

test('an inline statement without wscale or timestamp: MSS 536 alone (sack-perm needs timestamp)', () => {
  const { nf, sent } = router();
  assert.equal(pass(nf, syn(82), 'eth0'), NF_DROP);
  assert.equal(hex(sent[0]!, 40, 44), '02040218');
  assert.equal(sent[0]![32]! >> 4, 6);
});

test("nft takes any SYN (tcp->syn): a client's SYN-ACK gets a cookie too, where iptables' target goes on", () => {
  const { nf, sent } = router();
  assert.equal(pass(nf, syn(80, TCP_SYN | TCP_ACK), 'eth0'), NF_DROP);
  assert.equal(sent.length, 1);
  assert.equal(nf.synproxy!.ext.stats.syn_received, 1);
});

test('not TCP: the synproxy statement breaks the rule (an untracked ping goes on to the policy)', () => {
  const { nf, sent } = router();
  const echo = buildIcmpIpv4Packet(
    { src: CLIENT, dst: SERVER, id: 1 },
    { kind: 'echo-request', id: 7, seq: 1 },
  );
  assert.equal(pass(nf, echo, 'eth0'), NF_ACCEPT);
  assert.equal(sent.length, 0);
});

test('synproxy outside input and forward is refused, as nft_synproxy_validate (Operation not supported)', () => {
  const rs = parse(`table ip t {
	chain pre {
		type filter hook prerouting priority raw; policy accept;
		tcp dport 80 synproxy mss 1460
	}
}
`);
  const p = checkNft(rs).find((x) => x.message.includes('synproxy'));
  assert.ok(p, 'a problem names synproxy');
  assert.match(p.message, /input and forward/);
});
