// Incremental decoder for Mesos RecordIO: `record = record-size LF record-data`,
// where record-size is the decimal byte length of record-data. The Operator API's SUBSCRIBE stream
// is framed this way. HTTP chunk boundaries carry no meaning (proxies may re-chunk), so the decoder
// works on the byte stream: a length may be split across chunks, a record may span many chunks and
// one chunk may hold many records.
import { StreamError } from '../errors.js';

/** 256 MiB: a generous bound for one event (a SUBSCRIBED snapshot of a large cluster), small
 * enough that a corrupted length cannot make us buffer without limit. */
export const DEFAULT_MAX_RECORD_BYTES = 256 * 1024 * 1024;

const LF = 0x0a;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

export interface RecordIODecoderOptions {
  /** Largest record-data accepted; a larger announced size is garbage. */
  maxRecordBytes?: number;
  /**
   * Asked at the start of each non-empty record, once its size is known: a sink that takes the
   * record's bytes as they arrive instead of the decoder collecting them (the stream's native
   * reader reads its first record while it arrives, as a Content-Length body is read). The record
   * then comes out as the sink's `bytes`, once all of them were pushed.
   */
  sinkFor?: (size: number) => RecordSink | undefined;
}

/** Where a record's bytes go as they arrive (ArrivingDocument is one). */
export interface RecordSink {
  /** Appends the next bytes of the record. */
  push(chunk: Uint8Array): boolean;
  /** The whole record, once every byte was pushed. */
  readonly bytes: Buffer;
}

/**
 * Feed bytes in with push(); complete records come out. After push() throws a StreamError the
 * framing is lost for good (there is no resynchronisation point in RecordIO), so the caller must
 * drop the decoder along with the connection.
 */
export class RecordIODecoder {
  readonly #max: number;
  readonly #sinkFor: RecordIODecoderOptions['sinkFor'];
  #sink: RecordSink | undefined;
  /** Size being read: digits seen so far, and its value. */
  #sizeDigits = 0;
  #size = 0;
  /** Reading record-data: parts collected so far and how many bytes are still missing. */
  #inRecord = false;
  #parts: Buffer[] = [];
  #collected = 0;
  #failed: StreamError | undefined;

  constructor(options: RecordIODecoderOptions = {}) {
    this.#max = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    this.#sinkFor = options.sinkFor;
  }

  /** Bytes held for a record that is not complete yet (its size digits and data so far). 0 means
   * the stream is at a record boundary, so an end of stream there is clean. */
  get pending(): number {
    return this.#sizeDigits + this.#collected;
  }

  push(chunk: Buffer): Buffer[] {
    if (this.#failed) throw this.#failed;
    const records: Buffer[] = [];
    let i = 0;
    while (i < chunk.length) {
      if (!this.#inRecord) {
        const byte = chunk[i++];
        if (byte === LF) {
          if (this.#sizeDigits === 0) this.#fail('RecordIO: empty record size');
          this.#inRecord = true;
          if (this.#size === 0) records.push(this.#finishRecord());
          else this.#sink = this.#sinkFor?.(this.#size);
          continue;
        }
        if (byte < DIGIT_0 || byte > DIGIT_9) {
          this.#fail(`RecordIO: unexpected byte 0x${byte.toString(16).padStart(2, '0')} in record size`);
        }
        this.#size = this.#size * 10 + (byte - DIGIT_0);
        this.#sizeDigits++;
        // Checked per digit so that an endless run of digits is rejected as soon as it exceeds
        // the bound, not after it has been buffered.
        if (this.#size > this.#max) this.#fail(`RecordIO: record size exceeds ${this.#max} bytes`);
        continue;
      }
      const missing = this.#size - this.#collected;
      const take = Math.min(missing, chunk.length - i);
      if (this.#sink) this.#sink.push(chunk.subarray(i, i + take));
      else this.#parts.push(chunk.subarray(i, i + take));
      this.#collected += take;
      i += take;
      if (this.#collected === this.#size) records.push(this.#finishRecord());
    }
    return records;
  }

  #finishRecord(): Buffer {
    const record = this.#sink ? this.#sink.bytes : this.#parts.length === 1 ? this.#parts[0] : Buffer.concat(this.#parts, this.#collected);
    this.#sink = undefined;
    this.#parts = [];
    this.#collected = 0;
    this.#size = 0;
    this.#sizeDigits = 0;
    this.#inRecord = false;
    return record;
  }

  #fail(message: string): never {
    this.#failed = new StreamError(message);
    this.#parts = [];
    this.#sink = undefined;
    throw this.#failed;
  }
}

/** Frame one record (used by the stand-in master in tests, and handy for anyone producing RecordIO). */
export function encodeRecord(data: Buffer | string): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return Buffer.concat([Buffer.from(`${bytes.length}\n`, 'ascii'), bytes]);
}
