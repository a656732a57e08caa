import { describe, expect, it } from '@jest/globals';
import { RecordIODecoder, encodeRecord } from '../src/mesos/recordio.js';
import { StreamError } from '../src/errors.js';
import { seededRandom } from './helpers/seeded-random.js';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');
const texts = (records: Buffer[]): string[] => records.map((r) => r.toString('utf8'));

/** Push every chunk and collect all records. */
function decodeAll(chunks: (string | Buffer)[], decoder = new RecordIODecoder()): string[] {
  return chunks.flatMap((c) => texts(decoder.push(typeof c === 'string' ? b(c) : c)));
}


describe('RecordIODecoder', () => {
  it.each<[string, (string | Buffer)[], string[]]>([
    ['the docs example, one chunk', ['20\n{"type":"HEARTBEAT"}'], ['{"type":"HEARTBEAT"}']],
    ['many records in one chunk', ['3\nabc2\nde1\nf'], ['abc', 'de', 'f']],
    ['length split across chunks', ['1', '0\n0123456789'], ['0123456789']],
    ['LF in its own chunk', ['5', '\n', 'hello'], ['hello']],
    ['record split across many chunks', ['5\nh', 'e', 'l', 'l', 'o'], ['hello']],
    ['record end and next length in one chunk', ['2\nab3', '\nxyz'], ['ab', 'xyz']],
    ['an empty record', ['0\n2\nok'], ['', 'ok']],
    ['record data containing LF and digits', ['4\n1\n2\n'], ['1\n2\n']],
    ['multi-byte UTF-8 counted in bytes', [`${Buffer.byteLength('é✓')}\né✓`], ['é✓']],
    ['nothing', [''], []],
  ])('%s', (_name, chunks, expected) => {
    expect(decodeAll(chunks)).toEqual(expected);
  });

  it('reports pending bytes of an incomplete record and 0 at a record boundary', () => {
    const d = new RecordIODecoder();
    expect(d.pending).toBe(0);
    d.push(b('1'));
    expect(d.pending).toBe(1);
    d.push(b('0\nabc'));
    expect(d.pending).toBe(2 + 3);
    expect(texts(d.push(b('defghij')))).toEqual(['abcdefghij']);
    expect(d.pending).toBe(0);
  });

  it.each<[string, string[], RegExp]>([
    ['a non-digit in the size', ['12a\n'], /unexpected byte 0x61/],
    ['JSON where a size should be', ['{"type":"HEARTBEAT"}'], /unexpected byte 0x7b/],
    ['a negative size', ['-1\n'], /unexpected byte 0x2d/],
    ['an empty size (LF first)', ['\n'], /empty record size/],
    ['a size over the limit', ['1025\n'], /exceeds 1024/],
    ['an endless run of digits', ['9'.repeat(40)], /exceeds 1024/],
    ['missing LF after the size (data follows directly)', ['3abc'], /unexpected byte 0x61/],
    ['garbage after a good record', ['2\nok', 'xx'], /unexpected byte 0x78/],
  ])('throws StreamError on %s', (_name, chunks, message) => {
    const d = new RecordIODecoder({ maxRecordBytes: 1024 });
    let thrown: unknown;
    try {
      for (const c of chunks) d.push(b(c));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(StreamError);
    expect((thrown as StreamError).code).toBe('MDNS_ERR_STREAM');
    expect((thrown as Error).message).toMatch(message);
    // framing is lost for good: later pushes keep failing instead of yielding misaligned records
    expect(() => d.push(b('2\nok'))).toThrow(StreamError);
  });

  it('accepts a record exactly at the size limit', () => {
    const d = new RecordIODecoder({ maxRecordBytes: 4 });
    expect(texts(d.push(encodeRecord('abcd')))).toEqual(['abcd']);
  });

  it('hands a record to the sink it asks for as the bytes arrive, and gives out the sink\'s bytes', () => {
    const sizes: number[] = [];
    const pushed: string[] = [];
    let sink: { bytes: Buffer; filled: number; push(chunk: Uint8Array): boolean } | undefined;
    const decoder = new RecordIODecoder({
      sinkFor: (size) => {
        sizes.push(size);
        if (sink) return undefined; // only the first record
        sink = { bytes: Buffer.alloc(size), filled: 0, push(chunk) { pushed.push(Buffer.from(chunk).toString()); this.bytes.set(chunk, this.filled); this.filled += chunk.length; return true; } };
        return sink;
      },
    });
    expect(decodeAll(['11\nhello', ' wor', 'ld3\nabc0\n', '2\nxy'], decoder)).toEqual(['hello world', 'abc', '', 'xy']);
    // Asked once per non-empty record, with its size; the first record went through the sink only.
    expect(sizes).toEqual([11, 3, 2]);
    expect(pushed).toEqual(['hello', ' wor', 'ld']);
    expect(sink?.filled).toBe(11);
  });

  it('decodes the same records however the byte stream is re-chunked (property)', () => {
    const random = seededRandom(0xdec0de);
    for (let round = 0; round < 200; round++) {
      const count = 1 + Math.floor(random() * 12);
      const records: Buffer[] = [];
      for (let i = 0; i < count; i++) {
        // sizes from 0 up to a few KB, including ones whose decimal length has several digits
        const size = random() < 0.2 ? 0 : Math.floor(random() ** 3 * 5000);
        const record = Buffer.alloc(size);
        for (let j = 0; j < size; j++) record[j] = Math.floor(random() * 256);
        records.push(record);
      }
      const stream = Buffer.concat(records.map((r) => encodeRecord(r)));
      const decoder = new RecordIODecoder();
      const out: Buffer[] = [];
      let at = 0;
      while (at < stream.length) {
        const take = random() < 0.3 ? 1 : 1 + Math.floor(random() * 700);
        out.push(...decoder.push(stream.subarray(at, at + take)));
        at += take;
      }
      expect(decoder.pending).toBe(0);
      expect(out.length).toBe(records.length);
      out.forEach((r, i) => expect(r.equals(records[i])).toBe(true));
    }
  });
});
