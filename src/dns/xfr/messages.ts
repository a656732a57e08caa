// Zone transfer replies as DNS messages (RFC 5936 §2.2, RFC 1995 §4). Pure. A transfer is a
// sequence of records split over as many messages as it takes, each at most `maxSize` octets
// (64 KiB over TCP) with names compressed within it (RFC 1035 §4.1.4: pointers reach only into
// the same message). The question is in the first message only (RFC 5936 §2.2.1: "MAY" in the
// later ones; BIND and Knot leave it out). Every message: QR, AA, opcode QUERY, RCODE NOERROR,
// the request's ID.
import { HEADER_LENGTH, TCP_MAX } from '../wire/constants.js';
import { writeRecord } from '../wire/encode.js';
import { Writer } from '../wire/writer.js';
import { QCLASS, QTYPE, type Question, type ResourceRecord } from '../wire/message.js';
import { NameCompressor, nameToWire } from '../wire/name-wire.js';
import type { JournalEntry } from './journal.js';
import { ttlOf, type TransferZone } from './zones.js';

/** The apex SOA as a record, with `serial` when given (IXFR's older SOAs). */
export function soaRecord(zone: TransferZone, serial = zone.soa.serial): ResourceRecord {
  return { name: zone.apex, ttl: zone.ttl, data: { ...zone.soa, serial } };
}

/** AXFR (RFC 5936 §2.2): the SOA, every other record, the SOA again. */
export function* axfrRecords(zone: TransferZone): Generator<ResourceRecord> {
  const soa = soaRecord(zone);
  yield soa;
  if (zone.entries) {
    for (const [owner, records] of zone.entries()) for (const data of records) yield { name: owner, ttl: zone.ttl, data };
  } else {
    for (const owner of zone.owners()) {
      for (const data of zone.records(owner) ?? []) yield { name: owner, ttl: ttlOf(zone, owner, data), data };
    }
  }
  yield soa;
}

/**
 * The whole zone's AXFR messages, ID 0 (the request's goes in later, transfer-service.ts), RD
 * clear, the question `apex AXFR IN`, each at most 65535 - `reserve` octets: the zone's own fast
 * encoder when it has one (the Mesos zone: axfr/mesos-axfr.ts), else transferMessages over
 * axfrRecords.
 */
export function wholeZoneMessages(zone: TransferZone, reserve: number): Iterable<Buffer> {
  return zone.wholeZoneMessages?.(reserve) ?? transferMessages({ id: 0, rd: false }, { name: zone.apex, type: QTYPE.AXFR, class: QCLASS.IN }, axfrRecords(zone), TCP_MAX, reserve);
}

/**
 * IXFR (RFC 1995 §4): the new SOA, then per change the old SOA, the records it deletes, the new
 * SOA, the records it adds; the new SOA last.
 */
export function* ixfrRecords(zone: TransferZone, entries: readonly JournalEntry[]): Generator<ResourceRecord> {
  const newest = soaRecord(zone);
  yield newest;
  for (const e of entries) {
    yield soaRecord(zone, e.from);
    yield* e.removed;
    yield soaRecord(zone, e.to);
    yield* e.added;
  }
  yield newest;
}

export interface MessageHeader {
  id: number;
  /** The request's RD (RFC 1035 §4.1.1: copied into the response). */
  rd: boolean;
}

/**
 * The messages carrying `records`, each at most `maxSize` octets less `reserve` (room for the
 * TSIG RR each will get). A record that cannot be encoded is skipped (encode.ts does the same).
 */
export function* transferMessages(header: MessageHeader, question: Question, records: Iterable<ResourceRecord>, maxSize = TCP_MAX, reserve = 0): Generator<Buffer> {
  const limit = Math.min(maxSize, TCP_MAX) - reserve;
  let w: Writer | undefined;
  let names = new NameCompressor();
  let count = 0;
  let first = true;
  const start = (): Writer => {
    const writer = new Writer(4096);
    writer.ensure(HEADER_LENGTH);
    writer.pos = HEADER_LENGTH;
    names = new NameCompressor();
    count = 0;
    if (first) {
      const qname = nameToWire(question.name);
      if (qname) {
        writer.ensure(qname.length + 4);
        writer.pos = names.write(writer.buf, writer.pos, qname, true);
        writer.u16(question.type);
        writer.u16(question.class);
      }
    }
    return writer;
  };
  const finish = (writer: Writer): Buffer => {
    const b = Buffer.from(writer.buf.subarray(0, writer.pos));
    b.writeUInt16BE(header.id, 0);
    b[2] = 0x80 | 0x04 | (header.rd ? 0x01 : 0); // QR, opcode QUERY, AA
    b[3] = 0;
    b.writeUInt16BE(first ? 1 : 0, 4);
    b.writeUInt16BE(count, 6);
    b.writeUInt16BE(0, 8);
    b.writeUInt16BE(0, 10);
    first = false;
    return b;
  };
  for (const rr of records) {
    w ??= start();
    const before = w.pos;
    if (!writeRecord(w, names, rr, undefined)) continue;
    if (w.pos > limit && count > 0) {
      // Does not fit: end this message before the record and write it again into the next.
      w.pos = before;
      yield finish(w);
      w = start();
      if (!writeRecord(w, names, rr, undefined)) continue;
    }
    count++;
  }
  yield finish(w ?? start());
}

/** The class a transfer question must have: IN (RFC 5936 §2.1 allows ANY too; we answer both as IN). */
export function transferClassOk(klass: number): boolean {
  return klass === QCLASS.IN || klass === QCLASS.ANY;
}
