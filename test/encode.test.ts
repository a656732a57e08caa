import { describe, expect, it } from '@jest/globals';
import dnsPacket from 'dns-packet';
import { encodeAnswer, encodeAnswerLaidOut, encodeError, maxResponseSize, type EncodeOptions } from '../src/dns/wire/encode.js';
import type { WireLayout } from '../src/dns/wire/layout.js';
import { lookup } from '../src/dns/answer/lookup.js';
import { parseQuery } from '../src/dns/wire/parse-query.js';
import { QTYPE, RCODE, type Answer, type Query, type ResourceRecord } from '../src/dns/wire/message.js';
import { buildTestTable } from './helpers/table.js';
import { seededRandom } from './helpers/seeded-random.js';
import { checkReply, summaryFromDig, summaryFromWire, type DnsCase } from './helpers/dns-case.js';
import { nameToWire, readName } from '../src/dns/wire/name-wire.js';

const UDP: EncodeOptions = { maxSize: 512, setTruncateBit: true, ednsUdpSize: 1232 };
const TCP: EncodeOptions = { maxSize: 65535, setTruncateBit: true, ednsUdpSize: 1232 };

/** A query as the server would get it: dns-packet bytes through our parser. */
function query(name: string, type: dnsPacket.RecordType, o: { udpSize?: number; dnssecOk?: boolean; version?: number; cd?: boolean; rd?: boolean } = {}): Query {
  const buf = dnsPacket.encode({
    type: 'query',
    id: 0xbeef,
    flags: (o.rd === false ? 0 : dnsPacket.RECURSION_DESIRED) | (o.cd ? dnsPacket.CHECKING_DISABLED : 0),
    questions: [{ name, type, class: 'IN' }],
    additionals:
      o.udpSize === undefined
        ? []
        : [{ type: 'OPT', name: '.', udpPayloadSize: o.udpSize, ednsVersion: o.version ?? 0, flags: o.dnssecOk ? dnsPacket.DNSSEC_OK : 0 } as dnsPacket.Answer],
  });
  const r = parseQuery(buf);
  if (r.kind !== 'query') throw new Error(`test query did not parse: ${JSON.stringify(r)}`);
  return r.query;
}

const a = (name: string, address: string, ttl = 60): ResourceRecord => ({ name, ttl, data: { type: QTYPE.A, address } });
const aaaa = (name: string, address: string, ttl = 60): ResourceRecord => ({ name, ttl, data: { type: QTYPE.AAAA, address } });
const srv = (name: string, port: number, target: string): ResourceRecord => ({ name, ttl: 60, data: { type: QTYPE.SRV, priority: 0, weight: 1, port, target } });
const success = (answer: ResourceRecord[], additional: ResourceRecord[] = [], authority: ResourceRecord[] = []): Answer => ({
  kind: 'success',
  aa: true,
  ra: true,
  answer,
  authority,
  additional,
});

const decode = (buf: Buffer) => dnsPacket.decode(buf);
const optOf = (buf: Buffer) => (decode(buf).additionals ?? []).find((rr): rr is dnsPacket.OptAnswer => rr.type === 'OPT');
const counts = (buf: Buffer) => [buf.readUInt16BE(4), buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)];

const table = buildTestTable([
  'leader.mesos. A 10.0.0.1',
  'ns1.mesos. A 10.0.0.53',
  '_web._tcp.marathon.mesos. SRV 0 1 31000 web-aaaaa-0.marathon.slave.mesos.',
  '_web._tcp.marathon.mesos. SRV 0 1 31001 web-bbbbb-1.marathon.slave.mesos.',
  'web-aaaaa-0.marathon.slave.mesos. A 1.2.3.11',
  'web-aaaaa-0.marathon.slave.mesos. AAAA 2001:db8::11',
  'web-bbbbb-1.marathon.slave.mesos. A 1.2.3.12',
]);
const lookupOpts = { random: seededRandom(5), recurseOn: true };

describe('encodeAnswer: header, question and sections', () => {
  it('writes what lookup decided, readable by dns-packet', () => {
    const q = query('_web._tcp.marathon.mesos', 'SRV');
    const buf = encodeAnswer(q, lookup(table, q, lookupOpts), UDP);
    checkReply(
      {
        qname: '_web._tcp.marathon.mesos.',
        qtype: 'SRV',
        rcode: 'NOERROR',
        aa: true,
        tc: false,
        answer: [
          '_web._tcp.marathon.mesos. 60 IN SRV 0 1 31000 web-aaaaa-0.marathon.slave.mesos.',
          '_web._tcp.marathon.mesos. 60 IN SRV 0 1 31001 web-bbbbb-1.marathon.slave.mesos.',
        ],
        additional: [
          'web-aaaaa-0.marathon.slave.mesos. 60 IN A 1.2.3.11',
          'web-bbbbb-1.marathon.slave.mesos. 60 IN A 1.2.3.12',
          'web-aaaaa-0.marathon.slave.mesos. 60 IN AAAA 2001:db8::11',
        ],
      },
      summaryFromWire(buf),
    );
  });

  it('copies ID, opcode, RD and CD, sets QR, AA and RA, never AD', () => {
    const q = query('leader.mesos', 'A', { cd: true });
    const p = decode(encodeAnswer(q, lookup(table, q, lookupOpts), UDP));
    expect(p).toMatchObject({ id: 0xbeef, type: 'response', opcode: 'QUERY', flag_qr: true, flag_aa: true, flag_rd: true, flag_cd: true, flag_ra: true, flag_ad: false, flag_tc: false });
    const q2 = query('leader.mesos', 'A', { rd: false });
    const p2 = decode(encodeAnswer(q2, lookup(table, q2, { ...lookupOpts, recurseOn: false }), UDP));
    expect(p2).toMatchObject({ flag_rd: false, flag_cd: false, flag_ra: false });
  });

  it.each([
    ['success', 0],
    ['nodata', 0],
    ['nxdomain', 3],
    ['servfail', 2],
    ['refused', 5],
    ['notimp', 4],
    ['formerr', 1],
  ] as const)('maps %s to rcode %i', (kind, rcode) => {
    const buf = encodeAnswer(query('leader.mesos', 'A'), { kind, aa: false, ra: false, answer: [], authority: [], additional: [] }, UDP);
    expect(buf[3] & 0x0f).toBe(rcode);
  });

  it('echoes the question byte for byte, case and odd label bytes included', () => {
    const sent = dnsPacket.encode({ type: 'query', id: 1, questions: [{ name: 'LeAdEr.MeSoS', type: 'A' }] });
    const raw = Buffer.concat([sent.subarray(0, 12), Buffer.from([3, 0x61, 0x2e, 0x20, 5]), Buffer.from('MeSoS'), Buffer.from([0, 0, 1, 0, 1])]);
    for (const buf of [sent, raw]) {
      const r = parseQuery(buf);
      if (r.kind !== 'query') throw new Error('did not parse');
      const reply = encodeAnswer(r.query, lookup(table, r.query, lookupOpts), UDP);
      expect(reply.subarray(12, buf.length)).toEqual(buf.subarray(12));
    }
  });

  it('compresses owner names onto the question and keeps the case as sent', () => {
    const q = query('LeAdEr.MeSoS', 'A');
    const buf = encodeAnswer(q, lookup(table, q, lookupOpts), UDP);
    const qEnd = 12 + 14 + 4;
    // the answer's owner is a pointer to offset 12
    expect([...buf.subarray(qEnd, qEnd + 2)]).toEqual([0xc0, 12]);
    expect(decode(buf).answers?.[0].name).toBe('LeAdEr.MeSoS');
  });

  it('compresses NS and SOA rdata names', () => {
    const q = query('mesos', 'SOA');
    const buf = encodeAnswer(q, lookup(table, q, lookupOpts), UDP);
    checkReply({ qname: 'mesos.', qtype: 'SOA', rcode: 'NOERROR', answer: ['mesos. 60 IN SOA ns1.mesos. root.ns1.mesos. 1 60 600 86400 60'] }, summaryFromWire(buf));
    // uncompressed: 12 + 11 (question) + 11 (RR head, owner 7 bytes) + 11 + 16 + 20 = 81
    expect(buf.length).toBeLessThan(81);
    // "ns1" then a pointer to the question's "mesos"
    expect(buf.indexOf(Buffer.from([3, 0x6e, 0x73, 0x31, 0xc0, 12]))).toBeGreaterThan(0);
    const nsq = query('mesos', 'NS');
    const ns = encodeAnswer(nsq, lookup(table, nsq, lookupOpts), UDP);
    expect(ns.indexOf(Buffer.from([3, 0x6e, 0x73, 0x31, 0xc0, 12]))).toBeGreaterThan(0);
    checkReply(
      { qname: 'mesos.', qtype: 'NS', rcode: 'NOERROR', answer: ['mesos. 60 IN NS ns1.mesos.'], additional: ['ns1.mesos. 60 IN A 10.0.0.53'] },
      summaryFromWire(ns),
    );
  });

  it('never compresses SRV targets (RFC 2782), but later names may point into them', () => {
    const target = 'web-aaaaa-0.marathon.slave.mesos.';
    const buf = encodeAnswer(
      query('_web._tcp.marathon.mesos', 'SRV'),
      success([srv('_web._tcp.marathon.mesos.', 31000, target)], [a(target, '1.2.3.11')]),
      UDP,
    );
    // the full target, label by label, right after priority/weight/port
    const full = Buffer.from([11, ...Buffer.from('web-aaaaa-0'), 8, ...Buffer.from('marathon'), 5, ...Buffer.from('slave'), 5, ...Buffer.from('mesos'), 0]);
    const at = buf.indexOf(Buffer.concat([Buffer.from([0, 0, 0, 1, 0x79, 0x18]), full]));
    expect(at).toBeGreaterThan(0);
    // the glue's owner is a 2-byte pointer to the target inside the SRV rdata
    const glueOwnerAt = at + 6 + full.length;
    expect([buf[glueOwnerAt] & 0xc0, ((buf[glueOwnerAt] & 0x3f) << 8) | buf[glueOwnerAt + 1]]).toEqual([0xc0, at + 6]);
    expect(summaryFromWire(buf).additional).toEqual(['web-aaaaa-0.marathon.slave.mesos. 60 IN A 1.2.3.11']);
  });

  it('writes IPv6 addresses in every textual form', () => {
    const forms: [string, string][] = [
      ['::1', '::1'],
      ['fd01:b::1:8000:2', 'fd01:b::1:8000:2'],
      ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
      ['::ffff:1.2.3.4', '::ffff:102:304'],
      ['fe80::1%eth0', 'fe80::1'],
      ['::', '::'],
    ];
    const buf = encodeAnswer(query('x.mesos', 'AAAA'), success(forms.map(([t]) => aaaa('x.mesos.', t))), UDP);
    expect(summaryFromWire(buf).answer).toEqual(forms.map(([, c]) => `x.mesos. 60 IN AAAA ${c}`));
  });

  it('skips records it cannot put on the wire instead of failing the reply', () => {
    const buf = encodeAnswer(
      query('x.mesos', 'A'),
      success([
        a('x.mesos.', '10.0.0.1'),
        a('x.mesos.', '10.0.0.256'),
        a('x.mesos.', 'not-an-ip'),
        aaaa('x.mesos.', '1::2::3'),
        aaaa('x.mesos.', '1:2:3:4:5:6:7:8:9'),
        srv('x.mesos.', 80, `${'y'.repeat(64)}.mesos.`),
        srv('x.mesos.', 81, 'a..mesos.'),
        aaaa('x.mesos.', '::2'),
      ]),
      UDP,
    );
    expect(summaryFromWire(buf).answer).toEqual(['x.mesos. 60 IN A 10.0.0.1', 'x.mesos. 60 IN AAAA ::2']);
  });

  it('clamps TTLs to 0..2^31-1 (RFC 2181 §8)', () => {
    const buf = encodeAnswer(query('x.mesos', 'A'), success([a('x.mesos.', '10.0.0.1', 2 ** 32 + 5), a('x.mesos.', '10.0.0.2', -1)]), UDP);
    expect((decode(buf).answers ?? []).map((rr) => ('ttl' in rr ? rr.ttl : undefined))).toEqual([0x7fffffff, 0]);
  });
});

describe('encodeAnswer: EDNS0', () => {
  it('adds no OPT when the query had none', () => {
    const q = query('leader.mesos', 'A');
    const buf = encodeAnswer(q, lookup(table, q, lookupOpts), UDP);
    expect(optOf(buf)).toBeUndefined();
    expect(counts(buf)[3]).toBe(0);
  });

  it.each([true, false])('answers an EDNS query with our OPT: our size, version 0, DO=%s echoed, no options', (dnssecOk) => {
    const q = query('leader.mesos', 'A', { udpSize: 4096, dnssecOk });
    const buf = encodeAnswer(q, lookup(table, q, lookupOpts), { ...UDP, maxSize: maxResponseSize(q, 'udp', 1232) });
    expect(optOf(buf)).toMatchObject({ name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flag_do: dnssecOk, options: [] });
    expect(buf[3] & 0x0f).toBe(0);
  });

  it('ignores the client options it does not know (RFC 6891 §6.1.2)', () => {
    const sent = dnsPacket.encode({
      type: 'query',
      id: 3,
      questions: [{ name: 'leader.mesos', type: 'A' }],
      additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1400, options: [{ code: 65001, data: Buffer.from('hello') }] } as unknown as dnsPacket.Answer],
    });
    const r = parseQuery(sent);
    if (r.kind !== 'query') throw new Error('did not parse');
    const buf = encodeAnswer(r.query, lookup(table, r.query, lookupOpts), UDP);
    expect(optOf(buf)?.options).toEqual([]);
    expect(summaryFromWire(buf).answer).toEqual(['leader.mesos. 60 IN A 10.0.0.1']);
  });

  it('BADVERS: header rcode 0, OPT extended rcode 1 (RFC 6891 §6.1.3)', () => {
    const sent = dnsPacket.encode({
      type: 'query',
      id: 9,
      questions: [{ name: 'leader.mesos', type: 'A' }],
      additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096, ednsVersion: 1, flags: dnsPacket.DNSSEC_OK } as dnsPacket.Answer],
    });
    const r = parseQuery(sent);
    if (r.kind !== 'error') throw new Error('expected an error result');
    const buf = encodeError(r, UDP);
    expect(buf[3] & 0x0f).toBe(0);
    expect(optOf(buf)).toMatchObject({ extendedRcode: 1, ednsVersion: 0, udpPayloadSize: 1232, flag_do: true });
    checkReply({ qname: 'leader.mesos.', qtype: 'A', rcode: 'BADVERS', aa: false }, summaryFromWire(buf));
    expect(decode(buf).questions).toEqual([{ name: 'leader.mesos', type: 'A', class: 'IN' }]);
    // the same through encodeAnswer with a 'badvers' result
    const q = query('leader.mesos', 'A', { udpSize: 4096 });
    const viaAnswer = encodeAnswer(q, { kind: 'badvers', aa: false, ra: false, answer: [], authority: [], additional: [] }, UDP);
    expect(summaryFromWire(viaAnswer).rcode).toBe('BADVERS');
  });
});

describe('encodeAnswer: NSID, TXT and HINFO', () => {
  const nsidQuery = (): Query => ({ ...query('leader.mesos', 'A', { udpSize: 1232 }), edns: { udpSize: 1232, version: 0, dnssecOk: false, nsid: true } });
  const nsidOption = (buf: Buffer) => (optOf(buf)?.options as unknown as { code: number; data: Buffer }[]).find((o) => o.code === 3);

  it('puts NSID in our OPT only when the query asked and an identity is given (RFC 5001 §2.1)', () => {
    const answer = success([a('leader.mesos.', '10.0.0.1')]);
    const id = Buffer.from('edge-7');
    expect(nsidOption(encodeAnswer(nsidQuery(), answer, { ...UDP, nsid: id }))?.data).toEqual(id);
    expect(nsidOption(encodeAnswer(nsidQuery(), answer, UDP))).toBeUndefined();
    expect(nsidOption(encodeAnswer(query('leader.mesos', 'A', { udpSize: 1232 }), answer, { ...UDP, nsid: id }))).toBeUndefined();
    const err = encodeError({ id: 1, opcode: 0, rd: true, rcode: RCODE.REFUSED, edns: nsidQuery().edns }, { ...UDP, nsid: id });
    expect(nsidOption(err)?.data).toEqual(id);
  });

  it('counts the NSID option against the size limit and keeps it when records are dropped (RFC 6891 §7)', () => {
    const many = Array.from({ length: 40 }, (_, i) => a('leader.mesos.', `10.0.0.${i}`));
    const id = Buffer.alloc(200, 0x61);
    const out = encodeAnswer(nsidQuery(), success(many), { ...UDP, nsid: id });
    expect(out.length).toBeLessThanOrEqual(512);
    expect(decode(out).flag_tc).toBe(true);
    expect(nsidOption(out)?.data).toEqual(id);
    const without = encodeAnswer(nsidQuery(), success(many), UDP);
    expect(counts(out)[1]).toBeLessThan(counts(without)[1]);
  });

  it('writes TXT of class CH and HINFO as character-strings (RFC 1035 §3.3.2, §3.3.14)', () => {
    const txt: ResourceRecord = { name: 'version.bind.', ttl: 0, class: 3, data: { type: QTYPE.TXT, texts: ['edge-7'] } };
    const hinfo: ResourceRecord = { name: 'mesos.', ttl: 60, data: { type: QTYPE.HINFO, cpu: 'RFC8482', os: '' } };
    const p = decode(encodeAnswer(query('mesos', 'A'), success([txt, hinfo]), UDP));
    expect(p.answers).toEqual([
      expect.objectContaining({ name: 'version.bind', type: 'TXT', class: 'CH', ttl: 0, data: [Buffer.from('edge-7')] }),
      expect.objectContaining({ name: 'mesos', type: 'HINFO', class: 'IN', ttl: 60, data: { cpu: 'RFC8482', os: '' } }),
    ]);
  });
});

describe('encodeError', () => {
  const question = { name: 'leader.mesos', type: 1, class: 1 };
  it.each([
    ['FORMERR without a question', { id: 1, opcode: 0, rd: true, rcode: RCODE.FORMERR }, 'FORMERR', 0],
    ['NOTIMP keeps the opcode', { id: 2, opcode: 5, rd: false, rcode: RCODE.NOTIMP, question }, 'NOTIMP', 1],
    ['REFUSED', { id: 3, opcode: 0, rd: true, rcode: RCODE.REFUSED, question }, 'REFUSED', 1],
    ['SERVFAIL with EDNS', { id: 4, opcode: 0, rd: true, rcode: RCODE.SERVFAIL, question, edns: { udpSize: 4096, version: 0, dnssecOk: false } }, 'SERVFAIL', 1],
  ] as const)('%s', (_label, e, rcode, qd) => {
    const buf = encodeError(e, UDP);
    const p = decode(buf);
    expect(p).toMatchObject({ id: e.id, flag_qr: true, flag_aa: false, flag_ra: false, flag_tc: false, flag_rd: e.rd, opcode: e.opcode === 5 ? 'UPDATE' : 'QUERY' });
    expect(summaryFromWire(buf).rcode).toBe(rcode);
    expect(counts(buf)).toEqual([qd, 0, 0, 'edns' in e ? 1 : 0]);
  });

  it('sets RA only when asked', () => {
    expect(decode(encodeError({ id: 1, opcode: 0, rd: true, rcode: RCODE.SERVFAIL, ra: true }, UDP)).flag_ra).toBe(true);
  });
});

describe('maxResponseSize', () => {
  const plain = query('a.mesos', 'A');
  it.each([
    ['TCP', plain, 'tcp', 1232, 65535],
    ['UDP without EDNS', plain, 'udp', 1232, 512],
    ['UDP, no query parsed', undefined, 'udp', 1232, 512],
    ['UDP, client asks 4096, we allow 1232', query('a.mesos', 'A', { udpSize: 4096 }), 'udp', 1232, 1232],
    ['UDP, client asks 1000', query('a.mesos', 'A', { udpSize: 1000 }), 'udp', 1232, 1000],
    ['UDP, client asks below 512', query('a.mesos', 'A', { udpSize: 100 }), 'udp', 1232, 512],
    ['UDP, our limit below 512 is raised to 512', query('a.mesos', 'A', { udpSize: 4096 }), 'udp', 256, 512],
    ['UDP, our limit above 65535', query('a.mesos', 'A', { udpSize: 65535 }), 'udp', 100000, 65535],
  ] as const)('%s', (_label, q, transport, ours, want) => {
    expect(maxResponseSize(q, transport, ours)).toBe(want);
  });
});

describe('truncation', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => a('app.mesos.', `10.0.${i >> 8}.${i & 0xff}`));
  // header 12 + question (app.mesos = 11 + 4) = 27; each A: pointer owner 2 + 10 + 4 = 16
  const QEND = 27;
  const A_SIZE = 16;

  it('100 A records over UDP without EDNS: as many whole answers as fit in 512, TC', () => {
    const buf = encodeAnswer(query('app.mesos', 'A'), success(hundred), UDP);
    const n = Math.floor((512 - QEND) / A_SIZE);
    expect(buf.length).toBe(QEND + n * A_SIZE);
    expect(buf.length).toBeLessThanOrEqual(512);
    expect(counts(buf)).toEqual([1, n, 0, 0]);
    const p = decode(buf);
    expect(p.flag_tc).toBe(true);
    // a prefix of the answer, in order
    expect((p.answers ?? []).map((rr) => (rr as dnsPacket.StringAnswer).data)).toEqual(hundred.slice(0, n).map((rr) => (rr.data as { address: string }).address));
  });

  it('100 A records with EDNS: up to the negotiated 1232, keeping our OPT', () => {
    const q = query('app.mesos', 'A', { udpSize: 4096 });
    const buf = encodeAnswer(q, success(hundred), { ...UDP, maxSize: maxResponseSize(q, 'udp', 1232) });
    const n = Math.floor((1232 - QEND - 11) / A_SIZE);
    expect(buf.length).toBeLessThanOrEqual(1232);
    expect(counts(buf)).toEqual([1, n, 0, 1]);
    expect(decode(buf).flag_tc).toBe(true);
    expect(optOf(buf)?.udpPayloadSize).toBe(1232);
  });

  it('100 A records over TCP: all of them, no TC', () => {
    const buf = encodeAnswer(query('app.mesos', 'A'), success(hundred), TCP);
    expect(counts(buf)).toEqual([1, 100, 0, 0]);
    expect(decode(buf).flag_tc).toBe(false);
  });

  it('setTruncateBit false: still cut to fit, TC never set (mesos-dns compat)', () => {
    const buf = encodeAnswer(query('app.mesos', 'A'), success(hundred), { ...UDP, setTruncateBit: false });
    expect(buf.length).toBeLessThanOrEqual(512);
    expect(counts(buf)[1]).toBe(Math.floor((512 - QEND) / A_SIZE));
    expect(decode(buf).flag_tc).toBe(false);
  });

  describe('SRV with glue', () => {
    // 6 SRV answers (47 bytes each after a 42-byte header+question), each with its own target,
    // one A (16 bytes) and one AAAA (28 bytes) of glue per target: 42 + 282 + 96 + 3 * 28 = 504
    const targets = Array.from({ length: 6 }, (_, i) => `task-${i}.marathon.slave.mesos.`);
    const answers = targets.map((t, i) => srv('_app._tcp.marathon.mesos.', 31000 + i, t));
    const glue = [...targets.map((t, i) => a(t, `10.1.0.${i}`)), ...targets.map((t, i) => aaaa(t, `fd00::${i}`))];
    const q = query('_app._tcp.marathon.mesos', 'SRV');

    it('fits entirely over TCP', () => {
      const buf = encodeAnswer(q, success(answers, glue), TCP);
      expect(counts(buf)).toEqual([1, 6, 0, 12]);
    });

    it('drops additional records from the end first, A glue outliving AAAA glue, without TC', () => {
      const buf = encodeAnswer(q, success(answers, glue), UDP);
      const [, an, , ar] = counts(buf);
      expect(buf.length).toBeLessThanOrEqual(512);
      expect(an).toBe(6);
      expect(ar).toBe(9);
      const p = decode(buf);
      expect(p.flag_tc).toBe(false);
      // a prefix of the additional section: all A glue kept before any AAAA
      expect((p.additionals ?? []).map((rr) => rr.type)).toEqual(glue.slice(0, ar).map((rr) => (rr.data.type === QTYPE.A ? 'A' : 'AAAA')));
    });

    it('keeps our OPT while dropping glue (RFC 6891 §7)', () => {
      const eq = query('_app._tcp.marathon.mesos', 'SRV', { udpSize: 512 });
      const buf = encodeAnswer(eq, success(answers, glue), { ...UDP, maxSize: maxResponseSize(eq, 'udp', 1232) });
      expect(buf.length).toBeLessThanOrEqual(512);
      expect(optOf(buf)).toBeDefined();
      expect(decode(buf).flag_tc).toBe(false);
    });

    it('sets TC once answers themselves no longer fit, with no glue left', () => {
      const many = Array.from({ length: 40 }, (_, i) => srv('_app._tcp.marathon.mesos.', 30000 + i, targets[i % 6]));
      const buf = encodeAnswer(q, success(many, glue), UDP);
      const [, an, , ar] = counts(buf);
      expect(an).toBeLessThan(40);
      expect(ar).toBe(0);
      expect(decode(buf).flag_tc).toBe(true);
    });
  });

  it('negative answers keep their SOA', () => {
    const q = query('nothere.mesos', 'A', { udpSize: 512 });
    const buf = encodeAnswer(q, lookup(table, q, lookupOpts), UDP);
    checkReply({ qname: 'nothere.mesos.', qtype: 'A', rcode: 'NXDOMAIN', tc: false, authority: ['mesos. 60 IN SOA ns1.mesos. root.ns1.mesos. 1 60 600 86400 60'] }, summaryFromWire(buf));
  });

  it('header + question with TC when not even our OPT fits', () => {
    const q = query('app.mesos', 'A', { udpSize: 4096 });
    const buf = encodeAnswer(q, success(hundred), { ...UDP, maxSize: QEND + 5 });
    expect(buf.length).toBe(QEND);
    expect(counts(buf)).toEqual([1, 0, 0, 0]);
    expect(decode(buf).flag_tc).toBe(true);
  });

  it('header alone when the budget is smaller than the question', () => {
    const buf = encodeAnswer(query('app.mesos', 'A'), success(hundred), { ...UDP, maxSize: 20 });
    expect(buf.length).toBe(12);
    expect(counts(buf)).toEqual([0, 0, 0, 0]);
    expect(buf[2] & 0x02).toBe(0x02);
  });

  it('always fits, always decodes and always keeps a prefix, for every budget', () => {
    const targets = Array.from({ length: 6 }, (_, i) => `t${i}.slave.mesos.`);
    const answer = success(
      targets.map((t, i) => srv('_x._tcp.mesos.', 1000 + i, t)),
      [...targets.map((t, i) => a(t, `10.2.0.${i}`)), ...targets.map((t, i) => aaaa(t, `fd00::${i}`))],
    );
    const full = encodeAnswer(query('_x._tcp.mesos', 'SRV', { udpSize: 4096 }), answer, TCP);
    const fullPacket = decode(full);
    for (let maxSize = 12; maxSize <= full.length + 1; maxSize++) {
      const buf = encodeAnswer(query('_x._tcp.mesos', 'SRV', { udpSize: 4096 }), answer, { ...UDP, maxSize });
      expect(buf.length).toBeLessThanOrEqual(maxSize);
      const p = decode(buf);
      expect(p.answers).toEqual((fullPacket.answers ?? []).slice(0, p.answers?.length));
      const extra = (p.additionals ?? []).filter((rr) => rr.type !== 'OPT');
      expect(extra).toEqual((fullPacket.additionals ?? []).filter((rr) => rr.type !== 'OPT').slice(0, extra.length));
      expect(p.flag_tc).toBe((p.answers?.length ?? 0) < 6 || p.questions?.length === 0 || (optOf(buf) === undefined && maxSize < full.length));
    }
  });

  it('stays correct past the 14-bit pointer range on large TCP replies', () => {
    // distinct targets, so names keep being written beyond offset 0x3fff where no new
    // compression targets may be recorded
    const targets = Array.from({ length: 900 }, (_, i) => `task-${i}-zzzzz-0.some-framework.slave.mesos.`);
    const answer = success(
      targets.map((t, i) => srv('_big._tcp.some-framework.mesos.', 20000 + i, t)),
      targets.map((t, i) => a(t, `10.3.${i >> 8}.${i & 0xff}`)),
    );
    const buf = encodeAnswer(query('_big._tcp.some-framework.mesos', 'SRV'), answer, TCP);
    expect(buf.length).toBeGreaterThan(0x4000);
    expect(buf.length).toBeLessThanOrEqual(65535);
    const p = decode(buf);
    const an = p.answers?.length ?? 0;
    expect(an).toBeGreaterThan(0);
    expect((p.answers ?? []).map((rr) => (rr as dnsPacket.SrvAnswer).data.target)).toEqual(targets.slice(0, an).map((t) => t.slice(0, -1)));
    expect((p.additionals ?? []).map((rr) => rr.name)).toEqual(targets.slice(0, p.additionals?.length).map((t) => t.slice(0, -1)));
  });
});

describe('encodeAnswerLaidOut: where the encoder put the question, records and names', () => {
  /** Names per record type: the owner, then RDATA names. */
  const NAMES: Record<number, number> = { [QTYPE.A]: 1, [QTYPE.AAAA]: 1, [QTYPE.NS]: 2, [QTYPE.SRV]: 2, [QTYPE.SOA]: 3 };

  /**
   * Where `layout` disagrees with the bytes, read independently with the message parser's
   * readName; [] when it agrees. (Plain comparisons, one expect per reply: this runs per budget.)
   */
  function layoutProblems(wire: Buffer, layout: WireLayout): string[] {
    const problems: string[] = [];
    const check = (ok: boolean, what: string): void => {
      if (!ok) problems.push(what);
    };
    const [qd, an, ns, ar] = counts(wire);
    const withOpt = optOf(wire) !== undefined;
    if (qd === 1) {
      const q = readName(wire, 12);
      check(layout.qname?.at === 12 && q.ok && layout.qname.end === q.next && layout.qname.pointer === -1, 'qname');
      check(layout.questionEnd === (layout.qname?.end ?? 0) + 4, 'questionEnd');
    } else {
      check(layout.qname === undefined && layout.questionEnd === 12, 'no question');
    }
    check(layout.records.length === an + ns + ar - (withOpt ? 1 : 0), 'record count');
    let at = layout.questionEnd;
    for (const [i, record] of layout.records.entries()) {
      check(record.start === at && record.names[0].at === at, `record ${i} start`);
      check(record.names.length === NAMES[record.type], `record ${i} names`);
      const ownerEnd = record.names[0].end;
      check(wire.readUInt16BE(ownerEnd) === record.type, `record ${i} type`);
      check(record.end === ownerEnd + 10 + wire.readUInt16BE(ownerEnd + 8), `record ${i} end`);
      for (const [k, name] of record.names.entries()) {
        const read = readName(wire, name.at);
        check(read.ok && read.next === name.end, `record ${i} name ${k} end`);
        const bytes = name.pointer >= 0 ? wire[name.end - 2] === (0xc0 | (name.pointer >> 8)) && wire[name.end - 1] === (name.pointer & 0xff) : wire[name.end - 1] === 0;
        check(bytes, `record ${i} name ${k} pointer`);
      }
      if (record.type === QTYPE.SRV) check(record.names[1].pointer === -1, `record ${i} SRV target compressed`); // RFC 2782
      at = record.end;
    }
    check(at === wire.length - (withOpt ? 11 : 0), 'records end where the message (or our OPT) ends');
    return problems;
  }

  const targets = Array.from({ length: 6 }, (_, i) => `t${i}.slave.mesos.`);
  const srvAnswer = success(
    targets.map((t, i) => srv('_x._tcp.mesos.', 1000 + i, t)),
    [...targets.map((t, i) => a(t, `10.2.0.${i}`)), ...targets.map((t, i) => aaaa(t, `fd00::${i}`))],
  );

  it('reports the same bytes as encodeAnswer, and every record and name in them, at every budget', () => {
    const q = query('_x._tcp.mesos', 'SRV', { udpSize: 4096 });
    const full = encodeAnswer(q, srvAnswer, TCP);
    for (let maxSize = 12; maxSize <= full.length + 1; maxSize++) {
      const opts = { ...UDP, maxSize };
      const { wire, layout } = encodeAnswerLaidOut(q, srvAnswer, opts);
      expect(wire.equals(encodeAnswer(q, srvAnswer, opts))).toBe(true);
      expect([maxSize, layoutProblems(wire, layout)]).toEqual([maxSize, []]);
    }
  });

  it('reports pointers into the question and earlier records, also in a reply past the 14-bit pointer range', () => {
    for (const [name, type] of [['mesos', 'NS'], ['mesos', 'SOA'], ['nope.mesos', 'A'], ['_web._tcp.marathon.mesos', 'SRV']] as const) {
      const q = query(name, type);
      const { wire, layout } = encodeAnswerLaidOut(q, lookup(table, q, lookupOpts), TCP);
      expect(layoutProblems(wire, layout)).toEqual([]);
      expect(layout.records.some((r) => r.names.some((n) => n.pointer >= 12))).toBe(true);
    }
    const big = Array.from({ length: 900 }, (_, i) => `task-${i}-zzzzz-0.some-framework.slave.mesos.`);
    const answer = success(
      big.map((t, i) => srv('_big._tcp.some-framework.mesos.', 20000 + i, t)),
      big.map((t, i) => a(t, `10.3.${i >> 8}.${i & 0xff}`)),
    );
    const { wire, layout } = encodeAnswerLaidOut(query('_big._tcp.some-framework.mesos', 'SRV'), answer, TCP);
    expect(wire.length).toBeGreaterThan(0x4000);
    expect(layoutProblems(wire, layout)).toEqual([]);
  });
});

describe('nameToWire', () => {
  const wire = (...labels: string[]): number[] => [...labels.flatMap((l) => [l.length, ...Buffer.from(l, 'latin1')]), 0];
  it.each([
    ['', [0]],
    ['.', [0]],
    ['mesos', wire('mesos')],
    ['leader.mesos.', wire('leader', 'mesos')],
    ['a\\046b.mesos', wire('a.b', 'mesos')],
    ['a\\.b.mesos', wire('a.b', 'mesos')],
    ['x\\.', wire('x.')],
    ['\\000\\255', wire('\u0000\u00ff')],
    ['caf\u00e9.mesos', wire('caf\u00c3\u00a9', 'mesos')],
    [`${'a'.repeat(63)}.mesos`, wire('a'.repeat(63), 'mesos')],
  ])('%j', (name, bytes) => {
    expect([...(nameToWire(name) ?? [])]).toEqual(bytes);
  });

  it.each([
    '.mesos',
    'a..mesos',
    '..',
    'a\\',
    'a\\25',
    'a\\256.mesos',
    'a\\1x1.mesos',
    `${'a'.repeat(64)}.mesos`,
    Array.from({ length: 4 }, () => 'b'.repeat(63)).join('.'), // 257 octets
  ])('rejects %j', (name) => {
    expect(nameToWire(name)).toBeUndefined();
  });

  it('accepts a 255-octet name', () => {
    const name = [...Array.from({ length: 3 }, () => 'b'.repeat(63)), 'c'.repeat(61)].join('.');
    expect(nameToWire(name)?.length).toBe(255);
  });
});

describe('test helpers (dns-case)', () => {
  it('checkReply fails on a wrong section, rcode or flag', () => {
    const q = query('leader.mesos', 'A');
    const got = summaryFromWire(encodeAnswer(q, lookup(table, q, lookupOpts), UDP));
    const right: DnsCase = { qname: 'leader.mesos.', qtype: 'A', rcode: 'NOERROR', aa: true, answer: ['leader.mesos.  60 in a 10.0.0.1'] };
    checkReply(right, got);
    expect(() => checkReply({ ...right, answer: ['leader.mesos. 60 IN A 10.0.0.2'] }, got)).toThrow();
    expect(() => checkReply({ ...right, rcode: 'NXDOMAIN' }, got)).toThrow();
    expect(() => checkReply({ ...right, aa: false }, got)).toThrow();
    expect(() => checkReply({ ...right, additional: ['ns1.mesos. 60 IN A 10.0.0.53'] }, got)).toThrow();
  });

  it('summaryFromDig reads dig output', () => {
    const out = [
      '; <<>> DiG 9.18 <<>> @127.0.0.1 -p 5353 _web._tcp.marathon.mesos SRV',
      ';; global options: +cmd',
      ';; Got answer:',
      ';; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 4711',
      ';; flags: qr aa rd ra; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 3',
      '',
      ';; OPT PSEUDOSECTION:',
      '; EDNS: version: 0, flags:; udp: 1232',
      ';; QUESTION SECTION:',
      ';_web._tcp.marathon.mesos.\tIN\tSRV',
      '',
      ';; ANSWER SECTION:',
      '_web._tcp.marathon.mesos. 60\tIN\tSRV\t0 1 31000 web-aaaaa-0.marathon.slave.mesos.',
      '',
      ';; ADDITIONAL SECTION:',
      'web-aaaaa-0.marathon.slave.mesos. 60 IN A\t1.2.3.11',
      'web-aaaaa-0.marathon.slave.mesos. 60 IN AAAA\t2001:DB8:0::11',
      '',
      ';; Query time: 0 msec',
    ].join('\n');
    checkReply(
      {
        qname: '_web._tcp.marathon.mesos.',
        qtype: 'SRV',
        rcode: 'NOERROR',
        aa: true,
        tc: false,
        answer: ['_web._tcp.marathon.mesos. 60 IN SRV 0 1 31000 web-aaaaa-0.marathon.slave.mesos.'],
        additional: ['web-aaaaa-0.marathon.slave.mesos. 60 IN A 1.2.3.11', 'web-aaaaa-0.marathon.slave.mesos. 60 IN AAAA 2001:db8::11'],
      },
      summaryFromDig(out),
    );
  });
});
