// nft's `ct [original|reply] bytes|packets|avgpkt` (nft_ct_get_eval NFT_CT_BYTES/PKTS/AVGPKT):
// the entry's nf_conn_acct counters, the packet itself counted (nf_conntrack_in counts it before
// any hook's rules), both directions summed without a direction; loading such a rule turns
// accounting on (nft_ct_get_init: nf_ct_set_acct), so `conntrack -L` prints the counters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildUdpPacket } from '../../../src/wire/packet.ts';
import { NF_ACCEPT, NF_DROP } from '../../../src/netfilter/core/engine.ts';
import { formatConntrackLine } from '../../../src/netfilter/conntrack/format.ts';
import { ip } from '../helpers.ts';
import { fwd, NftBox } from './dsl.ts';

const C = '192.168.1.10';
const S = '198.51.100.2';

class Box extends NftBox {
  /** A UDP packet with `len` bytes of data (28 + len on the wire). */
  udp(src: string, sport: number, dst: string, dport: number, len: number, now: number): number {
    this.skb.now = now;
    const out = dst === S;
    const buf = buildUdpPacket(
      { src: ip(src), dst: ip(dst), id: 1 },
      { srcPort: sport, dstPort: dport },
      new Uint8Array(len),
    );
    return fwd(this.nf, this.skb, buf, out ? 'br-lan' : 'wan', out ? 'wan' : 'br-lan', now);
  }
}

const RULES = `table ip filter {
	chain forward {
		type filter hook forward priority filter; policy accept;
		udp dport 5000 ct original packets > 3 drop
		udp sport 5001 ct bytes > 200 drop
		udp dport 5001 ct reply packets 1 drop
		udp dport 5002 ct avgpkt 50-60 drop
	}
}
`;

test('nft ct original packets: the packet counts itself; the 4th is over 3', () => {
  const box = new Box(RULES);
  for (let i = 0; i < 3; i++) assert.equal(box.udp(C, 40000, S, 5000, 10, i), NF_ACCEPT, `packet ${i + 1}`);
  const e = box.skb.ct;
  assert.match(formatConntrackLine(box.nf.conntrack, e, 3), /packets=3 bytes=114 .*packets=0 bytes=0/);
  assert.equal(box.udp(C, 40000, S, 5000, 10, 3), NF_DROP); // 4 > 3
  // A dropped packet was counted all the same (before the rules).
  assert.match(formatConntrackLine(box.nf.conntrack, e, 4), /packets=4 bytes=152 .*packets=0 bytes=0/);
});

test('nft ct bytes (both directions) and ct reply packets', () => {
  const box = new Box(RULES);
  assert.equal(box.udp(C, 40001, S, 5001, 72, 0), NF_ACCEPT); // original 100 bytes; reply 0
  // The answer: bytes 100 + 100 = 200, not over 200.
  assert.equal(box.udp(S, 5001, C, 40001, 72, 1), NF_ACCEPT);
  // ct reply packets 1: the client's next packet sees one reply packet.
  assert.equal(box.udp(C, 40001, S, 5001, 72, 2), NF_DROP);
  // The server's second answer: 400 bytes in all, over 200.
  assert.equal(box.udp(S, 5001, C, 40001, 72, 3), NF_DROP);
});

test('nft ct avgpkt: bytes / packets of both directions', () => {
  const box = new Box(RULES);
  assert.equal(box.udp(C, 40002, S, 5002, 0, 0), NF_ACCEPT); // 28
  assert.equal(box.udp(C, 40002, S, 5002, 72, 1), NF_ACCEPT); // (28 + 100) / 2 = 64
  assert.equal(box.udp(C, 40002, S, 5002, 0, 2), NF_DROP); // (128 + 28) / 3 = 52
});

test('nft ct bytes without accounting rules elsewhere: a ruleset with none leaves it off', () => {
  const box = new Box(`table ip filter {
	chain forward {
		type filter hook forward priority filter; policy accept;
		ct state new accept
	}
}
`);
  assert.equal(box.udp(C, 40003, S, 5003, 10, 0), NF_ACCEPT);
  assert.equal(box.nf.conntrack.acct, undefined);
  assert.doesNotMatch(formatConntrackLine(box.nf.conntrack, box.skb.ct, 1), /packets=/);
});
