// A secondary's zone copies -> the record table the Mesos build makes (records/table.ts): the
// Mesos zone packed by TableBuilder (so the fast path, /v1/hosts and /v1/services read it as
// they read a built table), each reverse zone's PTRs as reverse data. SOA fields and serials are
// the primary's, unchanged: a secondary serves the versions its primary made (RFC 1996 §2). Pure.
//
// What the table cannot hold is left out and counted: in the Mesos zone only A, AAAA and SRV
// (and the apex NS) are kept, in a reverse zone only PTR (and the apex NS). Every record gets
// the zone's SOA TTL, as every record of a table has one TTL, and of SRV records that differ
// only in priority or weight the first is kept (the table's de-duplication key is target and port).
// The Mesos zone's packed copy (packed-zone.ts) is read as integers and name bytes: no string or
// object per record on the way.
import { QTYPE, type RData } from '../../wire/message.js';
import { TableBuilder } from '../../../records/table-builder.js';
import { findString, PackedExisting, PackedNames, stringAt } from '../../../records/packed-table.js';
import { NO_PART } from '../../../records/name-interner.js';
import { findOwner, ipv4Text } from './packed-zone.js';
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
  const z = mesos.base;
  const b = new TableBuilder(0, srvWeight, { names: mesos.owners.size * 2 + 16, records: z.recType.length + 16 });
  const ns: string[] = [];
  // The packed copy's names go into the builder as bytes, each once (copy name id -> builder's).
  const ids = new Int32Array(z.ownerOf.length).fill(-1);
  const nameId = (id: number): number => {
    if (ids[id] < 0) ids[id] = b.nameOfParts(z.names.bytes.subarray(id === 0 ? 0 : z.names.ends[id - 1], z.names.ends[id]), NO_PART, NO_PART, NO_PART);
    return ids[id];
  };
  const v4 = new Map<number, number>();
  const apexId = findString(z.names, z.slots, mesos.apex);
  // Owners an IXFR changed since the base: their records from the overlay instead.
  const overridden = new Uint8Array(z.ownerOf.length);
  for (const name of mesos.changed.keys()) {
    const id = findString(z.names, z.slots, name);
    if (id >= 0) overridden[id] = 1;
  }
  const fromRData = (owner: string, records: readonly RData[]): void => {
    const id = b.name(owner);
    for (const data of records) {
      if (data.type === QTYPE.A) b.addA(id, b.ip(data.address));
      else if (data.type === QTYPE.AAAA) b.addAAAA(id, b.ip(data.address));
      else if (data.type === QTYPE.SRV) b.addSRV(id, b.name(data.target), data.port, data.priority, data.weight);
      else if (data.type === QTYPE.NS && owner === mesos.apex) ns.push(data.target);
      else skip(mesos.apex);
    }
  };
  for (let o = 0; o < z.owners.length; o++) {
    const nid = z.owners[o];
    if (overridden[nid] === 1) {
      const name = stringAt(z.names, nid);
      const records = mesos.changed.get(name)!;
      if (records.length > 0) fromRData(name, records);
      continue;
    }
    const id = nameId(nid);
    for (let r = z.recStart[o], end = z.recStart[o + 1]; r < end; r++) {
      const type = z.recType[r];
      const value = z.recValue[r];
      if (type === QTYPE.A) {
        let ip = v4.get(value);
        if (ip === undefined) v4.set(value, (ip = b.ip(ipv4Text(value))));
        b.addA(id, ip);
      } else if (type === QTYPE.AAAA) b.addAAAA(id, b.ip(stringAt(z.names, value)));
      else if (type === QTYPE.SRV) b.addSRV(id, nameId(value), z.recPort[r], z.recExtra[r] >>> 16, z.recExtra[r] & 0xffff);
      else if (type === QTYPE.NS && nid === apexId) ns.push(stringAt(z.names, value));
      else skip(mesos.apex);
    }
  }
  for (const [name, records] of mesos.changed) if (records.length > 0 && findOwner(z, name) < 0) fromRData(name, records);
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
