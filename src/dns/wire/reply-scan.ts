// A bounds-checked walk over a DNS message's wire form (RFC 1035 §4.1) that records where
// things are rather than decoding them: the forwarding path relays upstream bytes unchanged, and
// only needs to check the question (forward.ts), find the TTL fields (forward-cache.ts) and cut
// a reply down to its question (handle-query.ts). Pure; throws MalformedMessageError.
import { MalformedMessageError } from '../../errors.js';
import { HEADER_LENGTH, MAX_NAME_OCTETS } from './constants.js';

export type Section = 'answer' | 'authority' | 'additional';

export interface ScannedRecord {
  section: Section;
  type: number;
  /** Offset of the owner name, i.e. the record's first byte. */
  start: number;
  /** One past the record's last byte. */
  end: number;
  ttlOffset: number;
  ttl: number;
  rdataOffset: number;
  rdlength: number;
}

export interface ScannedMessage {
  id: number;
  qr: boolean;
  opcode: number;
  tc: boolean;
  rd: boolean;
  /** The header's 4-bit RCODE (extended bits from an OPT record are not folded in). */
  rcode: number;
  qdcount: number;
  /**
   * The first question as a comparison key: the name in wire form with ASCII lower-cased
   * (RFC 4343) and compression expanded, then QTYPE and QCLASS. Undefined when QDCOUNT is 0.
   */
  questionKey?: string;
  /** One past the last byte of the question section. */
  questionEnd: number;
  records: ScannedRecord[];
}

function fail(what: string): never {
  throw new MalformedMessageError(`malformed DNS message: ${what}`);
}

/** Offset just past the name at `offset` (a compression pointer ends a name, RFC 1035 §4.1.4). */
function skipName(buf: Buffer, offset: number): number {
  let at = offset;
  for (;;) {
    if (at >= buf.length) fail('name runs past the end');
    const len = buf[at];
    if (len === 0) return at + 1;
    if ((len & 0xc0) === 0xc0) {
      if (at + 2 > buf.length) fail('truncated compression pointer');
      return at + 2;
    }
    if ((len & 0xc0) !== 0) fail('reserved label type');
    at += 1 + len;
  }
}

/** The name at `offset`, expanded and lower-cased, as latin1 text of its wire form. */
function readNameKey(buf: Buffer, offset: number): string {
  const octets: number[] = [];
  let at = offset;
  let jumps = 0;
  for (;;) {
    if (at >= buf.length) fail('name runs past the end');
    const len = buf[at];
    if (len === 0) break;
    if ((len & 0xc0) === 0xc0) {
      if (at + 2 > buf.length) fail('truncated compression pointer');
      const target = ((len & 0x3f) << 8) | buf[at + 1];
      // Pointers must go back to a prior occurrence (RFC 1035 §4.1.4); that also rules out loops.
      if (target >= at || ++jumps > 127) fail('compression pointer does not point backwards');
      at = target;
      continue;
    }
    if ((len & 0xc0) !== 0) fail('reserved label type');
    if (at + 1 + len > buf.length) fail('label runs past the end');
    octets.push(len);
    for (let i = at + 1; i <= at + len; i++) {
      const c = buf[i];
      octets.push(c >= 0x41 && c <= 0x5a ? c + 0x20 : c);
    }
    if (octets.length + 1 > MAX_NAME_OCTETS) fail('name longer than 255 octets');
    at += 1 + len;
  }
  octets.push(0);
  return Buffer.from(octets).toString('latin1');
}

export function scanMessage(buf: Buffer): ScannedMessage {
  if (buf.length < HEADER_LENGTH) fail('shorter than a header');
  const flags = buf.readUInt16BE(2);
  const qdcount = buf.readUInt16BE(4);
  const counts: [Section, number][] = [
    ['answer', buf.readUInt16BE(6)],
    ['authority', buf.readUInt16BE(8)],
    ['additional', buf.readUInt16BE(10)],
  ];
  let at = HEADER_LENGTH;
  let questionKey: string | undefined;
  for (let q = 0; q < qdcount; q++) {
    const nameEnd = skipName(buf, at);
    if (nameEnd + 4 > buf.length) fail('question runs past the end');
    if (q === 0) questionKey = readNameKey(buf, at) + buf.toString('latin1', nameEnd, nameEnd + 4);
    at = nameEnd + 4;
  }
  const questionEnd = at;
  const records: ScannedRecord[] = [];
  for (const [section, count] of counts) {
    for (let r = 0; r < count; r++) {
      const start = at;
      const nameEnd = skipName(buf, at);
      if (nameEnd + 10 > buf.length) fail('record header runs past the end');
      const rdlength = buf.readUInt16BE(nameEnd + 8);
      const end = nameEnd + 10 + rdlength;
      if (end > buf.length) fail('rdata runs past the end');
      records.push({
        section,
        type: buf.readUInt16BE(nameEnd),
        start,
        end,
        ttlOffset: nameEnd + 4,
        ttl: buf.readUInt32BE(nameEnd + 4),
        rdataOffset: nameEnd + 10,
        rdlength,
      });
      at = end;
    }
  }
  return {
    id: buf.readUInt16BE(0),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    rcode: flags & 0xf,
    qdcount,
    questionKey,
    questionEnd,
    records,
  };
}

/** One past the first question of a message that has one (for patching a cached reply's question). */
export function firstQuestionEnd(buf: Buffer): number {
  if (buf.length < HEADER_LENGTH || buf.readUInt16BE(4) === 0) fail('no question');
  const end = skipName(buf, HEADER_LENGTH) + 4;
  if (end > buf.length) fail('question runs past the end');
  return end;
}
