// The router both SYNPROXY files drive (synproxy.test.ts: iptables' target; nft-synproxy.test.ts:
// nft's statement): an engine whose SYNPROXY sends go through OUTPUT and POSTROUTING into `sent`
// (out of eth1 towards the server, eth0 towards the client), and a forwarded packet's pass.
import { NF_ACCEPT, Netfilter } from '../../src/netfilter/core/engine.ts';
import { Skb } from '../../src/netfilter/core/skb.ts';
import { SeededRng } from '../../src/netfilter/nat/nat-core.ts';
import { read32 } from '../../src/wire/checksum.ts';
import { HOST, ip } from './helpers.ts';

export const CLIENT = ip('10.0.1.10');
export const SERVER = ip('10.0.2.20');

type Rules = Pick<ConstructorParameters<typeof Netfilter>[0], 'ruleset' | 'frontEnds'>;

/** A router engine (nf_conntrack_tcp_loose=0) whose SYNPROXY sends are collected in `sent`. */
export function synproxyRouter(rules: Rules): { nf: Netfilter; sent: Uint8Array[] } {
  const sent: Uint8Array[] = [];
  const out = new Skb();
  const nf: Netfilter = new Netfilter({
    ...rules,
    rng: new SeededRng(7),
    sysctls: new Map([['nf_conntrack_tcp_loose', 0]]),
    host: {
      ...HOST,
      synproxySend(b, ct, dir, ctinfo, tmpl) {
        const s = out.load(b, 0, '', read32(b, 16) === SERVER ? 'eth1' : 'eth0');
        if (ct !== -1) [s.ct, s.ctDir, s.ctinfo] = [ct, dir, ctinfo];
        s.ctSynproxy = tmpl;
        if (nf.output(s, 1) !== NF_ACCEPT || nf.outputFilter(s, 1) !== NF_ACCEPT) return;
        if (nf.postrouting(s, 1) === NF_ACCEPT) sent.push(b.slice());
      },
    },
  });
  return { nf, sent };
}

const skb = new Skb();
/** PREROUTING, FORWARD, POSTROUTING: the verdict, the packet rewritten in place. */
export function pass(nf: Netfilter, b: Uint8Array, inIf: string): number {
  skb.load(b, 0, inIf, '');
  let v = nf.prerouting(skb, 1);
  if (v !== NF_ACCEPT) return v;
  skb.outIf = inIf === 'eth0' ? 'eth1' : 'eth0';
  v = nf.forward(skb, 1);
  return v !== NF_ACCEPT ? v : nf.postrouting(skb, 1);
}
