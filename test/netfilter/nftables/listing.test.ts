// `nft list ruleset` after traffic (listing.ts): the elements the packet path added to sets and
// maps, with their counters, their own timeouts and the time left. The expected text is what nft
// 1.0.6 printed on Linux 6.18 for the same declarations after the same kind of traffic (a netns,
// two UDP datagrams from 127.0.0.1 and 127.0.0.2 through an output chain), the times being natbox's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTcpPacket, buildUdpPacket } from '../../../src/wire/packet.ts';
import { NF_ACCEPT } from '../../../src/netfilter/core/engine.ts';
import { printNft } from '../../../src/rules/nft/index.ts';
import { listedRuleset } from '../../../src/netfilter/nftables/listing.ts';
import { ip } from '../helpers.ts';
import { envOf, fwd, nftEngine, parseNftText } from './dsl.ts';
import { Skb } from '../../../src/netfilter/core/skb.ts';

const TEXT = `table ip t {
	set s {
		type ipv4_addr
		size 65535
		flags dynamic,timeout
		timeout 1m
	}

	set s2 {
		type ipv4_addr
		size 100
		flags dynamic
		counter
	}

	set s3 {
		type ipv4_addr
		size 65535
		flags dynamic,timeout
	}

	set s4 {
		type ipv4_addr
		size 65535
		flags dynamic,timeout
		timeout 1m
	}

	set gone {
		type ipv4_addr
		size 65535
		flags dynamic,timeout
		elements = { 10.0.0.2 timeout 5s, 127.0.0.1 }
	}

	map m {
		type ipv4_addr : mark
		size 65535
		flags dynamic,timeout
		timeout 2m
	}

	map m2 {
		type ipv4_addr . inet_service : ipv4_addr
		size 10
		flags dynamic
	}

	chain forward {
		type filter hook forward priority filter; policy accept;
		add @s { ip saddr }
		update @s3 { ip saddr timeout 30s }
		add @s2 { ip saddr }
		add @m { ip saddr : 0x00000005 }
		add @m2 { ip saddr . udp dport : ip daddr }
		update @s4 { ip saddr timeout 10s counter }
		ip saddr 127.0.0.2 delete @gone { ip daddr }
	}
}
`;

function run(): { text: (now: number) => string } {
  const rs = parseNftText(TEXT);
  const nf = nftEngine(rs);
  const skb = new Skb();
  skb.env = envOf(nf);
  const send = (src: string, now: number, payload: number): void => {
    const buf = buildUdpPacket(
      { src: ip(src), dst: ip('127.0.0.1'), id: 1 },
      { srcPort: 1000, dstPort: 9 },
      new Uint8Array(payload),
    );
    skb.now = now;
    skb.load(buf, 0, 'a', '');
    skb.outIf = 'b';
    assert.equal(nf.forward(skb, now), NF_ACCEPT);
  };
  send('127.0.0.1', 0.1, 2);
  send('127.0.0.1', 0.2, 2);
  send('127.0.0.2', 1.4, 2);
  send('127.0.0.2', 1.404, 58);
  return { text: (now) => printNft(listedRuleset(rs, nf.frontEndTables, now)) };
}

test('nft listing: elements the packet path added, as nft list ruleset prints them', () => {
  const { text } = run();
  const sets = text(1.408).split('\tchain forward')[0]!;
  assert.equal(
    sets,
    `table ip t {
	set s {
		type ipv4_addr
		size 65535
		flags dynamic,timeout
		timeout 1m
		elements = { 127.0.0.1 expires 58s692ms, 127.0.0.2 expires 59s992ms }
	}

	set s2 {
		type ipv4_addr
		size 100
		flags dynamic
		counter
		elements = { 127.0.0.1 counter packets 2 bytes 60, 127.0.0.2 counter packets 2 bytes 116 }
	}

	set s3 {
		type ipv4_addr
		size 65535
		flags dynamic,timeout
		elements = { 127.0.0.1 timeout 30s expires 28s792ms, 127.0.0.2 timeout 30s expires 29s996ms }
	}

	set s4 {
		type ipv4_addr
		size 65535
		flags dynamic,timeout
		timeout 1m
		elements = { 127.0.0.1 counter packets 2 bytes 60 timeout 10s expires 8s792ms, 127.0.0.2 counter packets 2 bytes 116 timeout 10s expires 9s996ms }
	}

	set gone {
		type ipv4_addr
		size 65535
		flags dynamic,timeout
		elements = { 10.0.0.2 timeout 5s expires 3s592ms }
	}

	map m {
		type ipv4_addr : mark
		size 65535
		flags dynamic,timeout
		timeout 2m
		elements = { 127.0.0.1 expires 1m58s692ms : 0x00000005, 127.0.0.2 expires 1m59s992ms : 0x00000005 }
	}

	map m2 {
		type ipv4_addr . inet_service : ipv4_addr
		size 10
		flags dynamic
		elements = { 127.0.0.1 . 9 : 127.0.0.1,
			     127.0.0.2 . 9 : 127.0.0.1 }
	}

`,
  );
});

test('nft listing: expired elements are not listed; the model is not changed', () => {
  const { text } = run();
  const later = text(12);
  // s4's 10 s are over (its updates at 0.2 and 1.404); s3's 30 s and s's minute are not.
  assert.match(later, /set s4 \{[^}]*flags dynamic,timeout\n\t\ttimeout 1m\n\t\}/);
  assert.match(later, /127\.0\.0\.1 timeout 30s expires 18s200ms, 127\.0\.0\.2 timeout 30s expires 19s404ms/);
  assert.doesNotMatch(later, /10\.0\.0\.2/, "gone's 5 s element expired at 5");
  assert.equal(printNft(parseNftText(TEXT)), TEXT);
});

test('nft listing: an element whose ct count counts no connection is gone (the set gc, nft_connlimit_gc)', () => {
  const text = `table ip filter {
	set flood {
		type ipv4_addr
		size 65535
		flags dynamic
	}

	chain forward {
		type filter hook forward priority filter; policy accept;
		tcp dport 22 add @flood { ip saddr ct count over 2 }
	}
}
`;
  const rs = parseNftText(text);
  const nf = nftEngine(rs);
  const skb = new Skb();
  skb.env = envOf(nf);
  const tcp = (src: string, sport: number, dst: string, dport: number, flags: number, now: number): void => {
    const buf = buildTcpPacket(
      { src: ip(src), dst: ip(dst), id: 1 },
      {
        srcPort: sport,
        dstPort: dport,
        seq: flags & 0x10 ? 0 : 1,
        ack: flags & 0x10 ? 2 : 0,
        flags,
        window: 100,
      },
    );
    assert.equal(fwd(nf, skb, buf, 'a', 'b', now), NF_ACCEPT);
  };
  const listed = (now: number): string =>
    printNft(listedRuleset(rs, nf.frontEndTables, now, nf.conntrack)).split('\n')[5]!;
  tcp('192.168.1.10', 40000, '198.51.100.2', 22, 0x02, 1);
  tcp('192.168.1.11', 40001, '198.51.100.2', 22, 0x02, 1.5);
  assert.equal(listed(2), '\t\telements = { 192.168.1.10 ct count over 2, 192.168.1.11 ct count over 2 }');
  // The server resets .10's connection (RST acking its SYN: CLOSE): its list counts nothing, the
  // element goes.
  tcp('198.51.100.2', 22, '192.168.1.10', 40000, 0x14, 3);
  assert.equal(listed(4), '\t\telements = { 192.168.1.11 ct count over 2 }');
});

test('nft listing: a set declared with counter counts each element a lookup finds (nft_lookup_eval)', () => {
  // The same declarations on Linux 6.18 (test/conformance/nft/set-counters.yaml, natbox verify):
  // each element of a `counter` set carries the set's counter, a set lookup and a vmap lookup
  // count the element they find, and the elements nobody looked up stay at 0.
  const text = `table ip t {
	set ports {
		type inet_service
		counter
		elements = { 53, 80 }
	}

	map dests {
		type ipv4_addr : verdict
		counter
		elements = { 10.0.2.10 : accept, 10.0.2.11 : drop }
	}

	chain forward {
		type filter hook forward priority filter; policy accept;
		udp dport @ports ip daddr vmap @dests
	}
}
`;
  const rs = parseNftText(text);
  const nf = nftEngine(rs);
  const skb = new Skb();
  skb.env = envOf(nf);
  const send = (dst: string, dport: number, payload: number): number => {
    const buf = buildUdpPacket(
      { src: ip('203.0.113.50'), dst: ip(dst), id: 1 },
      { srcPort: 1000, dstPort: dport },
      new Uint8Array(payload),
    );
    skb.load(buf, 0, 'a', '');
    skb.outIf = 'b';
    return nf.forward(skb, 1);
  };
  assert.equal(send('10.0.2.10', 53, 10), NF_ACCEPT);
  assert.equal(send('10.0.2.10', 53, 0), NF_ACCEPT);
  assert.notEqual(send('10.0.2.11', 80, 0), NF_ACCEPT);
  assert.equal(send('10.0.2.11', 443, 0), NF_ACCEPT); // 443 is not in @ports: nothing counted
  const listed = printNft(listedRuleset(rs, nf.frontEndTables, 2));
  assert.match(listed, /elements = \{ 53 counter packets 2 bytes 66, 80 counter packets 1 bytes 28 \}/);
  assert.match(
    listed,
    /elements = \{ 10\.0\.2\.10 counter packets 2 bytes 66 : accept, 10\.0\.2\.11 counter packets 1 bytes 28 : drop \}/,
  );
});
