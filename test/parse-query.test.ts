import { describe, expect, it } from '@jest/globals';
import { createRequire } from 'node:module';
import dnsPacket from 'dns-packet';
import { parseQuery, type ParseResult } from '../src/dns/wire/parse-query.js';
import { nameToWire, readName } from '../src/dns/wire/name-wire.js';
import { RCODE } from '../src/dns/wire/message.js';
import { seededRandom } from './helpers/seeded-random.js';

function header(o: { id?: number; flags?: number; qd?: number; an?: number; ns?: number; ar?: number } = {}): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(o.id ?? 0x1234, 0);
  b.writeUInt16BE(o.flags ?? 0x0100, 2);
  b.writeUInt16BE(o.qd ?? 1, 4);
  b.writeUInt16BE(o.an ?? 0, 6);
  b.writeUInt16BE(o.ns ?? 0, 8);
  b.writeUInt16BE(o.ar ?? 0, 10);
  return b;
}

/** Wire name from raw label byte arrays. */
function wireName(...labels: (string | number[])[]): Buffer {
  const parts: Buffer[] = [];
  for (const l of labels) {
    const bytes = typeof l === 'string' ? Buffer.from(l, 'latin1') : Buffer.from(l);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

const u16 = (...v: number[]): Buffer => Buffer.concat(v.map((n) => Buffer.from([n >> 8, n & 0xff])));
const question = (name: Buffer, type = 1, klass = 1): Buffer => Buffer.concat([name, u16(type, klass)]);
/** An OPT RR: owner, type 41, class = udp size, ttl = ext/version/flags, rdata. */
function opt(o: { owner?: Buffer; udp?: number; version?: number; flags?: number; rdata?: Buffer } = {}): Buffer {
  const rdata = o.rdata ?? Buffer.alloc(0);
  return Buffer.concat([
    o.owner ?? Buffer.from([0]),
    u16(41, o.udp ?? 1232),
    Buffer.from([0, o.version ?? 0]),
    u16(o.flags ?? 0, rdata.length),
    rdata,
  ]);
}
const aRecord = (owner: Buffer): Buffer => Buffer.concat([owner, u16(1, 1, 0, 60, 4), Buffer.from([10, 0, 0, 1])]);

function packet(p: Partial<dnsPacket.Packet> & { questions: dnsPacket.Question[] }): Buffer {
  return dnsPacket.encode({ type: 'query', id: 4242, flags: dnsPacket.RECURSION_DESIRED, ...p });
}

function expectQuery(r: ParseResult) {
  if (r.kind !== 'query') throw new Error(`expected a query, got ${JSON.stringify(r)}`);
  return r.query;
}

describe('parseQuery: valid queries', () => {
  it('reads header bits and the question', () => {
    const q = expectQuery(parseQuery(packet({ questions: [{ name: 'leader.mesos', type: 'A', class: 'IN' }] })));
    expect(q).toEqual({ id: 4242, opcode: 0, rd: true, cd: false, question: { name: 'leader.mesos', type: 1, class: 1 } });
  });

  it('keeps CD, RD off, the class and the type as sent', () => {
    const buf = dnsPacket.encode({
      type: 'query',
      id: 7,
      flags: dnsPacket.CHECKING_DISABLED,
      questions: [{ name: '_leader._tcp.mesos', type: 'SRV', class: 'CH' }],
    });
    expect(expectQuery(parseQuery(buf))).toEqual({ id: 7, opcode: 0, rd: false, cd: true, question: { name: '_leader._tcp.mesos', type: 33, class: 3 } });
  });

  it('preserves the case of the name (0x20 randomisation)', () => {
    const q = expectQuery(parseQuery(packet({ questions: [{ name: 'LeAdEr.MeSoS', type: 'A' }] })));
    expect(q.question.name).toBe('LeAdEr.MeSoS');
  });

  it('reads the root name as ""', () => {
    expect(expectQuery(parseQuery(Buffer.concat([header(), question(Buffer.from([0]), 2)])))).toMatchObject({ question: { name: '', type: 2 } });
  });

  it('reads EDNS: payload size, version and DO', () => {
    const buf = packet({
      questions: [{ name: 'leader.mesos', type: 'A' }],
      additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096, flags: dnsPacket.DNSSEC_OK } as dnsPacket.Answer],
    });
    expect(expectQuery(parseQuery(buf)).edns).toEqual({ udpSize: 4096, version: 0, dnssecOk: true });
    const plain = packet({ questions: [{ name: 'leader.mesos', type: 'A' }], additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 100 } as dnsPacket.Answer] });
    expect(expectQuery(parseQuery(plain)).edns).toEqual({ udpSize: 100, version: 0, dnssecOk: false });
  });

  it('accepts well-formed EDNS options (and ignores them)', () => {
    const cookie = Buffer.concat([u16(10, 8), Buffer.alloc(8, 7)]);
    const buf = Buffer.concat([header({ ar: 1 }), question(wireName('a', 'mesos')), opt({ rdata: cookie })]);
    expect(expectQuery(parseQuery(buf)).edns).toEqual({ udpSize: 1232, version: 0, dnssecOk: false });
  });

  it('follows compression pointers in the records it skips on the way to OPT', () => {
    // Pointers must go backwards: the answer owner points at the question name (offset 12),
    // the authority owner at its "mesos" suffix (offset 19).
    const qname = wireName('leader', 'mesos');
    const buf = Buffer.concat([header({ an: 1, ns: 1, ar: 1 }), question(qname), aRecord(Buffer.from([0xc0, 12])), aRecord(Buffer.from([0xc0, 19])), opt()]);
    const q = expectQuery(parseQuery(buf));
    expect(q.question.name).toBe('leader.mesos');
    expect(q.edns?.udpSize).toBe(1232);
  });

  it('escapes label bytes that are not plain printable text, so they cannot collide with real names', () => {
    const cases: [(string | number[])[], string][] = [
      [[[0x6c, 0x2e, 0x73], 'mesos'], 'l\\046s.mesos'], // a dot inside one label
      [[[0x61, 0x20, 0x62], 'mesos'], 'a\\032b.mesos'], // space
      [[[0x5c], 'mesos'], '\\092.mesos'], // backslash itself
      [[[0x00, 0xff, 0x7f], 'mesos'], '\\000\\255\\127.mesos'],
      [[[0xc3, 0xa9], 'mesos'], '\\195\\169.mesos'], // UTF-8 is bytes, not text
    ];
    for (const [labels, want] of cases) {
      const q = expectQuery(parseQuery(Buffer.concat([header(), question(wireName(...labels))])));
      expect(q.question.name).toBe(want);
    }
  });

  it('round-trips any label bytes through presentation and back (echoed question = bytes sent)', () => {
    const random = seededRandom(99);
    for (let n = 0; n < 300; n++) {
      const labels: number[][] = [];
      const count = 1 + Math.floor(random() * 4);
      for (let i = 0; i < count; i++) labels.push(Array.from({ length: 1 + Math.floor(random() * 20) }, () => Math.floor(random() * 256)));
      const wire = wireName(...labels);
      const read = readName(wire, 0);
      if (!read.ok) throw new Error('valid name did not read');
      expect(nameToWire(read.name)).toEqual(wire);
    }
  });

  it('ignores bytes after the last record', () => {
    const buf = Buffer.concat([packet({ questions: [{ name: 'leader.mesos', type: 'A' }] }), Buffer.from([1, 2, 3])]);
    expect(parseQuery(buf).kind).toBe('query');
  });
});

describe('parseQuery: messages that get no answer', () => {
  it.each([
    ['empty', Buffer.alloc(0)],
    ['shorter than a header', Buffer.alloc(11)],
    ['a response (QR=1)', Buffer.concat([header({ flags: 0x8100 }), question(wireName('a', 'mesos'))])],
    ['a response with a garbled body', Buffer.concat([header({ flags: 0x8000, qd: 9 }), Buffer.from([0x3f])])],
  ])('drops %s', (_label, buf) => {
    expect(parseQuery(buf)).toEqual({ kind: 'drop' });
  });
});

describe('parseQuery: errors', () => {
  const qn = wireName('leader', 'mesos');
  const q = question(qn);
  const echoed = { name: 'leader.mesos', type: 1, class: 1 };
  const base = { kind: 'error', id: 0x1234, opcode: 0, rd: true, cd: false };

  const formerr: [string, Buffer, object][] = [
    ['no question', header({ qd: 0 }), {}],
    ['two questions', Buffer.concat([header({ qd: 2 }), q, q]), {}],
    ['question count with no question bytes', header(), {}],
    ['question cut before its type', Buffer.concat([header(), qn, Buffer.from([0])]), {}],
    ['name running past the end', Buffer.concat([header(), Buffer.from([6, 0x6c, 0x65])]), {}],
    ['name without its root label', Buffer.concat([header(), Buffer.from([1, 0x61])]), {}],
    ['extended label type 0x40', Buffer.concat([header(), Buffer.from([0x41, 0]), u16(1, 1)]), {}],
    ['reserved label type 0x80', Buffer.concat([header(), Buffer.from([0x81, 0]), u16(1, 1)]), {}],
    ['pointer to itself', Buffer.concat([header(), Buffer.from([0xc0, 12]), u16(1, 1)]), {}],
    ['pointer forwards', Buffer.concat([header(), Buffer.from([0xc0, 16]), u16(1, 1), Buffer.from([0])]), {}],
    ['pointer loop through two names', Buffer.concat([header(), Buffer.from([1, 0x61, 0xc0, 12]), u16(1, 1)]), {}],
    ['pointer cut in half', Buffer.concat([header(), Buffer.from([0xc0])]), {}],
    ['name over 255 octets', Buffer.concat([header(), wireName(...Array.from({ length: 5 }, () => 'x'.repeat(63))), u16(1, 1)]), {}],
    ['additional record count with no record', Buffer.concat([header({ ar: 1 }), q]), { question: echoed }],
    ['record with RDLENGTH past the end', Buffer.concat([header({ an: 1 }), q, Buffer.from([0]), u16(1, 1, 0, 0, 20)]), { question: echoed }],
    ['two OPT records', Buffer.concat([header({ ar: 2 }), q, opt(), opt()]), { question: echoed }],
    ['OPT owned by a non-root name', Buffer.concat([header({ ar: 1 }), q, opt({ owner: wireName('x') })]), { question: echoed }],
    ['OPT owner given as a pointer', Buffer.concat([header({ ar: 1 }), q, opt({ owner: Buffer.from([0xc0, 25]) })]), { question: echoed }],
    ['OPT in the answer section', Buffer.concat([header({ an: 1 }), q, opt()]), { question: echoed }],
    ['OPT options that do not fill RDATA', Buffer.concat([header({ ar: 1 }), q, opt({ rdata: Buffer.concat([u16(10, 8), Buffer.alloc(4)]) })]), { question: echoed }],
    ['OPT option header cut short', Buffer.concat([header({ ar: 1 }), q, opt({ rdata: Buffer.from([0, 10]) })]), { question: echoed }],
  ];
  it.each(formerr)('FORMERR: %s', (_label, buf, extra) => {
    expect(parseQuery(buf)).toEqual({ ...base, rcode: RCODE.FORMERR, ...extra });
  });

  it('FORMERR keeps the EDNS of a good OPT that came before the broken record', () => {
    const buf = Buffer.concat([header({ ar: 2 }), q, opt({ udp: 4096 }), Buffer.from([0x3f])]);
    expect(parseQuery(buf)).toEqual({ ...base, rcode: RCODE.FORMERR, question: echoed, edns: { udpSize: 4096, version: 0, dnssecOk: false } });
  });

  it.each([
    ['STATUS', 2],
    ['NOTIFY', 4],
    ['UPDATE', 5],
    ['unassigned 15', 15],
  ])('NOTIMP for opcode %s: only ID and opcode echoed (not RD, CD or the question), our OPT for EDNS', (_label, opcode) => {
    // RD and CD set in the query (RFC 1035 §4.1.1, RFC 4035 §3.1.6: they mean something for QUERY only).
    const buf = Buffer.concat([header({ flags: (opcode << 11) | 0x0110, ar: 1 }), q, opt({ flags: 0x8000 })]);
    expect(parseQuery(buf)).toEqual({ ...base, rd: false, cd: false, opcode, rcode: RCODE.NOTIMP, edns: { udpSize: 1232, version: 0, dnssecOk: true } });
  });

  it('NOTIMP without a question when the question does not parse', () => {
    const buf = Buffer.concat([header({ flags: 5 << 11 }), Buffer.from([0xc0, 12])]);
    expect(parseQuery(buf)).toEqual({ ...base, rd: false, opcode: 5, rcode: RCODE.NOTIMP });
  });

  it('BADVERS for EDNS version 1, with the question and EDNS for the reply', () => {
    const buf = Buffer.concat([header({ ar: 1 }), q, opt({ version: 1, udp: 4096, flags: 0x8000 })]);
    expect(parseQuery(buf)).toEqual({ ...base, rcode: RCODE.BADVERS, question: echoed, edns: { udpSize: 4096, version: 1, dnssecOk: true } });
  });
});

describe('parseQuery: NSID and TSIG', () => {
  const q = question(wireName('leader', 'mesos'));
  /** A TSIG RR (RFC 8945 §4.2) owned by "k", algorithm "hmac-sha256", with `mac` and `other`. */
  function tsig(o: { klass?: number; ttl?: number; mac?: number; other?: number; cut?: number } = {}): Buffer {
    const rdata = Buffer.concat([
      wireName('hmac-sha256'),
      Buffer.from([0, 0, 0x65, 0x53, 0xf1, 0x00]), // Time Signed 1700000000
      u16(300, o.mac ?? 32),
      Buffer.alloc(o.mac ?? 32, 1),
      u16(0x1234, 0, o.other ?? 0),
      Buffer.alloc(o.other ?? 0, 2),
    ]).subarray(0, o.cut);
    return Buffer.concat([wireName('k'), u16(250, o.klass ?? 255), Buffer.from([0, 0, 0, o.ttl ?? 0]), u16(rdata.length), rdata]);
  }

  it('marks an NSID option (code 3) among others', () => {
    const rdata = Buffer.concat([u16(10, 8), Buffer.alloc(8), u16(3, 0)]);
    const parsed = expectQuery(parseQuery(Buffer.concat([header({ ar: 1 }), q, opt({ rdata })])));
    expect(parsed.edns).toEqual({ udpSize: 1232, version: 0, dnssecOk: false, nsid: true });
    expect(expectQuery(parseQuery(Buffer.concat([header({ ar: 1 }), q, opt({ rdata: Buffer.concat([u16(10, 8), Buffer.alloc(8)]) })]))).edns!.nsid).toBeUndefined();
  });

  it('reads a TSIG that ends the message, after OPT', () => {
    const parsed = expectQuery(parseQuery(Buffer.concat([header({ ar: 2 }), q, opt(), tsig({ other: 6 })])));
    expect(parsed.tsig).toEqual({
      keyName: 'k',
      algorithm: 'hmac-sha256',
      timeSigned: 1_700_000_000,
      fudge: 300,
      mac: Buffer.alloc(32, 1),
      originalId: 0x1234,
      error: 0,
      other: Buffer.alloc(6, 2),
    });
  });

  const base = { kind: 'error', id: 0x1234, opcode: 0, rd: true, cd: false, rcode: RCODE.FORMERR, question: { name: 'leader.mesos', type: 1, class: 1 } };
  it.each([
    ['TSIG before OPT (RFC 8945 §5.1: last)', Buffer.concat([header({ ar: 2 }), q, tsig(), opt()]), {}],
    ['two TSIGs', Buffer.concat([header({ ar: 2 }), q, tsig(), tsig()]), {}],
    ['TSIG in the authority section', Buffer.concat([header({ ns: 1 }), q, tsig()]), {}],
    ['TSIG of class IN', Buffer.concat([header({ ar: 1 }), q, tsig({ klass: 1 })]), {}],
    ['TSIG with a TTL', Buffer.concat([header({ ar: 1 }), q, tsig({ ttl: 5 })]), {}],
    ['TSIG RDATA cut inside the MAC', Buffer.concat([header({ ar: 1 }), q, tsig({ cut: 30 })]), {}],
  ])('FORMERR: %s', (_label, buf, extra) => {
    const r = parseQuery(buf);
    expect(r).toMatchObject({ ...base, ...extra });
    expect((r as { edns?: unknown }).edns).toBeUndefined();
  });
});

describe('parseQuery: fuzzing', () => {
  const kinds = new Set(['query', 'drop', 'error']);
  const check = (buf: Buffer): void => {
    let r: ParseResult;
    try {
      r = parseQuery(buf);
    } catch (e) {
      throw new Error(`parseQuery threw on ${buf.toString('hex')}: ${String(e)}`);
    }
    expect(kinds.has(r.kind)).toBe(true);
    // whatever parsed as a question can be put back on the wire for the echo
    if (r.kind === 'query') expect(nameToWire(r.query.question.name)).toBeDefined();
    if (r.kind === 'error' && r.question) expect(nameToWire(r.question.name)).toBeDefined();
  };

  const seeds = [
    packet({ questions: [{ name: 'leader.mesos', type: 'A' }] }),
    packet({
      questions: [{ name: '_http._liquor-store._tcp.marathon.mesos', type: 'SRV' }],
      additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096, flags: dnsPacket.DNSSEC_OK } as dnsPacket.Answer],
    }),
    Buffer.concat([header({ an: 1, ar: 1 }), question(wireName('leader', 'mesos')), aRecord(Buffer.from([0xc0, 12])), opt({ rdata: Buffer.concat([u16(10, 8), Buffer.alloc(8)]) })]),
  ];

  it('never throws on random bytes', () => {
    const random = seededRandom(1);
    for (let n = 0; n < 3000; n++) {
      const len = Math.floor(random() * 80);
      const buf = Buffer.alloc(len);
      for (let i = 0; i < len; i++) buf[i] = Math.floor(random() * 256);
      // half the time make it look like a plausible query header, to reach the deeper paths
      if (len >= 12 && random() < 0.5) {
        buf[2] &= 0x07;
        buf[4] = 0;
        buf[5] = 1;
        buf[6] = buf[8] = buf[10] = 0;
        buf[7] &= 1;
        buf[9] &= 1;
        buf[11] &= 3;
      }
      check(buf);
    }
  });

  it('never throws on bit-flipped and cut-short valid queries', () => {
    const random = seededRandom(2);
    for (const seed of seeds) {
      for (let cut = 0; cut <= seed.length; cut++) check(seed.subarray(0, cut));
      for (let n = 0; n < 1500; n++) {
        const buf = Buffer.from(seed);
        const flips = 1 + Math.floor(random() * 4);
        for (let f = 0; f < flips; f++) {
          const bit = Math.floor(random() * buf.length * 8);
          buf[bit >> 3] ^= 1 << (bit & 7);
        }
        check(buf);
      }
    }
  });
});

// dns2's request parser is the one the issue found robust under fuzzing; ours replaced it on the
// hot path (no allocation beyond the question). Where dns2 reads a well-formed query, both must
// agree on what was asked: an independent cross-check of our parser.
describe('parseQuery agrees with dns2 on well-formed queries', () => {
  const dns2 = createRequire(import.meta.url)('dns2') as { Packet: { parse(b: Buffer): Dns2Packet } };
  interface Dns2Packet {
    header: { id: number; opcode: number; rd: number };
    questions: Array<{ name: string; type: number; class: number }>;
    additionals: Array<{ type: number; class: number }>;
  }
  const random = seededRandom(2026);
  const types = ['A', 'AAAA', 'SRV', 'TXT', 'NS', 'SOA', 'ANY', 'MX'] as const;
  const cases = Array.from({ length: 300 }, (_, i) => {
    const labels = Array.from({ length: 1 + Math.floor(random() * 5) }, () =>
      Array.from({ length: 1 + Math.floor(random() * 12) }, () => 'abcdefghijklmnopqrstuvwxyzABC0123456789-_'[Math.floor(random() * 41)]).join(''),
    );
    const edns = random() < 0.5;
    // dns-packet's types leave out ANY and a minimal OPT, which it encodes fine.
    return dnsPacket.encode({
      type: 'query',
      id: i,
      flags: random() < 0.5 ? dnsPacket.RECURSION_DESIRED : 0,
      questions: [{ type: types[i % types.length], name: labels.join('.') } as dnsPacket.Question],
      additionals: edns ? [{ type: 'OPT', name: '.', udpPayloadSize: 512 + Math.floor(random() * 4000) } as unknown as dnsPacket.Answer] : [],
    });
  });

  it('reads the same id, name, type, class, RD and EDNS size', () => {
    for (const buf of cases) {
      const theirs = dns2.Packet.parse(buf);
      const ours = parseQuery(buf);
      expect(ours.kind).toBe('query');
      if (ours.kind !== 'query') continue;
      const q = theirs.questions[0];
      expect({ id: ours.query.id, rd: ours.query.rd, name: ours.query.question.name, type: ours.query.question.type, class: ours.query.question.class }).toEqual({
        id: theirs.header.id,
        rd: theirs.header.rd === 1,
        name: q.name,
        type: q.type,
        class: q.class,
      });
      const opt = theirs.additionals.find((r) => r.type === 41);
      expect(ours.query.edns?.udpSize).toBe(opt?.class);
    }
  });
});
