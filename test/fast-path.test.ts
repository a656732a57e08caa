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
import { encodeAnswer, maxResponseSize } from '../src/dns/wire/encode.js';
import { fastAnswer } from '../src/dns/answer/fast-path.js';
import { UpstreamForwarder } from '../src/dns/forward/forward.js';
import { handleQuery, respond, type QueryContext } from '../src/dns/answer/handle-query.js';
import { QueryStats } from '../src/dns/query-stats.js';
import { lookup } from '../src/dns/answer/lookup.js';
import { QTYPE } from '../src/dns/wire/message.js';
import { nameToWire } from '../src/dns/wire/name-wire.js';
import { parseQuery } from '../src/dns/wire/parse-query.js';
import { silentLogger } from '../src/log.js';
import type { RecordTable } from '../src/records/table.js';
import { TableStore, type Snapshot } from '../src/store.js';
import { summaryFromWire } from './helpers/dns-case.js';
import { buildTestTable } from './helpers/table.js';
import { FIXTURE_CONFIG, fixtureTable } from './helpers/fixture-table.js';
import { seededRandom } from './helpers/seeded-random.js';

type Transport = 'udp' | 'tcp';

interface QuerySpec {
  id?: number;
  name: string;
  type: number;
  qclass?: number;
  rd?: boolean;
  cd?: boolean;
  edns?: { size: number; do?: boolean; version?: number; options?: Buffer };
}

/** A query as clients send it: uncompressed name, optional OPT last. */
function makeQuery(s: QuerySpec): Buffer {
  const qname = nameToWire(s.name);
  if (!qname) throw new Error(`bad name ${s.name}`);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(s.id ?? 0x1234, 0);
  header[2] = s.rd === false ? 0 : 0x01;
  header[3] = s.cd ? 0x10 : 0;
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(s.edns ? 1 : 0, 10);
  const question = Buffer.alloc(4);
  question.writeUInt16BE(s.type, 0);
  question.writeUInt16BE(s.qclass ?? 1, 2);
  const parts = [header, qname, question];
  if (s.edns) {
    const options = s.edns.options ?? Buffer.alloc(0);
    const opt = Buffer.alloc(11);
    opt.writeUInt16BE(QTYPE.OPT, 1);
    opt.writeUInt16BE(s.edns.size, 3);
    opt[6] = s.edns.version ?? 0;
    opt[7] = s.edns.do ? 0x80 : 0;
    opt.writeUInt16BE(options.length, 9);
    parts.push(opt, options);
  }
  return Buffer.concat(parts);
}

/** Re-cases the letters of the question name: 'upper', or 0x20-style per letter from `random`. */
function recase(query: Buffer, mode: 'upper' | 'random', random: () => number): Buffer {
  const out = Buffer.from(query);
  for (let pos = 12; out[pos] !== 0; pos += out[pos] + 1) {
    for (let i = pos + 1; i <= pos + out[pos]; i++) {
      const c = out[i];
      if (c >= 0x61 && c <= 0x7a && (mode === 'upper' || random() < 0.5)) out[i] = c & ~0x20;
    }
  }
  return out;
}

/** Makes lookup's Fisher–Yates produce the table order rotated left by `r`. */
function rotationRandom(n: number, r: number): () => number {
  const values: number[] = [];
  const arr = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const want = (r + i) % n;
    const j = arr.indexOf(want);
    values.push((j + 0.5) / (i + 1));
    [arr[i], arr[j]] = [arr[j], arr[i]];
  }
  let k = 0;
  return () => values[k++];
}

const IDENTITY = (): number => 1 - 2 ** -53;

/** The ordinary pipeline's reply for `query`, its answer RRset rotated by `rotation`. */
function slowReply(query: Buffer, transport: Transport, table: RecordTable, config: Config, rotation: number): Buffer {
  const parsed = parseQuery(query);
  if (parsed.kind !== 'query') throw new Error(`fast path answered a message parseQuery rejects (${parsed.kind})`);
  const q = parsed.query;
  const opts = { recurseOn: config.RecurseOn };
  const canonical = lookup(table, q, { ...opts, random: IDENTITY });
  const n = canonical.answer.length;
  const answer = n > 1 ? lookup(table, q, { ...opts, random: rotationRandom(n, rotation % n) }) : canonical;
  return encodeAnswer(q, answer, {
    maxSize: maxResponseSize(q, transport, config.EDNSMaxUDPSize),
    setTruncateBit: config.SetTruncateBit,
    ednsUdpSize: config.EDNSMaxUDPSize,
  });
}

function snapshotOf(table: RecordTable): Snapshot {
  const store = new TableStore();
  return store.swap(table);
}

const VARIANTS: ReadonlyArray<{ transport: Transport; edns?: QuerySpec['edns'] }> = [
  { transport: 'udp' },
  { transport: 'udp', edns: { size: 1232 } },
  { transport: 'udp', edns: { size: 4096, do: true } },
  { transport: 'udp', edns: { size: 600 } },
  { transport: 'udp', edns: { size: 100 } },
  { transport: 'tcp' },
  { transport: 'tcp', edns: { size: 1232, do: true } },
];
const TYPES = [QTYPE.A, QTYPE.AAAA, QTYPE.SRV, QTYPE.NS, QTYPE.SOA, QTYPE.TXT, QTYPE.MX, QTYPE.DS, QTYPE.CNAME, QTYPE.PTR];

interface Tally {
  total: number;
  fast: number;
  /** Lower-case queries the fast path declined, as "name/type". */
  declinedLower: Set<string>;
  fastUpper: number;
  upper: number;
}

/**
 * Runs every name x type x variant x case through both paths. Rotation bookkeeping follows
 * the documented rule: an entry's RRset advances one step per reply it serves.
 */
function compareAll(table: RecordTable, config: Config, names: readonly string[]): Tally {
  const cache = new AnswerCache(snapshotOf(table), config);
  const rotations = new Map<string, number>();
  const random = seededRandom(0x20);
  const tally: Tally = { total: 0, fast: 0, declinedLower: new Set(), fastUpper: 0, upper: 0 };
  let id = 1;
  for (const name of names) {
    for (const type of TYPES) {
      for (const variant of VARIANTS) {
        const lower = makeQuery({ id: id++ & 0xffff, name, type, edns: variant.edns, rd: id % 2 === 0, cd: id % 3 === 0 });
        for (const mode of ['lower', 'upper', 'random'] as const) {
          const query = mode === 'lower' ? lower : recase(lower, mode, random);
          const key = `${name}/${type}`;
          const r = rotations.get(key) ?? 0;
          const fast = fastAnswer(query, variant.transport, cache);
          tally.total++;
          if (mode === 'upper') tally.upper++;
          if (fast === undefined) {
            if (mode === 'lower') tally.declinedLower.add(key);
            continue;
          }
          tally.fast++;
          if (mode === 'upper') tally.fastUpper++;
          const slow = slowReply(query, variant.transport, table, config, r);
          if (!fast.equals(slow)) {
            throw new Error(
              `fast != slow for ${mode} ${name} type ${type} ${JSON.stringify(variant)} rotation ${r}\n` +
                `fast ${fast.toString('hex')}\nslow ${slow.toString('hex')}`,
            );
          }
          if ([QTYPE.A, QTYPE.AAAA, QTYPE.SRV].includes(type as 1)) rotations.set(key, r + 1);
        }
      }
    }
  }
  return tally;
}

// --- the tables -----------------------------------------------------------------------------

function edgeTable(zone = 'mesos.'): RecordTable {
  const z = zone.slice(0, -1);
  const lines: string[] = [`ns1.${z}. A 10.0.0.53`];
  for (let i = 0; i < 100; i++) lines.push(`big.${z}. A 10.1.${i >> 8}.${i & 255}`);
  for (let i = 0; i < 40; i++) lines.push(`six.${z}. AAAA fd00::${i.toString(16)}`);
  for (let i = 0; i < 60; i++) {
    // 20 targets, each used by three ports: glue is shared and de-duplicated.
    const t = `t${i % 20}.${z}.`;
    lines.push(`_big._tcp.${z}. SRV 0 1 ${31000 + i} ${t}`);
  }
  for (let i = 0; i < 20; i++) {
    lines.push(`t${i}.${z}. A 10.2.0.${i}`);
    if (i % 3 === 0) lines.push(`t${i}.${z}. AAAA fd02::${i}`);
    if (i % 5 === 0) lines.push(`t${i}.${z}. A 10.3.0.${i}`);
  }
  for (let i = 0; i < 3; i++) lines.push(`_few._udp.${z}. SRV 0 1 ${8000 + i} t${i}.${z}.`);
  // Targets with no addresses in the table: SRV answers without glue.
  for (let i = 0; i < 4; i++) lines.push(`_away._tcp.${z}. SRV 0 1 ${9000 + i} host${i}.elsewhere.${z}.`);
  // A target that is a suffix of the query name: its glue owner points into the question.
  lines.push(`app.${z}. A 10.4.0.1`, `other.${z}. A 10.4.0.2`);
  lines.push(`_fw._tcp.app.${z}. SRV 0 1 80 app.${z}.`, `_fw._tcp.app.${z}. SRV 0 1 81 other.${z}.`);
  lines.push(`_one._tcp.app.${z}. SRV 0 1 80 app.${z}.`);
  lines.push(`a\\046b.${z}. A 10.5.0.1`, `MiXeD.${z}. A 10.5.0.2`, `deep.er.name.${z}. A 10.5.0.3`);
  return buildTestTable(lines, { zone, soa: { mname: `ns1.${z}.`, rname: `hostmaster.ns1.${z}.` } });
}

/**
 * Names whose label right before the zone starts one of the SOA names (ns1.mesos, x.ns1.mesos):
 * the SOA in negative answers compresses against such a query name differently, and the fast
 * path leaves those to the ordinary pipeline.
 */
function soaShadowed(table: RecordTable, key: string): boolean {
  const name = key.slice(0, key.indexOf('/')) + '.';
  const before = (n: string): string | undefined => {
    if (!n.endsWith('.' + table.zone)) return undefined;
    const labels = n.slice(0, -table.zone.length - 1).split('.');
    return labels[labels.length - 1];
  };
  const label = before(name);
  return label !== undefined && [table.soa.mname, table.soa.rname].some((n) => before(n) === label);
}

/** Every existing name (owners and empty non-terminals) plus names that do not exist. */
function namesOf(table: RecordTable): string[] {
  const zone = table.zone.slice(0, -1);
  const names = [...table.existing].map((n) => n.slice(0, -1));
  names.push(`nope.${zone}`, `a.b.nope.${zone}`, `x.ns1.${zone}`, `x.mesos-dns.${zone}`, `ns1.${zone}`, `_tcp.nope.${zone}`);
  return [...new Set(names)];
}

// --- the comparisons ------------------------------------------------------------------------

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
    expect(fastAnswer(query, transport, cache)).toBeUndefined();
  });

  it('answers nothing when the table zone and the configured domain differ (mid-reload)', () => {
    const other = new AnswerCache(snapshotOf(table), withTyped({ ...DEFAULTS, Domain: 'dc1.mesos' }));
    expect(fastAnswer(base, 'udp', other)).toBeUndefined();
  });

  it('leaves names under a forwarded zone inside the domain to the ordinary path', () => {
    const forwarding: Config = withTyped({ ...DEFAULTS, ZoneResolvers: { 'elsewhere.mesos': ['10.9.9.9'] } });
    const c = new AnswerCache(snapshotOf(table), forwarding);
    expect(fastAnswer(makeQuery({ name: 'host0.elsewhere.mesos', type: QTYPE.A }), 'udp', c)).toBeUndefined();
    expect(fastAnswer(makeQuery({ name: 'x.elsewhere.mesos', type: QTYPE.TXT }), 'udp', c)).toBeUndefined();
    expect(fastAnswer(makeQuery({ name: 'ns1.mesos', type: QTYPE.A }), 'udp', c)).toBeDefined();
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
      const fast = fastAnswer(q, transport, c);
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
