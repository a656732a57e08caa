// The consistency check of the incremental table: a patched table against a fresh build from the
// same state. Pure; it reads every name of both (as bytes where it can), so publish.ts runs it now
// and then, not per event.
import { changedNames } from '../packed-compare.js';
import type { NameRecords, RecordTable } from '../table.js';

/** The first name (or part) where `patched` and `fresh` differ, or undefined when they agree. */
export function firstDifference(patched: RecordTable, fresh: RecordTable): string | undefined {
  if (patched.zone !== fresh.zone || patched.ttl !== fresh.ttl) return '(zone)';
  // The serial is the swap's, not the records': a check build may carry a newer one.
  if (JSON.stringify({ ...patched.soa, serial: 0 }) !== JSON.stringify({ ...fresh.soa, serial: 0 }) || patched.ns.join() !== fresh.ns.join()) return '(SOA)';
  // HealthPolicy's counts (/metrics): failing tasks and names answered by all instances.
  if (JSON.stringify(patched.health) !== JSON.stringify(fresh.health)) return '(health)';
  const quick = packedDifference(patched, fresh);
  if (quick !== null) return quick ?? reverseDifference(patched, fresh);
  for (const [name, records] of fresh.names) if (!sameRecords(records, patched.names.get(name))) return name;
  for (const name of patched.names.keys()) if (!fresh.names.has(name)) return name;
  if (patched.names.size !== fresh.names.size) return '(names size)';
  for (const name of fresh.existing) if (!patched.existing.has(name)) return name;
  for (const name of patched.existing) if (!fresh.existing.has(name)) return name;
  if (patched.existing.size !== fresh.existing.size) return '(existing size)';
  return reverseDifference(patched, fresh);
}

/**
 * The forward names of a packed table, or of an overlay table (a patch over a packed base), against
 * a packed fresh build, without a pass over every name as strings (that took ~2 s of the main
 * thread at 100,000 tasks, on every check): the names where the (base) table and the fresh build
 * differ (compared as bytes, packed-compare.ts) and the names the overlay changed are the only ones
 * the two tables can differ in; each is compared. Null when the tables are not of that form; else
 * the first differing name, or undefined.
 */
function packedDifference(patched: RecordTable, fresh: RecordTable): string | undefined | null {
  const overlay = patched.overlay;
  const base = overlay === undefined ? patched.packed : overlay.base.packed;
  if (base === undefined || fresh.packed === undefined) return null;
  const names = new Set(changedNames(base, fresh.packed));
  for (const name of overlay?.entries.keys() ?? []) names.add(name);
  for (const name of names) {
    const records = fresh.names.get(name);
    const mine = patched.names.get(name);
    if (records === undefined ? mine !== undefined : !sameRecords(records, mine)) return name;
    if (fresh.existing.has(name) !== patched.existing.has(name)) return name;
  }
  if (patched.names.size !== fresh.names.size) return '(names size)';
  if (patched.existing.size !== fresh.existing.size) return '(existing size)';
  return undefined;
}

function reverseDifference(patched: RecordTable, fresh: RecordTable): string | undefined {
  const p = patched.reverse;
  const f = fresh.reverse;
  if (p === undefined || f === undefined) return p === f ? undefined : '(reverse)';
  if (p.zones.size !== f.zones.size || [...f.zones].some((z) => !p.zones.has(z))) return '(reverse zones)';
  for (const [owner, targets] of f.ptr) if (p.ptr.get(owner)?.join() !== targets.join()) return owner;
  for (const [owner] of p.ptr) if (!f.ptr.has(owner)) return owner;
  for (const name of f.existing) if (!p.existing.has(name)) return name;
  // The patched table lists only the names a patch changed; each must agree with the fresh one.
  for (const name of p.patch?.entries.keys() ?? []) if (p.existing.has(name) !== f.existing.has(name)) return name;
  return undefined;
}

function sameRecords(a: NameRecords, b: NameRecords | undefined): boolean {
  if (b === undefined) return false;
  if (a.a.length !== b.a.length || a.aaaa.length !== b.aaaa.length || a.srv.length !== b.srv.length) return false;
  for (let i = 0; i < a.a.length; i++) if (a.a[i] !== b.a[i]) return false;
  for (let i = 0; i < a.aaaa.length; i++) if (a.aaaa[i] !== b.aaaa[i]) return false;
  for (let i = 0; i < a.srv.length; i++) {
    const x = a.srv[i];
    const y = b.srv[i];
    if (x.target !== y.target || x.port !== y.port || x.priority !== y.priority || x.weight !== y.weight) return false;
  }
  return true;
}
