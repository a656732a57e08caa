// Forwarding of names outside our zone (mesos-dns §8.4, CoreDNS plugin/forward): the client's
// query goes out over the client's own transport and the first reply that matches the query is
// relayed, whatever its rcode (REFUSED and SERVFAIL included: they are the upstream's answer,
// as in mesos-dns and CoreDNS).
//
// Which upstream, and how long to wait (issue 13): the upstreams that are up, in the configured
// order (all of them in order when none is; upstream-health.ts). The query goes to the first;
// when it has not answered within its per-try deadline (from its smoothed RTT, 150–1000 ms) it
// also goes to the next, and so on, while the earlier ones may still answer: the first matching
// reply wins and the other tries are cancelled, their sockets closed. A try that fails outright
// (ICMP port unreachable, a TCP reset or a wrong reply over TCP) starts the next at once. The
// whole query is bounded by one timer, `timeoutMs` (config `timeout`), across all upstreams.
// A try counts as a failure for its upstream's health when it errored, or when the race ended
// (someone else answered, or the overall timeout) after its deadline had passed without a reply;
// after `maxFails` in a row the upstream is down: queries skip it and a probe (health-probe.ts)
// checks it every `healthCheckMs` until it answers. Each state change is one log line.
//
// Against off-path spoofing (RFC 5452 §9.2) each try adds two random values an attacker must
// guess: a fresh message ID from a crypto-strength source (query-ids.ts), written over the
// client's, and a fresh OS-chosen source port (exchange.ts). The reply the client gets carries
// the client's ID again; the rest of the bytes (flags, OPT, records) are the upstream's.
import { ForwardError, MalformedMessageError, NoResolverError } from '../../errors.js';
import { silentLogger, type Logger } from '../../log.js';
import type { Upstream } from '../answer/route.js';
import { scanMessage } from '../wire/reply-scan.js';
import { startExchange, upstreamLabel, type Transport } from './exchange.js';
import { HealthProber } from './health-probe.js';
import { cryptoQueryIds } from './query-ids.js';
import type { ForwardOutcome } from '../query-stats.js';
import { tryOrder, UpstreamHealth, type Transition, type UpstreamHealthView } from './upstream-health.js';

export type { Transport } from './exchange.js';

/** Where each attempt is counted (QueryStats.forwardAttempt): upstream "host:port", outcome, seconds. */
export interface ForwardCounter {
  forwardAttempt(upstream: string, outcome: ForwardOutcome, seconds: number): void;
}

export interface Forwarder {
  /**
   * Sends `raw` (a client query, under an ID of our own) to `upstreams` and resolves with the
   * first matching reply, unchanged but for the client's ID. Rejects with ForwardError when every
   * upstream failed or `timeoutMs` passed (the caller answers SERVFAIL) and with NoResolverError
   * when `upstreams` is empty.
   */
  forward(raw: Buffer, transport: Transport, upstreams: readonly Upstream[], counter?: ForwardCounter): Promise<Buffer>;
  /** Each upstream this forwarder has sent to, with its health. Read-only snapshot. */
  health(): UpstreamHealthView[];
  /** Aborts queries in flight (their forward() calls reject), stops probes, refuses new queries. */
  close(): void;
}

export interface UpstreamForwarderOptions {
  /** Limit for one forwarded query across all its upstreams, milliseconds (config `timeout` is in seconds). */
  timeoutMs: number;
  /** Consecutive failed tries that mark an upstream down (config ForwardMaxFails); 0 never does. Default 2. */
  maxFails?: number;
  /** Probe interval for a down upstream, ms (config ForwardHealthCheckMs). Default 500. */
  healthCheckMs?: number;
  logger?: Logger;
  /** The ID of each upstream query, 0..65535; crypto-strength random by default (tests pin it). */
  queryId?: () => number;
  /** Monotonic milliseconds; performance.now by default. */
  now?: () => number;
}

/** One try of a query in flight. */
interface Try {
  upstream: Upstream;
  health: UpstreamHealth;
  sentAt: number;
  deadlineMs: number;
  cancel?: () => void;
  done: boolean;
}

export class UpstreamForwarder implements Forwarder {
  readonly #timeoutMs: number;
  readonly #maxFails: number;
  readonly #healthCheckMs: number;
  readonly #log: Logger;
  readonly #queryId: () => number;
  readonly #now: () => number;
  readonly #health = new Map<string, UpstreamHealth>();
  readonly #prober: HealthProber;
  /** Queries in flight: each entry aborts one. */
  readonly #inFlight = new Set<(err: Error) => void>();
  #closed = false;

  constructor(options: UpstreamForwarderOptions) {
    if (!(options.timeoutMs > 0)) throw new RangeError('timeoutMs must be > 0');
    this.#timeoutMs = options.timeoutMs;
    this.#maxFails = options.maxFails ?? 2;
    this.#healthCheckMs = options.healthCheckMs ?? 500;
    this.#log = (options.logger ?? silentLogger).child({ component: 'forward' });
    this.#queryId = options.queryId ?? cryptoQueryIds();
    this.#now = options.now ?? (() => performance.now());
    this.#prober = new HealthProber({
      intervalMs: this.#healthCheckMs,
      queryId: this.#queryId,
      logger: this.#log,
      now: this.#now,
      onAlive: (upstream, rttMs) => this.#observe(upstream, this.#healthOf(upstream).replied(rttMs)),
    });
  }

  health(): UpstreamHealthView[] {
    return [...this.#health].map(([upstream, h]) => ({
      upstream,
      state: h.state,
      consecutiveFailures: h.consecutiveFailures,
      rttMs: h.srttMs,
      answered: h.answered,
      failed: h.failed,
    }));
  }

  forward(raw: Buffer, transport: Transport, upstreams: readonly Upstream[], counter?: ForwardCounter): Promise<Buffer> {
    if (upstreams.length === 0) return Promise.reject(new NoResolverError('no upstream resolver for this name'));
    if (this.#closed) return Promise.reject(new ForwardError('forwarder closed'));
    let questionKey: string | undefined;
    try {
      questionKey = scanMessage(raw).questionKey;
    } catch (err) {
      return Promise.reject(new ForwardError('query cannot be forwarded: it does not parse', { cause: err }));
    }
    const order = tryOrder(upstreams, (u) => this.#healthOf(u).state);
    return new Promise<Buffer>((resolve, reject) => {
      const tries: Try[] = [];
      const failures: string[] = [];
      let finished = false;
      let stagger: NodeJS.Timeout | undefined;

      const finish = (err: Error | null, reply?: Buffer): void => {
        if (finished) return;
        finished = true;
        this.#inFlight.delete(abort);
        clearTimeout(overall);
        clearTimeout(stagger);
        const now = this.#now();
        for (const t of tries) {
          if (t.done) continue;
          t.done = true;
          t.cancel?.();
          // Silent past its deadline while the race ended: the upstream did not do its part.
          // Cut off before its deadline (someone else was faster, or close()): no verdict.
          if (now - t.sentAt >= t.deadlineMs && !this.#closed) {
            this.#observe(t.upstream, t.health.failedTry());
            counter?.forwardAttempt(upstreamLabel(t.upstream), 'timeout', (now - t.sentAt) / 1000);
          }
        }
        if (err) reject(err);
        else resolve(reply!);
      };
      const abort = (err: Error) => finish(err);

      const launch = (): void => {
        clearTimeout(stagger);
        if (finished || tries.length >= order.length) return;
        const upstream = order[tries.length];
        const health = this.#healthOf(upstream);
        // A fresh ID per try: a reply to an earlier try (a slow upstream) cannot match.
        const id = this.#queryId() & 0xffff;
        const query = Buffer.from(raw);
        query.writeUInt16BE(id, 0);
        const t: Try = { upstream, health, sentAt: this.#now(), deadlineMs: health.deadlineMs(), done: false };
        tries.push(t);
        t.cancel = startExchange(query, transport, upstream, { id, questionKey }, this.#log, (err, reply) => {
          if (t.done) return;
          t.done = true;
          const elapsedMs = this.#now() - t.sentAt;
          if (err === null) {
            this.#observe(upstream, health.replied(elapsedMs));
            // TC set: relayed as it is (the client retries over TCP), but worth seeing apart.
            counter?.forwardAttempt(upstreamLabel(upstream), (reply![2] & 0x02) !== 0 ? 'truncated' : 'answered', elapsedMs / 1000);
            raw.copy(reply!, 0, 0, 2); // the client's ID back
            finish(null, reply);
            return;
          }
          failures.push(err.message);
          counter?.forwardAttempt(upstreamLabel(upstream), err.cause instanceof MalformedMessageError ? 'mismatch' : 'error', elapsedMs / 1000);
          this.#log.debug({ upstream: upstreamLabel(upstream), transport, err: err.message }, 'upstream try failed');
          this.#observe(upstream, health.failedTry());
          if (tries.length < order.length) launch();
          else if (tries.every((x) => x.done)) finish(new ForwardError(`every upstream failed: ${failures.join('; ')}`));
        });
        if (tries.length < order.length) stagger = setTimeout(launch, t.deadlineMs);
      };

      const overall = setTimeout(() => {
        const silent = tries.filter((t) => !t.done).map((t) => `${upstreamLabel(t.upstream)}/${transport}`);
        const why = [...failures, ...(silent.length > 0 ? [`no reply within ${this.#timeoutMs} ms from ${silent.join(', ')}`] : [])];
        finish(new ForwardError(`every upstream failed: ${why.join('; ')}`));
      }, this.#timeoutMs);
      this.#inFlight.add(abort);
      launch();
    });
  }

  close(): void {
    this.#closed = true;
    this.#prober.close();
    for (const abort of [...this.#inFlight]) abort(new ForwardError('forwarder closed'));
  }

  #healthOf(upstream: Upstream): UpstreamHealth {
    const key = upstreamLabel(upstream);
    let h = this.#health.get(key);
    if (h === undefined) this.#health.set(key, (h = new UpstreamHealth(this.#maxFails)));
    return h;
  }

  /** One log line per state change; probes run exactly while an upstream is down. */
  #observe(upstream: Upstream, transition: Transition): void {
    if (transition === undefined || this.#closed) return;
    const label = upstreamLabel(upstream);
    const h = this.#healthOf(upstream);
    if (transition === 'down') {
      this.#log.warn(
        { upstream: label, consecutiveFailures: h.consecutiveFailures, probeEveryMs: this.#healthCheckMs },
        'upstream marked down; queries go to the others while it is probed',
      );
      this.#prober.start(upstream);
    } else {
      this.#log.info({ upstream: label, rttMs: Math.round(h.srttMs ?? 0) }, 'upstream answers again; marked up');
      this.#prober.stop(upstream);
    }
  }
}
