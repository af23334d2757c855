// The text trace: fits 80 columns by default (the terminal's width on a terminal, `--width N`, 0 for
// no limit), long steps continued on indented lines with no word lost; ICMP redirects only with
// -v; `--flow NAME` shows one flow's steps, verdict and conntrack entries; no renderer spreads the
// steps into Math.max (a RangeError on huge traces).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { renderText, breakWords } from '../../src/trace/text.ts';
import { renderSvg } from '../../src/trace/svg.ts';
import type { TraceDoc, TraceStep } from '../../src/trace/model.ts';
import { exampleDoc, repo } from './golden.ts';
import { CLI } from '../cli-argv.ts';

const root = fileURLToPath(repo);
const natbox = (...args: string[]): { code: number; out: string; err: string } => {
  const r = spawnSync(process.execPath, [...CLI, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
};
const widest = (s: string): number => Math.max(0, ...s.split('\n').map((l) => [...l].length));
const words = (s: string): string[] => s.split(/\s+/).filter((w) => w !== '');

test('the text trace fits 80 columns by default, N with --width N, and has no limit with --width 0', () => {
  const files = ['examples/double-nat/cgnat.yaml', 'examples/port-forward/wan-8080.yaml'];
  const narrow = natbox('trace', '-v', '--arp', ...files);
  assert.equal(narrow.code, 0, narrow.err);
  assert.ok(widest(narrow.out) <= 80, `widest line: ${widest(narrow.out)}`);
  const wide = natbox('trace', '-v', '--arp', '--width', '0', ...files);
  assert.ok(widest(wide.out) > 200, 'conntrack lines are long');
  // The same words in the same order: wrapping only moves them to the next line.
  assert.deepEqual(words(narrow.out), words(wide.out));
  const w120 = natbox('trace', '--width', '120', ...files);
  assert.ok(widest(w120.out) <= 120 && widest(w120.out) > 80);
  const bad = natbox('trace', '--width', 'wide', files[0]!);
  assert.equal(bad.code, 2);
  assert.equal(bad.err, 'natbox: --width wide: expected a number of columns (0: no limit)\n');
});

test('a long step is continued under its text column; colours do not count as columns', () => {
  const doc = exampleDoc('examples/hairpin/dnat-snat.yaml');
  const coloured = renderText(doc, { width: 80, color: true, verbose: true });
  // eslint-disable-next-line no-control-regex
  const stripped = coloured.replace(/\x1b\[[0-9;]*m/g, '');
  assert.equal(stripped, renderText(doc, { width: 80, verbose: true }));
  assert.ok(widest(stripped) <= 80);
  const out = renderText(doc, { width: 80 }).split('\n');
  const i = out.findIndex((l) => l.includes('conntrack [NEW]'));
  const col = out[i]!.indexOf('conntrack [NEW]');
  assert.match(out[i + 1]!, new RegExp(`^ {${col}}\\S`));
  assert.deepEqual(breakWords(['aaaa', 'bbbbbbbbbb', 'c'], 2, 8, 2), [
    [[0, 'aaaa']],
    [[1, 'bbbbbb']],
    [
      [1, 'bbbb'],
      [2, 'c'],
    ],
  ]);
});

test('ICMP redirects (sent, and dropped by NAT) only with -v; a line says how many were left out', () => {
  const plain = natbox('trace', 'examples/hairpin/dnat-only.yaml');
  assert.doesNotMatch(plain.out, /sends ICMP redirect|an ICMP redirect about a NATed connection/);
  assert.match(plain.out, /\(6 ICMP redirect steps not shown: they change nothing here; -v shows them\)/);
  const verbose = natbox('trace', '-v', 'examples/hairpin/dnat-only.yaml');
  assert.match(verbose.out, /sends ICMP redirect \(use 192\.168\.1\.200 directly\)/);
  assert.doesNotMatch(verbose.out, /ICMP redirect steps not shown/);
});

test('natbox trace --flow NAME: that flow only, in text and JSON; an unknown name exits 2', () => {
  const f = 'examples/masquerade/lan-to-internet.yaml';
  const udp = 'client asks the internet server over UDP';
  const r = natbox('trace', '--width', '0', '--flow', udp, f);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /flow "client asks the internet server over UDP"/);
  assert.doesNotMatch(r.out, /flow "client opens a web page/);
  assert.doesNotMatch(r.out, /TCP \[|ICMP echo/);
  assert.match(
    r.out,
    /router: udp {6}17 \d+ src=192\.168\.1\.10 dst=93\.184\.216\.34 sport=40001 dport=5000/,
  );
  assert.doesNotMatch(r.out, /router: (tcp|icmp) /);
  const j = JSON.parse(natbox('trace', '--json', '--flow', udp, f).out) as TraceDoc;
  assert.deepEqual(
    j.flows.map((x) => x.name),
    [udp],
  );
  // ARP frames belong to no flow; they stay (they say which next hop a packet went to).
  const isArp = (s: TraceStep): boolean => s.kind === 'packet' && s.packet.proto === 'arp';
  assert.ok(j.steps.length > 0 && j.steps.every((s) => s.flow === udp || (s.flow === undefined && isArp(s))));
  const all = JSON.parse(natbox('trace', '--json', f).out) as TraceDoc;
  assert.deepEqual(
    j.steps,
    all.steps.filter((s) => s.flow === udp || isArp(s)),
  );
  const bad = natbox('trace', '--flow', 'nope', f);
  assert.equal(bad.code, 2);
  assert.equal(
    bad.err,
    `natbox: --flow "nope": no such flow in ${f} (its flows: "client opens a web page on the internet", "client asks the internet server over UDP", "client pings the internet server")\n`,
  );
  assert.equal(bad.out, '');
  // With several files a name may be in one of them only: the others show nothing.
  const two = natbox('trace', '--flow', udp, 'examples/hairpin/dnat-only.yaml', f);
  assert.equal(two.code, 0, two.err);
  assert.doesNotMatch(two.out, /hairpin-dnat-only/);
  assert.match(two.out, /flow "client asks the internet server over UDP"/);
});

test('natbox test --flow and diff --flow check that flow only', () => {
  const f = 'examples/masquerade/lan-to-internet.yaml';
  const t = natbox('test', '--flow', 'client pings the internet server', f);
  assert.equal(t.code, 0, t.err);
  assert.match(t.out, /: 1 flow, 1 passed, 0 failed\n1 passed, 0 failed\n$/);
  const bad = natbox('test', '--flow', 'nope', f);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /^natbox: --flow "nope": no such flow in /);
  const d = natbox('diff', '--flow', 'client pings the internet server', f, f);
  assert.equal(d.code, 0, d.err);
  assert.match(d.out, /\n0 flows changed, 1 unchanged\n$/);
});

test('the text and SVG renderers take a trace of 200,000 steps (no Math.max(...steps))', () => {
  // Before: Math.max(...steps) in renderText and Math.max(...events) in renderSvg threw RangeError.
  const doc = exampleDoc('examples/hairpin/dnat-snat.yaml');
  const steps: TraceStep[] = [];
  for (let i = 0; i < 200_000; i++) steps.push({ t: i / 1000, kind: 'drop', host: 'router', reason: 'x' });
  const big: TraceDoc = { ...doc, steps };
  assert.equal(renderText(big).split('dropped: x').length, 200_001);
  assert.equal(renderSvg(big).split('>dropped: x<').length, 200_001);
});
