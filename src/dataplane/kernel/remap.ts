// Public addresses in live runs must be documentation addresses (RFC 5737: 192.0.2.0/24,
// 198.51.100.0/24, 203.0.113.0/24). A scenario that uses another public address (the seed's
// 82.120.11.22) is rewritten before both the natbox run and the kernel run, so both sides see the
// same addresses and compare equal: each public /24 it uses moves to a documentation /24 the
// scenario does not use, keeping the last octet. Private, loopback, link-local, shared (CGN) and
// multicast addresses stay as they are. A public network wider than /24 cannot be moved this way.
//
// The moving works on the loaded scenario's values (YAML escapes such as `"8.8.8.\x31"` already
// decoded), and the safety check works on what natbox parsed (liveSafetyProblems): every address
// a live run configures on an interface, routes to or through, sends to, or puts in a rule (-s, -d,
// --to-destination, --to-source, iprange, conntrack, NETMAP) must be safe, however it was written.
// Forms the kernel's tools read differently from natbox (a part starting with 0 is octal for
// iptables and ip, 0x hex) are refused (ambiguousAddressForms), so what natbox checked is what
// the kernel gets.
import { formatIpv4, parseIpv4, type Prefix } from '../../wire/addr.ts';
import { detectForm, loadRules, type AppliedOp } from '../../rules/load.ts';
import {
  endsWithContinuation,
  lexRestore,
  lexShell,
  type SourceLine,
  type Token,
} from '../../rules/iptables/lex.ts';
import type { Rule, Ruleset, SourceLoc } from '../../rules/iptables/model.ts';
import type { Built } from '../../scenario/build.ts';
import type { At, FlowSpec, HostSpec, RulesSpec, Scenario } from '../../scenario/model.ts';

export const DOC_NETS = ['203.0.113', '198.51.100', '192.0.2'] as const;
const DOC_TEXT = '192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24';

export interface Remap {
  /** The scenario with every moved address rewritten. */
  readonly scenario: Scenario;
  /** Old /24 → new /24 (`82.120.11` → `203.0.113`), in the order first met. */
  readonly nets: ReadonlyMap<string, string>;
}

const QUAD = /(?<![\d.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?(?![\d.])/g;

/**
 * The ranges a live run may use, as [first, last]: private, shared (CGN), loopback, link-local,
 * multicast and above (with the broadcast address), documentation, and 0.0.0.0.
 */
const SAFE_RANGES: readonly (readonly [number, number])[] = [
  ['0.0.0.0', 32],
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['224.0.0.0', 3],
  ['192.0.2.0', 24],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
].map(([net, len]) => {
  const a = (net as string).split('.').reduce((x, o) => x * 256 + Number(o), 0);
  return [a, a + 2 ** (32 - (len as number)) - 1] as const;
});

const sameSafeRange = (first: number, last: number): boolean =>
  SAFE_RANGES.some(([a, b]) => first >= a && last <= b);

/** Whether a live run may put this address in a namespace as it is. */
export const isLiveSafe = (a: number): boolean => sameSafeRange(a >>> 0, a >>> 0);

/** Every string of the scenario that may hold an address, with where it was written. */
function addressTexts(sc: Scenario): At<string>[] {
  const out: At<string>[] = [];
  for (const h of sc.hosts) {
    for (const i of h.interfaces) out.push(...i.addresses);
    for (const b of h.bridges) out.push(...b.addresses);
    out.push(...h.routes);
    if (h.rules) out.push(...h.rules.lines);
    if (h.nft) out.push(...h.nft.lines);
    if (h.ipsets) out.push(...h.ipsets.lines);
    for (const l of h.listen) if (l.bind) out.push(l.bind);
  }
  for (const f of sc.flows) {
    out.push(f.dst);
    if (f.src) out.push(f.src);
    if (f.expect?.serverSees) out.push(f.expect.serverSees);
    if (f.expect?.translatedSource) out.push(f.expect.translatedSource);
  }
  for (const e of sc.events ?? []) out.push(e.run);
  return out;
}

const at = (loc: SourceLoc, offset: number): string => `${loc.file}:${loc.line}:${loc.column + offset}`;

/**
 * Moves public /24s to documentation /24s in every address-bearing value of the loaded scenario
 * (its values, not its text: YAML escapes are decoded by then), to documentation /24s neither
 * written there nor among `alsoUsed` (the addresses natbox parsed, however written). Errors are
 * `FILE:LINE:COL: …`.
 */
export function remapScenario(
  sc: Scenario,
  alsoUsed: Iterable<number> = [],
): { ok: true; remap: Remap } | { ok: false; errors: string[] } {
  const used = new Set<string>([...alsoUsed].map((a) => formatIpv4(a).replace(/\.\d+$/, '')));
  const moves: { net: string; len?: number; where: At<string>; index: number; text: string }[] = [];
  for (const s of addressTexts(sc))
    for (const m of s.value.matchAll(QUAD)) {
      const octets = [m[1], m[2], m[3], m[4]].map(Number);
      if (octets.some((o) => o > 255)) continue;
      const net = octets.slice(0, 3).join('.');
      used.add(net);
      const a = parseIpv4(octets.join('.'));
      if (!a.ok || isLiveSafe(a.value)) continue;
      moves.push({
        net,
        ...(m[5] !== undefined ? { len: Number(m[5]) } : {}),
        where: s,
        index: m.index,
        text: m[0],
      });
    }
  const nets = new Map<string, string>();
  for (const mv of moves) {
    if (mv.len !== undefined && mv.len < 24)
      return {
        ok: false,
        errors: [
          `${at(mv.where.loc, mv.index)}: the public network ${mv.text} is wider than /24: a live run can only use documentation addresses (${DOC_TEXT}) and cannot move it there`,
        ],
      };
    if (nets.has(mv.net)) continue;
    const free = DOC_NETS.find((d) => !used.has(d) && ![...nets.values()].includes(d));
    if (!free)
      return {
        ok: false,
        errors: [
          `${at(mv.where.loc, mv.index)}: too many public /24 networks to move to documentation ranges (${[...nets.keys(), mv.net].join(', ')})`,
        ],
      };
    nets.set(mv.net, free);
  }
  if (nets.size === 0) return { ok: true, remap: { scenario: sc, nets } };
  const move = (s: At<string>): At<string> => ({ ...s, value: remapText(s.value, nets) });
  const rules = (r: RulesSpec | undefined): { rules?: RulesSpec } =>
    r ? { rules: { lines: r.lines.map(move) } } : {};
  const hosts = sc.hosts.map((h): HostSpec => ({
    ...h,
    interfaces: h.interfaces.map((i) => ({ ...i, addresses: i.addresses.map(move) })),
    bridges: h.bridges.map((b) => ({ ...b, addresses: b.addresses.map(move) })),
    routes: h.routes.map(move),
    ...rules(h.rules),
    ...(h.ipsets ? { ipsets: { lines: h.ipsets.lines.map(move) } } : {}),
    ...(h.nft ? { nft: { lines: h.nft.lines.map(move) } } : {}),
    listen: h.listen.map((l) => (l.bind ? { ...l, bind: move(l.bind) } : l)),
  }));
  const flows = sc.flows.map((f): FlowSpec => ({
    ...f,
    dst: move(f.dst),
    ...(f.src ? { src: move(f.src) } : {}),
    ...(f.expect
      ? {
          expect: {
            ...f.expect,
            ...(f.expect.serverSees ? { serverSees: move(f.expect.serverSees) } : {}),
            ...(f.expect.translatedSource ? { translatedSource: move(f.expect.translatedSource) } : {}),
          },
        }
      : {}),
  }));
  // An event's command moves with the rest (natbox check --verify gives its fixes as events).
  const events = sc.events?.map((e) => ({ ...e, run: move(e.run) }));
  return { ok: true, remap: { scenario: { ...sc, hosts, flows, ...(events ? { events } : {}) }, nets } };
}

/** One string with the moved /24s rewritten (the last octet and any /len kept). */
export function remapText(text: string, nets: ReadonlyMap<string, string>): string {
  return text.replace(QUAD, (all, a: string, b: string, c: string, d: string, len?: string) => {
    const to = nets.get(`${Number(a)}.${Number(b)}.${Number(c)}`);
    return to ? `${to}.${d}${len !== undefined ? `/${len}` : ''}` : all;
  });
}

// ---- what natbox parsed --------------------------------------------------------------------------

/** A built host's interfaces and bridges, each with the scenario entry it was built from. */
function devicesWithSpecs(h: Built['world']['hosts'][number], spec: HostSpec) {
  return [
    ...h.ifaces.map((d, k) => ({ d, spec: spec.interfaces[k]! })),
    ...h.bridges.map((d, k) => ({ d, spec: spec.bridges[k]! })),
  ];
}

/**
 * Calls `fn` with every address of the built scenario a live run would configure, route, send to
 * or give the kernel's iptables.
 */
export function builtAddresses(
  sc: Scenario,
  built: Built,
  fn: (a: number, loc: SourceLoc | undefined, what: string) => void,
): void {
  built.world.hosts.forEach((h, hi) => {
    const spec = sc.hosts[hi]!;
    const devs = devicesWithSpecs(h, spec);
    for (const { d, spec: ds } of devs)
      d.addrs.forEach((a, k) =>
        fn(a.addr, ds.addresses[k]?.loc ?? ds.name.loc, `${h.name}: the address of ${d.name}`),
      );
    h.routes.forEach((r, k) => {
      const loc = spec.routes[k]?.loc;
      if (r.len > 0) fn(r.addr, loc, `${h.name}: the route's destination`);
      if (r.via) fn(r.via, loc, `${h.name}: the route's gateway`);
      if (r.src) fn(r.src, loc, `${h.name}: the route's source`);
    });
    if (h.ruleset) rulesetAddresses(h.ruleset, (a, loc, what) => fn(a, loc, `${h.name}: ${what}`));
  });
  built.flows.forEach((f, i) => fn(f.dst, sc.flows[i]?.dst.loc, `flow "${f.name}": the destination`));
}

/**
 * Every address of the built scenario (builtAddresses) that is not safe: `FILE:LINE:COL: …` lines
 * (bad input), none when all are.
 */
export function liveSafetyProblems(sc: Scenario, built: Built): string[] {
  const out = new Set<string>();
  builtAddresses(sc, built, (a, loc, what) => {
    if (isLiveSafe(a >>> 0)) return;
    const where = loc ? `${loc.file}:${loc.line}:${loc.column}` : sc.file;
    out.add(
      `${where}: ${what} ${formatIpv4(a)} is a public address outside the documentation ranges (${DOC_TEXT}): a live run only uses those; natbox verify moves public /24s written as a.b.c.d there, but not this one, as it is written`,
    );
  });
  // Networks: an interface's connected route and a route's destination stay in safe space too
  // (203.0.113.5/16 would route 203.0.0.0/16 onto the link). The default route is everyone's.
  const network = (addr: number, len: number, loc: SourceLoc | undefined, what: string): void => {
    if (len === 0) return;
    const mask = len === 32 ? 0xffffffff : ~(0xffffffff >>> len) >>> 0;
    const first = (addr & mask) >>> 0;
    const last = (first | ~mask) >>> 0;
    if (!sameSafeRange(first, last))
      out.add(
        `${loc ? `${loc.file}:${loc.line}:${loc.column}` : sc.file}: ${what} ${formatIpv4(first)}/${len} (${formatIpv4(first)}-${formatIpv4(last)}) reaches public addresses outside the documentation ranges (${DOC_TEXT}): a live run only uses those`,
      );
  };
  built.world.hosts.forEach((h, hi) => {
    const spec = sc.hosts[hi]!;
    const devs = devicesWithSpecs(h, spec);
    for (const { d, spec: ds } of devs)
      d.addrs.forEach((a, k) =>
        network(a.addr, a.len, ds.addresses[k]?.loc ?? ds.name.loc, `${h.name}: the network of ${d.name}`),
      );
    h.routes.forEach((r, k) => network(r.addr, r.len, spec.routes[k]?.loc, `${h.name}: the route to`));
  });
  return [...out];
}

/** Calls `fn` with every address a ruleset holds (rule matches and NAT/NETMAP targets). */
export function rulesetAddresses(
  rs: Ruleset,
  fn: (a: number, loc: SourceLoc | undefined, what: string) => void,
): void {
  const prefix = (p: Prefix | undefined, r: Rule, what: string): void => {
    if (p && p.mask !== 0) fn(p.addr, r.loc, what);
  };
  for (const t of rs.tables.values())
    for (const c of t.chains.values())
      for (const r of c.rules) {
        prefix(r.src?.value, r, "the rule's source (-s)");
        prefix(r.dst?.value, r, "the rule's destination (-d)");
        for (const m of r.matches) {
          if (m.module === 'iprange')
            for (const [k, v] of [
              ['--src-range', m.src],
              ['--dst-range', m.dst],
            ] as const)
              if (v) {
                fn(v.value.min, r.loc, `the rule's ${k}`);
                fn(v.value.max, r.loc, `the rule's ${k}`);
              }
          if (m.module === 'conntrack')
            for (const k of ['ctorigsrc', 'ctorigdst', 'ctreplsrc', 'ctrepldst'] as const)
              prefix(m[k]?.value, r, `the rule's --${k}`);
        }
        const tg = r.target;
        if (tg?.kind === 'DNAT' || tg?.kind === 'SNAT')
          for (const n of tg.ranges)
            if (n.hasAddr) {
              const what = `the rule's --to-${tg.kind === 'DNAT' ? 'destination' : 'source'}`;
              fn(n.minAddr, r.loc, what);
              fn(n.maxAddr, r.loc, what);
            }
        if (tg?.kind === 'NETMAP') prefix(tg.to, r, "the rule's NETMAP --to");
      }
}

// ---- forms the kernel's tools read otherwise ---------------------------------------------------

/** Address-looking runs: dotted numbers, decimal or 0x hex, 2 to 4 parts. */
const DOTTED =
  /(?<![0-9A-Za-z.])((?:0[xX][0-9a-fA-F]*|\d+)(?:\.(?:0[xX][0-9a-fA-F]*|\d+)){1,3})(?![0-9A-Za-z.])/g;
/** Options of iptables whose argument is an address, a range or a prefix. */
const ADDRESS_OPTS = new Set([
  '-s',
  '--source',
  '--src',
  '-d',
  '--destination',
  '--dst',
  '--to-destination',
  '--to-source',
  '--to',
  '--src-range',
  '--dst-range',
  '--ctorigsrc',
  '--ctorigdst',
  '--ctreplsrc',
  '--ctrepldst',
]);
/** Options whose argument is free text (a comment, a log prefix), never an address. */
const TEXT_OPTS = new Set(['--comment', '--log-prefix', '--nflog-prefix']);
const odd = (part: string): boolean => /^0\d|^0x/i.test(part);

/** strtoul(part, 0) as xtables_strtoui and iproute2's get_addr_ipv4 read it, or NaN. */
function strtoul0(part: string): number {
  if (/^0x[0-9a-f]+$/i.test(part)) return Number.parseInt(part.slice(2), 16);
  if (/^0[0-7]*$/.test(part)) return part.length === 1 ? 0 : Number.parseInt(part.slice(1), 8);
  if (/^[1-9]\d*$/.test(part)) return Number(part);
  return Number.NaN;
}

/** What the kernel's tools make of dotted numbers (fewer parts fill with zeros, as iptables does). */
export function toolReading(text: string): string | undefined {
  const parts = text.split('.').map(strtoul0);
  if (parts.some((p) => !(p >= 0 && p <= 255))) return undefined;
  while (parts.length < 4) parts.push(0);
  return parts.join('.');
}

function oddForm(tok: string, loc: string, tool: string): string {
  const reads = toolReading(tok);
  const decimal = tok
    .split('.')
    .map((p) => (/^\d+$/.test(p) ? String(Number(p)) : '?'))
    .join('.');
  return `${loc}: "${tok}" is not plain dotted decimal: ${tool} reads a part that starts with 0 as octal and 0x as hex${reads ? ` (${tok} is ${reads} there)` : ''}, while natbox reads ${decimal.includes('?') ? 'no such part' : `it as ${decimal}`}; natbox verify runs only addresses both read alike: write it in dotted decimal`;
}

/**
 * Addresses in rules and routes written in a form the kernel's iptables or ip reads otherwise than
 * natbox (`010.010.010.010` is 8.8.8.8 for them, 10.10.10.10 for natbox): `FILE:LINE:COL: …`.
 * Rules are the words the kernel run gives iptables (natbox's applied operations: quotes removed,
 * variables expanded; restore inputs split as iptables-restore splits them), so neither quoting
 * nor a variable can hide one.
 */
export function ambiguousAddressForms(sc: Scenario): string[] {
  const out: string[] = [];
  const scan = (tok: Token, tool: string, addressArg: boolean): void => {
    for (const m of tok.text.matchAll(DOTTED))
      if (m[1]!.split('.').some(odd))
        out.push(oddForm(m[1]!, `${tok.file}:${tok.line}:${tok.column + m.index}`, tool));
    if (!addressArg) return;
    let index = 0;
    for (const piece of tok.text.split(/([,-])/)) {
      const addr = piece.split(/[/:]/)[0]!;
      if (!addr.includes('.') && odd(addr))
        out.push(oddForm(addr, `${tok.file}:${tok.line}:${tok.column + index}`, tool));
      index += piece.length;
    }
  };
  for (const h of sc.hosts) {
    for (const r of h.routes)
      for (const m of r.value.matchAll(/\S+/g))
        scan({ text: m[0], file: r.loc.file, line: r.loc.line, column: r.loc.column + m.index }, 'ip', false);
    if (!h.rules) continue;
    const lines: SourceLine[] = h.rules.lines.map((l) => ({ text: l.value, ...l.loc }));
    // The words the kernel run gives iptables: what natbox's loader applied (a script's variables
    // expanded, restore inputs line by line). Rules natbox refuses (an address it cannot read,
    // such as 0x8.0x8.0x8.0x8) are split as written, so the refusal says how the kernel reads them.
    const applied: AppliedOp[] = [];
    const loaded = loadRules(lines, undefined, { applied });
    const words: (readonly Token[])[] = [];
    const restoreLine = (l: SourceLine): void => {
      const lx = lexRestore(l);
      if (lx.ok) words.push(lx.tokens);
    };
    if (loaded.ok)
      for (const op of applied)
        if (op.kind === 'iptables') words.push(op.words);
        else op.body.forEach(restoreLine);
    else if (detectForm(lines) === 'restore') lines.forEach(restoreLine);
    else
      for (let i = 0; i < lines.length; i++) {
        const group = [lines[i]!];
        while (endsWithContinuation(group[group.length - 1]!.text) && i + 1 < lines.length)
          group.push(lines[++i]!);
        const lx = lexShell(group);
        if (lx.ok) words.push(lx.tokens);
      }
    for (const ws of words)
      ws.forEach((w, k) => {
        const before = k > 0 ? ws[k - 1]!.text : '';
        if (!TEXT_OPTS.has(before)) scan(w, 'iptables', ADDRESS_OPTS.has(before));
      });
  }
  return out;
}
