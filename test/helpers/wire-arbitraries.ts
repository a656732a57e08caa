// fast-check generators of DNS wire messages, written independently of src/dns/wire (the code
// under test): queries as a client may send them (RFC 1035 §4.1, EDNS per RFC 6891 §6.1.2,
// TSIG per RFC 8945 §4.2), the field values the parser should report for each, record sets
// for the encoder, and the ways a valid message gets broken on its way to us.
import fc from 'fast-check';

/** RFC 1035 §2.3.4. */
const MAX_NAME = 255;

/** A name as its labels' bytes; [] is the root. */
export type Labels = readonly Uint8Array[];

const LDH = 'abcdefghijklmnopqrstuvwxyz0123456789-';
const ldhLabel = fc.string({ unit: fc.constantFrom(...LDH), minLength: 1, maxLength: 63 });

/** A host-name-like label, lower case (what tables and dns-packet agree on). */
export const ldhLabelArb = ldhLabel;

/** Any label: mostly letters/digits/hyphen, sometimes any octets (RFC 2181 §11). */
const labelArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  { arbitrary: ldhLabel.map((s) => new Uint8Array(Buffer.from(s, 'latin1'))), weight: 3 },
  { arbitrary: fc.uint8Array({ minLength: 1, maxLength: 63 }), weight: 1 },
);

/** Drops trailing labels until the name fits 255 octets on the wire. */
function fit<T extends { length: number }>(labels: T[]): T[] {
  const out = [...labels];
  while (out.reduce((n, l) => n + 1 + l.length, 1) > MAX_NAME) out.pop();
  return out;
}

/** Names up to the 255-octet limit, binary labels included. */
export const labelsArb: fc.Arbitrary<Labels> = fc.array(labelArb, { maxLength: 6 }).map(fit);

/** Host-name-like names (at least one label) in presentation form. */
export const ldhNameArb: fc.Arbitrary<string> = fc.array(ldhLabel, { minLength: 1, maxLength: 6 }).map((ls) => fit(ls).join('.'));

export function nameWire(labels: Labels): Buffer {
  return Buffer.concat([...labels.flatMap((l) => [Buffer.from([l.length]), Buffer.from(l)]), Buffer.from([0])]);
}

/** Presentation form as documented in src/dns/wire/name-wire.ts: RFC 1035 §5.1 `\DDD` escapes. */
export function presentation(labels: Labels): string {
  return labels
    .map((l) =>
      Array.from(l, (b) => (b > 0x20 && b < 0x7f && b !== 0x2e && b !== 0x5c ? String.fromCharCode(b) : '\\' + String(b).padStart(3, '0'))).join(''),
    )
    .join('.');
}

export interface EdnsOption {
  code: number;
  data: Uint8Array;
}

export interface QuerySpec {
  id: number;
  rd: boolean;
  cd: boolean;
  /** AA, TC, Z, AD: meaningless in a query, ignored by the parser. */
  otherFlags: number;
  qname: Labels;
  qtype: number;
  qclass: number;
  /** Records in the answer and authority sections (a query may carry them; they are skipped). */
  skipped: RawRecord[];
  /** Additional records besides OPT and TSIG. */
  additional: RawRecord[];
  edns?: { udpSize: number; version: number; dnssecOk: boolean; extRcode: number; z: number; options: EdnsOption[]; at: number };
  tsig?: TsigSpec;
  /** A rule of RFC 6891 or RFC 8945 broken on purpose (buildQuery applies it); absent: valid. */
  oddity?: Oddity;
}

/** Ways a query's EDNS or TSIG can be wrong, each a FORMERR case of RFC 6891 §6.1.1 or RFC 8945 §5.1. */
export const ODDITIES = ['two-opt', 'opt-in-authority', 'opt-owner', 'opt-options-overrun', 'tsig-not-last', 'tsig-class', 'tsig-short', 'tsig-in-answer'] as const;
export type Oddity = (typeof ODDITIES)[number];

export interface RawRecord {
  /** undefined: a compression pointer to the question name (offset 12). */
  owner: Labels | undefined;
  type: number;
  klass: number;
  ttl: number;
  rdata: Uint8Array;
}

export interface TsigSpec {
  key: Labels;
  algorithm: Labels;
  timeSigned: number;
  fudge: number;
  mac: Uint8Array;
  originalId: number;
  error: number;
  other: Uint8Array;
}

const u16 = fc.integer({ min: 0, max: 0xffff });

const rawRecordArb: fc.Arbitrary<RawRecord> = fc.record({
  owner: fc.option(labelsArb, { nil: undefined }),
  // Neither OPT (41) nor TSIG (250): those have their own rules.
  type: u16.filter((t) => t !== 41 && t !== 250),
  klass: u16,
  ttl: fc.integer({ min: 0, max: 0xffffffff }),
  rdata: fc.uint8Array({ maxLength: 40 }),
});

/** NSID (RFC 5001, empty in a query), COOKIE (RFC 7873: 8 octets, or 16 to 40), padding, or any code. */
const optionArb: fc.Arbitrary<EdnsOption> = fc.oneof(
  fc.constant({ code: 3, data: new Uint8Array(0) }),
  fc.uint8Array({ minLength: 8, maxLength: 8 }).map((data) => ({ code: 10, data })),
  fc.uint8Array({ minLength: 16, maxLength: 40 }).map((data) => ({ code: 10, data })),
  fc.integer({ min: 0, max: 64 }).map((n) => ({ code: 12, data: new Uint8Array(n) })),
  fc.record({ code: u16, data: fc.uint8Array({ maxLength: 30 }) }),
);

const tsigArb: fc.Arbitrary<TsigSpec> = fc.record({
  key: labelsArb,
  algorithm: fc.constantFrom(['hmac-sha256'], ['hmac-md5', 'sig-alg', 'reg', 'int'], ['hmac-sha512']).map((ls) => ls.map((l) => new Uint8Array(Buffer.from(l)))),
  timeSigned: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
  fudge: u16,
  mac: fc.uint8Array({ maxLength: 64 }),
  originalId: u16,
  error: u16,
  other: fc.uint8Array({ maxLength: 8 }),
});

export const querySpecArb: fc.Arbitrary<QuerySpec> = fc
  .record({
    id: u16,
    rd: fc.boolean(),
    cd: fc.boolean(),
    otherFlags: fc.integer({ min: 0, max: 15 }),
    qname: labelsArb,
    qtype: fc.oneof(fc.constantFrom(1, 2, 6, 12, 15, 16, 28, 33, 255), u16),
    qclass: fc.oneof(fc.constantFrom(1, 3, 255), u16),
    skipped: fc.array(rawRecordArb, { maxLength: 2 }),
    additional: fc.array(rawRecordArb, { maxLength: 2 }),
    edns: fc.option(
      fc.record({
        udpSize: fc.oneof(fc.constantFrom(0, 512, 1232, 4096, 65535), u16),
        version: fc.oneof({ arbitrary: fc.constant(0), weight: 4 }, { arbitrary: fc.integer({ min: 1, max: 255 }), weight: 1 }),
        dnssecOk: fc.boolean(),
        extRcode: fc.integer({ min: 0, max: 255 }),
        z: fc.integer({ min: 0, max: 0x7fff }),
        options: fc.array(optionArb, { maxLength: 4 }),
        at: fc.nat(),
      }),
      { nil: undefined },
    ),
    tsig: fc.option(tsigArb, { nil: undefined, freq: 4 }),
  })
  .map((s) => ({ ...s, edns: s.edns ? { ...s.edns, at: s.edns.at % (s.additional.length + 1) } : undefined }));

function rr(owner: Buffer, type: number, klass: number, ttl: number, rdata: Uint8Array): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(type, 0);
  fixed.writeUInt16BE(klass, 2);
  fixed.writeUInt32BE(ttl, 4);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([owner, fixed, Buffer.from(rdata)]);
}

const POINTER_TO_QNAME = Buffer.from([0xc0, 12]);

/** The query's bytes: header, question, skipped records, additional (OPT among them), TSIG last. */
export function buildQuery(spec: QuerySpec): Buffer {
  let s = spec;
  const header = Buffer.alloc(12);
  header.writeUInt16BE(s.id, 0);
  header[2] = ((s.otherFlags & 0b11) << 1) | (s.rd ? 0x01 : 0);
  header[3] = ((s.otherFlags >> 2) << 5) | (s.cd ? 0x10 : 0);
  header.writeUInt16BE(1, 4);
  const additional = s.additional.map((r) => rr(r.owner ? nameWire(r.owner) : POINTER_TO_QNAME, r.type, r.klass, r.ttl, r.rdata));
  if (s.edns) {
    const e = s.edns;
    const options = Buffer.concat(
      e.options.map((o) => {
        const head = Buffer.alloc(4);
        head.writeUInt16BE(o.code, 0);
        head.writeUInt16BE(o.data.length, 2);
        return Buffer.concat([head, Buffer.from(o.data)]);
      }),
    );
    const ttl = ((e.extRcode << 24) | (e.version << 16) | (e.dnssecOk ? 0x8000 : 0) | e.z) >>> 0;
    // 'opt-options-overrun': a last option (code 9) claiming 9 octets of data, with none left in RDATA.
    const rdata = s.oddity === 'opt-options-overrun' ? Buffer.concat([options, Buffer.from([0, 9, 0, 9])]) : options;
    const opt = rr(Buffer.from(s.oddity === 'opt-owner' ? [1, 0x61, 0] : [0]), 41, e.udpSize, ttl, rdata);
    additional.splice(e.at, 0, opt);
    if (s.oddity === 'two-opt') additional.push(opt);
  }
  if (s.tsig) {
    const t = s.tsig;
    const fields = Buffer.alloc(10);
    fields.writeUIntBE(t.timeSigned, 0, 6);
    fields.writeUInt16BE(t.fudge, 6);
    fields.writeUInt16BE(t.mac.length, 8);
    const tail = Buffer.alloc(6);
    tail.writeUInt16BE(t.originalId, 0);
    tail.writeUInt16BE(t.error, 2);
    tail.writeUInt16BE(t.other.length, 4);
    const rdata = Buffer.concat([nameWire(t.algorithm), fields, Buffer.from(t.mac), tail, Buffer.from(t.other)]);
    const tsig = rr(nameWire(t.key), 250, s.oddity === 'tsig-class' ? 1 : 255, 0, s.oddity === 'tsig-short' ? rdata.subarray(0, rdata.length - 3) : rdata);
    if (s.oddity === 'tsig-in-answer') s = { ...s, skipped: [...s.skipped, { owner: t.key, type: 250, klass: 255, ttl: 0, rdata }] };
    else additional.push(tsig);
    if (s.oddity === 'tsig-not-last') additional.push(rr(Buffer.from([0]), 1, 1, 0, new Uint8Array(4)));
  }
  const optInAuthority = s.oddity === 'opt-in-authority' && s.edns ? additional.splice(s.edns.at, 1) : [];
  header.writeUInt16BE(s.skipped.length + optInAuthority.length, 6);
  header.writeUInt16BE(additional.length, 10);
  const question = Buffer.alloc(4);
  question.writeUInt16BE(s.qtype, 0);
  question.writeUInt16BE(s.qclass, 2);
  const skipped = s.skipped.map((r) => rr(r.owner ? nameWire(r.owner) : POINTER_TO_QNAME, r.type, r.klass, r.ttl, r.rdata));
  return Buffer.concat([header, nameWire(s.qname), question, ...skipped, ...optInAuthority, ...additional]);
}

/** One way of breaking a message; positions are taken modulo its length. */
export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'count'; which: number; value: number }
  | { kind: 'pointer-loop'; at: number }
  | { kind: 'pointer-forward'; at: number; target: number }
  | { kind: 'label-overrun'; at: number }
  | { kind: 'append'; bytes: Uint8Array };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('count' as const), which: fc.integer({ min: 0, max: 3 }), value: fc.oneof(fc.integer({ min: 0, max: 8 }), u16) }),
  fc.record({ kind: fc.constant('pointer-loop' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('pointer-forward' as const), at: fc.nat(), target: fc.integer({ min: 0, max: 0x3fff }) }),
  fc.record({ kind: fc.constant('label-overrun' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
);

export function mutate(message: Buffer, mutations: readonly Mutation[]): Buffer {
  let b = Buffer.from(message);
  for (const m of mutations) {
    if (b.length === 0) break;
    switch (m.kind) {
      case 'flip':
        b[m.at % b.length] ^= 1 << m.bit;
        break;
      case 'set':
        b[m.at % b.length] = m.value;
        break;
      case 'truncate':
        b = b.subarray(0, m.at % b.length);
        break;
      case 'count':
        if (b.length >= 12) b.writeUInt16BE(m.value, 4 + 2 * m.which);
        break;
      case 'pointer-loop': {
        // A pointer to itself (RFC 1035 §4.1.4 allows only earlier targets).
        const at = 12 + (m.at % Math.max(1, b.length - 13));
        if (at + 1 < b.length) b.writeUInt16BE(0xc000 | at, at);
        break;
      }
      case 'pointer-forward': {
        const at = 12 + (m.at % Math.max(1, b.length - 13));
        if (at + 1 < b.length) b.writeUInt16BE(0xc000 | m.target, at);
        break;
      }
      case 'label-overrun': {
        // A label length reaching past the end of the message, or into the reserved 0x40/0x80 types.
        const at = 12 + (m.at % Math.max(1, b.length - 12));
        if (at < b.length) b[at] = Math.min(0xbf, b.length - at + (m.at % 64));
        break;
      }
      case 'append':
        b = Buffer.concat([b, Buffer.from(m.bytes)]);
        break;
    }
  }
  return b;
}

/** Byte arrays of any shape, and some that look like a query header followed by noise. */
export const garbageArb: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)),
  fc.tuple(u16, fc.integer({ min: 0, max: 0x7f }), fc.integer({ min: 0, max: 4 }), fc.uint8Array({ maxLength: 300 })).map(([id, flags, qd, tail]) => {
    const h = Buffer.alloc(12);
    h.writeUInt16BE(id, 0);
    h[2] = flags & 0x79; // QR clear; opcode QUERY or STATUS
    h.writeUInt16BE(qd, 4);
    h.writeUInt16BE(tail.length % 3, 10);
    return Buffer.concat([h, Buffer.from(tail)]);
  }),
);

/** Valid queries broken by one to four mutations. */
export const brokenQueryArb: fc.Arbitrary<Buffer> = fc
  .tuple(querySpecArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }))
  .map(([spec, ms]) => mutate(buildQuery(spec), ms));

/** Queries that are well formed but for one EDNS or TSIG rule (each needs the record it breaks). */
export const oddQueryArb: fc.Arbitrary<Buffer> = fc
  .tuple(querySpecArb, fc.constantFrom(...ODDITIES))
  .map(([spec, oddity]) => {
    const edns = spec.edns ?? { udpSize: 1232, version: 0, dnssecOk: false, extRcode: 0, z: 0, options: [], at: 0 };
    const tsig = spec.tsig ?? { key: [], algorithm: [new Uint8Array(Buffer.from('hmac-sha256'))], timeSigned: 0, fudge: 300, mac: new Uint8Array(32), originalId: spec.id, error: 0, other: new Uint8Array(0) };
    return buildQuery({ ...spec, edns, tsig: oddity.startsWith('tsig') ? tsig : spec.tsig, oddity });
  });

/** A plain query for `name` (presentation, trailing dot optional): RD, class IN, EDNS when `ednsSize` is given. */
export function plainQuerySpec(name: string, qtype: number, ednsSize?: number): QuerySpec {
  const spec: QuerySpec = {
    id: 0x4242,
    rd: true,
    cd: false,
    otherFlags: 0,
    qname: name.replace(/\.$/, '').split('.').filter((l) => l !== '').map((l) => new Uint8Array(Buffer.from(l))),
    qtype,
    qclass: 1,
    skipped: [],
    additional: [],
  };
  if (ednsSize !== undefined) spec.edns = { udpSize: ednsSize, version: 0, dnssecOk: false, extRcode: 0, z: 0, options: [], at: 0 };
  return spec;
}

/** Queries for `names` (a table's, so lookups get far), with or without EDNS, then perhaps broken. */
export function namedQueryArb(names: readonly string[], qtypes: readonly number[]): fc.Arbitrary<Buffer> {
  return fc
    .tuple(fc.constantFrom(...names), fc.constantFrom(...qtypes), fc.option(u16, { nil: undefined }), fc.array(mutationArb, { maxLength: 2 }))
    .map(([name, qtype, size, ms]) => mutate(buildQuery(plainQuerySpec(name, qtype, size)), ms));
}
