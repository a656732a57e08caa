// Polling /master/state every refreshSeconds (mesos-dns's only mode; ours when the Operator API
// stream is unavailable). The next poll is scheduled after the previous one finishes, never with
// setInterval, so a slow master cannot pile requests up.
import { fetchLeaderState } from '../mesos/fetch-state.js';
import type { MasterHttp } from '../mesos/master-http.js';
import { FailureStreak } from '../failure-streak.js';
import type { SourceHealth } from '../freshness.js';
import type { Logger } from '../log.js';
import type { StateReaderAddon } from '../mesos/read-state.js';
import type { MasterState } from '../mesos/state.js';
import { joinHostPort, type HostPort } from '../net/address.js';
import { NO_SOURCE_METRICS, type SourceMetrics } from './source-metrics.js';

export interface MastersView {
  /** Known masters, leader first when known. */
  masters: readonly HostPort[];
  leader?: HostPort;
}

export interface PollerOptions {
  http: MasterHttp;
  masters: () => MastersView;
  intervalMs: number;
  /** Receives every state fetched; resolves when it has been published. */
  onState: (state: MasterState, master: HostPort) => Promise<void>;
  /** Scheduled polls are skipped while this says so (the event stream is delivering). */
  skip?: () => boolean;
  /** Reads the fetched documents (read-state.ts); null reads them with JSON.parse. */
  stateReader: StateReaderAddon | null;
  logger: Logger;
  /** Told of each failed poll (/ready: how long the source has been failing). */
  health?: SourceHealth;
  metrics?: SourceMetrics;
}

export class StatePoller {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<boolean> | undefined;
  #stopped = true;
  /** Bumped when the masters change: a fetch started before then is from the old view. */
  #epoch = 0;
  readonly #streak: FailureStreak;
  readonly #log: Logger;

  constructor(private readonly opts: PollerOptions) {
    this.#log = opts.logger.child({ component: 'poller' });
    this.#streak = new FailureStreak(this.#log, 'state refresh');
  }

  start(): void {
    this.#stopped = false;
    void this.#loop();
  }

  stop(): void {
    this.#stopped = true;
    // A fetch in flight is now unwanted: neither its state nor its failure (the agent is
    // destroyed under it on close) should be acted on or logged.
    this.invalidate();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Poll now (e.g. the leader changed); concurrent calls share one fetch. Resolves to success. */
  refreshNow(): Promise<boolean> {
    if (this.#running) return this.#running;
    const run = this.#refresh().finally(() => {
      if (this.#running === run) this.#running = undefined;
    });
    this.#running = run;
    return run;
  }

  /**
   * The masters changed (a new leader): a fetch in flight went to the old view and may hang on
   * a dead master, so the next refreshNow() starts a fresh fetch instead of sharing it, and the
   * old fetch's result is dropped when it lands (it must not replace the new leader's state).
   */
  invalidate(): void {
    this.#epoch++;
    this.#running = undefined;
  }

  async #refresh(): Promise<boolean> {
    const epoch = this.#epoch;
    const view = this.opts.masters();
    const metrics = this.opts.metrics ?? NO_SOURCE_METRICS;
    const started = performance.now();
    let fetched = false;
    try {
      const { state, master, readMs, declined, bytes } = await fetchLeaderState(this.opts.http, view.masters, view.leader, this.opts.stateReader);
      metrics.stateFetched('ok', (performance.now() - started) / 1000, bytes);
      fetched = true;
      if (epoch !== this.#epoch) return false;
      this.#log.debug({ master: joinHostPort(master), readMs: Math.round(readMs), ...(declined === undefined ? {} : { declined }) }, 'state fetched');
      await this.opts.onState(state, master);
      this.#streak.ok();
      return true;
    } catch (err) {
      // A build that fails after a good fetch is not a failed fetch.
      if (!fetched) metrics.stateFetched('error', (performance.now() - started) / 1000);
      // A failure against a superseded view says nothing about the current masters.
      if (epoch !== this.#epoch) return false;
      this.#streak.fail(err);
      this.opts.health?.failed(err);
      return false;
    }
  }

  async #loop(): Promise<void> {
    if (this.#stopped) return;
    if (!this.opts.skip?.()) await this.refreshNow();
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#loop(), this.opts.intervalMs);
    this.#timer.unref?.();
  }
}
