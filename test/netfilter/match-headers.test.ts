// The protocol-header matches evaluated on exact packets, as xt_sctp.c, xt_dccp.c, xt_esp.c,
// ipt_ah.c, xt_tcpmss.c and xt_ecn.c do (the expected verdicts follow those files: a non-first
// fragment never matches, a truncated header sets hotdrop), and property tests for the header
// decoders of src/wire/ (sctp.ts, dccp.ts, ipsec.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadRulesText } from '../../src/rules/load.ts';
import {
  checkMatch,
  describeMismatch,
  ruleMatches,
  ruleMismatch,
} from '../../src/netfilter/xtables/match.ts';
import { RPF_USES_DEV, RTN_LOCAL, RTN_UNICAST, Skb } from '../../src/netfilter/core/skb.ts';
import type { Rule } from '../../src/rules/iptables/model.ts';
import { sctpChunkNext, SCTP_COMMON_LEN } from '../../src/wire/sctp.ts';
import { dccpHdrLen, dccpType } from '../../src/wire/dccp.ts';
import { ahSpi, espSpi } from '../../src/wire/ipsec.ts';
import { cbpfCheck, cbpfRun } from '../../src/wire/cbpf.ts';
import { XtTable } from '../../src/netfilter/xtables/table.ts';
import { T_ACCEPT, T_DROP, type NfTableEnv } from '../../src/netfilter/core/table.ts';
import { NF_INET_LOCAL_IN } from '../../src/netfilter/core/hook-numbers.ts';

function rule(text: string): Rule {
  const r = loadRulesText(`iptables -A INPUT ${text}`, 't');
  assert.ok(r.ok, r.ok ? '' : r.diagnostics.map((d) => d.message).join('\n'));
  return r.ruleset.tables.get('filter')!.chains.get('INPUT')!.rules[0]!;
}

/** An IPv4 packet 192.0.2.1 -> 198.51.100.2 carrying `l4` (checksum left 0: not read here). */
function packet(proto: number, l4: readonly number[], o: { fragOff?: number; tos?: number } = {}): Skb {
  const b = new Uint8Array(20 + l4.length);
  b[0] = 0x45;
  b[1] = o.tos ?? 0;
  b[2] = b.length >> 8;
  b[3] = b.length & 0xff;
  b[6] = ((o.fragOff ?? 0) >> 8) & 0x1f;
  b[7] = (o.fragOff ?? 0) & 0xff;
  b[8] = 64;
  b[9] = proto;
  b.set([192, 0, 2, 1], 12);
  b.set([198, 51, 100, 2], 16);
  b.set(l4, 20);
  return new Skb().load(b, 0, 'eth0', '');
}

const sctpHdr = (sport: number, dport: number): number[] => [
  sport >> 8,
  sport & 255,
  dport >> 8,
  dport & 255,
  0,
  0,
  0,
  1,
  0,
  0,
  0,
  0,
];
const chunk = (type: number, flags: number, len: number): number[] => {
  const c = [type, flags, len >> 8, len & 255];
  while (c.length < ((len + 3) & ~3)) c.push(0);
  return c;
};

test('sctp: ports and chunk types all / any / only with flags (xt_sctp.c match_packet)', () => {
  // DATA (flags 0x03: B and E) and SACK.
  const p = (): Skb => packet(132, [...sctpHdr(5000, 80), ...chunk(0, 0x03, 17), ...chunk(3, 0, 16)]);
  assert.equal(ruleMatches(rule('-p sctp --dport 80'), p()), true);
  assert.equal(ruleMatches(rule('-p sctp --sport 1:4999'), p()), false);
  assert.equal(ruleMatches(rule('-p sctp ! --sport 1:4999'), p()), true);
  assert.equal(ruleMatches(rule('-p sctp --chunk-types any INIT,SACK'), p()), true);
  assert.equal(ruleMatches(rule('-p sctp --chunk-types any INIT'), p()), false);
  assert.equal(ruleMatches(rule('-p sctp --chunk-types all DATA,SACK'), p()), true);
  assert.equal(ruleMatches(rule('-p sctp --chunk-types all DATA,SACK,INIT'), p()), false);
  assert.equal(ruleMatches(rule('-p sctp --chunk-types only DATA'), p()), false);
  assert.equal(ruleMatches(rule('-p sctp --chunk-types only DATA,SACK'), p()), true);
  assert.equal(ruleMatches(rule('-p sctp ! --chunk-types only DATA'), p()), true);
  // Flags: DATA:BE needs B and E set; DATA:Be needs B set, E clear.
  assert.equal(ruleMatches(rule('-p sctp --chunk-types any DATA:BE'), p()), true);
  assert.equal(ruleMatches(rule('-p sctp --chunk-types any DATA:Be'), p()), false);
  assert.equal(ruleMatches(rule('-p sctp --chunk-types all DATA:Be,SACK'), p()), false);
  assert.equal(ruleMatches(rule('-p sctp --chunk-types any ALL'), p()), true);
  assert.equal(ruleMatches(rule('-p sctp --chunk-types any NONE'), p()), false);
});

test('sctp: a zero-length chunk or a cut header drops (hotdrop); a later fragment does not match', () => {
  const bad = packet(132, [...sctpHdr(1, 2), 0, 0, 0, 0]);
  assert.equal(ruleMatches(rule('-p sctp --chunk-types any ALL'), bad), false);
  assert.equal(bad.hotdrop, true);
  const cut = packet(132, [0, 1, 0, 2, 0]);
  assert.equal(ruleMatches(rule('-p sctp --dport 2'), cut), false);
  assert.equal(cut.hotdrop, true);
  const frag = packet(132, [...sctpHdr(1, 2), ...chunk(1, 0, 4)], { fragOff: 3 });
  assert.equal(ruleMatches(rule('-p sctp ! --dport 2'), frag), false);
  assert.equal(frag.hotdrop, false);
});

test('dccp: ports, types and options (xt_dccp.c dccp_find_option)', () => {
  // REQUEST (type 0, X=1): generic 16 + service 4 = 20 bytes, then 4 bytes of options
  // (padding 0, option 32 with length 3), doff = 6 words.
  const req = [0x13, 0x88, 0, 80, 6, 0, 0, 0, (0 << 1) | 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 42, 0, 32, 3, 7];
  assert.equal(ruleMatches(rule('-p dccp --dport 80 --dccp-types REQUEST'), packet(33, req)), true);
  assert.equal(ruleMatches(rule('-p dccp --dccp-types DATA,ACK'), packet(33, req)), false);
  assert.equal(ruleMatches(rule('-p dccp ! --dccp-types DATA,ACK'), packet(33, req)), true);
  assert.equal(ruleMatches(rule('-p dccp --dccp-option 32'), packet(33, req)), true);
  assert.equal(ruleMatches(rule('-p dccp --dccp-option 33'), packet(33, req)), false);
  assert.equal(ruleMatches(rule('-p dccp ! --dccp-option 33'), packet(33, req)), true);
  // Type 12 is one of the INVALID group (11-15).
  const inval = [0, 1, 0, 2, 3, 0, 0, 0, 12 << 1, 0, 0, 0];
  assert.equal(ruleMatches(rule('-p dccp --dccp-types INVALID'), packet(33, inval)), true);
  // doff shorter than the header: dropped when an option is asked for.
  const s = packet(33, [0, 1, 0, 2, 1, 0, 0, 0, 2 << 1, 0, 0, 0]);
  assert.equal(ruleMatches(rule('-p dccp --dccp-option 1'), s), false);
  assert.equal(s.hotdrop, true);
});

test('esp and ah: the SPI range; a short header drops (xt_esp.c, ipt_ah.c)', () => {
  const esp = packet(50, [0, 0, 0x12, 0x34, 0, 0, 0, 1]);
  assert.equal(ruleMatches(rule('-p esp --espspi 0x1234'), esp), true);
  assert.equal(ruleMatches(rule('-p esp --espspi 1:0x1233'), esp), false);
  assert.equal(ruleMatches(rule('-p esp ! --espspi 1:0x1233'), esp), true);
  assert.equal(ruleMatches(rule('-p esp -m esp'), esp), true);
  const ah = packet(51, [4, 4, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1]);
  assert.equal(ruleMatches(rule('-p ah --ahspi 4294967295'), ah), true);
  assert.equal(ruleMatches(rule('-p ah ! --ahspi 4294967295'), ah), false);
  const short = packet(51, [4, 4, 0, 0, 0, 0, 0, 1]);
  assert.equal(ruleMatches(rule('-p ah'), short), true); // no -m ah: nothing read
  assert.equal(ruleMatches(rule('-p ah --ahspi 1'), short), false);
  assert.equal(short.hotdrop, true);
});

test('tcpmss and ecn on a TCP SYN with MSS 1460 (xt_tcpmss.c, xt_ecn.c)', () => {
  // doff 6: NOP, then... MSS option kind 2 len 4 value 1460 after a NOP would misalign; use MSS first.
  const syn = [
    0x9c,
    0x40,
    0,
    80,
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    0,
    0x60,
    0x02 | 0x40,
    0xff,
    0xff,
    0,
    0,
    0,
    0,
    2,
    4,
    0x05,
    0xb4,
  ];
  assert.equal(ruleMatches(rule('-p tcp -m tcpmss --mss 1460'), packet(6, syn)), true);
  assert.equal(ruleMatches(rule('-p tcp -m tcpmss --mss 1:1400'), packet(6, syn)), false);
  assert.equal(ruleMatches(rule('-p tcp -m tcpmss ! --mss 1:1400'), packet(6, syn)), true);
  const noOpts = [0, 1, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x10, 0, 0, 0, 0, 0, 0];
  assert.equal(ruleMatches(rule('-p tcp -m tcpmss --mss 0:65535'), packet(6, noOpts)), false);
  assert.equal(ruleMatches(rule('-p tcp -m tcpmss ! --mss 0:65535'), packet(6, noOpts)), true);
  const cut = packet(6, [0, 1, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0x60, 0x10, 0, 0, 0, 0, 0, 0]);
  assert.equal(ruleMatches(rule('-p tcp -m tcpmss --mss 1'), cut), false);
  assert.equal(cut.hotdrop, true);
  assert.equal(ruleMatches(rule('-p tcp -m ecn --ecn-tcp-ece'), packet(6, syn)), true);
  assert.equal(ruleMatches(rule('-p tcp -m ecn --ecn-tcp-cwr'), packet(6, syn)), false);
  assert.equal(
    ruleMatches(rule('-p tcp -m ecn ! --ecn-tcp-cwr --ecn-ip-ect 2'), packet(6, syn, { tos: 0xb6 })),
    true,
  );
  assert.equal(ruleMatches(rule('-m ecn --ecn-ip-ect 1'), packet(6, syn, { tos: 0xb6 })), false);
});

test('tcp --tcp-option N (xt_tcpudp.c tcp_find_option): its own walk, inversion, hotdrop', () => {
  /** A TCP header with `opts` (a multiple of 4 bytes) after its 20 bytes. */
  const seg = (opts: readonly number[], doff = 5 + opts.length / 4): number[] => [
    ...[0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, doff << 4, 0x02, 0xff, 0xff, 0, 0, 0, 0],
    ...opts,
  ];
  const has = (n: number, opts: readonly number[]): boolean =>
    ruleMatches(rule(`-p tcp -m tcp --tcp-option ${n}`), packet(6, seg(opts)));
  const linux = [2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7];
  for (const k of [1, 2, 3, 4, 8]) assert.equal(has(k, linux), true, `kind ${k}`);
  for (const k of [5, 19, 30]) assert.equal(has(k, linux), false, `kind ${k}`);
  assert.equal(ruleMatches(rule('-p tcp -m tcp ! --tcp-option 5'), packet(6, seg(linux))), true);
  assert.equal(ruleMatches(rule('-p tcp -m tcp ! --tcp-option 2'), packet(6, seg(linux))), false);
  // No options: not found (the inverted test matches).
  assert.equal(has(2, []), false);
  assert.equal(ruleMatches(rule('-p tcp -m tcp ! --tcp-option 2'), packet(6, seg([]))), true);
  // The walk goes on after an EOL (kind 0 is one byte); a 0 length steps one byte.
  assert.equal(has(2, [0, 2, 4, 5, 0xb4, 1, 1, 1]), true);
  assert.equal(has(2, [30, 0, 2, 4, 5, 0xb4, 1, 1]), true);
  // A length past the options ends the walk; the kind is compared before the length is read, so
  // the last byte's kind is seen (unlike nft_exthdr's walk).
  assert.equal(has(8, [8, 40, 1, 1]), true);
  assert.equal(has(2, [8, 40, 2, 4]), false);
  assert.equal(has(2, [1, 1, 1, 2]), true);
  // Options past the packet's end (doff 8, 4 option bytes there): hotdrop, whatever the inversion.
  const cut = packet(6, seg([1, 1, 1, 1], 8));
  assert.equal(ruleMatches(rule('-p tcp -m tcp ! --tcp-option 2'), cut), false);
  assert.equal(cut.hotdrop, true);
  // The engine takes the rule (it was refused before).
  assert.equal(checkMatch(rule('-p tcp -m tcp --tcp-option 2').matches[0]!, {}), undefined);
});

test('wire: the SCTP chunk walk always advances by a multiple of 4 or stops (property)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(80), (bytes, start) => {
      const end = bytes.length;
      const next = sctpChunkNext(bytes, start, end);
      if (start + 4 > end) return next === -1;
      const len = (bytes[start + 2]! << 8) | bytes[start + 3]!;
      if (len === 0) return next === -1;
      return next > start && (next - start) % 4 === 0 && next - start >= len && next - start < len + 4;
    }),
  );
  assert.equal(SCTP_COMMON_LEN, 12);
});

test('wire: DCCP type and header length, ESP and AH SPIs read from the bytes (property)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 12, maxLength: 12 }), (h) => {
      const type = (h[8]! >> 1) & 15;
      const x = h[8]! & 1;
      const extra = type === 2 ? 0 : [3, 4, 5, 6, 8, 9].includes(type) ? 8 : type === 0 ? 4 : 12;
      assert.equal(dccpType(h, 0), type);
      assert.equal(dccpHdrLen(h, 0), 12 + 4 * x + extra);
      assert.equal(espSpi(h, 0), ((h[0]! << 24) >>> 0) + (h[1]! << 16) + (h[2]! << 8) + h[3]!);
      assert.equal(ahSpi(h, 0), ((h[4]! << 24) >>> 0) + (h[5]! << 16) + (h[6]! << 8) + h[7]!);
    }),
  );
});

test('hotdrop: the table walk drops a malformed packet at the rule that found it (ipt_do_table)', () => {
  const rs = loadRulesText(
    'iptables -A INPUT -p sctp --chunk-types any INIT -j ACCEPT\niptables -A INPUT -j ACCEPT\n',
    't',
  );
  assert.ok(rs.ok);
  const t = new XtTable('filter', rs.ruleset.tables.get('filter')!.chains, {} as NfTableEnv);
  const good = packet(132, [...sctpHdr(1, 2), ...chunk(0, 0, 4)]);
  assert.equal(t.run(NF_INET_LOCAL_IN, good, 0, undefined), T_ACCEPT); // the second rule
  const bad = packet(132, [...sctpHdr(1, 2), 0, 0, 0, 0]); // a chunk of length 0
  assert.equal(t.run(NF_INET_LOCAL_IN, bad, 0, undefined), T_DROP);
});

function ruleIn(table: string, chain: string, text: string): Rule {
  const r = loadRulesText(`iptables -t ${table} -A ${chain} ${text}`, 't');
  assert.ok(r.ok, r.ok ? '' : r.diagnostics.map((d) => d.message).join('\n'));
  return r.ruleset.tables.get(table as 'raw')!.chains.get(chain)!.rules[0]!;
}

test('policy: no IPsec in the simulator: --pol none matches every packet, --pol ipsec none (xt_policy.c)', () => {
  const p = packet(50, [0, 0, 0, 1, 0, 0, 0, 1]);
  assert.equal(ruleMatches(rule('-m policy --dir in --pol none'), p), true);
  assert.equal(ruleMatches(rule('-m policy --dir in --pol ipsec'), p), false);
  assert.equal(ruleMatches(rule('-m policy --dir in --pol ipsec --strict --proto esp'), p), false);
  const r = rule('-m policy --dir in --pol ipsec');
  assert.equal(
    describeMismatch(r, ruleMismatch(r, p), p),
    '-m policy --dir in --pol ipsec: natbox simulates no IPsec, so no packet was decapsulated by an IPsec policy',
  );
});

test('rpfilter: the reverse route must leave by the input device (xt_rpfilter.c rpfilter_lookup_reverse)', () => {
  // A host with eth0 (192.0.2.0/24, its own address 192.0.2.254) and a default route via eth1.
  const env = {
    addrType: () => RTN_UNICAST,
    random32: () => 0,
    conntrack: undefined as never,
    rpfLookup(src: number, _mark: number, dev: string): number {
      if (src === 0xc00002fe) return RTN_LOCAL | (dev === 'eth0' ? RPF_USES_DEV : 0);
      const out = src >>> 8 === 0xc00002 ? 'eth0' : 'eth1';
      return RTN_UNICAST | (out === dev ? RPF_USES_DEV : 0);
    },
  };
  const from = (src: number, inIf: string): Skb => {
    const s = packet(17, [0, 1, 0, 2, 0, 8, 0, 0]);
    s.buf[12] = src >>> 24;
    s.buf[13] = (src >>> 16) & 255;
    s.buf[14] = (src >>> 8) & 255;
    s.buf[15] = src & 255;
    s.parse();
    s.inIf = inIf;
    s.env = env;
    return s;
  };
  const strict = ruleIn('raw', 'PREROUTING', '-m rpfilter');
  const loose = ruleIn('raw', 'PREROUTING', '-m rpfilter --loose');
  const local = ruleIn('raw', 'PREROUTING', '-m rpfilter --accept-local');
  const inverted = ruleIn('raw', 'PREROUTING', '-m rpfilter --invert');
  assert.equal(ruleMatches(strict, from(0xc0000205, 'eth0')), true);
  assert.equal(ruleMatches(strict, from(0xc0000205, 'eth1')), false); // spoofed: route back is eth0
  assert.equal(ruleMatches(loose, from(0xc0000205, 'eth1')), true);
  assert.equal(ruleMatches(inverted, from(0xc0000205, 'eth1')), true);
  assert.equal(ruleMatches(strict, from(0xcb007101, 'eth1')), true); // via the default route
  assert.equal(ruleMatches(strict, from(0xc00002fe, 'eth0')), false); // our own address
  assert.equal(ruleMatches(local, from(0xc00002fe, 'eth0')), true);
  assert.equal(ruleMatches(strict, from(0xc0000205, 'lo')), true); // loopback always passes
  // 0.0.0.0 to 255.255.255.255 (DHCP) passes without a lookup.
  const dhcp = from(0, 'eth1');
  dhcp.buf.set([255, 255, 255, 255], 16);
  dhcp.parse();
  assert.equal(ruleMatches(strict, dhcp), true);
  assert.equal(checkMatch(strict.matches[0]!, {})?.includes('not simulated'), true);
  assert.equal(checkMatch(strict.matches[0]!, { env: true }), undefined);
  const miss = from(0xc0000205, 'eth1');
  assert.equal(
    describeMismatch(strict, ruleMismatch(strict, miss), miss),
    '-m rpfilter: the route back to 192.0.2.5 does not leave by eth1 (strict mode; --loose would accept it)',
  );
});

test('u32: the location language on the packet, reads past the end never match (xt_u32.c)', () => {
  // TCP to port 80 with a 20-byte IP header: the classic "0>>22&0x3C@0>>16=80" reads the dport.
  const syn = [0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0];
  const p = packet(6, syn);
  assert.equal(ruleMatches(rule('-m u32 --u32 "0>>22&0x3C@0&0xFFFF=80"'), p), true);
  assert.equal(ruleMatches(rule('-m u32 --u32 "0>>22&0x3C@0>>16=0x9c40"'), p), true);
  assert.equal(ruleMatches(rule('-m u32 --u32 "6&0xFF=6&&0>>22&0x3C@0&0xFFFF=81,82:90"'), p), false);
  assert.equal(ruleMatches(rule('-m u32 ! --u32 "6&0xFF=6&&0>>22&0x3C@0&0xFFFF=81,82:90"'), p), true);
  // 40 bytes: a read at 37 (37 + 4 > 40) or through @ past the end is false, inverted true.
  assert.equal(ruleMatches(rule('-m u32 --u32 "36=0:0xffffffff"'), p), true);
  assert.equal(ruleMatches(rule('-m u32 --u32 "37=0:0xffffffff"'), p), false);
  assert.equal(ruleMatches(rule('-m u32 ! --u32 "37=0:0xffffffff"'), p), true);
  assert.equal(ruleMatches(rule('-m u32 --u32 "0>>22&0x3C@17=0:0xffffffff"'), p), false);
});

test('bpf: classic BPF programs run from the IP header (xt_bpf.c, the kernel interpreter)', () => {
  const syn = [0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0];
  const p = packet(6, syn);
  // nfbpf_compile RAW 'ip proto 6': ldb [9]; jeq #6 jt 0 jf 1; ret #1; ret #0.
  assert.equal(ruleMatches(rule('-m bpf --bytecode "4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0"'), p), true);
  assert.equal(ruleMatches(rule('-m bpf --bytecode "4,48 0 0 9,21 0 1 17,6 0 0 1,6 0 0 0"'), p), false);
  // ldx 4*([0]&0xf); ldh [x+2]; jge #1024 → 0 else 1: dport 80 < 1024 matches.
  const lowPort = rule('-m bpf --bytecode "6,177 0 0 0,72 0 0 2,53 1 0 1024,6 0 0 1,6 0 0 0,22 0 0 0"');
  assert.equal(ruleMatches(lowPort, p), true);
  // A load past the end ends the program with 0; a / x with x = 0 too.
  assert.equal(ruleMatches(rule('-m bpf --bytecode "2,32 0 0 37,6 0 0 1"'), p), false);
  assert.equal(ruleMatches(rule('-m bpf --bytecode "2,32 0 0 36,6 0 0 1"'), p), true);
  assert.equal(ruleMatches(rule('-m bpf --bytecode "4,1 0 0 0,0 0 0 7,60 0 0 0,22 0 0 0"'), p), false);
  // M[] store/load, ALU, TAX/TXA and len: A = len(40) * 2 - 79 = 1.
  const alu = rule('-m bpf --bytecode "7,128 0 0 0,2 0 0 3,96 0 0 3,7 0 0 0,12 0 0 0,20 0 0 79,22 0 0 0"');
  assert.equal(ruleMatches(alu, p), true);
  // Ancillary loads and pinned objects are refused by name.
  const anc = rule('-m bpf --bytecode "2,32 0 0 4294963220,22 0 0 0"');
  assert.match(checkMatch(anc.matches[0]!, { env: true }) ?? '', /ancillary loads/);
  const pinned = loadRulesText('*filter\n-A INPUT -m bpf --object-pinned /sys/fs/bpf/f\nCOMMIT\n', 'p.rules');
  assert.ok(pinned.ok);
  const pm = pinned.ruleset.tables.get('filter')!.chains.get('INPUT')!.rules[0]!.matches[0]!;
  assert.equal(
    checkMatch(pm, { env: true }),
    'match "bpf --object-pinned /sys/fs/bpf/f": an eBPF program in bpffs, which natbox cannot load or run',
  );
});

test('cbpf: a checked program always ends, and loads never read outside [base, end) (property)', () => {
  const insn = fc.tuple(
    fc.constantFrom(
      0x04,
      0x0c,
      0x3c,
      0x9c,
      0x6c,
      0x84,
      0x20,
      0x28,
      0x30,
      0x80,
      0x40,
      0x48,
      0x50,
      0x00,
      0xb1,
      0x01,
      0x07,
      0x87,
      0x05,
      0x15,
      0x2d,
      0x45,
      0x06,
      0x16,
    ),
    fc.nat(3),
    fc.nat(3),
    fc.oneof(fc.nat(64), fc.constant(0xffffffff)),
  );
  fc.assert(
    fc.property(
      fc.array(insn, { minLength: 1, maxLength: 12 }),
      fc.uint8Array({ maxLength: 48 }),
      (prog, bytes) => {
        const flat = [...prog.flat(), 0x16, 0, 0, 0];
        if (cbpfCheck(flat) !== undefined) return true;
        const r = cbpfRun(flat, bytes, 0, bytes.length, bytes.length);
        return Number.isInteger(r) && r >= 0 && r <= 0xffffffff;
      },
    ),
  );
});
