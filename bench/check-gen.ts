// The router natbox check's bench runs on (bench/check.bench.ts) and the test that holds its report
// unchanged (test/check/bench-router.test.ts): 1,000 rules, `forwards` WAN-only port forwards and
// 5 inside networks, as YAML scenario text.

export const NETS = 5;
export const RULES = 1000;

/** The scenario text: `forwards` port forwards (50 in the bench). */
export function benchRouter(forwards = 50): string {
  // As iptables-save prints them (what a user pastes from a real router).
  const nat: string[] = [];
  for (let i = 0; i < forwards; i++)
    nat.push(
      `-A PREROUTING -d 203.0.113.1/32 -i wan -p tcp -m tcp --dport ${10000 + i} -j DNAT --to-destination 10.0.${i % NETS}.200:80`,
    );
  for (let n = 0; n < NETS; n++) nat.push(`-A POSTROUTING -s 10.0.${n}.0/24 -o wan -j MASQUERADE`);
  // Filler the flows cross and never match: FORWARD drops for addresses nobody uses.
  const filter: string[] = [];
  for (let i = 0; nat.length + filter.length < RULES; i++)
    filter.push(`-A FORWARD -s 198.51.100.${i % 250}/32 -p tcp -m tcp --dport ${1 + i} -j DROP`);
  const rules = [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ...filter,
    'COMMIT',
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ...nat,
    'COMMIT',
  ];
  const lines = [
    'name: bench-check',
    'hosts:',
    '  router:',
    '    interfaces:',
    '      wan: 203.0.113.1/24',
    ...Array.from({ length: NETS }, (_, n) => `      lan${n}: 10.0.${n}.1/24`),
    '    routes: [default via 203.0.113.254]',
    '    sysctls: { net.ipv4.ip_forward: 1 }',
    '    rules: |',
    ...rules.map((r) => `      ${r}`),
    '  internet:',
    '    interfaces: { eth0: 203.0.113.254/24 }',
    '    listen: [tcp/80]',
  ];
  const links = ['links:', '  - { name: wan, connect: [router:wan, internet:eth0] }'];
  for (let n = 0; n < NETS; n++) {
    lines.push(
      `  c${n}:`,
      `    interfaces: { eth0: 10.0.${n}.10/24 }`,
      `    routes: [default via 10.0.${n}.1]`,
    );
    lines.push(
      `  s${n}:`,
      `    interfaces: { eth0: 10.0.${n}.200/24 }`,
      `    routes: [default via 10.0.${n}.1]`,
      '    listen: [tcp/80]',
    );
    links.push(`  - { name: lan${n}, connect: [router:lan${n}, c${n}:eth0, s${n}:eth0] }`);
  }
  return [...lines, ...links, ''].join('\n');
}
