// encodeAnswerLaidOut's record of where it put everything, and nameToWire.
import { describe, expect, it } from '@jest/globals';
import { encodeAnswer, encodeAnswerLaidOut } from '../src/dns/wire/encode.js';
import type { WireLayout } from '../src/dns/wire/layout.js';
import { lookup } from '../src/dns/answer/lookup.js';
import { QTYPE } from '../src/dns/wire/message.js';
import { nameToWire, readName } from '../src/dns/wire/name-wire.js';
import { TCP, UDP, a, aaaa, counts, lookupOpts, optOf, query, srv, success, table } from './helpers/encode.js';

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
