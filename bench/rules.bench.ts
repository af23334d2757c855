// First-packet classification in the nat table: the linear walk (ruleMatches on every rule, as
// ipt_do_table does) against compileChain()'s candidates, for 10, 1,000 and 10,000 DNAT port
// forwards; the packet matches the last rule (the worst case for the walk). Runs on import.
import { bench, formatRate } from './harness.ts';
import { loadRulesText } from '../src/rules/load.ts';
import { ruleMatches } from '../src/netfilter/xt/match.ts';
import { compileChain } from '../src/netfilter/xt/compile.ts';
import { Skb } from '../src/netfilter/skb.ts';
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
  const linear = bench(
    `rules: first packet, linear walk, ${n} nat rules (packets)`,
    (k) => {
      let hit = -1;
      for (let j = 0; j < k; j++) {
        for (let i = 0; i < rules.length; i++)
          if (ruleMatches(rules[i]!, skb)) {
            hit = i;
            break;
          }
      }
      return hit;
    },
    { batch: Math.max(1, Math.floor(200_000 / n)) },
  );
  const compiled = compileChain(chain);
  const fast = bench(
    `rules: first packet, compiled chain, ${n} nat rules (packets)`,
    (k) => {
      let hit = -1;
      for (let j = 0; j < k; j++) {
        for (let i = compiled.next(skb, 0); i < rules.length; i = compiled.next(skb, i + 1))
          if (ruleMatches(rules[i]!, skb)) {
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
