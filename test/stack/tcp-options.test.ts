// The TCP options of a handshake as Linux writes them (tcp_syn_options, tcp_synack_options,
// tcp_options_write) given the hosts' tcp_timestamps, tcp_sack and tcp_window_scaling, in the
// simulator, on test/conformance/extra/module-tcp-options.yaml (which `natbox verify` runs on the
// kernel). Expected options: the kernel's capture of that scenario (tcpdump -r server.pcap,
// server2.pcap; Linux 6.18.44), in tcpdump's short names, per flow:
//   client (defaults) -> server (tcp_timestamps 0): SYN mss1460,sackOK,ts,ws; SYN-ACK
//     mss 1460,nop,nop,sackOK,nop,wscale; later segments none.
//   client2 (tcp_sack 0, tcp_window_scaling 0) -> server2: SYN and SYN-ACK mss 1460,nop,nop,TS;
//     later segments nop,nop,TS.
//   client2 -> server: SYN mss,nop,nop,TS; SYN-ACK mss 1460 alone; later segments none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { natboxSide } from '../../src/oracle/packets.ts';
import { synOptions, OPT_SACK, OPT_TS, OPT_WS } from '../../src/stack/tcp-options.ts';

const FILE = 'test/conformance/extra/module-tcp-options.yaml';

test('SYN-ACK and later segments carry only the options both ends agreed, as Linux', () => {
  const r = simulateScenario(readFileSync(FILE, 'utf8'), FILE);
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  const packets = natboxSide(
    r.sim.steps.flatMap((x) =>
      x.kind === 'packet' ? [{ t: x.t, host: x.host, ifname: x.ifname, dir: x.dir, frame: x.frame }] : [],
    ),
  ).packets.filter((p) => p.iface.startsWith('server') && p.proto === 'tcp');
  const byFlow = (sport: number): string[] =>
    packets
      .filter((p) => p.sport === sport || p.dport === sport)
      .slice(0, 4)
      .map((p) => `${p.dir} ${p.flags} ${p.opts ?? '-'}`);
  assert.deepEqual(byFlow(42001), [
    'in S mss1460,sackOK,ts,ws',
    'out S. mss1460,sackOK,ws',
    'in . -',
    'in P. -',
  ]);
  assert.deepEqual(byFlow(42002), ['in S mss1460,ts', 'out S. mss1460,ts', 'in . ts', 'in P. ts']);
  assert.deepEqual(byFlow(42003), ['in S mss1460,ts', 'out S. mss1460', 'in . -', 'in P. -']);
});

test("tcp_options_write's layouts: SACK-permitted folded before the timestamps, else NOP, NOP", () => {
  const ts = { kind: 'ts', val: 1, ecr: 2 } as const;
  const kinds = (bits: number): string =>
    synOptions(bits, 1460, ts, 7)
      .map((o) => o.kind)
      .join(',');
  assert.equal(kinds(OPT_TS | OPT_SACK | OPT_WS), 'mss,sackOK,ts,nop,ws');
  assert.equal(kinds(OPT_SACK | OPT_WS), 'mss,nop,nop,sackOK,nop,ws');
  assert.equal(kinds(OPT_TS), 'mss,nop,nop,ts');
  assert.equal(kinds(0), 'mss');
});
