// The whole Mesos zone's AXFR messages (RFC 5936 §2.2: the SOA, every record, the SOA again),
// written straight from the packed table's arrays (records/packed-table.ts): no record objects,
// no strings per name or address, names compressed by id (axfr-writer.ts, packed-wire.ts).
// Pure (what it finds about a table's names is kept with the table, packed-wire.ts). It replaces messages.ts transferMessages over axfrRecords for the Mesos zone, and for a
// packed table gives the same bytes: the same records in the same order (the apex's, sorted by
// recordKey; then every owner in id order, its A, AAAA and SRV records each in table order),
// laid out and compressed alike (test/xfr-axfr-encode.test.ts compares the two).
//
// A patched table (records/incremental/overlay-table.ts) is its packed base's owners but those
// the overlay changed, then the overlay's: the same owners and records as the generic encoder
// gives it, each owner's records in table order rather than sorted (RFC 5936 §2.2: records
// come in no particular order).
import { ipv4Bytes, ipv6Bytes } from '../../wire/address-bytes.js';
import { QTYPE, type RData } from '../../wire/message.js';
import { TCP_MAX } from '../../wire/constants.js';
import { nameToWire } from '../../wire/name-wire.js';
import { KIND_A, KIND_AAAA, NAME_OWNER, findName, stringAt, type PackedTable } from '../../../records/packed-table.js';
import type { NameRecords, RecordTable } from '../../../records/table.js';
import { AxfrWriter } from './axfr-writer.js';
import { INVALID, packedWire, type PackedWire } from './packed-wire.js';

/** The apex record types rdataWriter writes (a Mesos zone's apex holds NS, and A/AAAA/SRV at most). */
const APEX_TYPES = new Set<number>([QTYPE.A, QTYPE.AAAA, QTYPE.SRV, QTYPE.NS]);

type SoaRData = Extract<RData, { type: typeof QTYPE.SOA }>;

export interface MesosAxfrInput {
  table: RecordTable;
  apex: string;
  ttl: number;
  soa: SoaRData;
  /** The apex's records but the SOA, sorted (zones.ts records(apex)). */
  apexRecords: readonly RData[];
  /** zones.ts transferable: whether an owner is in the transfer. */
  transferable: (name: string) => boolean;
}

/**
 * The messages, each at most 65535 - `reserve` octets, ID 0, the question `apex AXFR IN`;
 * undefined when the table is not packed (nor a patch over a packed one), or holds what this
 * does not write (an apex without a wire form, apex records of other types): then the generic
 * encoder is used.
 */
export function mesosAxfrMessages(input: MesosAxfrInput, reserve: number): Iterable<Buffer> | undefined {
  const t = input.table;
  const packed = t.packed ?? t.overlay?.base.packed;
  if (packed === undefined || nameToWire(input.apex) === undefined) return undefined;
  if (input.apexRecords.some((d) => !APEX_TYPES.has(d.type))) return undefined;
  return messages(input, packed, reserve);
}

function* messages(input: MesosAxfrInput, packed: PackedTable, reserve: number): Generator<Buffer> {
  const names = packedWire(packed);
  const apex = names.ofName(input.apex);
  const apexBytes = Buffer.from(input.apex, 'utf8');
  // RFC 2181 §8: TTLs are 0..2^31-1 (encode.ts writeRecord clamps alike).
  const ttl = Math.min(Math.max(0, Math.floor(input.ttl) || 0), 0x7fffffff);
  const w = new AxfrWriter(names, TCP_MAX - reserve, apex);
  const soa = input.soa;
  const mname = names.ofName(soa.mname);
  const rname = names.ofName(soa.rname);
  const putSoa = (): void => {
    w.begin(apex, QTYPE.SOA, ttl);
    w.name(mname, true);
    w.name(rname, true);
    w.u32(soa.serial);
    w.u32(soa.refresh);
    w.u32(soa.retry);
    w.u32(soa.expire);
    w.u32(soa.minimum);
  };
  // The SOA has no wire form when its names have none: the generic encoder leaves it out too.
  const soaOk = mname !== INVALID && rname !== INVALID;
  if (soaOk) {
    putSoa();
    const full = w.end();
    if (full) (yield full, putSoa(), w.end());
  }

  // The apex's records (NS, and whatever else the table holds there), as RData.
  for (const data of input.apexRecords) {
    const put = rdataWriter(w, names, apex, ttl, data);
    if (put === undefined) continue;
    put();
    const full = w.end();
    if (full) (yield full, put(), w.end());
  }

  // Every other owner. `put` writes record r of owner `owner` (ids); false: it has no wire form.
  const { recStart, recPort, recValue, nameKind, srvExtra } = packed;
  const put = (owner: number, r: number): boolean => {
    const port = recPort[r];
    if (port === KIND_A) {
      const v4 = names.ipv4(recValue[r]);
      if (v4 === undefined) return false;
      w.begin(owner, QTYPE.A, ttl);
      w.i32(v4);
    } else if (port === KIND_AAAA) {
      const v6 = ipv6Bytes(stringAt(packed.ips, recValue[r]));
      if (v6 === undefined) return false;
      w.begin(owner, QTYPE.AAAA, ttl);
      w.bytes(v6);
    } else {
      const target = names.ofPacked(recValue[r]);
      if (target === INVALID) return false;
      w.begin(owner, QTYPE.SRV, ttl);
      w.u16(srvExtra ? srvExtra[r] >>> 16 : packed.srvPriority);
      w.u16(srvExtra ? srvExtra[r] & 0xffff : packed.srvWeight);
      w.u16(port);
      w.name(target, false);
    }
    return true;
  };
  const over = input.table.overlay?.entries;
  // The base's owners an overlay replaces are left out here and written from the overlay below.
  let replaced: Uint8Array | undefined;
  if (over !== undefined) {
    replaced = new Uint8Array(names.count);
    for (const name of over.keys()) {
      const id = findName(packed, name);
      if (id >= 0) replaced[id] = 1;
    }
  }
  // The A records, the AAAA, then the SRV (packed-table.ts recordsAt splits them so): one pass
  // for the A records that notes which other kinds the owner has, a pass for each of those.
  for (let id = 0; id < nameKind.length; id++) {
    if (nameKind[id] !== NAME_OWNER || replaced?.[id] === 1) continue;
    if (!names.inZone(id, apexBytes, input.transferable)) continue;
    const owner = names.ofPacked(id);
    if (owner === apex || owner === INVALID) continue;
    const from = recStart[id];
    const to = recStart[id + 1];
    let aaaa = false;
    let srv = false;
    for (let r = from; r < to; r++) {
      const port = recPort[r];
      if (port !== KIND_A) {
        if (port === KIND_AAAA) aaaa = true;
        else srv = true;
        continue;
      }
      if (!put(owner, r)) continue;
      const full = w.end();
      if (full) (yield full, put(owner, r), w.end());
    }
    for (let kind = 0; kind < 2; kind++) {
      if (!(kind === 0 ? aaaa : srv)) continue;
      for (let r = from; r < to; r++) {
        const port = recPort[r];
        if (kind === 0 ? port !== KIND_AAAA : port < 0) continue;
        if (!put(owner, r)) continue;
        const full = w.end();
        if (full) (yield full, put(owner, r), w.end());
      }
    }
  }

  if (over !== undefined) {
    for (const [name, entry] of over) {
      if (entry.records === null || name === input.apex || !input.transferable(name)) continue;
      const owner = names.ofName(name);
      if (owner === INVALID) continue;
      for (const data of overlayRecords(entry.records)) {
        const write = rdataWriter(w, names, owner, ttl, data);
        if (write === undefined) continue;
        write();
        const full = w.end();
        if (full) (yield full, write(), w.end());
      }
    }
  }

  if (soaOk) {
    putSoa();
    const full = w.end();
    if (full) (yield full, putSoa(), w.end());
  }
  yield w.finish();
}

function* overlayRecords(r: NameRecords): Generator<RData> {
  for (const address of r.a) yield { type: QTYPE.A, address };
  for (const address of r.aaaa) yield { type: QTYPE.AAAA, address };
  for (const s of r.srv) yield { type: QTYPE.SRV, priority: s.priority, weight: s.weight, port: s.port, target: s.target };
}

/**
 * A function writing `data` as a record of `owner`, or undefined when it has no wire form
 * (rdata-wire.ts prepareRdata fails alike). The types the Mesos zone holds: A, AAAA, SRV, NS.
 */
function rdataWriter(w: AxfrWriter, names: PackedWire, owner: number, ttl: number, data: RData): (() => void) | undefined {
  switch (data.type) {
    case QTYPE.A: {
      const bytes = ipv4Bytes(data.address);
      return bytes && (() => (w.begin(owner, QTYPE.A, ttl), w.bytes(bytes)));
    }
    case QTYPE.AAAA: {
      const bytes = ipv6Bytes(data.address);
      return bytes && (() => (w.begin(owner, QTYPE.AAAA, ttl), w.bytes(bytes)));
    }
    case QTYPE.SRV: {
      const target = names.ofName(data.target);
      if (target === INVALID) return undefined;
      return () => {
        w.begin(owner, QTYPE.SRV, ttl);
        w.u16(data.priority);
        w.u16(data.weight);
        w.u16(data.port);
        w.name(target, false);
      };
    }
    case QTYPE.NS: {
      const target = names.ofName(data.target);
      if (target === INVALID) return undefined;
      return () => (w.begin(owner, QTYPE.NS, ttl), w.name(target, true));
    }
    default:
      return undefined;
  }
}
