// -m cgroup (xt_cgroup.c): the sending socket's cgroup; natbox's sockets belong to no cgroup.
import { unsimulated } from './match-unsimulated.ts';

export const cgroupMatch = unsimulated(
  'cgroup',
  'the simulated sockets belong to no cgroup (cgroup2 path or net_cls classid): there is nothing to compare',
);
