// "Logged once per failure streak": the first failure of a run is an error line, repeats of it
// are debug lines, and the first success after failures is one info line saying how many failed.
import type { Logger } from './log.js';

export class FailureStreak {
  #failures = 0;
  constructor(
    private readonly logger: Logger,
    private readonly what: string,
  ) {}

  get failures(): number {
    return this.#failures;
  }

  fail(err: unknown): void {
    this.#failures++;
    if (this.#failures === 1) this.logger.error({ err }, `${this.what} failed; keeping the last good table`);
    else this.logger.debug({ err, failures: this.#failures }, `${this.what} still failing`);
  }

  ok(): void {
    if (this.#failures > 0) this.logger.info({ failures: this.#failures }, `${this.what} recovered`);
    this.#failures = 0;
  }
}
