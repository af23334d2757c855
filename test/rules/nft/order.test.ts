// The order nft lists set elements in, and the other listing details of the corpus work (issue 16):
// order/order.nft loaded with the real nft 1.0.6 in a fresh namespace (TZ=UTC; `ip netns exec NS
// nft -f order.nft`, then `nft list ruleset` > order.list and `nft -j list ruleset` > order.json,
// 2026-12-02). nft sorts every set it lists (mergesort.c expr_msort_value): ifname strings and
// marks as host-order numbers ("eth2" before "eth10"), a concatenation as its bytes read as one
// little-endian number (its last part first: `10.0.0.3 . 22` before `9.0.0.1 . 80`), ct states
// by value. Also: `meta hour` seconds, a numgen map as a dnat port, IPv6 exthdr, ip option and
// sctp chunk fields. order/symbols.nft: the symbol tables (ether type, pkttype, dscp, protocols).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNft, parseNftJson, printNft, printNftJson } from '../../../src/rules/nft/index.ts';
import { formatDiagnostic } from '../../../src/rules/diagnostics.ts';
import { formatHour, parseHour } from '../../../src/rules/nft/types.ts';
import { lines } from './fixtures.ts';

const dir = join(import.meta.dirname, 'order');
const read = (f: string): string => readFileSync(join(dir, f), 'utf8');

test('nft order: sets list sorted as nft 1.0.6 lists them (text and JSON)', () => {
  const r = parseNft(lines(read('order.nft'), 'order.nft'));
  assert.ok(r.ok, r.ok ? '' : r.diagnostics.map(formatDiagnostic).join('\n'));
  assert.equal(printNft(r.ruleset), read('order.list'));
  assert.equal(printNftJson(r.ruleset), read('order.json'));
  const j = parseNftJson(read('order.json'), 'order.json');
  assert.ok(j.ok);
  assert.equal(printNftJson(j.ruleset), read('order.json'));
});

test('nft symbols: one table per datatype as nft 1.0.6 has it (order/symbols.nft, captured the same way)', () => {
  // 0x8100 lists as 8021q, `unicast` as host, dscp df/be are cs0 (one element), va is known,
  // protocol names are Debian netbase's (hopopt is 0 = ip, comp is ipcomp, 143 is ethernet).
  const r = parseNft(lines(read('symbols.nft'), 'symbols.nft'));
  assert.ok(r.ok, r.ok ? '' : r.diagnostics.map(formatDiagnostic).join('\n'));
  assert.equal(printNft(r.ruleset), read('symbols.list'));
  assert.equal(printNftJson(r.ruleset), read('symbols.json'));
  const j = parseNftJson(read('symbols.json'), 'symbols.json');
  assert.ok(j.ok);
  assert.equal(printNftJson(j.ruleset), read('symbols.json'));
});

test('nft order: iif sets list in interface index order (the ifIndex parse option)', () => {
  const text = 'table ip t {\n\tchain c {\n\t\tiif { "eth0", "eth1", "br-lan" } accept\n\t}\n}\n';
  const idx = new Map([
    ['eth1', 2],
    ['eth0', 3],
    ['br-lan', 4],
  ]);
  const r = parseNft(lines(text, 'x.nft'), { ifIndex: (n) => idx.get(n) });
  assert.ok(r.ok);
  assert.match(printNft(r.ruleset), /iif \{ "eth1", "eth0", "br-lan" \} accept/);
  // Without the host's indexes the written order stays.
  const w = parseNft(lines(text, 'x.nft'));
  assert.ok(w.ok);
  assert.match(printNft(w.ruleset), /iif \{ "eth0", "eth1", "br-lan" \} accept/);
});

test('meta hour values as meta.c reads and prints them (UTC)', () => {
  assert.equal(parseHour('21:51:00'), 21 * 3600 + 51 * 60);
  assert.equal(parseHour('21:51'), 21 * 3600 + 51 * 60);
  assert.equal(parseHour('7:05:09'), 7 * 3600 + 5 * 60 + 9);
  assert.equal(parseHour('3600'), 3600);
  assert.equal(parseHour('1h30m'), 5400);
  assert.equal(parseHour('24:00'), undefined);
  assert.equal(parseHour('noon'), undefined);
  assert.equal(formatHour(21 * 3600 + 51 * 60), '21:51');
  assert.equal(formatHour(59), '00:00:59');
});
