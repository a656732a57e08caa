// The config as the rest of the server uses it: the mesos-dns-shaped values (RawConfig, which
// /v1/config shows) plus what they mean, parsed once when the config is loaded: masters as
// endpoints, resolvers as upstreams, the domain in both forms, and the routing table route()
// reads per query. Nothing downstream parses a config string again.
import { parseMasterAddress, parseResolverAddress } from '../net/address.js';
import { parseCidr } from '../net/cidr.js';
import { RAW_DEFAULTS } from './schema.js';
import { reverseZoneOf } from '../net/reverse-names.js';
function parsedList(list, parse) {
    // Entries were validated by parseConfig; one that is not valid (a hand-made config in a test)
    // is left out rather than thrown at query time.
    return list.flatMap((text) => {
        const { value } = parse(text);
        return value ? [Object.freeze(value)] : [];
    });
}
/** The typed values of `raw`. Pure; parseConfig calls it once per load. */
export function typedValues(raw) {
    const domain = raw.Domain.toLowerCase().replace(/\.+$/, '');
    const forwarding = raw.ExternalOn && raw.Resolvers.length > 0;
    const zones = new Map();
    if (forwarding) {
        for (const [zone, list] of Object.entries(raw.ZoneResolvers)) {
            const upstreams = parsedList(list, parseResolverAddress);
            if (upstreams.length > 0)
                zones.set(zone.toLowerCase().replace(/\.$/, ''), Object.freeze(upstreams));
        }
    }
    return {
        masters: Object.freeze(parsedList(raw.Masters ?? [], parseMasterAddress)),
        domain,
        zone: `${domain}.`,
        routing: { domain, forwarding, zones, resolvers: Object.freeze(parsedList(raw.Resolvers, parseResolverAddress)) },
        // Entries were validated by parseConfig; one that is not valid (a hand-made config) is left out.
        ptr: { on: raw.PtrOn, zones: Object.freeze([...new Set(raw.ReverseZones.flatMap((z) => reverseZoneOf(z).value ?? []))]) },
        recurseFrom: Object.freeze(raw.RecurseFrom.flatMap((text) => { const { value } = parseCidr(text); return value ? [value] : []; })),
    };
}
/** A Config from raw values: `withTyped({ ...DEFAULTS, Masters: [...] })` in tests. */
export function withTyped(raw) {
    const { typed: _ignored, ...rest } = raw;
    return { ...rest, typed: typedValues(rest) };
}
/** Every default, typed. */
export const DEFAULTS = Object.freeze(withTyped(RAW_DEFAULTS));
