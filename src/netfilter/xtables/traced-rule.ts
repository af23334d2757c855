// An iptables rule as a tracer receives it (core/trace-events.ts TracedRule): the rule itself,
// tagged with its language; the trace layer prints it as iptables-save does (trace/rule-text.ts).
// Made once per rule, the first time a traced walk meets it; an untraced walk never comes here.
import type { Rule } from '../../rules/iptables/model.ts';
import type { TracedRule } from '../core/trace-events.ts';

export class XtTracedRule implements TracedRule {
  readonly lang = 'iptables';
  constructor(readonly rule: Rule) {}
}

const traced = new WeakMap<Rule, XtTracedRule>();

export function tracedRule(rule: Rule): XtTracedRule {
  let t = traced.get(rule);
  if (!t) traced.set(rule, (t = new XtTracedRule(rule)));
  return t;
}
