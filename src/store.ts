// The one mutable reference: the current record table. A new generation is built aside
// (build-table.ts) and swapped in with one assignment (CoreDNS plugin/file/reload.go); each
// request reads current() once and uses that snapshot throughout.
import type { RecordTable } from './records/table.js';

export interface Snapshot {
  readonly table: RecordTable;
  /** Increases by one on every swap; caches keyed on it are invalidated by a swap for free. */
  readonly generation: number;
  /**
   * Set when `table` is the previous generation patched (the incremental table): which
   * generation it patched and the names whose records or existence may differ, so per-name
   * caches keep the rest (answer-cache.ts).
   */
  readonly patch?: SnapshotPatch;
}

export interface SnapshotPatch {
  readonly from: number;
  readonly touched: readonly string[];
}

export class TableStore {
  #current: Snapshot | undefined;
  #generation = 0;
  #listeners = new Set<(s: Snapshot) => void>();

  /** The current snapshot, or undefined before the first successful load. */
  current(): Snapshot | undefined {
    return this.#current;
  }

  /** Swaps `table` in; `touched` when it is the current table patched (see Snapshot.patch). */
  swap(table: RecordTable, touched?: readonly string[]): Snapshot {
    const from = this.#generation;
    const snapshot: Snapshot = Object.freeze({
      table,
      generation: ++this.#generation,
      ...(touched !== undefined && this.#current !== undefined ? { patch: Object.freeze({ from, touched }) } : {}),
    });
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
