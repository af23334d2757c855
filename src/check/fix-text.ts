// The smallest fix for each cause, as text to paste in the ruleset's own dialect: iptables
// commands, nft statements (fw4: OpenWrt's `option reflection '1'`), sysctl, ip route.
import { formatIpv4, inPrefix, parseIpv4, prefixMask } from '../wire/addr.ts';
import type { Rule, Ruleset, TableName } from '../rules/iptables/model.ts';
import { formatRule } from '../rules/iptables/print-save.ts';
import type { CheckFlow, Fix, ForwardView, NetworkView, RouterView, SnatView } from './model.ts';
import type { Ctx } from './ctx.ts';

const ipt = (table: TableName | 'filter', rest: string): string =>
  table === 'filter' ? `iptables ${rest}` : `iptables -t ${table} ${rest}`;

/** `-p tcp -m tcp --dport 80` as iptables-save writes it. */
const portMatch = (proto: string, port: number): string => `-p ${proto} -m ${proto} --dport ${port}`;

/** The nft table and base chain for a hook and type (fw4: inet fw4 dstnat/srcnat/forward). */
function nftChain(ctx: Ctx, host: string, hook: string, type: 'nat' | 'filter'): string | undefined {
  const nft = ctx.built.nftRulesets?.get(host);
  for (const t of nft?.tables ?? [])
    for (const c of t.chains)
      if (c.base?.hook === hook && c.base.type === type && (t.family === 'ip' || t.family === 'inet'))
        return `${t.family} ${t.name} ${c.name}`;
  return undefined;
}

const isFw4 = (ctx: Ctx, host: string): boolean =>
  ctx.built.nftRulesets?.get(host)?.tables.some((t) => t.family === 'inet' && t.name === 'fw4') ?? false;

export function hairpinFix(ctx: Ctx, r: RouterView, fw: ForwardView, net: NetworkView): Fix {
  if (r.lang === 'nft') {
    const chain = nftChain(ctx, r.host, 'postrouting', 'nat') ?? 'ip nat postrouting';
    const m = `oifname "${net.dev}" ip saddr ${net.prefix} ip daddr ${fw.targetAddr} ${fw.proto} dport ${fw.targetPort}`;
    return {
      dialect: 'nft',
      host: r.host,
      commands: [`add rule ${chain} ${m} snat ip to ${net.routerAddr}`],
      alternatives: [{ label: 'masquerade', commands: [`add rule ${chain} ${m} masquerade`] }],
    };
  }
  const m = `-o ${net.dev} -s ${net.prefix} -d ${fw.targetAddr}/32 ${portMatch(fw.proto, fw.targetPort)}`;
  return {
    dialect: 'iptables',
    host: r.host,
    commands: [ipt('nat', `-A POSTROUTING ${m} -j SNAT --to-source ${net.routerAddr}`)],
    alternatives: [{ label: 'MASQUERADE', commands: [ipt('nat', `-A POSTROUTING ${m} -j MASQUERADE`)] }],
  };
}

export function reflectionFix(ctx: Ctx, r: RouterView, fw: ForwardView, net: NetworkView): Fix {
  const snat = hairpinFix(ctx, r, fw, net);
  if (r.lang === 'nft') {
    const chain = nftChain(ctx, r.host, 'prerouting', 'nat') ?? 'ip nat prerouting';
    const dnat = `add rule ${chain} iifname "${net.dev}" ip saddr ${net.prefix} ip daddr ${fw.publicAddr} ${fw.proto} dport ${fw.publicPort} dnat ip to ${fw.targetAddr}:${fw.targetPort}`;
    const nftCmds = [dnat, ...snat.commands];
    if (isFw4(ctx, r.host))
      return {
        dialect: 'uci',
        host: r.host,
        commands: [`option reflection '1'`],
        alternatives: [{ label: 'nft', commands: nftCmds }],
      };
    return { dialect: 'nft', host: r.host, commands: nftCmds };
  }
  return {
    dialect: 'iptables',
    host: r.host,
    commands: [
      ipt(
        'nat',
        `-A PREROUTING -i ${net.dev} -s ${net.prefix} -d ${fw.publicAddr}/32 ${portMatch(fw.proto, fw.publicPort)} -j DNAT --to-destination ${fw.targetAddr}:${fw.targetPort}`,
      ),
      ...snat.commands,
    ],
  };
}

function hasEstablished(ctx: Ctx, host: string): boolean {
  const fwd = ctx.built.rulesets.get(host)?.tables.get('filter')?.chains.get('FORWARD');
  return (
    fwd?.rules.some((x) => /ESTABLISHED/.test(formatRule('FORWARD', x)) && x.target?.kind === 'ACCEPT') ??
    false
  );
}

export function forwardFix(
  ctx: Ctx,
  r: RouterView,
  cf: CheckFlow,
  fw: ForwardView | undefined,
  net: NetworkView | undefined,
): Fix | undefined {
  if (r.lang === 'nft') {
    const chain = nftChain(ctx, r.host, 'forward', 'filter');
    if (!chain) return undefined;
    const cmds =
      fw && cf.kind !== 'outbound'
        ? [
            `insert rule ${chain} ip daddr ${fw.targetAddr} ${fw.proto} dport ${fw.targetPort} ct status dnat accept`,
          ]
        : net && r.wan
          ? [`insert rule ${chain} iifname "${net.dev}" oifname "${r.wan.dev}" ip saddr ${net.prefix} accept`]
          : [];
    return cmds.length
      ? {
          dialect: 'nft',
          host: r.host,
          commands: [`insert rule ${chain} ct state established,related accept`, ...cmds],
        }
      : undefined;
  }
  const cmds: string[] = [];
  if (fw && cf.kind !== 'outbound')
    cmds.push(
      ipt(
        'filter',
        `-I FORWARD -d ${fw.targetAddr}/32 ${portMatch(fw.proto, fw.targetPort)} -m conntrack --ctstate DNAT -j ACCEPT`,
      ),
    );
  else if (net && r.wan)
    cmds.push(ipt('filter', `-I FORWARD -s ${net.prefix} -i ${net.dev} -o ${r.wan.dev} -j ACCEPT`));
  else return undefined;
  if (!hasEstablished(ctx, r.host))
    cmds.push(ipt('filter', '-I FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT'));
  return { dialect: 'iptables', host: r.host, commands: cmds };
}

export function outputDnatFix(r: RouterView, fw: ForwardView, ctx?: Ctx): Fix | undefined {
  if (r.lang === 'nft' && ctx) {
    // A nat output base chain if the ruleset has one; else one made next to the prerouting one.
    const out = nftChain(ctx, r.host, 'output', 'nat');
    const pre = nftChain(ctx, r.host, 'prerouting', 'nat');
    const table = pre?.split(' ').slice(0, 2).join(' ');
    const chain = out ?? (table ? `${table} dstnat_output` : undefined);
    if (!chain) return undefined;
    // A filter output chain whose policy drops (fw4's output_lan may drop to the LAN): the
    // translated connection is let through there.
    const filt = nftChain(ctx, r.host, 'output', 'filter');
    const drops =
      filt !== undefined &&
      (ctx.built.nftRulesets
        ?.get(r.host)
        ?.tables.some((t) =>
          t.chains.some((c) => `${t.family} ${t.name} ${c.name}` === filt && c.base?.policy === 'drop'),
        ) ??
        false);
    return {
      dialect: 'nft',
      host: r.host,
      commands: [
        ...(out ? [] : [`add chain ${chain} { type nat hook output priority -100; policy accept; }`]),
        ...(drops
          ? [
              `insert rule ${filt} ip daddr ${fw.targetAddr} ${fw.proto} dport ${fw.targetPort} ct status dnat accept`,
            ]
          : []),
        `add rule ${chain} ip daddr ${fw.publicAddr} ${fw.proto} dport ${fw.publicPort} dnat ip to ${fw.targetAddr}:${fw.targetPort}`,
      ],
    };
  }
  if (r.lang !== 'iptables') return undefined;
  return {
    dialect: 'iptables',
    host: r.host,
    commands: [
      ipt(
        'nat',
        `-A OUTPUT -d ${fw.publicAddr}/32 ${portMatch(fw.proto, fw.publicPort)} -j DNAT --to-destination ${fw.targetAddr}:${fw.targetPort}`,
      ),
    ],
  };
}

export function rpFilterFix(host: string, dev: string | undefined): Fix {
  return {
    dialect: 'sysctl',
    host,
    commands: [
      'sysctl -w net.ipv4.conf.all.rp_filter=2',
      ...(dev ? [`sysctl -w net.ipv4.conf.${dev}.rp_filter=2`] : []),
    ],
  };
}

export function gatewayFix(
  server: string,
  routerAddr: string,
  back: { addr: number; len: number },
  r: RouterView,
  fw: ForwardView,
  srvNet: NetworkView,
): Fix {
  const dst = back.len === 0 ? 'default' : `${formatIpv4(back.addr)}/${back.len}`;
  return {
    dialect: 'ip',
    host: server,
    commands: [`ip route replace ${dst} via ${routerAddr}`],
    ...(r.lang === 'iptables'
      ? {
          alternatives: [
            {
              label: `SNAT on ${r.host}`,
              commands: [
                ipt(
                  'nat',
                  `-A POSTROUTING -o ${srvNet.dev} -d ${fw.targetAddr}/32 ${portMatch(fw.proto, fw.targetPort)} -j SNAT --to-source ${srvNet.routerAddr}`,
                ),
              ],
            },
          ],
        }
      : {}),
  };
}

export function snatFix(r: RouterView, net: NetworkView, s: SnatView): Fix | undefined {
  if (!r.wan) return undefined;
  if (r.lang === 'nft') return undefined;
  const to = s.kind === 'SNAT' ? `SNAT --to-source ${r.wan.routerAddr}` : 'MASQUERADE';
  return {
    dialect: 'iptables',
    host: r.host,
    commands: [ipt('nat', `-A POSTROUTING -s ${net.prefix} -o ${r.wan.dev} -j ${to}`)],
  };
}

/** The index (1-based) of a rule, by its text, in a chain. */
function indexOf(rs: Ruleset | undefined, table: TableName, chain: string, text: string): number | undefined {
  const i =
    rs?.tables
      .get(table)
      ?.chains.get(chain)
      ?.rules.findIndex((x) => formatRule(chain, x) === text) ?? -1;
  return i >= 0 ? i + 1 : undefined;
}

export function noListenerFix(
  r: RouterView,
  fw: ForwardView,
  rs: Ruleset | undefined,
  other: readonly number[],
): Fix | undefined {
  if (fw.lang !== 'iptables' || other.length !== 1 || !/-j DNAT/.test(fw.rule)) return undefined;
  const chain = /^-A (\S+)/.exec(fw.rule)![1]!;
  const n = indexOf(rs, 'nat', chain, fw.rule);
  if (n === undefined) return undefined;
  const rest = fw.rule
    .slice(`-A ${chain}`.length)
    .replace(/--to-destination \S+/, `--to-destination ${fw.targetAddr}:${other[0]}`);
  return { dialect: 'iptables', host: r.host, commands: [ipt('nat', `-R ${chain} ${n}${rest}`)] };
}

export function renameIfaceFix(
  r: RouterView,
  table: TableName,
  chain: string,
  n: number,
  rule: Rule,
  which: 'in' | 'out',
): Fix | undefined {
  const dev = r.wan?.dev;
  if (!dev) return undefined;
  const m = which === 'in' ? rule.inIface : rule.outIface;
  if (!m) return undefined;
  const fixed: Rule = {
    ...rule,
    ...(which === 'in'
      ? { inIface: { ...m, value: { name: dev, wildcard: false } } }
      : { outIface: { ...m, value: { name: dev, wildcard: false } } }),
  };
  // Only where the WAN is the natural side: incoming forwards, outgoing masquerades.
  const natural =
    (which === 'in' && (chain === 'PREROUTING' || chain === 'INPUT')) ||
    (which === 'out' && chain === 'POSTROUTING');
  if (!natural) return undefined;
  return {
    dialect: 'iptables',
    host: r.host,
    commands: [ipt(table, `-R ${chain} ${n}${formatRule(chain, fixed).slice(`-A ${chain}`.length)}`)],
  };
}

export function exposureFix(r: RouterView, fw: ForwardView, rs: Ruleset | undefined): Fix | undefined {
  if (r.lang !== 'iptables' || !r.wan) return undefined;
  const user = rs?.tables.get('filter')?.chains.has('DOCKER-USER');
  const chain = user ? 'DOCKER-USER' : 'FORWARD';
  return {
    dialect: 'iptables',
    host: r.host,
    commands: [
      ipt(
        'filter',
        `-I ${chain} -i ${r.wan.dev} -d ${fw.targetAddr}/32 ${portMatch(fw.proto, fw.targetPort)} -j DROP`,
      ),
    ],
  };
}

export const inNet = (addr: string, net: NetworkView): boolean => {
  const [a = '', l = '32'] = net.prefix.split('/');
  const p = (parseIpv4(a) as { value: number }).value;
  return inPrefix((parseIpv4(addr) as { value: number }).value, { addr: p, mask: prefixMask(Number(l)) });
};
