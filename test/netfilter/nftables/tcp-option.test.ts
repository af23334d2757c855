// nft's TCP option expressions and statements on exact packets, as nft_exthdr.c (Linux 6.18)
// evaluates them (exthdr-op.ts): `tcp option NAME exists|missing`, `tcp option NAME FIELD`, raw
// `tcp option @K,O,L`, `tcp option NAME FIELD set N` and `reset tcp option NAME`. The walk is
// nft_exthdr's own (EOL and zero-length options step one byte and the walk goes on; the first
// option of the kind decides; the header's last byte is never a kind).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTcpPacket, buildUdpPacket } from '../../../src/wire/packet.ts';
import { read16, read32 } from '../../../src/wire/checksum.ts';
import { tcpFillChecksum } from '../../../src/wire/tcp.ts';
import { NF_ACCEPT, NF_DROP } from '../../../src/netfilter/core/engine.ts';
import { Skb } from '../../../src/netfilter/core/skb.ts';
import { checkNft } from '../../../src/netfilter/nftables/index.ts';
import { printNft } from '../../../src/rules/nft/index.ts';
import { assertChecksums, hex, ip } from '../helpers.ts';
import { fwd, nftEngine, parseNftText } from './dsl.ts';

const SRC = ip('192.168.1.10');
const DST = ip('198.51.100.2');

/** A SYN whose TCP options are exactly `opts` (a multiple of 4 bytes), checksums filled. */
function seg(opts: readonly number[], payload = 0): Uint8Array {
  assert.equal(opts.length % 4, 0);
  const b = buildTcpPacket(
    { src: SRC, dst: DST, id: 1 },
    {
      srcPort: 40000,
      dstPort: 80,
      seq: 1,
      ack: 0,
      flags: 0x02,
      window: 100,
      options: opts.length ? [{ kind: 'unknown', type: 99, data: new Uint8Array(opts.length - 2) }] : [],
    },
    new Uint8Array(payload),
  );
  b.set(opts, 40);
  tcpFillChecksum(b, 20, b.length - 20, SRC, DST);
  return b;
}

/** A Linux SYN's options: MSS 1460, SACK-permitted, timestamps, NOP, window scale 7. */
const LINUX_SYN = [2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0x30, 0x39, 0, 0, 0, 0, 1, 3, 3, 7];

/** The verdict of one forwarded packet through `rule drop` in a forward chain (and the packet). */
function verdict(rule: string, b: Uint8Array): number {
  const text = `table ip t {\n\tchain f {\n\t\ttype filter hook forward priority filter; policy accept;\n\t\t${rule}\n\t}\n}\n`;
  const rs = parseNftText(text);
  assert.deepEqual(checkNft(rs), [], rule);
  const nf = nftEngine(rs);
  return fwd(nf, new Skb(), b, 'lan', 'wan', 0);
}
const matches = (rule: string, b: Uint8Array): boolean => verdict(`${rule} drop`, b) === NF_DROP;

test('tcp option NAME exists / missing: present in the walk, absent otherwise; any non-TCP packet is "missing"', () => {
  const syn = seg(LINUX_SYN);
  for (const n of ['maxseg', 'sack-perm', 'timestamp', 'window', 'nop'])
    assert.equal(matches(`tcp option ${n} exists`, syn), true, n);
  for (const n of ['sack', 'md5sig', 'mptcp', 'fastopen', 'eol'])
    assert.equal(matches(`tcp option ${n} exists`, syn), false, n);
  assert.equal(matches('tcp option sack missing', syn), true);
  assert.equal(matches('tcp option maxseg missing', syn), false);
  // No options at all.
  assert.equal(matches('tcp option maxseg missing', seg([])), true);
  // A UDP datagram: nft adds no `meta l4proto tcp`; the kernel writes 0 (nft_exthdr_tcp_eval's err).
  const udp = buildUdpPacket({ src: SRC, dst: DST, id: 1 }, { srcPort: 1, dstPort: 2 }, new Uint8Array(4));
  assert.equal(matches('tcp option maxseg missing', udp), true);
  assert.equal(matches('tcp option maxseg exists', udp), false);
});

test('the walk is nft_exthdr optlen(): EOL and zero lengths step one byte and the walk goes on', () => {
  // EOL first, then an MSS: tcp_parse_options would stop at the EOL; nft_exthdr finds the MSS.
  const eol = seg([0, 2, 4, 0x05, 0xb4, 1, 1, 1]);
  assert.equal(matches('tcp option maxseg exists', eol), true);
  assert.equal(matches('tcp option maxseg size 1460', eol), true);
  assert.equal(matches('tcp option eol exists', eol), true);
  // A zero-length option (kind 30) steps one byte: the next byte (0) is an EOL, then the MSS.
  const zero = seg([30, 0, 2, 4, 0x02, 0x18, 1, 1]);
  assert.equal(matches('tcp option maxseg size 536', zero), true);
  assert.equal(matches('tcp option mptcp exists', zero), true);
  // A length-1 option steps one byte too (optlen returns the length byte when it is not 0).
  const one = seg([99, 1, 2, 4, 0x02, 0x18, 0, 0]);
  assert.equal(matches('tcp option maxseg size 536', one), true);
  // The header's last byte is never a kind (i < doff*4 - 1): an MSS kind there is not seen.
  const last = seg([1, 1, 1, 2]);
  assert.equal(matches('tcp option maxseg exists', last), false);
  // The first option of the kind decides: one running past the header is absent (exists: 0) and
  // a field load ends the rule, even with a good one after it.
  const past = seg([1, 1, 8, 40, 1, 1, 1, 1]);
  assert.equal(matches('tcp option timestamp exists', past), false);
  assert.equal(matches('tcp option timestamp missing', past), true);
  assert.equal(matches('tcp option timestamp tsval != 0', past), false);
  const twice = seg([2, 3, 0, 0, 2, 4, 0x05, 0xb4]);
  // MSS of length 3: the field (2 bytes at 2) runs past it: NFT_BREAK, the second MSS unread.
  assert.equal(matches('tcp option maxseg size 1460', twice), false);
  assert.equal(matches('tcp option maxseg size != 1460', twice), false);
  assert.equal(matches('tcp option maxseg exists', twice), true);
});

test('tcp option fields, raw fields and relational operators read the option bytes big-endian', () => {
  const syn = seg(LINUX_SYN);
  assert.equal(matches('tcp option maxseg size 1460', syn), true);
  assert.equal(matches('tcp option maxseg size < 1460', syn), false);
  assert.equal(matches('tcp option maxseg size 1000-1500', syn), true);
  assert.equal(matches('tcp option maxseg size { 536, 1460 }', syn), true);
  assert.equal(matches('tcp option maxseg length 4', syn), true);
  assert.equal(matches('tcp option window count 7', syn), true);
  assert.equal(matches('tcp option window count > 7', syn), false);
  assert.equal(matches('tcp option timestamp tsval 12345', syn), true);
  assert.equal(matches('tcp option timestamp tsecr 0', syn), true);
  assert.equal(matches('tcp option sack-perm length 2', syn), true);
  // Raw: the window scale's shift (kind 3, byte 2), the MSS as a raw 16 bits at 16 (listed by name).
  assert.equal(matches('tcp option @3,16,8 7', syn), true);
  assert.equal(matches('tcp option @2,16,16 1460', syn), true);
  assert.equal(matches('tcp option @8,48,32 0', syn), true);
  // A known option without a template there (listed `tcp option maxseg unknown`): its kind and
  // length bytes as 16 bits (0x0204); an unknown kind, listed raw.
  assert.equal(matches('tcp option @2,0,16 516', syn), true);
  assert.equal(matches('tcp option @2,0,16 517', syn), false);
  assert.equal(matches('tcp option @99,16,8 1', seg([99, 3, 1, 0])), true);
  // SACK blocks: sack (sack0) left/right at 2 and 6, sack1 at 10 and 14.
  const sack = seg([1, 1, 5, 18, 0, 0, 0, 10, 0, 0, 0, 20, 0, 0, 0, 30, 0, 0, 0, 40]);
  assert.equal(matches('tcp option sack left 10', sack), true);
  assert.equal(matches('tcp option sack0 right 20', sack), true);
  assert.equal(matches('tcp option sack1 left 30', sack), true);
  assert.equal(matches('tcp option sack1 right 40', sack), true);
  // sack2 would run past the option's 18 bytes: NFT_BREAK.
  assert.equal(matches('tcp option sack2 left != 1', sack), false);
  // mptcp subtype: the high nibble of byte 2 (nft's load, mask 0xf0).
  const mptcp = seg([30, 4, 0x21, 0, 1, 1, 1, 1]);
  assert.equal(matches('tcp option mptcp subtype 2', mptcp), true);
  assert.equal(matches('tcp option mptcp subtype 1', mptcp), false);
});

test('reset tcp option NAME strips the first one to NOPs with the checksum right; the rule goes on', () => {
  const b = seg(LINUX_SYN);
  const text = `table ip t {\n\tchain f {\n\t\ttype filter hook forward priority filter; policy accept;\n\t\treset tcp option sack-perm\n\t\treset tcp option timestamp\n\t\ttcp option sack-perm missing tcp option timestamp missing counter\n\t}\n}\n`;
  const rs = parseNftText(text);
  assert.deepEqual(checkNft(rs), []);
  const nf = nftEngine(rs);
  assert.equal(fwd(nf, new Skb(), b, 'lan', 'wan', 0), NF_ACCEPT);
  // MSS kept; SACK-permitted (2 bytes) and timestamps (10 bytes) now NOPs; NOP, window scale kept.
  assert.equal(hex(b.subarray(40, 60)), '020405b4' + '01'.repeat(12) + '01030307');
  assertChecksums(b);
  assert.match(printNft(rs), /missing counter packets 1 bytes 60\n/);
  // An odd place (after one NOP): the per-byte update keeps the checksum right.
  const odd = seg([1, 4, 2, 2, 4, 0x05, 0xb4, 0]);
  assert.equal(verdict('reset tcp option sack-perm', odd), NF_ACCEPT);
  assert.equal(hex(odd.subarray(40, 48)), '010101' + '020405b400');
  assertChecksums(odd);
  // An option running past the header: the kernel drops the packet ("can't remove").
  const past = seg([1, 1, 8, 40, 1, 1, 1, 1]);
  assert.equal(verdict('reset tcp option timestamp', past), NF_DROP);
  // None there: nothing changes, the rule goes on; not TCP: the rule ends (NFT_BREAK).
  const none = seg([2, 4, 0x05, 0xb4]);
  const before = hex(none);
  assert.equal(verdict('reset tcp option sack-perm counter drop', none), NF_DROP);
  assert.equal(hex(none), before);
  const udp = buildUdpPacket({ src: SRC, dst: DST, id: 1 }, { srcPort: 1, dstPort: 2 }, new Uint8Array(4));
  assert.equal(verdict('reset tcp option sack-perm drop', udp), NF_ACCEPT);
});

test('tcp option FIELD set N: 4-byte fields written with the checksum; the MSS only lowered', () => {
  const b = seg(LINUX_SYN);
  assert.equal(verdict('tcp option timestamp tsval set 305419896', b), NF_ACCEPT);
  assert.equal(read32(b, 40 + 8), 0x12345678);
  assertChecksums(b);
  const c = seg(LINUX_SYN);
  assert.equal(verdict('tcp option maxseg size set 1600', c), NF_ACCEPT);
  assert.equal(read16(c, 42), 1460);
  // No such option: nothing, the rule goes on; a field past its option: the rule ends.
  const d = seg([2, 4, 0x05, 0xb4]);
  assert.equal(verdict('tcp option timestamp tsecr set 1 drop', d), NF_DROP);
  const e = seg([8, 6, 0, 0, 0, 0, 0, 0]);
  assert.equal(verdict('tcp option timestamp tsecr set 1 drop', e), NF_ACCEPT);
});
