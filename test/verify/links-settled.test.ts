// linksSettled (src/dataplane/kernel/live.ts) against the kernel: what it waits for is what the
// kernel reports (`ip -d -j link show`: operstate UP, bridge port state forwarding), and a link
// that does not settle in time is named and becomes the run's note. Expected answers: the kernel
// (Linux 6.18) itself, read in the test after linksSettled returns; the bridge port timings are
// net/bridge/br_stp.c's br_make_forwarding (no STP or forward_delay 0: forwarding at once; kernel
// STP: listening, then learning, then forwarding, forward_delay apart). Needs root and iproute2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { linksSettled, unsettledNote, LINKS_SETTLE_MS } from '../../src/dataplane/kernel/live.ts';

const root = process.getuid?.() === 0 && spawnSync('ip', ['-V']).status === 0;
const skip = root ? false : 'needs root and iproute2 (network namespaces)';

const ip = (...args: string[]): void => {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `ip ${args.join(' ')}: ${r.stderr}`);
};

interface Link {
  ifname: string;
  operstate?: string;
  flags?: string[];
  linkinfo?: { info_slave_data?: { state?: string } };
}

const links = (ns: string): Map<string, Link> => {
  const r = spawnSync('ip', ['-n', ns, '-d', '-j', 'link', 'show'], { encoding: 'utf8' });
  return new Map((JSON.parse(r.stdout) as Link[]).map((l) => [l.ifname, l]));
};

/** A namespace with bridge br0 (`bridge` arguments), its port v0 (peer v1) and a plain veth v2/v3. */
function bridged(ns: string, bridge: string[]): void {
  ip('netns', 'add', ns);
  ip('-n', ns, 'link', 'add', 'br0', 'type', 'bridge', ...bridge);
  ip('-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
  ip('-n', ns, 'link', 'add', 'v2', 'type', 'veth', 'peer', 'name', 'v3');
  ip('-n', ns, 'link', 'set', 'v0', 'master', 'br0');
  for (const d of ['br0', 'v0', 'v1', 'v2', 'v3']) ip('-n', ns, 'link', 'set', d, 'up');
}

const del = (ns: string): void => void spawnSync('ip', ['netns', 'del', ns]);

test(
  'linksSettled: no STP, forward_delay 0 (as verify makes bridges): settled when the kernel says forwarding and up',
  { skip },
  async () => {
    const ns = `nbx-settle-${process.pid}-a`;
    try {
      bridged(ns, ['stp_state', '0', 'forward_delay', '0', 'mcast_snooping', '0']);
      assert.deepEqual(await linksSettled([ns], LINKS_SETTLE_MS), []);
      const l = links(ns);
      assert.equal(l.get('v0')?.linkinfo?.info_slave_data?.state, 'forwarding');
      for (const d of ['br0', 'v0', 'v1', 'v2', 'v3']) {
        assert.ok(l.get(d)?.flags?.includes('LOWER_UP'), `${d} has carrier`);
        assert.equal(l.get(d)?.operstate, 'UP', d);
      }
    } finally {
      del(ns);
    }
  },
);

test(
  'linksSettled: kernel STP, forward_delay 2 s: the port is named until forwarding (4 s), then settled',
  { skip },
  async () => {
    const ns = `nbx-settle-${process.pid}-b`;
    try {
      // forward_delay in centiseconds; 2 s is the least the kernel takes with STP on.
      bridged(ns, ['stp_state', '1', 'forward_delay', '200', 'mcast_snooping', '0']);
      const up = Date.now();
      const early = await linksSettled([ns], 1000);
      assert.deepEqual(early, [`${ns}:v0`]);
      const st = links(ns).get('v0')?.linkinfo?.info_slave_data?.state;
      assert.ok(st === 'listening' || st === 'learning', `v0 is ${st} after 1 s`);
      assert.equal(
        unsettledNote(early, 1000),
        `links not settled after 1 s (carrier seen, not yet up or forwarding): ${ns}:v0`,
      );
      // Within verify's 3 s it does not settle either: the run's note names it.
      const late = await linksSettled([ns], Math.max(0, up + LINKS_SETTLE_MS - Date.now()));
      assert.deepEqual(late, [`${ns}:v0`]);
      assert.match(
        unsettledNote(late),
        /^links not settled after 3 s \(carrier seen, not yet up or forwarding\): nbx-settle-\d+-b:v0$/,
      );
      // Waited for long enough, it settles when the kernel puts the port in forwarding.
      assert.deepEqual(await linksSettled([ns], 8000), []);
      const took = (Date.now() - up) / 1000;
      assert.ok(took >= 3.5 && took < 6, `forwarding after ${took} s (2 x forward_delay)`);
      assert.equal(links(ns).get('v0')?.linkinfo?.info_slave_data?.state, 'forwarding');
      assert.equal(links(ns).get('v0')?.operstate, 'UP');
    } finally {
      del(ns);
    }
  },
);
