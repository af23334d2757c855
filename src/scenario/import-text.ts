// The line-based inputs of `natbox import`: `sysctl` output (or the content of
// /proc/sys/net/ipv4/ip_forward) and `ss -ltnu` output (with or without -H and -p). Each reader
// returns what natbox can simulate, what it leaves out and why, and errors at LINE:COLUMN for text
// that is not what the tool prints. No I/O.
import { parseIpv4 } from '../wire/addr.ts';
import { shortQuote } from './import-json.ts';
import { sysctlRange } from './load.ts';

export interface TextError {
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** Something of the machine the scenario does not have (left out) or has in another form. */
export interface TextNote {
  readonly kind: 'left-out' | 'approximated';
  readonly line: number;
  readonly what: string;
  readonly reason: string;
}

interface Words {
  readonly text: string;
  readonly at: number; // 0-based column
}

function words(line: string): Words[] {
  return [...line.matchAll(/\S+/g)].map((m) => ({ text: m[0], at: m.index }));
}

// ---- sysctl ------------------------------------------------------------------------------------

export interface SysctlRead {
  readonly values: Map<string, { value: number; line: number }>;
  readonly notes: TextNote[];
  readonly errors: TextError[];
}

/**
 * `sysctl NAME…` / `sysctl -a` output (`name = value`), sysctl.conf lines (`name=value`, `#`
 * comments), or the bare content of /proc/sys/net/ipv4/ip_forward (one number).
 */
export function readSysctl(text: string): SysctlRead {
  const values = new Map<string, { value: number; line: number }>();
  const notes: TextNote[] = [];
  const errors: TextError[] = [];
  const lines = text.split(/\r?\n/);
  const meaningful = lines.filter((l) => l.trim() !== '' && !/^\s*[#;]/.test(l));
  lines.forEach((raw, k) => {
    const line = k + 1;
    const t = raw.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';')) return;
    const lead = raw.length - raw.trimStart().length;
    let name: string;
    let value: string;
    let valueCol: number;
    const m = /^([^\s=]+)\s*=\s*(.*)$/.exec(t);
    if (m) {
      name = m[1]!.replace(/\//g, '.');
      value = m[2]!.trim();
      valueCol = lead + t.length - m[2]!.length + 1;
    } else if (meaningful.length === 1 && /^\d+$/.test(t)) {
      // The content of /proc/sys/net/ipv4/ip_forward.
      name = 'net.ipv4.ip_forward';
      value = t;
      valueCol = lead + 1;
    } else {
      errors.push({
        line,
        column: lead + 1,
        message: `expected "name = value" (the output of sysctl) or the content of /proc/sys/net/ipv4/ip_forward, found ${shortQuote(t)}`,
      });
      return;
    }
    const range = sysctlRange(name);
    if (range === undefined) {
      notes.push({
        kind: 'left-out',
        line,
        what: `${shortQuote(name)} = ${shortQuote(value)}`,
        reason: /^net\.ipv4\.conf\.[^.]+\.[a-z_]+$/.test(name)
          ? 'natbox simulates net.ipv4.conf.{all,DEV}.{rp_filter,arp_ignore,arp_announce,arp_filter,proxy_arp} only'
          : 'natbox does not simulate this sysctl',
      });
      return;
    }
    if (!/^\d+$/.test(value)) {
      errors.push({
        line,
        column: valueCol,
        message: `${shortQuote(value)} is not a value for ${name} (expected ${range.what})`,
      });
      return;
    }
    const n = Number(value);
    if (n < range.min || n > range.max) {
      notes.push({
        kind: 'left-out',
        line,
        what: `${name} = ${value}`,
        reason: `natbox accepts ${range.what} for it`,
      });
      return;
    }
    values.set(name, { value: n, line });
  });
  return { values, notes, errors };
}

// ---- ss ----------------------------------------------------------------------------------------

const STATES = new Set([
  'LISTEN',
  'UNCONN',
  'ESTAB',
  'SYN-SENT',
  'SYN-RECV',
  'FIN-WAIT-1',
  'FIN-WAIT-2',
  'TIME-WAIT',
  'CLOSE-WAIT',
  'LAST-ACK',
  'CLOSING',
  'CLOSED',
  'UNKNOWN',
]);

export interface ListenRead {
  /** `tcp/22`, `udp/53`, each once, in the order first seen. */
  readonly sockets: { proto: 'tcp' | 'udp'; port: number; line: number }[];
  readonly notes: TextNote[];
  readonly errors: TextError[];
}

/**
 * `ss -ltnu` output (`ss -ltn`, `-lun`, with -H, -p, -e): TCP sockets in LISTEN and UDP sockets
 * in UNCONN become `listen` entries. `hostAddrs` are the host's IPv4 addresses in the scenario: a
 * socket bound to one of them is kept (natbox's sockets answer on every address, which is said),
 * one bound to another address is left out.
 */
export function readListen(text: string, hostAddrs: ReadonlySet<number>): ListenRead {
  const sockets: { proto: 'tcp' | 'udp'; port: number; line: number }[] = [];
  const seen = new Set<string>();
  const notes: TextNote[] = [];
  const errors: TextError[] = [];
  text.split(/\r?\n/).forEach((raw, k) => {
    const line = k + 1;
    const w = words(raw);
    if (w.length === 0) return;
    const err = (at: number, message: string): void => {
      errors.push({ line, column: at + 1, message });
    };
    if (w[0]!.text === 'Netid' || w[0]!.text === 'State') return; // the header
    let i = 0;
    let netid: string | undefined;
    if (!STATES.has(w[0]!.text)) {
      netid = w[0]!.text;
      i = 1;
    }
    const state = w[i];
    if (state === undefined || !STATES.has(state.text)) {
      err(
        (state ?? w[0]!).at,
        `expected a socket state (LISTEN, UNCONN, …), found ${shortQuote((state ?? w[0]!).text)}; expected the output of \`ss -ltnu\``,
      );
      return;
    }
    const [recvQ, sendQ, local, peer] = [w[i + 1], w[i + 2], w[i + 3], w[i + 4]];
    if (local === undefined || peer === undefined) {
      err(
        raw.length,
        'expected Recv-Q, Send-Q, the local and the peer address:port after the state (the output of `ss -ltnu`)',
      );
      return;
    }
    for (const q of [recvQ!, sendQ!]) {
      if (!/^\d+$/.test(q.text)) {
        err(q.at, `expected a queue length (a number), found ${shortQuote(q.text)}`);
        return;
      }
    }
    const proto = netid ?? (state.text === 'LISTEN' ? 'tcp' : state.text === 'UNCONN' ? 'udp' : undefined);
    const program = /users:\(\("((?:[^"\\]|\\.)*)"/.exec(raw)?.[1];
    const what = `${netid ? `${netid} ` : ''}${state.text} ${local.text}${program ? ` (${shortQuote(program)})` : ''}`;
    if (proto !== 'tcp' && proto !== 'udp') {
      notes.push({
        kind: 'left-out',
        line,
        what: shortQuote(what),
        reason: `${netid ? shortQuote(netid) : 'this'} socket kind is not simulated (natbox has tcp and udp)`,
      });
      return;
    }
    if (state.text !== (proto === 'tcp' ? 'LISTEN' : 'UNCONN')) {
      notes.push({
        kind: 'left-out',
        line,
        what,
        reason: 'not a listening socket (natbox import reads `ss -ltnu`)',
      });
      return;
    }
    const colon = local.text.lastIndexOf(':');
    if (colon < 0) {
      err(local.at, `expected ADDRESS:PORT, found ${shortQuote(local.text)}`);
      return;
    }
    const portText = local.text.slice(colon + 1);
    if (!/^\d+$/.test(portText)) {
      err(
        local.at + colon + 1,
        /^[A-Za-z]/.test(portText)
          ? `port ${shortQuote(portText)} is a service name: capture numeric ports with \`ss -ltnu\` (-n)`
          : `expected a port number, found ${shortQuote(portText)}`,
      );
      return;
    }
    const port = Number(portText);
    if (port < 1 || port > 65535) {
      err(local.at + colon + 1, `${portText} is not a port number (1-65535)`);
      return;
    }
    let addr = local.text.slice(0, colon);
    let dev: string | undefined;
    const pct = addr.lastIndexOf('%');
    if (pct >= 0 && !addr.slice(pct).includes(']')) {
      dev = addr.slice(pct + 1);
      addr = addr.slice(0, pct);
    }
    let v4: number | undefined; // undefined: any address
    if (addr === '*' || addr === '0.0.0.0') v4 = undefined;
    else if (addr.startsWith('[') && addr.endsWith(']')) {
      const inner = addr.slice(1, -1);
      const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(inner);
      const p = mapped ? parseIpv4(mapped[1]!) : undefined;
      if (p?.ok) v4 = p.value;
      else if (inner.includes(':') && /^[0-9A-Fa-f:.]+$/.test(inner)) {
        notes.push({
          kind: 'left-out',
          line,
          what,
          reason: 'IPv6 is not simulated yet',
        });
        return;
      } else {
        err(
          local.at,
          `${shortQuote(addr)} is not an address (expected what ss prints: 0.0.0.0, *, [::], an IPv4 or IPv6 address)`,
        );
        return;
      }
    } else {
      const p = parseIpv4(addr);
      if (!p.ok) {
        err(
          local.at,
          `${shortQuote(addr)} is not an address (expected what ss prints: 0.0.0.0, *, [::], an IPv4 or IPv6 address)`,
        );
        return;
      }
      v4 = p.value;
    }
    const key = `${proto}/${port}`;
    if (v4 !== undefined) {
      if (v4 >>> 24 === 127) {
        notes.push({
          kind: 'left-out',
          line,
          what,
          reason: 'bound to a loopback address: natbox does not simulate the loopback interface',
        });
        return;
      }
      if (!hostAddrs.has(v4)) {
        notes.push({
          kind: 'left-out',
          line,
          what,
          reason: 'bound to an address the imported host does not have',
        });
        return;
      }
      if (!seen.has(key))
        notes.push({
          kind: 'approximated',
          line,
          what: `${key}: ${what}`,
          reason: "bound to one address: natbox's listening socket answers on every address of the host",
        });
    }
    if (dev !== undefined && !seen.has(key))
      notes.push({
        kind: 'approximated',
        line,
        what: `${key}: ${what}`,
        reason: "bound to one device (SO_BINDTODEVICE): natbox's listening socket answers on every interface",
      });
    if (seen.has(key)) return;
    seen.add(key);
    sockets.push({ proto, port, line });
  });
  return { sockets, notes, errors };
}
