// The protocol-header matches and -p numbers (issue 13): how `-p NUMBER` loads the protocol's
// match, and the sctp, dccp, esp, ah, ecn, tcpmss, policy, rpfilter, u32 and bpf matches read
// and printed. Expected save texts, -L texts and refusals are the real iptables 1.8.9 (nf_tables)
// output for the same commands, run in a throwaway network namespace (see also
// corpus/ext-headers.sh, compared byte for byte by kernel.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadRulesText } from '../../src/rules/load.ts';
import { formatDiagnostic } from '../../src/rules/diagnostics.ts';
import { printSave } from '../../src/rules/iptables/print-save.ts';
import { printMatch } from '../../src/rules/iptables/print-list.ts';

function saved(cmd: string): string {
  const r = loadRulesText(`${cmd}\n`, 'rules.sh');
  assert.ok(r.ok, r.ok ? '' : r.diagnostics.map(formatDiagnostic).join('\n'));
  return printSave(r.ruleset)
    .split('\n')
    .filter((l) => l.startsWith('-A'))
    .join('\n');
}

function refused(cmd: string): string {
  const r = loadRulesText(`${cmd}\n`, 'rules.sh');
  assert.equal(r.ok, false, `accepted: ${cmd}`);
  return r.ok ? '' : formatDiagnostic(r.diagnostics[0]!);
}

test('-p NUMBER loads the match of the protocol name (find_proto in xshared.c)', () => {
  assert.equal(saved('iptables -A INPUT -p 17 --dport 4789'), '-A INPUT -p udp -m udp --dport 4789');
  assert.equal(saved('iptables -A INPUT -p 0x11 --dport 53'), '-A INPUT -p udp -m udp --dport 53');
  assert.equal(
    saved('iptables -A INPUT -p 6 --syn'),
    '-A INPUT -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN',
  );
  // The inversion does not stop the load (nf_tables accepts the rule).
  assert.equal(saved('iptables -A INPUT ! -p 17 --dport 53'), '-A INPUT ! -p udp -m udp --dport 53');
  assert.equal(saved('iptables -A INPUT --proto udp --dport 6'), '-A INPUT -p udp -m udp --dport 6');
  // 0017 is octal (15, "xnet" has no match): nothing is loaded.
  assert.equal(saved('iptables -A INPUT -p 0017'), '-A INPUT -p 15');
  assert.match(refused('iptables -A INPUT -p 017 --dport 7'), /unknown option "--dport"/);
  // iptables reads the protocol from argv[optind - 1]: an attached argument is not a protocol.
  assert.equal(
    refused('iptables -A INPUT -pudp --dport 6'),
    'rules.sh:1:19: unknown protocol "-pudp" (expected a name such as tcp, udp, icmp or a number 0-255)',
  );
  assert.match(refused('iptables -A INPUT --protocol=udp'), /unknown protocol "--protocol=udp"/);
});

test('sctp ports as xtables_parse_port(.., "sctp") reads them; policy --proto names as getprotobyname', () => {
  // Kernel: 0x10 is 16 and 010 is 8; "http" has no sctp service and is refused.
  assert.equal(saved('iptables -A INPUT -p sctp --dport 0x10'), '-A INPUT -p sctp -m sctp --dport 16');
  assert.equal(saved('iptables -A INPUT -p sctp --sport 010:'), '-A INPUT -p sctp -m sctp --sport 8:65535');
  assert.match(refused('iptables -A INPUT -p sctp --dport http'), /invalid port\/service "http"/);
  assert.equal(
    saved('iptables -A INPUT -m policy --dir in --pol ipsec --proto IPSEC-ESP'),
    '-A INPUT -m policy --dir in --pol ipsec --proto esp',
  );
  assert.match(
    refused('iptables -A INPUT -m policy --dir in --proto ipsec-esp'),
    /unknown protocol "ipsec-esp"/,
  );
  assert.equal(saved('iptables -A INPUT -p esp --espspi " 5"'), '-A INPUT -p esp -m esp --espspi 5');
});

test('refusals of the header matches, where iptables 1.8.9 or the kernel refuses', () => {
  assert.match(refused('iptables -A INPUT -m sctp --dport 5'), /match "sctp" is only valid with "-p sctp"/);
  assert.match(refused('iptables -A INPUT ! -p esp -m esp --espspi 5'), /only valid with "-p esp"/);
  assert.match(refused('iptables -A INPUT -p sctp --chunk-types any FOO'), /unknown SCTP chunk "FOO"/);
  assert.match(refused('iptables -A INPUT -p sctp --chunk-types any DATA:x'), /invalid flag "x"/);
  assert.match(refused('iptables -A INPUT -p sctp --chunk-types some DATA'), /bad SCTP chunk match type/);
  assert.match(refused('iptables -A INPUT -p sctp --chunk-types any -j ACCEPT'), /requires two arguments/);
  assert.match(refused('iptables -A INPUT -p dccp --dccp-option 0'), /out of range \(1-255\)/);
  assert.match(refused('iptables -A INPUT -p tcp -m tcpmss --mss 1400:1'), /invalid range/);
  assert.match(refused('iptables -A INPUT -p tcp -m tcpmss'), /needs "--mss"/);
  assert.match(refused('iptables -A INPUT -m ecn --ecn-tcp-cwr'), /only valid with "-p tcp"/);
  assert.match(refused('iptables -A INPUT -m ecn'), /needs an option/);
  assert.match(refused('iptables -A INPUT -m policy --dir out --pol none'), /not allowed in chain INPUT/);
  assert.match(refused('iptables -A INPUT -m policy --dir in --next'), /"--next" also requires "--strict"/);
  assert.match(refused('iptables -A INPUT -m rpfilter'), /only valid in the raw and mangle tables/);
  assert.match(
    refused('iptables -A INPUT -m u32 --u32 "0<1=1"'),
    /u32: at char 2: a second '<' was expected/,
  );
  assert.match(
    refused('iptables -A INPUT -m bpf --bytecode "1,7 0 0 0"'),
    /last instruction is not a return/,
  );
  assert.match(
    refused('iptables -A INPUT -m bpf --bytecode "2,96 0 0 1,22 0 0 0"'),
    /read before it is written/,
  );
});

test('sctp flags on I_DATA and later chunks are kept under the name index and not saved (libxt_sctp.c)', () => {
  // iptables-save of this rule (1.8.9) prints "any I_DATA": the flag test is stored for "chunk
  // type" 15 (the name's index) and print_chunk_flags looks for type 64.
  assert.equal(
    saved('iptables -A INPUT -p sctp --chunk-types any I_DATA:I'),
    '-A INPUT -p sctp -m sctp --chunk-types any I_DATA',
  );
});

test('esp/ah save nothing for the whole SPI range, even inverted (esp_save), but -L shows it', () => {
  assert.equal(saved('iptables -A INPUT -p esp ! --espspi 0:4294967295'), '-A INPUT -p esp -m esp');
  const r = loadRulesText('iptables -A INPUT -p ah ! --ahspi 0:4294967295\n', 'rules.sh');
  assert.ok(r.ok);
  const m = r.ruleset.tables.get('filter')!.chains.get('INPUT')!.rules[0]!.matches[0]!;
  assert.equal(printMatch(m), ' ah spis:!0:4294967295');
});
