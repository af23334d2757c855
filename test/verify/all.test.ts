// Kernel parity for every scenario: each file of examples/*/*.yaml, test/conformance/scenarios/
// and test/conformance/extra/ is built out of network namespaces, run on this machine's kernel
// with real sockets, and compared with natbox's simulation packet by packet, conntrack entry by
// entry and verdict by verdict (`natbox verify --json`, one CLI run per scenario in a private
// mount namespace: see verifyFile). One test per scenario, run one after another (about 5 s
// each). Every scenario must match, except those in SKIP, each with the natbox gap that keeps it
// from matching yet. On a machine without root, network namespaces
// or the tools, every live test skips and says what is missing.
//
// NATBOX_VERIFY_ALL=0 skips the live runs; NATBOX_VERIFY_BUDGET (seconds, default 900) bounds
// their total time: scenarios left when it is spent skip, saying so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { environmentProblems } from '../../src/dataplane/kernel/live.ts';
import { prepareVerify, renderReport, type ScenarioReport } from '../../src/cli/verify/verify.ts';
import { verdictSatisfies, type Verdict } from '../../src/sim/flows.ts';

const DIRS = [
  ...readdirSync('examples', { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join('examples', d.name))
    .sort(),
  'test/conformance/scenarios',
  'test/conformance/extra',
  'test/verify/selftests',
];
const FILES = DIRS.flatMap((d) =>
  readdirSync(d)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(d, f)),
);

/**
 * Scenarios not verified live: file → why. Either natbox verify cannot build them (loops, STP), or
 * natbox differs from the kernel there (the selftest scenarios: the gap, from FINDINGS.md).
 */
const SKIP: Record<string, string> = {
  // Every other scenario matches the kernel. Add an entry only for a named natbox gap.
  'examples/loops/two-cables.yaml':
    'a bridge loop without STP: on the kernel a real broadcast storm, which natbox verify refuses to build',
  'examples/loops/self-loop.yaml':
    'a bridge loop without STP: on the kernel a real broadcast storm, which natbox verify refuses to build',
  'examples/loops/two-cables-stp.yaml':
    'natbox verify builds no STP bridges yet (test/stack/stp-kernel.test.ts compares STP with the kernel)',
  'test/conformance/scenarios/hairpin-vip-dnat-from-wan.yaml':
    'its flows go to a virtual address (198.51.100.80) no host has, which a live run does not send to: the kernel reference run is its record',
  // Kernel selftest scenarios: all 22 agree (test/verify/selftests/FINDINGS.md).
};

// python3 is looked for (ICMP flows use a raw socket in it), not run: on a loaded machine its start
// alone took more than 5 s, and every live test skipped saying it was missing.
const problems = process.env.NATBOX_VERIFY_ALL === '0' ? [] : environmentProblems('nft', { icmp: true });
if (!problems.length && process.env.NATBOX_VERIFY_ALL !== '0') {
  const us = spawnSync('unshare', ['--mount', '--propagation', 'private', 'true'], { timeout: 30_000 });
  if (us.status !== 0) problems.push('cannot make a mount namespace with unshare(1) (util-linux)');
}
const noKernel =
  process.env.NATBOX_VERIFY_ALL === '0'
    ? 'NATBOX_VERIFY_ALL=0'
    : problems.length
      ? `natbox verify cannot run on this machine's kernel: ${problems.join('; ')}`
      : undefined;
const budget = Number(process.env.NATBOX_VERIFY_BUDGET ?? 900);
const started = Date.now();
let ran = 0;

test('the scenario list: every directory has scenarios, every skip names an existing file', () => {
  for (const d of DIRS)
    assert.ok(
      FILES.some((f) => f.startsWith(`${d}/`)),
      `no scenario in ${d}`,
    );
  assert.ok(FILES.length >= 25, `${FILES.length} scenarios`);
  for (const [f, why] of Object.entries(SKIP)) {
    assert.ok(existsSync(f), `skip list names ${f}, which does not exist`);
    assert.ok(why.length > 20, `skip of ${f} says why`);
  }
});

/** What a verify run says of one scenario (its `natbox-verify/1` JSON report). */
interface Run {
  report: ScenarioReport;
  /** Namespaces left in the run's private /run/netns after the CLI exited (none, if it cleaned up). */
  left: string;
}

// Each scenario runs through the CLI in a mount namespace of its own with a private tmpfs on
// /run/netns, so that its network namespaces are seen by no one else: runs of other test files at
// the same time (verify.test.ts checks that `ip netns list` shows no `nbx-` at all after its own
// run) neither see these nor disturb them, and they all go when the run ends, even if it is killed.
const SCRIPT = [
  'mkdir -p /run/netns && mount -t tmpfs natbox-verify /run/netns || exit 3',
  `"$0" --import tsx src/cli/main.ts verify --json "$1"`,
  'rc=$?',
  'echo "left:$(ls /run/netns | tr "\\n" " ")" >&2',
  'exit $rc',
].join('\n');

function verifyFile(file: string): Run {
  const r = spawnSync(
    'unshare',
    ['--mount', '--propagation', 'private', 'sh', '-c', SCRIPT, process.execPath, file],
    { encoding: 'utf8', timeout: 120_000, killSignal: 'SIGTERM', maxBuffer: 64 << 20 },
  );
  let doc: { scenarios?: ScenarioReport[] } = {};
  try {
    doc = JSON.parse(r.stdout) as typeof doc;
  } catch {
    /* reported below */
  }
  const report = doc.scenarios?.[0];
  assert.ok(report, `natbox verify ${file}: exit ${r.status}, no report\n${r.stderr}`);
  return { report, left: /left:(.*)/.exec(r.stderr)?.[1]?.trim() ?? '(unknown)' };
}

/** A flow whose server, on the kernel, saw a port of fewer than five digits (see the retry). */
const kernelShortPort = (r: ScenarioReport): boolean =>
  r.first?.field === 'len' && (r.flows ?? []).some((f) => /server saw [\d.]+:\d{1,4}\)/.test(f.kernel));

FILES.forEach((file) => {
  test(
    `live: ${file} matches the kernel`,
    { skip: noKernel ?? (SKIP[file] ? `does not match yet: ${SKIP[file]}` : undefined), timeout: 400_000 },
    (t) => {
      const spent = (Date.now() - started) / 1000;
      if (spent > budget) {
        t.skip(`the live runs' time budget of ${budget} s is spent (NATBOX_VERIFY_BUDGET)`);
        return;
      }
      const p = prepareVerify(readFileSync(file, 'utf8'), file);
      assert.ok(p.ok, p.ok ? '' : p.errors.join('\n'));
      let run = verifyFile(file);
      // A known harness flake, not a natbox gap: natbox's servers write the peer's port zero-padded
      // to five digits (`pong peer=IP:01028`, src/stack/sockets.ts) so that payload lengths do not
      // depend on the port NAT chose at random; the kernel side's server (src/dataplane/kernel/agents.ts,
      // SERVER_SCRIPT) does not pad it. When the kernel picks a port below 10000 (scenarios with a
      // port clash), the answer is a byte shorter and its `len` differs. Such a scenario runs
      // again (a new random port), at most twice.
      // Likewise a run the machine was too loaded to keep on time (a client started late: `natbox
      // verify` says so and exits 3, src/cli/verify/verify.ts lateRun) runs again, at most twice.
      const late = (r: ScenarioReport): boolean =>
        r.failure === 'environment' && /not on time/.test(r.error ?? '');
      for (
        let again = 1;
        again <= 2 && ((run.report.status === 'mismatch' && kernelShortPort(run.report)) || late(run.report));
        again++
      ) {
        t.diagnostic(
          late(run.report)
            ? `${run.report.error}: run ${again + 1}`
            : `the kernel chose a port below 10000 (the unpadded pong is a byte shorter): run ${again + 1}`,
        );
        run = verifyFile(file);
      }
      ran++;
      const { report } = run;
      assert.equal(run.left, '', `namespaces left behind: ${run.left}`);
      assert.equal(report.status, 'match', renderReport(report));
      // The file's expectations state what the kernel does: check them against the kernel's run
      // (`verdict (server saw IP:PORT)` in the report).
      p.prepared.built.flows.forEach((f, k) => {
        const got = /^(\S+)(?: \(server saw (\S+)\))?$/.exec(report.flows?.[k]?.kernel ?? '');
        // `reset`/`unreachable` in a file stand for the kernel's words (sim/flows.ts verdictSatisfies).
        if (f.expect?.verdict)
          assert.ok(
            verdictSatisfies(f.expect.verdict, (got?.[1] ?? '') as Verdict, f.proto),
            `flow "${f.name}": kernel verdict ${got?.[1]}, the file expects ${f.expect.verdict}`,
          );
        if (f.expect?.serverSees)
          assert.equal(got?.[2], f.expect.serverSees, `flow "${f.name}": who the server saw on the kernel`);
      });
    },
  );
});

test('live: the time all of them took', { skip: noKernel }, () => {
  process.stdout.write(
    `# ${ran} scenarios verified on the kernel in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
});
