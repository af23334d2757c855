// Generators for the fuzz campaigns (test/fuzz/*.test.ts): random scenarios, rule lines and the
// inputs `natbox import` reads. Shapes, not values, are the point: overlapping subnets, bridges
// cabled into loops, interface names that are `ip` keywords, rules of every target natbox reads,
// flows to addresses that exist and to ones that do not. Everything is drawn from fast-check
// arbitraries, so a failure shrinks to a small scenario and replays from its seed.
import fc from 'fast-check';

/** Budget and seed of every campaign: fixed for CI, larger by hand (NATBOX_FUZZ_RUNS=5000). */
export const FUZZ_SEED = Number(process.env.NATBOX_FUZZ_SEED ?? 20261201);
export const fuzzRuns = (ciDefault: number): number => Number(process.env.NATBOX_FUZZ_RUNS ?? ciDefault);

/** Addresses from a few small subnets, so hosts share segments and NAT targets exist. */
const subnet = fc.constantFrom('10.0.0', '10.0.1', '192.168.1', '203.0.113', '198.51.100');
const hostPart = fc.constantFrom(1, 2, 10, 11, 200, 254);
export const addr = fc.tuple(subnet, hostPart).map(([s, h]) => `${s}.${h}`);
export const prefix = fc.tuple(addr, fc.constantFrom(24, 24, 24, 16, 32, 30)).map(([a, l]) => `${a}/${l}`);
const port = fc.constantFrom(22, 53, 80, 443, 5000, 8080, 40000, 65535);
const proto = fc.constantFrom('tcp', 'udp', 'icmp');
/** Interface names, some of which are `ip` keywords (issue 11, item 5). */
export const ifname = fc.constantFrom('eth0', 'eth1', 'wan', 'lan1', 'lan2', 'up', 'dev', 'a');

const ruleLine = (ifaces: readonly string[]): fc.Arbitrary<string> => {
  const iface = fc.constantFrom(...ifaces, 'br0', 'lo');
  const match = fc.oneof(
    fc.constant(''),
    fc.tuple(proto, port).map(([p, d]) => (p === 'icmp' ? ' -p icmp' : ` -p ${p} --dport ${d}`)),
    prefix.map((p) => ` -s ${p}`),
    prefix.map((p) => ` -d ${p}`),
    fc.constant(' -m conntrack --ctstate ESTABLISHED,RELATED'),
    fc.constant(' -m state --state INVALID'),
    fc.constant(' -m addrtype --dst-type LOCAL'),
    fc.constant(' -m comment --comment "fuzz rule"'),
    port.map((p) => ` -p tcp -m multiport --dports ${p},${p === 65535 ? 1 : p + 1}`),
  );
  const nat = fc.oneof(
    fc
      .tuple(iface, match, addr, fc.option(port))
      .map(([i, m, a, p]) =>
        p && !/-p (tcp|udp)/.test(m)
          ? `-t nat -A PREROUTING -i ${i} -p tcp${m.includes('-p ') ? '' : m} -j DNAT --to-destination ${a}:${p}`
          : `-t nat -A PREROUTING -i ${i}${m} -j DNAT --to-destination ${a}${p ? `:${p}` : ''}`,
      ),
    fc
      .tuple(iface, match, addr)
      .map(([i, m, a]) => `-t nat -A POSTROUTING -o ${i}${m} -j SNAT --to-source ${a}`),
    fc.tuple(iface, match).map(([i, m]) => `-t nat -A POSTROUTING -o ${i}${m} -j MASQUERADE`),
    fc
      .tuple(match, port)
      .map(
        ([m, p]) => `-t nat -A PREROUTING -p tcp${m.includes('-p ') ? '' : m} -j REDIRECT --to-ports ${p}`,
      ),
  );
  const filter = fc
    .tuple(
      fc.constantFrom('INPUT', 'FORWARD', 'OUTPUT'),
      match,
      fc.constantFrom('ACCEPT', 'DROP', 'REJECT', 'REJECT --reject-with tcp-reset', 'LOG --log-prefix "x "'),
    )
    .map(([c, m, t]) =>
      t.includes('tcp-reset') && !m.includes('-p tcp') ? `-A ${c} -p tcp -j ${t}` : `-A ${c}${m} -j ${t}`,
    );
  const policy = fc.constantFrom('-P FORWARD DROP', '-P INPUT DROP', '-P OUTPUT ACCEPT');
  return fc.oneof(
    { weight: 3, arbitrary: nat },
    { weight: 2, arbitrary: filter },
    { weight: 1, arbitrary: policy },
  );
};

interface GenHost {
  readonly name: string;
  readonly ifaces: readonly { readonly name: string; readonly addrs: readonly string[] }[];
  readonly bridge?: { readonly ports: readonly string[]; readonly addrs: readonly string[] };
  readonly routes: readonly string[];
  readonly forward: boolean;
  readonly brnf: boolean;
  readonly rules: readonly string[];
  readonly listen: boolean;
}

/** A host; a `switchy` one has a bridge over two or three ports (so cabling makes loops often). */
const genHost = (name: string, switchy: boolean): fc.Arbitrary<GenHost> =>
  fc.uniqueArray(ifname, { minLength: switchy ? 2 : 1, maxLength: 3 }).chain((names) =>
    fc.record({
      name: fc.constant(name),
      ifaces: fc.tuple(
        ...names.map((n) => fc.array(prefix, { maxLength: 2 }).map((addrs) => ({ name: n, addrs }))),
      ),
      bridge: switchy
        ? fc.record({
            ports: fc.subarray(names, { minLength: 2 }),
            addrs: fc.array(prefix, { maxLength: 1 }),
          })
        : fc.option(
            fc.record({
              ports: fc.subarray(names, { minLength: 1 }),
              addrs: fc.array(prefix, { maxLength: 1 }),
            }),
            { nil: undefined },
          ),
      routes: fc.array(
        fc.oneof(
          addr.map((a) => `default via ${a}`),
          fc.tuple(prefix, addr).map(([p, a]) => `${p} via ${a}`),
        ),
        { maxLength: 2 },
      ),
      forward: fc.boolean(),
      brnf: fc.boolean(),
      rules: fc.array(ruleLine(names), { maxLength: 5 }),
      listen: fc.boolean(),
    }),
  );

const flowYaml = (hosts: readonly GenHost[]): fc.Arbitrary<string> =>
  fc
    .record({
      from: fc.constantFrom(...hosts.map((h) => h.name)),
      proto,
      to: addr,
      dport: port,
      sport: fc.option(fc.integer({ min: 1024, max: 65535 }), { nil: undefined }),
      at: fc.constantFrom(0, 0, 0.5, 1),
      expect: fc.option(fc.constantFrom('connected', 'reset', 'timeout', 'unreachable', 'reply'), {
        nil: undefined,
      }),
    })
    .map((f) => {
      // Only verdicts the flow's protocol can have: a wrong one is a loader error, tested elsewhere.
      const fits =
        f.proto === 'tcp' ? f.expect !== 'reply' : f.expect !== 'connected' && f.expect !== 'reset';
      return fits ? f : { ...f, expect: undefined };
    })
    .map(
      (f) =>
        `  - { from: ${f.from}, proto: ${f.proto}, to: ${f.proto === 'icmp' ? f.to : `'${f.to}:${f.dport}'`}` +
        `${f.sport !== undefined && f.proto !== 'icmp' ? `, sport: ${f.sport}` : ''}, at: ${f.at}, timeout: 1` +
        `${f.expect ? `, expect: ${f.expect}` : ''} }`,
    );

/** Addresses unique across the scenario (the loader's rule today): a taken one moves to a free one. */
function uniqueAddresses(hosts: readonly GenHost[]): GenHost[] {
  const taken = new Set<string>();
  const free = (p: string): string | undefined => {
    const [a, len] = p.split('/') as [string, string];
    const net = a.slice(0, a.lastIndexOf('.'));
    for (const h of [a.slice(a.lastIndexOf('.') + 1), '1', '2', '10', '11', '200', '254', '3', '4', '5']) {
      if (!taken.has(`${net}.${h}`)) {
        taken.add(`${net}.${h}`);
        return `${net}.${h}/${len}`;
      }
    }
    return undefined;
  };
  const fix = (addrs: readonly string[]): string[] => addrs.map(free).filter((x) => x !== undefined);
  return hosts.map((h) => {
    const ifaces = h.ifaces.map((i) => ({ ...i, addrs: fix(i.addrs) }));
    const bridge = h.bridge ? { ...h.bridge, addrs: fix(h.bridge.addrs) } : undefined;
    // A gateway must be on a network the host is connected to: keep routes whose gateway shares
    // a /24 with one of the host's addresses (the rest would only test one loader error).
    const nets = [...ifaces.flatMap((i) => i.addrs), ...(bridge?.addrs ?? [])].map((p) =>
      p.slice(0, p.lastIndexOf('.')),
    );
    const routes = h.routes.filter((r) => {
      const gw = /via (\S+)$/.exec(r)?.[1] ?? '';
      return nets.includes(gw.slice(0, gw.lastIndexOf('.')));
    });
    return { ...h, ifaces, routes, ...(bridge ? { bridge } : {}) };
  });
}

/**
 * A whole scenario as YAML text: 2-5 hosts, random cabling, rules and flows. With `switches`, the
 * first hosts are bridges of two or three ports, so two cables between them (a loop) are common.
 */
export const scenarioArb = (switches: boolean): fc.Arbitrary<string> =>
  fc
    .integer({ min: 2, max: 5 })
    .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => genHost(`h${i}`, switches && i < 2))))
    .chain((hosts) => {
      const ends = hosts.flatMap((h) => h.ifaces.map((i) => `${h.name}:${i.name}`));
      // Each interface in one link at most: the ends shuffled, then cut into cables and switches.
      const links = fc
        .tuple(
          fc.shuffledSubarray(ends, { minLength: 0 }),
          fc.array(fc.constantFrom(2, 2, 3), { maxLength: ends.length }),
        )
        .map(([order, sizes]) => {
          const out: string[][] = [];
          let k = 0;
          for (const n of sizes) {
            if (k + n > order.length) break;
            out.push(order.slice(k, k + n));
            k += n;
          }
          return out;
        });
      return fc.tuple(
        fc.constant(uniqueAddresses(hosts)),
        links,
        fc.array(flowYaml(hosts), { minLength: 1, maxLength: 3 }),
      );
    })
    .map(([hosts, links, flows]) => {
      const out = ['hosts:'];
      for (const h of hosts) {
        out.push(`  ${h.name}:`, '    interfaces:');
        for (const i of h.ifaces) out.push(`      ${i.name}: { addresses: [${i.addrs.join(', ')}] }`);
        if (h.bridge) {
          out.push('    bridges:');
          out.push(
            `      br0: { ports: [${h.bridge.ports.join(', ')}], addresses: [${h.bridge.addrs.join(', ')}] }`,
          );
        }
        if (h.routes.length) out.push(`    routes: [${h.routes.join(', ')}]`);
        out.push('    sysctls:', `      net.ipv4.ip_forward: ${h.forward ? 1 : 0}`);
        out.push(`      net.bridge.bridge-nf-call-iptables: ${h.brnf ? 1 : 0}`);
        if (h.rules.length) {
          out.push('    rules: |');
          for (const r of h.rules) out.push(`      iptables ${r}`);
        }
        if (h.listen) out.push('    listen: [tcp/80, udp/5000, tcp/8080]');
      }
      out.push('links:');
      for (const l of links) out.push(`  - [${l.join(', ')}]`);
      out.push('flows:', ...flows);
      return out.join('\n') + '\n';
    });

/** Random edits of a text: deletions, replacements and insertions of syntax characters. */
export const edited = (text: string): fc.Arbitrary<string> =>
  fc
    .array(
      fc.record({
        at: fc.nat({ max: text.length }),
        del: fc.nat({ max: 8 }),
        ins: fc.string({
          maxLength: 6,
          unit: fc.constantFrom(
            ':',
            '-',
            ' ',
            '\n',
            '[',
            '{',
            '"',
            "'",
            'a',
            '1',
            '/',
            '.',
            '|',
            '*',
            '&',
            '!',
            '\\',
          ),
        }),
      }),
      { minLength: 1, maxLength: 4 },
    )
    .map((edits) => {
      let t = text;
      for (const e of edits) t = t.slice(0, e.at) + e.ins + t.slice(e.at + e.del);
      return t;
    });

/** iptables-restore text made of random rule lines (some valid, some not) in the right tables. */
export const restoreText: fc.Arbitrary<string> = fc
  .array(ruleLine(['eth0', 'eth1', 'wan']), { minLength: 1, maxLength: 12 })
  .map((lines) => {
    const byTable = new Map<string, string[]>();
    for (const l of lines) {
      const m = /^-t (\w+) (.*)$/.exec(l);
      const table = m?.[1] ?? 'filter';
      const rest = m?.[2] ?? l;
      byTable.set(table, [...(byTable.get(table) ?? []), rest]);
    }
    const out: string[] = [];
    for (const [t, ls] of byTable)
      out.push(`*${t}`, ...ls.map((l) => l.replace(/^-P (\w+) (\w+)$/, ':$1 $2 [0:0]')), 'COMMIT');
    return out.join('\n') + '\n';
  });

/** JSON of any shape, biased towards the shapes `ip -j addr` and `ip -j route` print. */
const ipJsonParts = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(null, 0, -1, 1e300, '', 'zz', '10.0.0.300', 'eth0', true, '2001:db8::1'),
    fc.array(tie('value'), { maxLength: 3 }),
    tie('iface'),
    tie('route'),
  ),
  iface: fc.record(
    {
      ifindex: fc.oneof(fc.nat(), tie('value')),
      ifname: fc.oneof(ifname, tie('value')),
      address: fc.oneof(fc.constantFrom('02:00:00:00:00:01', 'zz', '00:00:00:00:00:00'), tie('value')),
      link_type: fc.constantFrom('ether', 'loopback', 'none'),
      addr_info: fc.oneof(
        fc.array(
          fc.record(
            {
              family: fc.constantFrom('inet', 'inet6', 'x'),
              local: fc.oneof(addr, fc.constantFrom('10.0.0.300', '2001:db8::1', ''), tie('value')),
              prefixlen: fc.oneof(fc.constantFrom(0, 24, 32, 99, -1), tie('value')),
            },
            { requiredKeys: [] },
          ),
          { maxLength: 3 },
        ),
        tie('value'),
      ),
    },
    { requiredKeys: [] },
  ),
  route: fc.record(
    {
      dst: fc.oneof(fc.constantFrom('default', '10.0.0.0/24', '2001:db8::/64', 'x/99'), tie('value')),
      gateway: fc.oneof(addr, tie('value')),
      dev: fc.oneof(ifname, tie('value')),
      type: fc.constantFrom('unicast', 'blackhole', 'unreachable', 'local', 'broadcast'),
      protocol: fc.constantFrom('kernel', 'boot', 'static'),
      prefsrc: addr,
      table: fc.constantFrom('main', 'local', 100),
    },
    { requiredKeys: [] },
  ),
}));
export const ipJson: fc.Arbitrary<unknown> = ipJsonParts.value;
/** A list, as `ip -j` prints, of interfaces, routes and odd values. */
export const ipJsonList: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.array(fc.oneof(ipJsonParts.iface, ipJsonParts.route, ipJsonParts.value), { maxLength: 4 }),
  },
  { weight: 1, arbitrary: ipJson },
);

export const scenarioText = scenarioArb(false);
/** Scenarios with switches cabled at random: bridge loops (broadcast storms) included. */
export const switchedScenarioText = scenarioArb(true);
