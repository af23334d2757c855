// connlimit, connbytes, helper, quota, connlabel and string: the option lines the real iptables 1.8.9
// (nf_tables) refuses, either itself (exit 2) or through the kernel's checkentry (exit 4: connlabel
// bit 128, string's empty pattern, from > to, unknown or fsm algorithm). Each list entry was run with
// `iptables LINE` in a namespace on this project's reference machine (kernel 6.18), and this test runs
// them again there when it can; natbox must refuse every one with a diagnostic at its line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { loadRulesText } from '../../src/rules/load.ts';
import { formatDiagnostic } from '../../src/rules/diagnostics.ts';
import { printSave } from '../../src/rules/iptables/print-save.ts';

const REFUSED: readonly string[] = [
  '-A INPUT -m connlimit --connlimit-above 010 --connlimit-mask 08',
  '-A INPUT -m connlimit --connlimit-above 4294967296',
  '-A INPUT -m connlimit --connlimit-above -1',
  '-A INPUT -m connlimit --connlimit-above 3 --connlimit-upto 4',
  '-A INPUT -m connlimit --connlimit-above 3 --connlimit-saddr --connlimit-daddr',
  '-A INPUT -m connlimit --connlimit-mask 24',
  '-A INPUT -m connlimit --connlimit-above 3 --connlimit-above 4',
  '-A INPUT -m connlimit --connlimit-above 3 --connlimit-saddr --connlimit-saddr',
  '-A INPUT -m connlimit --connlimit-above 3 --connlimit-mask 24 --connlimit-mask 16',
  '-A INPUT -m connlimit --connlimit-above 3 ! --connlimit-mask 24',
  '-A INPUT -m connlimit --connlimit-above "3 "',
  '-A INPUT -m connlimit --connlimit-above ""',
  '-A INPUT -m connlimit --connlimit 3',
  '-A INPUT -m connlimit --connlimit-above 7 --connlimit-mask -1',
  '-A INPUT -m connlimit --connlimit-above 10 --connlimit-mask 24x',
  '-A INPUT -m connlimit --connlimit-above 11 --connlimit-mask ""',
  '-A INPUT -m connlimit --connlimit-above 14 --connlimit-mask 255.255.255.0/24',
  '-A INPUT -m connlimit --connlimit-above 17 --connlimit-mask 255.255.255.256',
  '-A INPUT -m connbytes --connbytes 20:10 --connbytes-dir both --connbytes-mode avgpkt',
  '-A INPUT -m connbytes --connbytes 18446744073709551616 --connbytes-dir both --connbytes-mode avgpkt',
  '-A INPUT -m connbytes --connbytes 10 --connbytes-dir both',
  '-A INPUT -m connbytes --connbytes 10 --connbytes-mode bytes',
  '-A INPUT -m connbytes --connbytes-dir both --connbytes-mode bytes',
  '-A INPUT -m connbytes --connbytes 10 --connbytes-dir Both --connbytes-mode bytes',
  '-A INPUT -m connbytes --connbytes 10 --connbytes-dir both --connbytes-mode byte',
  '-A INPUT -m connbytes --connbytes 10-20 --connbytes-dir both --connbytes-mode bytes',
  '-A INPUT -m connbytes --connbytes 10:20:30 --connbytes-dir both --connbytes-mode bytes',
  '-A INPUT -m connbytes --connbytes 10 --connbytes-dir both ! --connbytes-mode bytes',
  '-A INPUT -m connbytes --connbytes 10 --connbytes 11 --connbytes-dir both --connbytes-mode bytes',
  '-A INPUT -m connbytes --connbytes 10 --connbytes-dir both --connbytes-dir both --connbytes-mode bytes',
  '-A INPUT -m helper',
  '-A INPUT -m helper --helper ftp --helper tftp',
  '-A INPUT -m helper --he sip',
  '-A INPUT -m quota --quota 18446744073709551616',
  '-A INPUT -m quota --quota -5',
  '-A INPUT -m quota',
  '-A INPUT -m quota --quota 1 --quota 2',
  '-A INPUT -m connlabel --label 128',
  '-A INPUT -m connlabel --label foo',
  '-A INPUT -m connlabel --label ""',
  '-A INPUT -m connlabel --set',
  '-A INPUT -m connlabel --label 1 ! --set',
  '-A INPUT -m connlabel --label 1 --set --set',
  '-A INPUT -m connlabel --label 1 --label 2',
  '-A INPUT -m connlabel --l 3 --s',
  '-A INPUT -m connlabel --label -1',
  '-A INPUT -m connlabel --label 4294967295',
  '-A INPUT -m connlabel --label 2147483648',
  '-A INPUT -m string --hex-string "\\|a\\\\" --algo bm',
  '-A INPUT -m string --hex-string "|4|" --algo bm',
  '-A INPUT -m string --hex-string "|41" --algo bm',
  '-A INPUT -m string --hex-string "|4g|" --algo bm',
  '-A INPUT -m string --hex-string "" --algo bm',
  '-A INPUT -m string --hex-string "a\\\\" --algo bm',
  '-A INPUT -m string --hex-string "|41\\|" --algo bm',
  '-A INPUT -m string --string foo --algo fsm',
  '-A INPUT -m string --string foo --algo xyz',
  '-A INPUT -m string --string foo --algo abcdefghijklmnopq',
  '-A INPUT -m string --string foo',
  '-A INPUT -m string --algo bm',
  '-A INPUT -m string --string "" --algo bm',
  '-A INPUT -m string --string foo --hex-string "|41|" --algo bm',
  '-A INPUT -m string --string foo --algo bm --from 100 --to 10',
  '-A INPUT -m string --string foo --algo bm --from 65536',
  '-A INPUT -m string --string foo --algo bm --from 0x10 --to 010',
  '-A INPUT -m string --string foo --algo bm ! --from 1',
  '-A INPUT -m string --string foo --algo bm ! --icase',
  '-A INPUT -m string --string foo --algo bm --icase --icase',
  '-A INPUT -m string --str foo --al bm --fr 3 --t 9 --ic',
  '-A INPUT -m string --string 123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789 --algo bm',
  '-A INPUT -m string --hex-string "|41|" --hex-string "|42|" --algo bm',
  '-A INPUT -m string --string "x" --algo BM',
  '-A INPUT -m string --string x --algo bm --algo kmp',
  '-A INPUT -m string --hex-string "|" --algo bm',
  '-A INPUT -m string --hex-string "||" --algo bm',
];

test('connx: natbox refuses every option line iptables refuses', () => {
  for (const l of REFUSED) {
    const r = loadRulesText(`iptables ${l} -j ACCEPT\n`, 'refused.sh');
    assert.equal(r.ok, false, l);
    if (!r.ok) assert.match(formatDiagnostic(r.diagnostics[0]!), /^refused\.sh:1:\d+: /, l);
  }
});

const diag = (line: string): string => {
  const r = loadRulesText(`iptables ${line}\n`, 'r.sh');
  assert.equal(r.ok, false, line);
  return r.ok ? '' : formatDiagnostic(r.diagnostics[0]!);
};

test('connx: the diagnostics name the token and why', () => {
  assert.equal(
    diag('-A INPUT -m connlabel --label foo -j ACCEPT'),
    'r.sh:1:40: label "foo" not found or invalid value: there is no /etc/xtables/connlabel.conf, give the bit number (0-127)',
  );
  assert.equal(
    diag('-A INPUT -m connlimit --connlimit-above 3 --connlimit-upto 4'),
    'r.sh:1:52: "--connlimit-upto" cannot be used together with "--connlimit-above"',
  );
  assert.equal(
    diag('-A INPUT -m string --hex-string "|4g|" --algo bm'),
    'r.sh:1:42: invalid hex character "g" in --hex-string',
  );
  assert.equal(
    diag('-A INPUT -m string --string foo --algo bm --from 100 --to 10'),
    'r.sh:1:22: --from 100 is after --to 10 (the kernel refuses it: EINVAL)',
  );
  assert.equal(
    diag('-A INPUT -m connbytes --connbytes 10 --connbytes-dir both'),
    'r.sh:1:22: match "connbytes" needs "--connbytes-mode"',
  );
});

test('connx: values as libxtables reads them (base 0, blanks, masks, u64, swaps)', () => {
  const save = (line: string): string => {
    const r = loadRulesText(`iptables ${line}\n`, 'v.sh');
    assert.ok(r.ok, line);
    return r.ok
      ? printSave(r.ruleset)
          .split('\n')
          .find((x) => x.startsWith('-A'))!
      : '';
  };
  // Expected lines: iptables-save after the same command on the reference machine.
  assert.equal(
    save('-A INPUT -m connlimit --connlimit-above 015 --connlimit-mask 0xffffff00'),
    '-A INPUT -m connlimit --connlimit-above 13 --connlimit-mask 24 --connlimit-saddr',
  );
  assert.equal(
    save('-A INPUT -m connlimit ! --connlimit-upto 3 --connlimit-mask 255.255.255.254 --connlimit-daddr'),
    '-A INPUT -m connlimit --connlimit-above 3 --connlimit-mask 31 --connlimit-daddr',
  );
  assert.equal(
    save(
      '-A INPUT -m connbytes ! --connbytes 18446744073709551615 --connbytes-dir both --connbytes-mode bytes',
    ),
    '-A INPUT -m connbytes --connbytes 18446744073709551615 --connbytes-mode bytes --connbytes-dir both',
  );
  // iptables prints 0:0 as "0" (print_from_to leaves out a TO of 0), which reads back as 0:2^64-1:
  // the save form is lossy in iptables itself, so the corpus (whose lines must read back the same)
  // cannot hold it.
  assert.equal(
    save('-A INPUT -m connbytes --connbytes 0:0 --connbytes-dir both --connbytes-mode avgpkt'),
    '-A INPUT -m connbytes --connbytes 0 --connbytes-mode avgpkt --connbytes-dir both',
  );
  assert.equal(
    save('-A INPUT -m string --hex-string "|41||42|" --algo bm'),
    '-A INPUT -m string --string "A|42" --algo bm',
  );
});

function why(): string | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return 'needs root on Linux';
  const ipt = spawnSync('iptables', ['--version'], { encoding: 'utf8' });
  if (ipt.error || !/nf_tables/.test(ipt.stdout)) return 'needs iptables-nft';
  if (spawnSync('ip', ['netns', 'list']).status !== 0) return 'needs ip netns';
  return undefined;
}

test('connx: the kernel refuses them too', why() ? { skip: why() } : {}, () => {
  const ns = `nbx-connx-${process.pid}`;
  assert.equal(spawnSync('ip', ['netns', 'add', ns]).status, 0);
  try {
    for (const l of REFUSED) {
      const r = spawnSync('ip', ['netns', 'exec', ns, 'sh', '-c', `iptables ${l} -j ACCEPT`], {
        encoding: 'utf8',
      });
      assert.notEqual(r.status, 0, `the kernel took: ${l}`);
    }
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
});
