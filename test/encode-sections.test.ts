// encodeAnswer's header, question and sections, EDNS0, NSID/TXT/HINFO, and encodeError.
import { describe, expect, it } from '@jest/globals';
import dnsPacket from 'dns-packet';
import { encodeAnswer, encodeError, maxResponseSize } from '../src/dns/wire/encode.js';
import { lookup } from '../src/dns/answer/lookup.js';
import { parseQuery } from '../src/dns/wire/parse-query.js';
import { QTYPE, RCODE, type Query, type ResourceRecord } from '../src/dns/wire/message.js';
import { checkReply, summaryFromWire } from './helpers/dns-case.js';
import { UDP, a, aaaa, counts, decode, lookupOpts, optOf, query, srv, success, table } from './helpers/encode.js';

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
