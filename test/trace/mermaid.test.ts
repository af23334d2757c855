// The Mermaid sequence diagram: golden files for the seed's two stories, and the shape GitHub
// needs (a sequenceDiagram, declared participants, one arrow per wire hop, escaped text).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderMermaid } from '../../src/trace/mermaid.ts';
import { wireHops } from '../../src/trace/sequence.ts';
import { exampleDoc, golden } from './golden.ts';

test('mermaid: hairpin DNAT + SNAT matches its golden file', () => {
  golden('hairpin-dnat-snat.mmd', renderMermaid(exampleDoc('examples/hairpin/dnat-snat.yaml')));
});

test('mermaid: hairpin DNAT alone matches its golden file (without the conntrack-mapping notes)', () => {
  golden(
    'hairpin-dnat-only.mmd',
    renderMermaid(exampleDoc('examples/hairpin/dnat-only.yaml'), { mappings: false, fence: true }),
  );
});

test('mermaid: participants, an arrow per IP hop on a wire, notes for NAT, and the verdict last', () => {
  const doc = exampleDoc('examples/hairpin/dnat-snat.yaml');
  const m = renderMermaid(doc);
  const lines = m.trimEnd().split('\n');
  assert.equal(lines[0], 'sequenceDiagram');
  assert.deepEqual(
    lines.filter((l) => l.trim().startsWith('participant')).map((l) => l.trim()),
    ['participant client', 'participant router', 'participant server'],
  );
  const arrows = lines.filter((l) => /^ {4}\w+(->>|-x)\w+: /.test(l));
  const ipHops = wireHops(doc).filter((h) => h.packet.proto !== 'arp');
  assert.equal(arrows.length, ipHops.length);
  assert.equal(arrows[0], '    client->>router: TCP [S] 192.168.1.10:40000 → 82.120.11.22:80 (0.0002 s)');
  assert.ok(
    lines.includes('    Note over router: nat PREROUTING rule 1: -j DNAT --to-destination<br/>192.168.1.200'),
  );
  assert.ok(
    lines.includes(
      '    Note over router: SNAT:<br/>192.168.1.10:40000 → 192.168.1.200:80<br/>⇒ 192.168.1.1:40000 → 192.168.1.200:80',
    ),
  );
  assert.match(
    lines[lines.length - 1]!,
    /^ {4}Note over client,server: flow "client opens the web page through the public address": CONNECTED ✓ as/,
  );
  // Nothing Mermaid would read as syntax inside a message: no raw ';', '#', '<' other than <br/>.
  for (const l of lines.slice(1)) {
    const body = l.replace(/<br\/>/g, '').replace(/#(35|59|lt|gt);/g, '');
    assert.doesNotMatch(body, /[;#<]/, l);
  }
});

test('mermaid: host names Mermaid would misread get an alias', () => {
  const doc = exampleDoc('examples/hairpin/dnat-snat.yaml');
  const renamed = JSON.parse(
    JSON.stringify(doc).replaceAll('"router"', '"end"').replaceAll('"server"', '"web-1"'),
  );
  const m = renderMermaid(renamed);
  assert.match(m, /\n {4}participant h1 as end\n {4}participant h2 as web-1\n/);
  assert.match(m, /\n {4}client->>h1: /);
});
