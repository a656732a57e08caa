// The pre-encoded answer cache, table-driven: how each canonical reply is classified for the
// fast path (layout, where case starts to matter), what a miss fills in, and the per-cache
// negative-answer tails. test/fast-path-equivalence.test.ts checks the bytes that come out of it.
import { describe, expect, it } from '@jest/globals';
import { DEFAULTS, withTyped, type Config } from '../src/config/typed.js';
import { AnswerCache, NODATA, NXDOMAIN, SLOW } from '../src/dns/answer/answer-cache.js';
import { preEncode, shape, type Layout } from '../src/dns/answer/pre-encode.js';
import { encodeAnswer, encodeAnswerLaidOut } from '../src/dns/wire/encode.js';
import { lookup } from '../src/dns/answer/lookup.js';
import { QTYPE } from '../src/dns/wire/message.js';
import { nameToWire } from '../src/dns/wire/name-wire.js';
import { responseNameHash } from '../src/dns/rrl/response-kind.js';
import type { RecordTable } from '../src/records/table.js';
import { TableStore } from '../src/store.js';
import { summaryFromWire } from './helpers/dns-case.js';
import { buildTestTable } from './helpers/table.js';

function table(): RecordTable {
  const lines = ['ns1.mesos. A 10.0.0.53', 'app.mesos. A 10.4.0.1', 'other.mesos. A 10.4.0.2'];
  for (let i = 0; i < 5; i++) lines.push(`big.mesos. A 10.1.0.${i}`, `six.mesos. AAAA fd00::${i}`);
  for (let i = 0; i < 6; i++) lines.push(`_web._tcp.mesos. SRV 0 1 ${8000 + i} t${i % 3}.mesos.`);
  for (let i = 0; i < 3; i++) lines.push(`t${i}.mesos. A 10.2.0.${i}`, `t${i}.mesos. AAAA fd02::${i}`);
  lines.push('_fw._tcp.app.mesos. SRV 0 1 80 app.mesos.', '_fw._tcp.app.mesos. SRV 0 1 81 other.mesos.');
  lines.push('_one._tcp.app.mesos. SRV 0 1 80 app.mesos.');
  return buildTestTable(lines, { soa: { mname: 'ns1.mesos.', rname: 'hostmaster.ns1.mesos.' } });
}

const qnameEnd = (name: string): number => 12 + nameToWire(name)!.length;

describe('preEncode(): the shape of a canonical reply', () => {
  const t = table();
  it.each<[string, number, Layout, { answers: number; additional?: number; caseFrom: number | 'end'; recordSize?: number; targets?: number }]>([
    // One record: served as is. The owner is a pointer to the question, so any case works.
    ['ns1.mesos', QTYPE.A, 'plain', { answers: 1, caseFrom: 'end' }],
    // A/AAAA sets of one record size: rotated as a block.
    ['big.mesos', QTYPE.A, 'uniform', { answers: 5, caseFrom: 'end', recordSize: 16 }],
    ['six.mesos', QTYPE.AAAA, 'uniform', { answers: 5, caseFrom: 'end', recordSize: 28 }],
    // SRV with shared, dual-stack glue: 3 distinct targets, A then AAAA glue.
    ['_web._tcp.mesos', QTYPE.SRV, 'srv', { answers: 6, additional: 6, caseFrom: 'end', targets: 3 }],
    // The glue owner app.mesos. points into the question name: not rotatable.
    ['_fw._tcp.app.mesos', QTYPE.SRV, 'slow', { answers: 0, caseFrom: 12 }],
    // ... but with a single answer it needs no rotation; case matters from "app" on.
    ['_one._tcp.app.mesos', QTYPE.SRV, 'plain', { answers: 1, additional: 1, caseFrom: qnameEnd('_one._tcp') - 1 }],
    // The apex SOA and NS: their names compress against the question "mesos" itself.
    ['mesos', QTYPE.SOA, 'plain', { answers: 1, caseFrom: 12 }],
    ['mesos', QTYPE.NS, 'plain', { answers: 1, additional: 1, caseFrom: 12 }],
  ])('%s type %i is %s', (name, type, layout, expected) => {
    const e = preEncode(t, name, type, DEFAULTS);
    expect(e.layout).toBe(layout);
    expect(e.caseFrom).toBe(expected.caseFrom === 'end' ? qnameEnd(name) : expected.caseFrom);
    if (layout === 'slow') return;
    expect(e.answers).toBe(expected.answers);
    expect(e.additional).toBe(expected.additional ?? 0);
    expect(e.recordEnds[e.recordEnds.length - 1]).toBe(e.wire.length);
    if (expected.recordSize) expect(e.recordSize).toBe(expected.recordSize);
    if (expected.targets) expect(e.srv?.targetCount).toBe(expected.targets);
  });

  it('keeps the canonical reply: the ordinary encoding of the table order', () => {
    const e = preEncode(t, 'big.mesos', QTYPE.A, DEFAULTS);
    const q = { id: 0, opcode: 0, rd: false, cd: false, question: { name: 'big.mesos', type: QTYPE.A, class: 1 } };
    const inOrder = lookup(t, q, { random: () => 1 - 2 ** -53, recurseOn: true });
    expect(e.wire.equals(encodeAnswer(q, inOrder, { maxSize: 65535, setTruncateBit: true, ednsUdpSize: 1232 }))).toBe(true);
    expect(summaryFromWire(e.wire).answer[0]).toBe('big.mesos. 60 IN A 10.1.0.0');
  });

  it('carries the rate limiter key of its question: the hash of the query name (any case) and type', () => {
    const query = (name: string, type: number): Buffer => {
      const qname = nameToWire(name)!;
      const q = Buffer.alloc(16 + qname.length);
      q.writeUInt16BE(1, 4);
      qname.copy(q, 12);
      q.writeUInt16BE(type, 12 + qname.length);
      q.writeUInt16BE(1, 14 + qname.length);
      return q;
    };
    for (const [name, type] of [['big.mesos', QTYPE.A], ['_web._tcp.mesos', QTYPE.SRV], ['_fw._tcp.app.mesos', QTYPE.SRV], ['mesos', QTYPE.SOA]] as const) {
      const e = preEncode(t, name, type, DEFAULTS);
      expect(e.nameHash).toBe(responseNameHash(query(name, type)));
      expect(e.nameHash).toBe(responseNameHash(query(name.toUpperCase(), type)));
    }
    expect(preEncode(t, 'big.mesos', QTYPE.A, DEFAULTS).nameHash).not.toBe(preEncode(t, 'six.mesos', QTYPE.A, DEFAULTS).nameHash);
  });

  it('marks replies whose shape it does not model as slow: no question, or cut short (TC)', () => {
    const query = (name: string) => ({ id: 0, opcode: 0, rd: false, cd: false, question: { name, type: QTYPE.A, class: 1 } });
    const shaped = (q: ReturnType<typeof query>, maxSize: number) => {
      const { wire, layout } = encodeAnswerLaidOut(q, lookup(t, q, { random: () => 1 - 2 ** -53, recurseOn: true }), { maxSize, setTruncateBit: true, ednsUdpSize: 1232 });
      return shape(wire, layout);
    };
    // A 64-octet label cannot be written: the reply carries no question.
    expect(shaped(query(`${'a'.repeat(64)}.mesos`), 65535).layout).toBe('slow');
    // The five A records of big.mesos cut to three: TC.
    expect(shaped(query('big.mesos'), 12 + 15 + 3 * 16).layout).toBe('slow');
    expect(shaped(query('big.mesos'), 65535).layout).toBe('uniform');
  });
});

describe('AnswerCache', () => {
  const snapshot = new TableStore().swap(table());

  it('fills entries for names that exist, NODATA for a type they lack, NXDOMAIN without keeping it', () => {
    const cache = new AnswerCache(snapshot, DEFAULTS);
    const entry = cache.fill('k1', 'ns1.mesos', QTYPE.A);
    expect(entry).toMatchObject({ layout: 'plain', answers: 1 });
    expect(cache.get('k1')).toBe(entry);
    expect(cache.fill('k2', 'ns1.mesos', QTYPE.SRV)).toBe(NODATA);
    expect(cache.get('k2')).toBe(NODATA);
    // An empty non-terminal is NODATA too (RFC 8020).
    expect(cache.fill('k3', '_tcp.mesos', QTYPE.A)).toBe(NODATA);
    expect(cache.fill('k4', 'nope.mesos', QTYPE.A)).toBe(NXDOMAIN);
    expect(cache.get('k4')).toBeUndefined();
    expect(cache.size).toBe(3);
  });

  it('keeps at most maxEntries, dropping the oldest first', () => {
    const cache = new AnswerCache(snapshot, DEFAULTS, { maxEntries: 2 });
    cache.fill('a', 'ns1.mesos', QTYPE.A);
    cache.fill('b', 'app.mesos', QTYPE.A);
    expect(cache.fill('c', 'big.mesos', QTYPE.A)).toMatchObject({ layout: 'uniform' });
    expect(cache.size).toBe(2);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toMatchObject({ layout: 'plain' });
    expect(cache.get('c')).toMatchObject({ layout: 'uniform' });
  });

  it('leaves names under a forwarded zone to the ordinary path', () => {
    const config: Config = withTyped({ ...DEFAULTS, ZoneResolvers: { 'app.mesos': ['10.9.9.9'] } });
    const cache = new AnswerCache(snapshot, config);
    expect(cache.fill('x', '_fw._tcp.app.mesos', QTYPE.SRV)).toBe(SLOW);
    expect(cache.fill('y', 'ns1.mesos', QTYPE.A)).toMatchObject({ layout: 'plain' });
    // Some names under the domain are not ours: no shortcut for negative answers.
    expect(cache.negative).toBeUndefined();
  });

  it('is unusable while the configured domain and the table zone differ', () => {
    const cache = new AnswerCache(snapshot, withTyped({ ...DEFAULTS, Domain: 'dc1.mesos' }));
    expect(cache.zoneWire).toBeUndefined();
    expect(cache.fill('k', 'ns1.mesos', QTYPE.A)).toBe(SLOW);
  });

  it('has one negative tail per count of lower-case zone labels, and the SOA labels it must avoid', () => {
    const one = new AnswerCache(snapshot, DEFAULTS);
    expect(one.zoneLabels).toEqual([0]);
    expect(one.negative).toHaveLength(2);
    expect(one.blockedLabels.map((b) => b.toString())).toEqual(['ns1']);
    // All lower case: the SOA owner points at the zone name in the question.
    expect(one.negative![1].zonePointers.some(([at, delta]) => at === 0 && delta === 0)).toBe(true);
    // Zone upper-cased: nothing points into the question.
    expect(one.negative![0].zonePointers).toEqual([]);

    const dc1 = new TableStore().swap(buildTestTable(['a.dc1.mesos. A 10.0.0.1'], { zone: 'dc1.mesos.', soa: { mname: 'ns.example.org.', rname: 'root.example.org.' } }));
    const two = new AnswerCache(dc1, withTyped({ ...DEFAULTS, Domain: 'dc1.mesos' }));
    expect(two.zoneLabels).toEqual([0, 4]);
    expect(two.negative).toHaveLength(3);
    expect(two.blockedLabels).toEqual([]);
  });

  it('sets RA and the advertised EDNS size from the config', () => {
    expect(new AnswerCache(snapshot, withTyped({ ...DEFAULTS, RecurseOn: false })).raBit).toBe(0);
    expect(new AnswerCache(snapshot, DEFAULTS).raBit).toBe(0x80);
    expect(new AnswerCache(snapshot, withTyped({ ...DEFAULTS, EDNSMaxUDPSize: 100 })).ednsUdpSize).toBe(512);
    expect(new AnswerCache(snapshot, withTyped({ ...DEFAULTS, EDNSMaxUDPSize: 4096 })).ednsCeiling).toBe(4096);
  });
});
