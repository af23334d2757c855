// -j TRACE (libxt_TRACE.c): no options; the packet is traced from here on.
import { noOptions, type TargetExt } from './target-ext.ts';

export interface TraceTarget {
  readonly kind: 'TRACE';
}

export const TRACE: TargetExt<TraceTarget> = {
  name: 'TRACE',
  parser: noOptions('TRACE', () => ({ kind: 'TRACE' })),
  save: () => '',
  print: () => '',
};
