// The config as the rest of the server uses it: the mesos-dns-shaped values (RawConfig, which
// /v1/config shows) plus what they mean, parsed once when the config is loaded: masters as
// endpoints, resolvers as upstreams, the domain in both forms, and the routing table route()
// reads per query. Nothing downstream parses a config string again.
import path from 'node:path';
import { parseMasterAddress, parseResolverAddress, type HostPort } from '../net/address.js';
import { parseCidr, type Cidr } from '../net/cidr.js';
import { RAW_DEFAULTS, type IPSource, type RawConfig } from './schema.js';
import { reverseZoneOf } from '../net/reverse-names.js';
import { keyName, parseTsigKey, type TsigKey } from './tsig-keys.js';
import { secondaryZoneOf } from './validate-secondary.js';

/** Where queries go: our zone, forwarding zones, the default resolvers (see dns/answer/route.ts). */
export interface Routing {
  /** Our zone, lower-case, no trailing dot. */
  readonly domain: string;
  /**
   * mesos-dns: with externalon=false or no resolvers there is no forwarder at all, and
   * zoneResolvers are ignored with it.
   */
  readonly forwarding: boolean;
  /** zone (lower-case, no trailing dot) -> upstreams; zones with no resolvers left out. Empty unless forwarding. */
  readonly zones: ReadonlyMap<string, readonly HostPort[]>;
  readonly resolvers: readonly HostPort[];
  /** Zones we answer besides `domain` (lower-case, no trailing dot): thisdcos.directory with DcosNames. */
  readonly ownZones: readonly string[];
}

/** The zone of the DC/OS names (DcosNames, records/dcos-names.ts), without its trailing dot. */
export const DCOS_DOMAIN = 'thisdcos.directory';

export interface TypedConfig {
  /** The configured masters, in order (masterN numbering follows it). */
  readonly masters: readonly HostPort[];
  /** Lower-case, no trailing dot ("mesos"). */
  readonly domain: string;
  /** Absolute, lower-case ("mesos."): the zone apex. */
  readonly zone: string;
  readonly routing: Routing;
  /**
   * Reverse lookups (records/reverse-ptrs.ts): `zones` are the `ReverseZones` entries as zone
   * names (absolute, lower-case); empty: derived per table from the addresses in use.
   */
  readonly ptr: { readonly on: boolean; readonly zones: readonly string[] };
  /**
   * RecurseFrom, parsed: the clients that may have names outside our zones forwarded. Plain data,
   * so the config crosses to worker threads; cidr.ts's wordsMatcherFor() makes its matcher once per thread.
   */
  readonly recurseFrom: readonly Cidr[];
  /** ResponseRateLimitExempt, parsed (plain data like recurseFrom; rrl/response-limit.ts matches it by address words). */
  readonly rrlExempt: readonly Cidr[];
  /** AnswerOrder is "round-robin" (rotate each RRset one step per reply); false: shuffle every reply. */
  readonly roundRobin: boolean;
  /** Zone transfer (dns/xfr/): AllowTransfer, Notify targets, TSIG keys, the key transfers need. */
  readonly transfer: {
    readonly allow: readonly Cidr[];
    readonly notify: readonly HostPort[];
    readonly keys: readonly TsigKey[];
    /** Absolute, lower-case; undefined: transfers need no key (but a signed one is verified). */
    readonly requiredKey: string | undefined;
    /** Whether zone changes are tracked (serials follow content, journal, NOTIFY): transfers or NOTIFY configured. */
    readonly on: boolean;
  };
  /** ZonesDir as an absolute path (relative to the config file's directory); "" when off. */
  readonly zonesDir: string;
  /** How a task's address is chosen (records/table-ips.ts, docs/addresses.md). */
  readonly addresses: AddressRules;
  /** DcosNames: the table has dcos-net's names under thisdcos.directory (records/dcos-names.ts). */
  readonly dcosNames: boolean;
  /**
   * Secondary mode (dns/xfr/secondary/): the primaries in order, and the zones followed
   * (absolute, lower-case; the Mesos zone first). `on`: Primaries is set, no master is read.
   */
  readonly secondary: { readonly on: boolean; readonly primaries: readonly HostPort[]; readonly zones: readonly string[] };
}

export interface AddressRules {
  /** IPSources, in order. */
  readonly sources: readonly IPSource[];
  /** IPNetworks as a set; null when empty (every network counts). */
  readonly networks: ReadonlySet<string> | null;
  /** AddressPolicy "auto". */
  readonly auto: boolean;
}

export interface Config extends RawConfig {
  readonly typed: TypedConfig;
}

function parsedList(list: readonly string[], parse: (text: string) => { value?: HostPort }): HostPort[] {
  // Entries were validated by parseConfig; one that is not valid (a hand-made config in a test)
  // is left out rather than thrown at query time.
  return list.flatMap((text) => {
    const { value } = parse(text);
    return value ? [Object.freeze(value)] : [];
  });
}

/** The typed values of `raw`. Pure; parseConfig calls it once per load. */
export function typedValues(raw: RawConfig): TypedConfig {
  const domain = raw.Domain.toLowerCase().replace(/\.+$/, '');
  const forwarding = raw.ExternalOn && raw.Resolvers.length > 0;
  const zones = new Map<string, readonly HostPort[]>();
  if (forwarding) {
    for (const [zone, list] of Object.entries(raw.ZoneResolvers)) {
      const upstreams = parsedList(list, parseResolverAddress);
      if (upstreams.length > 0) zones.set(zone.toLowerCase().replace(/\.$/, ''), Object.freeze(upstreams));
    }
  }
  return {
    masters: Object.freeze(parsedList(raw.Masters ?? [], parseMasterAddress)),
    domain,
    zone: `${domain}.`,
    routing: {
      domain,
      forwarding,
      zones,
      resolvers: Object.freeze(parsedList(raw.Resolvers, parseResolverAddress)),
      ownZones: Object.freeze(raw.DcosNames ? [DCOS_DOMAIN] : []),
    },
    // Entries were validated by parseConfig; one that is not valid (a hand-made config) is left out.
    ptr: { on: raw.PtrOn, zones: Object.freeze([...new Set(raw.ReverseZones.flatMap((z) => reverseZoneOf(z).value ?? []))]) },
    addresses: {
      sources: Object.freeze([...raw.IPSources]),
      networks: raw.IPNetworks.length === 0 ? null : new Set(raw.IPNetworks),
      auto: raw.AddressPolicy === 'auto',
    },
    dcosNames: raw.DcosNames,
    secondary: secondaryOf(raw, domain),
    zonesDir: raw.ZonesDir === '' ? '' : path.resolve(raw.File ? path.dirname(raw.File) : process.cwd(), raw.ZonesDir),
    recurseFrom: Object.freeze(raw.RecurseFrom.flatMap((text): Cidr[] => { const { value } = parseCidr(text); return value ? [value] : []; })),
    rrlExempt: Object.freeze(raw.ResponseRateLimitExempt.flatMap((text): Cidr[] => { const { value } = parseCidr(text); return value ? [value] : []; })),
    roundRobin: raw.AnswerOrder === 'round-robin',
    transfer: Object.freeze({
      allow: Object.freeze((raw.AllowTransfer ?? []).flatMap((text): Cidr[] => { const { value } = parseCidr(text); return value ? [value] : []; })),
      notify: Object.freeze(parsedList(raw.Notify ?? [], parseResolverAddress)),
      keys: Object.freeze((raw.TsigKeys ?? []).flatMap((text): TsigKey[] => { const { value } = parseTsigKey(text); return value ? [value] : []; })),
      requiredKey: raw.TransferTsigKey ? keyName(raw.TransferTsigKey) : undefined,
      on: (raw.AllowTransfer ?? []).length > 0 || (raw.Notify ?? []).length > 0,
    }),
  };
}

/** The followed zones: SecondaryZones, or the Mesos zone plus ReverseZones; the Mesos zone first. */
function secondaryOf(raw: RawConfig, domain: string): TypedConfig['secondary'] {
  const primaries = Object.freeze(parsedList(raw.Primaries ?? [], parseResolverAddress));
  const listed = (raw.SecondaryZones ?? []).length > 0 ? raw.SecondaryZones.flatMap((z) => secondaryZoneOf(z, domain).value ?? []) : raw.ReverseZones.flatMap((z) => reverseZoneOf(z).value ?? []);
  const zones = [`${domain}.`, ...listed.filter((z) => z !== `${domain}.`)];
  return Object.freeze({ on: primaries.length > 0, primaries, zones: Object.freeze([...new Set(zones)]) });
}

/** A Config from raw values: `withTyped({ ...DEFAULTS, Masters: [...] })` in tests. */
export function withTyped(raw: RawConfig): Config {
  const { typed: _ignored, ...rest } = raw as RawConfig & { typed?: unknown };
  return { ...(rest as RawConfig), typed: typedValues(rest as RawConfig) };
}

/** Every default, typed. */
export const DEFAULTS: Readonly<Config> = Object.freeze(withTyped(RAW_DEFAULTS));
