// Discovery in an nftables ruleset: the dnat/redirect statements reached from a nat prerouting
// base chain (through jumps, fw4's dstnat > dstnat_lan), and the snat/masquerade ones from nat
// postrouting. Read from each rule as `nft list ruleset` prints it: the conditions check needs
// (iifname, oifname, ip saddr/daddr, tcp/udp dport) are plain words there.
import { formatIpv4, inPrefix, parseIpv4, parsePrefix } from '../wire/addr.ts';
import { printNftRule } from '../rules/nft/index.ts';
import type { NftChain, NftRuleset, NftTable } from '../rules/nft/model.ts';
import type { WorldConfig } from '../sim/world.ts';
import type { ForwardView, NetworkView, Proto, SnatView } from './model.ts';
import { ownerOf, type Addr } from './hosts.ts';

type HostCfg = WorldConfig['hosts'][number];

interface Found {
  table: NftTable;
  chain: NftChain;
  text: string;
  conds: string;
  path: string[];
}

function walk(
  table: NftTable,
  chain: NftChain,
  conds: string,
  path: string[],
  out: Found[],
  depth = 0,
): void {
  if (depth > 16) return;
  for (const r of chain.rules) {
    const text = printNftRule(table, chain, r).replace(/ comment "(?:[^"\\]|\\.)*"$/, '');
    const j = / (?:jump|goto) (\S+)$/.exec(` ${text}`);
    if (j) {
      const next = table.chains.find((c) => c.name === j[1]);
      if (next)
        walk(
          table,
          next,
          `${conds} ${text.slice(0, text.length - j[0].length + 1)}`,
          [...path, next.name],
          out,
          depth + 1,
        );
    } else if (/\b(dnat|redirect|snat|masquerade)\b/.test(text))
      out.push({ table, chain, text, conds: `${conds} ${text}`, path });
  }
}

function found(nft: NftRuleset, hook: string): Found[] {
  const out: Found[] = [];
  for (const t of nft.tables)
    for (const c of t.chains)
      if (c.base?.type === 'nat' && c.base.hook === hook && (t.family === 'ip' || t.family === 'inet'))
        walk(t, c, '', [c.name], out);
  return out;
}

const word = (conds: string, re: RegExp): string | undefined => re.exec(conds)?.[1];

export function nftForwards(
  world: WorldConfig,
  router: HostCfg,
  nft: NftRuleset,
  ctx: {
    wan: NetworkView | undefined;
    inside: readonly NetworkView[];
    publicAddr: number;
    addrs: readonly Addr[];
  },
): ForwardView[] {
  const out: ForwardView[] = [];
  for (const f of found(nft, 'prerouting')) {
    const m = /\b(dnat|redirect)(?: ip)?(?: to)? ?([\d.]+)?(?::(\d+))?/.exec(f.text);
    if (!m) continue;
    const proto = (word(f.conds, /\b(tcp|udp) dport \d+/) ?? 'tcp') as Proto;
    const dport = Number(word(f.conds, /\b(?:tcp|udp) dport (\d+)/) ?? 0);
    const daddr = word(f.conds, /\bip daddr ([\d.]+)(?!\/)/);
    const publicAddr = daddr ? (parseIpv4(daddr) as { value: number }).value : ctx.publicAddr;
    const iif = word(f.conds, /\biifname "([^"]+)"/);
    const saddr = word(f.conds, /\bip saddr ([\d./]+)/);
    const targetAddr =
      m[1] === 'redirect' ? publicAddr : m[2] ? (parseIpv4(m[2]) as { value: number }).value : publicAddr;
    const targetPort = m[3] ? Number(m[3]) : dport;
    const publicPort = dport || targetPort;
    if (!publicPort) continue;
    const admits = (n: NetworkView | undefined): boolean => {
      if (!n) return false;
      if (iif && iif !== n.dev) return false;
      if (saddr) {
        const p = parsePrefix(saddr);
        const a = parsePrefix(n.prefix);
        if (p.ok && a.ok && !inPrefix(a.value.addr, p.value)) return false;
      }
      return true;
    };
    const targetHost = ctx.addrs.some((a) => a.addr === targetAddr)
      ? router.name
      : ownerOf(world, targetAddr);
    out.push({
      id: `${router.name}:${proto}/${publicPort}`,
      lang: 'nft',
      rule: `${f.table.family} ${f.table.name} ${f.chain.name}: ${f.text}`,
      path: f.path.join(' > '),
      proto,
      publicAddr: formatIpv4(publicAddr),
      publicPort,
      targetAddr: formatIpv4(targetAddr),
      targetPort,
      ...(targetHost ? { targetHost } : {}),
      fromInside: ctx.inside.some(admits),
      fromOutside: admits(ctx.wan),
    });
  }
  return out;
}

export function nftSnats(nft: NftRuleset): SnatView[] {
  return found(nft, 'postrouting')
    .filter((f) => /\b(snat|masquerade)\b/.test(f.text))
    .map((f) => {
      const o = word(f.conds, /\boifname "([^"]+)"/);
      const s = word(f.conds, /\bip saddr ([\d./]+)/);
      const d = word(f.conds, /\bip daddr ([\d./]+)/);
      return {
        rule: `${f.table.family} ${f.table.name} ${f.chain.name}: ${f.text}`,
        kind: /\bmasquerade\b/.test(f.text) ? ('MASQUERADE' as const) : ('SNAT' as const),
        ...(s ? { src: s } : {}),
        ...(d ? { dst: d } : {}),
        ...(o ? { outIface: o } : {}),
        outInvert: false,
      };
    });
}
