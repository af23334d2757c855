// -m statistic (libxt_statistic.c): --mode random --probability P, or --mode nth --every N
// --packet P; a "!" on --probability or --every inverts the whole match (XT_STATISTIC_INVERT).
import type { Token } from '../lex.ts';
import { fail, once, opt, parseUint, type ModuleParser } from '../parse-util.ts';
import { bang, type MatchExt } from './ext.ts';

export interface StatisticMatch {
  readonly module: 'statistic';
  readonly mode: 'random' | 'nth';
  /** random: probability × 2^31, rounded (libxt_statistic). */
  readonly probability: number;
  /** nth: match every `every`-th packet, starting at counter `packet`. */
  readonly every: number;
  readonly packet: number;
  readonly invert: boolean;
}

function parser(tok: Token): ModuleParser {
  let mode: 'random' | 'nth' | undefined;
  let probability: number | undefined;
  let every: number | undefined;
  let packet: number | undefined;
  let invert = false;
  let everyTok: Token | undefined;
  let packetTok: Token | undefined;
  let probTok: Token | undefined;
  return {
    name: 'statistic',
    tok,
    opts: [
      opt('mode', 1, false),
      opt('probability', 1, true),
      opt('every', 1, true),
      opt('packet', 1, false),
    ],
    option(id, args, inv, optTok) {
      const t = args[0]!;
      switch (id) {
        case 'mode':
          once(mode, optTok, 'mode');
          if (t.text !== 'random' && t.text !== 'nth')
            fail(t, `bad mode "${t.text}" (expected random or nth)`);
          mode = t.text as 'random' | 'nth';
          break;
        case 'probability': {
          once(probability, optTok, 'probability');
          const p = Number(t.text);
          if (!/^\s*[0-9.eE+-]+$/.test(t.text) || !Number.isFinite(p) || p < 0 || p > 1)
            fail(t, `bad probability "${t.text}" (expected a number from 0 to 1)`);
          probability = Math.round(0x80000000 * p); // lround(): p >= 0, so halves go up as here
          probTok = optTok;
          if (inv) invert = true;
          break;
        }
        case 'every': {
          once(every, optTok, 'every');
          const n = parseUint(t, t.text, 0xffffffff, '--every value');
          if (n === 0) fail(t, '--every must be at least 1');
          every = n;
          everyTok = optTok;
          if (inv) invert = true;
          break;
        }
        default:
          once(packet, optTok, 'packet');
          packet = parseUint(t, t.text, 0xffffffff, '--packet value');
          packetTok = optTok;
      }
    },
    finish() {
      if (!mode) fail(tok, 'match "statistic" needs "--mode random" or "--mode nth"');
      if (mode === 'random') {
        if (everyTok || packetTok)
          fail((everyTok ?? packetTok)!, '"--every" and "--packet" are for "--mode nth"');
        if (probability === undefined) fail(tok, '"--mode random" needs "--probability"');
        return { module: 'statistic', mode, probability: probability!, every: 0, packet: 0, invert };
      }
      if (probTok) fail(probTok, '"--probability" is for "--mode random"');
      if (every === undefined) fail(packetTok ?? tok, '"--mode nth" needs "--every"');
      if (packet === undefined) fail(everyTok!, 'option "--every" also requires "--packet"');
      if (packet! > every! - 1) fail(packetTok!, `"--packet" must be below "--every" (0-${every! - 1})`);
      return { module: 'statistic', mode: 'nth', probability: 0, every: every!, packet: packet!, invert };
    },
  };
}

export const statistic: MatchExt<StatisticMatch> = {
  name: 'statistic',
  parser,
  save: (m) =>
    m.mode === 'random'
      ? ` --mode random${bang(m.invert)} --probability ${(m.probability / 0x80000000).toFixed(11)}`
      : ` --mode nth${bang(m.invert)} --every ${m.every} --packet ${m.packet}`,
  print: (m) =>
    m.mode === 'random'
      ? ` statistic mode random${bang(m.invert)} probability ${(m.probability / 0x80000000).toFixed(11)}`
      : ` statistic mode nth${bang(m.invert)} every ${m.every}${m.packet ? ` packet ${m.packet}` : ''}`,
};
