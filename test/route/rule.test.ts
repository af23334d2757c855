// `ip rule`: the parser reads `ip rule add` arguments and RuleList keeps them as the kernel does
// (automatic priority, insertion after equal priorities); the printer prints `ip rule show`.
// Origin of the expected text: these exact commands run with iproute2 6.1.0 on Linux
// 6.18.44 in a throwaway network namespace (2026-12-01), `ip rule show` output copied verbatim.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRule, parseRule, RuleList } from '../../src/route/rule.ts';

const COMMANDS = [
  'from 10.0.1.11 lookup 100',
  'fwmark 0x2 lookup 200 pref 1000',
  'not fwmark 51820 table 51820',
  'table main suppress_prefixlength 0',
  'from 192.168.0.0/16 to 10.0.0.0/8 tos 0x10 lookup main',
  'iif d0 oif lo lookup 5',
  'ipproto tcp dport 80-90 sport 1000 lookup default',
  'fwmark 0x10/0xff prohibit',
  'priority 20 goto 1000',
  'from all blackhole',
  'to 1.2.3.4 unreachable',
  'ipproto udp lookup 7',
  'from 0/8 lookup 3',
  'fwmark 0 lookup 9',
  'pref 0 lookup 11',
  'ipproto 47 lookup 12',
  'goto 32766',
  'from 10.0.0.0/8 nop',
  'tos 4 lookup 13',
  'lookup 14 suppress_ifgroup 3',
  'priority 32767 lookup 15',
  'fwmark 0xffffffff/0xffffffff lookup 17',
];

// `ip rule show` after the commands above (one, `iif nosuch lookup 16`, left out: the kernel
// prints it `[detached]`, a device natbox has no notion of).
const SHOWN = `0:\tfrom all lookup local
0:\tfrom all lookup 11
0:\tfrom all ipproto gre lookup 12
0:\tfrom all goto 32766
0:\tfrom 10.0.0.0/8 nop
0:\tfrom all tos 0x04 lookup 13
0:\tfrom all lookup 14 suppress_ifgroup 3
0:\tfrom all fwmark 0xffffffff lookup 17
15:\tfrom all lookup 9
16:\tfrom 0.0.0.0/8 lookup 3
17:\tfrom all ipproto udp lookup 7
18:\tfrom all to 1.2.3.4 unreachable
19:\tfrom all blackhole
20:\tfrom all goto 1000
994:\tfrom all fwmark 0x10/0xff prohibit
995:\tfrom all ipproto tcp sport 1000 dport 80-90 lookup default
996:\tfrom all iif d0 oif lo lookup 5
997:\tfrom 192.168.0.0/16 to 10.0.0.0/8 tos 0x10 lookup main
998:\tfrom all lookup main suppress_prefixlength 0
999:\tnot from all fwmark 0xca6c lookup 51820
1000:\tfrom all fwmark 0x2 lookup 200
32765:\tfrom 10.0.1.11 lookup 100
32766:\tfrom all lookup main
32767:\tfrom all lookup default
32767:\tfrom all lookup 15`;

test('ip rule add then ip rule show: order, automatic priorities and text as iproute2 6.1 on Linux 6.18', () => {
  const list = new RuleList();
  for (const c of COMMANDS) {
    const p = parseRule(c);
    assert.ok(p.ok, `${c}: ${JSON.stringify(p)}`);
    assert.equal(list.add(p.value), undefined, c);
  }
  assert.deepEqual(list.format(), SHOWN.split('\n'));
});

test('ip rule: the default rules, and formatRule of one rule', () => {
  assert.deepEqual(new RuleList().format(), [
    '0:\tfrom all lookup local',
    '32766:\tfrom all lookup main',
    '32767:\tfrom all lookup default',
  ]);
  const p = parseRule('ip rule add fwmark 0x2 lookup 200 pref 1000');
  assert.ok(p.ok);
  assert.equal(formatRule({ ...p.value, pref: 1000 }), '1000:\tfrom all fwmark 0x2 lookup 200');
});

test('ip rule: refusals name the word (a backward goto as the kernel: "Backward goto not supported.")', () => {
  const bad = (text: string): { offset: number; token: string; message: string } => {
    const p = parseRule(text);
    assert.ok(!p.ok, text);
    return p.error;
  };
  assert.match(bad('to 10.0.0.0/8 priority 5 goto 3').message, /Backward goto not supported/);
  assert.deepEqual((({ offset, token }) => ({ offset, token }))(bad('fwmark 0x2 lookup nosuchtable')), {
    offset: 18,
    token: 'nosuchtable',
  });
  assert.equal(bad('from 10.0.0.0/8').token, '');
  assert.match(bad('from 10.0.0.0/8').message, /needs an action/);
  assert.equal(bad('fwmark 0x2 frobnicate 3 lookup 5').token, 'frobnicate');
  assert.equal(bad('dport 90-80 lookup 5').token, '90-80');
  const list = new RuleList();
  const g = parseRule('goto 32766');
  assert.ok(g.ok);
  list.add({ ...g.value, pref: 40000 });
  assert.equal(list.rules.at(-1)!.pref, 32767); // refused: nothing added
});
