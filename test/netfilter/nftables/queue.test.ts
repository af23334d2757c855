// nft `queue` and iptables NFQUEUE with the scenario's queue listeners (`queues:`, given as
// XtEnv.queueVerdict): nft_queue_eval / xt_NFQUEUE send the packet to queue N; a listener there
// answers accept (nf_reinject: the hook goes on) or drop; with nobody there nf_queue fails and
// the packet is dropped, or goes on with bypass. This kernel has no nft_queue (no live check:
// natbox verify exits 3, test/cli/nft-notes.test.ts); the expected verdicts are nf_queue.c's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildUdpPacket } from '../../../src/wire/packet.ts';
import { NF_ACCEPT, NF_DROP } from '../../../src/netfilter/core/engine.ts';
import { Skb } from '../../../src/netfilter/core/skb.ts';
import { loadScenario } from '../../../src/scenario/load.ts';
import { simulateScenario } from '../../../src/scenario/simulate.ts';
import { ip } from '../helpers.ts';
import { envOf, NftBox, nftEngine, parseNftText, fwd } from './dsl.ts';

const TEXT = `table ip t {
	chain forward {
		type filter hook forward priority filter; policy accept;
		udp dport 1 queue to 0
		udp dport 2 queue to 1
		udp dport 3 queue flags bypass to 2
		udp dport 4 queue to 2
		udp dport 5 queue to udp sport map { 7 : 7, 8 : 8 }
		udp dport 6 queue flags fanout to 3-5
	}

	chain after {
		type filter hook forward priority filter + 10; policy accept;
		meta mark set 0x00000009
	}
}
`;

/** Listeners: queue 0 accepts, 1 drops, 7 accepts (for `queue to udp sport map { 7 : 7, 8 : 8 }`), 3 drops. */
const LISTENERS = new Map([
  [0, NF_ACCEPT],
  [1, NF_DROP],
  [7, NF_ACCEPT],
  [3, NF_DROP],
]);

class Box extends NftBox {
  constructor(listeners: ReadonlyMap<number, number> | undefined) {
    super(TEXT);
    this.skb.env = envOf(this.nf, listeners ? { queueVerdict: (n) => listeners.get(n) ?? -1 } : {});
  }
  /** The verdict of a UDP datagram to `dport` from `sport`, and whether the later chain ran. */
  udp(dport: number, sport = 1000): [number, boolean] {
    const buf = buildUdpPacket(
      { src: ip('192.168.1.10'), dst: ip('198.51.100.1'), id: 1 },
      { srcPort: sport, dstPort: dport },
    );
    const v = fwd(this.nf, this.skb, buf, 'a', 'b', 1);
    return [v, this.skb.mark === 9];
  }
}

test('nft queue: the listener on the queue answers; accept lets the hook go on', () => {
  const b = new Box(LISTENERS);
  assert.deepEqual(b.udp(1), [NF_ACCEPT, true], 'queue 0 accepts: the next chain of the hook runs');
  assert.deepEqual(b.udp(2), [NF_DROP, false], 'queue 1 drops');
  assert.deepEqual(b.udp(3), [NF_ACCEPT, true], 'queue 2: nobody, bypass goes on');
  assert.deepEqual(b.udp(4), [NF_DROP, false], 'queue 2: nobody, no bypass: dropped');
  assert.deepEqual(b.udp(5, 7), [NF_ACCEPT, true], 'queue to udp sport map: queue 7 accepts');
  assert.deepEqual(b.udp(5, 8), [NF_DROP, false], 'queue 8: nobody');
  assert.deepEqual(b.udp(6), [NF_DROP, false], 'fanout 3-5 on CPU 0: queue 3, which drops');
  assert.deepEqual(b.udp(9), [NF_ACCEPT, true], 'not queued');
});

test('nft queue: without listeners (no queues: in the scenario) every queue is empty', () => {
  const b = new Box(undefined);
  assert.deepEqual(b.udp(1), [NF_DROP, false]);
  assert.deepEqual(b.udp(3), [NF_ACCEPT, true], 'bypass');
});

test('iptables NFQUEUE: the same listeners', () => {
  const nf = nftEngine(
    parseNftText('table ip t {\n}\n'),
    'iptables -A FORWARD -p udp --dport 1 -j NFQUEUE --queue-num 0\niptables -A FORWARD -p udp --dport 2 -j NFQUEUE --queue-num 1\niptables -A FORWARD -p udp --dport 3 -j NFQUEUE --queue-num 2 --queue-bypass\n',
  );
  const skb = new Skb();
  skb.env = envOf(nf, { queueVerdict: (n) => LISTENERS.get(n) ?? -1 });
  const v = (dport: number): number =>
    fwd(
      nf,
      skb,
      buildUdpPacket(
        { src: ip('192.168.1.10'), dst: ip('198.51.100.1'), id: 1 },
        { srcPort: 1, dstPort: dport },
      ),
      'a',
      'b',
      1,
    );
  assert.deepEqual([v(1), v(2), v(3)], [NF_ACCEPT, NF_DROP, NF_ACCEPT]);
});

const SCENARIO = (queues: string): string => `name: q
hosts:
  r:
    interfaces: { wan: 203.0.113.1/24, lan: 10.0.0.1/24 }
    sysctls: { net.ipv4.ip_forward: 1 }
${queues}    nft: |
      table ip t {
        chain forward {
          type filter hook forward priority filter; policy accept;
          udp dport 53 queue to 3
        }
      }
  c:
    interfaces: { eth0: 203.0.113.50/24 }
    routes: [default via 203.0.113.1]
  s:
    interfaces: { eth0: 10.0.0.10/24 }
    routes: [default via 10.0.0.1]
    listen: [udp/53]
links:
  - { name: wan, connect: [c:eth0, r:wan] }
  - { name: lan, connect: [r:lan, s:eth0] }
flows:
  - { name: dns, from: c, proto: udp, to: 10.0.0.10:53 }
`;

test('a scenario host names its queue listeners (queues:), and a run honours them', () => {
  const verdict = (queues: string): string => {
    const r = simulateScenario(SCENARIO(queues), 'q.yaml');
    if (!r.ok) assert.fail(r.errors.join('\n'));
    return r.sim.results[0]!.verdict;
  };
  assert.equal(verdict('    queues: { 3: accept }\n'), 'reply');
  assert.equal(verdict('    queues: { 3: drop }\n'), 'timeout');
  assert.equal(verdict('    queues: { 4: accept }\n'), 'timeout', 'nobody on queue 3');
  assert.equal(verdict(''), 'timeout');
});

test('queues: refuses what is not a queue number or a verdict, at its place', () => {
  const errs = (queues: string): string[] => {
    const l = loadScenario(SCENARIO(queues), 'q.yaml');
    return l.ok ? [] : l.errors.map((e) => `${e.line}:${e.column}: ${e.message}`);
  };
  assert.deepEqual(errs('    queues: { 70000: accept }\n'), [
    '6:15: hosts.r.queues.70000: "70000" is not a queue number (0..65535)',
  ]);
  assert.deepEqual(errs('    queues: { 3: repeat }\n'), [
    '6:18: hosts.r.queues.3: "repeat" is not a queue verdict (accept or drop)',
  ]);
});
