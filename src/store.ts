// The one mutable reference: the current record table and the static zones beside it. A new
// generation is built aside (build-table.ts, zones/zone-files.ts) and swapped in with one
// assignment (CoreDNS plugin/file/reload.go); each request reads current() once and uses that
// snapshot throughout. A Mesos change keeps the static zones; a zone file change keeps the table.
import type { RecordTable } from './records/table.js';
import { NO_STATIC_ZONES, type StaticZones } from './zones/static-zones.js';

export interface Snapshot {
  readonly table: RecordTable;
  /** The static zones (docs/static-zones.md); empty when there are none. */
  readonly zones: StaticZones;
  /** Increases by one on every swap; caches keyed on it are invalidated by a swap for free. */
  readonly generation: number;
}

export class TableStore {
  #current: Snapshot | undefined;
  #zones: StaticZones = NO_STATIC_ZONES;
  #generation = 0;
  #listeners = new Set<(s: Snapshot) => void>();

  /** The current snapshot, or undefined before the first successful load. */
  current(): Snapshot | undefined {
    return this.#current;
  }

  /** A new table; the static zones stay (or become `zones` when given). */
  swap(table: RecordTable, zones: StaticZones = this.#zones): Snapshot {
    this.#zones = zones;
    const snapshot: Snapshot = Object.freeze({ table, zones, generation: ++this.#generation });
    this.#current = snapshot;
    for (const listener of this.#listeners) listener(snapshot);
    return snapshot;
  }

  /**
   * New static zones with the current table. Before the first table there is no snapshot to
   * make: the zones are kept and come with the first table (until then nothing is authoritative).
   */
  swapZones(zones: StaticZones): Snapshot | undefined {
    this.#zones = zones;
    return this.#current === undefined ? undefined : this.swap(this.#current.table, zones);
  }

  /** The static zones the next snapshot gets. */
  zones(): StaticZones {
    return this.#zones;
  }

  /** Called after every swap (workers, caches, metrics). Returns an unsubscribe function. */
  onSwap(listener: (s: Snapshot) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
