// node:http adapter for the API in api.ts. It reproduces go-restful's request handling as
// mesos-dns uses it: a route table of GET-only paths, 404 for an unknown path (whatever the
// method), 405 for a known path with another method, 406 when Accept rules out JSON, and a
// trailing slash tolerated. Each request reads store.current() and the config once and
// hands that one snapshot to a pure handler.
//
// Limits (docs/security.md): the port is reachable from every container on the host, and every
// open connection costs a file descriptor that DNS forwarding and the state source need too.
// So connections are capped (more are closed on arrival) and none may sit without sending a
// request: headers, a whole request and a keep-alive pause each have a deadline (mesos-dns sets
// none of these).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PublicConfig } from '../config/redact.js';
import type { RawConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { LogSampler } from '../log-sampler.js';
import type { TableStore } from '../store.js';
import {
  handleAxfr,
  handleConfig,
  handleEnumerate,
  handleHealth,
  handleHostPorts,
  handleHosts,
  handleServices,
  handleVersion,
  pageNotFound,
  textResponse,
  type ApiHandler,
  type ApiResponse,
  type RouteParams,
} from './api.js';

/** A route added by the composition root (e.g. /metrics); it is GET-only like the rest. */
export type ExtraRouteHandler = (req: http.IncomingMessage) => ApiResponse | Promise<ApiResponse>;

export interface HttpServerDeps {
  store: TableStore;
  /** Called once per request, so a reloaded config shows on the next request. */
  config: () => PublicConfig;
  version: string;
  logger: Logger;
  random?: () => number;
  /** See ApiContext.servedGeneration. */
  servedGeneration?: () => number;
  /** Exact path (no trailing slash) -> handler. Answers are sent as returned, no Accept check. */
  extraRoutes?: ReadonlyMap<string, ExtraRouteHandler>;
}

interface ApiRoute {
  /** Path segments; "{name}" segments capture one decoded segment as params[name]. */
  segments: readonly string[];
  handler: ApiHandler;
  /** mesos-dns registers the enumeration routes only with EnumerationOn; otherwise the path is unknown. */
  enabled?: (config: PublicConfig) => boolean;
}

const enumerationOn = (config: PublicConfig): boolean => config.EnumerationOn;

const API_ROUTES: readonly ApiRoute[] = [
  { segments: ['v1', 'version'], handler: handleVersion },
  { segments: ['v1', 'config'], handler: handleConfig },
  { segments: ['v1', 'hosts', '{host}'], handler: handleHosts },
  { segments: ['v1', 'hosts', '{host}', 'ports'], handler: handleHostPorts },
  { segments: ['v1', 'services', '{service}'], handler: handleServices },
  { segments: ['v1', 'enumerate'], handler: handleEnumerate, enabled: enumerationOn },
  { segments: ['v1', 'axfr'], handler: handleAxfr, enabled: enumerationOn },
  { segments: ['health'], handler: handleHealth },
];

type Match = { kind: 'api'; route: ApiRoute; params: RouteParams } | { kind: 'extra'; handler: ExtraRouteHandler } | { kind: 'bad-path' };

/**
 * How often node:http looks for connections past their headers or request deadline (its default,
 * 30 s, would let a 10 s headers timeout hold a connection for up to 40 s). Each look walks the
 * open connections, at most HTTPMaxConnections of them.
 */
const TIMEOUT_CHECK_MS = 500;
/** At most one "HTTP connection limit reached" line per this many ms. */
const DROP_LOG_MS = 1000;

/** The connection cap and timeouts of `config`; node:http reads them per connection, so a reload applies them live. */
export function applyHttpLimits(
  server: http.Server,
  config: Pick<RawConfig, 'HTTPMaxConnections' | 'HTTPHeadersTimeoutMs' | 'HTTPRequestTimeoutMs' | 'HTTPKeepAliveTimeoutMs'>,
): void {
  server.maxConnections = config.HTTPMaxConnections;
  server.headersTimeout = config.HTTPHeadersTimeoutMs;
  server.requestTimeout = config.HTTPRequestTimeoutMs;
  server.keepAliveTimeout = config.HTTPKeepAliveTimeoutMs;
}

export function createHttpServer(deps: HttpServerDeps): http.Server {
  const log = deps.logger.child({ component: 'http' });
  const random = deps.random ?? Math.random;
  const extraRoutes = deps.extraRoutes ?? new Map<string, ExtraRouteHandler>();

  const server = http.createServer({ connectionsCheckingInterval: TIMEOUT_CHECK_MS }, (req, res) => {
    // GET bodies are ignored (mesos-dns ignores them too); drain so keep-alive keeps working.
    req.resume();
    respond(req)
      .catch((err: unknown) => {
        log.error({ err, method: req.method, url: req.url }, 'http handler failed');
        return textResponse(500, '500: Internal Server Error');
      })
      .then((answer) => send(res, req, answer))
      .catch((err: unknown) => {
        // Only an extra route's bad headers can get here; the connection is all we can end.
        log.error({ err, method: req.method, url: req.url }, 'http response failed');
        res.destroy();
      });
  });

  async function respond(req: http.IncomingMessage): Promise<ApiResponse> {
    const config = deps.config();
    const match = matchRoute(req.url ?? '/', config, extraRoutes);
    if (match === undefined) return pageNotFound();
    if (match.kind === 'bad-path') return textResponse(400, '400 Bad Request');
    if (req.method !== 'GET') return textResponse(405, '405: Method Not Allowed');
    if (match.kind === 'extra') return match.handler(req);
    if (!acceptsJson(req.headers.accept)) return textResponse(406, '406: Not Acceptable');
    const snapshot = deps.store.current();
    return match.route.handler(snapshot, match.params, { config, version: deps.version, random, servedGeneration: deps.servedGeneration });
  }

  function send(res: http.ServerResponse, req: http.IncomingMessage, answer: ApiResponse): void {
    const headers: http.OutgoingHttpHeaders = {
      'Content-Type': answer.contentType,
      'Content-Length': Buffer.byteLength(answer.body),
    };
    // RFC 9110 §15.5.6: a 405 must say which methods the resource supports.
    if (answer.status === 405) headers.Allow = 'GET';
    res.writeHead(answer.status, headers);
    res.end(answer.body);
    log.debug({ method: req.method, url: req.url, status: answer.status }, 'http request');
  }

  applyHttpLimits(server, deps.config());
  const drops = new LogSampler(DROP_LOG_MS);
  server.on('drop', (info?: { remoteAddress?: string }) => {
    const held = drops.take();
    if (held >= 0) log.warn({ client: info?.remoteAddress, held, max: server.maxConnections }, 'HTTP connection limit reached; closing new connections');
  });
  return server;
}

function matchRoute(url: string, config: PublicConfig, extraRoutes: ReadonlyMap<string, ExtraRouteHandler>): Match | undefined {
  const path = requestPath(url);
  if (path === undefined) return { kind: 'bad-path' };

  const extra = extraRoutes.get(path);
  if (extra) return { kind: 'extra', handler: extra };

  // Like Go's net/http, match on the decoded path: /v1/%76ersion is /v1/version.
  const segments: string[] = [];
  for (const raw of path.split('/').slice(1)) {
    const segment = decodeSegment(raw);
    // Go's net/http refuses a request whose path has a broken %-escape with 400.
    if (segment === undefined) return { kind: 'bad-path' };
    segments.push(segment);
  }
  for (const route of API_ROUTES) {
    if (route.segments.length !== segments.length) continue;
    if (route.enabled && !route.enabled(config)) continue;
    const params: Record<string, string> = {};
    const matched = route.segments.every((pattern, i) => {
      if (!pattern.startsWith('{')) return segments[i] === pattern;
      params[pattern.slice(1, -1)] = segments[i];
      return segments[i] !== '';
    });
    if (matched) return { kind: 'api', route, params };
  }
  return undefined;
}

/** The raw (still %-encoded) path of a request target, without query and one trailing slash. */
function requestPath(target: string): string | undefined {
  let path = target;
  if (!path.startsWith('/')) {
    // absolute-form (RFC 9112 §3.2.2), as sent to proxies
    try {
      path = new URL(path).pathname;
    } catch {
      return undefined;
    }
  }
  const query = path.indexOf('?');
  if (query >= 0) path = path.slice(0, query);
  // go-restful tolerates a trailing slash: /v1/version/ is /v1/version.
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path;
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * go-restful's check against the route's Produces(application/json): an absent Accept, or
 * one naming application/json, application/* or * / * among its ranges, is fine. A range
 * with q=0 is an explicit "not this" (RFC 9110 §12.5.1) and does not count.
 */
export function acceptsJson(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  return accept.split(',').some((range) => {
    const [type, ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    if (type !== 'application/json' && type !== 'application/*' && type !== '*/*') return false;
    const q = params.find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/** Start listening; resolves with the bound address (port 0 picks a free one), rejects on bind errors. */
export function listen(server: http.Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}
