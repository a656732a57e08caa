// A secondary's copy of one zone: the primary's SOA and every other record, by owner. Made from
// a whole-zone transfer, or from the previous copy and an IXFR's changes (RFC 1995 §4), always as
// a new value (the one being served is never changed). Pure.
//
// The records of the last whole zone are packed (packed-zone.ts); the owners IXFR changes
// touched since are an overlay over them, a VersionedMap (records/incremental/versioned-map.ts,
// the primary's), so a change costs what it touches and copies nothing of the rest. Past
// COMPACT_AT overlay owners the copy is packed again.
import { TransferInError } from '../../../errors.js';
import { VersionedMap } from '../../../records/incremental/versioned-map.js';
import { MapView } from '../../../records/readonly-views.js';
import { QTYPE, type RData } from '../../wire/message.js';
import { serialGreater } from '../serial.js';
import { recordKey } from '../zones.js';
import { isInZone } from '../../../zones/zone-names.js';
import { findOwner, ownerName, recordsOfOwner, ZoneRecords, type PackedZone } from './packed-zone.js';
import type { Delta, WireRecord } from './read-transfer.js';

type SoaRData = Extract<RData, { type: typeof QTYPE.SOA }>;

/** Overlay owners past which applyDeltas packs the copy again (one pass over the zone). */
export const COMPACT_AT = 50_000;

export interface ZoneCopy {
  /** Absolute, lower-case. */
  readonly apex: string;
  readonly soa: SoaRData;
  /** The SOA record's TTL: what the table gives every record of the zone. */
  readonly ttl: number;
  /**
   * Owner -> its records, each once, in the order they came: a view over `base` and `changed`
   * (records decoded when asked; the owners of the base first, in their order, then new ones).
   */
  readonly owners: ReadonlyMap<string, readonly RData[]>;
  /** The records of the last whole zone (or compaction), packed. */
  readonly base: PackedZone;
  /** Owners changed since `base`: their records now (empty: the owner is gone). Its own store per base (a VersionedMap is written in place by its newest version). */
  readonly changed: ReadonlyMap<string, readonly RData[]>;
  /** Records outside the zone that the transfer carried and the copy left out (RFC 5936 §3.3 ignores them). */
  readonly outside: number;
}

class CopyOwners extends MapView<readonly RData[]> {
  readonly #base: PackedZone;
  readonly #changed: ReadonlyMap<string, readonly RData[]>;
  readonly size: number;

  constructor(base: PackedZone, changed: ReadonlyMap<string, readonly RData[]>, size: number) {
    super();
    this.#base = base;
    this.#changed = changed;
    this.size = size;
  }

  has(name: string): boolean {
    const c = this.#changed.get(name);
    return c !== undefined ? c.length > 0 : findOwner(this.#base, name) >= 0;
  }

  get(name: string): readonly RData[] | undefined {
    const c = this.#changed.get(name);
    if (c !== undefined) return c.length > 0 ? c : undefined;
    const o = findOwner(this.#base, name);
    return o < 0 ? undefined : recordsOfOwner(this.#base, o);
  }

  *entries(): MapIterator<[string, readonly RData[]]> {
    const base = this.#base;
    const changed = this.#changed;
    for (let o = 0; o < base.owners.length; o++) {
      const name = ownerName(base, o);
      const c = changed.get(name);
      if (c === undefined) yield [name, recordsOfOwner(base, o)];
      else if (c.length > 0) yield [name, c];
    }
    for (const [name, c] of changed) if (c.length > 0 && findOwner(base, name) < 0) yield [name, c];
  }

  *keys(): MapIterator<string> {
    for (const [name] of this.entries()) yield name;
  }
}

function makeCopy(apex: string, soa: WireRecord & { data: SoaRData }, base: PackedZone, changed: ReadonlyMap<string, readonly RData[]>, size: number, outside: number): ZoneCopy {
  return Object.freeze({ apex, soa: soa.data, ttl: soa.ttl, owners: new CopyOwners(base, changed, size), base, changed, outside });
}

/** A copy from a whole zone's records, gathered as they arrived (read-transfer.ts). */
export function copyOfRecords(soa: WireRecord & { data: SoaRData }, records: ZoneRecords): ZoneCopy {
  const base = records.finish();
  return makeCopy(records.apex, soa, base, VersionedMap.empty(), base.owners.length, records.outside);
}

/** A copy from a whole zone (`records` without the opening and closing SOA). */
export function copyOfZone(apex: string, soa: WireRecord & { data: SoaRData }, records: readonly WireRecord[]): ZoneCopy {
  const gathered = new ZoneRecords(apex, records.length);
  for (const r of records) gathered.add(r.owner, r.data);
  return copyOfRecords(soa, gathered);
}

/** Where `data` is in `list` (the same type and RDATA, names compared case-insensitively), or -1. */
function indexOf(list: readonly RData[], data: RData): number {
  const key = recordKey(data);
  for (let i = 0; i < list.length; i++) if (list[i].type === data.type && recordKey(list[i]) === key) return i;
  return -1;
}

/**
 * `copy` with the changes applied, oldest first. Each must start where the previous ended (the
 * first at the copy's serial) and go forward (RFC 1982), and each record removed must be there:
 * otherwise the changes do not describe this copy and the caller asks for the whole zone.
 */
export function applyDeltas(copy: ZoneCopy, soa: WireRecord & { data: SoaRData }, deltas: readonly Delta[]): ZoneCopy {
  // The owners touched, with their records after the changes; the copy itself is never changed.
  const touched = new Map<string, RData[]>();
  const listOf = (owner: string): RData[] => {
    let list = touched.get(owner);
    if (list === undefined) touched.set(owner, (list = [...(copy.owners.get(owner) ?? [])]));
    return list;
  };
  let serial = copy.soa.serial;
  for (const d of deltas) {
    if (d.from !== serial) throw new TransferInError('malformed', `an IXFR change from serial ${d.from} where the copy is at ${serial}`);
    if (!serialGreater(d.to, d.from)) throw new TransferInError('stale_serial', `an IXFR change from serial ${d.from} to ${d.to} does not go forward`);
    for (const r of d.removed) {
      if (!isInZone(r.owner, copy.apex)) continue;
      const list = listOf(r.owner);
      const at = indexOf(list, r.data);
      if (at < 0) throw new TransferInError('malformed', `IXFR removes a record the copy does not hold: ${r.owner} type ${r.data.type}`);
      list.splice(at, 1);
    }
    for (const r of d.added) {
      if (!isInZone(r.owner, copy.apex) || r.data.type === QTYPE.SOA) continue;
      const list = listOf(r.owner);
      // Adding a record held already changes nothing (RFC 1995 §4 sends sets of changes).
      if (indexOf(list, r.data) < 0) list.push(r.data);
    }
    serial = d.to;
  }
  if (serial !== soa.data.serial) throw new TransferInError('malformed', `IXFR changes end at serial ${serial}, not at the zone's ${soa.data.serial}`);
  let size = copy.owners.size;
  for (const [owner, list] of touched) size += (list.length > 0 ? 1 : 0) - (copy.owners.has(owner) ? 1 : 0);
  const changed = (copy.changed instanceof VersionedMap ? copy.changed : VersionedMap.empty<string, readonly RData[]>().with(copy.changed)).with(touched);
  if (changed.size <= COMPACT_AT) return makeCopy(copy.apex, soa, copy.base, changed, size, copy.outside);
  return compacted(copy.apex, soa, new CopyOwners(copy.base, changed, size), copy.outside);
}

/** The copy's records packed again: the overlay of many changes folded into a new base. */
function compacted(apex: string, soa: WireRecord & { data: SoaRData }, owners: ReadonlyMap<string, readonly RData[]>, outside: number): ZoneCopy {
  const records = new ZoneRecords(apex, owners.size * 3);
  for (const [owner, list] of owners) for (const data of list) records.add(owner, data);
  const base = records.finish();
  return makeCopy(apex, soa, base, VersionedMap.empty(), base.owners.length, outside);
}
