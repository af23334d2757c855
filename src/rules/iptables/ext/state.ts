// -m state (libxt_state.c): --state a comma list of INVALID, NEW, ESTABLISHED, RELATED,
// UNTRACKED, invertible. parseStates is also conntrack's --ctstate.
import type { Token } from '../lex.ts';
import type { CtStateName, Inv } from '../model.ts';
import { CT_STATES, STATE_STATES } from '../names.ts';
import { fail, once, opt, type ModuleParser } from '../parse-util.ts';
import { bang, type MatchExt } from './ext.ts';

export interface StateMatch {
  readonly module: 'state';
  readonly state: Inv<readonly CtStateName[]>;
}

export function parseStates(tok: Token, allowed: readonly CtStateName[], opt: string): CtStateName[] {
  const set = new Set<CtStateName>();
  for (const part of tok.text.split(',')) {
    const s = allowed.find((a) => a === part.toUpperCase());
    if (!s) fail(tok, `bad state "${part}" for ${opt} (expected a comma list of ${allowed.join(', ')})`);
    set.add(s!);
  }
  return allowed.filter((s) => set.has(s)); // iptables-save's order
}

function parser(tok: Token): ModuleParser {
  let state: Inv<readonly CtStateName[]> | undefined;
  return {
    name: 'state',
    tok,
    opts: [opt('state', 1, true)],
    option(_id, args, invert, optTok) {
      once(state, optTok, 'state');
      state = { value: parseStates(args[0]!, STATE_STATES, '--state'), invert };
    },
    finish() {
      if (!state) fail(tok, 'match "state" needs "--state"');
      return { module: 'state', state: state! };
    },
  };
}

/** The states in iptables-save's order. */
export const stateList = (list: readonly string[]): string =>
  CT_STATES.filter((c) => list.includes(c)).join(',');

export const state: MatchExt<StateMatch> = {
  name: 'state',
  parser,
  save: (m) => `${bang(m.state.invert)} --state ${stateList(m.state.value)}`,
  print: (m) => `${bang(m.state.invert)} state ${stateList(m.state.value)}`,
};
