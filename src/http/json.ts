// JSON text exactly as mesos-dns's HTTP API writes it: go-restful's WriteAsJson calls
// Go's json.MarshalIndent(v, " ", " "). Clients that diff or grep those bodies (and our
// golden tests) see the same bytes from us:
//   - every line after the first starts with the prefix " " plus one " " per nesting level;
//   - ": " between key and value, no trailing newline;
//   - empty arrays and objects stay on one line as [] and {};
//   - struct fields keep their declaration order, Go map keys come out sorted (bytewise);
//   - strings use Go's HTML-safe escaping: <, >, & as \u003c \u003e \u0026, U+2028/U+2029
//     escaped, control characters other than \n \r \t as \u00XX (Go before 1.22, which is
//     what mesos-dns was built with), and invalid UTF-16 (a lone surrogate, which could not
//     come from valid UTF-8) replaced by U+FFFD as Go does for invalid UTF-8.
import { JsonEncodeError } from '../errors.js';

/** A Go map: rendered with its keys sorted, whatever order they were given in. */
export class JsonMap {
  readonly entries: ReadonlyArray<readonly [string, JsonValue]>;
  constructor(entries: Iterable<readonly [string, JsonValue]> | { readonly [key: string]: JsonValue }) {
    const list = Symbol.iterator in entries ? [...(entries as Iterable<readonly [string, JsonValue]>)] : Object.entries(entries);
    this.entries = list.sort((x, y) => compareCodePoints(x[0], y[0]));
  }
}

/** A Go struct: keys render in the order the object literal lists them. */
export interface JsonObject {
  readonly [key: string]: JsonValue;
}

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | JsonObject | JsonMap;

const PREFIX = ' ';
const INDENT = ' ';

/** `json.MarshalIndent(value, " ", " ")` as Go renders it. Throws JsonEncodeError on values Go cannot encode. */
export function marshalIndent(value: JsonValue): string {
  return render(value, 0);
}

function render(value: JsonValue, depth: number): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return renderNumber(value);
    case 'string':
      return quote(value);
    case 'object':
      break;
    default:
      throw new JsonEncodeError(`json: unsupported type ${typeof value}`);
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const items = (value as readonly JsonValue[]).map((item) => render(item, depth + 1));
    return `[\n${items.map((item) => lineStart(depth + 1) + item).join(',\n')}\n${lineStart(depth)}]`;
  }
  const entries = value instanceof JsonMap ? value.entries : Object.entries(value as JsonObject);
  if (entries.length === 0) return '{}';
  const members = entries.map(([key, member]) => {
    if (member === undefined) throw new JsonEncodeError(`json: key ${key} has no value`);
    return `${lineStart(depth + 1)}${quote(key)}: ${render(member, depth + 1)}`;
  });
  return `{\n${members.join(',\n')}\n${lineStart(depth)}}`;
}

function lineStart(depth: number): string {
  return PREFIX + INDENT.repeat(depth);
}

// Go's float64 encoder switches to exponent form below 1e-6 and from 1e21 on, and writes
// exponents like e-7 / e+21: the same thresholds and spelling as ECMAScript's Number::toString.
function renderNumber(n: number): string {
  if (!Number.isFinite(n)) throw new JsonEncodeError(`json: unsupported value ${n}`);
  if (Object.is(n, -0)) return '-0';
  return String(n);
}

const NEEDS_ESCAPE = /["\\\u0000-\u001f<>&\u2028\u2029\ud800-\udfff]/;
const HEX = '0123456789abcdef';

function quote(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return `"${s}"`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26 || c === 0x2028 || c === 0x2029) out += unicodeEscape(c);
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && isLowSurrogate(s.charCodeAt(i + 1))) {
      out += s[i] + s[i + 1];
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) out += '\ufffd';
    else out += s[i];
  }
  return out + '"';
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

function unicodeEscape(c: number): string {
  return '\\u' + HEX[(c >> 12) & 15] + HEX[(c >> 8) & 15] + HEX[(c >> 4) & 15] + HEX[c & 15];
}

/** Go's sort.Strings compares UTF-8 bytes, which orders like code points (not UTF-16 units). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (U+D800–DFFF) stand for code points above U+FFFF, so they sort after U+E000–FFFF.
    return codeUnitRank(x) - codeUnitRank(y);
  }
  return a.length - b.length;
}

function codeUnitRank(c: number): number {
  return c >= 0xd800 && c <= 0xdfff ? c + 0x10000 : c;
}
