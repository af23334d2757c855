// The hook entries (core/hooks.ts): what runs at each hook and in what order, as the kernel's
// nf_hook_entries orders them by priority. Expected priorities from the kernel:
// include/uapi/linux/netfilter_ipv4.h (enum nf_ip_hook_priorities: RAW -300, CONNTRACK -200,
// MANGLE -150, NAT_DST -100, FILTER 0, SECURITY 50, NAT_SRC 100, CONNTRACK_CONFIRM INT_MAX),
// net/netfilter/nf_conntrack_proto.c (ipv4_conntrack_ops: PRE_ROUTING and LOCAL_OUT at CONNTRACK,
// POST_ROUTING and LOCAL_IN confirm), net/netfilter/nf_nat_proto.c (nf_nat_ipv4_ops: NAT_DST at
// PRE_ROUTING and LOCAL_OUT, NAT_SRC at POST_ROUTING and LOCAL_IN), and each iptable_*.c's
// valid_hooks. Probe tables (NfTable, the seam an nft front end implements) at chosen priorities
// record what the packet looked like when they ran: the raw table's mark, conntrack's entry, the
// mangle table's mark and the nat table's DNAT show in between, each exactly where its priority is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildUdpPacket } from '../../src/wire/packet.ts';
import { Netfilter, NF_ACCEPT, NF_DROP } from '../../src/netfilter/core/engine.ts';
import { E_CONFIRM, E_CONNTRACK, E_NAT, HOOK_NAMES } from '../../src/netfilter/core/hooks.ts';
import { T_ACCEPT, T_DROP, type NfTable } from '../../src/netfilter/core/table.ts';
import { CT_UNTRACKED, IP_CT_NEW, Skb } from '../../src/netfilter/core/skb.ts';
import { DropReason } from '../../src/netfilter/core/drop.ts';
import { SeededRng } from '../../src/netfilter/nat/nat-core.ts';
import { HOST, ip, ruleset } from './helpers.ts';

const ALL_TABLES = [
  'iptables -t raw -A PREROUTING -j MARK --set-mark 1',
  'iptables -t mangle -A PREROUTING -j MARK --set-mark 2',
  'iptables -t nat -A PREROUTING -p udp -j DNAT --to-destination 192.168.1.200',
  'iptables -t filter -A FORWARD -j ACCEPT',
  'iptables -t security -A FORWARD -j ACCEPT',
].join('\n');

interface Seen {
  at: number;
  mark: number;
  tracked: boolean;
  ctinfo: number;
  dst: number;
}

/** A table with one chain at one hook and priority: it records the packet, then says `verdict`. */
function probe(hook: number, priority: number, log: Seen[], verdict = T_ACCEPT): NfTable {
  return {
    name: `probe${priority}`,
    dropTable: 0,
    nat: false,
    priorityAt: (h) => (h === hook ? priority : undefined),
    run(h, skb) {
      assert.equal(h, hook);
      log.push({ at: priority, mark: skb.mark, tracked: skb.ct >= 0, ctinfo: skb.ctinfo, dst: skb.dst });
      return verdict;
    },
  };
}

function make(tables: NfTable[], rules = ALL_TABLES): Netfilter {
  return new Netfilter({ ruleset: ruleset(rules), host: HOST, rng: new SeededRng(1), tables });
}

const udp = (sport: number): Uint8Array =>
  buildUdpPacket({ src: ip('192.168.1.10'), dst: ip('203.0.113.22') }, { srcPort: sport, dstPort: 53 });

test('hook entries: every table and the core at the kernel priorities, in order', () => {
  const nf = make([]);
  const names = (h: number): string[] =>
    nf.hookEntries[h]!.map((en) => {
      const what =
        en.kind === E_CONNTRACK
          ? 'conntrack'
          : en.kind === E_NAT
            ? `nat ${en.manip === 0 ? 'SRC' : 'DST'} [${en.natTables.map((t) => t.name).join()}]`
            : en.kind === E_CONFIRM
              ? 'confirm'
              : en.table!.name;
      return `${what} ${en.priority}`;
    });
  assert.deepEqual(
    HOOK_NAMES.map((_, h) => names(h)),
    [
      ['raw -300', 'conntrack -200', 'mangle -150', 'nat DST [nat] -100'],
      ['mangle -150', 'filter 0', 'security 50', 'nat SRC [nat] 100', 'confirm 2147483647'],
      ['mangle -150', 'filter 0', 'security 50'],
      ['raw -300', 'conntrack -200', 'mangle -150', 'nat DST [nat] -100', 'filter 0', 'security 50'],
      ['mangle -150', 'nat SRC [nat] 100', 'confirm 2147483647'],
    ],
  );
  // Nothing that needs conntrack: no conntrack, NAT or confirm entries at all (nf_ct_netns_get).
  const plain = make([], 'iptables -t filter -A FORWARD -j ACCEPT');
  assert.deepEqual(
    plain.hookEntries.map((l) => l.length),
    [0, 1, 1, 1, 0],
  );
});

test('PREROUTING: raw before conntrack before mangle before nat; probes run where their priority says', () => {
  const log: Seen[] = [];
  const PRE = 0;
  const nf = make([-400, -250, -170, -120, -50].map((p) => probe(PRE, p, log)));
  const skb = new Skb().load(udp(4000), 0, 'br-lan', '');
  assert.equal(nf.prerouting(skb, 1), NF_ACCEPT);
  const orig = ip('203.0.113.22');
  const dnat = ip('192.168.1.200');
  assert.deepEqual(log, [
    { at: -400, mark: 0, tracked: false, ctinfo: CT_UNTRACKED, dst: orig }, // before raw
    { at: -250, mark: 1, tracked: false, ctinfo: CT_UNTRACKED, dst: orig }, // after raw, before conntrack
    { at: -170, mark: 1, tracked: true, ctinfo: IP_CT_NEW, dst: orig }, // after conntrack
    { at: -120, mark: 2, tracked: true, ctinfo: IP_CT_NEW, dst: orig }, // after mangle, before nat
    { at: -50, mark: 2, tracked: true, ctinfo: IP_CT_NEW, dst: dnat }, // after the DNAT
  ]);
});

test('a probe that drops at -250 stops the hook before conntrack: no entry, its reason counted', () => {
  const log: Seen[] = [];
  const nf = make([probe(0, -250, log, T_DROP), probe(0, -170, log)]);
  const skb = new Skb().load(udp(4001), 0, 'br-lan', '');
  assert.equal(nf.prerouting(skb, 1), NF_DROP);
  assert.deepEqual(
    log.map((s) => s.at),
    [-250],
  );
  assert.equal(skb.dropReason, DropReason.NETFILTER_DROP);
  assert.equal(skb.dropTable, 0);
  assert.equal(nf.drops[DropReason.NETFILTER_DROP], 1);
  assert.equal(nf.conntrack.entries(1).length, 0, 'conntrack never saw it');
});

test('OUTPUT: a probe after NAT_DST runs after the reroute (outputFilter), one before it in output', () => {
  const log: Seen[] = [];
  const OUT = 3;
  const nf = make([probe(OUT, -120, log), probe(OUT, -50, log), probe(OUT, 75, log)]);
  const skb = new Skb().load(udp(4002), 0, '', '');
  assert.equal(nf.output(skb, 1), NF_ACCEPT);
  assert.deepEqual(
    log.map((s) => s.at),
    [-120],
  );
  assert.equal(nf.outputFilter(skb, 1), NF_ACCEPT);
  assert.deepEqual(
    log.map((s) => s.at),
    [-120, -50, 75],
  );
});

test('POSTROUTING: a probe before NAT_SRC sees the packet as routed, one between SNAT and confirm sees it SNATed and unconfirmed', () => {
  const POST = 4;
  const seen: { at: number; src: number; confirmed: boolean }[] = [];
  const at = (priority: number): NfTable => ({
    name: `probe${priority}`,
    dropTable: 0,
    nat: false,
    priorityAt: (h) => (h === POST ? priority : undefined),
    run(_h, skb) {
      seen.push({ at: priority, src: skb.src, confirmed: nf.conntrack.isConfirmed(skb.ct) });
      return T_ACCEPT;
    },
  });
  const nf = make([at(50), at(150)], 'iptables -t nat -A POSTROUTING -o wan -j MASQUERADE');
  const skb = new Skb().load(udp(4003), 0, 'br-lan', '');
  assert.equal(nf.prerouting(skb, 1), NF_ACCEPT);
  skb.outIf = 'wan';
  assert.equal(nf.forward(skb, 1), NF_ACCEPT);
  assert.equal(nf.postrouting(skb, 1), NF_ACCEPT);
  assert.deepEqual(seen, [
    { at: 50, src: ip('192.168.1.10'), confirmed: false },
    { at: 150, src: ip('203.0.113.22'), confirmed: false },
  ]);
  assert.ok(nf.conntrack.isConfirmed(skb.ct), 'confirmed last (INT_MAX)');
});
