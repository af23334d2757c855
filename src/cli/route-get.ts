// `natbox route get ADDR [from A] [iif DEV] [oif DEV] [mark M] ...`: a scenario host's routing
// (its tables and `ip rule`s) asked as `ip route get` asks the kernel, printed as iproute2 prints
// the answer: `10.0.2.20 via 10.0.1.1 dev eth0 src 10.0.1.10 uid 0 \n    cache ` (the kernel's
// route cache line, with `<local>` for a local destination, `mtu lock N` for a locked route MTU),
// or the error as `RTNETLINK answers: No route to host` (exit 2). With --json, the rule and table
// that decided. Captured forms: iproute2 6.1.0 on Linux 6.18 (test/cli/route-get.test.ts).
import { formatIpv4, parseIpv4 } from '../wire/addr.ts';
import { ERRNO_NAME, ERRNO_TEXT } from '../route/errors.ts';
import { formatRoute, tableName } from '../route/table.ts';
import { routeGet, type RouteGetQuery } from '../stack/route-get.ts';
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
  const q: { -readonly [K in keyof RouteGetQuery]: RouteGetQuery[K] } = { dst: 0 };
  const words = [...args];
  const first = words.shift();
  const dst = parseIpv4((first === 'to' ? words.shift() : first) ?? '');
  if (!dst.ok) return bad(`"${first ?? ''}" is not a destination address`);
  q.dst = dst.value;
  while (words.length > 0) {
    const w = words.shift()!;
    const v = words.shift();
    if (v === undefined) return bad(`"${w}" needs a value`);
    const n = /^(0x[0-9a-f]+|\d+)$/i.test(v) ? Number(v) : NaN;
    switch (w) {
      case 'from': {
        const a = parseIpv4(v);
        if (!a.ok) return bad(`from: ${a.error}`);
        q.from = a.value;
        break;
      }
      case 'iif':
      case 'oif':
        q[w] = v;
        break;
      case 'mark':
      case 'tos':
      case 'sport':
      case 'dport':
        if (Number.isNaN(n)) return bad(`${w}: "${v}" is not a number`);
        q[w] = n;
        break;
      case 'ipproto':
        q.proto = PROTOS[v] ?? n;
        if (Number.isNaN(q.proto)) return bad(`ipproto: "${v}" is not a protocol`);
        break;
      default:
        return bad(`unknown selector "${w}" (from, iif, oif, mark, tos, ipproto, sport, dport)`);
    }
  }
  const a = routeGet(host, q, 0);
  const res = a.result;
  const err = a.ok ? 0 : a.errno;
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          dst: formatIpv4(q.dst),
          ...(err !== 0
            ? { error: ERRNO_NAME[err] ?? err }
            : {
                via: res.via ? formatIpv4(res.via) : undefined,
                dev: res.dev,
                src: formatIpv4(res.src),
                route: res.route ? formatRoute(res.route, false, host.policy.tableNames) : undefined,
              }),
          table: res.table ? tableName(res.table, host.policy.tableNames) : undefined,
          rule: res.rulePref >= 0 ? res.rulePref : undefined,
        },
        null,
        2,
      )}\n`,
    );
    return err === 0 ? 0 : 2;
  }
  if (!a.ok) {
    process.stderr.write(`RTNETLINK answers: ${ERRNO_TEXT[err] ?? `errno ${err}`}\n`);
    return 2;
  }
  process.stdout.write(a.text);
  return 0;
}
