// The record table in packed form: a handful of typed arrays instead of an object per name.
//
// Why: a 100,000-task cluster makes ~375,000 names and ~1.2 million records. As objects (a Map
// entry, a records object, arrays and a string per value) that was ~160 MB of heap and seconds
// of garbage collection per build, and every DNS worker decoded a copy of its own. Packed, the
// same table is ~50 MB of flat arrays that the builder fills without creating per-record
// objects, that live in one SharedArrayBuffer which every worker thread reads (sharePacked),
// and whose name index is an open-addressing hash table over the names' bytes, usable as soon
// as it arrives.
//
// Layout (every array is plain data, so the whole PackedTable survives structured clone):
//   names      every name the table knows: owners, empty non-terminals (RFC 8020) and names
//              that are only SRV targets, as UTF-8 bytes in one blob (`nameBytes`, `nameEnds`)
//   nameKind   per name: OWNER (has records), ENT (exists, owns nothing), TARGET (does not exist)
//   slots      hash index: name id + 1 per slot, 0 = empty, linear probing
//   recStart   per name, where its records start in recValue/recPort (CSR; one extra entry)
//   recPort    per record: KIND_A, KIND_AAAA, or the SRV port (0..65535)
//   recValue   per record: A/AAAA -> index into the IP blob; SRV -> the target's name id
//   srvExtra   per record (priority << 16 | weight) when SRVs differ; null when every SRV has
//              srvPriority / srvWeight (always, for tables built from a master state)
// Records of one name keep insertion order across types; readers split them by type.
import type { NameRecords, SrvRecord } from './table.js';
import { MapView, SetView } from './readonly-views.js';

export const KIND_A = -1;
export const KIND_AAAA = -2;

export const NAME_TARGET = 0;
export const NAME_OWNER = 1;
export const NAME_ENT = 2;

/** Strings as UTF-8 bytes in one blob; string i is bytes[ends[i-1] .. ends[i]). */
export interface StringBlob {
  bytes: Buffer;
  ends: Int32Array;
}

export interface PackedTable {
  names: StringBlob;
  nameKind: Uint8Array;
  ownerCount: number;
  existingCount: number;
  slots: Int32Array;
  recStart: Int32Array;
  recPort: Int32Array;
  recValue: Int32Array;
  ips: StringBlob;
  srvPriority: number;
  srvWeight: number;
  srvExtra: Int32Array | null;
}

// --- string blobs ---------------------------------------------------------------------------

export function packStrings(strings: readonly string[]): StringBlob {
  const ends = new Int32Array(strings.length);
  const joined = strings.join('');
  // Names are ASCII almost always: then byte offsets are character offsets, and one
  // Buffer.from of the joined text does the whole blob (as many bytes as characters: ASCII).
  const whole = Buffer.from(joined, 'utf8');
  if (whole.length === joined.length) {
    let at = 0;
    for (let i = 0; i < strings.length; i++) ends[i] = at += strings[i].length;
    return { bytes: whole, ends };
  }
  const bytes = Buffer.allocUnsafeSlow(whole.length);
  let at = 0;
  for (let i = 0; i < strings.length; i++) ends[i] = at += bytes.write(strings[i], at, 'utf8');
  return { bytes, ends };
}

export function stringAt(blob: StringBlob, i: number): string {
  return blob.bytes.toString('utf8', i === 0 ? 0 : blob.ends[i - 1], blob.ends[i]);
}

// --- the name index -------------------------------------------------------------------------

// The name index hashes with 32-bit FNV-1a over a name's UTF-8 bytes (it spreads the many names
// that differ only in a few characters); name-interner.ts builds the index with the same steps.
export const FNV_OFFSET = 0x811c9dc5 | 0;

export function fnv1aStep(h: number, byte: number): number {
  return Math.imul(h ^ byte, 0x01000193);
}

/**
 * The first slot for a hash. FNV-1a's low bits are its weakest (bit k of the result depends
 * only on bits 0..k of the input), and names differing near their start but sharing a long
 * suffix clustered under a plain mask; folding the high bits in first (murmur3's finaliser
 * steps) spreads them.
 */
export function firstSlot(h: number, mask: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h & mask;
}

/** Where a looked-up name is encoded to UTF-8, to be hashed and compared as bytes. */
let scratch = Buffer.allocUnsafeSlow(512);

/** The id of `name` (exact bytes: no case folding), or -1. */
export function findName(t: PackedTable, name: string): number {
  return findString(t.names, t.slots, name);
}

/** The index of `name` in `blob` through its hash index `slots` (index + 1 per slot, 0 = empty), or -1. */
export function findString(blob: StringBlob, slots: Int32Array, name: string): number {
  // Three bytes per UTF-16 unit is the most UTF-8 needs.
  if (scratch.length < name.length * 3) scratch = Buffer.allocUnsafeSlow(name.length * 3);
  const key = scratch;
  const length = key.write(name, 0, 'utf8');
  let h = FNV_OFFSET;
  for (let i = 0; i < length; i++) h = fnv1aStep(h, key[i]);
  return findBytes(blob, slots, h, key, length);
}

/**
 * The index of `key`'s first `length` bytes, whose hash is `h`, in `blob` through its hash index
 * `slots`, or -1: the probe findString and a resumed builder's names (resumed-names.ts) share.
 */
export function findBytes(blob: StringBlob, slots: Int32Array, h: number, key: Uint8Array, length: number): number {
  const { bytes, ends } = blob;
  const mask = slots.length - 1;
  if (slots.length === 0) return -1;
  for (let s = firstSlot(h, mask); ; s = (s + 1) & mask) {
    const slot = slots[s];
    if (slot === 0) return -1;
    const id = slot - 1;
    const start = id === 0 ? 0 : ends[id - 1];
    if (ends[id] - start !== length) continue;
    let i = 0;
    while (i < length && bytes[start + i] === key[i]) i++;
    if (i === length) return id;
  }
}

// --- reading records ------------------------------------------------------------------------

export function nameAt(t: PackedTable, id: number): string {
  return stringAt(t.names, id);
}

/** A name's records as NameRecords (fresh arrays: the caller may keep or change them). */
export function recordsAt(t: PackedTable, id: number): NameRecords {
  const a: string[] = [];
  const aaaa: string[] = [];
  const srv: SrvRecord[] = [];
  for (let r = t.recStart[id], end = t.recStart[id + 1]; r < end; r++) {
    const port = t.recPort[r];
    if (port === KIND_A) a.push(stringAt(t.ips, t.recValue[r]));
    else if (port === KIND_AAAA) aaaa.push(stringAt(t.ips, t.recValue[r]));
    else {
      const extra = t.srvExtra;
      srv.push({
        target: nameAt(t, t.recValue[r]),
        port,
        priority: extra ? extra[r] >>> 16 : t.srvPriority,
        weight: extra ? extra[r] & 0xffff : t.srvWeight,
      });
    }
  }
  return { a, aaaa, srv };
}

/** name -> NameRecords over a packed table: owners only, in the order they were first added. */
export class PackedNames extends MapView<NameRecords> {
  readonly #t: PackedTable;

  constructor(t: PackedTable) {
    super();
    this.#t = t;
  }

  get size(): number {
    return this.#t.ownerCount;
  }

  has(name: string): boolean {
    const id = findName(this.#t, name);
    return id >= 0 && this.#t.nameKind[id] === NAME_OWNER;
  }

  get(name: string): NameRecords | undefined {
    const id = findName(this.#t, name);
    return id >= 0 && this.#t.nameKind[id] === NAME_OWNER ? recordsAt(this.#t, id) : undefined;
  }

  *#ids(): Generator<number> {
    const kind = this.#t.nameKind;
    for (let id = 0; id < kind.length; id++) if (kind[id] === NAME_OWNER) yield id;
  }

  *entries(): MapIterator<[string, NameRecords]> {
    for (const id of this.#ids()) yield [nameAt(this.#t, id), recordsAt(this.#t, id)];
  }

  *keys(): MapIterator<string> {
    for (const id of this.#ids()) yield nameAt(this.#t, id);
  }

  // One pass over the name ids, without the [name, records] pairs entries() would make.
  override *values(): MapIterator<NameRecords> {
    for (const id of this.#ids()) yield recordsAt(this.#t, id);
  }

}

/** The names that exist in the zone (owners and empty non-terminals) over a packed table. */
export class PackedExisting extends SetView {
  readonly #t: PackedTable;

  constructor(t: PackedTable) {
    super();
    this.#t = t;
  }

  get size(): number {
    return this.#t.existingCount;
  }

  has(name: string): boolean {
    const id = findName(this.#t, name);
    return id >= 0 && this.#t.nameKind[id] !== NAME_TARGET;
  }

  *keys(): SetIterator<string> {
    const kind = this.#t.nameKind;
    // Owners first, then empty non-terminals, as the object table listed them.
    for (let id = 0; id < kind.length; id++) if (kind[id] === NAME_OWNER) yield nameAt(this.#t, id);
    for (let id = 0; id < kind.length; id++) if (kind[id] === NAME_ENT) yield nameAt(this.#t, id);
  }

}

/** Bytes a packed table holds (for logs and benchmarks). */
export function packedBytes(t: PackedTable): number {
  return (
    t.names.bytes.byteLength +
    t.names.ends.byteLength +
    t.nameKind.byteLength +
    t.slots.byteLength +
    t.recStart.byteLength +
    t.recPort.byteLength +
    t.recValue.byteLength +
    t.ips.bytes.byteLength +
    t.ips.ends.byteLength +
    (t.srvExtra?.byteLength ?? 0)
  );
}

/**
 * The same table with every array moved into one SharedArrayBuffer, so that handing it to the
 * DNS worker threads shares it instead of copying it: one copy of the table per process,
 * however many threads answer from it (workers/supervisor.ts).
 */
export function sharePacked(t: PackedTable): PackedTable {
  const parts: Array<Uint8Array | Int32Array> = [t.names.bytes, t.names.ends, t.nameKind, t.slots, t.recStart, t.recPort, t.recValue, t.ips.bytes, t.ips.ends];
  if (t.srvExtra) parts.push(t.srvExtra);
  // Int32Arrays need 4-byte aligned offsets.
  const align = (n: number): number => (n + 3) & ~3;
  let total = 0;
  for (const p of parts) total = align(total) + p.byteLength;
  const shared = new SharedArrayBuffer(align(total));
  let at = 0;
  const moved = parts.map((p) => {
    at = align(at);
    const view = p instanceof Int32Array ? new Int32Array(shared, at, p.length) : new Uint8Array(shared, at, p.length);
    view.set(p);
    at += p.byteLength;
    return view;
  });
  const bytes = (v: Uint8Array | Int32Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  const int32 = (v: Uint8Array | Int32Array): Int32Array => v as Int32Array;
  return {
    names: { bytes: bytes(moved[0]), ends: int32(moved[1]) },
    nameKind: moved[2] as Uint8Array,
    ownerCount: t.ownerCount,
    existingCount: t.existingCount,
    slots: int32(moved[3]),
    recStart: int32(moved[4]),
    recPort: int32(moved[5]),
    recValue: int32(moved[6]),
    ips: { bytes: bytes(moved[7]), ends: int32(moved[8]) },
    srvPriority: t.srvPriority,
    srvWeight: t.srvWeight,
    srvExtra: t.srvExtra ? int32(moved[9]) : null,
  };
}
