// -m socket (xt_socket.c): whether a local socket would receive the packet (an established one
// of its tuple, or a listener; --nowildcard counts one bound to 0.0.0.0, --transparent only
// IP_TRANSPARENT ones, --restore-skmark copies its mark).
import { unsimulated } from './match-unsimulated.ts';

export const socketMatch = unsimulated(
  'socket',
  'the engine is not given a lookup of the local sockets a packet would reach (xt_socket) yet',
);
