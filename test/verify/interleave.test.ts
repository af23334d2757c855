// natbox verify's packet comparison takes two conversations' packets close together on one
// interface in natbox's order (src/oracle/interleave.ts): the kernel's order of them is the live
// harness's timing. The cases are CI stop 27's (a port forward's FIN against the LAN client's SYN
// on br-lan, 3 ms apart) and a run at load 18 (a NodePort flow's FIN 56 ms after the next flow's
// SYN on the client's link).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alignConversations, conversationKey, INTERLEAVE_WINDOW } from '../../src/oracle/interleave.ts';
import type { RawPacket } from '../../src/oracle/packets.ts';

const tcp = (
  t: number,
  src: string,
  sport: number,
  dst: string,
  dport: number,
  flags: string,
): RawPacket => ({
  t,
  iface: 'router:br-lan',
  dir: 'out',
  proto: 'tcp',
  src,
  dst,
  sport,
  dport,
  flags,
  ttl: 64,
});

// natbox: the port forward's last ACK, the LAN client's SYN at 0.5 s, then the forward's FIN.
const ackA = tcp(0.0021, '203.0.113.1', 41000, '192.168.1.200', 80, '.');
const synB = tcp(0.5003, '192.168.1.10', 40000, '203.0.113.22', 80, 'S');
const finA = tcp(0.5009, '203.0.113.1', 41000, '192.168.1.200', 80, 'F.');
const finAck = tcp(0.501, '192.168.1.200', 80, '203.0.113.1', 41000, 'F.');
const natbox = [ackA, synB, finA, finAck];

test('interleave: one conversation whatever the direction; another by its ports', () => {
  assert.equal(conversationKey(finA), conversationKey(finAck));
  assert.notEqual(conversationKey(finA), conversationKey(synB));
});

test('interleave: the same order comes back as it is', () => {
  const kernel = natbox.map((p) => ({ ...p, t: p.t + 0.002 }));
  assert.deepEqual(alignConversations(natbox, kernel), kernel);
});

test("interleave: another conversation's packet 3 ms away comes in natbox's order", () => {
  // The kernel: the FIN first (0.5032), the SYN 1 ms later.
  const kernel = [
    { ...ackA, t: 0.003 },
    { ...finA, t: 0.5032 },
    { ...finAck, t: 0.5035 },
    { ...synB, t: 0.5042 },
  ];
  assert.deepEqual(
    alignConversations(natbox, kernel).map((p) => `${p.flags} ${p.t}`),
    ['. 0.003', 'S 0.5042', 'F. 0.5032', 'F. 0.5035'],
  );
});

test('interleave: packets further apart than the window keep the kernel order', () => {
  const late = INTERLEAVE_WINDOW + 0.05;
  const kernel = [{ ...ackA, t: 0.003 }, finA, finAck, { ...synB, t: finAck.t + late }];
  assert.deepEqual(alignConversations(natbox, kernel), kernel);
});

test('interleave: conversations pair by first appearance, whatever ports NAT chose on each side', () => {
  // A masquerading router: natbox's ports 5717 and 2358, the kernel's 42142 and 25493.
  const c = (t: number, sport: number, flags: string): RawPacket =>
    tcp(t, '10.180.0.254', sport, '10.180.0.3', 80, flags);
  const nb = [c(0.6, 5717, 'S'), c(0.87, 5717, 'F.'), c(0.9, 2358, 'S')];
  const kn = [c(0.6, 42142, 'S'), c(0.9, 25493, 'S'), c(0.93, 42142, 'F.')];
  assert.deepEqual(
    alignConversations(nb, kn).map((p) => `${p.sport} ${p.flags}`),
    ['42142 S', '42142 F.', '25493 S'],
  );
});

test("interleave: a packet the kernel lacks stops the alignment there; the rest in the kernel's order", () => {
  // The kernel has neither FIN: natbox's third packet finds no twin in its conversation, and the
  // comparison that follows sees the difference at that index.
  const kernel = [
    { ...ackA, t: 0.003 },
    { ...synB, t: 0.5042 },
  ];
  assert.deepEqual(alignConversations(natbox, kernel), kernel);
  // Conversations whose first packets differ in direction are not paired: nothing moves.
  const other = [
    { ...synB, dir: 'in' as const },
    { ...ackA, t: 0.5 },
  ];
  assert.deepEqual(alignConversations(natbox, other), other);
});

// INTERLEAVE_WINDOW's boundary, on the kernel's clock: natbox has the SYN before the other
// conversation's FIN and FIN-ACK; the kernel has the FIN at 1.5 s and its FIN-ACK at 1.5003 s, the
// SYN after them at 1.59, 1.6 or 1.61 s.
const k15 = (syn: number, fin = 1.5, finAckAt = 1.5003): RawPacket[] => [
  { ...ackA, t: 0.003 },
  { ...finA, t: fin },
  { ...finAck, t: finAckAt },
  { ...synB, t: syn },
];
const order = (ps: readonly RawPacket[]): string[] => ps.map((p) => `${p.sport} ${p.flags} ${p.t}`);

test('interleave: the window is 0.1 s; 0.09 s and exactly 0.1 s apart take natbox order', () => {
  assert.equal(INTERLEAVE_WINDOW, 0.1);
  assert.deepEqual(order(alignConversations(natbox, k15(1.59))), [
    '41000 . 0.003',
    '40000 S 1.59',
    '41000 F. 1.5',
    '80 F. 1.5003',
  ]);
  // 1.6 - 1.5 is 0.10000000000000009 in doubles: still within (CAPTURE_RESOLUTION).
  assert.deepEqual(order(alignConversations(natbox, k15(1.6))), [
    '41000 . 0.003',
    '40000 S 1.6',
    '41000 F. 1.5',
    '80 F. 1.5003',
  ]);
});

test("interleave: 0.11 s apart keeps the kernel's order (and so differs at the SYN's index)", () => {
  const kernel = k15(1.61);
  assert.deepEqual(alignConversations(natbox, kernel), kernel);
  // Every packet the SYN passes must be within the window: the FIN 0.11 s before it, the FIN-ACK
  // 0.05 s before it, and the kernel's order stays.
  const mixed = k15(1.61, 1.5, 1.56);
  assert.deepEqual(alignConversations(natbox, mixed), mixed);
  // The same spacing 0.09 s: natbox's order.
  assert.deepEqual(order(alignConversations(natbox, k15(1.59, 1.5, 1.56))), [
    '41000 . 0.003',
    '40000 S 1.59',
    '41000 F. 1.5',
    '80 F. 1.56',
  ]);
});

test("interleave: within one conversation the kernel's order stays, even 0.3 ms apart", () => {
  // The kernel's FIN-ACK before the FIN (one conversation), the SYN of another 2 ms later: the
  // SYN moves to natbox's place, the FIN-ACK stays before the FIN, and the comparison that follows
  // differs at index 2.
  const kernel = [
    { ...ackA, t: 0.003 },
    { ...finAck, t: 0.5032 },
    { ...finA, t: 0.5035 },
    { ...synB, t: 0.5052 },
  ];
  assert.deepEqual(order(alignConversations(natbox, kernel)), [
    '41000 . 0.003',
    '40000 S 0.5052',
    '80 F. 0.5032',
    '41000 F. 0.5035',
  ]);
  // One conversation alone: nothing moves, whatever the gap.
  const one = [finA, finAck];
  const swapped = [
    { ...finAck, t: 0.5009 },
    { ...finA, t: 0.501 },
  ];
  assert.deepEqual(alignConversations(one, swapped), swapped);
});
