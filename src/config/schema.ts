// The configuration keys: for each, its type (RawConfig), its kind (how config.json's value is
// decoded and range-checked) and its default, side by side in KEYS. Field names are mesos-dns's
// own (records/config.go), because /v1/config must show them exactly that way and config.json
// keys match them case-insensitively. A new key is one RawConfig field plus one KEYS row (the
// compiler insists on both), its semantic checks in validate.ts, its reload effect in reload.ts,
// and its line in docs/configuration.md.

export type IPSource = 'host' | 'docker' | 'mesos' | 'netinfo';

export type MesosAuthentication = '' | 'basic' | 'iam';

/** AddressPolicy: "" is mesos-dns's IPSources rule, "auto" dcos-net's autoip rule (docs/addresses.md). */
export type AddressPolicy = '' | 'auto';
/** How an RRset is ordered in each reply (docs/naming.md "Answer order"). */
export type AnswerOrder = 'shuffle' | 'round-robin';
/** Which RUNNING tasks a shared task name answers with (docs/naming.md "Health-aware answers"). */
export type HealthPolicy = 'ignore' | 'exclude-unhealthy' | 'only-healthy';

export interface MesosCredentials {
  Principal: string;
  Secret: string;
}

/** The mesos-dns-shaped values, as /v1/config shows them (validated and normalised). */
export interface RawConfig {
  // --- mesos-dns keys, in the order /v1/config prints them ---
  RefreshSeconds: number;
  Port: number;
  Timeout: number;
  StateTimeoutSeconds: number;
  ZkDetectionTimeout: number;
  HttpPort: number;
  TTL: number;
  SRVRecordDefaultWeight: number;
  /** Current serial; set by the server (unix time of the last swap), not by the file. */
  SOASerial: number;
  SOARefresh: number;
  SOARetry: number;
  SOAExpire: number;
  SOAMinttl: number;
  /** Absolute, lower-cased, with one trailing dot (mesos-dns normalisation). */
  SOAMname: string;
  /** Absolute, `@` turned into `.`, with one trailing dot. */
  SOARname: string;
  /** null when not configured, like mesos-dns's nil slice in /v1/config. */
  Masters: string[] | null;
  /** zone (lower-case, no trailing dot) -> resolver addresses (ip or ip:port). */
  ZoneResolvers: Record<string, string[]>;
  Resolvers: string[];
  IPSources: IPSource[];
  Zk: string;
  /** Lower-case, no trailing dot. */
  Domain: string;
  /** Absolute path of the config file ("" for the built-in demo). */
  File: string;
  Listener: string;
  HTTPListener: string;
  RecurseOn: boolean;
  DnsOn: boolean;
  HttpOn: boolean;
  ExternalOn: boolean;
  EnforceRFC952: boolean;
  SetTruncateBit: boolean;
  EnumerationOn: boolean;
  MesosHTTPSOn: boolean;
  CACertFile: string;
  CertFile: string;
  KeyFile: string;
  MesosCredentials: MesosCredentials;
  IAMConfigFile: string;
  MesosAuthentication: MesosAuthentication;

  // --- keys of our own (documented in docs/configuration.md) ---
  /** Read the master state from this JSON file instead of a master; re-read when it changes. */
  StateFile: string;
  /** Skip TLS verification towards masters (mesos-dns does this silently without a CA file; we only on request). */
  MesosHTTPSInsecure: boolean;
  /** Use the Operator API event stream when the master offers it; false forces polling. */
  StreamOn: boolean;
  /** PTR records for task, agent and master addresses (docs/naming.md "Reverse lookups"). */
  PtrOn: boolean;
  /** Reverse zones we are authoritative for (zone names or CIDRs); empty: derived from the addresses in use. */
  ReverseZones: string[];
  /** Entries in the forwarding cache (0 disables it). */
  ForwardCacheSize: number;
  /** DNS worker threads sharing the port (0 = one per core). */
  Workers: number;
  /** SO_RCVBUF / SO_SNDBUF for the UDP sockets, bytes. */
  UDPBufferBytes: number;
  /** Move UDP datagrams in batches (recvmmsg/sendmmsg, native/udp-batch.c) when the addon is built; false uses dgram. */
  UDPBatching: boolean;
  /** Read master states with the C reader (native/state-reader.c) when it is built; false uses JSON.parse. */
  NativeStateReader: boolean;
  /** Largest UDP payload we advertise and accept from EDNS clients (RFC 6891 §6.2.5). */
  EDNSMaxUDPSize: number;
  // --- security keys (issue 12) ---
  /**
   * What version.bind, version.server, hostname.bind and id.server (class CH, TXT) and NSID
   * (RFC 5001) answer; "" (the default) answers none of them (REFUSED, no NSID).
   */
  Identity: string;
  /**
   * CIDR ranges whose clients may have names outside our zones forwarded (docs/security.md
   * "Recursion"); others get REFUSED for them. Parsed once into config.typed.recursionAllowed.
   */
  RecurseFrom: string[];
  /** UDP responses per second per client network and response kind; 0 (the default) turns RRL off. */
  ResponseRateLimit: number;
  /** Every Nth rate-limited response is sent truncated (TC, no records) instead of dropped; 0 = never. */
  ResponseRateLimitSlip: number;
  /** A bucket holds up to ResponseRateLimit x this many responses (the burst a quiet client may send), seconds. */
  ResponseRateLimitWindow: number;
  /** Prefix length that makes IPv4 clients one network for RRL. */
  ResponseRateLimitIPv4Prefix: number;
  /** Prefix length that makes IPv6 clients one network for RRL. */
  ResponseRateLimitIPv6Prefix: number;
  /** Clients (CIDR ranges) whose UDP responses are never rate limited: monitoring, the agents' own caches. */
  ResponseRateLimitExempt: string[];

  // --- connection limits (docs/security.md "Limits"); all live on SIGHUP ---
  /** A TCP message must arrive whole this long after its first byte (Knot's tcp-io-timeout), ms. */
  TCPIOTimeoutMs: number;
  /** A TCP connection with nothing in flight and no message begun is closed after this long, ms. */
  TCPIdleTimeoutMs: number;
  /** TCP connections per DNS thread; at the cap the longest-idle one is closed for a new one. */
  TCPMaxConnections: number;
  /** TCP connections per source address per DNS thread (0 = no cap). */
  TCPMaxClientConnections: number;
  /** HTTP connections at once; more are closed on arrival (node:http server.maxConnections). */
  HTTPMaxConnections: number;
  /** An HTTP request's headers must arrive within this long of the connection or the previous response, ms. */
  HTTPHeadersTimeoutMs: number;
  /** A whole HTTP request must arrive within this long, ms (at least HTTPHeadersTimeoutMs). */
  HTTPRequestTimeoutMs: number;
  /** An idle keep-alive HTTP connection is closed after this long, ms. */
  HTTPKeepAliveTimeoutMs: number;
  // --- end of connection limits ---
  // --- task addresses and DC/OS names (issue 15 items 1 and 5; docs/addresses.md) ---
  /** CNI network names whose network_infos addresses count for a task; empty: every network. */
  IPNetworks: string[];
  /** "" (IPSources decides) or "auto" (the container address on a virtual network without port mappings, else the agent's). */
  AddressPolicy: AddressPolicy;
  /** Also answer dcos-net's names under thisdcos.directory (agentip, containerip, autoip, l4lb VIPs). */
  DcosNames: boolean;
  // --- end of task addresses and DC/OS names ---
  // --- readiness and state size (docs/configuration.md) ---
  /** /ready turns 503 (and one warning is logged) when the table is older than this, or the state source has failed for this long; 0 = off. */
  ReadyMaxTableAgeSeconds: number;
  /** Largest /master/state body read (decompressed), bytes; a larger one is refused without reading the rest. */
  StateMaxBytes: number;
  /**
   * Directory of static zone files (`*.zone`, docs/static-zones.md), relative to the config
   * file's directory; absent directory or "": no static zones.
   */
  ZonesDir: string;
  // --- end of readiness and state size ---

  // --- forwarding health keys (issue 13) ---
  /** Consecutive failed tries that mark an upstream down (CoreDNS max_fails); 0 never marks one down. */
  ForwardMaxFails: number;
  /** How often a down upstream is probed with `. IN NS`, milliseconds. */
  ForwardHealthCheckMs: number;
  // --- end of forwarding health keys ---
  // --- answer order (issue 15) ---
  /** "shuffle": each reply a random permutation of the RRset (mesos-dns); "round-robin": rotated one step per reply. */
  AnswerOrder: AnswerOrder;
  // --- end of answer order ---

  // --- zone transfer (issue 16; docs/operations.md "Large clusters") ---
  /** CIDR ranges that may transfer our zones (AXFR/IXFR over TCP); empty: every transfer is REFUSED. */
  AllowTransfer: string[];
  /** Secondaries told of every change (RFC 1996 NOTIFY over UDP), each ip or ip:port. */
  Notify: string[];
  /** TSIG keys (RFC 8945), each "hmac-sha256:name:base64secret" (dig -y's form); secrets masked in /v1/config. */
  TsigKeys: string[];
  /** A key name of TsigKeys: transfers must be signed with it, and NOTIFY is signed with it; "" = none required. */
  TransferTsigKey: string;
  /** Where the last SOA serial is kept across restarts; "" = derived from the clock only. */
  SerialFile: string;
  /** Changes kept per zone for IXFR (RFC 1995); an older serial gets a full transfer. */
  IxfrJournalSize: number;
  /**
   * Primaries to follow as a secondary (docs/operations.md "A mesos-dns-ts secondary"), each
   * ip or ip:port; set: no Mesos master is read, the zones come by AXFR/IXFR from these.
   */
  Primaries: string[];
  /** Zones a secondary follows (names, or reverse CIDRs); empty: the Domain plus ReverseZones. */
  SecondaryZones: string[];
  // --- end of zone transfer ---
  // --- health-aware answers (issue 15) ---
  /** "ignore" (mesos-dns), "exclude-unhealthy" or "only-healthy": records/health-policy.ts. */
  HealthPolicy: HealthPolicy;
  // --- end of health-aware answers ---
}

export type Kind =
  | { t: 'int'; min: number; max: number; rule: string }
  | { t: 'bool' }
  | { t: 'string' }
  | { t: 'strings' }
  | { t: 'zones' }
  | { t: 'credentials' }
  /** Present in Config but set by the server, never by the file. */
  | { t: 'ignored'; why: string };

// Timers in Node take a signed 32-bit millisecond delay; anything larger fires at once
// (TimeoutOverflowWarning). Every "seconds" key therefore tops out here.
const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);
const UINT32_MAX = 2 ** 32 - 1;
const INT31_MAX = 2 ** 31 - 1;

const int = (min: number, max: number, rule: string): Kind => ({ t: 'int', min, max, rule });
const seconds = (min: 0 | 1): Kind =>
  int(min, MAX_TIMER_SECONDS, `an integer from ${min} to ${MAX_TIMER_SECONDS} (seconds)`);
const port = int(0, 65535, 'a port from 0 to 65535 (0 = any free port)');
// RFC 1035 §3.3.13: SOA REFRESH, RETRY, EXPIRE and MINIMUM are unsigned 32-bit.
const uint32 = int(0, UINT32_MAX, `an integer from 0 to ${UINT32_MAX}`);
// A timer of at least 1 ms (0 would mean "no timeout" to node:http, and fire at once for our own timers).
const milliseconds = int(1, INT31_MAX, `an integer from 1 to ${INT31_MAX} (milliseconds)`);
const BOOL: Kind = { t: 'bool' };
const STRING: Kind = { t: 'string' };
const STRINGS: Kind = { t: 'strings' };

export interface KeySpec<T> {
  kind: Kind;
  default: T;
}

export const KEYS: { readonly [K in keyof RawConfig]: KeySpec<RawConfig[K]> } = {
  RefreshSeconds: { kind: seconds(1), default: 60 },
  Port: { kind: port, default: 53 },
  Timeout: { kind: seconds(0), default: 5 },
  StateTimeoutSeconds: { kind: seconds(1), default: 300 },
  ZkDetectionTimeout: { kind: seconds(0), default: 30 },
  HttpPort: { kind: port, default: 8123 },
  // RFC 2181 §8: a TTL is an unsigned value whose top bit must be zero.
  TTL: { kind: int(0, INT31_MAX, `an integer from 0 to ${INT31_MAX}`), default: 60 },
  SRVRecordDefaultWeight: { kind: int(0, 65535, 'an integer from 0 to 65535'), default: 1 }, // RFC 2782: 16-bit weight
  SOASerial: { kind: { t: 'ignored', why: 'the serial is the unix time of the last refresh' }, default: 0 },
  SOARefresh: { kind: uint32, default: 60 },
  SOARetry: { kind: uint32, default: 600 },
  SOAExpire: { kind: uint32, default: 86400 },
  SOAMinttl: { kind: uint32, default: 60 },
  SOAMname: { kind: STRING, default: 'ns1.mesos.' },
  SOARname: { kind: STRING, default: 'root.ns1.mesos.' },
  Masters: { kind: STRINGS, default: null },
  ZoneResolvers: { kind: { t: 'zones' }, default: {} },
  Resolvers: { kind: STRINGS, default: ['8.8.8.8'] },
  IPSources: { kind: STRINGS, default: ['netinfo', 'mesos', 'host'] },
  Zk: { kind: STRING, default: '' },
  Domain: { kind: STRING, default: 'mesos' },
  File: { kind: { t: 'ignored', why: 'it is the path the configuration was read from' }, default: '' },
  Listener: { kind: STRING, default: '0.0.0.0' },
  HTTPListener: { kind: STRING, default: '0.0.0.0' },
  RecurseOn: { kind: BOOL, default: true },
  DnsOn: { kind: BOOL, default: true },
  HttpOn: { kind: BOOL, default: true },
  ExternalOn: { kind: BOOL, default: true },
  EnforceRFC952: { kind: BOOL, default: false },
  SetTruncateBit: { kind: BOOL, default: true },
  EnumerationOn: { kind: BOOL, default: true },
  MesosHTTPSOn: { kind: BOOL, default: false },
  CACertFile: { kind: STRING, default: '' },
  CertFile: { kind: STRING, default: '' },
  KeyFile: { kind: STRING, default: '' },
  MesosCredentials: { kind: { t: 'credentials' }, default: { Principal: '', Secret: '' } },
  IAMConfigFile: { kind: STRING, default: '' },
  MesosAuthentication: { kind: STRING, default: '' },
  StateFile: { kind: STRING, default: '' },
  MesosHTTPSInsecure: { kind: BOOL, default: false },
  StreamOn: { kind: BOOL, default: true },
  PtrOn: { kind: BOOL, default: true },
  ReverseZones: { kind: STRINGS, default: [] },
  // lru-cache sizes its index arrays from `max` up front, so an absurd size costs memory at once.
  ForwardCacheSize: { kind: int(0, 10_000_000, 'an integer from 0 to 10000000'), default: 10000 },
  Workers: { kind: int(0, 1024, 'an integer from 0 to 1024 (0 = one per core)'), default: 0 },
  UDPBufferBytes: { kind: int(0, INT31_MAX, `an integer from 0 to ${INT31_MAX}`), default: 4 * 1024 * 1024 },
  UDPBatching: { kind: BOOL, default: true },
  NativeStateReader: { kind: BOOL, default: true },
  // RFC 6891 §6.2.5: values below 512 are treated as 512; 65535 is the field's ceiling.
  EDNSMaxUDPSize: { kind: int(512, 65535, 'an integer from 512 to 65535'), default: 1232 },
  // --- security keys (issue 12); validated in validateSecurity (validate.ts) ---
  Identity: { kind: STRING, default: '' },
  // Loopback, RFC 1918, RFC 6598 shared space, link-local (RFC 3927, RFC 4291) and ULA (RFC 4193):
  // the networks an agent's own containers and hosts use, never the open Internet (RFC 5358).
  RecurseFrom: {
    kind: STRINGS,
    default: ['127.0.0.0/8', '::1/128', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16', 'fe80::/10', 'fc00::/7'],
  },
  ResponseRateLimit: { kind: int(0, 1_000_000, 'an integer from 0 to 1000000 (responses per second; 0 = off)'), default: 0 },
  // BIND and Knot both default to 2: half the limited answers truncated, so a real client behind
  // a spoofed flood still gets through over TCP while a reflection gains nothing.
  ResponseRateLimitSlip: { kind: int(0, 10, 'an integer from 0 to 10 (0 = never slip)'), default: 2 },
  ResponseRateLimitWindow: { kind: int(1, 3600, 'an integer from 1 to 3600 (seconds)'), default: 1 },
  ResponseRateLimitIPv4Prefix: { kind: int(0, 32, 'a prefix length from 0 to 32'), default: 24 },
  ResponseRateLimitIPv6Prefix: { kind: int(0, 128, 'a prefix length from 0 to 128'), default: 56 },
  // BIND's `exempt-clients`: none by default, so RRL limits everyone until the operator says otherwise.
  ResponseRateLimitExempt: { kind: STRINGS, default: [] },
  // --- connection limits (docs/security.md "Limits") ---
  TCPIOTimeoutMs: { kind: milliseconds, default: 500 },
  TCPIdleTimeoutMs: { kind: milliseconds, default: 10_000 },
  TCPMaxConnections: { kind: int(1, 1_000_000, 'an integer from 1 to 1000000'), default: 1024 },
  TCPMaxClientConnections: { kind: int(0, 1_000_000, 'an integer from 0 to 1000000 (0 = no per-client cap)'), default: 16 },
  HTTPMaxConnections: { kind: int(1, 1_000_000, 'an integer from 1 to 1000000'), default: 256 },
  HTTPHeadersTimeoutMs: { kind: milliseconds, default: 10_000 },
  HTTPRequestTimeoutMs: { kind: milliseconds, default: 30_000 },
  HTTPKeepAliveTimeoutMs: { kind: milliseconds, default: 5_000 },
  // --- end of connection limits ---
  // --- task addresses and DC/OS names (docs/addresses.md); validated in validateAddresses ---
  IPNetworks: { kind: STRINGS, default: [] },
  AddressPolicy: { kind: STRING, default: '' },
  DcosNames: { kind: BOOL, default: false },
  // --- end of task addresses and DC/OS names ---
  // --- readiness and state size (docs/configuration.md) ---
  ReadyMaxTableAgeSeconds: { kind: seconds(0), default: 0 },
  // Above 1 GiB a state is far past any real cluster, and as text past V8's longest string.
  StateMaxBytes: { kind: int(1024, 2 ** 30, `an integer from 1024 to ${2 ** 30} (bytes)`), default: 256 * 1024 * 1024 },
  // --- end of readiness and state size ---
  // --- static zones (issue 15 item 4, docs/static-zones.md) ---
  ZonesDir: { kind: STRING, default: 'zones' },
  // --- forwarding health keys (issue 13); why these defaults: docs/configuration.md ---
  ForwardMaxFails: { kind: int(0, 100, 'an integer from 0 to 100 (0 = never mark an upstream down)'), default: 2 },
  // At least 50 ms: probes at a higher rate would be traffic, not a check.
  ForwardHealthCheckMs: { kind: int(50, 3_600_000, 'an integer from 50 to 3600000 (milliseconds)'), default: 500 },
  AllowTransfer: { kind: STRINGS, default: [] },
  Notify: { kind: STRINGS, default: [] },
  TsigKeys: { kind: STRINGS, default: [] },
  TransferTsigKey: { kind: STRING, default: '' },
  SerialFile: { kind: STRING, default: '' },
  IxfrJournalSize: { kind: int(0, 100_000, 'an integer from 0 to 100000 (0 = no IXFR, full transfers only)'), default: 100 },
  // Checked in config/validate-secondary.ts.
  Primaries: { kind: STRINGS, default: [] },
  SecondaryZones: { kind: STRINGS, default: [] },
  // --- end of forwarding health keys ---
  // --- answer order (issue 15); checked in validateAnswerOrder (validate.ts) ---
  AnswerOrder: { kind: STRING, default: 'shuffle' },
  // --- end of answer order ---
  // --- health-aware answers (issue 15); validated in validateHealthPolicy (validate.ts) ---
  HealthPolicy: { kind: STRING, default: 'ignore' },
  // --- end of health-aware answers ---
};

/** Every key's default, as config.json without the key gives it. */
export const RAW_DEFAULTS: Readonly<RawConfig> = Object.freeze(
  Object.fromEntries(Object.entries(KEYS).map(([k, spec]) => [k, spec.default])) as unknown as RawConfig,
);

export const FIELDS = Object.keys(KEYS) as (keyof RawConfig)[];
export const BY_LOWER = new Map<string, keyof RawConfig>(FIELDS.map((f) => [f.toLowerCase(), f]));

export const IP_SOURCES: readonly IPSource[] = ['host', 'docker', 'mesos', 'netinfo'];
export const ADDRESS_POLICIES: readonly AddressPolicy[] = ['', 'auto'];
export const HEALTH_POLICIES: readonly HealthPolicy[] = ['ignore', 'exclude-unhealthy', 'only-healthy'];
export const AUTH_MECHANISMS: readonly MesosAuthentication[] = ['', 'basic', 'iam'];
export const ANSWER_ORDERS: readonly AnswerOrder[] = ['shuffle', 'round-robin'];
// mesos-dns's dnsValidationRegex, used for `domain` and zoneResolvers keys.
export const DOMAIN_RE = /^[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)*$/;

