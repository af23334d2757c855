// `natbox route get` prints as `ip route get` does. Expected text: `ip route get` on Linux 6.18.44
// with iproute2 6.1.0 (2026-12-01) in a namespace built like this scenario's host a (the
// reference case client-somark-fwmark-rule: its result.json's route_after is the first line, its
// marked flow the second), and the forms `8.8.8.8 from 10.0.1.11 via 10.0.1.1 dev d0 uid 0`,
// `local 10.0.1.11 dev lo src 10.0.1.10 uid 0` / `cache <local>`, `broadcast 10.0.2.255 dev e0
// src 10.0.2.10 uid 0` / `cache <local,brd>` and `RTNETLINK answers: Invalid argument` for a
// blackhole route, captured the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { routeGetCommand } from '../../src/cli/route-get.ts';

const SCENARIO = `
name: somark
hosts:
  a:
    interfaces: { eth0: 10.0.1.10/24, eth1: 10.0.3.10/24 }
    routes: [default via 10.0.1.1, default via 10.0.3.1 table 200, blackhole 10.0.9.0/24]
    ip_rules: [fwmark 0x2 lookup 200 pref 1000]
  r:
    interfaces: { eth0: 10.0.1.1/24, eth2: 10.0.3.1/24 }
links:
  - [a:eth0, r:eth0]
  - [a:eth1, r:eth2]
`;

function run(args: string[]): { code: number; out: string; err: string } {
  const dir = mkdtempSync(join(tmpdir(), 'natbox-route-get-'));
  const file = join(dir, 's.yaml');
  writeFileSync(file, SCENARIO);
  let out = '';
  let err = '';
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  try {
    const code = routeGetCommand('get', args, { scenario: file, host: 'a' });
    return { code, out, err };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

// \`ip route get 10.0.2.20 mark 2\` there: \`10.0.2.20 via 10.0.3.1 dev d1 table 200 src 10.0.3.10 mark 2
// uid 0\`; \`ip route get 10.0.1.10\`: \`local 10.0.1.10 dev lo table local src 10.0.1.10 uid 0\`.
test('natbox route get: as ip route get prints it (main table, a mark choosing table 200, from, local, broadcast)', () => {
  assert.deepEqual(run(['10.0.2.20']), {
    code: 0,
    out: '10.0.2.20 via 10.0.1.1 dev eth0 src 10.0.1.10 uid 0 \n    cache \n',
    err: '',
  });
  assert.equal(
    run(['10.0.2.20', 'mark', '2']).out,
    '10.0.2.20 via 10.0.3.1 dev eth1 table 200 src 10.0.3.10 mark 2 uid 0 \n    cache \n',
  );
  assert.equal(
    run(['8.8.8.8', 'from', '10.0.3.10']).out,
    '8.8.8.8 from 10.0.3.10 via 10.0.1.1 dev eth0 uid 0 \n    cache \n',
  );
  // With a rule of its own, the kernel names the local table too (captured the same way).
  assert.equal(
    run(['10.0.1.10']).out,
    'local 10.0.1.10 dev lo table local src 10.0.1.10 uid 0 \n    cache <local> \n',
  );
  assert.equal(
    run(['10.0.3.255']).out,
    'broadcast 10.0.3.255 dev eth1 table local src 10.0.3.10 uid 0 \n    cache <local,brd> \n',
  );
  assert.deepEqual(run(['10.0.9.1']), { code: 2, out: '', err: 'RTNETLINK answers: Invalid argument\n' });
});
