// One step of the trace document (natbox-trace/1, docs/trace-json.md): the stack's step with its
// time, made plain for JSON (a frame decoded, a rule in its own language, e.g. as iptables-save prints it, a drop's reason
// in words). model.ts builds the document from these.
import type { CtEntryJson } from '../netfilter/conntrack/format.ts';
import type { TimedStep } from '../stack/steps.ts';
import { describeFrame, type FrameInfo } from './frame.ts';
import { dropWords } from './drop-words.ts';
import { ruleNote, ruleText } from './rule-text.ts';

export type TraceStep = (
  | { t: number; kind: 'packet'; host: string; ifname: string; dir: 'in' | 'out'; packet: FrameInfo }
  | {
      t: number;
      kind: 'rule';
      host: string;
      hook: string;
      table: string;
      chain: string;
      index: number;
      rule: string;
      /** What the target did that the packet does not show (CHECKSUM, NFQUEUE with no listener…). */
      note?: string;
    }
  | {
      t: number;
      kind: 'rule-miss';
      host: string;
      hook: string;
      table: string;
      chain: string;
      index: number;
      rule: string;
      why: string;
    }
  | { t: number; kind: 'policy'; host: string; hook: string; table: string; chain: string; policy: string }
  | { t: number; kind: 'conntrack'; host: string; hook: string; state: string; created: boolean }
  | { t: number; kind: 'ct-event'; host: string; event: 'NEW' | 'UPDATE'; line: string; entry: CtEntryJson }
  | {
      t: number;
      kind: 'nat';
      host: string;
      hook: string;
      manip: 'SNAT' | 'DNAT';
      by: 'rule' | 'null-binding' | 'mapping';
      before: string;
      after: string;
    }
  | {
      t: number;
      kind: 'route';
      host: string;
      dst: string;
      decision: string;
      via?: string;
      dev?: string;
      /** decision `unreachable`: what answered the lookup (route, table, rule) and the mark. */
      why?: string;
      /** decision `flowtable`: the nft flowtable that forwarded the packet at ingress. */
      flowtable?: string;
      /** Why Linux's choice of this multipath path is random (natbox's is the flow's hash). */
      random?: string;
    }
  | { t: number; kind: 'socket'; host: string; event: string; text: string }
  | { t: number; kind: 'drop'; host: string; ifname?: string; reason: string }
  | { t: number; kind: 'icmp-sent'; host: string; text: string }
  | { t: number; kind: 'config'; host: string; text: string }
  | {
      t: number;
      kind: 'event';
      host: string;
      command: string;
      rc: number;
      stderr: string;
      stdout?: string;
      effect: string;
    }
) & {
  /** The name of the flow the step belongs to (attribute.ts); absent when it belongs to none. */
  flow?: string;
};

export function toTraceStep(s: TimedStep): TraceStep {
  switch (s.kind) {
    case 'packet':
      return {
        t: s.t,
        kind: 'packet',
        host: s.host,
        ifname: s.ifname,
        dir: s.dir,
        packet: describeFrame(s.frame),
      };
    case 'rule':
      return {
        t: s.t,
        kind: 'rule',
        host: s.host,
        hook: s.hook,
        table: s.table,
        chain: s.chain,
        index: s.index,
        rule: ruleText(s.rule, s.chain),
        ...noteOf(ruleNote(s.rule)),
      };
    case 'rule-miss':
      return {
        t: s.t,
        kind: 'rule-miss',
        host: s.host,
        hook: s.hook,
        table: s.table,
        chain: s.chain,
        index: s.index,
        rule: ruleText(s.rule, s.chain),
        why: s.why,
      };
    case 'drop':
      // The stack's reason is a number with its fields; the document has it in words.
      return {
        kind: 'drop',
        host: s.host,
        ...(s.ifname !== undefined ? { ifname: s.ifname } : {}),
        reason: dropWords(s),
        t: s.t,
      };
    default: {
      const { ...rest } = s;
      return rest as TraceStep;
    }
  }
}

function noteOf(note: string | undefined): { note?: string } {
  return note ? { note } : {};
}
