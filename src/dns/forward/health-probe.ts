// Background probes of upstreams marked down: a real DNS query, `. IN NS` over UDP (what
// CoreDNS's forward plugin sends), every `intervalMs` while the upstream is down. Any reply that
// matches the probe, whatever its rcode, means the path works again (the upstream answering
// REFUSED or SERVFAIL is alive). Bounded: at most one probe in flight per down upstream, each
// cancelled after `intervalMs`, nothing while every upstream is up; close() stops them all.
import type { Logger } from '../../log.js';
import type { Upstream } from '../answer/route.js';
import { scanMessage } from '../wire/reply-scan.js';
import { startExchange, upstreamLabel } from './exchange.js';

/** `. IN NS`, RD set (the upstream is a recursive resolver to us), under `id`. */
export function probeQuery(id: number): Buffer {
  const q = Buffer.alloc(12 + 5);
  q.writeUInt16BE(id, 0);
  q.writeUInt16BE(0x0100, 2); // RD
  q.writeUInt16BE(1, 4); // QDCOUNT
  q[12] = 0; // the root name
  q.writeUInt16BE(2, 13); // NS (RFC 1035 §3.2.2)
  q.writeUInt16BE(1, 15); // IN
  return q;
}

export interface HealthProberOptions {
  intervalMs: number;
  queryId: () => number;
  /** The probe of `upstream` got a matching reply after `rttMs`; probing it stops. */
  onAlive: (upstream: Upstream, rttMs: number) => void;
  logger: Logger;
  /** Milliseconds, monotonic. */
  now: () => number;
}

interface Probing {
  timer?: NodeJS.Timeout;
  cancel?: () => void;
}

export class HealthProber {
  readonly #options: HealthProberOptions;
  readonly #probing = new Map<string, Probing>();
  #closed = false;

  constructor(options: HealthProberOptions) {
    this.#options = options;
  }

  /** Upstreams being probed now (tests and health views). */
  get probing(): number {
    return this.#probing.size;
  }

  /** Starts probing `upstream` unless it is already probed; the first probe goes out after one interval. */
  start(upstream: Upstream): void {
    const key = upstreamLabel(upstream);
    if (this.#closed || this.#probing.has(key)) return;
    const entry: Probing = {};
    this.#probing.set(key, entry);
    this.#schedule(key, upstream, entry);
  }

  /** Stops probing `upstream` (it answered a query). */
  stop(upstream: Upstream): void {
    const key = upstreamLabel(upstream);
    const entry = this.#probing.get(key);
    if (!entry) return;
    this.#probing.delete(key);
    clearTimeout(entry.timer);
    entry.cancel?.();
  }

  close(): void {
    this.#closed = true;
    for (const entry of this.#probing.values()) {
      clearTimeout(entry.timer);
      entry.cancel?.();
    }
    this.#probing.clear();
  }

  #schedule(key: string, upstream: Upstream, entry: Probing): void {
    const { intervalMs } = this.#options;
    entry.timer = setTimeout(() => this.#probe(key, upstream, entry), intervalMs);
    // Probes never keep the process alive on their own.
    entry.timer.unref();
  }

  #probe(key: string, upstream: Upstream, entry: Probing): void {
    if (this.#probing.get(key) !== entry) return;
    const { queryId, now, logger, intervalMs, onAlive } = this.#options;
    const id = queryId() & 0xffff;
    const query = probeQuery(id);
    const sent = now();
    const expected = { id, questionKey: scanMessage(query).questionKey };
    // The probe's own limit is the interval: one in flight at a time, never a backlog.
    const cancel = startExchange(query, 'udp', upstream, expected, logger, (err) => {
      clearTimeout(entry.timer);
      entry.cancel = undefined;
      if (this.#probing.get(key) !== entry) return;
      if (err === null) {
        this.#probing.delete(key);
        onAlive(upstream, now() - sent);
        return;
      }
      logger.debug({ upstream: key, err: err.message }, 'probe failed');
      this.#schedule(key, upstream, entry);
    });
    entry.cancel = cancel;
    entry.timer = setTimeout(() => {
      cancel();
      entry.cancel = undefined;
      if (this.#probing.get(key) !== entry) return;
      logger.debug({ upstream: key }, `probe not answered within ${intervalMs} ms`);
      this.#probe(key, upstream, entry);
    }, intervalMs);
    entry.timer.unref();
  }
}
