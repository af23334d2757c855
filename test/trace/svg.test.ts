// The SVG sequence diagram: a standalone, well-formed document with a lifeline per host and an
// arrow per wire hop, and, when Chromium is installed, a real rendering (headless screenshot) with
// no XML error. The screenshot is left in a temporary directory for a person to look at.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderSvg } from '../../src/trace/svg.ts';
import { wireHops } from '../../src/trace/sequence.ts';
import { exampleDoc } from './golden.ts';

const chromium = ['chromium', 'chromium-browser', 'google-chrome'].find(
  (c) => spawnSync(c, ['--version'], { encoding: 'utf8' }).status === 0,
);

test('svg: a standalone document: lifelines, one arrow per IP hop, NAT notes, the verdict', () => {
  const doc = exampleDoc('examples/hairpin/dnat-snat.yaml');
  const svg = renderSvg(doc);
  assert.match(
    svg,
    /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="\d+" viewBox="0 0 \d+ \d+"/,
  );
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  assert.equal((svg.match(/class="lifeline"/g) ?? []).length, 3);
  const hops = wireHops(doc).filter((h) => h.packet.proto !== 'arp');
  assert.equal((svg.match(/marker-end=/g) ?? []).length, hops.length);
  assert.ok(svg.includes('>TCP [S] 192.168.1.10:40000 → 82.120.11.22:80</text>'));
  assert.ok(svg.includes('>⇒ 192.168.1.1:40000 → 192.168.1.200:80</text>'));
  assert.match(
    svg,
    /font-weight="bold">flow &quot;client opens the web page through the public address&quot;: CONNECTED ✓ as expected<\/text>/,
  );
  // No raw markup characters inside text: every < starts an element we wrote.
  for (const m of svg.matchAll(/<([^a-z/!?])/g)) assert.fail(`stray "<${m[1]}" in the SVG`);
  assert.doesNotMatch(svg, /&(?!amp;|lt;|gt;|quot;)/);
});

test("svg: the client's refusal is red; the verdict box is green as expected, red when not", () => {
  const doc = exampleDoc('examples/hairpin/dnat-only.yaml');
  const svg = renderSvg(doc);
  assert.match(svg, /stroke="#c62828" stroke-width="1\.6" marker-end="url\(#head-alarm\)"/); // the RST
  assert.ok(svg.includes('>TCP [S.] from 192.168.1.200:80 matches no socket: connect() to</text>'));
  const verdictBox = /<rect [^>]*fill="([^"]+)" stroke="[^"]+"\/>\n<text [^>]*font-weight="bold">flow &quot;/;
  assert.equal(verdictBox.exec(svg)?.[1], '#e8f5e9');
  const failed = {
    ...doc,
    flows: doc.flows.map((f) => ({ ...f, pass: false, mismatches: ['expected connected, got timeout'] })),
  };
  const red = renderSvg(failed);
  assert.equal(verdictBox.exec(red)?.[1], '#fdecee');
  assert.ok(red.includes('TIMEOUT ✗ expected connected, got timeout'));
});

test(
  'svg: opens in headless Chromium without an XML error and renders a picture',
  {
    skip: chromium ? false : 'chromium not installed (apt-get install -y chromium): the SVG was not rendered',
  },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'natbox-svg-'));
    for (const ex of ['dnat-only', 'dnat-snat']) {
      const file = join(dir, `${ex}.svg`);
      writeFileSync(file, renderSvg(exampleDoc(`examples/hairpin/${ex}.yaml`)));
      const common = [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        `--user-data-dir=${mkdtempSync(join(tmpdir(), 'natbox-chromium-'))}`,
      ];
      const dom = spawnSync(chromium!, [...common, '--dump-dom', file], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(dom.status, 0, dom.stderr);
      assert.doesNotMatch(dom.stdout, /parsererror|This page contains the following errors/);
      assert.match(dom.stdout, /<svg /);
      const png = join(dir, `${ex}.png`);
      const shot = spawnSync(chromium!, [...common, `--screenshot=${png}`, '--window-size=1200,900', file], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(shot.status, 0, shot.stderr);
      // A blank white page of this size compresses to a few kilobytes; the diagram is much more.
      assert.ok(statSync(png).size > 30_000, `${png} looks empty (${statSync(png).size} bytes)`);
    }
  },
);
