// Response rate limiting (RRL), the decision alone: pure, driven by (client address words,
// response kind, name hash, now), so it is table-tested without sockets or clocks. In the style
// of BIND's rate-limit and Knot's rrl module: a token bucket per (client network, kind[, name]);
// a response over the rate is dropped, and every `slip`-th one is "slipped": sent truncated,
// so a real client whose address an attacker spoofs still gets through by retrying over TCP,
// while a reflected flood gains nothing (RFC 5358 §4 motivates the same defence for recursion).
//
// Accounting (what shares a bucket), as BIND's classes:
//   ANSWER, NODATA  per client network, kind and query name + type (BIND's "identical responses"):
//                   a flood reflected off one name is limited without touching other names.
//   NXDOMAIN        per client network (BIND per zone; we serve one zone): random-subdomain
//                   floods share one bucket however many names they use.
//   ERROR           per client network (REFUSED, SERVFAIL, FORMERR...).
//
// Memory is bounded: a fixed open-addressed table (a power of two of entries, 4 probes); when
// all four are taken by other keys the least recently used is replaced (LRU-ish, as BIND and
// Knot do). A replaced bucket starts full: a flood of many distinct keys can reset a bucket,
// which only ever lets through what a new client would get.
import { RESPONSE_KIND, type ResponseKind } from './response-kind.js';

export const VERDICT = { ALLOW: 0, DROP: 1, SLIP: 2 } as const;
export type Verdict = (typeof VERDICT)[keyof typeof VERDICT];

export interface RateLimitSettings {
  /** Responses per second per bucket (> 0). */
  rate: number;
  /** Every slip-th limited response is slipped; 0 never, 1 always. */
  slip: number;
  /** The bucket holds rate x window responses: the burst a quiet client may send, seconds. */
  windowSeconds: number;
  ipv4Prefix: number;
  ipv6Prefix: number;
  /** Buckets; rounded up to a power of two. */
  tableSize: number;
}

const PROBES = 4;
// One entry is 8 float64s, one 64-byte cache line: a decision touches one line (a probe run of
// four, 256 contiguous bytes, when it misses). Every field is an integer below 2^53, exact in
// a double. The tag packs family, kind and name hash; 0 marks an empty entry.
const TAG = 0;
const ADDR = 1; // four words; IPv4 uses the first
const TOKENS = 5;
const STAMP = 6;
const LIMITED = 7;
const FIELDS = 8;

function maskWord(word: number, prefix: number, i: number): number {
  const bits = prefix - 32 * i;
  if (bits >= 32) return word >>> 0;
  if (bits <= 0) return 0;
  return (word & (0xffffffff << (32 - bits))) >>> 0;
}

/** A murmur3-style mixing step, so neighbouring networks land far apart. */
function mix(h: number, k: number): number {
  h = Math.imul(h ^ k, 0x5bd1e995);
  return h ^ (h >>> 15);
}

export class RateLimiter {
  private readonly rate: number;
  private readonly slip: number;
  private readonly capacity: number;
  private readonly v4Prefix: number;
  private readonly v6Prefix: number;
  private readonly mask: number;
  private readonly table: Float64Array;

  constructor(s: RateLimitSettings) {
    let size = 1;
    while (size < s.tableSize) size *= 2;
    this.rate = s.rate;
    this.slip = s.slip;
    this.capacity = s.rate * s.windowSeconds;
    this.v4Prefix = s.ipv4Prefix;
    this.v6Prefix = s.ipv6Prefix;
    this.mask = size - 1;
    this.table = new Float64Array(size * FIELDS);
  }

  /**
   * Whether a response of `kind` may go to the client whose address is `words` (family 4: words[0];
   * 6: words[0..3]), at `nowMs`. `nameHash` tells responses of one kind apart (query name and
   * type; see responseNameHash); it is ignored for NXDOMAIN and ERROR.
   */
  decide(family: 4 | 6, words: Uint32Array, kind: ResponseKind, nameHash: number, nowMs: number): Verdict {
    const prefix = family === 4 ? this.v4Prefix : this.v6Prefix;
    const name = kind === RESPONSE_KIND.ANSWER || kind === RESPONSE_KIND.NODATA ? nameHash >>> 0 : 0;
    const tag = ((family << 8) | (kind + 1)) * 0x100000000 + name;
    const a0 = maskWord(words[0], prefix, 0);
    const a1 = family === 6 ? maskWord(words[1], prefix, 1) : 0;
    const a2 = family === 6 ? maskWord(words[2], prefix, 2) : 0;
    const a3 = family === 6 ? maskWord(words[3], prefix, 3) : 0;
    const h = mix(mix(mix(mix(mix(mix(0x9747b28c, (family << 8) | kind), name), a0), a1), a2), a3);

    const t = this.table;
    let at = -1;
    let victim = -1;
    for (let p = 0; p < PROBES; p++) {
      const e = ((h + p) & this.mask) * FIELDS;
      const entryTag = t[e + TAG];
      if (entryTag === tag && t[e + ADDR] === a0 && t[e + ADDR + 1] === a1 && t[e + ADDR + 2] === a2 && t[e + ADDR + 3] === a3) {
        at = e;
        break;
      }
      // An empty entry first, else the least recently used (LRU-ish, as BIND and Knot replace).
      if (victim < 0 || (t[victim + TAG] !== 0 && (entryTag === 0 || t[e + STAMP] < t[victim + STAMP]))) victim = e;
    }
    if (at < 0) {
      at = victim;
      t[at + TAG] = tag;
      t[at + ADDR] = a0;
      t[at + ADDR + 1] = a1;
      t[at + ADDR + 2] = a2;
      t[at + ADDR + 3] = a3;
      t[at + TOKENS] = this.capacity;
      t[at + STAMP] = nowMs;
      t[at + LIMITED] = 0;
    }
    const elapsed = nowMs - t[at + STAMP];
    // A clock that steps back refills nothing (and never drains).
    let tokens = t[at + TOKENS] + (elapsed > 0 ? (elapsed * this.rate) / 1000 : 0);
    if (tokens > this.capacity) tokens = this.capacity;
    if (elapsed > 0) t[at + STAMP] = nowMs;
    if (tokens >= 1) {
      t[at + TOKENS] = tokens - 1;
      return VERDICT.ALLOW;
    }
    t[at + TOKENS] = tokens;
    const n = ++t[at + LIMITED];
    return this.slip > 0 && n % this.slip === 0 ? VERDICT.SLIP : VERDICT.DROP;
  }
}
