// nft's fib without `iif` (nft_fib4_eval, net/ipv4/netfilter/nft_fib_ipv4.c): `fib daddr oif`,
// `fib saddr oifname`, `fib daddr . mark oif` ask fib_lookup (from the loopback device, the mark
// with `. mark`) for the route to the address and give its device (FIB_RES_DEV), 0 when there
// is no route and when the address is local (RTN_LOCAL); a packet from lo at prerouting gets lo
// (nft_fib_is_loopback). `daddr . iif` asks whether the route to the destination uses the input
// device. The kernel refuses `. oif` with these results (nft_fib_init) and their use at output
// and postrouting (nft_fib_validate). The host here is XtEnv.fibDev / rpfLookup given by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildUdpPacket } from '../../../src/wire/packet.ts';
import { NF_ACCEPT, NF_DROP } from '../../../src/netfilter/core/engine.ts';
import { RPF_USES_DEV, RTN_LOCAL, RTN_UNICAST } from '../../../src/netfilter/core/skb.ts';
import { checkNft } from '../../../src/netfilter/nftables/index.ts';
import { ip } from '../helpers.ts';
import { envOf, NftBox, parseNftText } from './dsl.ts';

const TEXT = `table ip t {
	chain pre {
		type filter hook prerouting priority filter; policy accept;
		fib daddr oif missing drop
		fib daddr oifname "lan2" udp dport 5000 drop
		fib saddr oifname "lan1" udp dport 6000 drop
		fib daddr . mark oifname "lan3" drop
		fib daddr . iif oif missing udp dport 7000 drop
	}
}
`;

/** The host: 10.0.1.0/24 on lan1, 10.0.2.0/24 on lan2, 203.0.113.0/24 on wan (own .1); mark 7: lan3. */
function route(addr: number, mark: number): string {
  if (addr === ip('203.0.113.1')) return '';
  if (mark === 7) return 'lan3';
  if (addr >>> 8 === ip('10.0.1.0') >>> 8) return 'lan1';
  if (addr >>> 8 === ip('10.0.2.0') >>> 8) return 'lan2';
  if (addr >>> 8 === ip('203.0.113.0') >>> 8) return 'wan';
  return '';
}

class Box extends NftBox {
  constructor() {
    super(TEXT);
    this.skb.env = envOf(this.nf, {
      fibDev: (addr, mark) => route(addr, mark),
      rpfLookup: (addr, mark, dev) => {
        if (addr === ip('203.0.113.1')) return RTN_LOCAL;
        const d = route(addr, mark);
        return d === '' ? -1 : RTN_UNICAST | (d === dev ? RPF_USES_DEV : 0);
      },
    });
  }
  udp(src: string, dst: string, dport: number, inIf = 'wan', mark = 0): number {
    const buf = buildUdpPacket({ src: ip(src), dst: ip(dst), id: 1 }, { srcPort: 1000, dstPort: dport });
    this.skb.load(buf, 0, inIf, '');
    this.skb.mark = mark;
    return this.nf.prerouting(this.skb, 1);
  }
}

test('nft fib daddr oif / saddr oifname without iif: the route device, missing for none and for local', () => {
  const b = new Box();
  assert.equal(b.udp('203.0.113.50', '10.0.1.10', 5000), NF_ACCEPT, 'lan1');
  assert.equal(b.udp('203.0.113.50', '10.0.2.10', 5000), NF_DROP, 'lan2, udp 5000');
  assert.equal(b.udp('203.0.113.50', '10.0.2.10', 5001), NF_ACCEPT, 'lan2, another port');
  assert.equal(b.udp('203.0.113.50', '198.51.100.9', 5000), NF_DROP, 'no route: missing');
  assert.equal(b.udp('203.0.113.50', '203.0.113.1', 5000), NF_DROP, 'its own address: RTN_LOCAL, missing');
  assert.equal(b.udp('10.0.1.10', '203.0.113.50', 6000, 'lan1'), NF_DROP, 'from lan1: saddr oifname');
  assert.equal(b.udp('10.0.2.10', '203.0.113.50', 6000, 'lan2'), NF_ACCEPT, 'from lan2');
  // A packet from lo at prerouting: lo itself, never missing (the local address included).
  assert.equal(b.udp('127.0.0.1', '203.0.113.1', 5000, 'lo'), NF_ACCEPT);
  // . mark: the mark picks lan3's table.
  assert.equal(b.udp('203.0.113.50', '10.0.1.10', 5000, 'wan', 7), NF_DROP, 'mark 7: lan3');
  // daddr . iif: the route to 10.0.1.10 does not use wan: missing, dropped for udp 7000 only.
  assert.equal(b.udp('203.0.113.50', '10.0.1.10', 7000), NF_DROP);
  assert.equal(b.udp('10.0.2.10', '10.0.2.99', 7000, 'lan2'), NF_ACCEPT, 'its route uses lan2');
});

test('nft fib oif: the kernel refuses `. oif` with an oif result and oif results at output', () => {
  const rs = parseNftText(`table ip t {
	chain o {
		type filter hook output priority filter; policy accept;
		fib daddr oif missing drop
	}

	chain p {
		type filter hook prerouting priority filter; policy accept;
		fib daddr . oif oifname "x" drop
	}
}
`);
  const p = checkNft(rs).map((x) => `${x.line}: ${x.message}`);
  assert.deepEqual(p, [
    '4: fib ... oif is not valid at this hook (the kernel refuses it: EOPNOTSUPP)',
    '9: fib daddr . oif oifname: the kernel refuses it (EINVAL)',
  ]);
});
