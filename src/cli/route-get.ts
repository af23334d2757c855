// `natbox route get ADDR [from A] [iif DEV] [oif DEV] [mark M] ...`: a scenario host's routing
// (its tables and `ip rule`s) asked as `ip route get` asks the kernel, printed as iproute2 prints
// the answer: `10.0.2.20 via 10.0.1.1 dev eth0 src 10.0.1.10 uid 0 \n    cache ` (the kernel's
// route cache line, with `<local>` for a local destination, `mtu lock N` for a locked route MTU),
// or the error as `RTNETLINK answers: No route to host` (exit 2). With --json, the rule and table
// that decided. Captured forms: iproute2 6.1.0 on Linux 6.18 (test/cli/route-get.test.ts).
import { formatIpv4, parseIpv4 } from '../wire/addr.ts';
import { RouteResult, newFlowKey } from '../route/policy.ts';
import { outputRoute } from '../route/output.ts';
import { ERRNO_NAME, ERRNO_TEXT } from '../route/errors.ts';
import { formatRoute, RTN_BROADCAST, RTN_LOCAL, tableName } from '../route/table.ts';
import { prepareScenario } from '../scenario/simulate.ts';
import { World } from '../sim/world.ts';
import { readInput } from './input.ts';

const PROTOS: Readonly<Record<string, number>> = { tcp: 6, udp: 17, icmp: 1 };

export function routeGetCommand(
  get: string,
  args: readonly string[],
  opts: { scenario: string; host: string; json?: boolean },
): number {
  const bad = (m: string): number => {
    process.stderr.write(`natbox route: ${m}\n`);
    return 2;
  };
  if (get !== 'get') return bad(`expected "get", found "${get}" (natbox route get ADDR ...)`);
  const input = readInput(opts.scenario);
  if (!input.ok) return bad(input.error);
  const p = prepareScenario(input.text, opts.scenario, { readFile: readInput });
  if (!p.ok) {
    for (const e of p.errors) process.stderr.write(`${e}\n`);
    return 2;
  }
  if (!p.built.world.hosts.some((h) => h.name === opts.host))
    return bad(`no host "${opts.host}" in ${opts.scenario}`);
  const host = new World(p.built.world).host(opts.host);
  const k = newFlowKey();
  k.iif = 'lo';
  let iif = '';
  let from = 0;
  const words = [...args];
  const first = words.shift();
  const dst = parseIpv4((first === 'to' ? words.shift() : first) ?? '');
  if (!dst.ok) return bad(`"${first ?? ''}" is not a destination address`);
  k.dst = dst.value;
  while (words.length > 0) {
    const w = words.shift()!;
    const v = words.shift();
    if (v === undefined) return bad(`"${w}" needs a value`);
    const n = /^(0x[0-9a-f]+|\d+)$/i.test(v) ? Number(v) : NaN;
    switch (w) {
      case 'from': {
        const a = parseIpv4(v);
        if (!a.ok) return bad(`from: ${a.error}`);
        from = a.value;
        break;
      }
      case 'iif':
        iif = v;
        break;
      case 'oif':
        k.oif = v;
        break;
      case 'mark':
      case 'tos':
      case 'sport':
      case 'dport':
        if (Number.isNaN(n)) return bad(`${w}: "${v}" is not a number`);
        if (w === 'mark') k.mark = n;
        else if (w === 'tos') k.tos = n;
        else if (w === 'sport') k.sport = n;
        else k.dport = n;
        break;
      case 'ipproto':
        k.proto = PROTOS[v] ?? n;
        if (Number.isNaN(k.proto)) return bad(`ipproto: "${v}" is not a protocol`);
        break;
      default:
        return bad(`unknown selector "${w}" (from, iif, oif, mark, tos, ipproto, sport, dport)`);
    }
  }
  const res = new RouteResult();
  let err: number;
  if (iif !== '') {
    // An input route (ip_route_input): the packet came in on iif from `from`.
    k.iif = iif;
    k.src = from;
    err = host.routeLookup(k, res);
    if (err === 0 && host.sysctl('net.ipv4.ip_forward', 0) !== 1 && !isLocal(res)) err = 113; // EHOSTUNREACH
    res.src = from;
  } else {
    k.src = from;
    err = outputRoute(host.routeView, k, res, false);
  }
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          dst: formatIpv4(k.dst),
          ...(err !== 0
            ? { error: ERRNO_NAME[err] ?? err }
            : {
                via: res.via ? formatIpv4(res.via) : undefined,
                dev: res.dev,
                src: formatIpv4(res.src),
                route: res.route ? formatRoute(res.route) : undefined,
              }),
          table: res.table ? tableName(res.table) : undefined,
          rule: res.rulePref >= 0 ? res.rulePref : undefined,
        },
        null,
        2,
      )}\n`,
    );
    return err === 0 ? 0 : 2;
  }
  if (err !== 0) {
    process.stderr.write(`RTNETLINK answers: ${ERRNO_TEXT[err] ?? `errno ${err}`}\n`);
    return 2;
  }
  const type = res.route?.type;
  const parts: string[] = [];
  if (type === RTN_LOCAL) parts.push('local');
  else if (type === RTN_BROADCAST) parts.push('broadcast');
  parts.push(formatIpv4(k.dst));
  if (from) parts.push(`from ${formatIpv4(from)}`);
  if (res.via) parts.push(`via ${formatIpv4(res.via)}`);
  parts.push(`dev ${type === RTN_LOCAL ? 'lo' : res.dev}`);
  // The kernel names the table when it is not main (fib_rule_tests.sh greps for `table 100`); the
  // local table only once there are rules of one's own (until then local and main are merged).
  const custom = host.policy.rules.rules.length !== 3;
  if (res.table !== 0 && res.table !== 254 && (res.table !== 255 || custom))
    parts.push(`table ${tableName(res.table)}`);
  if (!from) parts.push(`src ${formatIpv4(res.src)}`);
  if (k.mark) parts.push(`mark ${k.mark}`);
  if (iif) parts.push(`iif ${iif}`);
  else parts.push('uid 0');
  const cache = ['cache'];
  if (type === RTN_LOCAL) cache.push('<local>');
  else if (type === RTN_BROADCAST) cache.push('<local,brd>');
  const r = res.route;
  if (r?.mtu !== undefined) cache.push(r.mtuLock ? `mtu lock ${r.mtu}` : `mtu ${r.mtu}`);
  if (r?.advmss !== undefined) cache.push(`advmss ${r.advmss}`);
  process.stdout.write(`${parts.join(' ')} \n    ${cache.join(' ')} \n`);
  return 0;
}

const isLocal = (res: RouteResult): boolean =>
  res.route?.type === RTN_LOCAL || res.route?.type === RTN_BROADCAST;
