// Shared helpers for end-to-end tests: run an example scenario and list the IP packets seen at a
// device in a compact, comparable form (`out tcp 192.168.1.10:40000 > 82.120.11.22:80 S ttl=64`).
import { readFileSync } from 'node:fs';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import type { SimResult } from '../../src/sim/run.ts';
import { describeFrame } from '../../src/trace/frame.ts';

export const repo = new URL('../../', import.meta.url);

export function runExample(path: string, seed = 1): { sim: SimResult; name: string } {
  const text = readFileSync(new URL(path, repo), 'utf8');
  const r = simulateScenario(text, path, { seed });
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return { sim: r.sim, name: r.scenario.name };
}

/** IP packets at `host:ifname` in order, one line each (ARP left out). */
export function packetsAt(sim: SimResult, host: string, ifname: string): string[] {
  const out: string[] = [];
  for (const s of sim.steps) {
    if (s.kind !== 'packet' || s.host !== host || s.ifname !== ifname) continue;
    const p = describeFrame(s.frame);
    if (p.proto === 'arp') continue;
    const ports = p.proto === 'tcp' || p.proto === 'udp';
    const ends = ports ? `${p.src}:${p.sport} > ${p.dst}:${p.dport}` : `${p.src} > ${p.dst}`;
    const extra =
      p.proto === 'tcp'
        ? ` ${p.flags}${p.len ? ` len=${p.len}` : ''}`
        : p.proto === 'udp'
          ? ` len=${p.len}`
          : p.proto === 'icmp'
            ? ` type=${p.icmp!.type}`
            : '';
    out.push(`${s.dir} ${p.proto} ${ends}${extra} ttl=${p.ttl}`);
  }
  return out;
}

export function conntrackLines(sim: SimResult, host: string): string[] {
  return sim.world.host(host).conntrackList();
}
