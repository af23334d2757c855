// nftables in scenarios, without a kernel: what the nft verify scenarios (test/conformance/nft/)
// need from the loader. A host's nft file is read by `natbox verify` (as trace and test read it);
// an ip6 table beside the ip ones (libvirt, systemd-networkd) loads, since it never sees the IPv4
// packets natbox runs; `table inet fw4` without a block (fw4's first line) is nftables. The live
// runs are in all.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { prepareVerify } from '../../src/cli/verify/verify.ts';
import { detectLanguage } from '../../src/rules/language.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { buildScenario, formatBuildError } from '../../src/scenario/build.ts';

test('fw4 print begins with `table inet fw4` and no block: nftables', () => {
  const lines = ['table inet fw4', 'flush table inet fw4'].map((text, i) => ({
    text,
    file: 'fw4.nft',
    line: i + 1,
    column: 1,
  }));
  assert.equal(detectLanguage(lines), 'nft');
  assert.equal(detectLanguage([{ text: 'table', file: 'x', line: 1, column: 1 }]), 'iptables');
});

test('natbox verify reads the nft file a host names (relative to the scenario)', () => {
  const file = 'test/conformance/nft/libvirt-nat-default.yaml';
  const p = prepareVerify(readFileSync(file, 'utf8'), file);
  assert.ok(p.ok, p.ok ? '' : p.errors.join('\n'));
  const rs = p.prepared.built.nftRulesets?.get('hypervisor');
  assert.deepEqual(
    rs?.tables.map((t) => `${t.family} ${t.name}`),
    ['ip libvirt_network', 'ip6 libvirt_network'],
  );
});

test('an ip6 table beside an ip table loads (it never sees an IPv4 packet)', () => {
  const yaml = [
    'hosts:',
    '  r:',
    '    interfaces: { eth0: 192.0.2.1/24 }',
    '    rules: |',
    '      table ip6 v6 {',
    '        chain f { type filter hook forward priority 0; policy drop; }',
    '      }',
    '      table ip v4 {',
    '        chain post { type nat hook postrouting priority 100; oifname "eth0" masquerade; }',
    '      }',
  ].join('\n');
  const l = loadScenario(yaml, 's.yaml');
  assert.ok(l.ok);
  const b = buildScenario(l.scenario);
  assert.ok(b.ok, b.ok ? '' : b.errors.map(formatBuildError).join('\n'));
  assert.equal(b.built.nftRulesets?.get('r')?.tables.length, 2);
});

test("an inet table's ip6 matches with IPv6 addresses compile (Incus' ip6 saddr .../64 masquerade)", () => {
  const file = 'test/conformance/nft/incus-bridge-forward.yaml';
  const p = prepareVerify(readFileSync(file, 'utf8'), file);
  assert.ok(p.ok, p.ok ? '' : p.errors.join('\n'));
});
