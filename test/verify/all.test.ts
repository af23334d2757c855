// Kernel parity for every scenario: each file of examples/*/*.yaml, test/conformance/scenarios/
// and test/conformance/extra/ is built out of network namespaces, run on this machine's kernel
// with real sockets, and compared with natbox's simulation packet by packet, conntrack entry by
// entry and verdict by verdict (`natbox verify --json`, one CLI run per scenario in a private
// mount namespace: see verifyFile). One test per scenario (5-10 s each, mostly waiting for the
// scenario's clock on the kernel side), reported in order; NATBOX_VERIFY_JOBS runs (default 2) are
// under way at once, each in its own mount and network namespaces. Every scenario must match,
// except those in SKIP, each with the natbox gap that keeps it from matching yet. On a machine
// without root, network namespaces or the tools, every live test skips and says what is missing.
//
// NATBOX_VERIFY_ALL=0 skips the live runs; NATBOX_VERIFY_BUDGET (seconds, default 900) bounds
// their total time: a scenario whose run would start after it is spent skips, saying so. The runs
// start at another scenario each hour (NATBOX_VERIFY_ROTATE), so a budget leaves other ones over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { environmentProblems } from '../../src/dataplane/kernel/live.ts';
import { prepareVerify, renderReport, type ScenarioReport } from '../../src/cli/verify/verify.ts';
import { verdictSatisfies, type Verdict } from '../../src/sim/flows.ts';
import { CLI } from '../cli-argv.ts';

const DIRS = [
  ...readdirSync('examples', { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join('examples', d.name))
    .sort(),
  'test/conformance/scenarios',
  'test/conformance/extra',
  'test/verify/selftests',
  // nftables: the corpus's NAT rulesets and the evaluator's claims (test/conformance/nft/README.md).
  'test/conformance/nft',
  // The generator's differences, shrunk, each fixed since: regression scenarios (docs/generator.md).
  'test/conformance/generated',
];
// The directories take turns (one scenario of each, then the next of each...), so that when CI's
// time budget runs out the scenarios left over are spread over every directory, not all of the last.
const BY_DIR = DIRS.map((d) =>
  readdirSync(d)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(d, f)),
);
const FILES = Array.from({ length: Math.max(...BY_DIR.map((l) => l.length)) }, (_, i) =>
  BY_DIR.flatMap((l) => (i < l.length ? [l[i]!] : [])),
).flat();

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
  'test/conformance/generated/gen-1414-6.yaml':
    'the SYN/SYN-ACK timer race docs/generator.md lists as not natbox: which of two timers in one jiffy fires first differs from run to run on the kernel',
  'test/conformance/generated/gen-1601-19.yaml':
    'the SYN/SYN-ACK timer race docs/generator.md lists as not natbox: which of two timers in one jiffy fires first differs from run to run on the kernel',
  'test/conformance/generated/gen-404-44.yaml':
    'the SYN/SYN-ACK timer race docs/generator.md lists as not natbox: which of two timers in one jiffy fires first differs from run to run on the kernel',
  'test/conformance/generated/gen-1212-11.yaml':
    'the SYN/SYN-ACK timer race docs/generator.md lists as not natbox: which of two timers in one jiffy fires first differs from run to run on the kernel',
  'test/conformance/generated/gen-1504-72.yaml':
    'not natbox: a zero-window probe after the run ends races the read of the kernel conntrack table (docs/generator.md)',
  'test/conformance/generated/gen-1701-153.yaml':
    "not natbox: whether two packets 0.2 ms apart get TCP timestamps one millisecond apart depends on the kernel clock's random phase (docs/generator.md)",
  'test/conformance/generated/gen-2101-23.yaml':
    "not natbox: whether a SNAT may evict a closing connection's tuple depends on which of two connections' ISNs is later, and secure_tcp_seq hashes them with the boot's random secret (docs/generator.md)",
  'test/conformance/generated/gen-2101-25.yaml':
    "not natbox: whether h21's SYN sent again (1.002-1.025 s after the first, by the timer wheel's random jiffies phase) reaches h11 before h11's FTP data SYN (1.011-1.019 s, the client process's latency) differs from run to run on the kernel (docs/generator.md)",
  'test/conformance/generated/gen-2104-40.yaml':
    "not natbox: both ends' FINs are sent again by their tail loss probes, due in one jiffy in natbox, whose server closes at once, and 12 ms apart on the kernel, whose Node server closes 10 ms after the client's FIN (docs/generator.md)",
  'test/conformance/generated/gen-2204-46.yaml':
    "not natbox: r1's two SCTP entries and their timeouts are the same on both sides, but verify's sort by labelled text pairs natbox's f2 entry with the kernel's f1 entry (docs/generator.md)",
  'examples/openwrt/flow-offload.yaml':
    'this kernel has no nf_flow_table (CONFIG_NF_FLOW_TABLE is not set): nft refuses the flowtable and natbox verify exits 3 saying so; test/netfilter/nft-flowtable.test.ts checks it against the kernel source',
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
const jobs = Math.max(1, Number(process.env.NATBOX_VERIFY_JOBS ?? 2) || 1);
const started = Date.now();
let ran = 0;
/** Scenarios that differed on their first run and matched on the second (named in the summary). */
const flaky: string[] = [];

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
  '"$0" "$@"',
  'rc=$?',
  'echo "left:$(ls /run/netns | tr "\\n" " ")" >&2',
  'exit $rc',
].join('\n');

/** One `natbox verify --json` run of `file` in its own mount namespace (SCRIPT), 120 s at most. */
function verifyFile(file: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        SCRIPT,
        process.execPath,
        ...CLI,
        'verify',
        '--json',
        file,
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const kill = setTimeout(() => child.kill('SIGTERM'), 120_000);
    child.on('close', (status) => {
      clearTimeout(kill);
      let doc: { scenarios?: ScenarioReport[] } = {};
      try {
        doc = JSON.parse(stdout) as typeof doc;
      } catch {
        /* reported by the test */
      }
      const report = doc.scenarios?.[0];
      resolve({
        report: report ?? noReport(file, `natbox verify ${file}: exit ${status}, no report\n${stderr}`),
        left: /left:(.*)/.exec(stderr)?.[1]?.trim() ?? '(unknown)',
      });
    });
  });
}

/** A report standing for a run that gave none: the test fails on it, saying why. */
const noReport = (file: string, why: string): ScenarioReport => ({
  scenario: file,
  file,
  status: 'error',
  remapped: [],
  notes: [],
  seconds: 0,
  error: why,
});

/**
 * The runs, started ahead of their tests: at most `jobs` at once, in FILES order, each only while
 * the budget lasts (undefined: its test skips). Each test awaits its own run.
 */
const eligible = noKernel ? [] : FILES.filter((f) => !SKIP[f]);
// The runs start at a different scenario each hour (NATBOX_VERIFY_ROTATE=K starts at the K-th), so
// that the scenarios a budget leaves over differ from one CI run to the next and, over a few runs,
// every scenario has been verified on the kernel.
const rotate = Number(process.env.NATBOX_VERIFY_ROTATE ?? Math.floor(Date.now() / 3_600_000) * 37) || 0;
const offset = eligible.length ? rotate % eligible.length : 0;
const live = [...eligible.slice(offset), ...eligible.slice(0, offset)];
const done = new Map<string, (run: Run | undefined) => void>();
const runs = new Map(live.map((f) => [f, new Promise<Run | undefined>((r) => done.set(f, r))]));
let inFlight = 0;
let next = 0;
function pump(): void {
  while (inFlight < jobs && next < live.length) {
    const file = live[next++]!;
    if ((Date.now() - started) / 1000 > budget) {
      done.get(file)!(undefined);
      continue;
    }
    inFlight++;
    void verifyFile(file).then((run) => {
      inFlight--;
      done.get(file)!(run);
      pump();
    });
  }
}
pump();

/** A flow whose server, on the kernel, saw a port of fewer than five digits (see the retry). */
const kernelShortPort = (r: ScenarioReport): boolean =>
  r.first?.field === 'len' && (r.flows ?? []).some((f) => /server saw [\d.]+:\d{1,4}\)/.test(f.kernel));

// The tests in the order their runs start (each awaits its own run, so a test's wait is bounded by
// the runs before it, not by the whole suite: the rotation would otherwise put a test's run last).
[...live, ...FILES.filter((f) => !runs.has(f))].forEach((file) => {
  test(
    `live: ${file} matches the kernel`,
    { skip: noKernel ?? (SKIP[file] ? `does not match yet: ${SKIP[file]}` : undefined), timeout: 400_000 },
    async (t) => {
      const first = await runs.get(file);
      if (!first) {
        t.skip(`the live runs' time budget of ${budget} s is spent (NATBOX_VERIFY_BUDGET)`);
        return;
      }
      const p = prepareVerify(readFileSync(file, 'utf8'), file);
      assert.ok(p.ok, p.ok ? '' : p.errors.join('\n'));
      let run = first;
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
        run = await verifyFile(file);
      }
      // Any other difference runs once more: natbox's side is deterministic, so a difference the
      // second run does not repeat came from the kernel side's timing on a loaded machine (a
      // linkwatch delay, a late scheduler). It is not hidden: the first difference is printed, and
      // the summary names the scenario; two differences in a row fail.
      if (run.report.status === 'mismatch') {
        const firstDifference = renderReport(run.report)
          .split('\n')
          .find((l) => /first difference/.test(l));
        const second = await verifyFile(file);
        if (second.report.status === 'match') {
          t.diagnostic(`differed on its first run, matched on the second: ${firstDifference?.trim() ?? ''}`);
          flaky.push(file);
          run = second;
        }
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
          assert.equal(
            // An expectation without a port (a random source port: masquerade fully-random) names the address.
            f.expect.serverSees.includes(':') ? got?.[2] : got?.[2]?.replace(/:\d+$/, ''),
            f.expect.serverSees,
            `flow "${f.name}": who the server saw on the kernel`,
          );
      });
    },
  );
});

test('live: the time all of them took', { skip: noKernel }, () => {
  process.stdout.write(
    `# ${ran} scenarios verified on the kernel in ${((Date.now() - started) / 1000).toFixed(1)} s, ` +
      `starting at ${live[0]} (NATBOX_VERIFY_ROTATE=${offset} repeats this order)` +
      (flaky.length ? `; differed once, then matched: ${flaky.join(', ')}` : '') +
      '\n',
  );
});
