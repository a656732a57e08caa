// An immutable map made for a stream of small updates: each patch adds a few names to an overlay
// of up to tens of thousands, and every generation must stay readable as it was. Copying the
// whole overlay per patch made an event cost grow with the overlay; here a version is a small
// `recent` map over a shared, never-changed `settled` one, and only `recent` is copied per update
// until it is large, when both are merged into a new settled map (so the copying per update is
// bounded by settled/RECENT_LIMIT names on average, and a lookup is at most two map reads).
const RECENT_LIMIT = 1024;

export class LayeredMap<K, V> implements ReadonlyMap<K, V> {
  readonly #settled: ReadonlyMap<K, V>;
  readonly #recent: ReadonlyMap<K, V>;
  readonly size: number;

  static empty<K, V>(): LayeredMap<K, V> {
    return new LayeredMap<K, V>(new Map(), new Map(), 0);
  }

  /** A layered map holding exactly `entries` (a worker starting from a whole overlay). */
  static of<K, V>(entries: Iterable<readonly [K, V]>): LayeredMap<K, V> {
    const settled = new Map<K, V>();
    for (const [k, v] of entries) settled.set(k, v);
    return new LayeredMap(settled, new Map(), settled.size);
  }

  private constructor(settled: ReadonlyMap<K, V>, recent: ReadonlyMap<K, V>, size: number) {
    this.#settled = settled;
    this.#recent = recent;
    this.size = size;
  }

  /** This map with `updates` set over it (this one is unchanged). */
  with(updates: ReadonlyMap<K, V>): LayeredMap<K, V> {
    let size = this.size;
    for (const k of updates.keys()) if (!this.has(k)) size++;
    if (this.#recent.size + updates.size <= RECENT_LIMIT) {
      const recent = new Map(this.#recent);
      for (const [k, v] of updates) recent.set(k, v);
      return new LayeredMap(this.#settled, recent, size);
    }
    const settled = new Map(this.#settled);
    for (const [k, v] of this.#recent) settled.set(k, v);
    for (const [k, v] of updates) settled.set(k, v);
    return new LayeredMap(settled, new Map(), size);
  }

  get(key: K): V | undefined {
    const v = this.#recent.get(key);
    return v !== undefined || this.#recent.has(key) ? v : this.#settled.get(key);
  }

  has(key: K): boolean {
    return this.#recent.has(key) || this.#settled.has(key);
  }

  *entries(): MapIterator<[K, V]> {
    for (const [k, v] of this.#settled) if (!this.#recent.has(k)) yield [k, v];
    yield* this.#recent.entries();
  }

  *keys(): MapIterator<K> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): MapIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  forEach(callback: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) callback.call(thisArg, v, k, this);
  }
}
