// The IPs of a finished table (packed-table.ts `ips`) to go on interning into, for the
// incremental table's builder (TableBuilder.resume): the table's own IPs keep their ids and are
// read in place from the table's blob, found through an index of ids made here (an Int32Array);
// only IPs a patch adds are held as strings.
//
// Why not a copy: a string and a Map entry per address was ~7 MB at 100,000 tasks with an
// address each, beside the same text in the table's shared buffer, for the few addresses
// patches add. (As resumed-names.ts does for the names.)
import { fnv1aStep, FNV_OFFSET, stringAt, type StringBlob } from './packed-table.js';

export class ResumedIps {
  readonly #base: StringBlob;
  readonly #baseCount: number;
  /** Open addressing over the base's ids (id + 1; 0 is empty), hashed by FNV-1a of the text; made by index(). */
  #slots: Int32Array | undefined;
  /** IPs added here, by their text and by id - baseCount. */
  readonly #added = new Map<string, number>();
  readonly #addedTexts: string[] = [];
  /** The base's IPs decoded so far, by id (text()). */
  readonly #texts: Array<string | undefined>;

  constructor(base: StringBlob) {
    this.#base = base;
    this.#baseCount = base.ends.length;
    this.#texts = new Array<string | undefined>(this.#baseCount);
  }

  /**
   * Makes the index of the base's ids now (else on the first look-up): a pass hashing every
   * address (~13 ms at 100,000), which the incremental table's start in steps runs as a step of
   * its own.
   */
  index(): Int32Array {
    if (this.#slots !== undefined) return this.#slots;
    const base = this.#base;
    const count = this.#baseCount;
    let size = 16;
    while (size < count * 2) size *= 2;
    const slots = (this.#slots = new Int32Array(size));
    const bytes = base.bytes;
    for (let id = 0; id < count; id++) {
      let h = FNV_OFFSET;
      for (let i = id === 0 ? 0 : base.ends[id - 1]; i < base.ends[id]; i++) h = fnv1aStep(h, bytes[i]);
      let s = h & (size - 1);
      while (slots[s] !== 0) s = (s + 1) & (size - 1);
      slots[s] = id + 1;
    }
    return slots;
  }

  /** The id of an IP in canonical text form, added after the base's when new. */
  id(text: string): number {
    const found = this.baseId(text);
    if (found >= 0) return found;
    let id = this.#added.get(text);
    if (id === undefined) {
      id = this.#baseCount + this.#addedTexts.length;
      this.#addedTexts.push(text);
      this.#added.set(text, id);
    }
    return id;
  }

  text(id: number): string {
    if (id >= this.#baseCount) return this.#addedTexts[id - this.#baseCount];
    // Decoded once and kept: a name a patch recomputes (contributors.ts) is read whole each time,
    // and a shared name's thousands of addresses decoded per event made events ~10% slower.
    // Only the addresses of names patches touched are ever held as strings.
    return (this.#texts[id] ??= stringAt(this.#base, id));
  }

  /** Every IP by id (a copy: only for packing, which a resumed builder never does). */
  all(): string[] {
    const out: string[] = [];
    for (let id = 0; id < this.#baseCount; id++) out.push(stringAt(this.#base, id));
    return out.concat(this.#addedTexts);
  }

  /** The base's id of `text`, or -1. An IP's canonical text is ASCII: a character is a byte. */
  baseId(text: string): number {
    const n = text.length;
    let h = FNV_OFFSET;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c > 0x7f) return -1;
      h = fnv1aStep(h, c);
    }
    const slots = this.index();
    const mask = slots.length - 1;
    const { bytes, ends } = this.#base;
    for (let s = h & mask; slots[s] !== 0; s = (s + 1) & mask) {
      const id = slots[s] - 1;
      const start = id === 0 ? 0 : ends[id - 1];
      if (ends[id] - start !== n) continue;
      let same = true;
      for (let i = 0; i < n && same; i++) same = bytes[start + i] === text.charCodeAt(i);
      if (same) return id;
    }
    return -1;
  }
}
