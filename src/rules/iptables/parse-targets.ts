// What follows -j / -g: the verdicts (ACCEPT, DROP, RETURN), a user chain, or a target extension
// (ext/targets.ts: one file ext/target-<name>.ts each, read as its libxt_<NAME>.c in iptables
// 1.8.9 reads it). makeTarget() picks the parser for a -j word. Where each may sit (table,
// hooks) is checked by the engine's registry (netfilter/xtables/targets.ts).
import type { Token } from './lex.ts';
import { UNSUPPORTED_TARGETS } from './names.ts';
import { fail, type TargetParser } from './parse-util.ts';
import { isExtTarget, TARGET_EXTS } from './ext/targets.ts';

function simpleTarget(kind: 'ACCEPT' | 'DROP' | 'RETURN', tok: Token): TargetParser {
  return {
    name: kind,
    tok,
    opts: [],
    option() {},
    finish(ctx) {
      if (kind === 'DROP' && ctx.table === 'nat') {
        fail(tok, 'the "nat" table is not intended for filtering: DROP is refused there (as iptables does)');
      }
      return { kind };
    },
  };
}

function chainTarget(kind: 'jump' | 'goto', tok: Token): TargetParser {
  return { name: tok.text, tok, opts: [], option() {}, finish: () => ({ kind, chain: tok.text }) };
}

export function makeTarget(tok: Token, isGoto: boolean): TargetParser {
  const name = tok.text;
  if (name === '') fail(tok, 'empty target name');
  if (isGoto) {
    if (['ACCEPT', 'DROP', 'RETURN'].includes(name) || isExtTarget(name)) {
      fail(tok, `-g needs a user chain, not the target "${name}"`);
    }
    return chainTarget('goto', tok);
  }
  if (name === 'ACCEPT' || name === 'DROP' || name === 'RETURN') return simpleTarget(name, tok);
  if (isExtTarget(name)) return TARGET_EXTS[name].parser(tok);
  if (UNSUPPORTED_TARGETS.has(name)) fail(tok, `unsupported target "${name}" (natbox does not evaluate it)`);
  return chainTarget('jump', tok);
}

/** The target extensions' parsers by -j name (for the option hints of getopt.ts). */
export const TARGETS: Readonly<Record<string, (tok: Token) => TargetParser>> = Object.fromEntries(
  Object.values(TARGET_EXTS).map((e) => [e.name, (tok: Token) => e.parser(tok)]),
);
