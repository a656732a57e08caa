// The PTR owner names of IPv4 addresses written as bytes, for the usual full build: derived
// reverse zones (`ReverseZones` empty) and only IPv4 addresses in canonical dotted-quad text (a
// cluster whose tasks each have a container address). The same owners, zones, existing names and
// owner index as the string path (reverse-table.ts ownersInZones and namesBetween, then
// packStrings and indexStrings), without a string per owner: at 100,000 addresses that path made
// 100,000 IP strings and 100,000 owner strings, joined and encoded them, then read every owner
// again to hash it. RFC 1035 §3.5: `a.b.c.d` is `d.c.b.a.in-addr.arpa.`; the derived zone of an
// IPv4 address is its /24, `c.b.a.in-addr.arpa.` (net/reverse-names.ts), the owner's parent, so
// no empty non-terminal lies between an owner and its zone. Pure.
import { firstSlot, fnv1aStep, FNV_OFFSET, type StringBlob } from './packed-table.js';

const SUFFIX = Buffer.from('.in-addr.arpa.', 'latin1');

export interface V4Owners {
  /** The derived zones, in the order of their first address (as ownersInZones lists them). */
  zones: string[];
  /** Every address's owner name, in the order of `addresses`. */
  owners: StringBlob;
  /** The index over `owners` (packed-reverse.ts indexStrings). */
  slots: Int32Array;
}

/**
 * The owners of `addresses` (ids into `ips`), when every one is an IPv4 address in canonical
 * dotted-quad text; undefined otherwise (the caller takes the string path).
 */
export function derivedV4Owners(ips: StringBlob, addresses: readonly number[]): V4Owners | undefined {
  const bytes = ips.bytes;
  const ends = ips.ends;
  const n = addresses.length;
  // Each owner is as long as its address plus the suffix: the octets only change places.
  let total = 0;
  for (let i = 0; i < n; i++) {
    const id = addresses[i];
    total += ends[id] - (id === 0 ? 0 : ends[id - 1]) + SUFFIX.length;
  }
  const out = Buffer.allocUnsafeSlow(total);
  const ownerEnds = new Int32Array(n);
  const hashes = new Int32Array(n);
  const zones: string[] = [];
  const seenZones = new Set<string>();
  // The last address's /24 as the address bytes before its last dot: addresses in use come in
  // runs from one /24, so the zone's string is made once per run.
  let lastFrom = -1;
  let lastLength = 0;
  const dots = [0, 0, 0];
  let at = 0;
  for (let i = 0; i < n; i++) {
    const id = addresses[i];
    const from = id === 0 ? 0 : ends[id - 1];
    const to = ends[id];
    if (!dottedQuad(bytes, from, to, dots)) return undefined;
    const [d1, d2, d3] = dots;
    const start = at;
    at = copy(bytes, d3 + 1, to, out, at);
    out[at++] = 0x2e;
    at = copy(bytes, d2 + 1, d3, out, at);
    out[at++] = 0x2e;
    at = copy(bytes, d1 + 1, d2, out, at);
    out[at++] = 0x2e;
    at = copy(bytes, from, d1, out, at);
    at = copy(SUFFIX, 0, SUFFIX.length, out, at);
    ownerEnds[i] = at;
    let h = FNV_OFFSET;
    for (let k = start; k < at; k++) h = fnv1aStep(h, out[k]);
    hashes[i] = h;
    // The /24: the bytes up to the last dot, compared in place with the previous address's.
    const length = d3 - from;
    let same = length === lastLength;
    for (let k = 0; same && k < length; k++) same = bytes[from + k] === bytes[lastFrom + k];
    if (!same) {
      // The zone is the owner without its first label.
      const zone = out.toString('latin1', start + (to - d3), at);
      if (!seenZones.has(zone)) {
        seenZones.add(zone);
        zones.push(zone);
      }
      lastFrom = from;
      lastLength = length;
    }
  }
  // indexStrings' table, from the hashes made while writing: same size, same order of insertion.
  let size = 2;
  while (size < 2 * n) size *= 2;
  const slots = new Int32Array(size);
  const mask = size - 1;
  for (let i = 0; i < n; i++) {
    let s = firstSlot(hashes[i], mask);
    while (slots[s] !== 0) s = (s + 1) & mask;
    slots[s] = i + 1;
  }
  return { zones, owners: { bytes: out, ends: ownerEnds }, slots };
}

function copy(from: Uint8Array, start: number, end: number, to: Uint8Array, at: number): number {
  for (let k = start; k < end; k++) to[at++] = from[k];
  return at;
}

/**
 * Whether bytes [from, to) are four canonical decimal octets (0-255, no leading zero) joined by
 * dots, as net/reverse-names.ts dottedQuadReverse takes them; `dots` gets the three dots' places.
 */
function dottedQuad(bytes: Uint8Array, from: number, to: number, dots: number[]): boolean {
  let at = from;
  for (let part = 0; part < 4; part++) {
    let value = 0;
    const start = at;
    for (; at < to && bytes[at] !== 0x2e; at++) {
      const c = bytes[at];
      if (c < 0x30 || c > 0x39) return false;
      if (at > start && value === 0) return false; // a leading zero
      value = value * 10 + (c - 0x30);
      if (value > 255) return false;
    }
    if (at === start) return false;
    if (part < 3) {
      if (at === to) return false;
      dots[part] = at;
      at++;
    }
  }
  return at === to;
}
