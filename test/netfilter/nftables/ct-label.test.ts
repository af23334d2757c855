// nft's `ct label set N` and `ct label [!=] N` (nft_ct.c NFT_CT_LABELS): a bit of the
// connection's 128 label bits set on its first packet, tested on its replies; the same bits as
// -m connlabel's. Label names need connlabel.conf (not read): refused at their position.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTcpPacket } from '../../../src/wire/packet.ts';
import { NF_ACCEPT, NF_DROP } from '../../../src/netfilter/core/engine.ts';
import { checkNft } from '../../../src/netfilter/nftables/index.ts';
import { ip } from '../helpers.ts';
import { fwd, parseNftText, NftBox } from './dsl.ts';
import { BIT_NAMES, entryJson, formatConntrackLine } from '../../../src/netfilter/conntrack/format.ts';

const C = '192.168.1.10';
const S = '198.51.100.2';
const SYN = 0x02;
const SYNACK = 0x12;

const RULES = `table ip filter {
	chain forward {
		type filter hook forward priority filter; policy accept;
		ct state new tcp dport 22 ct label set 3
		ct state new tcp dport 23 ct label set 100
		iifname "wan" ct label 3 accept
		iifname "wan" ct label != 100 drop
	}
}
`;

class Box extends NftBox {
  tcp(out: boolean, cport: number, sport: number, flags: number, now: number): number {
    const [src, dst, a, b] = out ? [C, S, cport, sport] : [S, C, sport, cport];
    this.skb.now = now;
    const buf = buildTcpPacket(
      { src: ip(src), dst: ip(dst), id: 1 },
      { srcPort: a, dstPort: b, seq: out ? 1 : 1000, ack: out ? 0 : 2, flags, window: 1000 },
    );
    return fwd(this.nf, this.skb, buf, out ? 'br-lan' : 'wan', out ? 'wan' : 'br-lan', now);
  }
}

test('nft ct label set N on the first packet; ct label N and != N on the replies', () => {
  const box = new Box(RULES);
  assert.equal(box.tcp(true, 40000, 22, SYN, 0), NF_ACCEPT);
  const e22 = box.skb.ct;
  assert.equal(box.tcp(true, 40001, 23, SYN, 0), NF_ACCEPT);
  const e23 = box.skb.ct;
  assert.equal(box.tcp(true, 40002, 24, SYN, 0), NF_ACCEPT);
  const labels = box.nf.conntrack.labels!;
  assert.deepEqual([...labels.subarray(e22 * 4, e22 * 4 + 4)], [1 << 3, 0, 0, 0]);
  assert.deepEqual([...labels.subarray(e23 * 4, e23 * 4 + 4)], [0, 0, 0, 1 << 4]); // bit 100
  assert.equal(box.tcp(false, 40000, 22, SYNACK, 1), NF_ACCEPT); // label 3: accepted
  assert.equal(box.tcp(false, 40001, 23, SYNACK, 1), NF_ACCEPT); // label 100: not dropped
  assert.equal(box.tcp(false, 40002, 24, SYNACK, 1), NF_DROP); // no label: != 100
});

test('nft ct label: names (connlabel.conf) and bits over 127 are refused at their position', () => {
  const rs = parseNftText(`table ip filter {
	chain forward {
		type filter hook forward priority filter; policy accept;
		ct label "wan" accept
	}
}
`);
  assert.deepEqual(
    checkNft(rs).map((p) => [p.line, p.token, p.message]),
    [[4, 'wan', 'ct label "wan": label names (connlabel.conf) are not simulated']],
  );
  // A bit over 127 is nft's own error, in a match and in `ct label set` alike (nft 1.0.6 -c:
  // "128: bit 128 out of range (128 max)" at the value).
  assert.throws(
    () =>
      parseNftText(`table ip filter {
	chain forward {
		type filter hook forward priority filter; policy accept;
		ct label set 128
	}
}
`),
    /^Error: 4:16: 128: bit 128 out of range \(128 max\)$/,
  );
});

test('conntrack -L -o labels: the named bits after use=1, as conntrack-tools 1.4.7 prints them', () => {
  // Measured on Linux 6.18 with a connlabel.conf of `0 zero`, `1 one`, `3 three`, `100 hundred`:
  // ` labels=three`, ` labels=hundred`, ` labels` (bit 127, unnamed), nothing without a bit.
  const box = new Box(RULES);
  box.tcp(true, 40000, 22, SYN, 0);
  const e22 = box.skb.ct;
  box.tcp(true, 40001, 23, SYN, 0);
  const e23 = box.skb.ct;
  box.tcp(true, 40002, 24, SYN, 0);
  const e24 = box.skb.ct;
  const t = box.nf.conntrack;
  const map = (b: number): string | undefined => ({ 0: 'zero', 1: 'one', 3: 'three', 100: 'hundred' })[b];
  const tail = (e: number, names?: (b: number) => string | undefined): string =>
    formatConntrackLine(t, e, 0.5, names).replace(/^.* use=1/, '');
  assert.deepEqual(
    [tail(e22, map), tail(e23, map), tail(e24, map)],
    [' labels=three', ' labels=hundred', ''],
  );
  const l = t.labels!;
  l[e22 * 4 + 3] = l[e22 * 4 + 3]! | (1 << 31); // bit 127: named in neither map
  assert.equal(tail(e22, map), ' labels=three');
  l[e22 * 4] = 0;
  assert.equal(tail(e22, map), ' labels');
  assert.equal(tail(e22, BIT_NAMES), ' labels=127');
  assert.equal(tail(e23, BIT_NAMES), ' labels=100');
  assert.equal(tail(e23), ''); // plain conntrack -L: no labels
  assert.deepEqual(entryJson(t, e23, 0.5).labels, [100]);
  assert.equal(entryJson(t, e24, 0.5).labels, undefined);
});
