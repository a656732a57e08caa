// What the encoder reports besides the bytes (encodeAnswerLaidOut in encode.ts): where the
// question and each record sit and how each name was written (in full, or ending in a
// compression pointer and where it points, RFC 1035 §4.1.4). The answer cache
// (answer/pre-encode.ts, answer/negative-tail.ts) decides from it how a pre-encoded reply can be
// cut, rotated and re-pointed, instead of walking the bytes again.

/** One domain name as the encoder wrote it. */
export interface WrittenName {
  /** Offset of its first octet. */
  readonly at: number;
  /** Offset just after it (after the pointer when it ends in one). */
  readonly end: number;
  /** Where the compression pointer ending it points; -1 when written out to the root label. */
  readonly pointer: number;
}

export interface WrittenRecord {
  /** Offset of the owner name. */
  readonly start: number;
  /** Offset just after the RDATA. */
  readonly end: number;
  readonly type: number;
  /** The owner, then the names in RDATA in wire order: NS target; SOA MNAME, RNAME; SRV target. */
  readonly names: readonly WrittenName[];
}

export interface WireLayout {
  /** The question's QNAME; undefined when the reply carries no question. */
  readonly qname: WrittenName | undefined;
  /** Offset just after the question section (the header's length without a question). */
  readonly questionEnd: number;
  /** Every record in the reply, in wire order (answer, authority, additional); our OPT excluded. */
  readonly records: readonly WrittenRecord[];
}
