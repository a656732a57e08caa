// DNS over UDP (RFC 1035 §4.2.1): one datagram in, at most one datagram out. The handler owns
// every DNS decision (including fitting the reply to the client's size); the UDP servers own the
// socket: binding, buffer sizes, a bound on queries in flight, and never throwing out of an
// event handler. This module holds what both servers share and the dgram one, which moves one
// datagram per system call; udp-batch-server.ts moves them in batches through a native addon.
import dgram from 'node:dgram';
import dns from 'node:dns';
import net, { type AddressInfo } from 'node:net';
import type { Logger } from '../../log.js';
import { LogSampler } from '../../log-sampler.js';
import type { DropReason } from '../query-stats.js';

/** Per-query failure lines: at most one per reason per this many ms per thread, with the count held back. */
export const FAILURE_LOG_MS = 1000;
import type { Peer } from '../../net/peer.js';

export interface UdpServerOptions {
  /** Listener IP; "0.0.0.0" binds IPv4 only, "::" binds IPv6 and, dual-stack, IPv4 too. */
  address: string;
  /** 0 picks a free port. */
  port: number;
  /**
   * Reply bytes for a query, or null for silence: right away when it can (the fast path, sent in
   * the same tick), else as a promise. Expected not to throw or reject; if it does, the query
   * gets no reply. `peer` is the sender; a SockaddrRef is valid only during the call.
   * `receivedMs`: a performance.now() reading taken when the datagram's batch arrived (one per
   * batch, not per query: a clock read costs as much as a tenth of a fast-path answer), the
   * coarse clock response rate limiting runs on.
   */
  handler: (query: Buffer, peer: Peer, receivedMs: number) => Buffer | null | Promise<Buffer | null>;
  logger: Logger;
  /** SO_RCVBUF and SO_SNDBUF, bytes (config UDPBufferBytes); 0 or absent keeps the OS default. */
  bufferBytes?: number;
  /** SO_REUSEPORT, so several processes can share the port (Node >= 22.12). */
  reusePort?: boolean;
  /**
   * Queries being answered at once (forwarded ones wait on upstreams). Past it new datagrams are
   * dropped: the client retries, and a flood cannot exhaust memory or file descriptors.
   */
  maxInFlight?: number;
  /** Counts a datagram that gets no reply, by why (QueryStats.drop). */
  onDrop?: (reason: DropReason) => void;
  /** `n` replies the handler gave at once took `seconds` each (QueryStats.timed). */
  onSyncReplies?: (n: number, seconds: number) => void;
}

export interface UdpServer {
  readonly address: AddressInfo;
  /** How datagrams move: recvmmsg/sendmmsg batches (udp-batch-server.ts) or one by one (dgram). */
  readonly mode: 'batched' | 'dgram';
  /** The batched socket's cumulative counts; dgram keeps none (zeros). */
  counters(): SocketCounters;
  close(): Promise<void>;
}

export interface SocketCounters {
  batches: number;
  datagrams: number;
  sendErrors: number;
  /** Datagrams too large for a receive slot. */
  truncated: number;
}

export const NO_SOCKET_COUNTERS: Readonly<SocketCounters> = Object.freeze({ batches: 0, datagrams: 0, sendErrors: 0, truncated: 0 });

export const DEFAULT_UDP_MAX_IN_FLIGHT = 4096;

/**
 * dgram resolves the address of every send (and of bind) through `lookup`; the default one
 * answers an IP literal on the next tick, so each reply waited for a process.nextTick round.
 * Replies always go to the literal address a query came from, so answer at once; anything
 * else (a hostname as the bind address) still goes to the system resolver.
 */
function literalLookup(address: string, family: number | dns.LookupOneOptions, callback: (err: Error | null, address: string, family: number) => void): void {
  const want = typeof family === 'number' ? family : (family.family as number | undefined);
  const is = net.isIP(address);
  if (is !== 0 && (want === undefined || want === 0 || want === is)) {
    callback(null, address, is);
    return;
  }
  dns.lookup(address, typeof family === 'number' ? { family } : family, (err, ip, fam) => callback(err, ip, fam));
}

export function socketTypeFor(address: string): 'udp4' | 'udp6' {
  return net.isIPv6(address) ? 'udp6' : 'udp4';
}

/**
 * Runs the handler for one datagram under the in-flight bound: the reply at once (Buffer), none
 * (null: silence, dropped over the bound, or the handler threw), or a promise of one that never
 * rejects. Shared by both UDP servers so they drop, count and log alike.
 */
export function queryRunner(options: UdpServerOptions, log: Logger): (query: Buffer, peer: Peer, receivedMs: number) => Buffer | null | Promise<Buffer | null> {
  const maxInFlight = options.maxInFlight ?? DEFAULT_UDP_MAX_IN_FLIGHT;
  const handler = options.handler;
  const onDrop = options.onDrop ?? (() => {});
  let inFlight = 0;
  // One sampler per reason: under a flood each writes a line a second, carrying the count of
  // the lines it held back (the drops themselves are all counted through onDrop).
  const overLimitLog = new LogSampler(FAILURE_LOG_MS);
  const failureLog = new LogSampler(FAILURE_LOG_MS);
  const failed = (err: unknown): null => {
    onDrop('handler_error');
    failureLog.write(log, 'error', { err }, 'query handler failed; no reply sent');
    return null;
  };
  return (query, peer, receivedMs) => {
    if (inFlight >= maxInFlight) {
      onDrop('in_flight_limit');
      overLimitLog.write(log, 'warn', { maxInFlight }, 'too many UDP queries in flight, dropping new ones');
      return null;
    }
    let answering: Buffer | null | Promise<Buffer | null>;
    try {
      answering = handler(query, peer, receivedMs);
    } catch (err) {
      return failed(err);
    }
    if (answering === null || answering instanceof Uint8Array) return answering;
    inFlight++;
    return answering.then(
      (buf) => {
        inFlight--;
        return buf;
      },
      (err: unknown) => {
        inFlight--;
        return failed(err);
      },
    );
  };
}

/**
 * Linux silently caps SO_RCVBUF/SO_SNDBUF at net.core.rmem_max/wmem_max (SO_RCVBUFFORCE would
 * need CAP_NET_ADMIN) and reports twice the size it granted (socket(7)), so a value below the
 * request means the cap applied: worth a warning, since bursts then overflow sooner.
 */
export function logBufferSizes(log: Logger, requested: number, effective: { recv: number; send: number }): void {
  if (effective.recv < requested || effective.send < requested) {
    log.warn({ requested, effective }, 'UDP socket buffers are smaller than configured (capped by net.core.rmem_max / wmem_max)');
  } else {
    log.debug({ requested, effective }, 'UDP socket buffers set');
  }
}

/** The UDP server on Node's dgram: one system call and one JavaScript callback per datagram. */
export async function startDgramServer(options: UdpServerOptions): Promise<UdpServer> {
  const log = options.logger.child({ component: 'dns-udp' });
  const socket = dgram.createSocket({
    type: socketTypeFor(options.address),
    // "::" must also take IPv4 (mapped) traffic, like Go's net.ListenUDP on "[::]".
    ipv6Only: false,
    ...(options.reusePort ? { reusePort: true } : {}),
    lookup: literalLookup,
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      socket.close();
      reject(err);
    };
    socket.once('error', onError);
    socket.bind({ address: options.address, port: options.port }, () => {
      socket.off('error', onError);
      resolve();
    });
  });

  if (options.bufferBytes && options.bufferBytes > 0) {
    const requested = options.bufferBytes;
    try {
      socket.setRecvBufferSize(requested);
      socket.setSendBufferSize(requested);
      logBufferSizes(log, requested, { recv: socket.getRecvBufferSize(), send: socket.getSendBufferSize() });
    } catch (err) {
      // The defaults still work, only with less headroom for bursts.
      log.warn({ err: (err as Error).message, bytes: requested }, 'could not set the UDP socket buffer sizes');
    }
  }

  let closed = false;
  const run = queryRunner(options, log);
  const onDrop = options.onDrop ?? (() => {});
  const socketErrorLog = new LogSampler(FAILURE_LOG_MS);
  socket.on('error', (err: NodeJS.ErrnoException) => {
    // Without a send callback a refused send comes here: one reply lost.
    if (err.syscall === 'send') onDrop('send_error');
    socketErrorLog.write(log, 'error', { err }, 'UDP socket error');
  });
  // No send callback: Node then completes the send without a callback per reply (it costs about
  // 0.5 µs each). A send that fails is, to the client, a lost datagram, which it retries.
  const reply = (buf: Buffer, rinfo: dgram.RemoteInfo): void => {
    if (!closed) socket.send(buf, rinfo.port, rinfo.address);
    else onDrop('closed');
  };
  const onSyncReplies = options.onSyncReplies;
  socket.on('message', (msg, rinfo) => {
    const started = performance.now();
    const answering = run(msg, rinfo.address, started);
    if (answering === null) return;
    if (answering instanceof Uint8Array) {
      reply(answering, rinfo);
      onSyncReplies?.(1, (performance.now() - started) / 1000);
    }
    else
      void answering.then((buf) => {
        if (buf) reply(buf, rinfo);
      });
  });

  return {
    address: socket.address(),
    mode: 'dgram',
    counters: () => NO_SOCKET_COUNTERS,
    close: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        closed = true;
        socket.close(() => resolve());
      }),
  };
}
