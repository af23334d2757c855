// No module of src/ imports itself back, through any chain of imports (type-only ones included:
// a cycle of types is still two files that cannot be read, or moved, one without the other).
// Issue 12 broke the host ↔ sockets cycle (sockets.ts declares SocketHost, what it needs of a host);
// this keeps src/stack, and the rest of src/, free of cycles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** The relative modules a file imports or re-exports (static `from '…'`, side-effect and dynamic imports). */
export function importsOf(file: string, text: string): string[] {
  const out: string[] = [];
  const re = /\bfrom\s+'(\.[^']+)'|\bimport\s+'(\.[^']+)'|\bimport\(\s*'(\.[^']+)'\s*\)/g;
  for (const m of text.matchAll(re)) out.push(resolve(dirname(file), (m[1] ?? m[2] ?? m[3])!));
  return out;
}

/** The import cycles of a graph (Tarjan's strongly connected components of more than one file, or a self-import). */
export function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    for (;;) {
      const w = stack.pop()!;
      on.delete(w);
      scc.push(w);
      if (w === v) break;
    }
    if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

test('import cycles: the checker finds a cycle of two files and one of three, and none in a chain', () => {
  const g = new Map<string, string[]>([
    ['a', ['b']],
    ['b', ['a', 'c']],
    ['c', ['d']],
    ['d', ['e']],
    ['e', ['c']],
    ['f', ['a']],
  ]);
  assert.deepEqual(cycles(g), [
    ['c', 'd', 'e'],
    ['a', 'b'],
  ]);
  assert.deepEqual(
    cycles(
      new Map([
        ['x', ['y']],
        ['y', []],
      ]),
    ),
    [],
  );
  assert.deepEqual(
    importsOf(
      '/r/src/stack/sockets.ts',
      "import type { Host } from './host.ts';\nexport { X } from '../wire/x.ts';",
    ),
    ['/r/src/stack/host.ts', '/r/src/wire/x.ts'],
  );
});

/**
 * The one shape of types allowed to point back: the iptables model's `Match` is the union of the
 * match extensions' own types, each declared in its file (rules/iptables/ext/<name>.ts, which
 * reads the model's small types). Those `import type` lines of model.ts are the registry's union,
 * not a dependency to read the model by; a value import, or any other file, still counts.
 */
function unionMember(file: string, target: string): boolean {
  return (
    relative(SRC, file) === join('rules', 'iptables', 'model.ts') &&
    relative(SRC, target).startsWith(join('rules', 'iptables', 'ext') + '/')
  );
}

/** model.ts's type-only imports of the extensions' types (unionMember), by the text of the line. */
function typeOnlyTargets(file: string, text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/^import type [^;]*?from '(\.[^']+)'/gm))
    out.add(resolve(dirname(file), m[1]!));
  return out;
}

test('import cycles: none in src/', () => {
  const graph = new Map<string, string[]>();
  for (const f of sources(SRC)) {
    const text = readFileSync(f, 'utf8');
    const typeOnly = typeOnlyTargets(f, text);
    graph.set(
      f,
      importsOf(f, text).filter((t) => !(typeOnly.has(t) && unionMember(f, t))),
    );
  }
  assert.ok(graph.has(join(SRC, 'stack/sockets.ts')));
  const found = cycles(graph).map((c) => c.map((f) => relative(SRC, f)).join(' → '));
  assert.deepEqual(found, [], `import cycles in src/:\n${found.join('\n')}`);
});
