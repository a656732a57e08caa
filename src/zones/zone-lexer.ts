// RFC 1035 §5.1 master-file lexing, pure: text -> entries (one per logical line), each a list of
// tokens. What it takes care of, so the parser sees only tokens:
//   - `;` comments to the end of the line (not inside quotes, not escaped);
//   - parentheses: "( ... )" continue an entry over line ends (the SOA's usual layout);
//   - quoted strings ("a b;c"), kept as one token with their escapes;
//   - `\X` and `\DDD` escapes: kept as written (a name and a character-string read them
//     differently; see unescape());
//   - a line that begins with a blank: the entry's owner is the previous one's (§5.1 "blank").
import { ZoneFileError } from '../errors.js';

export interface Token {
  /** As written, escapes included; without the quotes for a quoted token. */
  text: string;
  quoted: boolean;
}

export interface Entry {
  /** 1-based line the entry starts on. */
  line: number;
  /** The line began with a space or tab: no owner field, the previous owner is meant. */
  blankOwner: boolean;
  tokens: Token[];
}

const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const LF = 0x0a;

/** Splits `text` into entries; throws ZoneFileError (with `file` and the line) on bad syntax. */
export function lexZone(text: string, file: string): Entry[] {
  const entries: Entry[] = [];
  let line = 1;
  let depth = 0;
  let openedOn = 0;
  let entry: Entry | undefined;
  let lineStart = true;
  let i = 0;
  const fail = (reason: string, at = line): never => {
    throw new ZoneFileError(file, at, reason);
  };
  const finish = () => {
    if (entry !== undefined && entry.tokens.length > 0) entries.push(entry);
    entry = undefined;
  };

  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (lineStart && depth === 0) {
      finish();
      entry = { line, blankOwner: c === SPACE || c === TAB, tokens: [] };
    }
    lineStart = false;
    if (c === LF) {
      line++;
      lineStart = true;
      i++;
      continue;
    }
    if (c === SPACE || c === TAB || c === CR) {
      i++;
      continue;
    }
    if (c === 0x3b /* ; */) {
      while (i < text.length && text.charCodeAt(i) !== LF) i++;
      continue;
    }
    if (c === 0x28 /* ( */) {
      if (depth === 0) openedOn = line;
      depth++;
      i++;
      continue;
    }
    if (c === 0x29 /* ) */) {
      if (depth === 0) fail('")" without a matching "("');
      depth--;
      i++;
      continue;
    }
    const current = entry as Entry;
    if (c === 0x22 /* " */) {
      let j = i + 1;
      let out = '';
      for (;;) {
        if (j >= text.length || text.charCodeAt(j) === LF) fail('unterminated quoted string');
        const d = text.charCodeAt(j);
        if (d === 0x22) break;
        if (d === 0x5c /* \ */) {
          if (j + 1 >= text.length) fail('unterminated quoted string');
          out += text.slice(j, j + 2);
          j += 2;
          continue;
        }
        out += text[j];
        j++;
      }
      current.tokens.push({ text: out, quoted: true });
      i = j + 1;
      continue;
    }
    // A token runs to the next blank or special character; an escaped one is part of it, and
    // stays escaped (the token is one slice of the text).
    let j = i;
    while (j < text.length) {
      const d = text.charCodeAt(j);
      if (d === SPACE || d === TAB || d === CR || d === LF || d === 0x3b || d === 0x28 || d === 0x29 || d === 0x22) break;
      if (d === 0x5c) {
        if (j + 1 >= text.length || text.charCodeAt(j + 1) === LF) fail('"\\" at the end of a line');
        j += 2;
        continue;
      }
      j++;
    }
    current.tokens.push({ text: text.slice(i, j), quoted: false });
    i = j;
  }
  if (depth > 0) fail(`"(" opened on line ${openedOn} is never closed`, openedOn);
  finish();
  return entries;
}

/**
 * The bytes a token stands for: `\DDD` is the octet DDD (at most 255), `\X` is X itself
 * (RFC 1035 §5.1); other characters are taken as UTF-8. Undefined for a bad `\DDD`.
 */
export function unescape(text: string): Buffer | undefined {
  if (!text.includes('\\')) return Buffer.from(text, 'utf8');
  const out: number[] = [];
  const raw = Buffer.from(text, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i];
    if (b !== 0x5c) {
      out.push(b);
      continue;
    }
    const n = raw[i + 1];
    if (n === undefined) return undefined;
    if (n >= 0x30 && n <= 0x39) {
      const d2 = raw[i + 2];
      const d3 = raw[i + 3];
      if (d2 === undefined || d3 === undefined || d2 < 0x30 || d2 > 0x39 || d3 < 0x30 || d3 > 0x39) return undefined;
      const v = (n - 0x30) * 100 + (d2 - 0x30) * 10 + (d3 - 0x30);
      if (v > 255) return undefined;
      out.push(v);
      i += 3;
    } else {
      out.push(n);
      i += 1;
    }
  }
  return Buffer.from(out);
}
