// Ground truth for the "wild" corpus (test/rules/corpus-wild/, issue 13): rulesets gathered from
// public sources we do not control (ufw, kube-proxy, Docker, libvirt, fail2ban, firewalld, ...).
// Each file must be accepted by the real iptables (iptables-nft): restore files through
// iptables-restore, command lists through sh -e, both inside a fresh network namespace (named
// nbx-wild-PID-N, deleted afterwards whatever happens), so only that namespace's tables change.
// A file that needs a match or target whose kernel module is missing here is skipped, with the
// reason. It does NOT assert that natbox loads these files: scripts/corpus-report.ts measures that.
// Without root, ip netns or iptables-nft the kernel tests skip with the reason; the header and
// README checks run everywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(import.meta.dirname, 'corpus-wild');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.rules') || f.endsWith('.sh'))
  .sort();

function why(): string | undefined {
  if (process.platform !== 'linux') return 'corpus-wild kernel test: needs Linux';
  if (process.getuid?.() !== 0) return 'corpus-wild kernel test: needs root (ip netns add)';
  const ip = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (ip.error || ip.status !== 0)
    return 'corpus-wild kernel test: "ip netns" is not available (install iproute2)';
  const ipt = spawnSync('iptables-save', ['--version'], { encoding: 'utf8' });
  if (ipt.error || ipt.status !== 0)
    return 'corpus-wild kernel test: iptables is not installed (apt-get install iptables)';
  if (!/nf_tables/.test(ipt.stdout + ipt.stderr))
    return 'corpus-wild kernel test: expects iptables-nft (1.8.x, nf_tables)';
  return undefined;
}
const skip = why();
let n = 0;
const TIMEOUT = 60_000;

function run(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(args[0]!, args.slice(1), {
    encoding: 'utf8',
    timeout: TIMEOUT,
    ...(input !== undefined ? { input } : {}),
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `body` in a fresh namespace, deleted afterwards whatever happens. */
function withNetns<T>(body: (ns: string) => T): T {
  const ns = `nbx-wild-${process.pid}-${n++}`;
  const add = run(['ip', 'netns', 'add', ns]);
  if (add.status !== 0) throw new Error(`ip netns add ${ns} failed: ${add.stderr}`);
  try {
    return body(ns);
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
}

/** Loads a corpus file into namespace `ns` with the real tool; the exit status and stderr. */
function kernelLoad(ns: string, name: string): { status: number | null; stderr: string } {
  const path = join(dir, name);
  return name.endsWith('.sh')
    ? run(['ip', 'netns', 'exec', ns, 'sh', '-e', path])
    : run(['ip', 'netns', 'exec', ns, 'iptables-restore'], readFileSync(path, 'utf8'));
}

// Extensions whose kernel module a machine may lack, each with a probe the kernel refuses
// without it. A file using one of them is skipped (with the module named) when its probe fails.
const probes: ReadonlyArray<{ uses: RegExp; module: string; probe: string }> = [
  { uses: /-m recent\b/, module: 'xt_recent', probe: 'iptables -A INPUT -m recent --name p --rcheck' },
  {
    uses: /-m statistic\b/,
    module: 'xt_statistic',
    probe: 'iptables -A INPUT -m statistic --mode random --probability 0.5',
  },
  { uses: /-m socket\b/, module: 'xt_socket', probe: 'iptables -t mangle -A PREROUTING -m socket' },
  {
    uses: /-j TPROXY\b/,
    module: 'xt_TPROXY',
    probe: 'iptables -t mangle -A PREROUTING -p tcp -j TPROXY --on-port 1 --tproxy-mark 1',
  },
  {
    uses: /-m connlimit\b/,
    module: 'xt_connlimit',
    probe: 'iptables -A INPUT -p tcp -m connlimit --connlimit-above 1',
  },
  {
    uses: /CHECKSUM\b/,
    module: 'xt_CHECKSUM',
    probe: 'iptables -t mangle -A POSTROUTING -p udp -j CHECKSUM --checksum-fill',
  },
  { uses: /-m dscp\b/, module: 'xt_dscp', probe: 'iptables -A INPUT -m dscp --dscp 1' },
  {
    uses: /-m hashlimit\b/,
    module: 'xt_hashlimit',
    probe: 'iptables -A INPUT -m hashlimit --hashlimit-name p --hashlimit-upto 1/s',
  },
];
const probed = new Map<string, boolean>();
function moduleMissing(text: string): string | undefined {
  for (const p of probes) {
    if (!p.uses.test(text)) continue;
    if (!probed.has(p.module))
      probed.set(
        p.module,
        withNetns((ns) => run(['ip', 'netns', 'exec', ns, 'sh', '-e', '-c', p.probe]).status === 0),
      );
    if (!probed.get(p.module)) return `needs the ${p.module} kernel module, missing on this machine`;
  }
  return undefined;
}

test('corpus-wild holds at least 60 rulesets', () => {
  assert.ok(files.length >= 60, `only ${files.length} files`);
});

for (const name of files) {
  test(`corpus-wild/${name} starts with its origin, license and changes`, () => {
    const head = readFileSync(join(dir, name), 'utf8').split('\n');
    assert.match(head[0]!, /^# origin: \S/, 'first line: # origin: ...');
    const comments = head.slice(
      0,
      head.findIndex((l) => !l.startsWith('#')),
    );
    assert.ok(
      comments.some((l) => /^# license: /.test(l)),
      'a "# license:" line in the header',
    );
    assert.ok(
      comments.some((l) => /^# changed: /.test(l)),
      'a "# changed:" line in the header',
    );
  });
}

test('corpus-wild/README.md lists every file', () => {
  const readme = readFileSync(join(dir, 'README.md'), 'utf8');
  const missing = files.filter((f) => !readme.includes(`\`${f}\``));
  assert.deepEqual(missing, []);
});

for (const name of files) {
  test(`kernel: the real iptables accepts corpus-wild/${name}`, skip ? { skip } : {}, (t) => {
    const text = readFileSync(join(dir, name), 'utf8');
    const missing = moduleMissing(text);
    if (missing) {
      t.skip(missing);
      return;
    }
    const { load, save } = withNetns((ns) => {
      const load = kernelLoad(ns, name);
      const save = run(['ip', 'netns', 'exec', ns, 'iptables-save']).stdout;
      return { load, save };
    });
    assert.equal(load.status, 0, `the real iptables refused ${name}: ${load.stderr}`);
    // Not vacuous: the namespace now holds rules.
    assert.match(save, /^-A /m, `no rule in the namespace after loading ${name}`);
  });
}
