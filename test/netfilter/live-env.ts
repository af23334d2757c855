// What the live NAT tests (nat-range-kernel, nat-clash-kernel) need of the machine: why they must
// skip, or undefined when root, iptables-nft, conntrack(8), python3 and `ip netns` are all here.
import { spawnSync } from 'node:child_process';

export function liveNatMissing(): string | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return 'needs root on Linux';
  const ipt = spawnSync('iptables', ['--version'], { encoding: 'utf8' });
  if (ipt.error || !/nf_tables/.test(ipt.stdout)) return 'needs iptables-nft';
  if (spawnSync('conntrack', ['--version']).status !== 0) return 'needs conntrack(8)';
  if (spawnSync('python3', ['--version']).status !== 0) return 'needs python3';
  if (spawnSync('ip', ['netns', 'list']).status !== 0) return 'needs ip netns';
  return undefined;
}
