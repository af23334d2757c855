// A scenario's events on the kernel (`natbox verify`): each command line is run at its time in its
// host's namespace with the real tool (iptables-<backend>, conntrack, ip, sysctl), and its exit
// status, stdout and stderr are recorded, to be compared with what natbox's sim/events.ts said.
// The words are split as natbox read them (lexShell, quotes grouped, no shell runs); `iptables` is
// run as the backend's iptables. Processes are killed by PID at a hard limit.
import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { parseIpv4 } from '../../wire/addr.ts';
import { lexShell } from '../../rules/iptables/lex.ts';
import type { SimEvent } from '../../sim/events.ts';
import { isLiveSafe } from './remap.ts';
import { numberTables } from './routing-args.ts';
import type { TableNames } from '../../route/table.ts';

/** The iptables backend of a live run (live.ts Backend). */
type Backend = 'nft' | 'legacy';

export interface LiveEventResult {
  readonly rc: number;
  readonly stdout: string;
  readonly stderr: string;
  /** ms after its time the command ended (a loaded machine is late). */
  readonly late: number;
}

/**
 * The argv of an event's command on the kernel, or why a live run refuses it (bad input: an
 * address a live run may not use).
 */
export function liveArgv(ev: SimEvent, backend: Backend, names?: TableNames): string[] | { error: string } {
  const lexed = lexShell([{ text: ev.run, ...ev.loc }]);
  if (!lexed.ok) return { error: `${ev.loc.file}:${ev.loc.line}:${ev.loc.column}: ${lexed.message}` };
  const words = lexed.tokens.map((t) => t.text);
  // `nft -f FILE`: its lines (the file and what it includes) are checked as the command's words.
  for (const w of [...words, ...(ev.input ?? []).map((l) => l.text)])
    for (const m of w.matchAll(/\b(\d{1,3}(?:\.\d{1,3}){3})\b/g)) {
      const a = parseIpv4(m[1]!);
      if (a.ok && !isLiveSafe(a.value))
        return {
          error: `${ev.loc.file}:${ev.loc.line}:${ev.loc.column}: the event's address ${m[1]} is public and outside the documentation ranges: a live run does not use it`,
        };
    }
  if (/^iptables(-nft|-legacy)?$/.test(words[0] ?? '')) words[0] = `iptables-${backend}`;
  // nft looks for an include's bare name in its include path: the scenario's folder, as natbox.
  if (ev.input) words.splice(1, 0, '-I', '.');
  return numberTables(words, names);
}

/**
 * Runs every event (`argvs[i]`: liveArgv's) at `t0ms + at * 1000` in its host's namespace, one
 * after another in the events' order, as natbox applies them (sim/events.ts): an event whose time
 * comes while the one before still runs waits for it. Started side by side, two commands 50 ms
 * apart could reach the kernel in either order on a loaded machine (`ip addr add` of a secondary
 * before `ip addr del` of the primary deletes both). The promise ends when all have ended, with
 * their results in the events' order; `late` is how long after its time each one *ended*.
 */
export async function runLiveEvents(
  events: readonly SimEvent[],
  argvs: readonly (readonly string[])[],
  t0ms: number,
  nsOf: (host: string) => string,
): Promise<LiveEventResult[]> {
  const out: LiveEventResult[] = [];
  for (const [i, ev] of events.entries()) {
    const due = t0ms + ev.at * 1000;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    // `nft -f FILE` runs in the scenario's folder, where natbox read FILE (nft resolves the name,
    // and an include's `./`, against its working directory).
    const r = await runOne(nsOf(ev.host), argvs[i]!, ev.input ? dirname(ev.loc.file) : undefined);
    out.push({ ...r, late: Math.max(0, Date.now() - due) });
  }
  return out;
}

/** One command in a namespace (in folder `cwd`), killed by PID at 5 s. */
function runOne(ns: string, argv: readonly string[], cwd?: string): Promise<Omit<LiveEventResult, 'late'>> {
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(cwd !== undefined ? { cwd } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const kill = setTimeout(() => {
      if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
    }, 5000);
    child.once('error', (e) => {
      clearTimeout(kill);
      resolve({ rc: 127, stdout, stderr: stderr + String(e) });
    });
    child.once('close', (code) => {
      clearTimeout(kill);
      resolve({ rc: code ?? 128, stdout, stderr });
    });
  });
}
