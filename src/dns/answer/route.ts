// Which handler owns a query name (pure): our zone, a forwarding zone, the default resolvers, or
// nobody. mesos-dns registers `<domain>.`, each zoneResolvers zone and `.` on miekg's ServeMux,
// which picks the longest suffix match on whole labels.
// One deliberate difference: mesos-dns forwards DS queries for its own domain (a ServeMux quirk
// in miekg v1.0.15); we answer them ourselves, since we are the authority for the zone.
// Reverse zones (PTR, docs/naming.md "Reverse lookups") come with each table, since derived
// ones change with the addresses in use; they join the same longest-suffix match, and a
// zoneResolvers zone of exactly the same name wins over one (it was asked for explicitly).
// Static zones (docs/static-zones.md) come with each snapshot too and join the same match; at
// the same name a static zone wins over a forwarding or a reverse zone (its file was written
// for that zone). The Mesos domain never meets one: a static zone at, in or above it is refused.
import type { Routing } from '../../config/typed.js';
import type { HostPort } from '../../net/address.js';

/** A resolver to forward to: parsed once, when the config is loaded (config/typed.ts). */
export type Upstream = HostPort;

export type Route =
  /** Our zone: the Mesos domain, or (`zone` set, absolute) another zone of ours such as thisdcos.directory. */
  | { kind: 'authority'; zone?: string }
  | { kind: 'forward'; upstreams: readonly Upstream[]; zone: string }
  /** A reverse zone of the current table; `zone` absolute, lower-case. */
  | { kind: 'reverse'; zone: string }
  /** A static zone of the current snapshot; `zone` its canonical apex ("example.com."). */
  | { kind: 'static'; zone: string }
  | { kind: 'refused' };

/** Strips one trailing dot: zone keys and query names are compared without it. */
function withoutRootDot(name: string): string {
  return name.endsWith('.') && !name.endsWith('\\.') ? name.slice(0, -1) : name;
}

/**
 * Every suffix of `name` that starts at a label boundary, longest first, ending with "" (the
 * root). A dot escaped in presentation form ("a\.b") is part of a label, not a boundary.
 */
function* suffixes(name: string): Generator<string> {
  yield name;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x5c /* backslash */) {
      i++; // skip the escaped character
    } else if (c === 0x2e /* dot */) {
      yield name.slice(i + 1);
    }
  }
  if (name !== '') yield '';
}

/**
 * Picks the handler for `qnameLower` (already lower-cased by the caller). The longest suffix on
 * whole labels wins: our domain or a forwarding zone; with no forwarder (externalon=false or no
 * resolvers: mesos-dns then has no forwarder at all) zoneResolvers are ignored and other names are
 * REFUSED.
 */
export function route(qnameLower: string, routing: Routing, reverseZones?: ReadonlySet<string>, staticZones?: ReadonlyMap<string, unknown>): Route {
  const name = withoutRootDot(qnameLower);
  const { domain, zones } = routing;
  // Only names under .arpa can be in a reverse zone; others skip the per-suffix test.
  const reverse = reverseZones !== undefined && reverseZones.size > 0 && name.endsWith('.arpa') ? reverseZones : undefined;
  const statics = staticZones !== undefined && staticZones.size > 0 ? staticZones : undefined;
  for (const suffix of suffixes(name)) {
    if (suffix === domain) return { kind: 'authority' };
    // Another zone of ours (DcosNames); checked before zoneResolvers, as the domain is.
    if (routing.ownZones.length > 0 && routing.ownZones.includes(suffix)) return { kind: 'authority', zone: `${suffix}.` };
    if (statics !== undefined && statics.has(`${suffix}.`)) return { kind: 'static', zone: `${suffix}.` };
    const upstreams = zones.get(suffix);
    if (upstreams) return { kind: 'forward', upstreams, zone: suffix };
    if (reverse !== undefined && reverse.has(`${suffix}.`)) return { kind: 'reverse', zone: `${suffix}.` };
  }
  if (!routing.forwarding) return { kind: 'refused' };
  return { kind: 'forward', upstreams: routing.resolvers, zone: '' };
}

/**
 * Whether route() sends every name at or under our domain to us: false when a forwarding zone
 * lies at or below the domain (then some of those names are forwarded). The answer cache uses
 * this to know whether a miss under the domain is NXDOMAIN without asking route() per name.
 */
export function domainIsAllOurs(routing: Routing): boolean {
  const { domain } = routing;
  for (const zone of routing.zones.keys()) {
    if (zone === domain || zone.endsWith(`.${domain}`)) return false;
  }
  return true;
}
