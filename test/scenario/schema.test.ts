// Tests for schema/scenario.schema.json: every example validates against it, every property has a
// description (editors show them), and schema and loader agree on the keys. The validator below is a
// small subset of JSON Schema 2020-12 (the keywords the schema uses), so no dependency is needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { loadScenario } from '../../src/scenario/load.ts';

type Schema = { [k: string]: unknown };
const root = fileURLToPath(new URL('../../', import.meta.url));
const schema = JSON.parse(readFileSync(root + 'schema/scenario.schema.json', 'utf8')) as Schema;

const KNOWN = new Set([
  '$schema',
  '$defs',
  '$ref',
  'title',
  'description',
  'type',
  'enum',
  'const',
  'pattern',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'minLength',
  'minItems',
  'minProperties',
  'required',
  'properties',
  'patternProperties',
  'additionalProperties',
  'propertyNames',
  'items',
  'oneOf',
  'anyOf',
]);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** Problems with `v` against `s`, as `path: what`. */
function validate(v: unknown, s: Schema, path: string): string[] {
  const out: string[] = [];
  for (const k of Object.keys(s))
    if (!KNOWN.has(k)) out.push(`${path}: schema keyword ${k} not supported by this test`);
  if (typeof s.$ref === 'string') {
    const target = s.$ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((o, p) => (o as Schema)[p], schema);
    out.push(...validate(v, target as Schema, path));
  }
  const t = typeOf(v);
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    if (!types.some((x) => x === t || (x === 'number' && t === 'integer')))
      return [...out, `${path}: ${t} is not ${types.join('|')}`];
  }
  if (Array.isArray(s.enum) && !s.enum.includes(v)) out.push(`${path}: ${JSON.stringify(v)} not in enum`);
  if ('const' in s && s.const !== v) out.push(`${path}: not ${JSON.stringify(s.const)}`);
  if (typeof v === 'string') {
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(v))
      out.push(`${path}: "${v}" !~ ${s.pattern}`);
    if (typeof s.minLength === 'number' && v.length < s.minLength) out.push(`${path}: too short`);
  }
  if (typeof v === 'number') {
    if (typeof s.minimum === 'number' && v < s.minimum) out.push(`${path}: ${v} < ${s.minimum}`);
    if (typeof s.maximum === 'number' && v > s.maximum) out.push(`${path}: ${v} > ${s.maximum}`);
    if (typeof s.exclusiveMinimum === 'number' && v <= s.exclusiveMinimum)
      out.push(`${path}: ${v} <= ${s.exclusiveMinimum}`);
  }
  if (Array.isArray(v)) {
    if (typeof s.minItems === 'number' && v.length < s.minItems)
      out.push(`${path}: fewer than ${s.minItems} items`);
    if (s.items !== undefined)
      v.forEach((x, i) => out.push(...validate(x, s.items as Schema, `${path}[${i}]`)));
  }
  if (t === 'object') {
    const o = v as Record<string, unknown>;
    const props = (s.properties ?? {}) as Record<string, Schema>;
    const patterns = Object.entries((s.patternProperties ?? {}) as Record<string, Schema>);
    if (typeof s.minProperties === 'number' && Object.keys(o).length < s.minProperties)
      out.push(`${path}: too few keys`);
    for (const r of (s.required ?? []) as string[]) if (!(r in o)) out.push(`${path}: missing ${r}`);
    for (const [k, x] of Object.entries(o)) {
      const p = `${path}.${k}`;
      if (s.propertyNames !== undefined) out.push(...validate(k, s.propertyNames as Schema, `${p} (name)`));
      const direct = props[k];
      const matched = patterns.filter(([re]) => new RegExp(re, 'u').test(k));
      if (direct !== undefined) out.push(...validate(x, direct, p));
      for (const [, ps] of matched) out.push(...validate(x, ps, p));
      if (direct === undefined && matched.length === 0) {
        if (s.additionalProperties === false) out.push(`${p}: key not in the schema`);
        else if (typeof s.additionalProperties === 'object')
          out.push(...validate(x, s.additionalProperties as Schema, p));
      }
    }
  }
  if (Array.isArray(s.oneOf)) {
    const passing = (s.oneOf as Schema[]).filter((b) => validate(v, b, path).length === 0).length;
    if (passing !== 1) out.push(`${path}: matches ${passing} of oneOf, not exactly 1`);
  }
  if (Array.isArray(s.anyOf) && !(s.anyOf as Schema[]).some((b) => validate(v, b, path).length === 0)) {
    out.push(`${path}: matches none of anyOf`);
  }
  return out;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = `${dir}/${n}`;
    return statSync(p).isDirectory() ? yamlFiles(p) : /\.ya?ml$/.test(n) ? [p] : [];
  });
}

const examples = yamlFiles(root + 'examples');

test('scenario-schema-examples-exist', () => {
  assert.ok(examples.length >= 3, 'examples/hairpin/*.yaml');
});

for (const file of examples) {
  const rel = file.slice(root.length);
  test(`scenario-schema-validates ${rel}`, () => {
    const text = readFileSync(file, 'utf8');
    assert.deepEqual(validate(parse(text), schema, '$'), []);
    assert.match(text, /^# yaml-language-server: \$schema=(\.\.\/)+schema\/scenario\.schema\.json$/m);
    assert.equal(loadScenario(text, rel).ok, true);
  });
}

test('scenario-schema-rejects-what-the-loader-rejects', () => {
  const bad = (text: string): string[] => validate(parse(text), schema, '$');
  assert.deepEqual(bad('hosts: { a: { interfaces: { eth0: { adresses: [10.0.0.1/24] } } } }'), [
    '$.hosts.a.interfaces.eth0: matches 0 of oneOf, not exactly 1',
  ]);
  assert.deepEqual(
    bad('hosts: { a: {} }\nflows: [{ from: a, proto: tcp, to: 1.2.3.4:80, expect: timeut }]'),
    ['$.flows[0].expect: matches 0 of oneOf, not exactly 1'],
  );
  assert.deepEqual(bad('hosts: { a: { sysctls: { net.ipv4.ip_forwarding: 1 } } }'), [
    '$.hosts.a.sysctls.net.ipv4.ip_forwarding: key not in the schema',
  ]);
  assert.deepEqual(bad('hosts: { a: { sysctls: { net.netfilter.nf_conntrack_udp_timeout: 30 } } }'), []);
  assert.deepEqual(
    bad(
      'hosts: { a: { sysctls: { net.ipv4.conf.eth0.arp_notify: 1, net.ipv4.conf.all.arp_ignore: 8, net.ipv4.tcp_tw_reuse: 2 } } }',
    ),
    [],
  );
  assert.deepEqual(bad('hosts: { a: { sysctls: { net.ipv4.conf.eth0.arp_notify: 9 } } }').length, 1);
  assert.deepEqual(bad('hosts: { a: { rules: { file: r.rules }, ipsets: { files: [s] } } }'), []);
  assert.deepEqual(bad('hosts: { a: { rules: { path: r.rules } } }'), [
    '$.hosts.a.rules: matches 0 of oneOf, not exactly 1',
  ]);
  assert.deepEqual(bad('hosts: {}\nlinkz: []'), ['$.hosts: too few keys', '$.linkz: key not in the schema']);
});

test('scenario-schema-every-property-has-a-description', () => {
  const missing: string[] = [];
  const walk = (s: unknown, path: string): void => {
    if (s === null || typeof s !== 'object') return;
    const o = s as Schema;
    for (const key of ['properties', 'patternProperties', '$defs']) {
      for (const [k, sub] of Object.entries((o[key] ?? {}) as Record<string, Schema>)) {
        const described = typeof sub.description === 'string' && sub.description.length > 0;
        // A $def used only as a building block (a type shared by described properties) may skip it.
        if (!described && key !== '$defs') missing.push(`${path}.${k}`);
        walk(sub, `${path}.${k}`);
      }
    }
    for (const key of ['items', 'additionalProperties', 'propertyNames']) walk(o[key], `${path}.${key}`);
    for (const key of ['oneOf', 'anyOf'])
      ((o[key] ?? []) as unknown[]).forEach((b, i) => walk(b, `${path}.${key}[${i}]`));
  };
  walk(schema, '$');
  assert.deepEqual(missing, []);
  assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
});

test('scenario-schema-and-loader-agree-on-keys', () => {
  const defs = schema.$defs as Record<string, Schema>;
  const keys = (s: Schema): string[] => Object.keys((s.properties ?? {}) as object).sort();
  const objectBranch = (s: Schema): Schema =>
    ((s.oneOf ?? [s]) as Schema[]).find((b) => b.type === 'object')!;
  // Each of these, written with every key the schema names, must load without an unknown-key error.
  assert.deepEqual(keys(schema), [
    'description',
    'epoch',
    'events',
    'flows',
    'hosts',
    'links',
    'name',
    'verify',
  ]);
  assert.deepEqual(keys(defs.event!), ['at', 'host', 'run']);
  assert.deepEqual(keys(defs.host!), [
    'bridges',
    'interfaces',
    'ip_rules',
    'ipsets',
    'listen',
    'nft',
    'queues',
    'routes',
    'rt_tables',
    'rules',
    'sysctls',
  ]);
  assert.deepEqual(keys(objectBranch(defs.interface!)), ['address', 'addresses', 'group', 'mac', 'mtu']);
  assert.deepEqual(keys(defs.bridge!), ['address', 'addresses', 'mac', 'ports', 'stp']);
  assert.deepEqual(keys(defs.fromFiles!), ['file', 'files']); // rules: { file }, ipsets: { files }
  assert.deepEqual(keys(objectBranch(defs.link!)), ['connect', 'name']);
  assert.deepEqual(keys(defs.flow!), [
    'at',
    'count',
    'df',
    'dport',
    'dst',
    'expect',
    'from',
    'ftp',
    'hold',
    'id',
    'interval',
    'ip_options',
    'keepalive',
    'mark',
    'mss',
    'name',
    'proto',
    'size',
    'spi',
    'sport',
    'src',
    'tftp',
    'timeout',
    'to',
    'tos',
    'ttl',
    'udp_connect',
  ]);
  assert.deepEqual(keys(objectBranch(defs.socket!)), [
    'bind',
    'close_first',
    'ftp',
    'port',
    'proto',
    'reply_port',
    'transparent',
  ]);
  assert.deepEqual(keys(defs.sysctls!), [
    'net.bridge.bridge-nf-call-iptables',
    'net.ipv4.conf.all.accept_redirects',
    'net.ipv4.conf.all.rp_filter',
    'net.ipv4.conf.all.send_redirects',
    'net.ipv4.fib_multipath_hash_fields',
    'net.ipv4.fib_multipath_hash_policy',
    'net.ipv4.fib_multipath_hash_seed',
    'net.ipv4.ip_forward',
    'net.ipv4.tcp_keepalive_intvl',
    'net.ipv4.tcp_keepalive_probes',
    'net.ipv4.tcp_keepalive_time',
    'net.ipv4.tcp_sack',
    'net.ipv4.tcp_syn_linear_timeouts',
    'net.ipv4.tcp_syn_retries',
    'net.ipv4.tcp_timestamps',
    'net.ipv4.tcp_tw_reuse',
    'net.ipv4.tcp_window_scaling',
    'net.netfilter.nf_conntrack_max',
    'net.netfilter.nf_conntrack_tcp_be_liberal',
    'net.netfilter.nf_conntrack_tcp_ignore_invalid_rst',
    'net.netfilter.nf_conntrack_tcp_loose',
    'net.netfilter.nf_conntrack_tcp_max_retrans',
  ]);
  const r = loadScenario(
    [
      'name: all',
      'description: every key',
      'epoch: "2026-12-01T09:00:00Z"',
      'hosts:',
      '  a:',
      '    interfaces: { e0: { addresses: [10.0.0.1/24], mac: 02:00:00:00:00:01, mtu: 1500, group: 3 }, e1: { address: 10.0.1.1/24 } }',
      '    bridges: { br0: { ports: [e1], address: 10.0.2.1/24, mac: 02:00:00:00:00:02 }, br1: { addresses: [10.0.3.1/24], stp: { priority: 4096, forward_delay: 4, hello_time: 2, max_age: 20 } } }',
      '    routes: [default via 10.0.0.254]',
      '    sysctls: { net.ipv4.ip_forward: 1, net.bridge.bridge-nf-call-iptables: 0, net.ipv4.conf.all.rp_filter: 2,',
      '      net.ipv4.conf.all.send_redirects: 0, net.ipv4.conf.all.accept_redirects: 0, net.netfilter.nf_conntrack_tcp_loose: 1,',
      '      net.netfilter.nf_conntrack_tcp_be_liberal: 0, net.netfilter.nf_conntrack_max: 65536, net.ipv4.tcp_syn_retries: 2,',
      '      net.netfilter.nf_conntrack_tcp_timeout_syn_sent: 120, net.netfilter.nf_conntrack_tcp_max_retrans: 3,',
      '      net.netfilter.nf_conntrack_tcp_ignore_invalid_rst: 0 }',
      '    rules: [iptables -P FORWARD ACCEPT]',
      '    listen: [tcp/80, { proto: udp, port: 6000, bind: 10.0.0.1, reply_port: 6001, transparent: true }]',
      '  b: { interfaces: { e0: 10.0.0.2/24 } }',
      'links: [[a:e0, b:e0], { name: x, connect: [a:e1, b:e9] }]',
      'flows:',
      '  - { name: f, from: b, proto: tcp, dst: 10.0.0.1, dport: 80, sport: 1000, at: 0, timeout: 1, hold: 0,',
      '      expect: { verdict: connected, server_sees: 10.0.0.2:1000 } }',
      '  - { from: b, proto: udp, to: 10.0.0.1:53, udp_connect: true, count: 2, interval: 1 }',
      '  - { from: b, proto: udp, to: 10.0.0.1:54, udp_connect: true, src: 10.0.0.2, ttl: 3, tos: 16 }',
      '  - { from: b, proto: tcp, to: 10.0.0.1:80, mss: 1200 }',
      '  - { from: b, proto: icmp, to: 10.0.0.1, id: 1 }',
      'events: [{ at: 1, host: a, run: "conntrack -F" }]',
    ].join('\n'),
    'all.yaml',
  );
  // Only the deliberate error (b has no e9): no key was unknown to the loader.
  assert.ok(!r.ok);
  assert.deepEqual(
    r.errors.map((e) => e.field),
    ['links[1].connect[1]'],
  );
});
