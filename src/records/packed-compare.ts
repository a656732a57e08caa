// Comparing two packed tables name by name without making strings (dns/xfr/diff.ts uses it to
// find what a change touched): each owner's bytes are looked up in the other table's hash index,
// and the two record ranges compared value by value (kind, port, priority/weight, the address
// bytes or the SRV target's name bytes). Pure. At 10,000 tasks a string-per-record comparison took
// 830 ms per change; this takes about 50 ms, and under 0.3 s at 100,000 tasks (under load,
// docs/performance.md "Zone transfer").
import { FNV_OFFSET, firstSlot, fnv1aStep, KIND_A, KIND_AAAA, NAME_OWNER, NAME_TARGET, nameAt, type PackedTable, type StringBlob } from './packed-table.js';

function startOf(blob: StringBlob, i: number): number {
  return i === 0 ? 0 : blob.ends[i - 1];
}

function sameBytes(a: StringBlob, i: number, b: StringBlob, j: number): boolean {
  const as = startOf(a, i);
  const bs = startOf(b, j);
  const length = a.ends[i] - as;
  if (b.ends[j] - bs !== length) return false;
  for (let k = 0; k < length; k++) if (a.bytes[as + k] !== b.bytes[bs + k]) return false;
  return true;
}

/** The id in `t` of name `id` of `from` (same bytes), or -1. */
export function findSameName(t: PackedTable, from: PackedTable, id: number): number {
  const src = from.names;
  const start = startOf(src, id);
  const end = src.ends[id];
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = fnv1aStep(h, src.bytes[i]);
  const slots = t.slots;
  const mask = slots.length - 1;
  for (let s = firstSlot(h, mask); ; s = (s + 1) & mask) {
    const slot = slots[s];
    if (slot === 0) return -1;
    if (sameBytes(t.names, slot - 1, src, id)) return slot - 1;
  }
}

function srvExtra(t: PackedTable, r: number): number {
  return t.srvExtra ? t.srvExtra[r] : ((t.srvPriority << 16) | t.srvWeight) >>> 0;
}

/** Whether owner `ia` of `a` and owner `ib` of `b` hold the same records in the same order. */
export function sameRecordsAt(a: PackedTable, ia: number, b: PackedTable, ib: number): boolean {
  const ra = a.recStart[ia];
  const rb = b.recStart[ib];
  const n = a.recStart[ia + 1] - ra;
  if (b.recStart[ib + 1] - rb !== n) return false;
  for (let k = 0; k < n; k++) {
    const kind = a.recPort[ra + k];
    if (b.recPort[rb + k] !== kind) return false;
    if (kind === KIND_A || kind === KIND_AAAA) {
      if (!sameBytes(a.ips, a.recValue[ra + k], b.ips, b.recValue[rb + k])) return false;
    } else {
      if ((srvExtra(a, ra + k) >>> 0) !== (srvExtra(b, rb + k) >>> 0)) return false;
      if (!sameBytes(a.names, a.recValue[ra + k], b.names, b.recValue[rb + k])) return false;
    }
  }
  return true;
}

/**
 * The owners of `after` whose records may differ from `before`'s (new, or not the same in the
 * same order: a reordering is reported too, and the caller's sorted comparison drops it), and
 * the owners of `before` that `after` no longer has.
 */
export function changedOwners(before: PackedTable, after: PackedTable): { changed: string[]; gone: string[] } {
  const changed: string[] = [];
  const gone: string[] = [];
  const find = matcher(before, after);
  // Old owners some new owner matched: every other old owner is gone (absent, or no longer an owner).
  const kept = new Uint8Array(before.nameKind.length);
  for (let id = 0; id < after.nameKind.length; id++) {
    if (after.nameKind[id] !== NAME_OWNER) continue;
    const old = find(id);
    if (old >= 0) kept[old] = 1;
    if (old < 0 || before.nameKind[old] !== NAME_OWNER || !sameRecordsAt(before, old, after, id)) changed.push(nameAt(after, id));
  }
  for (let id = 0; id < before.nameKind.length; id++) {
    if (before.nameKind[id] === NAME_OWNER && kept[id] === 0) gone.push(nameAt(before, id));
  }
  return { changed, gone };
}

/**
 * Every name whose existence or records differ between `before` and `after`, either way: an owner
 * new, gone or with other records (or the same in another order), and a name that exists (owner
 * or empty non-terminal) in one and not in the other. Names only used as SRV targets are not
 * names of the zone and are not compared. (The consistency check, incremental/compare-tables.ts.)
 */
export function changedNames(before: PackedTable, after: PackedTable): string[] {
  const out: string[] = [];
  const find = matcher(before, after);
  const kept = new Uint8Array(before.nameKind.length);
  for (let id = 0; id < after.nameKind.length; id++) {
    const kind = after.nameKind[id];
    const old = find(id);
    if (old >= 0) kept[old] = 1;
    const was = old >= 0 ? before.nameKind[old] : NAME_TARGET;
    if (kind === NAME_TARGET && was === NAME_TARGET) continue;
    if (was !== kind || (kind === NAME_OWNER && !sameRecordsAt(before, old, after, id))) out.push(nameAt(after, id));
  }
  for (let id = 0; id < before.nameKind.length; id++) {
    if (before.nameKind[id] !== NAME_TARGET && kept[id] === 0) out.push(nameAt(before, id));
  }
  return out;
}

/**
 * id in `from` -> the same name's id in `t`. Two builds from similar states intern names in
 * nearly the same order, so the id at the last match's offset is tried first (one byte compare
 * instead of hashing the name); a launch or a kill shifts the offset, and the next hash lookup
 * finds the new one.
 */
function matcher(t: PackedTable, from: PackedTable): (id: number) => number {
  let offset = 0;
  return (id) => {
    const guess = id + offset;
    if (guess >= 0 && guess < t.nameKind.length && sameBytes(t.names, guess, from.names, id)) return guess;
    const found = findSameName(t, from, id);
    if (found >= 0) offset = found - id;
    return found;
  };
}
