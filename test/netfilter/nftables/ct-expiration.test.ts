// nft's `ct expiration` (nft_ct_get_eval NFT_CT_EXPIRATION: jiffies_to_msecs(nf_ct_expires(ct)))
// and iptables' `-m conntrack --ctexpire` (nf_ct_expires(ct) / HZ) read 0 for a connection's first
// packet: its entry is not confirmed yet, and ct->timeout holds the relative timeout
// (__nf_ct_refresh_acct adds nfct_time_stamp only to a confirmed entry), so timeout -
// nfct_time_stamp is negative and nf_ct_expires gives max(…, 0). Found by
// test/conformance/nft/eval-hash-meta.yaml's counter on Linux 6.18: `ct expiration > 100s tcp
// dport 8000 counter` counted no SYN there (kernel 15 packets, natbox 18 before this).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildUdpPacket } from '../../../src/wire/packet.ts';
import { NF_ACCEPT, NF_DROP } from '../../../src/netfilter/core/engine.ts';
import { ip } from '../helpers.ts';
import { envOf, fwd, NftBox } from './dsl.ts';
import { Skb } from '../../../src/netfilter/core/skb.ts';
import { loadRulesText } from '../../../src/rules/load.ts';
import { Netfilter } from '../../../src/netfilter/core/engine.ts';
import { SeededRng } from '../../../src/netfilter/nat/nat-core.ts';

const C = '192.168.1.10';
const S = '198.51.100.2';
const udp = (sport: number): Uint8Array =>
  buildUdpPacket({ src: ip(C), dst: ip(S), id: 1 }, { srcPort: sport, dstPort: 5000 }, new Uint8Array(4));

test('nft ct expiration: 0 for the first packet (entry not confirmed), the time left after', () => {
  const box = new NftBox(`table ip filter {
	chain forward {
		type filter hook forward priority filter; policy accept;
		ct expiration > 10s drop
	}
}
`);
  // The first packet's entry is unconfirmed: 0 ms left, not > 10 s; confirmed in POSTROUTING.
  assert.equal(fwd(box.nf, box.skb, udp(40000), 'br-lan', 'wan', 1), NF_ACCEPT);
  // The second packet's entry is confirmed with UDP's 30 s: 30,000 ms left, dropped.
  assert.equal(fwd(box.nf, box.skb, udp(40000), 'br-lan', 'wan', 2), NF_DROP);
});

test('iptables -m conntrack --ctexpire: 0 for the first packet, the time left after', () => {
  const r = loadRulesText('iptables -A FORWARD -m conntrack --ctexpire 10:100 -j DROP', 'x.rules');
  assert.ok(r.ok);
  const nf = new Netfilter({
    ruleset: r.ruleset,
    host: { masqueradeAddress: () => 0, primaryAddress: () => 0 },
    rng: new SeededRng(1),
  });
  const skb = new Skb();
  skb.env = envOf(nf);
  assert.equal(fwd(nf, skb, udp(40001), 'br-lan', 'wan', 1), NF_ACCEPT);
  assert.equal(fwd(nf, skb, udp(40001), 'br-lan', 'wan', 2), NF_DROP);
  // --ctexpire 0 matches the first packet of a new connection (as the kernel's 0 does).
  const z = loadRulesText('iptables -A FORWARD -m conntrack --ctexpire 0 -j DROP', 'z.rules');
  assert.ok(z.ok);
  const nz = new Netfilter({
    ruleset: z.ruleset,
    host: { masqueradeAddress: () => 0, primaryAddress: () => 0 },
    rng: new SeededRng(1),
  });
  const sz = new Skb();
  sz.env = envOf(nz);
  assert.equal(fwd(nz, sz, udp(40002), 'br-lan', 'wan', 1), NF_DROP);
});
