// The offline source (our `StateFile` key): a master state JSON on disk, re-read whenever it
// changes. fs.watchFile polls stat(), which survives editors that replace the file by rename.
import { readFile } from 'node:fs/promises';
import { watchFile, unwatchFile, type Stats } from 'node:fs';
import { readStateBytes, type StateReaderAddon } from '../mesos/read-state.js';
import type { MasterState } from '../mesos/state.js';
import { FailureStreak } from '../failure-streak.js';
import type { Logger } from '../log.js';
import { NO_SOURCE_METRICS, type SourceMetrics } from './source-metrics.js';

export class StateFileSource {
  readonly #streak: FailureStreak;
  readonly #log: Logger;
  #listener: ((curr: Stats, prev: Stats) => void) | undefined;

  constructor(
    private readonly path: string,
    private readonly onState: (state: MasterState) => Promise<void>,
    logger: Logger,
    private readonly pollMs = 1000,
    /** Reads the file (read-state.ts); null reads it with JSON.parse. */
    private readonly reader: StateReaderAddon | null = null,
    private readonly metrics: SourceMetrics = NO_SOURCE_METRICS,
  ) {
    this.#log = logger.child({ component: 'state-file' });
    this.#streak = new FailureStreak(this.#log, `reading state file ${path}`);
  }

  /** Loads once; resolves to whether that first load succeeded. Then watches for changes. */
  async start(): Promise<boolean> {
    const ok = await this.load();
    this.#listener = (curr, prev) => {
      if (curr.mtimeMs !== prev.mtimeMs || curr.size !== prev.size || curr.ino !== prev.ino) void this.load();
    };
    watchFile(this.path, { interval: this.pollMs, persistent: false }, this.#listener);
    return ok;
  }

  async load(): Promise<boolean> {
    const started = performance.now();
    let bytes: number | undefined;
    let fetched = false;
    try {
      const body = await readFile(this.path);
      bytes = body.length;
      const { state, declined } = readStateBytes(body, this.reader);
      this.metrics.stateFetched('ok', (performance.now() - started) / 1000, bytes);
      fetched = true;
      await this.onState(state);
      this.#streak.ok();
      this.#log.debug({ path: this.path, ...(declined === undefined ? {} : { declined }) }, 'state file loaded');
      return true;
    } catch (err) {
      // A build that fails after a good read is not a failed fetch.
      if (!fetched) this.metrics.stateFetched('error', (performance.now() - started) / 1000, bytes);
      this.#streak.fail(err);
      return false;
    }
  }

  stop(): void {
    if (this.#listener) unwatchFile(this.path, this.#listener);
    this.#listener = undefined;
  }
}
