// The model to `nft -j list ruleset` (libnftables-json as nftables 1.0.6 prints it, src/json.c):
// per table the table, its named objects, sets and maps, flowtables and chains, then all its
// rules; every object with its handle; constants as json.c's datatype printers give them
// (addresses and symbols as strings, ports, marks and integers as numbers, times in seconds).
import { payloadWriteListing } from './write-listing.ts';
import { vlanRawListing } from './raw-payload.ts';
import type {
  NftChain,
  NftExpr,
  NftFamily,
  NftFlowtable,
  NftObject,
  NftRule,
  NftRuleset,
  NftSet,
  NftSetElem,
  NftStmt,
  NftTable,
  NftValue,
} from './model.ts';
import { dumpJson, type JOut } from './json-value.ts';
import { CT_TIMEOUT_STATES, ctHelperL3proto, formatHour } from './types.ts';
import { CT_NO_DIR, listedStmts, natFamily, stmtText } from './print.ts';
import { listOrder } from './normalise.ts';
import {
  BITMASK_TYPES,
  META_KEYS,
  PAYLOAD_FIELDS,
  bitNames,
  ctKeyType,
  etherText,
  ipv4Text,
  symbolName,
} from './json-types.ts';

type JObj = { [k: string]: JOut };

export const NFT_JSON_METAINFO: JObj = {
  metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 },
};

/** What `nft -j list ruleset` prints for the ruleset (one line and a newline). */
export function printNftJsonText(rs: NftRuleset): string {
  const items: JOut[] = [NFT_JSON_METAINFO];
  for (const t of rs.tables) items.push(...tableItems(t));
  return dumpJson({ nftables: items }) + '\n';
}

function tableItems(t: NftTable): JOut[] {
  const out: JOut[] = [];
  const tj: JObj = { family: t.family, name: t.name, handle: t.handle };
  const flags = (t.flags ?? []).map((f) => f);
  if (flags.length === 1) tj['flags'] = flags[0]!;
  else if (flags.length > 1) tj['flags'] = flags;
  out.push({ table: tj });
  for (const o of t.objects) out.push(objectJson(t, o));
  for (const s of t.sets) out.push(setJson(t, s));
  for (const f of t.flowtables) out.push(flowtableJson(t, f));
  for (const c of t.chains) out.push(chainJson(t, c));
  for (const c of t.chains) for (const r of c.rules) out.push(ruleJson(t, c, r));
  return out;
}

function chainJson(t: NftTable, c: NftChain): JOut {
  const o: JObj = { family: t.family, table: t.name, name: c.name, handle: c.handle };
  if (c.base) {
    o['type'] = c.base.type;
    o['hook'] = c.base.hook;
    o['prio'] = c.base.priority;
    o['policy'] = c.base.policy;
  }
  return { chain: o };
}

function ruleJson(t: NftTable, c: NftChain, r: NftRule): JOut {
  const o: JObj = { family: t.family, table: t.name, chain: c.name, handle: r.handle };
  if (r.comment !== undefined) o['comment'] = r.comment;
  const ctx: Ctx = { family: t.family, table: t, stateless: false };
  // The rule as nft lists it back: the same statements as the text listing.
  const stmts = listedStmts(vlanRawListing(payloadWriteListing(r.stmts, t.family)), t.family);
  if (stmts.length > 0) o['expr'] = stmts.map((s) => stmtJson(s, ctx));
  return { rule: o };
}

const OBJECT_TYPES = [
  'counter',
  'quota',
  'limit',
  'ct helper',
  'ct timeout',
  'ct expectation',
  'synproxy',
  'secmark',
];

/** A datatype named by the expression words of a `typeof` (`ct mark` is mark). */
function typeOfWords(words: string): string {
  const w = words.split(' ');
  if (w[0] === 'ct' && w.length === 2) return ctKeyType(w[1]!)?.type ?? words;
  if (w[0] === 'meta' && w.length === 2) return META_KEYS[w[1]!]?.type ?? words;
  if (w.length === 2) return PAYLOAD_FIELDS[w[0]!]?.[w[1]!]?.type ?? words;
  return words;
}

function typeNames(types: readonly string[]): JOut {
  return types.length === 1 ? types[0]! : [...types];
}

function setJson(t: NftTable, s: NftSet): JOut {
  const o: JObj = {
    family: t.family,
    name: s.name,
    table: t.name,
    type: typeNames(s.key.types),
    handle: s.handle,
  };
  if (s.comment !== undefined) o['comment'] = s.comment;
  if (s.objType !== undefined && OBJECT_TYPES.includes(s.objType)) o['map'] = s.objType;
  else if (s.objType !== undefined) o['map'] = typeOfWords(s.objType);
  else if (s.isMap && s.data) o['map'] = s.data.types.join(' . ');
  const constant = s.flags.includes('constant');
  if (!constant) {
    if (s.policy !== undefined && s.policy !== 'performance') o['policy'] = s.policy;
    if (s.size) o['size'] = s.size;
  }
  const flags = ['constant', 'interval', 'timeout'].filter((f) => s.flags.includes(f));
  if (flags.length > 0) o['flags'] = flags;
  if (s.timeout) o['timeout'] = Math.floor(s.timeout / 1000);
  if (s.gcInterval) o['gc-interval'] = Math.floor(s.gcInterval / 1000);
  const ctx: Ctx = { family: t.family, table: t, stateless: false };
  if (s.elements.length > 0) o['elem'] = listOrder(s.elements).map((e) => elemJson(e, ctx));
  if (s.stmts && s.stmts.length > 0) o['stmt'] = s.stmts.map((x) => stmtJson(x, { ...ctx, stateless: true }));
  return { [s.isMap || s.objType !== undefined ? 'map' : 'set']: o };
}

function flowtableJson(t: NftTable, f: NftFlowtable): JOut {
  const o: JObj = {
    family: t.family,
    name: f.name,
    table: t.name,
    handle: f.handle,
    hook: f.hook,
    prio: f.priority,
  };
  if (f.devices.length === 1) o['dev'] = f.devices[0]!;
  else if (f.devices.length > 1) o['dev'] = [...f.devices];
  return { flowtable: o };
}

function objectJson(t: NftTable, ob: NftObject): JOut {
  const o: JObj = { family: t.family, name: ob.name, table: t.name, handle: ob.handle };
  if (ob.comment !== undefined) o['comment'] = ob.comment;
  switch (ob.type) {
    case 'counter':
      o['packets'] = ob.packets;
      o['bytes'] = ob.bytes;
      break;
    case 'quota':
      o['bytes'] = ob.bytes;
      o['used'] = ob.used;
      o['inv'] = ob.over;
      break;
    case 'secmark':
      o['context'] = ob.context;
      break;
    case 'ct helper':
      o['type'] = ob.helper;
      o['protocol'] = ob.protocol;
      o['l3proto'] = ctHelperL3proto(ob.helper, t.family, ob.l3proto);
      break;
    case 'ct timeout': {
      o['protocol'] = ob.protocol;
      o['l3proto'] = ob.l3proto ?? t.family;
      // timeout_policy_json: the states that differ from nft's defaults, in nft's order.
      const given = new Map(ob.policy);
      const pol: JObj = {};
      let any = false;
      for (const [st, dflt] of CT_TIMEOUT_STATES[ob.protocol] ?? [])
        if (given.has(st) && given.get(st) !== dflt) {
          pol[st] = given.get(st)!;
          any = true;
        }
      o['policy'] = any ? pol : null;
      break;
    }
    case 'ct expectation':
      o['protocol'] = ob.protocol;
      o['dport'] = ob.dport;
      o['timeout'] = ob.timeout;
      o['size'] = ob.size;
      o['l3proto'] = ob.l3proto ?? t.family;
      break;
    case 'limit': {
      let rate = ob.rate;
      let burst = ob.burst;
      let rateUnit: string | undefined;
      let burstUnit: string | undefined;
      if (ob.unit === 'bytes') {
        [rate, rateUnit] = dataRate(ob.rate);
        [burst, burstUnit] = dataRate(ob.burst);
      }
      o['rate'] = rate;
      o['per'] = ob.per;
      if (ob.over) o['inv'] = true;
      if (rateUnit !== undefined) o['rate_unit'] = rateUnit;
      if (burst) {
        o['burst'] = burst;
        if (burstUnit !== undefined) o['burst_unit'] = burstUnit;
      }
      break;
    }
    case 'synproxy':
      o['mss'] = ob.mss ?? 0;
      o['wscale'] = ob.wscale ?? 0;
      if (ob.flags && ob.flags.length > 0) o['flags'] = [...ob.flags];
      break;
  }
  return { [ob.type]: o };
}

/** statement.c's get_rate: the largest of bytes, kbytes, mbytes dividing the rate. */
function dataRate(bytes: number): [number, string] {
  const units = ['bytes', 'kbytes', 'mbytes'];
  if (!bytes) return [0, 'bytes'];
  let i = 0;
  let v = bytes;
  while (i < units.length - 1 && v % 1024 === 0) {
    v /= 1024;
    i++;
  }
  return [v, units[i]!];
}

interface Ctx {
  readonly family: NftFamily;
  /** The rule's or set's table (nat statements look up the maps they name). */
  readonly table?: NftTable;
  /** Inside a set's or a dynset's statements: counters and quotas without their state. */
  readonly stateless: boolean;
}

/** A list of one is its item, of several an array (jansson's json_object_set(root, k, a[0])). */
function oneOrMany(xs: readonly string[]): JOut {
  return xs.length === 1 ? xs[0]! : [...xs];
}

function stmtJson(s: NftStmt, ctx: Ctx): JOut {
  switch (s.kind) {
    case 'match':
      return matchJson(s.left, s.op, s.right);
    case 'verdict':
      return s.chain !== undefined ? { [s.verdict]: { target: s.chain } } : { [s.verdict]: null };
    case 'vmap':
      return { vmap: { key: exprJson(s.key), data: exprJson(s.map) } };
    case 'queue': {
      const o: JObj = {};
      if (s.num) o['num'] = exprJson(s.num);
      const flags = ['bypass', 'fanout'].filter((f) => (s.flags as string[] | undefined)?.includes(f));
      if (flags.length > 0) o['flags'] = oneOrMany(flags);
      return { queue: Object.keys(o).length > 0 ? o : null };
    }
    case 'counter':
      return ctx.stateless ? { counter: null } : { counter: { packets: s.packets, bytes: s.bytes } };
    case 'objref':
      return { [s.type]: exprJson(s.name) };
    case 'limit': {
      let rate = s.rate;
      let burst = s.burst;
      const o: JObj = {};
      let rateUnit: string | undefined;
      let burstUnit: string | undefined;
      if (s.unit === 'bytes') {
        [rate, rateUnit] = dataRate(s.rate);
        [burst, burstUnit] = dataRate(s.burst);
      }
      o['rate'] = rate;
      o['burst'] = burst;
      o['per'] = s.per;
      if (s.over) o['inv'] = true;
      if (rateUnit !== undefined) o['rate_unit'] = rateUnit;
      if (burstUnit !== undefined) o['burst_unit'] = burstUnit;
      return { limit: o };
    }
    case 'quota': {
      const [v, unit] = dataRate(s.bytes);
      const o: JObj = { val: v, val_unit: unit };
      if (s.over) o['inv'] = true;
      if (!ctx.stateless && s.used) {
        const [u, uu] = dataRate(s.used);
        o['used'] = u;
        o['used_unit'] = uu;
      }
      return { quota: o };
    }
    case 'connlimit': {
      const o: JObj = { val: s.count };
      if (s.over) o['inv'] = true;
      return { 'ct count': o };
    }
    case 'last':
      return s.used === undefined ? 'last used never' : 'last';
    case 'log':
      return logJson(s);
    case 'reject':
      return rejectJson(s, ctx);
    case 'nat':
      return natJson(s, ctx);
    case 'notrack':
      return { notrack: null };
    case 'set':
      return { mangle: { key: exprJson(s.target), value: exprJson(s.value) } };
    case 'dynset': {
      // nft 1.0.6 has no JSON form for the map statement (`add @m { k : v }`): it prints the
      // statement's text as a string (and warns "stmt ops map have no json callback").
      if (s.data) return stmtText(s, ctx.family, ctx.table);
      let elem = exprJson(s.key);
      if (s.timeout) elem = { elem: { val: elem, timeout: Math.floor(s.timeout / 1000) } };
      const o: JObj = { op: s.op, elem, set: `@${s.set}` };
      if (s.stmts && s.stmts.length > 0)
        o['stmt'] = s.stmts.map((x) => stmtJson(x, { ...ctx, stateless: true }));
      return { set: o };
    }
    case 'flow':
      return { flow: { op: 'add', flowtable: `@${s.flowtable}` } };
    case 'dup': {
      if (!s.addr) return { dup: null };
      const o: JObj = { addr: exprJson(s.addr) };
      if (s.dev) o['dev'] = exprJson(s.dev);
      return { dup: o };
    }
    case 'fwd': {
      const o: JObj = { dev: s.dev ? exprJson(s.dev) : null };
      if (s.addr) {
        if (s.family) o['family'] = s.family;
        o['addr'] = exprJson(s.addr);
      }
      return { fwd: o };
    }
    case 'tproxy': {
      const o: JObj = {};
      if (ctx.family === 'inet' && s.family) o['family'] = s.family;
      if (s.addr) o['addr'] = exprJson(s.addr);
      if (s.port) o['port'] = exprJson(s.port);
      return { tproxy: o };
    }
    case 'synproxy': {
      const o: JObj = {};
      if (s.mss !== undefined) o['mss'] = s.mss;
      if (s.wscale !== undefined) o['wscale'] = s.wscale;
      if (s.flags && s.flags.length > 0) o['flags'] = [...s.flags];
      return { synproxy: Object.keys(o).length > 0 ? o : null };
    }
    case 'other': {
      const m = s.meter;
      if (m) {
        // json.c meter_stmt_json: the key (with its timeout as an element), the statement without
        // its state (a counter as null), the size, the name.
        const key = exprJson(m.key);
        const stmt = m.stmt.kind === 'counter' ? { counter: null } : stmtJson(m.stmt, ctx);
        return {
          meter: {
            key:
              m.timeout !== undefined ? { elem: { val: key, timeout: Math.floor(m.timeout / 1000) } } : key,
            stmt,
            size: m.size,
            name: m.name,
          },
        };
      }
      return (s.json as JObj | undefined) ?? s.text;
    }
  }
}

const LOG_FLAG_ORDER = ['tcp sequence', 'tcp options', 'ip options', 'skuid', 'ether'];

function logJson(s: Extract<NftStmt, { kind: 'log' }>): JOut {
  const o: JObj = {};
  if (s.prefix !== undefined) o['prefix'] = s.prefix;
  if (s.group !== undefined) o['group'] = s.group;
  if (s.snaplen !== undefined) o['snaplen'] = s.snaplen;
  if (s.queueThreshold !== undefined) o['queue-threshold'] = s.queueThreshold;
  const level = s.level === 'warning' ? 'warn' : s.level;
  if (level !== undefined && level !== 'warn') o['level'] = level;
  if (s.flags && s.flags.length > 0) {
    const set = new Set(s.flags.map((f) => (f === 'tcp sequence,options' ? 'tcp sequence' : f)));
    if (s.flags.includes('tcp sequence,options')) set.add('tcp options');
    const all = set.has('all') || LOG_FLAG_ORDER.every((f) => set.has(f));
    o['flags'] = all ? 'all' : oneOrMany(LOG_FLAG_ORDER.filter((f) => set.has(f)));
  }
  return { log: Object.keys(o).length > 0 ? o : null };
}

function rejectJson(s: Extract<NftStmt, { kind: 'reject' }>, ctx: Ctx): JOut {
  const w = s.with;
  if (w?.type === 'tcp reset') return { reject: { type: 'tcp reset' } };
  if (w) return { reject: { type: w.type, expr: w.code ?? 'port-unreachable' } };
  // A bare `reject` is stored as the family's port-unreachable (json.c prints it in full).
  const type = ctx.family === 'ip' ? 'icmp' : ctx.family === 'ip6' ? 'icmpv6' : 'icmpx';
  return { reject: { type, expr: 'port-unreachable' } };
}

function natJson(s: Extract<NftStmt, { kind: 'nat' }>, ctx: Ctx): JOut {
  const o: JObj = {};
  const fam = natFamily(s, ctx.family, ctx.table);
  if (fam) o['family'] = fam;
  if (s.addr) o['addr'] = exprJson(s.addr);
  if (s.port) o['port'] = exprJson(s.port);
  const flags = ['random', 'fully-random', 'persistent'].filter((f) => s.flags?.includes(f));
  if (s.prefix) flags.push('netmap');
  if (flags.length > 0) o['flags'] = oneOrMany(flags);
  if (s.prefix) o['type_flags'] = 'prefix';
  return { [s.type]: Object.keys(o).length > 0 ? o : null };
}

function matchJson(left: NftExpr, op: string, right: NftExpr): JOut {
  // `tcp flags ! syn,rst`: (flags & mask) == 0 on a bitmask is printed as op "!" on the flag list.
  if (
    op === '==' &&
    left.kind === 'binop' &&
    left.op === '&' &&
    left.right.kind === 'value' &&
    BITMASK_TYPES.has(left.right.type) &&
    right.kind === 'value' &&
    right.value === 0
  ) {
    const names =
      typeof left.right.value === 'number' ? bitNames(left.right.type, left.right.value) : undefined;
    if (names && names.length > 0)
      return { match: { op: '!', left: exprJson(left.left), right: oneOrMany(names) } };
  }
  if (op === 'implicit' && right.kind === 'value' && right.type === 'ct_label')
    return { match: { op: 'in', left: exprJson(left), right: exprJson(right) } };
  if (right.kind === 'value' && BITMASK_TYPES.has(right.type) && typeof right.value === 'number') {
    const names = bitNames(right.type, right.value);
    if (op === '!' && names && names.length > 0)
      return { match: { op: '!', left: exprJson(left), right: oneOrMany(names) } };
    if (op === 'implicit' && names && names.length > 0)
      return { match: { op: 'in', left: exprJson(left), right: oneOrMany(names) } };
    // Several flags compared whole: a header field's value stays a number (payload_match_expand,
    // as the text's `tcp flags == 0x9`), under a mask their list, ct's their OR.
    if (names && names.length > 1)
      return {
        match: {
          op: op === 'implicit' ? '==' : op,
          left: exprJson(left),
          right: left.kind === 'payload' ? right.value : left.kind === 'binop' ? names : orOf(names),
        },
      };
  }
  // A range of flag values: an end of several flags is their OR, of their numbers for ct's, of
  // their names under a mask; against a header field's own bits, a number (nft 1.0.6 here).
  if (right.kind === 'range') {
    const multi = (x: NftExpr): number | undefined =>
      x.kind === 'value' &&
      typeof x.value === 'number' &&
      BITMASK_TYPES.has(x.type) &&
      (x.value & (x.value - 1)) !== 0
        ? x.value
        : undefined;
    if (multi(right.low) !== undefined || multi(right.high) !== undefined) {
      const end = (x: NftExpr): JOut => {
        const n = multi(x);
        if (n === undefined) return exprJson(x);
        if (left.kind === 'payload') return n;
        const type = (x as { type: string }).type;
        const bitsOf: number[] = [];
        for (let k = 0; k < 32; k++) if ((n >>> k) & 1) bitsOf.push((1 << k) >>> 0);
        if (left.kind === 'binop') return orOf(bitNames(type, n) ?? bitsOf.map(String));
        return bitsOf.slice(1).reduce<JOut>((a, b) => ({ '|': [a, b] }), bitsOf[0]!);
      };
      const l =
        left.kind === 'binop' &&
        left.op === '&' &&
        left.right.kind === 'value' &&
        typeof left.right.value === 'number'
          ? { '&': [exprJson(left.left), orOf(bitNames(left.right.type, left.right.value) ?? [])] }
          : exprJson(left);
      return {
        match: {
          op: op === 'implicit' ? '==' : op,
          left: l,
          right: { range: [end(right.low), end(right.high)] },
        },
      };
    }
  }
  // A mask of several flags before a set or a range is their OR, as a binop (`tcp flags & (syn |
  // ack) == 0x2-0x4`); before a value it stays the flags' list.
  if (
    (right.kind === 'set' || right.kind === 'range') &&
    left.kind === 'binop' &&
    left.op === '&' &&
    left.right.kind === 'value' &&
    BITMASK_TYPES.has(left.right.type) &&
    typeof left.right.value === 'number'
  ) {
    const names = bitNames(left.right.type, left.right.value);
    if (names && names.length > 1) {
      const l = { '&': [exprJson(left.left), orOf(names)] };
      return { match: { op: op === 'implicit' ? '==' : op, left: l, right: exprJson(right) } };
    }
  }
  return { match: { op: op === 'implicit' ? '==' : op, left: exprJson(left), right: exprJson(right) } };
}

/** Flags as nft's OR of each, lowest first (`{"|": [{"|": ["fin", "syn"]}, "ack"]}`). */
function orOf(names: readonly string[]): JOut {
  return names.length === 1 ? names[0]! : names.slice(1).reduce<JOut>((a, n) => ({ '|': [a, n] }), names[0]!);
}

export function exprJson(e: NftExpr): JOut {
  switch (e.kind) {
    case 'payload':
      return { payload: { protocol: e.proto, field: e.field } };
    case 'rawpayload':
      return { payload: { base: e.base, offset: e.offset, len: e.len } };
    case 'exthdr': {
      const o: JObj = { name: e.name };
      if (!e.exists && e.field !== undefined) o['field'] = e.field;
      return { [e.hdr]: o };
    }
    case 'meta':
      return { meta: { key: e.key } };
    case 'ct': {
      const o: JObj = { key: e.family ? `${e.family} ${e.key}` : e.key };
      if (e.dir && !CT_NO_DIR.has(e.key)) o['dir'] = e.dir;
      return { ct: o };
    }
    case 'fib':
      return { fib: { result: e.result, flags: [...e.flags] } };
    case 'numgen':
      return { numgen: { mode: e.mode, mod: e.mod, offset: e.offset } };
    case 'hash': {
      const o: JObj = { mod: e.mod };
      if (e.seed !== undefined) o['seed'] = e.seed;
      if (e.offset) o['offset'] = e.offset;
      if (e.type === 'jhash' && e.expr) o['expr'] = exprJson(e.expr);
      return { [e.type]: o };
    }
    case 'misc': {
      const [w0, ...rest] = e.words.split(' ');
      if (w0 === 'ipsec') {
        const m = /^ipsec (in|out)(?: spnum (\d+))?(?: (ip6?))? (\S+)$/.exec(e.words);
        if (m) {
          const o: JObj = { key: m[4]! };
          if (m[3]) o['family'] = m[3];
          o['dir'] = m[1]!;
          o['spnum'] = Number(m[2] ?? 0);
          return { ipsec: o };
        }
      }
      if (w0 === 'rt' || w0 === 'socket' || w0 === 'osf' || w0 === 'ipsec')
        return { [w0]: { key: rest.join(' ') } };
      return e.words;
    }
    case 'binop': {
      let right = exprJson(e.right);
      if (e.right.kind === 'value' && BITMASK_TYPES.has(e.right.type) && typeof e.right.value === 'number') {
        const names = bitNames(e.right.type, e.right.value);
        if (names && names.length > 0) right = oneOrMany(names);
      }
      return { [e.op]: [exprJson(e.left), right] };
    }
    case 'value':
      return valueJson(e);
    case 'verdict':
      return e.chain !== undefined ? { [e.verdict]: { target: e.chain } } : { [e.verdict]: null };
    case 'prefix':
      return { prefix: { addr: exprJson(e.value), len: e.len } };
    case 'range': {
      // range_expr_json prints with NFT_CTX_OUTPUT_NUMERIC_PROTO: protocol numbers, not names; nft
      // 1.0.6 prints ct state and status, fib address types and interface types as numbers there too.
      const end = (x: NftExpr): JOut =>
        x.kind === 'value' && typeof x.value === 'number' && NUMERIC_RANGE_ENDS.has(x.type)
          ? x.value
          : exprJson(x);
      return { range: [end(e.low), end(e.high)] };
    }
    case 'set':
      return { set: listOrder(e.elements).map((x) => elemJson(x, { family: 'inet', stateless: false })) };
    case 'setref':
      return `@${e.name}`;
    case 'concat':
      return { concat: e.items.map(exprJson) };
    case 'map':
      return { map: { key: exprJson(e.key), data: exprJson(e.map) } };
    case 'wildcard':
      return '*';
  }
}

function elemJson(e: NftSetElem, ctx: Ctx): JOut {
  let k = exprJson(e.key);
  if (e.timeout || e.expires || e.comment !== undefined || (e.stmts && e.stmts.length > 0)) {
    const o: JObj = { val: k };
    if (e.timeout) o['timeout'] = Math.floor(e.timeout / 1000);
    if (e.expires) o['expires'] = Math.floor(e.expires / 1000);
    if (e.comment !== undefined) o['comment'] = e.comment;
    const first = e.stmts?.[0];
    if (first) {
      const sj = stmtJson(first, ctx);
      if (sj !== null && typeof sj === 'object' && !Array.isArray(sj))
        for (const [kk, vv] of Object.entries(sj as JObj)) if (!(kk in o)) o[kk] = vv;
    }
    k = { elem: o };
  }
  return e.data ? [k, exprJson(e.data)] : k;
}

const HEX_ABOVE = 2n ** 64n;
/** The types whose range ends `nft -j` prints as numbers (checked with nft 1.0.6 here). */
const NUMERIC_RANGE_ENDS: ReadonlySet<string> = new Set([
  'inet_proto',
  'ct_state',
  'ct_status',
  'fib_addrtype',
  'iface_type',
]);
const SIGNED_FROM = 2n ** 63n;

export function valueJson(v: NftValue): JOut {
  const x = v.value;
  if (typeof x === 'string') {
    if (/^[0-9]+$/.test(x) && !['ifname', 'string', 'ipv6_addr', 'iface_index'].includes(v.type)) {
      const b = BigInt(x);
      if (v.type === 'ct_label') return Number(b);
      // nft 1.0.6 prints a value of 64 bits as json_integer's int64 (2^63 and above negative), a
      // wider one in hex.
      return b < SIGNED_FROM ? b : b < HEX_ABOVE ? b - HEX_ABOVE : '0x' + b.toString(16);
    }
    return x;
  }
  switch (v.type) {
    case 'ipv4_addr':
      return ipv4Text(x);
    case 'ether_addr':
    case 'll_addr':
      return etherText(x);
    case 'boolean':
      return x !== 0;
    case 'time':
      return Math.floor(x / 1000);
    case 'hour':
      return formatHour(x);
    case 'classid':
      return x === 0xffffffff
        ? 'root'
        : x === 0
          ? 'none'
          : `${(x >>> 16).toString(16)}:${(x & 0xffff).toString(16)}`;
    case 'devgroup':
      return x === 0 ? 'default' : x;
    default: {
      const name = symbolName(v.type, x);
      if (name !== undefined) return name;
      if (BITMASK_TYPES.has(v.type)) {
        const names = bitNames(v.type, x);
        if (names && names.length > 1) return names;
      }
      return x;
    }
  }
}
