// The reverse half of a table (PTR, RFC 1035 §3.5 / RFC 3596 §2.5), kept apart from the forward
// zone's packed arrays so that those, /v1/enumerate and the mesos-dns conformance stay exactly as
// they are. Built from (address, name) pairs in the order of preference build-table.ts gives
// them; pure.
import { derivedZoneOfOwner, inDerivedZone, reverseName } from '../net/reverse-names.js';
import type { ReversePatchData } from './incremental/reverse-patch.js';
import { SetView } from './readonly-views.js';
import type { ReverseMessage } from './packed-reverse.js';

/** The plain form: what build-table.ts makes and what goes to the DNS workers as it is. */
export interface ReverseData {
  /** Reverse zone apexes, absolute, lower-case. */
  zones: string[];
  /** PTR owners (absolute, lower-case), each with its targets at the same index of `targets`. */
  owners: string[];
  targets: string[][];
  /**
   * Each zone's SOA serial, at the index of `zones`, when it has its own (zone transfer on:
   * dns/xfr/zone-history.ts); absent: every reverse zone uses the Mesos zone's serial.
   */
  serials?: number[];
}

export interface ReverseTable {
  readonly data: ReverseData;
  readonly zones: ReadonlySet<string>;
  /** PTR owner -> its targets, in answer order (the most specific name first). */
  readonly ptr: ReadonlyMap<string, readonly string[]>;
  /** PTR owners and their ancestors inside their zone (RFC 8020: empty non-terminals exist). */
  readonly existing: ReadonlySet<string>;
  /** Set when this is a base plus the addresses events changed (incremental/reverse-patch.ts). */
  readonly patch?: ReversePatchData;
  /** Zone -> its own SOA serial (from `data.serials`); a zone not in it uses the Mesos zone's. */
  readonly serials: ReadonlyMap<string, number>;
  /** A patched table's way to other serials without materialising `data` (incremental/reverse-patch.ts). */
  readonly withSerials?: (serials: ReverseSerials) => ReverseTable;
  /** The packed form this table reads, as the DNS workers get it (packed-reverse.ts). */
  readonly message?: ReverseMessage;
}

type ReverseSerials = ReadonlyMap<string, number>;

/**
 * Collects (address, name) pairs: the first pair of an address decides nothing but its place,
 * names are kept in the order added, a repeat is dropped.
 */
export class ReverseCollector {
  /** Address -> its index in `#ips` / `#names`: first-added order, no iterator objects to read. */
  readonly #index = new Map<string, number>();
  readonly #ips: string[] = [];
  readonly #names: string[][] = [];

  /** Adds the pair; returns the address's slot, for addAt. */
  add(ip: string, name: string): number {
    const i = this.#index.get(ip);
    if (i === undefined) {
      const slot = this.#ips.length;
      this.#index.set(ip, slot);
      this.#ips.push(ip);
      this.#names.push([name]);
      return slot;
    }
    this.addAt(i, name);
    return i;
  }

  /** Adds a name to the address in `slot` (add's result): no second look-up of the address. */
  addAt(slot: number, name: string): void {
    const names = this.#names[slot];
    if (!names.includes(name)) names.push(name);
  }

  /**
   * The reverse data. `configured` (the `ReverseZones` config, as zone names) are the zones when
   * not empty, and an address outside all of them gets no PTR (its reverse name is forwarded);
   * when empty, each address in use gives its own /24 or /64 zone (reverse-names.ts).
   */
  finish(configured: readonly string[]): ReverseData {
    const { zones, owners, kept } = ownersInZones(this.#ips, configured);
    return { zones, owners, targets: kept.map((i) => this.#names[i]) };
  }
}

/**
 * The PTR owners of addresses `ips` (in that order) and the zones. `configured` (the
 * `ReverseZones` config, as zone names) are the zones when not empty, and an address outside all
 * of them gets no PTR (its reverse name is forwarded); when empty, each address in use gives its
 * own /24 or /64 zone (reverse-names.ts). `kept`: per owner, its address's index in `ips`.
 */
export function ownersInZones(ips: readonly string[], configured: readonly string[]): { zones: string[]; owners: string[]; kept: number[] } {
  const zones = new Set(configured);
  const owners: string[] = [];
  const kept: number[] = [];
  const derive = configured.length === 0;
  // The last derived zone: addresses in use come in runs from one /24, and slicing each
  // owner's zone to look it up costs a string and a hash; comparing in place usually settles it.
  let lastZone = '';
  for (let i = 0; i < ips.length; i++) {
    const owner = reverseName(ips[i]);
    if (owner === undefined) continue;
    if (derive) {
      if (!inDerivedZone(owner, lastZone)) {
        lastZone = derivedZoneOfOwner(owner);
        zones.add(lastZone);
      }
    } else if (zoneOf(owner, zones) === undefined) continue;
    owners.push(owner);
    kept.push(i);
  }
  return { zones: [...zones], owners, kept };
}

/** The longest zone of `zones` that holds `name` (both absolute, lower-case), if any. */
export function zoneOf(name: string, zones: ReadonlySet<string>): string | undefined {
  let at = 0;
  for (;;) {
    const suffix = name.slice(at);
    if (zones.has(suffix)) return suffix;
    const dot = name.indexOf('.', at);
    if (dot < 0 || dot === name.length - 1) return undefined;
    at = dot + 1;
  }
}

/** The plain arrays (ReverseTable.data) of a PTR map read in its order, with the zones and their serials if any. */
export function reverseDataOf(ptr: ReadonlyMap<string, readonly string[]>, zones: string[], serials?: number[]): ReverseData {
  const owners: string[] = [];
  const targets: string[][] = [];
  for (const [owner, t] of ptr) {
    owners.push(owner);
    targets.push([...t]);
  }
  return { zones, owners, targets, ...(serials === undefined ? {} : { serials }) };
}

/** The lookup form of `data` as Maps and Sets (the packed form, packed-reverse.ts, is what builds serve). */
export function reverseTable(data: ReverseData): ReverseTable {
  const ptr = new Map<string, readonly string[]>();
  for (let i = 0; i < data.owners.length; i++) ptr.set(data.owners[i], data.targets[i]);
  return Object.freeze({ data, zones: new Set(data.zones), ptr, existing: new ExistingNames(ptr, namesBetween(data)), serials: serialMap(data) });
}

/**
 * The names that exist in the reverse zones without owning PTRs: the zones and the empty
 * non-terminals between them and the owners (RFC 8020). Only these go into a set of their own:
 * the owners are the PTR map's keys already, and a second set of 100,000 owners cost as much as
 * the map itself.
 */
export function namesBetween(data: Pick<ReverseData, 'zones' | 'owners'>): Set<string> {
  const zones = new Set(data.zones);
  const between = new Set<string>(zones);
  let lastParent = '\0'; // matches no owner's parent
  for (let i = 0; i < data.owners.length; i++) {
    const owner = data.owners[i];
    const cut = owner.indexOf('.') + 1;
    // The usual case: the same parent as the previous owner (compared in place, no slice), known
    // to exist with its ancestors up to the zone.
    if (owner.length - cut === lastParent.length && owner.startsWith(lastParent, cut)) continue;
    const parent = owner.slice(cut);
    // A derived /24 or /64 zone, or a parent seen before: it exists, so do its ancestors.
    if (between.has(parent)) {
      lastParent = parent;
      continue;
    }
    const zone = zoneOf(owner, zones);
    // Not from finish() (a malformed message), or an owner that is a zone apex itself (a /32).
    if (zone === undefined || zone === owner) continue;
    for (let name = parent; name !== zone && !between.has(name); name = name.slice(name.indexOf('.') + 1)) between.add(name);
    lastParent = parent;
  }
  return between;
}

/**
 * The names that exist in the reverse zones (RFC 8020): the PTR owners (`ptr`'s keys) and the
 * zones and empty non-terminals (`between`), read as one set without copying either.
 */
export class ExistingNames extends SetView {
  readonly #ptr: ReadonlyMap<string, unknown>;
  readonly #between: ReadonlySet<string>;

  constructor(ptr: ReadonlyMap<string, unknown>, between: ReadonlySet<string>) {
    super();
    this.#ptr = ptr;
    this.#between = between;
  }

  /** The zones and empty non-terminals (what the workers get as strings: packed-reverse.ts). */
  get between(): ReadonlySet<string> {
    return this.#between;
  }

  get size(): number {
    let n = this.#ptr.size;
    for (const name of this.#between) if (!this.#ptr.has(name)) n++;
    return n;
  }

  has(name: string): boolean {
    return this.#ptr.has(name) || this.#between.has(name);
  }

  *keys(): SetIterator<string> {
    yield* this.#ptr.keys();
    for (const name of this.#between) if (!this.#ptr.has(name)) yield name;
  }

}

function serialMap(data: ReverseData): ReadonlyMap<string, number> {
  const serials = new Map<string, number>();
  if (data.serials !== undefined) data.zones.forEach((zone, i) => serials.set(zone, data.serials![i]));
  return serials;
}

/** `table` with each zone's own serial (`serials` by zone); the PTR maps are shared, not rebuilt. */
export function withReverseSerials(table: ReverseTable, serials: ReadonlyMap<string, number>): ReverseTable {
  if (table.withSerials !== undefined) return table.withSerials(new Map([...table.zones].map((z) => [z, serials.get(z) ?? 0])));
  const data: ReverseData = { ...table.data, serials: table.data.zones.map((z) => serials.get(z) ?? 0) };
  return Object.freeze({ ...table, data, serials: serialMap(data) });
}
