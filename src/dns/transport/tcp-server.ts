// DNS over TCP (RFC 1035 §4.2.2, RFC 7766): each message is framed by a 2-octet length. One
// connection carries many queries; they are answered as each completes, possibly out of order
// (RFC 7766 §6.2.1.1: pipelining, clients match on ID). A connection that sends a frame that
// cannot be a DNS query is closed; other connections are unaffected.
//
// Resource bounds: a cap on connections (the server refuses more), on queries in flight per
// connection (past it we stop reading, so TCP flow control pushes back on the client), on the
// query size, and an idle timeout (RFC 7766 §6.2.3 recommends seconds, not minutes). A query
// counts as in flight until its reply has been handed to the kernel, so a client that does not
// read its replies stalls itself, not the server.
import net, { type AddressInfo } from 'node:net';
import type { Logger } from '../../log.js';
import { HEADER_LENGTH } from '../wire/constants.js';

export interface TcpLimits {
  /** Close a connection with nothing in flight after this long without traffic. */
  idleTimeoutMs: number;
  maxConnections: number;
  maxInFlightPerConnection: number;
  /** Largest query accepted; a bigger length prefix closes the connection. */
  maxQueryBytes: number;
}

export const DEFAULT_TCP_LIMITS: Readonly<TcpLimits> = Object.freeze({
  idleTimeoutMs: 10_000,
  maxConnections: 1024,
  // miekg/dns (and so mesos-dns) serves up to 128 queries per connection; we bound concurrency
  // rather than the total, and allow this many at once.
  maxInFlightPerConnection: 64,
  // Queries are a header, one question and an OPT with a few options; 4 KiB leaves ample room.
  maxQueryBytes: 4096,
});

export interface TcpServerOptions {
  address: string;
  port: number;
  handler: (query: Buffer) => Promise<Buffer | null>;
  logger: Logger;
  reusePort?: boolean;
  limits?: Partial<TcpLimits>;
}

export interface TcpServer {
  readonly address: AddressInfo;
  close(): Promise<void>;
}

export async function startTcpServer(options: TcpServerOptions): Promise<TcpServer> {
  const log = options.logger.child({ component: 'dns-tcp' });
  const limits: TcpLimits = { ...DEFAULT_TCP_LIMITS, ...options.limits };
  const connections = new Set<net.Socket>();
  // allowHalfOpen: a client may send its queries, shut down its side, and still read the answers.
  const server = net.createServer({ allowHalfOpen: true, noDelay: true });
  server.maxConnections = limits.maxConnections;
  server.on('connection', (socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    serveConnection(socket, options.handler, limits, log);
  });
  server.on('drop', (info) => log.warn({ client: info?.remoteAddress, max: limits.maxConnections }, 'TCP connection limit reached; refusing a connection'));

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
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of connections) socket.destroy();
      });
      return closing;
    },
  };
}

function serveConnection(socket: net.Socket, handler: (query: Buffer) => Promise<Buffer | null>, limits: TcpLimits, log: Logger): void {
  let buffered: Buffer = Buffer.alloc(0);
  let inFlight = 0;
  let peerEnded = false;
  let closing = false;

  const close = (graceful: boolean): void => {
    if (closing) return;
    closing = true;
    if (!graceful) {
      socket.destroy();
      return;
    }
    socket.end();
    // A peer that never closes its side would hold the half-closed socket forever.
    setTimeout(() => socket.destroy(), limits.idleTimeoutMs).unref();
  };

  const finishIfDone = (): void => {
    if (peerEnded && inFlight === 0) close(true);
  };

  const send = (reply: Buffer): void => {
    if (reply.length > 0xffff) {
      log.error({ bytes: reply.length }, 'reply longer than a TCP frame can carry; not sent');
      done();
      return;
    }
    const frame = Buffer.allocUnsafe(2 + reply.length);
    frame.writeUInt16BE(reply.length, 0);
    reply.copy(frame, 2);
    socket.write(frame, () => done());
  };

  const done = (): void => {
    inFlight--;
    pump();
    finishIfDone();
  };

  /** Takes complete frames off the buffer while the in-flight budget allows. */
  const pump = (): void => {
    while (!closing && inFlight < limits.maxInFlightPerConnection && buffered.length >= 2) {
      const length = buffered.readUInt16BE(0);
      if (length < HEADER_LENGTH || length > limits.maxQueryBytes) {
        log.debug({ client: socket.remoteAddress, length }, 'bad TCP frame length; closing the connection');
        close(false);
        return;
      }
      if (buffered.length < 2 + length) break;
      const query = Buffer.from(buffered.subarray(2, 2 + length));
      buffered = buffered.subarray(2 + length);
      dispatch(query);
    }
    if (closing || socket.destroyed) return;
    if (inFlight >= limits.maxInFlightPerConnection) socket.pause();
    else if (socket.isPaused() && !peerEnded) socket.resume();
  };

  const dispatch = (query: Buffer): void => {
    inFlight++;
    let answering: Promise<Buffer | null>;
    try {
      answering = handler(query);
    } catch (err) {
      answering = Promise.reject(err);
    }
    answering.then(
      (reply) => {
        if (reply && !socket.destroyed && socket.writable) send(reply);
        else done();
      },
      (err: unknown) => {
        log.error({ err }, 'query handler failed; no reply sent');
        done();
      },
    );
  };

  socket.setTimeout(limits.idleTimeoutMs);
  socket.on('timeout', () => {
    if (inFlight === 0) close(true);
    // Replies waiting in our buffer with no progress: the client stopped reading.
    else if (socket.writableLength > 0) close(false);
    // Otherwise answers are still being worked out (e.g. a slow upstream); writing them re-arms
    // the timer.
  });
  socket.on('data', (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    pump();
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
  });
  socket.on('error', (err) => log.debug({ err: err.message, client: socket.remoteAddress }, 'TCP connection error'));
}
