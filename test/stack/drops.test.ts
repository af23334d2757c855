// Every drop the stack makes is counted on its host by DropReason (Host.drops, like the engine's
// per-reason counters), with or without a tracer, and traced as a step carrying the reason's number
// and its fields; the words are the trace's (trace/drop-words.ts). Frames handed to a host
// directly show the receive path's own drops: a bad header checksum, a malformed header, a bad
// TCP checksum, no route, TTL expiry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { DROP_REASON_COUNT, DropReason } from '../../src/netfilter/core/drop.ts';
import { buildTcpPacket } from '../../src/wire/packet.ts';
import { ETHERTYPE_IPV4, emitEthernet } from '../../src/wire/ethernet.ts';
import { dropWords } from '../../src/trace/drop-words.ts';
import type { Step } from '../../src/stack/steps.ts';

const FIREWALL = readFileSync(new URL('../trace/firewall.yaml', import.meta.url), 'utf8');
const ip = (a: number, b: number, c: number, d: number): number =>
  ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

function run(trace: boolean) {
  const r = simulateScenario(FIREWALL, 'firewall.yaml', { trace });
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  return r.sim;
}

test('drops: each host counts its drops by reason, the same with and without a tracer, one per drop step', () => {
  const traced = run(true);
  const quiet = run(false);
  assert.equal(quiet.steps.length, 0);
  for (const [name, h] of traced.world.hosts) {
    const perReason = new Uint32Array(DROP_REASON_COUNT);
    for (const s of traced.steps) if (s.kind === 'drop' && s.host === name) perReason[s.reason]!++;
    assert.deepEqual([...h.drops], [...perReason], name);
    assert.deepEqual([...quiet.world.host(name).drops], [...h.drops], name);
  }
  const router = traced.world.host('router').drops;
  // The firewall's flows: port 81 and 8080 (the policy) are dropped, UDP and port 82 rejected.
  assert.ok(router[DropReason.NETFILTER_DROP]! >= 2);
  assert.ok(router[DropReason.NETFILTER_REJECT]! >= 2);
  const first = traced.steps.find((s) => s.kind === 'drop' && s.reason === DropReason.NETFILTER_DROP);
  assert.deepEqual(first && { ...first, t: 0 }, {
    kind: 'drop',
    host: 'router',
    ifname: 'lan',
    reason: DropReason.NETFILTER_DROP,
    table: 4,
    t: 0,
  });
});

test('drops: the receive path drops a bad header checksum, a malformed header, a bad TCP checksum, no route, TTL 1', () => {
  const sim = run(true);
  const router = sim.world.host('router');
  const lan = router.ifaces.get('lan')!;
  const client = sim.world.host('client').ifaces.get('eth0')!;
  const frame = (pkt: Uint8Array): Uint8Array => emitEthernet(lan.mac, client.mac, ETHERTYPE_IPV4, pkt);
  const tcp = (dst: number, ttl = 64): Uint8Array =>
    buildTcpPacket(
      { src: ip(192, 168, 1, 10), dst, id: 1, ttl },
      { srcPort: 40000, dstPort: 9, seq: 1, ack: 0, flags: 0x02, window: 1000 },
    );
  const cases: [Uint8Array, DropReason, Partial<Step>, string][] = [
    (() => {
      const p = tcp(ip(192, 168, 1, 1));
      p[10]! ^= 0xff; // the IPv4 header checksum
      return [p, DropReason.IP_CSUM, {}, 'bad IPv4 header checksum'] as [
        Uint8Array,
        DropReason,
        Partial<Step>,
        string,
      ];
    })(),
    [
      tcp(ip(192, 168, 1, 1)).subarray(0, 12),
      DropReason.IP_INHDR,
      { detail: 'truncated' },
      'malformed IPv4 header (truncated)',
    ],
    (() => {
      const p = tcp(ip(192, 168, 1, 1));
      p[36]! ^= 0xff; // the TCP checksum
      return [p, DropReason.TCP_CSUM, {}, 'TCP segment with a bad checksum'] as [
        Uint8Array,
        DropReason,
        Partial<Step>,
        string,
      ];
    })(),
    [
      tcp(ip(10, 99, 99, 99)),
      DropReason.IP_INNOROUTES,
      { addr: ip(10, 99, 99, 99) },
      'no route to 10.99.99.99',
    ],
    [
      tcp(ip(203, 0, 113, 50), 1),
      DropReason.IP_TTL_EXPIRED,
      { addr: ip(203, 0, 113, 50) },
      'TTL expired in transit to 203.0.113.50',
    ],
  ];
  for (const [pkt, reason, fields, words] of cases) {
    const before = router.drops[reason]!;
    const n = sim.steps.length;
    router.receive('lan', frame(pkt));
    assert.equal(router.drops[reason], before + 1, words);
    const drops = sim.steps.slice(n).filter((s) => s.kind === 'drop');
    assert.equal(drops.length, 1, words);
    const d = drops[0]!;
    assert.ok(d.kind === 'drop');
    assert.equal(d.reason, reason);
    for (const [k, v] of Object.entries(fields))
      assert.equal((d as unknown as Record<string, unknown>)[k], v, `${words}: ${k}`);
    assert.equal(dropWords(d), words);
  }
});
