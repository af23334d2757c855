// Property: for generated rulesets (tables of every family, base and regular chains, rules made of
// the statements real rulesets use, named sets), print → parse → print is a fixed point.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseNft, printNft } from '../../../src/rules/nft/index.ts';
import { formatDiagnostic } from '../../../src/rules/diagnostics.ts';
import { lines } from './fixtures.ts';

const ip4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
const port = fc.integer({ min: 1, max: 65535 });
const matchStmt = fc.oneof(
  ip4.map((a) => `ip saddr ${a}`),
  fc.tuple(ip4, fc.integer({ min: 8, max: 32 })).map(([a, l]) => `ip daddr != ${a}/${l}`),
  port.map((p) => `tcp dport ${p}`),
  fc.tuple(port, port).map(([a, b]) => `udp sport ${Math.min(a, b)}-${Math.max(a, b)}`),
  fc.uniqueArray(port, { minLength: 2, maxLength: 6 }).map((ps) => `tcp dport { ${ps.join(', ')} }`),
  fc.constantFrom(
    'ct state established,related',
    'ct state { established, related }',
    'ct state invalid',
    'iifname "eth0"',
    'oifname != "lo"',
    'meta l4proto tcp',
    'meta mark 0x10',
    'meta mark & 0xff == 0x1',
    'tcp flags syn / fin,syn,rst,ack',
    'icmp type echo-request',
    'fib daddr type local',
    'ct status dnat',
    'ip protocol udp',
  ),
);
const finalStmt = fc.constantFrom(
  'accept',
  'drop',
  'counter packets 0 bytes 0 accept',
  'jump other',
  'return',
  'log prefix "x " level info',
  'limit rate 10/second accept',
  'reject',
  'meta mark set 0x1',
  'notrack',
  'quota 10 mbytes',
);
const natStmt = fc.oneof(
  // An ip match before each address: an inet table wants the family fixed (nft 1.0.6: "ip or ip6
  // must be specified with address for inet tables.").
  fc.tuple(ip4, port).map(([a, p]) => `ip daddr 10.0.0.1 tcp dport 80 dnat to ${a}:${p}`),
  ip4.map((a) => `ip saddr 10.0.0.0/8 snat to ${a}`),
  fc.constant('masquerade'),
  fc.constant('masquerade random,persistent'),
);
/** The transport protocol a match names (nft refuses two in a rule: "conflicting protocols"). */
const l4Of = (m: string): string | undefined =>
  /^(tcp|udp|icmp) /.exec(m)?.[1] ?? /^(?:meta l4proto|ip protocol) (\w+)$/.exec(m)?.[1];
const rule = fc
  .tuple(fc.array(matchStmt, { maxLength: 3 }), finalStmt)
  .filter(([m]) => new Set(m.map(l4Of).filter((x) => x !== undefined)).size <= 1)
  .map(([m, f]) => [...m, f].join(' '));

const ruleset = fc
  .tuple(
    fc.constantFrom('ip', 'inet'),
    fc.array(rule, { maxLength: 6 }),
    fc.array(natStmt, { maxLength: 3 }),
    fc.uniqueArray(ip4, { maxLength: 5 }),
    fc.integer({ min: -200, max: 200 }),
  )
  .map(
    ([fam, rules, nats, elems, prio]) =>
      `table ${fam} t {\n` +
      `\tset s {\n\t\ttype ipv4_addr\n${elems.length ? `\t\telements = { ${elems.join(', ')} }\n` : ''}\t}\n\n` +
      `\tchain input {\n\t\ttype filter hook input priority ${prio}; policy drop;\n${rules.map((r) => `\t\t${r}\n`).join('')}\t\tip saddr @s accept\n\t}\n\n` +
      `\tchain other {\n\t\taccept\n\t}\n\n` +
      `\tchain post {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n${nats.map((r) => `\t\t${r}\n`).join('')}\t}\n}\n`,
  );

test('nft: print(parse(print(parse(x)))) = print(parse(x)) for generated rulesets', () => {
  fc.assert(
    fc.property(ruleset, (text) => {
      const a = parseNft(lines(text, 'gen.nft'));
      assert.ok(a.ok, a.ok ? '' : `${a.diagnostics.map(formatDiagnostic).join('\n')}\n${text}`);
      const p1 = printNft(a.ruleset, { handles: true });
      const b = parseNft(lines(p1, 'printed.nft'));
      assert.ok(b.ok, b.ok ? '' : `${b.diagnostics.map(formatDiagnostic).join('\n')}\n${p1}`);
      assert.equal(printNft(b.ruleset, { handles: true }), p1);
    }),
    { numRuns: 200 },
  );
});
