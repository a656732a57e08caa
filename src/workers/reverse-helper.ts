// The thread that makes a large build's PTRs while the main thread finishes its forward table
// (docs/architecture.md "From the snapshot to serving it"). At 100,000 tasks each with an address
// of its own the reverse table is ~0.2-0.3 s of a first build, and at that point the DNS workers
// have nothing to do: a core they leave free does it meanwhile (from 3 cores on,
// reverseHelperUseful). One thread per build, started when the build starts (its start-up
// overlaps the tasks' records), ended when the build has its result: nothing stays resident
// between builds. The work is the pure reverseMessageFromIds; this
// is only the I/O around it. Any failure gives undefined, and the build makes the PTRs itself.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ReverseInput } from '../records/reverse-from-ids.js';
import type { ReverseMessage } from '../records/packed-reverse.js';
import type { StringBlob } from '../records/packed-table.js';
import { workerEntry } from './worker-entry.js';

export interface ReverseHelper {
  /** The reverse table of `input`, made on the helper thread; undefined when it could not be. */
  make(input: ReverseInput): Promise<ReverseMessage | undefined>;
  /** Ends the thread (whether or not make() was called or has finished). */
  close(): void;
  /** Why make() gave undefined, if it did. */
  readonly failure: string | undefined;
  /** How long the helper took to make the result, ms (its own clock, once it has). */
  readonly ms: number | undefined;
  /** The CPU time that took on the helper thread, ms (below `ms`: it waited for a core). */
  readonly cpuMs: number | undefined;
}

/**
 * A core for the helper beside the main thread and V8's own threads. On the 2-core VM of
 * docs/performance.md the helper's ~0.19 s of CPU took 0.3-0.45 s of wall time (the main thread,
 * finishing the forward table, and V8's concurrent collector held both cores), so the build was
 * not shorter; it is started from 3 cores on.
 */
export function reverseHelperUseful(cores = availableParallelism()): boolean {
  return cores > 2;
}

/**
 * Starts the helper thread now, so that it is up (and warmed up, reverse-helper-main.ts) by the
 * time the build posts its input; `tasks`: the build's task count, which sizes the warm-up.
 */
export function startReverseHelper(tasks: number): ReverseHelper {
  let failure: string | undefined;
  let ms: number | undefined;
  let cpuMs: number | undefined;
  let thread: Worker;
  try {
    const entry = workerEntry('reverse-helper-main');
    thread = new Worker(entry.path, { execArgv: entry.execArgv, resourceLimits: entry.resourceLimits, workerData: { tasks } });
  } catch (err) {
    failure = `the helper thread did not start: ${(err as Error).message}`;
    return { make: () => Promise.resolve(undefined), close: () => undefined, failure, ms: undefined, cpuMs: undefined };
  }
  // A helper never keeps the process up (a build given up leaves it to close()).
  thread.unref();
  let closed = false;
  let settled = false;
  const result = new Promise<ReverseMessage | undefined>((resolve) => {
    const settle = (m: ReverseMessage | undefined, why?: string): void => {
      if (settled) return;
      settled = true;
      failure = why;
      resolve(m === undefined ? undefined : received(m));
    };
    thread.once('message', (m: { message: ReverseMessage; ms: number; cpuMs: number }) => {
      ms = m.ms;
      cpuMs = m.cpuMs;
      settle(m.message);
    });
    thread.once('error', (err: Error) => settle(undefined, `the helper thread failed: ${err.message}`));
    thread.once('exit', (code) => settle(undefined, closed ? undefined : `the helper thread exited (${code}) before its result`));
  });
  return {
    make(input) {
      // The names' bytes are in shared memory (name-interner.ts) and go as they are; their ends
      // are copied into a buffer of their own and moved, not cloned with all of the builder's
      // slack (a view clones its whole ArrayBuffer).
      const ends = input.names.ends.slice();
      thread.postMessage({ ...input, names: { bytes: input.names.bytes, ends } }, [ends.buffer]);
      return result;
    },
    close() {
      if (closed) return;
      closed = true;
      void thread.terminate();
    },
    get failure() {
      return failure;
    },
    get ms() {
      return ms;
    },
    get cpuMs() {
      return cpuMs;
    },
  };
}

/** The message as it arrives: its byte arrays are plain Uint8Arrays over the shared buffer; the readers take Buffers. */
function received(m: ReverseMessage): ReverseMessage {
  const blob = (b: StringBlob): StringBlob => ({ bytes: Buffer.from(b.bytes.buffer, b.bytes.byteOffset, b.bytes.byteLength), ends: b.ends });
  return { ...m, packed: { ...m.packed, owners: blob(m.packed.owners), targets: blob(m.packed.targets) } };
}
