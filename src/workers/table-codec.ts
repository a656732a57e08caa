// A built RecordTable -> a message -> a RecordTable again, for handing each new table generation
// from the main thread to the DNS worker threads (supervisor.ts -> worker-main.ts).
//
// Why ship the built table rather than the master state for each worker to build: building
// costs CPU in every thread, competing with query serving for the same cores, while the packed
// table (records/packed-table.ts) is a few flat arrays in one SharedArrayBuffer, which the
// message shares rather than copies and the worker uses as they arrive: no per-name decoding,
// no index to rebuild (its hash index travels with it). What the worker does do is check the
// arrays' shapes and bounds, so a table that does not hold together is refused instead of
// served; at 100,000 tasks that is millions of elements, checked in slices between queries
// (decodeTableInSlices).
import { types } from 'node:util';
import type { RecordTable, SoaData } from '../records/table.js';
import {
  KIND_AAAA,
  NAME_ENT,
  NAME_OWNER,
  NAME_TARGET,
  PackedExisting,
  PackedNames,
  type PackedTable,
  type StringBlob,
} from '../records/packed-table.js';
import { TableBuilder } from '../records/table-builder.js';
import { packedReverseTable, reverseMessage, type PackedReverse, type ReverseMessage } from '../records/packed-reverse.js';
import { TableMessageError } from '../errors.js';
import type { ReverseTable } from '../records/reverse-table.js';

/** Everything but the records. */
export interface TableHeader {
  zone: string;
  ttl: number;
  soa: SoaData;
  ns: string[];
  /** The PTR records, packed in shared memory like the forward zone (records/packed-reverse.ts). */
  reverse?: ReverseMessage;
  /** A secondary's expired zones (RecordTable.expired). */
  expired?: string[];
}

export interface EncodedTable {
  header: TableHeader;
  packed: PackedTable;
}

export function tableHeader(table: RecordTable): TableHeader {
  const header: TableHeader = { zone: table.zone, ttl: table.ttl, soa: { ...table.soa }, ns: [...table.ns] };
  if (table.reverse !== undefined) header.reverse = reverseMessage(table.reverse);
  if (table.expired !== undefined) header.expired = [...table.expired];
  return header;
}

/** The table as a message. The enumeration is not carried: workers serve DNS only. */
export function encodeTable(table: RecordTable): EncodedTable {
  return { header: tableHeader(table), packed: table.packed ?? packTable(table) };
}

/**
 * Packs a table that is not packed yet (hand-made tables in tests): every owner's records in
 * table order, and exactly its existing names that own nothing.
 */
export function packTable(table: RecordTable): PackedTable {
  const b = new TableBuilder();
  let priority: number | undefined;
  let weight: number | undefined;
  for (const [name, rec] of table.names) {
    const owner = b.name(name);
    for (const ip of rec.a) b.addA(owner, b.ip(ip));
    for (const ip of rec.aaaa) b.addAAAA(owner, b.ip(ip));
    for (const s of rec.srv) {
      priority ??= s.priority;
      weight ??= s.weight;
      b.addSRV(owner, b.name(s.target), s.port, s.priority, s.weight);
    }
  }
  const ents = [...table.existing].filter((n) => !table.names.has(n));
  return b.finish({ zone: table.zone, emptyNonTerminals: ents, srvPriority: priority ?? 0, srvWeight: weight ?? 0 }).packed;
}

/** Rebuilds the table from a message; throws (and nothing is served from it) if it is malformed. */
export function decodeTable(encoded: EncodedTable): RecordTable {
  const check = checkTable(encoded);
  let step = check.next();
  while (step.done !== true) step = check.next();
  return unpacked(encoded.header, step.value);
}

/**
 * decodeTable, with the checks spread over several turns of the event loop. A DNS worker thread
 * serves queries on the same thread: checked in one go, a 100,000-task table (a million index
 * slots, 1.3 million records) held up its queries for 30–80 ms on every swap, measured while the
 * code was still cold; in slices, queries are answered from the current table in between.
 */
export async function decodeTableInSlices(encoded: EncodedTable, pause: () => Promise<void> = () => new Promise((r) => setImmediate(r))): Promise<RecordTable> {
  const check = checkTable(encoded);
  let step = check.next();
  while (step.done !== true) {
    await pause();
    step = check.next();
  }
  return unpacked(encoded.header, step.value);
}

function* checkTable(encoded: EncodedTable): Generator<void, { packed: PackedTable; reverse?: ReverseMessage }> {
  const packed = yield* checkPacked(encoded.packed);
  const r = encoded.header.reverse;
  return r === undefined ? { packed } : { packed, reverse: yield* checkReverse(r) };
}

function unpacked(h: TableHeader, { packed, reverse }: { packed: PackedTable; reverse?: ReverseMessage }): RecordTable {
  return Object.freeze({
    zone: h.zone,
    ttl: h.ttl,
    soa: Object.freeze({ ...h.soa }),
    ns: Object.freeze([...h.ns]),
    names: new PackedNames(packed),
    existing: new PackedExisting(packed),
    enumeration: null,
    packed,
    ...(reverse === undefined ? {} : { reverse: packedReverseTable(reverse) }),
    ...(Array.isArray(h.expired) && h.expired.every((z) => typeof z === 'string') ? { expired: Object.freeze([...h.expired]) } : {}),
  });
}

/** A reverse message checked and readable (checkTable does the same in slices; for benchmarks). */
export function decodeReverse(m: ReverseMessage): ReverseTable {
  const check = checkReverse(m);
  let step = check.next();
  while (step.done !== true) step = check.next();
  return packedReverseTable(step.value);
}

/** The reverse records' shapes and bounds (the packed arrays in slices), or the message is refused. */
function* checkReverse(r: ReverseMessage): Generator<void, ReverseMessage> {
  const strings = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'string');
  if (!strings(r.zones) || !strings(r.between)) throw new TableMessageError('reverse records: malformed arrays');
  if (r.serials !== undefined && (!Array.isArray(r.serials) || r.serials.length !== r.zones.length || !r.serials.every((s) => Number.isInteger(s) && s >= 0 && s < 2 ** 32))) {
    throw new TableMessageError('reverse records: malformed serials');
  }
  const p = r.packed as Partial<PackedReverse> | undefined;
  if (typeof p !== 'object' || p === null) throw new TableMessageError('reverse records: not packed');
  const owners = yield* checkBlob(p.owners, 'reverse owners');
  const targets = yield* checkBlob(p.targets, 'reverse targets');
  const count = owners.ends.length;
  const { slots, targetEnds } = p;
  if (!isInt32(slots) || slots.length < count || (slots.length & (slots.length - 1)) !== 0) throw new TableMessageError('reverse records: bad owner index');
  for (let from = 0; from < slots.length; from += SLICE) {
    yield;
    if (!slotsInRange(slots, from, Math.min(slots.length, from + SLICE), count)) throw new TableMessageError('reverse records: owner index out of range');
  }
  if (!isInt32(targetEnds) || targetEnds.length !== count) throw new TableMessageError('reverse records: targets do not match the owners');
  let previous = 0;
  for (let from = 0; from < count; from += SLICE) {
    yield;
    previous = endsInOrder(targetEnds, from, Math.min(count, from + SLICE), previous, targets.ends.length);
    if (previous < 0) throw new TableMessageError('reverse records: target offsets out of order');
  }
  return { zones: r.zones, between: r.between, ...(r.serials === undefined ? {} : { serials: r.serials }), packed: { owners, slots, targetEnds, targets } };
}

/** Array elements checked between two pauses of decodeTableInSlices. */
const SLICE = 1 << 17;

// util.types rather than instanceof: the checks must hold for arrays made in another realm too.
const isInt32 = (v: unknown): v is Int32Array => types.isInt32Array(v);
const isBytes = (v: unknown): v is Uint8Array => types.isUint8Array(v);

// Each check below is a plain function over one slice [from, to) of an array, and the generators
// only walk the slices, pausing before each (a pause costs one turn of the event loop): a loop inside a generator, with a yield test per element, ran several
// times slower, which on a worker's first table (cold code) was most of the time between the
// swap and the worker serving it.

/** `ends[from..to)` ascending from `previous` and within `size`; the last end, or -1 if not. */
function endsInOrder(ends: Int32Array, from: number, to: number, previous: number, size: number): number {
  for (let i = from; i < to; i++) {
    const end = ends[i];
    if (end < previous || end > size) return -1;
    previous = end;
  }
  return previous;
}

function slotsInRange(slots: Int32Array, from: number, to: number, count: number): boolean {
  for (let s = from; s < to; s++) if (slots[s] < 0 || slots[s] > count) return false;
  return true;
}

/** Name kinds and record offsets of ids [from, to); adds to counts[0] (owners) and counts[1] (existing), or gives the error. */
function namesHoldTogether(nameKind: Uint8Array, recStart: Int32Array, from: number, to: number, counts: number[]): string | undefined {
  let owners = 0;
  let existing = 0;
  for (let id = from; id < to; id++) {
    const kind = nameKind[id];
    if (kind !== NAME_OWNER && kind !== NAME_ENT && kind !== NAME_TARGET) return 'bad name kind';
    const first = recStart[id];
    const end = recStart[id + 1];
    if (end < first) return 'record offsets out of order';
    if ((kind === NAME_OWNER) !== end > first) return 'owners and records disagree';
    if (kind === NAME_OWNER) owners++;
    if (kind !== NAME_TARGET) existing++;
  }
  counts[0] += owners;
  counts[1] += existing;
  return undefined;
}

function recordsInRange(recPort: Int32Array, recValue: Int32Array, from: number, to: number, ipCount: number, count: number): string | undefined {
  for (let r = from; r < to; r++) {
    const port = recPort[r];
    const value = recValue[r];
    if (port < KIND_AAAA || port > 0xffff) return 'bad record kind';
    if (value < 0 || value >= (port < 0 ? ipCount : count)) return 'record value out of range';
  }
  return undefined;
}

function* checkBlob(v: unknown, what: string): Generator<void, StringBlob> {
  const blob = v as { bytes?: unknown; ends?: unknown } | undefined;
  if (!isBytes(blob?.bytes) || !isInt32(blob.ends)) throw new TableMessageError(`table message: ${what} is not a string blob`);
  const bytes: Uint8Array = blob.bytes;
  const ends = blob.ends;
  let previous = 0;
  for (let from = 0; from < ends.length; from += SLICE) {
    if (from > 0) yield;
    previous = endsInOrder(ends, from, Math.min(ends.length, from + SLICE), previous, bytes.length);
    if (previous < 0) throw new TableMessageError(`table message: ${what} offsets out of order`);
  }
  // Structured clone hands a Buffer over as a plain Uint8Array; readers decode with Buffer.
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { bytes: buffer, ends };
}

/**
 * Shapes and bounds of every array, so that no read of a served table can go out of range. A
 * generator: it yields after every SLICE elements, and returns the checked table.
 */
function* checkPacked(v: unknown): Generator<void, PackedTable> {
  const t = v as Partial<PackedTable> | undefined;
  if (typeof t !== 'object' || t === null) throw new TableMessageError('table message: no packed table');
  const names = yield* checkBlob(t.names, 'names');
  const ips = yield* checkBlob(t.ips, 'ips');
  const count = names.ends.length;
  const { nameKind, slots, recStart, recPort, recValue, srvExtra } = t;
  if (!isBytes(nameKind) || nameKind.length !== count) throw new TableMessageError('table message: name kinds do not match the names');
  if (!isInt32(slots) || slots.length < count || (slots.length & (slots.length - 1)) !== 0) throw new TableMessageError('table message: bad name index');
  for (let from = 0; from < slots.length; from += SLICE) {
    yield;
    if (!slotsInRange(slots, from, Math.min(slots.length, from + SLICE), count)) throw new TableMessageError('table message: name index out of range');
  }
  if (!isInt32(recStart) || recStart.length !== count + 1 || recStart[0] !== 0) throw new TableMessageError('table message: bad record offsets');
  if (!isInt32(recPort) || !isInt32(recValue) || recPort.length !== recValue.length || recStart[count] !== recPort.length) {
    throw new TableMessageError('table message: record arrays do not match');
  }
  if (srvExtra != null && (!isInt32(srvExtra) || srvExtra.length !== recPort.length)) throw new TableMessageError('table message: bad SRV priorities');
  const counts = [0, 0];
  for (let from = 0; from < count; from += SLICE) {
    yield;
    const error = namesHoldTogether(nameKind, recStart, from, Math.min(count, from + SLICE), counts);
    if (error !== undefined) throw new TableMessageError(`table message: ${error}`);
  }
  const [owners, existing] = counts;
  const ipCount = ips.ends.length;
  for (let from = 0; from < recPort.length; from += SLICE) {
    yield;
    const error = recordsInRange(recPort, recValue, from, Math.min(recPort.length, from + SLICE), ipCount, count);
    if (error !== undefined) throw new TableMessageError(`table message: ${error}`);
  }
  if (t.ownerCount !== owners || t.existingCount !== existing) throw new TableMessageError('table message: name counts do not match');
  if (typeof t.srvPriority !== 'number' || typeof t.srvWeight !== 'number') throw new TableMessageError('table message: bad SRV defaults');
  return {
    names,
    nameKind,
    ownerCount: owners,
    existingCount: existing,
    slots,
    recStart,
    recPort,
    recValue,
    ips,
    srvPriority: t.srvPriority,
    srvWeight: t.srvWeight,
    srvExtra: srvExtra ?? null,
  };
}
