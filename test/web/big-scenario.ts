// A generated scenario of `hosts` hosts for the visualizer's speed test: a router, a server on its
// WAN side (documentation addresses, RFC 5737) and hosts-2 LAN clients on one switch, every
// `every`-th client opening a TCP connection through the router's MASQUERADE.
export function bigScenario(hosts = 50, every = 4, sportBase = 40000): string {
  const clients = hosts - 2;
  const lines = [
    `name: lan-of-${hosts}`,
    'hosts:',
    '  router:',
    '    interfaces: { lan: 10.0.0.1/16, wan: 203.0.113.2/24 }',
    '    sysctls: { net.ipv4.ip_forward: 1 }',
    '    rules: |',
    '      iptables -t nat -A POSTROUTING -o wan -j MASQUERADE',
    '  server:',
    '    interfaces: { eth0: 203.0.113.1/24 }',
    '    listen: [tcp/80]',
  ];
  for (let i = 1; i <= clients; i++)
    lines.push(
      `  c${i}:`,
      `    interfaces: { eth0: 10.0.${Math.floor(i / 200)}.${(i % 200) + 10}/16 }`,
      '    routes: [default via 10.0.0.1]',
    );
  lines.push(
    'links:',
    `  - [router:lan, ${Array.from({ length: clients }, (_, i) => `c${i + 1}:eth0`).join(', ')}]`,
    '  - [router:wan, server:eth0]',
    'flows:',
  );
  for (let i = 1; i <= clients; i += every)
    lines.push(
      `  - { name: c${i} to the server, from: c${i}, proto: tcp, to: 203.0.113.1:80, sport: ${sportBase + i}, timeout: 2 }`,
    );
  return lines.join('\n') + '\n';
}
