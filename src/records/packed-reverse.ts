// The reverse table (reverse-table.ts) as the DNS workers get it: the PTR owners and their targets
// as UTF-8 blobs with a hash index over the owners, in one SharedArrayBuffer, like the forward
// table (packed-table.ts). Why: as arrays of strings in the table message, a 100,000-owner table
// (one PTR owner per task when every task has an address of its own) was ~9.5 MB structured-cloned
// for every worker, then made into a Map of 100,000 entries in each: hundreds of ms between a swap
// and the workers serving it, and a copy of every string per worker. Packed, it is encoded once,
// shared, checked in slices and read in place; only the zones and the empty non-terminals (a
// handful of names) travel as strings.
import { findString, firstSlot, fnv1aStep, FNV_OFFSET, packStrings, stringAt, type StringBlob } from './packed-table.js';
import { MapView } from './readonly-views.js';
import { ExistingNames, namesBetween, reverseDataOf, type ReverseData, type ReverseTable } from './reverse-table.js';

export interface PackedReverse {
  /** PTR owners (absolute, lower-case), in the order of ReverseData.owners. */
  owners: StringBlob;
  /** Hash index over `owners`: owner index + 1 per slot, 0 = empty (packed-table.ts's hashing). */
  slots: Int32Array;
  /** Per owner, the end of its targets in `targets` (the first owner's start at 0). */
  targetEnds: Int32Array;
  /** Every owner's targets in answer order, one after the other. */
  targets: StringBlob;
}

/** What the table message carries of a reverse table. */
export interface ReverseMessage {
  zones: string[];
  /** The names that exist without owning PTRs: the zones and the empty non-terminals (RFC 8020). */
  between: string[];
  /** Each zone's own serial, at the index of `zones` (ReverseData.serials). */
  serials?: number[];
  packed: PackedReverse;
}

/** The packed lookup form of a build's reverse data (the build's own plain arrays stay its `data`). */
export function packedFromData(data: ReverseData): ReverseTable {
  const message: ReverseMessage = { zones: data.zones, between: [...namesBetween(data)], ...(data.serials === undefined ? {} : { serials: data.serials }), packed: packReverse(data) };
  return packedReverseTable(message, data);
}

/** `table` as a message: packed into shared memory once, sent to every worker without copying. */
export function reverseMessage(table: ReverseTable): ReverseMessage {
  if (table.message !== undefined) return table.message;
  const data = table.data;
  const between = table.existing instanceof ExistingNames ? [...table.existing.between] : [...table.existing].filter((n) => !table.ptr.has(n));
  return { zones: [...data.zones], between, ...(data.serials === undefined ? {} : { serials: [...data.serials] }), packed: packReverse(data) };
}

export function packReverse(data: ReverseData): PackedReverse {
  const targetEnds = new Int32Array(data.owners.length);
  let count = 0;
  for (let i = 0; i < data.owners.length; i++) targetEnds[i] = count += data.targets[i].length;
  const flat: string[] = new Array<string>(count);
  for (let i = 0, at = 0; i < data.owners.length; i++) {
    const list = data.targets[i];
    for (let k = 0; k < list.length; k++) flat[at++] = list[k];
  }
  const owners = packStrings(data.owners);
  return share({ owners, slots: indexStrings(owners), targetEnds, targets: packStrings(flat) });
}

/** An open-addressing index over a blob's strings (at most half full), as findString reads it. */
export function indexStrings(blob: StringBlob): Int32Array {
  const count = blob.ends.length;
  let size = 2;
  while (size < 2 * count) size *= 2;
  const slots = new Int32Array(size);
  const mask = size - 1;
  const { bytes, ends } = blob;
  for (let i = 0; i < count; i++) {
    let h = FNV_OFFSET;
    for (let b = i === 0 ? 0 : ends[i - 1], end = ends[i]; b < end; b++) h = fnv1aStep(h, bytes[b]);
    let s = firstSlot(h, mask);
    while (slots[s] !== 0) s = (s + 1) & mask;
    slots[s] = i + 1;
  }
  return slots;
}

/** The same arrays in one SharedArrayBuffer. */
export function share(p: PackedReverse): PackedReverse {
  const parts: Array<Uint8Array | Int32Array> = [p.owners.bytes, p.owners.ends, p.slots, p.targetEnds, p.targets.bytes, p.targets.ends];
  const align = (n: number): number => (n + 3) & ~3; // Int32Arrays need 4-byte aligned offsets
  let total = 0;
  for (const part of parts) total = align(total) + part.byteLength;
  const shared = new SharedArrayBuffer(align(total));
  let at = 0;
  const [ob, oe, slots, te, tb, tEnds] = parts.map((part) => {
    at = align(at);
    const view = part instanceof Int32Array ? new Int32Array(shared, at, part.length) : new Uint8Array(shared, at, part.length);
    view.set(part);
    at += part.byteLength;
    return view;
  });
  const bytes = (v: Uint8Array | Int32Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return { owners: { bytes: bytes(ob), ends: oe as Int32Array }, slots: slots as Int32Array, targetEnds: te as Int32Array, targets: { bytes: bytes(tb), ends: tEnds as Int32Array } };
}

/** PTR owner -> its targets, read from the packed arrays (fresh arrays per read). */
export class PackedPtrs extends MapView<readonly string[]> {
  readonly #p: PackedReverse;

  constructor(p: PackedReverse) {
    super();
    this.#p = p;
  }

  get size(): number {
    return this.#p.owners.ends.length;
  }

  has(name: string): boolean {
    return findString(this.#p.owners, this.#p.slots, name) >= 0;
  }

  get(name: string): readonly string[] | undefined {
    const id = findString(this.#p.owners, this.#p.slots, name);
    return id < 0 ? undefined : this.#targets(id);
  }

  #targets(id: number): string[] {
    const out: string[] = [];
    for (let t = id === 0 ? 0 : this.#p.targetEnds[id - 1], end = this.#p.targetEnds[id]; t < end; t++) out.push(stringAt(this.#p.targets, t));
    return out;
  }

  *keys(): MapIterator<string> {
    for (let id = 0; id < this.size; id++) yield stringAt(this.#p.owners, id);
  }

  *entries(): MapIterator<[string, readonly string[]]> {
    for (let id = 0; id < this.size; id++) yield [stringAt(this.#p.owners, id), this.#targets(id)];
  }
}

/**
 * The lookup form of a (checked) message: nothing per owner is made until it is asked for.
 * `plain`: the same records as plain arrays when the caller has them (the build), else made from
 * the packed arrays on first use (the workers' lookups never do).
 */
export function packedReverseTable(m: ReverseMessage, plain?: ReverseData): ReverseTable {
  const ptr = new PackedPtrs(m.packed);
  const serials = new Map<string, number>();
  if (m.serials !== undefined) m.zones.forEach((zone, i) => serials.set(zone, m.serials![i]));
  let data: ReverseData | undefined =
    plain === undefined ? undefined : { zones: plain.zones, owners: plain.owners, targets: plain.targets, ...(m.serials === undefined ? {} : { serials: m.serials }) };
  return Object.freeze({
    get data(): ReverseData {
      data ??= reverseDataOf(ptr, [...m.zones], m.serials === undefined ? undefined : [...m.serials]);
      return data;
    },
    zones: new Set(m.zones),
    ptr,
    existing: new ExistingNames(ptr, new Set(m.between)),
    serials,
    // Other zone serials over the same packed arrays (reverse-table.ts withReverseSerials).
    withSerials: (next: ReadonlyMap<string, number>) => packedReverseTable({ ...m, serials: m.zones.map((z) => next.get(z) ?? 0) }, plain),
    message: m,
  });
}
