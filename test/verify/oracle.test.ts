// src/oracle (the comparison library natbox verify and the conformance tests share) and the frame
// decoder it stands on (src/wire/decode.ts). The decoder and normaliser are held to the kernel
// reference (../shared/reference/kernel/, see its README): its raw LINUX_SLL2 captures, decoded by
// natbox, must give exactly the packets its result.json lists (made by the reference's own
// extractor from the same captures), interface by interface. The rest are the library's rules
// with values written out by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { caseNames, loadCase, referenceAvailable, referencePath } from '../conformance/reference.ts';
import { fromReference } from '../conformance/compare.ts';
import { parseIpv4 } from '../../src/wire/addr.ts';
import { emitEthernet, ETHERTYPE_IPV4 } from '../../src/wire/ethernet.ts';
import { buildTcpPacket } from '../../src/wire/packet.ts';
import { decodeEthernet, decodeIpv4 } from '../../src/wire/decode.ts';
import { kernelSide, rawPacket, type RawPacket } from '../../src/oracle/packets.ts';
import { BoundLabels, SeqLabeller, SideLabels, literalNumbers, seqLabel } from '../../src/oracle/labels.ts';
import {
  LIVE_FIELDS,
  normalise,
  packetText,
  REFERENCE_FIELDS,
  type NormPacket,
} from '../../src/oracle/normalise.ts';
import { firstFieldDifference, firstPacketDifference } from '../../src/oracle/compare.ts';
import { ctEntry, entryFields, entryText, parseConntrackLine } from '../../src/oracle/conntrack.ts';

const noRef = referenceAvailable() ? undefined : `kernel reference not found at ${referencePath()}`;
const REF = new URL('../../../shared/reference/kernel/', import.meta.url);

/** Every reference case (the eight format cases too: fragments, frag-needed, policy routing). */
const natCases = (): string[] => caseNames();

test(
  'the kernel reference captures decode to the packets result.json lists (all 28 cases)',
  { skip: noRef },
  () => {
    const names = natCases();
    assert.equal(names.length, 28);
    let compared = 0;
    let listed = 0;
    for (const name of names) {
      const kc = loadCase(name);
      const r = kc.result;
      const owners = new Map(Object.entries(r.topology.interfaces).map(([k, i]) => [i.mac.toLowerCase(), k]));
      // The reference writes random ports and ids as labels and gives their values: undo that.
      const raw = new Map<string, string>([
        ...Object.entries(r.volatile.port_labels).map(([k, v]): [string, string] => [k, String(v)]),
        ...Object.entries(r.volatile.icmp_id_labels).map(([k, v]): [string, string] => [k, String(v)]),
      ]);
      const unlabel = (s: string): string => s.replace(/\$[a-z]+\d+/g, (l) => raw.get(l) ?? l);
      // Sequence numbers are labelled in the whole run's time order: left to the conformance tests.
      const fields = REFERENCE_FIELDS.filter((f) => f !== 'seq' && f !== 'ack' && f !== 'inner');
      const text = (p: NormPacket): string => unlabel(fields.map((f) => `${f}=${p[f] ?? '-'}`).join(' '));
      listed += Object.values(r.packets)
        .flat()
        .filter((p) => p.proto !== 'arp').length;
      for (const ns of r.topology.namespaces) {
        const pcap = new Uint8Array(readFileSync(new URL(`${name}/${ns}.pcap`, REF)));
        const k = kernelSide([{ host: ns, pcap, ifnames: new Map() }], 0);
        assert.ok(k.ok, `${name}/${ns}.pcap: ${k.ok ? '' : k.error}`);
        const plain = new SeqLabeller();
        const byIndex = new Map<string, string[]>();
        for (const p of k.side.packets) {
          const n = normalise(p, plain, { fields, owner: (m) => owners.get(m) ?? m });
          byIndex.set(p.iface, [...(byIndex.get(p.iface) ?? []), text(n)]);
        }
        const expected = Object.entries(r.packets)
          .filter(([iface]) => iface.startsWith(`${ns}:`))
          .map(([iface, ps]): [string, string[]] => [
            iface,
            ps.filter((p) => p.proto !== 'arp').map((p) => text(fromReference(p))),
          ])
          .filter(([, ps]) => ps.length > 0);
        // Each interface of the reference is exactly one interface index of the capture, in order.
        const left = new Map(byIndex);
        for (const [iface, want] of expected) {
          const hit = [...left].find(([, got]) => got.join('\n') === want.join('\n'));
          assert.ok(
            hit,
            `${name} ${iface}: no interface of ${ns}.pcap decodes to its ${want.length} packets\n  first: ${want[0]}\n  capture has: ${[...left].map(([i, g]) => `${i} (${g.length}): ${g[0]}`).join('\n    ')}`,
          );
          left.delete(hit[0]);
          compared += want.length;
        }
        assert.deepEqual(
          [...left.keys()],
          [],
          `${name}/${ns}.pcap has IPv4 packets on interfaces result.json lacks`,
        );
      }
    }
    assert.equal(compared, listed, 'every IPv4 packet of result.json was compared');
    assert.ok(compared > 900, `only ${compared} packets compared`);
  },
);

test("ICMP errors: the quote decodes to the reference's inner packet", { skip: noRef }, () => {
  // control-no-nat-redirect: the box's redirect quotes the client's TCP SYN.
  const kc = loadCase('control-no-nat-redirect');
  const want = Object.values(kc.result.packets)
    .flat()
    .filter((p) => p.inner)
    .map((p) => fromReference(p));
  assert.ok(want.length > 0, 'the case has ICMP errors');
  const got: NormPacket[] = [];
  for (const ns of kc.result.topology.namespaces) {
    const pcap = new Uint8Array(readFileSync(new URL(`control-no-nat-redirect/${ns}.pcap`, REF)));
    const k = kernelSide([{ host: ns, pcap, ifnames: new Map() }], 0);
    assert.ok(k.ok);
    for (const p of k.side.packets)
      if (p.inner)
        got.push(
          normalise({ ...p, inner: { ...p.inner, seq: undefined } }, new SeqLabeller(), {
            fields: ['gateway', 'inner', 'icmp'],
          }),
        );
  }
  const strip = (s: string | undefined): string | undefined => s?.replace(/ seq \S+$/, '');
  assert.deepEqual(
    got.map((p) => [p.icmp, p.gateway, p.inner]).sort(),
    want.map((p) => [p.icmp, p.gateway, strip(p.inner)]).sort(),
  );
});

const A = (s: string): number => {
  const r = parseIpv4(s);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

function synFrame(): Uint8Array {
  const ip = buildTcpPacket(
    { src: A('192.168.1.10'), dst: A('203.0.113.22'), ttl: 64 },
    {
      srcPort: 40000,
      dstPort: 80,
      seq: 0xfffffffe,
      ack: 0,
      flags: 0x02,
      window: 64240,
      options: [{ kind: 'mss', mss: 1460 }, { kind: 'sackOK' }],
    },
  );
  return emitEthernet(
    Uint8Array.of(2, 0x6f, 0x72, 0x63, 1, 1),
    Uint8Array.of(2, 0x6f, 0x72, 0x63, 2, 1),
    ETHERTYPE_IPV4,
    ip,
  );
}

test('decodeEthernet: a SYN with options; a truncated segment leaves tcp out', () => {
  const f = synFrame();
  const d = decodeEthernet(f);
  assert.equal(d.ether.src, '02:6f:72:63:02:01');
  assert.equal(d.ipv4?.src, '192.168.1.10');
  assert.equal(d.ipv4?.tcp?.sport, 40000);
  assert.equal(d.ipv4?.tcp?.seq, 0xfffffffe);
  assert.equal(d.ipv4?.tcp?.len, 0);
  // Four bytes of MSS, two of SACK-permitted, then end-of-options padding to a 32-bit boundary.
  assert.deepEqual(d.ipv4?.tcp?.options, [{ kind: 'mss', mss: 1460 }, { kind: 'sackOK' }, { kind: 'eol' }]);
  const short = decodeIpv4(f.subarray(0, 14 + 20 + 19), 14);
  assert.equal(short?.protocol, 6);
  assert.equal(short?.tcp, undefined);
  assert.equal(decodeIpv4(f.subarray(0, 14 + 19), 14), undefined);
});

test('normalise: verify keeps its ten fields; the reference fields add options and the owner', () => {
  const d = decodeEthernet(synFrame());
  const p = rawPacket(d.ipv4!, 0.25, 'lanc:eth0', 'out', d.ether.src)!;
  const l = new SeqLabeller();
  l.syn(p.seq!);
  const live = normalise(p, l, { fields: LIVE_FIELDS });
  assert.equal(
    packetText(live),
    'out tcp 192.168.1.10:40000 > 203.0.113.22:80 [S] seq I0 len 0 ttl 64 (t=0.2500)',
  );
  const ref = normalise(p, l, { fields: REFERENCE_FIELDS, at: 'natbox t=0.2500', owner: () => 'lanc:eth0' });
  assert.equal(
    packetText(ref),
    'out tcp 192.168.1.10:40000 > 203.0.113.22:80 [S] seq I0 len 0 opts mss1460,sackOK ttl 64 from lanc:eth0 (natbox t=0.2500)',
  );
});

test('labels: ISNs across wrap-around, per-side ports, bound labels refuse literal values', () => {
  assert.equal(seqLabel([0xfffffffe], 3), 'I0+5');
  assert.equal(seqLabel([5000], 4999), '?4999');
  // A reset's raw 0 stays 0 even when an ISN lies just below 2^32 (it made the live hashlimit and
  // recent scenarios flaky: the kernel's RST was "I11+7767418", natbox's "?0").
  assert.equal(seqLabel([0xff897686], 0), '?0');
  assert.equal(seqLabel([0xff897686], 1), 'I0+7768443');
  const s = new SideLabels(new Set([80]));
  s.learn([
    { t: 2, sport: 51000, dport: 80 },
    { t: 1, sport: 50000, dport: 80 },
  ] as RawPacket[]);
  assert.equal(s.port(50000), '$p1', 'labelled in time order, not list order');
  assert.equal(s.port(51000), '$p2');
  assert.equal(s.endpoint('192.168.1.1:80'), '192.168.1.1:80');
  const b = new BoundLabels(new Set(['40000']));
  assert.equal(b.match('10.0.0.1:$p1', '10.0.0.1:40000'), false);
  assert.equal(b.match('10.0.0.1:$p1', '10.0.0.1:1234'), true);
  assert.equal(b.match('type 8 code 0 id $p1', 'type 8 code 0 id 1234'), true);
  assert.equal(b.match('$p1', '1235'), false);
});

test('literal numbers: the ends of a port range are for NAT to choose, a single port is named', () => {
  const flow = { name: 'f', proto: 'sctp', sport: 40000, dport: 5000, icmpId: 0, at: 0 } as const;
  const lit = literalNumbers(
    [flow],
    [22],
    [
      'iptables -t nat -A POSTROUTING -o wan -p sctp -j MASQUERADE --to-ports 61000-61010',
      'iptables -t nat -A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 192.168.1.5:80',
      'iptables -t nat -A POSTROUTING -j SNAT --to-source 198.51.100.1:1024:1030',
      'iptables -A INPUT -p tcp --sport 30:30 -j ACCEPT',
    ],
  );
  for (const v of [40000, 5000, 22, 8080, 80, 30]) assert.ok(lit.has(v), `${v} is named`);
  for (const v of [61000, 61010, 1024, 1030, 198, 51, 100]) assert.ok(!lit.has(v), `${v} is not`);
  // The kernel took the range's end: labelled like natbox's choice inside it.
  const kernel = new SideLabels(lit);
  assert.equal(kernel.port(61010), '$p1');
});

test('SideLabels: a reset answering a SYN no capture saw gives its ISN (a REJECT in OUTPUT)', () => {
  const s = new SideLabels(new Set([81]));
  s.learn([
    { t: 0, syn: true, seq: 1000, flags: 'S' },
    { t: 1, seq: 0, ack: 3475959036, flags: 'R.' },
    { t: 2, seq: 77, ack: 0, flags: 'R.' }, // not an answer to a SYN: seq 0 only
  ] as RawPacket[]);
  assert.equal(s.seq(3475959036), 'I1+1');
  assert.equal(s.seq(3475959035), 'I1');
  assert.equal(s.seq(1001), 'I0+1');
  assert.equal(s.seq(0), '?0');
});

test('SideLabels: a bare ACK of a SYN-ACK no capture saw gives its ISN (SYNPROXY to a local server)', () => {
  // gen-1701-77: SYNPROXY in INPUT; its ACK to the server on lo acks the server's ISN + 1, whose
  // SYN-ACK the proxy took at POSTROUTING. Both sides' values differ; their labels must not.
  for (const isn of [2657092299, 710504910]) {
    const s = new SideLabels(new Set([8080]));
    s.learn([
      { t: 0, syn: true, seq: 1000, flags: 'S' },
      { t: 1, syn: true, seq: 5000, ack: 1001, flags: 'S.' },
      { t: 2, seq: 1001, ack: (isn + 1) >>> 0, flags: '.' },
      { t: 3, seq: 1001, ack: 5001, flags: '.' }, // known: no new ISN
      { t: 4, seq: 1001, ack: 123456789, flags: 'P.' }, // not a bare ACK: stays unknown
    ] as RawPacket[]);
    assert.equal(s.seq((isn + 1) >>> 0), 'I2+1');
    assert.equal(s.seq(5001), 'I1+1');
    assert.equal(s.seq(123456789), '?123456789');
  }
});

test('first differences: absent on both sides agrees, absent on one does not; a missing packet', () => {
  assert.equal(firstFieldDifference([['a', undefined]], [['a', undefined]]), undefined);
  assert.deepEqual(firstFieldDifference([['a', '1']], [['a', undefined]]), {
    field: 'a',
    natbox: '1',
    kernel: undefined,
  });
  assert.deepEqual(firstFieldDifference([], [['mark', '0']]), {
    field: 'mark',
    natbox: undefined,
    kernel: '0',
  });
  const p: NormPacket = {
    t: 0,
    at: 't=0',
    dir: 'in',
    proto: 'udp',
    src: '10.0.0.1:1',
    dst: '10.0.0.2:2',
    ttl: '64',
  };
  const d = firstPacketDifference([p, { ...p, ttl: '63' }], [p, p, p]);
  assert.equal(d?.index, 1);
  assert.equal(d?.field, 'ttl');
  assert.equal(d?.natboxValue, '63');
  assert.equal(firstPacketDifference([p], [p, p])?.field, 'packet');
});

test(
  'conntrack: a conntrack -L line parses to the entry the kernel reference parsed from its own',
  { skip: noRef },
  () => {
    // The seed's `conntrack -L` line after DNAT + SNAT (test/hairpin/seed.test.ts), and the same
    // entry as the reference's run hairpin-tcp-dnat-snat-82 parsed it (result.json, mark dropped).
    const e = parseConntrackLine(
      'tcp      6 116 TIME_WAIT src=192.168.1.10 dst=82.120.11.22 sport=40000 dport=80 src=192.168.1.200 dst=192.168.1.1 sport=80 dport=40000 [ASSURED] mark=0 use=1',
    )!;
    const ref = ctEntry(loadCase('hairpin-tcp-dnat-snat-82').result.conntrack['box']![0]!, { mark: false });
    assert.deepEqual(e, { ...ref, timeout: 116 }); // the column as printed; the reference has none
    assert.deepEqual(entryFields(e), entryFields(ref));
    assert.equal(
      entryText(e),
      'tcp TIME_WAIT src=192.168.1.10 dst=82.120.11.22 sport=40000 dport=80 | src=192.168.1.200 dst=192.168.1.1 sport=80 dport=40000 [ASSURED]',
    );
    const withMark = ctEntry(loadCase('hairpin-tcp-dnat-snat-82').result.conntrack['box']![0]!);
    assert.deepEqual(firstFieldDifference(entryFields(e), entryFields(withMark)), {
      field: 'mark',
      natbox: undefined,
      kernel: '0',
    });
  },
);

test('src/oracle imports nothing but src/wire (pure: no node:, no engine)', () => {
  const dir = new URL('../../src/oracle/', import.meta.url);
  for (const f of readdirSync(dir)) {
    const text = readFileSync(new URL(f, dir), 'utf8');
    for (const m of text.matchAll(/from '([^']+)'/g))
      assert.match(m[1]!, /^\.\/|^\.\.\/wire\//, `src/oracle/${f} imports ${m[1]}`);
  }
});
