// STP against the kernel: two Linux bridges with stp_state 1 joined by two veth pairs, built in
// network namespaces of this test (prefix stpk-PID-, never connected to the root namespace, deleted
// afterwards also on failure). The kernel is the oracle for natbox's bridge.ts: the port states
// once converged (`bridge -j link show`) and the bytes of the root's configuration BPDU (captured
// with tcpdump) must be natbox's. Skips, saying why, without root, ip netns, bridge or tcpdump.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareScenario } from '../../src/scenario/simulate.ts';
import { World } from '../../src/sim/world.ts';
import { readPcap } from '../../src/wire/pcap.ts';

function why(): string | undefined {
  if (process.getuid?.() !== 0) return 'kernel STP test: needs root (ip netns add)';
  for (const [tool, args] of [
    ['ip', ['netns', 'list']],
    ['bridge', ['-V']],
    ['tcpdump', ['--version']],
  ] as const) {
    const r = spawnSync(tool, args, { encoding: 'utf8', timeout: 5000 });
    if (r.error || r.status !== 0) return `kernel STP test: ${tool} is missing or does not run`;
  }
  return undefined;
}
const skip = why();

const NS = { sw1: `stpk-${process.pid}-sw1`, sw2: `stpk-${process.pid}-sw2` };
const MAC = {
  sw1: { br0: '02:00:00:00:01:00', p2: '02:00:00:00:01:02', p3: '02:00:00:00:01:03' },
  sw2: { br0: '02:00:00:00:02:00', p2: '02:00:00:00:02:02', p3: '02:00:00:00:02:03' },
};

function sh(args: string[]): string {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

/** The same two bridges in natbox: ports in the same order, the same MACs and STP settings. */
const SCENARIO = `
name: stp-kernel
hosts:
  sw1:
    interfaces: { p2: { mac: ${MAC.sw1.p2} }, p3: { mac: ${MAC.sw1.p3} } }
    bridges: { br0: { ports: [p2, p3], mac: ${MAC.sw1.br0}, stp: { priority: 4096, forward_delay: 2 } } }
  sw2:
    interfaces: { p2: { mac: ${MAC.sw2.p2} }, p3: { mac: ${MAC.sw2.p3} } }
    bridges: { br0: { ports: [p2, p3], mac: ${MAC.sw2.br0}, stp: { forward_delay: 2 } } }
links:
  - [sw1:p2, sw2:p2]
  - [sw1:p3, sw2:p3]
`;

test(
  'kernel: STP port states and the root BPDU of two bridges joined by two cables = natbox',
  { skip, timeout: 60_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'natbox-stp-'));
    try {
      sh(['ip', 'netns', 'add', NS.sw1]);
      sh(['ip', 'netns', 'add', NS.sw2]);
      for (const sw of ['sw1', 'sw2'] as const) {
        const ns = NS[sw];
        // forward_delay is in centiseconds for ip-link (200 = 2 s, the least STP allows).
        sh([
          'ip',
          '-n',
          ns,
          'link',
          'add',
          'br0',
          'type',
          'bridge',
          'stp_state',
          '1',
          'forward_delay',
          '200',
          ...(sw === 'sw1' ? ['priority', '4096'] : []),
        ]);
        sh(['ip', '-n', ns, 'link', 'set', 'br0', 'address', MAC[sw].br0]);
      }
      for (const p of ['p2', 'p3'] as const) {
        sh(['ip', '-n', NS.sw1, 'link', 'add', p, 'type', 'veth', 'peer', 'name', p, 'netns', NS.sw2]);
        for (const sw of ['sw1', 'sw2'] as const)
          sh(['ip', '-n', NS[sw], 'link', 'set', p, 'address', MAC[sw][p]]);
      }
      // Enslave in the scenario's order (port numbers 1, 2), then bring everything up.
      for (const sw of ['sw1', 'sw2'] as const)
        for (const p of ['p2', 'p3']) sh(['ip', '-n', NS[sw], 'link', 'set', p, 'master', 'br0']);
      // Ports up first (tcpdump needs its device up), the bridges last: STP starts with br0 up.
      for (const sw of ['sw1', 'sw2'] as const)
        for (const p of ['p2', 'p3']) sh(['ip', '-n', NS[sw], 'link', 'set', p, 'up']);
      const pcap = join(dir, 'bpdu.pcap');
      let dumpErr = '';
      const dump = spawn(
        'ip',
        [
          'netns',
          'exec',
          NS.sw2,
          'tcpdump',
          '-i',
          'p2',
          '-Q',
          'in',
          '-c',
          '1',
          '-w',
          pcap,
          'ether',
          'dst',
          '01:80:c2:00:00:00',
          'and',
          'ether',
          'src',
          MAC.sw1.p2,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      dump.stderr.on('data', (d: Buffer) => (dumpErr += d.toString()));
      const dumped = new Promise<void>((ok) => dump.on('exit', () => ok()));
      await new Promise((ok) => setTimeout(ok, 1000)); // tcpdump is listening
      for (const sw of ['sw1', 'sw2'] as const) sh(['ip', '-n', NS[sw], 'link', 'set', 'br0', 'up']);
      const started = performance.now();
      const states = (): Record<string, string> => {
        const out: Record<string, string> = {};
        for (const sw of ['sw1', 'sw2'] as const)
          for (const l of JSON.parse(sh(['bridge', '-n', NS[sw], '-j', 'link', 'show'])) as {
            ifname: string;
            state: string;
          }[])
            out[`${sw}:${l.ifname}`] = l.state;
        return out;
      };
      const at = async (t: number): Promise<Record<string, string>> => {
        await new Promise((ok) => setTimeout(ok, Math.max(0, started + t * 1000 - performance.now())));
        return states();
      };
      // Listening 2 s, learning 2 s, then forwarding; the first BPDUs leave at hello_time (2 s).
      // Sampled between the steps: at 1 s, 3 s and 7 s.
      const kernel = { 1: await at(1), 3: await at(3), 7: await at(7) };
      const killer = setTimeout(() => dump.kill(), 3000);
      await dumped;
      clearTimeout(killer);

      const p = prepareScenario(SCENARIO, 'stp-kernel.yaml');
      if (!p.ok) assert.fail(p.errors.join('\n'));
      const world = new World(p.built.world);
      const natbox: Record<number, Record<string, string>> = {};
      for (const t of [1, 3, 7]) {
        world.run(t);
        const out: Record<string, string> = {};
        for (const sw of ['sw1', 'sw2'])
          for (const port of ['p2', 'p3'])
            out[`${sw}:${port}`] = world.host(sw).bridges.get('br0')!.portState(port)!;
        natbox[t] = out;
      }
      assert.deepEqual(natbox, kernel);
      assert.equal(kernel[7]['sw2:p3'], 'blocking');
      assert.equal(kernel[3]['sw1:p2'], 'learning');

      assert.ok(existsSync(pcap), `tcpdump wrote no capture: ${dumpErr}`);
      const captured = readPcap(new Uint8Array(readFileSync(pcap)));
      assert.ok(captured.ok, 'tcpdump wrote a capture');
      const kFrame = captured.value.packets[0]?.data;
      assert.ok(kFrame, 'the kernel root sent a BPDU on p2');
      const link = world.links.find(
        (l) => l.cfg.endpoints[0]!.host === 'sw1' && l.cfg.endpoints[0]!.iface === 'p2',
      )!;
      const nFrame = link.captures.find((c) => c.from.host === 'sw1')!.frame;
      const hex = (b: Uint8Array): string => Buffer.from(b.subarray(0, 14 + 3 + 35)).toString('hex');
      assert.equal(hex(nFrame), hex(kFrame));
    } finally {
      spawnSync('ip', ['netns', 'del', NS.sw1]);
      spawnSync('ip', ['netns', 'del', NS.sw2]);
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
