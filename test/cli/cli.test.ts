// The natbox command as a user runs it: output, exit codes, error messages with positions and no
// stack traces, and captures that tshark decodes with valid checksums.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI } from '../cli-argv.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

function natbox(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [...CLI, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'natbox-cli-'));
}

const hasTshark = spawnSync('tshark', ['--version'], { encoding: 'utf8' }).status === 0;

test('natbox trace tells both stories of the seed with their verdicts', () => {
  // --width 0: lines as long as they are (the default fits 80 columns; see trace-text.test.ts).
  const r = natbox(
    'trace',
    '--width',
    '0',
    'examples/hairpin/dnat-only.yaml',
    'examples/hairpin/dnat-snat.yaml',
  );
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, '');
  assert.match(r.out, /━━ hairpin-dnat-only/);
  assert.match(r.out, /verdict: TIMEOUT {2}✓ as expected/);
  assert.match(r.out, /verdict: CONNECTED {2}✓ as expected/);
  assert.match(
    r.out,
    /nat PREROUTING rule 1 matched: -A PREROUTING -s 192\.168\.1\.0\/24 -d 82\.120\.11\.22\/32 -i br-lan -p tcp -m tcp --dport 80 -j DNAT --to-destination 192\.168\.1\.200/,
  );
  assert.match(
    r.out,
    /DNAT 192\.168\.1\.10:40000 > 82\.120\.11\.22:80 {2}⇒ {2}192\.168\.1\.10:40000 > 192\.168\.1\.200:80/,
  );
  assert.match(
    r.out,
    /SNAT \(conntrack mapping\) 192\.168\.1\.200:80 > 192\.168\.1\.10:40000 {2}⇒ {2}82\.120\.11\.22:80 > 192\.168\.1\.10:40000/,
  );
  assert.match(
    r.out,
    /router: tcp {6}6 116 SYN_SENT src=192\.168\.1\.10 dst=82\.120\.11\.22 sport=40000 dport=80 \[UNREPLIED\] src=192\.168\.1\.200 dst=192\.168\.1\.10 sport=80 dport=40000 mark=0 use=1/,
  );
  assert.match(r.out, /The server saw the client as 192\.168\.1\.1:40000\./);
});

test('natbox trace --json gives the documented document', () => {
  const r = natbox('trace', '--json', 'examples/hairpin/dnat-snat.yaml');
  assert.equal(r.code, 0, r.err);
  const doc = JSON.parse(r.out);
  assert.equal(doc.format, 'natbox-trace/1');
  assert.equal(doc.scenario.name, 'hairpin-dnat-snat');
  assert.deepEqual(
    doc.flows.map((f: { verdict: string; serverSaw: string; pass: boolean }) => [
      f.verdict,
      f.serverSaw,
      f.pass,
    ]),
    [['connected', '192.168.1.1:40000', true]],
  );
  const first = doc.steps.find((s: { kind: string }) => s.kind === 'packet');
  assert.deepEqual(
    {
      host: first.host,
      ifname: first.ifname,
      dir: first.dir,
      proto: first.packet.proto,
      src: first.packet.src,
      dst: first.packet.dst,
    },
    { host: 'client', ifname: 'eth0', dir: 'out', proto: 'arp', src: undefined, dst: undefined },
  );
  assert.equal(doc.conntrack.router[0].entry.state, 'TIME_WAIT');
  assert.deepEqual(doc.conntrack.router[0].entry.reply, {
    src: '192.168.1.200',
    dst: '192.168.1.1',
    sport: 80,
    dport: 40000,
  });
});

test('a malformed scenario prints file:line:column and the token, exits 2, no stack trace', () => {
  const dir = scratch();
  try {
    const f = join(dir, 'bad.yaml');
    writeFileSync(
      f,
      'name: bad\nhosts:\n  router:\n    interfaces:\n      wan: { addresses: [82.120.11.22/33] }\nlinks: []\nflows: []\n',
    );
    const r = natbox('trace', f);
    assert.equal(r.code, 2);
    assert.equal(r.out, '');
    assert.equal(
      r.err,
      `${f}:5:26: hosts.router.interfaces.wan.addresses[0]: "82.120.11.22/33" is not an IPv4 prefix (prefix length 33 is over 32)\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a malformed rule inside a scenario is reported at its line and column in the YAML file', () => {
  const dir = scratch();
  try {
    const f = join(dir, 'bad-rule.yaml');
    writeFileSync(
      f,
      [
        'name: bad-rule',
        'hosts:',
        '  router:',
        '    interfaces: { wan: 82.120.11.22/24 }',
        '    rules: |',
        '      iptables -t nat -A PREROUTING -p tcp --dprot 80 -j DNAT --to-destination 192.168.1.200',
        'links: []',
        'flows: []',
        '',
      ].join('\n'),
    );
    const r = natbox('trace', f);
    assert.equal(r.code, 2);
    assert.equal(r.out, '');
    assert.equal(r.err, `${f}:6:44: unknown option "--dprot" (did you mean "--dport"?)\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing file or argument is a one-line error with exit code 2', () => {
  const r = natbox('trace', 'no/such/file.yaml');
  assert.equal(r.code, 2);
  assert.equal(r.err, 'natbox: no/such/file.yaml: no such file\n');
  const r2 = natbox('trace');
  assert.equal(r2.code, 2);
  assert.match(r2.err, /missing required argument 'scenario'/);
  assert.doesNotMatch(r.err + r2.err, /\n\s+at /);
});

test('natbox rules save prints the seed rules as iptables-save does', () => {
  const dir = scratch();
  try {
    const f = join(dir, 'seed.sh');
    writeFileSync(
      f,
      '# the seed\niptables -t nat -A PREROUTING -i br-lan -s 192.168.1.0/24 -d 82.120.11.22/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 192.168.1.200\n',
    );
    const r = natbox('rules', 'save', f);
    assert.equal(r.code, 0, r.err);
    assert.equal(
      r.out,
      [
        '*nat',
        ':PREROUTING ACCEPT [0:0]',
        ':INPUT ACCEPT [0:0]',
        ':OUTPUT ACCEPT [0:0]',
        ':POSTROUTING ACCEPT [0:0]',
        '-A PREROUTING -s 192.168.1.0/24 -d 82.120.11.22/32 -i br-lan -p tcp -m tcp --dport 80 -j DNAT --to-destination 192.168.1.200',
        'COMMIT',
        '',
      ].join('\n'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(
  'natbox trace --pcap writes captures tshark decodes with valid IP and TCP checksums',
  { skip: hasTshark ? false : 'tshark not installed (apt-get install tshark); CI installs it' },
  () => {
    const dir = scratch();
    try {
      for (const ex of ['dnat-only', 'dnat-snat']) {
        const out = join(dir, ex);
        const r = natbox('trace', '--pcap', out, `examples/hairpin/${ex}.yaml`);
        assert.equal(r.code, 0, r.err);
        const files = readdirSync(out).sort();
        assert.deepEqual(files, [
          'client.eth0--router.lan1.pcap',
          'devices.pcapng',
          'server.eth0--router.lan3.pcap',
          'wanhost.eth0--router.wan.pcap',
        ]);
        for (const f of files) {
          const t = spawnSync(
            'tshark',
            [
              '-r',
              join(out, f),
              '-o',
              'ip.check_checksum:TRUE',
              '-o',
              'tcp.check_checksum:TRUE',
              '-o',
              'udp.check_checksum:TRUE',
              '-T',
              'fields',
              '-e',
              'ip.checksum.status',
              '-e',
              'tcp.checksum.status',
              '-e',
              '_ws.malformed',
              '-e',
              'frame.interface_name',
            ],
            { encoding: 'utf8' },
          );
          assert.equal(t.status, 0, t.stderr);
          // Empty fields are meaningful (ARP has no IP checksum): split lines, never trim them.
          const rows = t.stdout
            .split('\n')
            .filter((l) => l !== '')
            .map((l) => l.split('\t'));
          // The WAN link carries nothing in these stories; every other capture has packets.
          if (f.startsWith('wanhost')) assert.equal(rows.length, 0, `${f}: unexpected traffic on the WAN`);
          else assert.ok(rows.length > 0, `${f}: no packets`);
          for (const [ipStatus, tcpStatus, malformed] of rows) {
            if (ipStatus) assert.equal(ipStatus, '1', `${f}: bad IP checksum`); // 1 = good
            if (tcpStatus) assert.equal(tcpStatus, '1', `${f}: bad TCP checksum`);
            assert.ok(!malformed, `${f}: malformed packet`);
          }
          if (f === 'devices.pcapng') {
            const names = new Set(rows.map((r2) => r2[3]));
            for (const n of ['client:eth0', 'router:lan1', 'router:br-lan', 'router:lan3', 'server:eth0'])
              assert.ok(names.has(n), `no interface ${n}`);
          }
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('an unsupported match is an error at its position, or with --skip-unsupported a rule left out and said so', () => {
  const dir = scratch();
  try {
    const f = join(dir, 'recent.yaml');
    writeFileSync(
      f,
      [
        'name: recent',
        'hosts:',
        '  router:',
        '    interfaces: { lan: 192.168.1.1/24, wan: 203.0.113.1/24 }',
        '    sysctls: { net.ipv4.ip_forward: 1 }',
        '    rules: |',
        '      iptables -A FORWARD -p tcp --dport 22 -m geoip --src-cc CN',
        '      iptables -t nat -A POSTROUTING -o wan -j MASQUERADE',
        '  client:',
        '    interfaces: { eth0: 192.168.1.10/24 }',
        '    routes: [default via 192.168.1.1]',
        '  server:',
        '    interfaces: { eth0: 203.0.113.50/24 }',
        '    listen: [tcp/80]',
        'links:',
        '  - [client:eth0, router:lan]',
        '  - [server:eth0, router:wan]',
        'flows:',
        '  - { name: web, from: client, proto: tcp, to: 203.0.113.50:80, sport: 40000, timeout: 1, expect: { verdict: connected, server_sees: 203.0.113.1:40000 } }',
        '',
      ].join('\n'),
    );
    const refused = natbox('trace', f);
    assert.equal(refused.code, 2);
    assert.equal(refused.out, '');
    assert.match(
      refused.err,
      new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:7:48: unsupported match "geoip"`),
    );
    const skipped = natbox('trace', '--skip-unsupported', '--width', '0', f);
    assert.equal(skipped.code, 0, skipped.err);
    assert.match(skipped.out, /1 rule\(s\) natbox cannot simulate were left out \(--skip-unsupported\)/);
    assert.match(
      skipped.out,
      /:7:48: router: iptables -A FORWARD -p tcp --dport 22 -m geoip --src-cc CN: unsupported match "geoip"/,
    );
    const tested = natbox('test', '--skip-unsupported', f);
    assert.equal(tested.code, 0, tested.out + tested.err);
    assert.match(tested.err, /warning: .*:7:48: router: rule left out \(unsupported match "geoip"/);
    assert.match(tested.out, /^1 passed, 0 failed$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
