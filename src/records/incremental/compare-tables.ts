// The consistency check of the incremental table: a patched table against a fresh build from the
// same state. Pure; slow (every name of both), so publish.ts runs it now and then, not per event.
import type { NameRecords, RecordTable } from '../table.js';

/** The first name (or part) where `patched` and `fresh` differ, or undefined when they agree. */
export function firstDifference(patched: RecordTable, fresh: RecordTable): string | undefined {
  if (patched.zone !== fresh.zone || patched.ttl !== fresh.ttl) return '(zone)';
  // The serial is the swap's, not the records': a check build may carry a newer one.
  if (JSON.stringify({ ...patched.soa, serial: 0 }) !== JSON.stringify({ ...fresh.soa, serial: 0 }) || patched.ns.join() !== fresh.ns.join()) return '(SOA)';
  // HealthPolicy's counts (/metrics): failing tasks and names answered by all instances.
  if (JSON.stringify(patched.health) !== JSON.stringify(fresh.health)) return '(health)';
  for (const [name, records] of fresh.names) if (!sameRecords(records, patched.names.get(name))) return name;
  for (const name of patched.names.keys()) if (!fresh.names.has(name)) return name;
  if (patched.names.size !== fresh.names.size) return '(names size)';
  for (const name of fresh.existing) if (!patched.existing.has(name)) return name;
  for (const name of patched.existing) if (!fresh.existing.has(name)) return name;
  if (patched.existing.size !== fresh.existing.size) return '(existing size)';
  return reverseDifference(patched, fresh);
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
