// Captures from a run: one classic pcap per link (Ethernet frames as they crossed the wire), and
// one pcapng with an interface per host device (`router:br-lan`), as tcpdump -i any would see
// them on each host. Bytes only; the CLI writes the files.
import { LINKTYPE_ETHERNET, PcapWriter } from '../wire/pcap.ts';
import { PcapngWriter } from '../wire/pcapng.ts';
import type { SimResult } from '../sim/run.ts';

/** File name → pcap bytes, one per link (`client.eth0--router.lan1.pcap`). */
export function linkPcaps(sim: SimResult): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const link of sim.world.links) {
    const w = new PcapWriter({ linktype: LINKTYPE_ETHERNET });
    for (const c of link.captures) w.add(c.t, c.frame);
    out.set(`${link.cfg.name.replace(/[^A-Za-z0-9._-]+/g, '_')}.pcap`, w.bytes());
  }
  return out;
}

/** One pcapng with every device of every host, named host:device, from the trace's packet steps. */
export function devicesPcapng(sim: SimResult): Uint8Array {
  const w = new PcapngWriter();
  const ifs = new Map<string, number>();
  for (const s of sim.steps) {
    if (s.kind !== 'packet') continue;
    const name = `${s.host}:${s.ifname}`;
    let i = ifs.get(name);
    if (i === undefined) {
      i = w.addInterface(name, LINKTYPE_ETHERNET);
      ifs.set(name, i);
    }
    w.add(i, s.t, s.frame, s.dir);
  }
  return w.bytes();
}
