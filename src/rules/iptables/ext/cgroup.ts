// -m cgroup (libxt_cgroup.c, revision 2): [!] --path (a cgroup2 path, relative to its root) or
// [!] --cgroup (a net_cls classid), exactly one of them (xt_cgroup.c checkentry); in INPUT,
// OUTPUT and POSTROUTING. The kernel also refuses a --path that does not exist on the host: natbox
// reads every path (it has no cgroup tree) and refuses the match when it evaluates.
import type { Token } from '../lex.ts';
import type { Inv } from '../model.ts';
import { fail, onlyInHooks, opt, type ModuleParser } from '../parse-util.ts';
import { bang, saveString, type MatchExt } from './ext.ts';
import { parseU32 } from './misc-util.ts';

export interface CgroupMatch {
  readonly module: 'cgroup';
  readonly path?: Inv<string>;
  readonly classid?: Inv<number>;
}

/** XT_CGROUP_PATH_MAX: longer paths are cut (xtopt_parse_string). */
const PATH_MAX = 512;

function parser(tok: Token): ModuleParser {
  let path: Inv<string> | undefined;
  let classid: Inv<number> | undefined;
  return {
    name: 'cgroup',
    tok,
    opts: [opt('path', 1, true), opt('cgroup', 1, true)],
    option(id, args, invert, optTok) {
      if (id === 'path') {
        if (path) fail(optTok, 'cgroup: option "--path" can only be used once');
        path = { value: args[0]!.text.slice(0, PATH_MAX - 1), invert };
      } else {
        if (classid) fail(optTok, 'cgroup: option "--cgroup" can only be used once');
        classid = { value: parseU32(args[0]!, 'cgroup', 'cgroup'), invert };
      }
    },
    finish(ctx) {
      if (!path && !classid)
        fail(tok, 'match "cgroup" needs --path or --cgroup (the kernel refuses neither)');
      if (path && classid) fail(tok, 'match "cgroup": --path and --cgroup cannot be used together');
      onlyInHooks(ctx, tok, 'match "cgroup"', ['INPUT', 'OUTPUT', 'POSTROUTING']);
      return { module: 'cgroup', ...(path ? { path } : {}), ...(classid ? { classid } : {}) };
    },
  };
}

export const cgroup: MatchExt<CgroupMatch> = {
  name: 'cgroup',
  parser,
  save(m) {
    let s = '';
    if (m.path) s += `${bang(m.path.invert)} --path ${saveString(m.path.value)}`;
    if (m.classid) s += `${bang(m.classid.invert)} --cgroup ${m.classid.value}`;
    return s;
  },
  print(m) {
    let s = ' cgroup';
    if (m.path) s += ` ${m.path.invert ? '! ' : ''}${m.path.value}`;
    if (m.classid) s += ` ${m.classid.invert ? '! ' : ''}${m.classid.value}`;
    return s;
  },
};
