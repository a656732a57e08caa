// The one mutable reference: the current record table. A new generation is built aside
// (build-table.ts) and swapped in with one assignment (CoreDNS plugin/file/reload.go); each
// request reads current() once and uses that snapshot throughout.
import type { RecordTable } from './records/table.js';

export interface Snapshot {
  readonly table: RecordTable;
  /** Increases by one on every swap; caches keyed on it are invalidated by a swap for free. */
  readonly generation: number;
}

export class TableStore {
  #current: Snapshot | undefined;
  #generation = 0;
  #listeners = new Set<(s: Snapshot) => void>();

  /** The current snapshot, or undefined before the first successful load. */
  current(): Snapshot | undefined {
    return this.#current;
  }

  swap(table: RecordTable): Snapshot {
    const snapshot: Snapshot = Object.freeze({ table, generation: ++this.#generation });
    this.#current = snapshot;
    for (const listener of this.#listeners) listener(snapshot);
    return snapshot;
  }

  /** Called after every swap (workers, caches, metrics). Returns an unsubscribe function. */
  onSwap(listener: (s: Snapshot) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
