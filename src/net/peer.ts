// Where a query came from, in the forms the transports have it: the text Node gives for TCP and
// dgram sockets, or the sender's sockaddr inside the batched UDP receive buffer (no string is
// made for it unless someone asks). Pure. The access checks (RecurseFrom) read the text on the
// forwarding path only; response rate limiting reads the address as numbers on every UDP reply.
import { ipWords } from './cidr.js';

/** A sockaddr_in or sockaddr_in6 (Linux layout) at `offset` of `bytes`, read during the call only. */
export interface SockaddrRef {
  readonly bytes: Uint8Array;
  offset: number;
}

export type Peer = string | SockaddrRef;

// Linux's address family numbers (the batched UDP addon is Linux-only).
const AF_INET = 2;
const AF_INET6 = 10;

/**
 * Writes the peer's address into `out` as 32-bit words (IPv4: out[0]; IPv6: out[0..3]) and
 * returns its family, 4 or 6, or 0 when it is not an address. An IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d, what a dual-stack socket reports for IPv4 clients) counts as IPv4.
 */
export function peerWords(peer: Peer, out: Uint32Array): 0 | 4 | 6 {
  if (typeof peer === 'string') {
    const parsed = ipWords(peer);
    if (parsed === undefined) return 0;
    for (let i = 0; i < parsed.words.length; i++) out[i] = parsed.words[i];
    return parsed.v6 ? 6 : 4;
  }
  const b = peer.bytes;
  const o = peer.offset;
  // sa_family_t is host-order 16 bits; one of its bytes is 0 whatever the byte order.
  const family = b[o] | b[o + 1];
  if (family === AF_INET) {
    out[0] = word(b, o + 4);
    return 4;
  }
  if (family !== AF_INET6) return 0;
  for (let i = 0; i < 4; i++) out[i] = word(b, o + 8 + 4 * i);
  if (out[0] === 0 && out[1] === 0 && out[2] === 0xffff) {
    out[0] = out[3];
    return 4;
  }
  return 6;
}

function word(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

/** The peer's address as text (IPv4 dotted, IPv6 as eight hex groups); "" when it is none. */
export function peerText(peer: Peer): string {
  if (typeof peer === 'string') return peer;
  const words = new Uint32Array(4);
  const family = peerWords(peer, words);
  if (family === 4) return `${words[0] >>> 24}.${(words[0] >>> 16) & 255}.${(words[0] >>> 8) & 255}.${words[0] & 255}`;
  if (family === 6) return Array.from(words, (w) => `${(w >>> 16).toString(16)}:${(w & 0xffff).toString(16)}`).join(':');
  return '';
}
