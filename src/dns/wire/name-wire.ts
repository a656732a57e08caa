// Domain names on the wire (RFC 1035 §3.1, §4.1.4): reading them out of a message (with
// compression pointers, bounds and loop checks), turning our dotted presentation form into
// wire bytes, and writing them into a reply with suffix compression.
//
// Presentation form used throughout the project: labels joined by '.', no trailing dot needed
// ("" or "." is the root). Label bytes that are not printable ASCII, and the two bytes that
// carry meaning in presentation ('.' and '\'), are written as `\DDD` (three decimal digits,
// RFC 1035 §5.1). So a label "a.b" sent as one label reads as "a\046b" and can never collide
// with the two-label name "a.b" in the record table; and since every other character is
// printable ASCII, lower-casing with String#toLowerCase only ever touches A-Z.

import { MAX_LABEL_OCTETS, MAX_NAME_OCTETS, MAX_POINTER_OFFSET } from './constants.js';

const BACKSLASH = 0x5c;
const DOT = 0x2e;

export type ReadNameResult = { ok: true; name: string; next: number } | { ok: false };

const READ_FAILED: ReadNameResult = Object.freeze({ ok: false });

/**
 * Reads the name at `offset`. `next` is the offset just after the name as it sits at `offset`
 * (after the first pointer when there is one). Fails (never throws) on: running past the buffer,
 * the reserved label types 0x40/0x80 (RFC 6891 §5 retired extended labels), names over 255
 * octets, and pointers that do not point strictly before the segment they appear in: every
 * jump then moves backwards, so pointer loops are impossible and the walk is bounded.
 */
export function readName(buf: Buffer, offset: number): ReadNameResult {
  let pos = offset;
  let segmentStart = offset;
  let next = -1;
  let octets = 1; // the terminating root label
  let name = '';
  for (;;) {
    if (pos >= buf.length) return READ_FAILED;
    const len = buf[pos];
    if (len === 0) {
      pos += 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= buf.length) return READ_FAILED;
      const target = ((len & 0x3f) << 8) | buf[pos + 1];
      if (target >= segmentStart) return READ_FAILED;
      if (next < 0) next = pos + 2;
      segmentStart = target;
      pos = target;
      continue;
    }
    if (kind !== 0) return READ_FAILED;
    if (pos + 1 + len > buf.length) return READ_FAILED;
    octets += len + 1;
    if (octets > MAX_NAME_OCTETS) return READ_FAILED;
    if (name.length > 0) name += '.';
    name += labelToPresentation(buf, pos + 1, len);
    pos += 1 + len;
  }
  return { ok: true, name, next: next < 0 ? pos : next };
}

function labelToPresentation(buf: Buffer, start: number, len: number): string {
  let out = '';
  for (let i = start; i < start + len; i++) {
    const b = buf[i];
    if (b > 0x20 && b < 0x7f && b !== DOT && b !== BACKSLASH) {
      out += String.fromCharCode(b);
    } else {
      out += '\\' + (b < 10 ? '00' : b < 100 ? '0' : '') + b;
    }
  }
  return out;
}

/**
 * Our presentation form → uncompressed wire bytes (length-prefixed labels, then the root 0).
 * Understands `\DDD` and `\X` escapes; other characters are taken as UTF-8. Returns undefined
 * for names that cannot be sent: empty labels ("a..b"), labels over 63 octets, names over 255,
 * a dangling '\' or a `\DDD` above 255. A single trailing dot is ignored.
 */
export function nameToWire(name: string): Buffer | undefined {
  if (name === '' || name === '.') return ROOT;
  // The records of one owner come in a row (a transfer, an answer), alternating with their
  // targets (SRV): the last two results are reused. Callers only read the bytes (they copy them
  // into a message).
  if (name === recentNames[0]) return recentWires[0];
  if (name === recentNames[1]) return recentWires[1];
  const wire = toWire(name);
  recentNames[1] = recentNames[0];
  recentWires[1] = recentWires[0];
  recentNames[0] = name;
  recentWires[0] = wire;
  return wire;
}

const recentNames: (string | undefined)[] = [undefined, undefined];
const recentWires: (Buffer | undefined)[] = [undefined, undefined];

function toWire(name: string): Buffer | undefined {
  const text = Buffer.from(name, 'utf8');
  // Each '.' becomes a length octet and escapes only shrink, so the wire form is at most the
  // text plus the first length octet and the root label.
  const out = Buffer.allocUnsafe(text.length + 2);
  let lenAt = 0; // where the current label's length octet goes
  let pos = 1;
  let closed = false;
  let i = 0;
  while (i < text.length) {
    let b = text[i];
    if (b === DOT) {
      const labelLen = pos - lenAt - 1;
      if (labelLen === 0) return undefined; // leading dot or ".."
      out[lenAt] = labelLen;
      i += 1;
      if (i === text.length) {
        closed = true; // the optional trailing dot
        break;
      }
      lenAt = pos;
      pos += 1;
      continue;
    }
    if (b === BACKSLASH) {
      if (i + 1 >= text.length) return undefined;
      if (isDigit(text[i + 1])) {
        if (i + 3 >= text.length || !isDigit(text[i + 2]) || !isDigit(text[i + 3])) return undefined;
        b = (text[i + 1] - 0x30) * 100 + (text[i + 2] - 0x30) * 10 + (text[i + 3] - 0x30);
        if (b > 255) return undefined;
        i += 4;
      } else {
        b = text[i + 1];
        i += 2;
      }
    } else {
      i += 1;
    }
    if (pos - lenAt - 1 === MAX_LABEL_OCTETS) return undefined;
    out[pos] = b;
    pos += 1;
  }
  if (!closed) {
    const labelLen = pos - lenAt - 1;
    if (labelLen === 0) return undefined;
    out[lenAt] = labelLen;
  }
  out[pos] = 0;
  pos += 1;
  if (pos > MAX_NAME_OCTETS) return undefined;
  return out.subarray(0, pos);
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

const ROOT: Buffer = Buffer.from([0]);

/**
 * Writes names into one message, pointing at earlier occurrences of the longest known suffix
 * (RFC 1035 §4.1.4). The map is keyed by the suffix's exact wire bytes, so every name costs a
 * few map lookups whatever the message size (no scanning of what was written before).
 * Keys are case-sensitive on purpose: a pointer then always reproduces the exact bytes, so a
 * 0x20-randomised owner name keeps its case and lower-case targets stay lower-case.
 */
export class NameCompressor {
  readonly #offsets = new Map<string, number>();
  /**
   * Where the pointer ending the name of the last write() points, -1 when that name was written
   * out in full: the encoder reports it (WireLayout) so nobody has to read its output back.
   */
  lastPointer = -1;

  /**
   * Writes `wire` (from nameToWire) at `pos` in `out` and returns the offset after it. With
   * `compress` false the name is written in full (RFC 2782: SRV targets must not be
   * compressed) but its suffixes are still remembered, so later names may point into it.
   * `out` must have room for wire.length bytes at `pos`; `pos` is the offset in the message.
   */
  write(out: Buffer, pos: number, wire: Buffer, compress: boolean): number {
    // Label start offsets inside `wire`, and the suffix key at each.
    let literalEnd = wire.length - 1; // offset of the root octet
    let pointer = -1;
    const starts: number[] = [];
    const keys: string[] = [];
    for (let j = 0; wire[j] !== 0; j += wire[j] + 1) {
      const key = wire.toString('latin1', j);
      if (compress) {
        const known = this.#offsets.get(key);
        if (known !== undefined) {
          literalEnd = j;
          pointer = known;
          break;
        }
      }
      starts.push(j);
      keys.push(key);
    }
    wire.copy(out, pos, 0, literalEnd);
    for (let k = 0; k < starts.length; k++) {
      const at = pos + starts[k];
      if (at > MAX_POINTER_OFFSET) break;
      if (!this.#offsets.has(keys[k])) this.#offsets.set(keys[k], at);
    }
    pos += literalEnd;
    this.lastPointer = pointer;
    if (pointer >= 0) {
      out[pos] = 0xc0 | (pointer >> 8);
      out[pos + 1] = pointer & 0xff;
      return pos + 2;
    }
    out[pos] = 0;
    return pos + 1;
  }
}
