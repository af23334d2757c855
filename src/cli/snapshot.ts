// The entry of natbox's V8 startup snapshot (scripts/build-snapshot.ts bundles it and runs
// `node --build-snapshot`): every module a command needs is loaded and compiled into the snapshot,
// so `natbox trace` starts without reading, parsing or compiling any JavaScript. bin/natbox uses it
// when it matches the node binary, and falls back to main.ts otherwise.
import v8 from 'node:v8';
import { runCli } from './program.ts';
import { simulateScenario } from '../scenario/simulate.ts';
import { buildTraceDoc } from '../trace/model.ts';
import { renderText } from '../trace/text.ts';
// Loaded now, so they are in the snapshot's heap (the commands import them lazily otherwise).
import './trace.ts';
import './test.ts';
import './diff.ts';
import './rules.ts';
import './import.ts';

// Run the engine once on a small hairpin before the snapshot is taken, so the functions a trace
// needs are compiled already when natbox starts (the result is thrown away).
const WARM = `
name: warm
hosts:
  r:
    interfaces: { lan: 192.168.1.1/24, wan: 198.51.100.1/24 }
    sysctls: { net.ipv4.ip_forward: 1 }
    rules: |
      iptables -t nat -A PREROUTING -i lan -d 198.51.100.1/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 192.168.1.2
      iptables -t nat -A POSTROUTING -o lan -s 192.168.1.0/24 -d 192.168.1.2/32 -p tcp -m tcp --dport 80 -j SNAT --to-source 192.168.1.1
  c:
    interfaces: { eth0: 192.168.1.3/24 }
    routes: [default via 192.168.1.1]
  s:
    interfaces: { eth0: 192.168.1.2/24 }
    routes: [default via 192.168.1.1]
    listen: [tcp/80]
links:
  - { name: lan, connect: [c:eth0, s:eth0, r:lan] }
flows:
  - { name: hairpin, from: c, proto: tcp, to: 198.51.100.1:80, sport: 40000, timeout: 1, hold: 0.1 }
`;
const warm = simulateScenario(WARM, 'warm.yaml');
if (warm.ok) renderText(buildTraceDoc({ name: 'warm', file: 'warm.yaml' }, warm.sim));

v8.startupSnapshot.setDeserializeMainFunction(() => {
  // In a snapshot start, argv[1] is the first user argument.
  void runCli([process.argv[0]!, 'natbox', ...process.argv.slice(1)]);
});
