// `ct timeout set "name"` with a `ct timeout` object (nft_ct.c nft_ct_timeout_obj_eval): a packet
// of the object's layer 4 protocol whose connection is new and not yet confirmed gets the object's
// timeout policy (the nf_conn_timeout extension) and its first timeout (values[0]: tcp syn_sent,
// udp unreplied); every later packet of the connection, both ways, takes its timeouts from the
// policy (nf_ct_timeout_lookup; conntrack-in.ts). A confirmed connection, another protocol or a
// packet without a connection: nothing. nft sends the kernel every state of the protocol, those
// the policy does not name with nft's defaults (CT_TIMEOUT_STATES, the kernel's own defaults):
// the policy does not follow the netns's sysctls.
import type { NftObject, NftStmt } from '../../rules/nft/model.ts';
import { ConntrackTable } from '../conntrack/table.ts';
import { TimeoutPolicy, type TimeoutName } from '../conntrack/timeouts.ts';
import type { Skb } from '../core/skb.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../wire/ipv4.ts';
import { NftRefusal } from './expr.ts';
import { CT_TIMEOUT_STATES } from '../../rules/nft/types.ts';

const R_GO = 0;

const TCP_STATES: Readonly<Record<string, TimeoutName>> = {
  syn_sent: 'nf_conntrack_tcp_timeout_syn_sent',
  syn_recv: 'nf_conntrack_tcp_timeout_syn_recv',
  established: 'nf_conntrack_tcp_timeout_established',
  fin_wait: 'nf_conntrack_tcp_timeout_fin_wait',
  close_wait: 'nf_conntrack_tcp_timeout_close_wait',
  last_ack: 'nf_conntrack_tcp_timeout_last_ack',
  time_wait: 'nf_conntrack_tcp_timeout_time_wait',
  close: 'nf_conntrack_tcp_timeout_close',
  retrans: 'nf_conntrack_tcp_timeout_max_retrans',
  unack: 'nf_conntrack_tcp_timeout_unacknowledged',
};

const UDP_STATES: Readonly<Record<string, TimeoutName>> = {
  unreplied: 'nf_conntrack_udp_timeout',
  replied: 'nf_conntrack_udp_timeout_stream',
};

/** The object's policy: every state's timeout; refused for what natbox does not time. */
export function ctTimeoutPolicy(obj: Extract<NftObject, { type: 'ct timeout' }>, at: NftStmt): TimeoutPolicy {
  const states = obj.protocol === 'tcp' ? TCP_STATES : obj.protocol === 'udp' ? UDP_STATES : undefined;
  if (!states)
    throw new NftRefusal(
      `ct timeout for protocol ${obj.protocol} is not simulated (tcp and udp are)`,
      at,
      obj.protocol,
    );
  const given = new Map(obj.policy);
  for (const [state] of obj.policy)
    if (!(state in states) && state !== 'syn_sent2')
      throw new NftRefusal(`ct timeout state ${state} of ${obj.protocol} is not simulated`, at, state);
  const values = new Map((CT_TIMEOUT_STATES[obj.protocol] ?? []).map(([st, d]) => [st, given.get(st) ?? d]));
  // SYN_SENT2 (a simultaneous open) takes syn_sent's timeout in natbox's table.
  if (values.get('syn_sent2') !== values.get('syn_sent'))
    throw new NftRefusal('ct timeout syn_sent2 other than syn_sent is not simulated', at, 'syn_sent2');
  const overrides: Partial<Record<TimeoutName, number>> = {};
  for (const [state, name] of Object.entries(states)) overrides[name] = values.get(state)!;
  return new TimeoutPolicy(overrides);
}

/** The op of `ct timeout set "obj"`. */
export function ctTimeoutSetOp(
  obj: Extract<NftObject, { type: 'ct timeout' }>,
  at: NftStmt,
): (skb: Skb) => number {
  const policy = ctTimeoutPolicy(obj, at);
  const l4proto = obj.protocol === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP;
  // values[0]: the policy's timeout of the state a connection starts in.
  const first =
    policy.overrides[
      l4proto === IPPROTO_TCP ? 'nf_conntrack_tcp_timeout_syn_sent' : 'nf_conntrack_udp_timeout'
    ];
  const firstTicks = ConntrackTable.ticks(first ?? 0);
  return (skb) => {
    if (skb.proto !== l4proto) return R_GO;
    const e = skb.ct;
    const ct = skb.env?.conntrack;
    if (e < 0 || !(ct instanceof ConntrackTable)) return R_GO;
    if (ct.isConfirmed(e)) return R_GO;
    ct.setTimeoutPolicy(e, policy);
    // nf_ct_refresh with values[0]: the entry is unconfirmed, its timeout counts from now.
    ct.refresh(e, ct.tick(skb.now), firstTicks);
    return R_GO;
  };
}
