// Property-based tests (fast-check) of the wire layer: the query parser, the encoder, the reply
// scanner, the fast path and the whole respond() pipeline, each over generated messages
// (test/helpers/wire-arbitraries.ts, written without the code under test). Four properties:
//   1. valid queries parse to exactly their fields, and encoded answers decode (dns-packet) to
//      exactly their records, with the layout the encoder reports;
//   2. no bytes make anything throw (the reply scanner throws MalformedMessageError only);
//   3. no reply exceeds the client's size limit, and TC is set exactly when answer or authority
//      records were dropped (encode.ts, docs/compat.md);
//   4. respond() over a real table and a loopback upstream: never throws, never over the limit,
//      always the query's ID.
// WIRE_PROPERTY_RUNS=N runs each property N times (default: a few seconds in all).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import dnsPacket from 'dns-packet';
import fc from 'fast-check';
import { withTyped, type Config } from '../src/config/typed.js';
import { MalformedMessageError } from '../src/errors.js';
import { AnswerCache } from '../src/dns/answer/answer-cache.js';
import { fastAnswer } from '../src/dns/answer/fast-path.js';
import { handleQuery, respond, type QueryContext } from '../src/dns/answer/handle-query.js';
import { UpstreamForwarder } from '../src/dns/forward/forward.js';
import { encodeAnswer, encodeAnswerLaidOut, encodeError, maxResponseSize } from '../src/dns/wire/encode.js';
import { QTYPE, RCODE, type Answer, type Edns, type Query, type ResourceRecord } from '../src/dns/wire/message.js';
import { readName } from '../src/dns/wire/name-wire.js';
import { parseQuery } from '../src/dns/wire/parse-query.js';
import { firstQuestionEnd, scanMessage } from '../src/dns/wire/reply-scan.js';
import { silentLogger } from '../src/log.js';
import { TableStore } from '../src/store.js';
import { FIXTURE_CONFIG, fixtureTable } from './helpers/fixture-table.js';
import { seededRandom } from './helpers/seeded-random.js';

/** For AnswerOrder shuffle (the default) in the fast path; the properties hold for any order. */
const RANDOM = seededRandom(0x15);
import { startEchoUpstream, type EchoUpstream } from '../bench/echo-upstream.js';
import {
  brokenQueryArb,
  buildQuery,
  garbageArb,
  ldhLabelArb,
  ldhNameArb,
  namedQueryArb,
  oddQueryArb,
  presentation,
  querySpecArb,
  type QuerySpec,
} from './helpers/wire-arbitraries.js';

const RUNS = Number(process.env.WIRE_PROPERTY_RUNS) || 120;
// The time limit ends a run early on a loaded machine (never failing it) and bounds the shrinking
// of a failure; it grows with WIRE_PROPERTY_RUNS.
const TIME_LIMIT_MS = 15_000 * Math.max(1, RUNS / 120);
const params = (scale = 1): fc.Parameters<unknown> => ({ numRuns: Math.max(1, Math.round(RUNS * scale)), interruptAfterTimeLimit: TIME_LIMIT_MS });

// --- 1. round trips -----------------------------------------------------------------------------

function expectedParse(s: QuerySpec): ReturnType<typeof parseQuery> {
  const question = { name: presentation(s.qname), type: s.qtype, class: s.qclass };
  let edns: Edns | undefined;
  if (s.edns) {
    edns = { udpSize: s.edns.udpSize, version: s.edns.version, dnssecOk: s.edns.dnssecOk };
    if (s.edns.options.some((o) => o.code === 3)) edns.nsid = true;
  }
  if (edns && edns.version > 0) {
    return { kind: 'error', rcode: RCODE.BADVERS, id: s.id, opcode: 0, rd: s.rd, cd: s.cd, question, edns };
  }
  const query: Query = { id: s.id, opcode: 0, rd: s.rd, cd: s.cd, question };
  if (edns) query.edns = edns;
  if (s.tsig) {
    const t = s.tsig;
    query.tsig = {
      keyName: presentation(t.key),
      algorithm: presentation(t.algorithm),
      timeSigned: t.timeSigned,
      fudge: t.fudge,
      mac: Buffer.from(t.mac),
      originalId: t.originalId,
      error: t.error,
      other: Buffer.from(t.other),
    };
  }
  return { kind: 'query', query };
}

const ipv4Arb = fc.ipV4();
/** Eight groups, some runs of zero (which dns-packet writes back with '::'). */
const ipv6Arb = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 }).map((g) => g.map((x) => x.toString(16)).join(':'));
const textArb = fc.string({ unit: fc.constantFrom(...'abcdefghij klmnop=:/-_0123456789'), maxLength: 255 });

/** A record under mesos. of any type the encoder writes; names of any length up to the limit. */
function recordArb(zone = 'mesos'): fc.Arbitrary<ResourceRecord> {
  const owner = fc.array(ldhLabelArb, { maxLength: 3 }).map((ls) => [...ls, zone].join('.').slice(-250).replace(/^[-.]+/, 'x'));
  const target = ldhNameArb;
  const ttl = fc.integer({ min: 0, max: 0x7fffffff });
  const data = fc.oneof(
    ipv4Arb.map((address) => ({ type: QTYPE.A, address })),
    ipv6Arb.map((address) => ({ type: QTYPE.AAAA, address })),
    fc.record({ priority: fc.nat(0xffff), weight: fc.nat(0xffff), port: fc.nat(0xffff), target }).map((r) => ({ type: QTYPE.SRV, ...r })),
    target.map((t) => ({ type: QTYPE.NS, target: t })),
    fc.array(textArb, { minLength: 1, maxLength: 3 }).map((texts) => ({ type: QTYPE.TXT, texts })),
    fc.record({ cpu: textArb, os: textArb }).map((r) => ({ type: QTYPE.HINFO, ...r })),
    fc
      .record({ mname: target, rname: target, serial: fc.nat(), refresh: fc.nat(), retry: fc.nat(), expire: fc.nat(), minimum: fc.nat() })
      .map((r) => ({ type: QTYPE.SOA, ...r })),
  );
  return fc.record({ name: owner, ttl, data }) as fc.Arbitrary<ResourceRecord>;
}

/** A parsed query for the encoder: LDH name, any flags, EDNS or not. */
const queryArb: fc.Arbitrary<Query> = fc
  .record({
    id: fc.nat(0xffff),
    rd: fc.boolean(),
    cd: fc.boolean(),
    name: ldhNameArb,
    type: fc.constantFrom(1, 28, 33, 2, 6, 16),
    edns: fc.option(fc.record({ udpSize: fc.nat(0xffff), version: fc.constant(0), dnssecOk: fc.boolean() }), { nil: undefined }),
  })
  .map(({ id, rd, cd, name, type, edns }) => {
    const q: Query = { id, opcode: 0, rd, cd, question: { name, type, class: 1 } };
    if (edns) q.edns = edns;
    return q;
  });

const canonicalV6 = (a: string): string => new URL(`http://[${a}]/`).hostname;

/** A record in one comparable shape, from our ResourceRecord or from dns-packet's decode. */
function ours(rr: ResourceRecord): unknown {
  const d = rr.data;
  const base = { name: rr.name.toLowerCase(), ttl: rr.ttl };
  switch (d.type) {
    case QTYPE.A:
      return { ...base, type: 'A', data: d.address };
    case QTYPE.AAAA:
      return { ...base, type: 'AAAA', data: canonicalV6(d.address) };
    case QTYPE.SRV:
      return { ...base, type: 'SRV', data: [d.priority, d.weight, d.port, d.target] };
    case QTYPE.NS:
      return { ...base, type: 'NS', data: d.target };
    case QTYPE.TXT:
      return { ...base, type: 'TXT', data: d.texts };
    case QTYPE.HINFO:
      return { ...base, type: 'HINFO', data: [d.cpu, d.os] };
    case QTYPE.SOA:
      return { ...base, type: 'SOA', data: [d.mname, d.rname, d.serial, d.refresh, d.retry, d.expire, d.minimum] };
  }
}

function theirs(rr: dnsPacket.Answer): unknown {
  const base = { name: rr.name.toLowerCase(), ttl: (rr as { ttl: number }).ttl };
  const d = (rr as { data: unknown }).data as never;
  switch (rr.type) {
    case 'AAAA':
      return { ...base, type: 'AAAA', data: canonicalV6(d) };
    case 'SRV': {
      const s = d as { priority: number; weight: number; port: number; target: string };
      return { ...base, type: 'SRV', data: [s.priority, s.weight, s.port, s.target] };
    }
    case 'TXT':
      return { ...base, type: 'TXT', data: (d as Buffer[]).map((b) => b.toString('utf8')) };
    case 'HINFO': {
      const h = d as { cpu: string; os: string };
      return { ...base, type: 'HINFO', data: [h.cpu, h.os] };
    }
    case 'SOA': {
      const s = d as { mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number };
      return { ...base, type: 'SOA', data: [s.mname, s.rname, s.serial, s.refresh, s.retry, s.expire, s.minimum] };
    }
    default:
      return { ...base, type: rr.type, data: d };
  }
}

const sectionsArb = (answer: number, authority: number, additional: number): fc.Arbitrary<Answer> =>
  fc
    .record({
      aa: fc.boolean(),
      ra: fc.boolean(),
      answer: fc.array(recordArb(), { maxLength: answer }),
      authority: fc.array(recordArb(), { maxLength: authority }),
      additional: fc.array(recordArb(), { maxLength: additional }),
    })
    .map((a) => ({ kind: 'success' as const, ...a }));

describe('round trips', () => {
  it('parseQuery reports every field of a valid query (names with binary labels, EDNS options, TSIG last)', () => {
    fc.assert(
      fc.property(querySpecArb, (spec) => {
        expect(parseQuery(buildQuery(spec))).toEqual(expectedParse(spec));
      }),
      params(),
    );
  });

  it('a query that breaks one EDNS or TSIG rule (two OPTs, OPT outside additional, TSIG not last...) gets FORMERR', () => {
    fc.assert(
      fc.property(oddQueryArb, (buf) => {
        expect(parseQuery(buf)).toEqual(expect.objectContaining({ kind: 'error', rcode: RCODE.FORMERR, id: buf.readUInt16BE(0) }));
      }),
      params(),
    );
  });

  it('encodeAnswer output decodes (dns-packet) to the same records, and encodeAnswerLaidOut says where they are', () => {
    fc.assert(
      fc.property(queryArb, sectionsArb(12, 4, 8), fc.integer({ min: 512, max: 4096 }), (query, answer, ednsUdpSize) => {
        const opts = { maxSize: 65535, setTruncateBit: true, ednsUdpSize };
        const { wire, layout } = encodeAnswerLaidOut(query, answer, opts);
        expect(wire.equals(encodeAnswer(query, answer, opts))).toBe(true);
        const decoded = dnsPacket.decode(wire);
        expect(decoded.id).toBe(query.id);
        expect(decoded.flag_qr).toBe(true);
        expect([decoded.flag_rd, decoded.flag_cd, decoded.flag_aa, decoded.flag_ra, decoded.flag_tc]).toEqual([query.rd, query.cd, answer.aa, answer.ra, false]);
        expect(decoded.questions).toEqual([{ name: query.question.name, type: dnsPacket.decode(wire).questions![0].type, class: 'IN' }]);
        expect(decoded.answers!.map(theirs)).toEqual(answer.answer.map(ours));
        expect(decoded.authorities!.map(theirs)).toEqual(answer.authority.map(ours));
        const opt = decoded.additionals!.filter((r) => r.type === 'OPT');
        expect(opt.length).toBe(query.edns ? 1 : 0);
        expect(decoded.additionals!.filter((r) => r.type !== 'OPT').map(theirs)).toEqual(answer.additional.map(ours));

        // The layout: the question, then every record back to back, each name where it says.
        const all = [...answer.answer, ...answer.authority, ...answer.additional];
        expect(layout.qname).toEqual(expect.objectContaining({ at: 12, end: layout.questionEnd - 4 }));
        expect(layout.records.map((r) => r.type)).toEqual(all.map((r) => r.data.type));
        let at = layout.questionEnd;
        layout.records.forEach((r, i) => {
          expect(r.start).toBe(at);
          const d = all[i].data;
          const names = [all[i].name, ...(d.type === QTYPE.SRV || d.type === QTYPE.NS ? [d.target] : d.type === QTYPE.SOA ? [d.mname, d.rname] : [])];
          expect(r.names.map((n) => readName(wire, n.at))).toEqual(names.map((n) => expect.objectContaining({ ok: true, name: n })));
          for (const n of r.names) {
            expect(readName(wire, n.at)).toEqual(expect.objectContaining({ next: n.end }));
            if (n.pointer < 0) expect(wire[n.end - 1]).toBe(0);
            else expect(wire.readUInt16BE(n.end - 2)).toBe(0xc000 | n.pointer);
          }
          at = r.end;
        });
        expect(wire.length - at).toBe(query.edns ? 11 : 0);
      }),
      params(0.25),
    );
  });
});

// --- 2. no exception escapes ------------------------------------------------------------------

const anyBytesArb = fc.oneof(garbageArb, brokenQueryArb, oddQueryArb);
const PARSE_ERRORS = [RCODE.FORMERR, RCODE.NOTIMP, RCODE.BADVERS];

function udpLimit(buf: Buffer, config: Config): number {
  const parsed = parseQuery(buf);
  return maxResponseSize(parsed.kind === 'query' ? parsed.query : undefined, 'udp', config.EDNSMaxUDPSize);
}

describe('no exception escapes, whatever the bytes', () => {
  const table = fixtureTable();
  const cache = new AnswerCache(new TableStore().swap(table), FIXTURE_CONFIG);
  const names = [...table.names.keys()];
  /** Queries for names in the table (so the fast path gets far), then perhaps broken. */
  const tableQueryArb = namedQueryArb(names, [1, 28, 33, 2, 6]);

  it('parseQuery returns a query, a drop or FORMERR/NOTIMP/BADVERS, and its error replies fit 512 octets', () => {
    fc.assert(
      fc.property(anyBytesArb, (buf) => {
        const r = parseQuery(buf);
        expect(['query', 'drop', 'error']).toContain(r.kind);
        if (r.kind === 'drop') return;
        const id = r.kind === 'query' ? r.query.id : r.id;
        expect(id).toBe(buf.readUInt16BE(0));
        if (r.kind === 'error') {
          expect(PARSE_ERRORS).toContain(r.rcode);
          const reply = encodeError(r, { maxSize: 512, setTruncateBit: true, ednsUdpSize: 1232 });
          expect(reply.length).toBeLessThanOrEqual(512);
          expect(reply.readUInt16BE(0)).toBe(id);
        }
      }),
      params(3),
    );
  });

  it('the reply scanner throws nothing but MalformedMessageError', () => {
    fc.assert(
      fc.property(anyBytesArb, (buf) => {
        for (const scan of [scanMessage, firstQuestionEnd]) {
          try {
            scan(buf);
          } catch (err) {
            expect(err).toBeInstanceOf(MalformedMessageError);
          }
        }
      }),
      params(3),
    );
  });

  it("the fast path's question reader never throws, and its replies fit the limit and echo the ID", () => {
    fc.assert(
      fc.property(fc.oneof(anyBytesArb, tableQueryArb), fc.constantFrom('udp' as const, 'tcp' as const), (buf, transport) => {
        const reply = fastAnswer(buf, transport, cache, RANDOM);
        if (reply === undefined) return;
        expect(reply.length).toBeLessThanOrEqual(transport === 'tcp' ? 65535 : udpLimit(buf, FIXTURE_CONFIG));
        expect(reply.readUInt16BE(0)).toBe(buf.readUInt16BE(0));
      }),
      params(3),
    );
  });
});

// --- 3. size limits and TC --------------------------------------------------------------------

describe('no reply over the size limit', () => {
  it('fits 512 without EDNS, min(client, EDNSMaxUDPSize) with it, 65535 over TCP; TC exactly when answer/authority records were dropped', () => {
    fc.assert(
      fc.property(
        queryArb,
        sectionsArb(300, 20, 60),
        fc.constantFrom('udp' as const, 'tcp' as const),
        fc.oneof(fc.constantFrom(512, 1232, 4096), fc.integer({ min: 0, max: 70000 })),
        fc.boolean(),
        (query, answer, transport, ednsMax, setTruncateBit) => {
          const ceiling = Math.max(512, Math.min(ednsMax, 65535));
          const limit = transport === 'tcp' ? 65535 : query.edns ? Math.min(Math.max(query.edns.udpSize, 512), ceiling) : 512;
          const opts = { maxSize: maxResponseSize(query, transport, ednsMax), setTruncateBit, ednsUdpSize: ednsMax };
          const reply = encodeAnswer(query, answer, opts);
          expect(reply.length).toBeLessThanOrEqual(limit);

          // What should have been kept: the longest prefix of the records that fits with our OPT
          // (RFC 2181 §9), read off the untruncated encoding's layout.
          const full = encodeAnswerLaidOut(query, answer, { ...opts, maxSize: 65535 });
          const optLength = query.edns ? 11 : 0;
          const kept = full.layout.records.filter((r) => r.end + optLength <= limit).length;
          const counts = [reply.readUInt16BE(6), reply.readUInt16BE(8), reply.readUInt16BE(10) - (query.edns ? 1 : 0)];
          expect(counts[0] + counts[1] + counts[2]).toBe(kept);
          const dropped = counts[0] < answer.answer.length || counts[1] < answer.authority.length;
          expect((reply[2] & 0x02) !== 0).toBe(dropped && setTruncateBit);
          if (query.edns) expect(dnsPacket.decode(reply).additionals!.some((r) => r.type === 'OPT')).toBe(true);
        },
      ),
      params(0.3),
    );
  });
});

// --- 4. the whole pipeline ----------------------------------------------------------------------

describe('respond() over any bytes, with a real table and a loopback upstream', () => {
  let upstream: EchoUpstream;
  let ctx: QueryContext;
  beforeAll(async () => {
    upstream = await startEchoUpstream();
    const store = new TableStore();
    store.swap(fixtureTable());
    ctx = {
      snapshot: () => store.current(),
      // Never 8.8.8.8: forwarded names go to the stand-in on loopback.
      config: withTyped({ ...FIXTURE_CONFIG, Resolvers: [upstream.address] }),
      random: seededRandom(12),
      forwarder: new UpstreamForwarder({ timeoutMs: 300 }),
      logger: silentLogger,
      answers: {},
    };
  });
  afterAll(async () => {
    ctx.forwarder.close();
    await upstream.close();
  });

  const validArb = querySpecArb.map(buildQuery);

  it('never throws, never exceeds the limit, and echoes the ID (fast path and handleQuery)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyBytesArb, validArb), fc.constantFrom('udp' as const, 'tcp' as const), async (buf, transport) => {
        const limit = transport === 'tcp' ? 65535 : udpLimit(buf, ctx.config);
        for (const reply of [await respond(buf, transport, ctx), await handleQuery(buf, transport, ctx)]) {
          if (reply === null) continue;
          expect(reply.length).toBeLessThanOrEqual(limit);
          expect(reply.readUInt16BE(0)).toBe(buf.readUInt16BE(0));
          expect(reply[2] & 0x80).toBe(0x80);
        }
      }),
      params(),
    );
  });
});
