// -m rateest (xt_rateest.c): compares the rates of RATEEST estimators; natbox has none.
import { unsimulated } from './match-unsimulated.ts';

export const rateestMatch = unsimulated(
  'rateest',
  'natbox keeps no rate estimators (the RATEEST target and its gen_estimator are not simulated)',
);
