// -m nfacct (xt_nfacct.c): counts the packet into an nfacct object and matches unless its quota
// is over; natbox has no nfacct objects.
import { unsimulated } from './match-unsimulated.ts';

export const nfacctMatch = unsimulated('nfacct', 'natbox has no nfacct (extended accounting) objects');
