// Start-up of the natbox command (`npm run bench -- startup`): the median wall time of
// `bin/natbox trace` on the seed's example (which starts from the V8 startup snapshot when
// `npm run build` made one) and of the plain build, against a bare `node -e 0`, over alternating
// runs. The aim: natbox trace within twice a bare node start.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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
  for (let i = 0; i < RUNS; i++) {
    bare.push(time(process.execPath, ['-e', '0']));
    snap.push(time(`${root}/bin/natbox`, ['trace', example]));
    plain.push(time(process.execPath, ['dist/cli/main.js', 'trace', example]));
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
}
