// The reverse half of the incremental table: PTR records patched per address. A fresh build
// (reverse-ptrs.ts) gives each address the canonical names of the tasks using it in byte order,
// then their task names, then the agent, master, framework and self names holding it; a task
// event changes the lists of that task's own addresses only, so those are recomputed the same
// way and the rest is the base's. Reverse zones derived from the addresses (`ReverseZones`
// empty) and the empty non-terminals under them (RFC 8020, the nibble labels of IPv6) come and
// go with their last address, by counting.
import { derivedReverseZone, reverseName } from '../../net/reverse-names.js';
import type { TaskPtr } from '../reverse-ptrs.js';
import { reverseDataOf, zoneOf, type ReverseData, type ReverseTable } from '../reverse-table.js';
import type { NameRecords } from '../table.js';
import { VersionedMap } from './versioned-map.js';

/** A PTR owner's state in the overlay: its targets now (null: none) and whether the name exists. */
export interface ReverseEntry {
  targets: readonly string[] | null;
  exists: boolean;
}

/** What a worker needs to rebuild a patched reverse table over the base it holds. */
export interface ReversePatchData {
  entries: ReadonlyMap<string, ReverseEntry>;
  zones: readonly string[];
  /** The names whose entry the last patch set (what a worker's message carries). */
  changed?: readonly string[];
}

/**
 * A full build's task PTRs as ids (build-table.ts BuiltParts.taskPtrIds: address, canonical name,
 * task name per entry) and how to read them: the patcher makes a TaskPtr of an entry only when a
 * patch touches its address.
 */
export interface BaseTaskPtrs {
  ids: Int32Array;
  /** The base table's id of an address, -1 when it has none. */
  ipId(text: string): number;
  ipText(id: number): string;
  nameText(id: number): string;
}

export class ReversePatcher {
  readonly #base: ReverseTable;
  readonly #configured: ReadonlySet<string>;
  /**
   * Task PTRs by address, for the addresses patches touched: the one PTR itself while an address
   * has one (nearly always), else a list ([] once its last went: it is not read from the base
   * again). An address is taken from the base's entries when a patch first touches it (#seed).
   * Why not all of them at the start: a TaskPtr and a Map entry per task was ~50 ms of the start
   * and ~10 MB at 100,000 tasks, for the few addresses events touch.
   */
  readonly #byIp = new Map<string, TaskPtr | TaskPtr[]>();
  readonly #basePtrs: BaseTaskPtrs;
  /** The base's entries by address id: entry indexes #byIpOrder[#byIpStart[id], #byIpStart[id + 1]). */
  readonly #byIpStart: Int32Array;
  readonly #byIpOrder: Int32Array;
  /** The TaskPtrs made of base entries so far, by entry index (a slot's removal finds the same object). */
  readonly #made = new Map<number, TaskPtr>();
  /** Per address, the forward owner names holding it (agents, masters, frameworks, self), in order. */
  #owners: Map<string, string[]>;
  /**
   * Names with PTR owners below them, inside their zone: how many; and derived zones: how many
   * PTR owners each holds. Only for the names a patch's owners came to or left (0 kept): the
   * first change below a name finds its count in the base (#baseBelow), and every later one goes
   * through #count. Why not counted for every owner at the start: ~40 ms of it at 100,000 tasks.
   */
  readonly #below = new Map<string, number>();
  readonly #zoneUse = new Map<string, number>();
  #current: ReverseTable;
  #entries = VersionedMap.empty<string, ReverseEntry>();

  constructor(base: ReverseTable, taskPtrs: BaseTaskPtrs, configuredZones: readonly string[], names: ReadonlyMap<string, NameRecords>, ownerNames: readonly string[]) {
    this.#base = base;
    this.#current = base;
    this.#configured = new Set(configuredZones);
    this.#basePtrs = taskPtrs;
    // Grouped by address id (a counting sort, in entry order within an address).
    const ids = taskPtrs.ids;
    let ipCount = 0;
    for (let k = 0; k < ids.length; k += 3) if (ids[k] >= ipCount) ipCount = ids[k] + 1;
    const start = (this.#byIpStart = new Int32Array(ipCount + 1));
    for (let k = 0; k < ids.length; k += 3) start[ids[k] + 1]++;
    for (let id = 0; id < ipCount; id++) start[id + 1] += start[id];
    const order = (this.#byIpOrder = new Int32Array(ids.length / 3));
    const next = start.slice(0, ipCount);
    for (let k = 0; k < ids.length; k += 3) order[next[ids[k]]++] = k / 3;
    this.#owners = ownersByIp(ownerNames, names);
  }

  /**
   * After an agent or framework event: the forward names read back (reverseOwnerNames) and their
   * records now. Returns the addresses whose owner names changed (for apply). A cost per agent,
   * master and framework address, not per task.
   */
  setOwners(ownerNames: readonly string[], names: ReadonlyMap<string, NameRecords>): string[] {
    const before = this.#owners;
    const after = ownersByIp(ownerNames, names);
    const changed: string[] = [];
    for (const [ip, list] of after) if (before.get(ip)?.join() !== list.join()) changed.push(ip);
    for (const ip of before.keys()) if (!after.has(ip)) changed.push(ip);
    this.#owners = after;
    return changed;
  }

  /** The reverse table after the PTRs of changed tasks went from `removed` to `added` (and `ownerIps`' owners changed). */
  apply(removed: readonly TaskPtr[], added: readonly TaskPtr[], ownerIps: readonly string[] = []): ReverseTable {
    if (removed.length === 0 && added.length === 0 && ownerIps.length === 0) {
      if (this.#current.patch?.changed?.length === 0) return this.#current;
      this.#current = this.#current === this.#base ? this.#base : overlayReverse(this.#base, { entries: this.#entries, zones: [...this.#current.zones], changed: [] });
      return this.#current;
    }
    const touched = new Set<string>();
    for (const p of removed) {
      this.#seed(p.ip);
      if (this.#remove(p)) touched.add(p.ip);
    }
    for (const p of added) {
      this.#seed(p.ip);
      this.#add(p);
      touched.add(p.ip);
    }
    for (const ip of ownerIps) touched.add(ip);
    const updates = new Map<string, ReverseEntry>();
    // Reads see this patch's updates over the overlay so far.
    const entries: ReadonlyMap<string, ReverseEntry> = { get: (k: string) => updates.get(k) ?? this.#entries.get(k) } as ReadonlyMap<string, ReverseEntry>;
    const changed: string[] = [];
    let zonesChanged = false;
    for (const ip of touched) {
      const owner = reverseName(ip);
      if (owner === undefined) continue;
      const zone = this.#configured.size > 0 ? zoneOf(owner, this.#configured) : derivedReverseZone(ip);
      if (zone === undefined) continue;
      const before = this.#targets(entries, owner);
      const after = this.#targetsOf(ip);
      if (sameList(before, after)) continue;
      if ((before === null) !== (after === null)) {
        const delta = after === null ? -1 : 1;
        zonesChanged = this.#count(owner, zone, delta) || zonesChanged;
        // Ancestors whose existence may have flipped with this owner.
        for (let name = owner; name !== zone; name = name.slice(name.indexOf('.') + 1)) {
          updates.set(name, { targets: name === owner ? after : this.#targets(entries, name), exists: this.#exists(name, entries, owner, after) });
          changed.push(name);
        }
      } else {
        updates.set(owner, { targets: after, exists: true });
        changed.push(owner);
      }
    }
    this.#entries = this.#entries.with(updates);
    const zones = zonesChanged ? this.#zones() : this.#current.zones;
    this.#current = overlayReverse(this.#base, { entries: this.#entries, zones: [...zones], changed });
    return this.#current;
  }

  /** The base's task PTR at entry `k`, one object per entry (TaskSlot ptrFrom, ptrTo). */
  basePtr(k: number): TaskPtr {
    let p = this.#made.get(k);
    if (p === undefined) {
      const { ids, ipText, nameText } = this.#basePtrs;
      p = { ip: ipText(ids[3 * k]), canonical: nameText(ids[3 * k + 1]), name: nameText(ids[3 * k + 2]) };
      this.#made.set(k, p);
    }
    return p;
  }

  /** An address's task PTRs from the base, when a patch touches it first. */
  #seed(ip: string): void {
    if (this.#byIp.has(ip)) return;
    const id = this.#basePtrs.ipId(ip);
    const list: TaskPtr[] = [];
    if (id >= 0 && id + 1 < this.#byIpStart.length) for (let k = this.#byIpStart[id]; k < this.#byIpStart[id + 1]; k++) list.push(this.basePtr(this.#byIpOrder[k]));
    this.#byIp.set(ip, list.length === 1 ? list[0] : list);
  }

  #add(p: TaskPtr): void {
    const held = this.#byIp.get(p.ip);
    if (held === undefined) this.#byIp.set(p.ip, p);
    else if (Array.isArray(held)) held.push(p);
    else this.#byIp.set(p.ip, [held, p]);
  }

  /** False when `p` was not held. */
  #remove(p: TaskPtr): boolean {
    const held = this.#byIp.get(p.ip);
    if (held === p) {
      this.#byIp.set(p.ip, []);
      return true;
    }
    if (!Array.isArray(held)) return false;
    const at = held.indexOf(p);
    if (at < 0) return false;
    held.splice(at, 1);
    if (held.length === 1) this.#byIp.set(p.ip, held[0]);
    return true;
  }

  /** An address's PTR targets as reversePtrs orders them; null when it has none. */
  #targetsOf(ip: string): string[] | null {
    this.#seed(ip);
    const out: string[] = [];
    const held = this.#byIp.get(ip);
    const tasks = (held === undefined ? [] : Array.isArray(held) ? held.slice() : [held]).sort((x, y) => (x.canonical < y.canonical ? -1 : x.canonical > y.canonical ? 1 : 0));
    for (const t of tasks) if (!out.includes(t.canonical)) out.push(t.canonical);
    for (const t of tasks) if (!out.includes(t.name)) out.push(t.name);
    for (const owner of this.#owners.get(ip) ?? []) if (!out.includes(owner)) out.push(owner);
    return out.length === 0 ? null : out;
  }

  #targets(entries: ReadonlyMap<string, ReverseEntry>, owner: string): readonly string[] | null {
    const e = entries.get(owner);
    return e !== undefined ? e.targets : (this.#base.ptr.get(owner) ?? null);
  }

  #exists(name: string, entries: ReadonlyMap<string, ReverseEntry>, owner: string, targets: readonly string[] | null): boolean {
    if (name === owner && targets !== null) return true;
    if ((this.#below.get(name) ?? 0) > 0) return true;
    if (name !== owner && this.#targets(entries, name) !== null) return true;
    return this.#configured.has(name) || (this.#zoneUse.get(name) ?? 0) > 0;
  }

  /** Counts `owner` (in `zone`) in or out of its ancestors and its zone; true when a derived zone came or went. */
  #count(owner: string, zone: string, delta: number): boolean {
    for (let name = owner.slice(owner.indexOf('.') + 1); name !== zone && name.length > zone.length; name = name.slice(name.indexOf('.') + 1)) {
      this.#below.set(name, (this.#below.get(name) ?? this.#baseBelow(name, zone)) + delta);
    }
    if (this.#configured.size > 0) return false;
    const n = (this.#zoneUse.get(zone) ?? this.#baseBelow(zone, zone)) + delta;
    this.#zoneUse.set(zone, n);
    return n === 0 || (n === 1 && delta > 0);
  }

  /**
   * The base's PTR owners below `name` whose zone (the most specific holding them) is `zone`.
   * A pass over the owners' bytes (a packed base: ~1 ms at 100,000 owners), decoding only those
   * that end in `.name`.
   */
  #baseBelow(name: string, zone: string): number {
    const zones = this.#configured.size > 0 ? this.#configured : this.#base.zones;
    const counts = (owner: string): boolean => zoneOf(owner, zones) === zone;
    const blob = this.#base.message?.packed.owners;
    let n = 0;
    if (blob === undefined) {
      for (const owner of this.#base.ptr.keys()) if (owner.endsWith(`.${name}`) && counts(owner)) n++;
      return n;
    }
    const suffix = Buffer.from(`.${name}`, 'utf8');
    const { bytes, ends } = blob;
    const at = suffix.length;
    for (let i = 0, start = 0; i < ends.length; start = ends[i++]) {
      const end = ends[i];
      if (end - start <= at) continue;
      let k = at - 1;
      while (k >= 0 && bytes[end - at + k] === suffix[k]) k--;
      if (k < 0 && counts(bytes.toString('utf8', start, end))) n++;
    }
    return n;
  }

  #zones(): Set<string> {
    // Derived zones: the base's (each holds an owner) as the counts of those a patch changed say.
    const zones = new Set(this.#configured.size > 0 ? this.#configured : this.#base.zones);
    for (const [zone, n] of this.#zoneUse) {
      if (n > 0) zones.add(zone);
      else zones.delete(zone);
    }
    return zones;
  }
}

/** Per address, the forward owner names holding it (agents, masters, frameworks, self), in order. */
function ownersByIp(ownerNames: readonly string[], names: ReadonlyMap<string, NameRecords>): Map<string, string[]> {
  const owners = new Map<string, string[]>();
  for (const owner of ownerNames) {
    const records = names.get(owner);
    if (records === undefined) continue;
    for (const ip of [...records.a, ...records.aaaa]) {
      let list = owners.get(ip);
      if (list === undefined) owners.set(ip, (list = []));
      if (!list.includes(owner)) list.push(owner);
    }
  }
  return owners;
}

function sameList(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The reverse table `patch` makes over `base` (main thread and workers alike). */
export function overlayReverse(base: ReverseTable, patch: ReversePatchData, zoneSerials: ReadonlyMap<string, number> = base.serials): ReverseTable {
  const { entries } = patch;
  const zones = new Set(patch.zones);
  const ptr: ReadonlyMap<string, readonly string[]> = {
    get size() {
      return [...this.keys()].length;
    },
    get: (name: string) => {
      const e = entries.get(name);
      return e !== undefined ? (e.targets ?? undefined) : base.ptr.get(name);
    },
    has: (name: string) => {
      const e = entries.get(name);
      return e !== undefined ? e.targets !== null : base.ptr.has(name);
    },
    *entries() {
      for (const [name, targets] of base.ptr) if (!entries.has(name)) yield [name, targets] as [string, readonly string[]];
      for (const [name, e] of entries) if (e.targets !== null) yield [name, e.targets] as [string, readonly string[]];
    },
    *keys() {
      for (const [name] of this.entries()) yield name;
    },
    *values() {
      for (const [, targets] of this.entries()) yield targets;
    },
    [Symbol.iterator]() {
      return this.entries();
    },
    forEach(callback, thisArg) {
      for (const [name, targets] of this.entries()) callback.call(thisArg, targets, name, this);
    },
  } as ReadonlyMap<string, readonly string[]>;
  const existing = {
    has: (name: string) => {
      const e = entries.get(name);
      if (e !== undefined) return e.exists;
      // A derived zone comes and goes with its addresses; every other name is as in the base.
      return base.zones.has(name) || zones.has(name) ? zones.has(name) : base.existing.has(name);
    },
  } as ReadonlySet<string>;
  let data: ReverseData | undefined;
  // Each zone's own serial (zone transfer on), as reverse-table.ts keeps them: only zones served now.
  const serials = new Map<string, number>();
  for (const zone of zones) {
    const serial = zoneSerials.get(zone);
    if (serial !== undefined) serials.set(zone, serial);
  }
  return Object.freeze({
    get data(): ReverseData {
      if (data === undefined) {
        const list = [...zones];
        data = reverseDataOf(ptr, list, serials.size === 0 ? undefined : list.map((z) => serials.get(z) ?? 0));
      }
      return data;
    },
    zones,
    ptr,
    existing,
    patch,
    serials,
    // The same overlay with other zone serials, without listing the PTRs (reverse-table.ts withReverseSerials).
    withSerials: (next: ReadonlyMap<string, number>) => overlayReverse(base, patch, next),
  });
}
