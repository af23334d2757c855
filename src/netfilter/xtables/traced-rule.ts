// An iptables rule as a tracer receives it (core/trace-events.ts TracedRule): printed as
// iptables-save prints it, with the target's note. Made once per rule, the first time a traced walk
// meets it, and kept beside the rule; an untraced walk never comes here.
import type { Rule } from '../../rules/iptables/model.ts';
import { formatRule } from '../../rules/iptables/print-save.ts';
import type { TracedRule } from '../core/trace-events.ts';
import { targetNote } from './target.ts';

class XtTracedRule implements TracedRule {
  constructor(readonly rule: Rule) {}
  text(chain: string): string {
    return formatRule(chain, this.rule);
  }
  note(): string | undefined {
    return this.rule.target ? targetNote(this.rule.target) : undefined;
  }
}

const traced = new WeakMap<Rule, XtTracedRule>();

export function tracedRule(rule: Rule): TracedRule {
  let t = traced.get(rule);
  if (!t) traced.set(rule, (t = new XtTracedRule(rule)));
  return t;
}
