// The fast path (pre-encoded answers + ID/flags/case patch) against the ordinary pipeline
// (parseQuery -> lookup -> encodeAnswer) on every name of two tables: the mesos-dns fixture
// state, and a hand-built table with the awkward shapes (100-record RRsets that must be cut to
// size, SRV sets with shared and dual-stack glue, a target that is a suffix of the query name,
// escaped label bytes). For each name, type, transport, EDNS variant and 0x20 case variant the
// reply must be byte-identical to the ordinary one for the same rotation, or the fast path must
// decline (undefined) so the ordinary pipeline answers.
import { describe, expect, it } from '@jest/globals';
import { DEFAULTS, withTyped, type Config } from '../src/config/typed.js';
import { AnswerCache } from '../src/dns/answer/answer-cache.js';
import { fastAnswer } from '../src/dns/answer/fast-path.js';
import { QTYPE } from '../src/dns/wire/message.js';
import { summaryFromWire } from './helpers/dns-case.js';
import { FIXTURE_CONFIG, fixtureTable } from './helpers/fixture-table.js';
import { compareAll, edgeTable, makeQuery, namesOf, snapshotOf, soaShadowed } from './helpers/fast-path.js';

describe('fast path equals the ordinary pipeline', () => {
  it('on every name of the fixture state, every type, transport, EDNS size and case', () => {
    const table = fixtureTable();
    const tally = compareAll(table, FIXTURE_CONFIG, namesOf(table));
    // Lower-case queries are all answered fast; mixed-case ones nearly all (not those whose
    // reply would compress against the query name differently, e.g. the apex SOA).
    expect([...tally.declinedLower].filter((k) => !soaShadowed(table, k))).toEqual([]);
    expect(tally.fast).toBeGreaterThan(tally.total * 0.95);
    expect(tally.fastUpper).toBeGreaterThan(tally.upper * 0.95);
  });

  it('on the edge-case table: long RRsets cut to size, SRV glue rotation, escaped labels', () => {
    const table = edgeTable();
    const config: Config = withTyped({ ...DEFAULTS });
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
      const config: Config = withTyped({ ...DEFAULTS, ...overrides });
      const tally = compareAll(table, config, namesOf(table));
      const declined = [...tally.declinedLower].filter((k) => !soaShadowed(table, k) && !k.startsWith(`_fw._tcp.app.${zone.slice(0, -1)}/`));
      expect({ overrides, declined }).toEqual({ overrides, declined: [] });
    }
  });
});

describe('fast path rotation', () => {
  it('leads with every record of an RRset in turn, and rotates SRV glue with it', () => {
    const table = edgeTable();
    const cache = new AnswerCache(snapshotOf(table), DEFAULTS);
    const leaders = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const reply = fastAnswer(makeQuery({ name: 'big.mesos', type: QTYPE.A, edns: { size: 4096 } }), 'tcp', cache)!;
      leaders.add(summaryFromWire(reply).answer[0]);
    }
    expect(leaders.size).toBe(100);
    const srvLeaders = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const reply = fastAnswer(makeQuery({ name: '_big._tcp.mesos', type: QTYPE.SRV }), 'tcp', cache)!;
      const s = summaryFromWire(reply);
      srvLeaders.add(s.answer[0]);
      // Glue for every target, whatever the rotation.
      expect(new Set(s.additional.map((rr) => rr.split(' ')[0])).size).toBe(20);
    }
    expect(srvLeaders.size).toBe(60);
  });
});
