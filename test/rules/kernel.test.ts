// The oracle test: each corpus file is loaded into a fresh network namespace with the real
// iptables (commands through sh, restore files through iptables-restore), and `iptables-save`
// there must equal natbox's printSave() byte for byte (without the `#` comment lines). Skips with
// the reason when not root or when ip netns / iptables are missing. Never touches the root
// namespace's rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadRulesText } from '../../src/rules/load.ts';
import { printSave } from '../../src/rules/iptables/print-save.ts';
import { formatDiagnostic } from '../../src/rules/diagnostics.ts';
import { listText } from '../../src/cli/rules.ts';

const corpus = join(import.meta.dirname, 'corpus');

function why(): string | undefined {
  if (process.platform !== 'linux') return 'kernel test: needs Linux';
  if (process.getuid?.() !== 0) return 'kernel test: needs root (ip netns add)';
  const ip = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (ip.error || ip.status !== 0) return 'kernel test: "ip netns" is not available (install iproute2)';
  const ipt = spawnSync('iptables-save', ['--version'], { encoding: 'utf8' });
  if (ipt.error || ipt.status !== 0)
    return 'kernel test: iptables is not installed (apt-get install iptables)';
  if (!/nf_tables/.test(ipt.stdout + ipt.stderr))
    return 'kernel test: expects iptables-nft (1.8.x, nf_tables)';
  return undefined;
}
const skip = why();
let n = 0;

function run(args: string[], input?: string): string {
  const r = spawnSync(args[0]!, args.slice(1), {
    encoding: 'utf8',
    ...(input !== undefined ? { input } : {}),
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** Runs `body` with a fresh namespace, deleted afterwards whatever happens. */
function withNetns<T>(body: (ns: string) => T): T {
  const ns = `nbx-rules-${process.pid}-${n++}`;
  run(['ip', 'netns', 'add', ns]);
  try {
    return body(ns);
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
}

const kernelSave = (ns: string): string =>
  run(['ip', 'netns', 'exec', ns, 'iptables-save'])
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n');

for (const name of readdirSync(corpus).sort()) {
  const path = join(corpus, name);
  test(`kernel: iptables-save of corpus/${name} = printSave`, skip ? { skip } : {}, () => {
    const text = readFileSync(path, 'utf8');
    const ours = loadRulesText(text, name);
    assert.ok(ours.ok, ours.ok ? '' : ours.diagnostics.map(formatDiagnostic).join('\n'));
    const theirs = withNetns((ns) => {
      if (name.endsWith('.sh')) run(['ip', 'netns', 'exec', ns, 'sh', '-e', path]);
      else run(['ip', 'netns', 'exec', ns, 'iptables-restore'], text);
      return kernelSave(ns);
    });
    assert.equal(printSave(ours.ruleset), theirs);
  });
}

/** `## table NAME` and `iptables -t NAME -L -n -v --line-numbers` for each table save shows. */
const kernelList = (ns: string): string => {
  const tables = [...run(['ip', 'netns', 'exec', ns, 'iptables-save']).matchAll(/^\*(\w+)$/gm)].map(
    (m) => m[1]!,
  );
  return tables
    .map(
      (t) =>
        `## table ${t}\n${run(['ip', 'netns', 'exec', ns, 'iptables', '-t', t, '-L', '-n', '-v', '--line-numbers'])}`,
    )
    .join('');
};

for (const name of readdirSync(corpus).sort()) {
  const path = join(corpus, name);
  test(
    `kernel: iptables -L -n -v --line-numbers of corpus/${name} = natbox rules list`,
    skip ? { skip } : {},
    () => {
      const text = readFileSync(path, 'utf8');
      const ours = loadRulesText(text, name);
      assert.ok(ours.ok, ours.ok ? '' : ours.diagnostics.map(formatDiagnostic).join('\n'));
      const theirs = withNetns((ns) => {
        if (name.endsWith('.sh')) run(['ip', 'netns', 'exec', ns, 'sh', '-e', path]);
        else run(['ip', 'netns', 'exec', ns, 'iptables-restore'], text);
        return kernelList(ns);
      });
      assert.equal(listText(ours.ruleset), theirs);
    },
  );
}

// Rules both the kernel (or iptables) and natbox refuse.
const refused: ReadonlyArray<readonly [string, string]> = [
  ['nat-POSTROUTING-DNAT', 'iptables -t nat -A POSTROUTING -j DNAT --to-destination 192.0.2.1'],
  ['nat-PREROUTING-SNAT', 'iptables -t nat -A PREROUTING -j SNAT --to-source 192.0.2.1'],
  ['nat-INPUT-MASQUERADE', 'iptables -t nat -A INPUT -j MASQUERADE'],
  ['filter-INPUT-DNAT', 'iptables -A INPUT -j DNAT --to-destination 192.0.2.1'],
  ['nat-DROP', 'iptables -t nat -A PREROUTING -j DROP'],
  ['filter-INPUT-REJECT-tcp-reset-no-proto', 'iptables -A INPUT -j REJECT --reject-with tcp-reset'],
  [
    'nat-user-chain-DNAT-from-POSTROUTING',
    'iptables -t nat -N X\niptables -t nat -A X -j DNAT --to-destination 192.0.2.1\niptables -t nat -A POSTROUTING -j X',
  ],
  // The hooks reaching a chain grow with each jump added after its rules (natbox extends them in
  // place instead of walking the table again): B is reached from POSTROUTING only through A.
  [
    'nat-DNAT-reached-from-POSTROUTING-through-two-later-jumps',
    'iptables -t nat -N A\niptables -t nat -N B\niptables -t nat -A POSTROUTING -j A\niptables -t nat -A A -j B\niptables -t nat -A B -j DNAT --to-destination 192.0.2.1',
  ],
  [
    'nat-DNAT-reached-from-POSTROUTING-after-a-rename',
    'iptables -t nat -N A\niptables -t nat -N B\niptables -t nat -A A -j B\niptables -t nat -E A C\niptables -t nat -A POSTROUTING -j C\niptables -t nat -A B -j DNAT --to-destination 192.0.2.1',
  ],
  // nf_tables takes at most 128 expressions in a rule (ENOSPC): counter, target, 127 comments.
  ['filter-INPUT-127-comments', `iptables -A INPUT${' -m comment --comment x'.repeat(127)} -j ACCEPT`],
  ['filter-PREROUTING-REJECT', 'iptables -t mangle -A PREROUTING -j REJECT'],
  ['tcp-match-without-p', 'iptables -A INPUT -m tcp --dport 80 -j ACCEPT'],
  ['icmp-match-without-p', 'iptables -A INPUT -m icmp --icmp-type 8 -j ACCEPT'],
  ['o-in-INPUT', 'iptables -A INPUT -o eth0 -j ACCEPT'],
  ['port-range-reversed', 'iptables -A INPUT -p tcp --dport 2000:1000 -j ACCEPT'],
  ['redirect-colon-range', 'iptables -t nat -A PREROUTING -p tcp -j REDIRECT --to-ports 80:90'],
  ['filter-INPUT-NETMAP', 'iptables -A INPUT -j NETMAP --to 10.0.0.0/24'],
  ['filter-INPUT-CT-notrack', 'iptables -A INPUT -j CT --notrack'],
  ['mangle-PREROUTING-NOTRACK', 'iptables -t mangle -A PREROUTING -j NOTRACK'],
  [
    'mangle-PREROUTING-TCPMSS-clamp',
    'iptables -t mangle -A PREROUTING -p tcp --syn -j TCPMSS --clamp-mss-to-pmtu',
  ],
  ['filter-OUTPUT-mac', 'iptables -A OUTPUT -m mac --mac-source 00:11:22:33:44:55 -j ACCEPT'],
  ['filter-INPUT-owner', 'iptables -A INPUT -m owner --uid-owner 0 -j ACCEPT'],
  [
    'filter-INPUT-addrtype-limit-iface-out',
    'iptables -A INPUT -m addrtype --src-type LOCAL --limit-iface-out -j ACCEPT',
  ],
  ['filter-OUTPUT-physdev-out', 'iptables -A OUTPUT -m physdev --physdev-out eth0 -j ACCEPT'],
  [
    'statistic-nth-packet-too-big',
    'iptables -A INPUT -m statistic --mode nth --every 3 --packet 3 -j ACCEPT',
  ],
  [
    'statistic-random-with-every',
    'iptables -A INPUT -m statistic --mode random --probability 0.5 --every 2 -j ACCEPT',
  ],
  ['statistic-every-without-packet', 'iptables -A INPUT -m statistic --mode nth --every 3 -j ACCEPT'],
  ['limit-bad-unit', 'iptables -A INPUT -m limit --limit 5/minutes -j ACCEPT'],
  ['limit-inverted', 'iptables -A INPUT -m limit ! --limit 5/m -j ACCEPT'],
  ['limit-too-fast', 'iptables -A INPUT -m limit --limit 10001/sec -j ACCEPT'],
  ['mark-33-bits', 'iptables -A INPUT -m mark --mark 0x100000000 -j ACCEPT'],
  ['tos-9-bits', 'iptables -A INPUT -m tos --tos 0x100 -j ACCEPT'],
  ['dscp-64', 'iptables -A INPUT -m dscp --dscp 64 -j ACCEPT'],
  ['length-70000', 'iptables -A INPUT -m length --length 70000 -j ACCEPT'],
  ['ttl-256', 'iptables -A INPUT -m ttl --ttl-eq 256 -j ACCEPT'],
  ['ttl-lt-inverted', 'iptables -A INPUT -m ttl ! --ttl-lt 5 -j ACCEPT'],
  ['pkttype-outgoing', 'iptables -A INPUT -m pkttype --pkt-type outgoing -j ACCEPT'],
  ['owner-uid-too-big', 'iptables -A OUTPUT -m owner --uid-owner 4294967295 -j ACCEPT'],
  ['owner-suppl-without-gid', 'iptables -A OUTPUT -m owner --uid-owner 5 --suppl-groups -j ACCEPT'],
  ['nflog-group-65536', 'iptables -A INPUT -j NFLOG --nflog-group 65536'],
  [
    'dnat-two-ranges',
    'iptables -t nat -A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4 --to-destination 1.2.3.5',
  ],
  [
    'dnat-base-without-range',
    'iptables -t nat -A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4:3000/100',
  ],
  ['dnat-base-0', 'iptables -t nat -A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4:3000-4000/0'],
  ['CT-zone', 'iptables -t raw -A PREROUTING -j CT --zone 70000'],
];
for (const [name, script] of refused) {
  test(`kernel: refused ${name}`, skip ? { skip } : {}, () => {
    const ours = loadRulesText(script, name);
    assert.equal(ours.ok, false, `natbox accepted: ${script}`);
    const status = withNetns((ns) => spawnSync('ip', ['netns', 'exec', ns, 'sh', '-e', '-c', script]).status);
    assert.notEqual(status, 0, `the kernel accepted: ${script}`);
  });
}
