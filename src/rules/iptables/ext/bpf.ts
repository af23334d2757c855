// -m bpf (libxt_bpf.c, revision 1): --bytecode "N,code jt jf k,..." (classic BPF as
// `nfbpf_compile` prints it; at most 64 instructions, checked as the kernel's bpf_check_classic
// does) or --object-pinned PATH (an eBPF program pinned in bpffs: read and printed, never run).
// Listed as "match bpf CODE" without a leading blank and with the NUL byte print_code ends with.
import { cbpfCheck } from '../../../wire/cbpf.ts';
import type { Token } from '../lex.ts';
import { fail, opt, type ModuleParser } from '../parse-util.ts';
import type { MatchExt } from './ext.ts';

export interface BpfMatch {
  readonly module: 'bpf';
  /** 4 numbers per instruction: code, jt, jf, k (empty with --object-pinned). */
  readonly program: readonly number[];
  readonly pinned?: string;
}

const XT_BPF_MAX_NUM_INSTR = 64;

/** bpf_parse_string: sscanf "%hu%c" for the length, then "%hu %hhu %hhu %u," per instruction. */
function parseBytecode(t: Token): number[] {
  const s = t.text;
  const head = /^\s*\+?(\d+)(.)/s.exec(s);
  if (!head || head[2] !== ',') fail(t, 'bpf: error parsing program length');
  const len = Number(head![1]) % 65536;
  if (!len) fail(t, 'bpf: illegal zero length program');
  if (len > XT_BPF_MAX_NUM_INSTR)
    fail(t, `bpf: number of instructions exceeds maximum (${len} > ${XT_BPF_MAX_NUM_INSTR})`);
  const out: number[] = [];
  let i = 0;
  let at = s.indexOf(',');
  while (at >= 0 && at + 1 < s.length) {
    const token = s.slice(at + 1);
    if (i >= len) fail(t, 'bpf: real program length exceeds the encoded length parameter');
    const m = /^\s*\+?(\d+)\s*\+?(\d+)\s*\+?(\d+)\s*\+?(\d+)/.exec(token);
    if (!m) fail(t, `bpf: error at instr ${i}`);
    out.push(Number(m![1]) % 65536, Number(m![2]) % 256, Number(m![3]) % 256, Number(m![4]) % 2 ** 32);
    i++;
    at = s.indexOf(',', at + 1);
  }
  if (i !== len) fail(t, 'bpf: parsed program length is less than the encoded length parameter');
  const why = cbpfCheck(out);
  if (why) fail(t, `bpf: the kernel refuses the program (${why})`);
  return out;
}

function parser(tok: Token): ModuleParser {
  let program: number[] | undefined;
  let pinned: string | undefined;
  return {
    name: 'bpf',
    tok,
    opts: [opt('bytecode', 1, false), opt('object-pinned', 1, false)],
    option(id, args, _invert, optTok) {
      if (id === 'bytecode') {
        if (program) fail(optTok, 'bpf: option "--bytecode" can only be used once');
        program = parseBytecode(args[0]!);
      } else {
        if (pinned !== undefined) fail(optTok, 'bpf: option "--object-pinned" can only be used once');
        pinned = args[0]!.text;
      }
    },
    finish() {
      if ((program === undefined) === (pinned === undefined))
        fail(tok, 'bpf: one of --bytecode or --object-pinned is required');
      return pinned !== undefined
        ? { module: 'bpf', program: [], pinned }
        : { module: 'bpf', program: program! };
    },
  };
}

const code = (p: readonly number[]): string => {
  const parts: string[] = [];
  for (let i = 0; i < p.length; i += 4) parts.push(`${p[i]} ${p[i + 1]} ${p[i + 2]} ${p[i + 3]}`);
  return parts.join(',');
};

export const bpf: MatchExt<BpfMatch> = {
  name: 'bpf',
  parser,
  save: (m) =>
    m.pinned !== undefined
      ? ` --object-pinned ${m.pinned}`
      : ` --bytecode "${m.program.length / 4},${code(m.program)}"`,
  print: (m) => (m.pinned !== undefined ? `match bpf pinned ${m.pinned}` : `match bpf ${code(m.program)}\0`),
};
