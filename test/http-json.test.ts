// The Go-compatible JSON the HTTP API writes (json.ts), and how it looks names up.
import { describe, expect, it } from '@jest/globals';
import { lookupName } from '../src/http/api.js';
import { JsonMap, compareCodePoints, marshalIndent, type JsonValue } from '../src/http/json.js';
import { JsonEncodeError } from '../src/errors.js';
import { lines } from './helpers/http-api.js';

describe('marshalIndent (Go json.MarshalIndent(v, " ", " "))', () => {
  const cases: [string, JsonValue, string][] = [
    ['scalars', { s: 'x', n: 42, f: 1.5, big: 1e21, tiny: 1e-7, t: true, z: null }, lines('{', '  "s": "x",', '  "n": 42,', '  "f": 1.5,', '  "big": 1e+21,', '  "tiny": 1e-7,', '  "t": true,', '  "z": null', ' }')],
    ['empty containers stay on one line', { a: [], o: {}, m: new JsonMap([]) }, lines('{', '  "a": [],', '  "o": {},', '  "m": {}', ' }')],
    ['top-level empty array', [], '[]'],
    ['nesting adds one space per level', [{ k: [1, [2]] }], lines('[', '  {', '   "k": [', '    1,', '    [', '     2', '    ]', '   ]', '  }', ' ]')],
    ['map keys sorted bytewise (upper case first)', new JsonMap({ b: 1, a: 2, B: 3 }), lines('{', '  "B": 3,', '  "a": 2,', '  "b": 1', ' }')],
    ['struct keys keep their order', { b: 1, a: 2 }, lines('{', '  "b": 1,', '  "a": 2', ' }')],
    ['HTML-safe escapes', '<a href="x">&</a>', '"\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e"'],
    ['control characters', 'a\nb\tc\rd\u0001e\bf\\', '"a\\nb\\tc\\rd\\u0001e\\u0008f\\\\"'],
    ['line separators', '\u2028\u2029', '"\\u2028\\u2029"'],
    ['non-ASCII passes through, lone surrogate becomes U+FFFD', 'é😀\ud800x', '"é😀\ufffdx"'],
    ['negative zero', -0, '-0'],
  ];
  it.each(cases)('%s', (_name, value, expected) => {
    expect(marshalIndent(value)).toBe(expected);
  });

  it('refuses what Go cannot encode', () => {
    expect(() => marshalIndent(Number.NaN)).toThrow(JsonEncodeError);
    expect(() => marshalIndent({ u: undefined as unknown as JsonValue })).toThrow(expect.objectContaining({ code: 'MDNS_ERR_JSON_ENCODE' }));
  });

  it('sorts by code point like Go compares UTF-8 bytes', () => {
    // U+FF5E (one UTF-16 unit) sorts before U+1F600 (a surrogate pair) in UTF-8 byte order
    expect(['😀', '～', 'a'].sort(compareCodePoints)).toEqual(['a', '～', '😀']);
  });
});

// --- api.ts ----------------------------------------------------------------------------------

describe('lookupName (mesos-dns cleanWild + lower-case + absolute)', () => {
  it.each([
    ['Web.Marathon.Mesos', 'web.marathon.mesos.'],
    ['web.marathon.mesos.', 'web.marathon.mesos.'],
    ['_web.*._tcp.*.marathon.mesos', '_web._tcp.marathon.mesos.'],
    ['*.mesos', '*.mesos.'],
    ['.*', '.'],
    ['', '.'],
  ])('%s -> %s', (param, expected) => {
    expect(lookupName(param)).toBe(expected);
  });
});
