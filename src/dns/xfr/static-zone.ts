// Static zones (docs/static-zones.md) as TransferZones, and the set of zones one snapshot lets
// secondaries transfer: the table's (the Mesos zone, the reverse zones: zones.ts) and the static
// zones, a static zone winning at the same apex as route.ts decides for queries. Pure.
//
// A static zone is the operator's file: its SOA serial is the file's own (RFC 1035 §3.3.13, the
// operator raises it), and each RRset keeps its own TTL (RFC 2181 §5.2), so rrsetTtl() answers
// per RRset where the table's zones have one TTL. Records may be of any type the zone files
// accept (CNAME, MX, TXT, CAA, RFC 3597 generic RDATA ...): encode.ts writeRecord writes them all.
import { QTYPE, rrTypeOf, type RData } from '../wire/message.js';
import type { Snapshot } from '../../store.js';
import { canonicalRRsets, type StaticZone } from '../../zones/static-zones.js';
import { recordKey, zonesOf, type TransferZone } from './zones.js';

type SoaRData = Extract<RData, { type: typeof QTYPE.SOA }>;

export class StaticTransferZone implements TransferZone {
  readonly apex: string;
  /** The SOA RRset's TTL (soaRecord() uses it); other RRsets answer rrsetTtl(). */
  readonly ttl: number;
  readonly soa: SoaRData;
  /** The file the zone was read from (log lines). */
  readonly file: string;
  /** Owners in RFC 4034 §6.1 canonical order (a transfer reads like the file, sorted). */
  readonly #owners: string[] = [];
  /** owner -> its records but the apex SOA, sorted by recordKey (diff.ts merges them). */
  readonly #records = new Map<string, RData[]>();
  /** "owner type" -> TTL. */
  readonly #ttls = new Map<string, number>();

  constructor(zone: StaticZone) {
    this.apex = zone.apex;
    this.file = zone.data.file;
    this.ttl = zone.soa.ttl;
    this.soa = zone.soa.rdata[0] as SoaRData;
    for (const set of canonicalRRsets(zone)) {
      this.#ttls.set(`${set.owner} ${set.type}`, set.ttl);
      const data = set.owner === this.apex && set.type === QTYPE.SOA ? [] : set.rdata;
      if (data.length === 0) continue;
      let list = this.#records.get(set.owner);
      if (list === undefined) {
        this.#records.set(set.owner, (list = []));
        this.#owners.push(set.owner);
      }
      list.push(...data);
    }
    for (const list of this.#records.values()) {
      const keyed = list.map((d) => [recordKey(d), d] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      keyed.forEach((k, i) => (list[i] = k[1]));
    }
  }

  owners(): Iterable<string> {
    return this.#owners;
  }

  records(owner: string): readonly RData[] | undefined {
    return this.#records.get(owner);
  }

  rrsetTtl(owner: string, data: RData): number {
    return this.#ttls.get(`${owner} ${rrTypeOf(data)}`) ?? this.ttl;
  }
}

const byZone = new WeakMap<StaticZone, StaticTransferZone>();

/** The TransferZone of `zone`, made once per loaded version of its file. */
export function staticTransferZone(zone: StaticZone): StaticTransferZone {
  let t = byZone.get(zone);
  if (t === undefined) byZone.set(zone, (t = new StaticTransferZone(zone)));
  return t;
}

/** Every static zone of `zones`, by apex. */
export function staticTransferZones(zones: Snapshot['zones']): Map<string, StaticTransferZone> {
  return new Map([...zones.zones].map(([apex, z]) => [apex, staticTransferZone(z)]));
}

/** Every zone `snapshot` serves, by apex: the table's, then the static ones (which win at one apex). */
export function snapshotZones(snapshot: Snapshot): ReadonlyMap<string, TransferZone> {
  if (snapshot.zones.zones.size === 0) return zonesOf(snapshot.table);
  const all = new Map<string, TransferZone>(zonesOf(snapshot.table));
  for (const [apex, zone] of staticTransferZones(snapshot.zones)) all.set(apex, zone);
  return all;
}

/** The zone whose apex is `name` (absolute, any case) in `snapshot`, a static zone first. */
export function snapshotZoneAt(snapshot: Snapshot, name: string): TransferZone | undefined {
  const apex = name.toLowerCase();
  const z = snapshot.zones.zones.get(apex);
  return z !== undefined ? staticTransferZone(z) : zonesOf(snapshot.table).get(apex);
}
