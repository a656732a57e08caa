// The DNS listener: UDP and TCP on the same address and port (config Listener:Port), both
// feeding one query handler. Binding is all-or-nothing: if either socket cannot be had, the
// other is released and startDnsServer rejects with DnsListenError, which main turns into exit 1.
import type { Config } from '../../config/typed.js';
import { DnsListenError } from '../../errors.js';
import type { Logger } from '../../log.js';
import net from 'node:net';
import type { Peer } from '../../net/peer.js';
import { startTcpServer, type TcpLimits, type TcpServer } from './tcp-server.js';
import { udpBatchAddon } from './udp-batch-addon.js';
import { startBatchUdpServer } from './udp-batch-server.js';
import { startDgramServer, type SocketCounters, type UdpServer, type UdpServerOptions } from './udp-server.js';

export interface DnsServerOptions {
  config: Config;
  /**
   * May answer synchronously (the fast path); UDP then replies in the same tick. `peer` is the
   * client; a SockaddrRef (batched UDP) is valid only during the call. `receivedMs`: a
   * performance.now() reading from when the query (UDP: its batch) arrived.
   */
  handler: (query: Buffer, transport: 'udp' | 'tcp', peer: Peer, receivedMs: number) => Reply | Promise<Reply>;
  logger: Logger;
  /** SO_REUSEPORT on both sockets, for several processes on one port. */
  reusePort?: boolean;
  tcpLimits?: Partial<TcpLimits>;
  udpMaxInFlight?: number;
  /** Counts a query that gets no reply, by why (QueryStats.drop). */
  onDrop?: UdpServerOptions['onDrop'];
  /** `n` replies the handler gave at once took `seconds` each: the duration the handler cannot see. */
  onSyncReplies?: (transport: 'udp' | 'tcp', n: number, seconds: number) => void;
}

export interface DnsServer {
  readonly udpAddress: net.AddressInfo;
  readonly tcpAddress: net.AddressInfo;
  /** How UDP datagrams move: see startUdpServer below. */
  readonly udpMode: UdpServer['mode'];
  udpCounters(): SocketCounters;
  /** Apply a reloaded config's TCP limits to the running listener (no re-bind). */
  setTcpLimits(config: Config): void;
  close(): Promise<void>;
}

/** A reply: one message, several (a zone transfer over TCP), or nothing. */
export type Reply = Buffer | Buffer[] | null;

/** UDP carries one message per reply: the first of several (the handler gives UDP only one). */
function oneMessage(reply: Reply | Promise<Reply>): Buffer | null | Promise<Buffer | null> {
  if (reply instanceof Promise) return reply.then((r) => (Array.isArray(r) ? (r[0] ?? null) : r));
  return Array.isArray(reply) ? (reply[0] ?? null) : reply;
}

/** The TCP limits a config sets (per thread); `overrides` (tests) win. */
export function tcpLimitsOf(config: Config, overrides?: Partial<TcpLimits>): Partial<TcpLimits> {
  return {
    ioTimeoutMs: config.TCPIOTimeoutMs,
    idleTimeoutMs: config.TCPIdleTimeoutMs,
    maxConnections: config.TCPMaxConnections,
    maxConnectionsPerClient: config.TCPMaxClientConnections,
    ...overrides,
  };
}

/** With port 0, tries for a port free for both UDP and TCP this many times. */
const EPHEMERAL_ATTEMPTS = 5;

export async function startDnsServer(options: DnsServerOptions): Promise<DnsServer> {
  const { config } = options;
  const log = options.logger.child({ component: 'dns-server' });
  const address = config.Listener;
  const attempts = config.Port === 0 ? EPHEMERAL_ATTEMPTS : 1;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let udp: UdpServer;
    try {
      udp = await startUdpServer(
        {
          address,
          port: config.Port,
          handler: (query, peer, receivedMs) => oneMessage(options.handler(query, 'udp', peer, receivedMs)),
          logger: options.logger,
          bufferBytes: config.UDPBufferBytes,
          reusePort: options.reusePort,
          maxInFlight: options.udpMaxInFlight,
          onDrop: options.onDrop,
          onSyncReplies: options.onSyncReplies && ((n, seconds) => options.onSyncReplies!('udp', n, seconds)),
        },
        config.UDPBatching,
        log,
      );
    } catch (err) {
      throw listenError('udp', address, config.Port, err);
    }
    // Port 0: UDP picked a free number; TCP must take the same one, which may be in use.
    const port = udp.address.port;
    let tcp: TcpServer;
    try {
      tcp = await startTcpServer({
        address,
        port,
        handler: async (query, client) => {
          const started = performance.now();
          const answering = options.handler(query, 'tcp', client, started);
          if (answering instanceof Uint8Array) options.onSyncReplies?.('tcp', 1, (performance.now() - started) / 1000);
          return answering;
        },
        logger: options.logger,
        reusePort: options.reusePort,
        limits: tcpLimitsOf(config, options.tcpLimits),
        onDrop: options.onDrop,
      });
    } catch (err) {
      await udp.close();
      lastError = err;
      if (config.Port === 0 && (err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        log.debug({ port, attempt }, 'TCP port taken; picking another port for both');
        continue;
      }
      throw listenError('tcp', address, port, err);
    }
    log.info({ address, port, udp: udp.address, tcp: tcp.address, udpMode: udp.mode }, 'DNS server listening on UDP and TCP');
    let closing: Promise<void> | undefined;
    return {
      udpAddress: udp.address,
      udpMode: udp.mode,
      udpCounters: () => udp.counters(),
      tcpAddress: tcp.address,
      setTcpLimits: (next) => tcp.setLimits(tcpLimitsOf(next, options.tcpLimits)),
      close: () => {
        closing ??= Promise.all([udp.close(), tcp.close()]).then(() => undefined);
        return closing;
      },
    };
  }
  throw listenError('tcp', address, 0, lastError);
}

/**
 * The batched server (recvmmsg/sendmmsg) when asked for and the addon loads, else dgram. The
 * addon binds IP literals only; a hostname listener goes through dgram's resolver.
 */
async function startUdpServer(options: UdpServerOptions, batching: boolean, log: Logger): Promise<UdpServer> {
  if (batching && net.isIP(options.address) !== 0) {
    const found = udpBatchAddon();
    if ('addon' in found) return startBatchUdpServer(options, found.addon);
    warnOnce(log, found.reason);
  }
  return startDgramServer(options);
}

let warned = false;
function warnOnce(log: Logger, reason: string): void {
  if (warned) return;
  warned = true;
  log.warn({ reason }, 'batched UDP unavailable; serving UDP through dgram, one datagram per system call');
}

function listenError(transport: 'udp' | 'tcp', address: string, port: number, cause: unknown): DnsListenError {
  const reason = (cause as Error | undefined)?.message ?? String(cause);
  return new DnsListenError(`cannot listen for DNS on ${transport} ${address}:${port}: ${reason}`, { cause });
}
