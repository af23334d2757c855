// A natbox check fix applied to the scenario's text, as the user would apply it on the host: an
// iptables command goes into the host's `rules:` (as a command, or as a line of its iptables-save),
// nft statements after its nft rules, `sysctl -w K=V` into its `sysctls:`, and any other command
// (`ip route`, `conntrack -D`) as an event at 0 s, which is how `natbox check` proves its fixes
// (src/check/fix.ts applyFixes). The YAML package's Document keeps the rest of the file as it was.
import { parseDocument, Scalar, isMap, isSeq, type Document } from 'yaml';
import type { Fix } from '../../src/check/model.ts';
import { appliedCommands } from '../../src/check/fix.ts';
import { detectLanguage } from '../../src/rules/language.ts';

export interface Applied {
  readonly text: string;
  /** Where each command went, in words (`router rules:`, `events: at 0 s on server`). */
  readonly where: readonly string[];
}

const block = (s: string): Scalar => {
  const v = new Scalar(s.endsWith('\n') ? s : `${s}\n`);
  v.type = Scalar.BLOCK_LITERAL;
  return v;
};

function rulesOf(doc: Document, host: string, key: 'rules' | 'nft'): string | undefined {
  const r = doc.getIn(['hosts', host, key]);
  return typeof r === 'string' ? r : undefined;
}

function langOf(rules: string): ReturnType<typeof detectLanguage> {
  const lines = rules.split('\n').map((t, i) => ({ text: t, file: 'rules', line: i + 1, column: 1 }));
  return detectLanguage(lines);
}

/** Whether the rules are a list of `iptables …` commands (not an iptables-save). */
const isCommandList = (rules: string): boolean =>
  rules
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .every((l) => /^(iptables|ip6tables)(-nft|-legacy)?\s/.test(l));

/** `iptables [-t T] -A|-I|-R CHAIN …` as its table and the rule's iptables-save line, when it is one. */
function saveLine(
  cmd: string,
): { table: string; op: string; chain: string; num?: number; rest: string } | undefined {
  const m = /^iptables\s+(?:-t\s+(\S+)\s+)?(-[AIR])\s+(\S+)(?:\s+(\d+))?\s+(.*)$/.exec(cmd.trim());
  if (!m) return undefined;
  return {
    table: m[1] ?? 'filter',
    op: m[2]!,
    chain: m[3]!,
    ...(m[4] ? { num: Number(m[4]) } : {}),
    rest: m[5]!,
  };
}

/** The iptables-save text with the command's rule put where iptables would put it; undefined if not placeable. */
function intoSave(save: string, cmd: string): string | undefined {
  const c = saveLine(cmd);
  if (!c) return undefined;
  const lines = save.replace(/\n*$/, '').split('\n');
  const start = lines.findIndex((l) => l.trim() === `*${c.table}`);
  const rule = `-A ${c.chain} ${c.rest}`;
  if (start < 0) {
    if (c.op !== '-A' && !(c.op === '-I' && (c.num ?? 1) === 1)) return undefined;
    return `${[...lines, `*${c.table}`, `:${c.chain} ACCEPT [0:0]`, rule, 'COMMIT'].join('\n')}\n`;
  }
  let end = lines.findIndex((l, i) => i > start && l.trim() === 'COMMIT');
  if (end < 0) end = lines.length;
  const mine: number[] = [];
  for (let i = start + 1; i < end; i++) if (lines[i]!.trim().startsWith(`-A ${c.chain} `)) mine.push(i);
  if (c.op === '-A') lines.splice(end, 0, rule);
  else if (c.op === '-I') {
    const n = c.num ?? 1;
    const at = mine[n - 1] ?? (n === mine.length + 1 ? (mine.length ? mine[mine.length - 1]! + 1 : end) : -1);
    if (at < 0) return undefined;
    lines.splice(at, 0, rule);
  } else {
    const at = c.num !== undefined ? mine[c.num - 1] : undefined;
    if (at === undefined) return undefined;
    lines[at] = rule;
  }
  return `${lines.join('\n')}\n`;
}

function addEvent(doc: Document, host: string, run: string): void {
  const ev = doc.createNode({ at: 0, host, run });
  const events = doc.get('events');
  if (isSeq(events)) events.items.push(ev);
  else doc.set('events', doc.createNode([{ at: 0, host, run }]));
}

/** `text` with the fix applied (its first form; an OpenWrt option by its nft form). */
export function applyFix(text: string, fix: Fix): Applied {
  const a = appliedCommands(fix);
  if (!a) throw new Error('this fix is advice: there is no command to apply');
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new Error(doc.errors[0]!.message);
  const host = fix.host;
  if (!isMap(doc.getIn(['hosts', host]))) throw new Error(`the scenario has no host ${host}`);
  const where: string[] = [];
  for (const cmd of a.commands) {
    const rules = rulesOf(doc, host, 'rules') ?? '';
    const lang = rules.trim() ? langOf(rules) : undefined;
    if (a.dialect === 'iptables' && (!rules.trim() || (lang === 'iptables' && isCommandList(rules)))) {
      doc.setIn(
        ['hosts', host, 'rules'],
        block(`${rules.replace(/\n*$/, rules.trim() ? '\n' : '')}${cmd}\n`),
      );
      where.push(`${host} rules:`);
      continue;
    }
    if (a.dialect === 'iptables' && lang === 'iptables') {
      const next = intoSave(rules, cmd);
      if (next !== undefined) {
        doc.setIn(['hosts', host, 'rules'], block(next));
        where.push(`${host} rules: (iptables-save)`);
        continue;
      }
    }
    if (a.dialect === 'nft') {
      const key = lang === 'nft' || lang === 'nft-commands' ? 'rules' : 'nft';
      const cur = rulesOf(doc, host, key) ?? '';
      doc.setIn(['hosts', host, key], block(`${cur.replace(/\n*$/, cur.trim() ? '\n' : '')}${cmd}\n`));
      where.push(`${host} ${key}:`);
      continue;
    }
    const sys = a.dialect === 'sysctl' ? /^sysctl\s+-w\s+([\w.-]+)=(\S+)$/.exec(cmd.trim()) : null;
    if (sys) {
      const v = /^-?\d+$/.test(sys[2]!) ? Number(sys[2]) : sys[2]!;
      if (!isMap(doc.getIn(['hosts', host, 'sysctls'])))
        doc.setIn(['hosts', host, 'sysctls'], doc.createNode({}));
      doc.setIn(['hosts', host, 'sysctls', sys[1]!], v);
      where.push(`${host} sysctls:`);
      continue;
    }
    addEvent(doc, host, cmd);
    where.push(`events: at 0 s on ${host}`);
  }
  return { text: doc.toString({ lineWidth: 0 }), where };
}
