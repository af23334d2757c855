// `natbox verify`: the parts that need no root (address remapping, conntrack parsing, the
// comparator on natbox's own run, bad input) always run; the live runs on the kernel (network
// namespaces, iptables, tcpdump, conntrack) skip, saying why, where the machine cannot do them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConntrackLine, type CtEntry } from '../../src/oracle/conntrack.ts';
import { compareRuns, formatDifference, timeoutRange, type SideRun } from '../../src/oracle/compare.ts';
import type { RawPacket } from '../../src/oracle/packets.ts';
import { environmentProblems } from '../../src/dataplane/kernel/live.ts';
import {
  compareVerify,
  LATE_MS,
  lateRun,
  prepareVerify,
  renderReport,
  natboxSideRun,
  settleRandomPaths,
  verifyPrepared,
  type Prepared,
  type ScenarioReport,
} from '../../src/cli/verify/verify.ts';
import { CLI } from '../cli-argv.ts';
import { simulate } from '../../src/sim/run.ts';

const EXAMPLES = ['examples/hairpin/dnat-only.yaml', 'examples/hairpin/dnat-snat.yaml'];
const read = (f: string): string => readFileSync(f, 'utf8');

function prepared(file: string): Prepared {
  const p = prepareVerify(read(file), file);
  assert.ok(p.ok, p.ok ? '' : p.errors.join('\n'));
  return p.prepared;
}

/** natbox's own side compared with a kernel side made from it. */
const againstNatbox = (p: Prepared, kernel: SideRun, end?: number) =>
  compareRuns({
    flows: p.built.flows,
    literal: p.literal,
    ctHosts: p.ctHosts,
    natbox: p.natbox,
    kernel,
    ...(end !== undefined ? { end } : {}),
  });

/** natbox's side with one packet changed (a copy; the original is untouched). */
function mutate(side: SideRun, pick: (p: RawPacket) => boolean, change: Partial<RawPacket>): SideRun {
  let done = false;
  const packets = side.side.packets.map((p) => {
    if (done || !pick(p)) return p;
    done = true;
    return { ...p, ...change };
  });
  assert.ok(done, 'no packet to mutate');
  return { ...side, side: { ...side.side, packets } };
}

test('public addresses move to a documentation /24 on both sides, private ones stay', () => {
  const p = prepared('examples/hairpin/dnat-only.yaml');
  assert.deepEqual([...p.moved], [['82.120.11', '203.0.113']]);
  const router = p.scenario.hosts.find((h) => h.name.value === 'router')!;
  assert.deepEqual(
    router.interfaces.find((i) => i.name.value === 'wan')!.addresses.map((a) => a.value),
    ['203.0.113.22/24'],
  );
  assert.match(router.rules!.lines[0]!.value, /-d 203\.0\.113\.22\/32 .*--to-destination 192\.168\.1\.200$/);
  assert.equal(p.scenario.flows[0]!.dst.value, '203.0.113.22');
  const wide = prepareVerify(
    read('examples/hairpin/dnat-only.yaml').replace(
      '[default via 192.168.1.1]',
      '[82.0.0.0/8 via 192.168.1.1]',
    ),
    'wide.yaml',
  );
  assert.ok(!wide.ok);
  assert.match(
    wide.errors.join('\n'),
    /^wide\.yaml:\d+:\d+: the public network 82\.0\.0\.0\/8 is wider than \/24/,
  );
});

test('conntrack -L lines parse to proto, state, timeout, tuples and flags; -o labels lines to labels', () => {
  const e = parseConntrackLine(
    'tcp      6 116 SYN_SENT src=192.168.1.10 dst=203.0.113.22 sport=40000 dport=80 [UNREPLIED] src=192.168.1.200 dst=192.168.1.10 sport=80 dport=40000 mark=0 use=1',
  );
  assert.deepEqual(e, {
    proto: 'tcp',
    state: 'SYN_SENT',
    orig: { src: '192.168.1.10', dst: '203.0.113.22', sport: 40000, dport: 80 },
    reply: { src: '192.168.1.200', dst: '192.168.1.10', sport: 80, dport: 40000 },
    flags: ['UNREPLIED'],
    timeout: 116,
  });
  // `conntrack -L -o labels` with every bit named by its number (live.ts listWithLabels).
  const l = (line: string) => parseConntrackLine(line, { labels: true })?.labels;
  const base =
    'tcp      6 116 TIME_WAIT src=203.0.113.50 dst=10.0.0.10 sport=40000 dport=22 src=10.0.0.10 dst=203.0.113.50 sport=22 dport=40000 [ASSURED] mark=0 use=1';
  assert.equal(l(`${base} labels=3,100`), '3,100');
  assert.equal(l(base), '');
  assert.equal(parseConntrackLine(`${base} labels=3`)?.labels, undefined); // read without the map
  const i = parseConntrackLine(
    'icmp     1 29 src=192.168.1.10 dst=203.0.113.50 type=8 code=0 id=20306 src=203.0.113.50 dst=203.0.113.22 type=0 code=0 id=20306 mark=0 use=1',
  );
  assert.equal(i?.orig.id, 20306);
  assert.equal(i?.state, undefined);
  assert.equal(
    parseConntrackLine('conntrack v1.4.7 (conntrack-tools): 1 flow entries have been shown.'),
    undefined,
  );
});

test('the comparator: natbox against itself matches; a changed source port is the first difference', () => {
  const p = prepared('examples/hairpin/dnat-snat.yaml');
  const same = compareVerify(p, p.natbox);
  assert.ok(
    same.packets.match && same.conntrack.match && same.verdict.match,
    JSON.stringify(same.differences),
  );
  // The SNATed SYN leaves the router on lan3 from 192.168.1.1:40000: make it another port.
  const broken = mutate(p.natbox, (x) => x.iface === 'router:lan3' && x.flags === 'S', { sport: 40001 });
  const cmp = compareRuns({
    flows: p.built.flows,
    literal: p.literal,
    ctHosts: p.ctHosts,
    natbox: broken,
    kernel: p.natbox,
  });
  assert.equal(cmp.packets.match, false);
  const d = cmp.packets.first!;
  assert.equal(d.where, 'router:lan3');
  assert.equal(d.index, 0);
  assert.equal(d.field, 'src');
  // 40001 is no port the scenario names: a port NAT would have chosen, shown as a label.
  assert.equal(d.natbox, '192.168.1.1:$p1');
  assert.equal(d.kernel, '192.168.1.1:40000');
  const text = formatDifference(d);
  assert.match(
    text,
    /^packets: flow "client opens the web page through the public address", router:lan3 packet #0: src: natbox 192\.168\.1\.1:\$p1, kernel 192\.168\.1\.1:40000\n {2}natbox: out tcp 192\.168\.1\.1:\$p1 > 192\.168\.1\.200:80 \[S\]/,
  );
});

test('conntrack labels and remaining timeouts: compared where the kernel side read them', () => {
  const p = prepared('examples/hairpin/dnat-snat.yaml');
  const h = p.ctHosts[0]!;
  const mine = p.natbox.conntrack.get(h)!;
  assert.ok(mine.length > 0 && mine.every((e) => e.labels === '' && typeof e.timeout === 'number'));
  const left = mine[0]!.timeout!;
  // The kernel's side as `conntrack -L -o labels` would give it: whole seconds, read `at` after the end.
  const kernel = (f: (e: CtEntry) => CtEntry, at: readonly [number, number] = [0.05, 0.1]): SideRun => ({
    ...p.natbox,
    conntrack: new Map([[h, mine.map((e) => f({ ...e, timeout: Math.floor(e.timeout! - 0.07) }))]]),
    ctReadAt: new Map([[h, at]]),
  });
  const run = (k: SideRun) => againstNatbox(p, k);
  assert.ok(run(kernel((e) => e)).conntrack.match);
  // A label bit on one side only.
  const lab = run(kernel((e) => ({ ...e, labels: '3' }))).conntrack.first!;
  assert.deepEqual([lab.field, lab.natbox, lab.kernel], ['labels', '(none)', '3']);
  // Not read on the kernel's side (no overlay /etc): not compared.
  assert.ok(run(kernel(({ labels: _, ...e }) => e)).conntrack.match);
  // A timeout 2 s short, and one 2 s over what a read 0.05-0.1 s after the end allows.
  const short = run(kernel((e) => ({ ...e, timeout: e.timeout! - 2 }))).conntrack.first!;
  assert.equal(short.field, 'timeout');
  assert.match(
    short.natbox,
    /s left at the end \(\d+(-\d+)? when the kernel's table was read, 0\.05-0\.10 s after\)/,
  );
  assert.equal(run(kernel((e) => ({ ...e, timeout: e.timeout! + 2 }))).conntrack.first?.field, 'timeout');
  // Read later, a lower value is allowed; without the read time, timeouts are not compared.
  assert.ok(run(kernel((e) => ({ ...e, timeout: e.timeout! - 2 }), [2, 2.2])).conntrack.match);
  const { ctReadAt: _, ...noTime } = kernel((e) => ({ ...e, timeout: 0 }));
  assert.ok(run(noTime).conntrack.match);
  // timeoutRange: floor of [left - to - jitter, left - from + jitter], never below 0.
  assert.deepEqual(timeoutRange(116.7, [0.05, 0.1]), [116, 117]);
  assert.deepEqual(timeoutRange(116.3, [0.05, 0.1]), [115, 116]);
  assert.deepEqual(timeoutRange(116.3, [2, 2.2]), [113, 114]);
  assert.deepEqual(timeoutRange(0.2, [0.05, 0.5]), [0, 0]);
  assert.ok(left > 0);
});

test('conntrack -S: the kernel counters may hold its packets after the end, up to when -S was read', () => {
  // gen-2001-54 (seed 2001 #54): r1's own SYN-ACK, sent again by a timer the wheel rounded past
  // the run's end (7.58 s, end 7.4), and its client's ACK, both INVALID, came before r1's
  // `conntrack -S` was read: invalid 15 against natbox's 13, which reads at the end.
  const p = prepared('examples/hairpin/dnat-snat.yaml');
  const h = p.ctHosts[0]!;
  const mine = p.natbox.ctStats!.get(h)!;
  const end = Math.max(...p.natbox.side.packets.map((x) => x.t)) + 1;
  const last = p.natbox.side.packets.filter((x) => x.iface.startsWith(`${h}:`)).at(-1)!;
  const kernel = (extra: number, late: readonly number[], at?: number): SideRun => ({
    ...p.natbox,
    side: {
      ...p.natbox.side,
      packets: [...p.natbox.side.packets, ...late.map((d) => ({ ...last, t: end + d }))],
    },
    ctStats: new Map([[h, { ...mine, invalid: mine.invalid + extra }]]),
    ...(at !== undefined ? { ctStatsAt: new Map([[h, at]]) } : {}),
  });
  const run = (k: SideRun) => againstNatbox(p, k, end);
  assert.ok(run(kernel(0, [], 0.3)).conntrack.match);
  // Two packets of the host after the end, -S read 0.3 s after it: up to 2 more.
  assert.ok(run(kernel(2, [0.1, 0.15], 0.3)).conntrack.match);
  assert.ok(run(kernel(1, [0.1, 0.15], 0.3)).conntrack.match);
  const over = run(kernel(3, [0.1, 0.15], 0.3)).conntrack.first!;
  assert.deepEqual(
    [over.field, over.natbox, over.kernel],
    ['conntrack -S invalid', `${mine.invalid}`, `${mine.invalid + 3}`],
  );
  assert.match(over.context!, /\(2 packets of .* after the end counted\)/);
  // Never fewer; packets after the read, or no read time: no allowance.
  assert.equal(run(kernel(-1, [0.1, 0.15], 0.3)).conntrack.first?.field, 'conntrack -S invalid');
  assert.equal(run(kernel(2, [0.4, 0.5], 0.3)).conntrack.first?.field, 'conntrack -S invalid');
  assert.equal(run(kernel(2, [0.1, 0.15])).conntrack.first?.field, 'conntrack -S invalid');
});

test('ports NAT chose at random are compared as labels ($p1), not as values', () => {
  const p = prepared('examples/hairpin/dnat-snat.yaml');
  // The router's SNAT port, 192.168.1.1:40000, as if NAT had picked another one: 51234 on one
  // side, 52345 on the other. Neither is a port the scenario names, so both are $p1.
  const rename = (s: SideRun, port: number): SideRun => ({
    ...s,
    side: {
      ...s.side,
      packets: s.side.packets.map((x) =>
        x.src === '192.168.1.1' && x.sport === 40000
          ? { ...x, sport: port }
          : x.dst === '192.168.1.1' && x.dport === 40000
            ? { ...x, dport: port }
            : x,
      ),
    },
  });
  const a = compareRuns({
    flows: p.built.flows,
    literal: p.literal,
    ctHosts: [],
    natbox: rename(p.natbox, 51234),
    kernel: rename(p.natbox, 52345),
  });
  assert.ok(a.packets.match, a.packets.first && formatDifference(a.packets.first));
  // A label is one value throughout: a second, different port on one side is a difference.
  const b = compareRuns({
    flows: p.built.flows,
    literal: p.literal,
    ctHosts: [],
    natbox: mutate(rename(p.natbox, 51234), (x) => x.iface === 'server:eth0' && x.dport === 51234, {
      dport: 51235,
    }),
    kernel: rename(p.natbox, 52345),
  });
  assert.equal(b.packets.first?.where, 'server:eth0');
  assert.equal(b.packets.first?.natbox, '192.168.1.1:$p2');
  assert.equal(b.packets.first?.kernel, '192.168.1.1:$p1');
});

test("a difference found while a client started late is the machine's (environment, exit 3), a match stays one", () => {
  const flows = prepared(EXAMPLES[1]!).built.flows;
  const base: ScenarioReport = {
    scenario: 's',
    file: 'f',
    status: 'mismatch',
    remapped: [],
    notes: [],
    seconds: 1,
  };
  const late = lateRun(base, [LATE_MS + 650], flows);
  assert.equal(late.status, 'error');
  assert.equal(late.failure, 'environment');
  assert.match(
    late.error ?? '',
    /^the kernel run was not on time: the client of flow "client opens the web page through the public address" started or closed 900 ms after its time \(more than 250 ms/,
  );
  assert.equal(lateRun(base, [LATE_MS], flows), base);
  const match = { ...base, status: 'match' as const };
  assert.equal(lateRun(match, [5000], flows), match);
});

test('bad input: a flow to an address no host has exits 2 before anything runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'natbox-verify-test-'));
  const f = join(dir, 'stray.yaml');
  writeFileSync(
    f,
    read('examples/hairpin/dnat-only.yaml').replace('to: 82.120.11.22:80', 'to: 198.51.100.9:80'),
  );
  const r = spawnSync(process.execPath, [...CLI, 'verify', f], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 2, r.stderr);
  assert.match(
    r.stderr,
    /stray\.yaml:\d+:\d+: flow "client opens the web page through the public address" targets 198\.51\.100\.9/,
  );
  const missing = spawnSync(process.execPath, [...CLI, 'verify', join(dir, 'nope.yaml')], {
    encoding: 'utf8',
  });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /nope\.yaml: no such file/);
  rmSync(dir, { recursive: true, force: true });
});

const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((f) => existsSync(f));
test(
  'without root: a clear message and exit 3, before anything is created',
  { skip: process.getuid?.() !== 0 || !setpriv ? 'needs root and setpriv(1) to drop to nobody' : undefined },
  () => {
    const r = spawnSync(
      setpriv!,
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        process.execPath,
        '--import',
        'tsx',
        'src/cli/main.ts',
        'verify',
        EXAMPLES[0]!,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, /natbox verify: cannot run scenarios on this machine's kernel:\n {2}- needs root/);
    assert.equal(r.stdout, '');
  },
);

const problems = environmentProblems('nft');
const noKernel = problems.length
  ? `natbox verify cannot run on this machine's kernel: ${problems.join('; ')}`
  : undefined;

test(
  'live: the two hairpin examples on the kernel agree with natbox (CLI, JSON, exit 0)',
  { skip: noKernel },
  () => {
    const r = spawnSync(process.execPath, [...CLI, 'verify', '--json', ...EXAMPLES], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    const doc = JSON.parse(r.stdout) as {
      format: string;
      ok: boolean;
      scenarios: { scenario: string; status: string; remapped: string[]; first?: unknown; notes: string[] }[];
    };
    const why = doc.scenarios
      .map((s) => `${s.scenario}: ${s.status} ${JSON.stringify(s.first ?? s.notes)}`)
      .join('\n');
    assert.equal(r.status, 0, `${why}\n${r.stderr}`);
    assert.equal(doc.format, 'natbox-verify/1');
    assert.deepEqual(
      doc.scenarios.map((s) => [s.scenario, s.status, s.remapped]),
      [
        ['hairpin-dnat-only', 'match', ['82.120.11.0/24 -> 203.0.113.0/24']],
        ['hairpin-dnat-snat', 'match', ['82.120.11.0/24 -> 203.0.113.0/24']],
      ],
    );
    // Only this run's namespaces (named after its process): other runs may be under way.
    const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    assert.doesNotMatch(left, new RegExp(`nbx-${r.pid}-`), 'every namespace of the run is gone');
  },
);

test(
  'live: a deliberately broken natbox side fails with a readable first difference',
  { skip: noKernel },
  async () => {
    const p = prepared('examples/hairpin/dnat-only.yaml');
    const { report, kernel } = await verifyPrepared(p, { backend: 'nft', runId: 90 });
    assert.equal(report.status, 'match', JSON.stringify(report.first ?? report.error));
    assert.ok(kernel);
    // The client's first SYN, as the router receives it on lan1, from another source port.
    const broken = mutate(p.natbox, (x) => x.iface === 'router:lan1' && x.flags === 'S', { sport: 40123 });
    const cmp = compareRuns({
      flows: p.built.flows,
      literal: p.literal,
      ctHosts: p.ctHosts,
      natbox: broken,
      kernel,
    });
    assert.equal(cmp.packets.match, false);
    assert.match(
      formatDifference(cmp.differences[0]!),
      /^packets: flow "client opens the web page through the public address", router:lan1 packet #0: src: natbox 192\.168\.1\.10:\$p1, kernel 192\.168\.1\.10:40000\n {2}natbox: in tcp 192\.168\.1\.10:\$p1 > 203\.0\.113\.22:80 \[S\] seq I0 len 0 ttl 64 .*\n {2}kernel: in tcp 192\.168\.1\.10:40000 > 203\.0\.113\.22:80 \[S\] seq I0 len 0 ttl 64/,
    );
  },
);

const KEYWORDS = 'test/verify/scenarios/keyword-interfaces.yaml';

test(
  'live: devices named up, a, dev, help match the kernel; --keep leaves the namespaces and says how to enter and remove them',
  { skip: noKernel },
  () => {
    const r = spawnSync(process.execPath, [...CLI, 'verify', '--json', '--keep', KEYWORDS], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    const removal = /^remove them all with:\n {2}(for ns in .*; done)$/m.exec(r.stderr)?.[1];
    const kept = [...r.stderr.matchAll(/^ {4}(\S+) +(ip netns exec (\S+) bash)$/gm)];
    try {
      const doc = JSON.parse(r.stdout) as {
        ok: boolean;
        scenarios: ScenarioReport[];
        kept: { namespaces: string[]; remove: string };
      };
      assert.equal(r.status, 0, `${doc.scenarios.map(renderReport).join('\n')}\n${r.stderr}`);
      assert.equal(doc.scenarios[0]!.status, 'match');
      // One namespace per host, named after the run's process; each line enters its namespace.
      const prefix = `nbx-${r.pid}-0-`;
      assert.deepEqual(
        kept.map((m) => m[1]),
        ['router', 'client', 'other', 'server', 'void'].map((h) => prefix + h),
        r.stderr,
      );
      assert.ok(kept.every((m) => m[3] === m[1]));
      assert.ok(removal, r.stderr);
      assert.deepEqual(doc.kept, { namespaces: kept.map((m) => m[1]), remove: removal });
      const listed = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
      for (const m of kept) assert.match(listed, new RegExp(`^${m[1]}\\b`, 'm'));
      // The printed command enters the router's namespace, as the run left it.
      const inside = spawnSync('sh', ['-c', kept[0]![2]!], {
        input: 'ip -br addr show dev dev; iptables-nft -t nat -S POSTROUTING\n',
        encoding: 'utf8',
        timeout: 10_000,
      });
      assert.match(inside.stdout, /^dev@\S+ +UP +198\.51\.100\.1\/24/m, inside.stderr);
      assert.match(inside.stdout, /^-A POSTROUTING -o dev -j MASQUERADE$/m);
      // The printed removal command removes exactly them.
      const rm = spawnSync('sh', ['-c', removal!], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(rm.status, 0, rm.stderr);
      const after = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
      assert.doesNotMatch(after, new RegExp(prefix));
    } finally {
      if (removal) spawnSync('sh', ['-c', removal], { timeout: 30_000 });
      for (const m of kept) spawnSync('ip', ['netns', 'del', m[1]!], { timeout: 5000 });
    }
  },
);

test(
  'live: a tool failing during the run exits 3 with its command and stderr, not 1, and removes everything',
  { skip: noKernel },
  () => {
    // A tcpdump that fails first in PATH: `ip netns exec NS tcpdump …` runs it.
    const dir = mkdtempSync(join(tmpdir(), 'natbox-verify-fake-'));
    try {
      writeFileSync(
        join(dir, 'tcpdump'),
        '#!/bin/sh\necho "tcpdump: fake failure for the test" >&2\nexit 7\n',
        { mode: 0o755 },
      );
      const r = spawnSync(process.execPath, [...CLI, 'verify', EXAMPLES[0]!], {
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}` },
      });
      assert.equal(r.status, 3, `${r.stdout}\n${r.stderr}`);
      assert.match(
        r.stderr,
        /natbox verify: examples\/hairpin\/dnat-only\.yaml: the kernel run failed: tcpdump on router ended \(exit 7\) before "listening on": ip netns exec nbx-\d+-0-router tcpdump -i any .*\ntcpdump: fake failure for the test/,
      );
      assert.match(r.stdout, /hairpin-dnat-only .*: error in/);
      const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
      assert.doesNotMatch(left, new RegExp(`nbx-${r.pid}-`), 'every namespace of the run is gone');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  "live: the kernel's reading of the rules is checked before anything is sent (exit 2, not a difference)",
  { skip: noKernel },
  async () => {
    const p = prepared(EXAMPLES[0]!);
    // As if a rule reached the kernel's iptables in a form natbox read otherwise: its text (what the
    // kernel gets) says 8.8.8.8 while natbox's parsed rule, checked before, says 192.168.1.200.
    const scenario = {
      ...p.scenario,
      hosts: p.scenario.hosts.map((h) =>
        h.rules
          ? {
              ...h,
              rules: {
                lines: h.rules.lines.map((l) => ({
                  ...l,
                  value: l.value.replace('--to-destination 192.168.1.200', '--to-destination 8.8.8.8'),
                })),
              },
            }
          : h,
      ),
    };
    const { report, run } = await verifyPrepared({ ...p, scenario }, { backend: 'nft', runId: 91 });
    assert.equal(report.status, 'error');
    assert.equal(report.failure, 'input');
    assert.equal(run, undefined);
    assert.match(
      report.error ?? '',
      /^router: the kernel's iptables-nft read the rules with public addresses outside the documentation ranges \(8\.8\.8\.8\); nothing was sent$/,
    );
    const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    assert.doesNotMatch(left, new RegExp(`nbx-${process.pid}-91-`));
  },
);

test(
  'live: SIGINT removes every namespace of the run, also with --keep (exit 130)',
  { skip: noKernel },
  async () => {
    const child = spawn(process.execPath, [...CLI, 'verify', '--keep', EXAMPLES[0]!], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    const prefix = `nbx-${child.pid}-0-`;
    const list = (): string => spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    try {
      // Interrupted while the run is being built: its namespace for unlinked interfaces exists.
      const end = Date.now() + 60_000;
      while (!list().includes(`${prefix}void`) && Date.now() < end && child.exitCode === null)
        await new Promise((r) => setTimeout(r, 50));
      assert.match(list(), new RegExp(`${prefix}router`), stderr);
      child.kill('SIGINT');
      assert.equal(await exited, 130, stderr);
      assert.match(stderr, /natbox verify: SIGINT: removed the namespaces and processes of this run/);
      assert.doesNotMatch(list(), new RegExp(prefix));
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      for (const ns of list().split('\n'))
        if (ns.startsWith(prefix)) spawnSync('ip', ['netns', 'del', ns.split(' ')[0]!], { timeout: 5000 });
    }
  },
);

test("the run's end: the kernel's packets after it are left out, and natbox's last ones whose twins came after it", () => {
  const p = prepared('examples/hairpin/dnat-snat.yaml');
  const last = Math.max(...p.natbox.side.packets.map((x) => x.t));
  const shift = (s: SideRun, iface: string, by: number): SideRun => {
    const at = s.side.packets.filter((x) => x.iface === iface).at(-1)!;
    return {
      ...s,
      side: { ...s.side, packets: s.side.packets.map((x) => (x === at ? { ...x, t: x.t + by } : x)) },
    };
  };
  const run = (natbox: SideRun, kernel: SideRun, end: number) =>
    compareRuns({ flows: p.built.flows, literal: p.literal, ctHosts: [], natbox, kernel, end });
  const iface = p.natbox.side.packets.find((x) => x.t === last)!.iface;
  // The kernel sent one more packet 0.05 s after the end (a timer natbox's run ended before).
  const extra: SideRun = {
    ...p.natbox,
    side: {
      ...p.natbox.side,
      packets: [
        ...p.natbox.side.packets,
        { ...p.natbox.side.packets.find((x) => x.t === last)!, t: last + 0.06 },
      ],
    },
  };
  assert.ok(run(p.natbox, extra, last + 0.01).packets.match);
  assert.equal(run(p.natbox, extra, Infinity).packets.match, false);
  // The kernel's twin of natbox's last packet came 0.05 s after the end (its capture runs on).
  assert.ok(run(p.natbox, shift(p.natbox, iface, 0.06), last + 0.01).packets.match);
  // natbox's packet itself after the end never happens (the simulation stops there); its twin
  // absent from the kernel altogether is still a difference.
  const gone = {
    ...p.natbox,
    side: { ...p.natbox.side, packets: p.natbox.side.packets.filter((x) => x.t !== last) },
  };
  assert.equal(run(p.natbox, gone, last + 0.01).packets.match, false);
  // Without an end, nothing is left out: the late twin is compared as it is (and matches).
  assert.ok(run(p.natbox, shift(p.natbox, iface, 0.06), Infinity).packets.match);
});

test("policy-1 random paths: natbox is compared with a run taking the kernel's paths (settleRandomPaths)", () => {
  const p = prepared('test/conformance/extra/multipath-policy1-socket-hash.yaml');
  // TCP and connected UDP flows are random at r1; the unconnected UDP flows are not.
  const flows = [...new Set((p.randomPicks ?? []).map((r) => r.flow))].sort();
  assert.deepEqual(flows, ['c1', 'c2', 'c3', 't1', 't2', 't3', 't4']);
  const t1 = p.randomPicks!.find((r) => r.flow === 't1')!;
  assert.equal(t1.host, 'r1');
  assert.deepEqual(t1.pick.devs, ['eth1', 'eth2']);
  // A "kernel" that took t1's other path: natbox's own run, forced so.
  const other = t1.pick.dev === 'eth1' ? 'eth2' : 'eth1';
  const key = `${t1.pick.src}:${t1.pick.sport}>${t1.pick.dst}:${t1.pick.dport}/${t1.pick.proto}`;
  const kernel = settleRandomPathsForced(p, new Map([['r1', new Map([[key, other]])]]));
  const plain = compareVerify(p, kernel);
  assert.equal(plain.packets.match, false, 'natbox as it is differs from that kernel');
  const settled = settleRandomPaths(p, kernel);
  const cmp = compareVerify(settled.prep, kernel);
  assert.ok(cmp.packets.match && cmp.verdict.match, JSON.stringify(cmp.differences));
  const note = settled.notes.find((n) => n.startsWith('flow "t1"'));
  assert.match(note ?? '', new RegExp(`the kernel took ${other}, natbox ${t1.pick.dev}: natbox is compared`));
  assert.match(settled.notes.find((n) => n.startsWith('flow "t2"')) ?? '', /as natbox$/);
  // Against natbox's own run nothing is run again.
  assert.equal(settleRandomPaths(p, p.natbox).prep, p);
});

/** natbox's side of `p` run again with the given paths (a stand-in for a kernel run). */
function settleRandomPathsForced(p: Prepared, forced: Map<string, Map<string, string>>): SideRun {
  const sim = simulate(p.built.world, p.built.flows, { seed: p.seed ?? 1, forcedPaths: forced });
  return natboxSideRun(sim, p.ctHosts);
}
