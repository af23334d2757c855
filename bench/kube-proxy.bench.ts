// natbox against the kernel tools on a 20,000-rule kube-proxy ruleset (issue 13, "Speed";
// `npm run bench -- kube-proxy`, or NATBOX_BENCH_ONLY=kube-proxy): the same generated file
// (bench/kube-proxy-gen.ts, seeded) loaded and printed by natbox in this process (loadRulesText +
// printSave) and by `iptables-restore` + `iptables-save` in a throwaway network namespace
// (nbx-bench-PID, deleted afterwards whatever happens). Prints each side's median over RUNS runs
// (after one warm-up; natbox's cold first run is printed too: a one-shot `natbox rules save` pays
// it, with the JIT not warm yet), the ratio natbox / kernel, and whether the two saves are
// byte-identical.
// The kernel side is skipped with the reason when not root, or without ip netns or iptables-nft.
// NATBOX_BENCH_RULES sets the size (default 20,000).
import { spawnSync } from 'node:child_process';
import { kubeProxyRestore } from './kube-proxy-gen.ts';
import { loadRulesText } from '../src/rules/load.ts';
import { printSave } from '../src/rules/iptables/print-save.ts';

const only = process.env.NATBOX_BENCH_ONLY ? new RegExp(process.env.NATBOX_BENCH_ONLY) : undefined;
const RULES = Number(process.env.NATBOX_BENCH_RULES ?? 20_000);
const RUNS = 5;
const name = `rules: kube-proxy ruleset, ${RULES} rules, load + save`;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

function kernelWhy(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux';
  if (process.getuid?.() !== 0) return 'needs root (ip netns add)';
  const ip = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (ip.error || ip.status !== 0) return '"ip netns" is not available (install iproute2)';
  const ipt = spawnSync('iptables-save', ['--version'], { encoding: 'utf8' });
  if (ipt.error || ipt.status !== 0) return 'iptables is not installed';
  if (!/nf_tables/.test(ipt.stdout + ipt.stderr)) return 'expects iptables-nft (1.8.x, nf_tables)';
  return undefined;
}

if (!only || only.test(name)) {
  const { text, rules } = kubeProxyRestore(RULES);
  // natbox, in this process: a warm-up, then RUNS timed runs.
  let ours = '';
  let firstMs = 0;
  const natboxMs: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const t0 = process.hrtime.bigint();
    const r = loadRulesText(text, 'kube-proxy.rules');
    if (!r.ok) throw new Error(`the bench ruleset did not load: ${r.diagnostics[0]!.message}`);
    ours = printSave(r.ruleset);
    if (i > 0) natboxMs.push(ms(t0));
    else firstMs = ms(t0);
  }
  const nb = median(natboxMs);
  console.log(
    `${`${name}: natbox (loadRulesText + printSave; the first, cold run: ${firstMs.toFixed(0)} ms)`.padEnd(90)} ${nb.toFixed(0)} ms`,
  );

  const why = kernelWhy();
  if (why) {
    console.log(`${name}: kernel side skipped: ${why}`);
  } else {
    const ns = `nbx-bench-${process.pid}`;
    const add = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
    if (add.status !== 0) {
      console.log(`${name}: kernel side skipped: ip netns add failed: ${add.stderr.trim()}`);
    } else {
      try {
        const restoreMs: number[] = [];
        const saveMs: number[] = [];
        let theirs = '';
        for (let i = 0; i <= RUNS; i++) {
          const t0 = process.hrtime.bigint();
          const r = spawnSync('ip', ['netns', 'exec', ns, 'iptables-restore'], {
            input: text,
            encoding: 'utf8',
            timeout: 120_000,
          });
          const t1 = process.hrtime.bigint();
          if (r.status !== 0) throw new Error(`iptables-restore refused the bench ruleset: ${r.stderr}`);
          const s = spawnSync('ip', ['netns', 'exec', ns, 'iptables-save'], {
            encoding: 'utf8',
            timeout: 120_000,
            maxBuffer: 1 << 28,
          });
          if (s.status !== 0) throw new Error(`iptables-save failed: ${s.stderr}`);
          if (i > 0) {
            restoreMs.push(Number(t1 - t0) / 1e6);
            saveMs.push(ms(t1));
          }
          theirs = s.stdout
            .split('\n')
            .filter((l) => !l.startsWith('#'))
            .join('\n');
        }
        const k = median(restoreMs.map((r, i) => r + saveMs[i]!));
        console.log(
          `${`${name}: kernel (iptables-restore ${median(restoreMs).toFixed(0)} ms + iptables-save ${median(saveMs).toFixed(0)} ms)`.padEnd(90)} ${k.toFixed(0)} ms`,
        );
        console.log(
          `${name}: natbox / kernel = ${(nb / k).toFixed(2)} (${rules} rules; saves ${ours === theirs ? 'byte-identical' : 'DIFFER'})`,
        );
      } finally {
        spawnSync('ip', ['netns', 'del', ns]);
      }
    }
  }
}
