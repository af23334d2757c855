// The target extensions' save and -L forms where the reference host cannot show them (CLUSTERIP:
// no module in Linux 6.x; LED: no module; SECMARK: no SELinux; SET: no ipset tool), taken from
// libipt_CLUSTERIP.c, libxt_LED.c, libxt_SECMARK.c and libxt_SET.c (iptables 1.8.9); and the
// refusals, each with the message and the place (the kernel's own refusal of each was measured
// with iptables 1.8.9 on Linux 6.18: see the comment of each case). The forms the kernel can
// show are in corpus/ext-targets.sh (test/rules/kernel.test.ts compares them byte for byte).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadRulesText } from '../../src/rules/load.ts';
import { formatDiagnostic } from '../../src/rules/diagnostics.ts';
import { formatRule } from '../../src/rules/iptables/print-save.ts';
import { printTarget } from '../../src/rules/iptables/print-list.ts';

function forms(text: string, table = 'filter', chain = 'INPUT'): [string, string] {
  const r = loadRulesText(`iptables -t ${table} -A ${chain} ${text}`, 't');
  assert.ok(r.ok, r.ok ? '' : r.diagnostics.map((d) => d.message).join('\n'));
  const rule = r.ruleset.tables.get(table as 'filter')!.chains.get(chain)!.rules[0]!;
  return [formatRule(chain, rule), printTarget(rule.target!)];
}

function error(text: string): string {
  const r = loadRulesText(text, 'rules.txt');
  assert.ok(!r.ok, `accepted: ${text}`);
  return r.ok ? '' : formatDiagnostic(r.diagnostics[0]!);
}

test('CLUSTERIP, LED, SECMARK and SET print as their libxt files print them', () => {
  const cases: ReadonlyArray<readonly [string, string, string, string, string]> = [
    [
      '-d 10.0.0.1 -j CLUSTERIP --new --hashmode sourceip-sourceport --clustermac 01:00:5e:00:00:2a --total-nodes 2 --local-node 1 --hash-init 5',
      'filter',
      'INPUT',
      '-A INPUT -d 10.0.0.1/32 -j CLUSTERIP --new --hashmode sourceip-sourceport --clustermac 01:00:5E:00:00:2A --total-nodes 2 --local-node 1 --hash-init 5',
      ' CLUSTERIP hashmode=sourceip-sourceport clustermac=01:00:5E:00:00:2A total_nodes=2 local_node=1 hash_init=5',
    ],
    ['-d 10.0.0.1 -j CLUSTERIP', 'filter', 'INPUT', '-A INPUT -d 10.0.0.1/32 -j CLUSTERIP', ' CLUSTERIP'],
    [
      '-j LED --led-trigger-id foo',
      'filter',
      'INPUT',
      '-A INPUT -j LED --led-trigger-id "foo"',
      ' led-trigger-id:"foo" led-delay:0ms',
    ],
    [
      `-j LED --led-trigger-id 'a"b' --led-delay 100 --led-always-blink`,
      'filter',
      'INPUT',
      '-A INPUT -j LED --led-trigger-id "a\\"b" --led-delay 100 --led-always-blink',
      ' led-trigger-id:"a\\"b" led-delay:100ms led-always-blink',
    ],
    [
      '-j LED --led-trigger-id x --led-delay INFINITE',
      'filter',
      'INPUT',
      '-A INPUT -j LED --led-trigger-id "x" --led-delay inf',
      ' led-trigger-id:"x" led-delay:inf',
    ],
    [
      '-j SECMARK --selctx system_u:object_r:ssh_packet_t:s0',
      'security',
      'INPUT',
      '-A INPUT -j SECMARK --selctx system_u:object_r:ssh_packet_t:s0',
      ' SECMARK selctx system_u:object_r:ssh_packet_t:s0',
    ],
    ['-j SET --add-set foo src', 'filter', 'INPUT', '-A INPUT -j SET --add-set foo src', ' add-set foo src'],
    [
      '-j SET --del-set bar dst --add-set foo src,dst --timeout 60 --exist',
      'filter',
      'INPUT',
      '-A INPUT -j SET --add-set foo src,dst --exist --timeout 60 --del-set bar dst',
      ' add-set foo src,dst exist timeout 60 del-set bar dst',
    ],
    [
      '-j SET --map-set m dst,src --map-queue --map-mark',
      'filter',
      'INPUT',
      '-A INPUT -j SET --map-set m dst,src --map-mark --map-queue',
      ' map-set m dst,src map-mark map-queue',
    ],
  ];
  for (const [text, table, chain, save, list] of cases) {
    assert.deepEqual(forms(text, table, chain), [save, list], text);
  }
});

test('IDLETIMER keeps 27 characters of a label and saves it unquoted, as iptables does', () => {
  // Measured: `--label "a b"` saves as `--label a b`; 29 characters save as the first 27.
  assert.deepEqual(forms('-j IDLETIMER --timeout 5 --label "a b"'), [
    '-A INPUT -j IDLETIMER --timeout 5 --label a b',
    ' timeout:5 label:a b',
  ]);
  assert.equal(
    forms('-j IDLETIMER --timeout 5 --label 12345678901234567890123456789')[0],
    '-A INPUT -j IDLETIMER --timeout 5 --label 123456789012345678901234567',
  );
});

test('target refusals: the message, at the token (each refused by iptables 1.8.9 too)', () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    // iptables: AUDIT: option "--type" must be specified
    ['iptables -t mangle -A INPUT -j AUDIT', 'rules.txt:1:32: AUDIT: option "--type" must be specified'],
    // Bad action type value "rej"
    [
      'iptables -A INPUT -j AUDIT --type rej',
      'rules.txt:1:35: bad action type value "rej" (expected accept, drop or reject)',
    ],
    // RULE_APPEND failed (Invalid argument): xt_CHECKSUM is mangle only
    [
      'iptables -A INPUT -p udp -j CHECKSUM --checksum-fill',
      'rules.txt:1:29: target CHECKSUM is only valid in the mangle table, not in table "filter"',
    ],
    // Bad class value "1"
    [
      'iptables -t mangle -A POSTROUTING -j CLASSIFY --set-class 1',
      'rules.txt:1:59: bad class value "1" (expected MAJOR:MINOR in hex)',
    ],
    // RULE_APPEND failed (Invalid argument): CLASSIFY only in OUTPUT, FORWARD, POSTROUTING
    [
      'iptables -t mangle -A PREROUTING -j CLASSIFY --set-class 1:2',
      'rules.txt:1:37: target CLASSIFY is not allowed in chain PREROUTING (the kernel allows it only in OUTPUT, FORWARD and POSTROUTING)',
    ],
    // DSCP: bad value for option "--set-dscp", or out of range (0-63).
    [
      'iptables -t mangle -A INPUT -j DSCP --set-dscp 64',
      'rules.txt:1:48: DSCP value for --set-dscp "64" is out of range (0-63)',
    ],
    // RULE_APPEND failed (Invalid argument): ECN's TCP bits need -p tcp
    [
      'iptables -t mangle -A POSTROUTING -j ECN --ecn-tcp-remove',
      'rules.txt:1:42: ECN --ecn-tcp-remove/--ecn-tcp-cwr/--ecn-tcp-ece need "-p tcp"',
    ],
    // --hmark-rnd is mandatory
    [
      'iptables -t mangle -A INPUT -j HMARK --hmark-tuple src --hmark-mod 5',
      'rules.txt:1:32: HMARK: --hmark-rnd is mandatory',
    ],
    // HMARK: option "--hmark-src-prefix" can only be used once.
    [
      'iptables -t mangle -A INPUT -j HMARK --hmark-tuple src --hmark-src-prefix 24 --hmark-mod 5 --hmark-rnd 1',
      'rules.txt:1:56: HMARK: option "--hmark-src-prefix" can only be used once',
    ],
    // RULE_APPEND failed (Invalid argument): idletimer_tg_checkentry refuses timeout 0
    [
      'iptables -A INPUT -j IDLETIMER --timeout 0 --label a',
      'rules.txt:1:22: IDLETIMER --timeout must be 1-2147482 seconds (the kernel refuses other values)',
    ],
    // unknown option "--fail-open"
    ['iptables -A INPUT -j NFQUEUE --fail-open', 'rules.txt:1:30: unknown option "--fail-open"'],
    // 5 should be less than 2
    ['iptables -A INPUT -j NFQUEUE --queue-balance 5:2', 'rules.txt:1:46: 5 should be less than 2'],
    // NFQUEUE: option "--queue-cpu-fanout" also requires "--queue-balance".
    [
      'iptables -A INPUT -j NFQUEUE --queue-bypass --queue-cpu-fanout',
      'rules.txt:1:45: NFQUEUE: option "--queue-cpu-fanout" also requires "--queue-balance"',
    ],
    // NFQUEUE: option "--queue-num" cannot be used together with "--queue-balance".
    [
      'iptables -A INPUT -j NFQUEUE --queue-num 1 --queue-balance 2:3',
      'rules.txt:1:44: NFQUEUE: option "--queue-num" cannot be used together with "--queue-balance"',
    ],
    // RATEEST: ewmalog value is out of range
    [
      'iptables -t mangle -A INPUT -j RATEEST --rateest-name f --rateest-interval 4s --rateest-ewmalog 2s',
      'rules.txt:1:32: RATEEST: ewmalog value is out of range',
    ],
    // You must specify flags `--map-mark' or '--map-prio` or `--map-queue'
    [
      'iptables -A INPUT -j SET --map-set m src',
      'rules.txt:1:22: SET: you must specify flags "--map-mark" or "--map-prio" or "--map-queue"',
    ],
    // Option `--timeout' can be used with `--add-set' only
    [
      'iptables -A INPUT -j SET --del-set m src --timeout 5',
      'rules.txt:1:42: SET: option "--timeout" can be used with "--add-set" only',
    ],
    // RULE_APPEND failed (Invalid argument): SYNPROXY needs -p tcp, and only INPUT and FORWARD
    ['iptables -A INPUT -j SYNPROXY', 'rules.txt:1:22: target SYNPROXY needs "-p tcp"'],
    [
      'iptables -A OUTPUT -p tcp -j SYNPROXY',
      'rules.txt:1:30: target SYNPROXY is not allowed in chain OUTPUT (the kernel allows it only in INPUT and FORWARD)',
    ],
    // Option value may not be 0 or 1 / Option "mss" already specified / Bad TCP option value "MSS"
    [
      'iptables -t mangle -A POSTROUTING -p tcp -j TCPOPTSTRIP --strip-options 1',
      'rules.txt:1:73: TCP option value may not be 0 or 1',
    ],
    [
      'iptables -t mangle -A POSTROUTING -p tcp -j TCPOPTSTRIP --strip-options mss,mss',
      'rules.txt:1:73: option "mss" already specified',
    ],
    // TEE: option "--gateway" must be specified
    [
      'iptables -t mangle -A FORWARD -j TEE --oif eth0',
      'rules.txt:1:34: TEE: option "--gateway" must be specified',
    ],
    // Symbolic name "0x100" is unknown; TOS: option "--set-tos" cannot be used together with "--or-tos".
    [
      'iptables -t mangle -A INPUT -j TOS --set-tos 0x100',
      'rules.txt:1:46: TOS value "0x100" is out of range (0-255)',
    ],
    [
      'iptables -t mangle -A INPUT -j TOS --set-tos 0x10 --or-tos 1',
      'rules.txt:1:51: TOS: option "--set-tos" cannot be used together with "--or-tos"',
    ],
    // RULE_APPEND failed (Invalid argument): TPROXY in mangle PREROUTING only
    [
      'iptables -t mangle -A INPUT -p tcp -j TPROXY --on-port 1',
      'rules.txt:1:39: target TPROXY is not allowed in chain INPUT (the kernel allows it only in PREROUTING)',
    ],
    // TTL: bad value for option "--ttl-dec", or out of range (1-255).
    [
      'iptables -t mangle -A INPUT -j TTL --ttl-dec 0',
      'rules.txt:1:46: TTL: bad value for option "--ttl-dec" (1-255)',
    ],
    // RULE_APPEND failed (Invalid argument): TTL is mangle only
    [
      'iptables -A INPUT -j TTL --ttl-set 1',
      'rules.txt:1:22: target TTL is only valid in the mangle table, not in table "filter"',
    ],
    // Unknown event type "foo"
    [
      'iptables -t raw -A PREROUTING -j CT --ctevents foo',
      'rules.txt:1:48: unknown event type "foo" (expected new, related, destroy, reply, assured, protoinfo, helper, mark, natseqinfo, secmark)',
    ],
  ];
  for (const [text, want] of cases) assert.equal(error(text), want, text);
});
