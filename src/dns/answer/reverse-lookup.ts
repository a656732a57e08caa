// Query + table -> Answer for a name in one of our reverse zones (route.ts decided which). Pure,
// like lookup.ts, and answered the same way as the forward zone (docs/compat.md): PTR records
// (RFC 1035 §3.3.12) in the order the table keeps them, the canonical task name first, so they
// are not shuffled; SOA and NS at the zone apex; NXDOMAIN and NODATA with the zone's SOA (RFC
// 2308 §3). The SOA is the Mesos zone's (same MNAME, RNAME and timers) under the reverse zone's
// apex, with the Mesos zone's serial, or the zone's own when zone transfer gives it one.
import { QCLASS, QTYPE, type Answer, type Query, type ResourceRecord } from '../wire/message.js';
import type { RecordTable } from '../../records/table.js';
import { glue, soaData, type LookupOptions } from './lookup.js';

export function lookupReverse(table: RecordTable | undefined, query: Query, zone: string, opts: LookupOptions): Answer {
  const { question } = query;
  const ra = opts.recurseOn;
  if (question.class !== QCLASS.IN && question.class !== QCLASS.ANY) return empty('refused', ra);
  if (question.type === QTYPE.AXFR || question.type === QTYPE.IXFR) return empty('refused', ra);
  const reverse = table?.reverse;
  // route() only names a reverse zone that the table holds; without a table there is none.
  if (table === undefined || reverse === undefined) return empty('servfail', ra);

  const key = question.name.toLowerCase() + '.';
  const owner = question.name + '.';
  const ttl = table.ttl;
  if (!reverse.existing.has(key)) return negative('nxdomain', table, zone, ra);

  const type = question.type;
  const any = type === QTYPE.ANY;
  const answer: ResourceRecord[] = [];
  const targets = reverse.ptr.get(key);
  if (targets !== undefined && (type === QTYPE.PTR || any)) {
    for (const target of targets) answer.push({ name: owner, ttl, data: { type: QTYPE.PTR, target } });
    // ANY over UDP is one RRset (RFC 8482 §4.1): a reverse name holds only its PTR set.
    if (answer.length > 0) return success(answer, [], ra);
  }
  if (key === zone) {
    if (any && !opts.fullAny) {
      // RFC 8482 §4.2, as lookup.ts answers ANY at the Mesos apex.
      return success([{ name: owner, ttl, data: { type: QTYPE.HINFO, cpu: 'RFC8482', os: '' } }], [], ra);
    }
    if (type === QTYPE.SOA || any) answer.push({ name: owner, ttl, data: reverseSoa(table, zone) });
    if (type === QTYPE.NS || any) {
      for (const target of table.ns) answer.push({ name: owner, ttl, data: { type: QTYPE.NS, target } });
      if (answer.length > 0) return success(answer, glue(table, table.ns), ra);
    }
    if (answer.length > 0) return success(answer, [], ra);
  }
  return negative('nodata', table, zone, ra);
}

/**
 * The SOA of reverse zone `zone`: the Mesos zone's, with the zone's own serial when it has one
 * (zone transfer on: a reverse zone's serial moves only when its PTRs change).
 */
export function reverseSoa(table: RecordTable, zone: string): ResourceRecord['data'] {
  const own = table.reverse?.serials.get(zone);
  const soa = soaData(table);
  return own === undefined || soa.type !== QTYPE.SOA ? soa : { ...soa, serial: own };
}

function success(answer: ResourceRecord[], additional: ResourceRecord[], ra: boolean): Answer {
  return { kind: 'success', aa: true, ra, answer, authority: [], additional };
}

function negative(kind: 'nxdomain' | 'nodata', table: RecordTable, zone: string, ra: boolean): Answer {
  const soa: ResourceRecord = { name: zone, ttl: Math.min(table.ttl, table.soa.minimum), data: reverseSoa(table, zone) };
  return { kind, aa: true, ra, answer: [], authority: [soa], additional: [] };
}

function empty(kind: 'refused' | 'servfail', ra: boolean): Answer {
  return { kind, aa: false, ra, answer: [], authority: [], additional: [] };
}
