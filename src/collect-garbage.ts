// A full garbage collection shortly after each table swap, on the thread that swapped.
//
// Why: a table generation is tens of MB in a SharedArrayBuffer (records/packed-table.ts), and
// the main thread and every DNS worker thread hold a view of it. The memory is freed only once
// each of those threads has collected its views, and V8 collects when a thread allocates: an
// idle thread (a quiet DNS worker, the main thread between state fetches) can keep several old
// generations alive indefinitely. Measured at 100,000 tasks: resident memory grew by ~50 MB per
// reload until each thread collected. The same collection also returns the heap that parsing
// the state took, instead of holding it until the next build.
//
// The collection runs `delayMs` after the last swap (so it never delays serving the new table) and at
// most once per `minIntervalMs` (swaps from the event stream can come several per second).
import v8 from 'node:v8';
import vm from 'node:vm';

/** V8's gc extension; `flavor: 'last-resort'` also compacts and gives free pages back to the system. */
type Gc = (options?: { type?: 'major'; execution?: 'sync'; flavor?: 'regular' | 'last-resort' }) => void;

let cached: Gc | null | undefined;

/** V8's gc(): the global one when Node runs with --expose-gc, else exposed now (process-wide). */
function gcFunction(): Gc | null {
  if (cached !== undefined) return cached;
  const global = (globalThis as { gc?: Gc }).gc;
  if (typeof global === 'function') return (cached = global);
  try {
    // Contexts created after the flag is set (this one, and worker threads started later) get
    // gc(); the flag has no other effect.
    v8.setFlagsFromString('--expose-gc');
    const fn: unknown = vm.runInNewContext('gc');
    cached = typeof fn === 'function' ? (fn as Gc) : null;
  } catch {
    cached = null;
  }
  return cached;
}

export interface CollectorOptions {
  /**
   * Also compact and give emptied pages back to the system (V8's "last resort" collection,
   * several passes). Worth it on the main thread, whose heap a build grows by hundreds of MB;
   * a DNS worker's heap is small, and there a single pass frees the old table without pausing
   * its queries longer than needed.
   */
  shrink?: boolean;
  delayMs?: number;
  minIntervalMs?: number;
  now?: () => number;
  /** Told how long each collection held the thread, ms (a debug line). */
  onCollected?: (ms: number) => void;
  /**
   * True while the thread is in the middle of work that a collection would only delay (a table
   * build between two of its steps): the collection waits another `delayMs`.
   */
  busy?: () => boolean;
}

/** Returns `afterSwap`: call it on every swap; it schedules one collection as described above. */
export function garbageCollector(options: CollectorOptions = {}): { afterSwap(): void; close(): void } {
  const delayMs = options.delayMs ?? 500;
  const minIntervalMs = options.minIntervalMs ?? 2000;
  const now = options.now ?? (() => performance.now());
  const gc = gcFunction();
  const flavor = options.shrink ? 'last-resort' : 'regular';
  let timer: NodeJS.Timeout | undefined;
  let last = -Infinity;
  let swappedAt = -Infinity;
  return {
    afterSwap() {
      swappedAt = now();
      if (gc === null || timer !== undefined) return;
      const wait = Math.max(delayMs, last + minIntervalMs - now());
      const fire = (): void => {
        // Busy, or a swap came meanwhile (one a busy spell ended with): `delayMs` after the last
        // swap at the earliest, so that the collection never holds up taking a new table over.
        const since = now() - swappedAt;
        if (options.busy?.() === true || since < delayMs) {
          timer = setTimeout(fire, options.busy?.() === true ? delayMs : delayMs - since);
          timer.unref();
          return;
        }
        timer = undefined;
        last = now();
        gc({ type: 'major', execution: 'sync', flavor });
        options.onCollected?.(now() - last);
      };
      timer = setTimeout(fire, wait);
      timer.unref();
    },
    close() {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
