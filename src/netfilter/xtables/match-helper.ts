// -m helper (xt_helper.c helper_mt): matches a connection whose master connection has the named
// conntrack helper (the data connection an FTP helper expected, say); an entry without a master,
// or no entry at all, gives the "!" alone. natbox runs no conntrack helpers (CT --helper is
// refused, and automatic helper assignment has been off by default since Linux 4.7), so no entry
// has a master: `--helper NAME` never matches and `! --helper NAME` always does, as in a kernel
// with no helper attached.
import type { MatchOf, XtMatch } from './xt-match.ts';

export const helperMatch: XtMatch<MatchOf<'helper'>> = {
  match: (m) => m.invert,
  describe: (m) =>
    `-m helper: the connection was not expected by a "${m.name}" helper (natbox runs no conntrack helpers)`,
};
