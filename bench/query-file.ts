// The dnsperf input for the QPS benchmark, drawn from a RecordTable: by default 80% A queries for
// names that hold A records, 10% SRV queries for names that hold SRV records, 10% names that do
// not exist (NXDOMAIN). Deterministic for a given seed, so Knot and our server get the same file.
import type { RecordTable } from '../src/records/table.js';
import { seededRandom } from '../test/helpers/seeded-random.js';
import { zoneOwners } from './knot-zone.js';

export interface QueryMix {
  /** Number of query lines (dnsperf loops over the file when it runs longer). */
  count: number;
  seed: number;
  aShare?: number;
  srvShare?: number;
  /** The rest of the queries are NXDOMAIN names. */
}

/**
 * Whether the whole answer fits a 512-byte UDP reply (RFC 1035 §4.2.1; dnsperf sends no EDNS),
 * reckoned without name compression except for the owner (always a pointer to the question), so
 * it is an upper bound. RRsets that do not fit (the 2,000-address `slave.mesos.`, SRV sets of big
 * apps) would turn the comparison into one of truncation policy: Knot sends TC with an empty
 * answer, other servers a partial one.
 */
function answerFits(name: string, type: 'A' | 'SRV', count: number, targets: readonly string[] = []): boolean {
  const question = name.length + 1 + 4;
  let size = 12 + question;
  if (type === 'A') size += count * (2 + 10 + 4);
  else for (const t of targets) size += 2 + 10 + 6 + t.length + 1;
  return size <= 512;
}

export interface QueryPools {
  a: string[];
  srv: string[];
}

/** Task-like names with A records, and SRV names, whose answers fit 512 bytes; sorted. */
export function queryPools(table: RecordTable): QueryPools {
  const a: string[] = [];
  const srv: string[] = [];
  for (const name of zoneOwners(table)) {
    const rec = table.names.get(name)!;
    if (rec.a.length > 0 && !name.startsWith('_') && answerFits(name, 'A', rec.a.length)) a.push(name);
    if (rec.srv.length > 0 && answerFits(name, 'SRV', rec.srv.length, rec.srv.map((s) => s.target))) srv.push(name);
  }
  a.sort();
  srv.sort();
  return { a, srv };
}

/** dnsperf lines, `name TYPE`, shuffled (Fisher–Yates with the seeded PRNG). */
export function buildQueries(table: RecordTable, mix: QueryMix): string[] {
  const rand = seededRandom(mix.seed);
  const { a, srv } = queryPools(table);
  if (a.length === 0 || srv.length === 0) throw new Error('query file: the table has no A or no SRV names to query');
  const aCount = Math.round(mix.count * (mix.aShare ?? 0.8));
  const srvCount = Math.round(mix.count * (mix.srvShare ?? 0.1));
  const nxCount = mix.count - aCount - srvCount;
  const pick = (pool: string[]): string => pool[(rand() * pool.length) | 0];
  const strip = (name: string): string => name.slice(0, -1);
  const lines: string[] = [];
  for (let i = 0; i < aCount; i++) lines.push(`${strip(pick(a))} A`);
  for (let i = 0; i < srvCount; i++) lines.push(`${strip(pick(srv))} SRV`);
  for (let i = 0; i < nxCount; i++) {
    // A near miss: an existing task name with its first label altered, so the lookup walks the
    // same parent names as a hit does before failing.
    let name: string;
    do {
      const base = pick(a);
      const dot = base.indexOf('.');
      name = `${base.slice(0, dot)}-nx${((rand() * 1e6) | 0).toString(36)}${base.slice(dot)}`;
    } while (table.existing.has(name));
    lines.push(`${strip(name)} A`);
  }
  for (let i = lines.length - 1; i > 0; i--) {
    const j = (rand() * (i + 1)) | 0;
    [lines[i], lines[j]] = [lines[j], lines[i]];
  }
  return lines;
}
