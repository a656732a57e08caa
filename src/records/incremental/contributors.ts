// Per name, the tasks adding records under it, in build order, and a name's records recomputed
// from them as a fresh build (build-table.ts) makes them: the non-task records first, then each
// task's in order, the first of each repeat kept. With a HealthPolicy (health-policy.ts) a failing
// task's records under its shared names are held back, and given after every task's only when no
// passing task added to that name (the per-name fallback, as HealthGate.settle does it).
import type { TaskSlot } from './task-changes.js';

/** Lists longer than this are de-duplicated with a Set (as the builder does). */
const SCAN_LIMIT = 32;

type Contributors = TaskSlot | TaskSlot[] | undefined;

const NONE: readonly TaskSlot[] = [];

export class NameContributors {
  #contrib: Contributors[] = [];

  /** The tasks adding records under name `id`, in build order. */
  of(id: number): readonly TaskSlot[] {
    const list = this.#contrib[id];
    return list === undefined ? NONE : Array.isArray(list) ? list : [list];
  }

  link(slot: TaskSlot, touched?: Set<number>): void {
    const entries = slot.log;
    for (let e = slot.from; e < slot.to; e += 3) {
      const owner = entries[e];
      touched?.add(owner);
      const list = this.#contrib[owner];
      if (list === undefined) this.#contrib[owner] = slot;
      else if (list === slot) continue;
      else if (!Array.isArray(list)) this.#contrib[owner] = list.order < slot.order ? [list, slot] : [slot, list];
      else if (list[list.length - 1] === slot) continue;
      else if (list[list.length - 1].order < slot.order) list.push(slot);
      else if (!list.includes(slot)) {
        let lo = 0;
        let hi = list.length;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (list[mid].order < slot.order) lo = mid + 1;
          else hi = mid;
        }
        list.splice(lo, 0, slot);
      }
    }
  }

  unlink(slot: TaskSlot, touched: Set<number>): void {
    const entries = slot.log;
    for (let e = slot.from; e < slot.to; e += 3) {
      const owner = entries[e];
      touched.add(owner);
      const list = this.#contrib[owner];
      if (list === slot) this.#contrib[owner] = undefined;
      else if (Array.isArray(list)) {
        const at = list.indexOf(slot);
        if (at < 0) continue;
        list.splice(at, 1);
        if (list.length === 1) this.#contrib[owner] = list[0];
      }
    }
  }
}

/** A name's records (value and kind in turn, build order, repeats dropped) and whether it fell back. */
export interface NameValues {
  values: number[];
  kinds: number[];
  /** Only failing tasks added to this shared name, so all of theirs are given (HealthPolicy). */
  fellBack: boolean;
}

/** The first `entries` records of a builder's log (owner, value, kind each) by owner: value, kind in turn (the non-task records). */
export function recordsByOwner(log: Int32Array, entries: number): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (let e = 0; e < entries; e++) {
    const owner = log[3 * e];
    let list = out.get(owner);
    if (list === undefined) out.set(owner, (list = []));
    list.push(log[3 * e + 1], log[3 * e + 2]);
  }
  return out;
}

/** Name `id`'s records from its non-task records (`prefix`: value, kind in turn) and its tasks. */
export function nameValues(id: number, prefix: readonly number[] | undefined, slots: readonly TaskSlot[]): NameValues {
  const values: number[] = [];
  const kinds: number[] = [];
  let seen: Set<number> | undefined;
  const add = (value: number, kind: number): void => {
    const key = value * 0x20000 + (kind + 2);
    if (seen !== undefined) {
      if (seen.has(key)) return;
      seen.add(key);
    } else {
      for (let r = 0; r < values.length; r++) if (values[r] === value && kinds[r] === kind) return;
      if (values.length >= SCAN_LIMIT) {
        seen = new Set(values.map((v, r) => v * 0x20000 + (kinds[r] + 2)));
        seen.add(key);
      }
    }
    values.push(value);
    kinds.push(kind);
  };
  if (prefix !== undefined) for (let k = 0; k < prefix.length; k += 2) add(prefix[k], prefix[k + 1]);
  // `served`: a passing task added to this name through the gate; `held`: a failing one would have.
  let served = false;
  let held = false;
  for (const slot of slots) {
    const entries = slot.log;
    const shared = slot.shared;
    for (let e = slot.from; e < slot.to; e += 3) {
      if (entries[e] !== id) continue;
      if (shared !== null && shared[e / 3] === 1) {
        if (slot.failing) {
          held = true;
          continue;
        }
        served = true;
      }
      add(entries[e + 1], entries[e + 2]);
    }
  }
  const fellBack = held && !served;
  if (fellBack) {
    // HealthGate.settle: the held records, in the order the tasks were built, after all others.
    for (const slot of slots) {
      const shared = slot.shared;
      if (!slot.failing || shared === null) continue;
      const entries = slot.log;
      for (let e = slot.from; e < slot.to; e += 3) if (entries[e] === id && shared[e / 3] === 1) add(entries[e + 1], entries[e + 2]);
    }
  }
  return { values, kinds, fellBack };
}

/**
 * The names a full build fell back on (HealthGate.settle): a failing task's shared names that no
 * passing task added to. `sharedAt`: the base log entries passing tasks added through the gate.
 */
export function baseFallbacks(failing: readonly TaskSlot[], sharedAt: readonly number[], log: Int32Array, nameCount: number): Set<number> {
  const served = new Uint8Array(nameCount);
  for (const e of sharedAt) served[log[3 * e]] = 1;
  const out = new Set<number>();
  for (const slot of failing) {
    const shared = slot.shared;
    if (!slot.failing || shared === null) continue;
    for (let e = slot.from; e < slot.to; e += 3) if (shared[e / 3] === 1 && served[slot.log[e]] !== 1) out.add(slot.log[e]);
  }
  return out;
}
