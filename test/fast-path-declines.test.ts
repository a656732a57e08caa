// What the fast path leaves to the ordinary pipeline (parseQuery -> lookup -> encodeAnswer),
// and respond(), which tries the fast path first inside the query pipeline.
import { describe, expect, it } from '@jest/globals';
import { DEFAULTS, withTyped, type Config } from '../src/config/typed.js';
import { AnswerCache } from '../src/dns/answer/answer-cache.js';
import { fastAnswer } from '../src/dns/answer/fast-path.js';
import { UpstreamForwarder } from '../src/dns/forward/forward.js';
import { handleQuery, respond, type QueryContext } from '../src/dns/answer/handle-query.js';
import { QueryStats } from '../src/dns/query-stats.js';
import { QTYPE } from '../src/dns/wire/message.js';
import { silentLogger } from '../src/log.js';
import { TableStore } from '../src/store.js';
import { summaryFromWire } from './helpers/dns-case.js';
import { buildTestTable } from './helpers/table.js';
import { seededRandom } from './helpers/seeded-random.js';

/** For AnswerOrder shuffle (the default); these tests do not depend on the order drawn. */
const RANDOM = seededRandom(0x15);
import { edgeTable, makeQuery, slowReply, snapshotOf, type Transport } from './helpers/fast-path.js';

describe('fast path declines what it does not model', () => {
  const table = edgeTable();
  const cache = new AnswerCache(snapshotOf(table), DEFAULTS);
  const base = makeQuery({ name: 'ns1.mesos', type: QTYPE.A });

  it.each<[string, Buffer, Transport?]>([
    ['ANY', makeQuery({ name: 'ns1.mesos', type: QTYPE.ANY })],
    ['AXFR', makeQuery({ name: 'mesos', type: QTYPE.AXFR }), 'tcp'],
    ['class CH', makeQuery({ name: 'ns1.mesos', type: QTYPE.A, qclass: 3 })],
    ['class ANY', makeQuery({ name: 'ns1.mesos', type: QTYPE.A, qclass: 255 })],
    ['EDNS options', makeQuery({ name: 'ns1.mesos', type: QTYPE.A, edns: { size: 1232, options: Buffer.from([0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]) } })],
    ['EDNS version 1 (BADVERS)', makeQuery({ name: 'ns1.mesos', type: QTYPE.A, edns: { size: 1232, version: 1 } })],
    ['a name outside the zone', makeQuery({ name: 'example.org', type: QTYPE.A })],
    ['a name ending in the zone label mid-label', makeQuery({ name: 'notmesos', type: QTYPE.A })],
    ['a response (QR set)', Buffer.concat([base.subarray(0, 2), Buffer.from([0x81]), base.subarray(3)])],
    ['opcode NOTIFY', Buffer.concat([base.subarray(0, 2), Buffer.from([0x20]), base.subarray(3)])],
    ['two questions', Buffer.concat([base.subarray(0, 5), Buffer.from([2]), base.subarray(6), base.subarray(12)])],
    ['trailing bytes', Buffer.concat([base, Buffer.from([0])])],
    ['a compressed question name', Buffer.concat([base.subarray(0, 12), Buffer.from([3, 0x6e, 0x73, 0x31, 0xc0, 12]), base.subarray(base.length - 4)])],
    ['a truncated question', base.subarray(0, base.length - 1)],
  ])('%s', (_what, query, transport = 'udp') => {
    expect(fastAnswer(query, transport, cache, RANDOM)).toBeUndefined();
  });

  it('answers nothing when the table zone and the configured domain differ (mid-reload)', () => {
    const other = new AnswerCache(snapshotOf(table), withTyped({ ...DEFAULTS, Domain: 'dc1.mesos' }));
    expect(fastAnswer(base, 'udp', other, RANDOM)).toBeUndefined();
  });

  it('leaves names under a forwarded zone inside the domain to the ordinary path', () => {
    const forwarding: Config = withTyped({ ...DEFAULTS, ZoneResolvers: { 'elsewhere.mesos': ['10.9.9.9'] } });
    const c = new AnswerCache(snapshotOf(table), forwarding);
    expect(fastAnswer(makeQuery({ name: 'host0.elsewhere.mesos', type: QTYPE.A }), 'udp', c, RANDOM)).toBeUndefined();
    expect(fastAnswer(makeQuery({ name: 'x.elsewhere.mesos', type: QTYPE.TXT }), 'udp', c, RANDOM)).toBeUndefined();
    expect(fastAnswer(makeQuery({ name: 'ns1.mesos', type: QTYPE.A }), 'udp', c, RANDOM)).toBeDefined();
  });

  it('never throws on mutated queries, and whatever it answers equals the ordinary reply', () => {
    // Single-record names only, so every reply is comparable without rotation bookkeeping.
    const small = buildTestTable([
      'leader.mesos. A 10.0.0.1',
      'ns1.mesos. A 10.0.0.53',
      '_leader._tcp.mesos. SRV 0 1 5050 leader.mesos.',
      'six.mesos. AAAA fd00::6',
    ]);
    const c = new AnswerCache(snapshotOf(small), DEFAULTS);
    const random = seededRandom(4);
    const seeds = [
      makeQuery({ name: 'leader.mesos', type: QTYPE.A }),
      makeQuery({ name: '_leader._tcp.mesos', type: QTYPE.SRV, edns: { size: 1232, do: true } }),
      makeQuery({ name: 'six.mesos', type: QTYPE.AAAA, edns: { size: 512 } }),
      makeQuery({ name: 'nope.mesos', type: QTYPE.A }),
    ];
    let answered = 0;
    for (let i = 0; i < 20_000; i++) {
      const q = Buffer.from(seeds[i % seeds.length]);
      const flips = 1 + Math.floor(random() * 3);
      for (let f = 0; f < flips; f++) q[Math.floor(random() * q.length)] ^= 1 << Math.floor(random() * 8);
      const transport: Transport = random() < 0.5 ? 'udp' : 'tcp';
      const fast = fastAnswer(q, transport, c, RANDOM);
      if (fast === undefined) continue;
      answered++;
      expect(fast.toString('hex')).toBe(slowReply(q, transport, small, DEFAULTS, 0).toString('hex'));
    }
    expect(answered).toBeGreaterThan(1000);
  });
});

describe('respond(): the fast path inside the query pipeline', () => {
  function context(store: TableStore, stats = new QueryStats()): QueryContext {
    return {
      snapshot: () => store.current(),
      config: DEFAULTS,
      random: seededRandom(3),
      forwarder: new UpstreamForwarder({ timeoutMs: 100 }),
      logger: silentLogger,
      stats,
      answers: {},
    };
  }

  it('answers synchronously from the current table, and from the new one after a swap', async () => {
    const store = new TableStore();
    const stats = new QueryStats();
    const ctx = context(store, stats);
    const q = makeQuery({ name: 'leader.mesos', type: QTYPE.A, id: 77 });
    // No table yet: the ordinary path answers (SERVFAIL, asynchronously).
    const before = respond(q, 'udp', ctx);
    expect(before).toBeInstanceOf(Promise);
    expect(summaryFromWire((await before)!).rcode).toBe('SERVFAIL');

    store.swap(buildTestTable(['leader.mesos. A 10.0.0.1']));
    const first = respond(q, 'udp', ctx);
    expect(Buffer.isBuffer(first)).toBe(true);
    expect(summaryFromWire(first as Buffer).answer).toEqual(['leader.mesos. 60 IN A 10.0.0.1']);

    store.swap(buildTestTable(['leader.mesos. A 10.0.0.2']));
    const second = respond(q, 'udp', ctx) as Buffer;
    expect(second.readUInt16BE(0)).toBe(77);
    expect(summaryFromWire(second).answer).toEqual(['leader.mesos. 60 IN A 10.0.0.2']);
    expect(stats.requests).toBe(3);
    expect(stats.rcodes.get(0)).toBe(2);
    expect(stats.rcodes.get(2)).toBe(1);
    ctx.forwarder.close();
  });

  it('starts a new cache when the config object changes (a reload)', () => {
    const store = new TableStore();
    store.swap(buildTestTable(['leader.mesos. A 10.0.0.1']));
    const ctx = context(store);
    const q = makeQuery({ name: 'leader.mesos', type: QTYPE.A });
    expect((respond(q, 'udp', ctx) as Buffer)[3] & 0x80).toBe(0x80);
    ctx.config = withTyped({ ...DEFAULTS, RecurseOn: false });
    expect((respond(q, 'udp', ctx) as Buffer)[3] & 0x80).toBe(0);
    ctx.forwarder.close();
  });

  it('falls back to handleQuery for what it declines, with the same result', async () => {
    const store = new TableStore();
    store.swap(edgeTable());
    const ctx = context(store);
    const q = makeQuery({ name: 'ns1.mesos', type: QTYPE.ANY });
    const viaRespond = await respond(q, 'udp', ctx);
    const direct = await handleQuery(q, 'udp', { ...ctx, answers: undefined });
    expect(summaryFromWire(viaRespond!)).toEqual(summaryFromWire(direct!));
    ctx.forwarder.close();
  });
});
