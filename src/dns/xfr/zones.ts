// The zones a table makes us authoritative for, in the one form zone transfer needs: the apex
// SOA and the RRsets of every owner (RFC 5936 §2.2: a transfer is the SOA, every RRset, the SOA
// again). Transfer, IXFR journal and NOTIFY code sees only TransferZone, so any zone (the Mesos
// zone and the reverse zones here; static zones in static-zone.ts) plugs in by implementing it. Pure.
//
// Owners come in a fixed order (the table's) rather than DNSSEC canonical order: nothing in
// AXFR depends on order (RFC 5936 §2.2 "no particular order"), and the diff (diff.ts) looks
// each name up instead of merging two sorted lists, so no zone pays for a sort of its names.
// The records of one name are sorted by recordKey, which is what makes two tables' RRsets
// comparable whatever order the build added them in.
import { GENERIC_RDATA, QTYPE, type RData } from '../wire/message.js';
import type { RecordTable, SoaData } from '../../records/table.js';
import { withReverseSerials, zoneOf } from '../../records/reverse-table.js';
import { changedOwners } from '../../records/packed-compare.js';
import { NAME_OWNER, nameAt, recordsAt } from '../../records/packed-table.js';
import { mesosAxfrMessages } from './axfr/mesos-axfr.js';

type SoaRData = Extract<RData, { type: typeof QTYPE.SOA }>;

export interface TransferZone {
  /** Absolute, lower-case ("mesos.", "0.10.in-addr.arpa."). */
  readonly apex: string;
  /** Every record's TTL. */
  readonly ttl: number;
  readonly soa: SoaRData;
  /** Every owner that holds records other than the apex SOA, each once. */
  owners(): Iterable<string>;
  /** `owner`'s records except the apex SOA, sorted by recordKey; undefined when it has none. */
  records(owner: string): readonly RData[] | undefined;
  /**
   * Optional shortcut for diff.ts: the owners whose records may differ from `before`'s (`changed`,
   * may include some that do not) and those `before` has and this zone does not (`gone`), when
   * this zone can tell faster than comparing every name; undefined when it cannot for `before`.
   */
  changedSince?(before: TransferZone): { changed: Iterable<string>; gone: Iterable<string> } | undefined;
  /**
   * Optional: every owner with its records (except the apex SOA), in any order and unsorted, when
   * the zone can list them faster than owners() + records() (a whole-zone transfer needs no order).
   */
  entries?(): Iterable<[string, readonly RData[]]>;
  /**
   * Optional: the TTL of `owner`'s RRset holding `data`, when RRsets differ in TTL (a static
   * zone, RFC 2181 §5.2); without it every record has `ttl`.
   */
  rrsetTtl?(owner: string, data: RData): number;
  /**
   * Optional: the whole zone's AXFR messages (RFC 5936 §2.2), ID 0 and the question `apex AXFR
   * IN`, each at most 65535 - `reserve` octets, made from the zone's own storage faster than
   * messages.ts transferMessages over axfrRecords; undefined when it cannot for this zone.
   */
  wholeZoneMessages?(reserve: number): Iterable<Buffer> | undefined;
}

/** The TTL `zone` gives `owner`'s record `data`. */
export function ttlOf(zone: TransferZone, owner: string, data: RData): number {
  return zone.rrsetTtl ? zone.rrsetTtl(owner, data) : zone.ttl;
}

/** A record's identity within its owner: type and RDATA as text, names lower-cased (RFC 4343). */
export function recordKey(d: RData): string {
  switch (d.type) {
    case QTYPE.A:
    case QTYPE.AAAA:
      return `${d.type} ${d.address}`;
    case QTYPE.SRV:
      return `${d.type} ${d.priority} ${d.weight} ${d.port} ${d.target.toLowerCase()}`;
    case QTYPE.NS:
    case QTYPE.PTR:
    case QTYPE.CNAME:
      return `${d.type} ${d.target.toLowerCase()}`;
    case QTYPE.MX:
      return `${d.type} ${d.preference} ${d.exchange.toLowerCase()}`;
    case QTYPE.CAA:
      return `${d.type} ${d.flags} ${d.tag} ${Buffer.from(d.value).toString('hex')}`;
    case GENERIC_RDATA:
      return `${d.rrtype} ${Buffer.from(d.bytes).toString('hex')}`;
    case QTYPE.SOA:
      return `${d.type} ${d.mname} ${d.rname} ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`;
    case QTYPE.TXT:
      return `${d.type} ${d.texts.map((t) => Buffer.from(t).toString('hex')).join(' ')}`;
    case QTYPE.HINFO:
      return `${d.type} ${JSON.stringify([d.cpu, d.os])}`;
  }
}

function sortedByKey(records: RData[]): RData[] {
  if (records.length < 2) return records;
  const keyed = records.map((r) => [recordKey(r), r] as const);
  keyed.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return keyed.map((k) => k[1]);
}

function soaOf(soa: SoaData): SoaRData {
  return { type: QTYPE.SOA, mname: soa.mname, rname: soa.rname, serial: soa.serial, refresh: soa.refresh, retry: soa.retry, expire: soa.expire, minimum: soa.minimum };
}

/**
 * Names a transfer leaves out of the Mesos zone: names outside it (an SOAMname under another
 * domain) and names with upper-case letters (legacy DiscoveryInfo names kept as given). Queries
 * are lower-cased before lookup, so we never answer those, while a secondary matches owners
 * case-insensitively (RFC 4343) and would.
 */
export function transferable(name: string, apex: string): boolean {
  return (name === apex || name.endsWith(`.${apex}`)) && name === name.toLowerCase();
}

class MesosZone implements TransferZone {
  readonly apex: string;
  readonly ttl: number;
  readonly soa: SoaRData;
  readonly #table: RecordTable;

  /** The packed arrays in id order: no name lookups, no sorting (AXFR). */
  *entries(): Iterable<[string, readonly RData[]]> {
    const t = this.#table;
    const packed = t.packed;
    if (packed === undefined) {
      for (const owner of this.owners()) yield [owner, this.records(owner) ?? []];
      return;
    }
    const apex = this.records(this.apex);
    if (apex !== undefined) yield [this.apex, apex];
    for (let id = 0; id < packed.nameKind.length; id++) {
      if (packed.nameKind[id] !== NAME_OWNER) continue;
      const name = nameAt(packed, id);
      if (name === this.apex || !transferable(name, this.apex)) continue;
      const r = recordsAt(packed, id);
      const out: RData[] = [];
      for (const address of r.a) out.push({ type: QTYPE.A, address });
      for (const address of r.aaaa) out.push({ type: QTYPE.AAAA, address });
      for (const x of r.srv) out.push({ type: QTYPE.SRV, priority: x.priority, weight: x.weight, port: x.port, target: x.target });
      yield [name, out];
    }
  }

  /** Straight from the packed arrays (axfr/mesos-axfr.ts): the same bytes as the generic encoder's. */
  wholeZoneMessages(reserve: number): Iterable<Buffer> | undefined {
    const apex = this.apex;
    return mesosAxfrMessages(
      { table: this.#table, apex, ttl: this.ttl, soa: this.soa, apexRecords: this.records(apex) ?? [], transferable: (name) => transferable(name, apex) },
      reserve,
    );
  }

  /** Packed tables compare name by name as bytes (records/packed-compare.ts); the apex always counts as changed. */
  changedSince(before: TransferZone): { changed: Iterable<string>; gone: Iterable<string> } | undefined {
    const a = before instanceof MesosZone ? before.#table.packed : undefined;
    const b = this.#table.packed;
    if (a === undefined || b === undefined) return undefined;
    const { changed, gone } = changedOwners(a, b);
    return { changed: [this.apex, ...changed], gone };
  }

  constructor(table: RecordTable) {
    this.#table = table;
    this.apex = table.zone;
    this.ttl = table.ttl;
    this.soa = soaOf(table.soa);
  }

  *owners(): Iterable<string> {
    yield this.apex;
    for (const name of this.#table.names.keys()) if (name !== this.apex && transferable(name, this.apex)) yield name;
  }

  records(owner: string): readonly RData[] | undefined {
    const t = this.#table;
    const out: RData[] = [];
    if (owner === this.apex) for (const target of t.ns) out.push({ type: QTYPE.NS, target });
    else if (!transferable(owner, this.apex)) return undefined;
    const r = t.names.get(owner);
    if (r !== undefined) {
      for (const address of r.a) out.push({ type: QTYPE.A, address });
      for (const address of r.aaaa) out.push({ type: QTYPE.AAAA, address });
      for (const s of r.srv) out.push({ type: QTYPE.SRV, priority: s.priority, weight: s.weight, port: s.port, target: s.target });
    }
    return out.length === 0 ? undefined : sortedByKey(out);
  }
}

/** One reverse zone of the table: its PTR owners, and NS at the apex (reverse-lookup.ts answers the same). */
class ReverseZone implements TransferZone {
  readonly apex: string;
  readonly ttl: number;
  readonly soa: SoaRData;
  readonly #table: RecordTable;
  /** Its PTR owners, listed on first use (AXFR, a diff without the touched names): not per patch. */
  readonly #owners: () => readonly string[];

  /** PTR target lists compare as arrays of strings; the apex always counts as changed. */
  changedSince(before: TransferZone): { changed: Iterable<string>; gone: Iterable<string> } | undefined {
    if (!(before instanceof ReverseZone)) return undefined;
    const a = before.#table.reverse!.ptr;
    const b = this.#table.reverse!.ptr;
    const changed = [this.apex];
    for (const owner of this.#owners()) {
      const x = a.get(owner);
      const y = b.get(owner)!;
      if (x === undefined || x.length !== y.length || x.some((t, i) => t !== y[i])) changed.push(owner);
    }
    const mine = new Set(this.#owners());
    return { changed, gone: before.#owners().filter((o) => !mine.has(o)) };
  }

  constructor(table: RecordTable, apex: string, owners: () => readonly string[]) {
    this.#table = table;
    this.apex = apex;
    this.ttl = table.ttl;
    this.soa = { ...soaOf(table.soa), serial: table.reverse?.serials.get(apex) ?? table.soa.serial };
    this.#owners = owners;
  }

  *owners(): Iterable<string> {
    yield this.apex;
    for (const o of this.#owners()) if (o !== this.apex) yield o;
  }

  records(owner: string): readonly RData[] | undefined {
    const t = this.#table;
    const out: RData[] = [];
    if (owner === this.apex) for (const target of t.ns) out.push({ type: QTYPE.NS, target });
    else if (zoneOf(owner, t.reverse!.zones) !== this.apex) return undefined;
    for (const target of t.reverse?.ptr.get(owner) ?? []) out.push({ type: QTYPE.PTR, target });
    return out.length === 0 ? undefined : sortedByKey(out);
  }
}

const zonesByTable = new WeakMap<RecordTable, ReadonlyMap<string, TransferZone>>();

/** Every zone `table` serves, by apex: the Mesos zone, then each reverse zone. Made once per table. */
export function zonesOf(table: RecordTable): ReadonlyMap<string, TransferZone> {
  let zones = zonesByTable.get(table);
  if (zones !== undefined) return zones;
  const map = new Map<string, TransferZone>([[table.zone, new MesosZone(table)]]);
  const reverse = table.reverse;
  if (reverse !== undefined) {
    // The PTR owners by zone, found on first use: every patched table passes through here
    // (zone-history.ts admit), and a walk over every PTR each time would cost a launch the cluster.
    let grouped: Map<string, string[]> | undefined;
    const ownersIn = (zone: string): readonly string[] => {
      if (grouped === undefined) {
        grouped = new Map([...reverse.zones].map((z) => [z, []]));
        for (const owner of reverse.ptr.keys()) {
          const at = zoneOf(owner, reverse.zones);
          if (at !== undefined) grouped.get(at)!.push(owner);
        }
      }
      return grouped.get(zone)!;
    };
    for (const zone of reverse.zones) if (!map.has(zone)) map.set(zone, new ReverseZone(table, zone, () => ownersIn(zone)));
  }
  zones = map;
  zonesByTable.set(table, zones);
  return zones;
}

/** The zone whose apex is `name` (absolute, any case), if the table serves one. */
export function zoneAt(table: RecordTable, name: string): TransferZone | undefined {
  return zonesOf(table).get(name.toLowerCase());
}

/**
 * `table` with zone serials stamped in: `serials` by apex, the Mesos zone's as the SOA serial and
 * the reverse zones' as their own. The arrays and getters are the same (the property descriptors
 * are copied, so the enumeration getter is not run); the SOA and the reverse table are new.
 */
export function withSerials(table: RecordTable, serials: ReadonlyMap<string, number>): RecordTable {
  const serial = serials.get(table.zone) ?? table.soa.serial;
  const reverse = table.reverse;
  // `zones`, not `data.zones`: a patched reverse table lists its data (every PTR) only when asked.
  const reverseSame = reverse === undefined || [...reverse.zones].every((z) => reverse.serials.get(z) === serials.get(z));
  if (table.soa.serial === serial && reverseSame) return table;
  const descriptors = Object.getOwnPropertyDescriptors(table) as Record<string, PropertyDescriptor>;
  const fixed = (value: unknown): PropertyDescriptor => ({ value, enumerable: true, writable: false, configurable: false });
  descriptors.soa = fixed(Object.freeze({ ...table.soa, serial }));
  if (reverse !== undefined) descriptors.reverse = fixed(withReverseSerials(reverse, serials));
  return Object.freeze(Object.create(Object.getPrototypeOf(table) as object, descriptors) as RecordTable);
}
