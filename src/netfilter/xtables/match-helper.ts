// -m helper (xt_helper.c helper_mt): matches a connection whose master connection has the named
// conntrack helper (the data connection an FTP or TFTP helper expected: conntrack/helper.ts). An
// entry without a master, or no entry at all, gives the "!" alone. `--helper ""` matches any
// helper; otherwise the rule's name must start with the helper's name (strncmp over the helper
// name's length, so `--helper ftp-21` matches the ftp helper, as the kernel does).
import type { MatchOf, XtMatch } from './xt-match.ts';

export const helperMatch: XtMatch<MatchOf<'helper'>> = {
  match(m, skb) {
    const e = skb.ct;
    if (e < 0) return m.invert;
    const helper = skb.env?.conntrack.masterHelper?.(e) ?? '';
    if (helper === '') return m.invert;
    if (m.name === '') return !m.invert;
    return m.invert !== m.name.startsWith(helper);
  },
  describe: (m) => `-m helper: the connection was not expected by a "${m.name}" helper`,
};
