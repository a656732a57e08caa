// Reverse-mapping names (pure, no node:net): an address -> its PTR owner name, the reverse zone
// derived for an address in use, and a `ReverseZones` entry (zone name or CIDR) -> a zone name.
//   IPv4: RFC 1035 §3.5, the octets reversed under in-addr.arpa.
//   IPv6: RFC 3596 §2.5, the 32 nibbles reversed under ip6.arpa.
// Zones fall on label boundaries only (octets, nibbles): RFC 2317 classless delegation needs
// CNAMEs in the parent zone, which is not ours to serve.
import { ipWords, parseCidr } from './cidr.js';
import type { Parsed } from './address.js';

/** The labels of an address's reverse name, most significant first (octets or nibbles); undefined when not an IP. */
function reverseLabels(ip: string): { v6: boolean; labels: string[] } | undefined {
  const parsed = ipWords(ip);
  if (parsed === undefined) return undefined;
  if (!parsed.v6) {
    const w = parsed.words[0];
    return { v6: false, labels: [w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255].map(String) };
  }
  const labels: string[] = [];
  for (const word of parsed.words) for (let shift = 28; shift >= 0; shift -= 4) labels.push(((word >>> shift) & 15).toString(16));
  return { v6: true, labels };
}

function nameOf(labels: readonly string[], v6: boolean): string {
  return `${[...labels].reverse().join('.')}${labels.length > 0 ? '.' : ''}${v6 ? 'ip6.arpa.' : 'in-addr.arpa.'}`;
}

/** `10.0.0.5` -> `5.0.0.10.in-addr.arpa.`; `2001:db8::1` -> `1.0.0.…8.b.d.0.1.0.0.2.ip6.arpa.`. Absolute, lower-case. */
export function reverseName(ip: string): string | undefined {
  const v4 = dottedQuadReverse(ip);
  if (v4 !== undefined) return v4;
  const r = reverseLabels(ip);
  return r === undefined ? undefined : nameOf(r.labels, r.v6);
}

/**
 * The reverse name of an IPv4 address already in canonical dotted-quad text (four decimal octets
 * 0-255, no leading zeros: what the table's addresses are), by slicing the text; undefined for
 * anything else, which takes the general path. A 100,000-task cluster whose tasks each have an
 * address has 100,000 of these per build, and parsing each into words and label arrays first
 * was most of the PTR build's cost. The result is the same string the general path makes.
 */
function dottedQuadReverse(ip: string): string | undefined {
  const d1 = octetEnd(ip, 0);
  if (d1 < 0 || d1 === ip.length) return undefined;
  const d2 = octetEnd(ip, d1 + 1);
  if (d2 < 0 || d2 === ip.length) return undefined;
  const d3 = octetEnd(ip, d2 + 1);
  if (d3 < 0 || d3 === ip.length) return undefined;
  if (octetEnd(ip, d3 + 1) !== ip.length) return undefined;
  return `${ip.slice(d3 + 1)}.${ip.slice(d2 + 1, d3)}.${ip.slice(d1 + 1, d2)}.${ip.slice(0, d1)}.in-addr.arpa.`;
}

/** The end of a canonical decimal octet starting at `at` (the next `.` or the text's end), or -1. */
function octetEnd(text: string, at: number): number {
  let value = 0;
  let i = at;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) break;
    if (c < 0x30 || c > 0x39) return -1;
    if (i > at && value === 0) return -1; // a leading zero: not canonical
    value = value * 10 + (c - 0x30);
    if (value > 255) return -1;
  }
  return i === at ? -1 : i;
}

/**
 * The zone derived for the address whose reverse name is `owner` (reverseName's result): the
 * name without its first 1 (IPv4: the /24) or 16 (IPv6: the /64) labels. Equal to
 * derivedReverseZone(ip), without parsing the address again.
 */
export function derivedZoneOfOwner(owner: string): string {
  return owner.slice(derivedZoneStart(owner));
}

/** derivedZoneOfOwner(owner) === zone, compared in place (no slice made). */
export function inDerivedZone(owner: string, zone: string): boolean {
  const start = derivedZoneStart(owner);
  return owner.length - start === zone.length && owner.startsWith(zone, start);
}

function derivedZoneStart(owner: string): number {
  return owner.endsWith('.in-addr.arpa.') ? owner.indexOf('.') + 1 : 2 * (32 - DERIVED_V6_LABELS);
}

/** Derived zones: the /24 of an IPv4 address, the /64 (16 nibbles) of an IPv6 one. */
const DERIVED_V4_LABELS = 3;
const DERIVED_V6_LABELS = 16;

/**
 * The reverse zone derived for an address in use when `ReverseZones` is empty: its /24 or /64,
 * the common subnet sizes for hosts and container networks. Narrower would leave an unknown
 * neighbour to the upstream's answer; wider would take over reverse names of hosts that are not
 * in the cluster (a /8 spans a whole corporate network).
 */
export function derivedReverseZone(ip: string): string | undefined {
  const r = reverseLabels(ip);
  if (r === undefined) return undefined;
  return nameOf(r.labels.slice(0, r.v6 ? DERIVED_V6_LABELS : DERIVED_V4_LABELS), r.v6);
}

const ARPA = /^(?:[0-9a-z-]+\.)*(?:in-addr|ip6)\.arpa$/;

/**
 * One `ReverseZones` entry as a zone name (absolute, lower-case). A CIDR becomes the zone of its
 * network: its prefix must end on an octet (IPv4: /8, /16, /24) or a nibble (IPv6: a multiple of
 * 4), since a zone is cut at a label. A zone name must lie under in-addr.arpa or ip6.arpa.
 */
export function reverseZoneOf(entry: string): Parsed<string> {
  const text = entry.trim().toLowerCase().replace(/\.$/, '');
  if (text.includes('/')) {
    const cidr = parseCidr(text);
    if (cidr.value === undefined) return { reason: cidr.reason ?? `${JSON.stringify(entry)} is not a CIDR` };
    const { v6, prefix } = cidr.value;
    const step = v6 ? 4 : 8;
    if (prefix % step !== 0) {
      return { reason: `${JSON.stringify(entry)}: the prefix must be a multiple of ${step} (a reverse zone is cut at ${v6 ? 'a nibble' : 'an octet'})` };
    }
    const network = cidr.value.text.slice(0, cidr.value.text.indexOf('/'));
    const r = reverseLabels(network)!;
    return { value: nameOf(r.labels.slice(0, prefix / step), v6) };
  }
  if (!ARPA.test(text)) return { reason: `${JSON.stringify(entry)} is neither a CIDR nor a name under in-addr.arpa or ip6.arpa` };
  return { value: `${text}.` };
}
