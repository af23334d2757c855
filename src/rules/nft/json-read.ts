// libnftables-json (nftables 1.0.6, src/parser_json.c) to the model: `nft -j list ruleset` output
// and `nft -j -f` input, i.e. `{"nftables": [...]}` whose items are objects (`{"table": {...}}`,
// taken as `add`) or commands (`{"add": {...}}`, create, insert, replace, delete, flush, rename;
// list and reset change nothing here). Constants get the datatype of what they are compared with
// (the left side of a match, a set's key type). All or nothing: any error gives only the errors,
// each naming the JSON path (`nftables[3].rule.expr[1].match.left`), the offending value, and the
// file:line:column where that value starts. Never throws; size, depth and count limits are errors.
import { writeError } from './write-check.ts';
import { payloadMergeOrder } from './payload-merge.ts';
import type { Diagnostic } from '../diagnostics.ts';
import type {
  NftChain,
  NftDatatype,
  NftExpr,
  NftFamily,
  NftFlowtable,
  NftLoadResult,
  NftObject,
  NftObjectType,
  NftRule,
  NftRuleset,
  NftSet,
  NftSetElem,
  NftStmt,
  NftTable,
  NftValue,
} from './model.ts';
import {
  DEFAULT_JSON_LIMITS,
  Fields,
  lineColumn,
  parseJsonText,
  type JNode,
  type JsonLimits,
} from './json-value.ts';
import {
  BITMASK_TYPES,
  META_KEYS,
  PAYLOAD_FIELDS,
  ctKeyType,
  parseEther,
  parseIpv4,
  symbolName,
  symbolValue,
  type FieldType,
} from './json-types.ts';
import {
  canonicalIpv6,
  formatDate,
  formatTime,
  hasInterval,
  isTcpContext,
  parseDate,
  parseHour,
  synproxyFlags,
} from './types.ts';
import { expr as printExpr, stmtText } from './print.ts';
import { dynsetError } from './dynset.ts';
import { parseNftText, stripPos } from './parse.ts';

export interface NftJsonReadOptions {
  readonly limits?: JsonLimits;
  /** Most errors reported before giving up. */
  readonly maxErrors?: number;
}

class Stop {}

const FAMILIES: readonly NftFamily[] = ['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'];

type Hint = FieldType | readonly FieldType[] | undefined;

const SERVICES: Record<string, number> = {
  'ftp-data': 20,
  ftp: 21,
  ssh: 22,
  telnet: 23,
  smtp: 25,
  domain: 53,
  bootps: 67,
  bootpc: 68,
  tftp: 69,
  http: 80,
  www: 80,
  kerberos: 88,
  pop3: 110,
  ntp: 123,
  'netbios-ns': 137,
  imap2: 143,
  imap: 143,
  snmp: 161,
  ldap: 389,
  https: 443,
  'microsoft-ds': 445,
  submissions: 465,
  syslog: 514,
  submission: 587,
  ipp: 631,
  ldaps: 636,
  rsync: 873,
  imaps: 993,
  pop3s: 995,
  openvpn: 1194,
  mysql: 3306,
  sip: 5060,
  postgresql: 5432,
  'http-alt': 8080,
};

const TIME_UNITS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** Reads the JSON text; see the head of this file. */
export function readNftJson(text: string, file: string, opts: NftJsonReadOptions = {}): NftLoadResult {
  const limits = opts.limits ?? DEFAULT_JSON_LIMITS;
  const parsed = parseJsonText(text, limits);
  if (!parsed.ok) {
    const lc = lineColumn(text, parsed.off);
    return {
      ok: false,
      diagnostics: [
        {
          severity: 'error',
          file,
          line: lc.line,
          column: lc.column,
          token: parsed.token,
          message: parsed.message,
        },
      ],
    };
  }
  const r = new Reader(text, file, opts.maxErrors ?? 20);
  try {
    r.top(parsed.root);
  } catch (e) {
    if (!(e instanceof Stop)) {
      const lc = { line: 1, column: 1 };
      r.diags.push({
        severity: 'error',
        file,
        ...lc,
        token: '',
        message: `cannot read nft JSON: ${String(e)}`,
      });
    }
  }
  if (r.diags.length > 0) return { ok: false, diagnostics: r.diags };
  return { ok: true, ruleset: r.rs, warnings: [] };
}

function show(n: JNode): string {
  switch (n.k) {
    case 'null':
      return 'null';
    case 'bool':
      return String(n.v);
    case 'num':
      return n.raw;
    case 'str':
      return JSON.stringify(n.v);
    case 'arr':
      return 'an array';
    case 'obj':
      return n.keys.length === 1 ? `{"${n.keys[0]}": ...}` : 'an object';
  }
}

class Reader {
  readonly diags: Diagnostic[] = [];
  readonly rs: NftRuleset = { tables: [] };
  private tableHandle = 0;

  constructor(
    private readonly text: string,
    private readonly file: string,
    private readonly maxErrors: number,
  ) {}

  /**
   * Where an object starts, as the text reader's `pos` (file:line:column): a rule natbox cannot
   * simulate is reported, and left out with --skip-unsupported, at its place in the JSON.
   */
  pos(n: JNode): { file: string; line: number; column: number } {
    // lineColumn's answer from the line starts, found once (a listing of 20,000 rules is one line
    // of megabytes: no scan from the start per rule).
    const starts = (this.lineStarts ??= lineStartsOf(this.text));
    const off = Math.min(n.off, this.text.length);
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= off) lo = mid;
      else hi = mid - 1;
    }
    return { file: this.file, line: lo + 1, column: off - starts[lo]! + 1 };
  }

  private lineStarts: number[] | undefined;

  // -- errors -----------------------------------------------------------------------------

  err(n: JNode, path: string, message: string): void {
    const lc = lineColumn(this.text, n.off);
    const token = n.k === 'str' ? n.v : n.k === 'num' ? n.raw : n.k === 'bool' ? String(n.v) : n.k;
    this.diags.push({
      severity: 'error',
      file: this.file,
      line: lc.line,
      column: lc.column,
      token,
      message: `${path}: ${message} (found ${show(n)})`,
    });
    if (this.diags.length >= this.maxErrors) throw new Stop();
  }

  fail(n: JNode, path: string, message: string): never {
    this.err(n, path, message);
    throw new Skip();
  }

  // -- typed access -----------------------------------------------------------------------

  obj(n: JNode, path: string): Extract<JNode, { k: 'obj' }> {
    if (n.k !== 'obj') this.fail(n, path, 'an object expected');
    return n as Extract<JNode, { k: 'obj' }>;
  }

  /** An object with exactly one key (`{"match": {...}}`): the key and its value. */
  single(n: JNode, path: string): [string, JNode] {
    const o = this.obj(n, path);
    if (o.keys.length !== 1) this.fail(n, path, 'an object with one key expected');
    const k = o.keys[0]!;
    return [k, o.map.get(k)!];
  }

  get(o: Extract<JNode, { k: 'obj' }>, key: string): JNode | undefined {
    return o.map.get(key);
  }

  need(o: Extract<JNode, { k: 'obj' }>, key: string, path: string): JNode {
    const v = o.map.get(key);
    if (v === undefined) this.fail(o, path, `"${key}" missing`);
    return v as JNode;
  }

  str(n: JNode, path: string): string {
    if (n.k !== 'str') this.fail(n, path, 'a string expected');
    return (n as { v: string }).v;
  }

  int(n: JNode, path: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    if (n.k !== 'num' || !n.int || n.v < min || n.v > max)
      this.fail(n, path, `an integer from ${min} to ${max} expected`);
    return (n as { v: number }).v;
  }

  optStr(o: Extract<JNode, { k: 'obj' }>, key: string, path: string): string | undefined {
    const v = o.map.get(key);
    return v === undefined ? undefined : this.str(v, `${path}.${key}`);
  }

  optInt(
    o: Extract<JNode, { k: 'obj' }>,
    key: string,
    path: string,
    min = 0,
    max?: number,
  ): number | undefined {
    const v = o.map.get(key);
    return v === undefined ? undefined : this.int(v, `${path}.${key}`, min, max);
  }

  /** A string or an array of strings (jansson prints one flag as a string). */
  strList(n: JNode, path: string): string[] {
    if (n.k === 'str') return [n.v];
    if (n.k !== 'arr') this.fail(n, path, 'a string or an array of strings expected');
    return (n as { items: readonly JNode[] }).items.map((x, i) => this.str(x, `${path}[${i}]`));
  }

  family(o: Extract<JNode, { k: 'obj' }>, path: string): NftFamily {
    const n = o.map.get('family');
    if (n === undefined) return 'ip';
    const f = this.str(n, `${path}.family`);
    if (!(FAMILIES as readonly string[]).includes(f))
      this.fail(n, `${path}.family`, `unknown family (one of ${FAMILIES.join(', ')})`);
    return f as NftFamily;
  }

  // -- the ruleset ------------------------------------------------------------------------

  top(root: JNode): void {
    if (root.k !== 'obj') this.fail(root, '(top)', 'an object {"nftables": [...]} expected');
    const o = root as Extract<JNode, { k: 'obj' }>;
    const items = o.map.get('nftables');
    if (items === undefined) this.fail(root, '(top)', '"nftables" missing');
    if (items!.k !== 'arr') this.fail(items!, 'nftables', 'an array expected');
    (items as Extract<JNode, { k: 'arr' }>).items.forEach((it, i) => {
      try {
        this.item(it, `nftables[${i}]`);
      } catch (e) {
        if (!(e instanceof Skip)) throw e;
      }
    });
    markDynamicSets(this.rs);
  }

  item(n: JNode, path: string): void {
    const [k, v] = this.single(n, path);
    const p = `${path}.${k}`;
    switch (k) {
      case 'metainfo': {
        const o = this.obj(v, p);
        const sv = o.map.get('json_schema_version');
        if (sv !== undefined && this.int(sv, `${p}.json_schema_version`) > 1)
          this.fail(
            sv,
            `${p}.json_schema_version`,
            'schema version not supported (nft 1.0.6 reads version 1)',
          );
        return;
      }
      case 'add':
      case 'create':
      case 'insert':
      case 'replace':
      case 'delete':
      case 'flush':
      case 'reset':
      case 'list':
      case 'rename':
        return this.command(k, v, p);
      default:
        return this.add('add', k, v, p);
    }
  }

  command(cmd: string, n: JNode, path: string): void {
    const [k, v] = this.single(n, path);
    const p = `${path}.${k}`;
    switch (cmd) {
      case 'add':
      case 'create':
      case 'insert':
      case 'replace':
        return this.add(cmd, k, v, p);
      case 'delete':
        return this.del(k, v, p);
      case 'flush':
        return this.flush(k, v, p);
      case 'rename': {
        if (k !== 'chain') this.fail(n, path, 'only a chain can be renamed');
        const o = this.obj(v, p);
        const c = this.chainOf(o, p, 'name');
        const nn = this.str(this.need(o, 'newname', p), `${p}.newname`);
        const t = this.findTable(o, p);
        if (this.chainIndex(t).has(nn))
          this.fail(o.map.get('newname')!, `${p}.newname`, `chain ${nn} exists`);
        this.chainIndex(t).delete(c.name);
        (c as { name: string }).name = nn;
        this.chainIndex(t).set(nn, c);
        return;
      }
      default:
        return; // list, reset: nothing to change in a ruleset read from text
    }
  }

  findTable(o: Extract<JNode, { k: 'obj' }>, path: string, key = 'table'): NftTable {
    const fam = this.family(o, path);
    const nameN = this.need(o, key, path);
    const name = this.str(nameN, `${path}.${key}`);
    const t = this.rs.tables.find((x) => x.family === fam && x.name === name);
    if (!t) this.fail(nameN, `${path}.${key}`, `no table ${fam} ${name}`);
    return t!;
  }

  chainOf(o: Extract<JNode, { k: 'obj' }>, path: string, key = 'chain'): NftChain {
    const t = this.findTable(o, path);
    const nameN = this.need(o, key, path);
    const name = this.str(nameN, `${path}.${key}`);
    const c = this.chainIndex(t).get(name);
    if (!c) this.fail(nameN, `${path}.${key}`, `no chain ${name} in table ${t.family} ${t.name}`);
    return c!;
  }

  private readonly chains = new WeakMap<NftTable, Map<string, NftChain>>();

  /** The table's chains by name (kept in step with t.chains: rebuilt when it changed size). */
  chainIndex(t: NftTable): Map<string, NftChain> {
    let m = this.chains.get(t);
    if (!m || m.size !== t.chains.length) {
      m = new Map(t.chains.map((c) => [c.name, c]));
      this.chains.set(t, m);
    }
    return m;
  }

  handleOf(t: NftTable, o: Extract<JNode, { k: 'obj' }>, path: string): number {
    const h = this.optInt(o, 'handle', path, 1, 2 ** 53);
    if (h !== undefined) {
      if ((t.lastHandle ?? 0) < h) t.lastHandle = h;
      return h;
    }
    t.lastHandle = (t.lastHandle ?? 0) + 1;
    return t.lastHandle;
  }

  add(cmd: string, k: string, v: JNode, p: string): void {
    const o = this.obj(v, p);
    switch (k) {
      case 'table': {
        const fam = this.family(o, p);
        const name = this.str(this.need(o, 'name', p), `${p}.name`);
        const old = this.rs.tables.find((x) => x.family === fam && x.name === name);
        if (old) {
          if (cmd === 'create') this.fail(v, p, `table ${fam} ${name} exists`);
          return;
        }
        const h = this.optInt(o, 'handle', p, 1);
        const handle = h ?? this.tableHandle + 1;
        this.tableHandle = Math.max(this.tableHandle, handle);
        const flagsN = o.map.get('flags');
        const flags = flagsN ? this.strList(flagsN, `${p}.flags`) : undefined;
        const comment = this.optStr(o, 'comment', p);
        const t: NftTable = {
          family: fam,
          name,
          handle,
          chains: [],
          sets: [],
          flowtables: [],
          objects: [],
          ...(flags && flags.length > 0 ? { flags } : {}),
          ...(comment !== undefined ? { comment } : {}),
          lastHandle: 0,
          pos: this.pos(o),
        };
        this.rs.tables.push(t);
        return;
      }
      case 'chain':
        return this.addChain(cmd, o, p);
      case 'rule':
        return this.addRule(cmd, o, p);
      case 'set':
      case 'map':
        return this.addSet(cmd, k, o, p);
      case 'element': {
        const t = this.findTable(o, p);
        const nameN = this.need(o, 'name', p);
        const name = this.str(nameN, `${p}.name`);
        const s = t.sets.find((x) => x.name === name);
        if (!s) this.fail(nameN, `${p}.name`, `no set ${name} in table ${t.family} ${t.name}`);
        const el = this.need(o, 'elem', p);
        const items = el.k === 'arr' ? el.items : [el];
        items.forEach((x, i) => s!.elements.push(this.elem(x, `${p}.elem[${i}]`, s!)));
        return;
      }
      case 'flowtable': {
        const t = this.findTable(o, p);
        const name = this.str(this.need(o, 'name', p), `${p}.name`);
        if (t.flowtables.some((x) => x.name === name)) {
          if (cmd === 'create') this.fail(v, p, `flowtable ${name} exists`);
          return;
        }
        const devN = o.map.get('dev');
        const f: NftFlowtable = {
          name,
          handle: this.handleOf(t, o, p),
          hook: this.optStr(o, 'hook', p) ?? 'ingress',
          priority: this.optInt(o, 'prio', p, -(2 ** 31), 2 ** 31 - 1) ?? 0,
          devices: devN ? this.strList(devN, `${p}.dev`) : [],
        };
        t.flowtables.push(f);
        return;
      }
      case 'counter':
      case 'quota':
      case 'limit':
      case 'ct helper':
      case 'ct timeout':
      case 'ct expectation':
      case 'synproxy':
      case 'secmark':
        return this.addObject(cmd, k, o, p);
      default:
        this.fail(v, p, `unknown object "${k}"`);
    }
  }

  addChain(cmd: string, o: Extract<JNode, { k: 'obj' }>, p: string): void {
    const t = this.findTable(o, p);
    const name = this.str(this.need(o, 'name', p), `${p}.name`);
    if (this.chainIndex(t).has(name)) {
      if (cmd === 'create') this.fail(o, p, `chain ${name} exists`);
      return;
    }
    const typeN = o.map.get('type');
    let base: NftChain['base'];
    if (typeN !== undefined) {
      const type = this.str(typeN, `${p}.type`);
      if (type !== 'filter' && type !== 'nat' && type !== 'route')
        this.fail(typeN, `${p}.type`, 'chain type filter, nat or route expected');
      const hookN = this.need(o, 'hook', p);
      const hook = this.str(hookN, `${p}.hook`);
      const HOOKS = ['prerouting', 'input', 'forward', 'output', 'postrouting', 'ingress', 'egress'];
      if (!HOOKS.includes(hook)) this.fail(hookN, `${p}.hook`, `unknown hook (one of ${HOOKS.join(', ')})`);
      const prio = this.int(this.need(o, 'prio', p), `${p}.prio`, -(2 ** 31), 2 ** 31 - 1);
      const polN = o.map.get('policy');
      const policy = polN ? this.str(polN, `${p}.policy`) : 'accept';
      if (policy !== 'accept' && policy !== 'drop')
        this.fail(polN!, `${p}.policy`, 'accept or drop expected');
      const devN = o.map.get('dev');
      const devs = devN ? this.strList(devN, `${p}.dev`) : [];
      base = {
        type: type as 'filter',
        hook,
        priority: prio,
        policy: policy as 'accept',
        ...(devs.length === 1 ? { device: devs[0]! } : devs.length > 1 ? { devices: devs } : {}),
      };
    }
    const comment = this.optStr(o, 'comment', p);
    const c: NftChain = {
      name,
      handle: this.handleOf(t, o, p),
      ...(base ? { base } : {}),
      rules: [],
      ...(comment !== undefined ? { comment } : {}),
    };
    const index = this.chainIndex(t);
    t.chains.push(c);
    index.set(name, c);
  }

  addRule(cmd: string, o: Extract<JNode, { k: 'obj' }>, p: string): void {
    const t = this.findTable(o, p);
    const c = this.chainOf(o, p);
    const exprN = this.need(o, 'expr', p);
    if (exprN.k !== 'arr') this.fail(exprN, `${p}.expr`, 'an array of statements expected');
    const ctx: Ctx = { family: t.family, table: t };
    const stmts: NftStmt[] = [];
    let bad = false;
    (exprN as Extract<JNode, { k: 'arr' }>).items.forEach((s, i) => {
      try {
        stmts.push(this.stmt(s, `${p}.expr[${i}]`, ctx));
      } catch (e) {
        if (!(e instanceof Skip)) throw e;
        bad = true;
      }
    });
    if (bad) return;
    addTcpDependency(stmts);
    // nft's payload merge joins matches given in JSON as in text (`nft -j -f`, checked here).
    stmts.splice(0, stmts.length, ...payloadMergeOrder(stmts, t.family, false));
    const comment = this.optStr(o, 'comment', p);
    const hN = o.map.get('handle');
    const given = hN ? this.int(hN, `${p}.handle`, 1) : undefined;
    const idx = this.optInt(o, 'index', p);
    let handle: number;
    let at = cmd === 'insert' ? 0 : c.rules.length;
    if (cmd === 'add' && this.isCommand(p)) {
      // nft -j -f: an added rule goes to the end with a new handle (nft 1.0.6 ignores "handle").
      handle = this.newRuleHandle(t, stmts);
    } else if (cmd === 'replace' || (cmd === 'insert' && given !== undefined)) {
      // A position: replace that rule, insert before it.
      const i = c.rules.findIndex((r) => r.handle === given);
      if (given === undefined) this.fail(o, p, '"handle" missing');
      if (i < 0) this.fail(hN!, `${p}.handle`, `no rule with handle ${given} in chain ${c.name}`);
      if (cmd === 'replace') {
        const rule: NftRule = {
          handle: given!,
          stmts,
          ...(comment !== undefined ? { comment } : {}),
          pos: this.pos(o),
        };
        c.rules[i] = rule;
        return;
      }
      at = cmd === 'insert' ? i : i + 1;
      handle = this.newRuleHandle(t, stmts);
    } else if (given !== undefined) {
      handle = given;
      if ((t.lastHandle ?? 0) < given) t.lastHandle = given;
    } else {
      handle = this.newRuleHandle(t, stmts);
    }
    if (idx !== undefined) {
      if (idx > c.rules.length)
        this.fail(o.map.get('index')!, `${p}.index`, `chain ${c.name} has ${c.rules.length} rules`);
      at = cmd === 'insert' ? idx : idx + 1;
    }
    const rule: NftRule = { handle, stmts, ...(comment !== undefined ? { comment } : {}), pos: this.pos(o) };
    c.rules.splice(at, 0, rule);
  }

  /** Whether the path is inside a command (`nftables[i].add.rule`) rather than a listed object. */
  isCommand(p: string): boolean {
    return /^nftables\[\d+\]\.(add|insert|create|replace)\./.test(p);
  }

  /** The kernel numbers a rule's anonymous sets first, then the rule. */
  newRuleHandle(t: NftTable, stmts: readonly NftStmt[]): number {
    let anon = 0;
    const walk = (e: unknown): void => {
      if (e === null || typeof e !== 'object') return;
      if (Array.isArray(e)) return e.forEach(walk);
      const x = e as { kind?: string };
      if (x.kind === 'set' && 'elements' in x) {
        anon++;
        return;
      }
      // A meter's set is numbered before its rule too (parse.ts anonSets).
      if (x.kind === 'other' && (x as { meter?: unknown }).meter) anon++;
      for (const v of Object.values(x)) walk(v);
    };
    stmts.forEach(walk);
    t.lastHandle = (t.lastHandle ?? 0) + anon + 1;
    return t.lastHandle;
  }

  addSet(cmd: string, k: string, o: Extract<JNode, { k: 'obj' }>, p: string): void {
    const t = this.findTable(o, p);
    const name = this.str(this.need(o, 'name', p), `${p}.name`);
    if (t.sets.some((x) => x.name === name)) {
      if (cmd === 'create') this.fail(o, p, `set ${name} exists`);
      return;
    }
    const typeN = this.need(o, 'type', p);
    const types = this.typeList(typeN, `${p}.type`);
    const mapN = o.map.get('map');
    let data: NftSet['data'];
    let objType: NftObjectType | undefined;
    if (mapN !== undefined) {
      const d = this.str(mapN, `${p}.map`);
      const OBJ = [
        'counter',
        'quota',
        'limit',
        'ct helper',
        'ct timeout',
        'ct expectation',
        'synproxy',
        'secmark',
      ];
      if (OBJ.includes(d)) objType = d as NftObjectType;
      else data = { types: d.split(' . ') };
    } else if (k === 'map') this.fail(o, p, '"map" (the data type) missing');
    const flagsN = o.map.get('flags');
    const flags = flagsN ? this.strList(flagsN, `${p}.flags`) : [];
    const FLAGS = SET_FLAG_ORDER;
    flags.forEach((f, i) => {
      if (!FLAGS.includes(f)) this.fail(flagsN!, `${p}.flags[${i}]`, `unknown set flag "${f}"`);
    });
    const timeout = this.optInt(o, 'timeout', p);
    const gc = this.optInt(o, 'gc-interval', p);
    const size = this.optInt(o, 'size', p);
    const polN = o.map.get('policy');
    const policy = polN ? this.str(polN, `${p}.policy`) : undefined;
    if (policy !== undefined && policy !== 'performance' && policy !== 'memory')
      this.fail(polN!, `${p}.policy`, 'performance or memory expected');
    const comment = this.optStr(o, 'comment', p);
    const s: NftSet = {
      name,
      handle: this.handleOf(t, o, p),
      isMap: mapN !== undefined,
      key: { types },
      ...(data ? { data } : {}),
      ...(objType ? { objType } : {}),
      flags: FLAGS.filter((f) => flags.includes(f)),
      ...(timeout !== undefined ? { timeout: timeout * 1000 } : {}),
      ...(gc !== undefined ? { gcInterval: gc * 1000 } : {}),
      ...(size !== undefined ? { size } : {}),
      ...(policy !== undefined ? { policy: policy as 'memory' } : {}),
      ...(comment !== undefined ? { comment } : {}),
      elements: [],
    };
    const stN = o.map.get('stmt');
    if (stN !== undefined) {
      if (stN.k !== 'arr') this.fail(stN, `${p}.stmt`, 'an array of statements expected');
      (s as { stmts?: NftStmt[] }).stmts = (stN as Extract<JNode, { k: 'arr' }>).items.map((x, i) =>
        this.stmt(x, `${p}.stmt[${i}]`, { family: t.family, table: t }),
      );
    }
    const elN = o.map.get('elem');
    if (elN !== undefined) {
      const items = elN.k === 'arr' ? elN.items : [elN];
      items.forEach((x, i) => s.elements.push(this.elem(x, `${p}.elem[${i}]`, s)));
    }
    // `: interval ipv4_addr . inet_service`: the JSON does not say so; its data have ranges.
    if (s.data && s.flags.includes('interval') && s.elements.some((e) => e.data && hasInterval(e.data)))
      (s as { data: NftSet['data'] }).data = { ...s.data, interval: true };
    t.sets.push(s);
  }

  typeList(n: JNode, p: string): NftDatatype[] {
    if (n.k === 'str') return n.v.split(' . ');
    if (n.k === 'arr') return n.items.map((x, i) => this.str(x, `${p}[${i}]`));
    return this.fail(n, p, 'a type name or an array of them expected');
  }

  addObject(cmd: string, k: string, o: Extract<JNode, { k: 'obj' }>, p: string): void {
    const t = this.findTable(o, p);
    const name = this.str(this.need(o, 'name', p), `${p}.name`);
    if (t.objects.some((x) => x.name === name && x.type === k)) {
      if (cmd === 'create') this.fail(o, p, `${k} ${name} exists`);
      return;
    }
    const handle = this.handleOf(t, o, p);
    const comment = this.optStr(o, 'comment', p);
    const base = { name, handle, ...(comment !== undefined ? { comment } : {}) };
    let ob: NftObject;
    switch (k) {
      case 'counter':
        ob = {
          ...base,
          type: 'counter',
          packets: this.optInt(o, 'packets', p) ?? 0,
          bytes: this.optInt(o, 'bytes', p) ?? 0,
        };
        break;
      case 'quota': {
        const invN = o.map.get('inv');
        ob = {
          ...base,
          type: 'quota',
          bytes: this.optInt(o, 'bytes', p) ?? 0,
          used: this.optInt(o, 'used', p) ?? 0,
          over: invN !== undefined && invN.k === 'bool' && invN.v,
        };
        break;
      }
      case 'limit': {
        const rate = this.int(this.need(o, 'rate', p), `${p}.rate`);
        const unitN = this.optStr(o, 'rate_unit', p);
        const bytes = unitN !== undefined && unitN !== 'packets';
        const burst = this.optInt(o, 'burst', p) ?? (bytes ? 0 : 5);
        const burstUnit = this.optStr(o, 'burst_unit', p) ?? 'bytes';
        const invN = o.map.get('inv');
        ob = {
          ...base,
          type: 'limit',
          rate: bytes ? rate * this.unit(unitN!, o, p) : rate,
          per: this.per(o, p),
          unit: bytes ? 'bytes' : 'packets',
          burst: bytes ? burst * this.unit(burstUnit, o, p) : burst,
          over: invN !== undefined && invN.k === 'bool' && invN.v,
        };
        break;
      }
      case 'ct helper': {
        const l3 = this.optStr(o, 'l3proto', p);
        const proto = this.optStr(o, 'protocol', p) ?? 'tcp';
        if (proto !== 'tcp' && proto !== 'udp')
          this.fail(o.map.get('protocol')!, `${p}.protocol`, 'tcp or udp expected');
        ob = {
          ...base,
          type: 'ct helper',
          helper: this.str(this.need(o, 'type', p), `${p}.type`),
          protocol: proto as 'tcp',
          ...(l3 !== undefined ? { l3proto: l3 } : {}),
        };
        break;
      }
      case 'ct timeout': {
        const l3 = this.optStr(o, 'l3proto', p);
        const polN = o.map.get('policy');
        const policy: [string, number][] = [];
        if (polN && polN.k === 'obj')
          for (const key of polN.keys) policy.push([key, this.int(polN.map.get(key)!, `${p}.policy.${key}`)]);
        // nft 1.0.6 takes tcp and udp (another protocol crashes its JSON reader).
        const prN = o.map.get('protocol');
        const protocol = prN ? this.str(prN, `${p}.protocol`) : 'tcp';
        if (protocol !== 'tcp' && protocol !== 'udp') this.fail(prN!, `${p}.protocol`, 'tcp or udp expected');
        ob = {
          ...base,
          type: 'ct timeout',
          protocol,
          ...(l3 !== undefined ? { l3proto: l3 } : {}),
          policy,
        };
        break;
      }
      case 'ct expectation': {
        const l3 = this.optStr(o, 'l3proto', p);
        ob = {
          ...base,
          type: 'ct expectation',
          protocol: this.optStr(o, 'protocol', p) ?? 'tcp',
          dport: this.optInt(o, 'dport', p) ?? 0,
          timeout: this.optInt(o, 'timeout', p) ?? 0,
          size: this.optInt(o, 'size', p) ?? 0,
          ...(l3 !== undefined ? { l3proto: l3 } : {}),
        };
        break;
      }
      case 'synproxy': {
        const fN = o.map.get('flags');
        const mss = this.optInt(o, 'mss', p);
        const wscale = this.optInt(o, 'wscale', p);
        const flags = fN ? synproxyFlags(this.strList(fN, `${p}.flags`)) : [];
        ob = {
          ...base,
          type: 'synproxy',
          ...(mss !== undefined ? { mss } : {}),
          ...(wscale !== undefined ? { wscale } : {}),
          ...(flags.length ? { flags } : {}),
        };
        break;
      }
      default:
        ob = { ...base, type: 'secmark', context: this.str(this.need(o, 'context', p), `${p}.context`) };
    }
    t.objects.push(ob);
  }

  unit(u: string, o: JNode, p: string): number {
    const U: Record<string, number> = { bytes: 1, kbytes: 1024, mbytes: 1024 * 1024 };
    const v = U[u];
    if (v === undefined) this.fail(o, p, `unknown unit "${u}" (bytes, kbytes, mbytes)`);
    return v!;
  }

  per(o: Extract<JNode, { k: 'obj' }>, p: string): 'second' | 'minute' | 'hour' | 'day' | 'week' {
    const n = this.need(o, 'per', p);
    const v = this.str(n, `${p}.per`);
    if (!['second', 'minute', 'hour', 'day', 'week'].includes(v))
      this.fail(n, `${p}.per`, 'second, minute, hour, day or week expected');
    return v as 'second';
  }

  del(k: string, v: JNode, p: string): void {
    const o = this.obj(v, p);
    if (k === 'table') {
      const fam = this.family(o, p);
      const name = this.str(this.need(o, 'name', p), `${p}.name`);
      const i = this.rs.tables.findIndex((x) => x.family === fam && x.name === name);
      if (i < 0) this.fail(v, p, `no table ${fam} ${name}`);
      this.rs.tables.splice(i, 1);
      return;
    }
    const t = this.findTable(o, p);
    if (k === 'rule') {
      const c = this.chainOf(o, p);
      const hN = this.need(o, 'handle', p);
      const h = this.int(hN, `${p}.handle`, 1);
      const i = c.rules.findIndex((r) => r.handle === h);
      if (i < 0) this.fail(hN, `${p}.handle`, `no rule with handle ${h} in chain ${c.name}`);
      c.rules.splice(i, 1);
      return;
    }
    const name = this.str(this.need(o, 'name', p), `${p}.name`);
    const list: { name: string }[] =
      k === 'chain'
        ? t.chains
        : k === 'set' || k === 'map'
          ? t.sets
          : k === 'flowtable'
            ? t.flowtables
            : t.objects.filter((x) => x.type === k);
    const i = list.findIndex((x) => x.name === name);
    if (i < 0) this.fail(v, p, `no ${k} ${name} in table ${t.family} ${t.name}`);
    const target = list[i]!;
    for (const arr of [t.chains, t.sets, t.flowtables, t.objects] as { name: string }[][]) {
      const j = arr.indexOf(target);
      if (j >= 0) arr.splice(j, 1);
    }
  }

  flush(k: string, v: JNode, p: string): void {
    if (k === 'ruleset') {
      this.rs.tables.length = 0;
      return;
    }
    const o = this.obj(v, p);
    if (k === 'table') {
      const t = this.findTable(o, p, 'name');
      for (const c of t.chains) c.rules.length = 0;
      for (const s of t.sets) s.elements.length = 0;
      return;
    }
    if (k === 'chain') {
      this.chainOf(o, p, 'name').rules.length = 0;
      return;
    }
    if (k === 'set' || k === 'map') {
      const t = this.findTable(o, p);
      const nameN = this.need(o, 'name', p);
      const s = t.sets.find((x) => x.name === this.str(nameN, `${p}.name`));
      if (!s) this.fail(nameN, `${p}.name`, 'no such set');
      s!.elements.length = 0;
      return;
    }
    this.fail(v, p, `cannot flush "${k}"`);
  }

  // -- statements -------------------------------------------------------------------------

  /**
   * A statement nft 1.0.6 has no JSON form for, which `nft -j list` prints as its text (the map
   * statement, `last`): read by the text reader as a rule of the table (its sets and objects
   * known, so a map's data is typed). nft 1.0.6 itself refuses such strings on input.
   */
  textStmt(n: Extract<JNode, { k: 'str' }>, p: string, ctx: Ctx): NftStmt {
    const t = ctx.table;
    const table = { ...t, sets: t.sets.map(asDynamic), chains: [{ name: 'json', handle: 0, rules: [] }] };
    const base: NftRuleset = { tables: [table] };
    const r = parseNftText(
      [{ text: `add rule ${t.family} ${t.name} json ${n.v}`, file: this.file, line: 1, column: 1 }],
      { base },
    );
    if (!r.ok) this.fail(n, p, `the statement text: ${r.diagnostics[0]!.message}`);
    const rule = r.ok ? r.ruleset.tables[0]!.chains.find((c) => c.name === 'json')!.rules[0] : undefined;
    if (rule?.stmts.length !== 1) this.fail(n, p, 'one statement expected');
    return stripPos(rule!.stmts[0]!);
  }

  stmt(n: JNode, p: string, ctx: Ctx): NftStmt {
    if (n.k === 'str') return this.textStmt(n, p, ctx);
    const [k, v] = this.single(n, p);
    const q = `${p}.${k}`;
    switch (k) {
      case 'accept':
      case 'drop':
      case 'continue':
      case 'return':
        if (v.k !== 'null') this.fail(v, q, 'null expected');
        return { kind: 'verdict', verdict: k };
      case 'jump':
      case 'goto': {
        const o = this.obj(v, q);
        return { kind: 'verdict', verdict: k, chain: this.str(this.need(o, 'target', q), `${q}.target`) };
      }
      case 'match': {
        const o = this.obj(v, q);
        const opN = this.need(o, 'op', q);
        const op = this.str(opN, `${q}.op`);
        const left = this.expr(this.need(o, 'left', q), `${q}.left`, undefined, ctx);
        const hint = typeOf(left, ctx);
        const rightN = this.need(o, 'right', q);
        const right = this.expr(rightN, `${q}.right`, hint, ctx);
        const bitmask =
          !Array.isArray(hint) && hint !== undefined && BITMASK_TYPES.has((hint as FieldType).type);
        switch (op) {
          case 'in':
            return { kind: 'match', left, op: 'implicit', right };
          case '==':
            // nft prints "==" where it is not implied: after a binop, before a bitmask value.
            return {
              kind: 'match',
              left,
              op: (bitmask && right.kind === 'value') || left.kind === 'binop' ? '==' : 'implicit',
              right,
            };
          case '!=':
          case '<':
          case '>':
          case '<=':
          case '>=':
            return { kind: 'match', left, op, right };
          case '!': {
            const mask: NftExpr = { kind: 'binop', op: '&', left, right };
            const zero: NftValue = {
              kind: 'value',
              type: bitmask ? (hint as FieldType).type : 'integer',
              value: 0,
            };
            return { kind: 'match', left: mask, op: '==', right: zero };
          }
          default:
            return this.fail(opN, `${q}.op`, 'one of ==, !=, <, >, <=, >=, in, ! expected');
        }
      }
      case 'counter':
        if (v.k === 'null') return { kind: 'counter', packets: 0, bytes: 0 };
        if (v.k === 'str') return { kind: 'objref', type: 'counter', name: strValue(v.v) };
        {
          const o = this.obj(v, q);
          return {
            kind: 'counter',
            packets: this.optInt(o, 'packets', q) ?? 0,
            bytes: this.optInt(o, 'bytes', q) ?? 0,
          };
        }
      case 'quota': {
        if (v.k === 'str') return { kind: 'objref', type: 'quota', name: strValue(v.v) };
        const o = this.obj(v, q);
        const val = this.int(this.need(o, 'val', q), `${q}.val`);
        const unit = this.optStr(o, 'val_unit', q) ?? 'bytes';
        const used = this.optInt(o, 'used', q) ?? 0;
        const usedUnit = this.optStr(o, 'used_unit', q) ?? 'bytes';
        const inv = o.map.get('inv');
        return {
          kind: 'quota',
          over: inv !== undefined && inv.k === 'bool' && inv.v,
          bytes: val * this.unit(unit, v, `${q}.val_unit`),
          used: used * this.unit(usedUnit, v, `${q}.used_unit`),
        };
      }
      case 'limit': {
        if (v.k === 'str') return { kind: 'objref', type: 'limit', name: strValue(v.v) };
        const o = this.obj(v, q);
        const rate = this.int(this.need(o, 'rate', q), `${q}.rate`);
        const rateUnit = this.optStr(o, 'rate_unit', q) ?? 'packets';
        const bytes = rateUnit !== 'packets';
        const burst = this.optInt(o, 'burst', q) ?? 0;
        const burstUnit = this.optStr(o, 'burst_unit', q) ?? 'bytes';
        const inv = o.map.get('inv');
        return {
          kind: 'limit',
          rate: bytes ? rate * this.unit(rateUnit, v, `${q}.rate_unit`) : rate,
          per: this.per(o, q),
          unit: bytes ? 'bytes' : 'packets',
          burst: bytes ? burst * this.unit(burstUnit, v, `${q}.burst_unit`) : burst || 5,
          over: inv !== undefined && inv.k === 'bool' && inv.v,
        };
      }
      case 'ct helper':
      case 'ct timeout':
      case 'ct expectation':
      case 'synproxy':
      case 'secmark':
        if (v.k === 'str') return { kind: 'objref', type: k, name: strValue(v.v) };
        if (k === 'synproxy') {
          const o = this.obj(v, q);
          const fN = o.map.get('flags');
          const mss = this.optInt(o, 'mss', q);
          const wscale = this.optInt(o, 'wscale', q);
          return {
            kind: 'synproxy',
            ...(mss !== undefined ? { mss } : {}),
            ...(wscale !== undefined ? { wscale } : {}),
            ...(fN ? { flags: synproxyFlags(this.strList(fN, `${q}.flags`)) } : {}),
          };
        }
        return {
          kind: 'objref',
          type: k,
          name: this.expr(v, q, { type: 'string', bits: 128 }, ctx),
        };
      case 'ct count': {
        const o = this.obj(v, q);
        const inv = o.map.get('inv');
        return {
          kind: 'connlimit',
          count: this.int(this.need(o, 'val', q), `${q}.val`),
          over: inv !== undefined && inv.k === 'bool' && inv.v,
        };
      }
      case 'mangle': {
        const o = this.obj(v, q);
        const target = this.expr(this.need(o, 'key', q), `${q}.key`, undefined, ctx);
        const vn = this.need(o, 'value', q);
        const value = this.expr(vn, `${q}.value`, typeOf(target, ctx), ctx);
        // What nft refuses to write (write-check.ts: `ip ttl` set from a loaded value, …).
        const wrong = writeError(target, value);
        if (wrong) this.fail(vn, `${q}.value`, wrong.message);
        return { kind: 'set', target, value };
      }
      case 'vmap': {
        const o = this.obj(v, q);
        const key = this.expr(this.need(o, 'key', q), `${q}.key`, undefined, ctx);
        const map = this.mapData(this.need(o, 'data', q), `${q}.data`, typeOf(key, ctx), undefined, ctx);
        return { kind: 'vmap', key, map };
      }
      case 'notrack':
        return { kind: 'notrack' };
      case 'flow': {
        const o = this.obj(v, q);
        const ftN = this.need(o, 'flowtable', q);
        const ft = this.str(ftN, `${q}.flowtable`);
        if (!ft.startsWith('@')) this.fail(ftN, `${q}.flowtable`, 'a flowtable reference "@name" expected');
        return { kind: 'flow', flowtable: ft.slice(1) };
      }
      case 'snat':
      case 'dnat':
      case 'masquerade':
      case 'redirect':
        return this.nat(k, v, q, ctx);
      case 'reject': {
        if (v.k === 'null') return { kind: 'reject' };
        const o = this.obj(v, q);
        const typeN = o.map.get('type');
        const type = typeN ? this.str(typeN, `${q}.type`) : undefined;
        if (type === 'tcp reset') return { kind: 'reject', with: { type: 'tcp reset' } };
        if (type !== undefined && type !== 'icmp' && type !== 'icmpv6' && type !== 'icmpx')
          this.fail(typeN!, `${q}.type`, 'tcp reset, icmp, icmpv6 or icmpx expected');
        const exprN = o.map.get('expr');
        let code = exprN
          ? exprN.k === 'num'
            ? String(exprN.v)
            : this.str(exprN, `${q}.expr`)
          : 'port-unreachable';
        const ctype = `${type ?? 'icmpx'}_code`;
        if (exprN && exprN.k === 'str' && symbolValue(ctype, code) === undefined)
          this.fail(exprN, `${q}.expr`, `unknown ${type ?? 'icmpx'} code`);
        if (exprN && exprN.k === 'num') code = symbolNameOr(ctype, exprN.v);
        const t = (type ?? 'icmpx') as 'icmp';
        const dflt = t === (ctx.family === 'ip' ? 'icmp' : ctx.family === 'ip6' ? 'icmpv6' : 'icmpx');
        if (dflt && code === 'port-unreachable') return { kind: 'reject' };
        return { kind: 'reject', with: { type: t, code } };
      }
      case 'log': {
        if (v.k === 'null') return { kind: 'log' };
        const o = this.obj(v, q);
        const prefix = this.optStr(o, 'prefix', q);
        const group = this.optInt(o, 'group', q, 0, 65535);
        const snaplen = this.optInt(o, 'snaplen', q);
        const qt = this.optInt(o, 'queue-threshold', q);
        const levelN = o.map.get('level');
        const level = levelN ? this.str(levelN, `${q}.level`) : undefined;
        const LEVELS = ['emerg', 'alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug', 'audit'];
        if (level !== undefined && !LEVELS.includes(level))
          this.fail(levelN!, `${q}.level`, 'unknown log level');
        const fN = o.map.get('flags');
        const flags = fN ? this.strList(fN, `${q}.flags`) : undefined;
        const FL = ['tcp sequence', 'tcp options', 'ip options', 'skuid', 'ether', 'all'];
        flags?.forEach((f, i) => {
          if (!FL.includes(f)) this.fail(fN!, `${q}.flags[${i}]`, `unknown log flag "${f}"`);
        });
        return {
          kind: 'log',
          ...(prefix !== undefined ? { prefix } : {}),
          ...(level !== undefined && level !== 'warn' ? { level } : {}),
          ...(flags ? { flags } : {}),
          ...(group !== undefined ? { group } : {}),
          ...(snaplen !== undefined ? { snaplen } : {}),
          ...(qt !== undefined ? { queueThreshold: qt } : {}),
        };
      }
      case 'queue': {
        if (v.k === 'null') return { kind: 'queue' };
        const o = this.obj(v, q);
        const numN = o.map.get('num');
        const fN = o.map.get('flags');
        const flags = fN ? this.strList(fN, `${q}.flags`) : undefined;
        flags?.forEach((f, i) => {
          if (f !== 'bypass' && f !== 'fanout')
            this.fail(fN!, `${q}.flags[${i}]`, 'bypass or fanout expected');
        });
        return {
          kind: 'queue',
          ...(numN ? { num: this.expr(numN, `${q}.num`, { type: 'integer', bits: 16 }, ctx) } : {}),
          ...(flags ? { flags: flags as 'bypass'[] } : {}),
        };
      }
      case 'set':
      case 'map': {
        const o = this.obj(v, q);
        const opN = this.need(o, 'op', q);
        const op = this.str(opN, `${q}.op`);
        if (op !== 'add' && op !== 'update' && op !== 'delete')
          this.fail(opN, `${q}.op`, 'add, update or delete expected');
        const refKey = k === 'map' ? 'map' : 'set';
        const setN = this.need(o, refKey, q);
        const ref = this.str(setN, `${q}.${refKey}`);
        if (!ref.startsWith('@')) this.fail(setN, `${q}.${refKey}`, 'a set reference "@name" expected');
        const s = ctx.table.sets.find((x) => x.name === ref.slice(1));
        const keyHint = s ? hintOfTypes(s.key.types) : undefined;
        let elemN = this.need(o, 'elem', q);
        let timeout: number | undefined;
        if (elemN.k === 'obj' && elemN.keys.length === 1 && elemN.keys[0] === 'elem') {
          const eo = this.obj(elemN.map.get('elem')!, `${q}.elem.elem`);
          const t = this.optInt(eo, 'timeout', `${q}.elem.elem`);
          if (t !== undefined) timeout = t * 1000;
          elemN = this.need(eo, 'val', `${q}.elem.elem`);
        }
        const key = this.expr(elemN, `${q}.elem`, keyHint, ctx);
        const dN = o.map.get('data');
        const data = dN
          ? this.expr(dN, `${q}.data`, s?.data ? hintOfTypes(s.data.types) : undefined, ctx)
          : undefined;
        const stN = o.map.get('stmt');
        let stmts: NftStmt[] | undefined;
        if (stN) {
          if (stN.k !== 'arr') this.fail(stN, `${q}.stmt`, 'an array of statements expected');
          stmts = (stN as Extract<JNode, { k: 'arr' }>).items.map((x, i) =>
            this.stmt(x, `${q}.stmt[${i}]`, ctx),
          );
        }
        const st: NftStmt = {
          kind: 'dynset',
          op,
          set: ref.slice(1),
          key,
          ...(data ? { data } : {}),
          ...(timeout !== undefined ? { timeout } : {}),
          ...(stmts ? { stmts } : {}),
        };
        // What the kernel answers for the statement on this set (dynset.ts), the set taken as
        // dynamic: nft's JSON never prints the flag (a listed map may well have it).
        const bad = s ? dynsetError(asDynamic(s), st, false) : undefined;
        if (bad) this.fail(setN, `${q}.${refKey}`, bad.message);
        return st;
      }
      case 'dup':
      case 'fwd': {
        if (v.k === 'null') return { kind: k };
        const o = this.obj(v, q);
        const fam = this.optStr(o, 'family', q);
        const aN = o.map.get('addr');
        const dN = o.map.get('dev');
        const addrHint: FieldType =
          fam === 'ip6' || (ctx.family === 'ip6' && fam === undefined)
            ? { type: 'ipv6_addr', bits: 128 }
            : { type: 'ipv4_addr', bits: 32 };
        return {
          kind: k,
          ...(fam === 'ip' || fam === 'ip6' ? { family: fam } : {}),
          ...(aN ? { addr: this.expr(aN, `${q}.addr`, addrHint, ctx) } : {}),
          ...(dN ? { dev: this.expr(dN, `${q}.dev`, { type: 'ifname', bits: 128 }, ctx) } : {}),
        };
      }
      case 'tproxy': {
        const o = this.obj(v, q);
        const fam = this.optStr(o, 'family', q);
        const aN = o.map.get('addr');
        const pN = o.map.get('port');
        const addrHint: FieldType =
          fam === 'ip6' || ctx.family === 'ip6'
            ? { type: 'ipv6_addr', bits: 128 }
            : { type: 'ipv4_addr', bits: 32 };
        return {
          kind: 'tproxy',
          ...(fam === 'ip' || fam === 'ip6' ? { family: fam } : {}),
          ...(aN ? { addr: this.expr(aN, `${q}.addr`, addrHint, ctx) } : {}),
          ...(pN ? { port: this.expr(pN, `${q}.port`, { type: 'inet_service', bits: 16 }, ctx) } : {}),
        };
      }
      case 'meter': {
        // `{"meter": {"key": K, "stmt": S, "size": N, "name": NAME}}` as `nft -j list` prints it
        // (json.c meter_stmt_json; a key with a timeout as `{"elem": {"val": K, "timeout": T}}`):
        // read as its text, so the checks and the model are the text reader's (parse.ts meter()).
        const o = this.obj(v, q);
        const name = this.str(this.need(o, 'name', q), `${q}.name`);
        const size = this.optInt(o, 'size', q, 0, 2 ** 32 - 1);
        let keyN = this.need(o, 'key', q);
        let timeout: number | undefined;
        if (keyN.k === 'obj' && keyN.keys.length === 1 && keyN.keys[0] === 'elem') {
          const eo = this.obj(keyN.map.get('elem')!, `${q}.key.elem`);
          const t = this.optInt(eo, 'timeout', `${q}.key.elem`);
          if (t !== undefined) timeout = t * 1000;
          keyN = this.need(eo, 'val', `${q}.key.elem`);
        }
        const key = this.expr(keyN, `${q}.key`, undefined, ctx);
        const inner = this.stmt(this.need(o, 'stmt', q), `${q}.stmt`, ctx);
        const fam = ctx.table.family;
        const text =
          `meter ${name}${size !== undefined ? ` size ${size}` : ''} { ${printExpr(key, fam)}` +
          `${timeout !== undefined ? ` timeout ${formatTime(timeout)}` : ''} ${stmtText(inner, fam, ctx.table)} }`;
        return this.textStmt({ k: 'str', v: text, off: n.off }, p, ctx);
      }
      default:
        return this.fail(n, p, `unknown or unsupported statement "${k}"`);
    }
  }

  nat(k: 'snat' | 'dnat' | 'masquerade' | 'redirect', v: JNode, q: string, ctx: Ctx): NftStmt {
    if (v.k === 'null') return { kind: 'nat', type: k };
    const o = this.obj(v, q);
    const famN = o.map.get('family');
    const fam = famN ? this.str(famN, `${q}.family`) : undefined;
    if (fam !== undefined && fam !== 'ip' && fam !== 'ip6')
      this.fail(famN!, `${q}.family`, 'ip or ip6 expected');
    const v6 = fam === 'ip6' || (fam === undefined && ctx.family === 'ip6');
    const addrHint: FieldType = v6 ? { type: 'ipv6_addr', bits: 128 } : { type: 'ipv4_addr', bits: 32 };
    const portHint: FieldType = { type: 'inet_service', bits: 16 };
    const fN = o.map.get('flags');
    const flags = fN ? this.strList(fN, `${q}.flags`) : [];
    const NF = ['random', 'fully-random', 'persistent', 'netmap'];
    flags.forEach((f, i) => {
      if (!NF.includes(f)) this.fail(fN!, `${q}.flags[${i}]`, `unknown nat flag "${f}"`);
    });
    const tfN = o.map.get('type_flags');
    const tflags = tfN ? this.strList(tfN, `${q}.type_flags`) : [];
    tflags.forEach((f, i) => {
      if (!['interval', 'prefix', 'concat'].includes(f))
        this.fail(tfN!, `${q}.type_flags[${i}]`, `unknown nat type flag "${f}"`);
    });
    const aN = o.map.get('addr');
    const pN = o.map.get('port');
    const addrPort = tflags.includes('concat');
    let addr: NftExpr | undefined;
    if (aN) {
      const hint: Hint = addrPort ? [addrHint, portHint] : addrHint;
      addr = this.expr(aN, `${q}.addr`, hint, ctx);
      if (addr.kind === 'map' && addr.map.kind === 'set' && !addrPort) {
        // `dnat ip to ip daddr . tcp dport map { a . p : b . q }`: the data is an address and a port.
        const d = addr.map.elements[0]?.data;
        if (d?.kind === 'concat') addr = { ...addr, map: this.retypeMapData(addr.map, [addrHint, portHint]) };
      }
    }
    const port = pN ? this.expr(pN, `${q}.port`, portHint, ctx) : undefined;
    const natFlags = ['random', 'fully-random', 'persistent'].filter((f) => flags.includes(f));
    return {
      kind: 'nat',
      type: k,
      ...(fam ? { family: fam as 'ip' } : {}),
      ...(addr ? { addr } : {}),
      ...(port ? { port } : {}),
      ...(addrPort ? { addrPort: true } : {}),
      ...(tflags.includes('prefix') ? { prefix: true } : {}),
      ...(natFlags.length > 0 ? { flags: natFlags } : {}),
    };
  }

  retypeMapData(m: Extract<NftExpr, { kind: 'set' }>, _h: readonly FieldType[]): NftExpr {
    return m; // data were already read with the concat's own hints where given
  }

  // -- expressions ------------------------------------------------------------------------

  expr(n: JNode, p: string, hint: Hint, ctx: Ctx): NftExpr {
    switch (n.k) {
      case 'str': {
        if (n.v.startsWith('@')) return { kind: 'setref', name: n.v.slice(1) };
        if (n.v === '*') return { kind: 'wildcard' };
        return this.value(n, p, hint);
      }
      case 'num':
      case 'bool':
        return this.value(n, p, hint);
      case 'arr': {
        const h = Array.isArray(hint) ? undefined : (hint as FieldType | undefined);
        if (h && BITMASK_TYPES.has(h.type)) {
          let acc = 0;
          n.items.forEach((x, i) => {
            const val = this.value(x, `${p}[${i}]`, h);
            if (typeof val.value === 'number') acc += val.value;
          });
          return { kind: 'value', type: h.type, value: acc };
        }
        return {
          kind: 'set',
          elements: n.items.map((x, i) => this.setElem(x, `${p}[${i}]`, hint, undefined, ctx)),
        };
      }
      case 'null':
        return this.fail(n, p, 'an expression expected');
      case 'obj':
        break;
    }
    const [k, v] = this.single(n, p);
    const q = `${p}.${k}`;
    switch (k) {
      case 'payload': {
        const o = this.obj(v, q);
        const protoN = o.map.get('protocol');
        if (protoN) {
          const proto = this.str(protoN, `${q}.protocol`);
          const fields = PAYLOAD_FIELDS[proto];
          if (!fields) this.fail(protoN, `${q}.protocol`, 'unknown payload protocol');
          const fN = this.need(o, 'field', q);
          const field = this.str(fN, `${q}.field`);
          if (!fields![field])
            this.fail(fN, `${q}.field`, `unknown ${proto} field (one of ${Object.keys(fields!).join(', ')})`);
          return { kind: 'payload', proto, field };
        }
        const baseN = this.need(o, 'base', q);
        const base = this.str(baseN, `${q}.base`);
        if (!['ll', 'nh', 'th', 'ih'].includes(base))
          this.fail(baseN, `${q}.base`, 'll, nh, th or ih expected');
        return {
          kind: 'rawpayload',
          base: base as 'll',
          offset: this.int(this.need(o, 'offset', q), `${q}.offset`, 0, 65535),
          len: this.int(this.need(o, 'len', q), `${q}.len`, 1, 128),
        };
      }
      case 'meta': {
        const o = this.obj(v, q);
        const kN = this.need(o, 'key', q);
        const key = this.str(kN, `${q}.key`);
        if (!META_KEYS[key]) this.fail(kN, `${q}.key`, 'unknown meta key');
        return { kind: 'meta', key };
      }
      case 'ct': {
        const o = this.obj(v, q);
        const kN = this.need(o, 'key', q);
        let key = this.str(kN, `${q}.key`);
        let family: 'ip' | 'ip6' | undefined;
        const m = /^(ip6?) (saddr|daddr)$/.exec(key);
        if (m) {
          family = m[1] as 'ip';
          key = m[2]!;
        }
        if (!ctKeyType(key)) this.fail(kN, `${q}.key`, 'unknown ct key');
        const dN = o.map.get('dir');
        const dir = dN ? this.str(dN, `${q}.dir`) : undefined;
        if (dir !== undefined && dir !== 'original' && dir !== 'reply')
          this.fail(dN!, `${q}.dir`, 'original or reply expected');
        return { kind: 'ct', key, ...(dir ? { dir: dir as 'original' } : {}), ...(family ? { family } : {}) };
      }
      case 'fib': {
        const o = this.obj(v, q);
        const rN = this.need(o, 'result', q);
        const result = this.str(rN, `${q}.result`);
        if (result !== 'oif' && result !== 'oifname' && result !== 'type')
          this.fail(rN, `${q}.result`, 'oif, oifname or type expected');
        const fN = o.map.get('flags');
        const flags = fN ? this.strList(fN, `${q}.flags`) : [];
        const ORDER = ['saddr', 'daddr', 'mark', 'iif', 'oif'];
        flags.forEach((f, i) => {
          if (!ORDER.includes(f))
            this.fail(fN!, `${q}.flags[${i}]`, 'saddr, daddr, mark, iif or oif expected');
        });
        return { kind: 'fib', flags: ORDER.filter((f) => flags.includes(f)), result: result as 'oif' };
      }
      case 'numgen': {
        const o = this.obj(v, q);
        const mN = this.need(o, 'mode', q);
        const mode = this.str(mN, `${q}.mode`);
        if (mode !== 'inc' && mode !== 'random') this.fail(mN, `${q}.mode`, 'inc or random expected');
        return {
          kind: 'numgen',
          mode: mode as 'inc',
          mod: this.int(this.need(o, 'mod', q), `${q}.mod`, 1, 2 ** 32 - 1),
          offset: this.optInt(o, 'offset', q, 0, 2 ** 32 - 1) ?? 0,
        };
      }
      case 'jhash':
      case 'symhash': {
        const o = this.obj(v, q);
        const eN = o.map.get('expr');
        if (k === 'jhash' && !eN) this.fail(v, q, '"expr" missing');
        const seed = this.optInt(o, 'seed', q, 0, 2 ** 32 - 1);
        return {
          kind: 'hash',
          type: k,
          ...(eN ? { expr: this.expr(eN, `${q}.expr`, undefined, ctx) } : {}),
          mod: this.int(this.need(o, 'mod', q), `${q}.mod`, 1, 2 ** 32 - 1),
          ...(seed !== undefined ? { seed } : {}),
          offset: this.optInt(o, 'offset', q, 0, 2 ** 32 - 1) ?? 0,
        };
      }
      case 'tcp option':
      case 'ip option':
      case 'sctp chunk':
      case 'exthdr': {
        const o = this.obj(v, q);
        const name = this.str(this.need(o, 'name', q), `${q}.name`);
        const field = this.optStr(o, 'field', q);
        return { kind: 'exthdr', hdr: k, name, ...(field !== undefined ? { field } : { exists: true }) };
      }
      case 'ipsec': {
        // Read and printed only, as nft's words: `ipsec in [spnum N] [ip|ip6] reqid`.
        const o = this.obj(v, q);
        const key = this.str(this.need(o, 'key', q), `${q}.key`);
        const dir = this.optStr(o, 'dir', q) ?? 'in';
        const spnum = this.optInt(o, 'spnum', q) ?? 0;
        const fam = this.optStr(o, 'family', q);
        return {
          kind: 'misc',
          words: `ipsec ${dir}${spnum ? ` spnum ${spnum}` : ''} ${fam ? `${fam} ` : ''}${key}`,
        };
      }
      case 'rt':
      case 'socket':
      case 'osf': {
        const o = this.obj(v, q);
        const key = this.str(this.need(o, 'key', q), `${q}.key`);
        return { kind: 'misc', words: `${k} ${key}` };
      }
      case '&':
      case '|':
      case '^':
      case '<<':
      case '>>': {
        if (v.k !== 'arr' || v.items.length !== 2) this.fail(v, q, 'an array of two expressions expected');
        const [l, r] = (v as Extract<JNode, { k: 'arr' }>).items as [JNode, JNode];
        const left = this.expr(l, `${q}[0]`, hint, ctx);
        const lt = typeOf(left, ctx) ?? hint;
        const rh: Hint = k === '<<' || k === '>>' ? { type: 'integer', bits: 32 } : lt;
        const right = this.expr(r, `${q}[1]`, rh, ctx);
        return { kind: 'binop', op: k, left, right };
      }
      case 'concat': {
        if (v.k !== 'arr') this.fail(v, q, 'an array expected');
        // An address's hint on a concatenation of two is the nat target `addr . port`.
        const one = !Array.isArray(hint) ? (hint as FieldType | undefined) : undefined;
        const hs = Array.isArray(hint)
          ? (hint as readonly FieldType[])
          : one &&
              (one.type === 'ipv4_addr' || one.type === 'ipv6_addr') &&
              v.k === 'arr' &&
              v.items.length === 2
            ? [one, { type: 'inet_service', bits: 16 }]
            : undefined;
        const items = (v as Extract<JNode, { k: 'arr' }>).items.map((x, i) =>
          this.expr(x, `${q}[${i}]`, hs?.[i], ctx),
        );
        return { kind: 'concat', items };
      }
      case 'set': {
        if (v.k === 'str' && v.v.startsWith('@')) return { kind: 'setref', name: v.v.slice(1) };
        const items = v.k === 'arr' ? v.items : [v];
        return {
          kind: 'set',
          elements: items.map((x, i) =>
            this.setElem(x, v.k === 'arr' ? `${q}[${i}]` : q, hint, undefined, ctx),
          ),
        };
      }
      case 'map': {
        const o = this.obj(v, q);
        const key = this.expr(this.need(o, 'key', q), `${q}.key`, undefined, ctx);
        const map = this.mapData(this.need(o, 'data', q), `${q}.data`, typeOf(key, ctx), hint, ctx);
        return { kind: 'map', key, map };
      }
      case 'prefix': {
        const o = this.obj(v, q);
        const value = this.expr(this.need(o, 'addr', q), `${q}.addr`, hint, ctx);
        const bits = !Array.isArray(hint) && hint ? (hint as FieldType).bits : 128;
        return { kind: 'prefix', value, len: this.int(this.need(o, 'len', q), `${q}.len`, 0, bits) };
      }
      case 'range': {
        if (v.k !== 'arr' || v.items.length !== 2) this.fail(v, q, 'an array of two values expected');
        const [l, r] = (v as Extract<JNode, { k: 'arr' }>).items as [JNode, JNode];
        return {
          kind: 'range',
          low: this.expr(l, `${q}[0]`, hint, ctx),
          high: this.expr(r, `${q}[1]`, hint, ctx),
        };
      }
      case 'accept':
      case 'drop':
      case 'continue':
      case 'return':
        return { kind: 'verdict', verdict: k };
      case 'jump':
      case 'goto': {
        const o = this.obj(v, q);
        return { kind: 'verdict', verdict: k, chain: this.str(this.need(o, 'target', q), `${q}.target`) };
      }
      default:
        return this.fail(n, p, `unknown expression "${k}"`);
    }
  }

  /** A map's data: `{"set": [[k, v], ...]}`, a bare array of pairs, or `"@name"`. */
  mapData(n: JNode, p: string, keyHint: Hint, dataHint: Hint, ctx: Ctx): NftExpr {
    if (n.k === 'str') {
      if (!n.v.startsWith('@')) this.fail(n, p, 'a map reference "@name" or a set of pairs expected');
      return { kind: 'setref', name: n.v.slice(1) };
    }
    let items: readonly JNode[];
    let q = p;
    if (n.k === 'obj' && n.keys.length === 1 && n.keys[0] === 'set') {
      const s = n.map.get('set')!;
      if (s.k === 'str') return this.mapData(s, `${p}.set`, keyHint, dataHint, ctx);
      if (s.k !== 'arr') this.fail(s, `${p}.set`, 'an array of [key, data] pairs expected');
      items = (s as Extract<JNode, { k: 'arr' }>).items;
      q = `${p}.set`;
    } else if (n.k === 'arr') items = n.items;
    else return this.fail(n, p, 'a set of [key, data] pairs expected');
    return {
      kind: 'set',
      elements: items.map((x, i) => this.setElem(x, `${q}[${i}]`, keyHint, dataHint ?? VERDICT, ctx)),
    };
  }

  /** One element: a key, `{"elem": {"val": key, ...}}`, or `[key, data]` in a map. */
  setElem(n: JNode, p: string, keyHint: Hint, dataHint: Hint, ctx: Ctx): NftSetElem {
    if (dataHint !== undefined) {
      if (n.k !== 'arr' || n.items.length !== 2) this.fail(n, p, 'a [key, data] pair expected');
      const [kn, dn] = (n as Extract<JNode, { k: 'arr' }>).items as [JNode, JNode];
      const e = this.setElem(kn, `${p}[0]`, keyHint, undefined, ctx);
      const data =
        dataHint === VERDICT
          ? this.verdictOrExpr(dn, `${p}[1]`, ctx)
          : this.expr(dn, `${p}[1]`, dataHint, ctx);
      return { ...e, data };
    }
    if (n.k === 'obj' && n.keys.length === 1 && n.keys[0] === 'elem') {
      const q = `${p}.elem`;
      const o = this.obj(n.map.get('elem')!, q);
      const key = this.expr(this.need(o, 'val', q), `${q}.val`, keyHint, ctx);
      const timeout = this.optInt(o, 'timeout', q);
      const expires = this.optInt(o, 'expires', q);
      const comment = this.optStr(o, 'comment', q);
      const stmts: NftStmt[] = [];
      for (const sk of o.keys) {
        if (['val', 'timeout', 'expires', 'comment'].includes(sk)) continue;
        stmts.push(
          this.stmt(
            { k: 'obj', keys: [sk], map: new Fields().set(sk, o.map.get(sk)!), off: o.map.get(sk)!.off },
            `${q}`,
            ctx,
          ),
        );
      }
      return {
        key,
        ...(timeout !== undefined ? { timeout: timeout * 1000 } : {}),
        ...(expires !== undefined ? { expires: expires * 1000 } : {}),
        ...(comment !== undefined ? { comment } : {}),
        ...(stmts.length > 0 ? { stmts } : {}),
      };
    }
    return { key: this.expr(n, p, keyHint, ctx) };
  }

  /** An element of a named set or map (typed by the set's declaration). */
  elem(n: JNode, p: string, s: NftSet, ctx?: Ctx): NftSetElem {
    const c: Ctx = ctx ?? {
      family: 'ip',
      table: { family: 'ip', name: '', handle: 0, chains: [], sets: [], flowtables: [], objects: [] },
    };
    const keyHint = hintOfTypes(s.key.types);
    const dataHint: Hint = s.objType
      ? { type: 'string', bits: 128 }
      : s.data
        ? s.data.types.length === 1 && s.data.types[0] === 'verdict'
          ? VERDICT
          : hintOfTypes(s.data.types)
        : undefined;
    return this.setElem(n, p, keyHint, dataHint, c);
  }

  verdictOrExpr(n: JNode, p: string, ctx: Ctx): NftExpr {
    return this.expr(n, p, undefined, ctx);
  }

  /** A constant of the hinted datatype. */
  value(n: JNode, p: string, hint: Hint): NftValue {
    const h: FieldType | undefined = Array.isArray(hint) ? undefined : (hint as FieldType | undefined);
    const type = h?.type ?? (n.k === 'num' ? 'integer' : n.k === 'bool' ? 'boolean' : 'string');
    const val = (value: number | string): NftValue => ({ kind: 'value', type, value });
    if (n.k === 'bool') return { kind: 'value', type: 'boolean', value: n.v ? 1 : 0 };
    if (n.k === 'num') {
      // A negative integer is nft's int64 print of a 64-bit value of 2^63 or more (json_integer).
      if (
        n.int &&
        n.v < 0 &&
        n.v >= -(2 ** 63) &&
        type !== 'time' &&
        type !== 'ct_label' &&
        type !== 'classid'
      )
        return val((2n ** 64n + BigInt(n.raw)).toString());
      if (!n.int || n.v < 0) this.fail(n, p, `a ${type} value expected`);
      if (type === 'time') return val(n.v * 1000);
      if (type === 'ct_label' || type === 'classid') return val(n.raw);
      if (!Number.isSafeInteger(n.v)) return val(BigInt(n.raw).toString());
      return val(n.v);
    }
    if (n.k !== 'str') return this.fail(n, p, `a ${type} value expected`);
    const s = n.v;
    switch (type) {
      case 'ipv4_addr': {
        const a = parseIpv4(s);
        if (a === undefined) this.fail(n, p, 'an IPv4 address expected');
        return val(a!);
      }
      case 'ipv6_addr': {
        const c = canonicalIpv6(s);
        if (c === undefined) this.fail(n, p, 'an IPv6 address expected');
        return val(c!);
      }
      case 'ether_addr':
      case 'll_addr': {
        const a = parseEther(s);
        if (a === undefined) this.fail(n, p, 'an Ethernet address expected');
        return val(a!);
      }
      case 'ifname':
      case 'string':
      case 'iface_index':
        return val(s);
      case 'inet_service': {
        const port = /^\d+$/.test(s) ? Number(s) : SERVICES[s];
        if (port === undefined || port > 65535) this.fail(n, p, 'a port number or service name expected');
        return val(port!);
      }
      case 'time': {
        // meta time: a date, as nft lists it back ("2022-05-30" is "2022-05-30 00:00:00"), as the
        // text reader keeps it.
        if (/^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$/.test(s)) {
          const sec = parseDate(s);
          if (sec !== undefined) return { kind: 'value', type: 'string', value: formatDate(sec) };
        }
        const ms = parseDuration(s);
        if (ms === undefined) this.fail(n, p, 'a time (seconds, or like 1h30m) expected');
        return val(ms!);
      }
      case 'day':
        if (symbolValue('day', s) === undefined) this.fail(n, p, 'a day (Sunday to Saturday) expected');
        return { kind: 'value', type: 'day', value: symbolValue('day', s)! };
      case 'hour': {
        const sec = parseHour(s);
        if (sec === undefined) this.fail(n, p, 'an hour "HH:MM" expected');
        return { kind: 'value', type: 'hour', value: sec! };
      }
      case 'classid':
        if (!/^(root|none|[0-9a-fA-F]{1,4}:[0-9a-fA-F]{1,4})$/.test(s))
          this.fail(n, p, 'a class id "major:minor" expected');
        return val(s);
      case 'ct_label':
        return val(s);
      case 'devgroup':
        if (s === 'default') return val(0);
        break;
      case 'boolean':
        if (s === 'exists' || s === 'true') return val(1);
        if (s === 'missing' || s === 'false') return val(0);
        break;
    }
    const sym = symbolValue(type, s);
    if (sym !== undefined) return val(sym);
    if (BITMASK_TYPES.has(type) && s.includes(',')) {
      let acc = 0;
      for (const part of s.split(',')) {
        const b = symbolValue(type, part.trim());
        if (b === undefined) this.fail(n, p, `unknown ${type} "${part.trim()}"`);
        acc += b!;
      }
      return val(acc);
    }
    if (/^0x[0-9a-fA-F]+$/.test(s) || /^\d+$/.test(s)) {
      const b = BigInt(s);
      return b <= BigInt(Number.MAX_SAFE_INTEGER) ? val(Number(b)) : val(b.toString());
    }
    if (h === undefined) return val(s);
    return this.fail(n, p, `not a ${type} value`);
  }
}

class Skip {}

interface Ctx {
  readonly family: NftFamily;
  readonly table: NftTable;
}

const VERDICT: FieldType = { type: 'verdict', bits: 32 };

/** A set with the `dynamic` flag, which nft's JSON never prints (the kernel checks of dynset.ts). */
function asDynamic(s: NftSet): NftSet {
  return s.flags.includes('dynamic') ? s : { ...s, flags: ['dynamic', ...s.flags] };
}

/** The order nft 1.0.6 lists set flags in (rule.c set_print_declaration). */
const SET_FLAG_ORDER = ['constant', 'dynamic', 'interval', 'timeout'];

/**
 * A set the packet path adds to or updates is `dynamic` (nft sets NFT_SET_EVAL, and the default
 * size 65535, when a rule refers to it: `nft -j -f` then `nft list ruleset` shows both; the JSON
 * listing never prints the flag).
 */
function markDynamicSets(rs: NftRuleset): void {
  for (const t of rs.tables) {
    const used = new Set<string>();
    for (const c of t.chains)
      for (const r of c.rules) for (const s of r.stmts) if (s.kind === 'dynset') used.add(s.set);
    for (let i = 0; i < t.sets.length; i++) {
      const s = t.sets[i]!;
      // A map keeps its flags (nft's map statement sets no NFT_SET_EVAL); the kernel sizes both.
      if (!used.has(s.name) || (s.flags.includes('dynamic') && s.size !== undefined)) continue;
      t.sets[i] = {
        ...s,
        flags: s.isMap ? s.flags : SET_FLAG_ORDER.filter((f) => f === 'dynamic' || s.flags.includes(f)),
        size: s.size ?? 65535,
      };
    }
  }
}

/**
 * `reject with tcp reset` needs the packet to be TCP: nft puts a `meta l4proto tcp` before it
 * (and hides it again when listing), as the text reader does when nothing before says TCP.
 */
function addTcpDependency(stmts: NftStmt[]): void {
  for (let i = 0; i < stmts.length; i++) {
    const s = stmts[i]!;
    if (s.kind !== 'reject' || s.with?.type !== 'tcp reset') continue;
    if (stmts.slice(0, i).some(isTcpContext)) continue;
    stmts.splice(i, 0, {
      kind: 'match',
      left: { kind: 'meta', key: 'l4proto' },
      op: 'implicit',
      right: { kind: 'value', type: 'inet_proto', value: 6 },
    });
    i++;
  }
}

function strValue(s: string): NftValue {
  return { kind: 'value', type: 'string', value: s };
}

function symbolNameOr(type: string, v: number): string {
  return symbolName(type, v) ?? String(v);
}

function parseDuration(s: string): number | undefined {
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const re = /(\d+)(ms|d|h|m|s)/gy;
  let total = 0;
  let at = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * TIME_UNITS[m[2]!]!;
    at = re.lastIndex;
  }
  return at === s.length && at > 0 ? total : undefined;
}

function hintOfTypes(types: readonly string[]): Hint {
  const fts = types.map((t) => ({ type: t, bits: TYPE_BITS[t] ?? 32 }));
  return fts.length === 1 ? fts[0] : fts;
}

const TYPE_BITS: Record<string, number> = {
  ipv4_addr: 32,
  ipv6_addr: 128,
  ether_addr: 48,
  inet_service: 16,
  inet_proto: 8,
  mark: 32,
  ifname: 128,
  ct_state: 32,
  verdict: 32,
};

/** The datatype an expression gives (what a constant compared with it is read as). */
export function typeOf(e: NftExpr, ctx: { readonly family: NftFamily }): Hint {
  switch (e.kind) {
    case 'payload':
      return PAYLOAD_FIELDS[e.proto]?.[e.field];
    case 'rawpayload':
      return { type: 'integer', bits: e.len };
    case 'meta':
      return META_KEYS[e.key];
    case 'ct':
      return ctKeyType(e.key, e.family ?? (ctx.family === 'ip6' ? 'ip6' : 'ip'));
    case 'fib':
      return e.result === 'oif'
        ? { type: 'iface_index', bits: 32 }
        : e.result === 'oifname'
          ? { type: 'ifname', bits: 128 }
          : { type: 'fib_addrtype', bits: 32 };
    case 'numgen':
    case 'hash':
      return { type: 'integer', bits: 32 };
    case 'binop':
      return typeOf(e.left, ctx);
    case 'concat': {
      const parts = e.items.map((x) => typeOf(x, ctx));
      return parts.every((x) => x !== undefined && !Array.isArray(x)) ? (parts as FieldType[]) : undefined;
    }
    case 'exthdr':
      return { type: 'integer', bits: 32 };
    case 'value':
      return { type: e.type, bits: e.bits ?? TYPE_BITS[e.type] ?? 32 };
    default:
      return undefined;
  }
}

/** The offset where each line of `text` starts (the first is 0). */
function lineStartsOf(text: string): number[] {
  const out = [0];
  for (let j = text.indexOf('\n'); j >= 0; j = text.indexOf('\n', j + 1)) out.push(j + 1);
  return out;
}
