// The reason of every verdict is read from the trace itself: each address and port it names is one
// of that flow's packets (issue 11, item 9: a port forward's reason once named 82.120.11.22:80
// while the packets showed 82.120.11.22:8080), and a flow stopped by a rule or a policy names it,
// with its table, chain, number and text (item 10), in the trace, in `natbox test` (text, JSON,
// JUnit) and in `natbox diff`. Every step of every example belongs to a flow, except ARP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { buildTraceDoc, type TraceDoc } from '../../src/trace/model.ts';
import { renderStory } from '../../src/trace/story.ts';
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

const examples = readdirSync(new URL('examples/', repo), { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => `examples/${f.replaceAll('\\', '/')}`)
  .sort();
const FIREWALL = 'test/trace/firewall.yaml';

function docOf(path: string): TraceDoc {
  const r = simulateScenario(readFileSync(new URL(path, repo), 'utf8'), path);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return buildTraceDoc({ name: r.scenario.name, file: path }, r.sim);
}

/**
 * Every `ip` and `ip:port` a flow's packets carry (every packet of the run: `flow` undefined), and
 * the ends its NAT translations made (a DNATed packet FORWARD drops never shows its new address).
 */
function endsOf(doc: TraceDoc, flow: string | undefined): Set<string> {
  const ends = new Set<string>();
  for (const s of doc.steps) {
    if (flow !== undefined && s.flow !== flow) continue;
    if (s.kind === 'nat') {
      // `src:sport > dst:dport`, before and after.
      for (const side of [s.before, s.after])
        for (const e of side.split(' > ')) ends.add(e).add(e.replace(/:\d+$/, ''));
      continue;
    }
    if (s.kind !== 'packet') continue;
    const p = s.packet;
    if (p.arp) ends.add(p.arp.sender).add(p.arp.target);
    if (p.src === undefined) continue;
    ends.add(p.src!).add(p.dst!);
    if (p.sport !== undefined) ends.add(`${p.src}:${p.sport}`).add(`${p.dst}:${p.dport}`);
  }
  return ends;
}

for (const path of [...examples, FIREWALL]) {
  test(`${path}: every address and port in each reason is in that flow's packets`, () => {
    const doc = docOf(path);
    for (const f of doc.flows) {
      // A storm's reason is the network's: the frame going round the loop (ARP, of no flow).
      const ends = endsOf(doc, f.verdict === 'storm' ? undefined : f.name);
      assert.ok(ends.size > 0, `flow "${f.name}" has packets`);
      // A rule quoted in the reason is the rule's text, not a packet's addresses.
      let reason = f.reason;
      for (const s of doc.steps)
        if (s.flow === f.name && s.kind === 'rule') reason = reason.replace(s.rule, '');
      const named = reason.match(/\d+\.\d+\.\d+\.\d+(:\d+)?/g) ?? [];
      assert.ok(named.length > 0, `the reason of "${f.name}" names addresses: ${f.reason}`);
      for (const e of named)
        assert.ok(ends.has(e), `flow "${f.name}": ${e} is in no packet of the flow: ${f.reason}`);
    }
  });

  test(`${path}: every step but ARP and the bridges' own (STP) belongs to a flow`, () => {
    const doc = docOf(path);
    const names = new Set(doc.flows.map((f) => f.name));
    for (const s of doc.steps) {
      const network =
        (s.kind === 'packet' &&
          s.packet.proto !== 'tcp' &&
          s.packet.proto !== 'udp' &&
          s.packet.proto !== 'icmp') ||
        (s.kind === 'config' && /STP|BPDU/.test(s.text)) ||
        s.kind === 'event'; // a scenario event's command belongs to the network, not to a flow
      // A frame a blocking STP port drops may be a flow's or the network's own (ARP, a BPDU).
      if (s.kind === 'drop' && /\(STP\)/.test(s.reason)) assert.ok(s.flow === undefined || names.has(s.flow));
      else if (network) assert.equal(s.flow, undefined);
      else assert.ok(s.flow !== undefined && names.has(s.flow), `${JSON.stringify(s).slice(0, 300)}`);
    }
  });
}

test('a WAN port forward 8080 → 80: the reason says the answer came back from :8080, as its packets do', () => {
  const doc = exampleDoc('examples/port-forward/wan-8080.yaml');
  assert.equal(
    doc.flows[0]!.reason,
    "Connected to 82.120.11.22:8080: router DNATed the destination 82.120.11.22:8080 to 192.168.1.200:80; the server's answer came back through router, which translated it back to come from 82.120.11.22:8080. The server saw the client as 82.120.11.1:41000.",
  );
  // The SYN-ACK as the client received it.
  const synAck = doc.steps.find(
    (s) => s.kind === 'packet' && s.host === 'wanhost' && s.dir === 'in' && s.packet.flags === 'S.',
  );
  assert.ok(synAck && synAck.kind === 'packet');
  assert.equal(`${synAck.packet.src}:${synAck.packet.sport}`, '82.120.11.22:8080');
});

test('the hairpin DNAT-only flow: its steps are its packets both ways, and nothing else', () => {
  const doc = exampleDoc('examples/hairpin/dnat-only.yaml');
  const name = doc.flows[0]!.name;
  const client = doc.steps
    .filter((s) => s.flow === name && s.kind === 'packet' && s.host === 'client')
    .map((s) =>
      s.kind === 'packet' ? `${s.dir} ${s.packet.src}:${s.packet.sport} [${s.packet.flags}]` : '',
    );
  const round = ['out 192.168.1.10:40000 [S]', 'in 192.168.1.200:80 [S.]', 'out 192.168.1.10:40000 [R]'];
  assert.deepEqual(client, [...round, ...round, ...round]);
  // connect() giving up at 2.5 s is the flow's too.
  assert.ok(doc.steps.some((s) => s.flow === name && s.kind === 'socket' && s.event === 'timeout'));
});

test('firewall: each reason names the rule or policy that dropped or rejected, with table, chain, number and text', () => {
  const doc = docOf(FIREWALL);
  const why = Object.fromEntries(doc.flows.map((f) => [f.name, f.reason]));
  assert.equal(
    why.alt,
    'Timed out: 3 SYNs to 203.0.113.50:8080 got no answer; router dropped the SYN 3 times (filter FORWARD: no rule matched, policy DROP); connect() gave up after 2.5 s.',
  );
  assert.equal(
    why.dropped,
    'Timed out: 3 SYNs to 203.0.113.50:81 got no answer; router dropped the SYN 3 times (filter FORWARD rule 1: -A FORWARD -p tcp -m tcp --dport 81 -j DROP); connect() gave up after 2.5 s.',
  );
  assert.equal(
    why.udp,
    'Refused: ECONNREFUSED: ICMP destination unreachable code 3 (from 192.168.1.1); router rejected the datagram (filter FORWARD rule 2: -A FORWARD -p udp -j REJECT --reject-with icmp-port-unreachable).',
  );
  assert.equal(
    why.reset,
    'Refused: connection reset by 203.0.113.50:82; router rejected the SYN (filter FORWARD rule 3: -A FORWARD -p tcp -m tcp --dport 82 -j REJECT --reject-with tcp-reset).',
  );
  assert.doesNotMatch(why.web!, /dropped|rejected/);
  // The story (--story) names them too, at the step where the router drops the packet.
  const story = renderStory(doc);
  assert.match(
    story,
    /\n3\. router drops the packet: dropped by the filter table \(filter FORWARD: no rule matched, policy DROP\)\.\n/,
  );
  assert.match(
    story,
    /router drops the packet: dropped by the filter table \(filter FORWARD rule 1: -A FORWARD -p tcp -m tcp --dport 81 -j DROP\)\./,
  );
});

test('natbox test names the rule that decided a failed flow: text, JSON and JUnit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'natbox-reasons-'));
  try {
    const f = join(dir, 'fw.yaml');
    const junit = join(dir, 'junit.xml');
    // The same scenario, expecting the port-8080 flow to connect: it fails.
    const orig = readFileSync(join(root, FIREWALL), 'utf8');
    const text = orig.replace('expect: timeout # alt', 'expect: connected # alt');
    assert.notEqual(text, orig);
    writeFileSync(f, text);
    const r = natbox('test', '--junit', junit, f);
    assert.equal(r.code, 1, r.err);
    assert.match(
      r.out,
      /\n {4}got: {6}timeout\n {4}stopped: {2}router: filter FORWARD: no rule matched, policy DROP\n/,
    );
    assert.match(
      readFileSync(junit, 'utf8'),
      /stopped: router: filter FORWARD: no rule matched, policy DROP/,
    );
    const j = JSON.parse(natbox('test', '--json', '--flow', 'dropped', f).out);
    assert.equal(
      j.files[0].flows[0].stoppedBy,
      'router: filter FORWARD rule 1: -A FORWARD -p tcp -m tcp --dport 81 -j DROP',
    );
    assert.equal(j.files[0].flows.length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('natbox diff names the rule that changed a verdict', () => {
  const dir = mkdtempSync(join(tmpdir(), 'natbox-reasons-'));
  try {
    const b = join(dir, 'fw-open.yaml');
    // B accepts port 8080 too: the flow connects there, and the policy no longer stops it.
    const orig = readFileSync(join(root, FIREWALL), 'utf8');
    const text = orig.replace(
      /( *)iptables -A FORWARD -p tcp --dport 80 -j ACCEPT\n/,
      '$&$1iptables -A FORWARD -p tcp --dport 8080 -j ACCEPT\n',
    );
    assert.notEqual(text, orig);
    writeFileSync(b, text);
    const r = natbox('diff', '--flow', 'alt', FIREWALL, b);
    assert.equal(r.code, 1, r.err);
    assert.equal(
      r.out.split('\n').slice(2, 7).join('\n'),
      [
        'flow "alt" (client tcp 40001 → 203.0.113.50:8080):',
        '  verdict:      timeout → connected',
        '  server sees:  (no answer said) → 203.0.113.1:40001',
        '  answer from:  (none) → 203.0.113.50:8080',
        '  stopped by:   router: filter FORWARD: no rule matched, policy DROP → (nothing)',
      ].join('\n'),
    );
    assert.match(r.out, /\n1 flow changed, 0 unchanged\n$/);
    const j = JSON.parse(natbox('diff', '--json', FIREWALL, b).out);
    const alt = j.flows.find((x: { name: string }) => x.name === 'alt');
    assert.deepEqual(alt.stoppedBy, { a: 'router: filter FORWARD: no rule matched, policy DROP', b: null });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
