// The adapter from netfilter's trace events (NfTracer: rules, policies, conntrack, NAT) to the
// stack's steps (steps.ts), which carry the host's name and the time. Built only when a tracer is
// attached, so tracing costs nothing when off.
import { formatIpv4 } from '../wire/addr.ts';
import { IPPROTO_ICMP } from '../wire/ipv4.ts';
import type { Netfilter } from '../netfilter/core/engine.ts';
import { CTINFO_NAMES } from '../netfilter/core/skb.ts';
import { formatConntrackLine, entryJson } from '../netfilter/conntrack/format.ts';
import type { NfTracer } from '../netfilter/core/trace-events.ts';
import type { StackTracer } from './steps.ts';

/** What the adapter reads of the host, when an event comes. */
export interface TracedHost {
  readonly name: string;
  readonly env: { now(): number };
  readonly nf: Netfilter | undefined;
  /** The protocol of the packet a NAT event is about (the host's received packet). */
  natProto(): number;
}

export function nfTracerFor(host: TracedHost, t: StackTracer): NfTracer {
  const name = host.name;
  const now = (): number => host.env.now();
  // Protocols without ports (ESP 50, AH 51, GRE, ...): the address alone, as conntrack -L.
  const addrPort = (a: number, p: number, proto: number): string =>
    proto === IPPROTO_ICMP
      ? `${formatIpv4(a)} id ${p}`
      : proto === 6 || proto === 17 || proto === 132 || proto === 33 || proto === 136
        ? `${formatIpv4(a)}:${p}`
        : formatIpv4(a);
  return {
    rule: (hook, table, chain, index, rule) =>
      t.step(now(), { kind: 'rule', host: name, hook, table, chain, index, rule }),
    ruleMiss: (hook, table, chain, index, rule, why) =>
      t.step(now(), { kind: 'rule-miss', host: name, hook, table, chain, index, rule, why }),
    policy: (hook, table, chain, policy) =>
      t.step(now(), { kind: 'policy', host: name, hook, table, chain, policy }),
    conntrack: (hook, ctinfo, _e, created) =>
      t.step(now(), {
        kind: 'conntrack',
        host: name,
        hook,
        state: CTINFO_NAMES[ctinfo] ?? 'INVALID',
        created,
      }),
    ctEvent: (event, e) => {
      const ct = host.nf!.conntrack;
      t.step(now(), {
        kind: 'ct-event',
        host: name,
        event,
        line: formatConntrackLine(ct, e, now()),
        entry: entryJson(ct, e, now()),
      });
    },
    nat: (hook, c) => {
      const proto = host.natProto();
      t.step(now(), {
        kind: 'nat',
        host: name,
        hook,
        manip: c.manip,
        by: c.by,
        before: `${addrPort(c.before[0], c.before[2], proto)} > ${addrPort(c.before[1], c.before[3], proto)}`,
        after: `${addrPort(c.after[0], c.after[2], proto)} > ${addrPort(c.after[1], c.after[3], proto)}`,
      });
    },
    nullBinding: () => undefined,
  };
}
