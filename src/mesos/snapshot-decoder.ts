// The Operator API stream's RecordIO decoder, with its first record (SUBSCRIBED: the snapshot,
// the one large record of a subscription) read by the native reader on its own thread while it
// arrives: RecordIO puts the record's size first, as Content-Length does for /master/state
// (ArrivingDocument). By the last byte most of the snapshot has been read, and the main thread,
// /health and the DNS answers never wait for the bytes in between.
import { ArrivingDocument, type NativeSubscribed, type StateReaderAddon } from './read-state.js';
import { RecordIODecoder } from './recordio.js';

export class SnapshotDecoder {
  readonly decoder: RecordIODecoder;
  #arriving: ArrivingDocument<NativeSubscribed> | undefined;
  #opened = false;

  /** `reader` null: a plain decoder, the snapshot is read with JSON.parse once complete. */
  constructor(reader: StateReaderAddon | null, maxRecordBytes: number) {
    this.decoder = new RecordIODecoder({
      maxRecordBytes,
      // The first record only: a sink once, whether or not it is still held.
      sinkFor: (size) => (reader === null || this.#opened ? undefined : ((this.#opened = true), (this.#arriving = new ArrivingDocument<NativeSubscribed>(reader, size, true)))),
    });
  }

  /** The native reader's result for the first record, which the decoder has just given out
   * complete; undefined without a reader. Waits for the reader to finish the last bytes. */
  first(): NativeSubscribed | string | undefined {
    const arriving = this.#arriving;
    if (!arriving) return undefined;
    // Let go of the record's buffer (55 MB at 100,000 tasks): this decoder lives as long as the
    // subscription, and the caller holds the record only while it reads it.
    this.#arriving = undefined;
    return arriving.finish()?.native;
  }

  /** The subscription ended: stops the reader of a first record that will not be completed. */
  cancel(): void {
    const arriving = this.#arriving;
    if (!arriving) return;
    this.#arriving = undefined;
    arriving.cancel();
  }
}
