// Pre-encoded answers for one table generation and one config: the reply bytes the ordinary
// pipeline (lookup + encodeAnswer) produces for a name and type, encoded once and then reused by
// fast-path.ts, which only patches ID, flags, question case and OPT into a copy.
//
// Why lazily, per (name, type) on first query, and not eagerly at swap time: encoding every
// name of a 100,000-task table takes seconds and hundreds of MB (bench/fast-path.ts measures
// it), while a real query mix touches a small part of the table. A swap costs nothing: a cache
// belongs to one snapshot and one config object, and the caller makes a new one when either
// changes, so an old generation's answers can never be served.
//
// Every entry is made by the real encoder from the real lookup and shaped for the fast path by
// pre-encode.ts; negative answers share one SOA tail per cache (negative-tail.ts).
//
// Order (AnswerOrder, answer-order.ts): entries hold the RRset in table order; the fast path
// writes each reply's records in a fresh random permutation ("shuffle", as mesos-dns) or rotated
// one step per reply from the entry's `next` ("round-robin").
import type { Config } from '../../config/typed.js';
import type { RecordTable } from '../../records/table.js';
import type { Snapshot } from '../../store.js';
import { TCP_MAX, UDP_MIN } from '../wire/constants.js';
import { QTYPE, RCODE } from '../wire/message.js';
import { nameToWire } from '../wire/name-wire.js';
import { blockedLabels, labelStarts, negativeTails, type NegativeTail } from './negative-tail.js';
import { preEncode, type PreEncoded } from './pre-encode.js';
import { domainIsAllOurs, route } from './route.js';

/** Query types answered from entries; every other type is negative (or ANY/AXFR/IXFR: slow). */
export const CACHED_TYPES: ReadonlySet<number> = new Set([QTYPE.A, QTYPE.AAAA, QTYPE.SRV, QTYPE.NS, QTYPE.SOA]);

/**
 * Entries one cache keeps (about 0.5 KB each); past it the oldest go first. 200,000 covers
 * every A and SRV name queried in a 100,000-task cluster's usual mix at under 100 MB.
 */
export const DEFAULT_MAX_ENTRIES = 200_000;
/** Kept replies are copied into slabs of this size (see AnswerCache.#keep). */
const SLAB_BYTES = 64 * 1024;

export interface AnswerCacheOptions {
  maxEntries?: number;
}

/** Results of filling a miss besides an entry; NODATA is kept in the map like an entry. */
export const NODATA = Symbol('nodata');
export const NXDOMAIN = Symbol('nxdomain');
export const SLOW = Symbol('slow');

export class AnswerCache {
  readonly snapshot: Snapshot;
  readonly config: Config;
  readonly table: RecordTable;
  /** Lower-case wire form of the zone apex; undefined when the cache must not be used at all. */
  readonly zoneWire: Buffer | undefined;
  /** Offsets of the zone's labels in zoneWire, the root excluded. */
  readonly zoneLabels: readonly number[];
  /**
   * Negative-answer tails by the number of the zone's trailing labels that the query wrote in
   * lower case (0..zoneLabels.length); undefined when negative answers take the ordinary path.
   */
  readonly negative: readonly NegativeTail[] | undefined;
  /**
   * Labels (lower-case wire bytes) that may not stand right before the zone in a query name
   * written in lower case: the SOA names under the zone would compress against such a name.
   */
  readonly blockedLabels: readonly Buffer[];
  /** AnswerOrder "round-robin": entries rotate one step per reply; false: every reply shuffled. */
  readonly roundRobin: boolean;
  /** RA bit (0x80 or 0) of our replies in byte 3 of the header. */
  readonly raBit: number;
  readonly setTruncateBit: boolean;
  /** The UDP payload size we advertise in our OPT (RFC 6891 §6.2.5). */
  readonly ednsUdpSize: number;
  /** The largest EDNS UDP limit we honour (maxResponseSize). */
  readonly ednsCeiling: number;
  /**
   * The response rate limiter's name hash of the reply fastAnswer made last from this cache: its
   * entry's, or -1 (a negative answer: read from the query when the limiter needs it). Read by
   * the caller right after a synchronous reply, before the next query (dns-service.ts).
   */
  replyNameHash = -1;
  #entries = new Map<string, PreEncoded | typeof NODATA>();
  readonly #maxEntries: number;
  #slab = Buffer.allocUnsafeSlow(0);
  #slabUsed = 0;
  /** route() sends every name under the domain to us (no zoneResolvers zone inside it). */
  readonly #allOurs: boolean;

  constructor(snapshot: Snapshot, config: Config, options: AnswerCacheOptions = {}) {
    this.snapshot = snapshot;
    this.config = config;
    this.table = snapshot.table;
    this.#maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.raBit = config.RecurseOn ? 0x80 : 0;
    this.roundRobin = config.typed.roundRobin;
    this.setTruncateBit = config.SetTruncateBit;
    this.ednsUdpSize = Math.max(UDP_MIN, Math.min(Math.floor(config.EDNSMaxUDPSize), TCP_MAX));
    this.ednsCeiling = this.ednsUdpSize;
    // Routing (config) and records (table) must agree on the zone; right after a reload that
    // changed Domain they may not, until the table is rebuilt. The ordinary path copes.
    // An expired zone (a secondary's, RecordTable.expired) is answered SERVFAIL by the ordinary path.
    this.zoneWire = this.table.zone === config.typed.zone && !this.table.expired?.includes(this.table.zone) ? nameToWire(this.table.zone) : undefined;
    this.#allOurs = domainIsAllOurs(config.typed.routing);
    this.zoneLabels = this.zoneWire ? labelStarts(this.zoneWire) : [];
    this.blockedLabels = this.zoneWire ? blockedLabels(this.table, this.zoneWire) : [];
    this.negative = this.zoneWire && this.#allOurs ? negativeTails(this.table, this.zoneWire, this.zoneLabels, this.blockedLabels, config) : undefined;
  }

  /**
   * The cache for `snapshot`, a patch of `old`'s snapshot (Snapshot.patch): `old`'s entries move
   * over except those of the touched names and of the apex (its SOA serial changes with every
   * generation), so a task event does not empty the cache. `old` must not be used afterwards.
   */
  static patched(old: AnswerCache, snapshot: Snapshot): AnswerCache {
    const cache = new AnswerCache(snapshot, old.config, { maxEntries: old.#maxEntries });
    const patch = snapshot.patch;
    if (patch === undefined || patch.from !== old.snapshot.generation || cache.zoneWire === undefined || old.zoneWire === undefined || !cache.zoneWire.equals(old.zoneWire)) return cache;
    const entries = old.#entries;
    const drop = (name: string): void => {
      const wire = nameToWire(name.toLowerCase());
      if (wire === undefined) return;
      const prefix = wire.toString('latin1');
      for (const qtype of CACHED_TYPES) entries.delete(prefix + String.fromCharCode(qtype >> 8, qtype & 0xff));
    };
    for (const name of patch.touched) drop(name);
    drop(cache.table.zone);
    cache.#entries = entries;
    cache.#slab = old.#slab;
    cache.#slabUsed = old.#slabUsed;
    old.#entries = new Map();
    return cache;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The entry for a question key (lower-case QNAME wire + QTYPE, latin1), if made before. */
  get(key: string): PreEncoded | typeof NODATA | undefined {
    return this.#entries.get(key);
  }

  /**
   * Makes the entry for `key` (see get) whose name is `name` (lower-case presentation, no
   * trailing dot). NODATA and NXDOMAIN: answer from `negative`. SLOW: the ordinary pipeline
   * must answer (not ours to answer, or a shape we do not model).
   */
  fill(key: string, name: string, qtype: number): PreEncoded | typeof NODATA | typeof NXDOMAIN | typeof SLOW {
    if (this.zoneWire === undefined) return SLOW;
    const c = this.config;
    // The caller checked that the name is under the zone; only a forwarded zone inside it can
    // take the name away from us.
    if (!this.#allOurs) {
      const where = route(name, c.typed.routing);
      if (where.kind !== 'authority') return SLOW;
    }
    if (!this.table.existing.has(name === '' ? '.' : `${name}.`)) return NXDOMAIN;
    const entry = preEncode(this.table, name, qtype, c, (wire) => this.#keep(wire));
    const kept = entry.answers === 0 && entry.authority === 1 && entry.wire[3] === (this.raBit | RCODE.NOERROR) ? NODATA : entry;
    if (this.#entries.size >= this.#maxEntries) {
      // First in, first out: Map keeps insertion order, so this is O(1).
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, kept);
    return kept;
  }

  /**
   * A copy of `wire` in this cache's own slabs. Not Buffer.from(): its small copies share
   * Node's 8 KiB pool slabs with the encoder's discarded scratch buffers, and one kept answer
   * would keep a whole slab of garbage alive (measured: ~1.6 KB of RSS per entry).
   */
  #keep(wire: Buffer): Buffer {
    if (wire.length > SLAB_BYTES / 8) {
      const own = Buffer.allocUnsafeSlow(wire.length);
      wire.copy(own);
      return own;
    }
    if (this.#slabUsed + wire.length > this.#slab.length) {
      this.#slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
      this.#slabUsed = 0;
    }
    const at = this.#slabUsed;
    wire.copy(this.#slab, at);
    this.#slabUsed += wire.length;
    return this.#slab.subarray(at, at + wire.length);
  }

  /** Whether `name` (lower-case presentation with trailing dot) exists in the zone. */
  exists(absoluteName: string): boolean {
    return this.table.existing.has(absoluteName);
  }
}
