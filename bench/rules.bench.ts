// First-packet classification in the nat table: the linear walk (every rule tested, as
// ipt_do_table does) against compileChain()'s candidates, for 10, 1,000 and 10,000 DNAT port
// forwards; the packet matches the last rule (the worst case for the walk). Runs on import.
import { bench, formatRate } from './harness.ts';
import { loadRulesText } from '../src/rules/load.ts';
import { MATCHED, ruleMismatchAt } from '../src/netfilter/xtables/match.ts';
import { compileChain } from '../src/netfilter/xtables/compile.ts';
import { printSave } from '../src/rules/iptables/print-save.ts';
import { Skb } from '../src/netfilter/core/skb.ts';
import { buildTcpPacket } from '../src/wire/packet.ts';

for (const n of [10, 1_000, 10_000]) {
  const lines = [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
  ];
  for (let i = 0; i < n; i++) {
    lines.push(
      `-A PREROUTING -d 203.0.113.${i % 250}/32 -p tcp -m tcp --dport ${10000 + i} -j DNAT --to-destination 10.0.${(i >> 8) & 255}.${i & 255}:80`,
    );
  }
  lines.push('COMMIT');
  const r = loadRulesText(lines.join('\n'), 'bench');
  if (!r.ok) throw new Error('bench ruleset did not load');
  const chain = r.ruleset.tables.get('nat')!.chains.get('PREROUTING')!;
  const last = n - 1;
  const pkt = buildTcpPacket(
    { src: 0xc0a8010a, dst: (0xcb007100 | (last % 250)) >>> 0, id: 1 },
    { srcPort: 40000, dstPort: 10000 + last, seq: 1, ack: 0, flags: 0x02, window: 100 },
  );
  const skb = new Skb().load(pkt, 0, 'eth0', '');
  const rules = chain.rules;
  // Each rule is tested as the engine's walk (xtables/table.ts) tests it: its addresses from the
  // compiled chain's address table, the rest from the rule with its match state.
  const compiled = compileChain(chain);
  const { state, ip } = compiled;
  const linear = bench(
    `rules: first packet, linear walk, ${n} nat rules (packets)`,
    (k) => {
      let hit = -1;
      for (let j = 0; j < k; j++) {
        for (let i = 0; i < rules.length; i++)
          if (ruleMismatchAt(rules[i]!, ip, i, skb, state[i]) === MATCHED) {
            hit = i;
            break;
          }
      }
      return hit;
    },
    { batch: Math.max(1, Math.floor(200_000 / n)) },
  );
  const fast = bench(
    `rules: first packet, compiled chain, ${n} nat rules (packets)`,
    (k) => {
      let hit = -1;
      for (let j = 0; j < k; j++) {
        for (let i = compiled.next(skb, 0); i < rules.length; i = compiled.next(skb, i + 1))
          if (ruleMismatchAt(rules[i]!, ip, i, skb, state[i]) === MATCHED) {
            hit = i;
            break;
          }
      }
      return hit;
    },
    { batch: 20_000 },
  );
  console.log(
    `rules: ${n} nat rules: compiled / linear = ${(fast.opsPerSec / linear.opsPerSec).toFixed(1)}x (${formatRate(fast.opsPerSec)}/s vs ${formatRate(linear.opsPerSec)}/s)`,
  );
}

// Loading many user chains (`npm run bench -- rules`): an iptables-restore file with n user chains
// in a kube-proxy shape (KUBE-SERVICES jumps to each service chain, which jumps to its endpoint
// chain, which DNATs), chains declared in a shuffled order. Each -N used to sort every chain, and
// each jump to walk the whole table; both are now linear (n log n for the one sort at the end).
function kubeRestore(n: number): string {
  const services = n >> 1;
  const lines = ['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]'];
  lines.push(':POSTROUTING ACCEPT [0:0]', ':KUBE-SERVICES - [0:0]');
  const names: string[] = [];
  for (let i = 0; i < services; i++) names.push(`KUBE-SVC-${i}`, `KUBE-SEP-${i}`);
  // A fixed shuffle (a linear congruential generator), so every run loads the same file.
  let seed = 12345;
  for (let i = names.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const k = seed % (i + 1);
    [names[i], names[k]] = [names[k]!, names[i]!];
  }
  for (const c of names) lines.push(`:${c} - [0:0]`);
  lines.push('-A PREROUTING -j KUBE-SERVICES', '-A OUTPUT -j KUBE-SERVICES');
  for (let i = 0; i < services; i++) {
    const ip = `10.${96 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
    lines.push(`-A KUBE-SERVICES -d ${ip}/32 -p tcp -m tcp --dport 80 -j KUBE-SVC-${i}`);
    lines.push(`-A KUBE-SVC-${i} -j KUBE-SEP-${i}`);
    lines.push(
      `-A KUBE-SEP-${i} -p tcp -m tcp -j DNAT --to-destination 10.244.${(i >> 8) & 255}.${i & 255}:8080`,
    );
  }
  lines.push('COMMIT');
  return lines.join('\n');
}
for (const n of [20_000, 50_000]) {
  const text = kubeRestore(n);
  bench(
    `rules: iptables-restore, ${n} user chains (kube-proxy shape), load + save (files)`,
    (k) => {
      let size = 0;
      for (let j = 0; j < k; j++) {
        const r = loadRulesText(text, 'bench.rules');
        if (!r.ok) throw new Error('bench ruleset did not load');
        size += printSave(r.ruleset).length;
      }
      return size;
    },
    { batch: 1, seconds: 2 },
  );
}

// One rule with 40,000 `-m comment --comment x` (`npm run bench -- rules`): parsed in O(n) (the
// option pool was rebuilt for every option), then refused as the kernel refuses it (more than 128
// nf_tables expressions in a rule).
{
  const line = `iptables -A INPUT${' -m comment --comment x'.repeat(40_000)} -j ACCEPT`;
  bench(
    'rules: one rule with 40,000 comment matches, parsed and refused (rules)',
    (k) => {
      let n = 0;
      for (let j = 0; j < k; j++) if (!loadRulesText(line, 'bench.sh').ok) n++;
      return n;
    },
    { batch: 1, seconds: 2 },
  );
}
