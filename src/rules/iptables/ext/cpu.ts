// -m cpu (libxt_cpu.c): [!] --cpu N, the CPU that processes the packet.
import type { Token } from '../lex.ts';
import type { Inv } from '../model.ts';
import { fail, opt, type ModuleParser } from '../parse-util.ts';
import { bang, type MatchExt } from './ext.ts';
import { parseU32 } from './misc-util.ts';

export interface CpuMatch {
  readonly module: 'cpu';
  readonly cpu: Inv<number>;
}

function parser(tok: Token): ModuleParser {
  let cpu: Inv<number> | undefined;
  return {
    name: 'cpu',
    tok,
    opts: [opt('cpu', 1, true)],
    option(_id, args, invert, optTok) {
      if (cpu) fail(optTok, 'cpu: option "--cpu" can only be used once');
      cpu = { value: parseU32(args[0]!, 'cpu', 'cpu'), invert };
    },
    finish() {
      if (!cpu) fail(tok, 'cpu: option "--cpu" must be specified');
      return { module: 'cpu', cpu: cpu! };
    },
  };
}

export const cpu: MatchExt<CpuMatch> = {
  name: 'cpu',
  parser,
  save: (m) => `${bang(m.cpu.invert)} --cpu ${m.cpu.value}`,
  print: (m) => ` cpu ${m.cpu.invert ? '! ' : ''}${m.cpu.value}`,
};
