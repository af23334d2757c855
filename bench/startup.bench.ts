// Start-up of the natbox command (`npm run bench -- startup`): the median wall time of
// `bin/natbox trace` on the seed's example (which starts from the V8 startup snapshot when
// `npm run build` made one) and of the plain build, against a bare `node -e 0`, over alternating
// runs. The issue's aim: natbox trace within twice a bare node start.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const RUNS = 21;
const example = 'examples/hairpin/dnat-snat.yaml';

function time(cmd: string, args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const median = (xs: number[]): number => xs.sort((a, b) => a - b)[xs.length >> 1]!;

if (!existsSync(`${root}/dist/cli/main.js`)) {
  console.log('startup: run `npm run build` first (the benchmark times the built command)');
} else {
  const bare: number[] = [];
  const snap: number[] = [];
  const plain: number[] = [];
  const bundle: number[] = [];
  const bundled = existsSync(`${root}/dist/natbox.mjs`);
  for (let i = 0; i < RUNS; i++) {
    bare.push(time(process.execPath, ['-e', '0']));
    snap.push(time(`${root}/bin/natbox`, ['trace', example]));
    plain.push(time(process.execPath, ['dist/cli/main.js', 'trace', example]));
    if (bundled) bundle.push(time(process.execPath, ['dist/natbox.mjs', 'trace', example]));
  }
  const b = median(bare);
  const snapshot = existsSync(`${root}/dist/natbox.blob`)
    ? 'from the startup snapshot'
    : 'no snapshot built: plain';
  console.log(`node -e 0                                   ${b.toFixed(1)} ms`);
  console.log(
    `bin/natbox trace (${snapshot})   ${median(snap).toFixed(1)} ms  (${(median(snap) / b).toFixed(2)}× node)`,
  );
  console.log(
    `node dist/cli/main.js trace (plain build)   ${median(plain).toFixed(1)} ms  (${(median(plain) / b).toFixed(2)}× node)`,
  );
  if (bundled)
    console.log(
      `node dist/natbox.mjs trace (one bundle)     ${median(bundle).toFixed(1)} ms  (${(median(bundle) / b).toFixed(2)}× node)`,
    );
}

// A large run, both ways: `natbox test` on a generated scenario of NATBOX_BENCH_FLOWS flows
// (default 16,000: a client and a server on one LAN, a TCP connection each), from the startup
// snapshot and from the plain build, each run cut at NATBOX_BENCH_TIMEOUT seconds (default 120) so
// the benchmark stays bounded. The issue measured 220 s from the snapshot against 8 s plain.
function largeScenario(flows: number): string {
  const lines = [
    'name: lan-many-flows',
    'hosts:',
    '  c:',
    '    interfaces: { eth0: 192.168.1.3/24 }',
    '  s:',
    '    interfaces: { eth0: 192.168.1.2/24 }',
    '    listen: [tcp/80]',
    'links:',
    '  - { name: lan, connect: [c:eth0, s:eth0] }',
    'flows:',
  ];
  for (let i = 0; i < flows; i++) {
    lines.push(
      `  - { name: f${i}, from: c, proto: tcp, to: 192.168.1.2:80, sport: ${10000 + (i % 50000)}, at: ${(i * 0.01).toFixed(2)}, timeout: 1, hold: 0.001 }`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function timed(cmd: string, args: string[], limit: number): string {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'ignore', timeout: limit * 1000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.signal) return `over ${limit} s (stopped)`;
  if (r.status !== 0) return `exit ${r.status} after ${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 1000).toFixed(1)} s`;
}

if (existsSync(`${root}/dist/cli/main.js`)) {
  const flows = Number(process.env.NATBOX_BENCH_FLOWS ?? 16_000);
  const limit = Number(process.env.NATBOX_BENCH_TIMEOUT ?? 120);
  const dir = mkdtempSync(join(tmpdir(), 'natbox-bench-'));
  try {
    const file = join(dir, 'many.yaml');
    writeFileSync(file, largeScenario(flows));
    console.log(
      `bin/natbox test, ${flows} flows                  ${timed(`${root}/bin/natbox`, ['test', file], limit)}`,
    );
    console.log(
      `node dist/cli/main.js test, ${flows} flows       ${timed(process.execPath, ['dist/cli/main.js', 'test', file], limit)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
