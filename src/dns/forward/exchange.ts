// One query to one upstream over UDP or TCP, and the checks a reply must pass (RFC 5452 §9.2).
// It has no timer of its own: the forwarder's race (forward.ts) and the health probe
// (health-probe.ts) decide how long to wait and cancel it.
//
// UDP: a new socket per exchange (a fresh OS-chosen source port), connect()ed, so the kernel
// discards datagrams from any other address and an ICMP port-unreachable fails the exchange at
// once; the sender is checked again here. A datagram that does not match ID, question (name
// compared case-insensitively, type, class) and sender is discarded and the exchange keeps
// waiting for the real reply. TCP: RFC 1035 §4.2.2 length framing, one query per connection,
// so anything but our answer fails the exchange.
import dgram from 'node:dgram';
import net from 'node:net';
import { ForwardError, MalformedMessageError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Upstream } from '../answer/route.js';
import { scanMessage } from '../wire/reply-scan.js';
import { canonicalIP, joinHostPort } from '../../net/address.js';

export type Transport = 'udp' | 'tcp';

/** What a reply must repeat from the query (CoreDNS request.Match: QR set, same ID and question). */
export interface Expectation {
  id: number;
  questionKey: string | undefined;
}

/** Called once: with the reply (a buffer of its own, free to patch) or with why there is none. */
export type ExchangeDone = (err: Error | null, reply?: Buffer) => void;

/** Why a reply cannot be the answer to our query, or undefined when it can. */
export function mismatch(reply: Buffer, expected: Expectation): string | undefined {
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

/** "host:port", IPv6 in brackets: how upstreams are named in logs and health views. */
export const upstreamLabel = (upstream: Upstream): string => joinHostPort(upstream);

/**
 * Sends `query` to `upstream`; returns the function that cancels the exchange (releasing its
 * socket; `done` is then never called). `done` is never called synchronously.
 */
export function startExchange(
  query: Buffer,
  transport: Transport,
  upstream: Upstream,
  expected: Expectation,
  log: Logger,
  done: ExchangeDone,
): () => void {
  const label = `${upstreamLabel(upstream)}/${transport}`;
  let settled = false;
  let release: () => void = () => {};
  const settle: ExchangeDone = (err, reply) => {
    if (settled) return;
    settled = true;
    release();
    done(err, reply);
  };
  try {
    release = transport === 'udp' ? sendUdp(query, upstream, expected, label, log, settle) : sendTcp(query, upstream, expected, label, settle);
  } catch (err) {
    const failure = new ForwardError(`${label}: ${(err as Error).message}`, { cause: err });
    queueMicrotask(() => settle(failure));
  }
  return () => {
    if (settled) return;
    settled = true;
    release();
  };
}

function sendUdp(raw: Buffer, upstream: Upstream, expected: Expectation, label: string, log: Logger, settle: ExchangeDone): () => void {
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
    log.debug({ upstream: label, reason: why }, 'ignoring a datagram that does not answer the query');
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

function sendTcp(raw: Buffer, upstream: Upstream, expected: Expectation, label: string, settle: ExchangeDone): () => void {
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
