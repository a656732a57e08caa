// Response rate limiting applied to UDP replies (docs/security.md "Response rate limiting"):
// the RateLimiter's verdict turned into the bytes sent (the reply, nothing, or the reply cut to
// its question with TC set), counted for /metrics. TCP is never limited: its handshake proves
// the source address, so it cannot be used to reflect, and it is where slipped clients retry.
//
// One limiter per DNS thread (dns-service.ts): workers share the port through SO_REUSEPORT,
// which hashes a client's address and port to one socket, so an ordinary client meets one
// limiter; a flood whose source ports vary spreads over the threads and gets up to
// ResponseRateLimit x Workers. A shared table would cost a cross-thread write per reply.
import type { Config } from '../../config/typed.js';
import { cidrWordsMatcher } from '../../net/cidr.js';
import { peerWords, type Peer } from '../../net/peer.js';
import { truncateToQuestion } from '../answer/handle-query.js';
import type { QueryStats } from '../query-stats.js';
import { RateLimiter, VERDICT, type RateLimitSettings } from './rate-limiter.js';
import { RESPONSE_KIND, responseKind, responseNameHash } from './response-kind.js';

/** Buckets per thread: 64k entries of 32 bytes, 2 MiB. */
export const RRL_TABLE_SIZE = 65536;

/** The limiter settings a config asks for; undefined when RRL is off (ResponseRateLimit 0). */
export function rateLimitSettings(config: Config): RateLimitSettings | undefined {
  if (config.ResponseRateLimit <= 0) return undefined;
  return {
    rate: config.ResponseRateLimit,
    slip: config.ResponseRateLimitSlip,
    windowSeconds: config.ResponseRateLimitWindow,
    ipv4Prefix: config.ResponseRateLimitIPv4Prefix,
    ipv6Prefix: config.ResponseRateLimitIPv6Prefix,
    tableSize: RRL_TABLE_SIZE,
  };
}

type Reply = Buffer | null | Promise<Buffer | null>;

/** ResponseRateLimitExempt's matcher; null when the list is empty (nothing to check per reply). */
export function rateLimitExempt(config: Config): ((family: 4 | 6, words: ArrayLike<number>) => boolean) | null {
  return config.typed.rrlExempt.length === 0 ? null : cidrWordsMatcher(config.typed.rrlExempt);
}

export class ResponseLimit {
  private readonly limiter: RateLimiter;
  private readonly words = new Uint32Array(4);

  /**
   * `clock`: the monotonic milliseconds a reply decided later (not in its batch) is stamped with.
   * `exempt`: clients never limited (ResponseRateLimitExempt); their replies leave the buckets alone.
   */
  constructor(
    settings: RateLimitSettings,
    private readonly stats: QueryStats | undefined,
    private readonly clock: () => number = () => performance.now(),
    private readonly exempt: ((family: 4 | 6, words: ArrayLike<number>) => boolean) | null = null,
  ) {
    this.limiter = new RateLimiter(settings);
  }

  /**
   * What to send instead of `reply` (the answer to `query` from `peer`). The peer is read now
   * (a batched-UDP SockaddrRef is valid only during the call); a later reply is decided when it
   * is ready, as it is then that it would be sent, on a clock read then.
   * `receivedMs`: the batch's arrival (performance.now() milliseconds), the time an immediate
   * reply is decided at: one clock read per batch instead of one per reply. `nameHash`: the
   * reply's responseNameHash when the caller knows it already (the fast path keeps it on its
   * answer-cache entry), else -1 and it is read from the query's bytes when the kind needs it.
   */
  apply(reply: Reply, query: Buffer, peer: Peer, receivedMs: number, nameHash = -1): Reply {
    if (reply === null) return null;
    if (reply instanceof Uint8Array) {
      const family = peerWords(peer, this.words);
      if (family === 0 || (this.exempt !== null && this.exempt(family, this.words))) return reply;
      return this.decide(reply, query, family, this.words, receivedMs, nameHash);
    }
    const words = new Uint32Array(4);
    const family = peerWords(peer, words);
    if (family === 0 || (this.exempt !== null && this.exempt(family, words))) return reply;
    return reply.then((buf) => (buf === null ? null : this.decide(buf, query, family, words, this.clock(), -1)));
  }

  private decide(reply: Buffer, query: Buffer, family: 4 | 6, words: Uint32Array, nowMs: number, nameHash: number): Buffer | null {
    const kind = responseKind(reply);
    // Only answers and NODATA are told apart by name (rate-limiter.ts); skip the hash otherwise.
    const name = kind === RESPONSE_KIND.ANSWER || kind === RESPONSE_KIND.NODATA ? (nameHash >= 0 ? nameHash : responseNameHash(query)) : 0;
    const verdict = this.limiter.decide(family, words, kind, name, nowMs);
    if (verdict === VERDICT.ALLOW) return reply;
    if (verdict === VERDICT.DROP) {
      if (this.stats) this.stats.rrlDropped++;
      return null;
    }
    if (this.stats) this.stats.rrlSlipped++;
    // RFC 1035 §4.2.1 / RFC 7766 §5: TC tells the client to ask again over TCP; the question
    // (and OPT) stays so the client can match it. The slip is never larger than the query's
    // reply, so it cannot amplify.
    return truncateToQuestion(reply, reply.length);
  }
}
