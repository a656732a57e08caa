// Query + static zones -> Answer for a name in a static zone (route.ts decided which). Pure.
// RFC 1034 §4.3.2's algorithm over our own zones:
//   - below a zone cut (NS records under the apex): a referral, the NS RRset in authority with
//     their addresses from the zone (glue) in additional, AA clear (§4.3.2 step 3b); DS at the
//     cut itself is the parent's to answer (RFC 4035 §3.1.4.1), here NODATA unless the file has one;
//   - an exact match: the RRset; MX, SRV and NS answers get their targets' addresses from our
//     static zones in additional (RFC 1035 §3.3.9, RFC 2782), A before AAAA as lookup.ts does;
//   - a CNAME and another type asked: the CNAME, then the same question for its target when
//     the target is in one of our static zones (at most 8 links, a loop stops it) or in the
//     Mesos domain (`opts.chase`: the table's answer is appended), else the CNAME alone for the
//     client to chase (§4.3.2 step 3a);
//   - no such name: a `*` wildcard at the closest encloser answers with the query's name as
//     owner (RFC 4592 §3.3.1); otherwise NXDOMAIN;
//   - the name without that type, an empty non-terminal included (RFC 8020): NODATA.
// Negative answers carry the zone's SOA, TTL = min(its TTL, its MINIMUM) (RFC 2308 §3, §5).
// After a CNAME the rcode is the last name's (RFC 6604 §2.1) with the CNAMEs kept in answer.
// Records keep their file order (no shuffling: a zone file says what it says).
import { QCLASS, QTYPE, type Answer, type Query, type ResourceRecord } from '../wire/message.js';
import type { RRsetData } from '../../zones/zone-check.js';
import { parentOf, zoneFor, type StaticZone, type StaticZones } from '../../zones/static-zones.js';
import { lookup, type LookupOptions } from './lookup.js';
import { route } from './route.js';
import type { Routing } from '../../config/typed.js';
import type { RecordTable } from '../../records/table.js';

/** CNAME links followed in one answer (BIND follows 16, CoreDNS's file plugin 8). */
export const MAX_CNAME_CHAIN = 8;

export interface StaticLookupOptions extends LookupOptions {
  /**
   * The answer for a CNAME target outside the static zones that is ours all the same (the
   * Mesos domain), or undefined: the client chases it. See chaseIntoTable.
   */
  chase?: (target: string, type: number) => Answer | undefined;
}

/**
 * A chase into the Mesos table for targets route() gives to the Mesos domain (not to a
 * forwarding zone inside it); `routing` absent: every name the table holds (the HTTP API).
 */
export function chaseIntoTable(table: RecordTable | undefined, query: Query, opts: LookupOptions, routing?: Routing): StaticLookupOptions['chase'] {
  if (table === undefined) return undefined;
  return (target, type) => {
    const name = target.slice(0, -1);
    if (routing ? route(name, routing).kind !== 'authority' : !table.existing.has(target)) return undefined;
    return lookup(table, { ...query, question: { name, type, class: QCLASS.IN } }, opts);
  };
}

export function lookupStatic(zones: StaticZones, query: Query, apex: string, opts: StaticLookupOptions): Answer {
  const { question } = query;
  const ra = opts.recurseOn;
  if (question.class !== QCLASS.IN && question.class !== QCLASS.ANY) return empty('refused', ra);
  if (question.type === QTYPE.AXFR || question.type === QTYPE.IXFR) return empty('refused', ra);
  let zone = zones.zones.get(apex);
  if (zone === undefined) return empty('servfail', ra);

  const type = question.type;
  const answer: ResourceRecord[] = [];
  const seen = new Set<string>();
  let name = question.name === '' ? '.' : question.name.toLowerCase() + '.';
  let owner = question.name === '' ? '.' : question.name + '.';
  for (;;) {
    seen.add(name);
    const cut = cutAbove(zone, name);
    // DS lives on the parent side of a cut (RFC 4035 §3.1.4.1): answered here, not referred.
    if (cut !== undefined && !(cut === name && type === QTYPE.DS)) {
      // A referral for the name asked; a CNAME chain that leads below a cut ends there.
      if (answer.length > 0) return { kind: 'success', aa: true, ra, answer, authority: [], additional: [] };
      const ns = zone.names.get(cut)?.get(QTYPE.NS) as RRsetData;
      const authority = records(ns, ns.owner);
      return { kind: 'success', aa: false, ra, answer: [], authority, additional: addresses(zones, ns) };
    }
    let types = zone.names.get(name);
    if (types === undefined) {
      // An empty non-terminal exists (RFC 8020): NODATA; a wildcard never answers for it (RFC 4592 §2.2.2).
      if (zone.existing.has(name)) return negative('nodata', zone, answer, ra);
      types = wildcard(zone, name);
      if (types === undefined) return negative('nxdomain', zone, answer, ra);
    }

    if (type === QTYPE.ANY) {
      const sets = [...types.values()];
      // RFC 8482 §4.1: one RRset over UDP (the first the file gave this name), all over TCP.
      for (const set of opts.fullAny ? sets : sets.slice(0, 1)) answer.push(...records(set, owner));
      if (answer.length === 0) return negative('nodata', zone, answer, ra);
      return { kind: 'success', aa: true, ra, answer, authority: [], additional: [] };
    }
    const set = types.get(type);
    if (set !== undefined) {
      answer.push(...records(set, owner));
      return { kind: 'success', aa: true, ra, answer, authority: [], additional: addresses(zones, set) };
    }
    const cname = types.get(QTYPE.CNAME);
    if (cname === undefined) return negative('nodata', zone, answer, ra);
    answer.push(...records(cname, owner));
    const target = (cname.rdata[0] as { target: string }).target;
    const next = zoneFor(zones, target);
    if (next === undefined && !seen.has(target) && seen.size <= MAX_CNAME_CHAIN) {
      // The Mesos domain's answer for the target, its rcode and SOA included (RFC 6604).
      const other = opts.chase?.(target, type);
      if (other !== undefined && other.kind !== 'refused' && other.kind !== 'servfail') {
        return { ...other, aa: true, ra, answer: answer.concat(other.answer) };
      }
    }
    // Outside our zones, a loop, or too long a chain: the client takes it from here.
    if (next === undefined || seen.has(target) || seen.size > MAX_CNAME_CHAIN) {
      return { kind: 'success', aa: true, ra, answer, authority: [], additional: [] };
    }
    zone = next;
    name = owner = target;
  }
}

/** The highest zone cut at or above `name` inside `zone` (not the apex), if any. */
function cutAbove(zone: StaticZone, name: string): string | undefined {
  if (zone.cuts.size === 0) return undefined;
  let found: string | undefined;
  for (let n = name; n !== zone.apex && n !== '.'; n = parentOf(n)) if (zone.cuts.has(n)) found = n;
  return found;
}

/** RFC 4592 §3.3.1: the `*` child of the closest encloser, when the name does not exist. */
function wildcard(zone: StaticZone, name: string): ReadonlyMap<number, RRsetData> | undefined {
  let encloser = parentOf(name);
  while (encloser !== zone.apex && !zone.existing.has(encloser)) encloser = parentOf(encloser);
  return zone.names.get(`*.${encloser}`);
}

function records(set: RRsetData, owner: string): ResourceRecord[] {
  return set.rdata.map((data) => ({ name: owner, ttl: set.ttl, data }));
}

/** A and then AAAA records of the targets of an MX, SRV or NS RRset that our static zones hold. */
function addresses(zones: StaticZones, set: RRsetData): ResourceRecord[] {
  const targets: string[] = [];
  for (const d of set.rdata) {
    if (d.type === QTYPE.MX) targets.push(d.exchange);
    else if (d.type === QTYPE.SRV || d.type === QTYPE.NS) targets.push(d.target);
  }
  if (targets.length === 0) return [];
  const v4: ResourceRecord[] = [];
  const v6: ResourceRecord[] = [];
  for (const target of new Set(targets)) {
    const types = zoneFor(zones, target)?.names.get(target);
    if (types === undefined) continue;
    const a = types.get(QTYPE.A);
    if (a) v4.push(...records(a, target));
    const aaaa = types.get(QTYPE.AAAA);
    if (aaaa) v6.push(...records(aaaa, target));
  }
  return v4.concat(v6);
}

function negative(kind: 'nxdomain' | 'nodata', zone: StaticZone, answer: ResourceRecord[], ra: boolean): Answer {
  const soa = zone.soa;
  const data = soa.rdata[0];
  const minimum = data.type === QTYPE.SOA ? data.minimum : soa.ttl;
  const authority: ResourceRecord[] = [{ name: zone.apex, ttl: Math.min(soa.ttl, minimum), data }];
  return { kind, aa: true, ra, answer, authority, additional: [] };
}

function empty(kind: 'refused' | 'servfail', ra: boolean): Answer {
  return { kind, aa: false, ra, answer: [], authority: [], additional: [] };
}
