// Evaluation of -m string, quota, helper, connbytes, connlabel and connlimit: on hand-built packets
// (string, quota, helper) and through the engine's hooks with real conntrack entries (connbytes,
// connlabel, connlimit), with the semantics of the kernel's xt_string.c/ts_bm.c/ts_kmp.c,
// xt_quota.c, xt_helper.c, xt_connbytes.c (+ nf_conntrack_acct), xt_connlabel.c and
// xt_connlimit.c/nf_conncount.c.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadRulesText } from '../../src/rules/load.ts';
import {
  newRuleState,
  ruleMatches,
  ruleMismatch,
  describeMismatch,
} from '../../src/netfilter/xtables/match.ts';
import { prepareString, findText } from '../../src/netfilter/xtables/match-string.ts';
import { Skb, RTN_UNICAST, type XtEnv } from '../../src/netfilter/core/skb.ts';
import { NF_ACCEPT, NF_DROP, Netfilter } from '../../src/netfilter/core/engine.ts';
import { SeededRng } from '../../src/netfilter/nat/nat-core.ts';
import { buildTcpPacket, buildUdpPacket } from '../../src/wire/packet.ts';
import type { Rule } from '../../src/rules/iptables/model.ts';
import type { StringMatch } from '../../src/rules/iptables/ext/string.ts';
import { fcOpts, HOST, ip, ruleset } from './helpers.ts';

function rule(text: string, table = 'filter', chain = 'INPUT'): Rule {
  const r = loadRulesText(`iptables -t ${table} -A ${chain} ${text}`, 't');
  assert.ok(r.ok, r.ok ? '' : r.diagnostics.map((d) => d.message).join('\n'));
  return r.ruleset.tables.get(table as 'filter')!.chains.get(chain)!.rules[0]!;
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A TCP packet 10.0.0.5:40000 -> 192.0.2.1:80 with `payload` at offset 40 (20 IP + 20 TCP). */
function tcpSkb(payload: Uint8Array): Skb {
  const buf = buildTcpPacket(
    { src: 0x0a000005, dst: 0xc0000201, id: 1 },
    { srcPort: 40000, dstPort: 80, seq: 1, ack: 1, flags: 0x18, window: 100 },
    payload,
  );
  return new Skb().load(buf, 0, 'eth0', '');
}

test('string: the window is [from, to) from the start of the IP header (skb_find_text)', () => {
  const s = tcpSkb(enc('GET /index.html HTTP/1.1\r\n'));
  const m = (opts: string): boolean => {
    const r = rule(`-p tcp -m string ${opts} -j ACCEPT`);
    return ruleMatches(r, s, newRuleState(r));
  };
  for (const algo of ['bm', 'kmp']) {
    assert.equal(m(`--string "GET /" --algo ${algo}`), true, algo);
    // "GET " is at bytes 40-43: the whole pattern must lie before --to.
    assert.equal(m(`--string "GET " --algo ${algo} --to 43`), false, algo);
    assert.equal(m(`--string "GET " --algo ${algo} --to 44`), true, algo);
    assert.equal(m(`--string "GET " --algo ${algo} --from 40`), true, algo);
    assert.equal(m(`--string "GET " --algo ${algo} --from 41`), false, algo);
    // The IP header is searched too: 0x45 0x00 starts every such packet.
    assert.equal(m(`--hex-string "|4500|" --algo ${algo} --to 2`), true, algo);
    assert.equal(m(`--string "get /INDEX" --algo ${algo}`), false, algo);
    assert.equal(m(`--string "get /INDEX" --algo ${algo} --icase`), true, algo);
    assert.equal(m(`! --string "POST" --algo ${algo}`), true, algo);
    assert.equal(m(`--string "HTTP/1.1|0d0a|" --algo ${algo}`), false, algo); // not hex: literal text
    assert.equal(m(`--hex-string "HTTP/1.1|0d0a|" --algo ${algo}`), true, algo);
    // --from past the end of the packet: nothing to search.
    assert.equal(m(`--string "G" --algo ${algo} --from 1000`), false, algo);
  }
  const r = rule('-p tcp -m string --string "POST" --algo bm -j ACCEPT');
  assert.equal(
    describeMismatch(r, ruleMismatch(r, s, newRuleState(r)), s),
    '-m string: the pattern (4 bytes, bm) is not in bytes 0-66 of the packet',
  );
});

test('string: --icase folds as the kernel toupper() does (Latin-1 letters too)', () => {
  const s = tcpSkb(Uint8Array.from([0x61, 0xe9, 0x62])); // "a", e-acute, "b"
  const hit = (hex: string, icase: boolean): boolean => {
    const r = rule(`-p tcp -m string --hex-string "|${hex}|" --algo kmp${icase ? ' --icase' : ''} -j ACCEPT`);
    return ruleMatches(r, s, newRuleState(r));
  };
  assert.equal(hit('41c942', false), false);
  assert.equal(hit('41c942', true), true); // 0xe9 and 0xc9 are one letter for lib/ctype.c
});

/** Finds with both algorithms, and the plain search they must agree with. */
function naive(text: Uint8Array, pat: Uint8Array, fold: (c: number) => number): number {
  outer: for (let i = 0; i + pat.length <= text.length; i++) {
    for (let j = 0; j < pat.length; j++) if (fold(text[i + j]!) !== fold(pat[j]!)) continue outer;
    return i;
  }
  return -1;
}
const kupper = (c: number): number =>
  (c >= 0x61 && c <= 0x7a) || (c >= 0xdf && c <= 0xff && c !== 0xf7) ? c - 32 : c;

test('string: Boyer-Moore and KMP (the kernel tables) find what a plain search finds', () => {
  const bytes = (max: number) =>
    fc.uint8Array({ minLength: 1, maxLength: max }).map((a) => a.map((c) => (c & 0x63) | (c & 0x80)));
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), bytes(6), fc.boolean(), (payload, pattern, icase) => {
      const s = tcpSkb(payload);
      const want = naive(s.buf.subarray(0, s.len), pattern, icase ? kupper : (c) => c);
      for (const algo of ['bm', 'kmp'] as const) {
        const m: StringMatch = {
          module: 'string',
          algo,
          pattern: Array.from(pattern),
          from: 0,
          to: 65535,
          icase,
          invert: false,
        };
        const got = findText(m, prepareString(m), s);
        assert.equal(got >= 0, want >= 0, `${algo} ${Buffer.from(pattern).toString('hex')}`);
        if (algo === 'kmp') assert.equal(got, want);
      }
    }),
    fcOpts,
  );
});

test('quota: packets take their IP length from the quota until one does not fit (xt_quota)', () => {
  const s = tcpSkb(new Uint8Array(60)); // 100 bytes
  const small = tcpSkb(new Uint8Array(0)); // 40 bytes
  const r = rule('-m quota --quota 250 -j ACCEPT');
  const st = newRuleState(r);
  // 250 -> 150 -> 50; 100 does not fit: the quota is emptied, so the 40-byte packet fails too.
  assert.deepEqual(
    [s, s, s, small].map((p) => ruleMatches(r, p, st)),
    [true, true, false, false],
  );
  const inv = rule('-m quota ! --quota 150 -j ACCEPT');
  const ist = newRuleState(inv);
  assert.deepEqual(
    [s, small, small].map((p) => ruleMatches(inv, p, ist)),
    [false, false, true],
  );
  // Another engine's copy of the rule has its own quota.
  assert.equal(ruleMatches(r, s, newRuleState(r)), true);
});

test('helper: no entry has a master connection, so only "! --helper" matches (xt_helper)', () => {
  const s = tcpSkb(new Uint8Array(0));
  assert.equal(ruleMatches(rule('-m helper --helper ftp -j ACCEPT'), s), false);
  assert.equal(ruleMatches(rule('-m helper ! --helper ftp -j ACCEPT'), s), true);
  assert.equal(ruleMatches(rule('-m helper --helper "" -j ACCEPT'), s), false);
});

// ---- through the engine, with conntrack ----------------------------------------------------

const LAN = ip('192.168.1.10');
const SRV = ip('198.51.100.7');

class Box {
  readonly nf: Netfilter;
  readonly skb = new Skb();
  constructor(rules: string) {
    this.nf = new Netfilter({ ruleset: ruleset(rules), host: HOST, rng: new SeededRng(1) });
    const env: XtEnv = { addrType: () => RTN_UNICAST, random32: () => 0, conntrack: this.nf.conntrack };
    this.skb.env = env;
  }
  /** PREROUTING, FORWARD, POSTROUTING: the first verdict that is not ACCEPT, or ACCEPT. */
  fwd(buf: Uint8Array, inIf: string, outIf: string, now: number): number {
    const skb = this.skb;
    skb.load(buf, 0, inIf, '');
    skb.now = now;
    let v = this.nf.prerouting(skb, now);
    if (v !== NF_ACCEPT) return v;
    skb.outIf = outIf;
    v = this.nf.forward(skb, now);
    if (v !== NF_ACCEPT) return v;
    return this.nf.postrouting(skb, now);
  }
  tcp(src: number, sport: number, dst: number, dport: number, flags: number, now: number, len = 0): number {
    const out = src !== SRV;
    return this.fwd(
      buildTcpPacket(
        { src, dst, id: 1 },
        { srcPort: sport, dstPort: dport, seq: 1, ack: 1, flags, window: 100 },
        new Uint8Array(len),
      ),
      out ? 'br-lan' : 'wan',
      out ? 'wan' : 'br-lan',
      now,
    );
  }
}
const SYN = 0x02;
const SYNACK = 0x12;
const ACK = 0x10;
const RST = 0x04;

test('connbytes: the counters include the packet, per direction, as nf_conntrack_acct counts', () => {
  const box = new Box(
    [
      '*filter',
      ':FORWARD ACCEPT [0:0]',
      '-A FORWARD -m connbytes --connbytes 4: --connbytes-dir both --connbytes-mode packets -j DROP',
      '-A FORWARD -m connbytes --connbytes 2:2 --connbytes-dir reply --connbytes-mode packets -j DROP',
      'COMMIT',
      '',
    ].join('\n'),
  );
  assert.equal(box.tcp(LAN, 40000, SRV, 80, SYN, 0), NF_ACCEPT); // orig 1
  assert.equal(box.tcp(SRV, 80, LAN, 40000, SYNACK, 0), NF_ACCEPT); // reply 1
  assert.equal(box.tcp(LAN, 40000, SRV, 80, ACK, 0, 10), NF_ACCEPT); // orig 2: both 3
  const e = box.skb.ct;
  assert.equal(box.tcp(SRV, 80, LAN, 40000, ACK, 0, 100), NF_DROP); // both 4
  // [orig packets, orig bytes, reply packets, reply bytes]: 40 + 50 original, 40 + 140 reply.
  assert.deepEqual(Array.from(box.nf.conntrack.acct!.subarray(e * 4, e * 4 + 4)), [2, 90, 2, 180]);
  // A new connection starts from zero.
  assert.equal(box.tcp(LAN, 40001, SRV, 80, SYN, 0), NF_ACCEPT);
  assert.deepEqual(
    Array.from(box.nf.conntrack.acct!.subarray(box.skb.ct * 4, box.skb.ct * 4 + 4)),
    [1, 40, 0, 0],
  );
});

test('connbytes: avgpkt and bytes; inverted ranges; no accounting without a connbytes rule', () => {
  const box = new Box(
    [
      '*filter',
      ':FORWARD ACCEPT [0:0]',
      '-A FORWARD -p tcp --dport 81 -m connbytes ! --connbytes 41:60 --connbytes-dir original --connbytes-mode avgpkt -j DROP',
      '-A FORWARD -p tcp --dport 82 -m connbytes --connbytes 200 --connbytes-dir original --connbytes-mode bytes -j DROP',
      'COMMIT',
      '',
    ].join('\n'),
  );
  // avg of 40 (SYN alone) is outside 41:60: dropped by the inverted range.
  assert.equal(box.tcp(LAN, 40000, SRV, 81, SYN, 0), NF_DROP);
  // dport 82: 40, +100 (140), +100 (240 >= 200: dropped).
  assert.equal(box.tcp(LAN, 40001, SRV, 82, SYN, 0), NF_ACCEPT);
  assert.equal(box.tcp(SRV, 82, LAN, 40001, SYNACK, 0), NF_ACCEPT);
  assert.equal(box.tcp(LAN, 40001, SRV, 82, ACK, 0, 60), NF_ACCEPT);
  assert.equal(box.tcp(LAN, 40001, SRV, 82, ACK, 0, 60), NF_DROP);
  const plain = new Box(
    '*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -m state --state NEW -j ACCEPT\nCOMMIT\n',
  );
  assert.equal(plain.nf.conntrack.acct, undefined);
});

test('connlabel: --set labels the entry, later rules and packets see it (xt_connlabel)', () => {
  const box = new Box(
    [
      '*filter',
      ':FORWARD ACCEPT [0:0]',
      '-A FORWARD -p tcp --dport 22 -m connlabel --label 100 --set',
      '-A FORWARD -p tcp --sport 22 -m connlabel ! --label 100 -j DROP',
      '-A FORWARD -p tcp --sport 23 -m connlabel ! --label 100 -j DROP',
      'COMMIT',
      '',
    ].join('\n'),
  );
  assert.equal(box.tcp(LAN, 40000, SRV, 22, SYN, 0), NF_ACCEPT);
  const e = box.skb.ct;
  assert.equal(box.nf.conntrack.labels![e * 4 + 3], 1 << 4); // bit 100 = word 3, bit 4
  assert.equal(box.tcp(SRV, 22, LAN, 40000, SYNACK, 0), NF_ACCEPT); // labelled: not dropped
  assert.equal(box.tcp(LAN, 40001, SRV, 23, SYN, 0), NF_ACCEPT);
  assert.equal(box.tcp(SRV, 23, LAN, 40001, SYNACK, 0), NF_DROP); // never labelled
});

test("connlimit: counts this rule's live connections per masked source (nf_conncount)", () => {
  const box = new Box(
    [
      '*filter',
      ':FORWARD ACCEPT [0:0]',
      '-A FORWARD -p tcp --syn --dport 80 -m connlimit --connlimit-above 2 --connlimit-mask 24 -j REJECT --reject-with tcp-reset',
      'COMMIT',
      '',
    ].join('\n'),
  );
  const A = ip('192.168.1.10');
  const B = ip('192.168.1.11');
  const C = ip('192.168.2.10');
  assert.equal(box.tcp(A, 40000, SRV, 80, SYN, 0), NF_ACCEPT); // 1
  assert.equal(box.tcp(B, 40001, SRV, 80, SYN, 0), NF_ACCEPT); // 2 (same /24)
  assert.equal(box.tcp(A, 40002, SRV, 80, SYN, 0), NF_DROP); // 3 > 2
  assert.equal(box.tcp(C, 40003, SRV, 80, SYN, 0), NF_ACCEPT); // another /24: 1
  // The refused SYN's entry was never confirmed: the next walk drops it from the list, so a
  // retry still counts 3.
  assert.equal(box.tcp(A, 40004, SRV, 80, SYN, 1), NF_DROP);
  // A retransmitted SYN of a counted connection is not added twice, but the walk stops at its own
  // tuple, before the stale 40004 one: the count is still 3 (as nf_conncount's walk gives).
  assert.equal(box.tcp(A, 40000, SRV, 80, SYN, 1), NF_DROP);
  // The first connection is reset (CLOSE): it no longer counts.
  assert.equal(box.tcp(SRV, 80, A, 40000, RST | ACK, 2), NF_ACCEPT);
  assert.equal(box.tcp(A, 40005, SRV, 80, SYN, 3), NF_ACCEPT);
  assert.equal(box.tcp(A, 40006, SRV, 80, SYN, 3), NF_DROP);
});

test('connlimit: --connlimit-upto and --connlimit-daddr; UDP entries count until they expire', () => {
  const box = new Box(
    [
      '*filter',
      ':FORWARD DROP [0:0]',
      '-A FORWARD -i br-lan -p udp -m connlimit --connlimit-upto 1 --connlimit-daddr -j ACCEPT',
      'COMMIT',
      '',
    ].join('\n'),
  );
  const udp = (sport: number, now: number): number =>
    box.fwd(
      buildUdpPacket({ src: LAN, dst: SRV, id: 1 }, { srcPort: sport, dstPort: 53 }),
      'br-lan',
      'wan',
      now,
    );
  assert.equal(udp(5000, 0), NF_ACCEPT); // 1 <= 1
  assert.equal(udp(5000, 1), NF_ACCEPT); // the same connection
  assert.equal(udp(5001, 2), NF_DROP); // 2 > 1
  // After the UDP timeout (30 s unreplied) the first entry is gone: 1 again.
  assert.equal(udp(5002, 40), NF_ACCEPT);
});
