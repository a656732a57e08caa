// Rate-limits one kind of log line: at most one per interval, carrying how many were held back
// since the previous one. For failures that happen per query: with an upstream down under load,
// "forwarding failed" would otherwise be written tens of thousands of times a second, drowning
// the log and costing the serving thread more than the answers. The counters in /metrics still
// count every one. The clock is passed in, so the behaviour is testable without waiting.
//
// Use one sampler per reason (one per kind of line, per thread): a sampler shared by two
// reasons would let one hide the other, and a "once per streak" flag reset by every success
// (what the UDP in-flight cap had) lets a flood of alternating failures and successes through.
import type { Logger } from './log.js';

export class LogSampler {
  #last = Number.NEGATIVE_INFINITY;
  #held = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** -1: skip this line. Otherwise write it, noting this many lines held back since the last one. */
  take(): number {
    const t = this.now();
    if (t - this.#last < this.intervalMs) {
      this.#held++;
      return -1;
    }
    this.#last = t;
    const held = this.#held;
    this.#held = 0;
    return held;
  }

  /** Writes the line at `level` unless held back; a written line says how many were held back before it. */
  write(log: Logger, level: 'info' | 'warn' | 'error', fields: Record<string, unknown>, msg: string): void {
    const held = this.take();
    if (held < 0) return;
    log[level](held > 0 ? { ...fields, heldBack: held } : fields, msg);
  }
}
