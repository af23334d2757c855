// nftables' netdev family and stateless payload writes (netfilter/nftables/netdev.ts,
// netdev-ops.ts, payload-set.ts), with exact frames: a rewritten packet must be byte for byte the
// packet built afresh with the new field (so every checksum the kernel's incremental update keeps
// is right), fwd/dup hand over the frames they should, a frame without IPv4 matches no IPv4 field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNft } from '../../../src/rules/nft/index.ts';
import type { NftRuleset } from '../../../src/rules/nft/model.ts';
import {
  NETDEV_ACCEPT,
  NETDEV_DROP,
  NETDEV_STOLEN,
  NF_NETDEV_EGRESS,
  NF_NETDEV_INGRESS,
  NetdevTables,
} from '../../../src/netfilter/nftables/netdev.ts';
import { checkNft } from '../../../src/netfilter/nftables/index.ts';
import { buildTcpPacket, buildUdpPacket } from '../../../src/wire/packet.ts';
import { emitEthernet } from '../../../src/wire/ethernet.ts';
import { parseIpv4 } from '../../../src/wire/addr.ts';
import { lines } from '../../rules/nft/fixtures.ts';

const MAC = new Uint8Array([2, 0, 0, 0, 0, 1]);
const PEER = new Uint8Array([2, 0, 0, 0, 0, 2]);
const ip = (s: string): number => {
  const r = parseIpv4(s);
  assert.ok(r.ok);
  return r.value;
};

function ruleset(text: string): NftRuleset {
  const r = parseNft(lines(text, 't.nft'));
  assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.diagnostics));
  return r.ruleset;
}

const chain = (rules: string, hook = 'ingress', dev = 'eth0'): string =>
  `table netdev t {\n chain c {\n  type filter hook ${hook} device "${dev}" priority 0;\n${rules}\n }\n}\n`;

const tcp = (dst: string, dport = 80, ttl = 64): Uint8Array =>
  buildTcpPacket(
    { src: ip('192.0.2.1'), dst: ip(dst), id: 7, ttl },
    { srcPort: 40000, dstPort: dport, seq: 1, flags: 2 },
  );
const udp = (dst: string, checksum = true): Uint8Array =>
  buildUdpPacket({ src: ip('192.0.2.1'), dst: ip(dst), id: 9 }, { srcPort: 40000, dstPort: 53, checksum });
const frame = (p: Uint8Array, dst = MAC): Uint8Array => emitEthernet(dst, PEER, 0x0800, p);

test('netdev: ip daddr set rewrites the IPv4 and TCP checksums as a packet built with the new address', () => {
  const nd = new NetdevTables(ruleset(chain('  ip daddr set 10.0.0.2')));
  const f = frame(tcp('198.51.100.7'));
  assert.equal(nd.run(NF_NETDEV_INGRESS, 'eth0', MAC, f, 0, undefined), NETDEV_ACCEPT);
  assert.deepEqual(f, frame(tcp('10.0.0.2')));
});

test('netdev: tcp dport set and ip ttl set, each with its own checksum', () => {
  const nd = new NetdevTables(ruleset(chain('  tcp dport set 8080 ip ttl set 9')));
  const f = frame(tcp('198.51.100.7'));
  nd.run(NF_NETDEV_INGRESS, 'eth0', MAC, f, 0, undefined);
  assert.deepEqual(f, frame(tcp('198.51.100.7', 8080, 9)));
});

test('netdev: ip saddr/daddr set leave a UDP datagram without checksum without one', () => {
  const nd = new NetdevTables(ruleset(chain('  ip daddr set 10.0.0.2')));
  const f = frame(udp('198.51.100.7', false));
  nd.run(NF_NETDEV_INGRESS, 'eth0', MAC, f, 0, undefined);
  assert.deepEqual(f, frame(udp('10.0.0.2', false)));
  const g = frame(udp('198.51.100.7'));
  nd.run(NF_NETDEV_INGRESS, 'eth0', MAC, g, 0, undefined);
  assert.deepEqual(g, frame(udp('10.0.0.2')));
});

test('netdev: ether daddr set through a numgen map, fwd to another device (NF_STOLEN)', () => {
  const nd = new NetdevTables(
    ruleset(
      chain(
        '  udp dport 53 ether saddr set aa:bb:cc:dd:ff:ee ether daddr set numgen inc mod 2 map { 0 : aa:aa:aa:aa:aa:aa, 1 : bb:bb:bb:bb:bb:bb } fwd to "eth1"',
      ),
    ),
  );
  const macs: string[] = [];
  for (let i = 0; i < 3; i++) {
    const f = frame(udp('203.0.113.53'));
    assert.equal(nd.run(NF_NETDEV_INGRESS, 'eth0', MAC, f, 0, undefined), NETDEV_STOLEN);
    assert.equal(nd.sends.length, 1);
    const s = nd.sends[0]!;
    assert.equal(s.dev, 'eth1');
    assert.equal(s.via, 0);
    assert.deepEqual(s.data.subarray(14), udp('203.0.113.53'));
    assert.deepEqual([...s.data.subarray(6, 12)], [0xaa, 0xbb, 0xcc, 0xdd, 0xff, 0xee]);
    macs.push([...s.data.subarray(0, 6)].map((b) => b.toString(16)).join(':'));
  }
  assert.deepEqual(macs, ['aa:aa:aa:aa:aa:aa', 'bb:bb:bb:bb:bb:bb', 'aa:aa:aa:aa:aa:aa']);
  // tcp is not udp dport 53: on its way, nothing asked
  const t = frame(tcp('203.0.113.53'));
  assert.equal(nd.run(NF_NETDEV_INGRESS, 'eth0', MAC, t, 0, undefined), NETDEV_ACCEPT);
  assert.equal(nd.sends.length, 0);
});

test('netdev: fwd ip to ... device takes one off the TTL (checksum kept) and names the neighbour', () => {
  const nd = new NetdevTables(ruleset(chain('  fwd ip to 192.0.2.200 device "eth1"')));
  const f = frame(tcp('198.51.100.7'));
  assert.equal(nd.run(NF_NETDEV_INGRESS, 'eth0', MAC, f, 0, undefined), NETDEV_STOLEN);
  assert.equal(nd.sends[0]!.via, ip('192.0.2.200'));
  assert.equal(nd.sends[0]!.dev, 'eth1');
  assert.deepEqual(nd.sends[0]!.data, tcp('198.51.100.7', 80, 63));
});

test('netdev: dup to copies and goes on; a counter counts; drop drops', () => {
  const rs = ruleset(chain('  counter dup to "eth1"\n  tcp dport 22 drop'));
  const nd = new NetdevTables(rs);
  const f = frame(tcp('198.51.100.7'));
  assert.equal(nd.run(NF_NETDEV_INGRESS, 'eth0', MAC, f, 0, undefined), NETDEV_ACCEPT);
  assert.deepEqual(
    nd.sends.map((s) => [s.dev, s.via]),
    [['eth1', 0]],
  );
  assert.deepEqual(nd.sends[0]!.data, f);
  assert.notEqual(nd.sends[0]!.data, f); // a copy
  assert.equal(
    nd.run(NF_NETDEV_INGRESS, 'eth0', MAC, frame(tcp('198.51.100.7', 22)), 0, undefined),
    NETDEV_DROP,
  );
  const counter = rs.tables[0]!.chains[0]!.rules[0]!.stmts[0] as { packets: number; bytes: number };
  assert.deepEqual([counter.packets, counter.bytes], [2, 80]);
  // another device, another hook: no chain
  assert.equal(
    nd.run(NF_NETDEV_EGRESS, 'eth0', MAC, frame(tcp('198.51.100.7', 22)), 0, undefined),
    NETDEV_ACCEPT,
  );
  assert.equal(
    nd.run(NF_NETDEV_INGRESS, 'eth1', MAC, frame(tcp('198.51.100.7', 22)), 0, undefined),
    NETDEV_ACCEPT,
  );
});

test('netdev: a frame without IPv4 (ARP) matches no IPv4 or transport field, meta protocol reads its type', () => {
  const rs = ruleset(
    chain('  ip daddr 0.0.0.0/0 drop\n  meta l4proto 0 counter\n  meta protocol arp counter'),
  );
  const nd = new NetdevTables(rs);
  const arp = emitEthernet(new Uint8Array(6).fill(0xff), PEER, 0x0806, new Uint8Array(28));
  assert.equal(nd.run(NF_NETDEV_INGRESS, 'eth0', MAC, arp, 0, undefined), NETDEV_ACCEPT);
  const r = rs.tables[0]!.chains[0]!.rules;
  // skb->len at ingress: the ARP payload, 28 bytes (measured on Linux 6.18)
  assert.deepEqual(r[1]!.stmts[1], { kind: 'counter', packets: 1, bytes: 28, pos: r[1]!.stmts[1]!.pos });
  assert.equal((r[2]!.stmts[1] as { bytes: number }).bytes, 28);
  // an IPv4 frame is dropped by the first rule
  assert.equal(nd.run(NF_NETDEV_INGRESS, 'eth0', MAC, frame(tcp('198.51.100.7')), 0, undefined), NETDEV_DROP);
});

test('netdev: meta pkttype set host is reported; ether fields match', () => {
  const nd = new NetdevTables(ruleset(chain('  ether saddr 02:00:00:00:00:02 meta pkttype set host')));
  const other = new Uint8Array([2, 0, 0, 0, 0, 9]);
  nd.run(NF_NETDEV_INGRESS, 'eth0', MAC, frame(tcp('198.51.100.7'), other), 0, undefined);
  assert.equal(nd.pktType, 0);
});

test('checkNft: a netdev chain runs; what it cannot run is named; ether set outside netdev is refused', () => {
  assert.deepEqual(checkNft(ruleset(chain('  fwd to "eth1"'))), []);
  const p = checkNft(
    ruleset(
      'table ip t {\n chain c {\n  type filter hook prerouting priority 0;\n  ether daddr set 02:00:00:00:00:01\n }\n}\n',
    ),
  );
  assert.equal(p.length, 1);
  assert.match(p[0]!.message, /ether daddr set is simulated in netdev tables only/);
  const q = checkNft(
    ruleset('table ip t {\n chain c {\n  type filter hook prerouting priority 0;\n  fwd to "eth1"\n }\n}\n'),
  );
  assert.match(q[0]!.message, /fwd is read and printed but not simulated outside netdev tables/);
});

test('netdev: an egress counter counts the Ethernet header too (skb->len at the MAC header)', () => {
  const rs = ruleset(chain('  udp dport 53 counter', 'egress'));
  const nd = new NetdevTables(rs);
  const f = frame(udp('198.51.100.7'));
  assert.equal(nd.run(NF_NETDEV_EGRESS, 'eth0', MAC, f, 0, undefined), NETDEV_ACCEPT);
  const c = rs.tables[0]!.chains[0]!.rules[0]!.stmts[1] as { packets: number; bytes: number };
  // 20 + 8 bytes of IPv4 and UDP, 14 of Ethernet (the kernel: 52 for a 10-byte payload)
  assert.deepEqual([c.packets, c.bytes], [1, 42]);
});

test('netdev: devices = { ... } hooks each device; chains on one device run by priority', () => {
  const rs = ruleset(
    'table netdev a {\n chain late {\n  type filter hook ingress devices = { "eth0", "eth1" } priority 10;\n  counter drop\n }\n}\n' +
      'table netdev b {\n chain early {\n  type filter hook ingress device "eth1" priority -10;\n  counter accept\n }\n}\n',
  );
  const nd = new NetdevTables(rs);
  assert.ok(nd.hooked(NF_NETDEV_INGRESS, 'eth0') && nd.hooked(NF_NETDEV_INGRESS, 'eth1'));
  assert.ok(!nd.hooked(NF_NETDEV_EGRESS, 'eth0'));
  // accept in one chain goes on to the next: eth1's early chain accepts, the late one drops
  assert.equal(nd.run(NF_NETDEV_INGRESS, 'eth1', MAC, frame(tcp('198.51.100.7')), 0, undefined), NETDEV_DROP);
  const late = rs.tables[0]!.chains[0]!.rules[0]!.stmts[0] as { packets: number };
  const early = rs.tables[1]!.chains[0]!.rules[0]!.stmts[0] as { packets: number };
  assert.deepEqual([early.packets, late.packets], [1, 1]);
  assert.equal(nd.run(NF_NETDEV_INGRESS, 'eth0', MAC, frame(tcp('198.51.100.7')), 0, undefined), NETDEV_DROP);
  assert.deepEqual([early.packets, late.packets], [1, 2]);
});

// Linux 6.18, nft 1.0.6: this file loaded in a netns, one ping's frame into v1 listed `early`
// 1 packet, `third` 1 packet (its drop), `first` and `second` 0: at one priority the chain
// registered last runs first (nf_hook_entries_grow), across tables too.
test('netdev: ingress chains of one device run by priority, the last registered first at a tie', () => {
  const rs = ruleset(`table netdev a {
	chain first { type filter hook ingress device "v1" priority 0; policy accept; counter; }
	chain second { type filter hook ingress device "v1" priority 0; policy accept; counter drop; }
	chain early { type filter hook ingress device "v1" priority -5; policy accept; counter; }
}
table netdev b {
	chain third { type filter hook ingress device "v1" priority 0; policy accept; counter drop; }
}
`);
  const nd = new NetdevTables(rs);
  assert.equal(nd.run(NF_NETDEV_INGRESS, 'v1', MAC, frame(tcp('10.9.0.2')), 0, undefined), NETDEV_DROP);
  const counts = rs.tables.flatMap((t) =>
    t.chains.map(
      (c) => `${c.name} ${c.rules.map((r) => r.stmts.find((x) => x.kind === 'counter')?.packets).join()}`,
    ),
  );
  assert.deepEqual(counts, ['first 0', 'second 0', 'early 1', 'third 1']);
});
