// Conntrack zones (conntrack/zone.ts): zone-aware tuples in the table, the CT target's template,
// the tools' text. Expected lines are the kernel's: captured on Linux 6.18.44 with conntrack-tools
// 1.4.7 in a throwaway namespace (raw OUTPUT `-j CT --zone 5`, `--zone-orig 6`, `--zone-reply 7`,
// `MARK --set-mark 0x10009` then `CT --zone mark`; one UDP datagram 127.0.0.1:40000 -> :1111 etc.).
// Before zones, CT --zone was refused and every entry was in zone 0 (identical tuples clashed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  ConntrackTable,
  IPS_DST_NAT_DONE,
  IPS_SRC_NAT_DONE,
  NO_ENTRY,
} from '../../../src/netfilter/conntrack/table.ts';
import { TupleBuf, invertTuple } from '../../../src/netfilter/conntrack/tuple.ts';
import {
  ctTemplate,
  NF_CT_ZONE_DIR_ORIG,
  NF_CT_ZONE_DIR_REPL,
  zoneKeyOf,
} from '../../../src/netfilter/conntrack/zone.ts';
import { formatConntrackLine, formatProcLine } from '../../../src/netfilter/conntrack/format.ts';
import { parseConntrackLine } from '../../../src/oracle/conntrack.ts';
import { parseIpv4 } from '../../../src/wire/addr.ts';
import { IPPROTO_UDP } from '../../../src/wire/ipv4.ts';
import { prepareVerify } from '../../../src/cli/verify/verify.ts';

const ip = (s: string): number => {
  const r = parseIpv4(s);
  assert.ok(r.ok);
  return r.value;
};
const LO = ip('127.0.0.1');

/** An unconfirmed UDP entry 127.0.0.1:40000 -> 127.0.0.1:dport in zone `key`, confirmed. */
function udpEntry(t: ConntrackTable, dport: number, key: number, now = 0): number {
  const o = new TupleBuf().set(LO, LO, IPPROTO_UDP, 40000, dport);
  const r = new TupleBuf();
  invertTuple(r, o);
  const e = t.alloc(o, r, now);
  t.setZone(e, key);
  t.refresh(e, t.tick(now), TableTicks30);
  return e;
}
const TableTicks30 = ConntrackTable.ticks(30);

test('identical tuples in two zones coexist; zone 0 finds neither; one zone refuses a second', () => {
  const t = new ConntrackTable(64);
  const z1 = zoneKeyOf(ctTemplate(1, 0, false), 0);
  const z2 = zoneKeyOf(ctTemplate(2, 0, false), 0);
  const a = udpEntry(t, 1111, z1);
  const b = udpEntry(t, 1111, z2);
  assert.equal(t.confirm(a, 0), true);
  assert.equal(t.confirm(b, 0), true, 'the same tuple in zone 2 is another connection');
  const q = new TupleBuf().set(LO, LO, IPPROTO_UDP, 40000, 1111);
  assert.equal(t.lookupTick(LO, LO, IPPROTO_UDP, 40000, 1111, 1), NO_ENTRY);
  assert.equal(t.lookupZoneTick(q, z1, 1), a << 1);
  assert.equal(t.lookupZoneTick(q, z2, 1), b << 1);
  const inv = new TupleBuf();
  invertTuple(inv, q);
  assert.equal(t.lookupZoneTick(inv, z2, 1), (b << 1) | 1, 'the reply tuple in zone 2');
  const c = udpEntry(t, 1111, z1);
  // Zone 1 has that flow already: UDP's clash is resolved by joining it (nf_ct_resolve_clash).
  assert.equal(t.confirm(c, 0), true);
  assert.equal(t.confirmedAs, a, 'zone 1 has that tuple already: the packet joins a');
  assert.equal(t.stats.clash_resolve, 1);
  const d = udpEntry(t, 1111, 0);
  assert.equal(t.confirm(d, 0), true, 'zone 0 has not');
  assert.equal(t.lookupTick(LO, LO, IPPROTO_UDP, 40000, 1111, 1), d << 1);
});

test('a zone of one direction: the other direction is in zone 0 (nf_ct_zone_id)', () => {
  const t = new ConntrackTable(64);
  const orig6 = zoneKeyOf(ctTemplate(6, NF_CT_ZONE_DIR_ORIG, false), 0);
  const e = udpEntry(t, 2222, orig6);
  t.orStatus(e, IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE); // NAT saw it: a clash is not merged into it
  assert.ok(t.confirm(e, 0));
  // The reply from zone 0 (no template) finds the entry; the original tuple needs zone-orig 6.
  assert.equal(t.lookupTick(LO, LO, IPPROTO_UDP, 2222, 40000, 1), (e << 1) | 1);
  assert.equal(t.lookupTick(LO, LO, IPPROTO_UDP, 40000, 2222, 1), NO_ENTRY);
  const q = new TupleBuf().set(LO, LO, IPPROTO_UDP, 40000, 2222);
  assert.equal(t.lookupZoneTick(q, orig6, 1), e << 1);
  // A zone-0 entry whose reply tuple is e's original tuple goes in beside it: e's original tuple
  // is hashed in zone 6.
  const f = udpEntry(t, 2222, 0);
  const r = t.readTuple(f, 1, new TupleBuf());
  assert.equal(r.sport, 2222);
  assert.equal(t.confirm(f, 0), false, "f's reply tuple is e's reply tuple, both zone 0: a clash");
});

test('CT --zone mark: the id is the low 16 bits of the packet mark', () => {
  const w = ctTemplate(0, 0, true);
  assert.equal(zoneKeyOf(w, 0x10009), 9 | (9 << 16));
  assert.equal(zoneKeyOf(ctTemplate(7, NF_CT_ZONE_DIR_REPL, false), 0), 7 << 16);
  assert.equal(zoneKeyOf(0, 5), 0, 'no template: zone 0');
});

test('conntrack -L and /proc print the zone where Linux 6.18 does', () => {
  const t = new ConntrackTable(64);
  const line = (dport: number, key: number): [string, string] => {
    const e = udpEntry(t, dport, key);
    assert.ok(t.confirm(e, 0));
    return [formatConntrackLine(t, e, 0), formatProcLine(t, e, 0)];
  };
  const both = line(1111, zoneKeyOf(ctTemplate(5, 0, false), 0));
  assert.equal(
    both[0],
    'udp      17 30 src=127.0.0.1 dst=127.0.0.1 sport=40000 dport=1111 [UNREPLIED] src=127.0.0.1 dst=127.0.0.1 sport=1111 dport=40000 mark=0 zone=5 use=1',
  );
  assert.equal(
    both[1],
    'ipv4     2 udp      17 30 src=127.0.0.1 dst=127.0.0.1 sport=40000 dport=1111 [UNREPLIED] src=127.0.0.1 dst=127.0.0.1 sport=1111 dport=40000 mark=0 zone=5 use=2',
  );
  const orig = line(2222, zoneKeyOf(ctTemplate(6, NF_CT_ZONE_DIR_ORIG, false), 0));
  assert.equal(
    orig[0],
    'udp      17 30 src=127.0.0.1 dst=127.0.0.1 sport=40000 dport=2222 zone-orig=6 [UNREPLIED] src=127.0.0.1 dst=127.0.0.1 sport=2222 dport=40000 mark=0 use=1',
  );
  assert.equal(
    orig[1],
    'ipv4     2 udp      17 30 src=127.0.0.1 dst=127.0.0.1 sport=40000 dport=2222 zone-orig=6 [UNREPLIED] src=127.0.0.1 dst=127.0.0.1 sport=2222 dport=40000 mark=0 use=2',
  );
  const reply = line(3333, zoneKeyOf(ctTemplate(7, NF_CT_ZONE_DIR_REPL, false), 0));
  assert.equal(
    reply[0],
    'udp      17 30 src=127.0.0.1 dst=127.0.0.1 sport=40000 dport=3333 [UNREPLIED] src=127.0.0.1 dst=127.0.0.1 sport=3333 dport=40000 zone-reply=7 mark=0 use=1',
  );
  const none = line(5555, 0);
  assert.equal(
    none[1],
    'ipv4     2 udp      17 30 src=127.0.0.1 dst=127.0.0.1 sport=40000 dport=5555 [UNREPLIED] src=127.0.0.1 dst=127.0.0.1 sport=5555 dport=40000 mark=0 zone=0 use=2',
  );
});

test("verify's parser reads the kernel's zone fields", () => {
  const k = parseConntrackLine(
    'tcp      6 431999 ESTABLISHED src=127.0.0.1 dst=127.0.0.1 sport=49548 dport=7001 zone-orig=6 packets=4 bytes=218 src=127.0.0.1 dst=127.0.0.1 sport=7001 dport=49548 packets=3 bytes=166 [ASSURED] mark=0 use=1',
  );
  assert.equal(k?.zoneOrig, 6);
  assert.equal(k?.orig.dport, 7001);
  assert.equal(k?.reply.sport, 7001);
  const z = parseConntrackLine(
    'tcp      6 431999 ESTABLISHED src=127.0.0.1 dst=127.0.0.1 sport=49072 dport=7003 packets=4 bytes=218 src=127.0.0.1 dst=127.0.0.1 sport=7003 dport=49072 packets=3 bytes=166 [ASSURED] mark=0 zone=8 use=1',
  );
  assert.equal(z?.zone, 8);
  assert.equal(z?.zoneOrig, undefined);
});

test('nft_nat_zones.sh on natbox: one tuple in zones 1 and 2, the second source port reallocated', () => {
  const file = new URL('../../conformance/extra/ct-zones-nat.yaml', import.meta.url);
  const p = prepareVerify(readFileSync(file, 'utf8'), 'ct-zones-nat.yaml');
  assert.ok(p.ok, p.ok ? '' : p.errors.join('\n'));
  const gw = p.prepared.natbox.conntrack.get('gw')!;
  const tcp = gw.filter((e) => e.proto === 'tcp');
  assert.deepEqual(
    tcp.map((e) => [e.orig.src, e.orig.sport, e.zoneOrig]),
    [
      ['10.1.0.3', 10000, 1],
      ['10.1.0.3', 10000, 2],
    ],
  );
  assert.equal(tcp[0]!.reply.dport, 10000, 'the first keeps its port');
  assert.notEqual(tcp[1]!.reply.dport, 10000, 'the second is moved off it (zone 0 reply tuples)');
  assert.deepEqual(
    p.prepared.natbox.flows.map((f) => f.verdict),
    ['connected', 'connected', 'reply', 'reply'],
  );
});

test("nft's ct original zone set: the same isolation as CT --zone-orig (nft_ct_set_zone_eval)", () => {
  // ct-zones-nat.yaml's gateway with its rules in nft, as nft_nat_zones.sh writes them (a rule per
  // interface instead of its iifname map).
  const file = new URL('../../conformance/extra/ct-zones-nat.yaml', import.meta.url);
  const yaml = readFileSync(file, 'utf8').replace(
    / {4}rules: \|\n(?: {6}.*\n)+/,
    `    nft: |
      table ip gw {
        chain raw {
          type filter hook prerouting priority raw; policy accept;
          iifname "veth1" ct original zone set 1
          iifname "veth2" ct original zone set 2
        }
        chain mangle {
          type filter hook prerouting priority mangle; policy accept;
          iifname "veth1" ct mark set 1
          iifname "veth2" ct mark set 2
          meta mark set ct mark
        }
        chain post {
          type nat hook postrouting priority srcnat; policy accept;
          oifname "veth0" masquerade
        }
      }
`,
  );
  assert.match(yaml, /ct original zone set 2/);
  const p = prepareVerify(yaml, 'ct-zones-nat-nft.yaml');
  assert.ok(p.ok, p.ok ? '' : p.errors.join('\n'));
  const tcp = p.prepared.natbox.conntrack.get('gw')!.filter((e) => e.proto === 'tcp');
  assert.deepEqual(
    tcp.map((e) => e.zoneOrig),
    [1, 2],
  );
  assert.notEqual(tcp[1]!.reply.dport, 10000);
  assert.deepEqual(
    p.prepared.natbox.flows.map((f) => f.verdict),
    ['connected', 'connected', 'reply', 'reply'],
  );
});
