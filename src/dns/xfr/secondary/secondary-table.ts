// A secondary's zone copies -> the record table the Mesos build makes (records/table.ts): the
// Mesos zone packed by TableBuilder (so the fast path, /v1/hosts and /v1/services read it as
// they read a built table), each reverse zone's PTRs as reverse data. SOA fields and serials are
// the primary's, unchanged: a secondary serves the versions its primary made (RFC 1996 §2). Pure.
//
// What the table cannot hold is left out and counted: in the Mesos zone only A, AAAA and SRV
// (and the apex NS) are kept, in a reverse zone only PTR (and the apex NS). Every record gets
// the zone's SOA TTL, as every record of a table has one TTL, and of SRV records that differ
// only in priority or weight the first is kept (the table's de-duplication key is target and port).
import { QTYPE, type RData } from '../../wire/message.js';
import { TableBuilder } from '../../../records/table-builder.js';
import { PackedExisting, PackedNames } from '../../../records/packed-table.js';
import { reverseTable, type ReverseData } from '../../../records/reverse-table.js';
import type { RecordTable, SoaData } from '../../../records/table.js';
import type { ZoneCopy } from './zone-copy.js';

export interface SecondaryTable {
  table: RecordTable;
  /** Records left out, by zone: types the table does not hold there. */
  leftOut: Map<string, number>;
}

function soaData(copy: ZoneCopy): SoaData {
  const s = copy.soa;
  return Object.freeze({ zone: copy.apex, mname: s.mname, rname: s.rname, serial: s.serial, refresh: s.refresh, retry: s.retry, expire: s.expire, minimum: s.minimum });
}

/**
 * The table of `mesos` (the Domain's copy) and the reverse zones' copies. `srvWeight`: the
 * weight most SRV records have (SRVRecordDefaultWeight), so others alone cost an extra slot.
 * `expired`: the zones past SOA EXPIRE without contact, answered SERVFAIL (RecordTable.expired).
 */
export function secondaryTable(mesos: ZoneCopy, reverse: readonly ZoneCopy[], srvWeight: number, expired: readonly string[] = []): SecondaryTable {
  const leftOut = new Map<string, number>();
  const skip = (zone: string): void => {
    leftOut.set(zone, (leftOut.get(zone) ?? 0) + 1);
  };
  const b = new TableBuilder(0, srvWeight, { names: mesos.owners.size * 2 + 16, records: mesos.owners.size * 3 + 16 });
  const ns: string[] = [];
  for (const [owner, records] of mesos.owners) {
    const id = b.name(owner);
    for (const data of records) {
      if (data.type === QTYPE.A) b.addA(id, b.ip(data.address));
      else if (data.type === QTYPE.AAAA) b.addAAAA(id, b.ip(data.address));
      else if (data.type === QTYPE.SRV) b.addSRV(id, b.name(data.target), data.port, data.priority, data.weight);
      else if (data.type === QTYPE.NS && owner === mesos.apex) ns.push(data.target);
      else skip(mesos.apex);
    }
  }
  const built = b.finish({ zone: mesos.apex, srvPriority: 0, srvWeight });
  const table: RecordTable = Object.freeze({
    zone: mesos.apex,
    ttl: mesos.ttl,
    soa: soaData(mesos),
    // Lookups answer the apex NS from here (the primary's SOA MNAME, as it served them).
    ns: Object.freeze(ns.length > 0 ? ns : [mesos.soa.mname]),
    names: new PackedNames(built.packed),
    existing: new PackedExisting(built.packed),
    packed: built.packed,
    // The tasks are the primary's to know: a zone transfer carries records, not tasks.
    enumeration: null,
    ...(reverse.length === 0 ? {} : { reverse: reverseTable(reverseData(reverse, skip)) }),
    ...(expired.length === 0 ? {} : { expired: Object.freeze([...expired]) }),
  });
  return { table, leftOut };
}

function reverseData(copies: readonly ZoneCopy[], skip: (zone: string) => void): ReverseData {
  const data: ReverseData = { zones: [], owners: [], targets: [], serials: [] };
  for (const copy of copies) {
    data.zones.push(copy.apex);
    data.serials!.push(copy.soa.serial);
    for (const [owner, records] of copy.owners) {
      const targets: string[] = [];
      for (const r of records as readonly RData[]) {
        if (r.type === QTYPE.PTR) targets.push(r.target);
        // The apex NS of a reverse zone is the table's (reverse-lookup.ts answers table.ns).
        else if (!(r.type === QTYPE.NS && owner === copy.apex)) skip(copy.apex);
      }
      if (targets.length === 0) continue;
      data.owners.push(owner);
      data.targets.push(targets);
    }
  }
  return data;
}
