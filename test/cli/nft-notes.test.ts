// The nft notes natbox test and trace print (an inet table's IPv6 half, an ip6 table: read and
// printed, without effect on the IPv4 packets natbox runs) are printed by natbox check, diff and
// verify too, on standard error, before their own output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI } from '../cli-argv.ts';
import { flowtableProblem, queueProblem, usesQueue } from '../../src/dataplane/kernel/features.ts';
import { parseNftText } from '../netfilter/nftables/dsl.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

function natbox(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [...CLI, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** A router whose nft ruleset is an inet table (with a flowtable when `ft`), and one flow. */
function scenario(ft: boolean): string {
  return `name: nft-notes
hosts:
  r:
    interfaces: { wan: 203.0.113.1/24, lan: 10.0.0.1/24 }
    sysctls: { net.ipv4.ip_forward: 1 }
    nft: |
      table inet f {
${ft ? '        flowtable ft {\n          hook ingress priority filter; devices = { wan, lan };\n        }\n\n' : ''}        chain forward {
          type filter hook forward priority filter; policy accept;
${ft ? '          flow add @ft\n' : ''}          ip6 saddr ::1 drop
        }
      }
  c:
    interfaces: { eth0: 203.0.113.50/24 }
    routes: [default via 203.0.113.1]
  s:
    interfaces: { eth0: 10.0.0.10/24 }
    routes: [default via 10.0.0.1]
    listen: [udp/53]
links:
  - { name: wan, connect: [c:eth0, r:wan] }
  - { name: lan, connect: [r:lan, s:eth0] }
flows:
  - { name: dns, from: c, proto: udp, to: 10.0.0.10:53, expect: reply }
`;
}

const NOTE = /^note: .*s\.yaml:7:7: r: table inet f: its IPv6 half is read and printed but not simulated/m;

function withFile(text: string, fn: (file: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'natbox-notes-'));
  try {
    const f = join(dir, 's.yaml');
    writeFileSync(f, text);
    fn(f);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('natbox test prints the inet note (the reference the other commands follow)', () => {
  withFile(scenario(false), (f) => {
    const r = natbox('test', f);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, NOTE);
  });
});

test('natbox check and natbox diff print the nft notes', () => {
  withFile(scenario(false), (f) => {
    const c = natbox('check', f);
    assert.match(c.err, NOTE);
    const d = natbox('diff', f, f);
    assert.equal(d.code, 0, d.err);
    assert.equal(d.err.match(new RegExp(NOTE.source, 'gm'))?.length, 2, d.err);
  });
});

test(
  'natbox verify prints the nft notes before it runs (here: before exit 3 for the flowtable)',
  { skip: flowtableProblem() === undefined ? 'this kernel has nf_flow_table: verify would run' : false },
  () => {
    withFile(scenario(true), (f) => {
      const r = natbox('verify', f);
      assert.equal(r.code, 3, r.err);
      assert.match(r.err, NOTE);
    });
  },
);

test('usesQueue finds an nft queue statement in any table and chain', () => {
  const q = parseNftText('table ip t {\n\tchain c {\n\t\tudp dport 53 queue to 3 bypass\n\t}\n}\n');
  const none = parseNftText('table ip t {\n\tchain c {\n\t\tudp dport 53 accept\n\t}\n}\n');
  assert.equal(usesQueue([none, q]), true);
  assert.equal(usesQueue([none]), false);
});

test(
  'natbox verify of a scenario with an nft queue rule exits 3 on a kernel without nft_queue',
  { skip: queueProblem() === undefined ? 'this kernel has nft_queue: verify would run' : false },
  () => {
    withFile(scenario(false).replace('ip6 saddr ::1 drop', 'udp dport 9 queue'), (f) => {
      const r = natbox('verify', f);
      assert.equal(r.code, 3, r.err);
      assert.match(r.err, /this kernel has no nft queue statement \(CONFIG_NFT_QUEUE/);
      assert.match(r.err, /scenarios with a queue rule: .*s\.yaml/);
    });
  },
);
