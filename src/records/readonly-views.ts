// Read-only Map and Set views over structures that are not Maps or Sets (the packed table, the
// incremental overlay, the reverse table's existing names). A view gives its lookups and one way
// to iterate; the rest of the ReadonlyMap / ReadonlySet interface follows from that, here, once.

/** A ReadonlySet<string> defined by `size`, `has` and `keys`. */
export abstract class SetView implements ReadonlySet<string> {
  abstract get size(): number;
  abstract has(name: string): boolean;
  abstract keys(): SetIterator<string>;

  values(): SetIterator<string> {
    return this.keys();
  }

  [Symbol.iterator](): SetIterator<string> {
    return this.keys();
  }

  *entries(): SetIterator<[string, string]> {
    for (const k of this.keys()) yield [k, k];
  }

  forEach(callback: (value: string, key: string, set: ReadonlySet<string>) => void, thisArg?: unknown): void {
    for (const k of this.keys()) callback.call(thisArg, k, k, this);
  }
}

/** A ReadonlyMap<string, V> defined by `size`, `has`, `get`, `keys` and `entries`. */
export abstract class MapView<V> implements ReadonlyMap<string, V> {
  abstract get size(): number;
  abstract has(name: string): boolean;
  abstract get(name: string): V | undefined;
  abstract keys(): MapIterator<string>;
  abstract entries(): MapIterator<[string, V]>;

  *values(): MapIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  forEach(callback: (value: V, key: string, map: ReadonlyMap<string, V>) => void, thisArg?: unknown): void {
    for (const [name, value] of this.entries()) callback.call(thisArg, value, name, this);
  }
}
