// The wire forms of a packed table's names and IPv4 addresses (records/packed-table.ts), as a
// whole-zone transfer of the Mesos zone writes them (axfr-writer.ts, mesos-axfr.ts). Made on
// first use, one name or address at a time, and kept with the packed table (a WeakMap): every
// version patched over the same base (records/incremental/) reuses what earlier transfers found.
//
// A name is an integer id: a packed name's own id, or an id past the table's names for a name
// the table does not hold (an SRV target's parent, the SOA RNAME's). Compression (RFC 1035
// §4.1.4) remembers where each suffix was written by its id, so writing a name is a walk of its
// parents (`parent`) with an array read per label, instead of a string and a map lookup per
// label and record (name-wire.ts NameCompressor). The ids must mean what the NameCompressor's
// keys mean, the exact wire bytes of the suffix, so that the output is the same byte for byte:
// each suffix gets one id, its packed id when the table holds its text, else an extra one.
//
// A packed name is "plain" when its text is its wire form with '.' for the length octets:
// absolute (trailing dot), no '\' escape (name-wire.ts's `\DDD`), no empty label, labels of at
// most 63 octets, at most 255 octets in all. Every name a build makes is plain; any other one is
// taken through nameToWire like the generic encoder does (and skipped where that fails).
import { findBytes, FNV_OFFSET, fnv1aStep, nameAt, stringAt, type PackedTable } from '../../../records/packed-table.js';
import { MAX_LABEL_OCTETS, MAX_NAME_OCTETS } from '../../wire/constants.js';
import { ipv4Bytes } from '../../wire/address-bytes.js';
import { nameToWire } from '../../wire/name-wire.js';

/** The parent of a single-label name. */
export const ROOT = -1;
/** A name that has no wire form (the generic encoder skips its records too). */
export const INVALID = -2;

const DOT = 0x2e;
const BACKSLASH = 0x5c;
/** #labelLen of a packed name that is not plain. */
const NOT_PLAIN = 0xff;

export class PackedWire {
  readonly packed: PackedTable;
  /** Packed names; extra ids start here. */
  readonly count: number;
  /** Per packed name: 0 not yet looked at, 1..63 plain (its first label's length), NOT_PLAIN. */
  readonly #labelLen: Uint8Array;
  readonly #parent: Int32Array;
  /** Packed names that are not plain -> the id of their wire form (or INVALID). */
  readonly #notPlain = new Map<number, number>();
  /** Extra names: full wire form, parent, by the wire bytes as latin1 (the NameCompressor's key). */
  readonly #extraWire: Buffer[] = [];
  readonly #extraParent: number[] = [];
  readonly #extraByKey = new Map<string, number>();
  /** Per IP id: the IPv4 address as a 32-bit value, valid where #ipState is 1 (2: not an IPv4). */
  readonly #ipv4: Int32Array;
  readonly #ipState: Uint8Array;
  /** Per packed name: 0 not yet looked at, 1 in the zone transfer, 2 not (zones.ts transferable). */
  readonly #inZone: Uint8Array;
  /** The apex #inZone answers for, and the caller's buffer it was last given as (checked by identity first). */
  #inZoneOf: Buffer | undefined;
  #inZoneSeen: Buffer | undefined;
  #scratch = Buffer.allocUnsafe(MAX_NAME_OCTETS + 1);

  constructor(packed: PackedTable) {
    this.packed = packed;
    this.count = packed.nameKind.length;
    this.#labelLen = new Uint8Array(this.count);
    this.#parent = new Int32Array(this.count);
    this.#ipv4 = new Int32Array(packed.ips.ends.length);
    this.#ipState = new Uint8Array(packed.ips.ends.length);
    this.#inZone = new Uint8Array(this.count);
  }

  /** Ids in use so far (packed and extra): the size a table indexed by id needs. */
  get size(): number {
    return this.count + this.#extraWire.length;
  }

  /** The id to write packed name `id` as: itself when plain, else its wire form's, or INVALID. */
  ofPacked(id: number): number {
    let l = this.#labelLen[id];
    if (l === 0) l = this.#examine(id);
    if (l !== NOT_PLAIN) return id;
    let to = this.#notPlain.get(id);
    if (to === undefined) {
      const wire = nameToWire(nameAt(this.packed, id));
      to = wire === undefined ? INVALID : this.ofWire(wire);
      this.#notPlain.set(id, to);
    }
    return to;
  }

  /** The id of a name given as text (the SOA's names, an overlay's names), or INVALID. */
  ofName(name: string): number {
    const wire = nameToWire(name);
    return wire === undefined ? INVALID : this.ofWire(wire);
  }

  /** The id of a name in wire form (uncompressed): the packed name with the same bytes, else an extra id. */
  ofWire(wire: Buffer): number {
    if (wire[0] === 0) return ROOT;
    // Its text is the wire with '.' for the length octets, unless a label holds '.' or '\'.
    const text = this.#scratch;
    let plain = true;
    let n = 0;
    for (let j = 0; wire[j] !== 0; j += wire[j] + 1) {
      for (let k = j + 1; k <= j + wire[j]; k++) {
        const b = wire[k];
        if (b === DOT || b === BACKSLASH) plain = false;
        text[n++] = b;
      }
      text[n++] = DOT;
    }
    if (plain) {
      let h = FNV_OFFSET;
      for (let i = 0; i < n; i++) h = fnv1aStep(h, text[i]);
      const id = findBytes(this.packed.names, this.packed.slots, h, text, n);
      if (id >= 0) {
        if (this.#labelLen[id] === 0) this.#examine(id);
        return id;
      }
    }
    const key = wire.toString('latin1');
    let extra = this.#extraByKey.get(key);
    if (extra === undefined) {
      const own = Buffer.from(wire); // the caller's buffer may be reused (nameToWire's)
      const parent = this.ofWire(own.subarray(own[0] + 1));
      extra = this.count + this.#extraWire.length;
      this.#extraWire.push(own);
      this.#extraParent.push(parent);
      this.#extraByKey.set(key, extra);
    }
    return extra;
  }

  /** The name one label up from `id` (an id from ofPacked/ofWire), ROOT above a single label. */
  parent(id: number): number {
    return id < this.count ? this.#parent[id] : this.#extraParent[id - this.count];
  }

  /** Writes `id`'s first label (length octet and bytes) at `pos`; returns the offset after it. */
  writeLabel(id: number, out: Buffer, pos: number): number {
    if (id < this.count) {
      const len = this.#labelLen[id];
      const ends = this.packed.names.ends;
      const start = id === 0 ? 0 : ends[id - 1];
      out[pos] = len;
      const bytes = this.packed.names.bytes;
      for (let i = 0; i < len; i++) out[pos + 1 + i] = bytes[start + i];
      return pos + 1 + len;
    }
    const wire = this.#extraWire[id - this.count];
    const len = wire[0];
    for (let i = 0; i <= len; i++) out[pos + i] = wire[i];
    return pos + 1 + len;
  }

  /**
   * IP id `ip` as an IPv4 address (a 32-bit value), or undefined where address-bytes.ts
   * ipv4Bytes rejects it (the generic encoder skips that record).
   */
  ipv4(ip: number): number | undefined {
    let state = this.#ipState[ip];
    if (state === 0) {
      const bytes = ipv4Bytes(stringAt(this.packed.ips, ip));
      state = bytes === undefined ? 2 : 1;
      if (bytes !== undefined) this.#ipv4[ip] = bytes.readInt32BE(0);
      this.#ipState[ip] = state;
    }
    return state === 1 ? this.#ipv4[ip] : undefined;
  }

  /**
   * Whether packed name `id` is transferred in the zone whose apex is `apex` (its bytes): the
   * apex or under it, and no upper-case letter (zones.ts `transferable`, which decides any name
   * that is not ASCII). Answered once per name and kept.
   */
  inZone(id: number, apex: Buffer, transferable: (name: string) => boolean): boolean {
    // The answers are for one apex (a table has one zone; this guards against a second caller).
    if (apex !== this.#inZoneSeen) {
      if (this.#inZoneOf !== undefined && !this.#inZoneOf.equals(apex)) this.#inZone.fill(0);
      this.#inZoneOf = Buffer.from(apex);
      this.#inZoneSeen = apex;
    }
    let state = this.#inZone[id];
    if (state === 0) {
      const { bytes, ends } = this.packed.names;
      const start = id === 0 ? 0 : ends[id - 1];
      const end = ends[id];
      let ascii = true;
      let upper = false;
      for (let i = start; i < end; i++) {
        const b = bytes[i];
        if (b >= 0x80) ascii = false;
        else if (b >= 0x41 && b <= 0x5a) upper = true;
      }
      if (!ascii) state = transferable(nameAt(this.packed, id)) ? 1 : 2;
      else {
        const len = end - start;
        let under = !upper && (len === apex.length || (len > apex.length && bytes[end - apex.length - 1] === DOT));
        for (let i = 0, at = end - apex.length; under && i < apex.length; i++) under = bytes[at + i] === apex[i];
        state = under ? 1 : 2;
      }
      this.#inZone[id] = state;
    }
    return state === 1;
  }

  /** Decides whether packed name `id` is plain; when it is, finds its parent too. */
  #examine(id: number): number {
    const { bytes, ends } = this.packed.names;
    const start = id === 0 ? 0 : ends[id - 1];
    const end = ends[id];
    let first = -1;
    let labelStart = start;
    let ok = end - start >= 2 && end - start + 1 <= MAX_NAME_OCTETS && bytes[end - 1] === DOT;
    for (let i = start; ok && i < end; i++) {
      const b = bytes[i];
      if (b === BACKSLASH) ok = false;
      else if (b === DOT) {
        const len = i - labelStart;
        if (len === 0 || len > MAX_LABEL_OCTETS) ok = false;
        if (first < 0) first = len;
        labelStart = i + 1;
      }
    }
    if (!ok) {
      this.#labelLen[id] = NOT_PLAIN;
      return NOT_PLAIN;
    }
    // The parent: the text after the first label, looked up as bytes (a suffix of a plain name
    // is plain); a parent the table does not hold gets an extra id.
    const from = start + first + 1;
    let parent = ROOT;
    if (from < end) {
      let h = FNV_OFFSET;
      for (let i = from; i < end; i++) h = fnv1aStep(h, bytes[i]);
      const key = new Uint8Array(bytes.buffer, bytes.byteOffset + from, end - from);
      parent = findBytes(this.packed.names, this.packed.slots, h, key, end - from);
      if (parent >= 0 && this.#labelLen[parent] === 0) this.#examine(parent);
      if (parent < 0) {
        const wire = Buffer.allocUnsafe(end - from + 1);
        let at = 0;
        let lenAt = 0;
        for (let i = from; i < end; i++) {
          if (bytes[i] === DOT) {
            wire[lenAt] = at - lenAt;
            lenAt = ++at;
          } else wire[++at] = bytes[i];
        }
        wire[lenAt] = 0;
        parent = this.ofWire(wire);
      }
    }
    this.#parent[id] = parent;
    this.#labelLen[id] = first;
    return first;
  }
}

const byTable = new WeakMap<PackedTable, PackedWire>();

/** The PackedWire of `packed`, made on first use and kept as long as the table lives. */
export function packedWire(packed: PackedTable): PackedWire {
  let wire = byTable.get(packed);
  if (wire === undefined) {
    wire = new PackedWire(packed);
    byTable.set(packed, wire);
  }
  return wire;
}
