// An immutable map made for a stream of small updates: each patch sets a few names in an overlay
// of up to tens of thousands, and every generation must stay readable as it was (a query may
// hold the previous snapshot). Copying the overlay per patch made an event cost grow with the
// overlay; here the generations share one store in which each key keeps its values newest
// first, each tagged with the generation that set it, and a generation's view reads the newest
// value not newer than itself. An update costs one store write per key; nothing is copied.
// Only the newest view may be updated (with); updating an older one copies what it sees.
// Each key keeps its newest value and the KEEP before it: a hot name (an app launched every second) would otherwise
// keep every records list it ever had until the next merge. A view more than KEEP updates of a
// key behind reads the oldest value kept (a newer one), never none.

const KEEP = 16;

interface Version<V> {
  gen: number;
  value: V;
  prev: Version<V> | undefined;
  /** Older values were dropped (see KEEP). */
  cut?: boolean;
}

interface Store<K, V> {
  map: Map<K, Version<V>>;
  /** The newest generation written. */
  latest: number;
}

export class VersionedMap<K, V> implements ReadonlyMap<K, V> {
  readonly #store: Store<K, V>;
  readonly #gen: number;
  readonly size: number;

  static empty<K, V>(): VersionedMap<K, V> {
    return new VersionedMap<K, V>({ map: new Map(), latest: 0 }, 0, 0);
  }

  private constructor(store: Store<K, V>, gen: number, size: number) {
    this.#store = store;
    this.#gen = gen;
    this.size = size;
  }

  /** This map with `updates` set over it (this one is unchanged). */
  with(updates: ReadonlyMap<K, V>): VersionedMap<K, V> {
    if (this.#store.latest !== this.#gen) {
      // Not the newest: start a store of its own from what this view holds.
      const copy = VersionedMap.empty<K, V>().with(new Map(this.entries()));
      return copy.with(updates);
    }
    const gen = this.#gen + 1;
    const map = this.#store.map;
    let size = this.size;
    for (const [k, value] of updates) {
      const prev = map.get(k);
      if (prev === undefined) size++;
      map.set(k, { gen, value, prev });
      let v = prev;
      for (let depth = 1; v !== undefined && depth < KEEP; depth++) v = v.prev;
      if (v !== undefined && v.prev !== undefined) {
        v.prev = undefined;
        v.cut = true;
      }
    }
    this.#store.latest = gen;
    return new VersionedMap(this.#store, gen, size);
  }

  #version(key: K): Version<V> | undefined {
    let v = this.#store.map.get(key);
    while (v !== undefined && v.gen > this.#gen) {
      if (v.prev === undefined && v.cut === true) return v;
      v = v.prev;
    }
    return v;
  }

  get(key: K): V | undefined {
    return this.#version(key)?.value;
  }

  has(key: K): boolean {
    return this.#version(key) !== undefined;
  }

  *entries(): MapIterator<[K, V]> {
    for (const key of this.#store.map.keys()) {
      const v = this.#version(key);
      if (v !== undefined) yield [key, v.value];
    }
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
