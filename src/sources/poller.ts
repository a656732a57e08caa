// Polling /master/state every refreshSeconds (mesos-dns's only mode; ours when the Operator API
// stream is unavailable). The next poll is scheduled after the previous one finishes, never with
// setInterval, so a slow master cannot pile requests up.
import { fetchLeaderState } from '../mesos/fetch-state.js';
import type { MasterHttp } from '../mesos/master-http.js';
import { FailureStreak } from '../failure-streak.js';
import type { Logger } from '../log.js';
import type { MasterState } from '../mesos/state.js';

export interface MastersView {
  /** Known masters, leader first when known. */
  masters: readonly string[];
  leader?: string;
}

export interface PollerOptions {
  http: MasterHttp;
  masters: () => MastersView;
  intervalMs: number;
  /** Receives every state fetched; resolves when it has been published. */
  onState: (state: MasterState, master: string) => Promise<void>;
  /** Scheduled polls are skipped while this says so (the event stream is delivering). */
  skip?: () => boolean;
  logger: Logger;
}

export class StatePoller {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<boolean> | undefined;
  #stopped = true;
  readonly #streak: FailureStreak;

  constructor(private readonly opts: PollerOptions) {
    this.#streak = new FailureStreak(opts.logger, 'state refresh');
  }

  start(): void {
    this.#stopped = false;
    void this.#loop();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Poll now (e.g. the leader changed); concurrent calls share one fetch. Resolves to success. */
  refreshNow(): Promise<boolean> {
    this.#running ??= this.#refresh().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #refresh(): Promise<boolean> {
    const view = this.opts.masters();
    try {
      const { state, master } = await fetchLeaderState(this.opts.http, view.masters, view.leader);
      await this.opts.onState(state, master);
      this.#streak.ok();
      return true;
    } catch (err) {
      this.#streak.fail(err);
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
