// Addresses that carry their family (src/wire/addr.ts): IPv6 text as inet_pton/inet_ntop read and
// write it, dispatch on the family, prefixes of either family, and fast-check properties of the
// codecs. The IPv6 vectors below are glibc 2.36's: each left text was passed through
// python3 socket.inet_pton(AF_INET6, …) and the right one is socket.inet_ntop of the result (the
// text form `ip -6` and `ip6tables` print); the refused texts are those inet_pton refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fcOpts } from './helpers.ts';
import {
  AF_INET,
  AF_INET6,
  addrBits,
  addrWords,
  compareIp,
  formatIp,
  formatIpPrefix,
  formatIpv4,
  formatIpv6,
  inIpPrefix,
  ip4,
  ip6,
  ipEquals,
  parseIp,
  parseIpPrefix,
  parseIpv4,
  parseIpv6,
  readAddr,
  writeAddr,
  type IpAddr,
  type Words6,
} from '../../src/wire/addr.ts';

const GLIBC: readonly (readonly [string, string])[] = [
  ['::', '::'],
  ['::1', '::1'],
  ['::ffff:0:0', '::ffff:0.0.0.0'],
  ['::ffff:0.0.0.1', '::ffff:0.0.0.1'],
  ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
  ['::192.0.2.1', '::192.0.2.1'],
  ['::0.1.0.0', '::0.1.0.0'],
  ['::0.0.0.1', '::1'],
  ['0:0:0:0:0:fffe:c000:201', '::fffe:c000:201'],
  ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
  ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
  ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
  ['0:0:0:0:0:1:0:0', '::1:0:0'],
  ['fe80::', 'fe80::'],
  ['1::', '1::'],
  ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
  ['2001:DB8:0000:0000:0008:0800:200C:417A', '2001:db8::8:800:200c:417a'],
  ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
  ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
  ['0:0:1:0:0:0:1:0', '0:0:1::1:0'],
  ['1:0:0:0:1:0:0:0', '1::1:0:0:0'],
  ['F2FA:0000:FFFF:0000:4A65:0001:0000:0000', 'f2fa:0:ffff:0:4a65:1::'],
  ['0001:0ABC:0000:0000:0002:0ABC:0000:623C', '1:abc::2:abc:0:623c'],
  ['FFFF:0001:ABA3:0000:0000:0000:0000:0000', 'ffff:1:aba3::'],
  ['0001:8D97:1AA7:FFFF:0ABC:0ABC:0001:FFFF', '1:8d97:1aa7:ffff:abc:abc:1:ffff'],
  ['0001:0001:0000:FFFF:0ABC:FFFF:0ABC:FFFF', '1:1:0:ffff:abc:ffff:abc:ffff'],
  ['0001:0000:0000:0000:0006:FFFF:000D:0001', '1::6:ffff:d:1'],
  ['000B:0000:0000:0006:0001:0ABC:0006:0002', 'b::6:1:abc:6:2'],
  ['0000:0000:0000:0000:0ABC:0000:0ABC:0000', '::abc:0:abc:0'],
  ['72DB:0001:0001:0000:0001:0000:000D:0000', '72db:1:1:0:1:0:d:0'],
  ['0000:A4FF:0000:0000:0000:FFFF:0009:0000', '0:a4ff::ffff:9:0'],
  ['000B:FFFF:0ABC:0003:0000:0000:0003:0000', 'b:ffff:abc:3::3:0'],
  ['0000:0ABC:69C6:0001:C811:0000:0ABC:0000', '0:abc:69c6:1:c811:0:abc:0'],
];

/** inet_pton(AF_INET6) refuses each of these (glibc 2.36). */
const REFUSED = [
  '1:2:3:4::5:6:7:8',
  '1::2::3',
  '::1.2.3.4:5',
  '00001::',
  '1.2.3.4',
  '::ffff:1.2.3',
  '::ffff:01.2.3.4',
  '::ffff:1.2.3.256',
  ':::',
  ':1::',
  '1:::2',
  '::%eth0',
  'fe80::1%eth0',
  '1:2:3:4:5:6:7:8:9',
  '1:2:3:4:5:6:7',
  '',
  'g::1',
];

function words(text: string): Words6 {
  const r = parseIpv6(text);
  assert.ok(r.ok, `${text}: ${r.ok ? '' : r.error}`);
  return r.value;
}

test('IPv6: every glibc vector parses, and prints as inet_ntop prints it', () => {
  for (const [input, printed] of GLIBC) {
    const w = words(input);
    assert.equal(formatIpv6(w), printed, input);
    assert.equal(reference(w), printed, `the reference, ${input}`);
    assert.deepEqual(words(printed), w, printed);
  }
});

test('IPv6: the words are the address, most significant first', () => {
  assert.deepEqual(words('2001:db8::8:800:200c:417a'), [0x20010db8, 0, 0x00080800, 0x200c417a]);
  assert.deepEqual(words('::ffff:192.0.2.1'), [0, 0, 0xffff, 0xc0000201]);
  assert.deepEqual(
    words('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'),
    [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
  );
});

test('IPv6: what inet_pton refuses is refused, with the text in the message', () => {
  for (const t of REFUSED) {
    const r = parseIpv6(t);
    assert.equal(r.ok, false, t);
    if (!r.ok) assert.match(r.error, /is not an IPv6 address/, t);
    if (!r.ok) assert.ok(r.error.includes(`"${t}"`), r.error);
  }
});

test('parseIp dispatches on the family; formatIp prints either', () => {
  const a = parseIp('2001:db8::1');
  assert.ok(a.ok);
  assert.equal(a.value.family, AF_INET6);
  assert.equal(formatIp(a.value), '2001:db8::1');
  const b = parseIp('192.0.2.7');
  assert.ok(b.ok);
  assert.deepEqual(b.value, { family: AF_INET, v4: 0xc0000207 });
  assert.equal(formatIp(b.value), '192.0.2.7');
  // A family asked for is the only one accepted.
  assert.equal(parseIp('2001:db8::1', AF_INET).ok, false);
  assert.equal(parseIp('192.0.2.7', AF_INET6).ok, false);
  assert.equal(parseIp('192.0.2.7', AF_INET).ok, true);
  // The kernel's numbers (include/linux/socket.h).
  assert.equal(AF_INET, 2);
  assert.equal(AF_INET6, 10);
  assert.deepEqual(
    [addrWords(AF_INET), addrWords(AF_INET6), addrBits(AF_INET), addrBits(AF_INET6)],
    [1, 4, 32, 128],
  );
});

test('writeAddr/readAddr: family-sized words, IPv4 in word 0', () => {
  const w = new Uint32Array(4).fill(7);
  assert.equal(writeAddr(ip4(0xc0000201), w), 1);
  assert.deepEqual([...w], [0xc0000201, 7, 7, 7]);
  assert.equal(writeAddr(ip6(words('2001:db8::1')), w), 4);
  assert.deepEqual([...w], [0x20010db8, 0, 0, 1]);
  assert.ok(ipEquals(readAddr(AF_INET6, w), ip6(words('2001:db8::1'))));
  assert.ok(ipEquals(readAddr(AF_INET, w), ip4(0x20010db8)));
});

test('compareIp orders as the kernel: IPv4 numerically, IPv6 as ipv6_addr_cmp, IPv4 first', () => {
  const p = (t: string): IpAddr => {
    const r = parseIp(t);
    assert.ok(r.ok);
    return r.value;
  };
  assert.ok(compareIp(p('10.0.0.2'), p('10.0.0.10')) < 0);
  assert.ok(compareIp(p('200.0.0.1'), p('10.0.0.1')) > 0); // unsigned, not signed
  assert.ok(compareIp(p('2001:db8::2'), p('2001:db8::10')) < 0);
  assert.ok(compareIp(p('ff00::'), p('2001:db8::')) > 0);
  assert.ok(compareIp(p('255.255.255.255'), p('::')) < 0);
  assert.equal(compareIp(p('2001:db8::1'), p('2001:0db8:0:0:0:0:0:1')), 0);
});

test('prefixes of either family: masked, printed as ip route prints them', () => {
  const cases: [string, string][] = [
    ['2001:db8::1/32', '2001:db8::/32'],
    ['2001:db8:ffff:ffff::/33', '2001:db8:8000::/33'],
    ['2001:db8::1', '2001:db8::1'],
    ['2001:db8::1/128', '2001:db8::1'],
    ['::/0', '::/0'],
    ['192.0.2.77/24', '192.0.2.0/24'],
    ['192.0.2.77/255.255.255.0', '192.0.2.0/24'],
    ['192.0.2.77', '192.0.2.77'],
  ];
  for (const [input, printed] of cases) {
    const r = parseIpPrefix(input);
    assert.ok(r.ok, input);
    assert.equal(formatIpPrefix(r.value), printed, input);
  }
  for (const bad of ['2001:db8::/129', '192.0.2.0/33', '2001:db8::/ffff::', '192.0.2.0/255.0.255.0'])
    assert.equal(parseIpPrefix(bad).ok, false, bad);
  const net = parseIpPrefix('2001:db8::/32');
  assert.ok(net.ok);
  const inside = parseIp('2001:db8:ffff::1');
  const outside = parseIp('2001:db9::1');
  const four = parseIp('32.1.13.184'); // 0x20010db8: the same bits, another family
  assert.ok(inside.ok && outside.ok && four.ok);
  assert.equal(inIpPrefix(inside.value, net.value), true);
  assert.equal(inIpPrefix(outside.value, net.value), false);
  assert.equal(inIpPrefix(four.value, net.value), false);
});

// ---- properties --------------------------------------------------------------------------------

const u32 = fc.integer({ min: 0, max: 0xffffffff });
/** Words with many zero groups, so that every `::` placement is exercised. */
const group = fc.oneof(
  fc.constant(0),
  fc.constant(0),
  fc.constant(0xffff),
  fc.integer({ min: 0, max: 0xffff }),
);
const words6 = fc
  .array(group, { minLength: 8, maxLength: 8 })
  .map((g): Words6 => [0, 2, 4, 6].map((i) => ((g[i]! << 16) | g[i + 1]!) >>> 0) as unknown as Words6);

/**
 * An independent reference for the printed form: every group in hex, then the longest run of two
 * or more `0` groups (the first of equals) replaced by `::`, found by a regular expression over the
 * text; the embedded IPv4 forms as glibc's inet_ntop6 writes them.
 */
function reference(w: Words6): string {
  const g = w.flatMap((x) => [x >>> 16, x & 0xffff]);
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || (g[5] === 0 && g[6] !== 0)))
    return `::${g[5] === 0xffff ? 'ffff:' : ''}${formatIpv4(w[3])}`;
  const full = `:${g.map((x) => x.toString(16)).join(':')}:`;
  let best = '';
  for (const m of full.matchAll(/:0(?::0)+(?=:)/g)) if (m[0].length > best.length) best = m[0];
  const text = best === '' ? full : full.replace(best + ':', '::');
  return text.replace(/^:(?!:)/, '').replace(/(?<!:):$/, '');
}

test('property: IPv6 parse(format(w)) = w, and the text is the reference form', () => {
  fc.assert(
    fc.property(words6, (w) => {
      const text = formatIpv6(w);
      assert.deepEqual(words(text), w);
      assert.equal(text, reference(w));
      assert.match(text, /^[0-9a-f:.]+$/); // lower case (RFC 5952 4.3)
      assert.ok(!/(^|:)0[0-9a-f]/.test(text), text); // no leading zeros (4.1)
      assert.ok(text.split('::').length <= 2, text);
    }),
    fcOpts(),
  );
});

test('property: any spelling of an IPv6 address parses to its words', () => {
  const spelling = fc.record({
    w: words6,
    pad: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 8, maxLength: 8 }),
    upper: fc.boolean(),
    quad: fc.boolean(),
  });
  fc.assert(
    fc.property(spelling, ({ w, pad, upper, quad }) => {
      const g = w.flatMap((x) => [x >>> 16, x & 0xffff]);
      const hex = g.map((x, i) => {
        const h = x.toString(16);
        return '0'.repeat(Math.max(0, Math.min(4 - h.length, pad[i]!))) + h;
      });
      let text = quad ? `${hex.slice(0, 6).join(':')}:${formatIpv4(w[3])}` : hex.join(':');
      if (upper) text = text.toUpperCase();
      assert.deepEqual(words(text), w);
    }),
    fcOpts(),
  );
});

test('property: parseIp(formatIp(a)) = a for both families; IPv4 as before', () => {
  const addr = fc.oneof(
    u32.map((v) => ip4(v)),
    words6.map((w) => ip6(w)),
  );
  fc.assert(
    fc.property(addr, (a) => {
      const r = parseIp(formatIp(a));
      assert.ok(r.ok);
      assert.deepEqual(r.value, a);
      assert.ok(ipEquals(r.value, a));
      if (a.family === AF_INET) assert.equal(formatIp(a), formatIpv4(a.v4));
      if (a.family === AF_INET) assert.deepEqual(parseIpv4(formatIpv4(a.v4)), { ok: true, value: a.v4 });
    }),
    fcOpts(),
  );
});

test('property: the parsers never throw on any text', () => {
  fc.assert(
    fc.property(
      fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:./%g '), maxLength: 50 }),
      (t) => {
        const r = parseIp(t);
        if (r.ok) assert.deepEqual(parseIp(formatIp(r.value)), r);
        parseIpPrefix(t);
      },
    ),
    fcOpts(),
  );
});
