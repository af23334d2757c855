// The trace at scale (`npm run bench -- trace`): 16,000 UDP flows from 400 LAN clients through
// MASQUERADE to 10 servers, simulated with tracing on, then the trace document built from the run
// (every step attributed to its flow, and each flow's verdict and reason explained from its own
// steps). The explainer used to scan every step for every flow (16,000 flows: 220 s); it now
// indexes the steps by flow once. `NATBOX_BENCH_TRACE_FLOWS=N` changes the number of flows.
import { loadRulesText } from '../src/rules/load.ts';
import { simulate } from '../src/sim/run.ts';
import type { Flow } from '../src/sim/flows.ts';
import type { WorldConfig } from '../src/sim/world.ts';
import { generateMac } from '../src/stack/iface.ts';
import { buildTraceDoc } from '../src/trace/model.ts';

const ip = (a: number, b: number, c: number, d: number): number =>
  ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

const CLIENTS = 400;
const SERVERS = 10;
const FLOWS = Number(process.env.NATBOX_BENCH_TRACE_FLOWS ?? 16_000);

const rules = loadRulesText('iptables -t nat -A POSTROUTING -s 10.0.0.0/8 -o wan -j MASQUERADE\n', 'bench');
if (!rules.ok) throw new Error('rules');
const hosts: WorldConfig['hosts'][number][] = [
  {
    name: 'router',
    ifaces: [
      { name: 'lan', mac: generateMac('router', 'lan'), addrs: [{ addr: ip(10, 0, 0, 1), len: 16 }] },
      { name: 'wan', mac: generateMac('router', 'wan'), addrs: [{ addr: ip(203, 0, 113, 1), len: 24 }] },
    ],
    bridges: [],
    routes: [],
    sysctls: new Map([['net.ipv4.ip_forward', 1]]),
    ruleset: rules.ruleset,
    listen: [],
  },
];
const lan = [{ host: 'router', iface: 'lan' }];
const wan = [{ host: 'router', iface: 'wan' }];
for (let c = 0; c < CLIENTS; c++) {
  const name = `c${c}`;
  hosts.push({
    name,
    ifaces: [
      {
        name: 'eth0',
        mac: generateMac(name, 'eth0'),
        addrs: [{ addr: ip(10, 0, 1 + (c >> 8), c & 255), len: 16 }],
      },
    ],
    bridges: [],
    routes: [{ addr: 0, len: 0, via: ip(10, 0, 0, 1), dev: 'eth0', src: 0, metric: 0 }],
    sysctls: new Map(),
    listen: [],
  });
  lan.push({ host: name, iface: 'eth0' });
}
for (let s = 0; s < SERVERS; s++) {
  const name = `s${s}`;
  hosts.push({
    name,
    ifaces: [
      { name: 'eth0', mac: generateMac(name, 'eth0'), addrs: [{ addr: ip(203, 0, 113, 10 + s), len: 24 }] },
    ],
    bridges: [],
    routes: [],
    sysctls: new Map(),
    listen: [{ proto: 'udp', port: 5000 }],
  });
  wan.push({ host: name, iface: 'eth0' });
}
const cfg: WorldConfig = {
  hosts,
  links: [
    { name: 'lan', endpoints: lan },
    { name: 'wan', endpoints: wan },
  ],
};
const flows: Flow[] = [];
for (let i = 0; i < FLOWS; i++) {
  flows.push({
    name: `f${i}`,
    from: `c${i % CLIENTS}`,
    proto: 'udp',
    dst: ip(203, 0, 113, 10 + (i % SERVERS)),
    dport: 5000,
    sport: 20000 + Math.floor(i / CLIENTS),
    at: (i % 1000) * 0.001,
    timeout: 1,
    hold: 0,
    udpConnect: true,
    icmpId: 0,
  });
}
const t0 = performance.now();
const r = simulate(cfg, flows, { maxEvents: 50_000_000 });
const t1 = performance.now();
const doc = buildTraceDoc({ name: 'bench', file: 'bench' }, r);
const t2 = performance.now();
const replies = doc.flows.filter((f) => f.verdict === 'reply').length;
console.log(
  `${FLOWS} UDP flows traced (${r.steps.length} steps): simulate ${((t1 - t0) / 1000).toFixed(2)} s, trace document with every reason ${((t2 - t1) / 1000).toFixed(2)} s (${replies} replies)`,
);
