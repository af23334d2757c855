// A scenario on the real Linux kernel: one network namespace per host (named nbx-<pid>-<run>-<host>),
// veth pairs for links (a link with more than two ends gets a Linux bridge in a namespace of its
// own; an interface on no link gets a veth whose other end sits in an otherwise empty namespace),
// Linux bridges for the hosts' bridges, addresses, routes, sysctls, the rules applied with the real
// iptables (nft or legacy), servers and clients as real sockets (agents.ts), one
// `tcpdump -i any -y LINUX_SLL2` per namespace, `conntrack -E` during the flows and `conntrack -L`
// at the end in every namespace with rules.
//
// Safety: nothing is ever connected to the root namespace or a real interface (veths are created
// inside the namespaces, never in the root one); every namespace and process this run creates is
// recorded and removed in `finally`, on SIGINT/SIGTERM and at exit (with `keep`, the namespaces
// stay after the run, not after a signal); processes are killed by PID, each has a hard time
// limit; traffic is only what the flows ask for (one connection, datagram or echo each). Addresses
// and routes are given to `ip` as natbox parsed them (checked by remap.ts); the rules are the
// operations natbox's loader applied (load.ts AppliedOp: a script's commands with its variables
// expanded, only those that ran, and its restore inputs), and what the kernel's iptables made of
// them is read back and checked before anything is sent.
// Devices are always named with `dev NAME` / `name NAME`, so a device called `up` or `help` is
// never read as a keyword.
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { formatIpv4, formatMac, parseIpv4 } from '../../wire/addr.ts';
import { detectForm, loadRules, type AppliedOp } from '../../rules/load.ts';
import type { Built } from '../../scenario/build.ts';
import type { Scenario } from '../../scenario/model.ts';
import { flowWait, runLength } from '../../sim/flows.ts';
import { CLIENT_SCRIPT, RAW_SCRIPT, SERVER_SCRIPT, TRANSPARENT_SERVER_SCRIPT } from './agents.ts';
import { fullRouteArgs, ruleArgs } from './routing-args.ts';
import { tableNamesOf } from '../../scenario/routing.ts';
import type { TableNames } from '../../route/table.ts';
import { isLiveSafe } from './remap.ts';
import { liveArgv, runLiveEvents, type LiveEventResult } from './events.ts';
import { eventsEnd } from '../../sim/events.ts';
import {
  parseConntrackList,
  parseConntrackStats,
  type CtEntry,
  type CtStatsCompared,
} from '../../oracle/conntrack.ts';
import { iptablesSpec, nftKernelInput, nftRefusal } from './nft.ts';
import { restoreIpsets } from './ipsets.ts';
import type { FlowOutcome } from '../../oracle/compare.ts';

/** `ip link add … type bridge` options of every bridge a live run makes: no STP, no forward delay, no multicast snooping. */
const QUIET_BRIDGE = ['type', 'bridge', 'stp_state', '0', 'forward_delay', '0', 'mcast_snooping', '0'];

export type Backend = 'nft' | 'legacy';

export interface KernelRun {
  /** Epoch seconds of the run's time 0 (flows' `at` count from here). */
  readonly t0: number;
  readonly captures: { host: string; pcap: Uint8Array; ifnames: Map<number, string> }[];
  readonly conntrack: Map<string, CtEntry[]>;
  /** Raw `conntrack -L` text per host with rules. */
  readonly conntrackText: Map<string, string>;
  /** `conntrack -E` lines per host with rules. */
  readonly events: Map<string, string[]>;
  readonly flows: FlowOutcome[];
  /** Per flow, how many ms after its time its client started or closed (a loaded machine is late). */
  readonly late: number[];
  /** Things the reader should know (sysctls unavailable, packets tcpdump dropped…). */
  readonly notes: string[];
  /** Namespace of each host. */
  readonly namespaces: Map<string, string>;
  /** What each scenario event's command did on the kernel, in the events' order (events.ts). */
  readonly commands?: LiveEventResult[];
  /** `nft list ruleset` per host with nftables rules, after the flows (the kernel's counters). */
  readonly nftRulesets?: Map<string, string>;
  /** When each host's `nft list ruleset` ran: seconds after the run's end, [before, after]. */
  readonly nftReadAt?: Map<string, readonly [number, number]>;
  /** `conntrack -S` per host with rules, summed over the CPUs, after the flows. */
  readonly ctStats?: Map<string, CtStatsCompared>;
  /**
   * When each host's `conntrack -S` returned: seconds after the run's end (the capture still runs
   * then, so compare.ts knows which packets after the end the counters may include).
   */
  readonly ctStatsAt?: Map<string, number>;
  /**
   * When each host's `conntrack -L` ran: seconds after the run's end, [before it started, after
   * it returned] (compare.ts's timeoutRange allows the kernel's timeouts for it).
   */
  readonly ctReadAt?: Map<string, readonly [number, number]>;
  /** `ipset save` per host with `ipsets:`, after the flows (what -j SET left in them). */
  readonly ipsetSaves?: Map<string, string>;
}

/**
 * A kernel run that could not be done: `environment` when a command or tool failed (exit 3),
 * `input` when the scenario turned out to be unfit for a live run (exit 2). Never a difference.
 */
export class LiveError extends Error {
  constructor(
    message: string,
    readonly kind: 'environment' | 'input' = 'environment',
  ) {
    super(message);
  }
}

const SEARCH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export function which(cmd: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...SEARCH].filter(Boolean);
  for (const d of dirs) if (existsSync(join(d, cmd))) return join(d, cmd);
  return undefined;
}

/** Why this machine cannot run scenarios on the kernel, or an empty list. */
export function environmentProblems(backend: Backend, opts: { icmp?: boolean } = {}): string[] {
  const out: string[] = [];
  if (process.platform !== 'linux') return [`needs Linux (this is ${process.platform})`];
  if (process.getuid?.() !== 0)
    out.push('needs root (network namespaces, iptables and tcpdump need CAP_SYS_ADMIN/CAP_NET_ADMIN)');
  const tools = [
    'ip',
    'sysctl',
    'tcpdump',
    'conntrack',
    `iptables-${backend}`,
    `iptables-${backend}-restore`,
    `iptables-${backend}-save`,
    'python3', // the flow clients (agents.ts): socket options need Python's socket module
  ];
  const missing = tools.filter((t) => !which(t));
  if (missing.length)
    out.push(
      `missing ${missing.join(', ')} (Debian: apt-get install iproute2 procps tcpdump conntrack iptables python3)${missing.includes('python3') ? `; the flow clients run in python3 (socket options, and a raw socket with the flow's echo id${opts.icmp ? ' for the ICMP flows' : ''})` : ''}`,
    );
  if (out.length === 0) {
    const probe = `nbx-${process.pid}-probe`;
    const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8', timeout: 5000 });
    if (r.status !== 0)
      out.push(`cannot create a network namespace: ${(r.stderr || String(r.error)).trim()}`);
    else spawnSync('ip', ['netns', 'del', probe], { timeout: 5000 });
  }
  return out;
}

const sanitize = (s: string): string => s.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 24);

interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly lines: string[];
  stderr: string;
  readonly exited: Promise<void>;
}

export interface KernelRunOptions {
  backend: Backend;
  runId: number;
  /** Where to write the kernel's captures (one pcap per host) and conntrack tables. */
  capturesDir?: string;
  /**
   * Leave the network namespaces when the run ends (whether it matched, differed or failed; not
   * after SIGINT/SIGTERM): their names are pushed here as they are made.
   */
  keep?: string[];
}

/** The namespaces of this process's runs, named `nbx-<pid>-<run>-<name>`. */
export const namespacePrefix = (runId: number): string => `nbx-${process.pid}-${runId}-`;

/** Runs the scenario with every resource it makes recorded, and removes them all afterwards. */
export async function runOnKernel(
  scenario: Scenario,
  built: Built,
  opts: KernelRunOptions,
): Promise<KernelRun> {
  const prefix = namespacePrefix(opts.runId);
  const created: string[] = [];
  const procs: Proc[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'natbox-verify-'));
  let cleaned = false;
  const cleanup = (all = false): void => {
    if (cleaned) return;
    cleaned = true;
    for (const p of procs)
      if (p.child.exitCode === null && p.child.signalCode === null && p.child.pid)
        try {
          process.kill(p.child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
    if (!opts.keep || all)
      for (const ns of [...created].reverse()) spawnSync('ip', ['netns', 'del', ns], { timeout: 5000 });
    rmSync(dir, { recursive: true, force: true });
  };
  const atExit = (): void => cleanup();
  const onSignal = (sig: NodeJS.Signals): void => {
    cleanup(true);
    process.stderr.write(`natbox verify: ${sig}: removed the namespaces and processes of this run\n`);
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', atExit);
  try {
    return await run();
  } finally {
    cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', atExit);
  }

  // ---------------------------------------------------------------------------------------------

  function sh(cmd: string, args: readonly string[], input?: string): string {
    const r = spawnSync(cmd, args, {
      encoding: 'utf8',
      timeout: 10_000,
      ...(input !== undefined ? { input } : {}),
    });
    if (r.status !== 0)
      throw new LiveError(
        `a command failed (${r.status !== null ? `exit ${r.status}` : r.signal ? `killed by ${r.signal}` : 'not run'}): ${[cmd, ...args].map(shellWord).join(' ')}\n${(r.stderr || r.stdout || String(r.error ?? r.signal)).trim()}`,
      );
    return r.stdout;
  }

  function addNs(name: string): string {
    const ns = prefix + name;
    sh('ip', ['netns', 'add', ns]);
    created.push(ns);
    opts.keep?.push(ns);
    sh('ip', [
      'netns',
      'exec',
      ns,
      'sysctl',
      '-q',
      '-w',
      'net.ipv6.conf.all.disable_ipv6=1',
      'net.ipv6.conf.default.disable_ipv6=1',
    ]);
    sh('ip', ['-n', ns, 'link', 'set', 'dev', 'lo', 'up']);
    return ns;
  }

  function start(ns: string, argv: string[], name: string, limitMs: number, stdin = false): Proc {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], {
      stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    const p: Proc = {
      name,
      child,
      lines: [],
      stderr: '',
      exited: new Promise((res) => {
        child.once('exit', () => res());
        child.once('error', () => res());
      }),
    };
    let buf = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      const parts = buf.split('\n');
      buf = parts.pop() ?? '';
      p.lines.push(...parts);
    });
    child.stdout!.on('end', () => buf && p.lines.push(buf));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (p.stderr += d));
    procs.push(p);
    const kill = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null && child.pid)
        process.kill(child.pid, 'SIGKILL');
    }, limitMs);
    kill.unref();
    void p.exited.then(() => clearTimeout(kill));
    return p;
  }

  async function waitFor(p: Proc, test: () => boolean, ms: number, what: string): Promise<void> {
    const end = Date.now() + ms;
    const cmd = (): string => p.child.spawnargs.map(shellWord).join(' ');
    while (!test()) {
      if (p.child.exitCode !== null || p.child.signalCode !== null)
        throw new LiveError(
          `${p.name} ended (${p.child.signalCode ? `by ${p.child.signalCode}` : `exit ${p.child.exitCode}`}) before ${what}: ${cmd()}\n${p.stderr.trim()}`,
        );
      if (Date.now() > end)
        throw new LiveError(`${p.name}: no ${what} within ${ms} ms: ${cmd()}\n${p.stderr.trim()}`);
      await sleep(20);
    }
  }

  async function stop(p: Proc, ms = 2000): Promise<void> {
    if (p.child.exitCode === null && p.child.signalCode === null && p.child.pid) {
      process.kill(p.child.pid, 'SIGTERM');
      const t = setTimeout(() => {
        if (p.child.exitCode === null && p.child.signalCode === null && p.child.pid)
          process.kill(p.child.pid, 'SIGKILL');
      }, ms);
      await p.exited;
      clearTimeout(t);
    }
  }

  async function run(): Promise<KernelRun> {
    const notes: string[] = [];
    const flows = built.flows;
    const hostCfg = new Map(built.world.hosts.map((h) => [h.name, h]));
    const namespaces = new Map<string, string>();
    scenario.hosts.forEach((h) => namespaces.set(h.name.value, addNs(sanitize(h.name.value))));
    const nsOf = (h: string): string => namespaces.get(h)!;
    const macOf = (host: string, dev: string): string => {
      const c = hostCfg.get(host)!;
      const d = [...c.ifaces, ...c.bridges].find((x) => x.name === dev)!;
      return formatMac(d.mac);
    };

    // Links.
    const switches: string[] = [];
    const attached = new Set<string>();
    built.world.links.forEach((l, li) => {
      const [a, b] = l.endpoints;
      if (l.endpoints.length === 2 && a && b) {
        sh('ip', [
          '-n',
          nsOf(a.host),
          'link',
          'add',
          'name',
          a.iface,
          'address',
          macOf(a.host, a.iface),
          'type',
          'veth',
          'peer',
          'name',
          b.iface,
          'address',
          macOf(b.host, b.iface),
          'netns',
          nsOf(b.host),
        ]);
      } else {
        const sw = addNs(`sw${li}`);
        switches.push(sw);
        sh('ip', ['-n', sw, 'link', 'add', 'name', 'sw', ...QUIET_BRIDGE]);
        sh(
          'ip',
          ['netns', 'exec', sw, 'sysctl', '-q', '-w', 'net.bridge.bridge-nf-call-iptables=0'],
          undefined,
        );
        l.endpoints.forEach((e, k) => {
          sh('ip', [
            '-n',
            sw,
            'link',
            'add',
            'name',
            `p${k}`,
            'type',
            'veth',
            'peer',
            'name',
            e.iface,
            'address',
            macOf(e.host, e.iface),
            'netns',
            nsOf(e.host),
          ]);
          sh('ip', ['-n', sw, 'link', 'set', 'dev', `p${k}`, 'master', 'sw', 'up']);
        });
        sh('ip', ['-n', sw, 'link', 'set', 'dev', 'sw', 'up']);
      }
      for (const e of l.endpoints) attached.add(`${e.host}:${e.iface}`);
    });
    let voidNs: string | undefined;
    let voidN = 0;
    for (const h of built.world.hosts)
      for (const i of h.ifaces) {
        if (attached.has(`${h.name}:${i.name}`)) continue;
        voidNs ??= addNs('void');
        const peer = `v${voidN++}`;
        sh('ip', [
          '-n',
          nsOf(h.name),
          'link',
          'add',
          'name',
          i.name,
          'address',
          formatMac(i.mac),
          'type',
          'veth',
          'peer',
          'name',
          peer,
          'netns',
          voidNs,
        ]);
        sh('ip', ['-n', voidNs, 'link', 'set', 'dev', peer, 'up']);
      }

    // Devices, addresses, bridges.
    for (const h of built.world.hosts) {
      const ns = nsOf(h.name);
      for (const br of h.bridges) {
        sh('ip', ['-n', ns, 'link', 'add', 'name', br.name, 'address', formatMac(br.mac), ...QUIET_BRIDGE]);
        for (const p of br.ports) sh('ip', ['-n', ns, 'link', 'set', 'dev', p, 'master', br.name]);
      }
      for (const d of [...h.ifaces, ...h.bridges]) {
        for (const a of d.addrs)
          sh('ip', ['-n', ns, 'addr', 'add', `${formatIpv4(a.addr)}/${a.len}`, 'dev', d.name]);
        sh('ip', ['-n', ns, 'link', 'set', 'dev', d.name, 'up']);
      }
      // Device groups (-m devgroup reads dev->group).
      for (const d of h.ifaces)
        if (d.group !== undefined)
          sh('ip', ['-n', ns, 'link', 'set', 'dev', d.name, 'group', String(d.group)]);
      // Interface MTUs (a bridge takes its ports' smallest by itself).
      for (const d of h.ifaces)
        if (d.mtu !== undefined) sh('ip', ['-n', ns, 'link', 'set', 'dev', d.name, 'mtu', String(d.mtu)]);
      // A flow with a `size` may write more than one segment: without TSO/GSO super-packets (a veth
      // passes them whole, and tcpdump shows one), as on a wire, so each segment is captured.
      if (flows.some((f) => f.size !== undefined))
        for (const d of [...h.ifaces, ...h.bridges])
          sh('ip', ['-n', ns, 'link', 'set', 'dev', d.name, 'gso_max_segs', '1']);
    }

    // Routes, as natbox parsed them (the device only where the route names it).
    for (const h of scenario.hosts)
      for (const r of h.routes)
        sh('ip', ['-n', nsOf(h.name.value), 'route', 'add', ...routeArgs(r.value, tableNamesOf(h))]);
    // `ip rule add`, in the order written.
    for (const h of scenario.hosts)
      for (const r of h.ipRules ?? [])
        sh('ip', ['-n', nsOf(h.name.value), 'rule', 'add', ...ruleArgs(r.value, tableNamesOf(h))]);

    // The hosts' ipsets (`ipset restore` of their `ipset save` lines), before the rules that name them.
    const ipsetHosts = restoreIpsets(scenario, nsOf, which('ipset') !== undefined, (m) => {
      throw new LiveError(m);
    });

    // Rules, with the real iptables.
    const bin = `iptables-${opts.backend}`;
    const ruleHosts: string[] = [];
    for (const h of scenario.hosts) {
      const ipt = iptablesSpec(h);
      if (!ipt || ipt.lines.length === 0) continue;
      const ns = nsOf(h.name.value);
      const lines = ipt.lines.map((l) => ({
        text: l.value,
        file: l.loc.file,
        line: l.loc.line,
        column: l.loc.column,
      }));
      // Exactly what natbox applied: the commands that ran (variables expanded, `-C` tests and
      // the branches natbox did not take left out) and the restore inputs, in order.
      const applied: AppliedOp[] = [];
      const loaded = loadRules(lines, undefined, { applied });
      if (!loaded.ok) {
        const d = loaded.diagnostics[0]!;
        throw new LiveError(`${d.file}:${d.line}:${d.column}: ${d.message}`, 'input');
      }
      if (detectForm(lines) === undefined) continue;
      ruleHosts.push(h.name.value);
      for (const op of applied) {
        const first = op.kind === 'iptables' ? op.words[0]! : (op.body[0] ?? lines[0]!);
        const where = `${first.file}:${first.line}`;
        try {
          if (op.kind === 'restore')
            sh(
              'ip',
              ['netns', 'exec', ns, `${bin}-restore`, ...op.args.map((a) => a.text)],
              op.body.map((l) => l.text).join('\n') + '\n',
            );
          else sh('ip', ['netns', 'exec', ns, bin, ...op.words.slice(1).map((w) => w.text)]);
        } catch (e) {
          throw new LiveError(`${where}: the kernel's ${bin} refused the rule: ${(e as Error).message}`);
        }
      }
    }
    // nftables, with the real nft (`nft -f -` in the host's namespace), then what it made of them
    // (`nft list ruleset`): every address in it must be safe, as for iptables below.
    const nftHosts: string[] = [];
    for (const h of scenario.hosts) {
      const input = nftKernelInput(h);
      if (input === undefined) continue;
      if ('error' in input) throw new LiveError(input.error, 'input');
      const ns = nsOf(h.name.value);
      if (!which('nft'))
        throw new LiveError(
          `${h.name.value} has nftables rules: missing nft (Debian: apt-get install nftables)`,
        );
      const r = spawnSync('ip', ['netns', 'exec', ns, 'nft', ...input.args], {
        encoding: 'utf8',
        timeout: 30_000,
        input: input.text,
      });
      if (r.status !== 0) throw new LiveError(nftRefusal(input, r.stderr || String(r.error ?? r.signal)));
      nftHosts.push(h.name.value);
      if (!ruleHosts.includes(h.name.value)) ruleHosts.push(h.name.value); // its conntrack is compared
      const listed = sh('ip', ['netns', 'exec', ns, 'nft', 'list', 'ruleset']);
      const bad = unsafeAddresses(listed);
      if (bad.length)
        throw new LiveError(
          `${h.name.value}: the kernel's nft read the rules with public addresses outside the documentation ranges (${bad.join(', ')}); nothing was sent`,
          'input',
        );
    }
    // What the kernel's iptables made of the rule text: every address in it must be safe, before
    // anything is sent (natbox checked its own reading; this is the kernel's).
    for (const h of ruleHosts) {
      const saved = sh('ip', ['netns', 'exec', nsOf(h), `${bin}-save`]);
      const bad = unsafeAddresses(saved);
      if (bad.length)
        throw new LiveError(
          `${h}: the kernel's ${bin} read the rules with public addresses outside the documentation ranges (${bad.join(', ')}); nothing was sent`,
          'input',
        );
    }

    // Sysctls: natbox's defaults and the scenario's, so both start alike.
    for (const h of built.world.hosts) {
      const ns = nsOf(h.name);
      for (const [k, v] of h.sysctls) {
        const path = `/proc/sys/${k.replace(/\./g, '/')}`;
        if (spawnSync('ip', ['netns', 'exec', ns, 'test', '-e', path]).status !== 0) {
          const said = scenario.hosts.find((x) => x.name.value === h.name)?.sysctls.has(k);
          if (k.startsWith('net.bridge.') && h.bridges.length === 0) continue;
          if (said || k.startsWith('net.bridge.'))
            notes.push(
              `${h.name}: ${k} is not available on this kernel${k.startsWith('net.bridge.') ? ' (br_netfilter is not loaded: `modprobe br_netfilter`; without it bridged frames never pass iptables, as with 0)' : ''}; natbox used ${v}`,
            );
          continue;
        }
        sh('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', `${k}=${v}`]);
      }
    }

    if (opts.capturesDir) mkdirSync(opts.capturesDir, { recursive: true }); // --captures DIR: made when missing
    // Interface indexes, to name the captures' interfaces.
    const ifnames = new Map<string, Map<number, string>>();
    for (const [h, ns] of namespaces) {
      const links = JSON.parse(sh('ip', ['-n', ns, '-j', 'link', 'show'])) as {
        ifindex: number;
        ifname: string;
      }[];
      ifnames.set(h, new Map(links.map((l) => [l.ifindex, l.ifname])));
    }

    // Every link settled before anything is sent (linksSettled).
    const unsettled = await linksSettled([...namespaces.values(), ...switches], LINKS_SETTLE_MS);
    if (unsettled.length > 0) notes.push(unsettledNote(unsettled));

    // Programs.
    writeFileSync(join(dir, 'server.mjs'), SERVER_SCRIPT);
    writeFileSync(join(dir, 'tserver.py'), TRANSPARENT_SERVER_SCRIPT);
    writeFileSync(join(dir, 'client.py'), CLIENT_SCRIPT);
    writeFileSync(join(dir, 'raw.py'), RAW_SCRIPT);
    const worldEvents = built.world.events ?? [];
    const eventArgv = worldEvents.map((e) => {
      const h = scenario.hosts.find((x) => x.name.value === e.host);
      const a = liveArgv(e, opts.backend, h ? tableNamesOf(h) : undefined);
      if (!Array.isArray(a)) throw new LiveError(a.error, 'input');
      return a;
    });
    const length = Math.max(runLength(flows), worldEvents.length ? eventsEnd(worldEvents) + 1 : 0);
    const lifetimeMs = (length + 10) * 1000 + READY_MS;
    const node = process.execPath;
    const servers: Proc[] = [];
    for (const h of built.world.hosts) {
      // IP_TRANSPARENT listeners: a python3 server (agents.ts TRANSPARENT_SERVER_SCRIPT).
      const tl = h.listen.filter((l) => l.transparent);
      if (tl.length > 0) {
        const listen = tl.map((l) => ({
          proto: l.proto,
          port: l.port,
          ...(l.bind ? { bind: formatIpv4(l.bind) } : {}),
        }));
        const py = realPython(which('python3'));
        if (!py)
          throw new LiveError('a transparent listener needs python3 (IP_TRANSPARENT), which is missing');
        servers.push(
          start(
            nsOf(h.name),
            [py, join(dir, 'tserver.py'), JSON.stringify({ listen, lifetimeMs })],
            `transparent server on ${h.name}`,
            lifetimeMs + 2000,
          ),
        );
      }
      if (h.listen.length === tl.length) continue;
      const listen = h.listen
        .filter((l) => !l.transparent)
        .map((l) => ({
          proto: l.proto,
          port: l.port,
          ...(l.bind ? { bind: formatIpv4(l.bind) } : {}),
          ...(l.replyPort ? { replyPort: l.replyPort } : {}),
          ...(l.ftp ? { ftp: true } : {}),
          ...(l.closeFirst ? { closeFirst: true } : {}),
        }));
      const spec = JSON.stringify({ listen, lifetimeMs });
      servers.push(
        start(nsOf(h.name), [node, join(dir, 'server.mjs'), spec], `server on ${h.name}`, lifetimeMs + 2000),
      );
    }
    for (const s of servers)
      await waitFor(s, () => s.lines.some((l) => l.includes('"ready"')), 5000, 'ready line');

    const dumps: { host: string; file: string; proc: Proc }[] = [];
    for (const [h, ns] of namespaces) {
      const file = join(opts.capturesDir ?? dir, `${sanitize(h)}.pcap`);
      const proc = start(
        ns,
        [
          'tcpdump',
          '-i',
          'any',
          '-y',
          'LINUX_SLL2',
          '-n',
          '-U',
          '--immediate-mode',
          '-s',
          '256',
          '-B',
          '4096',
          '-Z',
          'root',
          '-w',
          file,
        ],
        `tcpdump on ${h}`,
        lifetimeMs + 2000,
      );
      dumps.push({ host: h, file, proc });
    }
    for (const d of dumps)
      await waitFor(d.proc, () => /listening on/.test(d.proc.stderr), 5000, '"listening on"');
    const events = new Map<string, Proc>();
    for (const h of ruleHosts)
      events.set(
        h,
        start(
          nsOf(h),
          [...(which('stdbuf') ? ['stdbuf', '-oL'] : []), 'conntrack', '-E'],
          `conntrack -E on ${h}`,
          lifetimeMs + 2000,
        ),
      );

    // Flows, on one clock: every client is started and says `ready`, then time 0 is set a little
    // ahead and each is told its start time, so a slowly loading client is not late.
    // The interpreter itself, not a wrapper on PATH (a pyenv shim starts a shell and more for
    // every client: seconds on a loaded machine).
    const python = realPython(which('python3'));
    const clients: Proc[] = flows.map((f, i) => {
      const limitMs = (f.at + flowWait(f) + f.hold + 3) * 1000 + 300;
      const spec = {
        proto: f.proto,
        dst: formatIpv4(f.dst),
        dport: f.dport,
        sport: f.sport,
        timeout: f.timeout,
        hold: f.hold,
        udpConnect: f.udpConnect,
        icmpId: f.icmpId,
        count: f.count ?? 1,
        interval: f.interval ?? 0,
        ...(f.mark ? { mark: f.mark } : {}),
        at: f.at,
        limitMs: limitMs - 300,
        ...(f.size !== undefined ? { size: f.size } : {}),
        ...(f.df !== undefined ? { df: f.df } : {}),
        // Socket options (agents.ts reads them in its options block).
        ...(f.src !== undefined ? { src: formatIpv4(f.src) } : {}),
        ...(f.ttl !== undefined ? { ttl: f.ttl } : {}),
        ...(f.tos !== undefined ? { tos: f.tos } : {}),
        ...(f.ipOptions ? { ip_options: Buffer.from(f.ipOptions).toString('hex') } : {}),
        ...(f.mss !== undefined ? { mss: f.mss } : {}),
        ...(f.keepalive ? { keepalive: f.keepalive } : {}),
        ...(f.tftp ? { tftp: true } : {}),
        ...(f.ftp ? { ftp: f.ftp } : {}),
        ...(f.spi !== undefined ? { spi: f.spi } : {}),
      };
      if (!python)
        throw new LiveError(
          `flow "${f.name}": the flow clients need python3 (socket options; ICMP: a raw socket with the flow's echo id), which is missing`,
        );
      return start(
        nsOf(f.from),
        [
          python,
          join(dir, f.proto === 'tcp' || f.proto === 'udp' ? 'client.py' : 'raw.py'),
          JSON.stringify(spec),
        ],
        `flow ${i + 1}`,
        limitMs + READY_MS,
        true,
      );
    });
    const readyBy = Date.now() + READY_MS;
    for (const c of clients)
      await waitFor(c, () => c.lines.includes('ready'), Math.max(0, readyBy - Date.now()), 'ready line');
    const t0ms = Date.now() + 200;
    clients.forEach((c, i) => {
      c.child.stdin!.on('error', () => undefined); // a client gone meanwhile says so by its outcome
      c.child.stdin!.end(`${t0ms + flows[i]!.at * 1000}\n`);
    });
    const commandsDone = runLiveEvents(worldEvents, eventArgv, t0ms, nsOf);
    await sleep(Math.max(0, t0ms + length * 1000 - Date.now()));
    const commands = await commandsDone;

    // The tables at the end, at the same time natbox reads its own.
    const conntrackText = new Map<string, string>();
    const conntrack = new Map<string, CtEntry[]>();
    const ctStats = new Map<string, CtStatsCompared>();
    const ctStatsAt = new Map<string, number>();
    const ctReadAt = new Map<string, readonly [number, number]>();
    const endMs = t0ms + length * 1000;
    let labelsRead = true;
    for (const h of ruleHosts) {
      const from = (Date.now() - endMs) / 1000;
      let r = labelsRead ? listWithLabels(nsOf(h), dir) : undefined;
      if (r && (r.status !== 0 || r.error)) {
        notes.push(
          `conntrack labels not compared: conntrack -L -o labels under an overlay /etc failed (${(r.stderr || String(r.error)).trim().split('\n')[0]})`,
        );
        labelsRead = false;
        r = undefined;
      }
      r ??= spawnSync('ip', ['netns', 'exec', nsOf(h), 'conntrack', '-L'], {
        encoding: 'utf8',
        timeout: 5000,
      });
      ctReadAt.set(h, [from, (Date.now() - endMs) / 1000]);
      conntrackText.set(h, r.stdout ?? '');
      conntrack.set(h, parseConntrackList(r.stdout ?? '', { labels: labelsRead }));
      const st = spawnSync('ip', ['netns', 'exec', nsOf(h), 'conntrack', '-S'], {
        encoding: 'utf8',
        timeout: 5000,
      });
      const stats = parseConntrackStats(st.stdout ?? '');
      if (stats) {
        ctStats.set(h, stats);
        ctStatsAt.set(h, (Date.now() - endMs) / 1000);
      }
    }
    // Captures end with the run, as natbox's does: a client still holding a connection (one that
    // never got its answer) closes it when its hard limit ends it, after this.
    for (const p of [...dumps.map((d) => d.proc), ...events.values()]) await stop(p);
    // The listings are read right after the captures end, before the clients and servers are
    // stopped: their sockets' closing (FIN, RST) would otherwise pass the rules and count in their
    // counters, traffic natbox's run (which ends at the end) never sees. When each listing ran
    // (seconds after the end), for the elements' time left (compare-nft.ts).
    const nftReadAt = new Map<string, readonly [number, number]>();
    const nftRulesets = new Map(
      nftHosts.map((h) => {
        const from = (Date.now() - endMs) / 1000;
        const text = sh('ip', ['netns', 'exec', nsOf(h), 'nft', 'list', 'ruleset']);
        nftReadAt.set(h, [from, (Date.now() - endMs) / 1000]);
        return [h, text] as const;
      }),
    );
    if (opts.capturesDir)
      for (const [h, t] of nftRulesets) writeFileSync(join(opts.capturesDir, `${sanitize(h)}.nft`), t);
    const ipsetSaves = new Map(
      ipsetHosts.map((h) => [h, sh('ip', ['netns', 'exec', nsOf(h), 'ipset', 'save'])] as const),
    );
    if (opts.capturesDir)
      for (const [h, t] of ipsetSaves) writeFileSync(join(opts.capturesDir, `${sanitize(h)}.ipset`), t);
    await Promise.all(clients.map((c) => c.exited));
    for (const p of servers) await stop(p);
    for (const d of dumps) {
      const drop = /(\d+) packets? dropped by kernel/.exec(d.proc.stderr);
      if (drop && drop[1] !== '0')
        notes.push(`${d.host}: tcpdump says ${drop[1]} packets were dropped by the kernel`);
    }
    if (process.env.NATBOX_VERIFY_DEBUG)
      for (const p of procs) process.stderr.write(`[${p.name}] ${p.stderr}\n`);

    const late: number[] = flows.map(() => 0);
    const outcomes: FlowOutcome[] = clients.map((c, i) => {
      const line = c.lines.find((l) => l.startsWith('{'));
      if (!line)
        throw new LiveError(
          `the client of flow "${flows[i]!.name}" (${c.child.spawnargs.map(shellWord).join(' ')}) ended ${c.child.signalCode ? `by ${c.child.signalCode}` : `with exit ${c.child.exitCode}`} without an outcome:\n${c.stderr.trim().slice(0, 2000)}`,
        );
      const o = JSON.parse(line) as FlowOutcome & { settled?: boolean; local?: string; late?: number };
      late[i] = Math.max(0, Math.round(o.late ?? 0));
      return {
        verdict: o.verdict,
        detail: o.detail ?? '',
        ...(o.serverSaw ? { serverSaw: o.serverSaw } : {}),
        ...(o.replyFrom ? { replyFrom: o.replyFrom } : {}),
      };
    });
    const captures = dumps.map((d) => ({
      host: d.host,
      pcap: new Uint8Array(readFileSync(d.file)),
      ifnames: ifnames.get(d.host)!,
    }));
    if (opts.capturesDir)
      for (const [h, t] of conntrackText)
        writeFileSync(join(opts.capturesDir, `${sanitize(h)}.conntrack`), t);
    return {
      t0: t0ms / 1000,
      captures,
      conntrack,
      conntrackText,
      ctReadAt,
      events: new Map([...events].map(([h, p]) => [h, p.lines.filter((l) => l.trim())])),
      flows: outcomes,
      late,
      notes,
      namespaces,
      commands,
      ...(nftRulesets.size > 0 ? { nftRulesets, nftReadAt } : {}),
      ...(ctStats.size > 0 ? { ctStats, ctStatsAt } : {}),
      ...(ipsetSaves.size > 0 ? { ipsetSaves } : {}),
    };
  }
}

/** The python3 binary a `python3` on PATH runs (sys.executable), or the path itself. */
function realPython(path: string | undefined): string | undefined {
  if (!path) return undefined;
  const r = spawnSync(path, ['-c', 'import sys; print(sys.executable)'], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  const exe = r.status === 0 ? r.stdout.trim() : '';
  return exe && existsSync(exe) ? exe : path;
}

/** How long the clients may take to load before a run gives up (a tool failure, exit 3). */
const READY_MS = 15_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** How long a run waits for its links to settle (linksSettled). */
export const LINKS_SETTLE_MS = 3000;

/** The run's note when links did not settle in time (linksSettled's answer). */
export const unsettledNote = (unsettled: readonly string[], ms = LINKS_SETTLE_MS): string =>
  `links not settled after ${ms / 1000} s (carrier seen, not yet up or forwarding): ${unsettled.join(', ')}`;

/**
 * Waits until every interface with carrier (LOWER_UP) is operationally up and, when it is a
 * bridge port, forwarding. The kernel hands a carrier change to operstate and to the bridge
 * through linkwatch, which runs at most once a second (linkwatch_schedule_work): a run started
 * right after its links came up can lose its first frames at a bridge port still `disabled` (seen
 * in CI: a client's first ARP request flooded to two ports of a bridge and not to the third).
 * Returns the interfaces (`ns:dev`) still unsettled after `ms`.
 */
export async function linksSettled(nss: readonly string[], ms: number): Promise<string[]> {
  const by = Date.now() + ms;
  for (;;) {
    const pending: string[] = [];
    for (const ns of nss) {
      const r = spawnSync('ip', ['-n', ns, '-d', '-j', 'link', 'show'], { encoding: 'utf8', timeout: 5000 });
      if (r.status !== 0) continue;
      const links = JSON.parse(r.stdout) as {
        ifname: string;
        operstate?: string;
        flags?: string[];
        linkinfo?: { info_slave_kind?: string; info_slave_data?: { state?: string } };
      }[];
      for (const l of links) {
        if (!l.flags?.includes('LOWER_UP') || l.flags.includes('LOOPBACK')) continue;
        const up = l.operstate === 'UP' || l.operstate === 'UNKNOWN';
        const port = l.linkinfo?.info_slave_kind === 'bridge' ? l.linkinfo.info_slave_data?.state : undefined;
        if (!up || (port !== undefined && port !== 'forwarding')) pending.push(`${ns}:${l.ifname}`);
      }
    }
    if (pending.length === 0 || Date.now() >= by) return pending;
    await sleep(50);
  }
}

/** A word as sh(1) reads it back. */
export const shellWord = (w: string): string =>
  /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, "'\\''")}'`;

/** `ip route add` arguments from natbox's reading of a route (addresses in dotted decimal). */
export function routeArgs(text: string, names?: TableNames): string[] {
  const args = fullRouteArgs(text, names);
  if (typeof args === 'string') throw new LiveError(`route "${text}": ${args}`, 'input');
  return args;
}

/** The addresses in iptables-save text (quoted strings, such as comments, left out) that are not safe. */
export function unsafeAddresses(save: string): string[] {
  const bad = new Set<string>();
  const text = save.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  for (const m of text.matchAll(/(?<![\w./])(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})(?![\w.])/g)) {
    const a = parseIpv4(m[1]!);
    if (a.ok && !isLiveSafe(a.value)) bad.add(m[1]!);
  }
  return [...bad];
}

/**
 * `conntrack -L -o labels` in namespace `ns`, with a connlabel.conf naming each of the 128 bits by
 * its number, so that the labels print as `labels=3,100` (libnetfilter_conntrack prints only named
 * bits, and no labels at all without the file). The tool reads /etc/xtables/connlabel.conf only:
 * the file is put there by an overlay on /etc in a private mount namespace (unshare -m), so the
 * machine's /etc is never written. `dir` is the run's scratch directory.
 */
function listWithLabels(ns: string, dir: string): SpawnSyncReturns<string> {
  const up = join(dir, 'etc-up');
  const work = join(dir, 'etc-work');
  if (!existsSync(join(up, 'xtables'))) {
    mkdirSync(join(up, 'xtables'), { recursive: true });
    mkdirSync(work, { recursive: true });
    writeFileSync(
      join(up, 'xtables', 'connlabel.conf'),
      Array.from({ length: 128 }, (_, b) => `${b} ${b}\n`).join(''),
    );
  }
  const script =
    'mount -t overlay natbox-connlabel -o "lowerdir=/etc,upperdir=$1,workdir=$2" /etc && ' +
    'exec ip netns exec "$3" conntrack -L -o labels';
  return spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', up, work, ns], {
    encoding: 'utf8',
    timeout: 5000,
  });
}
