// The effective configuration. Field names are mesos-dns's own (records/config.go), because
// /v1/config must show them exactly that way and config.json keys match them case-insensitively.
// Loading and validation live in load-config.ts; this module only names the shape and defaults.

export type IPSource = 'host' | 'docker' | 'mesos' | 'netinfo';

export type MesosAuthentication = '' | 'basic' | 'iam';

export interface MesosCredentials {
  Principal: string;
  Secret: string;
}

export interface Config {
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
  // --- readiness and state size (docs/configuration.md) ---
  /** /ready turns 503 (and one warning is logged) when the table is older than this, or the state source has failed for this long; 0 = off. */
  ReadyMaxTableAgeSeconds: number;
  /** Largest /master/state body read (decompressed), bytes; a larger one is refused without reading the rest. */
  StateMaxBytes: number;
  // --- end of readiness and state size ---
}

export const DEFAULTS: Readonly<Config> = Object.freeze({
  RefreshSeconds: 60,
  Port: 53,
  Timeout: 5,
  StateTimeoutSeconds: 300,
  ZkDetectionTimeout: 30,
  HttpPort: 8123,
  TTL: 60,
  SRVRecordDefaultWeight: 1,
  SOASerial: 0,
  SOARefresh: 60,
  SOARetry: 600,
  SOAExpire: 86400,
  SOAMinttl: 60,
  SOAMname: 'ns1.mesos.',
  SOARname: 'root.ns1.mesos.',
  Masters: null,
  ZoneResolvers: {},
  Resolvers: ['8.8.8.8'],
  IPSources: ['netinfo', 'mesos', 'host'],
  Zk: '',
  Domain: 'mesos',
  File: '',
  Listener: '0.0.0.0',
  HTTPListener: '0.0.0.0',
  RecurseOn: true,
  DnsOn: true,
  HttpOn: true,
  ExternalOn: true,
  EnforceRFC952: false,
  SetTruncateBit: true,
  EnumerationOn: true,
  MesosHTTPSOn: false,
  CACertFile: '',
  CertFile: '',
  KeyFile: '',
  MesosCredentials: { Principal: '', Secret: '' },
  IAMConfigFile: '',
  MesosAuthentication: '',
  StateFile: '',
  MesosHTTPSInsecure: false,
  StreamOn: true,
  ForwardCacheSize: 10000,
  Workers: 0,
  UDPBufferBytes: 4 * 1024 * 1024,
  UDPBatching: true,
  NativeStateReader: true,
  EDNSMaxUDPSize: 1232,
  Identity: '',
  // --- connection limits ---
  TCPIOTimeoutMs: 500,
  TCPIdleTimeoutMs: 10_000,
  TCPMaxConnections: 1024,
  TCPMaxClientConnections: 16,
  HTTPMaxConnections: 256,
  HTTPHeadersTimeoutMs: 10_000,
  HTTPRequestTimeoutMs: 30_000,
  HTTPKeepAliveTimeoutMs: 5_000,
  // --- end of connection limits ---
  // --- readiness and state size ---
  ReadyMaxTableAgeSeconds: 0,
  StateMaxBytes: 256 * 1024 * 1024,
  // --- end of readiness and state size ---
} satisfies Config);
