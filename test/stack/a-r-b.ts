// The three-host network the neighbour tests share (test/stack/neigh-*.test.ts): client a on
// 10.0.1.0/24, router r forwarding, server b on 10.0.2.0/24 listening on tcp/80, joined by two
// veth-like links. `scenarioText` gives a scenario's YAML with its name and what follows the links
// (events, flows).
export const A_R_B = `hosts:
  a:
    interfaces: { eth0: 10.0.1.10/24 }
    routes: [default via 10.0.1.1]
  r:
    interfaces: { eth0: 10.0.1.1/24, eth1: 10.0.2.1/24 }
    sysctls: { net.ipv4.ip_forward: 1 }
  b:
    interfaces: { eth0: 10.0.2.20/24 }
    routes: [default via 10.0.2.1]
    listen: [tcp/80]
links:
  - [a:eth0, r:eth0]
  - [r:eth1, b:eth0]
`;

/** A scenario named `name` on the a -- r -- b network, `rest` (events, flows) after its links. */
export const scenarioText = (name: string, rest: string): string => `
name: ${name}
${A_R_B}${rest}`;
