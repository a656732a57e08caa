// A zone's records packed (a secondary's copy, zone-copy.ts): every name once as UTF-8 bytes in
// one blob with a hash index (the primary's name-interner.ts and packed-table.ts form), and per
// record a few integers in typed arrays, grouped by owner. Pure.
//
// Why: a copy holds every record of the zone, 1.2 million at 100,000 tasks. As a Map of owner
// strings to arrays of RData objects that was 230 MB of heap, more than the primary needs to
// serve the same zone; packed it is a few flat arrays (docs/performance.md, "A mesos-dns-ts
// secondary"), which the garbage collector does not walk, and the table is built from them by
// name bytes (secondary-table.ts) without a string per name.
//
// Per record: recType (the RR type), recValue (A: the address as 32 bits; AAAA and the names of
// SRV, NS, PTR and CNAME: a name id, the AAAA's canonical text interned as a name; others: an
// index into `others`, which keeps their RData), and for SRV recPort and recExtra
// (priority << 16 | weight).
import { TransferInError } from '../../../errors.js';
import { NameInterner, NO_PART } from '../../../records/name-interner.js';
import { findString, firstSlot, fnv1aStep, FNV_OFFSET, stringAt, type StringBlob } from '../../../records/packed-table.js';
import { QTYPE, type RData } from '../../wire/message.js';
import { recordKey } from '../zones.js';

/** recType of a record kept as its RData object in `others` (types a Mesos zone does not hold). */
const OTHER = 0;

export interface PackedZone {
  /** Owners and the names in RDATA, absolute as they came (lower-case from a transfer). */
  readonly names: StringBlob;
  readonly slots: Int32Array;
  /** Owner i's name id, in the order the owners first came. */
  readonly owners: Int32Array;
  /** Per name id: its owner index, or -1 (a name only found in RDATA). */
  readonly ownerOf: Int32Array;
  /** Owner i's records are [recStart[i], recStart[i + 1]). */
  readonly recStart: Int32Array;
  readonly recType: Uint16Array;
  readonly recValue: Int32Array;
  readonly recExtra: Int32Array;
  readonly recPort: Uint16Array;
  readonly others: readonly RData[];
}

const inZone = (owner: string, apex: string, dotApex: string): boolean => owner === apex || owner.endsWith(dotApex);

/** IPv4 dotted-quad text -> its 32 bits (as an int32), or undefined when it is not one. */
function ipv4Bits(text: string): number | undefined {
  let value = 0;
  let part = -1;
  let parts = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i === text.length ? 0x2e : text.charCodeAt(i);
    if (c === 0x2e) {
      if (part < 0 || part > 255) return undefined;
      value = (value << 8) | part;
      part = -1;
      parts++;
    } else if (c >= 0x30 && c <= 0x39) {
      // No leading zeros: the text must come back the same from the bits.
      if (part === 0) return undefined;
      part = part < 0 ? c - 0x30 : part * 10 + (c - 0x30);
    } else return undefined;
  }
  return parts === 4 ? value : undefined;
}

export function ipv4Text(bits: number): string {
  return `${bits >>> 24}.${(bits >>> 16) & 255}.${(bits >>> 8) & 255}.${bits & 255}`;
}

/**
 * Gathers a zone's records (a whole-zone transfer's, as they arrive, or a copy being compacted)
 * and packs them. Records outside the zone are counted and left out (RFC 5936 §3.3); a record
 * repeated is kept once (RFC 2181 §5); an SOA inside the zone is an error, raised by finish()
 * (so that it is counted where the copy is made, as before).
 */
export class ZoneRecords {
  readonly #apex: string;
  readonly #dotApex: string;
  /** The apex as bytes ("mesos."), to test names read as bytes (read-zone-records.ts). */
  readonly #apexBytes: Buffer;
  #names: NameInterner;
  /** Per record logged: owner name id, type, value, extra, port. */
  #log: Int32Array;
  #n = 0;
  readonly #others: RData[] = [];
  #outside = 0;
  #error: TransferInError | undefined;

  constructor(apex: string, expectedRecords = 1024) {
    this.#apex = apex;
    this.#dotApex = `.${apex}`;
    this.#apexBytes = Buffer.from(apex, 'utf8');
    this.#names = new NameInterner(Math.max(1024, expectedRecords >> 1));
    this.#log = new Int32Array(5 * Math.max(1024, expectedRecords));
  }

  get apex(): string {
    return this.#apex;
  }

  /** Records taken so far (repeats included). */
  get length(): number {
    return this.#n / 5;
  }

  get outside(): number {
    return this.#outside;
  }

  add(owner: string, data: RData): void {
    if (!inZone(owner, this.#apex, this.#dotApex)) {
      this.#outside++;
      return;
    }
    // A second SOA at the apex inside the zone would not be a zone (RFC 1035 §5.2).
    if (data.type === QTYPE.SOA) {
      this.#error ??= new TransferInError('malformed', `an SOA record at ${owner} inside the zone ${this.#apex}`);
      return;
    }
    const id = this.#names.intern(owner);
    switch (data.type) {
      case QTYPE.A: {
        const bits = ipv4Bits(data.address);
        if (bits !== undefined) return this.#append(id, QTYPE.A, bits, 0, 0);
        break;
      }
      case QTYPE.AAAA:
        return this.#append(id, QTYPE.AAAA, this.#names.intern(data.address), 0, 0);
      case QTYPE.SRV:
        return this.#append(id, QTYPE.SRV, this.#names.intern(data.target), (data.priority << 16) | (data.weight & 0xffff), data.port);
      case QTYPE.NS:
      case QTYPE.PTR:
      case QTYPE.CNAME:
        return this.#append(id, data.type, this.#names.intern(data.target), 0, 0);
    }
    this.#others.push(data);
    this.#append(id, OTHER, this.#others.length - 1, 0, 0);
  }

  /** Whether the name in bytes[0, length) is the apex or below it. */
  holds(bytes: Uint8Array, length: number): boolean {
    const apex = this.#apexBytes;
    const from = length - apex.length;
    let inside = from === 0 || (from > 0 && bytes[from - 1] === 0x2e);
    for (let i = 0; inside && i < apex.length; i++) inside = bytes[from + i] === apex[i];
    return inside;
  }

  /** A record whose owner is outside the zone, left out (RFC 5936 §3.3). */
  skipOutside(): void {
    this.#outside++;
  }

  /** The id of the name whose bytes these are (interned if new). */
  nameId(bytes: Uint8Array): number {
    return this.#names.internParts(bytes, NO_PART, NO_PART, NO_PART);
  }

  /** A record read from the wire (read-zone-records.ts): an A (value: its 32 bits), or SRV, NS, PTR, CNAME (value: the name id). */
  addPacked(owner: number, type: typeof QTYPE.A | typeof QTYPE.SRV | typeof QTYPE.NS | typeof QTYPE.PTR | typeof QTYPE.CNAME, value: number, extra = 0, port = 0): void {
    this.#append(owner, type, value, extra, port);
  }

  #append(owner: number, type: number, value: number, extra: number, port: number): void {
    if (this.#n + 5 > this.#log.length) {
      const grown = new Int32Array(this.#log.length * 2);
      grown.set(this.#log);
      this.#log = grown;
    }
    const log = this.#log;
    const n = this.#n;
    log[n] = owner;
    log[n + 1] = type;
    log[n + 2] = value;
    log[n + 3] = extra;
    log[n + 4] = port;
    this.#n = n + 5;
  }

  /** The packed zone: owners in the order they first came, each one's records in order, repeats dropped. */
  finish(): PackedZone {
    if (this.#error !== undefined) throw this.#error;
    const log = this.#log;
    const entries = this.#n / 5;
    const keep = keptEntries(log, entries, this.#others);
    const nameCount = this.#names.count;
    const ownerOf = new Int32Array(nameCount).fill(-1);
    const ownerNames: number[] = [];
    const counts: number[] = [];
    let kept = 0;
    for (let i = 0; i < entries; i++) {
      if (keep[i] === 0) continue;
      kept++;
      const id = log[5 * i];
      let o = ownerOf[id];
      if (o < 0) {
        o = ownerOf[id] = ownerNames.length;
        ownerNames.push(id);
        counts.push(0);
      }
      counts[o]++;
    }
    const owners = Int32Array.from(ownerNames);
    const recStart = new Int32Array(owners.length + 1);
    for (let o = 0; o < owners.length; o++) recStart[o + 1] = recStart[o] + counts[o];
    const fill = recStart.slice(0, owners.length);
    const recType = new Uint16Array(kept);
    const recValue = new Int32Array(kept);
    const recExtra = new Int32Array(kept);
    const recPort = new Uint16Array(kept);
    for (let i = 0; i < entries; i++) {
      if (keep[i] === 0) continue;
      const e = 5 * i;
      const r = fill[ownerOf[log[e]]]++;
      recType[r] = log[e + 1];
      recValue[r] = log[e + 2];
      recExtra[r] = log[e + 3];
      recPort[r] = log[e + 4];
    }
    const { bytes, ends, slots } = this.#names.finish();
    // The working arrays go now, not with this gatherer: the caller builds the table next while
    // the transfer that holds it is still on the stack, and they would add to that peak.
    this.#log = new Int32Array(0);
    this.#n = 0;
    this.#names = new NameInterner(0);
    // Copies at their used length: the interner's working arrays are larger.
    return { names: { bytes: Buffer.from(bytes), ends: ends.slice() }, slots, owners, ownerOf, recStart, recType, recValue, recExtra, recPort, others: this.#others };
  }
}

/**
 * Per log entry, 1 unless an earlier entry is the same record of the same owner (RFC 2181 §5:
 * an RRset holds each record once). A hash set over the entries' integers, so that an owner
 * with many records (an app's SRV name) costs no more per record than one with a few.
 */
function keptEntries(log: Int32Array, entries: number, others: readonly RData[]): Uint8Array {
  const keep = new Uint8Array(entries);
  let size = 1024;
  while (size < entries * 2) size *= 2;
  const slots = new Int32Array(size);
  const mask = size - 1;
  const keyOf = (i: number): string | undefined => (log[5 * i + 1] === OTHER ? recordKey(others[log[5 * i + 2]]) : undefined);
  for (let i = 0; i < entries; i++) {
    const e = 5 * i;
    const other = keyOf(i);
    let h = FNV_OFFSET;
    h = fnv1aStep(h, log[e]);
    h = fnv1aStep(h, log[e + 1]);
    if (other === undefined) {
      h = fnv1aStep(h, log[e + 2]);
      h = fnv1aStep(h, log[e + 3]);
      h = fnv1aStep(h, log[e + 4]);
    } else for (let c = 0; c < other.length; c++) h = fnv1aStep(h, other.charCodeAt(c));
    let s = firstSlot(h, mask);
    let seen = false;
    for (; slots[s] !== 0; s = (s + 1) & mask) {
      const f = 5 * (slots[s] - 1);
      if (log[f] !== log[e] || log[f + 1] !== log[e + 1]) continue;
      if (other !== undefined ? keyOf(slots[s] - 1) === other : log[f + 2] === log[e + 2] && log[f + 3] === log[e + 3] && log[f + 4] === log[e + 4]) {
        seen = true;
        break;
      }
    }
    if (seen) continue;
    slots[s] = i + 1;
    keep[i] = 1;
  }
  return keep;
}

/** Owner index of `name` in the zone, or -1. */
export function findOwner(z: PackedZone, name: string): number {
  const id = findString(z.names, z.slots, name);
  return id < 0 ? -1 : z.ownerOf[id];
}

export function ownerName(z: PackedZone, owner: number): string {
  return stringAt(z.names, z.owners[owner]);
}

/** Record r as RData (a fresh object). */
export function rdataAt(z: PackedZone, r: number): RData {
  const type = z.recType[r];
  const value = z.recValue[r];
  switch (type) {
    case QTYPE.A:
      return { type: QTYPE.A, address: ipv4Text(value) };
    case QTYPE.AAAA:
      return { type: QTYPE.AAAA, address: stringAt(z.names, value) };
    case QTYPE.SRV: {
      const extra = z.recExtra[r];
      return { type: QTYPE.SRV, priority: extra >>> 16, weight: extra & 0xffff, port: z.recPort[r], target: stringAt(z.names, value) };
    }
    case QTYPE.NS:
    case QTYPE.PTR:
    case QTYPE.CNAME:
      return { type, target: stringAt(z.names, value) } as RData;
    default:
      return z.others[value];
  }
}

/** Owner o's records as RData, in order. */
export function recordsOfOwner(z: PackedZone, owner: number): RData[] {
  const out: RData[] = [];
  for (let r = z.recStart[owner], end = z.recStart[owner + 1]; r < end; r++) out.push(rdataAt(z, r));
  return out;
}
