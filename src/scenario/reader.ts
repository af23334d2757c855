// Position-aware reading of a parsed YAML document for the scenario loader: typed getters that
// return a value with its file position or record an error (field path, token, what was expected)
// and return undefined, so the loader can go on and report every problem in one pass. What the
// values mean is load.ts's business; this file only knows YAML shapes.
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  Scalar,
  visit,
  type Document,
  type LineCounter,
  type Node,
} from 'yaml';
import type { SourceLoc } from '../rules/iptables/model.ts';
import type { At } from './model.ts';

export interface ScenarioError {
  readonly file: string;
  readonly line: number; // 1-based
  readonly column: number; // 1-based
  /** The path of the value in the file, e.g. `hosts.router.interfaces.wan.addresses[0]`; empty for syntax errors. */
  readonly field: string;
  /** The offending text as written (first line, shortened). */
  readonly token: string;
  /** A full sentence that starts with the field: `hosts.x.routes[0]: "" is not a route (…)`. */
  readonly message: string;
}

/** `FILE:LINE:COLUMN: message`, as compilers print it (editors and terminals link it). */
export function formatScenarioError(e: ScenarioError): string {
  return `${e.file}:${e.line}:${e.column}: ${e.message}`;
}

/** A map entry: its key as text, the key node (for positions) and the value node (null when empty). */
export interface Entry {
  readonly key: string;
  readonly keyNode: Node;
  readonly value: Node | null;
  readonly field: string;
}

/** `parent.key`, or `parent["key"]` when the key has characters that would make the path ambiguous. */
export function childField(parent: string, key: string): string {
  if (/^[A-Za-z0-9_][A-Za-z0-9_-]*$/.test(key)) return parent === '' ? key : `${parent}.${key}`;
  return `${parent}[${JSON.stringify(key)}]`;
}

export const indexField = (parent: string, i: number): string => `${parent}[${i}]`;

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The closest candidate when it is close enough to be a likely typo (or differs only in case). */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = c.toLowerCase() === word.toLowerCase() ? 0 : distance(word, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  const limit = Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  return bestD <= limit ? best : undefined;
}

/** ` (did you mean "x"?)` or ` (expected one of: a, b)` or ` (there are none)`, for error messages. */
export function hint(word: string, candidates: readonly string[], noun = 'one of'): string {
  const s = suggest(word, candidates);
  if (s !== undefined) return `; did you mean "${s}"?`;
  if (candidates.length === 0) return '';
  return ` (expected ${noun}: ${candidates.join(', ')})`;
}

/** The YAML 1.2 core schema's tags, which say what the value already is. */
const PLAIN_TAGS = new Set(
  ['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`),
);

export class Reader {
  readonly errors: ScenarioError[] = [];

  constructor(
    readonly file: string,
    readonly source: string,
    readonly lc: LineCounter,
    readonly doc: Document,
  ) {}

  locAt(offset: number): SourceLoc {
    const p = this.lc.linePos(offset);
    return { file: this.file, line: p.line, column: p.col };
  }

  loc(node: Node | null | undefined, fallback?: SourceLoc): SourceLoc {
    const start = node?.range?.[0];
    if (start === undefined) return fallback ?? { file: this.file, line: 1, column: 1 };
    return this.locAt(start);
  }

  /** The offset of a scalar's first content character (after an opening quote). */
  contentStart(node: Node): number {
    const start = node.range?.[0] ?? 0;
    return isScalar(node) && (node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE)
      ? start + 1
      : start;
  }

  /** The position of character `k` of a one-line scalar's text. */
  locIn(node: Node, k: number): SourceLoc {
    return this.locAt(this.contentStart(node) + k);
  }

  /** The node's source text: first line, at most 60 characters. */
  token(node: Node | null | undefined): string {
    const r = node?.range;
    if (!r) return '';
    const raw = this.source.slice(r[0], r[1]).split(/\r?\n/)[0] ?? '';
    return raw.length > 60 ? `${raw.slice(0, 57)}...` : raw;
  }

  error(at: Node | null | undefined | SourceLoc, field: string, message: string, token?: string): void {
    const isLoc = at !== null && at !== undefined && 'line' in at && 'file' in at;
    const loc = isLoc ? (at as SourceLoc) : this.loc(at as Node | null | undefined);
    const tok = token ?? (isLoc ? '' : this.token(at as Node | null | undefined));
    this.errors.push({
      // A place in another file (an included nft file) keeps its file.
      file: isLoc && (at as SourceLoc).file ? (at as SourceLoc).file : this.file,
      line: loc.line,
      column: loc.column,
      field,
      token: tok,
      message: field === '' ? message : `${field}: ${message}`,
    });
  }

  /**
   * Errors for what YAML accepts but a scenario must not: an alias to an anchor that is not defined
   * before it (`*nope`), which would read as nothing, and a tag (`!foo`, `!!binary`, `!!set`), which
   * would silently turn a value into something else or into plain text.
   */
  refuseTagsAndLooseAliases(): void {
    const tagAt = new Set<number>();
    const refuseTag = (at: number): void => {
      while (at > 0 && this.source[at - 1] === '!') at--;
      if (tagAt.has(at)) return;
      tagAt.add(at);
      const written = /^![^\s,[\]{}]*/.exec(this.source.slice(at))?.[0] ?? '!';
      const what = written.startsWith('!!') ? `tag "${written}" is not accepted` : `unknown tag "${written}"`;
      this.error(
        this.locAt(at),
        '',
        `${what}: a scenario is plain YAML (text, numbers, true/false, lists and mappings), with no tags`,
        written,
      );
    };
    // Tags the parser could not apply (`!foo`, or `!!str` on a mapping): it would keep the value as is.
    for (const w of this.doc.warnings) if (w.code === 'TAG_RESOLVE_FAILED') refuseTag(w.pos[0]);
    visit(this.doc, (_key, node) => {
      if (isAlias(node)) {
        if (node.resolve(this.doc) === undefined) {
          this.error(
            node as Node,
            '',
            `alias *${node.source} refers to no anchor: YAML needs "&${node.source}" on a value before the alias`,
          );
        }
        return;
      }
      if (!isScalar(node) && !isMap(node) && !isSeq(node)) return;
      const tag = node.tag;
      if (tag === undefined || tag === '!' || PLAIN_TAGS.has(tag)) return;
      // The tag is written before the value (maybe with an anchor or a line break between them).
      refuseTag(Math.max(0, this.source.lastIndexOf('!', node.range?.[0] ?? 0)));
    });
  }

  resolve(node: unknown): Node | null {
    if (node === null || node === undefined) return null;
    if (isAlias(node)) return (node.resolve(this.doc) as Node | undefined) ?? null;
    return node as Node;
  }

  /** "a list", "a number (5)", "nothing", for "expected X, found Y". */
  describe(node: Node | null): string {
    if (node === null) return 'nothing';
    if (isMap(node)) return 'a mapping';
    if (isSeq(node)) return 'a list';
    if (isScalar(node)) {
      const v = node.value;
      if (v === null) return 'nothing';
      if (typeof v === 'number') return `a number (${this.token(node)})`;
      if (typeof v === 'boolean') return `a boolean (${this.token(node)})`;
      if (typeof v === 'string') {
        // A plain scalar over many lines is folded into one: show its start, not all of it.
        const first = v.split('\n')[0]!;
        return `the text "${first.length > 60 ? `${first.slice(0, 57)}...` : first}"`;
      }
    }
    return `"${this.token(node)}"`;
  }

  isNull(node: Node | null): boolean {
    return node === null || (isScalar(node) && node.value === null);
  }

  /**
   * The entries of a mapping, in file order. With `known`, other keys are errors with a suggestion.
   * Duplicate keys are errors (`noun` names what the keys are: "host", "interface", "key").
   */
  entries(
    node: Node | null,
    field: string,
    what: string,
    known?: readonly string[],
    noun = 'key',
  ): Entry[] | undefined {
    if (!isMap(node)) {
      this.error(node, field, `expected ${what}, found ${this.describe(node)}`);
      return undefined;
    }
    const out: Entry[] = [];
    const seen = new Map<string, Node>();
    for (const pair of node.items) {
      const keyNode = this.resolve(pair.key);
      if (!isScalar(keyNode) || keyNode.value === null || typeof keyNode.value === 'object') {
        this.error(keyNode ?? node, field, `expected a simple key here, found ${this.describe(keyNode)}`);
        continue;
      }
      const key = String(keyNode.value);
      const f = childField(field, key);
      const first = seen.get(key);
      if (first !== undefined) {
        this.error(keyNode, f, `duplicate ${noun} "${key}" (first at line ${this.loc(first).line})`, key);
        continue;
      }
      seen.set(key, keyNode);
      if (known !== undefined && !known.includes(key)) {
        this.error(keyNode, f, `unknown key "${key}"${hint(key, known)}`, key);
        continue;
      }
      out.push({ key, keyNode, value: this.resolve(pair.value), field: f });
    }
    return out;
  }

  /** The items of a list; with `single`, a lone scalar counts as a list of one. */
  list(
    node: Node | null,
    field: string,
    what: string,
    single = false,
  ): { node: Node | null; field: string }[] {
    if (isSeq(node))
      return node.items.map((n, i) => ({ node: this.resolve(n), field: indexField(field, i) }));
    if (single && isScalar(node) && node.value !== null) return [{ node, field }];
    if (this.isNull(node)) return [];
    this.error(node, field, `expected ${what}, found ${this.describe(node)}`);
    return [];
  }

  /** A string scalar (numbers are refused: write them as they are meant, or quote them). */
  string(node: Node | null, field: string, what: string): At<string> | undefined {
    if (isScalar(node) && typeof node.value === 'string') {
      return { value: node.value, loc: this.locAt(this.contentStart(node)) };
    }
    this.error(node, field, `expected ${what}, found ${this.describe(node)}`);
    return undefined;
  }

  /** A string or number scalar as text (host names and values such as sysctls may be numbers). */
  text(node: Node | null, field: string, what: string): At<string> | undefined {
    if (isScalar(node) && (typeof node.value === 'string' || typeof node.value === 'number')) {
      const value = typeof node.value === 'number' ? this.token(node) : node.value;
      return { value, loc: this.locAt(this.contentStart(node)) };
    }
    this.error(node, field, `expected ${what}, found ${this.describe(node)}`);
    return undefined;
  }

  number(
    node: Node | null,
    field: string,
    what: string,
    range: { integer?: boolean; min?: number; max?: number; above?: number } = {},
  ): At<number> | undefined {
    if (!isScalar(node) || typeof node.value !== 'number' || !Number.isFinite(node.value)) {
      this.error(node, field, `expected ${what}, found ${this.describe(node)}`);
      return undefined;
    }
    const v = node.value;
    const bad =
      (range.integer === true && !Number.isInteger(v)) ||
      (range.min !== undefined && v < range.min) ||
      (range.max !== undefined && v > range.max) ||
      (range.above !== undefined && v <= range.above);
    if (bad) {
      this.error(node, field, `${this.token(node)} is not ${what}`);
      return undefined;
    }
    return { value: v, loc: this.loc(node) };
  }

  boolean(node: Node | null, field: string, what: string): At<boolean> | undefined {
    if (isScalar(node) && typeof node.value === 'boolean') return { value: node.value, loc: this.loc(node) };
    this.error(node, field, `expected ${what}, found ${this.describe(node)}`);
    return undefined;
  }
}
