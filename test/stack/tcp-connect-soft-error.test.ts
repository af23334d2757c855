// An ICMP error about the client's handshake ACK, taken in before the application wakes, fails a
// connect() with its errno: tcp_v4_err keeps it as sk_err_soft on the ESTABLISHED socket, and the
// kernel reference's client (Python's connect() with a timeout: poll, then SO_ERROR, which returns
// sk_err_soft) reports it and closes; the FIN waits behind SYNPROXY's zero window while the
// persist timer probes. Expected: test/conformance/nft/nft-synproxy-connect-soft-error.yaml under
// `natbox verify` (seed 1903 #44; matches the kernel 3 of 3, natbox said connected before).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { describeFrame } from '../../src/trace/frame.ts';

const FILE = 'test/conformance/nft/nft-synproxy-connect-soft-error.yaml';

test('connect() fails with the soft error of an ICMP error its ACK drew; the FIN waits behind the zero window', () => {
  const r = simulateScenario(readFileSync(FILE, 'utf8'), FILE, { trace: true });
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  assert.deepEqual(
    r.sim.results.map((x) => [x.verdict, x.errno]),
    [['error', 'EHOSTUNREACH']],
  );
  // h32 sends its SYN, the ACK and then only zero-window probes (no FIN, no data), each answered
  // by r2's time exceeded.
  const flags = r.sim.steps.flatMap((s) =>
    s.kind === 'packet' && s.host === 'h32' && s.dir === 'out'
      ? [/ Flags \[([^\]]*)\]/.exec(describeFrame(s.frame).summary)?.[1] ?? 'not tcp']
      : [],
  );
  assert.deepEqual(
    flags.filter((f) => f !== 'not tcp'),
    ['S', '.', '.', '.', '.'],
  );
});
