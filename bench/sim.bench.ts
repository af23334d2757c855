// The simulator at scale (`npm run bench -- sim`): 1,000 hosts (one router, 10 LAN switches of 98
// clients, 10 servers on a WAN switch) and 10,000 TCP flows through MASQUERADE, each a full
// connection (handshake, data, close), simulated with tracing off. Reports flows per second.
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
  hosts.push({
    name: 'router',
    ifaces: routerIfaces,
    bridges: [],
    routes: [],
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
const { cfg, clients, serverIps } = world(LANS, PER_LAN, SERVERS);
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
const t0 = performance.now();
const r = simulate(cfg, flows, { trace: false, maxEvents: 50_000_000 });
const s = (performance.now() - t0) / 1000;
const connected = r.results.filter((x) => x.verdict === 'connected').length;
console.log(
  `${cfg.hosts.length} hosts, ${FLOWS} TCP flows through MASQUERADE: ${s.toFixed(2)} s, ${(FLOWS / s).toFixed(0)} flows/s (${connected} connected, ${r.world.sched.ran} events)`,
);
