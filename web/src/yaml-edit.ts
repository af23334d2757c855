// Edits of the scenario text that the page makes for the user: a host's rules replaced (a pasted
// iptables-save or nft ruleset), and the seed's fix, rule B of examples/hairpin/dnat-snat.yaml.
// The YAML package's Document keeps the user's comments and layout elsewhere in the file.
import { parseDocument, Scalar, isMap, isScalar } from 'yaml';
import { detectLanguage, type RulesLanguage } from '../../src/rules/language.ts';

/** Rule B of the seed (examples/hairpin/dnat-snat.yaml): SNAT the hairpinned SYN to the router. */
export const SEED_SNAT =
  'iptables -t nat -A POSTROUTING -o br-lan -s 192.168.1.0/24 -d 192.168.1.200/32 -p tcp -m tcp --dport 80 -j SNAT --to-source 192.168.1.1';

/** Host names and their `rules:` text, from the scenario text (empty when it does not parse). */
export function hostRules(text: string): Map<string, string> {
  const out = new Map<string, string>();
  try {
    const doc = parseDocument(text);
    const hosts = doc.get('hosts');
    if (!isMap(hosts)) return out;
    for (const p of hosts.items) {
      const name = isScalar(p.key) ? String(p.key.value) : String(p.key);
      const r = doc.getIn(['hosts', name, 'rules']);
      out.set(name, typeof r === 'string' ? r : '');
    }
  } catch {
    // Text the YAML reader refuses: the run shows the error.
  }
  return out;
}

/** `text` with host `host`'s `rules:` replaced by `rules` (removed when blank). */
export function setHostRules(text: string, host: string, rules: string): string {
  const doc = parseDocument(text);
  if (rules.trim() === '') doc.deleteIn(['hosts', host, 'rules']);
  else {
    const s = new Scalar(rules.endsWith('\n') ? rules : `${rules}\n`);
    s.type = Scalar.BLOCK_LITERAL;
    doc.setIn(['hosts', host, 'rules'], s);
  }
  return doc.toString({ lineWidth: 0 });
}

/** The host that needs the seed's SNAT rule, when the scenario is the seed without it (by hostRules). */
export function snatTarget(byHost: ReadonlyMap<string, string>): string | undefined {
  const r = byHost.get('router');
  if (r === undefined || !r.includes('--to-destination 192.168.1.200') || r.includes('-j SNAT'))
    return undefined;
  return 'router';
}

export function addSeedSnat(text: string): string {
  const r = hostRules(text).get('router') ?? '';
  return setHostRules(text, 'router', `${r.replace(/\n*$/, '\n')}${SEED_SNAT}\n`);
}

const LANG_WORDS: Record<RulesLanguage, string> = {
  iptables: 'iptables (commands or iptables-save)',
  nft: 'nftables (nft list ruleset / nft -f)',
  'nft-json': 'nftables JSON (nft -j)',
  'nft-commands': 'a script of nft commands',
};

/** In words, the language src/rules/language.ts reads `rules` as. */
export function languageOf(rules: string): string {
  const lines = rules.split('\n').map((t, i) => ({ text: t, file: 'rules', line: i + 1, column: 1 }));
  const l = detectLanguage(lines);
  return l ? LANG_WORDS[l] : 'no rules';
}
