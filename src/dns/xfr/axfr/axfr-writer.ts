// Whole-zone transfer messages written record by record into one buffer, with names as ids
// (packed-wire.ts). It lays messages out exactly as messages.ts transferMessages does, so the
// bytes are the same: the header (ID 0, QR, AA, opcode QUERY), the question in the first
// message only (RFC 5936 §2.2.1), records until one ends past the limit, which then goes first
// into the next message; names compressed to the longest suffix written before in the same
// message (RFC 1035 §4.1.4; pointers reach offsets up to 0x3FFF only), the first place a suffix
// was written being the one pointed at. SRV targets are written in full (RFC 2782) but their
// suffixes are remembered, as NameCompressor does.
import { HEADER_LENGTH, MAX_POINTER_OFFSET, TCP_MAX } from '../../wire/constants.js';
import { QCLASS, QTYPE } from '../../wire/message.js';
import { ROOT, type PackedWire } from './packed-wire.js';

/** Room past the limit for the record that overflows it: a 255-octet owner, its fixed part, RDATA with a 255-octet name. */
const OVERFLOW_ROOM = 1024;

export class AxfrWriter {
  readonly #names: PackedWire;
  readonly #limit: number;
  readonly #question: number;
  readonly #buf = Buffer.allocUnsafe(TCP_MAX + OVERFLOW_ROOM);
  /** Per name id: where it was written in the current message, valid when #stamp[id] is #message. */
  #offset: Int32Array;
  #stamp: Int32Array;
  #message = 0;
  #count = 0;
  #recordAt = 0;
  #lengthAt = 0;
  pos = 0;

  /** `limit`: octets a message may have (65535 less room for a TSIG RR); `question`: the apex's name id. */
  constructor(names: PackedWire, limit: number, question: number) {
    this.#names = names;
    this.#limit = limit;
    this.#question = question;
    this.#offset = new Int32Array(names.size + 64);
    this.#stamp = new Int32Array(names.size + 64);
    this.#start();
  }

  /**
   * Starts a record: owner (compressed), type, class IN, TTL, and room for RDLENGTH. The owner
   * is an id from PackedWire, never INVALID (the caller skips those records).
   */
  begin(owner: number, type: number, ttl: number): void {
    this.#recordAt = this.pos;
    this.name(owner, true);
    const b = this.#buf;
    let p = this.pos;
    b[p] = type >> 8;
    b[p + 1] = type & 0xff;
    b[p + 2] = QCLASS.IN >> 8;
    b[p + 3] = QCLASS.IN & 0xff;
    b[p + 4] = ttl >>> 24;
    b[p + 5] = (ttl >>> 16) & 0xff;
    b[p + 6] = (ttl >>> 8) & 0xff;
    b[p + 7] = ttl & 0xff;
    this.#lengthAt = p + 8;
    this.pos = p + 10;
  }

  u16(v: number): void {
    this.#buf[this.pos] = v >> 8;
    this.#buf[this.pos + 1] = v & 0xff;
    this.pos += 2;
  }

  u32(v: number): void {
    this.#buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }

  i32(v: number): void {
    this.#buf.writeInt32BE(v, this.pos);
    this.pos += 4;
  }

  bytes(b: Buffer): void {
    b.copy(this.#buf, this.pos);
    this.pos += b.length;
  }

  /**
   * Ends the record begun last. When it ends past the limit (and is not the message's only one),
   * the message is finished without it and returned: the caller writes the same record again,
   * into the next message, and ends it (then it fits).
   */
  end(): Buffer | undefined {
    const length = this.pos - this.#lengthAt - 2;
    this.#buf[this.#lengthAt] = length >> 8;
    this.#buf[this.#lengthAt + 1] = length & 0xff;
    if (this.pos > this.#limit && this.#count > 0) {
      this.pos = this.#recordAt;
      const done = this.finish();
      this.#start();
      return done;
    }
    this.#count++;
    return undefined;
  }

  /** The current message, as its own buffer of its exact length. */
  finish(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.#buf.copy(out, 0, 0, this.pos);
    out[0] = 0;
    out[1] = 0;
    out[2] = 0x80 | 0x04; // QR, opcode QUERY, AA; RD is the request's (transfer-service.ts)
    out[3] = 0;
    const first = this.#message === 1;
    out[4] = 0;
    out[5] = first ? 1 : 0;
    out[6] = this.#count >> 8;
    out[7] = this.#count & 0xff;
    out.fill(0, 8, 12);
    return out;
  }

  /**
   * Writes name `id` at pos: compressed, up to the longest suffix written before in this
   * message; or in full (`compress` false), remembering its suffixes all the same.
   */
  name(id: number, compress: boolean): void {
    const names = this.#names;
    if (id >= this.#offset.length) this.#grow(names.size);
    const offset = this.#offset;
    const stamp = this.#stamp;
    const message = this.#message;
    const b = this.#buf;
    let p = this.pos;
    let remember = true;
    for (let at = id; ; at = names.parent(at)) {
      if (at === ROOT) {
        b[p++] = 0;
        break;
      }
      if (stamp[at] === message) {
        if (compress) {
          const target = offset[at];
          b[p] = 0xc0 | (target >> 8);
          b[p + 1] = target & 0xff;
          p += 2;
          break;
        }
        // Known: so are its parents, or they lie past the pointer range (they were written
        // after it, and we write after that), so nothing more is remembered.
        remember = false;
      } else if (remember && p <= MAX_POINTER_OFFSET) {
        stamp[at] = message;
        offset[at] = p;
      }
      p = names.writeLabel(at, b, p);
    }
    this.pos = p;
  }

  #grow(size: number): void {
    const offset = new Int32Array(size * 2);
    const stamp = new Int32Array(size * 2);
    offset.set(this.#offset);
    stamp.set(this.#stamp);
    this.#offset = offset;
    this.#stamp = stamp;
  }

  #start(): void {
    this.#message++;
    this.#count = 0;
    this.pos = HEADER_LENGTH;
    if (this.#message === 1) {
      this.name(this.#question, true);
      this.u16(QTYPE.AXFR);
      this.u16(QCLASS.IN);
    }
  }
}
