// A kube-proxy-shaped iptables-restore file of about N rules (issue 13, "Speed"): the shape of
// kube-proxy's iptables mode (pkg/proxy/iptables/proxier.go and the expected dumps of its
// proxier_test.go): the nat table's KUBE-SERVICES / KUBE-NODEPORTS / KUBE-POSTROUTING /
// KUBE-MARK-MASQ chains, a KUBE-SVC-<hash> chain per service port (a masquerade rule for
// off-cluster sources, then one jump per endpoint with `-m statistic --mode random --probability
// 1/(n-i)`), a KUBE-SEP-<hash> chain per endpoint (hairpin mark, DNAT), NodePort services through
// KUBE-EXT-<hash>, comments on every rule as kube-proxy writes them; and the filter table's
// KUBE-FORWARD / KUBE-SERVICES / KUBE-FIREWALL chains. Every chain is declared in the order
// iptables-save prints it, every rule in iptables-save's form, so the file equals its own
// `iptables-save` (comment lines aside) but for the probabilities: kube-proxy writes them with
// `%0.10f` (0.3333333333), iptables-save prints the kernel's 31-bit fraction (0.33333333349).
// Deterministic: a seeded generator, the same file each run.
//
//   node --import tsx bench/kube-proxy-gen.ts [RULES]   # prints the file (default 20,000 rules)

/** A linear congruential generator (glibc's constants): the same sequence for the same seed. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s;
  };
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** `kubeProxyRestore(20_000)`: the file's text and its exact rule count (at least `rules`). */
export function kubeProxyRestore(rules: number, seed = 13): { text: string; rules: number } {
  const next = lcg(seed);
  const used = new Set<string>();
  const hash = (): string => {
    for (;;) {
      let h = '';
      for (let i = 0; i < 16; i++) h += B32[next() >>> 27]!;
      if (!used.has(h)) {
        used.add(h);
        return h;
      }
    }
  };
  // The nat table's rules chain by chain: iptables-save prints the base chains, then the user
  // chains in name order, each with its rules in order.
  const byChain = new Map<string, string[]>();
  let count = 0;
  const add = (chain: string, rule: string): void => {
    let list = byChain.get(chain);
    if (!list) byChain.set(chain, (list = []));
    list.push(`-A ${chain} ${rule}`);
    count++;
  };
  const filter = [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':KUBE-EXTERNAL-SERVICES - [0:0]',
    ':KUBE-FIREWALL - [0:0]',
    ':KUBE-FORWARD - [0:0]',
    ':KUBE-NODEPORTS - [0:0]',
    ':KUBE-PROXY-FIREWALL - [0:0]',
    ':KUBE-SERVICES - [0:0]',
    '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
    '-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
    '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
    '-A INPUT -j KUBE-FIREWALL',
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
    '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
    '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
    '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -j KUBE-FIREWALL',
    '-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
    '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    'COMMIT',
  ];
  count += filter.filter((l) => l.startsWith('-A ')).length;
  add('PREROUTING', '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
  add('OUTPUT', '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
  add('POSTROUTING', '-m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING');
  add('KUBE-MARK-MASQ', '-j MARK --set-xmark 0x4000/0x4000');
  add('KUBE-POSTROUTING', '-m mark ! --mark 0x4000/0x4000 -j RETURN');
  add('KUBE-POSTROUTING', '-j MARK --set-xmark 0x4000/0x0');
  add(
    'KUBE-POSTROUTING',
    '-m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
  );
  byChain.set('KUBE-NODEPORTS', []);
  byChain.set('KUBE-SERVICES', []);
  count++; // the KUBE-SERVICES -> KUBE-NODEPORTS rule, added last
  const ports = [80, 443, 8080, 53, 9090, 6443];
  for (let s = 0; count < rules; s++) {
    const ns = `ns${(next() >>> 24) % 40}`;
    const svc = `svc${s}`;
    const proto = s % 11 === 5 ? 'udp' : 'tcp';
    const port = ports[(next() >>> 24) % ports.length]!;
    const pname = `${svc}:p${port}`;
    const full = `${ns}/${pname}`;
    const vip = `172.30.${(s >> 8) & 255}.${s & 255}`;
    const eps = 1 + ((next() >>> 24) % 4);
    const svcChain = `KUBE-SVC-${hash()}`;
    add(
      'KUBE-SERVICES',
      `-d ${vip}/32 -p ${proto} -m comment --comment "${full} cluster IP" -m ${proto} --dport ${port} -j ${svcChain}`,
    );
    add(
      svcChain,
      `! -s 10.0.0.0/8 -d ${vip}/32 -p ${proto} -m comment --comment "${full} cluster IP" -m ${proto} --dport ${port} -j KUBE-MARK-MASQ`,
    );
    if (s % 7 === 3) {
      // A NodePort service: KUBE-NODEPORTS -> KUBE-EXT-<hash> -> (mark for masquerade) -> the service.
      const ext = `KUBE-EXT-${hash()}`;
      const nodePort = 30000 + (s % 2768);
      add(
        'KUBE-NODEPORTS',
        `-p ${proto} -m comment --comment "${full}" -m ${proto} --dport ${nodePort} -j ${ext}`,
      );
      add(
        ext,
        `-m comment --comment "masquerade traffic for ${full} external destinations" -j KUBE-MARK-MASQ`,
      );
      add(ext, `-j ${svcChain}`);
    }
    for (let e = 0; e < eps; e++) {
      const ip = `10.${128 + ((s >> 14) & 63)}.${(s >> 6) & 255}.${((s & 63) << 2) | e}`;
      const sep = `KUBE-SEP-${hash()}`;
      const left = eps - e;
      const stat = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(10)}` : '';
      add(svcChain, `-m comment --comment "${full} -> ${ip}:${port}"${stat} -j ${sep}`);
      add(sep, `-s ${ip}/32 -m comment --comment "${full}" -j KUBE-MARK-MASQ`);
      add(
        sep,
        `-p ${proto} -m comment --comment "${full}" -m ${proto} -j DNAT --to-destination ${ip}:${port}`,
      );
    }
  }
  byChain
    .get('KUBE-SERVICES')!
    .push(
      '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
    );
  const base = ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'];
  const user = [...byChain.keys()].filter((c) => !base.includes(c)).sort();
  const nat = [
    '*nat',
    ...base.map((c) => `:${c} ACCEPT [0:0]`),
    ...user.map((c) => `:${c} - [0:0]`),
    ...base.concat(user).flatMap((c) => byChain.get(c) ?? []),
    'COMMIT',
  ];
  return { text: `${filter.join('\n')}\n${nat.join('\n')}\n`, rules: count };
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const n = Number(process.argv[2] ?? 20_000);
  process.stdout.write(kubeProxyRestore(n).text);
}
