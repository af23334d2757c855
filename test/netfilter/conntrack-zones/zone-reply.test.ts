// CT --zone-reply N with the reply coming back without a template (zone 0), on natbox's engine.
// Expected: Linux 6.18.44 in namespaces (test/conformance/extra/ct-zone-reply-untemplated.yaml,
// verified live): with a nat table, `conntrack -S` found=2 insert_failed=1 drop=1 and the reply
// dropped with its ports unchanged; without one, found=0 insert_failed=1 drop=1. The paths are
// nf_nat_used_tuple_new (nf_nat_core.c: a reverse clash between two connections without NAT is
// left to confirm), __nf_ct_resolve_clash's nf_ct_can_merge (nf_conntrack_core.c: other flows are
// never merged) and nf_nat_register_fn (no NAT hook without a nat table).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildIcmpIpv4Packet, buildUdpPacket } from '../../../src/wire/packet.ts';
import { IP_CT_RELATED_REPLY } from '../../../src/netfilter/core/skb.ts';
import { IPS_DST_NAT_DONE, IPS_SRC_NAT_DONE } from '../../../src/netfilter/conntrack/table.ts';
import { DropReason } from '../../../src/netfilter/core/drop.ts';
import { NF_ACCEPT } from '../../../src/netfilter/core/verdict.ts';
import { engine, forward, ip, lastSkb } from '../helpers.ts';

const RAW = 'iptables -t raw -A PREROUTING -i lan -p udp --dport 7001 -j CT --zone-reply 5';
const NAT = 'iptables -t nat -A POSTROUTING -p tcp --dport 9 -j MASQUERADE';
const C = ip('10.7.0.2');
const S = ip('10.8.0.2');
const out = () => buildUdpPacket({ src: C, dst: S }, { srcPort: 40001, dstPort: 7001 }, new Uint8Array(4));
const back = () => buildUdpPacket({ src: S, dst: C }, { srcPort: 7001, dstPort: 40001 }, new Uint8Array(4));

const stats = (s: { found: number; insert_failed: number; drop: number; clash_resolve: number }) => ({
  found: s.found,
  insert_failed: s.insert_failed,
  drop: s.drop,
  clash_resolve: s.clash_resolve,
});

test('zone-reply, reply without template, nat table loaded: ports kept, dropped at confirm', () => {
  const nf = engine(`${RAW}\n${NAT}`);
  assert.equal(forward(nf, out(), 'lan', 'wan', 0), NF_ACCEPT);
  const first = lastSkb().ct;
  const b = back();
  assert.notEqual(forward(nf, b, 'wan', 'lan', 0.1), NF_ACCEPT);
  assert.equal(lastSkb().dropReason, DropReason.NF_CT_INSERT_FAILED);
  // Neither null binding moved the source port (nf_nat_used_tuple_new: no NAT on either side).
  assert.equal((b[20]! << 8) | b[21]!, 7001);
  assert.deepEqual(stats(nf.conntrack.stats), { found: 2, insert_failed: 1, drop: 1, clash_resolve: 0 });
  assert.equal(nf.conntrack.count, 1);
  assert.equal(
    nf.conntrack.statusOf(first) & (IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE),
    IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE,
  );
});

test('zone-reply, reply without template, no nat table: no null bindings, no found, dropped', () => {
  const nf = engine(RAW);
  assert.equal(forward(nf, out(), 'lan', 'wan', 0), NF_ACCEPT);
  const first = lastSkb().ct;
  assert.equal(nf.conntrack.statusOf(first) & (IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE), 0);
  assert.notEqual(forward(nf, back(), 'wan', 'lan', 0.1), NF_ACCEPT);
  assert.deepEqual(stats(nf.conntrack.stats), { found: 0, insert_failed: 1, drop: 1, clash_resolve: 0 });
});

test('zone-reply with the template on the reply side too: the reply finds its connection', () => {
  const nf = engine(
    `${RAW}\niptables -t raw -A PREROUTING -i wan -p udp --sport 7001 -j CT --zone-reply 5\n${NAT}`,
  );
  assert.equal(forward(nf, out(), 'lan', 'wan', 0), NF_ACCEPT);
  const first = lastSkb().ct;
  assert.equal(forward(nf, back(), 'wan', 'lan', 0.1), NF_ACCEPT);
  assert.equal(lastSkb().ct, first);
  assert.deepEqual(stats(nf.conntrack.stats), { found: 0, insert_failed: 0, drop: 0, clash_resolve: 0 });
});

// icmp_error_message looks the quoted connection up with nf_conntrack_find_get in the error's
// zone: the bucket of the zone's original id, then its reply id's. An error about an original-
// direction packet quotes a tuple whose inverse is the connection's reply tuple, hashed with the
// reply id (5): only the second bucket has it.
test('zone-reply: an ICMP error with the template finds the connection by its reply-zone tuple', () => {
  const nf = engine(`${RAW}\niptables -t raw -A PREROUTING -i wan -p icmp -j CT --zone-reply 5`);
  assert.equal(forward(nf, out(), 'lan', 'wan', 0), NF_ACCEPT);
  const first = lastSkb().ct;
  const err = buildIcmpIpv4Packet({ src: S, dst: C }, { kind: 'dest-unreachable', code: 3 }, out());
  assert.equal(forward(nf, err, 'wan', 'lan', 0.1), NF_ACCEPT);
  assert.equal(lastSkb().ct, first);
  assert.equal(lastSkb().ctinfo, IP_CT_RELATED_REPLY);
  assert.equal(nf.conntrack.stats.error, 0);
});
