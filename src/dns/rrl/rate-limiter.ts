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
// The bucket is kept as GCRA does (the generic cell rate algorithm, ITU-T I.371): one number, the
// time at which the bucket will be full again ("theoretical arrival time"), instead of a token
// count and a last-refill time. It is the same token bucket (a response is allowed exactly when
// the bucket would hold a token), in half the memory, with no refill arithmetic per decision.
//
// Memory is bounded: a fixed open-addressed table (a power of two of entries, 4 probes); when
// all four are taken by other keys the one whose bucket is fullest is replaced (it refilled
// longest ago: least recently limited, LRU-ish as BIND and Knot replace; one that is already
// full loses nothing at all). A replaced bucket starts full: a flood of many distinct keys can
// reset a bucket, which only ever lets through what a new client would get.
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
// One entry is 32 bytes, eight 32-bit words (the last two are one float64): a decision reads
// one entry (a probe run of four, 128 contiguous bytes, when it misses). Half of a 64-byte
// entry, so the same number of buckets touches half as many cache lines.
const TAG = 0; // 0: empty; else 1 | family 6 (2) | kind << 2 | (limited responses mod slip) << 8
const NAME = 1;
const ADDR = 2; // four words; IPv4 uses the first
const TAT = 3; // float64 index within the entry: words 6 and 7
const WORDS = 8;
const DOUBLES = 4;
const KEY_BITS = 0xff;

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
  /** How far past now the theoretical arrival time may run: (capacity - 1) responses, in time units. */
  private readonly tolerance: number;
  private readonly v4Prefix: number;
  private readonly v6Prefix: number;
  private readonly mask: number;
  private readonly words: Uint32Array;
  private readonly times: Float64Array;

  constructor(s: RateLimitSettings) {
    let size = 1;
    while (size < s.tableSize) size *= 2;
    this.rate = s.rate;
    this.slip = s.slip;
    // Time is counted in units of 1/rate ms, so one response costs exactly 1000 units and the
    // arithmetic stays in integers for integer clocks (no rounding at a bucket's edge).
    this.tolerance = (s.rate * s.windowSeconds - 1) * 1000;
    this.v4Prefix = s.ipv4Prefix;
    this.v6Prefix = s.ipv6Prefix;
    this.mask = size - 1;
    const buffer = new ArrayBuffer(size * WORDS * 4);
    this.words = new Uint32Array(buffer);
    this.times = new Float64Array(buffer);
  }

  /**
   * Whether a response of `kind` may go to the client whose address is `words` (family 4: words[0];
   * 6: words[0..3]), at `nowMs` (any monotonic millisecond clock). `nameHash` tells responses of
   * one kind apart (query name and type; see responseNameHash); it is ignored for NXDOMAIN and ERROR.
   */
  decide(family: 4 | 6, words: Uint32Array, kind: ResponseKind, nameHash: number, nowMs: number): Verdict {
    const prefix = family === 4 ? this.v4Prefix : this.v6Prefix;
    const name = kind === RESPONSE_KIND.ANSWER || kind === RESPONSE_KIND.NODATA ? nameHash >>> 0 : 0;
    const tag = 1 | (family === 6 ? 2 : 0) | (kind << 2);
    const a0 = maskWord(words[0], prefix, 0);
    const a1 = family === 6 ? maskWord(words[1], prefix, 1) : 0;
    const a2 = family === 6 ? maskWord(words[2], prefix, 2) : 0;
    const a3 = family === 6 ? maskWord(words[3], prefix, 3) : 0;
    const h = mix(mix(mix(mix(mix(mix(0x9747b28c, tag), name), a0), a1), a2), a3);
    const now = nowMs * this.rate;

    const w = this.words;
    const t = this.times;
    let at = -1;
    let victim = -1;
    for (let p = 0; p < PROBES; p++) {
      const e = (h + p) & this.mask;
      const o = e * WORDS;
      const entryTag = w[o + TAG];
      if ((entryTag & KEY_BITS) === tag && w[o + NAME] === name && w[o + ADDR] === a0 && w[o + ADDR + 1] === a1 && w[o + ADDR + 2] === a2 && w[o + ADDR + 3] === a3) {
        at = e;
        break;
      }
      // An empty entry first, else the fullest bucket (earliest arrival time).
      if (victim < 0 || (w[victim * WORDS + TAG] !== 0 && (entryTag === 0 || t[e * DOUBLES + TAT] < t[victim * DOUBLES + TAT]))) victim = e;
    }
    if (at < 0) {
      at = victim;
      const o = at * WORDS;
      w[o + TAG] = tag;
      w[o + NAME] = name;
      w[o + ADDR] = a0;
      w[o + ADDR + 1] = a1;
      w[o + ADDR + 2] = a2;
      w[o + ADDR + 3] = a3;
      t[at * DOUBLES + TAT] = now; // full
    }
    const ti = at * DOUBLES + TAT;
    const arrival = t[ti];
    // A bucket full since before now behaves as full now; a clock that steps back refills nothing.
    const from = arrival > now ? arrival : now;
    if (from - now <= this.tolerance) {
      t[ti] = from + 1000;
      return VERDICT.ALLOW;
    }
    if (this.slip === 0) return VERDICT.DROP;
    const o = at * WORDS;
    const entryTag = w[o + TAG];
    let n = (entryTag >>> 8) + 1;
    if (n === this.slip) n = 0;
    w[o + TAG] = (entryTag & KEY_BITS) | (n << 8);
    return n === 0 ? VERDICT.SLIP : VERDICT.DROP;
  }
}
