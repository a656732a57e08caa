// The fast path (pre-encoded answers + ID/flags/case patch) against the ordinary pipeline
// (parseQuery -> lookup -> encodeAnswer) on every name of two tables: the mesos-dns fixture
// state, and a hand-built table with the awkward shapes (100-record RRsets that must be cut to
// size, SRV sets with shared and dual-stack glue, a target that is a suffix of the query name,
// escaped label bytes). For each name, type, transport, EDNS variant and 0x20 case variant the
// reply must be byte-identical to the ordinary one for the same rotation (AnswerOrder
// round-robin) or the same random draws (shuffle), or the fast path must decline (undefined) so
// the ordinary pipeline answers.
import { describe, expect, it } from '@jest/globals';
import { DEFAULTS, withTyped, type Config } from '../src/config/typed.js';
import { AnswerCache } from '../src/dns/answer/answer-cache.js';
import { fastAnswer } from '../src/dns/answer/fast-path.js';
import { QTYPE } from '../src/dns/wire/message.js';
import { summaryFromWire } from './helpers/dns-case.js';
import { FIXTURE_CONFIG, fixtureTable } from './helpers/fixture-table.js';
import { compareAll, edgeTable, makeQuery, namesOf, NO_RANDOM, snapshotOf, soaShadowed } from './helpers/fast-path.js';
import { seededRandom } from './helpers/seeded-random.js';
import type { AnswerOrder } from '../src/config/schema.js';

const ORDERS = [['shuffle'], ['round-robin']] as const;
const ordered = (c: Config, order: AnswerOrder): Config => withTyped({ ...c, AnswerOrder: order });

describe.each(ORDERS)('fast path equals the ordinary pipeline, AnswerOrder %s', (order) => {
  it('on every name of the fixture state, every type, transport, EDNS size and case', () => {
    const table = fixtureTable();
    const tally = compareAll(table, ordered(FIXTURE_CONFIG, order), namesOf(table));
    // Lower-case queries are all answered fast; mixed-case ones nearly all (not those whose
    // reply would compress against the query name differently, e.g. the apex SOA).
    expect([...tally.declinedLower].filter((k) => !soaShadowed(table, k))).toEqual([]);
    expect(tally.fast).toBeGreaterThan(tally.total * 0.95);
    expect(tally.fastUpper).toBeGreaterThan(tally.upper * 0.95);
  });

  it('on the edge-case table: long RRsets cut to size, SRV glue reordered, escaped labels', () => {
    const table = edgeTable();
    const config: Config = ordered(DEFAULTS, order);
    const tally = compareAll(table, config, namesOf(table));
    // The only lower-case declines: the SRV set whose glue points into the question name.
    expect([...tally.declinedLower].filter((k) => !soaShadowed(table, k) && !k.startsWith('_fw._tcp.app.mesos/'))).toEqual([]);
    expect(tally.declinedLower.has(`_fw._tcp.app.mesos/${QTYPE.SRV}`)).toBe(true);
  });

  it('under other settings: no TC bit, no RA, a larger EDNS size, a two-label domain', () => {
    const settings: Array<[Partial<Config>, string]> = [
      [{ SetTruncateBit: false }, 'mesos.'],
      [{ RecurseOn: false }, 'mesos.'],
      [{ EDNSMaxUDPSize: 4096 }, 'mesos.'],
      [{ EDNSMaxUDPSize: 700 }, 'mesos.'],
      [{ Domain: 'dc1.mesos' }, 'dc1.mesos.'],
    ];
    for (const [overrides, zone] of settings) {
      const table = edgeTable(zone);
      const config: Config = ordered({ ...DEFAULTS, ...overrides }, order);
      const tally = compareAll(table, config, namesOf(table));
      const declined = [...tally.declinedLower].filter((k) => !soaShadowed(table, k) && !k.startsWith(`_fw._tcp.app.${zone.slice(0, -1)}/`));
      expect({ overrides, declined }).toEqual({ overrides, declined: [] });
    }
  });
});

describe('fast path order', () => {
  const big = () => makeQuery({ name: 'big.mesos', type: QTYPE.A, edns: { size: 4096 } });
  const srv = () => makeQuery({ name: '_big._tcp.mesos', type: QTYPE.SRV });

  it('round-robin: leads with every record of an RRset in turn, and rotates SRV glue with it', () => {
    const table = edgeTable();
    const cache = new AnswerCache(snapshotOf(table), ordered(DEFAULTS, 'round-robin'));
    const leaders: string[] = [];
    for (let i = 0; i < 200; i++) leaders.push(summaryFromWire(fastAnswer(big(), 'tcp', cache, NO_RANDOM)!).answer[0]);
    // In table order, each exactly twice: 10.1.0.0, 10.1.0.1, ..., then again.
    expect(leaders.slice(0, 100)).toEqual(Array.from({ length: 100 }, (_, i) => `big.mesos. 60 IN A 10.1.${i >> 8}.${i & 255}`));
    expect(leaders.slice(100)).toEqual(leaders.slice(0, 100));
    const srvLeaders = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const s = summaryFromWire(fastAnswer(srv(), 'tcp', cache, NO_RANDOM)!);
      srvLeaders.add(s.answer[0]);
      // Glue for every target, whatever the rotation.
      expect(new Set(s.additional.map((rr) => rr.split(' ')[0])).size).toBe(20);
    }
    expect(srvLeaders.size).toBe(60);
  });

  it('shuffle: every reply a permutation of the whole set, any record first, not a rotation; SRV glue complete', () => {
    const table = edgeTable();
    const cache = new AnswerCache(snapshotOf(table), DEFAULTS);
    const random = seededRandom(7);
    const firsts = new Set<string>();
    let rotations = 0;
    let previous: string[] | undefined;
    for (let i = 0; i < 2000; i++) {
      const answer = summaryFromWire(fastAnswer(big(), 'tcp', cache, random)!).answer;
      expect([...answer].sort()).toEqual([...(previous ?? answer)].sort());
      firsts.add(answer[0]);
      // A rotation keeps the table order around the circle: 10.1.0.(k+1) follows 10.1.0.k.
      const index = (rr: string) => Number(rr.split('.').pop());
      if (answer.every((rr, j) => j === 0 || index(rr) === (index(answer[j - 1]) + 1) % 100)) rotations++;
      previous = answer;
    }
    expect(firsts.size).toBe(100);
    expect(rotations).toBe(0);
    for (let i = 0; i < 50; i++) {
      const s = summaryFromWire(fastAnswer(srv(), 'tcp', cache, random)!);
      expect(new Set(s.answer).size).toBe(60);
      expect(new Set(s.additional.map((rr) => rr.split(' ')[0])).size).toBe(20);
    }
  });
});
