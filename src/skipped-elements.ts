// What the readers left out of the documents they read (MasterState.skipped, the stream's
// snapshot and events): logged once per streak and counted for /metrics by kind. A malformed
// task usually stays malformed poll after poll: one line when it first appears, a debug line
// while it stays, one info line when a document no longer has it; a new bad element gets its own
// line. The readers only list what they left out (they are pure); this is where that is told.
import { LogSampler } from './log-sampler.js';
import type { Logger } from './log.js';
import type { SkippedElement } from './mesos/state.js';

/** Lines naming new bad elements per document; the rest are summed up in one line (a master bug
 * could make every task of a large cluster malformed at once). */
const LINES_PER_DOCUMENT = 20;

/** Where documents come from: each keeps its own streaks (their paths differ). */
export type SkipOrigin = 'poll' | 'stream' | 'file';

export type SkipCounts = Record<SkippedElement['kind'], number>;

/** The same element from one document to the next: its id when readable, else its place. */
const keyOf = (e: SkippedElement): string => (e.id === undefined ? `${e.kind} @${e.path}` : `${e.kind} ${e.id}`);

export class SkippedElements {
  /** Elements left out, by kind, since start (every document that left one out counts it again). */
  readonly total: SkipCounts = { agent: 0, framework: 0, task: 0 };
  readonly #log: Logger;
  readonly #streaks = new Map<SkipOrigin, Set<string>>();
  /** Malformed stream events are single occurrences, not streaks: at most one line a second. */
  readonly #events: LogSampler;

  constructor(logger: Logger, now: () => number = Date.now) {
    this.#log = logger.child({ component: 'state-reader' });
    this.#events = new LogSampler(1000, now);
  }

  /** A document from `origin` was read, leaving these elements out (none: undefined or []). */
  document(origin: SkipOrigin, elements: readonly SkippedElement[] = []): void {
    const before = this.#streaks.get(origin) ?? new Set<string>();
    const now = new Set<string>();
    let warned = 0;
    let held = 0;
    for (const e of elements) {
      this.total[e.kind]++;
      const key = keyOf(e);
      if (now.has(key)) continue;
      now.add(key);
      const fields = { origin, kind: e.kind, path: e.path, ...(e.id === undefined ? {} : { id: e.id }), reason: e.reason };
      if (before.has(key)) this.#log.debug(fields, `malformed ${e.kind} still left out`);
      else if (warned < LINES_PER_DOCUMENT) {
        warned++;
        this.#log.warn(fields, `malformed ${e.kind} left out; the rest of the state applies`);
      } else {
        held++;
        this.#log.debug(fields, `malformed ${e.kind} left out; the rest of the state applies`);
      }
    }
    if (held > 0) this.#log.warn({ origin, more: held }, `${held} more malformed elements left out (named in debug lines)`);
    let ended = 0;
    for (const key of before) if (!now.has(key)) ended++;
    if (ended > 0) this.#log.info({ origin, elements: ended }, 'malformed elements no longer in the state');
    this.#streaks.set(origin, now);
  }

  /** A malformed stream event, skipped (the stream goes on). */
  event(e: SkippedElement): void {
    this.total[e.kind]++;
    const held = this.#events.take();
    if (held < 0) return;
    this.#log.warn({ origin: 'stream', kind: e.kind, path: e.path, ...(e.id === undefined ? {} : { id: e.id }), reason: e.reason, held }, 'malformed event skipped; the stream goes on');
  }
}
