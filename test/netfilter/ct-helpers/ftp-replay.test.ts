// The FTP helper and its NAT half against the kernel, packet by packet. The fixtures are Linux
// 6.18.44's own captures (conntrack-tools 1.4.7, iptables-nft 1.8.9) of one FTP session per case
// through a router r (lan 10.7.0.1/24, wan 203.0.113.1/24) made by fixtures/cap.sh with
// fixtures/ftpd.py and ftpc.py (tcp_sack and tcp_timestamps off on the ends):
// - masq-*: the client 10.7.0.2 behind `MASQUERADE -o wan`, the server 203.0.113.2 outside, `raw
//   PREROUTING -i lan -p tcp --dport 21 -j CT --helper ftp`; passive (PASV, EPSV) and active
//   (PORT, EPRT: the client's address rewritten, 3 bytes longer, the sequence numbers adjusted);
// - dnat-*: the server 10.7.0.2 published by `DNAT` of wan port 21, the client 203.0.113.2
//   outside, the helper on `-i wan`; PASV (the 227 reply's address rewritten to 203.0.113.1) and
//   EPSV (nothing to rewrite), the data connection DNATed by the expectation.
// Every packet r received (on either side) goes through natbox's forward path in the capture's
// order; what natbox sends must be byte for byte what r sent on the other side (but the TTL and
// the IP header checksum, as the forward helper does not decrement the TTL, and the TCP checksum,
// which the capture has as the veth's offload left it). Before the helpers the
// first difference was the data connection (NEW, not RELATED: the passive one not DNATed, the
// active one not mapped back) and the PORT/227 payloads left as they were.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readPcap } from '../../../src/wire/pcap.ts';
import { NF_ACCEPT, Netfilter, type NfHost } from '../../../src/netfilter/core/engine.ts';
import { SeededRng } from '../../../src/netfilter/nat/nat-core.ts';
import { formatConntrackLine } from '../../../src/netfilter/conntrack/format.ts';
import { parseConntrackList, entryText } from '../../../src/oracle/conntrack.ts';
import { forward, ip, lastSkb, ruleset } from '../helpers.ts';

const DIR = new URL('./fixtures/', import.meta.url);
const ROUTER_MAC = { lan: '02:00:00:00:00:01', wan: '02:00:00:00:00:02' } as const;
const HOST: NfHost = {
  masqueradeAddress: (o) => (o === 'wan' ? ip('203.0.113.1') : ip('10.7.0.1')),
  primaryAddress: (i) => (i === 'wan' ? ip('203.0.113.1') : ip('10.7.0.1')),
};
const RULES = {
  masq: [
    'iptables -t raw -A PREROUTING -i lan -p tcp --dport 21 -j CT --helper ftp',
    'iptables -t nat -A POSTROUTING -o wan -j MASQUERADE',
  ],
  dnat: [
    'iptables -t raw -A PREROUTING -i wan -p tcp --dport 21 -j CT --helper ftp',
    'iptables -t nat -A PREROUTING -i wan -p tcp --dport 21 -j DNAT --to-destination 10.7.0.2',
  ],
};

const mac = (b: Uint8Array, o: number): string =>
  [...b.subarray(o, o + 6)].map((x) => x.toString(16).padStart(2, '0')).join(':');

interface Frame {
  readonly t: number;
  readonly iface: 'lan' | 'wan';
  readonly ip: Uint8Array;
  readonly inbound: boolean;
}

function frames(dir: string, iface: 'lan' | 'wan'): Frame[] {
  const r = readPcap(new Uint8Array(readFileSync(new URL(`${dir}/${iface}.pcap`, DIR))));
  assert.ok(r.ok);
  assert.equal(r.value.linktype, 1, 'Ethernet');
  return r.value.packets.map((p) => ({
    t: p.timestamp,
    iface,
    ip: p.data.slice(14),
    inbound: mac(p.data, 6) !== ROUTER_MAC[iface],
  }));
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
/**
 * The packet without its TTL, IP header checksum and TCP checksum: the captures are of veths with
 * checksum offload, so the kernel's TCP checksums there are the partial pseudo-header sums.
 */
const masked = (b: Uint8Array): string => {
  const c = b.slice();
  c[8] = 0;
  c[10] = c[11] = 0;
  const l4 = (c[0]! & 15) * 4;
  if (c[9] === 6 && c.length >= l4 + 18) c[l4 + 16] = c[l4 + 17] = 0;
  return hex(c);
};

for (const name of ['masq-pasv', 'masq-epsv', 'masq-port', 'masq-eprt', 'dnat-pasv', 'dnat-epsv']) {
  test(`FTP ${name}: natbox forwards every packet as Linux did, payload rewrites and seqadj included`, () => {
    const kind = name.startsWith('masq') ? 'masq' : 'dnat';
    const nf = new Netfilter({ ruleset: ruleset(RULES[kind].join('\n')), host: HOST, rng: new SeededRng(1) });
    const all = [...frames(name, 'lan'), ...frames(name, 'wan')].sort((a, b) => a.t - b.t);
    const t0 = all[0]!.t;
    const outs = {
      lan: all.filter((f) => f.iface === 'lan' && !f.inbound),
      wan: all.filter((f) => f.iface === 'wan' && !f.inbound),
    };
    const ins = all.filter((f) => f.inbound);
    assert.ok(ins.length >= 20, `${name}: a whole session (${ins.length} packets in)`);
    let rewritten = 0;
    for (const [i, f] of ins.entries()) {
      const other = f.iface === 'lan' ? 'wan' : 'lan';
      const buf = f.ip.slice();
      assert.equal(forward(nf, buf, f.iface, other, f.t - t0), NF_ACCEPT, `${name} #${i}: accepted`);
      const s = lastSkb();
      const got = s.buf.subarray(s.off, s.off + s.len);
      const want = outs[other].shift();
      assert.ok(want, `${name} #${i}: the kernel sent nothing for it`);
      assert.equal(
        masked(got),
        masked(want.ip),
        `${name} #${i} (${f.iface} in at +${(f.t - t0).toFixed(4)} s)`,
      );
      if (got.length !== f.ip.length) rewritten++;
    }
    assert.equal(outs.lan.length + outs.wan.length, 0, 'every packet the kernel sent was made');
    if (name.endsWith('port') || name.endsWith('eprt') || name === 'dnat-pasv')
      assert.equal(rewritten, 1, 'one payload rewritten to another length');
    // conntrack -L as the kernel listed it after the session (TIME_WAIT; order and timeouts aside).
    const kernel = parseConntrackList(readFileSync(new URL(`${name}/conntrack.txt`, DIR), 'utf8'))
      .map((e) => entryText(e))
      .sort();
    const now = ins.at(-1)!.t - t0 + 0.5;
    const ours = parseConntrackList(
      nf.conntrack
        .entries(now)
        .map((e) => formatConntrackLine(nf.conntrack, e, now))
        .join('\n'),
    )
      .map((e) => entryText(e))
      .sort();
    assert.deepEqual(ours, kernel);
  });
}
