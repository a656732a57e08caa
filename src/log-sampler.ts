// Rate-limits one kind of log line: at most one per interval, carrying how many were held back
// since the previous one. For failures that happen per query: with an upstream down under load,
// "forwarding failed" would otherwise be written tens of thousands of times a second, drowning
// the log and costing the serving thread more than the answers. The counters in /metrics still
// count every one. The clock is passed in, so the behaviour is testable without waiting.
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
}
