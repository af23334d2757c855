// -m ipvs (xt_ipvs.c): the packet's IPVS connection; natbox has no IPVS load balancer.
import { unsimulated } from './match-unsimulated.ts';

export const ipvsMatch = unsimulated('ipvs', 'natbox has no IPVS (ip_vs) virtual services or connections');
