// iptables commands to the model: the seed's two rules exactly, the common options, and the exact
// diagnostics for malformed input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadRules, loadRulesText } from '../../src/rules/load.ts';
import { formatDiagnostic } from '../../src/rules/diagnostics.ts';
import type { Rule, Ruleset } from '../../src/rules/iptables/model.ts';

const ip = (a: number, b: number, c: number, d: number): number =>
  ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
const noFlags = { random: false, randomFully: false, persistent: false };

function load(text: string, file = 'rules.txt'): Ruleset {
  const r = loadRulesText(text, file);
  assert.ok(r.ok, r.ok ? '' : r.diagnostics.map(formatDiagnostic).join('\n'));
  return r.ruleset;
}

function errors(text: string, file = 'rules.txt'): string[] {
  const r = loadRulesText(text, file);
  assert.equal(r.ok, false, `accepted: ${text}`);
  return r.ok ? [] : r.diagnostics.map(formatDiagnostic);
}

const rules = (rs: Ruleset, table: 'nat' | 'filter', chain: string): readonly Rule[] =>
  rs.tables.get(table)!.chains.get(chain)!.rules;

const SEED =
  'iptables -t nat -A PREROUTING -i br-lan -s 192.168.1.0/24 -d 82.120.11.22/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 192.168.1.200\n' +
  'iptables -t nat -A POSTROUTING -o br-lan -s 192.168.1.0/24 -d 192.168.1.200/32 -p tcp -m tcp --dport 80 -j SNAT --to-source 192.168.1.1\n';

test('rules: the seed DNAT rule parses into the exact model', () => {
  const rs = load(SEED, 'seed.sh');
  assert.deepEqual([...rs.tables.keys()], ['nat']);
  assert.deepEqual(rules(rs, 'nat', 'PREROUTING'), [
    {
      src: { value: { addr: ip(192, 168, 1, 0), mask: 0xffffff00 }, invert: false },
      dst: { value: { addr: ip(82, 120, 11, 22), mask: 0xffffffff }, invert: false },
      inIface: { value: { name: 'br-lan', wildcard: false }, invert: false },
      protocol: { value: 6, invert: false },
      matches: [{ module: 'tcp', dport: { value: { min: 80, max: 80 }, invert: false } }],
      target: {
        kind: 'DNAT',
        ranges: [
          {
            minAddr: ip(192, 168, 1, 200),
            maxAddr: ip(192, 168, 1, 200),
            minPort: 0,
            maxPort: 0,
            hasAddr: true,
            hasPorts: false,
          },
        ],
        flags: noFlags,
      },
      counters: { packets: 0, bytes: 0 },
      loc: { file: 'seed.sh', line: 1, column: 1 },
    },
  ]);
});

test('rules: the seed SNAT rule parses into the exact model', () => {
  const rs = load(SEED, 'seed.sh');
  assert.deepEqual(rules(rs, 'nat', 'POSTROUTING'), [
    {
      src: { value: { addr: ip(192, 168, 1, 0), mask: 0xffffff00 }, invert: false },
      dst: { value: { addr: ip(192, 168, 1, 200), mask: 0xffffffff }, invert: false },
      outIface: { value: { name: 'br-lan', wildcard: false }, invert: false },
      protocol: { value: 6, invert: false },
      matches: [{ module: 'tcp', dport: { value: { min: 80, max: 80 }, invert: false } }],
      target: {
        kind: 'SNAT',
        ranges: [
          {
            minAddr: ip(192, 168, 1, 1),
            maxAddr: ip(192, 168, 1, 1),
            minPort: 0,
            maxPort: 0,
            hasAddr: true,
            hasPorts: false,
          },
        ],
        flags: noFlags,
      },
      counters: { packets: 0, bytes: 0 },
      loc: { file: 'seed.sh', line: 2, column: 1 },
    },
  ]);
  const nat = rs.tables.get('nat')!;
  assert.deepEqual([...nat.chains.keys()], ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING']);
  assert.equal(nat.chains.get('INPUT')!.policy, 'ACCEPT');
});

test('rules: long options, prefixes, /sbin/iptables, sudo, iptables-nft and -w are read', () => {
  const rs = load(
    'sudo /sbin/iptables -w --table nat --append PREROUTING --in-interface eth+ --protocol udp --dp 53 --jump DNAT --to 192.0.2.53:5353\n' +
      'iptables-nft -t nat --insert POSTROUTING 1 ! --out-interface lo -j MASQUERADE --random-fully\n',
  );
  const [r] = rules(rs, 'nat', 'PREROUTING');
  assert.deepEqual(r!.inIface, { value: { name: 'eth', wildcard: true }, invert: false });
  assert.deepEqual(r!.matches, [{ module: 'udp', dport: { value: { min: 53, max: 53 }, invert: false } }]);
  assert.deepEqual(r!.target, {
    kind: 'DNAT',
    ranges: [
      {
        minAddr: ip(192, 0, 2, 53),
        maxAddr: ip(192, 0, 2, 53),
        minPort: 5353,
        maxPort: 5353,
        hasAddr: true,
        hasPorts: true,
      },
    ],
    flags: noFlags,
  });
  const [m] = rules(rs, 'nat', 'POSTROUTING');
  assert.deepEqual(m!.outIface, { value: { name: 'lo', wildcard: false }, invert: true });
  assert.deepEqual(m!.target, {
    kind: 'MASQUERADE',
    flags: { random: false, randomFully: true, persistent: false },
  });
});

test('rules: -s/-d comma lists expand to one rule per pair, sources outer', () => {
  const rs = load(
    'iptables -A INPUT -s 192.0.2.1,192.0.2.2 -d 198.51.100.0/255.255.255.0,203.0.113.9 -j ACCEPT',
  );
  const got = rules(rs, 'filter', 'INPUT').map((r) => [
    r.src!.value.addr,
    r.dst!.value.addr,
    r.dst!.value.mask,
  ]);
  assert.deepEqual(got, [
    [ip(192, 0, 2, 1), ip(198, 51, 100, 0), 0xffffff00],
    [ip(192, 0, 2, 1), ip(203, 0, 113, 9), 0xffffffff],
    [ip(192, 0, 2, 2), ip(198, 51, 100, 0), 0xffffff00],
    [ip(192, 0, 2, 2), ip(203, 0, 113, 9), 0xffffffff],
  ]);
});

test('rules: shell quoting and line continuations', () => {
  const rs = load(
    `iptables -A INPUT -m comment --comment 'it'"'"'s "quoted"' -j ACCEPT\n` +
      'iptables -A INPUT \\\n  -m comment --comment a\\ b \\\n  -j DROP\n',
  );
  const [a, b] = rules(rs, 'filter', 'INPUT');
  assert.deepEqual(a!.matches, [{ module: 'comment', comment: `it's "quoted"` }]);
  assert.deepEqual(b!.matches, [{ module: 'comment', comment: 'a b' }]);
  assert.deepEqual(b!.target, { kind: 'DROP' });
});

test('rules: -I, -D by spec and number, -R, -F, -N, -X, -E, -P, -Z', () => {
  const rs = load(
    [
      'iptables -A INPUT -s 192.0.2.1 -j ACCEPT',
      'iptables -A INPUT -s 192.0.2.2 -j ACCEPT',
      'iptables -I INPUT -s 192.0.2.3 -j ACCEPT',
      'iptables -I INPUT 2 -s 192.0.2.4 -j ACCEPT',
      'iptables -D INPUT -s 192.0.2.1/32 -j ACCEPT',
      'iptables -D INPUT 1',
      'iptables -R INPUT 2 -s 192.0.2.5 -j DROP',
      'iptables -N A',
      'iptables -N B',
      'iptables -A A -j RETURN',
      'iptables -A INPUT -j A',
      'iptables -E A C',
      'iptables -F B',
      'iptables -X B',
      'iptables -P FORWARD DROP',
      'iptables -Z',
    ].join('\n'),
  );
  const f = rs.tables.get('filter')!;
  assert.deepEqual([...f.chains.keys()], ['INPUT', 'FORWARD', 'OUTPUT', 'C']);
  const srcs = f.chains.get('INPUT')!.rules.map((r) => r.src?.value.addr);
  assert.deepEqual(srcs, [ip(192, 0, 2, 4), ip(192, 0, 2, 5), undefined]);
  assert.deepEqual(f.chains.get('INPUT')!.rules[2]!.target, { kind: 'jump', chain: 'C' });
  assert.equal(f.chains.get('FORWARD')!.policy, 'DROP');
});

test('rules: -L and -n are skipped with a warning', () => {
  const r = loadRulesText('iptables -t nat -L -n', 'x.sh');
  assert.ok(r.ok);
  assert.deepEqual(r.warnings.map(formatDiagnostic), ['x.sh:1:17: warning: "-L" changes nothing: skipped']);
});

test('rules: diagnostics name the token and what was expected', () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    [
      'iptables -t nat -A PREROUTING -p tcp --dprot 80 -j ACCEPT',
      'rules.txt:1:38: unknown option "--dprot" (did you mean "--dport"?)',
    ],
    ['iptables -A INPUT -s', 'rules.txt:1:19: option "-s" requires an argument'],
    [
      'iptables -t nat -A PREROUTING -j DNAT --to-destination',
      'rules.txt:1:39: option "--to-destination" requires an argument',
    ],
    [
      'iptables -A INPUT -s 192.0.2.300 -j ACCEPT',
      'rules.txt:1:22: bad address "192.0.2.300" for -s: "192.0.2.300" is not an IPv4 address (part 300 is over 255)',
    ],
    [
      'iptables -A INPUT -d 192.0.2.0/33 -j ACCEPT',
      'rules.txt:1:22: bad address "192.0.2.0/33" for -d: "192.0.2.0/33": prefix length 33 is over 32',
    ],
    [
      'iptables -A INPUT -p tcp --dport 2000:1000 -j ACCEPT',
      'rules.txt:1:34: invalid port range "2000:1000" (min > max)',
    ],
    [
      'iptables -A INPUT -p tcp --dport 70000 -j ACCEPT',
      'rules.txt:1:34: invalid port/service "70000" in "70000" (expected 0-65535 or a service name)',
    ],
    [
      'iptables -t nat -A PREROUTING -p tcp -j DNAT --to-destination 192.0.2.1:90-80',
      'rules.txt:1:63: bad port range "90-80" in --to-destination (min > max)',
    ],
    [
      'iptables -A NOPE -j ACCEPT',
      'rules.txt:1:13: unknown chain "NOPE" in table "filter" (create it with -N NOPE, or use one of INPUT, FORWARD, OUTPUT)',
    ],
    [
      'iptables -t nat -A prerouting -j ACCEPT',
      'rules.txt:1:20: unknown chain "prerouting" in table "nat" (did you mean "PREROUTING"?)',
    ],
    [
      'iptables -t nat -A POSTROUTING -j DNAT --to-destination 192.0.2.1',
      'rules.txt:1:35: target DNAT is not allowed in chain POSTROUTING (the kernel allows it only in PREROUTING and OUTPUT)',
    ],
    [
      'iptables -t nat -A PREROUTING -j MASQUERADE',
      'rules.txt:1:34: target MASQUERADE is not allowed in chain PREROUTING (the kernel allows it only in POSTROUTING)',
    ],
    [
      'iptables -A FORWARD -j SNAT --to-source 192.0.2.1',
      'rules.txt:1:24: target SNAT is only valid in the nat table, not in table "filter"',
    ],
    [
      'iptables -t nat -N X\niptables -t nat -A POSTROUTING -j X\niptables -t nat -A X -j REDIRECT',
      'rules.txt:3:25: target REDIRECT is not allowed in chain X: it is reached from POSTROUTING, and the kernel allows REDIRECT only in PREROUTING and OUTPUT',
    ],
    [
      'iptables -t nat -N X\niptables -t nat -A X -j DNAT --to-destination 192.0.2.1\niptables -t nat -A INPUT -j X',
      'rules.txt:3:29: jump to "X" from INPUT reaches DNAT (chain X, rule 1), which the kernel allows only in PREROUTING and OUTPUT, not from INPUT',
    ],
    [
      'iptables -A INPUT -m recent --name x -j ACCEPT',
      'rules.txt:1:22: unsupported match "recent" (natbox supports tcp, udp, icmp, comment, conntrack, state, multiport, addrtype, iprange, mark, connmark, mac, length, ttl, pkttype, tos, dscp, limit, statistic, physdev, owner, set, sctp, dccp, esp, ah, ecn, tcpmss, policy, rpfilter, u32, bpf)',
    ],
    [
      'iptables -A INPUT -j FOO',
      'rules.txt:1:22: unsupported target "FOO" (no such target, and no chain "FOO" in table "filter")',
    ],
    [
      'iptables -t mangle -A PREROUTING -j TPROXY --on-port 1',
      'rules.txt:1:37: unsupported target "TPROXY" (natbox does not evaluate it)',
    ],
    [
      'iptables -t raw -A PREROUTING -j CT --zone 1',
      'rules.txt:1:37: unsupported option "--zone" of CT (natbox does not evaluate it)',
    ],
    [
      'iptables -A INPUT --dport 80 -j ACCEPT',
      'rules.txt:1:19: unknown option "--dport" (it belongs to match "tcp": add "-m tcp" or "-p tcp" before it)',
    ],
    [
      'iptables -A INPUT -m tcp --dport 80 -j ACCEPT',
      'rules.txt:1:22: match "tcp" requires "-p tcp" before it',
    ],
    [
      'iptables -A INPUT -o eth0 -j ACCEPT',
      'rules.txt:1:19: -o cannot be used in INPUT (no output interface is known there)',
    ],
    [
      'iptables -t nat -A PREROUTING -j DROP',
      'rules.txt:1:34: the "nat" table is not intended for filtering: DROP is refused there (as iptables does)',
    ],
    [
      'iptables -t nat -A PREROUTING -j REDIRECT --to-ports 80',
      'rules.txt:1:54: REDIRECT --to-ports needs "-p tcp", "-p udp", "-p sctp" or "-p dccp"',
    ],
    [
      'iptables -t nut -A PREROUTING',
      'rules.txt:1:13: unknown table "nut" (expected raw, mangle, nat, filter, security) (did you mean "nat"?)',
    ],
    [
      'iptables -A INPUT -j ACCEPT $EXTRA',
      'rules.txt:1:29: unsupported shell syntax "$EXTRA": shell variables are not expanded (write one plain iptables command per line)',
    ],
    ["iptables -A INPUT -m comment --comment 'open", "rules.txt:1:40: unterminated quote '"],
    [
      'ip6tables -A INPUT -j ACCEPT',
      'rules.txt:1:1: unexpected command "ip6tables": ip6tables rules are IPv6; IPv6 is not simulated yet (natbox simulates IPv4)',
    ],
    [
      'iptables -A INPUT ! -s 192.0.2.1,192.0.2.2',
      'rules.txt:1:19: "!" cannot be used with several addresses in -s',
    ],
  ];
  for (const [text, want] of cases) assert.deepEqual(errors(text), [want], text);
});

test('rules: every error of a script is reported, and nothing is applied', () => {
  assert.deepEqual(errors('iptables -A INPUT -j ACCEPT\niptables -A INPUT -x -q\niptables -A NOPE'), [
    'rules.txt:2:22: unknown option "-q"',
    'rules.txt:3:13: unknown chain "NOPE" in table "filter" (create it with -N NOPE, or use one of INPUT, FORWARD, OUTPUT)',
  ]);
});

test('rules: lines embedded in another file carry their own columns', () => {
  const r = loadRules([
    { text: 'iptables -t nat -A PREROUTING -p tcp --dprot 80', file: 'scenario.yaml', line: 12, column: 9 },
  ]);
  assert.ok(!r.ok);
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), [
    'scenario.yaml:12:46: unknown option "--dprot" (did you mean "--dport"?)',
  ]);
  assert.equal(r.diagnostics[0]!.token, '--dprot');
});

test('rules: loadRules never changes its base and adds to it', () => {
  const base = load('iptables -A INPUT -j ACCEPT');
  const before = JSON.stringify([...base.tables.get('filter')!.chains.values()]);
  const ok = loadRulesText('iptables -A INPUT -j DROP', 'x', base);
  assert.ok(ok.ok);
  assert.equal(ok.ruleset.tables.get('filter')!.chains.get('INPUT')!.rules.length, 2);
  const bad = loadRulesText('iptables -A INPUT -j DROP\niptables -A NOPE', 'x', base);
  assert.ok(!bad.ok);
  assert.equal(JSON.stringify([...base.tables.get('filter')!.chains.values()]), before);
});

test('rules: match and target names that are Object.prototype keys are plain unknown names', () => {
  // They used to reach Object.prototype through the option tables and end in "internal error".
  const one = (line: string): string => errors(`iptables ${line}\n`)[0]!;
  assert.match(
    one('-A INPUT -m constructor -j ACCEPT'),
    /unsupported match "constructor" \(natbox supports tcp, udp/,
  );
  assert.match(one('-A INPUT -m toString -j ACCEPT'), /unsupported match "toString"/);
  assert.match(one('-A INPUT -j toString'), /unsupported target "toString" \(no such target, and no chain/);
  assert.match(one('-A INPUT -j hasOwnProperty'), /unsupported target "hasOwnProperty"/);
  assert.equal(load('iptables -N constructor\n').tables.get('filter')!.chains.has('constructor'), true);
});
