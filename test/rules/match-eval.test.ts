// Evaluation of the extension matches (netfilter/xtables/match.ts) on hand-built packets, and the
// refusals checkMatch() gives while the engine does not fill what a match needs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadRulesText } from '../../src/rules/load.ts';
import { checkMatch, newRuleState, ruleMatches } from '../../src/netfilter/xtables/match.ts';
import { checkTarget, runXtTarget } from '../../src/netfilter/xtables/target.ts';
import { RTN_LOCAL, RTN_UNICAST, Skb } from '../../src/netfilter/core/skb.ts';
import { buildTcpPacket } from '../../src/wire/packet.ts';
import type { Rule } from '../../src/rules/iptables/model.ts';

function rule(text: string, table = 'filter', chain = 'INPUT'): Rule {
  const r = loadRulesText(`iptables -t ${table} -A ${chain} ${text}`, 't');
  assert.ok(r.ok, r.ok ? '' : r.diagnostics.map((d) => d.message).join('\n'));
  return r.ruleset.tables.get(table as 'filter')!.chains.get(chain)!.rules[0]!;
}

function skb(opts: { dst?: number; ttl?: number; tos?: number; inIf?: string } = {}): Skb {
  const buf = buildTcpPacket(
    { src: 0x0a000005, dst: opts.dst ?? 0xc0000201, id: 1, ttl: opts.ttl ?? 64, tos: opts.tos ?? 0 },
    { srcPort: 40000, dstPort: 80, seq: 1, ack: 0, flags: 0x02, window: 100 },
  );
  return new Skb().load(buf, 0, opts.inIf ?? 'eth0', '');
}

test('match: iprange, mark, length, ttl, tos, dscp on the packet', () => {
  const s = skb({ ttl: 5, tos: 0xb8 });
  assert.equal(ruleMatches(rule('-m iprange --src-range 10.0.0.1-10.0.0.9 -j ACCEPT'), s), true);
  assert.equal(ruleMatches(rule('-m iprange ! --src-range 10.0.0.1-10.0.0.9 -j ACCEPT'), s), false);
  s.mark = 0x15;
  assert.equal(ruleMatches(rule('-m mark --mark 0x5/0xf -j ACCEPT'), s), true);
  assert.equal(ruleMatches(rule('-m mark ! --mark 0x15 -j ACCEPT'), s), false);
  assert.equal(ruleMatches(rule(`-m length --length ${s.len} -j ACCEPT`), s), true);
  assert.equal(ruleMatches(rule('-m ttl --ttl-lt 6 -j ACCEPT'), s), true);
  assert.equal(ruleMatches(rule('-m ttl ! --ttl-eq 5 -j ACCEPT'), s), false);
  assert.equal(ruleMatches(rule('-m dscp --dscp-class EF -j ACCEPT'), s), true);
  assert.equal(ruleMatches(rule('-m tos --tos 0xb8/0xff -j ACCEPT'), s), true);
});

test('match: limit is a token bucket of burst packets refilled at the rate (xt_limit)', () => {
  const r = rule('-m limit --limit 1/sec --limit-burst 2 -j ACCEPT');
  const st = newRuleState(r);
  const s = skb();
  const at = (t: number): boolean => {
    s.now = t;
    return ruleMatches(r, s, st);
  };
  assert.deepEqual([at(0), at(0), at(0), at(0.5), at(1), at(1.2)], [true, true, false, false, true, false]);
});

test('match: statistic nth matches every n-th packet from --packet (xt_statistic)', () => {
  const r = rule('-m statistic --mode nth --every 3 --packet 0 -j ACCEPT');
  const st = newRuleState(r);
  const s = skb();
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6].map(() => ruleMatches(r, s, st)),
    [true, false, false, true, false, false], // the kernel's: --packet 0 is the first packet
  );
  // Another state for the same rule (another engine) counts from the start.
  const other = newRuleState(r);
  assert.deepEqual(
    [1, 2, 3].map(() => ruleMatches(r, s, other)),
    [true, false, false],
  );
  // Without a state the rule cannot be evaluated: a programming error, not a silent guess.
  assert.throws(() => ruleMatches(r, s), /keeps per-rule state/);
  assert.equal(newRuleState(rule('-m mark --mark 1 -j ACCEPT')), undefined);
});

test('match: addrtype classifies through skb.env; physdev and owner without a bridge or socket', () => {
  const s = skb({ dst: 0xc0000201 });
  s.env = {
    addrType: (a) => (a === 0xc0000201 ? RTN_LOCAL : RTN_UNICAST),
    random32: () => 0,
    conntrack: { status: [], mark: new Uint32Array(1), expires: [], readTuple: (_e, _d, o) => o },
  };
  assert.equal(ruleMatches(rule('-m addrtype --dst-type LOCAL -j ACCEPT'), s), true);
  assert.equal(ruleMatches(rule('-m addrtype --src-type LOCAL -j ACCEPT'), s), false);
  assert.equal(ruleMatches(rule('-m physdev --physdev-is-bridged -j ACCEPT', 'filter', 'FORWARD'), s), false);
  assert.equal(
    ruleMatches(rule('-m physdev ! --physdev-is-bridged -j ACCEPT', 'filter', 'FORWARD'), s),
    true,
  );
  assert.equal(ruleMatches(rule('-m owner ! --uid-owner 0 -j ACCEPT', 'filter', 'OUTPUT'), s), true);
  assert.equal(ruleMatches(rule('-m owner --uid-owner 0 -j ACCEPT', 'filter', 'OUTPUT'), s), false);
});

test('match: what the engine must fill is refused with a message until it does', () => {
  const m = (text: string, chain = 'INPUT'): string | undefined =>
    checkMatch(rule(text, 'filter', chain).matches[0]!);
  assert.equal(
    m('-m addrtype --dst-type LOCAL -j ACCEPT'),
    `match "addrtype" needs the host's local addresses (skb.env), which the engine does not pass yet: not simulated`,
  );
  assert.equal(
    m('-m limit --limit 1/s -j ACCEPT'),
    'match "limit" needs the time (skb.now), which the engine does not pass yet: not simulated',
  );
  assert.equal(m('-m iprange --src-range 10.0.0.1-10.0.0.2 -j ACCEPT'), undefined);
  assert.equal(m('-m conntrack --ctstate NEW -j ACCEPT'), undefined);
  assert.equal(checkMatch(rule('-m limit --limit 1/s -j ACCEPT').matches[0]!, { clock: true }), undefined);
  // Zones are simulated now (conntrack/zone.ts), and the ftp and tftp helpers (conntrack/helper.ts).
  assert.equal(
    checkTarget(rule('-j CT --zone 5', 'raw', 'PREROUTING').target!, 'raw', 'PREROUTING'),
    undefined,
  );
  assert.equal(
    checkTarget(rule('-p tcp -j CT --helper ftp', 'raw', 'PREROUTING').target!, 'raw', 'PREROUTING'),
    undefined,
  );
  assert.equal(
    checkTarget(rule('-p udp -j CT --helper sip', 'raw', 'PREROUTING').target!, 'raw', 'PREROUTING'),
    'target CT --helper sip is read and printed but not simulated: natbox has the ftp and tftp helpers only',
  );
  assert.equal(
    checkTarget(rule('-j MARK --set-mark 1', 'mangle', 'PREROUTING').target!, 'filter', 'INPUT'),
    undefined,
  );
});

test('target: MARK and CONNMARK as xt_MARK / xt_connmark compute them', () => {
  const s = skb();
  s.mark = 0xf0;
  runXtTarget(rule('-j MARK --set-xmark 0x1/0xf', 'mangle', 'PREROUTING').target!, s);
  assert.equal(s.mark, 0xf1);
  runXtTarget(rule('-j MARK --and-mark 0x0f', 'mangle', 'PREROUTING').target!, s);
  assert.equal(s.mark, 0x01);
  const marks = new Uint32Array(2);
  s.ct = 1;
  s.env = {
    addrType: () => RTN_UNICAST,
    random32: () => 0,
    conntrack: { status: [], mark: marks, expires: [], readTuple: (_e, _d, o) => o },
  };
  runXtTarget(rule('-j CONNMARK --save-mark', 'mangle', 'PREROUTING').target!, s);
  assert.equal(marks[1], 0x01);
  s.mark = 0;
  runXtTarget(
    rule('-j CONNMARK --restore-mark --nfmask 0xff --ctmask 0xff', 'mangle', 'PREROUTING').target!,
    s,
  );
  assert.equal(s.mark, 0x01);
});

test('rules: malformed extension options, each with its message', () => {
  const err = (text: string): string => {
    const r = loadRulesText(text, 'r');
    assert.ok(!r.ok, text);
    return `${r.diagnostics[0]!.column}: ${r.diagnostics[0]!.message}`;
  };
  assert.equal(
    err('iptables -A INPUT -m limit --limit 10001/sec'),
    '36: rate too fast "10001/sec" (at most 10000/second)',
  );
  assert.equal(
    err('iptables -A INPUT -m limit --limit 5/minutes'),
    '36: bad rate "5/minutes" (expected N/second, N/minute, N/hour or N/day)',
  );
  assert.equal(err('iptables -A INPUT -m ttl ! --ttl-lt 5'), '26: "!" cannot be used with "--ttl-lt"');
  assert.equal(
    err('iptables -A INPUT -m statistic --mode nth --every 3'),
    '43: option "--every" also requires "--packet"',
  );
  assert.equal(
    err('iptables -A INPUT -m mark --mark 0x100000000'),
    '34: mark "0x100000000" is out of range (0-4294967295)',
  );
  assert.equal(
    err('iptables -A OUTPUT -m mac --mac-source 00:11:22:33:44:55'),
    '23: match "mac" is not allowed in chain OUTPUT (the kernel allows it only in PREROUTING, INPUT, FORWARD)',
  );
  assert.equal(
    err('iptables -A INPUT -j NETMAP --to 10.0.0.0/24'),
    '22: target NETMAP is only valid in the nat table, not in table "filter"',
  );
  assert.equal(
    err('iptables -t nat -A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4:3000/100'),
    '63: a base port ("/100") needs a port range in --to-destination (min-max/base)',
  );
  assert.equal(
    err('iptables -A OUTPUT -m owner --uid-owner alice'),
    '41: unknown user name "alice" (natbox has no passwd file: give the number, e.g. 1000)',
  );
});
