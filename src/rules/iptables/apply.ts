// Applying parsed commands to a working copy of a ruleset, with the checks the kernel and
// iptables make when a rule is added: the chain exists, the jump target exists and makes no loop,
// and a hook-restricted target (DNAT, SNAT, MASQUERADE, REDIRECT, REJECT) sits only where its
// xt_target's .table/.hooks allow it — directly, or in a user chain reached from such hooks
// (the kernel's mark_source_chains() / nft_compat validation). Errors are RuleErrors at a token.
import { RuleError, checkChainName, type Command, type ParsedRule } from './parse-command.ts';
import type { Token } from './lex.ts';
import {
  BUILTIN_CHAINS,
  TABLE_ORDER,
  type Chain,
  type Rule,
  type Ruleset,
  type Table,
  type TableName,
} from './model.ts';
import { formatRule, orderedChains } from './print-save.ts';
import { targetExtOf, type Placement } from './ext/targets.ts';

const fail = (tok: Token, message: string): never => {
  throw new RuleError(tok, tok.text, message);
};

export function emptyRuleset(): Ruleset {
  return { tables: new Map() };
}

const cloneRule = (r: Rule): Rule => ({ ...r, counters: { ...r.counters } });

/** A deep copy: tables, chains and rule arrays are new; rule objects are copied (counters). */
export function cloneRuleset(rs: Ruleset): Ruleset {
  const tables = new Map<TableName, Table>();
  for (const [name, t] of rs.tables) {
    const chains = new Map<string, Chain>();
    for (const [cn, c] of t.chains) {
      chains.set(cn, { ...c, counters: { ...c.counters }, rules: c.rules.map(cloneRule) });
    }
    tables.set(name, { name, chains });
  }
  return { tables };
}

export function newTable(name: TableName): Table {
  const chains = new Map<string, Chain>();
  for (const c of BUILTIN_CHAINS[name]) {
    chains.set(c, {
      name: c,
      builtin: true,
      policy: 'ACCEPT',
      counters: { packets: 0, bytes: 0 },
      rules: [],
    });
  }
  return { name, chains };
}

/** Puts a table in the ruleset (replacing any table of that name), keeping TABLE_ORDER. */
export function setTable(rs: Ruleset, table: Table): void {
  rs.tables.set(table.name, table);
  const sorted = TABLE_ORDER.filter((n) => rs.tables.has(n)).map((n) => [n, rs.tables.get(n)!] as const);
  rs.tables.clear();
  for (const [n, t] of sorted) rs.tables.set(n, t);
}

export function ensureTable(rs: Ruleset, name: TableName): Table {
  const t = rs.tables.get(name);
  if (t) return t;
  const nt = newTable(name);
  setTable(rs, nt);
  return nt;
}

/**
 * Adds a user chain at the end of the map (O(1)). The map is put back in printing order
 * (built-ins, then user chains by name) once, by putChainsInOrder() when a load ends: sorting
 * after each `-N` made a file with n user chains cost n sorts.
 */
export function addUserChain(table: Table, tok: Token): Chain {
  checkChainName(tok);
  if (table.chains.has(tok.text)) fail(tok, `chain "${tok.text}" already exists in table "${table.name}"`);
  const chain: Chain = {
    name: tok.text,
    builtin: false,
    policy: undefined,
    counters: { packets: 0, bytes: 0 },
    rules: [],
  };
  table.chains.set(chain.name, chain);
  return chain;
}

/** Empties a chain (a restore file declaring a user chain again); the jump graph may shrink. */
export function flushChain(table: Table, chain: Chain): void {
  chain.rules = [];
  reachCache.delete(table);
}

/** Rebuilds each table's chain map in printing order, when it is not in that order already. */
export function putChainsInOrder(rs: Ruleset): void {
  for (const table of rs.tables.values()) {
    const sorted = orderedChains(table.chains.values(), table.name);
    let k = 0;
    let same = true;
    for (const c of table.chains.values()) {
      if (sorted[k++] !== c) {
        same = false;
        break;
      }
    }
    if (same) continue;
    table.chains.clear();
    for (const c of sorted) table.chains.set(c.name, c);
  }
}

function getChain(table: Table, tok: Token, name = tok.text): Chain {
  const c = table.chains.get(name);
  if (!c) {
    const names = orderedChains(table.chains.values(), table.name).map((c) => c.name);
    const near = names.find((n) => n.toUpperCase() === name.toUpperCase());
    fail(
      tok,
      `unknown chain "${name}" in table "${table.name}"` +
        (near
          ? ` (did you mean "${near}"?)`
          : ` (create it with -N ${name}, or use one of ${names.join(', ')})`),
    );
  }
  return c!;
}

// -- Where targets may sit ----------------------------------------------------------------------

/** Where a target may sit: each target extension's `placement` (ext/target-<name>.ts). */
const placementOf = (r: Rule): Placement | undefined => {
  const t = r.target;
  if (!t || t.kind === 'ACCEPT' || t.kind === 'DROP' || t.kind === 'RETURN') return undefined;
  if (t.kind === 'jump' || t.kind === 'goto' || t.kind === 'other') return undefined;
  return targetExtOf(t).placement?.(t);
};
const edgeOf = (r: Rule): string | undefined =>
  r.target && (r.target.kind === 'jump' || r.target.kind === 'goto') ? r.target.chain : undefined;

/** Chains reachable from `from` by jumps and gotos, `from` included. */
function reachable(table: Table, from: string): Set<string> {
  const seen = new Set<string>([from]);
  const stack = [from];
  while (stack.length) {
    const c = table.chains.get(stack.pop()!);
    for (const r of c?.rules ?? []) {
      const to = edgeOf(r);
      if (to && !seen.has(to)) {
        seen.add(to);
        stack.push(to);
      }
    }
  }
  return seen;
}

/**
 * The built-in chains (hooks) that reach each chain of a table, all computed in one walk from each
 * hook; dropped whenever the jump graph may have lost an edge, and extended in place when a jump
 * is added (addJump), so a file with n jumps costs n small updates, not n walks of the table.
 */
const reachCache = new WeakMap<Table, Map<string, string[]>>();

function hookMap(table: Table): Map<string, string[]> {
  let m = reachCache.get(table);
  if (m) return m;
  m = new Map();
  for (const c of table.chains.values()) {
    if (!c.builtin) continue;
    for (const n of reachable(table, c.name)) {
      const hs = m.get(n);
      if (hs) hs.push(c.name);
      else m.set(n, [c.name]);
    }
  }
  reachCache.set(table, m);
  return m;
}

/** The built-in chains (hooks) whose traversal reaches `chain`. */
function hooksReaching(table: Table, chain: Chain): readonly string[] {
  if (chain.builtin) return [chain.name];
  return hookMap(table).get(chain.name) ?? [];
}

/** A rule in `from` now jumps to the chains in `reached`: they are reached from its hooks too. */
function addJump(table: Table, from: Chain, reached: ReadonlySet<string>): void {
  const m = reachCache.get(table);
  if (!m) return;
  const hooks = hooksReaching(table, from);
  if (hooks.length === 0) return;
  const order = BUILTIN_CHAINS[table.name];
  for (const n of reached) {
    const hs = m.get(n);
    if (!hs) m.set(n, [...hooks]);
    else if (hooks.some((h) => !hs.includes(h))) {
      m.set(
        n,
        order.filter((h) => hs.includes(h) || hooks.includes(h)),
      );
    }
  }
}

const list = (xs: readonly string[]): string =>
  xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;

/**
 * The checks the kernel makes when a rule enters `chain`. Returns the chains a jump or goto
 * reaches (for addJump), or undefined.
 */
function checkRule(
  table: Table,
  chain: Chain,
  pr: ParsedRule,
  cmdTok: Token,
): ReadonlySet<string> | undefined {
  const { rule } = pr;
  const at = pr.targetTok ?? cmdTok;
  const exprs = ruleExpressions(rule);
  if (exprs > MAX_RULE_EXPRESSIONS) {
    fail(
      cmdTok,
      `rule has ${rule.matches.length} matches: nf_tables takes at most ${MAX_RULE_EXPRESSIONS} expressions in a rule, and this one needs at least ${exprs} (iptables: "No space left on device")`,
    );
  }
  const place = placementOf(rule);
  if (place && rule.target) {
    const kind = place.what ?? rule.target.kind;
    if (place.tables && !place.tables.includes(table.name)) {
      fail(
        at,
        `target ${kind} is only valid in the ${place.tables.join(' or ')} table, not in table "${table.name}"`,
      );
    }
    const bad = hooksReaching(table, chain).filter((h) => !place.hooks.includes(h));
    if (bad.length) {
      fail(
        at,
        chain.builtin
          ? `target ${kind} is not allowed in chain ${chain.name} (the kernel allows it only in ${list(place.hooks)})`
          : `target ${kind} is not allowed in chain ${chain.name}: it is reached from ${list(bad)}, and the kernel allows ${kind} only in ${list(place.hooks)}`,
      );
    }
  }
  const to = edgeOf(rule);
  if (to !== undefined) {
    const target = table.chains.get(to);
    if (!target) {
      fail(at, `unsupported target "${to}" (no such target, and no chain "${to}" in table "${table.name}")`);
    }
    if (target!.builtin) fail(at, `cannot jump to the built-in chain ${to} (only to user chains)`);
    const reached = reachable(table, to);
    if (reached.has(chain.name)) {
      fail(at, `jump to "${to}" from chain ${chain.name} makes a loop (${to} leads back to ${chain.name})`);
    }
    const hooks = hooksReaching(table, chain);
    for (const name of reached) {
      const c = table.chains.get(name)!;
      c.rules.forEach((r, k) => {
        const p = placementOf(r);
        const bad = p ? hooks.filter((h) => !p.hooks.includes(h)) : [];
        if (p && bad.length) {
          fail(
            at,
            `jump to "${to}" from ${chain.name} reaches ${r.target!.kind} (chain ${name}, rule ${k + 1}), ` +
              `which the kernel allows only in ${list(p.hooks)}, not from ${list(bad)}`,
          );
        }
      });
    }
    return reached;
  }
  return undefined;
}

/** NFT_RULE_MAXEXPRS (net/netfilter/nf_tables_api.c). */
const MAX_RULE_EXPRESSIONS = 128;

/**
 * A lower bound of the nf_tables expressions iptables-nft makes of a rule: one for the counter,
 * one for the target, and at least one for each match other than tcp, udp and icmp (which may
 * make none when they test nothing). Measured with iptables 1.8.9 on Linux 6.18:
 * `-m comment --comment x` 126 times with -j ACCEPT is taken (though from about 107 times on
 * iptables leaves the rule out without a word), 127 times fails with ENOSPC.
 */
function ruleExpressions(r: Rule): number {
  let n = 1 + (r.target ? 1 : 0);
  for (const m of r.matches) if (m.module !== 'tcp' && m.module !== 'udp' && m.module !== 'icmp') n++;
  return n;
}

/**
 * A rule's text as iptables-save prints it (counters aside), kept per rule object: -C and -D
 * compare a rule with each rule of its chain, and an installer's `-C … || -A …` lines would
 * otherwise format every rule of the chain again for each line. A rule's matches and target are
 * never changed in place (commands replace rule objects), so the text stays right.
 */
const ruleText = new WeakMap<Rule, string>();
const textOf = (r: Rule): string => {
  let t = ruleText.get(r);
  if (t === undefined) ruleText.set(r, (t = formatRule('X', r)));
  return t;
};

/** Rules are equal for -C and -D when iptables-save would print them the same. */
const sameRule = (a: Rule, b: Rule): boolean => textOf(a) === textOf(b);

// -- Commands -----------------------------------------------------------------------------------

/**
 * `iptables -C`: whether every rule of the command (one per address of a -s/-d list) is in its
 * chain, as iptables-save would print it. A chain that does not exist answers false (iptables
 * 1.8.9 (nf_tables): "Bad rule (does a matching rule exist in that chain?)", exit status 1); a
 * jump to a chain that does not exist is an error (exit status 2), as it is for -A.
 */
export function ruleExists(rs: Ruleset, cmd: Command & { op: 'check' }): boolean {
  const table = rs.tables.get(cmd.table);
  const chain = table?.chains.get(cmd.chain);
  for (const pr of cmd.rules) {
    const to = edgeOf(pr.rule);
    if (to !== undefined && !table?.chains.has(to))
      fail(
        pr.targetTok ?? cmd.cmdTok,
        `unsupported target "${to}" (no such target, and no chain "${to}" in table "${cmd.table}")`,
      );
  }
  if (!chain) return false;
  return cmd.rules.every((pr) => chain.rules.some((r) => sameRule(r, pr.rule)));
}

/**
 * Applies one command to `rs` (a working copy: it is changed in place). Returns a warning text for
 * commands that change nothing (-L, -C...), else undefined. Throws RuleError.
 */
export function applyCommand(rs: Ruleset, cmd: Command): string | undefined {
  const table = ensureTable(rs, cmd.table);
  // A change other than adding a rule may take a jump away: the hooks reaching each chain are
  // computed again when next needed. An added jump extends them (addJump).
  if (cmd.op !== 'append' && cmd.op !== 'insert' && cmd.op !== 'check') reachCache.delete(table);
  switch (cmd.op) {
    case 'noop':
      return `"${cmd.what}" changes nothing: skipped`;
    case 'check':
      return ruleExists(rs, cmd) ? undefined : `"${cmd.cmdTok.text}": no such rule in chain ${cmd.chain}`;
    case 'append': {
      const chain = getChain(table, cmd.chainTok);
      for (const pr of cmd.rules) {
        const reached = checkRule(table, chain, pr, cmd.cmdTok);
        chain.rules.push(pr.rule);
        if (reached) addJump(table, chain, reached);
      }
      return undefined;
    }
    case 'insert': {
      const chain = getChain(table, cmd.chainTok);
      if (cmd.index > chain.rules.length + 1) {
        fail(
          cmd.indexTok!,
          `rule number ${cmd.index} is past the end of chain ${chain.name} (it has ${chain.rules.length} rules)`,
        );
      }
      // Each rule of an address list goes in at the same position, so the last one ends up
      // first: measured with iptables 1.8.9, `-I INPUT -s 192.0.2.1,192.0.2.2` saves the .2 rule
      // before the .1 rule (and -s/-d lists in the reverse of the order -A gives).
      for (const pr of cmd.rules) {
        const reached = checkRule(table, chain, pr, cmd.cmdTok);
        chain.rules.splice(cmd.index - 1, 0, pr.rule);
        if (reached) addJump(table, chain, reached);
      }
      return undefined;
    }
    case 'replace': {
      const chain = getChain(table, cmd.chainTok);
      if (cmd.index > chain.rules.length) {
        fail(
          cmd.indexTok,
          `no rule number ${cmd.index} in chain ${chain.name} (it has ${chain.rules.length} rules)`,
        );
      }
      const old = chain.rules.splice(cmd.index - 1, 1);
      try {
        checkRule(table, chain, cmd.rules[0]!, cmd.cmdTok);
      } finally {
        chain.rules.splice(cmd.index - 1, 0, ...old);
      }
      chain.rules[cmd.index - 1] = cmd.rules[0]!.rule;
      reachCache.delete(table);
      return undefined;
    }
    case 'deleteNum': {
      const chain = getChain(table, cmd.chainTok);
      if (cmd.index > chain.rules.length) {
        fail(
          cmd.indexTok,
          `no rule number ${cmd.index} in chain ${chain.name} (it has ${chain.rules.length} rules)`,
        );
      }
      chain.rules.splice(cmd.index - 1, 1);
      return undefined;
    }
    case 'delete': {
      const chain = getChain(table, cmd.chainTok);
      for (const pr of cmd.rules) {
        const k = chain.rules.findIndex((r) => sameRule(r, pr.rule));
        if (k < 0)
          fail(cmd.cmdTok, `no rule in chain ${chain.name} matches "${formatRule(chain.name, pr.rule)}"`);
        chain.rules.splice(k, 1);
      }
      return undefined;
    }
    case 'flush':
      for (const c of cmd.chainTok ? [getChain(table, cmd.chainTok)] : table.chains.values()) c.rules = [];
      return undefined;
    case 'zero':
      for (const c of cmd.chainTok ? [getChain(table, cmd.chainTok)] : table.chains.values()) {
        c.counters = { packets: 0, bytes: 0 };
        c.rules = c.rules.map((r) => ({ ...r, counters: { packets: 0, bytes: 0 } }));
      }
      return undefined;
    case 'newChain':
      addUserChain(table, cmd.chainTok);
      return undefined;
    case 'deleteChain': {
      const victims = cmd.chainTok
        ? [getChain(table, cmd.chainTok)]
        : orderedChains(table.chains.values(), table.name).filter((c) => !c.builtin);
      const names = new Set(victims.map((c) => c.name));
      for (const c of victims) {
        if (c.builtin) fail(cmd.chainTok!, `cannot delete the built-in chain ${c.name}`);
        if (c.rules.length)
          fail(cmd.chainTok ?? cmd.cmdTok, `chain ${c.name} is not empty (flush it with -F first)`);
      }
      // A linear scan; only when it finds a use, the first one in printing order is named.
      const used = (c: Chain): boolean =>
        !names.has(c.name) && c.rules.some((r) => names.has(edgeOf(r) ?? ''));
      if ([...table.chains.values()].some(used)) {
        for (const c of orderedChains(table.chains.values(), table.name)) {
          if (!used(c)) continue;
          const k = c.rules.findIndex((r) => names.has(edgeOf(r) ?? ''));
          fail(
            cmd.chainTok ?? cmd.cmdTok,
            `chain ${edgeOf(c.rules[k]!)} is still used by rule ${k + 1} of chain ${c.name}`,
          );
        }
      }
      for (const n of names) table.chains.delete(n);
      return undefined;
    }
    case 'policy': {
      const chain = getChain(table, cmd.chainTok);
      if (!chain.builtin)
        fail(cmd.chainTok, `chain ${chain.name} is a user chain: only built-in chains have a policy`);
      chain.policy = cmd.policy;
      return undefined;
    }
    case 'rename': {
      const chain = getChain(table, cmd.chainTok);
      if (chain.builtin) fail(cmd.chainTok, `cannot rename the built-in chain ${chain.name}`);
      checkChainName(cmd.newTok);
      if (table.chains.has(cmd.newName))
        fail(cmd.newTok, `chain "${cmd.newName}" already exists in table "${table.name}"`);
      table.chains.delete(chain.name);
      table.chains.set(cmd.newName, { ...chain, name: cmd.newName });
      for (const c of table.chains.values()) {
        c.rules = c.rules.map((r) =>
          r.target && (r.target.kind === 'jump' || r.target.kind === 'goto') && r.target.chain === chain.name
            ? { ...r, target: { kind: r.target.kind, chain: cmd.newName } }
            : r,
        );
      }
      return undefined;
    }
  }
}
