export class OverlayNames {
    #o;
    constructor(o) {
        this.#o = o;
    }
    get size() {
        return this.#o.ownerCount;
    }
    has(name) {
        const e = this.#o.entries.get(name);
        return e !== undefined ? e.records !== null : this.#o.base.names.has(name);
    }
    get(name) {
        const e = this.#o.entries.get(name);
        return e !== undefined ? (e.records ?? undefined) : this.#o.base.names.get(name);
    }
    *entries() {
        const over = this.#o.entries;
        for (const [name, records] of this.#o.base.names)
            if (!over.has(name))
                yield [name, records];
        for (const [name, e] of over)
            if (e.records !== null)
                yield [name, e.records];
    }
    *keys() {
        for (const [name] of this.entries())
            yield name;
    }
    *values() {
        for (const [, records] of this.entries())
            yield records;
    }
    [Symbol.iterator]() {
        return this.entries();
    }
    forEach(callback, thisArg) {
        for (const [name, records] of this.entries())
            callback.call(thisArg, records, name, this);
    }
}
export class OverlayExisting {
    #o;
    constructor(o) {
        this.#o = o;
    }
    get size() {
        return this.#o.existingCount;
    }
    has(name) {
        const e = this.#o.entries.get(name);
        return e !== undefined ? e.exists : this.#o.base.existing.has(name);
    }
    *keys() {
        const over = this.#o.entries;
        for (const name of this.#o.base.existing)
            if (!over.has(name))
                yield name;
        for (const [name, e] of over)
            if (e.exists)
                yield name;
    }
    values() {
        return this.keys();
    }
    [Symbol.iterator]() {
        return this.keys();
    }
    *entries() {
        for (const k of this.keys())
            yield [k, k];
    }
    forEach(callback, thisArg) {
        for (const k of this.keys())
            callback.call(thisArg, k, k, this);
    }
}
/**
 * The table `overlay` makes over its base, with this generation's SOA serial and reverse half.
 * `enumeration` is read on demand (a fresh build from the same state, on the main thread; null
 * in a worker, which serves DNS only).
 */
export function overlayTable(overlay, serial, reverse, enumeration) {
    const base = overlay.base;
    let listed;
    return Object.freeze({
        zone: base.zone,
        ttl: base.ttl,
        soa: Object.freeze({ ...base.soa, serial }),
        ns: base.ns,
        names: new OverlayNames(overlay),
        existing: new OverlayExisting(overlay),
        overlay,
        ...(reverse === undefined ? {} : { reverse }),
        get enumeration() {
            listed ??= enumeration();
            return listed;
        },
    });
}
