// The JSON documents of `natbox test --json` (natbox-test/1), `natbox diff --json` (natbox-diff/1)
// and `natbox verify --json` (natbox-verify/1), as the commands really print them, validate against
// their published schemas (schema/test.schema.json, diff.schema.json, verify.schema.json). Every
// object in the schemas has additionalProperties: false, so a field added to a report without
// adding it to the schema (and to docs/*-json.md) fails here. The live verify run skips, saying
// why, where the machine cannot run scenarios on its kernel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject } from 'ajv';
import { environmentProblems } from '../../src/dataplane/kernel/live.ts';
import { prepareVerify, compareVerify, scenarioReport } from '../../src/cli/verify/verify.ts';
import type { KernelRun } from '../../src/dataplane/kernel/live.ts';
import { CLI } from '../cli-argv.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
const schema = (name: string) =>
  ajv.compile(JSON.parse(readFileSync(join(root, 'schema', `${name}.schema.json`), 'utf8')) as object);
const validateTest = schema('test');
const validateDiff = schema('diff');
const validateVerify = schema('verify');

type Json = Record<string, unknown>;

function natbox(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [...CLI, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 300_000,
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function valid(v: typeof validateTest, doc: unknown): void {
  const ok = v(doc);
  assert.ok(ok, JSON.stringify((v.errors ?? []).slice(0, 3) as ErrorObject[], null, 2));
}

/** The document is refused once `extra` is added to the object `at` picks (a field not in the schema). */
function refusesExtra(v: typeof validateTest, doc: Json, at: (d: Json) => Json, what: string): void {
  const copy = structuredClone(doc);
  at(copy).extra = 1;
  assert.equal(v(copy), false, `an unknown field in ${what} is refused`);
  assert.ok(
    v.errors?.some((e) => e.keyword === 'additionalProperties'),
    JSON.stringify(v.errors?.slice(0, 3)),
  );
}

const obj = (x: unknown): Json => x as Json;
const first = (x: unknown): Json => (x as Json[])[0]!;

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), `natbox-schemas-${process.pid}-`));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('natbox test --json: passes, a failure, a flow without expect and a bad file validate against schema/test.schema.json', () => {
  withDir((dir) => {
    const ex = readFileSync(join(root, 'examples/hairpin/dnat-only.yaml'), 'utf8');
    const line = 'expect: { verdict: timeout, translated_source: 192.168.1.10:40000 }';
    assert.ok(ex.includes(line));
    const wrong = join(dir, 'wrong.yaml');
    writeFileSync(
      wrong,
      ex.replace(
        line,
        'expect: { verdict: connected, server_sees: 192.168.1.1:40000, translated_source: 192.168.1.1:40000 }',
      ),
    );
    const none = join(dir, 'none.yaml');
    writeFileSync(none, ex.replace(line, ''));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'hosts: [\n');
    const r = natbox('test', '--json', 'examples/hairpin/dnat-snat.yaml', wrong, none, bad);
    assert.equal(r.code, 2, r.err);
    const doc = JSON.parse(r.out) as Json;
    valid(validateTest, doc);
    // The four kinds of file and flow are really in it.
    const files = doc.files as { errors: string[]; flows: { status: string; expected?: Json }[] }[];
    assert.deepEqual(
      files.map((f) => [f.errors.length > 0, f.flows.map((x) => x.status)]),
      [
        [false, ['pass']],
        [false, ['fail']],
        [false, ['unchecked']],
        [true, []],
      ],
    );
    assert.deepEqual(files[1]!.flows[0]!.expected, {
      verdict: 'connected',
      serverSees: '192.168.1.1:40000',
      translatedSource: '192.168.1.1:40000',
    });
    assert.deepEqual([doc.passed, doc.failed, doc.unchecked, doc.errors], [1, 1, 1, 1]);
    refusesExtra(validateTest, doc, (d) => d, 'the report');
    refusesExtra(validateTest, doc, (d) => first(d.files), 'a file');
    refusesExtra(validateTest, doc, (d) => first(first(d.files).flows), 'a flow');
    refusesExtra(
      validateTest,
      doc,
      (d) => obj(first(obj((d.files as Json[])[1]).flows).expected),
      'expected',
    );
    // A file whose run did not finish carries incomplete: true.
    const inc = structuredClone(doc);
    first(inc.files).incomplete = true;
    valid(validateTest, inc);
    // And the schema is not vacuous about values.
    const badStatus = structuredClone(doc);
    first(first(badStatus.files).flows).status = 'maybe';
    assert.equal(validateTest(badStatus), false);
  });
});

test('natbox diff --json: changed, unchanged and one-sided flows validate against schema/diff.schema.json', () => {
  const changed = natbox(
    'diff',
    '--json',
    'examples/hairpin/dnat-only.yaml',
    'examples/hairpin/dnat-snat.yaml',
  );
  assert.equal(changed.code, 1, changed.err);
  const c = JSON.parse(changed.out) as Json;
  valid(validateDiff, c);
  const f = first(c.flows);
  assert.equal(f.status, 'changed');
  assert.deepEqual(f.verdict, { a: 'timeout', b: 'connected' });
  assert.ok(Array.isArray(f.translations) && f.serverSaw && f.replyFrom, JSON.stringify(f));
  refusesExtra(validateDiff, c, (d) => d, 'the report');
  refusesExtra(validateDiff, c, (d) => obj(d.a), 'a run');
  refusesExtra(validateDiff, c, (d) => first(d.flows), 'a flow');
  refusesExtra(validateDiff, c, (d) => obj(first(d.flows).verdict), 'a change');
  refusesExtra(validateDiff, c, (d) => obj(first(d.flows).serverSaw), 'a change');
  refusesExtra(validateDiff, c, (d) => first(first(d.flows).translations), 'a translation line');
  refusesExtra(validateDiff, c, (d) => obj(first(d.flows).facts), 'facts');
  refusesExtra(validateDiff, c, (d) => obj(obj(first(d.flows).facts).a), 'one run’s facts');

  const same = natbox('diff', '--json', 'examples/hairpin/dnat-snat.yaml', 'examples/hairpin/dnat-snat.yaml');
  assert.equal(same.code, 0, same.err);
  const s = JSON.parse(same.out) as Json;
  valid(validateDiff, s);
  assert.deepEqual([s.changed, s.same, first(s.flows).status], [0, 1, 'same']);

  const apart = natbox(
    'diff',
    '--json',
    'examples/hairpin/dnat-snat.yaml',
    'examples/port-forward/wan-8080.yaml',
  );
  assert.equal(apart.code, 1, apart.err);
  const a = JSON.parse(apart.out) as Json;
  valid(validateDiff, a);
  assert.deepEqual([...new Set((a.flows as Json[]).map((x) => x.status))], ['only-a', 'only-b']);
});

/** natbox-verify/1 around scenario reports, as verifyCommand prints it. */
const verifyDoc = (scenarios: unknown[]): Json => ({
  format: 'natbox-verify/1',
  kernel: '6.1.0',
  iptables: 'iptables v1.8.9 (nf_tables)',
  backend: 'nft',
  ok: false,
  scenarios,
});

test('natbox verify reports without a kernel (a mismatch, an error) validate against schema/verify.schema.json', () => {
  const file = 'examples/hairpin/dnat-snat.yaml';
  const p = prepareVerify(readFileSync(join(root, file), 'utf8'), file);
  assert.ok(p.ok);
  const prep = p.prepared;
  // natbox's own run as "the kernel", with one port changed and one flow's verdict: a mismatch in
  // packets and verdicts, reported as verify reports it.
  const kernel = {
    ...prep.natbox,
    side: {
      ...prep.natbox.side,
      packets: prep.natbox.side.packets.map((x, i) => (i === 0 ? { ...x, sport: 40001 } : x)),
    },
    flows: prep.natbox.flows.map((f) => ({ ...f, verdict: 'timeout' })),
  };
  const run: KernelRun = {
    t0: 0,
    captures: [],
    conntrack: new Map([...kernel.conntrack].map(([h, e]) => [h, [...e]])),
    conntrackText: new Map(),
    events: new Map([['router', ['    [NEW] tcp      6 120 SYN_SENT src=…']]]),
    flows: kernel.flows,
    notes: ['net.bridge.bridge-nf-call-iptables: no such sysctl on this kernel'],
    late: kernel.flows.map(() => 0),
    namespaces: new Map(),
  };
  const mismatch = JSON.parse(
    JSON.stringify(scenarioReport(prep, run, compareVerify(prep, kernel), undefined, 1.5)),
  ) as Json;
  assert.equal(mismatch.status, 'mismatch');
  assert.ok(mismatch.first, 'a first difference');
  assert.ok((mismatch.differences as unknown[]).length >= 2);
  const error = JSON.parse(
    JSON.stringify(scenarioReport(prep, undefined, undefined, 'ip netns add failed', 0.2)),
  ) as Json;
  assert.equal(error.status, 'error');
  const doc = verifyDoc([mismatch, error]);
  valid(validateVerify, doc);
  refusesExtra(validateVerify, doc, (d) => d, 'the report');
  refusesExtra(validateVerify, doc, (d) => first(d.scenarios), 'a scenario');
  refusesExtra(validateVerify, doc, (d) => obj(first(d.scenarios).first), 'a difference');
  refusesExtra(validateVerify, doc, (d) => obj(first(d.scenarios).packets), 'packets');
  refusesExtra(validateVerify, doc, (d) => first(obj(first(d.scenarios).packets).interfaces), 'an interface');
  refusesExtra(validateVerify, doc, (d) => obj(first(d.scenarios).conntrack), 'conntrack');
  refusesExtra(validateVerify, doc, (d) => obj(first(d.scenarios).verdict), 'verdict');
  refusesExtra(validateVerify, doc, (d) => first(first(d.scenarios).flows), 'a flow');
  // A scenario that ran must say what it compared; one that failed must say why.
  const noPackets = structuredClone(doc);
  delete first(noPackets.scenarios).packets;
  assert.equal(validateVerify(noPackets), false);
  const noError = structuredClone(doc);
  delete obj((noError.scenarios as Json[])[1]).error;
  assert.equal(validateVerify(noError), false);
});

const problems = environmentProblems('nft');
test(
  'live: natbox verify --json on examples/hairpin/dnat-only.yaml validates against schema/verify.schema.json',
  {
    skip: problems.length
      ? `natbox verify cannot run on this machine's kernel: ${problems.join('; ')}`
      : false,
    timeout: 300_000,
  },
  () => {
    const r = natbox('verify', '--json', 'examples/hairpin/dnat-only.yaml');
    assert.equal(r.code, 0, r.err + r.out.slice(0, 2000));
    const doc = JSON.parse(r.out) as Json;
    valid(validateVerify, doc);
    assert.equal(doc.ok, true);
    const s = first(doc.scenarios);
    assert.equal(s.status, 'match');
    assert.deepEqual(s.remapped, ['82.120.11.0/24 -> 203.0.113.0/24']);
    refusesExtra(validateVerify, doc, (d) => first(d.scenarios), 'a scenario');
  },
);
