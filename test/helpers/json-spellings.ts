// One JSON document written several ways, for the tests that check a native reader reads each
// exactly as JSON.parse does (read-state-agreement, read-subscribed-agreement).
import { expect } from '@jest/globals';

/**
 * `doc` as compact JSON; pretty-printed with tabs and CRLF line ends; and with every non-ASCII
 * character as a \u escape (surrogate pairs included) and escapes where raw text was in the
 * first task's `"name":"nginx"` (an escaped key, `\/` and `\n`).
 */
export function jsonSpellings(doc: unknown): string[] {
  const pretty = JSON.stringify(doc, null, '\t').replace(/\n/g, '\r\n');
  const escaped = JSON.stringify(doc).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  expect(escaped).toContain('\\ud83d\\ude00');
  return [JSON.stringify(doc), pretty, escaped.replace('"name":"nginx"', '"n\\u0061me":"ng\\/inx\\n"')];
}
