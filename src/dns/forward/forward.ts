// Forwarding of names outside our zone (mesos-dns §8.4, CoreDNS plugin/forward): the client's
// query goes out over the client's own transport, to each upstream in order, and the first reply
// that matches the query is relayed, whatever its rcode. An upstream is skipped only on an error:
// timeout, network failure, or a reply that does not parse or does not match. Each attempt is
// bounded by one timer covering dial, send and read.
//
// Against off-path spoofing (RFC 5452 §9.2) each attempt adds two random values an attacker must
// guess: a fresh message ID from a crypto-strength source (query-ids.ts), written over the
// client's (which the client chose and an attacker on its host may know), and a fresh OS-chosen
// source port (a new socket per attempt). The socket is connect()ed, so the kernel discards
// datagrams from any other address and an ICMP port-unreachable fails the attempt at once; the
// sender is checked again here. A datagram that does not match ID, question (name compared
// case-insensitively, type, class) and sender is discarded and the attempt keeps waiting for
// the real reply. The reply the client gets carries the client's ID again; the rest of the bytes
// (flags, OPT, records) are the upstream's.
import dgram from 'node:dgram';
import net from 'node:net';
import { ForwardError, MalformedMessageError, NoResolverError } from '../../errors.js';
import { silentLogger, type Logger } from '../../log.js';
import type { Upstream } from '../answer/route.js';
import { scanMessage } from '../wire/reply-scan.js';
import { canonicalIP } from '../../net/address.js';
import { cryptoQueryIds } from './query-ids.js';
import type { ForwardOutcome } from '../query-stats.js';

export type Transport = 'udp' | 'tcp';

/** Where each attempt is counted (QueryStats.forwardAttempt): upstream "host:port", outcome, seconds. */
export interface ForwardCounter {
  forwardAttempt(upstream: string, outcome: ForwardOutcome, seconds: number): void;
}

export interface Forwarder {
  /**
   * Sends `raw` (a client query, under an ID of our own) to `upstreams` in order and resolves
   * with the first matching reply, unchanged but for the client's ID. Rejects with ForwardError when every upstream failed (the caller answers
   * SERVFAIL) and with NoResolverError when `upstreams` is empty.
   */
  forward(raw: Buffer, transport: Transport, upstreams: readonly Upstream[], counter?: ForwardCounter): Promise<Buffer>;
  /** Aborts attempts in flight (their forward() calls reject) and refuses new ones. */
  close(): void;
}

export interface UpstreamForwarderOptions {
  /** Per-upstream attempt limit, milliseconds (config `timeout` is in seconds). */
  timeoutMs: number;
  logger?: Logger;
  /** The ID of each upstream query, 0..65535; crypto-strength random by default (tests pin it). */
  queryId?: () => number;
}

/** What a reply must repeat from the query (CoreDNS request.Match: QR set, same ID and question). */
interface Expectation {
  id: number;
  questionKey: string | undefined;
}

/** Why a reply cannot be the answer to our query, or undefined when it can. */
function mismatch(reply: Buffer, expected: Expectation): string | undefined {
  let scanned;
  try {
    scanned = scanMessage(reply);
  } catch (err) {
    return (err as Error).message;
  }
  if (!scanned.qr) return 'QR bit not set';
  if (scanned.id !== expected.id) return `ID ${scanned.id} instead of ${expected.id}`;
  if (scanned.qdcount !== 1 || scanned.questionKey !== expected.questionKey) return 'question differs from the query';
  return undefined;
}

function hostPort(upstream: Upstream): string {
  return `${net.isIPv6(upstream.host) ? `[${upstream.host}]` : upstream.host}:${upstream.port}`;
}

function describe(upstream: Upstream, transport: Transport): string {
  return `${hostPort(upstream)}/${transport}`;
}

/** The errors made by an attempt's timer, so the attempt counts as a timeout. */
const timeouts = new WeakSet<Error>();

function outcomeOf(err: unknown): ForwardOutcome {
  if (err instanceof Error && timeouts.has(err)) return 'timeout';
  if (err instanceof Error && err.cause instanceof MalformedMessageError) return 'mismatch';
  return 'error';
}

/** One attempt in flight; `abort` settles it with the given error and releases its socket and timer. */
interface Attempt {
  abort(err: Error): void;
}

export class UpstreamForwarder implements Forwarder {
  readonly #timeoutMs: number;
  readonly #log: Logger;
  readonly #queryId: () => number;
  readonly #attempts = new Set<Attempt>();
  #closed = false;

  constructor(options: UpstreamForwarderOptions) {
    if (!(options.timeoutMs > 0)) throw new RangeError('timeoutMs must be > 0');
    this.#timeoutMs = options.timeoutMs;
    this.#log = (options.logger ?? silentLogger).child({ component: 'forward' });
    this.#queryId = options.queryId ?? cryptoQueryIds();
  }

  async forward(raw: Buffer, transport: Transport, upstreams: readonly Upstream[], counter?: ForwardCounter): Promise<Buffer> {
    if (upstreams.length === 0) throw new NoResolverError('no upstream resolver for this name');
    let questionKey: string | undefined;
    try {
      questionKey = scanMessage(raw).questionKey;
    } catch (err) {
      throw new ForwardError('query cannot be forwarded: it does not parse', { cause: err });
    }
    const failures: Error[] = [];
    for (const upstream of upstreams) {
      if (this.#closed) break;
      // A fresh ID per attempt: a reply to an earlier attempt (a slow upstream) cannot match.
      const id = this.#queryId() & 0xffff;
      const query = Buffer.from(raw);
      query.writeUInt16BE(id, 0);
      const started = performance.now();
      try {
        // Each attempt's reply is a buffer of its own (a datagram, a copied TCP frame): patch it.
        const reply = await this.#attempt(query, transport, upstream, { id, questionKey });
        raw.copy(reply, 0, 0, 2); // the client's ID back
        // TC set: relayed as it is (the client retries over TCP), but worth seeing apart.
        counter?.forwardAttempt(hostPort(upstream), (reply[2] & 0x02) !== 0 ? 'truncated' : 'answered', (performance.now() - started) / 1000);
        return reply;
      } catch (err) {
        counter?.forwardAttempt(hostPort(upstream), outcomeOf(err), (performance.now() - started) / 1000);
        failures.push(err as Error);
        this.#log.debug({ upstream: describe(upstream, transport), err: (err as Error).message }, 'upstream failed, trying the next');
      }
    }
    throw new ForwardError(
      `every upstream failed: ${failures.map((f) => f.message).join('; ') || 'forwarder closed'}`,
      { cause: failures.length === 1 ? failures[0] : new AggregateError(failures) },
    );
  }

  close(): void {
    this.#closed = true;
    for (const attempt of [...this.#attempts]) attempt.abort(new ForwardError('forwarder closed'));
  }

  #attempt(raw: Buffer, transport: Transport, upstream: Upstream, expected: Expectation): Promise<Buffer> {
    if (this.#closed) return Promise.reject(new ForwardError('forwarder closed'));
    const label = describe(upstream, transport);
    return new Promise<Buffer>((resolve, reject) => {
      let release: () => void = () => {};
      const attempt: Attempt = {
        abort: (err) => settle(err),
      };
      const timer = setTimeout(() => {
        const err = new ForwardError(`${label}: no reply within ${this.#timeoutMs} ms`);
        timeouts.add(err);
        settle(err);
      }, this.#timeoutMs);
      const settle = (err: Error | null, reply?: Buffer): void => {
        if (!this.#attempts.delete(attempt)) return; // settled already
        clearTimeout(timer);
        release();
        if (err) reject(err);
        else resolve(reply!);
      };
      this.#attempts.add(attempt);
      try {
        release =
          transport === 'udp'
            ? this.#sendUdp(raw, upstream, expected, label, settle)
            : this.#sendTcp(raw, upstream, expected, label, settle);
        // Settled synchronously, before `release` was known: release now.
        if (!this.#attempts.has(attempt)) release();
      } catch (err) {
        settle(new ForwardError(`${label}: ${(err as Error).message}`, { cause: err }));
      }
    });
  }

  /** Starts a UDP exchange; returns the function that closes its socket. */
  #sendUdp(
    raw: Buffer,
    upstream: Upstream,
    expected: Expectation,
    label: string,
    settle: (err: Error | null, reply?: Buffer) => void,
  ): () => void {
    const socket = dgram.createSocket(net.isIPv6(upstream.host) ? 'udp6' : 'udp4');
    const upstreamIP = canonicalIP(upstream.host);
    socket.on('error', (err) => settle(new ForwardError(`${label}: ${err.message}`, { cause: err })));
    socket.on('message', (reply, from) => {
      const sameSender = from.port === upstream.port && (from.address === upstream.host || canonicalIP(from.address) === upstreamIP);
      const why = sameSender ? mismatch(reply, expected) : `sent by ${from.address}:${from.port}`;
      if (why === undefined) {
        settle(null, reply);
        return;
      }
      // A late reply to an earlier query, or a spoofing attempt: keep waiting for ours.
      this.#log.debug({ upstream: label, reason: why }, 'ignoring a datagram that does not answer the query');
    });
    socket.connect(upstream.port, upstream.host, () => {
      socket.send(raw, (err) => {
        if (err) settle(new ForwardError(`${label}: ${err.message}`, { cause: err }));
      });
    });
    return () => {
      socket.removeAllListeners('message');
      // Errors after we are done (e.g. a late ICMP) must not become unhandled 'error' events.
      socket.on('error', () => {});
      try {
        socket.close();
      } catch {
        // already closed
      }
    };
  }

  /** Starts a TCP exchange with RFC 1035 §4.2.2 length framing; returns the function that destroys it. */
  #sendTcp(
    raw: Buffer,
    upstream: Upstream,
    expected: Expectation,
    label: string,
    settle: (err: Error | null, reply?: Buffer) => void,
  ): () => void {
    const socket = net.connect({ host: upstream.host, port: upstream.port });
    socket.setNoDelay(true);
    const frame = Buffer.allocUnsafe(2 + raw.length);
    frame.writeUInt16BE(raw.length, 0);
    raw.copy(frame, 2);
    socket.on('connect', () => socket.write(frame));
    let received: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      if (received.length < 2) return;
      const length = received.readUInt16BE(0);
      if (received.length < 2 + length) return;
      const reply = received.subarray(2, 2 + length);
      // One query per connection, so anything but our answer is a failed attempt.
      const why = mismatch(reply, expected);
      if (why === undefined) settle(null, Buffer.from(reply));
      else settle(new ForwardError(`${label}: reply does not answer the query: ${why}`, { cause: new MalformedMessageError(why) }));
    });
    socket.on('error', (err) => settle(new ForwardError(`${label}: ${err.message}`, { cause: err })));
    socket.on('close', () => settle(new ForwardError(`${label}: connection closed before a full reply`)));
    return () => {
      socket.removeAllListeners('data');
      socket.on('error', () => {});
      socket.destroy();
    };
  }
}
