// The cachegrind driver of the nft first-packet figure (issue 16, "Speed"; docs/nftables.md): builds
// kube-proxy's ruleset of SERVICES services (bench/kube-proxy-nft-model.ts), its untraced program,
// 4,096 first packets spread over SPREAD services, warms up, then runs the nat-prerouting chain
// PACKETS times and nothing else. The instructions (and cache misses) of one packet are the
// difference of two runs that differ only in PACKETS, divided by the difference: what start-up
// and the warm-up cost cancels out.
//
//   npx esbuild bench/kube-proxy-nft-packets.ts --bundle --platform=node --format=esm \
//     --outfile=/tmp/kpp.mjs
//   valgrind --tool=cachegrind --cache-sim=yes --cachegrind-out-file=/dev/null \
//     node --single-threaded --predictable /tmp/kpp.mjs 10000 4096 2000000
//
// (--single-threaded --predictable: no concurrent compiler or GC threads, so the start-up's
// instructions are the same from run to run.) PACKETS 0 runs the warm-up only.
import { nftFrontEnd } from '../src/netfilter/nftables/index.ts';
import type { NftChainTable } from '../src/netfilter/nftables/index.ts';
import { NF_INET_PRE_ROUTING } from '../src/netfilter/core/hook-numbers.ts';
import { T_ACCEPT } from '../src/netfilter/core/table.ts';
import type { NfTable } from '../src/netfilter/core/table.ts';
import type { Skb } from '../src/netfilter/core/skb.ts';
import { env, kubeProxyNft, natCount, spreadPackets } from './kube-proxy-nft-model.ts';

const [services = 10_000, spread = 4096, packets = 1_000_000] = process.argv.slice(2).map(Number);

function loop(pre: NfTable, skbs: readonly Skb[], n: number): number {
  const len = skbs.length;
  let acc = 0;
  for (let j = 0; j < n; j++) acc += pre.run(NF_INET_PRE_ROUTING, skbs[j % len]!, 1, undefined);
  return acc;
}

const tables = nftFrontEnd(kubeProxyNft(services)).tables(env, undefined);
(tables[0] as NftChainTable).rt.makeFast();
const pre = tables.find((t) => t.name === 'ip kube-proxy nat-prerouting')!;
const skbs = spreadPackets(services, spread);
for (const skb of skbs) {
  const before = natCount();
  if (pre.run(NF_INET_PRE_ROUTING, skb, 1, undefined) !== T_ACCEPT || natCount() !== before + 1)
    throw new Error('the packets did not reach their dnat');
}
let acc = loop(pre, skbs, 400_000); // warm-up: the interpreter optimized
acc += loop(pre, skbs, packets);
const mem = process.memoryUsage();
console.log(
  `${services} services, ${spread} spread, ${packets} packets: acc ${acc}, heap ${(mem.heapUsed / 1e6).toFixed(1)} MB, rss ${(mem.rss / 1e6).toFixed(1)} MB`,
);
