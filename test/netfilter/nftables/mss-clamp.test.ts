// fw4's MSS clamp, `tcp flags syn / syn,fin,rst tcp option maxseg size set rt mtu` in its
// mangle_forward and mangle_postrouting chains: nft_rt's NFT_RT_TCPMSS (get_tcpmss: the smaller
// MTU of the packet's route and of the route back to its source, less 40; 536 for an MTU of 40 or
// less) written by nft_exthdr_tcp_set_eval (the MSS option lowered in place, never raised, never
// added). The checksum arithmetic is TCPMSS's (inet_proto_csum_replace2), which
// test/netfilter/tcpmss.test.ts holds to a transcription of the kernel: on well-formed SYNs with
// an MSS option the two write the same bytes, which the property below checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildTcpPacket } from '../../../src/wire/packet.ts';
import { read16 } from '../../../src/wire/checksum.ts';
import { Skb } from '../../../src/netfilter/core/skb.ts';
import { NF_ACCEPT } from '../../../src/netfilter/core/engine.ts';
import { checkNft } from '../../../src/netfilter/nftables/index.ts';
import { tcpmssTarget, tcpOptionMssSet } from '../../../src/netfilter/xtables/tcpmss.ts';
import { printNft } from '../../../src/rules/nft/index.ts';
import type { NftRuleset } from '../../../src/rules/nft/model.ts';
import type { TcpOption } from '../../../src/wire/tcp.ts';
import { assertChecksums, fcOpts, ip } from '../helpers.ts';
import { envOf, fwd, nftEngine, parseNftText } from './dsl.ts';

const parse = (text: string): NftRuleset => parseNftText(text);

const FW4 = `table inet fw4 {
	chain mangle_forward {
		type filter hook forward priority mangle; policy accept;
		iifname "wan" tcp flags syn / fin,syn,rst tcp option maxseg size set rt mtu counter packets 0 bytes 0
	}

	chain mangle_postrouting {
		type filter hook postrouting priority mangle; policy accept;
		oifname "wan" tcp flags syn / syn,fin,rst tcp option maxseg size set 1300
	}
}
`;

const seg = (flags: number, options: TcpOption[], src = '198.51.100.2', dst = '192.168.1.10'): Uint8Array =>
  buildTcpPacket(
    { src: ip(src), dst: ip(dst), id: 1 },
    { srcPort: 80, dstPort: 40000, seq: 1, ack: 0, flags, window: 100, options },
  );
const mssOf = (b: Uint8Array, at: number): number => read16(b, 20 + 20 + at + 2);

test('nft rt mtu MSS clamp: a SYN from the wan gets the route MTU less 40, never raised, never added', () => {
  const rs = parse(FW4);
  assert.deepEqual(checkNft(rs), []);
  const nf = nftEngine(rs);
  const skb = new Skb();
  // The box's routes: 1492 towards the lan host (a PPPoE-sized link), 1500 back to the server.
  skb.env = envOf(nf, { clampMtu: (_src, dst) => (dst === ip('192.168.1.10') ? 1492 : 1500) });
  const a = seg(0x02, [{ kind: 'mss', mss: 1460 }]);
  assert.equal(fwd(nf, skb, a, 'wan', 'br-lan', 0), NF_ACCEPT);
  assert.equal(mssOf(a, 0), 1452);
  assertChecksums(a);
  // A SYN-ACK (syn / syn,fin,rst matches it too), the option after two NOPs: lowered as well.
  const b = seg(0x12, [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'mss', mss: 1460 }], '198.51.100.3');
  fwd(nf, skb, b, 'wan', 'br-lan', 0);
  assert.equal(mssOf(b, 2), 1452);
  assertChecksums(b);
  // Lower already: left alone; no MSS option: none added (TCPMSS would add one); an ACK: no match.
  const c = seg(0x02, [{ kind: 'mss', mss: 1200 }], '198.51.100.4');
  fwd(nf, skb, c, 'wan', 'br-lan', 0);
  assert.equal(mssOf(c, 0), 1200);
  const d = seg(0x02, [], '198.51.100.5');
  const dLen = d.length;
  fwd(nf, skb, d, 'wan', 'br-lan', 0);
  assert.equal(skb.len, dLen);
  // The other way, out of the wan: the constant 1300.
  const e = seg(0x02, [{ kind: 'mss', mss: 1460 }], '192.168.1.10', '198.51.100.2');
  fwd(nf, skb, e, 'br-lan', 'wan', 0);
  assert.equal(mssOf(e, 0), 1300);
  assertChecksums(e);
  assert.match(printNft(rs), /maxseg size set rt mtu counter packets 4 bytes 176\n/);
});

test('nft rt mtu: 536 when the MTU is 40 or less (TCPMSS drops there); refused at prerouting as the kernel does', () => {
  const skb = new Skb();
  const a = seg(0x02, [{ kind: 'mss', mss: 1460 }]);
  skb.load(a, 0, 'wan', '');
  skb.env = { addrType: () => 1, random32: () => 0, conntrack: undefined as never, clampMtu: () => 40 };
  assert.equal(tcpOptionMssSet(skb, 536), true);
  assert.equal(mssOf(a, 0), 536);
  const bad = parse(
    'table ip t {\n\tchain p {\n\t\ttype filter hook prerouting priority 0;\n\t\ttcp option maxseg size set rt mtu\n\t}\n}\n',
  );
  assert.deepEqual(
    checkNft(bad).map((p) => [p.line, p.token, p.message]),
    [
      [
        4,
        'rt mtu',
        'rt mtu is only valid at the forward, output and postrouting hooks (Operation not supported)',
      ],
    ],
  );
});

test('nft maxseg set and TCPMSS --set-mss write the same bytes on SYNs with an MSS option', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 9 }),
      fc.integer({ min: 0, max: 0xffff }),
      fc.integer({ min: 0, max: 0xffff }),
      fc.integer({ min: 0, max: 0xffff }),
      (nops, mss, newmss, port) => {
        const opts: TcpOption[] = [...Array<TcpOption>(nops).fill({ kind: 'nop' }), { kind: 'mss', mss }];
        const mk = (): Uint8Array =>
          buildTcpPacket(
            { src: ip('10.0.0.1'), dst: ip('10.0.0.2'), id: 1 },
            { srcPort: port, dstPort: 80, seq: 1, ack: 0, flags: 0x02, window: 100, options: opts },
          );
        const x = mk();
        const y = mk();
        const s = new Skb();
        s.load(x, 0, 'a', '');
        assert.equal(tcpOptionMssSet(s, newmss), true);
        s.load(y, 0, 'a', '');
        assert.equal(tcpmssTarget(s, newmss), true);
        assert.deepEqual(x, y);
      },
    ),
    fcOpts,
  );
});
