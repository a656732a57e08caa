// Reverse-mapping names (pure, no node:net): an address -> its PTR owner name, the reverse zone
// derived for an address in use, and a `ReverseZones` entry (zone name or CIDR) -> a zone name.
//   IPv4: RFC 1035 §3.5, the octets reversed under in-addr.arpa.
//   IPv6: RFC 3596 §2.5, the 32 nibbles reversed under ip6.arpa.
// Zones fall on label boundaries only (octets, nibbles): RFC 2317 classless delegation needs
// CNAMEs in the parent zone, which is not ours to serve.
import { ipWords, parseCidr } from './cidr.js';
/** The labels of an address's reverse name, most significant first (octets or nibbles); undefined when not an IP. */
function reverseLabels(ip) {
    const parsed = ipWords(ip);
    if (parsed === undefined)
        return undefined;
    if (!parsed.v6) {
        const w = parsed.words[0];
        return { v6: false, labels: [w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255].map(String) };
    }
    const labels = [];
    for (const word of parsed.words)
        for (let shift = 28; shift >= 0; shift -= 4)
            labels.push(((word >>> shift) & 15).toString(16));
    return { v6: true, labels };
}
function nameOf(labels, v6) {
    return `${[...labels].reverse().join('.')}${labels.length > 0 ? '.' : ''}${v6 ? 'ip6.arpa.' : 'in-addr.arpa.'}`;
}
/** `10.0.0.5` -> `5.0.0.10.in-addr.arpa.`; `2001:db8::1` -> `1.0.0.…8.b.d.0.1.0.0.2.ip6.arpa.`. Absolute, lower-case. */
export function reverseName(ip) {
    const r = reverseLabels(ip);
    return r === undefined ? undefined : nameOf(r.labels, r.v6);
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
export function derivedReverseZone(ip) {
    const r = reverseLabels(ip);
    if (r === undefined)
        return undefined;
    return nameOf(r.labels.slice(0, r.v6 ? DERIVED_V6_LABELS : DERIVED_V4_LABELS), r.v6);
}
const ARPA = /^(?:[0-9a-z-]+\.)*(?:in-addr|ip6)\.arpa$/;
/**
 * One `ReverseZones` entry as a zone name (absolute, lower-case). A CIDR becomes the zone of its
 * network: its prefix must end on an octet (IPv4: /8, /16, /24) or a nibble (IPv6: a multiple of
 * 4), since a zone is cut at a label. A zone name must lie under in-addr.arpa or ip6.arpa.
 */
export function reverseZoneOf(entry) {
    const text = entry.trim().toLowerCase().replace(/\.$/, '');
    if (text.includes('/')) {
        const cidr = parseCidr(text);
        if (cidr.value === undefined)
            return { reason: cidr.reason ?? `${JSON.stringify(entry)} is not a CIDR` };
        const { v6, prefix } = cidr.value;
        const step = v6 ? 4 : 8;
        if (prefix % step !== 0) {
            return { reason: `${JSON.stringify(entry)}: the prefix must be a multiple of ${step} (a reverse zone is cut at ${v6 ? 'a nibble' : 'an octet'})` };
        }
        const network = cidr.value.text.slice(0, cidr.value.text.indexOf('/'));
        const r = reverseLabels(network);
        return { value: nameOf(r.labels.slice(0, prefix / step), v6) };
    }
    if (!ARPA.test(text))
        return { reason: `${JSON.stringify(entry)} is neither a CIDR nor a name under in-addr.arpa or ip6.arpa` };
    return { value: `${text}.` };
}
