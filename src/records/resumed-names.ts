// The names of a finished table (packed-table.ts) to go on interning into, for the incremental
// table's builder (TableBuilder.resume): the table's own names keep their ids and are read in
// place, through the table's own hash index; only names a patch adds are stored here.
//
// Why not a copy: copying the table's name blob, ends, hashes and index into a NameInterner
// was 43 MB at 100,000 tasks, beside the same bytes in the table's shared buffer, for the few
// names patches add.
//
// Positions ("at", start(), end()) are one address space: the table's blob is [0, baseUsed) and
// the names added here follow it, so a name's parent (table-builder.ts parentName) may be found
// from any stored name's bytes.
import { findBytes, firstSlot, fnv1aStep, FNV_OFFSET, type StringBlob } from './packed-table.js';
import { namePart, NO_PART } from './name-interner.js';

export class ResumedNames {
  readonly #names: StringBlob;
  readonly #base: Buffer;
  readonly #baseEnds: Int32Array;
  readonly #baseSlots: Int32Array;
  readonly #baseCount: number;
  readonly #baseUsed: number;
  /** Names added here: bytes (positions after baseUsed), absolute ends, hashes, and their own index. */
  #bytes = Buffer.allocUnsafeSlow(4096);
  #used = 0;
  #ends = new Int32Array(256);
  #hashes = new Int32Array(256);
  #count = 0;
  #slots = new Int32Array(512);
  /** Where a name is put together to be hashed and looked up. */
  #key = Buffer.allocUnsafeSlow(512);

  constructor(names: StringBlob, slots: Int32Array) {
    this.#names = names;
    this.#base = names.bytes;
    this.#baseEnds = names.ends;
    this.#baseSlots = slots;
    this.#baseCount = names.ends.length;
    this.#baseUsed = this.#baseCount === 0 ? 0 : names.ends[this.#baseCount - 1];
  }

  get count(): number {
    return this.#baseCount + this.#count;
  }

  intern(name: string): number {
    return this.internParts(namePart(name), NO_PART, NO_PART, NO_PART);
  }

  internParts(a: Uint8Array, b: Uint8Array, c: Uint8Array, d: Uint8Array): number {
    const length = a.length + b.length + c.length + d.length;
    const key = this.#room(length);
    // Byte loops, hashing on the way (as NameInterner does): TypedArray.set costs more per call
    // than these few bytes take.
    let h = FNV_OFFSET;
    let o = 0;
    for (let i = 0; i < a.length; i++) h = fnv1aStep(h, (key[o++] = a[i]));
    for (let i = 0; i < b.length; i++) h = fnv1aStep(h, (key[o++] = b[i]));
    for (let i = 0; i < c.length; i++) h = fnv1aStep(h, (key[o++] = c[i]));
    for (let i = 0; i < d.length; i++) h = fnv1aStep(h, (key[o++] = d[i]));
    return this.#intern(h, key, length);
  }

  /** The id of the name stored at [start, end) (a suffix of a stored name). */
  internStored(start: number, end: number): number {
    const key = this.#room(end - start);
    const base = this.#base;
    const local = this.#bytes;
    const split = this.#baseUsed;
    let h = FNV_OFFSET;
    for (let i = start; i < end; i++) h = fnv1aStep(h, (key[i - start] = i < split ? base[i] : local[i - split]));
    return this.#intern(h, key, end - start);
  }

  start(id: number): number {
    return id === 0 ? 0 : this.end(id - 1);
  }

  end(id: number): number {
    return id < this.#baseCount ? this.#baseEnds[id] : this.#ends[id - this.#baseCount];
  }

  byte(at: number): number {
    return at < this.#baseUsed ? this.#base[at] : this.#bytes[at - this.#baseUsed];
  }

  string(id: number): string {
    const start = this.start(id);
    const end = this.end(id);
    return id < this.#baseCount ? this.#base.toString('utf8', start, end) : this.#bytes.toString('utf8', start - this.#baseUsed, end - this.#baseUsed);
  }

  #room(length: number): Buffer {
    if (this.#key.length < length) this.#key = Buffer.allocUnsafeSlow(Math.max(length, this.#key.length * 2));
    return this.#key;
  }

  /** The id of the name key[0, length) (FNV-1a hash h): the table's, else one added here, else added now. */
  #intern(h: number, key: Buffer, length: number): number {
    const base = this.#findBase(h, key, length);
    if (base >= 0) return base;
    const slots = this.#slots;
    const mask = slots.length - 1;
    let s = firstSlot(h, mask);
    for (; slots[s] !== 0; s = (s + 1) & mask) {
      const local = slots[s] - 1;
      if (this.#hashes[local] !== h) continue;
      const start = (local === 0 ? this.#baseUsed : this.#ends[local - 1]) - this.#baseUsed;
      if (this.#ends[local] - this.#baseUsed - start !== length) continue;
      let i = 0;
      while (i < length && this.#bytes[start + i] === key[i]) i++;
      if (i === length) return this.#baseCount + local;
    }
    return this.#add(s, h, key, length);
  }

  /** The table's id of the name, as findName() looks it up; -1 when the table has no such name. */
  #findBase(h: number, key: Buffer, length: number): number {
    return findBytes(this.#names, this.#baseSlots, h, key, length);
  }


  #add(s: number, h: number, key: Buffer, length: number): number {
    if (this.#used + length > this.#bytes.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(this.#bytes.length * 2, this.#used + length));
      this.#bytes.copy(bigger, 0, 0, this.#used);
      this.#bytes = bigger;
    }
    key.copy(this.#bytes, this.#used, 0, length);
    this.#used += length;
    const local = this.#count;
    if (local === this.#ends.length) {
      this.#ends = grow(this.#ends);
      this.#hashes = grow(this.#hashes);
    }
    this.#ends[local] = this.#baseUsed + this.#used;
    this.#hashes[local] = h;
    this.#count = local + 1;
    this.#slots[s] = local + 1;
    if (this.#count * 2 > this.#slots.length) this.#rehash();
    return this.#baseCount + local;
  }

  #rehash(): void {
    const slots = new Int32Array(this.#slots.length * 2);
    const mask = slots.length - 1;
    for (let local = 0; local < this.#count; local++) {
      let s = firstSlot(this.#hashes[local], mask);
      while (slots[s] !== 0) s = (s + 1) & mask;
      slots[s] = local + 1;
    }
    this.#slots = slots;
  }
}

function grow(a: Int32Array): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}
