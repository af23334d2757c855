// rulesetUses (nftables/index.ts): what loading an nft ruleset turns on (conntrack, synproxy, the
// acct and labels extensions), by a typed walk over its statements and expressions. Held equal to
// the generic walks it replaced (a JSON text of the chains and sets, a walk over every object of
// the chains) on every .nft file of the repository and the corpus' JSON listings, and checked on
// rulesets where each answer comes from a different place (an element's statements, a set's
// typeof, an ip6 table).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseNft, parseNftJson } from '../../src/rules/nft/index.ts';
import type { NftRuleset, NftStmt, NftTable } from '../../src/rules/nft/model.ts';
import { rulesetUses } from '../../src/netfilter/nftables/index.ts';

const evaluated = (t: NftTable): boolean => t.family === 'ip' || t.family === 'inet';

/** The replaced implementations (index.ts before session 13), as the reference. */
function reference(rs: NftRuleset): ReturnType<typeof rulesetUses> {
  const has = (stmts: readonly NftStmt[]): boolean =>
    stmts.some(
      (s) =>
        s.kind === 'synproxy' ||
        (s.kind === 'objref' && s.type === 'synproxy') ||
        (s.kind === 'dynset' && s.stmts !== undefined && has(s.stmts)),
    );
  let synproxy = false;
  for (const t of rs.tables)
    if (evaluated(t) && t.chains.some((c) => c.rules.some((r) => has(r.stmts)))) synproxy = true;
  let conntrack = false;
  for (const t of rs.tables) {
    if (!evaluated(t)) continue;
    if (t.objects.some((o) => o.type.startsWith('ct '))) conntrack = true;
    if (/"kind":"(ct|nat|connlimit|flow)"/.test(JSON.stringify([t.chains, t.sets]))) conntrack = true;
  }
  let acct = false;
  let labels = false;
  const walk = (v: unknown): void => {
    if (typeof v !== 'object' || v === null) return;
    if (Array.isArray(v)) {
      for (const x of v) walk(x);
      return;
    }
    const o = v as Record<string, unknown>;
    if (o.kind === 'ct') {
      if (o.key === 'bytes' || o.key === 'packets' || o.key === 'avgpkt') acct = true;
      else if (o.key === 'label') labels = true;
    }
    for (const k in o) if (k !== 'pos') walk(o[k]);
  };
  for (const t of rs.tables) walk(t.chains);
  return { conntrack: conntrack || synproxy, synproxy, acct, labels };
}

const lines = (text: string, file: string): { text: string; file: string; line: number; column: number }[] =>
  text.split('\n').map((l, i) => ({ text: l, file, line: i + 1, column: 1 }));

function parse(text: string): NftRuleset {
  const r = parseNft(lines(text, 't.nft'));
  if (!r.ok) throw new Error(r.diagnostics[0]!.message);
  return r.ruleset;
}

function files(dir: string, ext: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    if (e === 'node_modules' || e.startsWith('.')) continue;
    const p = join(dir, e);
    if (statSync(p).isDirectory()) files(p, ext, out);
    else if (e.endsWith(ext)) out.push(p);
  }
  return out;
}

test('rulesetUses: the same answers as the generic walks on every .nft file and corpus JSON listing', () => {
  let n = 0;
  const seen = { conntrack: 0, synproxy: 0, acct: 0, labels: 0 };
  for (const dir of ['test', 'examples']) {
    for (const f of files(dir, '.nft')) {
      const r = parseNft(lines(readFileSync(f, 'utf8'), f));
      if (!r.ok) continue; // includes, or written to be refused
      assert.deepEqual(rulesetUses(r.ruleset), reference(r.ruleset), f);
      for (const k of Object.keys(seen) as (keyof typeof seen)[]) if (rulesetUses(r.ruleset)[k]) seen[k]++;
      n++;
    }
    for (const f of files(dir, '.json')) {
      if (!f.includes('nft-corpus')) continue;
      const r = parseNftJson(readFileSync(f, 'utf8'), f);
      if (!r.ok) continue;
      assert.deepEqual(rulesetUses(r.ruleset), reference(r.ruleset), f);
      n++;
    }
  }
  assert.ok(n >= 100, `only ${n} rulesets`);
  // The files exercise each answer (else the comparison proves little).
  for (const [k, v] of Object.entries(seen)) assert.ok(v > 0, `no file turns on ${k}`);
});

test('rulesetUses: each answer from where it is found', () => {
  const none = { conntrack: false, synproxy: false, acct: false, labels: false };
  const rules = (family: string, body: string, head = ''): NftRuleset =>
    parse(`table ${family} t {\n${head}\nchain c {\n${body}\n}\n}\n`);
  assert.deepEqual(rulesetUses(rules('ip', 'tcp dport 22 notrack')), none);
  // A nat chain without a rule takes no conntrack (nft_chain_nat registers only the NAT hooks; the
  // kernel's answer: test/conformance/nft/nat-chain-flushed-untracked.yaml).
  assert.deepEqual(
    rulesetUses(
      parse('table ip t {\nchain c {\ntype nat hook prerouting priority dstnat; policy accept;\n}\n}\n'),
    ),
    none,
  );
  // A `typeof ct mark` set key alone (the JSON text saw it: kept).
  assert.deepEqual(rulesetUses(rules('ip', 'meta mark @s accept', 'set s {\ntypeof ct mark\n}')), {
    ...none,
    conntrack: true,
  });
  // ct count in a dynamic set's element statements.
  assert.deepEqual(
    rulesetUses(
      rules('ip', 'add @s { ip saddr ct count over 2 } drop', 'set s {\ntype ipv4_addr\nflags dynamic\n}'),
    ),
    { ...none, conntrack: true },
  );
  // ct bytes: acct; ct label in an ip6 table: labels, and no conntrack (not evaluated).
  assert.deepEqual(rulesetUses(rules('ip', 'ct bytes > 1000 drop')), {
    ...none,
    conntrack: true,
    acct: true,
  });
  assert.deepEqual(rulesetUses(rules('ip6', 'ct label 1 drop')), { ...none, labels: true });
  // ct packets inside an anonymous verdict map's key.
  assert.deepEqual(rulesetUses(rules('inet', 'ct packets vmap { 1 : accept, 2 : drop }')), {
    ...none,
    conntrack: true,
    acct: true,
  });
  assert.deepEqual(rulesetUses(rules('ip', 'tcp flags syn synproxy')), {
    ...none,
    conntrack: true,
    synproxy: true,
  });
  assert.deepEqual(rulesetUses(rules('ip', 'masquerade')), { ...none, conntrack: true });
});
