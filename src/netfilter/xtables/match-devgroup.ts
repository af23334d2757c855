// -m devgroup (xt_devgroup.c): the input/output device's group (`ip link set DEV group N`).
import { unsimulated } from './match-unsimulated.ts';

export const devgroupMatch = unsimulated('devgroup', 'the scenario gives the interfaces no device group');
