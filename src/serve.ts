// The listening side: the DNS server (UDP+TCP) and the HTTP API, both reading the one table
// store. They bind at start-up, before any state is loaded: until the first table the domain
// answers SERVFAIL while forwarding already works (CoreDNS's not-synced behaviour), and a port
// conflict fails at once instead of after the first successful state fetch.
//
// DNS runs on the main thread (Workers = 1) or in worker threads sharing the port (Workers > 1;
// 0 means one per core): then the main thread keeps the state source, the table builds and the
// HTTP API, and hands every new table to the workers (workers/supervisor.ts). Per-packet cost
// in Node's UDP path, not lookups, limits one thread, so using every core is what raises the
// query rate.
//
// The DNS sockets always take SO_REUSEPORT where Node offers it, in this process too: a reload
// that re-binds the same port (new buffer sizes, a different worker count) opens the new
// sockets before closing the old ones, which the kernel only allows when both sides share the
// option. A port held by another program still fails the bind.
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import type { Config } from './config/typed.js';
import { redactConfig } from './config/redact.js';
import { restartKey } from './config/reload.js';
import type { Freshness } from './freshness.js';
import { watchStaleness } from './freshness.js';
import { jsonResponse } from './http/api.js';
import { decideReadiness, type Readiness } from './readiness.js';
import { startDnsService, type DnsStats } from './dns/dns-service.js';
import { descriptorBudget, readOpenFileLimit } from './fd-budget.js';
import { assertPortFree } from './dns/transport/port-probe.js';
import { QueryStats } from './dns/query-stats.js';
import { applyHttpLimits, createHttpServer, listen, type ExtraRouteHandler } from './http/server.js';
import type { Logger } from './log.js';
import { createMetrics, type ServerMetrics } from './metrics/registry.js';
import type { TableStore } from './store.js';
import { startWorkerPool } from './workers/supervisor.js';
import type { TransferAnswer } from './dns/xfr/transfer-service.js';
import { reusePortSupported } from './workers/worker-entry.js';

export interface Serving {
  addresses(): { dns?: { udp: AddressInfo; tcp: AddressInfo }; http?: AddressInfo };
  /** Query counters, summed over the DNS worker threads when there are several. */
  queryStats(): Promise<QueryStats>;
  /** DNS worker thread ids; empty when DNS is served on the main thread. */
  workerIds(): number[];
  /** Apply a new config: re-bind what moved (new sockets first, then the old ones close). */
  reconfigure(next: Config): Promise<void>;
  /** Resolves once every DNS thread answers from `generation` or a newer one (at once when DNS is on this thread or off). */
  served(generation: number): Promise<void>;
  close(): Promise<void>;
}

export interface ServeDeps {
  config: () => Config;
  store: TableStore;
  logger: Logger;
  version: string;
  random?: () => number;
  /** Seconds; the clock `freshness` uses too. */
  now?: () => number;
  /** How current the table is, from the state source (/ready, the stale-table warning). */
  freshness?: Freshness;
  /** What /metrics renders; made here when the caller keeps none. */
  metrics?: ServerMetrics;
  /** Answers zone transfers and signed queries on this thread (dns/xfr/transfer-service.ts); workers relay them here. */
  transfer?: TransferAnswer;
}

/** Config Workers, with 0 meaning one per core. */
export function dnsWorkerCount(config: Config, cores = availableParallelism()): number {
  return config.Workers > 0 ? Math.floor(config.Workers) : cores;
}

/** DNS served one way or the other; the rest of this module does not care which. */
interface DnsBackend {
  addresses(): { udp: AddressInfo; tcp: AddressInfo } | undefined;
  stats(): Promise<DnsStats>;
  workerIds(): number[];
  /** For /health: the generation the worker threads serve; undefined when DNS is on the main thread. */
  servedGeneration?(): number;
  /** For /ready: threads answering from a table, of all that should. */
  workersServing(): { serving: number; total: number };
  /** Only called when dnsKey() is unchanged. */
  reconfigure(next: Config): Promise<void>;
  /** Resolves once every worker thread serves `generation` (absent: DNS on the main thread). */
  serving?(generation: number): Promise<void>;
  close(): Promise<void>;
}

const httpKey = (c: Config) => restartKey('http', c);

export async function startServing(deps: ServeDeps): Promise<Serving> {
  const log = deps.logger;
  const now = deps.now ?? (() => Date.now() / 1000);
  let lastSwapAt: number | undefined;
  deps.store.onSwap(() => {
    lastSwapAt = now();
  });
  const metrics = deps.metrics ?? createMetrics({ store: deps.store, now });

  /** Workers to use for `c`: 1 (in this process) when SO_REUSEPORT is not available. */
  const workersFor = (c: Config): number => {
    const n = dnsWorkerCount(c);
    if (n > 1 && !reusePortSupported()) {
      log.warn({ workers: n, node: process.version }, 'this Node.js cannot share a port between processes (SO_REUSEPORT); serving DNS in one process');
      return 1;
    }
    return n;
  };
  const dnsKey = (c: Config) => JSON.stringify([restartKey('dnsSockets', c), c.DnsOn ? workersFor(c) : 0]);

  const openDns = async (c: Config): Promise<DnsBackend | undefined> => {
    if (!c.DnsOn) return undefined;
    const workers = workersFor(c);
    if (workers > 1) {
      const pool = await startWorkerPool({ config: c, workers, store: deps.store, logger: log, transfer: deps.transfer });
      return {
        addresses: () => ({ udp: pool.udpAddress, tcp: pool.tcpAddress }),
        stats: () => pool.stats(),
        workerIds: () => pool.workerIds(),
        servedGeneration: () => pool.servedGeneration(),
        workersServing: () => pool.workersServing(),
        serving: (generation) => pool.serving(generation),
        reconfigure: async (next) => pool.reconfigure(next),
        close: () => pool.close(),
      };
    }
    const service = await startDnsService({
      config: c,
      snapshot: () => deps.store.current(),
      logger: log,
      random: deps.random,
      reusePort: reusePortSupported(),
      transfer: deps.transfer,
    });
    return {
      addresses: () => service.addresses(),
      stats: async () => ({ stats: service.countedStats(), forwardCacheEntries: service.forwardCacheEntries(), upstreams: service.upstreamHealth() }),
      workerIds: () => [],
      workersServing: () => ({ serving: deps.store.current() ? 1 : 0, total: 1 }),
      reconfigure: (next) => service.reconfigure(next),
      close: () => service.close(),
    };
  };

  const openHttp = async (c: Config) => {
    if (!c.HttpOn) return undefined;
    const server = createHttpServer({
      store: deps.store,
      // Only the redacted view reaches the HTTP API (/v1/config shows it).
      config: () => redactConfig(deps.config()),
      version: deps.version,
      logger: log,
      random: deps.random,
      servedGeneration: () => dns?.servedGeneration?.() ?? deps.store.current()?.generation ?? 0,
      extraRoutes: new Map<string, ExtraRouteHandler>([
        [
          '/ready',
          () => {
            const { stale: _stale, ...r } = readiness();
            return jsonResponse(r.ready ? 200 : 503, r);
          },
        ],
        [
          '/metrics',
          async () => {
            // The DNS threads' counters as of now (asked at every scrape), then the exposition.
            const counted = dns ? await dns.stats() : undefined;
            return { status: 200, contentType: metrics.contentType, body: await metrics.render(counted) };
          },
        ],
      ]),
    });
    // During a reload deps.config() (read by createHttpServer) is still the old config.
    applyHttpLimits(server, c);
    const address = await listen(server, c.HttpPort, c.HTTPListener);
    return { server, address };
  };
  const closeHttp = (h: { server: http.Server } | undefined) =>
    new Promise<void>((resolve) => {
      if (!h) return resolve();
      h.server.close(() => resolve());
      h.server.closeAllConnections();
    });

  /** Warns when the connection caps could take more file descriptors than the process may open. */
  const checkDescriptors = (c: Config): void => {
    const limit = readOpenFileLimit();
    if (limit === undefined) return;
    const budget = descriptorBudget(c, c.DnsOn ? workersFor(c) : 0);
    if (budget.total > limit) {
      log.warn({ component: 'limits', openFileLimit: limit, ...budget }, 'the connection caps add up to more file descriptors than the process may open; lower TCPMaxConnections or HTTPMaxConnections, or raise the limit (ulimit -n, LimitNOFILE)');
    }
  };

  /** /ready's answer now (readiness.ts decides; this only gathers the inputs). */
  const readiness = (): Readiness =>
    decideReadiness({
      now: now(),
      maxAgeSeconds: deps.config().ReadyMaxTableAgeSeconds,
      generation: deps.store.current()?.generation,
      workers: dns?.workersServing() ?? { serving: 0, total: 0 },
      ...(deps.freshness?.view() ?? { currentAt: lastSwapAt, failingSince: undefined, lastError: undefined }),
    });

  let config = deps.config();
  checkDescriptors(config);
  // Refuse a port someone else holds before our SO_REUSEPORT sockets could share it silently.
  if (config.DnsOn) await assertPortFree(config.Listener, config.Port);
  let dns = await openDns(config);
  let web: Awaited<ReturnType<typeof openHttp>>;
  try {
    web = await openHttp(config);
  } catch (err) {
    await dns?.close();
    throw err;
  }

  const staleWatch = watchStaleness({ evaluate: readiness, maxAgeSeconds: () => deps.config().ReadyMaxTableAgeSeconds, logger: log });

  return {
    addresses: () => ({ dns: dns?.addresses(), http: web?.address }),
    async queryStats() {
      return dns ? (await dns.stats()).stats : new QueryStats();
    },
    workerIds: () => dns?.workerIds() ?? [],
    served: (generation) => dns?.serving?.(generation) ?? Promise.resolve(),
    async reconfigure(next) {
      checkDescriptors(next);
      // A config that names the port we bound for its 0 ("pick one") keeps the listener.
      const prev = {
        ...config,
        Port: config.Port === 0 && dns?.addresses()?.udp.port === next.Port ? next.Port : config.Port,
        HttpPort: config.HttpPort === 0 && web?.address.port === next.HttpPort ? next.HttpPort : config.HttpPort,
      };
      if (dnsKey(prev) !== dnsKey(next)) {
        // Moving to another address: refuse one that another process holds, as at start-up.
        const bound = dns?.addresses();
        if (next.DnsOn && (bound?.udp.port !== next.Port || prev.Listener !== next.Listener)) await assertPortFree(next.Listener, next.Port);
        const fresh = await openDns(next);
        const old = dns;
        dns = fresh;
        await old?.close();
      } else {
        await dns?.reconfigure(next);
      }
      if (httpKey(prev) !== httpKey(next)) {
        const fresh = await openHttp(next);
        const old = web;
        web = fresh;
        await closeHttp(old);
      } else if (web) {
        applyHttpLimits(web.server, next);
      }
      config = next;
    },
    async close() {
      staleWatch.close();
      await Promise.all([dns?.close(), closeHttp(web)]);
    },
  };
}
