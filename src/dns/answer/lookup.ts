// Query + record table → Answer (sections and result, no bytes). Pure: no I/O, no clock; the
// randomness for shuffling comes in through `opts.random`. The caller only calls this for names
// inside table.zone (routing is its job) and after parseQuery accepted the message, so opcode
// and EDNS version are already checked (BADVERS is decided in parse-query.ts).
//
// We follow the RFCs where mesos-dns does not (see docs/compat.md):
//   - NXDOMAIN only for names that do not exist; empty non-terminals and the apex get NODATA
//     (RFC 8020), whatever the qtype (mesos-dns: NOERROR for any SRV miss, NXDOMAIN for ENTs).
//   - Negative answers carry the zone SOA, owner = apex, TTL = min(ttl, MINIMUM) (RFC 2308 §3).
//   - Apex SOA and NS go in the ANSWER section, owned by the apex (mesos-dns: authority, owner
//     = qname, for any name).
//   - Non-IN classes are REFUSED, as CoreDNS does (mesos-dns ignores the class).
import { QCLASS, QTYPE, type Answer, type Query, type ResourceRecord } from '../wire/message.js';
import type { NameRecords, RecordTable } from '../../records/table.js';

export interface LookupOptions {
  /** A number in [0, 1), for the Fisher–Yates shuffle of the answer section. */
  random: () => number;
  /**
   * AnswerOrder "round-robin": how far to rotate the question name's `n` records of `type`
   * (table order) in this reply (answer-order.ts RotationCounters). Absent: every RRset is
   * shuffled with `random` (AnswerOrder "shuffle", as mesos-dns).
   */
  rotation?: (type: number, n: number) => number;
  /** Sets RA (mesos-dns `recurseon`). */
  recurseOn: boolean;
  /**
   * ANY gets every RRset of the name (true: over TCP, where a reply cannot be aimed at a forged
   * source) instead of one (RFC 8482 §4.1, the default: over UDP). See minimalAny.
   */
  fullAny?: boolean;
}

/**
 * `zone` is the zone the name is in, when it is another zone of ours than table.zone (route.ts):
 * its apex holds the SOA and NS, and negative answers carry the SOA under its apex.
 */
export function lookup(table: RecordTable | undefined, query: Query, opts: LookupOptions, zone?: string): Answer {
  const { question } = query;
  const ra = opts.recurseOn;
  if (question.class !== QCLASS.IN && question.class !== QCLASS.ANY) return empty('refused', false, ra);
  // Zone transfers are answered by dns/xfr/transfer-service.ts, where handle-query sends them;
  // without it (a context with no transfer service) they are REFUSED, as mesos-dns does.
  if (question.type === QTYPE.AXFR || question.type === QTYPE.IXFR) return empty('refused', false, ra);
  // No state loaded yet: we cannot say anything, not even NXDOMAIN (CoreDNS TestNotSyncedServeDNS).
  if (!table) return empty('servfail', false, ra);

  // Queries may arrive 0x20-randomised: look up lower-case, answer with the name as sent.
  // (Presentation names are ASCII, non-printables are \DDD-escaped, so this only folds A-Z.)
  const key = question.name === '' ? '.' : question.name.toLowerCase() + '.';
  const owner = question.name === '' ? '.' : question.name + '.';

  const apexName = zone ?? table.zone;
  if (!table.existing.has(key)) return negative('nxdomain', table, ra, apexName);

  const records = table.names.get(key);
  const apex = key === apexName;
  const ttl = table.ttl;
  const answer: ResourceRecord[] = [];
  // Names whose addresses go in the additional section (SRV targets, NS names), in answer order.
  const glueFor: string[] = [];
  const type = question.type;
  const any = type === QTYPE.ANY;
  if (any && !opts.fullAny) return minimalAny(table, query, records, apex, opts, apexName);

  // A full ANY (over TCP) returns every RRset we hold for the name, each shuffled on its own,
  // the sets grouped.
  if (apex && (type === QTYPE.SOA || any)) {
    answer.push({ name: owner, ttl, data: soaData(table) });
  }
  if (apex && (type === QTYPE.NS || any)) {
    const from = answer.length;
    for (const target of table.ns) answer.push({ name: owner, ttl, data: { type: QTYPE.NS, target } });
    order(answer, from, QTYPE.NS, opts);
    for (let i = from; i < answer.length; i++) glueFor.push((answer[i].data as { target: string }).target);
  }
  if (records) {
    if (type === QTYPE.A || any) {
      const from = answer.length;
      for (const address of records.a) answer.push({ name: owner, ttl, data: { type: QTYPE.A, address } });
      order(answer, from, QTYPE.A, opts);
    }
    if (type === QTYPE.AAAA || any) {
      const from = answer.length;
      for (const address of records.aaaa) answer.push({ name: owner, ttl, data: { type: QTYPE.AAAA, address } });
      order(answer, from, QTYPE.AAAA, opts);
    }
    if (type === QTYPE.SRV || any) {
      const from = answer.length;
      for (const s of records.srv) {
        answer.push({
          name: owner,
          ttl,
          data: { type: QTYPE.SRV, priority: s.priority, weight: s.weight, port: s.port, target: s.target },
        });
      }
      order(answer, from, QTYPE.SRV, opts);
      for (let i = from; i < answer.length; i++) glueFor.push((answer[i].data as { target: string }).target);
    }
  }

  // The name exists but has nothing of this type (CNAME, TXT, MX, PTR, DS at the apex, ...):
  // NODATA. We hold no parent-side data, so DS is NODATA too.
  if (answer.length === 0) return negative('nodata', table, ra, apexName);

  return { kind: 'success', aa: true, ra, answer, authority: [], additional: glue(table, glueFor) };
}

/**
 * ANY over UDP, RFC 8482 §4.1: one RRset, the first of A, AAAA, SRV that the name has (the
 * answer an A, AAAA or SRV query gets, glue included), so ANY cannot make a larger reply than
 * the same name's ordinary queries. A name holding only other data (the apex: SOA and NS) gets
 * the synthesized HINFO "RFC8482" "" with the zone TTL (§4.2). Names that do not exist, and
 * names that exist without data (empty non-terminals), keep their NXDOMAIN and NODATA.
 */
function minimalAny(table: RecordTable, query: Query, records: NameRecords | undefined, apex: boolean, opts: LookupOptions, zone: string): Answer {
  const pick = !records ? 0 : records.a.length > 0 ? QTYPE.A : records.aaaa.length > 0 ? QTYPE.AAAA : records.srv.length > 0 ? QTYPE.SRV : 0;
  if (pick !== 0) return lookup(table, { ...query, question: { ...query.question, type: pick } }, opts, zone);
  if (!apex) return negative('nodata', table, opts.recurseOn, zone);
  const owner = query.question.name === '' ? '.' : query.question.name + '.';
  const hinfo: ResourceRecord = { name: owner, ttl: table.ttl, data: { type: QTYPE.HINFO, cpu: 'RFC8482', os: '' } };
  return { kind: 'success', aa: true, ra: opts.recurseOn, answer: [hinfo], authority: [], additional: [] };
}

/**
 * Addresses of the given names that the table holds, de-duplicated by name, in first-seen
 * order: every A first, then every AAAA, so that dropping additional records from the end
 * under truncation keeps IPv4 glue longest (NSD's ordering, dns.h).
 */
export function glue(table: RecordTable, names: readonly string[]): ResourceRecord[] {
  if (names.length === 0) return [];
  const seen = new Set<string>();
  const v4: ResourceRecord[] = [];
  const v6: ResourceRecord[] = [];
  const ttl = table.ttl;
  for (const raw of names) {
    const name = raw.toLowerCase();
    const key = name.endsWith('.') ? name : name + '.';
    if (seen.has(key)) continue;
    seen.add(key);
    const records = table.names.get(key);
    if (!records) continue;
    for (const address of records.a) v4.push({ name: raw, ttl, data: { type: QTYPE.A, address } });
    for (const address of records.aaaa) v6.push({ name: raw, ttl, data: { type: QTYPE.AAAA, address } });
  }
  return v4.concat(v6);
}

export function soaData(table: RecordTable): ResourceRecord['data'] {
  const s = table.soa;
  return {
    type: QTYPE.SOA,
    mname: s.mname,
    rname: s.rname,
    serial: s.serial,
    refresh: s.refresh,
    retry: s.retry,
    expire: s.expire,
    minimum: s.minimum,
  };
}

/** NXDOMAIN or NODATA: the zone SOA in authority, owned by the apex, TTL per RFC 2308 §3. */
function negative(kind: 'nxdomain' | 'nodata', table: RecordTable, ra: boolean, zone: string): Answer {
  const soa: ResourceRecord = { name: zone, ttl: Math.min(table.ttl, table.soa.minimum), data: soaData(table) };
  return { kind, aa: true, ra, answer: [], authority: [soa], additional: [] };
}

function empty(kind: 'refused' | 'servfail', aa: boolean, ra: boolean): Answer {
  return { kind, aa, ra, answer: [], authority: [], additional: [] };
}

/** rrs[from..end), in table order, put in this reply's order (answer-order.ts). */
function order(rrs: ResourceRecord[], from: number, type: number, opts: LookupOptions): void {
  if (opts.rotation === undefined) {
    shuffle(rrs, from, opts.random);
    return;
  }
  const n = rrs.length - from;
  const r = n < 2 ? 0 : opts.rotation(type, n) % n;
  if (r === 0) return;
  // Left by r: the record at r leads, the ones before it go to the end (RFC 1794).
  const head = rrs.splice(from, r);
  rrs.push(...head);
}

/**
 * Fisher–Yates over rrs[from..end), in place (mesos-dns shuffles every reply so clients spread
 * over tasks). A `random` that breaks its [0, 1) contract is clamped rather than trusted to
 * index outside the range.
 */
function shuffle(rrs: ResourceRecord[], from: number, random: () => number): void {
  for (let i = rrs.length - 1; i > from; i--) {
    const span = i - from + 1;
    const r = random();
    const j = from + (r > 0 && r < 1 ? Math.floor(r * span) : 0);
    const t = rrs[i];
    rrs[i] = rrs[j];
    rrs[j] = t;
  }
}
