// The `existing` set of a RecordTable: owner names plus empty non-terminals (RFC 8020), exposed
// as one read-only Set without copying the owner names, which can number hundreds of thousands.
// Shared by the table builder and the worker-side table decoder.

/**
 * owners ∪ empty non-terminals as a read-only Set, without copying the (large) owner key set.
 */
export class ExistingNames implements ReadonlySet<string> {
  readonly #owners: ReadonlyMap<string, unknown>;
  readonly #others: ReadonlySet<string>;

  constructor(owners: ReadonlyMap<string, unknown>, others: ReadonlySet<string>) {
    this.#owners = owners;
    // The apex may own records too (it never does from a state, but stay a set either way).
    this.#others = new Set([...others].filter((n) => !owners.has(n)));
  }

  get size(): number {
    return this.#owners.size + this.#others.size;
  }

  has(name: string): boolean {
    return this.#owners.has(name) || this.#others.has(name);
  }

  *keys(): SetIterator<string> {
    yield* this.#owners.keys();
    yield* this.#others;
  }

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
