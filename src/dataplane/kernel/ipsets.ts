// A scenario's ipsets on the kernel: each host's `ipsets:` lines (`ipset save` form: `create NAME
// TYPE …`, `add NAME ENTRY`) given to `ipset restore` in the host's namespace, before its rules
// (which name the sets) are applied. ipsets are per network namespace, so nothing outside the run
// sees them, and `ip netns del` removes them with the namespace.
import { spawnSync } from 'node:child_process';
import type { Scenario } from '../../scenario/model.ts';

/**
 * Restores every host's ipsets; the hosts that have some, in the scenario's order. `fail` throws
 * (live.ts's LiveError: `environment` when the ipset tool is missing or refuses a line).
 */
export function restoreIpsets(
  scenario: Scenario,
  nsOf: (host: string) => string,
  haveIpset: boolean,
  fail: (message: string) => never,
): string[] {
  const hosts = scenario.hosts.filter((h) => h.ipsets && h.ipsets.lines.some((l) => l.value.trim()));
  if (hosts.length === 0) return [];
  if (!haveIpset) fail(`${hosts[0]!.name.value} has ipsets: missing ipset (Debian: apt-get install ipset)`);
  for (const h of hosts) {
    const lines = h.ipsets!.lines.filter((l) => l.value.trim() && !l.value.trim().startsWith('#'));
    const ns = nsOf(h.name.value);
    // One line at a time, so a refusal names the scenario line the kernel's ipset refused.
    for (const l of lines) {
      const r = spawnSync('ip', ['netns', 'exec', ns, 'ipset', 'restore'], {
        encoding: 'utf8',
        timeout: 10_000,
        input: `${l.value.trim()}\n`,
      });
      if (r.status !== 0)
        fail(
          `${l.loc.file}:${l.loc.line}:${l.loc.column}: the kernel's ipset refused "${l.value.trim()}": ${(r.stderr || String(r.error ?? r.signal)).trim()}`,
        );
    }
  }
  return hosts.map((h) => h.name.value);
}
