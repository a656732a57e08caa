// How current the served table is, as the state source reports it (the input /ready and the
// stale-table watch need besides the table itself), and the watch that logs when the table
// crosses ReadyMaxTableAgeSeconds: one warning when it goes stale, one info line when it is fresh
// again, never a line per request or per poll. DNS keeps answering from a stale table.
import type { Logger } from './log.js';
import type { Readiness } from './readiness.js';

/** What a state source tells about itself. */
export interface SourceHealth {
  /** A state was fetched or read and published: the table matches the cluster now. */
  ok(): void;
  /** A fetch or read failed; the table was kept. */
  failed(err: unknown): void;
  /** A live feed (the event stream) is connected (true) or lost (false); while connected, the table is current. */
  live(on: boolean): void;
}

export interface FreshnessView {
  currentAt: number | undefined;
  failingSince: number | undefined;
  lastError: string | undefined;
}

export class Freshness implements SourceHealth {
  #currentAt: number | undefined;
  #failingSince: number | undefined;
  #lastError: string | undefined;
  #live = false;

  /** `now` in seconds, the clock /ready and the watch use too. */
  constructor(private readonly now: () => number) {}

  ok(): void {
    this.#currentAt = this.now();
    this.#failingSince = undefined;
  }

  failed(err: unknown): void {
    this.#failingSince ??= this.now();
    this.#lastError = err instanceof Error ? err.message : String(err);
  }

  live(on: boolean): void {
    if (on) {
      this.#live = true;
      this.ok();
    } else if (this.#live) {
      // Current until this moment; from here on it ages like a polled table.
      this.#live = false;
      this.#currentAt = this.now();
    }
  }

  view(): FreshnessView {
    return { currentAt: this.#live ? this.now() : this.#currentAt, failingSince: this.#failingSince, lastError: this.#lastError };
  }
}

/**
 * Re-evaluates readiness every 250 ms (a few comparisons) while `maxAgeSeconds()` is set, and
 * logs each crossing of the stale line, so a crossing is logged within a moment of happening.
 */
export function watchStaleness(opts: { evaluate: () => Readiness; maxAgeSeconds: () => number; logger: Logger }): { close(): void } {
  const log = opts.logger.child({ component: 'freshness' });
  let stale = false;
  const tick = (): void => {
    if (opts.maxAgeSeconds() <= 0) {
      stale = false;
      return;
    }
    const r = opts.evaluate();
    if (r.stale && !stale) {
      log.warn(
        { reason: r.reason, tableAgeSeconds: r.tableAgeSeconds, generation: r.generation, lastStateError: r.lastStateError },
        'table is stale (ReadyMaxTableAgeSeconds); still answering from it',
      );
    } else if (!r.stale && stale) {
      log.info({ tableAgeSeconds: r.tableAgeSeconds, generation: r.generation }, 'table is fresh again');
    }
    stale = r.stale;
  };
  const timer = setInterval(tick, 250);
  timer.unref();
  return { close: () => clearInterval(timer) };
}
