// TEE (xt_TEE.c → nf_dup_ipv4, net/ipv4/netfilter/nf_dup_ipv4.c): the copy's header as the kernel
// makes it (DF set; TTL one less in PREROUTING and INPUT only; checksum valid), the original
// unchanged and going on, the copy untracked, and no copy of a copy (nf_skb_duplicated). The
// stack's send is tested end to end against the kernel in test/conformance/extra/module-tee.yaml.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NF_ACCEPT, Netfilter, NOTRACK } from '../../src/netfilter/core/engine.ts';
import { Skb } from '../../src/netfilter/core/skb.ts';
import { SeededRng } from '../../src/netfilter/nat/nat-core.ts';
import { ipv4ChecksumOk } from '../../src/wire/ipv4.ts';
import { buildUdpPacket } from '../../src/wire/packet.ts';
import { HOST, ip, ruleset } from './helpers.ts';

interface Sent {
  ttl: number;
  df: boolean;
  gw: number;
  oif: string;
  checksumOk: boolean;
}

function setup(rules: string): { nf: Netfilter; sent: Sent[] } {
  const sent: Sent[] = [];
  const nf: Netfilter = new Netfilter({
    ruleset: ruleset(rules),
    rng: new SeededRng(1),
    host: {
      ...HOST,
      dup(b, gw, oif) {
        sent.push({ ttl: b[8]!, df: (b[6]! & 0x40) !== 0, gw, oif, checksumOk: ipv4ChecksumOk(b, 0) });
        // The copy is sent as the host's own packet: OUTPUT, where this ruleset's TEE must not copy it.
        const s = new Skb().load(b, 0, '', 'mon');
        s.ct = NOTRACK;
        assert.equal(nf.output(s, 0), NF_ACCEPT);
        assert.equal(s.ct, NOTRACK);
      },
    },
  });
  return { nf, sent };
}

const pkt = (): Uint8Array =>
  buildUdpPacket(
    { src: ip('192.168.1.10'), dst: ip('198.51.100.80'), id: 7, ttl: 64 },
    { srcPort: 40000, dstPort: 5000 },
  );

test('TEE in PREROUTING: the copy has DF and one TTL less, the original is untouched and goes on', () => {
  const { nf, sent } = setup(
    [
      'iptables -t mangle -A PREROUTING -j TEE --gateway 10.9.0.2',
      'iptables -t mangle -A OUTPUT -j TEE --gateway 10.9.0.3 --oif mon',
    ].join('\n'),
  );
  const b = pkt();
  const before = b.slice();
  const skb = new Skb().load(b, 0, 'lan', '');
  assert.equal(nf.prerouting(skb, 0), NF_ACCEPT);
  assert.deepEqual(b, before);
  assert.deepEqual(sent, [{ ttl: 63, df: true, gw: ip('10.9.0.2'), oif: '', checksumOk: true }]);
});

test('TEE in OUTPUT and POSTROUTING: the TTL is kept; each TEE rule makes its own copy, in order', () => {
  const { nf, sent } = setup(
    [
      'iptables -t mangle -A POSTROUTING -j TEE --gateway 10.9.0.2',
      'iptables -t mangle -A POSTROUTING -j TEE --gateway 10.9.0.4 --oif wan',
    ].join('\n'),
  );
  const skb = new Skb().load(pkt(), 0, 'lan', 'wan');
  assert.equal(nf.prerouting(skb, 0), NF_ACCEPT);
  assert.equal(nf.forward(skb, 0), NF_ACCEPT);
  assert.equal(nf.postrouting(skb, 0), NF_ACCEPT);
  assert.deepEqual(
    sent.map((s) => [s.ttl, s.df, s.gw, s.oif]),
    [
      [64, true, ip('10.9.0.2'), ''],
      [64, true, ip('10.9.0.4'), 'wan'],
    ],
  );
});
