// An IXFR of the Mesos zone as a patch of the served table instead of a whole build from the
// copies: the owners the changes name get their records from the new copy in an overlay over the
// last full build (records/incremental/overlay-table.ts, the form the primary's patched tables
// take), so a launch costs what it touches, and the workers get a patch message of those names.
// Existence (RFC 8020: a name with no records exists when a name below it does) comes from a
// count of owners below each name, made from the base copy on the first patch and kept by each
// patch: the one mutable structure here, owned by the patcher as LiveState is by the stream.
//
// An IXFR of a reverse zone likewise: its PTR owners go into the reverse overlay
// (records/incremental/reverse-patch.ts, the primary's), over the same forward table.
//
// Declines (the caller builds in full) what a patch does not model: a change at the apex (SOA
// fields other than the serial, NS), more than MAX_OVERLAY names in the overlay, a base that is
// not the table served, and a reverse zone the base does not hold or that nests with another.
import { QTYPE, type RData } from '../../wire/message.js';
import { countRecords } from '../../../records/record-counts.js';
import { overlayTable, type OverlayEntry, type RecordTotals, type TableOverlay } from '../../../records/incremental/overlay-table.js';
import { overlayReverse, type ReverseEntry } from '../../../records/incremental/reverse-patch.js';
import type { NameRecords, RecordTable, SrvRecord } from '../../../records/table.js';
import type { ZoneCopy } from './zone-copy.js';
import { VersionedMap } from '../../../records/incremental/versioned-map.js';
import { countBelow, FORWARD_TYPES, moveOwners, REVERSE_TYPES } from './owner-counts.js';
import { isInZone } from '../../../zones/zone-names.js';

/** Overlay names past which the next change is built in full (a new base). */
export const MAX_OVERLAY = 20_000;

export interface SecondaryPatch {
  table: RecordTable;
  /** The names whose records or existence may differ from the table patched. */
  touched: string[];
}

export class SecondaryPatcher {
  /** The full build the overlays lie over, and the copies it was built from. */
  readonly base: RecordTable;
  readonly #baseCopy: ZoneCopy;
  readonly #reverseCopies: ReadonlyMap<string, ZoneCopy>;
  /** Per zone, owners strictly below each name (made on the zone's first patch). */
  readonly #below = new Map<string, Map<string, number>>();
  #baseTotals: RecordTotals | undefined;

  constructor(base: RecordTable, copy: ZoneCopy, reverse: readonly ZoneCopy[] = []) {
    this.base = base;
    this.#baseCopy = copy;
    this.#reverseCopies = new Map(reverse.map((c) => [c.apex, c]));
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
    const entries = versioned(served.overlay?.entries);
    if (entries.size + owners.size > MAX_OVERLAY) return undefined;
    const updates = new Map<string, OverlayEntry>();
    const below = this.#belowIn(this.#baseCopy, FORWARD_TYPES);
    const totals = { ...this.#totals(served) };
    let ownerCount = served.names.size;
    let existingCount = served.existing.size;
    const touched = moveOwners(below, owners, before, after, FORWARD_TYPES);
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

  /**
   * `served` with reverse zone `after.apex` patched from `before` to `after` (its PTR owners in
   * the reverse overlay, the zone's serial); the forward names as served. Undefined: build in full.
   */
  patchReverse(served: RecordTable, before: ZoneCopy, after: ZoneCopy, owners: ReadonlySet<string>): SecondaryPatch | undefined {
    const base = this.base;
    const baseReverse = base.reverse;
    const reverse = served.reverse;
    if ((served !== base && served.overlay?.base !== base) || baseReverse === undefined || reverse === undefined) return undefined;
    const apex = after.apex;
    const copy = this.#reverseCopies.get(apex);
    if (copy === undefined || !baseReverse.zones.has(apex) || owners.has(apex) || !sameSoaFields(before, after)) return undefined;
    // A name's zone is the most specific one served (reverse-table.ts zoneOf): nested zones are left to a full build.
    for (const z of baseReverse.zones) if (z !== apex && (isInZone(z, apex) || isInZone(apex, z))) return undefined;
    const entries = versioned(reverse.patch?.entries);
    if (entries.size + owners.size > MAX_OVERLAY) return undefined;
    const below = this.#belowIn(copy, REVERSE_TYPES);
    const touched = moveOwners(below, owners, before, after, REVERSE_TYPES);
    const updates = new Map<string, ReverseEntry>();
    for (const name of touched) {
      const targets = ptrTargets(after.owners.get(name));
      updates.set(name, { targets, exists: name === apex || targets !== null || (below.get(name) ?? 0) > 0 });
    }
    const serials = new Map(reverse.serials);
    serials.set(apex, after.soa.serial);
    const patched = overlayReverse(baseReverse, { entries: entries.with(updates), zones: [...reverse.zones], changed: [...touched] }, serials);
    const forward: TableOverlay = served.overlay ?? { base, entries: VersionedMap.empty(), ownerCount: base.names.size, existingCount: base.existing.size, records: this.#totals(base) };
    return { table: overlayTable(forward, served.soa.serial, patched, () => null), touched: [...touched] };
  }

  #belowIn(copy: ZoneCopy, types: ReadonlySet<number>): Map<string, number> {
    let below = this.#below.get(copy.apex);
    if (below === undefined) this.#below.set(copy.apex, (below = countBelow(copy, types)));
    return below;
  }

  #totals(served: RecordTable): RecordTotals {
    return served.overlay?.records ?? (this.#baseTotals ??= totalsOf(this.base));
  }
}

/** The overlay's entries as a VersionedMap (the primary's form): a patch writes its names and copies none of the others. */
function versioned<V>(prior: ReadonlyMap<string, V> | undefined): VersionedMap<string, V> {
  return prior instanceof VersionedMap ? (prior as VersionedMap<string, V>) : VersionedMap.empty<string, V>().with(prior ?? new Map());
}

/** An owner's PTR targets as the table holds them (what secondary-table.ts keeps), in copy order; null: none. */
function ptrTargets(set: readonly RData[] | undefined): string[] | null {
  const targets: string[] = [];
  for (const d of set ?? []) if (d.type === QTYPE.PTR) targets.push(d.target);
  return targets.length === 0 ? null : targets;
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
