// The HTTP API's handlers, a drop-in for mesos-dns's /v1 routes (resolver.go RestVersion,
// RestConfig, RestHost, RestPorts, RestService, RestEnumerate, RestAXFR) plus our /health.
// Each handler is pure: (snapshot, path params, context) -> response. The snapshot is read
// once per request by the server (store.ts), randomness comes in as ctx.random, and the
// config is already redacted by the caller. server.ts turns the result into bytes on a socket.
import type { PublicConfig } from '../config/redact.js';
import type { RawConfig } from '../config/schema.js';
import type { Snapshot } from '../store.js';
import type { EnumerateFramework, RecordTable } from '../records/table.js';
import { staticAddresses, staticServices } from './static-records.js';
import { JsonMap, marshalIndent, type JsonObject, type JsonValue } from './json.js';
import { DCOS_ZONE } from '../records/dcos-names.js';

export interface ApiResponse {
  status: number;
  contentType: string;
  body: string;
}

export interface ApiContext {
  /** The effective config, secrets already hidden by the caller. */
  /** The redacted view: the API never holds the Mesos secret or the zk password. */
  config: PublicConfig;
  version: string;
  /** Uniform in [0, 1); drives the answer shuffling that mesos-dns does per request. */
  random: () => number;
  /**
   * The table generation every DNS worker answers from, when DNS runs in worker threads that
   * receive each table after the swap here (0: some worker has none yet). Absent: DNS answers
   * from the main thread's snapshot.
   */
  servedGeneration?: () => number;
}

/** Decoded path parameters, by the name used in the route pattern ({host}, {service}). */
export type RouteParams = Readonly<Record<string, string>>;

export type ApiHandler = (snapshot: Snapshot | undefined, params: RouteParams, ctx: ApiContext) => ApiResponse;

/** go-restful writes JSON with this exact media type, no charset parameter. */
export const JSON_CONTENT_TYPE = 'application/json';
/** go-restful's error strings carry no Content-Type; Go's net/http then sniffs this one. */
export const TEXT_CONTENT_TYPE = 'text/plain; charset=utf-8';

export function jsonResponse(status: number, value: JsonValue): ApiResponse {
  return { status, contentType: JSON_CONTENT_TYPE, body: marshalIndent(value) };
}

export function textResponse(status: number, body: string): ApiResponse {
  return { status, contentType: TEXT_CONTENT_TYPE, body };
}

/** go-restful's answer for a path no route matches. */
export function pageNotFound(): ApiResponse {
  return textResponse(404, '404: Page Not Found');
}

/**
 * Our answer where mesos-dns would still be blocked on its first reload (it serves no HTTP
 * at all before then). Only the endpoints that dump the whole table use it; lookups answer
 * their usual not-found shapes.
 */
function notLoaded(): ApiResponse {
  return jsonResponse(503, { error: 'no state loaded yet' });
}

// --- GET /v1/version -------------------------------------------------------------------

export const handleVersion: ApiHandler = (_snapshot, _params, ctx) =>
  // A Go map[string]string in mesos-dns, hence sorted keys.
  jsonResponse(200, new JsonMap({ Service: 'Mesos-DNS', Version: ctx.version, URL: 'https://github.com/mesosphere/mesos-dns' }));

// --- GET /v1/config --------------------------------------------------------------------

// Every RawConfig field, in its declaration order (which is mesos-dns's struct order for the
// shared keys). The type below fails to compile when config/schema.ts gains a field not listed here.
const CONFIG_KEYS = [
  'RefreshSeconds',
  'Port',
  'Timeout',
  'StateTimeoutSeconds',
  'ZkDetectionTimeout',
  'HttpPort',
  'TTL',
  'SRVRecordDefaultWeight',
  'SOASerial',
  'SOARefresh',
  'SOARetry',
  'SOAExpire',
  'SOAMinttl',
  'SOAMname',
  'SOARname',
  'Masters',
  'ZoneResolvers',
  'Resolvers',
  'IPSources',
  'Zk',
  'Domain',
  'File',
  'Listener',
  'HTTPListener',
  'RecurseOn',
  'DnsOn',
  'HttpOn',
  'ExternalOn',
  'EnforceRFC952',
  'SetTruncateBit',
  'EnumerationOn',
  'MesosHTTPSOn',
  'CACertFile',
  'CertFile',
  'KeyFile',
  'MesosCredentials',
  'IAMConfigFile',
  'MesosAuthentication',
  'StateFile',
  'MesosHTTPSInsecure',
  'StreamOn',
  'PtrOn',
  'ReverseZones',
  'ForwardCacheSize',
  'Workers',
  'UDPBufferBytes',
  'UDPBatching',
  'NativeStateReader',
  'EDNSMaxUDPSize',
  'Identity',
  'RecurseFrom',
  'ResponseRateLimit',
  'ResponseRateLimitSlip',
  'ResponseRateLimitWindow',
  'ResponseRateLimitIPv4Prefix',
  'ResponseRateLimitIPv6Prefix',
  'ResponseRateLimitExempt',
  'TCPIOTimeoutMs',
  'TCPIdleTimeoutMs',
  'TCPMaxConnections',
  'TCPMaxClientConnections',
  'HTTPMaxConnections',
  'HTTPHeadersTimeoutMs',
  'HTTPRequestTimeoutMs',
  'HTTPKeepAliveTimeoutMs',
  'IPNetworks',
  'AddressPolicy',
  'DcosNames',
  'ReadyMaxTableAgeSeconds',
  'StateMaxBytes',
  'ZonesDir',
  'ForwardMaxFails',
  'ForwardHealthCheckMs',
  'AnswerOrder',
  'AllowTransfer',
  'Notify',
  'TsigKeys',
  'TransferTsigKey',
  'SerialFile',
  'IxfrJournalSize',
  'Primaries',
  'SecondaryZones',
  'HealthPolicy',
] as const satisfies readonly (keyof RawConfig)[];

type UnlistedConfigKey = Exclude<keyof RawConfig, (typeof CONFIG_KEYS)[number]>;
const everyConfigKeyListed: [UnlistedConfigKey] extends [never] ? true : UnlistedConfigKey = true;
void everyConfigKeyListed;

export const handleConfig: ApiHandler = (snapshot, _params, ctx) => {
  const config = ctx.config;
  const out: Record<string, JsonValue> = {};
  for (const key of CONFIG_KEYS) {
    switch (key) {
      case 'SOASerial':
        // mesos-dns stores the serial of the last reload into its config; ours lives in the table.
        out[key] = snapshot ? snapshot.table.soa.serial : config.SOASerial;
        break;
      case 'ZoneResolvers':
        out[key] = new JsonMap(Object.entries(config.ZoneResolvers).map(([zone, addrs]) => [zone, [...addrs]] as const));
        break;
      case 'MesosCredentials':
        out[key] = { Principal: config.MesosCredentials.Principal, Secret: config.MesosCredentials.Secret };
        break;
      case 'Masters':
      case 'Resolvers':
      case 'ReverseZones':
      case 'IPSources':
      case 'IPNetworks':
      case 'RecurseFrom': {
        const list = config[key];
        out[key] = list === null ? null : [...list];
        break;
      }
      default:
        out[key] = config[key];
    }
  }
  return jsonResponse(200, out);
};

// --- GET /v1/hosts/{host} --------------------------------------------------------------

/**
 * mesos-dns's lookup key for a path parameter: every ".*" removed (cleanWild), lower-cased,
 * made absolute. An empty result (mesos-dns panics on it) stays "." and finds nothing.
 */
export function lookupName(param: string): string {
  const name = param.split('.*').join('').toLowerCase();
  return name.endsWith('.') ? name : `${name}.`;
}

export const handleHosts: ApiHandler = (snapshot, params, ctx) => {
  const name = lookupName(params.host ?? '');
  const records = snapshot?.table.names.get(name);
  // All A values, then all AAAA values, each group in random order (Go map iteration); a name in
  // a static zone gets what DNS answers, in the same order (static-records.ts).
  const fromZones = records === undefined && snapshot ? staticAddresses(snapshot, name) : undefined;
  const ips = records ? [...shuffled(records.a, ctx.random), ...shuffled(records.aaaa, ctx.random)] : fromZones ? [...fromZones.a, ...fromZones.aaaa] : [];
  if (ips.length === 0) return jsonResponse(200, [{ host: '', ip: '' }]);
  return jsonResponse(
    200,
    ips.map((ip) => ({ host: name, ip })),
  );
};

// --- GET /v1/hosts/{host}/ports ----------------------------------------------------------

export const handleHostPorts: ApiHandler = () => textResponse(501, 'To be implemented...');

// --- GET /v1/services/{service} ------------------------------------------------------------

export const handleServices: ApiHandler = (snapshot, params, ctx) => {
  // The lookup uses the cleaned name, but "service" echoes the parameter as given (mesos-dns).
  const service = params.service ?? '';
  const table = snapshot?.table;
  const key = lookupName(service);
  const inTable = table?.names.get(key)?.srv;
  const fromZones = inTable === undefined && snapshot ? staticServices(snapshot, key) : undefined;
  const srvs = inTable ?? fromZones ?? [];
  const out: JsonObject[] = [];
  if (snapshot && table) {
    for (const srv of fromZones ? srvs : shuffled(srvs, ctx.random)) {
      // A target is looked up where DNS would find its addresses: the table or a static zone.
      const target = table.names.get(srv.target) ?? staticAddresses(snapshot, srv.target);
      const port = String(srv.port);
      // One element with one A of the target, one more with one AAAA; targets with neither are left out.
      if (target && target.a.length > 0) out.push({ service, host: srv.target, ip: target.a[0], port });
      if (target && target.aaaa.length > 0) out.push({ service, host: srv.target, ip: target.aaaa[0], port });
    }
  }
  if (out.length === 0) return jsonResponse(200, [{ service: '', host: '', ip: '', port: '' }]);
  return jsonResponse(200, out);
};

// --- GET /v1/enumerate and GET /v1/axfr (only with EnumerationOn) -------------------------

interface Rendered {
  enumerate?: string;
  axfr?: { refreshSeconds: number; body: string };
}

// A snapshot never changes, so its dumps are rendered once; a swap brings a new snapshot
// object and the old entry goes with the old snapshot.
const rendered = new WeakMap<Snapshot, Rendered>();

function renderedFor(snapshot: Snapshot): Rendered {
  let entry = rendered.get(snapshot);
  if (!entry) {
    entry = {};
    rendered.set(snapshot, entry);
  }
  return entry;
}

export const handleEnumerate: ApiHandler = (snapshot, _params, ctx) => {
  if (!ctx.config.EnumerationOn) return pageNotFound();
  if (!snapshot) return notLoaded();
  const entry = renderedFor(snapshot);
  entry.enumerate ??= marshalIndent({ frameworks: enumerationJson(snapshot.table.enumeration) });
  return { status: 200, contentType: JSON_CONTENT_TYPE, body: entry.enumerate };
};

// Key order follows mesos-dns's EnumerableFramework/Task/Record structs: tasks before name.
function enumerationJson(frameworks: readonly EnumerateFramework[] | null): JsonValue {
  if (frameworks === null) return null;
  return frameworks.map((framework) => ({
    tasks: framework.tasks.map((task) => ({
      name: task.name,
      id: task.id,
      records: task.records === null ? null : task.records.map((r) => ({ name: r.name, host: r.host, rtype: r.rtype })),
    })),
    name: framework.name,
  }));
}

export const handleAxfr: ApiHandler = (snapshot, _params, ctx) => {
  if (!ctx.config.EnumerationOn) return pageNotFound();
  if (!snapshot) return notLoaded();
  const entry = renderedFor(snapshot);
  const refreshSeconds = ctx.config.RefreshSeconds;
  if (entry.axfr?.refreshSeconds !== refreshSeconds) {
    entry.axfr = { refreshSeconds, body: marshalIndent(axfrJson(snapshot.table, refreshSeconds)) };
  }
  return { status: 200, contentType: JSON_CONTENT_TYPE, body: entry.axfr.body };
};

// mesos-dns's models.AXFR struct. Names are sorted (Go map keys); values keep the table's
// insertion order, where mesos-dns had Go's random set order.
function axfrJson(table: RecordTable, refreshSeconds: number): JsonObject {
  const as: [string, JsonValue][] = [];
  const aaaas: [string, JsonValue][] = [];
  const srvs: [string, JsonValue][] = [];
  for (const [name, records] of table.names) {
    // The DC/OS names (DcosNames) are another zone's: not part of this one's transfer.
    if (name.endsWith(`.${DCOS_ZONE}`)) continue;
    if (records.a.length > 0) as.push([name, [...records.a]]);
    if (records.aaaa.length > 0) aaaas.push([name, [...records.aaaa]]);
    if (records.srv.length > 0) srvs.push([name, records.srv.map((srv) => `${srv.target}:${srv.port}`)]);
  }
  return {
    TTL: table.ttl,
    Serial: table.soa.serial,
    RefreshSeconds: refreshSeconds,
    Mname: table.soa.mname,
    Rname: table.soa.rname,
    Domain: table.zone.replace(/\.$/, ''),
    Records: { As: new JsonMap(as), AAAAs: new JsonMap(aaaas), SRVs: new JsonMap(srvs) },
  };
}

// --- GET /health (ours) --------------------------------------------------------------------

export const handleHealth: ApiHandler = (snapshot, _params, ctx) => {
  if (!snapshot) return jsonResponse(503, { status: 'unavailable', error: 'no state loaded yet' });
  // Healthy means queries get answers: with worker threads, every one of them has a table.
  const served = ctx.servedGeneration?.() ?? snapshot.generation;
  if (served < 1) return jsonResponse(503, { status: 'unavailable', error: 'DNS workers have no table yet' });
  return jsonResponse(200, { status: 'ok', generation: Math.min(served, snapshot.generation), serial: snapshot.table.soa.serial });
};

// Fisher–Yates on a copy, the same walk as mesos-dns's shuffleAnswers (i + Intn(n-i)).
function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = 0; i < out.length - 1; i++) {
    const j = i + Math.min(Math.floor(random() * (out.length - i)), out.length - i - 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
