// What kind of response a reply is, for rate limiting (rate-limiter.ts), read from the reply's
// header, and a hash of the query's name and type read from the query's wire bytes: no parsing,
// no allocation, since it runs for every UDP reply while RRL is on. Pure.

export const RESPONSE_KIND = { ANSWER: 0, NODATA: 1, NXDOMAIN: 2, ERROR: 3 } as const;
export type ResponseKind = (typeof RESPONSE_KIND)[keyof typeof RESPONSE_KIND];

const HEADER = 12;

/** RFC 1035 §4.1.1: RCODE in the low bits of byte 3, ANCOUNT at bytes 6-7. */
export function responseKind(reply: Uint8Array): ResponseKind {
  const rcode = reply[3] & 0x0f;
  if (rcode === 0) return (reply[6] | reply[7]) !== 0 ? RESPONSE_KIND.ANSWER : RESPONSE_KIND.NODATA;
  return rcode === 3 ? RESPONSE_KIND.NXDOMAIN : RESPONSE_KIND.ERROR;
}

/**
 * FNV-1a over the question's name (ASCII letters folded to lower case: names compare without
 * case, RFC 4343) and type, so "WWW.x" and "www.x" share a bucket. 0 when the message has no
 * readable question (such queries get ERROR replies, which are not keyed by name).
 */
export function responseNameHash(query: Uint8Array): number {
  if (query.length < HEADER + 5 || (query[4] | query[5]) === 0) return 0;
  let h = 0x811c9dc5;
  let i = HEADER;
  // Labels up to the root; a compression pointer cannot occur in a question (nothing precedes it).
  while (i < query.length) {
    const len = query[i];
    if (len === 0 || len > 63) break;
    const end = i + 1 + len;
    if (end > query.length) return 0;
    h = Math.imul(h ^ len, 0x01000193);
    for (let j = i + 1; j < end; j++) {
      let c = query[j];
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      h = Math.imul(h ^ c, 0x01000193);
    }
    i = end;
  }
  if (i + 2 < query.length) {
    h = Math.imul(h ^ query[i + 1], 0x01000193);
    h = Math.imul(h ^ query[i + 2], 0x01000193);
  }
  return h >>> 0;
}
