// JSON text as nft reads and prints it: a reader that keeps where every value starts (so errors
// name file:line:column as well as the JSON path) with explicit size, depth and count limits, and
// a writer laying values out as jansson's json_dumpf(root, fp, 0) does, which is what
// `nft -j list ruleset` prints: one line, ", " between items, ": " after keys, keys in insertion
// order, only '"', '\\' and control characters escaped (\b \f \n \r \t, others \u00XX), UTF-8 as is.

/** A parsed JSON value with the offset (UTF-16 index into the text) where it starts. */
export type JNode =
  | { readonly k: 'null'; readonly off: number }
  | { readonly k: 'bool'; readonly v: boolean; readonly off: number }
  | {
      readonly k: 'num';
      readonly v: number;
      readonly raw: string;
      readonly int: boolean;
      readonly off: number;
    }
  | { readonly k: 'str'; readonly v: string; readonly off: number }
  | { readonly k: 'arr'; readonly items: readonly JNode[]; readonly off: number }
  | {
      readonly k: 'obj';
      /** Keys in text order (a repeated key keeps its first place; the last value wins, as jansson). */
      readonly keys: readonly string[];
      readonly map: Pick<Fields, 'get' | 'has'>;
      readonly off: number;
    };

export interface JsonLimits {
  /** Longest text read (characters). */
  readonly maxChars: number;
  /** Deepest nesting of arrays and objects. */
  readonly maxDepth: number;
  /** Most values in one text. */
  readonly maxValues: number;
}

export const DEFAULT_JSON_LIMITS: JsonLimits = { maxChars: 64 << 20, maxDepth: 64, maxValues: 4_000_000 };

export type JsonParse =
  | { readonly ok: true; readonly root: JNode }
  | { readonly ok: false; readonly off: number; readonly token: string; readonly message: string };

class JsonError {
  constructor(
    readonly off: number,
    readonly token: string,
    readonly message: string,
  ) {}
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;

/**
 * An object's members by key: parallel arrays searched in order (nft's objects have a handful of
 * keys; this stays light for the millions of objects of a large ruleset). A repeated key keeps its
 * first place and takes the last value, as jansson does.
 */
export class Fields {
  readonly keys: string[] = [];
  private readonly vals: JNode[] = [];
  get(k: string): JNode | undefined {
    const i = this.keys.indexOf(k);
    return i < 0 ? undefined : this.vals[i];
  }
  has(k: string): boolean {
    return this.keys.indexOf(k) >= 0;
  }
  set(k: string, v: JNode): this {
    const i = this.keys.indexOf(k);
    if (i < 0) {
      this.keys.push(k);
      this.vals.push(v);
    } else this.vals[i] = v;
    return this;
  }
}

/** Reads one JSON value (RFC 8259) filling the whole text; never throws. */
export function parseJsonText(text: string, limits: JsonLimits = DEFAULT_JSON_LIMITS): JsonParse {
  if (text.length > limits.maxChars)
    return {
      ok: false,
      off: 0,
      token: '',
      message: `JSON text too large (${text.length} characters, limit ${limits.maxChars})`,
    };
  let i = 0;
  let values = 0;
  const n = text.length;
  const skip = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x0a && c !== 0x09 && c !== 0x0d) break;
      i++;
    }
  };
  const tokenAt = (at: number): string => {
    if (at >= n) return '';
    const m = /^(?:"(?:[^"\\\n]|\\.){0,40}"?|[A-Za-z0-9_.+-]{1,40}|.)/su.exec(text.slice(at, at + 48));
    return m ? m[0] : text[at]!;
  };
  const fail = (at: number, message: string): never => {
    throw new JsonError(at, tokenAt(at), message);
  };
  const str = (): string => {
    const start = i;
    i++; // opening quote
    // Fast path: no escape and no control character before the closing quote.
    const close = text.indexOf('"', i);
    if (close >= 0) {
      let plain = true;
      for (let j = i; j < close; j++) {
        const c = text.charCodeAt(j);
        if (c === 0x5c || c < 0x20) {
          plain = false;
          break;
        }
      }
      if (plain) {
        const v = text.slice(i, close);
        i = close + 1;
        return v;
      }
    }
    let out = '';
    let run = i;
    while (true) {
      if (i >= n) fail(start, 'unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(run, i);
        i++;
        return out;
      }
      if (c < 0x20) fail(i, 'control character in a string (escape it)');
      if (c === 0x5c) {
        out += text.slice(run, i);
        const e = text[i + 1];
        switch (e) {
          case '"':
          case '\\':
          case '/':
            out += e;
            i += 2;
            break;
          case 'b':
            out += '\b';
            i += 2;
            break;
          case 'f':
            out += '\f';
            i += 2;
            break;
          case 'n':
            out += '\n';
            i += 2;
            break;
          case 'r':
            out += '\r';
            i += 2;
            break;
          case 't':
            out += '\t';
            i += 2;
            break;
          case 'u': {
            const hex = text.slice(i + 2, i + 6);
            if (!/^[0-9A-Fa-f]{4}$/.test(hex)) fail(i, 'bad \\u escape (4 hex digits expected)');
            const cu = parseInt(hex, 16);
            if (cu === 0) fail(i, '\\u0000 is not allowed in a string');
            out += String.fromCharCode(cu);
            i += 6;
            break;
          }
          default:
            fail(i, 'bad escape in a string');
        }
        run = i;
        continue;
      }
      i++;
    }
  };
  const value = (depth: number): JNode => {
    skip();
    if (++values > limits.maxValues) fail(i, `too many JSON values (limit ${limits.maxValues})`);
    const off = i;
    if (i >= n) fail(i, 'unexpected end of text, a value expected');
    const c = text[i]!;
    if (c === '{' || c === '[') {
      if (depth >= limits.maxDepth) fail(i, `JSON nested too deeply (limit ${limits.maxDepth})`);
    }
    if (c === '{') {
      i++;
      const map = new Fields();
      const keys = map.keys;
      skip();
      if (text[i] === '}') {
        i++;
        return { k: 'obj', keys, map, off };
      }
      while (true) {
        skip();
        if (text[i] !== '"')
          fail(i, i >= n ? 'unexpected end of text, a key expected' : 'a string key expected');
        const key = str();
        skip();
        if (text[i] !== ':') fail(i, "':' expected after a key");
        i++;
        map.set(key, value(depth + 1));
        skip();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return { k: 'obj', keys, map, off };
        }
        fail(i, i >= n ? "unexpected end of text, ',' or '}' expected" : "',' or '}' expected");
      }
    }
    if (c === '[') {
      i++;
      const items: JNode[] = [];
      skip();
      if (text[i] === ']') {
        i++;
        return { k: 'arr', items, off };
      }
      while (true) {
        items.push(value(depth + 1));
        skip();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return { k: 'arr', items, off };
        }
        fail(i, i >= n ? "unexpected end of text, ',' or ']' expected" : "',' or ']' expected");
      }
    }
    if (c === '"') return { k: 'str', v: str(), off };
    if (text.startsWith('true', i)) {
      i += 4;
      return { k: 'bool', v: true, off };
    }
    if (text.startsWith('false', i)) {
      i += 5;
      return { k: 'bool', v: false, off };
    }
    if (text.startsWith('null', i)) {
      i += 4;
      return { k: 'null', off };
    }
    NUMBER.lastIndex = i;
    const r = NUMBER.exec(text);
    if (r) {
      i += r[0].length;
      return { k: 'num', v: Number(r[0]), raw: r[0], int: r[1] === undefined && r[2] === undefined, off };
    }
    return fail(i, 'a JSON value expected');
  };
  try {
    const root = value(0);
    skip();
    if (i < n) fail(i, 'text after the JSON value');
    return { ok: true, root };
  } catch (e) {
    if (e instanceof JsonError) return { ok: false, off: e.off, token: e.token, message: e.message };
    return { ok: false, off: i, token: '', message: `cannot read JSON: ${String(e)}` };
  }
}

/** 1-based line and column (in characters) of an offset. */
export function lineColumn(text: string, off: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  const end = Math.min(off, text.length);
  for (let j = 0; j < end; j++) {
    if (text.charCodeAt(j) === 0x0a) {
      line++;
      start = j + 1;
    }
  }
  return { line, column: end - start + 1 };
}

/** A value to write: plain objects keep their insertion order (nft's keys are never numbers). */
export type JOut =
  null | boolean | number | bigint | string | readonly JOut[] | { readonly [k: string]: JOut };

/** jansson's json_dumpf(value, fp, 0). */
export function dumpJson(v: JOut): string {
  return write(v);
}

function write(v: JOut): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return quoteJson(v);
  let r: string;
  if (Array.isArray(v)) {
    r = '[';
    for (let j = 0; j < v.length; j++) r += (j > 0 ? ', ' : '') + write(v[j] as JOut);
    return r + ']';
  }
  r = '{';
  let first = true;
  const o = v as { readonly [k: string]: JOut };
  for (const k in o) {
    r += (first ? '' : ', ') + quoteJson(k) + ': ' + write(o[k]!);
    first = false;
  }
  return r + '}';
}

const ESC: Record<number, string> = {
  0x22: '\\"',
  0x5c: '\\\\',
  8: '\\b',
  12: '\\f',
  10: '\\n',
  13: '\\r',
  9: '\\t',
};

export function quoteJson(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/["\\\u0000-\u001f]/.test(s)) return `"${s}"`;
  let r = '"';
  for (let j = 0; j < s.length; j++) {
    const c = s.charCodeAt(j);
    const e = ESC[c];
    if (e !== undefined) r += e;
    else if (c < 0x20) r += '\\u' + c.toString(16).toUpperCase().padStart(4, '0');
    else r += s[j];
  }
  return r + '"';
}
