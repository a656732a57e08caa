// CIDR ranges (RFC 4632 for IPv4, RFC 4291 §2.3 for IPv6) and a matcher for lists of them, for
// access lists checked on every query. Pure, no node:net. Addresses are compared as numbers:
// IPv4 as one 32-bit word, IPv6 as four. An IPv4-mapped IPv6 address (::ffff:a.b.c.d, which a
// dual-stack socket reports for IPv4 clients) is matched as the IPv4 address, as Go does.
import { canonicalIP, type Parsed } from './address.js';

export interface Cidr {
  /** The range as written canonically, e.g. "10.0.0.0/8", "fd00::/8". */
  readonly text: string;
  readonly v6: boolean;
  readonly prefix: number;
  /** The network address: one word for IPv4, four (big-endian order) for IPv6. */
  readonly words: readonly number[];
}

/** The words of an IP literal (see Cidr.words) and its family; undefined when not an IP. */
export function ipWords(text: string): { v6: boolean; words: number[] } | undefined {
  const v4 = ipv4Word(text);
  if (v4 !== undefined) return { v6: false, words: [v4] };
  const canonical = canonicalIP(text);
  if (canonical === undefined) return undefined;
  if (!canonical.includes(':')) return { v6: false, words: [ipv4Word(canonical)!] };
  return { v6: true, words: ipv6Words(canonical) };
}

/** A dotted quad as an unsigned 32-bit number; undefined unless exactly four octets 0-255 without leading zeros. */
function ipv4Word(text: string): number | undefined {
  let word = 0;
  let octets = 0;
  let value = -1;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x2e;
    if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && value === 0) return undefined; // leading zero (Go's ParseIP refuses it)
      value = (value < 0 ? 0 : value * 10) + (c - 0x30);
      if (++digits > 3 || value > 255) return undefined;
    } else if (c === 0x2e) {
      if (digits === 0 || ++octets > 4) return undefined;
      word = word * 256 + value;
      value = -1;
      digits = 0;
    } else {
      return undefined;
    }
  }
  return octets === 4 ? word : undefined;
}

/** Four 32-bit words of canonical (RFC 5952) IPv6 text, which never embeds IPv4. */
function ipv6Words(canonical: string): number[] {
  const gap = canonical.indexOf('::');
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  let groups: number[];
  if (gap < 0) {
    groups = parse(canonical);
  } else {
    const head = parse(canonical.slice(0, gap));
    const tail = parse(canonical.slice(gap + 2));
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  return [0, 1, 2, 3].map((i) => (groups[2 * i] * 0x10000 + groups[2 * i + 1]) >>> 0);
}

/** The mask of `bits` leading one bits within a 32-bit word, as an unsigned number. */
function maskOf(bits: number): number {
  return bits <= 0 ? 0 : bits >= 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
}

/** Word `i`'s share of a prefix of `prefix` bits. */
function wordMask(prefix: number, i: number): number {
  return maskOf(prefix - 32 * i);
}

/**
 * Parses `ip/prefix`. The prefix is decimal without leading zeros, at most 32 (IPv4) or 128
 * (IPv6); host bits must be zero ("10.0.0.1/8" is a mistake, not a range: Go's ParseCIDR would
 * silently take 10.0.0.0/8). A bare IP is not a range here: write /32 or /128.
 */
export function parseCidr(text: string): Parsed<Cidr> {
  const slash = text.indexOf('/');
  if (slash < 0) return { reason: `${JSON.stringify(text)} is not a CIDR range (ip/prefix)` };
  const ipText = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  // An IPv4-mapped range would need a mapped-prefix rule; write the IPv4 range instead.
  const ip = ipText.includes(':') && canonicalIP(ipText)?.includes(':') === false ? undefined : ipWords(ipText);
  if (ip === undefined) return { reason: `${JSON.stringify(text)}: ${JSON.stringify(ipText)} is not an IP address` };
  const max = ip.v6 ? 128 : 32;
  if (!/^(0|[1-9]\d{0,2})$/.test(prefixText) || Number(prefixText) > max) {
    return { reason: `${JSON.stringify(text)}: the prefix length must be from 0 to ${max}` };
  }
  const prefix = Number(prefixText);
  if (ip.words.some((w, i) => (w & ~wordMask(prefix, i)) >>> 0 !== 0)) {
    return { reason: `${JSON.stringify(text)}: host bits are set after /${prefix}` };
  }
  return { value: { text: `${canonicalIP(ipText)}/${prefix}`, v6: ip.v6, prefix, words: ip.words } };
}

function contains(cidr: Cidr, words: ArrayLike<number>): boolean {
  for (let i = 0; i < cidr.words.length; i++) {
    if ((words[i] & wordMask(cidr.prefix, i)) >>> 0 !== cidr.words[i]) return false;
  }
  return true;
}

/** Whether the IP literal `ip` lies in `cidr`; false for anything that is not an IP. */
export function cidrContains(cidr: Cidr, ip: string): boolean {
  const parsed = ipWords(ip);
  return parsed !== undefined && parsed.v6 === cidr.v6 && contains(cidr, parsed.words);
}

const matchers = new WeakMap<readonly Cidr[], (ip: string) => boolean>();
const wordsMatchers = new WeakMap<readonly Cidr[], (family: 4 | 6, words: ArrayLike<number>) => boolean>();

/** cidrWordsMatcher(ranges), made once per list, like matcherFor. */
export function wordsMatcherFor(ranges: readonly Cidr[]): (family: 4 | 6, words: ArrayLike<number>) => boolean {
  let m = wordsMatchers.get(ranges);
  if (m === undefined) wordsMatchers.set(ranges, (m = cidrWordsMatcher(ranges)));
  return m;
}

/** cidrMatcher(ranges), made once per list (config.typed.recurseFrom is one list per config). */
export function matcherFor(ranges: readonly Cidr[]): (ip: string) => boolean {
  let m = matchers.get(ranges);
  if (m === undefined) matchers.set(ranges, (m = cidrMatcher(ranges)));
  return m;
}

/**
 * A predicate "is this client address in any of the ranges", for per-query checks: IPv4 ranges
 * are kept apart from IPv6 ones, and an IPv4 client (the common case) costs one scan of numbers
 * with no allocation beyond parsing the address.
 */
export function cidrMatcher(ranges: readonly Cidr[]): (ip: string) => boolean {
  const v4 = ranges.filter((r) => !r.v6).map((r) => [r.words[0], maskOf(r.prefix)] as const);
  const v6 = ranges.filter((r) => r.v6);
  return (ip) => {
    const word = ipv4Word(ip);
    if (word !== undefined) {
      for (let i = 0; i < v4.length; i++) if ((word & v4[i][1]) >>> 0 === v4[i][0]) return true;
      return false;
    }
    const parsed = ipWords(ip);
    if (parsed === undefined) return false;
    if (!parsed.v6) return v4.some(([net, mask]) => (parsed.words[0] & mask) >>> 0 === net);
    return v6.some((r) => contains(r, parsed.words));
  };
}

/**
 * The same predicate over an address already in words (net/peer.ts peerWords: family 4 with the
 * address in words[0], IPv4-mapped IPv6 included; family 6 with four words), for per-reply
 * checks that have the words at hand and should not make text of the peer.
 */
export function cidrWordsMatcher(ranges: readonly Cidr[]): (family: 4 | 6, words: ArrayLike<number>) => boolean {
  const v4 = ranges.filter((r) => !r.v6).map((r) => [r.words[0], maskOf(r.prefix)] as const);
  const v6 = ranges.filter((r) => r.v6);
  return (family, words) => {
    if (family === 4) {
      const word = words[0];
      for (let i = 0; i < v4.length; i++) if ((word & v4[i][1]) >>> 0 === v4[i][0]) return true;
      return false;
    }
    for (let i = 0; i < v6.length; i++) if (contains(v6[i], words)) return true;
    return false;
  };
}
