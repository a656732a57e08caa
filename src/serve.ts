// The listening side: the DNS server (UDP+TCP) and the HTTP API, both reading the one table
// store. They bind at start-up, before any state is loaded: until the first table the domain
// answers SERVFAIL while forwarding already works (CoreDNS's not-synced behaviour), and a port
// conflict fails at once instead of after the first successful state fetch.
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import type { Config } from './config.js';
import { startDnsServer, type DnsServer } from './dns/dns-server.js';
import { ForwardCache } from './dns/forward-cache.js';
import { UpstreamForwarder } from './dns/forward.js';
import { handleQuery, QueryStats, type QueryContext } from './dns/handle-query.js';
import { createHttpServer, listen } from './http/server.js';
import { renderMetrics } from './metrics.js';
import type { Logger } from './log.js';
import type { TableStore } from './store.js';

export interface Serving {
  addresses(): { dns?: { udp: AddressInfo; tcp: AddressInfo }; http?: AddressInfo };
  readonly stats: QueryStats;
  /** Apply a new config: re-bind what moved (new sockets first, then the old ones close). */
  reconfigure(next: Config): Promise<void>;
  close(): Promise<void>;
}

export interface ServeDeps {
  config: () => Config;
  store: TableStore;
  logger: Logger;
  version: string;
  random?: () => number;
  now?: () => number;
}

const dnsKey = (c: Config) => JSON.stringify([c.DnsOn, c.Listener, c.Port, c.UDPBufferBytes]);
const httpKey = (c: Config) => JSON.stringify([c.HttpOn, c.HTTPListener, c.HttpPort]);

/**
 * Re-bind for a reload: open the new listener before closing the old one, so queries keep being
 * answered; when the new one needs the old one's address (same port, another listener), close
 * first and accept the short gap; if even that fails, put the old listener back and report.
 */
async function rebind<T>(
  old: T | undefined,
  open: () => Promise<T | undefined>,
  close: (t: T | undefined) => Promise<void>,
  reopenOld: () => Promise<T | undefined>,
  onRestore: (t: T | undefined) => void,
): Promise<T | undefined> {
  try {
    const fresh = await open();
    await close(old);
    return fresh;
  } catch (err) {
    if ((err as { cause?: { code?: string }; code?: string }).cause?.code !== 'EADDRINUSE' && (err as { code?: string }).code !== 'EADDRINUSE') throw err;
  }
  await close(old);
  try {
    return await open();
  } catch (err) {
    onRestore(await reopenOld());
    throw err;
  }
}

export async function startServing(deps: ServeDeps): Promise<Serving> {
  const log = deps.logger;
  const now = deps.now ?? (() => Date.now() / 1000);
  const stats = new QueryStats();
  let lastSwapAt: number | undefined;
  deps.store.onSwap(() => {
    lastSwapAt = now();
  });

  const makeForwarding = (c: Config) => ({
    forwarder: new UpstreamForwarder({ timeoutMs: c.Timeout * 1000, logger: log }),
    forwardCache: c.ForwardCacheSize > 0 ? new ForwardCache({ max: c.ForwardCacheSize }) : undefined,
  });
  let config = deps.config();
  const ctx: QueryContext = {
    snapshot: () => deps.store.current(),
    config,
    random: deps.random ?? Math.random,
    logger: log.child({ component: 'dns' }),
    stats,
    ...makeForwarding(config),
  };
  const handler = (buf: Buffer, transport: 'udp' | 'tcp') => handleQuery(buf, transport, ctx);

  const openDns = (c: Config) => (c.DnsOn ? startDnsServer({ config: c, handler, logger: log }) : Promise.resolve(undefined));
  const openHttp = async (c: Config) => {
    if (!c.HttpOn) return undefined;
    const server = createHttpServer({
      store: deps.store,
      config: deps.config,
      version: deps.version,
      logger: log,
      random: deps.random,
      extraRoutes: new Map([
        [
          '/metrics',
          () => ({
            status: 200,
            contentType: 'text/plain; version=0.0.4',
            body: renderMetrics({
              stats,
              snapshot: deps.store.current(),
              lastSwapAt,
              now: now(),
              forwardCacheEntries: ctx.forwardCache?.size ?? 0,
            }),
          }),
        ],
      ]),
    });
    const address = await listen(server, c.HttpPort, c.HTTPListener);
    return { server, address };
  };
  const closeHttp = (h: { server: http.Server } | undefined) =>
    new Promise<void>((resolve) => {
      if (!h) return resolve();
      h.server.close(() => resolve());
      h.server.closeAllConnections();
    });

  let dns: DnsServer | undefined = await openDns(config);
  let web: Awaited<ReturnType<typeof openHttp>>;
  try {
    web = await openHttp(config);
  } catch (err) {
    await dns?.close();
    throw err;
  }
  // Compare reloads against what is actually bound: port 0 means "the port we got".
  const bound = (c: Config): Config => ({ ...c, Port: dns?.udpAddress.port ?? c.Port, HttpPort: web?.address.port ?? c.HttpPort });
  config = bound(config);

  return {
    stats,
    addresses: () => ({
      dns: dns ? { udp: dns.udpAddress, tcp: dns.tcpAddress } : undefined,
      http: web?.address,
    }),
    async reconfigure(wanted) {
      const prev = config;
      // Port 0 in a reloaded file keeps the port we already have.
      const next = { ...wanted, Port: wanted.Port || prev.Port, HttpPort: wanted.HttpPort || prev.HttpPort };
      if (dnsKey(prev) !== dnsKey(next)) {
        dns = await rebind(dns, () => openDns(next), async (d) => d?.close(), () => openDns(prev), (d) => (dns = d));
      }
      if (httpKey(prev) !== httpKey(next)) {
        web = await rebind(web, () => openHttp(next), closeHttp, () => openHttp(prev), (w) => (web = w));
      }
      if (prev.Timeout !== next.Timeout || prev.ForwardCacheSize !== next.ForwardCacheSize) {
        const old = ctx.forwarder;
        Object.assign(ctx, makeForwarding(next));
        old.close();
      }
      config = bound(next);
      ctx.config = next;
    },
    async close() {
      ctx.forwarder.close();
      await Promise.all([dns?.close(), closeHttp(web)]);
    },
  };
}
