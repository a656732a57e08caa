// The static zones served beside the Mesos domain (docs/static-zones.md): immutable, part of the
// same Snapshot as the record table (store.ts) and swapped with it. Built from plain ZoneData
// (zone-check.ts), which is also what goes to the DNS worker threads; pure.
import { ZoneFileError } from '../errors.js';
import { QTYPE } from '../dns/wire/message.js';
import { rdataWire } from '../dns/wire/rdata-wire.js';
import type { RRsetData, ZoneData } from './zone-check.js';
import { compareCanonical, isInZone } from './zone-names.js';

export interface StaticZone {
  readonly data: ZoneData;
  readonly apex: string;
  /** The apex SOA RRset. */
  readonly soa: RRsetData;
  /** owner -> type -> RRset. */
  readonly names: ReadonlyMap<string, ReadonlyMap<number, RRsetData>>;
  /** Owners and their ancestors up to the apex (RFC 8020: empty non-terminals exist). */
  readonly existing: ReadonlySet<string>;
  /** Owners below the apex with NS records: delegations (RFC 1034 §4.2.1 zone cuts). */
  readonly cuts: ReadonlySet<string>;
}

export interface StaticZones {
  readonly data: readonly ZoneData[];
  /** apex -> zone. */
  readonly zones: ReadonlyMap<string, StaticZone>;
}

export const NO_STATIC_ZONES: StaticZones = Object.freeze({ data: [], zones: new Map() });

/** The parent of a canonical name; in canonical form a '.' inside a label is \046, so every dot is a boundary. */
export function parentOf(name: string): string {
  const dot = name.indexOf('.');
  return dot < 0 || dot === name.length - 1 ? '.' : name.slice(dot + 1);
}

function zone(data: ZoneData): StaticZone {
  const names = new Map<string, Map<number, RRsetData>>();
  const existing = new Set<string>([data.apex]);
  const cuts = new Set<string>();
  for (const set of data.rrsets) {
    let types = names.get(set.owner);
    if (types === undefined) names.set(set.owner, (types = new Map()));
    types.set(set.type, set);
    if (set.type === QTYPE.NS && set.owner !== data.apex) cuts.add(set.owner);
    for (let n = set.owner; n !== data.apex && !existing.has(n); n = parentOf(n)) existing.add(n);
  }
  const soa = names.get(data.apex)?.get(QTYPE.SOA) as RRsetData;
  return Object.freeze({ data, apex: data.apex, soa, names, existing, cuts });
}

/** The lookup form of `data` (on the main thread after a load, in a worker after a message). */
export function staticZones(data: readonly ZoneData[]): StaticZones {
  if (data.length === 0) return NO_STATIC_ZONES;
  return Object.freeze({ data, zones: new Map(data.map((d) => [d.apex, zone(d)])) });
}

/** The zone of `zones` whose apex is the longest suffix of canonical `name`, if any. */
export function zoneFor(zones: StaticZones, name: string): StaticZone | undefined {
  if (zones.zones.size === 0) return undefined;
  for (let n = name; ; n = parentOf(n)) {
    const z = zones.zones.get(n);
    if (z !== undefined) return z;
    if (n === '.') return undefined;
  }
}

/**
 * Which zones may be served, in file order: a zone equal to the Mesos domain, inside it or
 * above it is refused (the Mesos domain is the table's, whole); so is a second file for an apex
 * already taken. Both come back as errors naming the file. `domainZone` is "mesos." form.
 */
export function acceptZones(candidates: readonly ZoneData[], domainZone: string): { zones: ZoneData[]; refused: ZoneFileError[] } {
  const zones: ZoneData[] = [];
  const refused: ZoneFileError[] = [];
  const taken = new Map<string, string>();
  for (const z of candidates) {
    if (isInZone(z.apex, domainZone) || isInZone(domainZone, z.apex)) {
      const how = z.apex === domainZone ? 'is' : isInZone(z.apex, domainZone) ? 'is inside' : 'contains';
      refused.push(new ZoneFileError(z.file, 0, `zone ${z.apex} ${how} the Mesos domain ${domainZone}; it is not served (pick a zone outside the domain)`));
      continue;
    }
    const other = taken.get(z.apex);
    if (other !== undefined) {
      refused.push(new ZoneFileError(z.file, 0, `zone ${z.apex} is already served from ${other}; this file is not served`));
      continue;
    }
    taken.set(z.apex, z.file);
    zones.push(z);
  }
  return { zones, refused };
}

/**
 * Every RRset of `zone` in RFC 4034 §6 canonical order: owners by §6.1, types by number within
 * an owner, records within an RRset by their canonical RDATA (§6.3). For zone transfers.
 */
export function canonicalRRsets(zone: StaticZone): RRsetData[] {
  const sets = [...zone.data.rrsets].sort((a, b) => compareCanonical(a.owner, b.owner) || a.type - b.type);
  return sets.map((s) => {
    const keyed = s.rdata.map((d) => ({ d, wire: rdataWire(d) ?? Buffer.alloc(0) }));
    keyed.sort((a, b) => Buffer.compare(a.wire, b.wire));
    return { ...s, rdata: keyed.map((k) => k.d) };
  });
}
