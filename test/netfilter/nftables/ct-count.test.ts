// nft's `ct count [over] N` (nft_connlimit.c with nf_conncount.c's list): as a rule's statement
// (one list for the rule) and in a set element, the nft(8) man page's "restrict the number of
// parallel connections to a server" (`add @ssh_flood { ip saddr ct count over 2 } reject`: a list
// per source address). The expected verdicts follow nft_connlimit_do_eval: the rule breaks when
// (count > N) ^ over; a tuple whose entry is gone or closed (TCP TIME_WAIT/CLOSE) leaves the list
// at the next walk; a connection's own tuple is never added twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTcpPacket, buildUdpPacket } from '../../../src/wire/packet.ts';
import { NF_ACCEPT, NF_DROP, type Netfilter } from '../../../src/netfilter/core/engine.ts';
import { Skb } from '../../../src/netfilter/core/skb.ts';
import { checkNft } from '../../../src/netfilter/nftables/index.ts';
import { ip } from '../helpers.ts';
import { envOf, fwd, nftEngine, parseNftText } from './dsl.ts';

const SYN = 0x02;
const SYNACK = 0x12;
const ACK = 0x10;
const RST = 0x04;
const SRV = '198.51.100.2';

class Box {
  readonly nf: Netfilter;
  readonly skb = new Skb();
  constructor(text: string) {
    const rs = parseNftText(text);
    assert.deepEqual(checkNft(rs), []);
    this.nf = nftEngine(rs);
    this.skb.env = envOf(this.nf);
  }
  tcp(
    src: string,
    sport: number,
    dst: string,
    dport: number,
    flags: number,
    now: number,
    seq = 1,
    ack = 0,
  ): number {
    const out = dst === SRV;
    this.skb.now = now;
    const buf = buildTcpPacket(
      { src: ip(src), dst: ip(dst), id: 1 },
      { srcPort: sport, dstPort: dport, seq, ack, flags, window: 1000 },
    );
    return fwd(this.nf, this.skb, buf, out ? 'br-lan' : 'wan', out ? 'wan' : 'br-lan', now);
  }
  udp(src: string, sport: number, dport: number, now: number): number {
    this.skb.now = now;
    const buf = buildUdpPacket({ src: ip(src), dst: ip(SRV), id: 1 }, { srcPort: sport, dstPort: dport });
    return fwd(this.nf, this.skb, buf, 'br-lan', 'wan', now);
  }
}

const METER = `table ip filter {
	set ssh_flood {
		type ipv4_addr
		flags dynamic
	}

	chain forward {
		type filter hook forward priority filter; policy accept;
		tcp dport 22 add @ssh_flood { ip saddr ct count over 2 } drop
		tcp dport 80 ct count over 1 drop
		udp dport 53 ct count 1 accept
		udp dport 53 drop
	}
}
`;

test('nft ct count in a set element: a list per source address, closed connections leave it', () => {
  const box = new Box(METER);
  const A = '192.168.1.10';
  const B = '192.168.1.11';
  assert.equal(box.tcp(A, 40000, SRV, 22, SYN, 0), NF_ACCEPT); // A: 1
  assert.equal(box.tcp(A, 40001, SRV, 22, SYN, 1), NF_ACCEPT); // A: 2
  assert.equal(box.tcp(A, 40002, SRV, 22, SYN, 2), NF_DROP); // A: 3 > 2
  assert.equal(box.tcp(B, 40003, SRV, 22, SYN, 3), NF_ACCEPT); // B's own element: 1
  assert.equal(box.tcp(B, 40004, SRV, 22, SYN, 4), NF_ACCEPT); // B: 2
  // Every packet goes through the element (the man page's rule has no `ct state new`): the
  // first connection's ACK meets its own tuple at the head of A's list and stops the walk there,
  // before the dropped SYN's stale tuple: A's count is 3 and the ACK is dropped too.
  assert.equal(box.tcp(SRV, 22, A, 40000, SYNACK, 5, 1000, 2), NF_ACCEPT);
  assert.equal(box.tcp(A, 40000, SRV, 22, ACK, 5, 2, 1001), NF_DROP);
  // B's established packet: B's list holds its two live connections, 2.
  assert.equal(box.tcp(SRV, 22, B, 40003, SYNACK, 5, 1000, 2), NF_ACCEPT);
  assert.equal(box.tcp(B, 40003, SRV, 22, ACK, 5, 2, 1001), NF_ACCEPT);
  // The dropped SYN's entry was never confirmed: it leaves A's list at the next walk; a retry
  // still counts 3.
  assert.equal(box.tcp(A, 40005, SRV, 22, SYN, 6), NF_DROP);
  // A's first connection is reset (CLOSE): no longer counted, a new one fits.
  assert.equal(box.tcp(SRV, 22, A, 40000, RST | ACK, 7, 1001, 2), NF_ACCEPT);
  assert.equal(box.tcp(A, 40006, SRV, 22, SYN, 8), NF_ACCEPT);
  assert.equal(box.tcp(A, 40007, SRV, 22, SYN, 9), NF_DROP);
});

test('nft ct count as a rule: one list for every source; `ct count N` goes on at N or fewer', () => {
  const box = new Box(METER);
  assert.equal(box.tcp('192.168.1.10', 41000, SRV, 80, SYN, 0), NF_ACCEPT); // 1
  assert.equal(box.tcp('192.168.1.11', 41001, SRV, 80, SYN, 1), NF_DROP); // 2 > 1
  // A retransmitted SYN of the first: the walk meets its own tuple before the dropped one's stale
  // tuple behind it, and stops there: the count is still 2 (nf_conncount's walk).
  assert.equal(box.tcp('192.168.1.10', 41000, SRV, 80, SYN, 2), NF_DROP);
  assert.equal(box.tcp('192.168.1.11', 41002, SRV, 80, SYN, 3), NF_DROP); // the stale one gone: 2
  // udp: `ct count 1 accept` while the rule's list holds one live connection, then the drop.
  assert.equal(box.udp('192.168.1.10', 5000, 53, 10), NF_ACCEPT);
  assert.equal(box.udp('192.168.1.10', 5000, 53, 11), NF_ACCEPT); // the same connection
  assert.equal(box.udp('192.168.1.12', 5001, 53, 12), NF_DROP); // 2: the next rule drops
  // The first UDP entry expires (30 s unreplied): the list walk evicts it, 1 again.
  assert.equal(box.udp('192.168.1.12', 5002, 53, 50), NF_ACCEPT);
});

test('nft ct count: a new element in a slot an expired one left starts with an empty list', () => {
  const box = new Box(`table ip filter {
	set m {
		type ipv4_addr
		flags dynamic,timeout
		timeout 5s
	}

	chain forward {
		type filter hook forward priority filter; policy accept;
		tcp dport 22 add @m { ip saddr ct count over 1 } drop
	}
}
`);
  const A = '192.168.1.10';
  assert.equal(box.tcp(A, 40000, SRV, 22, SYN, 0), NF_ACCEPT); // 1
  assert.equal(box.tcp(A, 40001, SRV, 22, SYN, 1), NF_DROP); // 2 > 1
  // The element expires at 5 s (its connection is still alive): the new element's list is new.
  assert.equal(box.tcp(A, 40002, SRV, 22, SYN, 6), NF_ACCEPT);
  assert.equal(box.tcp(A, 40003, SRV, 22, SYN, 6.5), NF_DROP);
});
