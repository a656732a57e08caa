// DNS serving on one thread: the UDP+TCP listener, the query context (config, snapshot,
// forwarder, forwarding cache, pre-encoded answers, counters) and applying a new config. Used
// as is when the main thread serves DNS, and by each worker thread (workers/worker-main.ts)
// when several share the port.
import type { AddressInfo } from 'node:net';
import { restarts } from '../config/reload.js';
import type { Config } from '../config/typed.js';
import type { Logger } from '../log.js';
import { LogSampler } from '../log-sampler.js';
import type { Snapshot } from '../store.js';
import { startDnsServer, type DnsServer } from './transport/dns-server.js';
import { ForwardCache } from './forward/forward-cache.js';
import { UpstreamForwarder } from './forward/forward.js';
import type { UpstreamHealthView } from './forward/upstream-health.js';
import { firstMessage, respondMessages, type QueryContext } from './answer/handle-query.js';
import type { TransferAnswer } from './xfr/transfer-service.js';
import { QueryStats } from './query-stats.js';
import { NO_SOCKET_COUNTERS, type SocketCounters } from './transport/udp-server.js';
import { rateLimitExempt, rateLimitSettings, ResponseLimit } from './rrl/response-limit.js';
import type { Peer } from '../net/peer.js';

/** At most one "forwarding failed" line per this many ms per thread (the rest are counted in it). */
const FORWARD_FAILURE_LOG_MS = 1000;

/** What /metrics reads of the DNS side, per thread or summed over the workers. */
export interface DnsStats {
  stats: QueryStats;
  forwardCacheEntries: number;
  upstreams: UpstreamHealthView[];
}

export interface DnsServiceOptions {
  config: Config;
  /** The store's current(). */
  snapshot: () => Snapshot | undefined;
  logger: Logger;
  random?: () => number;
  /** SO_REUSEPORT on both sockets: worker threads share one port. */
  reusePort?: boolean;
  /** UDP queries answered at once (udp-server.ts DEFAULT_UDP_MAX_IN_FLIGHT when absent). */
  udpMaxInFlight?: number;
  /** Where zone transfers and signed queries for our zones go (absent: REFUSED / BADKEY as before). */
  transfer?: TransferAnswer;
}

export interface DnsService {
  /** Bumped per query; the UDP socket's counts are copied in by countedStats(). */
  readonly stats: QueryStats;
  /** `stats` with the UDP socket counters brought up to date (sockets replaced by reconfigure included). */
  countedStats(): QueryStats;
  /** Undefined while DnsOn is false. */
  addresses(): { udp: AddressInfo; tcp: AddressInfo } | undefined;
  forwardCacheEntries(): number;
  /** Each upstream's health as this thread's forwarder sees it. */
  upstreamHealth(): UpstreamHealthView[];
  /** New sockets first when the listener moved (then the old ones close), new forwarder if needed. */
  reconfigure(next: Config): Promise<void>;
  close(): Promise<void>;
}

export async function startDnsService(options: DnsServiceOptions): Promise<DnsService> {
  const log = options.logger;
  const stats = new QueryStats();
  const forwarding = (c: Config) => ({
    forwarder: new UpstreamForwarder({
      timeoutMs: c.Timeout * 1000,
      maxFails: c.ForwardMaxFails,
      healthCheckMs: c.ForwardHealthCheckMs,
      logger: log,
    }),
    forwardCache: c.ForwardCacheSize > 0 ? new ForwardCache({ max: c.ForwardCacheSize }) : undefined,
  });
  let config = options.config;
  const ctx: QueryContext = {
    snapshot: options.snapshot,
    config,
    random: options.random ?? Math.random,
    logger: log,
    stats,
    answers: {},
    forwardFailureLog: new LogSampler(FORWARD_FAILURE_LOG_MS),
    transfer: options.transfer,
    ...forwarding(config),
  };
  // Response rate limiting: UDP only (response-limit.ts); undefined while off, which then costs
  // one comparison per reply. A reload that changes its keys starts a fresh table.
  const limitOf = (c: Config): ResponseLimit | undefined => {
    const settings = rateLimitSettings(c);
    return settings ? new ResponseLimit(settings, stats, undefined, rateLimitExempt(c)) : undefined;
  };
  let rrl = limitOf(config);
  const slot = ctx.answers!;
  const handler = (buf: Buffer, transport: 'udp' | 'tcp', peer: Peer, receivedMs: number) => {
    const reply = respondMessages(buf, transport, ctx, peer);
    if (transport === 'tcp' || rrl === undefined) return reply;
    // Over UDP every reply is one message (a transfer answers UDP with one, transfer-service.ts).
    if (reply instanceof Promise) return rrl.apply(reply.then(firstMessage), buf, peer, receivedMs);
    // A reply at once came from the fast path, which left its entry's name hash on the cache.
    const nameHash = reply instanceof Uint8Array && slot.cache ? slot.cache.replyNameHash : -1;
    return rrl.apply(firstMessage(reply), buf, peer, receivedMs, nameHash);
  };
  const open = (c: Config): Promise<DnsServer | undefined> =>
    c.DnsOn
      ? startDnsServer({
          config: c,
          handler,
          logger: log,
          reusePort: options.reusePort,
          udpMaxInFlight: options.udpMaxInFlight,
          onDrop: (reason) => stats.drop(reason),
          onSyncReplies: (transport, n, seconds) => stats.timed(transport === 'tcp' ? 1 : 0, n, seconds),
        })
      : Promise.resolve(undefined);

  let server = await open(config);
  /** Counts of UDP sockets already closed by a reconfigure. */
  const retired = { ...NO_SOCKET_COUNTERS };
  return {
    stats,
    countedStats() {
      const now = server?.udpCounters() ?? NO_SOCKET_COUNTERS;
      stats.udpBatches = retired.batches + now.batches;
      stats.udpDatagrams = retired.datagrams + now.datagrams;
      stats.udpSendErrors = retired.sendErrors + now.sendErrors;
      stats.udpOversize = retired.truncated + now.truncated;
      return stats;
    },
    addresses: () => (server ? { udp: server.udpAddress, tcp: server.tcpAddress } : undefined),
    forwardCacheEntries: () => ctx.forwardCache?.size ?? 0,
    upstreamHealth: () => ctx.forwarder.health(),
    async reconfigure(next) {
      if (restarts('dnsSockets', config, next)) {
        const fresh = await open(next);
        const old = server;
        server = fresh;
        await old?.close();
        if (old) {
          const last = old.udpCounters();
          for (const k of Object.keys(retired) as (keyof SocketCounters)[]) retired[k] += last[k];
        }
      } else {
        // TCP limits apply live: re-binding would drop every open connection.
        server?.setTcpLimits(next);
      }
      if (restarts('forwarder', config, next)) {
        const old = ctx.forwarder;
        Object.assign(ctx, forwarding(next));
        old.close();
      }
      if (restarts('rateLimit', config, next)) rrl = limitOf(next);
      config = next;
      ctx.config = next;
    },
    async close() {
      ctx.forwarder.close();
      await server?.close();
    },
  };
}
