// The simulator at scale (`npm run bench -- sim`): 1,000 hosts (one router, 10 LAN switches of 98
// clients, 10 servers on a WAN switch) and 10,000 TCP flows through MASQUERADE, each a full
// connection (handshake, data, close), simulated with tracing off. Reports flows per second, and
// per CPU second of this process (on a shared machine the wall clock counts others' time too).
//
// Off and on in one run, twice each (issue 14: the rate kept with policy routing on): with the
// router's three default rules only, then with policy routing on: three more `ip rule`s before
// main (`fwmark 0x1 lookup 100`, which no packet carries, `from 10.5.0.0/16 lookup 200` and `iif
// lan7 lookup 200`, so a fifth of the flows' packets from the LAN take table 200) and tables 100
// and 200.
import { loadavg } from 'node:os';
import { parseRule, type ParsedRule } from '../src/route/rule.ts';
import { loadRulesText } from '../src/rules/load.ts';
import { simulate } from '../src/sim/run.ts';
import type { Flow } from '../src/sim/flows.ts';
import type { WorldConfig } from '../src/sim/world.ts';
import { generateMac } from '../src/stack/iface.ts';

const ip = (a: number, b: number, c: number, d: number): number =>
  ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

function world(
  lans: number,
  perLan: number,
  servers: number,
  policy: boolean,
): { cfg: WorldConfig; clients: string[]; serverIps: number[] } {
  const rules = loadRulesText('iptables -t nat -A POSTROUTING -s 10.0.0.0/8 -o wan -j MASQUERADE\n', 'bench');
  if (!rules.ok) throw new Error('rules');
  const hosts: WorldConfig['hosts'][number][] = [];
  const links: WorldConfig['links'][number][] = [];
  const routerIfaces = [];
  for (let l = 0; l < lans; l++)
    routerIfaces.push({
      name: `lan${l}`,
      mac: generateMac('router', `lan${l}`),
      addrs: [{ addr: ip(10, l, 0, 1), len: 16 }],
    });
  routerIfaces.push({
    name: 'wan',
    mac: generateMac('router', 'wan'),
    addrs: [{ addr: ip(203, 0, 113, 1), len: 24 }],
  });
  const ipRules: ParsedRule[] = [];
  if (policy)
    for (const t of ['fwmark 0x1 lookup 100', 'from 10.5.0.0/16 lookup 200', 'iif lan7 lookup 200']) {
      const r = parseRule(t);
      if (!r.ok) throw new Error(t);
      ipRules.push(r.value);
    }
  const wanRoute = (table: number) => ({
    addr: ip(203, 0, 113, 0),
    len: 24,
    via: 0,
    dev: 'wan',
    src: ip(203, 0, 113, 1),
    metric: 0,
    table,
  });
  hosts.push({
    name: 'router',
    ifaces: routerIfaces,
    bridges: [],
    routes: policy ? [wanRoute(100), wanRoute(200)] : [],
    ipRules,
    sysctls: new Map([['net.ipv4.ip_forward', 1]]),
    ruleset: rules.ruleset,
    listen: [],
  });
  const clients: string[] = [];
  for (let l = 0; l < lans; l++) {
    const ends = [{ host: 'router', iface: `lan${l}` }];
    for (let c = 0; c < perLan; c++) {
      const name = `c${l}-${c}`;
      clients.push(name);
      hosts.push({
        name,
        ifaces: [
          {
            name: 'eth0',
            mac: generateMac(name, 'eth0'),
            addrs: [{ addr: ip(10, l, 1 + (c >> 8), c & 255), len: 16 }],
          },
        ],
        bridges: [],
        routes: [{ addr: 0, len: 0, via: ip(10, l, 0, 1), dev: 'eth0', src: 0, metric: 0 }],
        sysctls: new Map(),
        listen: [],
      });
      ends.push({ host: name, iface: 'eth0' });
    }
    links.push({ name: `lan${l}`, endpoints: ends });
  }
  const wan = [{ host: 'router', iface: 'wan' }];
  const serverIps: number[] = [];
  for (let s = 0; s < servers; s++) {
    const name = `s${s}`;
    serverIps.push(ip(203, 0, 113, 10 + s));
    hosts.push({
      name,
      ifaces: [
        { name: 'eth0', mac: generateMac(name, 'eth0'), addrs: [{ addr: ip(203, 0, 113, 10 + s), len: 24 }] },
      ],
      bridges: [],
      routes: [],
      sysctls: new Map(),
      listen: [{ proto: 'tcp', port: 80 }],
    });
    wan.push({ host: name, iface: 'eth0' });
  }
  links.push({ name: 'wan', endpoints: wan });
  return { cfg: { hosts, links }, clients, serverIps };
}

const LANS = 10;
const PER_LAN = 98;
const SERVERS = 10;
const FLOWS = 10_000;

function run(policy: boolean): void {
  const { cfg, clients, serverIps } = world(LANS, PER_LAN, SERVERS, policy);
  const flows: Flow[] = [];
  for (let i = 0; i < FLOWS; i++) {
    flows.push({
      name: `f${i}`,
      from: clients[i % clients.length]!,
      proto: 'tcp',
      dst: serverIps[i % SERVERS]!,
      dport: 80,
      sport: 20000 + Math.floor(i / clients.length),
      at: (i % 1000) * 0.001, // 1,000 flows start each millisecond of the first second… spread over 1 s
      timeout: 3,
      hold: 0.1,
      udpConnect: true,
      icmpId: 0,
    });
  }
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = simulate(cfg, flows, { trace: false, maxEvents: 50_000_000 });
  const s = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(cpu0);
  const cpu = (c.user + c.system) / 1e6;
  const connected = r.results.filter((x) => x.verdict === 'connected').length;
  const rules = r.world.host('router').policy.rules.rules.length;
  console.log(
    `${cfg.hosts.length} hosts, ${FLOWS} TCP flows through MASQUERADE, router ${rules} rules: ${s.toFixed(2)} s, ${(FLOWS / s).toFixed(0)} flows/s (${(FLOWS / cpu).toFixed(0)} per CPU second, load ${loadavg()[0]!.toFixed(1)}; ${connected} connected, ${r.world.sched.ran} events)`,
  );
}

// Alternately, twice each: the second pair shows how much of a difference is noise.
run(false);
run(true);
run(false);
run(true);
