// -m mac (libxt_mac.c): --mac-source XX:XX:XX:XX:XX:XX, invertible; only in PREROUTING, INPUT and
// FORWARD (mac_mt's hooks).
import type { Token } from '../lex.ts';
import type { Inv } from '../model.ts';
import { fail, once, onlyInHooks, opt, type ModuleParser } from '../parse-util.ts';
import { bang, type MatchExt } from './ext.ts';

/** Source MAC address, lowercase `aa:bb:cc:dd:ee:ff`. */
export interface MacMatch {
  readonly module: 'mac';
  readonly mac: Inv<string>;
}

function parser(tok: Token): ModuleParser {
  let mac: Inv<string> | undefined;
  return {
    name: 'mac',
    tok,
    opts: [opt('mac-source', 1, true)],
    option(_id, args, invert, optTok) {
      once(mac, optTok, 'mac-source');
      const t = args[0]!;
      if (!/^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}$/.test(t.text))
        fail(t, `bad MAC address "${t.text}" (expected XX:XX:XX:XX:XX:XX)`);
      const v = t.text
        .split(':')
        .map((x) => x.toLowerCase().padStart(2, '0'))
        .join(':');
      mac = { value: v, invert };
    },
    finish(ctx) {
      if (!mac) fail(tok, 'match "mac" needs "--mac-source"');
      onlyInHooks(ctx, tok, 'match "mac"', ['PREROUTING', 'INPUT', 'FORWARD']);
      return { module: 'mac', mac: mac! };
    },
  };
}

export const mac: MatchExt<MacMatch> = {
  name: 'mac',
  parser,
  save: (m) => `${bang(m.mac.invert)} --mac-source ${m.mac.value}`,
  print: (m) => ` MAC${bang(m.mac.invert)} ${m.mac.value}`,
};
