// -j SET (libxt_SET.c, revision 3): --add-set NAME FLAGS [--exist] [--timeout N], --del-set NAME
// FLAGS, --map-set NAME FLAGS with --map-mark/--map-prio/--map-queue; set_target_check_v3's
// refusals; printed in set_target_save_v3's order.
import type { Token } from '../lex.ts';
import { fail, opt, parseUint, type TargetParser } from '../parse-util.ts';
import type { TargetExt } from './target-ext.ts';

export interface SetRef {
  readonly name: string;
  readonly dirs: readonly ('src' | 'dst')[];
}

export interface SetTarget {
  readonly kind: 'SET';
  readonly add?: SetRef;
  readonly del?: SetRef;
  readonly map?: SetRef;
  readonly exist: boolean;
  /** Seconds; absent: the set's default (UINT32_MAX in the kernel's struct). */
  readonly timeout?: number;
  readonly mapMark: boolean;
  readonly mapPrio: boolean;
  readonly mapQueue: boolean;
}

function setRef(args: Token[]): SetRef {
  const [nameTok, flagsTok] = args as [Token, Token];
  if (nameTok.text.length > 31) fail(nameTok, `set name "${nameTok.text}" is longer than 31 characters`);
  const dirs = flagsTok.text.split(',');
  if (dirs.length > 6 || dirs.some((d) => d !== 'src' && d !== 'dst'))
    fail(flagsTok, `bad set flags "${flagsTok.text}" (expected a comma list of src and dst, at most 6)`);
  return { name: nameTok.text, dirs: dirs as ('src' | 'dst')[] };
}

function parser(tok: Token): TargetParser {
  const st: {
    add?: SetRef;
    del?: SetRef;
    map?: SetRef;
    exist?: Token;
    timeout?: number;
    timeoutTok?: Token;
    mark?: Token;
    prio?: Token;
    queue?: Token;
  } = {};
  return {
    name: 'SET',
    tok,
    opts: [
      opt('add-set', 2, false),
      opt('del-set', 2, false),
      opt('exist', 0, false),
      opt('timeout', 1, false),
      opt('map-set', 2, false),
      opt('map-mark', 0, false),
      opt('map-prio', 0, false),
      opt('map-queue', 0, false),
    ],
    option(id, args, _inv, optTok) {
      switch (id) {
        case 'add-set':
          st.add = setRef(args);
          break;
        case 'del-set':
          st.del = setRef(args);
          break;
        case 'map-set':
          st.map = setRef(args);
          break;
        case 'exist':
          st.exist = optTok;
          break;
        case 'timeout':
          st.timeout = parseUint(args[0]!, args[0]!.text, 0xfffffffe, 'SET --timeout');
          st.timeoutTok = optTok;
          break;
        case 'map-mark':
          st.mark = optTok;
          break;
        case 'map-prio':
          st.prio = optTok;
          break;
        default:
          st.queue = optTok;
      }
    },
    finish() {
      if (!st.add && !st.del && !st.map)
        fail(tok, 'SET: you must specify either "--add-set" or "--del-set" or "--map-set"');
      if (!st.add && st.exist) fail(st.exist, 'SET: flag "--exist" can be used with "--add-set" only');
      if (!st.add && st.timeoutTok)
        fail(st.timeoutTok, 'SET: option "--timeout" can be used with "--add-set" only');
      for (const [t, n] of [
        [st.mark, 'map-mark'],
        [st.prio, 'map-prio'],
        [st.queue, 'map-queue'],
      ] as const)
        if (!st.map && t) fail(t, `SET: flag "--${n}" can be used with "--map-set" only`);
      if (st.map && !st.mark && !st.prio && !st.queue)
        fail(tok, 'SET: you must specify flags "--map-mark" or "--map-prio" or "--map-queue"');
      return {
        kind: 'SET',
        ...(st.add ? { add: st.add } : {}),
        ...(st.del ? { del: st.del } : {}),
        ...(st.map ? { map: st.map } : {}),
        exist: st.exist !== undefined,
        ...(st.timeout !== undefined ? { timeout: st.timeout } : {}),
        mapMark: st.mark !== undefined,
        mapPrio: st.prio !== undefined,
        mapQueue: st.queue !== undefined,
      };
    },
  };
}

function setText(t: SetTarget, d: string): string {
  const ref = (w: string, r: SetRef | undefined): string =>
    r ? ` ${d}${w} ${r.name} ${r.dirs.join(',')}` : '';
  let s = ref('add-set', t.add);
  if (t.exist) s += ` ${d}exist`;
  if (t.timeout !== undefined) s += ` ${d}timeout ${t.timeout}`;
  s += ref('del-set', t.del) + ref('map-set', t.map);
  if (t.mapMark) s += ` ${d}map-mark`;
  if (t.mapPrio) s += ` ${d}map-prio`;
  if (t.mapQueue) s += ` ${d}map-queue`;
  return s;
}

export const SET: TargetExt<SetTarget> = {
  name: 'SET',
  parser,
  save: (t) => setText(t, '--'),
  print: (t) => setText(t, ''),
};
