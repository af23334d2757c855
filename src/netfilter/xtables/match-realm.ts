// -m realm (xt_realm.c): the route's realm (dst->tclassid, `ip route ... realm N`).
import { unsimulated } from './match-unsimulated.ts';

export const realmMatch = unsimulated('realm', 'the simulated routes carry no realm (dst->tclassid)');
