export class TableStore {
    #current;
    #generation = 0;
    #listeners = new Set();
    /** The current snapshot, or undefined before the first successful load. */
    current() {
        return this.#current;
    }
    /** Swaps `table` in; `touched` when it is the current table patched (see Snapshot.patch). */
    swap(table, touched) {
        const from = this.#generation;
        const snapshot = Object.freeze({
            table,
            generation: ++this.#generation,
            ...(touched !== undefined && this.#current !== undefined ? { patch: Object.freeze({ from, touched }) } : {}),
        });
        this.#current = snapshot;
        for (const listener of this.#listeners)
            listener(snapshot);
        return snapshot;
    }
    /** Called after every swap (workers, caches, metrics). Returns an unsubscribe function. */
    onSwap(listener) {
        this.#listeners.add(listener);
        return () => this.#listeners.delete(listener);
    }
}
