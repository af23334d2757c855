// The reporter `npm test` uses: node:test's own spec reporter, unchanged, plus one summary of the
// skipped tests printed just before spec's closing counts (`ℹ tests N` … `ℹ duration_ms`), so those
// stay where CI reads them. Without root or the kernel tools, some 150 tests skip, each saying why
// in its own line; the summary groups them by what is missing (root, Debian packages, the kernel
// reference, a build, a known gap) with a count and one example each, and ends with the exact
// apt-get line that installs what is missing. Used as
//   node --import tsx --test --test-reporter=./test/reporter.mjs --test-reporter-destination=stdout …
// One reporter that drives spec itself (rather than a second reporter next to spec) is what makes
// the order certain: two reporters write to stdout independently. Plain JavaScript (types in
// reporter.d.mts) because Node 20 loads reporters before `--import tsx` can compile TypeScript.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import process from 'node:process';
import { spec } from 'node:test/reporters';

/** Debian package of each tool a skip reason may name. */
/** @type {Record<string, string>} */
const PACKAGE = {
  ip: 'iproute2',
  iproute2: 'iproute2',
  sysctl: 'procps',
  procps: 'procps',
  tcpdump: 'tcpdump',
  tshark: 'tshark',
  conntrack: 'conntrack',
  iptables: 'iptables',
  'iptables-nft': 'iptables',
  'iptables-legacy': 'iptables',
  'iptables-nft-restore': 'iptables',
  'iptables-legacy-restore': 'iptables',
  python3: 'python3',
  chromium: 'chromium',
};
/** The order packages are listed in (the rest after, as met). */
const ORDER = ['iproute2', 'procps', 'iptables', 'tcpdump', 'conntrack', 'tshark', 'python3', 'chromium'];

/**
 * @typedef {object} SkipClass
 * @property {string} label What the tests of this class need, or why they skip: the summary's label.
 * @property {boolean} root Running as root would run them (with the packages).
 * @property {string[]} packages Debian packages that would run them.
 */

/**
 * The packages a skip reason says are missing.
 * @param {string} reason
 * @returns {string[]}
 */
function packagesOf(reason) {
  /** @type {string[]} */
  const words = [];
  const missing = /\bmissing ([\w.-]+(?:, [\w.-]+)*)/.exec(reason);
  if (missing) words.push(...missing[1].split(', '));
  else {
    const apt = /apt-get install ((?:-\S+ )*)([\w.+-]+(?: [\w.+-]+)*)/.exec(reason);
    const install = /\binstall ([\w.+-]+)\)/.exec(reason);
    const not = /([\w.-]+) (?:is )?not installed/.exec(reason);
    if (apt) words.push(...apt[2].split(' '));
    else if (install) words.push(install[1]);
    else if (not) words.push(not[1]);
  }
  return [...new Set(words.map((w) => PACKAGE[w] ?? w))];
}

/** Sorts to the install line's order. @type {(a: string, b: string) => number} */
const byOrder = (a, b) =>
  (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99) || (a < b ? -1 : a > b ? 1 : 0);

/**
 * What a skip reason says is missing, as a class shared by every test that needs the same.
 * @param {string} reason
 * @returns {SkipClass}
 */
export function classifySkip(reason) {
  const none = { root: false, packages: [] };
  const setting = /\bNATBOX_[A-Z_]+/.exec(reason);
  if (setting) return { ...none, label: `turned off or cut short by ${setting[0]}` };
  if (/does not match yet|not replayed yet|known gap/i.test(reason))
    return { ...none, label: 'known gaps, each named in its test (nothing to install)' };
  if (/kernel reference/i.test(reason))
    return { ...none, label: 'the kernel reference runs are not there (shared/reference/kernel)' };
  if (/npm run build/.test(reason)) return { ...none, label: 'not built: run `npm run build` first' };
  const root = /needs root|must be root|run as root|not root/i.test(reason);
  const packages = packagesOf(reason).sort(byOrder);
  if (!root && packages.length === 0) return { ...none, label: reason };
  const needs = [...(root ? ['root'] : []), ...packages];
  return { label: `need ${needs.join(', ')}`, root, packages };
}

/**
 * The summary of the skipped tests, one line per class (count, what they need, one reason as the
 * tests give it), then the line that installs what is missing. Empty when nothing was skipped.
 * @param {readonly string[]} reasons every skipped test's reason
 * @param {number} [total] how many tests ran in all
 * @param {boolean} [isRoot] the tests ran as root (no sudo in the lines)
 * @param {readonly string[]} [rootPackages] packages the tests that need root also need and this
 *   machine lacks (their reasons stop at "needs root"); added to the install line when one needs root
 * @returns {string}
 */
export function skipSummary(reasons, total, isRoot = false, rootPackages = []) {
  if (reasons.length === 0) return '';
  /** @type {Map<string, { c: SkipClass; n: number; example: string }>} */
  const classes = new Map();
  for (const r of reasons) {
    const c = classifySkip(r);
    const k = classes.get(c.label);
    if (k) k.n++;
    else classes.set(c.label, { c, n: 1, example: r });
  }
  const rows = [...classes.values()].sort((a, b) => b.n - a.n);
  const w = String(rows[0].n).length;
  const of = total !== undefined ? ` of ${total}` : '';
  const out = [
    '',
    `Skipped tests: ${reasons.length}${of}, by what they need (each test's own reason is above):`,
  ];
  for (const { c, n, example } of rows) {
    out.push(`  ${String(n).padStart(w)}  ${c.label}`);
    if (example !== c.label)
      out.push(
        `  ${' '.repeat(w)}    e.g. "${example.length > 110 ? `${example.slice(0, 107)}...` : example}"`,
      );
  }
  const needRoot = rows.some((r) => r.c.root);
  const packages = [
    ...new Set([...rows.flatMap((r) => r.c.packages), ...(needRoot ? rootPackages : [])]),
  ].sort(byOrder);
  const root = needRoot && !isRoot;
  const sudo = isRoot ? '' : 'sudo ';
  if (packages.length > 0) {
    out.push(
      'To run them, install what is missing (Debian, Ubuntu)' + (root ? ' and run the tests as root:' : ':'),
    );
    out.push(`  ${sudo}apt-get install -y ${packages.join(' ')}${root ? ' && sudo npm test' : ''}`);
  } else if (root) {
    out.push('To run them, run the tests as root:', '  sudo npm test');
  }
  return out.join('\n') + '\n\n';
}

/** spec's closing counts start with the root's `tests N`. @type {(e: import('node:test/reporters').TestEvent) => boolean} */
/** The tools the tests that need root use (kernel tests, natbox verify), with their packages. */
const ROOT_TOOLS = {
  ip: 'iproute2',
  sysctl: 'procps',
  'iptables-nft': 'iptables',
  tcpdump: 'tcpdump',
  conntrack: 'conntrack',
  python3: 'python3',
};

/**
 * The packages of ROOT_TOOLS this machine lacks: looked for on PATH and in the sbin directories
 * (a user's PATH often has no /usr/sbin, where ip and iptables live).
 * @param {string} [path]
 * @param {readonly string[]} [sbin]
 * @returns {string[]}
 */
export function missingRootPackages(
  path = process.env.PATH ?? '',
  sbin = ['/usr/local/sbin', '/usr/sbin', '/sbin'],
) {
  const dirs = [...path.split(delimiter), ...sbin].filter(Boolean);
  const runs = (/** @type {string} */ tool) =>
    dirs.some((d) => {
      try {
        accessSync(join(d, tool), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  return [
    ...new Set(
      Object.entries(ROOT_TOOLS)
        .filter(([tool]) => !runs(tool))
        .map(([, p]) => p),
    ),
  ].sort(byOrder);
}

const closingCounts = (e) =>
  e.type === 'test:diagnostic' && e.data.nesting === 0 && /^tests \d+$/.test(e.data.message);

/**
 * @param {AsyncIterable<import('node:test/reporters').TestEvent>} source
 * @returns {AsyncGenerator<string | Buffer>}
 */
export default async function* reporter(source) {
  const s = new spec();
  /** @type {string[]} */
  const reasons = [];
  let printed = false;
  /** @type {(total?: number) => string} */
  const summary = (total) => {
    printed = true;
    return skipSummary(reasons, total, process.getuid?.() === 0, missingRootPackages());
  };
  for await (const e of source) {
    if (
      (e.type === 'test:pass' || e.type === 'test:fail') &&
      e.data.skip !== undefined &&
      e.data.skip !== false
    )
      reasons.push(typeof e.data.skip === 'string' && e.data.skip ? e.data.skip : '(no reason given)');
    if (!printed && closingCounts(e)) {
      const text = summary(Number(e.data.message.slice(6)));
      if (text) yield text;
    }
    s.write(e);
    for (let chunk; (chunk = s.read()) !== null;) yield chunk;
  }
  s.end();
  for await (const chunk of s) yield chunk;
  if (!printed) {
    const text = summary();
    if (text) yield text;
  }
}
