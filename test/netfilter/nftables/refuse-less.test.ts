// What natbox used to refuse to run in the nft corpus (test/rules/nft-corpus, rulesets written by
// OpenWrt's fw4, Debian's examples and nftables' own tests), now evaluated as the kernel does:
// - `meta time` against dates (fw4-time.nft: nft_meta NFT_META_TIME_NS, the wall clock in ns;
//   meta.c date_type_parse reads the date, here in UTC as the corpus was captured);
// - `ct helper set udp dport map { 69 : "tftp-69", … }` (debian-ct-helpers.nft:
//   nft_objref_map_eval, no element: the rule breaks);
// - IPv6 matches under a mask or in a concatenation (fw4-subnet-masks.nft, fw4-ipsets.nft), IPv6
//   header writes (fw4-mangle.nft), IPv6 extension headers, VLAN headers and IPsec lookups in an
//   inet table: nft puts a dependency right before each (`meta nfproto ipv6`, `ether type
//   8021q`), which an IPv4 packet, untagged, fails there: the rule breaks after what came first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildTcpPacket, buildUdpPacket } from '../../../src/wire/packet.ts';
import { Skb } from '../../../src/netfilter/core/skb.ts';
import { NF_ACCEPT } from '../../../src/netfilter/core/engine.ts';
import { ctHelpersOf } from '../../../src/netfilter/conntrack/helper.ts';
import { formatConntrackLine } from '../../../src/netfilter/conntrack/format.ts';
import { checkNft, nftReadsLinkLayer } from '../../../src/netfilter/nftables/index.ts';
import { testScenario } from '../../../src/cli/test.ts';
import { parseNft, printNft } from '../../../src/rules/nft/index.ts';
import { ip } from '../helpers.ts';
import { envOf, fwd, nftEngine, parseNftText } from './dsl.ts';

const C = '192.168.1.10';
const S = '198.51.100.2';
const syn = (dport: number): Uint8Array =>
  buildTcpPacket(
    { src: ip(C), dst: ip(S), id: 1 },
    { srcPort: 40000, dstPort: dport, seq: 1, ack: 0, flags: 0x02, window: 100 },
  );

/** The marks a packet forwarded at `now` (seconds after `epoch`) collects from `rules`. */
function marks(rules: string, now: number, epoch?: number, dport = 80): number {
  const nf = nftEngine(
    parseNftText(
      `table inet t {\n\tchain f {\n\t\ttype filter hook forward priority filter; policy accept;\n${rules}\t}\n}\n`,
    ),
  );
  const skb = new Skb();
  skb.env = envOf(nf, epoch === undefined ? {} : { epoch });
  assert.equal(fwd(nf, skb, syn(dport), 'lan', 'wan', now), NF_ACCEPT);
  return skb.mark;
}

const bit = (n: number, what: string): string => `\t\t${what} meta mark set meta mark | ${2 ** n}\n`;

test('meta time: dates and seconds against the wall clock (epoch + now), in ns; none without an epoch', () => {
  const RULES =
    bit(0, 'meta time >= "2022-05-30 21:51:23"') +
    bit(1, 'meta time < "2022-05-30 21:51:23"') +
    bit(2, 'meta time "2022-05-30 21:51:23"-"2022-06-01 23:51:23"') +
    bit(3, 'meta time != "2022-05-30 21:51:23"-"2022-06-01 23:51:23"') +
    bit(4, 'meta time > "2022-05-30"') +
    bit(5, 'meta time <= 1653947483') + // seconds: 2022-05-30 21:51:23 UTC
    bit(6, 'meta time > "2022-05-30 21:51"') +
    bit(7, 'meta time != "1970-01-01"');
  const at = Date.UTC(2022, 4, 30, 21, 51, 23) / 1000;
  assert.equal(marks(RULES, 0, at), 1 | 4 | 16 | 32 | 64 | 128);
  assert.equal(marks(RULES, -1, at), 2 | 8 | 16 | 32 | 64 | 128);
  assert.equal(marks(RULES, 3 * 86400, at), 1 | 8 | 16 | 64 | 128);
  assert.equal(marks(RULES, 0), 0, 'no epoch: every meta time rule breaks');
});

test('ct helper set from a map of objects: the port picks the object, no element breaks the rule', () => {
  const rs = parseNftText(`table inet t {
	ct helper ftp-21 {
		type "ftp" protocol tcp;
	}

	ct helper tftp-69 {
		type "tftp" protocol udp;
	}

	chain pre {
		type filter hook prerouting priority filter; policy accept;
		ct helper set tcp dport map { 21 : "ftp-21", 2121 : "ftp-21" } meta mark set 1
		ct helper set udp dport map { 69 : "tftp-69" }
	}
}
`);
  assert.deepEqual(checkNft(rs), []);
  const nf = nftEngine(rs);
  const skb = new Skb();
  for (const dport of [21, 2121, 22]) assert.equal(fwd(nf, skb, syn(dport), 'lan', 'wan', 0), NF_ACCEPT);
  assert.equal(skb.mark, 0, 'port 22: no element, the rule broke before its mark');
  const rrq = buildUdpPacket(
    { src: ip(C), dst: ip(S), id: 1 },
    { srcPort: 40001, dstPort: 69 },
    new Uint8Array([0, 1, 0x61, 0, 0x62, 0]),
  );
  assert.equal(fwd(nf, skb, rrq, 'lan', 'wan', 1), NF_ACCEPT);
  const helpers = nf.conntrack
    .entries(2)
    .map((e) => formatConntrackLine(nf.conntrack, e, 2))
    .map((l) => `${/dport=(\d+)/.exec(l)![1]} ${/helper=(\S+)/.exec(l)?.[1] ?? '-'}`);
  assert.deepEqual(helpers.sort(), ['21 ftp', '2121 ftp', '22 -', '69 tftp']);
  assert.equal(ctHelpersOf(nf.conntrack).expect.count, 1, 'the tftp RRQ made its expectation');
});

test('IPv6, VLAN and IPsec expressions in an inet table break the rule for an IPv4 packet, where they stand', () => {
  const RULES =
    bit(0, 'ip6 saddr & ::ffff == ::1') +
    bit(1, 'ip6 saddr & ::ffff != ::1') +
    bit(2, 'meta l4proto tcp ip6 saddr . tcp dport { ::1 . 80 }') +
    bit(3, 'ip6 saddr . tcp dport != { ::1 . 80 }') +
    '\t\tmeta mark set meta mark | 16 ip6 dscp set cs1 meta mark set meta mark | 32\n' +
    bit(6, 'vlan id 5') +
    bit(7, 'vlan id != 5') +
    bit(8, 'ipsec in reqid 1') +
    bit(9, 'exthdr frag exists') +
    bit(10, 'tcp dport 80');
  assert.equal(marks(RULES, 0), 16 | 1024);
});

test('the corpus: every ruleset runs but for what natbox does not model (an OS fingerprint, SCTP chunks)', () => {
  const dir = 'test/rules/nft-corpus';
  const refused: string[] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.nft'))) {
    const toLines = (text: string, file: string) =>
      text.split('\n').map((t, k) => ({ text: t, file, line: k + 1, column: 1 }));
    const r = parseNft(toLines(readFileSync(join(dir, f), 'utf8'), f), {
      readFile: (p: string, from: string) => {
        try {
          const name = join(dirname(from), p);
          return toLines(readFileSync(join(dir, name), 'utf8'), name);
        } catch {
          return undefined;
        }
      },
      ifIndex: () => 1,
    });
    assert.ok(r.ok, f);
    for (const p of checkNft(r.ruleset))
      if (p.severity !== 'note' && !p.nftRefuses) refused.push(`${f}:${p.line}: ${p.message}`);
  }
  assert.deepEqual(refused.sort(), [
    'nft-tests-typeof-sets.nft:62: osf name is read and printed but not simulated',
    'nft-tests-typeof-sets.nft:82: sctp chunk init is read and printed but not simulated',
  ]);
});

test('meta time dates list as nft 1.0.6 lists them back, wrapping in 64-bit nanoseconds out of range', () => {
  // Each written alone in `table ip t { chain c { meta time >= "D" counter } }`, loaded with nft -f
  // and listed by nft 1.0.6 on Linux 6.18 (TZ=UTC).
  const nft: [string, string][] = [
    ['0099-01-01', '2437-03-20 22:18:14'],
    ['99-01-01', '2437-03-20 22:18:14'],
    ['1970-01-01', '1970-01-01 00:00:00'],
    ['2262-04-11 23:47:17', '2262-04-11 23:47:17'],
    ['9999-12-31', '2400-10-17 05:30:41'],
    ['2022-02-31', '2022-03-03 00:00:00'],
    ['2022-05-30 21:51:61', '2022-05-30 21:52:01'],
    ['2022-05-30 21:51', '2022-05-30 21:51:00'],
  ];
  for (const [written, listed] of nft) {
    const rs = parseNftText(`table ip t {\n\tchain c {\n\t\tmeta time >= "${written}" counter\n\t}\n}\n`);
    assert.match(printNft(rs), new RegExp(`meta time >= "${listed}" counter packets 0 bytes 0\\n`), written);
  }
});

/** The flows of a scenario file as `natbox test` reports them (the file loads without errors). */
function flowsOf(file: string): ReturnType<typeof testScenario>['flows'] {
  const r = testScenario(readFileSync(file, 'utf8'), file);
  assert.deepEqual(r.errors, []);
  return r.flows;
}

test("ether saddr in an inet table: the incoming frame's MAC in forward and postrouting, none for the router's own packets", () => {
  // test/conformance/nft/ether-mac-filter.yaml (natbox verify: 196 of 196 packets as Linux 6.18).
  assert.deepEqual(
    flowsOf('test/conformance/nft/ether-mac-filter.yaml').map((f) => `${f.name}: ${f.verdict} ${f.status}`),
    [
      'h1 80: connected pass',
      'h2 80: timeout pass',
      'h1 81: connected pass',
      'h2 81: timeout pass',
      'h1 82: timeout pass',
      'h2 82: connected pass',
      'h1 83: timeout pass',
      'h2 83: connected pass',
      'router 84: connected pass',
    ],
  );
  // The host keeps the MAC header only when a rule reads it (ether fields, meta pkttype).
  assert.equal(
    nftReadsLinkLayer(
      parseNftText('table inet t {\n\tchain c {\n\t\tether saddr 02:00:00:00:00:01 accept\n\t}\n}\n'),
    ),
    true,
  );
  assert.equal(
    nftReadsLinkLayer(parseNftText('table ip t {\n\tchain c {\n\t\tmeta pkttype broadcast accept\n\t}\n}\n')),
    true,
  );
  assert.equal(
    nftReadsLinkLayer(
      parseNftText('table ip6 t {\n\tchain c {\n\t\tether saddr 02:00:00:00:00:01 accept\n\t}\n}\n'),
    ),
    false,
  );
  assert.equal(
    nftReadsLinkLayer(parseNftText('table ip t {\n\tchain c {\n\t\tip saddr 10.0.0.1 accept\n\t}\n}\n')),
    false,
  );
});

test('the scenario of what used to be refused matches its expectations (natbox verify: 340 of 340 packets as Linux 6.18)', () => {
  const flows = flowsOf('test/conformance/nft/refuse-less.yaml');
  assert.deepEqual(
    flows.filter((f) => f.status !== 'pass').map((f) => f.name),
    [],
  );
  assert.deepEqual(
    flows.map((f) => f.verdict),
    ['connected', 'timeout', 'timeout', ...Array(7).fill('connected'), 'reply-from-unexpected-source'],
  );
});
