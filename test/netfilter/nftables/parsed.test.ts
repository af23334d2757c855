// The evaluator on rulesets read from nft text (parseNft): an OpenWrt fw4-style ruleset (forward
// with a ct state vmap, an interval set, rp filter by fib, reject; dstnat/srcnat with dnat,
// redirect, masquerade and an snat map) run packet by packet, and `nft list ruleset` printing the
// counters the packets moved (the kernel's nft_counter: packets and skb->len bytes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTcpPacket, buildUdpPacket } from '../../../src/wire/packet.ts';
import { ipv4Dst, ipv4Src } from '../../../src/wire/ipv4.ts';
import { read16 } from '../../../src/wire/checksum.ts';
import { RPF_USES_DEV, RTN_UNICAST, Skb } from '../../../src/netfilter/core/skb.ts';
import { NF_ACCEPT, NF_DROP } from '../../../src/netfilter/core/engine.ts';
import { checkNft } from '../../../src/netfilter/nftables/index.ts';
import { printNft } from '../../../src/rules/nft/index.ts';
import type { NftRuleset } from '../../../src/rules/nft/model.ts';
import { ip } from '../helpers.ts';
import { envOf, fwd, nftEngine, parseNftText } from './dsl.ts';

const parse = (text: string): NftRuleset => parseNftText(text);

const FW4 = `table inet fw4 {
	set lan_hosts {
		type ipv4_addr
		flags interval
		elements = { 10.0.0.0/8, 192.168.1.0/24 }
	}

	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state vmap { invalid : drop, established : accept, related : accept }
		iifname "br-lan" ip saddr @lan_hosts counter packets 0 bytes 0 accept
		fib saddr . iif oif missing drop
		iifname "wan" tcp dport 22 reject with tcp reset
		iifname "wan" reject with icmpx admin-prohibited
	}

	chain dstnat {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "wan" ip daddr 203.0.113.22 tcp dport 8080 counter packets 0 bytes 0 dnat ip to 192.168.1.200:80
		iifname "br-lan" ip saddr 192.168.1.0/24 tcp dport 2000-3000 redirect to :3128
	}

	chain srcnat {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "wan" ip saddr 10.0.0.0/8 snat ip to ip saddr map { 10.0.0.0/16 : 203.0.113.5, 10.1.0.0/16 : 203.0.113.6 }
		oifname "wan" masquerade
	}
}
`;

const syn = (src: string, dst: string, sport: number, dport: number): Uint8Array =>
  buildTcpPacket(
    { src: ip(src), dst: ip(dst), id: 1 },
    { srcPort: sport, dstPort: dport, seq: 1, ack: 0, flags: 0x02, window: 100 },
  );

function setup(): { nf: ReturnType<typeof nftEngine>; rs: NftRuleset; skb: Skb } {
  const rs = parse(FW4);
  assert.deepEqual(checkNft(rs), []);
  const nf = nftEngine(rs);
  const skb = new Skb();
  // The box's routes: 192.168.1.0/24 on br-lan, 10.0.0.0/8 via br-lan, the rest via wan.
  skb.env = envOf(nf, {
    rpfLookup: (src, _mark, dev) => {
      const lan = src >>> 24 === 10 || src >>> 8 === 0xc0a801;
      return RTN_UNICAST | ((lan ? 'br-lan' : 'wan') === dev ? RPF_USES_DEV : 0);
    },
  });
  return { nf, rs, skb };
}

test('nft parsed fw4: the lan goes out masqueraded, the reply comes back, counters print', () => {
  const { nf, rs, skb } = setup();
  const out = syn('192.168.1.10', '198.51.100.7', 40000, 443);
  assert.equal(fwd(nf, skb, out, 'br-lan', 'wan', 1), NF_ACCEPT);
  assert.equal(ipv4Src(out, 0), ip('203.0.113.22'));
  const back = buildTcpPacket(
    { src: ip('198.51.100.7'), dst: ip('203.0.113.22'), id: 2 },
    { srcPort: 443, dstPort: read16(out, 20), seq: 5, ack: 2, flags: 0x12, window: 100 },
  );
  assert.equal(fwd(nf, skb, back, 'wan', 'br-lan', 2), NF_ACCEPT, 'established: the ct state vmap');
  assert.equal(ipv4Dst(back, 0), ip('192.168.1.10'));
  // nft list ruleset: the lan rule's counter moved by the one new packet (40 bytes).
  assert.match(printNft(rs), /iifname "br-lan" ip saddr @lan_hosts counter packets 1 bytes 40 accept/);
});

test('nft parsed fw4: port forward (dnat), and the snat map by source prefix', () => {
  const { nf, rs, skb } = setup();
  const inb = syn('198.51.100.7', '203.0.113.22', 5555, 8080);
  // The forward chain: NEW from wan is not lan: rejected with the icmpx code (admin prohibited).
  assert.equal(fwd(nf, skb, inb, 'wan', 'br-lan', 1), NF_DROP);
  assert.equal(skb.rejectWith, 'icmp-admin-prohibited');
  assert.equal(ipv4Dst(inb, 0), ip('192.168.1.200'), 'dnat ran in prerouting before the forward drop');
  assert.match(printNft(rs), /tcp dport 8080 counter packets 1 bytes 40 dnat ip to 192.168.1.200:80/);
  for (const [src, want] of [
    ['10.0.3.4', '203.0.113.5'],
    ['10.1.3.4', '203.0.113.6'],
  ] as const) {
    const p = syn(src, '198.51.100.7', 1000, 443);
    assert.equal(fwd(nf, skb, p, 'br-lan', 'wan', 1), NF_ACCEPT);
    assert.equal(ipv4Src(p, 0), ip(want), src);
  }
  // 10.2.0.0/16 is in 10.0.0.0/8 but in no map element: the snat rule ends (no mapping), the
  // masquerade rule after it binds the connection.
  const p = syn('10.2.3.4', '198.51.100.7', 1000, 443);
  assert.equal(fwd(nf, skb, p, 'br-lan', 'wan', 1), NF_ACCEPT);
  assert.equal(ipv4Src(p, 0), ip('203.0.113.22'));
});

test('nft parsed fw4: rp filter (fib saddr . iif oif missing), tcp reset, redirect', () => {
  const { nf, skb } = setup();
  // A lan source arriving on wan: the route back is not via wan: dropped by fib.
  const spoof = syn('192.168.1.99', '198.51.100.7', 1, 443);
  assert.equal(fwd(nf, skb, spoof, 'wan', 'br-lan', 1), NF_DROP);
  assert.equal(skb.rejectWith, '');
  // ssh from wan: reset.
  const ssh = syn('198.51.100.7', '192.168.1.10', 1, 22);
  assert.equal(fwd(nf, skb, ssh, 'wan', 'br-lan', 1), NF_DROP);
  assert.equal(skb.rejectWith, 'tcp-reset');
  // A lan client's port 2000-3000 goes to the box's own 3128 (redirect: br-lan's primary address).
  const r = buildUdpPacket(
    { src: ip('192.168.1.10'), dst: ip('198.51.100.7'), id: 1 },
    { srcPort: 1, dstPort: 2500 },
  );
  skb.load(r, 0, 'br-lan', '');
  assert.equal(nf.prerouting(skb, 1), NF_ACCEPT);
  assert.equal(ipv4Dst(r, 0), ip('198.51.100.7'), 'udp: the rule is tcp only');
  const t = syn('192.168.1.10', '198.51.100.7', 1, 2500);
  skb.load(t, 0, 'br-lan', '');
  assert.equal(nf.prerouting(skb, 1), NF_ACCEPT);
  assert.deepEqual([ipv4Dst(t, 0), read16(t, 22)], [ip('192.168.1.1'), 3128]);
});

test('nft parsed: `tcp flags ! fin,rst` is none of the bits ((x & v) == 0), a mark prefix its top bits', () => {
  const rs = parse(`table ip t {
	chain pre {
		type filter hook prerouting priority filter; policy accept;
		tcp dport 81 meta mark set 0xffffff42
		tcp dport 82 meta mark set 0xfffffe42
	}
	chain f {
		type filter hook forward priority filter; policy drop;
		tcp flags ! fin,rst accept
		meta mark 0xffffff00/24 accept
	}
}
`);
  assert.deepEqual(checkNft(rs), []);
  assert.match(printNft(rs), /tcp flags ! fin,rst accept/);
  const nf = nftEngine(rs);
  const skb = new Skb();
  const pkt = (flags: number, dport = 80): Uint8Array =>
    buildTcpPacket(
      { src: ip('10.0.0.1'), dst: ip('10.0.0.2'), id: 1 },
      { srcPort: 1000, dstPort: dport, seq: 1, ack: 0, flags, window: 100 },
    );
  // SYN (0x02), SYN|ACK (0x12): neither FIN nor RST set.
  assert.equal(fwd(nf, skb, pkt(0x02), 'a', 'b', 1), NF_ACCEPT);
  assert.equal(fwd(nf, skb, pkt(0x12), 'a', 'b', 2), NF_ACCEPT);
  // RST (0x04) and FIN|ACK (0x11) have one of the bits: the rule does not match, policy drop.
  assert.equal(fwd(nf, skb, pkt(0x04), 'a', 'b', 3), NF_DROP);
  assert.equal(fwd(nf, skb, pkt(0x11), 'a', 'b', 4), NF_DROP);
  // With a mark whose top 24 bits are 0xffffff, the second rule takes the RST; 0xfffffe.. not.
  assert.equal(fwd(nf, skb, pkt(0x04, 81), 'a', 'b', 5), NF_ACCEPT);
  assert.equal(fwd(nf, skb, pkt(0x04, 82), 'a', 'b', 6), NF_DROP);
});
