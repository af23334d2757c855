// Cause finding: a failing flow's trace read for what went wrong, named with its evidence (the
// packet, the rule and where it was written, the conntrack entry) and the smallest fix in the
// ruleset's own dialect; and the causes no single flow shows (a WAN address that is not public,
// a rule that can never match, a service exposed past an INPUT policy).
import { formatIpv4, formatPrefix, inPrefix, parseIpv4, prefixMask, type Prefix } from '../wire/addr.ts';
import type { Rule, Ruleset } from '../rules/iptables/model.ts';
import { formatRule } from '../rules/iptables/print-save.ts';
import type { FlowResult } from '../sim/flows.ts';
import type { TraceStep } from '../trace/trace-step.ts';
import { decisionOf, decisionText } from '../trace/explain.ts';
import type {
  CauseId,
  CheckFlow,
  Evidence,
  Finding,
  Fix,
  ForwardView,
  NetworkView,
  RouterView,
  Severity,
} from './model.ts';
import { hostAddrs, type HostCfg } from './discover.ts';
import { causeWords, type Facts } from './words.ts';
import * as fx from './fix-text.ts';
import type { Ctx } from './ctx.ts';

export type { Ctx } from './ctx.ts';

const ip = (t: string): number => (parseIpv4(t) as { value: number }).value;
const pfx = (t: string): Prefix => {
  const [a = '', l = '32'] = t.split('/');
  return { addr: (ip(a) & prefixMask(Number(l))) >>> 0, mask: prefixMask(Number(l)) };
};
const hostCfg = (ctx: Ctx, name: string | undefined): HostCfg | undefined =>
  ctx.world.hosts.find((h) => h.name === name);
const addrIn = (h: HostCfg | undefined, n: NetworkView): string | undefined => {
  const p = pfx(n.prefix);
  const a = h && hostAddrs(h).find((x) => inPrefix(x.addr, p));
  return a ? formatIpv4(a.addr) : undefined;
};
const netOfHost = (r: RouterView, h: HostCfg | undefined): NetworkView | undefined =>
  [...r.inside, ...(r.wan ? [r.wan] : [])].find((n) => addrIn(h, n) !== undefined);

/** `ip:port` of a frame, tcpdump-like in a few words. */
function packetText(s: Extract<TraceStep, { kind: 'packet' }> | undefined): string | undefined {
  if (!s) return undefined;
  const p = s.packet;
  const ends = p.sport !== undefined ? `${p.src}:${p.sport} > ${p.dst}:${p.dport}` : `${p.src} > ${p.dst}`;
  return `${s.host} ${s.dir} ${s.ifname}: ${p.proto} ${ends}${p.flags ? ` [${p.flags}]` : ''}`;
}

/** Where a rule (as iptables-save prints it) was written: FILE:LINE. */
export function ruleWhere(rs: Ruleset | undefined, text: string): string | undefined {
  if (!rs) return undefined;
  for (const t of rs.tables.values())
    for (const c of t.chains.values())
      for (const r of c.rules)
        if (r.loc && formatRule(c.name, r) === text) return `${r.loc.file}:${r.loc.line}`;
  return undefined;
}

/** The rule text inside a decision (`filter FORWARD rule 2: -A FORWARD …`). */
const ruleOfDecision = (where: string): string | undefined => /rule \d+: (-A .*)$/.exec(where)?.[1];

function finding(
  ctx: Ctx,
  cause: CauseId,
  severity: Severity,
  router: string,
  flows: string[],
  facts: Facts,
  evidence: Evidence,
  fix?: Fix,
): Finding {
  const w = causeWords(cause, ctx.lang, facts);
  const f = fix && w.cost && !fix.cost ? { ...fix, cost: w.cost } : fix;
  return {
    cause,
    severity,
    router,
    flows,
    title: w.title,
    explanation: w.why,
    evidence,
    ...(f ? { fix: f } : {}),
  };
}

export interface Diagnosed {
  readonly finding: Finding;
}

/** Names the cause of one failing flow from its own trace. */
export function diagnose(
  ctx: Ctx,
  cf: CheckFlow,
  run: { result: FlowResult; steps: readonly TraceStep[]; reason: string },
): Finding {
  const r = ctx.routers.find((x) => x.host === cf.router)!;
  const fw: ForwardView | undefined = r.forwards.find((f) => f.id === cf.forward);
  const rs = ctx.built.rulesets.get(r.host);
  const steps = run.steps;
  const client = hostCfg(ctx, cf.from);
  const clientNet = netOfHost(r, client);
  const clientAddr = (clientNet && addrIn(client, clientNet)) ?? '';
  const firstOut = steps.find(
    (s): s is Extract<TraceStep, { kind: 'packet' }> =>
      s.kind === 'packet' && s.host === cf.from && s.dir === 'out' && s.packet.proto === cf.proto,
  );
  const ctNew = steps.find((s) => s.kind === 'ct-event' && s.host === r.host && s.event === 'NEW');
  const ctLine = ctNew?.kind === 'ct-event' ? ctNew.line : undefined;
  const dnat = steps.find(
    (s) => s.kind === 'nat' && s.host === r.host && s.manip === 'DNAT' && s.by === 'rule',
  );
  const snat = steps.find(
    (s) => s.kind === 'nat' && s.host === r.host && s.manip === 'SNAT' && s.by === 'rule',
  );
  const decision = decisionOf(steps);
  const base: Evidence = {
    ...(firstOut ? { packet: packetText(firstOut) } : {}),
    ...(ctLine ? { conntrack: ctLine } : {}),
    trace: run.reason,
  };
  const target = fw ? `${fw.targetAddr}:${fw.targetPort}` : cf.to;
  const server = fw?.targetHost ?? fw?.targetAddr ?? '';
  const facts: Record<string, string> = {
    router: r.host,
    client: cf.from,
    clientAddr,
    to: cf.to,
    target,
    targetAddr: fw?.targetAddr ?? '',
    server,
    proto: cf.proto,
    routerAddr: clientNet?.routerAddr ?? '',
    trace: run.reason,
    flow: cf.name,
  };
  // The forward as it will be once a broken no-listener is fixed (the port the server listens
  // on): the other fixes for this forward are written for it, so they prove on top of that fix.
  const fwFix: ForwardView | undefined = ((): ForwardView | undefined => {
    const th = fw && hostCfg(ctx, fw.targetHost);
    if (!fw || !th || th.listen.some((l) => l.proto === fw.proto && l.port === fw.targetPort)) return fw;
    const other = th.listen.filter((l) => l.proto === fw.proto);
    return other.length === 1 ? { ...fw, targetPort: other[0]!.port } : fw;
  })();
  const fwdEvidence: Evidence = fw
    ? { ...base, rule: fw.rule, ...(fw.loc ? { where: `${fw.loc.file}:${fw.loc.line}` } : {}) }
    : base;

  // Nothing listening where the forward points.
  if (fw && cf.kind !== 'router-own' && (dnat || cf.kind === 'forward-outside' || fw.fromInside)) {
    const th = hostCfg(ctx, fw.targetHost);
    const listens = th?.listen.some((l) => l.proto === fw.proto && l.port === fw.targetPort) ?? false;
    if (!listens) {
      const other = th?.listen.filter((l) => l.proto === fw.proto).map((l) => String(l.port)) ?? [];
      return finding(
        ctx,
        'no-listener',
        'broken',
        r.host,
        [cf.name],
        {
          ...facts,
          targetWho: fw.targetHost ?? `no host (${fw.targetAddr})`,
          targetPort: String(fw.targetPort),
          listens:
            other.length > 0
              ? ` (${fw.proto} ${other.join(', ')} listen${other.length === 1 ? 's' : ''})`
              : '',
        },
        fwdEvidence,
        fx.noListenerFix(r, fw, rs, other.map(Number)),
      );
    }
  }

  // rp_filter: a drop by the reverse path check anywhere on the way.
  const rpf = steps.find((s) => s.kind === 'drop' && /rp_filter/.test(s.reason));
  if (rpf && rpf.kind === 'drop') {
    return finding(
      ctx,
      'rp-filter',
      'broken',
      r.host,
      [cf.name],
      { ...facts, host: rpf.host, reason: rpf.reason },
      { ...base, where: `${rpf.host}${rpf.ifname ? ` ${rpf.ifname}` : ''}` },
      fx.rpFilterFix(rpf.host, rpf.ifname),
    );
  }

  // A filter on the router dropped it after the DNAT (or an outbound flow in FORWARD).
  if (
    decision &&
    decision.host === r.host &&
    inForward(steps, r.host, decision.where) &&
    (dnat || cf.kind === 'outbound')
  ) {
    const rule = ruleOfDecision(decision.where);
    const where = rule ? ruleWhere(rs, rule) : undefined;
    const sev: Severity = cf.kind === 'outbound' || !cf.intended ? 'warning' : 'broken';
    return finding(
      ctx,
      'forward-dropped',
      sev,
      r.host,
      [cf.name],
      {
        ...facts,
        decision: decisionText(decision),
        outbound: cf.kind === 'outbound' ? 'yes' : '',
        net: clientNet?.prefix ?? '',
      },
      { ...base, ...(rule ? { rule } : { rule: decision.where }), ...(where ? { where } : {}) },
      fx.forwardFix(ctx, r, cf, fwFix, clientNet),
    );
  }

  if (cf.kind === 'router-own') {
    return finding(
      ctx,
      'router-output-dnat',
      'info',
      r.host,
      [cf.name],
      facts,
      fwdEvidence,
      fwFix ? fx.outputDnatFix(r, fwFix, ctx) : undefined,
    );
  }

  if (fw && dnat && cf.kind !== 'outbound') {
    const th = hostCfg(ctx, fw.targetHost);
    const sameNet = clientNet && th && addrIn(th, clientNet) !== undefined && cf.kind === 'forward-inside';
    if (!snat && sameNet) {
      return finding(
        ctx,
        'hairpin-no-snat',
        cf.intended ? 'broken' : 'warning',
        r.host,
        [cf.name],
        facts,
        fwdEvidence,
        fx.hairpinFix(ctx, r, fwFix ?? fw, clientNet!),
      );
    }
    // The server's route back to the (translated) client.
    const seen = snat && snat.kind === 'nat' ? (snat.after.split(' > ')[0] ?? '').split(':')[0]! : clientAddr;
    const back = th ? routeFor(th, ip(seen)) : undefined;
    const routerAddrs = new Set(hostAddrs(hostCfg(ctx, r.host)!).map((a) => a.addr));
    if (th && back && back.via !== 0 && !routerAddrs.has(back.via)) {
      const srvNet = netOfHost(r, th);
      return finding(
        ctx,
        'server-gateway',
        'broken',
        r.host,
        [cf.name],
        {
          ...facts,
          route: `${back.len === 0 ? 'default' : `${formatIpv4(back.addr)}/${back.len}`} via ${formatIpv4(back.via)}`,
        },
        fwdEvidence,
        srvNet ? fx.gatewayFix(th.name, srvNet.routerAddr, back, r, fw, srvNet) : undefined,
      );
    }
  }

  // The forward does not admit inside clients: no reflection.
  if (fw && cf.kind === 'forward-inside' && !dnat && clientNet) {
    return finding(
      ctx,
      'no-reflection',
      'warning',
      r.host,
      [cf.name],
      { ...facts, side: r.wan?.dev ?? 'outside' },
      fwdEvidence,
      fx.reflectionFix(ctx, r, fwFix ?? fw, clientNet),
    );
  }

  // Out through a MASQUERADE/SNAT whose -o is not the WAN device.
  if (cf.kind === 'outbound' && !snat && r.wan && clientNet) {
    const s = r.snats.find(
      (x) =>
        (!x.src || inPrefix(pfx(clientNet.prefix).addr, pfx(x.src))) &&
        !x.dst &&
        x.outIface &&
        !x.outInvert &&
        !devMatch(x.outIface, r.wan!.dev),
    );
    if (s) {
      return finding(
        ctx,
        'snat-wrong-interface',
        'broken',
        r.host,
        [cf.name],
        {
          ...facts,
          kind: s.kind,
          net: clientNet.prefix,
          wanDev: r.wan.dev,
          rule: s.rule,
          ruleOut: s.outIface ?? '',
        },
        { ...base, rule: s.rule, ...(s.loc ? { where: `${s.loc.file}:${s.loc.line}` } : {}) },
        fx.snatFix(r, clientNet, s),
      );
    }
  }
  return finding(ctx, 'unexplained', cf.intended ? 'broken' : 'info', r.host, [cf.name], facts, base);
}

/** Whether the decision (`table chain rule N: …`) was taken at the FORWARD hook. */
const inForward = (steps: readonly TraceStep[], host: string, where: string): boolean =>
  steps.some(
    (s) =>
      (s.kind === 'rule' || s.kind === 'policy') &&
      s.host === host &&
      s.hook === 'FORWARD' &&
      where.startsWith(`${s.table} ${s.chain}`),
  );

const devMatch = (pattern: string, dev: string): boolean =>
  pattern.endsWith('+') ? dev.startsWith(pattern.slice(0, -1)) : pattern === dev;

/** The main-table route a host takes to `dst` (longest prefix; connected routes have via 0). */
export function routeFor(h: HostCfg, dst: number): HostCfg['routes'][number] | undefined {
  let best: HostCfg['routes'][number] | undefined;
  for (const r of h.routes) {
    if (r.table !== undefined && r.table !== 254) continue;
    if (r.type !== undefined && r.type !== 1) continue;
    if (!inPrefix(dst, { addr: r.addr, mask: prefixMask(r.len) })) continue;
    if (!best || r.len > best.len) best = r;
  }
  // Connected networks of its addresses.
  for (const a of hostAddrs(h))
    if (
      inPrefix(dst, { addr: (a.addr & prefixMask(a.len)) >>> 0, mask: prefixMask(a.len) }) &&
      (!best || a.len >= best.len)
    )
      best = {
        addr: (a.addr & prefixMask(a.len)) >>> 0,
        len: a.len,
        via: 0,
        dev: a.dev,
        src: a.addr,
        metric: 0,
      };
  return best;
}

/**
 * Findings no single flow shows: a WAN address that is not public, rules that never match.
 * `shadowedBy` receives, for each shadowed rule (its text), the text of the earlier rule that decides
 * first: a flow that rule dropped is the shadowed rule's failure (index.ts folds the two).
 */
export function staticFindings(ctx: Ctx, shadowedBy: Map<string, string> = new Map()): Finding[] {
  const out: Finding[] = [];
  for (const r of ctx.routers) {
    const wanAddr = r.wan?.routerAddr;
    if (wanAddr) {
      const a = ip(wanAddr);
      const cgnat = inPrefix(a, pfx('100.64.0.0/10'));
      const priv = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].find((p) => inPrefix(a, pfx(p)));
      const fwds = r.forwards.filter((f) => f.fromOutside);
      if ((cgnat || priv) && fwds.length > 0) {
        const facts = {
          router: r.host,
          addr: wanAddr,
          kind: cgnat
            ? ctx.lang === 'en'
              ? 'carrier-grade NAT space'
              : 'espaço de NAT de operadora (CGNAT)'
            : ctx.lang === 'en'
              ? 'private'
              : 'privado',
          range: cgnat ? '100.64.0.0/10 (RFC 6598)' : `${priv} (RFC 1918)`,
        };
        out.push(
          finding(
            ctx,
            'wan-not-public',
            cgnat ? 'broken' : 'info',
            r.host,
            [],
            facts,
            { rule: fwds[0]!.rule },
            {
              dialect: 'advice',
              host: r.host,
              commands:
                ctx.lang === 'en'
                  ? [
                      cgnat
                        ? 'ask the ISP for a public IPv4 address (or a port forward on its CGNAT),'
                        : `forward the same ports on the upstream router to ${wanAddr},`,
                      'or reach the service through a tunnel/VPN to a host with a public address.',
                    ]
                  : [
                      cgnat
                        ? 'peça ao provedor um IPv4 público (ou um redirecionamento no CGNAT dele),'
                        : `redirecione as mesmas portas no roteador acima para ${wanAddr},`,
                      'ou alcance o serviço por um túnel/VPN até um host com endereço público.',
                    ],
            },
          ),
        );
      }
    }
    out.push(...neverMatch(ctx, r, shadowedBy));
  }
  return out;
}

function devices(h: HostCfg): Set<string> {
  return new Set(['lo', ...h.ifaces.map((i) => i.name), ...h.bridges.map((b) => b.name)]);
}

/** Rules naming a device the host does not have, or shadowed by an earlier rule of the same chain. */
function neverMatch(ctx: Ctx, r: RouterView, shadowedBy: Map<string, string>): Finding[] {
  const rs = ctx.built.rulesets.get(r.host);
  const h = hostCfg(ctx, r.host);
  if (!rs || !h) return [];
  const devs = devices(h);
  const out: Finding[] = [];
  for (const t of rs.tables.values())
    for (const c of t.chains.values())
      c.rules.forEach((rule, i) => {
        const text = formatRule(c.name, rule);
        const where = rule.loc ? `${rule.loc.file}:${rule.loc.line}` : undefined;
        for (const m of [rule.inIface, rule.outIface]) {
          if (!m || m.invert || m.value.wildcard || devs.has(m.value.name)) continue;
          const opt = m === rule.inIface ? '-i' : '-o';
          const why =
            ctx.lang === 'en'
              ? `${r.host} has no device "${m.value.name}" (its devices: ${[...devs].join(', ')}), so ${opt} ${m.value.name} never matches.`
              : `${r.host} não tem o dispositivo "${m.value.name}" (os dele: ${[...devs].join(', ')}), então ${opt} ${m.value.name} nunca casa.`;
          out.push(
            finding(
              ctx,
              'never-match',
              'broken',
              r.host,
              [],
              { rule: text, why },
              { rule: text, ...(where ? { where } : {}) },
              fx.renameIfaceFix(r, t.name, c.name, i + 1, rule, m === rule.inIface ? 'in' : 'out'),
            ),
          );
        }
        const earlier = c.rules.slice(0, i).findIndex((e) => shadows(e, rule));
        if (earlier >= 0) {
          const e = c.rules[earlier]!;
          const etext = formatRule(c.name, e);
          const why =
            ctx.lang === 'en'
              ? `rule ${earlier + 1} of ${t.name} ${c.name} (${etext}) matches every packet this one would and decides first.`
              : `a regra ${earlier + 1} de ${t.name} ${c.name} (${etext}) casa com todo pacote que esta casaria e decide antes.`;
          shadowedBy.set(text, etext);
          // Deleted by its text (not its number), so that other fixes' inserts do not move it.
          const spec = text.slice(`-A ${c.name}`.length);
          const tbl = t.name === 'filter' ? '' : ` -t ${t.name}`;
          out.push(
            finding(
              ctx,
              'never-match',
              'broken',
              r.host,
              [],
              { rule: text, why },
              { rule: text, ...(where ? { where } : {}) },
              {
                dialect: 'iptables',
                host: r.host,
                commands: [
                  `iptables${tbl} -D ${c.name}${spec}`,
                  `iptables${tbl} -I ${c.name} ${earlier + 1}${spec}`,
                ],
              },
            ),
          );
        }
      });
  return out;
}

const TERMINAL = new Set(['ACCEPT', 'DROP', 'REJECT', 'DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'NETMAP']);

// shadows' helpers, at the top level: shadows runs for every pair of rules of a chain (half a
// million pairs for 1,000 rules), so it makes no closure per call.
const isTcpUdp = (m: Rule['matches'][number]): boolean => m.module === 'tcp' || m.module === 'udp';
const pre = (a: Rule['src'], b: Rule['src']): boolean =>
  !a ||
  (!!b &&
    !a.invert &&
    !b.invert &&
    (b.value.mask & a.value.mask) === a.value.mask &&
    inPrefix(b.value.addr, a.value));
const dev = (a: Rule['inIface'], b: Rule['inIface']): boolean =>
  !a ||
  (!!b &&
    a.invert === b.invert &&
    (a.value.wildcard
      ? b.value.name.startsWith(a.value.name)
      : !b.value.wildcard && a.value.name === b.value.name));

/** Earlier rule `e` decides every packet `l` would match (only addresses, devices, protocol and ports compared). */
function shadows(e: Rule, l: Rule): boolean {
  if (!e.target || !TERMINAL.has(e.target.kind) || !l.target) return false;
  if (e.fragment || !e.matches.every(isTcpUdp)) return false;
  const proto =
    !e.protocol ||
    e.protocol.value === 0 ||
    (!!l.protocol && l.protocol.value === e.protocol.value && !l.protocol.invert && !e.protocol.invert);
  const eport = e.matches[0] as
    { dport?: { value: { min: number; max: number }; invert: boolean }; sport?: unknown } | undefined;
  if (eport?.sport) return false;
  const lport = l.matches.find(isTcpUdp) as typeof eport;
  const port =
    !eport?.dport ||
    (!!lport?.dport &&
      !eport.dport.invert &&
      !lport.dport.invert &&
      lport.dport.value.min >= eport.dport.value.min &&
      lport.dport.value.max <= eport.dport.value.max);
  return (
    pre(e.src, l.src) &&
    pre(e.dst, l.dst) &&
    dev(e.inIface, l.inIface) &&
    dev(e.outIface, l.outIface) &&
    proto &&
    port
  );
}

/**
 * Exposure: a forward reachable from outside while the router's filter INPUT policy is DROP (ufw's
 * "deny incoming") and no rule naming the service accepts it: Docker's published ports.
 */
export function exposureFindings(
  ctx: Ctx,
  ran: readonly { cf: CheckFlow; ok: boolean; steps?: readonly TraceStep[] }[],
): Finding[] {
  const out: Finding[] = [];
  for (const r of ctx.routers) {
    const rs = ctx.built.rulesets.get(r.host);
    const input = rs?.tables.get('filter')?.chains.get('INPUT');
    if (!input || input.policy !== 'DROP') continue;
    for (const x of ran) {
      if (x.cf.router !== r.host || x.cf.kind !== 'forward-outside' || !x.ok) continue;
      const fw = r.forwards.find((f) => f.id === x.cf.forward);
      if (!fw || fw.targetHost === r.host) continue;
      // Which FORWARD rule accepted it (from the flow's trace, when kept).
      const acc = x.steps?.find(
        (s) => s.kind === 'rule' && s.host === r.host && s.hook === 'FORWARD' && / -j ACCEPT$/.test(s.rule),
      );
      const accRule = acc && acc.kind === 'rule' ? acc.rule : undefined;
      const named =
        accRule !== undefined &&
        (accRule.includes(`--dport ${fw.targetPort}`) || accRule.includes(`--dport ${fw.publicPort}`)) &&
        !/-j DOCKER|DOCKER/.test(accRule.split(' -j ')[0]!.split(' ')[1] ?? '');
      if (named) continue;
      const outside = x.cf.from;
      const decision = accRule
        ? `${r.host}: filter FORWARD: ${accRule}`
        : `${r.host}: filter FORWARD policy ${rs?.tables.get('filter')?.chains.get('FORWARD')?.policy ?? 'ACCEPT'}`;
      out.push(
        finding(
          ctx,
          'exposure',
          'broken',
          r.host,
          [x.cf.name],
          { router: r.host, to: x.cf.to, target: `${fw.targetAddr}:${fw.targetPort}`, outside, decision },
          {
            rule: fw.rule,
            ...(fw.loc ? { where: `${fw.loc.file}:${fw.loc.line}` } : {}),
            ...(accRule ? { trace: accRule } : {}),
          },
          fx.exposureFix(r, fw, rs),
        ),
      );
    }
  }
  return out;
}

export { formatPrefix };
