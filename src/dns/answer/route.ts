// Which handler owns a query name (pure): our zone, a forwarding zone, the default resolvers, or
// nobody. mesos-dns registers `<domain>.`, each zoneResolvers zone and `.` on miekg's ServeMux,
// which picks the longest suffix match on whole labels (§8.1 of the behaviour reference).
// One deliberate difference: mesos-dns forwards DS queries for its own domain (a ServeMux quirk
// in miekg v1.0.15); we answer them ourselves, since we are the authority for the zone.
import { ConfigError } from '../../errors.js';
import { isIP } from 'node:net';

export interface Upstream {
  host: string;
  port: number;
}

export interface RouteConfig {
  /** Our zone, lower-case, no trailing dot. */
  domain: string;
  externalOn: boolean;
  /** zone (lower-case, no trailing dot) -> resolver addresses ("ip", "ip:port", "[v6]:port"). */
  zoneResolvers: Record<string, string[]>;
  resolvers: string[];
}

export type Route =
  | { kind: 'authority' }
  | { kind: 'forward'; upstreams: readonly Upstream[]; zone: string }
  | { kind: 'refused' };

/** Resolver addresses without a port use 53, as mesos-dns does (records/config.go). */
const DEFAULT_PORT = 53;

/**
 * Parses "ip", "ip:port", "[v6]" or "[v6]:port". A bare IPv6 address ("::1") is taken whole,
 * since its colons cannot also carry a port. Throws ConfigError naming `key` on anything else:
 * load-config can use it to validate Resolvers and ZoneResolvers up front.
 */
export function parseUpstream(address: string, key = 'Resolvers'): Upstream {
  const text = address.trim();
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1];
    portText = bracketed[2];
    if (isIP(host) !== 6) throw new ConfigError(key, `"${address}": brackets must hold an IPv6 address`);
  } else if (isIP(text) !== 0) {
    host = text;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) throw new ConfigError(key, `"${address}" is not an IP address`);
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (isIP(host) !== 4) throw new ConfigError(key, `"${address}" is not "ip", "ip:port" or "[ipv6]:port"`);
  }
  let port = DEFAULT_PORT;
  if (portText !== undefined) {
    port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 1 && port <= 65535)) throw new ConfigError(key, `"${address}": port must be 1-65535`);
  }
  return { host, port };
}

// Resolver lists come from the config object, which lives as long as the process: parse them
// once instead of on every query. Keyed by the objects themselves, so a new config parses afresh.
const parsedLists = new WeakMap<readonly string[], readonly Upstream[]>();
const parsedZones = new WeakMap<Record<string, string[]>, ReadonlyMap<string, readonly Upstream[]>>();

function upstreamsOf(addresses: readonly string[], key: string): readonly Upstream[] {
  let parsed = parsedLists.get(addresses);
  if (!parsed) {
    parsed = Object.freeze(addresses.map((a) => parseUpstream(a, key)));
    parsedLists.set(addresses, parsed);
  }
  return parsed;
}

/** zone (normalised) -> upstreams; zones with an empty list are left out (they cannot answer). */
function zonesOf(zoneResolvers: Record<string, string[]>): ReadonlyMap<string, readonly Upstream[]> {
  let zones = parsedZones.get(zoneResolvers);
  if (!zones) {
    const built = new Map<string, readonly Upstream[]>();
    for (const [zone, addresses] of Object.entries(zoneResolvers)) {
      if (addresses.length > 0) built.set(withoutRootDot(zone.toLowerCase()), upstreamsOf(addresses, `ZoneResolvers.${zone}`));
    }
    zones = built;
    parsedZones.set(zoneResolvers, zones);
  }
  return zones;
}

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

/** Picks the handler for `qnameLower` (already lower-cased by the caller). */
export function route(qnameLower: string, cfg: RouteConfig): Route {
  const name = withoutRootDot(qnameLower);
  const domain = withoutRootDot(cfg.domain.toLowerCase());
  // mesos-dns: with externalon=false or no resolvers there is no forwarder at all, and
  // zoneResolvers are ignored with it (§8.4): such names are REFUSED.
  const forwarding = cfg.externalOn && cfg.resolvers.length > 0;
  const zones = forwarding ? zonesOf(cfg.zoneResolvers) : undefined;
  for (const suffix of suffixes(name)) {
    if (suffix === domain) return { kind: 'authority' };
    const upstreams = zones?.get(suffix);
    if (upstreams) return { kind: 'forward', upstreams, zone: suffix };
  }
  if (!forwarding) return { kind: 'refused' };
  return { kind: 'forward', upstreams: upstreamsOf(cfg.resolvers, 'Resolvers'), zone: '' };
}
