// What changed in one zone between two tables: the records to delete and to add (RFC 1995 §4's
// "difference sequence", without the SOAs, which messages.ts puts around them). Pure. Each name
// of the new zone is looked up in the old one (a hash lookup in the packed table) and the two
// sorted record lists compared; then the old names missing from the new zone are deleted. Linear
// in the zone's names, no sort of the names (docs/performance.md "Zone transfer" measures it).
import type { RData, ResourceRecord } from '../wire/message.js';
import { recordKey, ttlOf, type TransferZone } from './zones.js';

export interface ZoneDelta {
  removed: ResourceRecord[];
  added: ResourceRecord[];
}

/** A delta, or `overflow` when it passed `limit` records (then `removed` and `added` are partial). */
export type DiffResult = ZoneDelta & { overflow: boolean };

/**
 * `limit`: stop once the delta holds more records than this (a change that rewrites most of a
 * large zone is better sent whole: RFC 1995 §4 lets the server answer with the zone); the result
 * then says `overflow`, and the caller keeps no journal entry for it.
 */
export function diffZone(before: TransferZone, after: TransferZone, limit = Infinity): DiffResult {
  const removed: ResourceRecord[] = [];
  const added: ResourceRecord[] = [];
  // Zones whose RRsets differ in TTL (static zones): a record whose TTL changed is deleted and
  // added again (RFC 1995 §4 carries whole records; an IXFR client compares TTLs too).
  const perSet = before.rrsetTtl !== undefined || after.rrsetTtl !== undefined;
  const ttlChanged = !perSet && before.ttl !== after.ttl;
  const was = (owner: string, data: RData): number => (perSet ? ttlOf(before, owner, data) : before.ttl);
  const now = (owner: string, data: RData): number => (perSet ? ttlOf(after, owner, data) : after.ttl);
  // A zone that can name the owners a change touched saves looking at the others (zones.ts).
  const shortcut = ttlChanged ? undefined : after.changedSince?.(before);
  for (const owner of shortcut?.changed ?? after.owners()) {
    if (removed.length + added.length > limit) return { removed, added, overflow: true };
    const next = after.records(owner) ?? [];
    const prev = before.records(owner) ?? [];
    if (!ttlChanged && !perSet && sameRecords(prev, next)) continue;
    if (ttlChanged) {
      for (const data of prev) removed.push({ name: owner, ttl: before.ttl, data });
      for (const data of next) added.push({ name: owner, ttl: after.ttl, data });
      continue;
    }
    // Both lists are sorted by key: one merge finds what left and what came.
    let i = 0;
    let j = 0;
    while (i < prev.length || j < next.length) {
      const a = i < prev.length ? recordKey(prev[i]) : undefined;
      const b = j < next.length ? recordKey(next[j]) : undefined;
      if (a !== undefined && (b === undefined || a < b)) removed.push({ name: owner, ttl: was(owner, prev[i]), data: prev[i++] });
      else if (b !== undefined && (a === undefined || b < a)) added.push({ name: owner, ttl: now(owner, next[j]), data: next[j++] });
      else {
        if (perSet && was(owner, prev[i]) !== now(owner, next[j])) {
          removed.push({ name: owner, ttl: was(owner, prev[i]), data: prev[i] });
          added.push({ name: owner, ttl: now(owner, next[j]), data: next[j] });
        }
        i++;
        j++;
      }
    }
  }
  for (const owner of shortcut?.gone ?? before.owners()) {
    if (removed.length + added.length > limit) return { removed, added, overflow: true };
    if (after.records(owner) !== undefined) continue;
    for (const data of before.records(owner) ?? []) removed.push({ name: owner, ttl: was(owner, data), data });
  }
  return { removed, added, overflow: removed.length + added.length > limit };
}

function sameRecords(a: readonly ResourceRecord['data'][], b: readonly ResourceRecord['data'][]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (recordKey(a[i]) !== recordKey(b[i])) return false;
  return true;
}

/** Whether the SOA fields other than the serial differ (a SOARefresh reload is a change too). */
export function soaFieldsChanged(before: TransferZone, after: TransferZone): boolean {
  const a = before.soa;
  const b = after.soa;
  return a.mname !== b.mname || a.rname !== b.rname || a.refresh !== b.refresh || a.retry !== b.retry || a.expire !== b.expire || a.minimum !== b.minimum;
}
