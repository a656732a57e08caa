// What a reload (SIGHUP) must restart, by key. Each part of the server compares its keys between
// the running and the new config and restarts only when one of them changed; everything else is
// applied in place (the next table build or query reads the new value). The keys that shape only
// the table (Domain, TTL, IPSources, IPNetworks, AddressPolicy, PtrOn, HealthPolicy, ...) restart
// nothing: every reload rebuilds the table from the last state with the new config (main.ts).
import type { RawConfig } from './schema.js';

export const RESTARTS = {
  /** The state source (main.ts): where the state comes from and how it is fetched. */
  source: [
    'StateFile', 'Zk', 'Masters', 'MesosHTTPSOn', 'CACertFile', 'CertFile', 'KeyFile', 'MesosHTTPSInsecure',
    'MesosAuthentication', 'MesosCredentials', 'IAMConfigFile', 'StateTimeoutSeconds', 'RefreshSeconds',
    'ZkDetectionTimeout', 'StreamOn', 'NativeStateReader', 'StateMaxBytes',
    // A secondary's primaries and zones (the keys it signs with are read per request).
    'Primaries', 'SecondaryZones',
  ],
  /** The HTTP server (serve.ts). */
  http: ['HttpOn', 'HTTPListener', 'HttpPort'],
  /** The DNS sockets (dns-service.ts; serve.ts adds the worker count). */
  dnsSockets: ['DnsOn', 'Listener', 'Port', 'UDPBufferBytes', 'UDPBatching'],
  /** The forwarder and its cache (dns-service.ts). */
  // The upstream lists too: a forwarder remembers and probes the upstreams it has used.
  forwarder: ['Timeout', 'ForwardCacheSize', 'ForwardMaxFails', 'ForwardHealthCheckMs', 'Resolvers', 'ZoneResolvers'],
  /** The response rate limiter's table (dns-service.ts): a new one starts empty. */
  /** The static zone loader (zones/zone-watcher.ts): the zones are read again, and checked against the domain. */
  zones: ['ZonesDir', 'Domain'],
  rateLimit: [
    'ResponseRateLimit', 'ResponseRateLimitSlip', 'ResponseRateLimitWindow', 'ResponseRateLimitIPv4Prefix', 'ResponseRateLimitIPv6Prefix',
    'ResponseRateLimitExempt',
  ],
  /**
   * The NOTIFY sender (dns/xfr/notifier.ts): pending retries to the old targets stop. The other
   * transfer keys (AllowTransfer, TsigKeys, TransferTsigKey, IxfrJournalSize, SerialFile) are
   * read per transfer or per change, so they apply at once.
   */
  notify: ['Notify', 'TsigKeys', 'TransferTsigKey'],
} as const satisfies Record<string, readonly (keyof RawConfig)[]>;

export type RestartPart = keyof typeof RESTARTS;

/** The values of `part`'s keys in `c`, as one comparable string. */
export function restartKey(part: RestartPart, c: RawConfig): string {
  return JSON.stringify(RESTARTS[part].map((k) => c[k]));
}

/** Whether going from `a` to `b` restarts `part`. */
export function restarts(part: RestartPart, a: RawConfig, b: RawConfig): boolean {
  return restartKey(part, a) !== restartKey(part, b);
}
