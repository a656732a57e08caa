export const KIND_A = -1;
export const KIND_AAAA = -2;
export const NAME_TARGET = 0;
export const NAME_OWNER = 1;
export const NAME_ENT = 2;
// --- string blobs ---------------------------------------------------------------------------
export function packStrings(strings) {
    const ends = new Int32Array(strings.length);
    const joined = strings.join('');
    // Names are ASCII almost always: then byte offsets are character offsets, and one
    // Buffer.from of the joined text does the whole blob.
    if (isAscii(joined)) {
        let at = 0;
        for (let i = 0; i < strings.length; i++)
            ends[i] = at += strings[i].length;
        return { bytes: Buffer.from(joined, 'latin1'), ends };
    }
    const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(joined, 'utf8'));
    let at = 0;
    for (let i = 0; i < strings.length; i++)
        ends[i] = at += bytes.write(strings[i], at, 'utf8');
    return { bytes, ends };
}
const NON_ASCII = /[^\x00-\x7f]/;
function isAscii(s) {
    return !NON_ASCII.test(s);
}
export function stringAt(blob, i) {
    return blob.bytes.toString('utf8', i === 0 ? 0 : blob.ends[i - 1], blob.ends[i]);
}
// --- the name index -------------------------------------------------------------------------
// The name index hashes with 32-bit FNV-1a over a name's UTF-8 bytes (it spreads the many names
// that differ only in a few characters); name-interner.ts builds the index with the same steps.
export const FNV_OFFSET = 0x811c9dc5 | 0;
export function fnv1aStep(h, byte) {
    return Math.imul(h ^ byte, 0x01000193);
}
/**
 * The first slot for a hash. FNV-1a's low bits are its weakest (bit k of the result depends
 * only on bits 0..k of the input), and names differing near their start but sharing a long
 * suffix clustered under a plain mask; folding the high bits in first (murmur3's finaliser
 * steps) spreads them.
 */
export function firstSlot(h, mask) {
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    return h & mask;
}
/** Where a looked-up name is encoded to UTF-8, to be hashed and compared as bytes. */
let scratch = Buffer.allocUnsafeSlow(512);
/** The id of `name` (exact bytes: no case folding), or -1. */
export function findName(t, name) {
    const { bytes, ends } = t.names;
    const slots = t.slots;
    const mask = slots.length - 1;
    // Three bytes per UTF-16 unit is the most UTF-8 needs.
    if (scratch.length < name.length * 3)
        scratch = Buffer.allocUnsafeSlow(name.length * 3);
    const key = scratch;
    const length = key.write(name, 0, 'utf8');
    let h = FNV_OFFSET;
    for (let i = 0; i < length; i++)
        h = fnv1aStep(h, key[i]);
    for (let s = firstSlot(h, mask);; s = (s + 1) & mask) {
        const slot = slots[s];
        if (slot === 0)
            return -1;
        const id = slot - 1;
        const start = id === 0 ? 0 : ends[id - 1];
        if (ends[id] - start !== length)
            continue;
        let i = 0;
        while (i < length && bytes[start + i] === key[i])
            i++;
        if (i === length)
            return id;
    }
}
// --- reading records ------------------------------------------------------------------------
export function nameAt(t, id) {
    return stringAt(t.names, id);
}
/** A name's records as NameRecords (fresh arrays: the caller may keep or change them). */
export function recordsAt(t, id) {
    const a = [];
    const aaaa = [];
    const srv = [];
    for (let r = t.recStart[id], end = t.recStart[id + 1]; r < end; r++) {
        const port = t.recPort[r];
        if (port === KIND_A)
            a.push(stringAt(t.ips, t.recValue[r]));
        else if (port === KIND_AAAA)
            aaaa.push(stringAt(t.ips, t.recValue[r]));
        else {
            const extra = t.srvExtra;
            srv.push({
                target: nameAt(t, t.recValue[r]),
                port,
                priority: extra ? extra[r] >>> 16 : t.srvPriority,
                weight: extra ? extra[r] & 0xffff : t.srvWeight,
            });
        }
    }
    return { a, aaaa, srv };
}
/** name -> NameRecords over a packed table: owners only, in the order they were first added. */
export class PackedNames {
    #t;
    constructor(t) {
        this.#t = t;
    }
    get size() {
        return this.#t.ownerCount;
    }
    has(name) {
        const id = findName(this.#t, name);
        return id >= 0 && this.#t.nameKind[id] === NAME_OWNER;
    }
    get(name) {
        const id = findName(this.#t, name);
        return id >= 0 && this.#t.nameKind[id] === NAME_OWNER ? recordsAt(this.#t, id) : undefined;
    }
    *#ids() {
        const kind = this.#t.nameKind;
        for (let id = 0; id < kind.length; id++)
            if (kind[id] === NAME_OWNER)
                yield id;
    }
    *entries() {
        for (const id of this.#ids())
            yield [nameAt(this.#t, id), recordsAt(this.#t, id)];
    }
    *keys() {
        for (const id of this.#ids())
            yield nameAt(this.#t, id);
    }
    *values() {
        for (const id of this.#ids())
            yield recordsAt(this.#t, id);
    }
    [Symbol.iterator]() {
        return this.entries();
    }
    forEach(callback, thisArg) {
        for (const [name, records] of this.entries())
            callback.call(thisArg, records, name, this);
    }
}
/** The names that exist in the zone (owners and empty non-terminals) over a packed table. */
export class PackedExisting {
    #t;
    constructor(t) {
        this.#t = t;
    }
    get size() {
        return this.#t.existingCount;
    }
    has(name) {
        const id = findName(this.#t, name);
        return id >= 0 && this.#t.nameKind[id] !== NAME_TARGET;
    }
    *keys() {
        const kind = this.#t.nameKind;
        // Owners first, then empty non-terminals, as the object table listed them.
        for (let id = 0; id < kind.length; id++)
            if (kind[id] === NAME_OWNER)
                yield nameAt(this.#t, id);
        for (let id = 0; id < kind.length; id++)
            if (kind[id] === NAME_ENT)
                yield nameAt(this.#t, id);
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
/** Bytes a packed table holds (for logs and benchmarks). */
export function packedBytes(t) {
    return (t.names.bytes.byteLength +
        t.names.ends.byteLength +
        t.nameKind.byteLength +
        t.slots.byteLength +
        t.recStart.byteLength +
        t.recPort.byteLength +
        t.recValue.byteLength +
        t.ips.bytes.byteLength +
        t.ips.ends.byteLength +
        (t.srvExtra?.byteLength ?? 0));
}
/**
 * The same table with every array moved into one SharedArrayBuffer, so that handing it to the
 * DNS worker threads shares it instead of copying it: one copy of the table per process,
 * however many threads answer from it (workers/supervisor.ts).
 */
export function sharePacked(t) {
    const parts = [t.names.bytes, t.names.ends, t.nameKind, t.slots, t.recStart, t.recPort, t.recValue, t.ips.bytes, t.ips.ends];
    if (t.srvExtra)
        parts.push(t.srvExtra);
    // Int32Arrays need 4-byte aligned offsets.
    const align = (n) => (n + 3) & ~3;
    let total = 0;
    for (const p of parts)
        total = align(total) + p.byteLength;
    const shared = new SharedArrayBuffer(align(total));
    let at = 0;
    const moved = parts.map((p) => {
        at = align(at);
        const view = p instanceof Int32Array ? new Int32Array(shared, at, p.length) : new Uint8Array(shared, at, p.length);
        view.set(p);
        at += p.byteLength;
        return view;
    });
    const bytes = (v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    const int32 = (v) => v;
    return {
        names: { bytes: bytes(moved[0]), ends: int32(moved[1]) },
        nameKind: moved[2],
        ownerCount: t.ownerCount,
        existingCount: t.existingCount,
        slots: int32(moved[3]),
        recStart: int32(moved[4]),
        recPort: int32(moved[5]),
        recValue: int32(moved[6]),
        ips: { bytes: bytes(moved[7]), ends: int32(moved[8]) },
        srvPriority: t.srvPriority,
        srvWeight: t.srvWeight,
        srvExtra: t.srvExtra ? int32(moved[9]) : null,
    };
}
