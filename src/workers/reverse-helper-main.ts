// Entry point of the reverse helper thread (reverse-helper.ts starts one per large build): it
// makes one build's reverse table (records/reverse-from-ids.ts, pure) from the input the build
// posts, while the main thread finishes the forward table, posts the packed result back (its
// arrays are in one SharedArrayBuffer: shared, not copied) and waits to be terminated.
import { parentPort } from 'node:worker_threads';
import { reverseMessageFromIds, type ReverseInput } from '../records/reverse-from-ids.js';
import type { StringBlob } from '../records/packed-table.js';

if (parentPort === null) {
  process.stderr.write('reverse-helper-main is started by mesos-dns-ts as a worker thread, not directly\n');
  process.exit(1);
}
const port = parentPort;

/** A blob as it arrives (its bytes a plain Uint8Array) with its bytes as a Buffer again (stringAt decodes with it). */
function blob(b: StringBlob): StringBlob {
  return { bytes: Buffer.from(b.bytes.buffer, b.bytes.byteOffset, b.bytes.byteLength), ends: b.ends };
}

port.once('message', (input: ReverseInput) => {
  port.postMessage(reverseMessageFromIds({ ...input, names: blob(input.names), ips: blob(input.ips) }));
});
