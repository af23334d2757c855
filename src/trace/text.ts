// The trace as text for a terminal: the scenario, every packet at every device with the rules,
// NAT and conntrack events between them, then each flow's verdict and reason, and the conntrack
// tables at the end. Colour only when asked (the CLI honours NO_COLOR and non-terminals).
import type { TraceDoc, TraceStep } from './model.ts';
import { arpText, type FrameInfo } from './frame.ts';

export interface TextOptions {
  color?: boolean;
  /** Show ARP frames (hidden by default: the story is about IP). */
  arp?: boolean;
  /** Show every packet's conntrack classification and routing decision too. */
  verbose?: boolean;
}

const CODES = {
  bold: '1',
  dim: '2',
  red: '31',
  green: '32',
  yellow: '33',
  blue: '34',
  magenta: '35',
  cyan: '36',
} as const;
type Style = keyof typeof CODES;

function packetText(p: FrameInfo): string {
  switch (p.proto) {
    case 'tcp':
      return `${p.src}:${p.sport} > ${p.dst}:${p.dport} TCP [${p.flags}]${p.len ? ` len ${p.len}` : ''} ttl ${p.ttl}`;
    case 'udp':
      return `${p.src}:${p.sport} > ${p.dst}:${p.dport} UDP len ${p.len} ttl ${p.ttl}`;
    case 'icmp': {
      const i = p.icmp!;
      const what =
        i.type === 8 ? 'echo request' : i.type === 0 ? 'echo reply' : `type ${i.type} code ${i.code}`;
      return `${p.src} > ${p.dst} ICMP ${what}${i.id !== undefined ? ` id ${i.id}` : ''} ttl ${p.ttl}`;
    }
    case 'arp':
      return arpText(p);
    default:
      return p.summary;
  }
}

export function renderText(doc: TraceDoc, opts: TextOptions = {}): string {
  const c = (style: Style, s: string): string => (opts.color ? `\x1b[${CODES[style]}m${s}\x1b[0m` : s);
  const out: string[] = [];
  out.push(c('bold', `━━ ${doc.scenario.name}`) + c('dim', `  (${doc.scenario.file})`));
  if (doc.scenario.description) out.push(doc.scenario.description.replace(/\s+/g, ' '));
  out.push('');
  if (doc.skipped && doc.skipped.length > 0) {
    out.push(
      c(
        'red',
        `${doc.skipped.length} rule(s) natbox cannot simulate were left out (--skip-unsupported): this is not exactly the real ruleset`,
      ),
    );
    for (const k of doc.skipped) out.push(c('red', `  ${k.where}: ${k.host}: ${k.rule}: ${k.reason}`));
    out.push('');
  }
  const hostW = Math.max(6, ...doc.steps.map((s) => s.host.length));
  const devW = Math.max(6, ...doc.steps.map((s) => (s.kind === 'packet' ? s.ifname.length : 0)));
  let lastT = -1;
  const line = (s: TraceStep, text: string): void => {
    const t = s.t === lastT ? ' '.repeat(10) : s.t.toFixed(6).padStart(10);
    lastT = s.t;
    out.push(`${c('dim', t)}  ${s.host.padEnd(hostW)} ${text}`);
  };
  const note = (s: TraceStep, text: string): void => {
    out.push(`${' '.repeat(12)}${c('dim', s.host.padEnd(hostW))} ${' '.repeat(devW + 6)}${text}`);
  };
  let hiddenArp = 0;
  for (const s of doc.steps) {
    switch (s.kind) {
      case 'packet': {
        if (s.packet.proto === 'arp' && !opts.arp) {
          hiddenArp++;
          break;
        }
        const dir = s.dir === 'in' ? c('cyan', 'in ') : c('blue', 'out');
        line(s, `${s.ifname.padEnd(devW)} ${dir}  ${packetText(s.packet)}`);
        break;
      }
      case 'rule':
        note(s, c('magenta', `${s.table} ${s.chain} rule ${s.index} matched: `) + s.rule);
        break;
      case 'rule-miss':
        if (opts.verbose) note(s, c('dim', `${s.table} ${s.chain} rule ${s.index} not matched: ${s.why}`));
        break;
      case 'policy':
        if (s.table === 'nat' || s.policy !== 'ACCEPT')
          note(s, c('magenta', `${s.table} ${s.chain}: no rule matched, policy ${s.policy}`));
        break;
      case 'nat':
        if (s.by === 'null-binding') break;
        note(
          s,
          c('yellow', `${s.manip}${s.by === 'mapping' ? ' (conntrack mapping)' : ''} `) +
            `${s.before}  ⇒  ${s.after}`,
        );
        break;
      case 'ct-event':
        note(s, c('green', `conntrack [${s.event}] `) + s.line);
        break;
      case 'conntrack':
        if (opts.verbose || s.state === 'INVALID') note(s, c('dim', `${s.hook}: ctstate ${s.state}`));
        break;
      case 'route':
        if (opts.verbose || s.decision === 'unreachable' || s.decision === 'bridge') {
          const how =
            s.decision === 'forward'
              ? `forward to ${s.dst}${s.via ? ` via ${s.via}` : ''} dev ${s.dev}`
              : s.decision === 'bridge'
                ? `${s.dst} is on ${s.dev}: bridged (bridge netfilter DNAT)`
                : `${s.decision} ${s.dst}`;
          note(s, c('dim', `route: ${how}`));
        }
        break;
      case 'socket':
        note(s, c(s.event === 'unexpected-source' || s.event === 'rst-sent' ? 'red' : 'dim', s.text));
        break;
      case 'drop':
        note(s, c('red', `dropped${s.ifname ? ` (${s.ifname})` : ''}: ${s.reason}`));
        break;
      case 'config':
        note(s, c('yellow', s.text));
        break;
      case 'icmp-sent':
        note(s, c('dim', s.text));
        break;
    }
  }
  if (hiddenArp > 0) out.push(c('dim', `(${hiddenArp} ARP frames not shown; --arp shows them)`));
  out.push('');
  for (const f of doc.flows) {
    const head = `flow "${f.name}": ${f.from} ${f.proto} ${f.sport !== undefined ? `from port ${f.sport} ` : ''}to ${f.to}`;
    out.push(c('bold', head));
    const verdict = f.verdict.toUpperCase();
    const ok =
      f.pass === undefined
        ? ''
        : f.pass
          ? c('green', '  ✓ as expected')
          : c('red', `  ✗ ${f.mismatches.join('; ')}`);
    out.push(`  verdict: ${c('bold', verdict)}${ok}`);
    out.push(`  why: ${f.reason}`);
    out.push('');
  }
  const hosts = Object.keys(doc.conntrack);
  if (hosts.length > 0) {
    out.push(c('bold', `conntrack -L at the end (t = ${doc.end.toFixed(3)} s):`));
    for (const h of hosts) {
      const entries = doc.conntrack[h]!;
      if (entries.length === 0) out.push(`  ${h}: (empty)`);
      for (const e of entries) out.push(`  ${h}: ${e.line}`);
    }
    out.push('');
  }
  return out.join('\n');
}
