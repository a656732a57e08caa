// DNS over TCP (RFC 1035 §4.2.2, RFC 7766): each message is framed by a 2-octet length. One
// connection carries many queries; they are answered as each completes, possibly out of order
// (RFC 7766 §6.2.1.1: pipelining, clients match on ID). A connection that sends a frame that
// cannot be a DNS query is closed; other connections are unaffected.
//
// The port is open to every container on the host, so no client may hold the others out
// (RFC 7766 §6.2.2-§6.2.4; the limits are Knot DNS's tcp-io-timeout, tcp-idle-timeout and
// tcp-max-clients):
// - a message must arrive whole within ioTimeoutMs of its first byte. More bytes do not extend
//   it, so a client trickling one byte at a time is closed after ioTimeoutMs, not kept forever;
// - a connection with nothing in flight and no message begun is closed after idleTimeoutMs;
// - one source address holds at most maxConnectionsPerClient connections; more are closed at once;
// - at maxConnections, a new connection closes the connection idle the longest (RFC 7766
//   §6.2.3 "MAY close the connection that has been idle the longest") instead of being refused.
//   "Idle" means no query in flight: one that is only part-way through sending a message counts,
//   ranked by when it last had an answer (or connected), so a trickler is evicted before a
//   client that just got one. Only when every connection is waiting for an answer is the new one
//   refused.
// Also bounded: queries in flight per connection (past it we stop reading, so TCP flow control
// pushes back on the client) and the query size. A query counts as in flight until its reply has
// been handed to the kernel, so a client that does not read its replies stalls itself: with
// replies queued and no progress for idleTimeoutMs, its connection is closed.
//
// With worker threads (workers/) every thread runs one of these on the shared port and the
// kernel spreads connections over them (SO_REUSEPORT), so every limit here is per thread.
import net, { type AddressInfo } from 'node:net';
import type { Logger } from '../../log.js';
import { HEADER_LENGTH } from '../wire/constants.js';
import type { DropReason } from '../query-stats.js';
import { LogSampler } from '../../log-sampler.js';

export interface TcpLimits {
  /** Close a connection with nothing in flight and no message begun after this long. */
  idleTimeoutMs: number;
  /** A message must be complete this long after its first byte arrived, or the connection closes. */
  ioTimeoutMs: number;
  maxConnections: number;
  /** Connections from one source address; 0 = no per-client cap. */
  maxConnectionsPerClient: number;
  maxInFlightPerConnection: number;
  /** Largest query accepted; a bigger length prefix closes the connection. */
  maxQueryBytes: number;
}

export const DEFAULT_TCP_LIMITS: Readonly<TcpLimits> = Object.freeze({
  idleTimeoutMs: 10_000,
  // Knot DNS's tcp-io-timeout: a query of a few hundred bytes takes one round trip to arrive.
  ioTimeoutMs: 500,
  maxConnections: 1024,
  maxConnectionsPerClient: 16,
  // miekg/dns (and so mesos-dns) serves up to 128 queries per connection; we bound concurrency
  // rather than the total, and allow this many at once.
  maxInFlightPerConnection: 64,
  // Queries are a header, one question and an OPT with a few options; 4 KiB leaves ample room.
  maxQueryBytes: 4096,
});

/** At most one "connection refused/evicted" line per this many ms (an attack would flood the log). */
const REFUSAL_LOG_MS = 1000;

export interface TcpServerOptions {
  address: string;
  port: number;
  /** `client` is the source address (remoteAddress as Node gives it). */
  /** Several messages (a zone transfer) go out in order, each in its own frame (RFC 5936 §2.2). */
  handler: (query: Buffer, client: string) => Promise<Buffer | Buffer[] | null>;
  logger: Logger;
  reusePort?: boolean;
  limits?: Partial<TcpLimits>;
  /** Milliseconds; injectable for tests. */
  now?: () => number;
  /** Counts a query that gets no reply, by why (QueryStats.drop). */
  onDrop?: (reason: DropReason) => void;
}

export interface TcpServer {
  readonly address: AddressInfo;
  /** New limits (a reload): caps apply to the next connection, timeouts from each connection's next state change. */
  setLimits(limits: Partial<TcpLimits>): void;
  close(): Promise<void>;
}

/** What a connection shares with the server: the limits, and its place among the idle ones. */
interface ConnectionContext {
  limits: () => TcpLimits;
  handler: (query: Buffer, client: string) => Promise<Buffer | Buffer[] | null>;
  log: Logger;
  now: () => number;
  /** Nothing in flight: joins the end of the eviction order (its `evict` closes it at once). */
  becameIdle(socket: net.Socket, evict: () => void): void;
  becameBusy(socket: net.Socket): void;
  onDrop: (reason: DropReason) => void;
  /** "query handler failed" lines: at most one a second per server, with the count held back. */
  failureLog: LogSampler;
}

export async function startTcpServer(options: TcpServerOptions): Promise<TcpServer> {
  const log = options.logger.child({ component: 'dns-tcp' });
  let limits: TcpLimits = { ...DEFAULT_TCP_LIMITS, ...options.limits };
  const connections = new Set<net.Socket>();
  const perClient = new Map<string, number>();
  // Insertion order is eviction order: a connection is (re)inserted when it becomes idle, so the
  // first entry is the one idle the longest.
  const idle = new Map<net.Socket, () => void>();
  const refusals = new LogSampler(REFUSAL_LOG_MS);
  const ctx: ConnectionContext = {
    limits: () => limits,
    handler: options.handler,
    log,
    now: options.now ?? Date.now,
    becameIdle: (socket, evict) => {
      idle.delete(socket);
      idle.set(socket, evict);
    },
    becameBusy: (socket) => idle.delete(socket),
    onDrop: options.onDrop ?? (() => {}),
    failureLog: new LogSampler(REFUSAL_LOG_MS),
  };

  const note = (message: string, client: string): void => {
    const held = refusals.take();
    if (held >= 0) log.warn({ client, held, connections: connections.size, max: limits.maxConnections, perClient: limits.maxConnectionsPerClient }, message);
  };

  // allowHalfOpen: a client may send its queries, shut down its side, and still read the answers.
  // No server.maxConnections: Node would refuse at the cap, where we evict the longest idle.
  const server = net.createServer({ allowHalfOpen: true, noDelay: true });
  server.on('connection', (socket) => {
    socket.on('error', (err) => log.debug({ err: err.message, client: socket.remoteAddress }, 'TCP connection error'));
    const client = clientOf(socket);
    const fromClient = perClient.get(client) ?? 0;
    // Per client first, so a client at its cap cannot push other clients' connections out.
    if (limits.maxConnectionsPerClient > 0 && fromClient >= limits.maxConnectionsPerClient) {
      note('TCP connections per client at the cap; closing a new one', client);
      socket.destroy();
      return;
    }
    if (connections.size >= limits.maxConnections) {
      const longestIdle = idle.values().next();
      if (longestIdle.done) {
        note('TCP connection limit reached with every connection awaiting an answer; closing a new one', client);
        socket.destroy();
        return;
      }
      note('TCP connection limit reached; closing the connection idle the longest', client);
      longestIdle.value();
    }
    connections.add(socket);
    perClient.set(client, fromClient + 1);
    let released = false;
    // Called on 'close', and at once by an eviction, so the slot is free for this connection.
    const release = (): void => {
      if (released) return;
      released = true;
      connections.delete(socket);
      idle.delete(socket);
      const left = (perClient.get(client) ?? 1) - 1;
      if (left > 0) perClient.set(client, left);
      else perClient.delete(client);
    };
    socket.on('close', release);
    serveConnection(socket, ctx, release);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.address, port: options.port, ipv6Only: false, ...(options.reusePort ? { reusePort: true } : {}) }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err }, 'TCP server error'));

  let closing: Promise<void> | undefined;
  return {
    address: server.address() as AddressInfo,
    setLimits(next) {
      limits = { ...limits, ...next };
    },
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of connections) socket.destroy();
      });
      return closing;
    },
  };
}

/** The source address, IPv4-mapped IPv6 (a dual-stack listener) written as IPv4. */
function clientOf(socket: net.Socket): string {
  const address = socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
}

function serveConnection(socket: net.Socket, ctx: ConnectionContext, release: () => void): void {
  const { handler, log, onDrop } = ctx;
  let buffered: Buffer = Buffer.alloc(0);
  let inFlight = 0;
  let peerEnded = false;
  let closing = false;
  let isIdle = false;
  /** When the io deadline of the message being received started (its first byte), if one is. */
  let messageSince: number | undefined;
  /** When the connection last became idle. */
  let idleSince = 0;
  let timer: NodeJS.Timeout | undefined;
  /** Bumped by every arm and disarm, so a deadline overtaken by a state change does nothing. */
  let armed = 0;

  const disarm = (): void => {
    armed++;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  const arm = (at: number, expire: () => void): void => {
    disarm();
    const mine = armed;
    // After the event loop was held up (a table build, a collection), a deadline can come due
    // while the bytes that meet it already wait in the kernel. Timers run before the loop polls
    // for I/O and setImmediate after it, so those bytes are read first; if they change the
    // state, review() has moved `armed` on and the expiry is dropped.
    timer = setTimeout(() => setImmediate(() => mine === armed && expire()), Math.max(0, at - ctx.now()));
  };

  const close = (graceful: boolean): void => {
    if (closing) return;
    closing = true;
    disarm();
    ctx.becameBusy(socket);
    if (!graceful) {
      socket.destroy();
      return;
    }
    socket.end();
    // A peer that never closes its side would hold the half-closed socket (and its slot): it
    // gets one io timeout to take our FIN. Replies already handed to the kernel still go out.
    setTimeout(() => socket.destroy(), ctx.limits().ioTimeoutMs).unref();
  };
  const evict = (): void => {
    close(false);
    release();
  };

  /** The buffer starts a message that has not fully arrived. */
  const incomplete = (): boolean => buffered.length > 0 && (buffered.length < 2 || buffered.length < 2 + buffered.readUInt16BE(0));

  /**
   * Sets the one timer for the connection's state. Called after every change, but a deadline
   * already running is left alone: bytes of a message under way never extend its io deadline.
   */
  const review = (): void => {
    if (closing) return;
    const limits = ctx.limits();
    if (inFlight > 0) {
      if (isIdle) {
        isIdle = false;
        ctx.becameBusy(socket);
      }
    } else if (!isIdle) {
      isIdle = true;
      idleSince = ctx.now();
      ctx.becameIdle(socket, evict);
    }
    // While paused at the in-flight cap we do not read, so a partial message is our delay, not the client's.
    if (incomplete() && inFlight < limits.maxInFlightPerConnection) {
      if (messageSince === undefined) {
        messageSince = ctx.now();
        arm(messageSince + limits.ioTimeoutMs, () => {
          log.debug({ client: socket.remoteAddress, bytes: buffered.length, ioTimeoutMs: limits.ioTimeoutMs }, 'TCP message not complete within the io timeout; closing the connection');
          close(false);
        });
      }
      return;
    }
    messageSince = undefined;
    if (isIdle) arm(idleSince + limits.idleTimeoutMs, () => close(true));
    else disarm();
  };

  const finishIfDone = (): void => {
    if (peerEnded && inFlight === 0) close(true);
  };

  const send = (reply: Buffer | Buffer[]): void => {
    const messages = Array.isArray(reply) ? reply : [reply];
    if (messages.some((m) => m.length > 0xffff)) {
      log.error({ bytes: Math.max(...messages.map((m) => m.length)) }, 'reply longer than a TCP frame can carry; not sent');
      onDrop('reply_too_large');
      done();
      return;
    }
    // The query stays in flight until its last message is handed to the kernel.
    messages.forEach((message, i) => {
      const frame = Buffer.allocUnsafe(2 + message.length);
      frame.writeUInt16BE(message.length, 0);
      message.copy(frame, 2);
      if (i === messages.length - 1) socket.write(frame, () => done());
      else socket.write(frame);
    });
  };

  const done = (): void => {
    inFlight--;
    pump();
    finishIfDone();
    review();
  };

  /** Takes complete frames off the buffer while the in-flight budget allows. */
  const pump = (): void => {
    const limits = ctx.limits();
    while (!closing && inFlight < limits.maxInFlightPerConnection && buffered.length >= 2) {
      const length = buffered.readUInt16BE(0);
      if (length < HEADER_LENGTH || length > limits.maxQueryBytes) {
        log.debug({ client: socket.remoteAddress, length }, 'bad TCP frame length; closing the connection');
        onDrop('bad_frame');
        close(false);
        return;
      }
      if (buffered.length < 2 + length) break;
      const query = Buffer.from(buffered.subarray(2, 2 + length));
      buffered = buffered.subarray(2 + length);
      // The next message's deadline starts with its first byte, not with this one's.
      messageSince = undefined;
      dispatch(query);
    }
    if (closing || socket.destroyed) return;
    if (inFlight >= limits.maxInFlightPerConnection) socket.pause();
    else if (socket.isPaused() && !peerEnded) socket.resume();
  };

  const dispatch = (query: Buffer): void => {
    inFlight++;
    let answering: Promise<Buffer | Buffer[] | null>;
    try {
      answering = handler(query, socket.remoteAddress ?? '');
    } catch (err) {
      answering = Promise.reject(err);
    }
    answering.then(
      (reply) => {
        if (reply && !socket.destroyed && socket.writable) send(reply);
        else {
          if (reply) onDrop('closed');
          done();
        }
      },
      (err: unknown) => {
        onDrop('handler_error');
        ctx.failureLog.write(log, 'error', { err }, 'query handler failed; no reply sent');
        done();
      },
    );
  };

  // Replies queued with no progress either way for the idle timeout: the client stopped reading.
  // (Node re-arms this timer on every read and write; the deadlines above are our own.)
  socket.setTimeout(ctx.limits().idleTimeoutMs);
  socket.on('timeout', () => {
    if (inFlight > 0 && socket.writableLength > 0) close(false);
  });
  socket.on('data', (chunk: Buffer) => {
    // After we closed our side nothing more is read into memory: it could never be answered.
    if (closing) return;
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    pump();
    review();
  });
  socket.on('end', () => {
    peerEnded = true;
    // 'end' only comes while we are reading, i.e. after pump() took every complete frame:
    // whatever is left is a partial frame that can never complete now.
    if (buffered.length > 0) {
      log.debug({ client: socket.remoteAddress, bytes: buffered.length }, 'TCP connection ended inside a frame');
      buffered = Buffer.alloc(0);
    }
    finishIfDone();
    review();
  });
  socket.on('close', disarm);
  review();
}
