// compileChain() against the linear walk: on random chains and packets, the compiled candidates
// must contain every rule the linear walk matches, in order (fast-check).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadRulesText } from '../../src/rules/load.ts';
import {
  FAIL_DST,
  FAIL_SRC,
  ruleMatches,
  ruleMismatch,
  ruleMismatchAt,
} from '../../src/netfilter/xtables/match.ts';
import { addressScan, compileChain, nextCandidate } from '../../src/netfilter/xtables/compile.ts';
import { Skb } from '../../src/netfilter/core/skb.ts';
import { buildTcpPacket, buildUdpPacket } from '../../src/wire/packet.ts';
import type { Chain } from '../../src/rules/iptables/model.ts';

const ADDRS = ['192.0.2.1', '192.0.2.2', '10.0.0.1', '198.51.100.7'];
const IFS = ['eth0', 'eth1', 'br-lan'];
const PORTS = [22, 53, 80, 443, 8080];

const ruleArb = fc.record({
  proto: fc.constantFrom('', '-p tcp', '-p udp', '! -p tcp'),
  dport: fc.constantFrom(
    '',
    '--dport 80',
    '--dport 53',
    '! --dport 80',
    '--dport 1000:2000',
    '-m multiport --dports 22,443',
  ),
  dst: fc.constantFrom('', '-d 192.0.2.1', '! -d 192.0.2.2', '-d 10.0.0.0/8'),
  inIf: fc.constantFrom('', '-i eth0', '! -i eth1', '-i eth+'),
});

function ruleText(r: { proto: string; dport: string; dst: string; inIf: string }): string {
  const dport = r.proto === '-p tcp' || r.proto === '-p udp' ? r.dport : '';
  return `iptables -t nat -A PREROUTING ${r.inIf} ${r.dst} ${r.proto} ${dport} -j ACCEPT`;
}

const pktArb = fc.record({
  tcp: fc.boolean(),
  dst: fc.constantFrom(...ADDRS),
  dport: fc.constantFrom(...PORTS, 1500),
  inIf: fc.constantFrom(...IFS),
});

function skbOf(p: { tcp: boolean; dst: string; dport: number; inIf: string }): Skb {
  const [a, b, c, d] = p.dst.split('.').map(Number) as [number, number, number, number];
  const ip = { src: 0xc0a8010a, dst: ((a << 24) | (b << 16) | (c << 8) | d) >>> 0, id: 1 };
  const buf = p.tcp
    ? buildTcpPacket(ip, { srcPort: 40000, dstPort: p.dport, seq: 1, ack: 0, flags: 0x02, window: 100 })
    : buildUdpPacket(ip, { srcPort: 40000, dstPort: p.dport });
  return new Skb().load(buf, 0, p.inIf, '');
}

test('compile: compiled candidates visit every rule the linear walk matches, in order', () => {
  fc.assert(
    fc.property(
      fc.array(ruleArb, { minLength: 0, maxLength: 40 }),
      fc.array(pktArb, { minLength: 1, maxLength: 8 }),
      (rules, pkts) => {
        const r = loadRulesText(rules.map(ruleText).join('\n'), 'x');
        assert.ok(r.ok);
        const chain: Chain = r.ruleset.tables.get('nat')?.chains.get('PREROUTING') ?? {
          name: 'PREROUTING',
          builtin: true,
          policy: 'ACCEPT',
          counters: { packets: 0, bytes: 0 },
          rules: [],
        };
        const c = compileChain(chain);
        for (const p of pkts) {
          const skb = skbOf(p);
          const linear = chain.rules.flatMap((rule, i) => (ruleMatches(rule, skb) ? [i] : []));
          const compiled: number[] = [];
          for (let i = c.next(skb, 0); i < chain.rules.length; i = c.next(skb, i + 1)) {
            if (ruleMatches(chain.rules[i]!, skb)) compiled.push(i);
          }
          assert.deepEqual(compiled, linear);
        }
      },
    ),
    { numRuns: 300 },
  );
});

// The walk reads each rule's addresses from the chain's table (addressTable): on random chains of
// addresses, prefixes, inversions, interfaces, protocols and ports, ruleMismatchAt gives
// ruleMismatch's answer, failure reason included (the trace prints it), for every rule and packet.
const addrArb = fc.constantFrom(
  '',
  '-s 192.168.1.10',
  '! -s 192.168.1.10',
  '-s 192.168.0.0/16',
  '! -s 10.0.0.0/8',
  '-s 0.0.0.0/0',
  '-s 255.255.255.255',
);
const dstArb = fc.constantFrom(
  '',
  '-d 192.0.2.1',
  '! -d 192.0.2.2',
  '-d 10.0.0.0/8',
  '-d 198.51.100.0/24',
  '! -d 200.0.0.0/5',
);

test('compile: ruleMismatchAt (the address table) answers as ruleMismatch, reason included', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(addrArb, dstArb, ruleArb), { minLength: 1, maxLength: 30 }),
      fc.array(fc.tuple(pktArb, fc.constantFrom(0xc0a8010a, 0x0a000001, 0xffffffff, 0xc0a90000)), {
        minLength: 1,
        maxLength: 6,
      }),
      (rules, pkts) => {
        const text = rules.map(([s, d, r]) =>
          ruleText({ ...r, dst: d }).replace(' -A PREROUTING ', ` -A PREROUTING ${s} `),
        );
        const r = loadRulesText(text.join('\n'), 'x');
        assert.ok(r.ok);
        const chain = r.ruleset.tables.get('nat')!.chains.get('PREROUTING')!;
        const c = compileChain(chain);
        for (const [p, src] of pkts) {
          const skb = skbOf(p);
          skb.src = src;
          chain.rules.forEach((rule, i) =>
            assert.equal(ruleMismatchAt(rule, c.ip, i, skb, c.state[i]), ruleMismatch(rule, skb, c.state[i])),
          );
        }
      },
    ),
    { numRuns: 300 },
  );
});

// The walk skips the rules that fail on their addresses with the chain's scan (compile.ts
// addressScan): code made for the chain, or firstAddressMatch's loop where code cannot be made.
// On random chains of source and destination tests (inversions, prefixes, none), both give, for
// every starting rule, the first rule whose address tests hold as ruleMismatchAt judges them.
test('compile: the generated address scan and the loop agree with ruleMismatchAt', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(addrArb, dstArb, ruleArb), { minLength: 1, maxLength: 30 }),
      fc.array(fc.tuple(pktArb, fc.constantFrom(0xc0a8010a, 0x0a000001, 0xffffffff, 0xc0a90000, 0)), {
        minLength: 1,
        maxLength: 6,
      }),
      (rules, pkts) => {
        const text = rules.map(([s, d, r]) =>
          ruleText({ ...r, dst: d }).replace(' -A PREROUTING ', ` -A PREROUTING ${s} `),
        );
        const r = loadRulesText(text.join('\n'), 'x');
        assert.ok(r.ok);
        const chain = r.ruleset.tables.get('nat')!.chains.get('PREROUTING')!;
        const c = compileChain(chain);
        const n = chain.rules.length;
        const generated = addressScan(c.ip, n);
        const loop = addressScan(c.ip, n, false);
        assert.notEqual(generated, loop);
        for (const [p, src] of pkts) {
          const skb = skbOf(p);
          skb.src = src;
          // Which rules pass their address tests (fail neither with FAIL_SRC nor FAIL_DST).
          const pass = chain.rules.map((rule, i) => {
            const f = ruleMismatchAt(rule, c.ip, i, skb, c.state[i]);
            return f !== FAIL_SRC && f !== FAIL_DST;
          });
          for (let from = 0; from <= n; from++) {
            let want = from;
            while (want < n && !pass[want]) want++;
            assert.equal(generated(from, skb.saddr, skb.daddr), want);
            assert.equal(loop(from, skb.saddr, skb.daddr), want);
            assert.equal(c.scan(from, skb.saddr, skb.daddr), want);
          }
        }
      },
    ),
    { numRuns: 300 },
  );
});

// nextCandidate answers next() without the call for a chain of port-keyed rules only (DNAT port
// forwards) and a packet outside their ports: on random chains of such rules (some with another
// rule among them, so that the shortcut is off), it gives next()'s answer for every start.
const portRuleArb = fc.oneof(
  fc.record({
    proto: fc.constantFrom('-p tcp', '-p udp'),
    dport: fc.constantFrom('--dport 80', '--dport 53', '--dport 8080', '-m multiport --dports 22,443'),
    dst: fc.constant(''),
    inIf: fc.constantFrom('', '-i eth0'),
  }),
  ruleArb,
);

test('compile: nextCandidate gives next() for chains of port forwards', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          {
            weight: 4,
            arbitrary: portRuleArb.filter((r) => r.dport.startsWith('-') && r.proto.startsWith('-p')),
          },
          portRuleArb,
        ),
        { minLength: 1, maxLength: 12 },
      ),
      fc.array(fc.tuple(pktArb, fc.constantFrom(0, 1, 6, 17)), { minLength: 1, maxLength: 8 }),
      (rules, pkts) => {
        const r = loadRulesText(rules.map(ruleText).join('\n'), 'x');
        assert.ok(r.ok);
        const chain = r.ruleset.tables.get('nat')!.chains.get('PREROUTING')!;
        const c = compileChain(chain);
        for (const [p, proto] of pkts) {
          const skb = skbOf(p);
          if (proto !== 0) skb.proto = proto;
          for (let from = 0; from <= chain.rules.length; from++)
            assert.equal(nextCandidate(c, skb, from), c.next(skb, from));
        }
      },
    ),
    { numRuns: 300 },
  );
});
