// A record table that is a packed base (packed-table.ts) plus a small overlay of the names an
// event changed: what the incremental table (incremental-table.ts) makes per event on the main
// thread, and what a DNS worker rebuilds from a patch message over the base it already holds.
// `names` and `existing` read the overlay first and the base for every other name, so lookup,
// the fast path and the HTTP API read it unchanged. Immutable: each patch makes a new overlay map.
//
// Iteration order (the HTTP API's /v1/hosts listing, /v1/axfr): the base's names not in the
// overlay, in base order, then the overlay's; a fresh build may list new names elsewhere. The
// records of each name, and their order, are exactly a fresh build's.
import type { NameRecords, RecordTable } from '../table.js';
import type { ReverseTable } from '../reverse-table.js';
import { MapView, SetView } from '../readonly-views.js';

/** A name's state in the overlay: its records now (null: none) and whether it exists (RFC 8020). */
export interface OverlayEntry {
  records: NameRecords | null;
  exists: boolean;
}

export interface RecordTotals {
  A: number;
  AAAA: number;
  SRV: number;
}

export interface TableOverlay {
  /** The packed table the overlay lies over. */
  readonly base: RecordTable;
  /** The names whose records or existence differ from the base. */
  readonly entries: ReadonlyMap<string, OverlayEntry>;
  readonly ownerCount: number;
  readonly existingCount: number;
  /** Records by type in the whole table (for /metrics without a pass over it). */
  readonly records: RecordTotals;
}

export class OverlayNames extends MapView<NameRecords> {
  readonly #o: TableOverlay;

  constructor(o: TableOverlay) {
    super();
    this.#o = o;
  }

  get size(): number {
    return this.#o.ownerCount;
  }

  has(name: string): boolean {
    const e = this.#o.entries.get(name);
    return e !== undefined ? e.records !== null : this.#o.base.names.has(name);
  }

  get(name: string): NameRecords | undefined {
    const e = this.#o.entries.get(name);
    return e !== undefined ? (e.records ?? undefined) : this.#o.base.names.get(name);
  }

  *entries(): MapIterator<[string, NameRecords]> {
    const over = this.#o.entries;
    for (const [name, records] of this.#o.base.names) if (!over.has(name)) yield [name, records];
    for (const [name, e] of over) if (e.records !== null) yield [name, e.records];
  }

  *keys(): MapIterator<string> {
    for (const [name] of this.entries()) yield name;
  }

}

export class OverlayExisting extends SetView {
  readonly #o: TableOverlay;

  constructor(o: TableOverlay) {
    super();
    this.#o = o;
  }

  get size(): number {
    return this.#o.existingCount;
  }

  has(name: string): boolean {
    const e = this.#o.entries.get(name);
    return e !== undefined ? e.exists : this.#o.base.existing.has(name);
  }

  *keys(): SetIterator<string> {
    const over = this.#o.entries;
    for (const name of this.#o.base.existing) if (!over.has(name)) yield name;
    for (const [name, e] of over) if (e.exists) yield name;
  }

}

/**
 * The table `overlay` makes over its base, with this generation's SOA serial and reverse half.
 * `enumeration` is read on demand (a fresh build from the same state, on the main thread; null
 * in a worker, which serves DNS only).
 */
export function overlayTable(
  overlay: TableOverlay,
  serial: number,
  reverse: ReverseTable | undefined,
  enumeration: () => RecordTable['enumeration'],
  health?: RecordTable['health'],
): RecordTable {
  const base = overlay.base;
  let listed: RecordTable['enumeration'] | undefined;
  return Object.freeze({
    zone: base.zone,
    ttl: base.ttl,
    soa: Object.freeze({ ...base.soa, serial }),
    ns: base.ns,
    names: new OverlayNames(overlay),
    existing: new OverlayExisting(overlay),
    overlay,
    ...(reverse === undefined ? {} : { reverse }),
    ...(health === undefined ? {} : { health }),
    get enumeration(): RecordTable['enumeration'] {
      listed ??= enumeration();
      return listed;
    },
  });
}
