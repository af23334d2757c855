// -j NFQUEUE (libxt_NFQUEUE.c, revision 3): --queue-num N or --queue-balance first:last,
// --queue-bypass, --queue-cpu-fanout (with --queue-balance only); printed as NFQUEUE_save_v3 /
// NFQUEUE_print_v3 (`--queue-num 0` when none was given). --fail-open is no option of iptables.
import type { Token } from '../lex.ts';
import { fail, opt, parseUint, type TargetParser } from '../parse-util.ts';
import type { TargetExt } from './target-ext.ts';

export interface NfqueueTarget {
  readonly kind: 'NFQUEUE';
  readonly queue: number;
  /** queues_total: 1, or last - first + 1 with --queue-balance. */
  readonly total: number;
  readonly bypass: boolean;
  readonly cpuFanout: boolean;
}

function parser(tok: Token): TargetParser {
  let queue = 0;
  let total = 1;
  let bypass = false;
  let fanout: Token | undefined;
  const seen = new Set<string>();
  return {
    name: 'NFQUEUE',
    tok,
    opts: [
      opt('queue-num', 1, false),
      opt('queue-balance', 1, false),
      opt('queue-bypass', 0, false),
      opt('queue-cpu-fanout', 0, false),
    ],
    option(id, args, _inv, optTok) {
      if (seen.has(id)) fail(optTok, `NFQUEUE: option "--${id}" can only be used once`);
      seen.add(id);
      if (seen.has('queue-num') && seen.has('queue-balance'))
        fail(optTok, 'NFQUEUE: option "--queue-num" cannot be used together with "--queue-balance"');
      const t = args[0]!;
      if (id === 'queue-num') queue = parseUint(t, t.text, 65535, 'NFQUEUE value for --queue-num');
      else if (id === 'queue-balance') {
        const [a, b, ...rest] = t.text.split(':');
        if (b === undefined || rest.length) fail(t, `bad range "${t.text}" (expected first:last)`);
        const first = parseUint(t, a!, 65535, 'NFQUEUE queue');
        const last = parseUint(t, b!, 65535, 'NFQUEUE queue');
        if (first >= last) fail(t, `${first} should be less than ${last}`);
        queue = first;
        total = last - first + 1;
      } else if (id === 'queue-bypass') bypass = true;
      else fanout = optTok;
    },
    finish() {
      if (fanout && !seen.has('queue-balance'))
        fail(fanout, 'NFQUEUE: option "--queue-cpu-fanout" also requires "--queue-balance"');
      // queues_total is 16 bits: 0:65535 makes it 0, which nfqueue_tg_check refuses (EINVAL).
      if (total > 65535) fail(tok, 'NFQUEUE: --queue-balance 0:65535 is 65536 queues (at most 65535)');
      return { kind: 'NFQUEUE', queue, total, bypass, cpuFanout: fanout !== undefined };
    },
  };
}

/** NFQUEUE_save_v3 (`d` = '--queue-') and NFQUEUE_print_v3 (`d` = ''). */
function nfqText(t: NfqueueTarget, d: string): string {
  let s = t.total > 1 ? ` ${d}balance ${t.queue}:${t.queue + t.total - 1}` : ` ${d}num ${t.queue}`;
  if (t.bypass) s += ` ${d}bypass`;
  if (t.cpuFanout) s += ` ${d}cpu-fanout`;
  return s;
}

export const NFQUEUE: TargetExt<NfqueueTarget> = {
  name: 'NFQUEUE',
  parser,
  save: (t) => nfqText(t, '--queue-'),
  print: (t) => ` NFQUEUE${nfqText(t, '')}`,
};
