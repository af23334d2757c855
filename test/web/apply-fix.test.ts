// A natbox check fix put into the scenario's text by the page (web/src/apply-fix.ts), without a
// browser: each dialect goes where a user would put it, and the result loads and runs. The fixes
// are those `natbox check` prints for examples/hairpin/dnat-only.yaml and for its causes' examples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { applyFix } from '../../web/src/apply-fix.ts';
import { runCheck } from '../../web/src/check-run.ts';
import { runScenario } from '../../web/src/engine.ts';
import type { Fix } from '../../src/check/model.ts';

const root = resolve(import.meta.dirname, '../..');
const seed = readFileSync(resolve(root, 'examples/hairpin/dnat-only.yaml'), 'utf8');
const SNAT =
  'iptables -t nat -A POSTROUTING -o br-lan -s 192.168.1.0/24 -d 192.168.1.200/32 -p tcp -m tcp --dport 80 -j SNAT --to-source 192.168.1.1';

const routerRules = (text: string): string =>
  (parse(text) as { hosts: { router: { rules: string } } }).hosts.router.rules;

test('the seed: check finds the hairpin; its fix goes after the DNAT in rules: and the flow connects', () => {
  const a = runCheck({ id: 1, text: seed, file: 'examples/hairpin/dnat-only.yaml', lang: 'en' });
  assert.ok(a.ok);
  const f = a.report.findings.find((x) => x.cause === 'hairpin-no-snat');
  assert.deepEqual(f?.fix?.commands, [SNAT]);
  const r = applyFix(seed, f!.fix!);
  assert.deepEqual(r.where, ['router rules:']);
  assert.equal(routerRules(r.text).split('\n')[1], SNAT);
  // The rest of the file as it was: comments kept.
  assert.match(r.text, /# OpenWrt sets 0: bridged LAN-to-LAN frames skip iptables and conntrack/);
  const run = runScenario(r.text, 'fixed.yaml');
  assert.ok(run.ok);
  assert.equal(run.run.doc.flows[0]!.verdict, 'connected');
  assert.equal(run.run.doc.flows[0]!.serverSaw, '192.168.1.1:40000');
});

test('an iptables-save: -A before its table COMMIT, -I first in the chain, -R replaces rule n, a new table added', () => {
  const save = [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    '-A PREROUTING -d 82.120.11.22/32 -i br-lan -p tcp -m tcp --dport 80 -j DNAT --to-destination 192.168.1.200',
    '-A PREROUTING -i wan -p tcp -m tcp --dport 22 -j DNAT --to-destination 192.168.1.200',
    'COMMIT',
    '',
  ].join('\n');
  const text = seed.replace(
    / {4}rules: \|\n {6}iptables[^\n]*\n/,
    `    rules: |\n${save.replace(/^(?=.)/gm, '      ')}`,
  );
  assert.equal(routerRules(text), save);
  const fix = (commands: string[]): Fix => ({ dialect: 'iptables', host: 'router', commands });
  const a = applyFix(text, fix([SNAT]));
  assert.deepEqual(a.where, ['router rules: (iptables-save)']);
  assert.deepEqual(routerRules(a.text).split('\n').slice(3, 7), [
    save.split('\n')[3],
    save.split('\n')[4],
    '-A POSTROUTING -o br-lan -s 192.168.1.0/24 -d 192.168.1.200/32 -p tcp -m tcp --dport 80 -j SNAT --to-source 192.168.1.1',
    'COMMIT',
  ]);
  assert.ok(runScenario(a.text, 'a.yaml').ok);
  const i = applyFix(text, fix(['iptables -t nat -I PREROUTING -p udp -j ACCEPT']));
  assert.equal(routerRules(i.text).split('\n')[3], '-A PREROUTING -p udp -j ACCEPT');
  const rp = applyFix(
    text,
    fix([
      'iptables -t nat -R PREROUTING 2 -i wan -p tcp -m tcp --dport 2222 -j DNAT --to-destination 192.168.1.200:22',
    ]),
  );
  assert.equal(
    routerRules(rp.text).split('\n')[4],
    '-A PREROUTING -i wan -p tcp -m tcp --dport 2222 -j DNAT --to-destination 192.168.1.200:22',
  );
  const f = applyFix(text, fix(['iptables -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT']));
  assert.deepEqual(routerRules(f.text).split('\n').slice(6), [
    '*filter',
    ':FORWARD ACCEPT [0:0]',
    '-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT',
    'COMMIT',
    '',
  ]);
  assert.ok(runScenario(f.text, 'f.yaml').ok);
});

test('sysctl into sysctls:, ip route as an event at 0 s, nft statements into nft:', () => {
  const s = applyFix(seed, {
    dialect: 'sysctl',
    host: 'router',
    commands: ['sysctl -w net.ipv4.conf.all.rp_filter=2', 'sysctl -w net.ipv4.conf.wan.rp_filter=2'],
  });
  assert.deepEqual(s.where, ['router sysctls:', 'router sysctls:']);
  const sys = (parse(s.text) as { hosts: { router: { sysctls: Record<string, number> } } }).hosts.router
    .sysctls;
  assert.equal(sys['net.ipv4.conf.all.rp_filter'], 2);
  assert.equal(sys['net.ipv4.conf.wan.rp_filter'], 2);
  assert.ok(runScenario(s.text, 's.yaml').ok);
  const ip = applyFix(seed, {
    dialect: 'ip',
    host: 'server',
    commands: ['ip route replace default via 192.168.1.1'],
  });
  assert.deepEqual(ip.where, ['events: at 0 s on server']);
  assert.deepEqual((parse(ip.text) as { events: unknown }).events, [
    { at: 0, host: 'server', run: 'ip route replace default via 192.168.1.1' },
  ]);
  assert.ok(runScenario(ip.text, 'ip.yaml').ok);
  const nft = applyFix(seed.replace(/ {4}rules: \|\n {6}iptables[^\n]*\n/, ''), {
    dialect: 'nft',
    host: 'router',
    commands: ['add table ip nat'],
  });
  assert.deepEqual(nft.where, ['router nft:']);
  assert.equal(
    (parse(nft.text) as { hosts: { router: { nft: string } } }).hosts.router.nft,
    'add table ip nat\n',
  );
  assert.throws(
    () => applyFix(seed, { dialect: 'advice', host: 'router', commands: ['use split DNS'] }),
    /advice/,
  );
});
