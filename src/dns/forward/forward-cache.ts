// A cache of forwarded replies, kept as the upstream's bytes. An entry lives for the smallest TTL
// in its answer and authority sections; for negative answers the SOA's MINIMUM counts, capped by
// the SOA's own TTL (RFC 2308 §5). On a hit the copy gets the client's ID and question bytes, and
// every TTL is lowered by the time spent in the cache (RFC 1035 §7.3, RFC 2181 §8), so a client
// never holds a record longer than the upstream allowed. The clock is injected.
import { LRUCache } from 'lru-cache';
import { QTYPE, RCODE, type Query } from '../wire/message.js';
import { firstQuestionEnd, scanMessage, type ScannedMessage } from '../wire/reply-scan.js';
import { HEADER_LENGTH } from '../wire/constants.js';

export interface ForwardCacheOptions {
  /** Most entries kept (least recently used go first); must be >= 1. */
  max: number;
  /** Milliseconds; Date.now by default. */
  now?: () => number;
  /** Upper bound on how long any reply is kept, seconds. */
  maxTtlSeconds?: number;
}

interface Entry {
  reply: Buffer;
  storedAt: number;
  expiresAt: number;
  questionEnd: number;
  /** TTL fields to age on a hit; the OPT pseudo-record's TTL holds flags, so it is not one. */
  ttlOffsets: number[];
}

export const DEFAULT_MAX_TTL_SECONDS = 3600;

/**
 * Everything that can change what an upstream answers, besides the transport: the question,
 * RD (a recursive upstream answers RD=0 from cache only), CD (RFC 4035 §3.2.2: checking
 * disabled may yield data a validating resolver would refuse), whether the client spoke EDNS
 * (RFC 6891 §7: no OPT in a reply to a query without one) and its DO bit (RFC 3225).
 */
export function forwardCacheKey(query: Query): string {
  const q = query.question;
  const edns = query.edns ? (query.edns.dnssecOk ? 'd' : 'e') : '-';
  return `${q.name.toLowerCase()}|${q.type}|${q.class}|${query.rd ? 1 : 0}${query.cd ? 1 : 0}${edns}`;
}

/** TTLs with the top bit set count as zero (RFC 2181 §8). */
function ttlValue(ttl: number): number {
  return ttl > 0x7fffffff ? 0 : ttl;
}

/**
 * How long a reply may be cached, seconds, or 0 when it must not be: only NOERROR and NXDOMAIN
 * answers to standard queries, never truncated ones, and never a negative answer without an SOA
 * to say for how long (RFC 2308 §5).
 */
export function cacheableTtl(buf: Buffer, reply: ScannedMessage, maxTtlSeconds = DEFAULT_MAX_TTL_SECONDS): number {
  if (!reply.qr || reply.tc || reply.opcode !== 0) return 0;
  if (reply.rcode !== RCODE.NOERROR && reply.rcode !== RCODE.NXDOMAIN) return 0;
  let ttl = Infinity;
  let answers = 0;
  let soa = false;
  for (const rr of reply.records) {
    if (rr.section === 'additional') continue;
    if (rr.section === 'answer') answers++;
    ttl = Math.min(ttl, ttlValue(rr.ttl));
    // SOA RDATA ends with five 32-bit fields, MINIMUM last (RFC 1035 §3.3.13); two root names
    // and those fields make 22 octets at least.
    if (rr.type === QTYPE.SOA && rr.section === 'authority' && rr.rdlength >= 22) {
      soa = true;
      ttl = Math.min(ttl, ttlValue(buf.readUInt32BE(rr.rdataOffset + rr.rdlength - 4)));
    }
  }
  // NXDOMAIN (even after a CNAME) or NODATA: only the SOA says how long it holds; NS records
  // or a CNAME's TTL do not (RFC 2308 §5).
  if ((reply.rcode === RCODE.NXDOMAIN || answers === 0) && !soa) return 0;
  return ttl === Infinity ? 0 : Math.min(ttl, maxTtlSeconds);
}

export class ForwardCache {
  readonly #entries: LRUCache<string, Entry>;
  readonly #now: () => number;
  readonly #maxTtlSeconds: number;

  constructor(options: ForwardCacheOptions) {
    if (!(options.max >= 1)) throw new RangeError('ForwardCache max must be >= 1');
    this.#entries = new LRUCache<string, Entry>({ max: options.max });
    this.#now = options.now ?? Date.now;
    this.#maxTtlSeconds = options.maxTtlSeconds ?? DEFAULT_MAX_TTL_SECONDS;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Stores an upstream reply to `query` if it may be cached; returns whether it was. */
  set(query: Query, reply: Buffer): boolean {
    let scanned: ScannedMessage;
    try {
      scanned = scanMessage(reply);
    } catch {
      return false;
    }
    const ttl = cacheableTtl(reply, scanned, this.#maxTtlSeconds);
    if (ttl <= 0 || scanned.qdcount !== 1) return false;
    const now = this.#now();
    this.#entries.set(forwardCacheKey(query), {
      reply: Buffer.from(reply),
      storedAt: now,
      expiresAt: now + ttl * 1000,
      questionEnd: scanned.questionEnd,
      ttlOffsets: scanned.records.filter((rr) => rr.type !== QTYPE.OPT).map((rr) => rr.ttlOffset),
    });
    return true;
  }

  /** A fresh copy of the cached reply to `query`, made out to the client's `raw` query; or undefined. */
  get(query: Query, raw: Buffer): Buffer | undefined {
    const key = forwardCacheKey(query);
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    const now = this.#now();
    if (now >= entry.expiresAt) {
      this.#entries.delete(key);
      return undefined;
    }
    const age = Math.max(0, Math.floor((now - entry.storedAt) / 1000));
    const reply = Buffer.from(entry.reply);
    raw.copy(reply, 0, 0, 2); // the client's ID
    // The client's own spelling of the name (it may use 0x20 case mixing); same key, so same
    // length unless the name was written differently, in which case the stored one stays.
    let clientQuestionEnd = -1;
    try {
      clientQuestionEnd = firstQuestionEnd(raw);
    } catch {
      // the caller parsed this query already; keep the stored question if it does not scan
    }
    if (clientQuestionEnd === entry.questionEnd) raw.copy(reply, HEADER_LENGTH, HEADER_LENGTH, clientQuestionEnd);
    if (age > 0) {
      for (const offset of entry.ttlOffsets) {
        const ttl = ttlValue(reply.readUInt32BE(offset));
        reply.writeUInt32BE(Math.max(0, ttl - age), offset);
      }
    }
    return reply;
  }

  clear(): void {
    this.#entries.clear();
  }
}
