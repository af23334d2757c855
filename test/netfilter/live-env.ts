// What the live NAT tests (nat-range-kernel, nat-clash-kernel) need of the machine: why they must
// skip, or undefined when root, iptables-nft, conntrack(8), python3 and `ip netns` are all here.
import assert from 'node:assert/strict';
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

/** Runs `cmd` with sh, asserting it exits 0; its output. */
export function shOk(cmd: string): string {
  const x = spawnSync('sh', ['-c', cmd], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(x.status, 0, `${cmd}: ${x.stderr}`);
  return x.stdout;
}

/**
 * The live NAT tests' three namespaces `${prefix}-c`, `-r`, `-s`: a client (c0) and a server (s0)
 * each joined by a veth to a forwarding router (lan 10.0.1.1/24, wan 198.51.100.1/24), links up,
 * the client's default route via the router. Addresses of the ends are the caller's; `del()`
 * deletes the namespaces.
 */
export function routerNetns(prefix: string): { c: string; r: string; s: string; del(): void } {
  const [c, r, s] = [`${prefix}-c`, `${prefix}-r`, `${prefix}-s`];
  const del = (): void => {
    for (const n of [c, r, s]) spawnSync('ip', ['netns', 'del', n]);
  };
  try {
    for (const n of [c, r, s]) shOk(`ip netns add ${n} && ip -n ${n} link set lo up`);
    shOk(`ip link add c0 netns ${c} type veth peer name lan netns ${r}`);
    shOk(`ip link add wan netns ${r} type veth peer name s0 netns ${s}`);
    shOk(
      `ip -n ${c} link set c0 up && ip -n ${r} link set lan up && ip -n ${r} link set wan up && ip -n ${s} link set s0 up`,
    );
    shOk(`ip -n ${r} addr add 10.0.1.1/24 dev lan && ip -n ${r} addr add 198.51.100.1/24 dev wan`);
    shOk(`ip -n ${c} addr add 10.0.1.2/24 dev c0 && ip -n ${c} route add default via 10.0.1.1`);
    shOk(`ip netns exec ${r} sysctl -qw net.ipv4.ip_forward=1`);
  } catch (err) {
    del();
    throw err;
  }
  return { c, r, s, del };
}
