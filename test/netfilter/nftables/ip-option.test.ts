// nft's `ip option NAME exists|missing` and `ip option NAME FIELD` on exact packets, as
// nft_exthdr_ipv4_eval evaluates them (exthdr-op.ts): ipv4_find_option checks the whole options
// area with __ip_options_compile's rules for a socket's options (skb NULL) before it looks for the
// option, so one bad option hides every other, and a source route a hop has advanced (pointer
// past 4) is not found.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildUdpPacket } from '../../../src/wire/packet.ts';
import { NF_DROP } from '../../../src/netfilter/core/engine.ts';
import { Skb } from '../../../src/netfilter/core/skb.ts';
import { checkNft } from '../../../src/netfilter/nftables/index.ts';
import { ipv4FindOption } from '../../../src/netfilter/nftables/exthdr-op.ts';
import { ip } from '../helpers.ts';
import { fwd, nftEngine, parseNftText } from './dsl.ts';

/** A UDP datagram whose IPv4 options are exactly `opts` (padded with EOL to a multiple of 4). */
function dgram(opts: readonly number[]): Uint8Array {
  const o = [...opts];
  while (o.length % 4) o.push(0);
  return buildUdpPacket(
    { src: ip('192.168.1.10'), dst: ip('198.51.100.2'), id: 1, options: new Uint8Array(o) },
    { srcPort: 1000, dstPort: 9 },
    new Uint8Array(4),
  );
}

function matches(rule: string, b: Uint8Array): boolean {
  const text = `table ip t {\n\tchain f {\n\t\ttype filter hook forward priority filter; policy accept;\n\t\t${rule} drop\n\t}\n}\n`;
  const rs = parseNftText(text);
  assert.deepEqual(checkNft(rs), [], rule);
  return fwd(nftEngine(rs), new Skb(), b, 'lan', 'wan', 0) === NF_DROP;
}

const RR = [7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0]; // record route, two empty slots
const RA = [148, 4, 0, 0];
const LSRR = [131, 11, 4, 10, 0, 0, 1, 10, 0, 0, 2]; // loose source route via 10.0.0.1, 10.0.0.2

test('ip option NAME exists|missing: found in valid options only', () => {
  assert.equal(matches('ip option rr exists', dgram(RR)), true);
  assert.equal(matches('ip option rr missing', dgram(RA)), true);
  assert.equal(matches('ip option ra exists', dgram([1, ...RA, ...RR])), true);
  assert.equal(matches('ip option lsrr exists', dgram(LSRR)), true);
  assert.equal(matches('ip option ssrr exists', dgram(LSRR)), false);
  assert.equal(matches('ip option ssrr exists', dgram([137, ...LSRR.slice(1)])), true);
  // No options at all.
  assert.equal(matches('ip option rr missing', dgram([])), true);
  // An RA option counts only with value 0.
  assert.equal(matches('ip option ra exists', dgram([148, 4, 0, 1])), false);
  // EOL ends the options: what follows is not read (not even checked).
  assert.equal(matches('ip option rr exists', dgram([0, ...RR])), false);
  assert.equal(matches('ip option ra exists', dgram([...RA, 0, 7, 1])), true);
});

test('ip option: any bad option hides the others (EBADMSG)', () => {
  // A length past the options, a second RR, an RR pointer below 4, a timestamp pointer below 5.
  assert.equal(matches('ip option ra exists', dgram([...RA, 68, 40])), false);
  assert.equal(matches('ip option ra exists', dgram([...RA, ...RR, ...RR])), false);
  assert.equal(matches('ip option ra exists', dgram([...RA, 7, 7, 3, 0, 0, 0, 0])), false);
  assert.equal(matches('ip option ra exists', dgram([...RA, 68, 8, 4, 0, 0, 0, 0, 0])), false);
  // A timestamp of addresses and times with no room for one pair; with room, fine.
  assert.equal(matches('ip option ra exists', dgram([...RA, 68, 8, 5, 1, 0, 0, 0, 0])), false);
  assert.equal(matches('ip option ra exists', dgram([...RA, 68, 12, 5, 1, 0, 0, 0, 0, 0, 0, 0, 0])), true);
  // A full timestamp option with its overflow count at 15.
  assert.equal(matches('ip option ra exists', dgram([...RA, 68, 8, 9, 0xf0, 0, 0, 0, 0])), false);
  assert.equal(matches('ip option ra exists', dgram([...RA, 68, 8, 9, 0xe0, 0, 0, 0, 0])), true);
  // A source route a hop has advanced (pointer 8): the send path's rules refuse it.
  const hop = [131, 11, 8, 10, 0, 0, 1, 10, 0, 0, 2];
  assert.equal(matches('ip option lsrr exists', dgram(hop)), false);
  assert.equal(matches('ip option ra exists', dgram([...RA, ...hop])), false);
  // A source route whose addresses are not whole, or two source routes.
  assert.equal(matches('ip option lsrr exists', dgram([131, 9, 4, 10, 0, 0, 1, 10, 0])), false);
  assert.equal(matches('ip option lsrr exists', dgram([...LSRR, 1, ...LSRR])), false);
});

test('ip option NAME FIELD reads the packet at the option (and past it), else the rule ends', () => {
  const b = dgram([1, ...LSRR]);
  assert.equal(matches('ip option lsrr type 131', b), true);
  assert.equal(matches('ip option lsrr length 11', b), true);
  assert.equal(matches('ip option lsrr ptr 4', b), true);
  assert.equal(matches(`ip option lsrr addr ${ip('10.0.0.1')}`, b), true);
  assert.equal(matches('ip option ra value 0', dgram(RA)), true);
  assert.equal(matches('ip option rr ptr 4', dgram(RR)), true);
  // No option: NFT_BREAK, whatever the relation.
  assert.equal(matches('ip option rr ptr != 4', dgram(RA)), false);
  // Where it starts (ipv4FindOption's offset from the IP header).
  assert.equal(ipv4FindOption(b, 0, b.length, 131), 21);
  assert.equal(ipv4FindOption(b, 0, b.length, 7), -1);
  assert.equal(ipv4FindOption(dgram([7, 40]), 0, 36, 7), -2);
});
