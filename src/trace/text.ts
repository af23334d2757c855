// The trace as text for a terminal: the scenario, every packet at every device with the rules,
// NAT and conntrack events between them, then each flow's verdict and reason, and the conntrack
// tables at the end. Colour only when asked (the CLI honours NO_COLOR and non-terminals).
import type { TraceDoc, TraceStep } from './model.ts';
import { arpText, type FrameInfo } from './frame.ts';

export interface TextOptions {
  color?: boolean;
  /** Show ARP frames (hidden by default: the story is about IP). */
  arp?: boolean;
  /** Show every packet's conntrack classification and routing decision too, and ICMP redirects. */
  verbose?: boolean;
  /** Fit lines into this many columns, continuing long ones on indented lines; none: no limit. */
  width?: number;
}

type Seg = readonly [Style | undefined, string];

/**
 * Words broken into lines of at most `width` columns, the first line after `first` columns, the
 * others after `indent`: each line a list of [word index, text] (a word longer than a line is cut).
 */
export function breakWords(
  words: readonly string[],
  first: number,
  width: number,
  indent: number,
): [number, string][][] {
  const lines: [number, string][][] = [];
  let cur: [number, string][] = [];
  let used = 0;
  let room = Math.max(1, width - first);
  const flush = (): void => {
    lines.push(cur);
    cur = [];
    used = 0;
    room = Math.max(1, width - indent);
  };
  words.forEach((word, k) => {
    let w = word;
    if (cur.length > 0 && used + 1 + w.length > room) flush();
    while (w.length > room - (cur.length > 0 ? used + 1 : 0)) {
      if (cur.length > 0) flush();
      cur.push([k, w.slice(0, room)]);
      w = w.slice(room);
      flush();
    }
    if (w === '' && cur.length === 0) return;
    used += (cur.length > 0 ? 1 : 0) + w.length;
    cur.push([k, w]);
  });
  if (cur.length > 0 || lines.length === 0) lines.push(cur);
  return lines;
}

/** An ICMP redirect, its sending or its drop: none of them changes what a flow does here. */
function isRedirect(s: TraceStep): boolean {
  if (s.kind === 'packet') return s.packet.proto === 'icmp' && s.packet.icmp?.type === 5;
  if (s.kind === 'icmp-sent') return /ICMP redirect/.test(s.text);
  if (s.kind === 'drop') return /ICMP redirect/.test(s.reason);
  return false;
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
  const width = opts.width !== undefined && opts.width > 0 ? opts.width : undefined;
  const out: string[] = [];
  /**
   * One line: `prefix` (already styled, `prefixLen` columns) then the segments; when it does not
   * fit, continued on lines indented by `indent` columns (less when that leaves under 40).
   */
  const emit = (prefix: string, prefixLen: number, segs: readonly Seg[], indent: number): void => {
    const plain = segs.map(([, t]) => t).join('');
    if (!width || prefixLen + plain.length <= width) {
      out.push(prefix + segs.map(([st, t]) => (st ? c(st, t) : t)).join(''));
      return;
    }
    const ind = width - indent >= 40 ? indent : Math.min(indent, 4);
    // Each word keeps the style of the segment it came from.
    const words: string[] = [];
    const styleOf: (Style | undefined)[] = [];
    // Runs of spaces are kept (empty words), except at the start of a line.
    segs.forEach(([st, t], i) => {
      // A segment's last space only separates it from the next.
      const text = i < segs.length - 1 && t.endsWith(' ') ? t.slice(0, -1) : t;
      for (const w of text.split(' ')) {
        words.push(w);
        styleOf.push(st);
      }
    });
    breakWords(words, prefixLen, width, ind).forEach((l, i) => {
      // Words of one style in a row are coloured as one run.
      let text = '';
      let run: string[] = [];
      let runStyle: Style | undefined;
      const end = (): void => {
        if (run.length === 0) return;
        const t = run.join(' ');
        text += (text === '' ? '' : ' ') + (runStyle ? c(runStyle, t) : t);
        run = [];
      };
      for (const [k, w] of l) {
        if (run.length > 0 && styleOf[k] !== runStyle) end();
        runStyle = styleOf[k];
        run.push(w);
      }
      end();
      out.push(((i === 0 ? prefix : ' '.repeat(ind)) + text).trimEnd());
    });
  };
  emit(c('bold', `━━ ${doc.scenario.name}`) + c('dim', `  (${doc.scenario.file})`), 0, [], 0);
  if (doc.scenario.description) emit('', 0, [[undefined, doc.scenario.description.replace(/\s+/g, ' ')]], 0);
  out.push('');
  if (doc.skipped && doc.skipped.length > 0) {
    emit(
      '',
      0,
      [
        [
          'red',
          `${doc.skipped.length} rule(s) natbox cannot simulate were left out (--skip-unsupported): this is not exactly the real ruleset`,
        ],
      ],
      2,
    );
    for (const k of doc.skipped) emit('  ', 2, [['red', `${k.where}: ${k.host}: ${k.rule}: ${k.reason}`]], 4);
    out.push('');
  }
  // Widths by a loop, not Math.max(...steps): a trace can hold millions of steps.
  let hostW = 6;
  let devW = 6;
  let tW = 8;
  for (const s of doc.steps) {
    if (s.host.length > hostW) hostW = s.host.length;
    if (s.kind === 'packet' && s.ifname.length > devW) devW = s.ifname.length;
  }
  for (const s of doc.steps) if (s.t >= 10) tW = Math.max(tW, s.t.toFixed(6).length);
  // Where the text of every step starts: after the time, the host, the device and the direction.
  const col = tW + 2 + hostW + 1 + devW + 6;
  let lastT = -1;
  const packetLine = (s: Extract<TraceStep, { kind: 'packet' }>, text: string): void => {
    const t = s.t === lastT ? ' '.repeat(tW) : s.t.toFixed(6).padStart(tW);
    lastT = s.t;
    const dir = s.dir === 'in' ? c('cyan', 'in ') : c('blue', 'out');
    emit(
      `${c('dim', t)}  ${s.host.padEnd(hostW)} ${s.ifname.padEnd(devW)} ${dir}  `,
      col,
      [[undefined, text]],
      col,
    );
  };
  const note = (s: TraceStep, segs: readonly Seg[]): void => {
    emit(`${' '.repeat(tW + 2)}${c('dim', s.host.padEnd(hostW))} ${' '.repeat(devW + 6)}`, col, segs, col);
  };
  let hiddenRedirects = 0;
  let hiddenArp = 0;
  for (const s of doc.steps) {
    switch (s.kind) {
      case 'packet': {
        if (s.packet.proto === 'arp' && !opts.arp) {
          hiddenArp++;
          break;
        }
        if (!opts.verbose && isRedirect(s)) {
          hiddenRedirects++;
          break;
        }
        packetLine(s, packetText(s.packet));
        break;
      }
      case 'rule':
        note(s, [
          ['magenta', `${s.table} ${s.chain} rule ${s.index} matched: `],
          [undefined, s.rule],
        ]);
        if (s.note) note(s, [['dim', s.note]]);
        break;
      case 'rule-miss':
        if (opts.verbose) note(s, [['dim', `${s.table} ${s.chain} rule ${s.index} not matched: ${s.why}`]]);
        break;
      case 'policy':
        if (s.table === 'nat' || s.policy !== 'ACCEPT')
          note(s, [['magenta', `${s.table} ${s.chain}: no rule matched, policy ${s.policy}`]]);
        break;
      case 'nat':
        if (s.by === 'null-binding') break;
        note(s, [
          ['yellow', `${s.manip}${s.by === 'mapping' ? ' (conntrack mapping)' : ''} `],
          [undefined, `${s.before}  ⇒  ${s.after}`],
        ]);
        break;
      case 'ct-event':
        note(s, [
          ['green', `conntrack [${s.event}] `],
          [undefined, s.line],
        ]);
        break;
      case 'conntrack':
        if (opts.verbose || s.state === 'INVALID') note(s, [['dim', `${s.hook}: ctstate ${s.state}`]]);
        break;
      case 'route':
        if (s.decision === 'flowtable') {
          const to = `${s.dst}${s.via ? ` via ${s.via}` : ''} dev ${s.dev}`;
          note(s, [
            [
              'cyan',
              `flowtable ${s.flowtable}: forwarded at ingress to ${to} (prerouting, forward, postrouting skipped)`,
            ],
          ]);
        } else if (s.random !== undefined) {
          note(s, [
            ['dim', `route: forward to ${s.dst}${s.via ? ` via ${s.via}` : ''} dev ${s.dev}`],
            ['yellow', ` (random path: ${s.random})`],
          ]);
        } else if (opts.verbose || s.decision === 'unreachable' || s.decision === 'bridge') {
          const how =
            s.decision === 'forward'
              ? `forward to ${s.dst}${s.via ? ` via ${s.via}` : ''} dev ${s.dev}`
              : s.decision === 'bridge'
                ? `${s.dst} is on ${s.dev}: bridged (bridge netfilter DNAT)`
                : `${s.decision} ${s.dst}${s.why !== undefined ? ` (${s.why})` : ''}`;
          note(s, [['dim', `route: ${how}`]]);
        }
        break;
      case 'socket':
        note(s, [[s.event === 'unexpected-source' || s.event === 'rst-sent' ? 'red' : 'dim', s.text]]);
        break;
      case 'drop':
        if (!opts.verbose && isRedirect(s)) {
          hiddenRedirects++;
          break;
        }
        note(s, [['red', `dropped${s.ifname ? ` (${s.ifname})` : ''}: ${s.reason}`]]);
        break;
      case 'config':
        note(s, [['yellow', s.text]]);
        break;
      case 'event':
        note(s, [
          ['yellow', `event at ${s.t.toFixed(3)} s: ${s.command}`],
          [
            s.rc === 0 ? 'dim' : 'red',
            ` → exit ${s.rc}${s.effect ? `: ${s.effect}` : ''}${s.rc !== 0 && s.stderr ? `: ${s.stderr.trim().replace(/\n/g, ' / ')}` : ''}`,
          ],
        ]);
        break;
      case 'icmp-sent':
        if (!opts.verbose && isRedirect(s)) {
          hiddenRedirects++;
          break;
        }
        note(s, [['dim', s.text]]);
        break;
    }
  }
  if (hiddenArp > 0) out.push(c('dim', `(${hiddenArp} ARP frames not shown; --arp shows them)`));
  if (hiddenRedirects > 0)
    out.push(
      c('dim', `(${hiddenRedirects} ICMP redirect steps not shown: they change nothing here; -v shows them)`),
    );
  out.push('');
  for (const f of doc.flows) {
    const head = `flow "${f.name}": ${f.from} ${f.proto} ${f.sport !== undefined ? `from port ${f.sport} ` : ''}to ${f.to}`;
    emit('', 0, [['bold', head]], 2);
    const verdict = f.verdict.toUpperCase();
    const ok =
      f.pass === undefined
        ? ''
        : f.pass
          ? c('green', '  ✓ as expected')
          : c('red', `  ✗ ${f.mismatches.join('; ')}`);
    out.push(`  verdict: ${c('bold', verdict)}${ok}`);
    emit('  why: ', 7, [[undefined, f.reason]], 7);
    out.push('');
  }
  const hosts = Object.keys(doc.conntrack);
  if (hosts.length > 0) {
    const labelled = hosts.some((h) => doc.conntrack[h]!.some((e) => e.entry.labels !== undefined));
    const cmd = labelled
      ? 'conntrack -L -o labels (connlabel.conf: each bit named by its number)'
      : 'conntrack -L';
    out.push(c('bold', `${cmd} at the end (t = ${doc.end.toFixed(3)} s):`));
    for (const h of hosts) {
      const entries = doc.conntrack[h]!;
      if (entries.length === 0) out.push(`  ${h}: (empty)`);
      for (const e of entries) emit(`  ${h}: `, h.length + 4, [[undefined, e.line]], 4);
    }
    out.push('');
  }
  if (doc.counters) {
    for (const [h, text] of Object.entries(doc.counters)) {
      out.push(c('bold', `${h}: rule counters after the run (t = ${doc.end.toFixed(3)} s):`));
      out.push(text.replace(/\n$/, ''));
      out.push('');
    }
  }
  return out.join('\n');
}
