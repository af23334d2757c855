// Real machine state → a scenario host: `ip -j addr` or `ip -j link` (interfaces, addresses, MACs,
// MTUs, bridge ports), `ip -j route` (the routes of every table iproute2 lists, with their types,
// next hops and metrics, less the kernel's connected and local ones, which natbox derives itself;
// `ip -N` numbers read too), `ip -j rule` (the routing policy but Linux's default rules),
// `iptables-save` (checked with the rules front end and the engine, so an error points at its
// line), `sysctl` output (net.ipv4.ip_forward and the other sysctls natbox models) and `ss -ltnu`
// output (listening TCP and UDP sockets).
//
// Every element of every input is checked: what is not what the tools print is an error at its
// file, line, column and JSON path (nothing is produced); what the tools print but natbox does not
// simulate (IPv6, tunnels, multicast routes, rules with uid ranges, unsupported rules with
// skipUnsupported…) is left out and reported, in a comment block at the top of the scenario and in
// `notes`, never dropped silently. The scenario written is loaded and built before it is returned.
// No I/O: the CLI reads the files.
import { Document, Scalar } from 'yaml';
import { parseIpv4, parseMac, parsePrefix, type Prefix } from '../wire/addr.ts';
import { RTN_NAMES, parseRoute, parseTableId } from '../route/table.ts';
import { parseRule } from '../route/rule.ts';
import { detectForm, loadRules } from '../rules/load.ts';
import { isNftSource, readNftSource } from './import-nft.ts';
import { endsWithContinuation } from '../rules/iptables/lex.ts';
import { isUnsupported } from '../rules/diagnostics.ts';
import { formatRule } from '../rules/iptables/print-save.ts';
import { checkRuleset } from '../netfilter/core/engine.ts';
import { buildScenario, formatBuildError } from './build.ts';
import { formatScenarioError, loadScenario, prefixProblem } from './load.ts';
import {
  describeJson,
  formatPath,
  jsonSyntaxError,
  lineColumn,
  locateJson,
  shortQuote,
  type JsonPath,
} from './import-json.ts';
import { readListen, readSysctl, type TextError, type TextNote } from './import-text.ts';

export interface ImportSource {
  readonly text: string;
  readonly file: string;
}

export interface ImportInput {
  /** The host's name in the scenario. */
  readonly name: string;
  /** `ip -j addr` output. */
  readonly addr: ImportSource;
  /** `ip -j route` output (`ip -j route show table all`: every table). */
  readonly route?: ImportSource;
  /** `ip -j rule` output. */
  readonly ipRule?: ImportSource;
  /** `iptables-save` output, or nftables (`nft list ruleset`, `nft -j list ruleset`). */
  readonly rules?: ImportSource;
  /** `sysctl` output (`name = value` lines) or the content of /proc/sys/net/ipv4/ip_forward. */
  readonly sysctl?: ImportSource;
  /** `ss -ltnu` output (with or without -H and -p). */
  readonly listen?: ImportSource;
  /** Set net.ipv4.ip_forward: 1 (a router), whatever `sysctl` says. */
  readonly forward?: boolean;
  /** Leave out the rules natbox cannot simulate (reported) instead of refusing the import. */
  readonly skipUnsupported?: boolean;
  /** `nft list ruleset` or `nft -j list ruleset` output beside iptables-save's in `rules` (the host's `nft:`). */
  readonly nft?: ImportSource;
}

/** Bad input: where (file, line, column, and the JSON path for JSON inputs) and why. */
export interface ImportError {
  /** The input file, or the option (`--name`) with line 0. */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** `$[3].addr_info[0].local` for JSON inputs. */
  readonly path?: string;
  readonly message: string;
}

/** Something of the machine the scenario leaves out, or simulates in another form. */
export interface ImportNote {
  readonly kind: 'left-out' | 'approximated';
  /** The input file it comes from. */
  readonly file: string;
  /** `FILE $[2].addr_info[1]` or `FILE:LINE`. */
  readonly where: string;
  readonly what: string;
  readonly reason: string;
}

export type ImportResult =
  | { ok: true; yaml: string; notes: ImportNote[] }
  /** `internal`: the inputs were fine but the scenario written did not load (a natbox bug). */
  | { ok: false; errors: ImportError[]; internal?: boolean };

/** Limits: beyond them the import is refused with an error saying so. */
export const IMPORT_LIMITS = {
  /** Characters of one input. */
  inputChars: 16 * 1024 * 1024,
  /** Elements of the `ip -j addr` or `ip -j route` list. */
  elements: 100_000,
  /** Routes written to the scenario. */
  routes: 10_000,
  /** Addresses written to the scenario. */
  addresses: 10_000,
  /** Interfaces and bridges written to the scenario. */
  devices: 10_000,
} as const;

const MAX_ERRORS = 20;

/** `FILE:LINE:COLUMN: $.path: message`, as compilers print it. */
export function formatImportError(e: ImportError): string {
  const at = e.line > 0 ? `${e.file}:${e.line}:${e.column}` : e.file; // line 0: an option, not a file
  return `${at}: ${e.path !== undefined ? `${e.path}: ` : ''}${clean(e.message)}`;
}

/** Control characters written as \xNN, so a message cannot break a line or a terminal. */
export function clean(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** One note as a line: `left out: FILE $[1].addr_info[0]: wan 2001:db8::1/64: IPv6 is not simulated yet`. */
export function formatImportNote(n: ImportNote): string {
  return clean(
    `${n.kind === 'left-out' ? 'left out' : 'simulated differently'}: ${n.where}: ${n.what}: ${n.reason}`,
  );
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

class Failed {
  readonly errors: ImportError[] = [];
  more = 0;

  add(e: ImportError): void {
    if (this.errors.length < MAX_ERRORS) this.errors.push(e);
    else this.more++;
  }

  json(src: ImportSource, path: JsonPath, message: string): void {
    if (this.errors.length >= MAX_ERRORS) {
      this.more++;
      return;
    }
    const { line, column } = lineColumn(src.text, locateJson(src.text, path));
    this.add({ file: src.file, line, column, path: formatPath(path), message });
  }

  text(src: ImportSource, e: TextError): void {
    this.add({ file: src.file, line: e.line, column: e.column, message: e.message });
  }

  list(): ImportError[] {
    if (this.more === 0) return this.errors;
    const last = this.errors[this.errors.length - 1]!;
    return [...this.errors, { ...last, path: undefined, message: `… and ${this.more} more errors` }];
  }
}

/** JSON.parse with syntax errors at FILE:LINE:COLUMN. */
function parseJson(src: ImportSource, tool: string, fail: Failed): unknown {
  const text = src.text.charCodeAt(0) === 0xfeff ? src.text.slice(1) : src.text;
  try {
    return JSON.parse(text);
  } catch {
    const e = jsonSyntaxError(text) ?? { offset: 0, message: 'not valid JSON' };
    const { line, column } = lineColumn(src.text, e.offset + (text === src.text ? 0 : 1));
    fail.add({
      file: src.file,
      line,
      column,
      message: `not valid JSON: ${e.message}; expected the output of \`${tool}\``,
    });
    return undefined;
  }
}

/** A JSON list of objects; each element that is not an object is an error at its path. */
function listOf(src: ImportSource, v: unknown, tool: string, fail: Failed): (Obj | undefined)[] | undefined {
  if (!Array.isArray(v)) {
    fail.json(src, [], `expected a list (the output of \`${tool}\`), found ${describeJson(v)}`);
    return undefined;
  }
  if (v.length > IMPORT_LIMITS.elements) {
    fail.json(
      src,
      [IMPORT_LIMITS.elements],
      `more than ${IMPORT_LIMITS.elements} elements: natbox import reads at most ${IMPORT_LIMITS.elements}`,
    );
    return undefined;
  }
  return v.map((x: unknown, i) => {
    if (isObj(x)) return x;
    fail.json(src, [i], `expected an object (one element of \`${tool}\`), found ${describeJson(x)}`);
    return undefined;
  });
}

/** A field of an object: undefined when absent, false (an error recorded) when of the wrong type. */
function field<T>(
  src: ImportSource,
  o: Obj,
  path: JsonPath,
  key: string,
  want: string,
  is: (v: unknown) => v is T,
  fail: Failed,
  required = false,
): T | undefined | false {
  if (!Object.hasOwn(o, key)) {
    if (!required) return undefined;
    fail.json(src, path, `missing "${key}" (${want})`);
    return false;
  }
  const v = o[key];
  if (is(v)) return v;
  fail.json(src, [...path, key], `expected ${want}, found ${describeJson(v)}`);
  return false;
}
const isString = (v: unknown): v is string => typeof v === 'string';
const isArray = (v: unknown): v is unknown[] => Array.isArray(v);
const isUint = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
/** `ip -j` prints a route's table and protocol as a name or, when it has none, as a number. */
const isNameOrNumber = (v: unknown): v is string | number => isString(v) || isUint(v);

/** Why `name` is not a Linux interface name (dev_valid_name, and no control characters). */
function ifNameProblem(name: string): string | undefined {
  if (
    name.length === 0 ||
    name.length > 15 ||
    // eslint-disable-next-line no-control-regex
    /[/:\s\x00-\x1f\x7f]/.test(name) ||
    name === '.' ||
    name === '..'
  )
    return `${shortQuote(name)} is not an interface name (1-15 characters, no "/", ":", spaces or control characters)`;
  return undefined;
}

interface Addr {
  readonly path: JsonPath;
  readonly family: string;
  readonly local: string;
  readonly len: number;
}
interface Link {
  readonly index: number;
  readonly name: string;
  readonly type: string;
  /** No link_type in the input (`ip -4 -j addr`): `type` comes from the flags. */
  readonly guessed: boolean;
  readonly mac?: string;
  readonly master?: string;
  readonly kind?: string; // linkinfo.info_kind (ip -d)
  readonly mtu?: number;
  readonly addrs: Addr[];
}

/** Checks every element of `ip -j addr`; undefined when something is wrong (errors recorded). */
function readLinks(src: ImportSource, fail: Failed): Link[] | undefined {
  const tool = 'ip -j addr';
  const before = fail.errors.length + fail.more;
  const v = parseJson(src, tool, fail);
  if (v === undefined) return undefined;
  const list = listOf(src, v, tool, fail);
  if (list === undefined) return undefined;
  const out: Link[] = [];
  const names = new Map<string, number>();
  list.forEach((o, i) => {
    if (o === undefined) return;
    if (Object.keys(o).length === 0) return; // `ip -4 -j addr` of iproute2 < 5.x: a link without IPv4 addresses
    const p = [i];
    const name = field(src, o, p, 'ifname', 'the interface name (a string)', isString, fail, true);
    if (name === false || name === undefined) return;
    const bad = ifNameProblem(name);
    if (bad) return fail.json(src, [i, 'ifname'], bad);
    const first = names.get(name);
    if (first !== undefined)
      return fail.json(src, [i, 'ifname'], `${shortQuote(name)} is listed twice (first at $[${first}])`);
    names.set(name, i);
    const given = field(src, o, p, 'link_type', 'the link type (a string such as "ether")', isString, fail);
    const flags = field(src, o, p, 'flags', 'the link flags (a list)', isArray, fail);
    // `ip -4 -j addr` and `ip -6 -j addr` print no link type: the flags tell a loopback or a
    // point-to-point device; anything else is taken as Ethernet, and the note says so.
    const guessed =
      given !== undefined || flags === false
        ? undefined
        : (flags ?? []).includes('LOOPBACK')
          ? 'loopback'
          : (flags ?? []).includes('POINTOPOINT')
            ? 'none'
            : 'ether';
    const type = given ?? guessed;
    const mac = field(src, o, p, 'address', 'the link address (a string)', isString, fail);
    const master = field(src, o, p, 'master', 'the master device name (a string)', isString, fail);
    const linkinfo = field(src, o, p, 'linkinfo', 'the link details (an object)', isObj, fail);
    const kind = linkinfo
      ? field(src, linkinfo, [i, 'linkinfo'], 'info_kind', 'the device kind (a string)', isString, fail)
      : undefined;
    const info = field(src, o, p, 'addr_info', 'the addresses (a list)', isArray, fail);
    const mtu = field(src, o, p, 'mtu', 'the MTU (a whole number)', isUint, fail);
    if (mtu === false) return;
    if (type === false || type === undefined || mac === false || master === false || kind === false) return;
    if (info === false) return;
    if (type === 'ether' && mac !== undefined) {
      const m = parseMac(mac);
      if (!m.ok) fail.json(src, [i, 'address'], m.error);
      else if ((m.value[0]! & 1) !== 0)
        fail.json(
          src,
          [i, 'address'],
          `${shortQuote(mac)} is a multicast MAC address (the first byte is odd); an Ethernet device has a unicast one`,
        );
    }
    if (master !== undefined) {
      const badMaster = ifNameProblem(master);
      if (badMaster) fail.json(src, [i, 'master'], badMaster);
    }
    const addrs: Addr[] = [];
    (info ?? []).forEach((a, j) => {
      const ap = [i, 'addr_info', j];
      if (!isObj(a))
        return fail.json(
          src,
          ap,
          `expected an address object (as \`ip -j addr\` prints), found ${describeJson(a)}`,
        );
      if (Object.keys(a).length === 0) return; // `ip -j addr` prints {} for an address it filtered out
      const family = field(
        src,
        a,
        ap,
        'family',
        'the address family (a string: inet, inet6)',
        isString,
        fail,
        true,
      );
      const local = field(src, a, ap, 'local', 'the address (a string)', isString, fail, true);
      const len = field(src, a, ap, 'prefixlen', 'the prefix length (a whole number)', isUint, fail, true);
      if (family === false || local === false || len === false) return;
      if (family === undefined || local === undefined || len === undefined) return;
      if (family === 'inet') {
        const problem = prefixProblem(`${local}/${len}`);
        if (problem) return fail.json(src, [...ap, parseIpv4(local).ok ? 'prefixlen' : 'local'], problem);
      } else if (family === 'inet6') {
        if (!/^[0-9A-Fa-f:.]+$/.test(local) || !local.includes(':'))
          return fail.json(src, [...ap, 'local'], `${shortQuote(local)} is not an IPv6 address`);
        if (len > 128)
          return fail.json(src, [...ap, 'prefixlen'], `${len} is not an IPv6 prefix length (0-128)`);
      }
      addrs.push({ path: ap, family, local, len });
    });
    out.push({
      index: i,
      name,
      type,
      guessed: guessed !== undefined,
      ...(mac !== undefined ? { mac } : {}),
      ...(master !== undefined ? { master } : {}),
      ...(kind !== undefined ? { kind } : {}),
      ...(mtu !== undefined ? { mtu } : {}),
      addrs,
    });
  });
  return fail.errors.length + fail.more > before ? undefined : out;
}

/** A device of the scenario: its name and IPv4 prefixes. */
interface Dev {
  readonly name: string;
  readonly nets: { addr: number; prefix: Prefix }[];
}

class Notes {
  readonly list: ImportNote[] = [];
  leftOut(file: string, where: string, what: string, reason: string): void {
    this.list.push({ kind: 'left-out', file, where, what, reason });
  }
  approx(file: string, where: string, what: string, reason: string): void {
    this.list.push({ kind: 'approximated', file, where, what, reason });
  }
}

const PLAIN_KINDS = new Set(['veth', 'dummy', 'tun', 'tap']);
/** A table as `ip -j` prints it, the reserved ids (`ip -N`) as their names. */
const tableWordOf = (t: string): string =>
  t === '255' ? 'local' : t === '254' ? 'main' : t === '253' ? 'default' : t;

/** The route types natbox simulates (rtnl_rtntype_n2a's names). */
const ROUTE_TYPES = new Set([
  'unicast',
  'local',
  'broadcast',
  'blackhole',
  'unreachable',
  'prohibit',
  'throw',
]);

interface HostParts {
  interfaces: Record<string, Record<string, unknown>>;
  bridges: Record<string, Record<string, unknown>>;
  devs: Map<string, Dev>;
  addrs: Set<number>;
}

/** The interfaces and bridges of the scenario host, and what of the links is left out. */
function modelLinks(src: ImportSource, links: Link[], notes: Notes, fail: Failed): HostParts | undefined {
  const at = (path: JsonPath): string => `${src.file} ${formatPath(path)}`;
  const byName = new Map(links.map((l) => [l.name, l]));
  const isBridge = (n: string): boolean => {
    const b = byName.get(n);
    return b !== undefined && b.type === 'ether' && (b.kind === undefined || b.kind === 'bridge');
  };
  const bridgeNames = new Set(
    links
      .filter(
        (l) => l.type === 'ether' && l.master !== undefined && l.master !== l.name && isBridge(l.master),
      )
      .map((l) => l.master!),
  );
  const interfaces: Record<string, Record<string, unknown>> = {};
  const bridges: Record<string, Record<string, unknown>> = {};
  const devs = new Map<string, Dev>();
  const used = new Map<number, string>();
  let count = 0;
  for (const l of links) {
    const where = at([l.index]);
    if (l.type === 'loopback') {
      for (const a of l.addrs) {
        if ((a.local === '127.0.0.1' && a.len === 8) || (a.local === '::1' && a.len === 128)) continue;
        notes.leftOut(
          src.file,
          at(a.path),
          `${l.name} ${a.local}/${a.len}`,
          'the loopback interface is not simulated',
        );
      }
      continue;
    }
    if (l.type !== 'ether') {
      const v4 = l.addrs.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.len}`);
      notes.leftOut(
        src.file,
        where,
        `${l.name}${v4.length ? ` (${v4.join(', ')})` : ''}`,
        `link type ${shortQuote(l.type)} is not simulated (natbox has Ethernet devices and bridges)`,
      );
      continue;
    }
    if (l.guessed)
      notes.approx(
        src.file,
        where,
        l.name,
        'no link type in the input (`ip -4 -j addr` prints none): taken as an Ethernet device; `ip -j addr` also gives MACs and bridge ports',
      );
    if (devs.size >= IMPORT_LIMITS.devices) {
      fail.json(
        src,
        [l.index],
        `more than ${IMPORT_LIMITS.devices} Ethernet devices: natbox import takes at most ${IMPORT_LIMITS.devices}`,
      );
      return undefined;
    }
    const entry: Record<string, unknown> = {};
    const addresses: string[] = [];
    const nets: Dev['nets'] = [];
    for (const a of l.addrs) {
      if (a.family === 'inet6') {
        notes.leftOut(src.file, at(a.path), `${l.name} ${a.local}/${a.len}`, 'IPv6 is not simulated yet');
        continue;
      }
      if (a.family !== 'inet') {
        notes.leftOut(
          src.file,
          at(a.path),
          `${l.name} ${a.local}`,
          `address family ${shortQuote(a.family)} is not simulated`,
        );
        continue;
      }
      const ip = parseIpv4(a.local);
      const prefix = parsePrefix(`${a.local}/${a.len}`);
      if (!ip.ok || !prefix.ok) continue; // checked in readLinks
      const other = used.get(ip.value);
      if (other !== undefined) {
        notes.leftOut(
          src.file,
          at(a.path),
          `${l.name} ${a.local}/${a.len}`,
          `the address is already on ${other}, and natbox needs each address once`,
        );
        continue;
      }
      if (++count > IMPORT_LIMITS.addresses) {
        fail.json(
          src,
          a.path,
          `more than ${IMPORT_LIMITS.addresses} IPv4 addresses: natbox import takes at most ${IMPORT_LIMITS.addresses}`,
        );
        return undefined;
      }
      used.set(ip.value, l.name);
      addresses.push(`${a.local}/${a.len}`);
      nets.push({ addr: ip.value, prefix: prefix.value });
    }
    if (addresses.length > 0) entry.addresses = addresses;
    if (l.mac !== undefined) entry.mac = l.mac.toLowerCase();
    if (l.mtu !== undefined && l.mtu !== 1500) {
      // An Ethernet device's MTU (ETH_MIN_MTU 68 .. 65535 in the scenario; a bridge's is its ports').
      if (l.mtu < 68 || l.mtu > 65535)
        notes.leftOut(
          src.file,
          at([l.index, 'mtu']),
          `${l.name} mtu ${l.mtu}`,
          'natbox takes MTUs from 68 to 65535',
        );
      else if (!bridgeNames.has(l.name)) entry.mtu = l.mtu;
    }
    devs.set(l.name, { name: l.name, nets });
    if (l.kind !== undefined && !PLAIN_KINDS.has(l.kind) && !(l.kind === 'bridge' && bridgeNames.has(l.name)))
      notes.approx(
        src.file,
        where,
        l.name,
        `a ${shortQuote(l.kind)} device is simulated as a plain Ethernet interface`,
      );
    if (bridgeNames.has(l.name)) {
      if (l.master !== undefined)
        notes.approx(
          src.file,
          at([l.index, 'master']),
          `${l.name} master ${l.master}`,
          'a bridge is not a port of another device in natbox',
        );
      const ports = links
        .filter(
          (p) => p.master === l.name && p.name !== l.name && !bridgeNames.has(p.name) && p.type === 'ether',
        )
        .map((p) => p.name);
      bridges[l.name] = { ports, ...entry };
      continue;
    }
    if (l.master !== undefined && !bridgeNames.has(l.master)) {
      const m = byName.get(l.master);
      const why =
        l.master === l.name
          ? 'is the device itself'
          : m === undefined
            ? 'is not in the input'
            : m.type !== 'ether'
              ? `has link type ${shortQuote(m.type)}`
              : `is a ${shortQuote(m.kind ?? '?')} device, not a bridge`;
      notes.approx(
        src.file,
        at([l.index, 'master']),
        `${l.name} master ${l.master}`,
        `the master ${why}: the port is simulated as a plain interface`,
      );
    }
    interfaces[l.name] = entry;
  }
  return { interfaces, bridges, devs, addrs: new Set(used.keys()) };
}

/** The routes of `ip -j route` natbox simulates, in `ip route` syntax. */
function readRoutes(src: ImportSource, parts: HostParts, notes: Notes, fail: Failed): string[] | undefined {
  const tool = 'ip -j route';
  const before = fail.errors.length + fail.more;
  const v = parseJson(src, tool, fail);
  if (v === undefined) return undefined;
  const list = listOf(src, v, tool, fail);
  if (list === undefined) return undefined;
  const at = (path: JsonPath): string => `${src.file} ${formatPath(path)}`;
  const out: string[] = [];
  let derived = 0;
  let derivedAt: JsonPath | undefined;
  list.forEach((o, i) => {
    if (o === undefined) return;
    const p = [i];
    const dst = field(
      src,
      o,
      p,
      'dst',
      'the destination (a string: default or a prefix)',
      isString,
      fail,
      true,
    );
    const type = field(src, o, p, 'type', 'the route type (a string)', isString, fail);
    const table = field(src, o, p, 'table', 'the table (a string)', isNameOrNumber, fail);
    const gateway = field(src, o, p, 'gateway', 'the gateway (a string)', isString, fail);
    const dev = field(src, o, p, 'dev', 'the device name (a string)', isString, fail);
    const protocol = field(src, o, p, 'protocol', 'the protocol (a string)', isNameOrNumber, fail);
    const prefsrc = field(src, o, p, 'prefsrc', 'the preferred source (a string)', isString, fail);
    const metric = field(
      src,
      o,
      p,
      'metric',
      'the metric (a whole number)',
      (x): x is number => isUint(x) && x <= 0xffffffff,
      fail,
    );
    const flags = field(src, o, p, 'flags', 'the route flags (a list)', isArray, fail);
    const nexthops = field(src, o, p, 'nexthops', 'the next hops (a list)', isArray, fail);
    const metrics = field(src, o, p, 'metrics', 'the route metrics (a list)', isArray, fail);
    if (dst === undefined || dst === false || type === false || table === false || gateway === false) return;
    if (dev === false || protocol === false || prefsrc === false || metric === false) return;
    if (flags === false || nexthops === false || metrics === false) return;
    // `ip -N` prints the table, type and protocol as numbers: the reserved tables, the types and
    // RTPROT_KERNEL (2) read as their names.
    const tableWord = table === undefined ? 'main' : tableWordOf(String(table));
    const text = [
      type && type !== 'unicast' ? (RTN_NAMES[Number(type)] ?? type) : '',
      dst,
      gateway ? `via ${gateway}` : '',
      dev ? `dev ${dev}` : '',
      tableWord !== 'main' ? `table ${tableWord}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    const v6 = [dst, gateway ?? '', prefsrc ?? ''].some((s) => (s as string).includes(':'));
    if (v6) return notes.leftOut(src.file, at(p), text, 'IPv6 is not simulated yet');
    const kernel = protocol === 'kernel' || protocol === 2 || protocol === '2';
    if (tableWord === 'local' && kernel) {
      // The local table's local and broadcast routes of the addresses.
      derived++;
      derivedAt ??= p;
      return;
    }
    // A table by number, or main, local, default; another name is one of the machine's
    // /etc/iproute2/rt_tables, whose id the output does not say.
    const tableId = parseTableId(tableWord);
    if (tableId === undefined)
      return notes.leftOut(
        src.file,
        at([i, 'table']),
        text,
        `table ${shortQuote(tableWord)} is a name from the machine's /etc/iproute2/rt_tables; run \`ip -N -j route show table all\` (numbers) or declare it in the host's rt_tables`,
      );
    if (dst !== 'default') {
      const d = parsePrefix(dst);
      if (!d.ok || (dst.includes('/') && prefixProblem(dst) !== undefined))
        return fail.json(
          src,
          [i, 'dst'],
          `${shortQuote(dst)} is not a destination (expected default or an IPv4 prefix such as 10.0.0.0/8)`,
        );
    }
    if (gateway !== undefined && !parseIpv4(gateway).ok)
      return fail.json(src, [i, 'gateway'], `${shortQuote(gateway)} is not an IPv4 gateway address`);
    if (prefsrc !== undefined && !parseIpv4(prefsrc).ok)
      return fail.json(src, [i, 'prefsrc'], `${shortQuote(prefsrc)} is not an IPv4 address`);
    if (dev !== undefined) {
      const bad = ifNameProblem(dev);
      if (bad) return fail.json(src, [i, 'dev'], bad);
    }
    const rtype = type === undefined ? 'unicast' : (RTN_NAMES[Number(type)] ?? type);
    if (!ROUTE_TYPES.has(rtype))
      return notes.leftOut(
        src.file,
        at(p),
        text,
        `route type ${shortQuote(rtype)} is not simulated (natbox has ${[...ROUTE_TYPES].join(', ')})`,
      );
    const noPath =
      rtype === 'blackhole' || rtype === 'unreachable' || rtype === 'prohibit' || rtype === 'throw';
    if (kernel && gateway === undefined && rtype === 'unicast' && tableWord === 'main') {
      // A connected route: natbox derives it from the address.
      derived++;
      derivedAt ??= p;
      return;
    }
    if (Object.hasOwn(o, 'nhid') && gateway === undefined && dev === undefined && nexthops === undefined)
      return notes.leftOut(src.file, at(p), text, 'routes through nexthop objects (nhid) are not simulated');
    if (!noPath && nexthops === undefined && gateway === undefined && dev === undefined)
      return fail.json(src, p, 'a route needs a gateway or a device ("gateway" or "dev")');
    if ((flags ?? []).includes('onlink'))
      return notes.leftOut(src.file, at(p), text, 'onlink gateways are not simulated');
    // `dev lo` stays (a local route such as TPROXY's `local 0.0.0.0/0 dev lo table 100`).
    const known = (d: string): boolean => parts.devs.has(d) || d === 'lo';
    const onLink = (g: string, d: string | undefined): boolean => {
      const a = parseIpv4(g);
      return [...parts.devs.values()].some(
        (x) =>
          (d === undefined || x.name === d) &&
          x.nets.some((n) => a.ok && (a.value & n.prefix.mask) >>> 0 === n.prefix.addr),
      );
    };
    if (dev !== undefined && !known(dev))
      return notes.leftOut(src.file, at(p), text, `device ${dev} is not in the scenario`);
    const parts2 = [rtype === 'unicast' ? '' : rtype, dst].filter(Boolean);
    if (gateway !== undefined) {
      if (!onLink(gateway, dev))
        return notes.leftOut(
          src.file,
          at(p),
          text,
          'the gateway is not on a network of the imported addresses',
        );
      parts2.push(`via ${gateway}`);
    }
    if (dev !== undefined) parts2.push(`dev ${dev}`);
    const defaultTable = rtype === 'local' || rtype === 'broadcast' ? 'local' : 'main';
    if (tableWord !== defaultTable) parts2.push(`table ${tableWord === 'main' ? 'main' : tableId}`);
    if (prefsrc !== undefined) {
      const s = parseIpv4(prefsrc);
      if (s.ok && parts.addrs.has(s.value)) parts2.push(`src ${prefsrc}`);
      else
        notes.approx(
          src.file,
          at([i, 'prefsrc']),
          `${text} src ${prefsrc}`,
          'the preferred source is not an address of the scenario host; left out of the route',
        );
    }
    if (metric) parts2.push(`metric ${metric}`);
    for (const [j, m] of (metrics ?? []).entries()) {
      if (!isObj(m))
        return fail.json(src, [i, 'metrics', j], `expected a metric object, found ${describeJson(m)}`);
      for (const [k, val] of Object.entries(m)) {
        if ((k === 'mtu' || k === 'advmss') && isUint(val)) {
          parts2.push(`${k} ${val}`);
          if (k === 'mtu')
            notes.approx(
              src.file,
              at([i, 'metrics', j, k]),
              `${text} mtu ${val}`,
              '`ip -j route` does not say whether the MTU is locked (`mtu lock`): imported unlocked',
            );
        } else
          notes.leftOut(
            src.file,
            at([i, 'metrics', j, k]),
            `${text} ${k} ${JSON.stringify(val)}`,
            'this route metric is not simulated',
          );
      }
    }
    if (nexthops !== undefined) {
      for (const [j, nh] of nexthops.entries()) {
        const np = [i, 'nexthops', j];
        if (!isObj(nh)) return fail.json(src, np, `expected a next hop object, found ${describeJson(nh)}`);
        const g = field(src, nh, np, 'gateway', 'the gateway (a string)', isString, fail);
        const d = field(src, nh, np, 'dev', 'the device name (a string)', isString, fail);
        const w = field(
          src,
          nh,
          np,
          'weight',
          'the weight (1-256)',
          (x): x is number => isUint(x) && x >= 1 && x <= 256,
          fail,
        );
        if (g === false || d === false || w === false) return;
        if (g !== undefined && !parseIpv4(g).ok)
          return fail.json(src, [...np, 'gateway'], `${shortQuote(g)} is not an IPv4 gateway address`);
        if (g === undefined && d === undefined)
          return fail.json(src, np, 'a next hop needs a gateway or a device');
        if (d !== undefined && !known(d))
          return notes.leftOut(
            src.file,
            at(np),
            `${text} nexthop dev ${d}`,
            `device ${d} is not in the scenario`,
          );
        if (g !== undefined && !onLink(g, d))
          return notes.leftOut(
            src.file,
            at(np),
            `${text} nexthop via ${g}`,
            'the gateway is not on a network of the imported addresses',
          );
        parts2.push(
          [
            'nexthop',
            g ? `via ${g}` : '',
            d ? `dev ${d}` : '',
            w !== undefined && w !== 1 ? `weight ${w}` : '',
          ]
            .filter(Boolean)
            .join(' '),
        );
      }
    }
    const line = parts2.join(' ');
    const check = parseRoute(line);
    if (!check.ok) return fail.json(src, p, `not a route natbox reads: ${check.error.message}`);
    if (out.length >= IMPORT_LIMITS.routes)
      return fail.json(
        src,
        p,
        `more than ${IMPORT_LIMITS.routes} routes: natbox import takes at most ${IMPORT_LIMITS.routes} (a full routing table is not simulated)`,
      );
    out.push(line);
  });
  if (derived > 0 && derivedAt !== undefined)
    notes.approx(
      src.file,
      at(derivedAt),
      `${derived} route${derived === 1 ? '' : 's'}`,
      'connected and local routes (proto kernel, table local): natbox derives them from the addresses',
    );
  return fail.errors.length + fail.more > before ? undefined : out;
}

/** The keys `ip -j rule` prints that natbox reads (iproute2 ip/iprule.c print_rule). */
const RULE_KEYS = new Set([
  'priority',
  'not',
  'src',
  'srclen',
  'dst',
  'dstlen',
  'tos',
  'dsfield',
  'fwmark',
  'fwmask',
  'iif',
  'oif',
  'ipproto',
  'sport',
  'sport_start',
  'sport_end',
  'dport',
  'dport_start',
  'dport_end',
  'table',
  'action',
  'goto',
  'nop',
  'suppress_prefixlen',
  'suppress_ifgroup',
  'protocol',
  'flags',
]);

/**
 * `ip -j rule` (iproute2 print_rule) as `ip_rules:` lines, Linux's three default rules left out
 * (natbox has them). Each line is read back with parseRule; what natbox does not simulate (uid
 * ranges, l3mdev, realms, tunnel ids, detached devices, named tables) is left out, noted.
 */
function readIpRules(src: ImportSource, notes: Notes, fail: Failed): string[] | undefined {
  const tool = 'ip -j rule';
  const before = fail.errors.length + fail.more;
  const v = parseJson(src, tool, fail);
  if (v === undefined) return undefined;
  const list = listOf(src, v, tool, fail);
  if (list === undefined) return undefined;
  const at = (path: JsonPath): string => `${src.file} ${formatPath(path)}`;
  const out: string[] = [];
  const isUintMax =
    (max: number) =>
    (x: unknown): x is number =>
      isUint(x) && x <= max;
  const numOrHex = (x: unknown): x is string | number =>
    isUint(x) || (isString(x) && /^(0x[0-9a-fA-F]+|\d+)$/.test(x));
  list.forEach((o, i) => {
    if (o === undefined) return;
    const p = [i];
    const pref = field(
      src,
      o,
      p,
      'priority',
      'the priority (a whole number)',
      isUintMax(0xffffffff),
      fail,
      true,
    );
    if (pref === false || pref === undefined) return;
    const other = Object.keys(o).filter((k) => !RULE_KEYS.has(k));
    const from = field(src, o, p, 'src', 'the source (a string: all or an address)', isString, fail);
    const srclen = field(src, o, p, 'srclen', 'the source prefix length (0-32)', isUintMax(32), fail);
    const to = field(src, o, p, 'dst', 'the destination (a string)', isString, fail);
    const dstlen = field(src, o, p, 'dstlen', 'the destination prefix length (0-32)', isUintMax(32), fail);
    const tos = field(src, o, p, 'tos', 'the TOS (a string such as 0x10)', numOrHex, fail);
    const dsfield = field(src, o, p, 'dsfield', 'the DS field (a string such as 0x10)', numOrHex, fail);
    const mark = field(src, o, p, 'fwmark', 'the mark (a string such as 0x2)', numOrHex, fail);
    const mask = field(src, o, p, 'fwmask', 'the mark mask (a string such as 0xff)', numOrHex, fail);
    const iif = field(src, o, p, 'iif', 'the input device (a string)', isString, fail);
    const oif = field(src, o, p, 'oif', 'the output device (a string)', isString, fail);
    const ipproto = field(src, o, p, 'ipproto', 'the IP protocol (a string or number)', isNameOrNumber, fail);
    const port = isUintMax(65535);
    const sport = field(src, o, p, 'sport', 'the source port (0-65535)', port, fail);
    const sport0 = field(src, o, p, 'sport_start', 'the first source port (0-65535)', port, fail);
    const sport1 = field(src, o, p, 'sport_end', 'the last source port (0-65535)', port, fail);
    const dport = field(src, o, p, 'dport', 'the destination port (0-65535)', port, fail);
    const dport0 = field(src, o, p, 'dport_start', 'the first destination port (0-65535)', port, fail);
    const dport1 = field(src, o, p, 'dport_end', 'the last destination port (0-65535)', port, fail);
    const table = field(src, o, p, 'table', 'the table (a string)', isNameOrNumber, fail);
    const action = field(src, o, p, 'action', 'the action (a string)', isString, fail);
    const gotoPref = field(src, o, p, 'goto', 'the goto target (a priority)', isUintMax(0xffffffff), fail);
    const spl = field(src, o, p, 'suppress_prefixlen', 'suppress_prefixlength (0-32)', isUintMax(32), fail);
    const sig = field(src, o, p, 'suppress_ifgroup', 'suppress_ifgroup (a group)', isNameOrNumber, fail);
    const flags = field(src, o, p, 'flags', 'the rule flags (a list)', isArray, fail);
    const all = [
      from,
      srclen,
      to,
      dstlen,
      tos,
      dsfield,
      mark,
      mask,
      iif,
      oif,
      ipproto,
      sport,
      sport0,
      sport1,
    ];
    if ([...all, dport, dport0, dport1, table, action, gotoPref, spl, sig, flags].includes(false)) return;
    const words: string[] = [];
    if (Object.hasOwn(o, 'not')) words.push('not');
    const prefix = (a: string | undefined, len: number | undefined, key: string): string | undefined => {
      if (a === undefined || a === 'all') return undefined;
      const text = len === undefined ? a : `${a}/${len}`;
      if (!parsePrefix(text.includes('/') ? text : `${text}/32`).ok) {
        fail.json(src, [i, key], `${shortQuote(a)} is not an IPv4 address`);
        return undefined;
      }
      return text;
    };
    const f = prefix(from as string | undefined, srclen as number | undefined, 'src');
    if (f) words.push('from', f);
    const t = prefix(to as string | undefined, dstlen as number | undefined, 'dst');
    if (t) words.push('to', t);
    const tosv = tos ?? dsfield;
    if (tosv !== undefined) words.push('tos', String(tosv));
    if (mark !== undefined) words.push('fwmark', mask !== undefined ? `${mark}/${mask}` : String(mark));
    if (iif !== undefined) words.push('iif', iif as string);
    if (oif !== undefined) words.push('oif', oif as string);
    // `ip -N` prints the protocol as `ipproto-6` and the action as its number (RTN_*).
    if (ipproto !== undefined) words.push('ipproto', String(ipproto).replace(/^ipproto-(\d+)$/, '$1'));
    const range = (one: unknown, lo: unknown, hi: unknown): string | undefined =>
      one !== undefined
        ? String(one)
        : lo !== undefined
          ? lo === hi || hi === undefined
            ? String(lo)
            : `${lo}-${hi}`
          : undefined;
    const sp = range(sport, sport0, sport1);
    if (sp !== undefined) words.push('sport', sp);
    const dp = range(dport, dport0, dport1);
    if (dp !== undefined) words.push('dport', dp);
    const tw = table === undefined ? undefined : tableWordOf(String(table));
    if (gotoPref !== undefined) words.push('goto', String(gotoPref));
    else if (Object.hasOwn(o, 'nop')) words.push('nop');
    else if (action !== undefined) words.push(RTN_NAMES[Number(action)] ?? (action as string));
    else if (tw !== undefined) words.push('lookup', tw);
    if (spl !== undefined) words.push('suppress_prefixlength', String(spl));
    if (sig !== undefined) words.push('suppress_ifgroup', String(sig));
    words.push('pref', String(pref));
    const line = words.join(' ');
    const flagList = (flags ?? []) as unknown[];
    // Linux's default rules: natbox's hosts have them.
    if (
      words.length === 4 &&
      words[0] === 'lookup' &&
      ((pref === 0 && tw === 'local') ||
        (pref === 32766 && tw === 'main') ||
        (pref === 32767 && tw === 'default'))
    )
      return;
    if (other.length > 0 || flagList.length > 0)
      return notes.leftOut(
        src.file,
        at(p),
        line,
        `${[...other, ...flagList.map(String)].join(', ')}: not simulated in ip rules`,
      );
    if (tw !== undefined && parseTableId(tw) === undefined)
      return notes.leftOut(
        src.file,
        at([i, 'table']),
        line,
        `table ${shortQuote(tw)} is a name from the machine's /etc/iproute2/rt_tables; run \`ip -N -j rule\` (numbers) or declare it in the host's rt_tables`,
      );
    const check = parseRule(line);
    if (!check.ok) return fail.json(src, p, `not a rule natbox reads (${line}): ${check.error.message}`);
    out.push(line);
  });
  return fail.errors.length + fail.more > before ? undefined : out;
}

/** iptables-save text checked by the rules front end and the engine; unsupported rules left out with skipUnsupported. */
function readRules(src: ImportSource, skip: boolean, notes: Notes, fail: Failed): string | undefined {
  const raw = src.text.split(/\r?\n/);
  const lines = raw.map((text, i) => ({ text, file: src.file, line: i + 1, column: 1 }));
  // eslint-disable-next-line no-control-regex
  const ctl = raw.findIndex((l) => /[\x00-\x08\x0b-\x1f\x7f]/.test(l));
  if (ctl >= 0) {
    // eslint-disable-next-line no-control-regex
    const col = raw[ctl]!.search(/[\x00-\x08\x0b-\x1f\x7f]/) + 1;
    fail.add({
      file: src.file,
      line: ctl + 1,
      column: col,
      message: 'a control character in the rules (expected the text iptables-save prints)',
    });
    return undefined;
  }
  if (isNftSource(src)) return nftRules(src, skip, notes, fail);
  const r = loadRules(lines, undefined, { skipUnsupported: skip });
  if (!r.ok) {
    for (const d of r.diagnostics)
      fail.add({
        file: d.file,
        line: d.line,
        column: d.column,
        message: `${d.message}${isUnsupported(d.message) ? '; --skip-unsupported leaves such rules out' : ''}`,
      });
    return undefined;
  }
  // A command continued over several lines (backslash at the end) is left out whole.
  const groups: number[][] = [];
  if (detectForm(lines) === 'commands') {
    let cur: number[] = [];
    raw.forEach((l, i) => {
      cur.push(i);
      if (!endsWithContinuation(l)) {
        groups.push(cur);
        cur = [];
      }
    });
    if (cur.length > 0) groups.push(cur);
  } else raw.forEach((_, i) => groups.push([i]));
  const groupOf = new Map<number, number[]>();
  for (const g of groups) for (const i of g) groupOf.set(i + 1, g);
  const drop = new Set<number>();
  for (const d of r.skipped ?? []) {
    drop.add(d.line);
    const g = groupOf.get(d.line) ?? [d.line - 1];
    const text = g.map((i) => raw[i]!.trim().replace(/\\$/, '').trim()).join(' ');
    notes.leftOut(src.file, `${src.file}:${g[0]! + 1}`, text, d.message);
  }
  for (const p of checkRuleset(r.ruleset)) {
    const loc = p.rule.loc;
    const text = formatRule(p.chain, p.rule);
    if (!skip || loc === undefined) {
      fail.add({
        file: loc?.file ?? src.file,
        line: loc?.line ?? 1,
        column: loc?.column ?? 1,
        message: `${p.message} in ${p.table} ${p.chain} rule ${p.index} (${text}): natbox cannot simulate it; --skip-unsupported leaves such rules out`,
      });
      continue;
    }
    drop.add(loc.line);
    notes.leftOut(src.file, `${src.file}:${loc.line}`, text, `${p.message}: natbox cannot simulate it`);
  }
  if (fail.errors.length > 0) return undefined;
  const kept: string[] = [];
  for (const g of groups) {
    if (g.some((i) => drop.has(i + 1))) continue;
    for (const i of g)
      if (!/^# (Generated|Completed) /.test(raw[i]!)) kept.push(raw[i]!.replace(/(?<!\\)\s+$/, ''));
  }
  return kept.join('\n').trim();
}

/** `--nft`: nftables beside the iptables rules of `--rules` (not nftables themselves). */
/** nftables rules (readNftSource), their notes added to the import's. */
function nftRules(src: ImportSource, skip: boolean, notes: Notes, fail: Failed): string | undefined {
  const n = readNftSource(src, skip);
  if (!n.ok) {
    for (const e of n.errors) fail.add(e);
    return undefined;
  }
  for (const x of n.notes)
    if (x.kind === 'left-out') notes.leftOut(src.file, x.where, x.what, x.reason);
    else notes.approx(src.file, x.where, x.what, x.reason);
  return n.text;
}

function importNft(
  src: ImportSource,
  rules: ImportSource | undefined,
  skip: boolean,
  notes: Notes,
  fail: Failed,
): string | undefined {
  if (!isNftSource(src)) {
    fail.add({
      file: src.file,
      line: 1,
      column: 1,
      message:
        'expected nftables (nft list ruleset or nft -j list ruleset output); iptables-save output goes in --rules',
    });
    return undefined;
  }
  if (rules && isNftSource(rules)) {
    fail.add({
      file: rules.file,
      line: 1,
      column: 1,
      message: `--rules is nftables too: a host has one nftables ruleset (${src.file} in --nft)`,
    });
    return undefined;
  }
  return nftRules(src, skip, notes, fail);
}

function sourceText(fail: Failed, s: ImportSource | undefined): ImportSource | undefined {
  if (s === undefined) return undefined;
  if (s.text.length > IMPORT_LIMITS.inputChars) {
    fail.add({
      file: s.file,
      line: 1,
      column: 1,
      message: `${s.text.length} characters: natbox import reads at most ${IMPORT_LIMITS.inputChars} per file`,
    });
    return undefined;
  }
  return s;
}

const HOST_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export function importHost(input: ImportInput): ImportResult {
  const fail = new Failed();
  const notes = new Notes();
  if (!HOST_NAME.test(input.name))
    return {
      ok: false,
      errors: [
        {
          file: '--name',
          line: 0,
          column: 0,
          message: `${shortQuote(input.name)} is not a host name (use letters, digits, ".", "_" and "-")`,
        },
      ],
    };
  const addr = sourceText(fail, input.addr);
  const route = sourceText(fail, input.route);
  const ipRuleSrc = sourceText(fail, input.ipRule);
  const rulesSrc = sourceText(fail, input.rules);
  const sysctlSrc = sourceText(fail, input.sysctl);
  const listenSrc = sourceText(fail, input.listen);
  if (fail.errors.length > 0 || addr === undefined) return { ok: false, errors: fail.list() };

  const links = readLinks(addr, fail);
  const parts = links ? modelLinks(addr, links, notes, fail) : undefined;
  const routes = route && parts ? readRoutes(route, parts, notes, fail) : [];
  const ipRules = ipRuleSrc ? readIpRules(ipRuleSrc, notes, fail) : [];
  const rulesText = rulesSrc ? readRules(rulesSrc, input.skipUnsupported ?? false, notes, fail) : undefined;
  const nftSrc = sourceText(fail, input.nft);
  const nftText = nftSrc
    ? importNft(nftSrc, rulesSrc, input.skipUnsupported ?? false, notes, fail)
    : undefined;

  const sysctls: Record<string, number> = {};
  if (sysctlSrc) {
    const s = readSysctl(sysctlSrc.text);
    for (const e of s.errors) fail.text(sysctlSrc, e);
    const devs = parts && new Set([...Object.keys(parts.interfaces), ...Object.keys(parts.bridges)]);
    for (const [k, v] of s.values) {
      // A per-device setting of a device the host does not have here (lo, default, a device
      // `ip addr` left out) goes in the notes, not in the scenario.
      const dev = /^net\.ipv4\.conf\.([^.]+)\./.exec(k)?.[1];
      if (dev !== undefined && dev !== 'all' && devs && !devs.has(dev)) {
        s.notes.push({
          kind: 'left-out',
          line: v.line,
          what: `${k} = ${v.value}`,
          reason:
            dev === 'default'
              ? "the value for devices made later: natbox's devices exist from the start"
              : `natbox's host has no device ${shortQuote(dev)}`,
        });
        continue;
      }
      sysctls[k] = v.value;
    }
    addTextNotes(notes, sysctlSrc, s.notes);
  }
  if (input.forward) {
    if (sysctls['net.ipv4.ip_forward'] === 0)
      notes.approx(sysctlSrc!.file, sysctlSrc!.file, 'net.ipv4.ip_forward = 0', '--forward sets it to 1');
    sysctls['net.ipv4.ip_forward'] = 1;
  } else if (!sysctlSrc) {
    notes.approx(
      '(no --sysctl)',
      '(no --sysctl)',
      'net.ipv4.ip_forward',
      'not read: the host does not forward (give --sysctl FILE or --forward)',
    );
  }
  let listen: string[] = [];
  if (listenSrc && parts) {
    const l = readListen(listenSrc.text, parts.addrs);
    for (const e of l.errors) fail.text(listenSrc, e);
    addTextNotes(notes, listenSrc, l.notes);
    listen = l.sockets
      .sort((a, b) => a.proto.localeCompare(b.proto) || a.port - b.port)
      .map((s) => `${s.proto}/${s.port}`);
  }
  if (fail.errors.length > 0 || parts === undefined || routes === undefined || ipRules === undefined)
    return { ok: false, errors: fail.list() };

  const host: Record<string, unknown> = { interfaces: parts.interfaces };
  if (Object.keys(parts.bridges).length > 0) host.bridges = parts.bridges;
  if (routes.length > 0) host.routes = routes;
  if (ipRules.length > 0) host.ip_rules = ipRules;
  if (Object.keys(sysctls).length > 0) host.sysctls = sysctls;
  if (listen.length > 0) host.listen = listen;
  if (rulesText) host.rules = rulesText;
  if (nftText) host.nft = nftText;
  const doc = new Document({
    name: `${input.name}-imported`,
    hosts: { [input.name]: host },
    links: [],
    flows: [],
  });
  if (rulesText) {
    const node = doc.getIn(['hosts', input.name, 'rules'], true) as Scalar;
    node.type = Scalar.BLOCK_LITERAL;
  }
  if (nftText) {
    const node = doc.getIn(['hosts', input.name, 'nft'], true) as Scalar;
    node.type = Scalar.BLOCK_LITERAL;
  }
  const files = [addr, route, ipRuleSrc, rulesSrc, nftSrc, sysctlSrc, listenSrc]
    .filter((s) => s !== undefined)
    .map((s) => s.file);
  doc.commentBefore = [
    ` natbox scenario imported from ${files.join(', ')}.`,
    ' Add the other hosts, the links between them and the flows to simulate.',
    ...commentBlock(notes.list),
  ]
    .map(clean)
    .join('\n');
  const yaml = doc.toString({ lineWidth: 0 });

  // What natbox writes, natbox must read: load and build it before handing it out.
  const loaded = loadScenario(yaml, '<imported scenario>');
  const problems = loaded.ok
    ? (() => {
        const b = buildScenario(loaded.scenario);
        return b.ok ? [] : b.errors.map(formatBuildError);
      })()
    : loaded.errors.map(formatScenarioError);
  if (problems.length > 0)
    return {
      ok: false,
      internal: true,
      errors: problems.map((m) => ({
        file: addr.file,
        line: 1,
        column: 1,
        message: `the scenario natbox wrote does not load (a natbox bug): ${m}`,
      })),
    };
  return { ok: true, yaml, notes: notes.list };
}

function addTextNotes(notes: Notes, src: ImportSource, list: readonly TextNote[]): void {
  for (const n of list)
    (n.kind === 'left-out' ? notes.leftOut : notes.approx).call(
      notes,
      src.file,
      `${src.file}:${n.line}`,
      n.what,
      n.reason,
    );
}

/** Per reason and input file, up to this many notes are listed, then a count. */
const NOTES_PER_GROUP = 20;

/** The notes in groups of one kind and reason, each capped per input file. */
function grouped(list: readonly ImportNote[], kind: ImportNote['kind']): Map<string, ImportNote[][]> {
  const byReason = new Map<string, Map<string, ImportNote[]>>();
  for (const n of list) {
    if (n.kind !== kind) continue;
    const files = byReason.get(n.reason) ?? new Map<string, ImportNote[]>();
    byReason.set(n.reason, files);
    const ns = files.get(n.file);
    if (ns) ns.push(n);
    else files.set(n.file, [n]);
  }
  return new Map([...byReason].map(([r, files]) => [r, [...files.values()]]));
}

/** The comment block that lists what was left out or simulated differently, grouped by reason. */
function commentBlock(list: readonly ImportNote[]): string[] {
  const out: string[] = [];
  for (const [kind, title] of [
    ['left-out', 'Left out (natbox does not simulate them):'],
    ['approximated', 'Simulated differently:'],
  ] as const) {
    const byReason = grouped(list, kind);
    if (byReason.size === 0) continue;
    out.push('', ` ${title}`);
    for (const [reason, files] of byReason) {
      out.push(`   ${reason}:`);
      for (const ns of files) {
        for (const n of ns.slice(0, NOTES_PER_GROUP)) out.push(`     ${n.where}: ${n.what}`);
        if (ns.length > NOTES_PER_GROUP)
          out.push(`     … and ${ns.length - NOTES_PER_GROUP} more in ${ns[0]!.file}`);
      }
    }
  }
  return out;
}

/** The notes as lines for standard error (`left out: WHERE: WHAT: REASON`), capped as in the comment block. */
export function noteLines(list: readonly ImportNote[]): string[] {
  const out: string[] = [];
  for (const kind of ['left-out', 'approximated'] as const)
    for (const [, files] of grouped(list, kind))
      for (const ns of files) {
        for (const n of ns.slice(0, NOTES_PER_GROUP)) out.push(formatImportNote(n));
        if (ns.length > NOTES_PER_GROUP)
          out.push(
            clean(
              `${kind === 'left-out' ? 'left out' : 'simulated differently'}: … and ${ns.length - NOTES_PER_GROUP} more in ${ns[0]!.file} (${ns[0]!.reason})`,
            ),
          );
      }
  return out;
}
