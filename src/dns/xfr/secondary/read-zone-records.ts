// A whole zone's records read from the reply messages straight into its packed form (ZoneRecords,
// packed-zone.ts): names go from their wire form (RFC 1035 §4.1.4 pointers followed) to the
// presentation bytes the copy stores, lower-cased (RFC 4343), without a string or an object per
// record. The types a Mesos zone holds by the million (A, SRV; and NS, PTR, CNAME) take this
// path; any other record, and any name with a byte that presentation form escapes, goes through
// the general reader (read-transfer.ts), so what is stored is the same either way. Pure.
import { TransferInError } from '../../../errors.js';
import { MAX_NAME_OCTETS } from '../../wire/constants.js';
import { QTYPE } from '../../wire/message.js';
import type { ScannedRecord } from '../../wire/reply-scan.js';
import type { ZoneRecords } from './packed-zone.js';

function malformed(what: string): never {
  throw new TransferInError('malformed', `malformed transfer message: ${what}`);
}

/** Where a name is read to (a name's presentation form is at most 4 bytes per octet, "\DDD"). */
const scratch = Buffer.allocUnsafeSlow(4 * MAX_NAME_OCTETS + 2);
/** The length of the name read last into `scratch`. */
let nameLength = 0;
/** readNameBytes: a name that needs escapes; the caller takes the general path. */
const ESCAPED = -1;

/**
 * Reads the name at `at` (its bytes ending before `end`, pointers anywhere before it) into
 * `scratch` as lower-case presentation bytes with the final dot; returns the offset after it,
 * or ESCAPED. Fails as readName (name-wire.ts) does: a pointer that does not go backwards, a
 * reserved label type, a name past `end` or longer than 255 octets.
 */
function readNameBytes(buf: Buffer, at: number, end: number): number {
  let pos = at;
  let segmentStart = at;
  let next = -1;
  let octets = 1;
  let length = 0;
  for (;;) {
    if (pos >= end) malformed('a name does not parse');
    const len = buf[pos];
    if (len === 0) {
      pos += 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= end) malformed('a name does not parse');
      const target = ((len & 0x3f) << 8) | buf[pos + 1];
      if (target >= segmentStart) malformed('a name does not parse');
      if (next < 0) next = pos + 2;
      segmentStart = target;
      pos = target;
      continue;
    }
    if (kind !== 0 || pos + 1 + len > end) malformed('a name does not parse');
    octets += len + 1;
    if (octets > MAX_NAME_OCTETS) malformed('a name does not parse');
    for (let i = pos + 1; i <= pos + len; i++) {
      const b = buf[i];
      // name-wire.ts writes these escaped (\. \\ \DDD): left to it.
      if (b <= 0x20 || b >= 0x7f || b === 0x2e || b === 0x5c) return ESCAPED;
      scratch[length++] = b >= 0x41 && b <= 0x5a ? b + 0x20 : b;
    }
    scratch[length++] = 0x2e;
    pos += 1 + len;
  }
  // The root: "." (readName's '' made absolute).
  if (length === 0) scratch[length++] = 0x2e;
  nameLength = length;
  return next < 0 ? pos : next;
}

/**
 * Reads a whole zone's records into `zone`. It remembers the names already read in the message
 * being read, by where their wire form starts: a name met again is a compression pointer to its
 * first occurrence (RFC 1035 §4.1.4), and a whole zone names each owner once per record and each
 * target several times, so most names are found here instead of read and interned again.
 */
export class WireZoneReader {
  readonly zone: ZoneRecords;
  /** Per message offset (< 64 KiB): the message count when a name starting there was read, its id, whether it is in the zone. */
  readonly #seen = new Int32Array(0x10000);
  readonly #id = new Int32Array(0x10000);
  readonly #inZone = new Uint8Array(0x10000);
  #buf: Buffer | undefined;
  #message = 0;
  /** Set by #nameIdAt: whether the name is in the zone. */
  #nameInZone = false;

  constructor(zone: ZoneRecords) {
    this.zone = zone;
  }

  /**
   * Adds record `r` of message `buf` (an answer record of class IN, not an SOA); false when the
   * caller must read it the general way (a type or a name this path leaves to it).
   */
  add(buf: Buffer, r: ScannedRecord): boolean {
    const type = r.type;
    if (type !== QTYPE.A && type !== QTYPE.SRV && type !== QTYPE.NS && type !== QTYPE.PTR && type !== QTYPE.CNAME) return false;
    if (buf !== this.#buf) {
      this.#buf = buf;
      this.#message++;
    }
    const at = r.rdataOffset;
    const end = r.end;
    // Everything is read and checked before the record is added, so that one left to the general path is not half added.
    let target = 0;
    if (type === QTYPE.A) {
      if (end - at !== 4) malformed(`RDATA of type ${type} is ${end - at} octets, not 4`);
    } else {
      if (type === QTYPE.SRV && end - at < 7) malformed('SRV RDATA too short');
      const nameAt = type === QTYPE.SRV ? at + 6 : at;
      // The end of the name is checked on its bytes (a name found again is not read again).
      if (readNameEnd(buf, nameAt, end) !== end) malformed(type === QTYPE.SRV ? 'SRV RDATA length' : 'RDATA length');
      target = this.#nameIdAt(buf, nameAt, end);
      if (target === ESCAPED) return false;
    }
    const owner = this.#nameIdAt(buf, r.start, end);
    if (owner === ESCAPED) return false;
    const zone = this.zone;
    if (!this.#nameInZone) {
      zone.skipOutside();
      return true;
    }
    if (type === QTYPE.A) zone.addPacked(owner, QTYPE.A, buf.readInt32BE(at));
    else if (type === QTYPE.SRV) zone.addPacked(owner, QTYPE.SRV, target, (buf.readUInt16BE(at) << 16) | buf.readUInt16BE(at + 2), buf.readUInt16BE(at + 4));
    else zone.addPacked(owner, type, target);
    return true;
  }

  /** The zone's id of the name at `at` (in a record ending at `end`), interned if new, with #nameInZone set; ESCAPED when it needs the general reader. */
  #nameIdAt(buf: Buffer, at: number, end: number): number {
    // A name that is a pointer is the name where it points, which was read (and checked) before it.
    let key = at;
    if ((buf[at] & 0xc0) === 0xc0 && at + 1 < end) {
      const target = ((buf[at] & 0x3f) << 8) | buf[at + 1];
      if (target < at) key = target;
    }
    if (this.#seen[key] === this.#message) {
      this.#nameInZone = this.#inZone[key] === 1;
      return this.#id[key];
    }
    if (readNameBytes(buf, at, end) === ESCAPED) return ESCAPED;
    const id = this.zone.nameId(scratch.subarray(0, nameLength));
    this.#nameInZone = this.zone.holds(scratch, nameLength);
    this.#seen[key] = this.#message;
    this.#id[key] = id;
    this.#inZone[key] = this.#nameInZone ? 1 : 0;
    return id;
  }
}

/** Where the name at `at` ends in the message (after its first pointer or its root label), checked as readNameBytes checks it. */
function readNameEnd(buf: Buffer, at: number, end: number): number {
  let pos = at;
  for (;;) {
    if (pos >= end) malformed('a name does not parse');
    const len = buf[pos];
    if (len === 0) return pos + 1;
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= end) malformed('a name does not parse');
      return pos + 2;
    }
    if ((len & 0xc0) !== 0 || pos + 1 + len > end) malformed('a name does not parse');
    pos += 1 + len;
  }
}
