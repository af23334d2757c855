// nft base chains beside iptables-nft's filter table on one hook, against the kernel: in a fresh
// network namespace (nbx-nfteval-PID-N, deleted afterwards), `nft -f` loads two output chains (a
// mark at priority P, a counter at 20) and iptables drops marked datagrams to port 9 at the filter priority (0);
// one UDP datagram to 127.0.0.1:9 is sent (python3). The kernel's counters (nft list ruleset, iptables -L -v) are then
// compared with natbox's engine given the same nft text (parseNft) and iptables command, for P = -10
// (the mark comes first: iptables drops the datagram) and P = 10 (iptables first: it passes).
// Skipped with the reason without root, nft, iptables-nft or ip netns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { buildUdpPacket } from '../../../src/wire/packet.ts';
import { Skb } from '../../../src/netfilter/core/skb.ts';
import { NF_ACCEPT } from '../../../src/netfilter/core/engine.ts';
import { parseNft, printNft } from '../../../src/rules/nft/index.ts';
import { ip } from '../helpers.ts';
import { liveNatMissing } from '../live-env.ts';
import { envOf, nftEngine } from './dsl.ts';

const IPT = 'iptables -A OUTPUT -p udp --dport 9 -m mark --mark 0x1 -j DROP';

const nftText = (p: number): string => `table ip t {
	chain a {
		type filter hook output priority ${p}; policy accept;
		udp dport 9 meta mark set 0x00000001 counter packets 0 bytes 0
	}

	chain b {
		type filter hook output priority 20; policy accept;
		udp dport 9 counter packets 0 bytes 0
	}
}
`;

function why(): string | undefined {
  const m = liveNatMissing();
  if (m) return m;
  if (spawnSync('nft', ['--version']).status !== 0) return 'needs nft';
  return undefined;
}

/** The packet counts of the nft counters (in order) and of iptables' DROP rule. */
function counts(nftList: string, iptList: string): number[] {
  const nft = [...nftList.matchAll(/counter packets (\d+)/g)].map((m) => Number(m[1]));
  const drop = /^\s*(\d+)\s+\d+\s+DROP/m.exec(iptList);
  return [...nft, Number(drop?.[1] ?? -1)];
}

function kernel(p: number, n: number): number[] {
  const ns = `nbx-nfteval-${process.pid}-${n}`;
  const run = (...args: string[]): string => {
    const r = spawnSync('ip', ['netns', 'exec', ns, ...args], {
      encoding: 'utf8',
      input: args[0] === 'nft' && args[1] === '-f' ? nftText(p) : undefined,
      timeout: 20_000,
    });
    if (r.status !== 0 && args[0] !== 'python3') throw new Error(`${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  assert.equal(spawnSync('ip', ['netns', 'add', ns]).status, 0, 'ip netns add');
  try {
    run('ip', 'link', 'set', 'lo', 'up');
    run('nft', '-f', '-');
    run(...IPT.split(' '));
    // A drop in OUTPUT fails the send (EPERM), as it should.
    run('python3', '-c', "import socket; socket.socket(2, 2).sendto(b'x', ('127.0.0.1', 9))");
    return counts(run('nft', 'list', 'table', 'ip', 't'), run('iptables', '-L', 'OUTPUT', '-v', '-x', '-n'));
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
}

function natbox(p: number): number[] {
  const lines = nftText(p)
    .split('\n')
    .map((text, i) => ({ text, file: 't.nft', line: i + 1, column: 1 }));
  const r = parseNft(lines);
  assert.ok(r.ok, JSON.stringify(r));
  const nf = nftEngine(r.ruleset, IPT);
  const skb = new Skb();
  const dgram = buildUdpPacket(
    { src: ip('127.0.0.1'), dst: ip('127.0.0.1'), id: 1 },
    { srcPort: 40000, dstPort: 9 },
    new Uint8Array([0x78]),
  );
  skb.load(dgram, 0, '', 'lo');
  skb.env = envOf(nf);
  // OUTPUT: before the reroute (nothing here), then the filter priorities.
  if (nf.output(skb, 1) === NF_ACCEPT) nf.outputFilter(skb, 1);
  const text = printNft(r.ruleset);
  const drop = skb.dropTable === 4 ? 1 : 0;
  return [...[...text.matchAll(/counter packets (\d+)/g)].map((m) => Number(m[1])), drop];
}

const skip = why();
test('nft and iptables on the output hook: priority order as the kernel runs it', { skip }, () => {
  const got = [-10, 10].map((p, i) => [kernel(p, i), natbox(p)]);
  // P = -10: the mark comes first, iptables drops, chain b never sees it; P = 10: iptables first.
  assert.deepEqual(got[0]![0], [1, 0, 1], 'kernel, priority -10');
  assert.deepEqual(got[1]![0], [1, 1, 0], 'kernel, priority 10');
  assert.deepEqual(got[0]![1], got[0]![0], 'natbox, priority -10');
  assert.deepEqual(got[1]![1], got[1]![0], 'natbox, priority 10');
});
