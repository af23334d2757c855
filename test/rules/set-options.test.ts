// -m set's revision 3/4 options (libxt_set.c set_parse_v3, set_print_v3_matchinfo): read, saved
// and listed as iptables 1.8.9 (nf_tables) does. Expected texts: the real `iptables-save` and
// `iptables -t mangle -L -n -v` in a fresh namespace here (ipset create s hash:ip, then
// iptables-restore of the rules below, 2026-12-02); the refusals are iptables-restore's and
// iptables' own messages for the same lines. Rules testing the entries' counters are read and
// printed but refused by the engine (natbox's sets keep no counters).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadRulesText } from '../../src/rules/load.ts';
import { formatRule } from '../../src/rules/iptables/print-save.ts';
import { printMatch } from '../../src/rules/iptables/print-list.ts';
import { checkMatch } from '../../src/netfilter/xtables/match.ts';
import type { Rule } from '../../src/rules/iptables/model.ts';
import { IpSetMatcher } from '../../src/netfilter/xtables/set.ts';

function rule(text: string): Rule {
  const r = loadRulesText(`iptables -t mangle -A FORWARD ${text}`, 't');
  assert.ok(r.ok, r.ok ? '' : r.diagnostics.map((d) => d.message).join('\n'));
  return r.ruleset.tables.get('mangle')!.chains.get('FORWARD')!.rules[0]!;
}

const CASES: [string, string, string][] = [
  [
    '-m set --match-set s src ! --update-counters --packets-gt 3 --return-nomatch -j ACCEPT',
    '-A FORWARD -m set --match-set s src --return-nomatch ! --update-counters --packets-gt 3 -j ACCEPT',
    ' match-set s src return-nomatch ! update-counters packets-gt 3',
  ],
  [
    '-m set --match-set s src ! --update-subcounters --bytes-lt 0x100 -j ACCEPT',
    '-A FORWARD -m set --match-set s src ! --update-subcounters --bytes-lt 256 -j ACCEPT',
    ' match-set s src ! update-subcounters bytes-lt 256',
  ],
  [
    '-m set ! --match-set s dst,src ! --packets-eq 010 ! --bytes-eq 18446744073709551615 --update-counters -j ACCEPT',
    '-A FORWARD -m set ! --match-set s dst,src ! --packets-eq 8 ! --bytes-eq 18446744073709551615 -j ACCEPT',
    ' ! match-set s dst,src ! packets-eq 8 ! bytes-eq 18446744073709551615',
  ],
];

test('-m set options: saved and listed as iptables 1.8.9 does (fixed order, base-0 numbers)', () => {
  for (const [input, saved, listed] of CASES) {
    const r = rule(input);
    assert.equal(formatRule('FORWARD', r), saved);
    assert.equal(r.matches.map((m) => printMatch(m)).join(''), listed);
  }
});

test('-m set options: what iptables refuses, natbox refuses with its words', () => {
  const refused = (text: string): string => {
    const r = loadRulesText(`iptables -t mangle -A FORWARD ${text}`, 't');
    assert.ok(!r.ok, `accepted: ${text}`);
    return r.diagnostics.map((d) => d.message).join('\n');
  };
  assert.match(
    refused('-m set --match-set s src --packets-lt 3 --packets-gt 3'),
    /only one of the --packets-\[eq\|lt\|gt\] is allowed/,
  );
  assert.match(
    refused('-m set --match-set s src ! --return-nomatch'),
    /--return-nomatch flag cannot be inverted/,
  );
  assert.match(refused('-m set --match-set s src --packets-gt 0x'), /Cannot parse 0x as a counter value/);
  assert.match(refused('-m set --match-set s src ! --bytes-gt 1'), /--bytes-gt option cannot be inverted/);
  assert.match(refused('-m set --match-set s src --bytes-eq 18446744073709551616'), /Cannot parse/);
});

test('-m set: counter tests are refused by the engine by name, the other options evaluate', () => {
  const caps = { env: true };
  assert.match(
    checkMatch(rule('-m set --match-set s src --packets-gt 3').matches[0]!, caps) ?? '',
    /--packets-\* is read and printed but natbox cannot simulate it/,
  );
  assert.equal(
    checkMatch(rule('-m set --match-set s src --return-nomatch ! --update-counters').matches[0]!, caps),
    undefined,
  );
});

test('a nomatch entry is refused, not read as an ordinary entry (it would turn matches into misses)', () => {
  const s = new IpSetMatcher('s', 'hash:net');
  assert.match(s.add('192.0.2.0/24', ['nomatch']) ?? '', /"nomatch" on "192\.0\.2\.0\/24" is not simulated/);
  assert.equal(s.add('192.0.2.0/24'), undefined);
});
