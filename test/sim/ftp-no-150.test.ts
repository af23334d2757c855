// An FTP client reads its data connection only once the 150 came (the kernel reference's client:
// rd('150'), then recv() until EOF and close()): the data's FIN before the 150 waits in CLOSE_WAIT,
// ACKed by the delayed-ACK timer, and a session that then fails resets the data connection (the
// process exits with the data unread: tcp_close's RST). Expected:
// test/conformance/nft/nft-ftp-active-no-150.yaml under `natbox verify` (seed 1903 #18; matches
// the kernel 3 of 3, natbox closed the data connection with a FIN at once before).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { describeFrame } from '../../src/trace/frame.ts';

const FILE = 'test/conformance/nft/nft-ftp-active-no-150.yaml';

test('FTP: the data connection waits for the 150; a session failing before it resets the data connection', () => {
  const r = simulateScenario(readFileSync(FILE, 'utf8'), FILE, { trace: true });
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  assert.deepEqual(
    r.sim.results.map((x) => [x.verdict, x.errno]),
    [['connected-then-failed', 'ETIMEDOUT']],
  );
  // h12's segments on the data connection (its port 40001): SYN-ACK, the data's ACK, the FIN's ACK
  // 40 ms after the FIN (the delayed-ACK timer), and the RST when the session fails at 3.3 s.
  const data = r.sim.steps.flatMap((s) => {
    if (s.kind !== 'packet' || s.host !== 'h12' || s.dir !== 'out') return [];
    const m = / 10\.1\.0\.12\.40001 > .* Flags \[([^\]]*)\]/.exec(describeFrame(s.frame).summary);
    return m ? [[m[1], Math.round(s.t * 1000) / 1000]] : [];
  });
  assert.deepEqual(
    data.map(([f]) => f),
    ['S.', '.', '.', 'R.'],
  );
  assert.ok((data[2]![1] as number) > 1.64 && (data[3]![1] as number) > 3.3, JSON.stringify(data));
});
