// Name -> id while a table is built, storing each distinct name once as UTF-8 bytes, never as a
// JS string kept alive.
//
// Why not a Map<string, number>: a 100,000-task build interns ~375,000 names, each a freshly
// concatenated string. In a Map every one of them is flattened, hashed and then kept, so it
// survives into V8's old generation (copied on the way) and is walked by every later GC; that
// was the largest single cost of a build. Here the string only lives until its bytes are
// copied into the blob, so it dies young, and the blob plus the hash index are exactly what
// the packed table (packed-table.ts) needs at the end: nothing is converted afterwards.
//
// The hash is FNV-1a over the UTF-8 bytes, the same function findName() uses on the finished
// table. Names come in as byte parts (namePart) that the build encodes once and reuses.
import { firstSlot, fnv1aStep, FNV_OFFSET } from './packed-table.js';

/** The empty part, for names of fewer than four parts. */
export const NO_PART = new Uint8Array(0);

/** A piece of a name as the UTF-8 bytes the blob stores (ASCII, nearly always, byte for byte). */
export function namePart(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch > 0x7f) return Buffer.from(text, 'utf8');
    out[i] = ch;
  }
  return out;
}

export class NameInterner {
  #bytes: Buffer;
  #used = 0;
  #ends: Int32Array;
  #hashes: Int32Array;
  #count = 0;
  #slots: Int32Array;

  /**
   * `expected` names (a guess) size the arrays up front: growing them means copying large
   * buffers, and each large allocation counts towards V8's external-memory pressure, which
   * triggers full garbage collections of the whole heap.
   */
  constructor(expected = 1024) {
    const n = Math.max(1024, expected);
    this.#bytes = sharedBytes(n * 48);
    this.#ends = new Int32Array(n);
    this.#hashes = new Int32Array(n);
    let slots = 2048;
    while (slots < n * 2) slots *= 2;
    this.#slots = new Int32Array(slots);
  }

  get count(): number {
    return this.#count;
  }

  /** The id of `name`, added if new. */
  intern(name: string): number {
    return this.internParts(namePart(name), NO_PART, NO_PART, NO_PART);
  }

  /**
   * The id of the name made of these parts' bytes in order. A build makes most names from a few
   * pieces it has encoded once (the task label, `.framework.domain.`), and reading bytes from a
   * Uint8Array is several times cheaper than String.prototype.charCodeAt per character, which
   * made interning the largest single cost of a build.
   */
  internParts(a: Uint8Array, b: Uint8Array, c: Uint8Array, d: Uint8Array): number {
    const length = a.length + b.length + c.length + d.length;
    this.#reserve(length);
    const bytes = this.#bytes;
    const at = this.#used;
    // One pass per part hashes the bytes and writes them after the used part of the blob, where
    // they stay if the name is new.
    let h = FNV_OFFSET;
    let o = at;
    for (let i = 0; i < a.length; i++) {
      const byte = a[i];
      bytes[o++] = byte;
      h = fnv1aStep(h, byte);
    }
    for (let i = 0; i < b.length; i++) {
      const byte = b[i];
      bytes[o++] = byte;
      h = fnv1aStep(h, byte);
    }
    for (let i = 0; i < c.length; i++) {
      const byte = c[i];
      bytes[o++] = byte;
      h = fnv1aStep(h, byte);
    }
    for (let i = 0; i < d.length; i++) {
      const byte = d[i];
      bytes[o++] = byte;
      h = fnv1aStep(h, byte);
    }
    const s = this.#probe(h, bytes, at, o);
    return s < 0 ? -s - 1 : this.#add(s, h, o);
  }

  /** The id of `name`, -1 when it was never interned (nothing is added). */
  find(name: string): number {
    const key = namePart(name);
    let h = FNV_OFFSET;
    for (let i = 0; i < key.length; i++) h = fnv1aStep(h, key[i]);
    const s = this.#probe(h, key, 0, key.length);
    return s < 0 ? -s - 1 : -1;
  }

  /**
   * The names so far, as views of the blob and the ends. They stay valid while more names are
   * interned: new bytes and ends go after them, and growing copies into new arrays.
   */
  soFar(): { bytes: Buffer; ends: Int32Array } {
    return { bytes: this.#bytes.subarray(0, this.#used), ends: this.#ends.subarray(0, this.#count) };
  }

  /** The id of the name stored as bytes [start, end) of the blob (a suffix of a stored name). */
  internStored(start: number, end: number): number {
    return this.#internBytes(this.#bytes, start, end);
  }

  /** Where the name with this id sits in the blob: [start, end). */
  start(id: number): number {
    return id === 0 ? 0 : this.#ends[id - 1];
  }

  end(id: number): number {
    return this.#ends[id];
  }

  /** A byte of the blob (valid until the next intern call). */
  byte(at: number): number {
    return this.#bytes[at];
  }

  string(id: number): string {
    return this.#bytes.toString('utf8', this.start(id), this.#ends[id]);
  }

  /** Views of the used blob, its ends and the index; the interner must not be used afterwards. */
  finish(): { bytes: Buffer; ends: Int32Array; slots: Int32Array } {
    return { bytes: this.#bytes.subarray(0, this.#used), ends: this.#ends.subarray(0, this.#count), slots: this.#slots };
  }

  /** The id of the name whose UTF-8 bytes are key[from, to); `key` may be the blob itself. */
  #internBytes(key: Uint8Array, from: number, to: number): number {
    let h = FNV_OFFSET;
    for (let i = from; i < to; i++) h = fnv1aStep(h, key[i]);
    const s = this.#probe(h, key, from, to);
    if (s < 0) return -s - 1;
    const stored = key === this.#bytes;
    this.#reserve(to - from);
    // #reserve may have moved the blob: a stored name is copied from where it is now.
    this.#bytes.set((stored ? this.#bytes : key).subarray(from, to), this.#used);
    return this.#add(s, h, this.#used + (to - from));
  }

  /** The free slot for a new name (>= 0), or -(id + 1) when the name is already there. */
  #probe(h: number, key: Uint8Array, from: number, to: number): number {
    const slots = this.#slots;
    const mask = slots.length - 1;
    const bytes = this.#bytes;
    const ends = this.#ends;
    const length = to - from;
    let s = firstSlot(h, mask);
    for (; slots[s] !== 0; s = (s + 1) & mask) {
      const id = slots[s] - 1;
      if (this.#hashes[id] !== h) continue;
      const start = id === 0 ? 0 : ends[id - 1];
      if (ends[id] - start !== length) continue;
      let i = 0;
      while (i < length && bytes[start + i] === key[from + i]) i++;
      if (i === length) return -(id + 1);
    }
    return s;
  }

  /** Records a new name whose bytes end at `end`, in slot `s` (found before anything grew). */
  #add(s: number, h: number, end: number): number {
    const id = this.#count;
    if (id === this.#ends.length) {
      this.#ends = grow(this.#ends);
      this.#hashes = grow(this.#hashes);
    }
    this.#ends[id] = end;
    this.#hashes[id] = h;
    this.#used = end;
    this.#count = id + 1;
    this.#slots[s] = id + 1;
    // Load factor at most 1/2 keeps probe runs short; the finished index keeps this property.
    if (this.#count * 2 > this.#slots.length) this.#rehash();
    return id;
  }

  #reserve(length: number): void {
    if (this.#used + length <= this.#bytes.length) return;
    const bigger = sharedBytes(Math.max(this.#bytes.length * 2, this.#used + length));
    this.#bytes.copy(bigger, 0, 0, this.#used);
    this.#bytes = bigger;
  }

  #rehash(): void {
    const slots = new Int32Array(this.#slots.length * 2);
    const mask = slots.length - 1;
    for (let id = 0; id < this.#count; id++) {
      let s = firstSlot(this.#hashes[id], mask);
      while (slots[s] !== 0) s = (s + 1) & mask;
      slots[s] = id + 1;
    }
    this.#slots = slots;
  }
}

/**
 * The blob's memory: shared, so that the names so far (soFar) go to the reverse helper thread
 * (workers/reverse-helper.ts) without a copy of tens of MB; the names are only ever appended, so
 * that thread reads bytes this one no longer writes.
 */
function sharedBytes(size: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(size));
}

function grow(a: Int32Array): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}
