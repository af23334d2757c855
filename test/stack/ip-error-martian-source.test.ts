// ip_route_input_slow validates a packet's source (fib_validate_source: one of the host's own
// addresses unless accept_local, a source whose route back is not unicast, rp_filter) only once
// fib_lookup found a route: for a local destination (RTN_LOCAL) and for one to forward by
// (ip_mkroute_input → __mkroute_input). A packet with no route goes to ip_error unchecked, which
// answers its source with ICMP net unreachable, through lo when that source is the host's own.
// The scenario is seed 2203's #4 of the generator (test/conformance/generated/gen-2203-4.yaml,
// 3 of 3 kernel runs match): r1 resets h32's SYN to its own 203.0.113.1:80; r2 un-MASQUERADEs the
// reset to 10.3.0.12, a LAN it has no route to, and sends it back to r1 by its default route; r1
// has none to 10.3.0.12 either. natbox dropped the reset as a martian source and sent nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { decodeEthernet } from '../../src/wire/decode.ts';
import { DropReason } from '../../src/netfilter/core/drop.ts';

const FILE = 'test/conformance/generated/gen-2203-4.yaml';

function run(text: string) {
  const r = simulateScenario(text, FILE, {
    trace: true,
    readFile: (p) => ({ ok: true, text: readFileSync(p, 'utf8') }),
  });
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  return r.sim;
}

const dropName = (r: number): string => Object.entries(DropReason).find(([, v]) => v === r)?.[0] ?? String(r);

/** r1's packets and drops, one line each: time in µs, device, direction, what. */
function r1Lines(sim: ReturnType<typeof run>): string[] {
  return sim.steps.flatMap((s) => {
    if (s.host !== 'r1') return [];
    const t = Math.round(s.t * 1e6);
    if (s.kind === 'drop') return [`${t} drop ${s.ifname} ${dropName(s.reason)}`];
    if (s.kind !== 'packet') return [];
    const ip = decodeEthernet(s.frame).ipv4;
    if (!ip) return [];
    const what = ip.tcp
      ? `tcp ${ip.src}:${ip.tcp.sport} > ${ip.dst}:${ip.tcp.dport} flags 0x${ip.tcp.flags.toString(16)}`
      : `icmp ${ip.src} > ${ip.dst} ${ip.icmp!.type}/${ip.icmp!.code} about ${ip.icmp!.quote?.src} > ${ip.icmp!.quote?.dst}`;
    return [`${t} ${s.ifname} ${s.dir} ${what}`];
  });
}

test("a reset to an address r1 has no route to, from r1's own address: ip_error answers it with net unreachable through lo, no martian", () => {
  const sim = run(readFileSync(FILE, 'utf8'));
  const lines = r1Lines(sim).filter((l) => !l.includes(' > 203.0.113.1:80 '));
  assert.deepEqual(lines, [
    '3200900 down2 out tcp 203.0.113.1:80 > 172.16.2.2:41420 flags 0x14',
    '3201100 down2 in tcp 203.0.113.1:80 > 10.3.0.12:40000 flags 0x14',
    '3201100 drop down2 IP_INNOROUTES',
    '3201100 lo in icmp 203.0.113.1 > 203.0.113.1 3/0 about 203.0.113.1 > 10.3.0.12',
    '4224300 down2 out tcp 203.0.113.1:80 > 172.16.2.2:5717 flags 0x14',
    '4224500 down2 in tcp 203.0.113.1:80 > 10.3.0.12:40000 flags 0x14',
    '4224500 drop down2 IP_INNOROUTES',
    '4224500 lo in icmp 203.0.113.1 > 203.0.113.1 3/0 about 203.0.113.1 > 10.3.0.12',
  ]);
});

test('with a route to 10.3.0.12 the same reset is a martian source (__mkroute_input validates it): dropped, nothing sent', () => {
  const text = readFileSync(FILE, 'utf8').replace(
    '      down2: { addresses: [172.16.2.1/24] }\n',
    "      down2: { addresses: [172.16.2.1/24] }\n    routes: ['10.3.0.0/24 via 172.16.2.2']\n",
  );
  assert.notEqual(text, readFileSync(FILE, 'utf8'));
  const lines = r1Lines(run(text)).filter((l) => l.includes('10.3.0.12') || l.includes(' drop '));
  assert.deepEqual(lines, [
    '3201100 down2 in tcp 203.0.113.1:80 > 10.3.0.12:40000 flags 0x14',
    '3201100 drop down2 IP_LOCAL_SOURCE',
    '4224500 down2 in tcp 203.0.113.1:80 > 10.3.0.12:40000 flags 0x14',
    '4224500 drop down2 IP_LOCAL_SOURCE',
  ]);
});
