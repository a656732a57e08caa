// Collects records while a table is built and packs them (packed-table.ts) at the end.
//
// Adding a record is three integers appended to a log: owner name id, value, kind/port. Names
// and IPs are interned once (one Map lookup per new string); nothing per record is allocated.
// De-duplication happens in finish(), per name, keeping the first occurrence, which gives the
// same result as checking on every insert (mesos-dns keeps sets per name) at a fraction of the
// cost. The log stays available afterwards with a "first seen" flag per entry, which is what
// /v1/enumerate needs: the records each task added that were not there before.
import { NameInterner } from './name-interner.js';
import { ChildLinks, derivedEmptyNonTerminals } from './empty-non-terminals.js';
import { ResumedNames } from './resumed-names.js';
import { ResumedIps } from './resumed-ips.js';
import { KIND_A, KIND_AAAA, NAME_ENT, NAME_OWNER, packStrings, sharePacked } from './packed-table.js';
import type { PackedTable, StringBlob } from './packed-table.js';
import type { Ip } from './table-ips.js';

export interface BuiltTable {
  packed: PackedTable;
  /** The insertion log: per entry, name id, value, kind/port (3 Int32s). */
  log: Int32Array;
  /** Per log entry: 1 if it added a record, 0 if the name already had it. */
  firstSeen: Uint8Array;
  /**
   * Per name id: how many existing names inside the zones (apexes aside) have it as parent (the
   * incremental table's start, name-states.ts); only when the empty non-terminals were derived.
   */
  children?: Int32Array;
}

export interface FinishOptions {
  /** Zone apex, absolute, lower-case; its empty non-terminals are derived from the owners. */
  zone: string;
  /**
   * Instead of deriving them: exactly these names exist without owning records (used when
   * packing a table that already lists them).
   */
  emptyNonTerminals?: Iterable<string>;
  /** More zones of ours whose empty non-terminals are derived too (DcosNames: thisdcos.directory.). */
  zones?: readonly string[];
  srvPriority: number;
  srvWeight: number;
}

/** What the task records (task-records.ts) and the IP helpers need of a builder. */
export interface RecordSink {
  name(name: string): number;
  nameOfParts(a: Uint8Array, b: Uint8Array, c: Uint8Array, d: Uint8Array): number;
  ip(text: string): number;
  /** The Ip of an address in canonical text, its id made if new (a fresh build: one object per address). */
  ipOf(text: string): Ip;
  /**
   * A fresh builder's cache of address texts (canonical or as written) -> Ip, null for a text that
   * is no address: what toIps reads, and keeps, when it is its `seen` (a build's seenIps).
   */
  readonly ipCache: Map<string, Ip | null>;
  /** A new Ip for a canonical text the caller found in no cache; the caller caches it (toIps). */
  newIp(text: string): Ip;
  addA(owner: number, ip: number): void;
  addAAAA(owner: number, ip: number): void;
  addSRV(owner: number, target: number, port: number): void;
}

/** Lists longer than this are de-duplicated with a Set instead of scanning. */
const SCAN_LIMIT = 32;

export class TableBuilder implements RecordSink {
  readonly #names: NameInterner | ResumedNames;
  readonly ipCache = new Map<string, Ip | null>();
  readonly #ips: string[] = [];
  /** A resumed builder's IPs: the table's read in place (resumed-ips.ts); ipCache and #ips stay empty. */
  #resumedIps: ResumedIps | undefined;
  /** #ips packed by ipBlob(), reused by finish() while no IP was added since. */
  #ipBlob: StringBlob | undefined;
  #log: Int32Array;
  #n = 0;
  /** Per log entry (priority << 16 | weight), only once an SRV with other values was added. */
  #extra: Int32Array | undefined;
  readonly #defaultExtra: number;

  /** `expected` sizes the working arrays up front (see NameInterner); a guess, not a limit. */
  constructor(srvPriority = 0, srvWeight = 0, expected: { names: number; records: number } = { names: 1024, records: 1024 }, names?: ResumedNames) {
    this.#defaultExtra = (srvPriority << 16) | srvWeight;
    this.#names = names ?? new NameInterner(expected.names);
    this.#log = new Int32Array(3 * Math.max(1024, expected.records));
  }

  /**
   * A builder that goes on from a finished table: its names and IPs keep their ids (so the
   * table's name ids and the build's log stay meaningful) and new ones are added after them.
   * Used by the incremental table for the records of changed tasks; never finished.
   */
  static resume(packed: PackedTable, srvWeight: number): TableBuilder {
    const b = new TableBuilder(0, srvWeight, { names: 0, records: 64 }, new ResumedNames(packed.names, packed.slots));
    b.#resumedIps = new ResumedIps(packed.ips);
    return b;
  }

  /** The log entries added since the last clearLog (owner, value, kind per entry); a view. */
  logEntries(): Int32Array {
    return this.#log.subarray(0, this.#n);
  }

  clearLog(): void {
    this.#n = 0;
  }

  nameText(id: number): string {
    return this.#names.string(id);
  }

  ipText(id: number): string {
    return this.#resumedIps === undefined ? this.#ips[id] : this.#resumedIps.text(id);
  }

  /** A resumed builder's: makes its index of the base's addresses now rather than on first use. */
  indexBaseIps(): void {
    this.#resumedIps?.index();
  }

  /** A resumed builder's: the base table's id of an address, -1 when the base has no such address (nothing is added). */
  baseIpId(text: string): number {
    return this.#resumedIps === undefined ? -1 : this.#resumedIps.baseId(text);
  }

  /** The id of the parent of name `id` (the name after its first label), interned if new; -1 for the root. */
  parentName(id: number): number {
    const names = this.#names;
    const end = names.end(id);
    let at = names.start(id);
    while (at < end && names.byte(at) !== 0x2e) at++;
    if (at >= end - 1) return -1;
    return names.internStored(at + 1, end);
  }

  /** Whether name `id` ends with these bytes. */
  nameEndsWith(id: number, suffix: Uint8Array): boolean {
    const names = this.#names;
    const end = names.end(id);
    const start = end - suffix.length;
    if (start < names.start(id)) return false;
    for (let i = 0; i < suffix.length; i++) if (names.byte(start + i) !== suffix[i]) return false;
    return true;
  }

  /** A fresh builder's name id of `name`, -1 when it was never interned (nothing is added). */
  findName(name: string): number {
    return (this.#names as NameInterner).find(name);
  }

  /** A fresh builder's names so far (name-interner.ts soFar: views that later names leave as they are). */
  namesSoFar(): StringBlob {
    return (this.#names as NameInterner).soFar();
  }

  /** A fresh builder's IPs so far by id, packed (finish() reuses it while no IP was added since). */
  ipBlob(): StringBlob {
    if (this.#ipBlob === undefined || this.#ipBlob.ends.length !== this.#ips.length) this.#ipBlob = packStrings(this.#ips);
    return this.#ipBlob;
  }

  get nameCount(): number {
    return this.#names.count;
  }

  /** Number of log entries so far (positions for enumeration ranges). */
  get length(): number {
    return this.#n / 3;
  }

  name(name: string): number {
    return this.#names.intern(name);
  }

  /** The id of the name made of these byte parts (name-interner.ts namePart), in order. */
  nameOfParts(a: Uint8Array, b: Uint8Array, c: Uint8Array, d: Uint8Array): number {
    return this.#names.internParts(a, b, c, d);
  }

  /** The id of an IP in canonical text form. */
  ip(text: string): number {
    return this.ipOf(text).id;
  }

  ipOf(text: string): Ip {
    if (this.#resumedIps !== undefined) return { text, v6: text.includes(':'), id: this.#resumedIps.id(text) };
    const known = this.ipCache.get(text);
    if (known) return known;
    const ip = this.newIp(text);
    this.ipCache.set(text, ip);
    return ip;
  }

  newIp(text: string): Ip {
    if (this.#resumedIps !== undefined) return this.ipOf(text);
    const ip: Ip = { text, v6: text.includes(':'), id: this.#ips.length };
    this.#ips.push(text);
    return ip;
  }

  addA(owner: number, ip: number): void {
    this.#append(owner, ip, KIND_A);
  }

  addAAAA(owner: number, ip: number): void {
    this.#append(owner, ip, KIND_AAAA);
  }

  addSRV(owner: number, target: number, port: number, priority?: number, weight?: number): void {
    const at = this.#n / 3;
    this.#append(owner, target, port);
    if (priority === undefined || weight === undefined) return;
    const extra = (priority << 16) | (weight & 0xffff);
    if (extra === this.#defaultExtra && this.#extra === undefined) return;
    if (this.#extra === undefined) this.#extra = new Int32Array(this.#log.length / 3).fill(this.#defaultExtra);
    this.#extra[at] = extra;
  }

  /** Whether `owner` already has this record (a scan: for the few checks the master records need). */
  has(owner: number, value: number, kind: number): boolean {
    const log = this.#log;
    for (let i = 0; i < this.#n; i += 3) if (log[i] === owner && log[i + 1] === value && log[i + 2] === kind) return true;
    return false;
  }

  #append(owner: number, value: number, kind: number): void {
    if (this.#n + 3 > this.#log.length) {
      const grown = new Int32Array(this.#log.length * 2);
      grown.set(this.#log);
      this.#log = grown;
      if (this.#extra) {
        const extra = new Int32Array(grown.length / 3).fill(this.#defaultExtra);
        extra.set(this.#extra);
        this.#extra = extra;
      }
    }
    const log = this.#log;
    const n = this.#n;
    log[n] = owner;
    log[n + 1] = value;
    log[n + 2] = kind;
    this.#n = n + 3;
  }

  finish(options: FinishOptions): BuiltTable {
    const entries = this.#n / 3;
    const log = this.#log.subarray(0, this.#n);

    // Records per name, then the names that exist without records.
    let counts = new Int32Array(this.#names.count);
    for (let i = 0; i < this.#n; i += 3) counts[log[i]]++;
    const owners = this.#names.count;
    // finish() is a fresh builder's (never a resumed one's): its names are a NameInterner.
    const names = this.#names as NameInterner;
    const zones = [options.zone, ...(options.zones ?? [])];
    const links = options.emptyNonTerminals === undefined ? new ChildLinks(zones, owners) : undefined;
    const ents = links !== undefined ? derivedEmptyNonTerminals(names, counts, options.zone, links) : this.#givenEmptyNonTerminals(options.emptyNonTerminals!, counts);
    if (links !== undefined) {
      for (const zone of options.zones ?? []) for (const id of derivedEmptyNonTerminals(names, counts, zone, links)) ents.push(id);
    }
    const nameCount = this.#names.count;
    const children = links?.counts(nameCount, zones.map((z) => names.intern(z)));
    if (nameCount > owners) {
      const grown = new Int32Array(nameCount);
      grown.set(counts);
      counts = grown;
    }
    const nameKind = new Uint8Array(nameCount);
    let ownerCount = 0;
    for (let id = 0; id < nameCount; id++) {
      if (counts[id] > 0) {
        nameKind[id] = NAME_OWNER;
        ownerCount++;
      }
    }
    for (const id of ents) if (nameKind[id] !== NAME_OWNER) nameKind[id] = NAME_ENT;
    let existingCount = ownerCount;
    for (let id = 0; id < nameCount; id++) if (nameKind[id] === NAME_ENT) existingCount++;

    // Group the log by name, stable (counting sort), then drop repeats within each name.
    const cursor = new Int32Array(nameCount + 1);
    for (let id = 0; id < nameCount; id++) cursor[id + 1] = cursor[id] + counts[id];
    const order = new Int32Array(entries);
    for (let e = 0; e < entries; e++) order[cursor[log[3 * e]]++] = e;
    const firstSeen = new Uint8Array(entries);
    const recStart = new Int32Array(nameCount + 1);
    const recValue = new Int32Array(entries);
    const recPort = new Int32Array(entries);
    const extraIn = this.#extra;
    const recExtra = extraIn ? new Int32Array(entries) : null;
    let out = 0;
    let from = 0;
    for (let id = 0; id < nameCount; id++) {
      recStart[id] = out;
      const to = from + counts[id];
      let seen: Set<number> | undefined;
      for (let k = from; k < to; k++) {
        const e = order[k];
        const value = log[3 * e + 1];
        const kind = log[3 * e + 2];
        const kept = out - recStart[id];
        let dup = false;
        if (seen !== undefined) {
          const key = value * 0x20000 + (kind + 2);
          dup = seen.has(key);
          if (!dup) seen.add(key);
        } else {
          for (let r = recStart[id]; r < out; r++) {
            if (recValue[r] === value && recPort[r] === kind) {
              dup = true;
              break;
            }
          }
          if (!dup && kept + 1 > SCAN_LIMIT) {
            seen = new Set();
            for (let r = recStart[id]; r < out; r++) seen.add(recValue[r] * 0x20000 + (recPort[r] + 2));
            seen.add(value * 0x20000 + (kind + 2));
          }
        }
        if (dup) continue;
        firstSeen[e] = 1;
        recValue[out] = value;
        recPort[out] = kind;
        if (recExtra && extraIn) recExtra[out] = extraIn[e];
        out++;
      }
      from = to;
    }
    recStart[nameCount] = out;

    // Only a fresh builder is finished; a resumed one (the incremental table's) never is.
    const { bytes, ends, slots } = (this.#names as NameInterner).finish();
    // sharePacked copies every array, exactly sized, into the table's one shared buffer; the
    // working arrays (sized for every log entry) are dropped.
    const packed = sharePacked({
      names: { bytes, ends },
      nameKind,
      ownerCount,
      existingCount,
      slots,
      recStart,
      recPort: recPort.subarray(0, out),
      recValue: recValue.subarray(0, out),
      ips: this.#resumedIps === undefined ? this.ipBlob() : packStrings(this.#resumedIps.all()),
      srvPriority: options.srvPriority,
      srvWeight: options.srvWeight,
      srvExtra: recExtra ? recExtra.subarray(0, out) : null,
    });
    // The log's own buffer is kept when it is mostly used; a copy only when it is mostly slack.
    return { packed, log: this.#n * 2 >= this.#log.length ? log : log.slice(), firstSeen, ...(children === undefined ? {} : { children }) };
  }

  #givenEmptyNonTerminals(names: Iterable<string>, counts: Int32Array): number[] {
    const out: number[] = [];
    for (const name of names) {
      const id = this.name(name);
      if (id >= counts.length || counts[id] === 0) out.push(id);
    }
    return out;
  }
}
