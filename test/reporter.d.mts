// Types of test/reporter.mjs (plain JavaScript: Node 20 loads reporters before tsx can compile).
import type { TestEvent } from 'node:test/reporters';

export interface SkipClass {
  /** What the tests of this class need, or why they skip: the summary's label. */
  label: string;
  /** Running as root would run them (with the packages). */
  root: boolean;
  /** Debian packages that would run them. */
  packages: string[];
}
export function classifySkip(reason: string): SkipClass;
export function skipSummary(
  reasons: readonly string[],
  total?: number,
  isRoot?: boolean,
  rootPackages?: readonly string[],
): string;
export function missingRootPackages(path?: string, sbin?: readonly string[]): string[];
export default function reporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string | Buffer>;
