// Shared by the fast path tests (fast-path-equivalence, fast-path-declines): queries of every
// shape, the ordinary pipeline's reply for a given rotation, and the tables to compare on.
import { type Config } from '../../src/config/typed.js';
import { AnswerCache } from '../../src/dns/answer/answer-cache.js';
import { encodeAnswer, maxResponseSize } from '../../src/dns/wire/encode.js';
import { fastAnswer } from '../../src/dns/answer/fast-path.js';
import { lookup } from '../../src/dns/answer/lookup.js';
import { QTYPE } from '../../src/dns/wire/message.js';
import { nameToWire } from '../../src/dns/wire/name-wire.js';
import { parseQuery } from '../../src/dns/wire/parse-query.js';
import type { RecordTable } from '../../src/records/table.js';
import { TableStore, type Snapshot } from '../../src/store.js';
import { buildTestTable } from './table.js';
import { seededRandom } from './seeded-random.js';

export type Transport = 'udp' | 'tcp';

export interface QuerySpec {
  id?: number;
  name: string;
  type: number;
  qclass?: number;
  rd?: boolean;
  cd?: boolean;
  edns?: { size: number; do?: boolean; version?: number; options?: Buffer };
}

/** A query as clients send it: uncompressed name, optional OPT last. */
export function makeQuery(s: QuerySpec): Buffer {
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
export function recase(query: Buffer, mode: 'upper' | 'random', random: () => number): Buffer {
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
export function rotationRandom(n: number, r: number): () => number {
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

export const IDENTITY = (): number => 1 - 2 ** -53;

/** For round-robin: the fast path must not draw. */
export const NO_RANDOM = (): number => {
  throw new Error('round-robin drew a random number');
};

/**
 * The ordinary pipeline's reply for `query`: its answer RRset rotated by `order` (a number), or
 * shuffled with `order` (a random function, drawn from as lookup draws).
 */
export function slowReply(query: Buffer, transport: Transport, table: RecordTable, config: Config, order: number | (() => number)): Buffer {
  const parsed = parseQuery(query);
  if (parsed.kind !== 'query') throw new Error(`fast path answered a message parseQuery rejects (${parsed.kind})`);
  const q = parsed.query;
  const opts = { recurseOn: config.RecurseOn };
  const canonical = lookup(table, q, { ...opts, random: IDENTITY });
  const n = canonical.answer.length;
  const answer =
    typeof order === 'function'
      ? lookup(table, q, { ...opts, random: order })
      : n > 1
        ? lookup(table, q, { ...opts, random: rotationRandom(n, order % n) })
        : canonical;
  return encodeAnswer(q, answer, {
    maxSize: maxResponseSize(q, transport, config.EDNSMaxUDPSize),
    setTruncateBit: config.SetTruncateBit,
    ednsUdpSize: config.EDNSMaxUDPSize,
  });
}

export function snapshotOf(table: RecordTable): Snapshot {
  const store = new TableStore();
  return store.swap(table);
}

export const VARIANTS: ReadonlyArray<{ transport: Transport; edns?: QuerySpec['edns'] }> = [
  { transport: 'udp' },
  { transport: 'udp', edns: { size: 1232 } },
  { transport: 'udp', edns: { size: 4096, do: true } },
  { transport: 'udp', edns: { size: 600 } },
  { transport: 'udp', edns: { size: 100 } },
  { transport: 'tcp' },
  { transport: 'tcp', edns: { size: 1232, do: true } },
];
export const TYPES = [QTYPE.A, QTYPE.AAAA, QTYPE.SRV, QTYPE.NS, QTYPE.SOA, QTYPE.TXT, QTYPE.MX, QTYPE.DS, QTYPE.CNAME, QTYPE.PTR];

export interface Tally {
  total: number;
  fast: number;
  /** Lower-case queries the fast path declined, as "name/type". */
  declinedLower: Set<string>;
  fastUpper: number;
  upper: number;
}

/**
 * Runs every name x type x variant x case through both paths. With AnswerOrder round-robin the
 * rotation bookkeeping follows the documented rule (an entry's RRset advances one step per reply
 * it serves) and the fast path must draw no random number; with shuffle both paths get the same
 * seeded draws per query and must write the same permutation.
 */
export function compareAll(table: RecordTable, config: Config, names: readonly string[]): Tally {
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
          const seed = id * 3 + ['lower', 'upper', 'random'].indexOf(mode);
          const fast = fastAnswer(query, variant.transport, cache, config.typed.roundRobin ? NO_RANDOM : seededRandom(seed));
          tally.total++;
          if (mode === 'upper') tally.upper++;
          if (fast === undefined) {
            if (mode === 'lower') tally.declinedLower.add(key);
            continue;
          }
          tally.fast++;
          if (mode === 'upper') tally.fastUpper++;
          const slow = slowReply(query, variant.transport, table, config, config.typed.roundRobin ? r : seededRandom(seed));
          if (!fast.equals(slow)) {
            throw new Error(
              `fast != slow for ${mode} ${name} type ${type} ${JSON.stringify(variant)} ${config.typed.roundRobin ? `rotation ${r}` : `seed ${seed}`}\n` +
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

export function edgeTable(zone = 'mesos.'): RecordTable {
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
export function soaShadowed(table: RecordTable, key: string): boolean {
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
export function namesOf(table: RecordTable): string[] {
  const zone = table.zone.slice(0, -1);
  const names = [...table.existing].map((n) => n.slice(0, -1));
  names.push(`nope.${zone}`, `a.b.nope.${zone}`, `x.ns1.${zone}`, `x.mesos-dns.${zone}`, `ns1.${zone}`, `_tcp.nope.${zone}`);
  return [...new Set(names)];
}
