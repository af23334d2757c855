// -m devgroup (libxt_devgroup.c): [!] --src-group / [!] --dst-group value[/mask] or a name of
// /etc/iproute2/group; the kernel (xt_devgroup.c) allows --src-group only in PREROUTING, INPUT,
// FORWARD and --dst-group only in FORWARD, OUTPUT, POSTROUTING.
import type { Token } from '../lex.ts';
import type { Inv, ValueMask } from '../model.ts';
import { fail, onlyInHooks, opt, type ModuleParser } from '../parse-util.ts';
import type { MatchExt } from './ext.ts';
import { DEVGROUP_NAMES, parseValMask, valMask } from './misc-util.ts';

export interface DevgroupMatch {
  readonly module: 'devgroup';
  readonly src?: Inv<ValueMask>;
  readonly dst?: Inv<ValueMask>;
}

function parser(tok: Token): ModuleParser {
  let src: Inv<ValueMask> | undefined;
  let dst: Inv<ValueMask> | undefined;
  return {
    name: 'devgroup',
    tok,
    opts: [opt('src-group', 1, true), opt('dst-group', 1, true)],
    option(id, args, invert, optTok) {
      if ((id === 'src-group' ? src : dst) !== undefined) {
        fail(optTok, `devgroup: option "--${id}" can only be used once`);
      }
      const v = { value: parseValMask(args[0]!, 'devgroup', id, DEVGROUP_NAMES), invert };
      if (id === 'src-group') src = v;
      else dst = v;
    },
    finish(ctx) {
      if (!src && !dst) fail(tok, "devgroup match: You must specify either '--src-group' or '--dst-group'");
      if (src) onlyInHooks(ctx, tok, 'match "devgroup --src-group"', ['PREROUTING', 'INPUT', 'FORWARD']);
      if (dst) onlyInHooks(ctx, tok, 'match "devgroup --dst-group"', ['FORWARD', 'OUTPUT', 'POSTROUTING']);
      return { module: 'devgroup', ...(src ? { src } : {}), ...(dst ? { dst } : {}) };
    },
  };
}

function show(m: DevgroupMatch, pfx: string, names: ReadonlyMap<number, string> | undefined): string {
  let s = '';
  if (m.src) s += `${m.src.invert ? ' !' : ''} ${pfx}src-group${valMask(m.src.value, names)}`;
  if (m.dst) s += `${m.dst.invert ? ' !' : ''} ${pfx}dst-group${valMask(m.dst.value, names)}`;
  return s;
}

export const devgroup: MatchExt<DevgroupMatch> = {
  name: 'devgroup',
  parser,
  save: (m) => show(m, '--', DEVGROUP_NAMES),
  print: (m) => show(m, '', undefined),
};
