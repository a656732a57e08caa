/**
 * The string table the native readers (native/state-reader.c for /master/state, the v1 SUBSCRIBED
 * reader) hand back: every string's bytes one after another, the end offset of each, and a flag
 * byte per string whose bit 1 says it is ASCII. read-state.ts and read-subscribed.ts both read
 * their strings through this.
 */

/** The fields of a native reader's result that hold its string table. */
export interface NativeStringTable {
  stringBytes: Uint8Array;
  stringEnds: Int32Array;
  stringAscii: Uint8Array;
}

/**
 * String `id` of the table, each decoded once; '' for -1 (an absent or null field, which the
 * JavaScript parsers read as `?? ''`).
 */
export function stringTable(out: NativeStringTable): (id: number) => string {
  const table = Buffer.from(out.stringBytes.buffer, out.stringBytes.byteOffset, out.stringBytes.byteLength);
  const ends = out.stringEnds;
  const flags = out.stringAscii;
  // All strings decoded in one call, each ASCII one then cut out of it (String.prototype.slice is
  // a builtin; a Buffer.toString per string was most of the readers' time). In a Latin-1
  // decoding, character offsets are byte offsets, so ASCII strings come out right whatever else
  // the table holds; the others are decoded from UTF-8 one by one.
  const all = table.toString('latin1');
  const strings: (string | undefined)[] = new Array(ends.length);
  return (id: number): string => {
    if (id < 0) return '';
    let s = strings[id];
    if (s === undefined) {
      const start = id === 0 ? 0 : ends[id - 1];
      s = (flags[id] & 1) === 1 ? all.slice(start, ends[id]) : table.toString('utf8', start, ends[id]);
      strings[id] = s;
    }
    return s;
  };
}
