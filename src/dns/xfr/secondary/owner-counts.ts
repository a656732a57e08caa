// Existence in a secondary's patched zone (RFC 8020: a name with no records exists when a name
// below it does): how many owners holding records the table keeps lie strictly below each name
// of the zone, counted over a copy once and moved by each patch (secondary-patch.ts). Pure but
// for the map `moveOwners` updates, which the patcher owns.
import { QTYPE, type RData } from '../../wire/message.js';
import { findOwner, ownerName, type PackedZone } from './packed-zone.js';
import type { ZoneCopy } from './zone-copy.js';
import { isInZone } from '../../../zones/zone-names.js';
// At the root parentOf gives '.', which no followed zone (never the root) contains: the walks end there.
import { parentOf } from '../../../zones/static-zones.js';

/** The types the table keeps: the Mesos zone's, a reverse zone's. */
export const FORWARD_TYPES: ReadonlySet<number> = new Set([QTYPE.A, QTYPE.AAAA, QTYPE.SRV]);
export const REVERSE_TYPES: ReadonlySet<number> = new Set([QTYPE.PTR]);

/** Whether an owner holds a record of `types` (a TXT-only owner is no name of the table). */
export function holdsRecords(set: readonly RData[] | undefined, types: ReadonlySet<number>): boolean {
  if (set === undefined) return false;
  for (const d of set) if (types.has(d.type)) return true;
  return false;
}

function packedHoldsRecords(z: PackedZone, owner: number, types: ReadonlySet<number>): boolean {
  for (let r = z.recStart[owner], end = z.recStart[owner + 1]; r < end; r++) if (types.has(z.recType[r])) return true;
  return false;
}

/** Owners holding `types` strictly below each name of the copy's zone. */
export function countBelow(copy: ZoneCopy, types: ReadonlySet<number>): Map<string, number> {
  const below = new Map<string, number>();
  const count = (owner: string): void => {
    for (let name = parentOf(owner); isInZone(name, copy.apex); name = parentOf(name)) {
      below.set(name, (below.get(name) ?? 0) + 1);
      if (name === copy.apex) break;
    }
  };
  // The packed base's owners by their types (no records decoded), then the owners changed since.
  const z = copy.base;
  for (let o = 0; o < z.owners.length; o++) {
    const name = ownerName(z, o);
    const changed = copy.changed.get(name);
    if (changed !== undefined ? holdsRecords(changed, types) : packedHoldsRecords(z, o, types)) count(name);
  }
  for (const [name, records] of copy.changed) if (findOwner(z, name) < 0 && holdsRecords(records, types)) count(name);
  return below;
}

/**
 * Moves the counts of `below` from `before` to `after` for the changed `owners`; returns the
 * names whose records or existence may differ: the owners, and the ancestors whose count
 * reached or left zero.
 */
export function moveOwners(below: Map<string, number>, owners: ReadonlySet<string>, before: ZoneCopy, after: ZoneCopy, types: ReadonlySet<number>): Set<string> {
  const apex = after.apex;
  const touched = new Set<string>();
  for (const owner of owners) {
    const had = holdsRecords(before.owners.get(owner), types);
    const has = holdsRecords(after.owners.get(owner), types);
    touched.add(owner);
    if (had === has) continue;
    // Each ancestor inside the zone gains or loses one owner below it.
    for (let name = parentOf(owner); isInZone(name, apex); name = parentOf(name)) {
      const n = (below.get(name) ?? 0) + (has ? 1 : -1);
      if (n === 0) below.delete(name);
      else below.set(name, n);
      if (n === 0 || (has && n === 1)) touched.add(name);
      if (name === apex) break;
    }
  }
  return touched;
}
