// RDATA on the wire, per type (RFC 1035 §3.3, RFC 3596, RFC 2782, RFC 8659): what encode.ts
// writes after an RR's fixed part, and the uncompressed form zones/ sorts RRsets by (RFC 4034
// §6.3). Split out of encode.ts, which keeps the message layout, compression and truncation.
import { ipv4Bytes, ipv6Bytes } from './address-bytes.js';
import { NameCompressor, nameToWire } from './name-wire.js';
import { GENERIC_RDATA, QTYPE, type RData } from './message.js';
import type { WrittenName } from './layout.js';
import { Writer } from './writer.js';

/** An RDATA checked and converted, ready to write: `room` is its largest wire size. */
export interface PreparedRdata {
  data: RData;
  room: number;
  /** Fixed bytes (addresses, character-strings, CAA's tag and value). */
  bytes?: Buffer;
  /** Its names in wire form, in RDATA order. */
  names: Buffer[];
}

/** Undefined when the RDATA cannot be put on the wire (a bad address, an over-long name or string). */
export function prepareRdata(data: RData): PreparedRdata | undefined {
  const names: Buffer[] = [];
  const name = (text: string): boolean => {
    const wire = nameToWire(text);
    if (wire) names.push(wire);
    return wire !== undefined;
  };
  let bytes: Buffer | undefined;
  let fixed = 0;
  switch (data.type) {
    case QTYPE.A:
      bytes = ipv4Bytes(data.address);
      break;
    case QTYPE.AAAA:
      bytes = ipv6Bytes(data.address);
      break;
    case QTYPE.SRV:
      if (!name(data.target)) return undefined;
      fixed = 6;
      break;
    case QTYPE.MX:
      if (!name(data.exchange)) return undefined;
      fixed = 2;
      break;
    case QTYPE.NS:
    case QTYPE.PTR:
    case QTYPE.CNAME:
      if (!name(data.target)) return undefined;
      break;
    case QTYPE.SOA:
      if (!name(data.mname) || !name(data.rname)) return undefined;
      fixed = 20;
      break;
    case QTYPE.TXT:
      bytes = characterStrings(data.texts);
      break;
    case QTYPE.HINFO:
      bytes = characterStrings([data.cpu, data.os]);
      break;
    case GENERIC_RDATA:
      // RFC 3597 §5: the RDATA exactly as given (a DNS message has room for 65535 octets).
      if (data.bytes.length > 0xffff) return undefined;
      return { data, room: data.bytes.length, bytes: Buffer.from(data.bytes.buffer, data.bytes.byteOffset, data.bytes.byteLength), names };
    case QTYPE.CAA: {
      // RFC 8659 §4.1: flags, tag length, tag, value (the rest of the RDATA).
      const tag = Buffer.from(data.tag, 'ascii');
      if (tag.length < 1 || tag.length > 255) return undefined;
      bytes = Buffer.concat([Buffer.from([data.flags & 0xff, tag.length]), tag, data.value]);
      break;
    }
    default:
      return undefined;
  }
  if (bytes === undefined && names.length === 0) return undefined;
  const room = fixed + (bytes?.length ?? 0) + names.reduce((n, b) => n + b.length, 0);
  return bytes ? { data, room, bytes, names } : { data, room, names };
}

/**
 * Writes a prepared RDATA at w.pos (room ensured by the caller). Names are compressed only where
 * RFC 3597 §4 allows it (NS, CNAME, PTR, SOA, MX: the RFC 1035 types); never in SRV (RFC 2782).
 * Without `names` nothing is compressed (the canonical form).
 */
export function writeRdata(w: Writer, names: NameCompressor | undefined, p: PreparedRdata, written: WrittenName[] | undefined): void {
  const data = p.data;
  const put = (wire: Buffer, compress: boolean) => {
    if (names) writeName(w, names, wire, compress, written);
    else w.bytes(wire);
  };
  switch (data.type) {
    case QTYPE.SRV:
      w.u16(data.priority);
      w.u16(data.weight);
      w.u16(data.port);
      put(p.names[0], false);
      break;
    case QTYPE.MX:
      w.u16(data.preference);
      put(p.names[0], true);
      break;
    case QTYPE.NS:
    case QTYPE.PTR:
    case QTYPE.CNAME:
      put(p.names[0], true);
      break;
    case QTYPE.SOA:
      put(p.names[0], true);
      put(p.names[1], true);
      w.u32(data.serial);
      w.u32(data.refresh);
      w.u32(data.retry);
      w.u32(data.expire);
      w.u32(data.minimum);
      break;
    default:
      w.bytes(p.bytes as Buffer);
  }
}

/** The RDATA's uncompressed wire form (RFC 4034 §6.2 with our lower-case names); undefined as prepareRdata. */
export function rdataWire(data: RData): Buffer | undefined {
  const p = prepareRdata(data);
  if (!p) return undefined;
  const w = new Writer(p.room);
  writeRdata(w, undefined, p, undefined);
  return w.buf.subarray(0, w.pos);
}

export function writeName(w: Writer, names: NameCompressor, wire: Buffer, compress: boolean, written: WrittenName[] | undefined): void {
  const at = w.pos;
  w.pos = names.write(w.buf, at, wire, compress);
  if (written) written.push({ at, end: w.pos, pointer: names.lastPointer });
}

/** <character-string>s (RFC 1035 §3.3): a length octet and up to 255 octets of UTF-8 each. */
function characterStrings(texts: readonly (string | Uint8Array)[]): Buffer | undefined {
  const parts: Buffer[] = [];
  for (const text of texts) {
    const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : Buffer.from(text.buffer, text.byteOffset, text.byteLength);
    if (bytes.length > 255) return undefined;
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  return Buffer.concat(parts);
}
