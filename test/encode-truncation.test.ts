// How big a reply may be (maxResponseSize) and how encodeAnswer cuts a reply down to it.
import { describe, expect, it } from '@jest/globals';
import dnsPacket from 'dns-packet';
import { encodeAnswer, maxResponseSize } from '../src/dns/wire/encode.js';
import { lookup } from '../src/dns/answer/lookup.js';
import { QTYPE } from '../src/dns/wire/message.js';
import { checkReply, summaryFromWire } from './helpers/dns-case.js';
import { TCP, UDP, a, aaaa, counts, decode, lookupOpts, optOf, query, srv, success, table } from './helpers/encode.js';

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
