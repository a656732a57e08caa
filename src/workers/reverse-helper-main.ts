// Entry point of the reverse helper thread (reverse-helper.ts starts one per large build): it
// makes one build's reverse table (records/reverse-from-ids.ts, pure) from the input the build
// posts, while the main thread finishes the forward table, posts the packed result back (its
// arrays are in one SharedArrayBuffer: shared, not copied) with the time its making took, and
// waits to be terminated.
import { parentPort, workerData } from 'node:worker_threads';
import { reverseMessageFromIds, type ReverseInput } from '../records/reverse-from-ids.js';
import { packStrings, type StringBlob } from '../records/packed-table.js';

if (parentPort === null) {
  process.stderr.write('reverse-helper-main is started by mesos-dns-ts as a worker thread, not directly\n');
  process.exit(1);
}
const port = parentPort;

/** A blob as it arrives (its bytes a plain Uint8Array) with its bytes as a Buffer again (stringAt decodes with it). */
function blob(b: StringBlob): StringBlob {
  return { bytes: Buffer.from(b.bytes.buffer, b.bytes.byteOffset, b.bytes.byteLength), ends: b.ends };
}

/**
 * A small made-up input of the same shapes (canonical and task names, IPv4 addresses, a shared
 * names blob): run while the build's tasks are still being added, so that the code is compiled
 * and optimised by the time the real input comes. Without it, the first and only run of a fresh
 * thread is its slowest (measured: about a third slower at 100,000 tasks).
 */
function warmUpInput(tasks: number): ReverseInput {
  const names: string[] = [];
  const entries = new Int32Array(3 * tasks);
  const ips: string[] = [];
  for (let i = 0; i < tasks; i++) {
    const label = `warm${(i * 7919) % tasks}`;
    names.push(`${label}-x${i % 10}a1b-s1.fw.mesos.`, `${label}.fw.mesos.`);
    ips.push(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    entries.set([i, 2 * i, 2 * i + 1], 3 * i);
  }
  const packed = packStrings(names);
  const shared = Buffer.from(new SharedArrayBuffer(packed.bytes.length));
  packed.bytes.copy(shared);
  return { tasks: entries, owners: new Int32Array([0, 0]), names: { bytes: shared, ends: packed.ends }, ips: packStrings(ips), configuredZones: [] };
}

let input: ReverseInput | undefined;
let warm = false;
function makeIfReady(): void {
  if (input === undefined || !warm) return;
  const started = performance.now();
  const cpu = process.threadCpuUsage();
  const message = reverseMessageFromIds({ ...input, names: blob(input.names), ips: blob(input.ips) });
  const used = process.threadCpuUsage(cpu);
  port.postMessage({ message, ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000 });
}
port.once('message', (m: ReverseInput) => {
  input = m;
  makeIfReady();
});
// After this turn, so that an input already waiting is not held up by the made-up one's making.
setImmediate(() => {
  // Sized from the build's task count (a fifth of it, at most 20,000 tasks): a smaller build's
  // input comes sooner, and must not wait for a warm-up longer than its own making.
  const tasks = Math.min(20_000, Math.floor(((workerData as { tasks?: number } | null)?.tasks ?? 0) / 5));
  if (input === undefined && tasks > 0) {
    const sample = warmUpInput(tasks);
    for (let i = 0; i < 3; i++) reverseMessageFromIds(sample);
  }
  warm = true;
  makeIfReady();
});
