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
/** Key words per entry: tag (family, kind; 0 = empty), four address words, name hash. */
const KEY_WORDS = 6;

function maskWord(word: number, prefix: number, i: number): number {
  const bits = prefix - 32 * i;
  if (bits >= 32) return word >>> 0;
  if (bits <= 0) return 0;
  return (word & (0xffffffff << (32 - bits))) >>> 0;
}

/** A murmur3-style finaliser step, so neighbouring networks land far apart. */
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
  private readonly keys: Uint32Array;
  private readonly tokens: Float64Array;
  private readonly stamps: Float64Array;
  private readonly limited: Uint32Array;
  /** The masked key of the response being decided (avoids an allocation per call). */
  private readonly key = new Uint32Array(KEY_WORDS);

  constructor(s: RateLimitSettings) {
    let size = 1;
    while (size < s.tableSize) size *= 2;
    this.rate = s.rate;
    this.slip = s.slip;
    this.capacity = s.rate * s.windowSeconds;
    this.v4Prefix = s.ipv4Prefix;
    this.v6Prefix = s.ipv6Prefix;
    this.mask = size - 1;
    this.keys = new Uint32Array(size * KEY_WORDS);
    this.tokens = new Float64Array(size);
    this.stamps = new Float64Array(size);
    this.limited = new Uint32Array(size);
  }

  /**
   * Whether a response of `kind` may go to the client whose address is `words` (family 4: words[0];
   * 6: words[0..3]), at `nowMs`. `nameHash` tells responses of one kind apart (query name and
   * type; see responseNameHash); it is ignored for NXDOMAIN and ERROR.
   */
  decide(family: 4 | 6, words: Uint32Array, kind: ResponseKind, nameHash: number, nowMs: number): Verdict {
    const key = this.key;
    const prefix = family === 4 ? this.v4Prefix : this.v6Prefix;
    key[0] = (family << 8) | (kind + 1);
    key[1] = maskWord(words[0], prefix, 0);
    key[2] = family === 6 ? maskWord(words[1], prefix, 1) : 0;
    key[3] = family === 6 ? maskWord(words[2], prefix, 2) : 0;
    key[4] = family === 6 ? maskWord(words[3], prefix, 3) : 0;
    key[5] = kind === RESPONSE_KIND.ANSWER || kind === RESPONSE_KIND.NODATA ? nameHash >>> 0 : 0;
    let h = 0x9747b28c;
    for (let i = 0; i < KEY_WORDS; i++) h = mix(h, key[i]);
    const slot = this.find(h, nowMs);
    const elapsed = nowMs - this.stamps[slot];
    // A clock that steps back refills nothing (and never drains).
    let tokens = this.tokens[slot] + (elapsed > 0 ? (elapsed * this.rate) / 1000 : 0);
    if (tokens > this.capacity) tokens = this.capacity;
    if (elapsed > 0) this.stamps[slot] = nowMs;
    if (tokens >= 1) {
      this.tokens[slot] = tokens - 1;
      return VERDICT.ALLOW;
    }
    this.tokens[slot] = tokens;
    const n = ++this.limited[slot];
    return this.slip > 0 && n % this.slip === 0 ? VERDICT.SLIP : VERDICT.DROP;
  }

  /** The entry for this.key: found among PROBES slots from `h`, or one claimed (empty, else LRU). */
  private find(h: number, nowMs: number): number {
    const keys = this.keys;
    const key = this.key;
    let victim = -1;
    for (let p = 0; p < PROBES; p++) {
      const slot = (h + p) & this.mask;
      const at = slot * KEY_WORDS;
      if (keys[at] === 0) {
        if (victim < 0 || keys[victim * KEY_WORDS] !== 0) victim = slot;
        continue;
      }
      if (
        keys[at] === key[0] && keys[at + 1] === key[1] && keys[at + 2] === key[2] &&
        keys[at + 3] === key[3] && keys[at + 4] === key[4] && keys[at + 5] === key[5]
      ) {
        return slot;
      }
      if (victim < 0 || (keys[victim * KEY_WORDS] !== 0 && this.stamps[slot] < this.stamps[victim])) victim = slot;
    }
    keys.set(key, victim * KEY_WORDS);
    this.tokens[victim] = this.capacity;
    this.stamps[victim] = nowMs;
    this.limited[victim] = 0;
    return victim;
  }
}
