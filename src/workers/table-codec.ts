// A built RecordTable -> chunks of bytes -> a RecordTable again, for handing each new table
// generation from the primary to the DNS worker processes (supervisor.ts -> worker-main.ts).
//
// Why ship the built table rather than the master state for each worker to build: at 100,000
// tasks, building takes seconds of CPU per process while decoding this form takes a fraction
// of that (bench/fast-path.ts measures both), and every worker would otherwise compete with
// query serving for the same cores to repeat the primary's work.
//
// The form: names in chunks of a few thousand, each chunk one v8-serialized object { names,
// records, strings }. Record values are numbers: counts, then indexes into a string list (IP
// texts and SRV targets, each sent once, whichever chunk first uses it). The decoder keeps them
// that way, packed in one Int32Array behind a name -> offset Map, and builds a NameRecords
// object only when asked for one (a slow-path query or a cache fill). That keeps each worker's
// copy at a fraction of the primary's (objects per name) and makes decoding mostly Map inserts,
// which happen chunk by chunk between queries, while the previous table keeps serving.
import { types } from 'node:util';
import v8 from 'node:v8';
import type { NameRecords, RecordTable, SoaData, SrvRecord } from '../records/table.js';
import { ExistingNames } from '../records/existing-names.js';

/** Everything but the names; sent first. */
export interface TableHeader {
  zone: string;
  ttl: number;
  soa: SoaData;
  ns: string[];
}

/** Sent after the last chunk: what the decoder must have seen, and the names owning nothing. */
export interface TableTrailer {
  names: number;
  chunks: number;
  /** Existing names that own no records (empty non-terminals, the apex). */
  emptyNonTerminals: string[];
}

export interface EncodedTable {
  header: TableHeader;
  /** Each a v8-serialized ChunkBody. */
  chunks: Buffer[];
  trailer: TableTrailer;
}

interface ChunkBody {
  names: string[];
  /** Per name: nA, nAAAA, nSRV, A indexes, AAAA indexes, then (target index, port, priority, weight) per SRV. */
  records: Int32Array;
  /** Strings first used in this chunk, appended to the list in order. */
  strings: string[];
}

export const DEFAULT_CHUNK_NAMES = 20_000;

export function tableHeader(table: RecordTable): TableHeader {
  return { zone: table.zone, ttl: table.ttl, soa: { ...table.soa }, ns: [...table.ns] };
}

/**
 * Encodes the names of `table` a chunk at a time (so a caller can send each as it is made and
 * yield in between); returns the trailer. The enumeration is not carried: workers serve DNS only.
 */
export function* encodeChunks(table: RecordTable, chunkNames = DEFAULT_CHUNK_NAMES): Generator<Buffer, TableTrailer> {
  const strings = new Map<string, number>();
  let chunks = 0;
  let names: string[] = [];
  let fresh: string[] = [];
  let records = new Int32Array(chunkNames * 8);
  let n = 0;
  const intern = (s: string): number => {
    let i = strings.get(s);
    if (i === undefined) {
      i = strings.size;
      strings.set(s, i);
      fresh.push(s);
    }
    return i;
  };
  const chunk = (): Buffer => {
    const body: ChunkBody = { names, records: records.slice(0, n), strings: fresh };
    names = [];
    fresh = [];
    n = 0;
    chunks++;
    return v8.serialize(body);
  };
  for (const [name, rec] of table.names) {
    const need = 3 + rec.a.length + rec.aaaa.length + 4 * rec.srv.length;
    if (n + need > records.length) {
      const grown = new Int32Array(Math.max(records.length * 2, n + need));
      grown.set(records.subarray(0, n));
      records = grown;
    }
    records[n++] = rec.a.length;
    records[n++] = rec.aaaa.length;
    records[n++] = rec.srv.length;
    for (const ip of rec.a) records[n++] = intern(ip);
    for (const ip of rec.aaaa) records[n++] = intern(ip);
    for (const s of rec.srv) {
      records[n++] = intern(s.target);
      records[n++] = s.port;
      records[n++] = s.priority;
      records[n++] = s.weight;
    }
    names.push(name);
    if (names.length === chunkNames) yield chunk();
  }
  if (names.length > 0) yield chunk();
  const emptyNonTerminals: string[] = [];
  for (const name of table.existing) if (!table.names.has(name)) emptyNonTerminals.push(name);
  return { names: table.names.size, chunks, emptyNonTerminals };
}

/** The whole table at once (tests, benchmarks). */
export function encodeTable(table: RecordTable, chunkNames = DEFAULT_CHUNK_NAMES): EncodedTable {
  const chunks: Buffer[] = [];
  const it = encodeChunks(table, chunkNames);
  for (;;) {
    const step = it.next();
    if (step.done) return { header: tableHeader(table), chunks, trailer: step.value };
    chunks.push(step.value);
  }
}

/** Rebuilds a table chunk by chunk: add() each chunk in order, then finish() with the trailer. */
export class TableDecoder {
  readonly #header: TableHeader;
  readonly #index = new Map<string, number>();
  readonly #parts: Int32Array[] = [];
  readonly #strings: string[] = [];
  #values = 0;

  constructor(header: TableHeader) {
    this.#header = header;
  }

  /** Decodes one chunk; throws on a malformed one. */
  add(chunk: Uint8Array): void {
    const body = v8.deserialize(chunk) as ChunkBody;
    if (!Array.isArray(body?.names) || !types.isInt32Array(body.records) || !Array.isArray(body.strings)) {
      throw new Error('table chunk: unexpected shape');
    }
    for (const s of body.strings) this.#strings.push(s);
    const r = body.records;
    const base = this.#values;
    let p = 0;
    for (const name of body.names) {
      if (p + 3 > r.length) throw new Error('table chunk: records do not match its names');
      this.#index.set(name, base + p);
      p += 3 + r[p] + r[p + 1] + 4 * r[p + 2];
    }
    if (p !== r.length) throw new Error('table chunk: records do not match its names');
    this.#parts.push(r);
    this.#values += p;
  }

  finish(trailer: TableTrailer): RecordTable {
    if (this.#parts.length !== trailer.chunks || this.#index.size !== trailer.names) {
      throw new Error(`table: got ${this.#parts.length}/${trailer.chunks} chunks, ${this.#index.size}/${trailer.names} names`);
    }
    const values = new Int32Array(this.#values);
    let at = 0;
    for (const part of this.#parts) {
      values.set(part, at);
      at += part.length;
    }
    this.#parts.length = 0;
    const h = this.#header;
    return Object.freeze({
      zone: h.zone,
      ttl: h.ttl,
      soa: Object.freeze({ ...h.soa }),
      ns: Object.freeze([...h.ns]),
      names: new PackedNames(this.#index, values, this.#strings),
      existing: new ExistingNames(this.#index, new Set(trailer.emptyNonTerminals)),
      enumeration: null,
    });
  }
}

/** Whole-table convenience (tests, benchmarks). */
export function decodeTable(encoded: EncodedTable): RecordTable {
  const decoder = new TableDecoder(encoded.header);
  for (const chunk of encoded.chunks) decoder.add(chunk);
  return decoder.finish(encoded.trailer);
}

/** name -> NameRecords over the packed values; records are built per get(). */
class PackedNames implements ReadonlyMap<string, NameRecords> {
  readonly #index: ReadonlyMap<string, number>;
  readonly #values: Int32Array;
  readonly #strings: readonly string[];

  constructor(index: ReadonlyMap<string, number>, values: Int32Array, strings: readonly string[]) {
    this.#index = index;
    this.#values = values;
    this.#strings = strings;
  }

  get size(): number {
    return this.#index.size;
  }

  has(name: string): boolean {
    return this.#index.has(name);
  }

  get(name: string): NameRecords | undefined {
    const at = this.#index.get(name);
    return at === undefined ? undefined : this.#records(at);
  }

  #records(at: number): NameRecords {
    const v = this.#values;
    const s = this.#strings;
    const nA = v[at];
    const nAAAA = v[at + 1];
    const nSrv = v[at + 2];
    let p = at + 3;
    const a = new Array<string>(nA);
    for (let i = 0; i < nA; i++) a[i] = s[v[p++]];
    const aaaa = new Array<string>(nAAAA);
    for (let i = 0; i < nAAAA; i++) aaaa[i] = s[v[p++]];
    const srv = new Array<SrvRecord>(nSrv);
    for (let i = 0; i < nSrv; i++, p += 4) srv[i] = { target: s[v[p]], port: v[p + 1], priority: v[p + 2], weight: v[p + 3] };
    return { a, aaaa, srv };
  }

  *entries(): MapIterator<[string, NameRecords]> {
    for (const [name, at] of this.#index) yield [name, this.#records(at)];
  }

  keys(): MapIterator<string> {
    return this.#index.keys();
  }

  *values(): MapIterator<NameRecords> {
    for (const at of this.#index.values()) yield this.#records(at);
  }

  [Symbol.iterator](): MapIterator<[string, NameRecords]> {
    return this.entries();
  }

  forEach(callback: (value: NameRecords, key: string, map: ReadonlyMap<string, NameRecords>) => void, thisArg?: unknown): void {
    for (const [name, at] of this.#index) callback.call(thisArg, this.#records(at), name, this);
  }
}

