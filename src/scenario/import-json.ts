// JSON positions for `natbox import`: JSON.parse gives values but no positions, so this file finds
// them in the text. `jsonSyntaxError` names where and why a text is not JSON (JSON.parse's own
// message has no position for some errors and quotes the input), `locateJson` finds the offset of
// the value at a path of a valid text, and `lineColumn` turns an offset into LINE:COLUMN.
// Every scan is iterative and linear: no input nests deep enough to overflow a stack here.

/** A path into a JSON value: array indexes and object keys, outermost first. */
export type JsonPath = readonly (string | number)[];

/** `$[3].addr_info[0].local`; keys that are not identifiers as `["key"]`. */
export function formatPath(path: JsonPath): string {
  let s = '$';
  for (const p of path) {
    if (typeof p === 'number') s += `[${p}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(p)) s += `.${p}`;
    else s += `[${JSON.stringify(p)}]`;
  }
  return s;
}

/** What a JSON value is, for messages: `null`, `a number (12)`, `a string ("x")`, `an object`. */
export function describeJson(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  switch (typeof v) {
    case 'string':
      return `a string (${shortQuote(v)})`;
    case 'number':
      return `a number (${v})`;
    case 'boolean':
      return `${v}`;
    case 'object':
      return 'an object';
    default:
      return typeof v;
  }
}

/** JSON.stringify of a string, cut to about 60 characters: safe to print (no control characters). */
export function shortQuote(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s);
}

export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  const end = Math.min(offset, text.length);
  for (let i = text.indexOf('\n'); i >= 0 && i < end; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: end - start + 1 };
}

const WS = /[ \t\n\r]*/y;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

function skipWs(text: string, i: number): number {
  WS.lastIndex = i;
  WS.exec(text);
  return WS.lastIndex;
}

/** The end of the string starting at `i` (a `"`), or an error offset and message. */
function scanString(text: string, i: number): number | { at: number; message: string } {
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 0x22) return j + 1;
    if (c < 0x20) return { at: j, message: 'a control character inside a string (write it as \\uXXXX)' };
    if (c === 0x5c) {
      const e = text[j + 1];
      if (e === 'u') {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(j + 2, j + 6)))
          return { at: j, message: 'a \\u escape needs four hexadecimal digits' };
        j += 5;
      } else if (e !== undefined && '"\\/bfnrt'.includes(e)) j++;
      else return { at: j, message: `${shortQuote(`\\${e ?? ''}`)} is not a JSON escape` };
    }
  }
  return { at: i, message: 'a string that is never closed (no ending ")' };
}

function found(text: string, i: number): string {
  if (i >= text.length) return 'the end of the input';
  const word = /^[A-Za-z0-9_.+-]+/.exec(text.slice(i, i + 40))?.[0];
  return shortQuote(word ?? text[i]!);
}

/**
 * Where and why `text` is not JSON (RFC 8259), or undefined when it is. The offset is of the first
 * character JSON does not allow there.
 */
export function jsonSyntaxError(text: string): { offset: number; message: string } | undefined {
  const stack: string[] = [];
  type State = 'value' | 'valueOrClose' | 'key' | 'keyOrClose' | 'colon' | 'after';
  let s: State = 'value';
  let i = 0;
  for (;;) {
    i = skipWs(text, i);
    if (i >= text.length) {
      if (stack.length === 0 && s === 'after') return undefined;
      return {
        offset: i,
        message: i === 0 ? 'the input is empty' : 'the input ends in the middle of a value',
      };
    }
    const c = text[i]!;
    if (s === 'value' || s === 'valueOrClose') {
      if (s === 'valueOrClose' && c === ']') {
        stack.pop();
        i++;
        s = 'after';
      } else if (c === '{' || c === '[') {
        stack.push(c);
        i++;
        s = c === '{' ? 'keyOrClose' : 'valueOrClose';
      } else if (c === '"') {
        const e = scanString(text, i);
        if (typeof e !== 'number') return { offset: e.at, message: e.message };
        i = e;
        s = 'after';
      } else if (c === '-' || (c >= '0' && c <= '9')) {
        NUMBER.lastIndex = i;
        if (NUMBER.exec(text) === null)
          return { offset: i, message: `${found(text, i)} is not a JSON number` };
        i = NUMBER.lastIndex;
        s = 'after';
      } else if (text.startsWith('true', i) || text.startsWith('null', i)) {
        i += 4;
        s = 'after';
      } else if (text.startsWith('false', i)) {
        i += 5;
        s = 'after';
      } else {
        return { offset: i, message: `expected a value, found ${found(text, i)}` };
      }
    } else if (s === 'key' || s === 'keyOrClose') {
      if (s === 'keyOrClose' && c === '}') {
        stack.pop();
        i++;
        s = 'after';
      } else if (c === '"') {
        const e = scanString(text, i);
        if (typeof e !== 'number') return { offset: e.at, message: e.message };
        i = e;
        s = 'colon';
      } else {
        return { offset: i, message: `expected a key in double quotes, found ${found(text, i)}` };
      }
    } else if (s === 'colon') {
      if (c !== ':') return { offset: i, message: `expected ":" after the key, found ${found(text, i)}` };
      i++;
      s = 'value';
    } else {
      const top = stack[stack.length - 1];
      if (top === undefined)
        return { offset: i, message: `unexpected ${found(text, i)} after the JSON value` };
      const close = top === '[' ? ']' : '}';
      if (c === ',') {
        i++;
        s = top === '[' ? 'value' : 'key';
      } else if (c === close) {
        stack.pop();
        i++;
      } else {
        return { offset: i, message: `expected "," or "${close}", found ${found(text, i)}` };
      }
    }
  }
}

/** The offset just past the value starting at `i` of a valid JSON text. */
function skipValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"') {
    const e = scanString(text, i);
    return typeof e === 'number' ? e : text.length;
  }
  if (c === '[' || c === '{') {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const d = text[j];
      if (d === '"') {
        const e = scanString(text, j);
        j = (typeof e === 'number' ? e : text.length) - 1;
      } else if (d === '[' || d === '{') depth++;
      else if (d === ']' || d === '}') {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return text.length;
  }
  let j = i;
  while (j < text.length && !',]} \t\n\r'.includes(text[j]!)) j++;
  return j;
}

/**
 * The offset of the value at `path` in a valid JSON text; where the path leaves the text (a key
 * that is missing), the offset of the deepest value found on the way. For a key given twice, the
 * last one (the one JSON.parse keeps).
 */
export function locateJson(text: string, path: JsonPath): number {
  let i = skipWs(text, text.charCodeAt(0) === 0xfeff ? 1 : 0);
  for (const seg of path) {
    const c = text[i];
    if (c === '[' && typeof seg === 'number') {
      let j = skipWs(text, i + 1);
      for (let k = 0; k < seg; k++) {
        if (text[j] === ']') return i;
        j = skipWs(text, skipValue(text, j));
        if (text[j] !== ',') return i;
        j = skipWs(text, j + 1);
      }
      if (text[j] === ']' || j >= text.length) return i;
      i = j;
    } else if (c === '{' && typeof seg === 'string') {
      let j = skipWs(text, i + 1);
      let at = -1;
      while (text[j] === '"') {
        const end = skipValue(text, j);
        let key: unknown;
        try {
          key = JSON.parse(text.slice(j, end));
        } catch {
          return i;
        }
        j = skipWs(text, skipWs(text, end) + 1); // past ':'
        if (key === seg) at = j;
        j = skipWs(text, skipValue(text, j));
        if (text[j] !== ',') break;
        j = skipWs(text, j + 1);
      }
      if (at < 0) return i;
      i = at;
    } else {
      return i;
    }
  }
  return i;
}
