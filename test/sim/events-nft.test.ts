// nft commands as scenario events (src/sim/events-nft.ts). The expected stderr and exit statuses
// are the kernel's: test/conformance/nft/events-rule-added-live-connection.yaml under `natbox
// verify` (nft 1.0.6, Linux 6.18), and the real nft run by hand in a throwaway namespace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseEventCommand } from '../../src/sim/events.ts';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { readInput } from '../../src/cli/input.ts';
import { printNft } from '../../src/rules/nft/index.ts';
import { describeFrame } from '../../src/trace/frame.ts';

const at = (text: string) => ({ text, file: 's.yaml', line: 3, column: 10 });

test('an nft event is read, nft -f FILE too; list and a bad option are refused at their place', () => {
  const p = parseEventCommand(at('nft insert rule ip nat pre tcp dport 81 dnat to 10.0.0.11'));
  assert.ok(p.ok);
  assert.deepEqual(p.command, {
    kind: 'nft',
    line: {
      text: 'insert rule ip nat pre tcp dport 81 dnat to 10.0.0.11',
      file: 's.yaml',
      line: 3,
      column: 14,
    },
  });
  const l = parseEventCommand(at('nft list ruleset'));
  assert.ok(!l.ok);
  assert.match(l.message, /changes nothing/);
  const f = parseEventCommand(at('nft -f rules.nft'));
  assert.ok(f.ok);
  assert.deepEqual(f.command, { kind: 'nft', line: at('nft -f rules.nft'), file: 'rules.nft' });
  const f2 = parseEventCommand(at('nft -f rules.nft -c'));
  assert.ok(!f2.ok);
  assert.equal(f2.at.column, 27);
  assert.match(f2.message, /expected nft -f FILE/);
  const o = parseEventCommand(at('nft --bogus add table ip x'));
  assert.ok(!o.ok);
  assert.equal(o.token, '--bogus');
});

test('events-rule-added-live-connection: the stream keeps its DNAT until conntrack -D; a failing nft command changes nothing', () => {
  const file = 'test/conformance/nft/events-rule-added-live-connection.yaml';
  const r = simulateScenario(readFileSync(file, 'utf8'), file, { readFile: readInput });
  if (!r.ok) assert.fail(r.errors.join('\n'));
  const ev = r.sim.events.map((e) => [e.rc, e.stderr]);
  assert.deepEqual(ev, [
    [0, ''],
    [
      1,
      'Error: Could not process rule: No such file or directory\ndelete rule ip nat pre handle 99\n                              ^^\n',
    ],
    [0, ''],
    [0, 'conntrack v1.4.7 (conntrack-tools): 1 flow entries have been deleted.\n'],
  ]);
  // The router's ruleset after the run: the inserted dnat first, the added rule with its counter.
  const nft = printNft(r.sim.world.host('router').nft!);
  assert.match(
    nft,
    /chain pre \{\n[^\n]*\n\t\tiifname "wan" meta l4proto \{ tcp, udp \} th dport 27015 dnat to 10\.0\.0\.11\n\t\tiifname "wan" udp dport 27015 dnat to 10\.0\.0\.10\n/,
  );
  assert.match(nft, /ip daddr 10\.0\.0\.11 counter packets \d+ bytes \d+ accept/);
  // The stream: datagrams 1-5 (0 to 2.4 s, before conntrack -D at 2.7 s) to the old server, the 6th (3 s) to the new one.
  const lan = r.sim.world.links.find((x) => x.cfg.name === 'lan')!;
  const to = (dst: string): number =>
    lan.captures.filter((c) => {
      const d = describeFrame(c.frame);
      return d.proto === 'udp' && d.src === '203.0.113.50' && d.dst === dst;
    }).length;
  assert.deepEqual([to('10.0.0.10'), to('10.0.0.11')], [5, 1]);
});
