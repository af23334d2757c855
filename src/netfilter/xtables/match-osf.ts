// -m osf (xt_osf.c): passive OS fingerprinting against the fingerprints nfnl_osf loaded.
import { unsimulated } from './match-unsimulated.ts';

export const osfMatch = unsimulated(
  'osf',
  'it compares TCP SYNs with the OS fingerprints loaded into the kernel (nfnl_osf), which a scenario does not give',
);
