// -m cpu (xt_cpu.c): the CPU that handles the packet; the simulation has no CPUs.
import { unsimulated } from './match-unsimulated.ts';

export const cpuMatch = unsimulated('cpu', 'the simulation does not model which CPU handles a packet');
