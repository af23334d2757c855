// Random nft rules listed by the real nft and by natbox (issue 16): rules of two to four matches
// and fences drawn from a pool of payload, meta and ct matches and statements, each loaded alone
// into a table of FAMILY by `nft -f` in a network namespace of its own (nbx-lfuzz-PID, never
// connected to anything, deleted afterwards), listed with `nft list ruleset`, and the rule line
// compared with natbox's listing of the same rule. Rules nft refuses are skipped (natbox's refusals
// are compared elsewhere: nft-c-parity.test.ts).
//
//   node --import tsx scripts/nft-listing-fuzz.ts [--seed N] [--family ip|ip6|inet] [--rules N]
//        [--pool mixed|raw|write] [--json] [--save FILE]
//
// --pool raw draws raw payload matches (`@nh,57,7 0x3`), --pool write payload writes (`@nh,80,2
// set 1`, `@nh,64,8 set @nh,64,8 & 0xfe | 1`, `ip dscp set ip dscp ^ 3`). --json compares the rule's
// `nft -j list ruleset` form (its `expr`) with natbox's instead of the text.
//
// Prints each rule natbox lists otherwise than nft, and the count alike. --save appends nft's
// listings (`[FAMILY] RULE => LISTING`) to FILE: test/rules/nft/listing-fuzz.txt holds such a
// capture, which test/rules/nft/listing-fuzz.test.ts holds natbox to without nft. Exit 0 when all
// are alike, 1 when some differ, 2 on bad options, 3 without root, ip netns or nft.
import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { loadNftRules } from '../src/rules/load.ts';
import { printRuleset } from '../src/rules/nft/print.ts';
import { printNftJsonText } from '../src/rules/nft/json-print.ts';
import type { NftRuleset } from '../src/rules/nft/model.ts';

const NET: Readonly<Record<string, readonly string[]>> = {
  ip: [
    'ip ttl 3',
    'ip protocol 6',
    'ip protocol 17',
    'ip id 5',
    'ip length 40',
    'ip saddr 1.2.3.4',
    'ip daddr 5.6.7.8',
    'ip version 4',
    'ip dscp 10',
    'ip frag-off 0',
    'ip checksum 1',
    'ip saddr 10.0.0.0/8',
    'ip ttl != 3',
    'ip id != 7',
  ],
  ip6: [
    'ip6 hoplimit 3',
    'ip6 nexthdr 6',
    'ip6 length 40',
    'ip6 saddr ::1',
    'ip6 daddr ::2',
    'ip6 flowlabel 5',
    'ip6 nexthdr 17',
  ],
};
const L4 = [
  'tcp dport 22',
  'tcp sport 1024',
  'tcp window 5',
  'tcp flags syn',
  'tcp sequence 5',
  'tcp dport != 80',
  'tcp sport != 1',
  'udp dport 53',
  'udp sport 5353',
  'udp length 10',
  'th dport 7',
  'icmp type 3',
  'icmp code 1',
  'icmp checksum 2',
  'tcp checksum 5',
  'tcp urgptr 1',
  'tcp dport 1-5',
  'tcp dport { 1, 2 }',
];
const OTHER = ['meta mark 1', 'ct state established', 'counter', 'meta mark set 2', 'iifname "lo"'];

/** The protocol contexts a raw payload match may follow (`--pool raw`), by family. */
const RAW_CONTEXT: Readonly<Record<string, readonly string[]>> = {
  ip: [
    'ip protocol 6',
    'ip protocol 17',
    'meta l4proto tcp',
    'meta l4proto udp',
    'tcp dport 1',
    'udp sport 2',
  ],
  ip6: ['ip6 nexthdr 6', 'meta l4proto udp', 'tcp sport 3'],
  inet: ['meta l4proto tcp', 'meta l4proto udp', 'meta nfproto ipv4', 'ip protocol 6', 'udp dport 4'],
  netdev: ['meta protocol ip', 'ether type ip', 'ether type arp', 'meta l4proto tcp', 'ip protocol 17'],
  bridge: ['ether type ip', 'ether type arp', 'meta l4proto tcp', 'ether type 8021q'],
  arp: ['arp htype 1', 'arp ptype ip'],
};

/** A random raw payload match: `@BASE,OFFSET,LEN` with an operator and value(s) in its range. */
function rawMatch(rnd: (n: number) => number, family: string): string {
  const bases =
    family === 'arp'
      ? ['nh']
      : family === 'netdev' || family === 'bridge'
        ? ['ll', 'nh', 'th']
        : ['nh', 'th', 'll'];
  const base = bases[rnd(bases.length)]!;
  const lens = [1, 2, 3, 4, 5, 7, 8, 12, 16, 20, 24, 32, 40, 48, 60, 64, 96, 128];
  const len = lens[rnd(lens.length)]!;
  const offset = rnd(3) === 0 ? rnd(200) : 8 * rnd(24);
  const val = (): string => {
    let v = 0n;
    for (let b = 0; b < len; b += 15) v = (v << 15n) | BigInt(rnd(1 << 15));
    v &= (1n << BigInt(len)) - 1n;
    return rnd(2) === 0 ? `0x${v.toString(16)}` : v.toString();
  };
  const op = rnd(8);
  const lhs = `@${base},${offset},${len}`;
  if (op === 0) return `${lhs} != ${val()}`;
  if (op === 1) return `${lhs} { ${val()}, ${val()} }`;
  if (op === 2 && len <= 64) {
    const [a, b] = [val(), val()].map((v) => BigInt(v)).sort((p, q) => (p < q ? -1 : p > q ? 1 : 0));
    return `${lhs} ${a}-${b}`;
  }
  if (op === 3) return `${lhs} set ${val()}`;
  return `${lhs} ${val()}`;
}

/** Header fields a write may name (`--pool write`), by family. */
const WRITE_FIELDS: Readonly<Record<string, readonly [string, number][]>> = {
  ip: [
    ['ip ttl', 8],
    ['ip dscp', 6],
    ['ip ecn', 2],
    ['ip hdrlength', 4],
    ['ip version', 4],
    ['ip checksum', 16],
    ['ip id', 16],
    ['ip frag-off', 16],
    ['tcp flags', 8],
    ['tcp dport', 16],
    ['udp sport', 16],
  ],
  ip6: [
    ['ip6 hoplimit', 8],
    ['ip6 nexthdr', 8],
    ['ip6 dscp', 6],
    ['ip6 flowlabel', 20],
    ['tcp flags', 8],
    ['udp dport', 16],
  ],
  inet: [
    ['ip ttl', 8],
    ['ip dscp', 6],
    ['tcp flags', 8],
    ['th dport', 16],
  ],
};

/**
 * A random payload write: a raw field at any offset and length set to a constant, or a whole-byte
 * raw field or a header field set to a loaded field under constant `&`, `|`, `^`; or a mark set
 * from a mark so.
 */
function writeStmt(rnd: (n: number) => number, family: string): string {
  const val = (len: number): string => {
    let v = 0n;
    for (let b = 0; b < len; b += 15) v = (v << 15n) | BigInt(rnd(1 << 15));
    v &= (1n << BigInt(len)) - 1n;
    return rnd(2) === 0 ? `0x${v.toString(16)}` : v.toString();
  };
  const ops = (len: number): string => {
    let r = '';
    for (let k = 1 + rnd(2); k > 0; k--) r += ` ${['&', '|', '^'][rnd(3)]} ${val(len)}`;
    return r;
  };
  const base = ['nh', 'th'][rnd(2)]!;
  const kind = rnd(5);
  if (kind === 4) {
    const [to, from] = [['meta mark', 'ct mark'][rnd(2)]!, ['meta mark', 'ct mark'][rnd(2)]!];
    return `${to} set ${from}${ops(32)}`;
  }
  if (kind === 0) {
    const len = [1, 2, 3, 4, 5, 6, 7, 12, 20][rnd(9)]!;
    return `@${base},${rnd(160)},${len} set ${val(len)}`;
  }
  if (kind === 1) {
    const len = [8, 16, 32][rnd(3)]!;
    const off = 8 * rnd(20);
    const from = rnd(4) === 0 ? 8 * rnd(20) : off;
    return `@${base},${off},${len} set @${base},${from},${len}${ops(len)}`;
  }
  const [f, len] = WRITE_FIELDS[family]![rnd(WRITE_FIELDS[family]!.length)]!;
  if (kind === 2 || len % 8 !== 0) return `${f} set ${val(len)}`;
  return `${f} set ${f}${ops(len)}`;
}

/** The rules of one seed (a linear congruential generator: the same seed, the same rules). */
export function fuzzRules(seed: number, family: string, count: number, pool = 'mixed'): string[] {
  let x = seed;
  const rnd = (n: number): number => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x % n;
  };
  const pick = (a: readonly string[]): string => a[rnd(a.length)]!;
  if (pool === 'raw' || pool === 'write') {
    // The LCG's low bits repeat soon: the raw pool draws from its high bits.
    const hi = (n: number): number => {
      rnd(1);
      return (x >>> 12) % n;
    };
    const rules: string[] = [];
    for (let i = 0; i < count; i++) {
      const parts: string[] = [];
      const ctx = RAW_CONTEXT[family]!;
      if (hi(2) === 0) parts.push(ctx[hi(ctx.length)]!);
      if (pool === 'write') parts.push(writeStmt(hi, family));
      else {
        parts.push(rawMatch(hi, family));
        if (hi(3) === 0) parts.push(rawMatch(hi, family));
      }
      if (hi(3) === 0) parts.push('counter');
      rules.push(parts.join(' '));
    }
    return rules;
  }
  const net = NET[family === 'ip6' ? 'ip6' : 'ip']!;
  const rules: string[] = [];
  for (let i = 0; i < count; i++) {
    const parts: string[] = [];
    for (let k = 2 + rnd(3); k > 0; k--) {
      const r = rnd(10);
      parts.push(r < 4 ? pick(net) : r < 8 ? pick(L4) : pick(OTHER));
    }
    if (rnd(3) === 0) parts.push('accept');
    rules.push(parts.join(' '));
  }
  return rules;
}

/** The rule text of a one-rule table, as both sides read it. */
export const ruleTable = (family: string, rule: string): string =>
  `table ${family} t {\n\tchain c {\n\t\ttype filter hook ${family === 'netdev' ? 'ingress device "lo"' : 'input'} priority 0;\n\t\t${rule}\n\t}\n}\n`;

/** The one-rule table read by natbox, or why it refuses it. */
function natboxRuleset(family: string, rule: string): NftRuleset | string {
  const r = loadNftRules(
    ruleTable(family, rule)
      .split('\n')
      .map((text, i) => ({ text, file: 'rule.nft', line: i + 1, column: 1 })),
    { wholeFile: true },
  );
  return r.ok ? r.ruleset : `refused: ${r.diagnostics[0]!.message}`;
}

/** natbox's listing of the rule (the chain's rule line), or why it refuses it. */
export function natboxListing(family: string, rule: string): string {
  const rs = natboxRuleset(family, rule);
  return typeof rs === 'string' ? rs : printRuleset(rs).split('\n')[3]!.trim();
}

/**
 * The one rule of `nft -j list ruleset` output as printed, from its `"expr"` on (the text, not
 * parsed: values past 2^53 keep their digits).
 */
export function ruleExprJson(text: string): string {
  const k = text.indexOf('"expr": ');
  return k < 0 ? `no rule: ${text.slice(0, 80)}` : text.slice(k).trim();
}

/** natbox's `nft -j` form of the rule (its `expr`), or why it refuses it. */
export function natboxJson(family: string, rule: string): string {
  const rs = natboxRuleset(family, rule);
  return typeof rs === 'string' ? rs : ruleExprJson(printNftJsonText(rs));
}

/**
 * natbox's listing of each rule of a capture (`[FAMILY] RULE => LISTING` lines, --save) against
 * nft's: how many were read and alike, and each difference not in `known` (rule text → why).
 * `list` is natboxListing, or natboxJson for a capture made with --json.
 */
export function captureDifferences(
  text: string,
  known: Readonly<Record<string, string>> = {},
  list: (family: string, rule: string) => string = natboxListing,
): { read: number; alike: number; differ: string[] } {
  const differ: string[] = [];
  let read = 0;
  let alike = 0;
  for (const line of text.split('\n')) {
    const m = /^\[(\w+)\] (.*) => (.*)$/.exec(line);
    if (!m) continue;
    read++;
    const got = list(m[1]!, m[2]!);
    if (got === m[3]) alike++;
    else if (!(`[${m[1]}] ${m[2]}` in known))
      differ.push(`[${m[1]}] ${m[2]}\n  nft:    ${m[3]}\n  natbox: ${got}`);
  }
  return { read, alike, differ };
}

function main(): number {
  const arg = (name: string, dflt: string): string => {
    const k = process.argv.indexOf(name);
    return k >= 0 ? (process.argv[k + 1] ?? '') : dflt;
  };
  const seed = Number(arg('--seed', '1'));
  const family = arg('--family', 'ip');
  const count = Number(arg('--rules', '300'));
  const save = arg('--save', '');
  const pool = arg('--pool', 'mixed');
  const json = process.argv.includes('--json');
  if (
    !Number.isInteger(seed) ||
    !Number.isInteger(count) ||
    count < 1 ||
    count > 5000 ||
    !/^(mixed|raw|write)$/.test(pool) ||
    !(pool === 'raw' ? /^(ip|ip6|inet|netdev|bridge|arp)$/ : /^(ip|ip6|inet)$/).test(family)
  ) {
    console.error(
      'nft-listing-fuzz: --seed N, --rules 1..5000, --pool mixed|raw|write, --family ip|ip6|inet (raw: also netdev|bridge|arp)',
    );
    return 2;
  }
  if (process.getuid?.() !== 0 || spawnSync('nft', ['--version']).status !== 0) {
    console.error('nft-listing-fuzz: needs root, ip netns and nft');
    return 3;
  }
  const ns = `nbx-lfuzz-${process.pid}`;
  if (spawnSync('ip', ['netns', 'add', ns]).status !== 0) {
    console.error(`nft-listing-fuzz: cannot add network namespace ${ns}`);
    return 3;
  }
  let alike = 0;
  let listed = 0;
  try {
    for (const rule of fuzzRules(seed, family, count, pool)) {
      const run = (args: string[], input?: string): { status: number | null; stdout: string } =>
        spawnSync('ip', ['netns', 'exec', ns, 'nft', ...args], { input, encoding: 'utf8', timeout: 10_000 });
      run(['flush', 'ruleset']);
      if (run(['-f', '-'], ruleTable(family, rule)).status !== 0) continue;
      const want = json
        ? ruleExprJson(run(['-j', 'list', 'ruleset']).stdout)
        : (run(['list', 'ruleset']).stdout.split('\n')[3] ?? '').trim();
      listed++;
      if (save) appendFileSync(save, `[${family}] ${rule} => ${want}\n`);
      const got = json ? natboxJson(family, rule) : natboxListing(family, rule);
      if (got === want) alike++;
      else console.log(`[${family}] ${rule}\n  nft:    ${want}\n  natbox: ${got}`);
    }
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
  console.log(`seed ${seed}, ${family}: ${alike} of ${listed} rules nft takes list alike`);
  return alike === listed ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main();
