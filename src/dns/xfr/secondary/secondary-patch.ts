// An IXFR of the Mesos zone as a patch of the served table instead of a whole build from the
// copies: the owners the changes name get their records from the new copy in an overlay over the
// last full build (records/incremental/overlay-table.ts, the form the primary's patched tables
// take), so a launch costs what it touches, and the workers get a patch message of those names.
// Existence (RFC 8020: a name with no records exists when a name below it does) comes from a
// count of owners below each name, made from the base copy on the first patch and kept by each
// patch: the one mutable structure here, owned by the patcher as LiveState is by the stream.
//
// Declines (the caller builds in full) what a patch does not model: a change at the apex (SOA
// fields other than the serial, NS), more than MAX_OVERLAY names in the overlay, and a base
// that is not the table served.
import { QTYPE, type RData } from '../../wire/message.js';
import { countRecords } from '../../../records/record-counts.js';
import { overlayTable, type OverlayEntry, type RecordTotals } from '../../../records/incremental/overlay-table.js';
import type { NameRecords, RecordTable, SrvRecord } from '../../../records/table.js';
import type { ZoneCopy } from './zone-copy.js';
import { VersionedMap } from '../../../records/incremental/versioned-map.js';
import { findOwner, ownerName, type PackedZone } from './packed-zone.js';

/** Overlay names past which the next change is built in full (a new base). */
export const MAX_OVERLAY = 20_000;

export interface SecondaryPatch {
  table: RecordTable;
  /** The names whose records or existence may differ from the table patched. */
  touched: string[];
}

export class SecondaryPatcher {
  /** The full build the overlays lie over, and the copy it was built from. */
  readonly base: RecordTable;
  readonly #baseCopy: ZoneCopy;
  /** Owners strictly below each name of the zone (made on the first patch). */
  #below: Map<string, number> | undefined;
  #baseTotals: RecordTotals | undefined;

  constructor(base: RecordTable, copy: ZoneCopy) {
    this.base = base;
    this.#baseCopy = copy;
  }

  /**
   * `served` (the base or an overlay over it, built from `before`) patched to `after`, the copy
   * after the changes, whose owners are `owners`; undefined when a full build must do it.
   */
  patch(served: RecordTable, before: ZoneCopy, after: ZoneCopy, owners: ReadonlySet<string>): SecondaryPatch | undefined {
    const base = this.base;
    if (served !== base && served.overlay?.base !== base) return undefined;
    const apex = after.apex;
    if (owners.has(apex) || !sameSoaFields(before, after)) return undefined;
    // The overlay's entries are versioned (the primary's form), so a patch writes its names and copies none of the others.
    const prior = served.overlay?.entries;
    const entries = prior instanceof VersionedMap ? (prior as VersionedMap<string, OverlayEntry>) : VersionedMap.empty<string, OverlayEntry>().with(prior ?? new Map());
    if (entries.size + owners.size > MAX_OVERLAY) return undefined;
    const updates = new Map<string, OverlayEntry>();
    const below = (this.#below ??= countBelow(this.#baseCopy));
    const totals = { ...(served.overlay?.records ?? (this.#baseTotals ??= totalsOf(base))) };
    let ownerCount = served.names.size;
    let existingCount = served.existing.size;
    const touched = new Set<string>();
    for (const owner of owners) {
      const had = holdsRecords(before.owners.get(owner));
      const has = holdsRecords(after.owners.get(owner));
      touched.add(owner);
      if (had === has) continue;
      // Each ancestor inside the zone gains or loses one owner below it.
      for (let name = parentOf(owner); name !== undefined && inZone(name, apex); name = parentOf(name)) {
        const n = (below.get(name) ?? 0) + (has ? 1 : -1);
        if (n === 0) below.delete(name);
        else below.set(name, n);
        if (n === 0 || (has && n === 1)) touched.add(name);
        if (name === apex) break;
      }
    }
    for (const name of touched) {
      const records = recordsOf(after.owners.get(name));
      const exists = name === apex || records !== null || (below.get(name) ?? 0) > 0;
      const wasOwner = served.names.has(name);
      const existed = served.existing.has(name);
      const old = served.names.get(name);
      if (old !== undefined) {
        totals.A -= old.a.length;
        totals.AAAA -= old.aaaa.length;
        totals.SRV -= old.srv.length;
      }
      if (records !== null) {
        totals.A += records.a.length;
        totals.AAAA += records.aaaa.length;
        totals.SRV += records.srv.length;
      }
      ownerCount += (records !== null ? 1 : 0) - (wasOwner ? 1 : 0);
      existingCount += (exists ? 1 : 0) - (existed ? 1 : 0);
      updates.set(name, { records, exists });
    }
    const table = overlayTable({ base, entries: entries.with(updates), ownerCount, existingCount, records: totals }, after.soa.serial, served.reverse, () => null);
    return { table, touched: [...touched] };
  }
}

const inZone = (name: string, apex: string): boolean => name === apex || name.endsWith(`.${apex}`);

/** The name after the first label; undefined at the root. */
function parentOf(name: string): string | undefined {
  const dot = name.indexOf('.');
  return dot < 0 || dot === name.length - 1 ? undefined : name.slice(dot + 1);
}

function countBelow(copy: ZoneCopy): Map<string, number> {
  const below = new Map<string, number>();
  const count = (owner: string): void => {
    for (let name = parentOf(owner); name !== undefined && inZone(name, copy.apex); name = parentOf(name)) {
      below.set(name, (below.get(name) ?? 0) + 1);
      if (name === copy.apex) break;
    }
  };
  // The packed base's owners by their types (no records decoded), then the owners changed since.
  const z = copy.base;
  for (let o = 0; o < z.owners.length; o++) {
    const name = ownerName(z, o);
    const changed = copy.changed.get(name);
    if (changed !== undefined ? holdsRecords(changed) : packedHoldsRecords(z, o)) count(name);
  }
  for (const [name, records] of copy.changed) if (findOwner(z, name) < 0 && holdsRecords(records)) count(name);
  return below;
}

function packedHoldsRecords(z: PackedZone, owner: number): boolean {
  for (let r = z.recStart[owner], end = z.recStart[owner + 1]; r < end; r++) {
    const t = z.recType[r];
    if (t === QTYPE.A || t === QTYPE.AAAA || t === QTYPE.SRV) return true;
  }
  return false;
}

/** Whether an owner holds a record the table keeps (a TXT-only owner is no name of the table). */
function holdsRecords(set: readonly RData[] | undefined): boolean {
  if (set === undefined) return false;
  for (const d of set) if (d.type === QTYPE.A || d.type === QTYPE.AAAA || d.type === QTYPE.SRV) return true;
  return false;
}

function totalsOf(table: RecordTable): RecordTotals {
  const { A, AAAA, SRV } = countRecords(table);
  return { A, AAAA, SRV };
}

/** An owner's records as the table holds them (what secondary-table.ts keeps), in copy order; null: none. */
function recordsOf(set: readonly RData[] | undefined): NameRecords | null {
  if (set === undefined) return null;
  const a: string[] = [];
  const aaaa: string[] = [];
  const srv: SrvRecord[] = [];
  for (const d of set) {
    if (d.type === QTYPE.A) a.push(d.address);
    else if (d.type === QTYPE.AAAA) aaaa.push(d.address);
    // The packed table keeps one SRV per (target, port), the first (table-builder.ts): so here.
    else if (d.type === QTYPE.SRV && !srv.some((x) => x.target === d.target && x.port === d.port)) srv.push({ target: d.target, port: d.port, priority: d.priority, weight: d.weight });
  }
  return a.length + aaaa.length + srv.length === 0 ? null : { a, aaaa, srv };
}

function sameSoaFields(a: ZoneCopy, b: ZoneCopy): boolean {
  const x = a.soa;
  const y = b.soa;
  return x.mname === y.mname && x.rname === y.rname && x.refresh === y.refresh && x.retry === y.retry && x.expire === y.expire && x.minimum === y.minimum && a.ttl === b.ttl;
}
