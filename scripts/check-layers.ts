// Layer boundary check: a file under src/<layer>/ may import only from the layers listed for it,
// and only dataplane/ and cli/ may import node: modules (the engine must run in a browser too).
// Run by `npm run lint`; exits 1 and lists every offending import.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve, sep } from 'node:path';

const allowed: Record<string, string[]> = {
  wire: [],
  route: ['wire'],
  rules: ['wire'],
  netfilter: ['wire', 'rules', 'route'],
  stack: ['wire', 'rules', 'route', 'netfilter'],
  sim: ['wire', 'rules', 'route', 'netfilter', 'stack'],
  // The comparison library of natbox verify and the conformance tests: pure, it needs bytes only.
  oracle: ['wire'],
  // The kernel in network namespaces (natbox verify's other side): it builds a loaded scenario.
  dataplane: ['wire', 'rules', 'route', 'netfilter', 'stack', 'sim', 'scenario', 'oracle'],
  scenario: ['wire', 'rules', 'route', 'netfilter', 'stack', 'sim'],
  trace: ['wire', 'rules', 'route', 'netfilter', 'stack', 'sim'],
  // natbox check: discovery, causes and fixes over scenarios, simulated and traced.
  check: ['wire', 'rules', 'route', 'netfilter', 'stack', 'sim', 'scenario', 'trace'],
  cli: [
    'wire',
    'rules',
    'route',
    'netfilter',
    'stack',
    'sim',
    'oracle',
    'dataplane',
    'scenario',
    'trace',
    'check',
  ],
};
const nodeAllowed = new Set(['dataplane', 'cli']);

const root = resolve(import.meta.dirname, '..', 'src');
const problems: string[] = [];

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const layerOf = (file: string): string => relative(root, file).split(sep)[0] ?? '';

for (const file of walk(root)) {
  const layer = layerOf(file);
  const text = readFileSync(file, 'utf8');
  const re = /(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const spec = m[1] ?? m[2] ?? '';
    const where = relative(resolve(root, '..'), file);
    if (spec.startsWith('node:')) {
      if (!nodeAllowed.has(layer)) problems.push(`${where}: imports ${spec}; only dataplane/ and cli/ may`);
      continue;
    }
    if (!spec.startsWith('.')) continue;
    const target = resolve(dirname(file), spec);
    if (!target.startsWith(root + sep)) continue;
    const to = layerOf(target);
    if (layer.endsWith('.ts') || to === layer) continue; // src/index.ts may import anything
    if (to.endsWith('.ts')) {
      problems.push(`${where}: imports ${spec} (src/${to}); no layer may import the public index`);
    } else if (!(allowed[layer] ?? []).includes(to)) {
      problems.push(
        `${where}: layer ${layer}/ imports ${to}/ (${spec}); ${layer}/ may import only [${(allowed[layer] ?? []).join(', ')}]`,
      );
    }
  }
}

if (problems.length) {
  console.error(`layer check: ${problems.length} forbidden import(s)\n` + problems.join('\n'));
  process.exit(1);
}
console.log('layer check: ok');
