// natbox's listing of the sets and maps the packet path filled, against the kernel's: the fixture
// test/fixtures/nft/dynset-listing.kernel.nft is `nft list ruleset` (nft 1.0.6, Linux 6.18) on the
// router of test/conformance/nft/dynset-listing.yaml after its live run (natbox verify --captures).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { simulateScenario } from '../../src/scenario/simulate.ts';
import { printNft } from '../../src/rules/nft/index.ts';
import { compareNftSets } from '../../src/oracle/nft-sets.ts';
import { setListings, setListingsOfText } from '../../src/rules/nft/set-listing.ts';
import type { NftRuleset } from '../../src/rules/nft/model.ts';

const FILE = 'test/conformance/nft/dynset-listing.yaml';
const KERNEL = readFileSync('test/fixtures/nft/dynset-listing.kernel.nft', 'utf8');

/** The listing's sets, read back (a test fails here when it does not read). */
function listed(text: string, what: string): ReturnType<typeof setListings> {
  const l = setListingsOfText(text, what);
  if (!Array.isArray(l)) throw new Error(l.error);
  return l;
}

const kernelOf = (text: string): Map<string, ReturnType<typeof setListings>> =>
  new Map([['r', listed(text, 'kernel')]]);

function natboxListing(): NftRuleset {
  const r = simulateScenario(readFileSync(FILE, 'utf8'), FILE);
  assert.ok(r.ok);
  if (!r.ok) throw new Error('unreachable');
  const rs = r.sim.world.hosts.get('r')!.nftListing(r.sim.end);
  assert.ok(rs);
  return rs;
}

test("nft sets after the run: natbox's listing is the kernel's, but for the time left", () => {
  const rs = natboxListing();
  const text = printNft(rs);
  const noExpires = (s: string): string => s.replace(/ expires \S+?(?=[,: ]| })/g, '');
  assert.equal(noExpires(text), noExpires(KERNEL));
  // natbox's time left at the end of the run (6.5 s): a . 80 refreshed by its SYN at 4.5 with the
  // set's minute (the element keeps its own 30 s timeout: nft_dynset_eval moves the expiry only).
  assert.match(text, /203\.0\.113\.50 \. 80 timeout 30s expires 58s,/);
  assert.match(text, /203\.0\.113\.50 \. 81 timeout 30s expires 26s500ms }/);
});

test('nft sets after the run: compared with the kernel within the time its listing took', () => {
  const rs = natboxListing();
  const k = new Map([['r', listed(KERNEL, 'k')]]);
  // The kernel's listing was read about 0.3 s after the end.
  const ok = compareNftSets(new Map([['r', setListings(rs)]]), k, new Map([['r', [0.3, 0.33] as const]]));
  assert.deepEqual(ok.diffs, []);
  assert.deepEqual(ok.compared, ["r: 3 sets, 7 elements in natbox's listing"]);
  // Read 2 s after: the kernel's times are too long for that.
  const late = compareNftSets(new Map([['r', setListings(rs)]]), k, new Map([['r', [2, 2.1] as const]]));
  assert.equal(late.diffs.length, 1);
  assert.match(late.diffs[0]!.field, /^@recent \(ip f\) element 203\.0\.113\.50 \. 80 timeout 30s expires$/);
  // A counter that differs is a difference of the elements.
  const other = compareNftSets(
    new Map([['r', setListings(rs)]]),
    kernelOf(KERNEL.replace('203.0.113.51 counter packets 6', '203.0.113.51 counter packets 7')),
    new Map([['r', [0.3, 0.33] as const]]),
  );
  assert.equal(other.diffs[0]?.field, '@seen (ip f) elements');
  assert.equal(
    other.diffs[0]?.kernel,
    '203.0.113.50 counter packets 6 bytes 325, 203.0.113.51 counter packets 7 bytes 325',
  );
  // An element the kernel has and natbox not.
  const missing = compareNftSets(
    new Map([['r', setListings(rs)]]),
    kernelOf(
      KERNEL.replace(', 203.0.113.51 expires', ', 203.0.113.52 expires 1s : 10.0.2.9, 203.0.113.51 expires'),
    ),
  );
  assert.equal(missing.diffs[0]?.field, '@lastdst (ip f) elements');
});

test('natbox trace --counters: an nft host prints nft list ruleset after the run, sets filled', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'trace', '--counters', FILE], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const at = r.stdout.indexOf('r: rule counters after the run (t = 6.500 s):\ntable ip f {\n');
  assert.ok(at >= 0, r.stdout);
  assert.ok(
    r.stdout.includes(
      '\t\telements = { 203.0.113.50 . 80 timeout 30s expires 58s,\n\t\t\t     203.0.113.51 . 80 timeout 30s expires 55s,\n\t\t\t     203.0.113.50 . 81 timeout 30s expires 26s500ms }\n',
      at,
    ),
  );
});

// nft 1.0.6 lists `tcp option @2,0,8` as `tcp option maxseg kind`, which neither it nor natbox
// reads back (found with test/conformance/nft/tcp-option-exthdr.yaml): the sets are still read
// from the listing's set blocks, and a listing whose sets do not read either is named, not skipped.
test('nft sets after the run: a listing whose chains do not read back is read by its sets', () => {
  const rs = natboxListing();
  const unreadable = KERNEL.replace(
    /(\tchain \S+ \{\n)/,
    '$1\t\ttcp option maxseg kind 2 counter packets 0 bytes 0\n',
  );
  assert.notEqual(unreadable, KERNEL);
  const whole = setListingsOfText(unreadable, 'k');
  assert.ok(Array.isArray(whole));
  const sets = whole.filter((s) => s.set.startsWith('@'));
  assert.deepEqual(
    sets,
    listed(KERNEL, 'k').filter((s) => s.set.startsWith('@')),
  );
  const ok = compareNftSets(
    new Map([['r', setListings(rs)]]),
    new Map([['r', whole]]),
    new Map([['r', [0.3, 0.33] as const]]),
  );
  assert.deepEqual(ok.diffs, []);

  const bad = KERNEL.replace(/elements = \{ /, 'elements = { nonsense ');
  const why = setListingsOfText(bad, 'r: nft list ruleset');
  assert.ok(!Array.isArray(why));
  assert.match(why.error, /^r: nft list ruleset:\d+:\d+: /);
  const none = compareNftSets(
    new Map([['r', setListings(rs)]]),
    new Map(),
    undefined,
    new Map([['r', why.error]]),
  );
  assert.deepEqual(none.diffs, []);
  assert.deepEqual(none.compared, [
    `r: not compared, the kernel's listing does not read back (${why.error})`,
  ]);
});
