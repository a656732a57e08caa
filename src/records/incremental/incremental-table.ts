// The incremental table (issue 16): after a full build (build-table.ts), a stream event changes
// only the names its tasks touch. Kept here, beside the packed base table:
//   - every task's records as the build logged them (owner, value, kind per entry), made by the
//     same taskRecords() the full build calls, so the two paths cannot disagree;
//   - per name, the tasks that add records under it, in build order (framework index, then the
//     task's place in its framework: a task first seen later comes after those already there,
//     as in the stream's state), and the non-task records (frameworks, agents, masters, SOA
//     MNAME) the base build logged first;
//   - per name whether it owns records and how many existing children it has, so empty
//     non-terminals (RFC 8020) appear and disappear with their last descendant.
// A patch diffs the new state against the last one (object identity: the stream's snapshots share
// every unchanged task), takes the changed tasks' records out and in, and recomputes each touched
// name as a fresh build would: the records in build order, the first of each repeat kept. The
// result is a new overlay over the base (overlay-table.ts).
//
// What it does not patch (apply() returns undefined and the caller builds in full): a changed
// leader, masters list, agent list, framework (added, removed, renamed, new pid), config or self
// address; more than MAX_PATCH_TASKS changed tasks; a framework listing a task id twice. Those
// touch names all over the table (agent addresses are in every task's `.slave.` names) or are
// rare. Hostnames are resolved for full builds only: a patch reuses the base's addresses.
import type { MasterState, Task } from '../../mesos/state.js';
import { buildTable, type BuildInputs, type BuiltParts } from '../build-table.js';
import { ownSourcesOf } from '../table-ips.js';
import { KIND_A, KIND_AAAA, NAME_OWNER, NAME_TARGET } from '../packed-table.js';
import type { NameRecords, RecordTable } from '../table.js';
import { TableBuilder } from '../table-builder.js';
import { taskRecords, type AgentContext, type FrameworkContext, type TaskRecordOptions } from '../task-records.js';
import { reverseOwnerNames, type TaskPtr } from '../reverse-ptrs.js';
import { overlayTable, type OverlayEntry, type RecordTotals, type TableOverlay } from './overlay-table.js';
import { ReversePatcher } from './reverse-patch.js';
import { VersionedMap } from './versioned-map.js';
import { MAX_PATCH_TASKS } from './limits.js';
import { changesFromLog, diffTasks, FRAMEWORK_STRIDE, sameOutside, type AddedTask, type TaskSlot } from './task-changes.js';

export { MAX_PATCH_TASKS } from './limits.js';
/** Lists longer than this are de-duplicated with a Set (as the builder does). */
const SCAN_LIMIT = 32;
/** Entries a patch's label and address caches may hold before they start over (ids stay: they are interned). */
const CACHE_LIMIT = 4096;

type Contributors = TaskSlot | TaskSlot[] | undefined;

export interface Patch {
  table: RecordTable;
  /** The names whose records or existence may have changed (for per-name answer caches). */
  touched: string[];
}

export class IncrementalTable {
  readonly #inputs: BuildInputs;
  #state: MasterState;
  readonly #b: TableBuilder;
  readonly #contexts: (FrameworkContext | undefined)[];
  readonly #agents: ReadonlyMap<string, AgentContext>;
  readonly #options: TaskRecordOptions;
  readonly #fwSlots: Map<string, TaskSlot>[] = [];
  /** Framework id -> its index in the state (the frameworks are those of the base build). */
  readonly #fwIndex = new Map<string, number>();
  #contrib: Contributors[] = [];
  /** Per name id: the non-task records, value and kind in turn. */
  readonly #prefix = new Map<number, number[]>();
  #owner: Uint8Array;
  #children: Int32Array;
  readonly #apex: number;
  readonly #dotZone: Uint8Array;
  readonly #weight: number;
  #overlay: TableOverlay;
  #entries = VersionedMap.empty<string, OverlayEntry>();
  readonly #reverse: ReversePatcher | undefined = undefined;
  #seq = 0;
  #broken = false;
  /** Forward names whose addresses the reverse half reads back (a task adding records under one: rebuild). */
  readonly #reverseOwners = new Set<number>();

  /** Starts from a full build of `state` (buildTableParts). */
  constructor(state: MasterState, inputs: BuildInputs, parts: BuiltParts) {
    this.#inputs = inputs;
    this.#state = state;
    this.#weight = inputs.config.SRVRecordDefaultWeight;
    const packed = parts.packed;
    const b = (this.#b = TableBuilder.resume(packed, this.#weight));
    // The build's caches (a TaskGroup per task label, an Ip per address seen: ~50 MB at 100,000
    // tasks of distinct names and addresses) are not kept: they only save interning again, and a
    // patch meets a few labels and addresses. Fresh ones, emptied when they grow (#slotFor).
    this.#contexts = parts.contexts.map((c) => (c === undefined ? undefined : { ...c, groups: new Map() }));
    this.#agents = parts.agents;
    this.#options = { rules: inputs.config.typed.addresses, ownSources: ownSourcesOf(), seenIps: new Map(), ptrs: parts.taskPtrs === null ? null : [] };
    const zone = parts.table.zone;
    this.#apex = b.name(zone);
    this.#dotZone = Buffer.from(`.${zone}`, 'utf8');

    const log = parts.log;
    for (let e = 0; e < parts.prefixEnd; e++) {
      const owner = log[3 * e];
      let list = this.#prefix.get(owner);
      if (list === undefined) this.#prefix.set(owner, (list = []));
      list.push(log[3 * e + 1], log[3 * e + 2]);
    }
    state.frameworks.forEach((fw, i) => {
      if (this.#fwIndex.has(fw.id)) this.#broken = true; // a framework twice
      this.#fwIndex.set(fw.id, i);
      const slots = new Map<string, TaskSlot>();
      this.#fwSlots.push(slots);
      const span = parts.spans[i];
      for (let t = 0; t < fw.tasks.length; t++) {
        const task = fw.tasks[t];
        if (slots.has(task.id)) this.#broken = true; // a task id twice: ids no longer name one place
        // Ranges of the base build's log, not views: a view is an object per task (10 MB at 100,000).
        const ptrs = parts.taskPtrs === null || span[4 * t + 2] === span[4 * t + 3] ? null : parts.taskPtrs.slice(span[4 * t + 2], span[4 * t + 3]);
        const slot: TaskSlot = { order: i * FRAMEWORK_STRIDE + this.#seq++, task, log, from: 3 * span[4 * t], to: 3 * span[4 * t + 1], ptrs };
        slots.set(task.id, slot);
        this.#link(slot);
      }
    });

    const count = b.nameCount;
    this.#owner = new Uint8Array(count + 1024);
    this.#children = new Int32Array(count + 1024);
    const kinds = packed.nameKind;
    for (let id = 0; id < kinds.length; id++) {
      if (kinds[id] === NAME_OWNER) this.#owner[id] = 1;
      if (kinds[id] !== NAME_TARGET && this.#inZone(id)) this.#children[b.parentName(id)]++;
    }
    const records: RecordTotals = { A: 0, AAAA: 0, SRV: 0 };
    const end = packed.recStart[packed.recStart.length - 1];
    for (let r = 0; r < end; r++) {
      const p = packed.recPort[r];
      if (p === KIND_A) records.A++;
      else if (p === KIND_AAAA) records.AAAA++;
      else records.SRV++;
    }
    this.#overlay = { base: parts.table, entries: this.#entries, ownerCount: packed.ownerCount, existingCount: packed.existingCount, records };
    if (parts.table.reverse !== undefined && parts.taskPtrs !== null) {
      const owners = reverseOwnerNames(parts.table.names, zone, [...new Set(parts.frameworkLabels)], parts.mname);
      for (const owner of owners) this.#reverseOwners.add(b.name(owner));
      this.#reverse = new ReversePatcher(parts.table.reverse, parts.taskPtrs, inputs.config.typed.ptr.zones, parts.table.names, owners);
    }
  }

  /** Why the last apply() returned undefined (for the debug log). */
  refusal = '';

  /** Names in the overlay now; past a threshold the caller merges (builds a new base). */
  get overlaySize(): number {
    return this.#overlay.entries.size;
  }

  /**
   * The table for `state` as a patch of the current one, or undefined when this change is not
   * one a patch handles (see the top of this file); then the caller builds in full and starts a
   * new IncrementalTable from that build.
   */
  apply(state: MasterState, inputs: BuildInputs): Patch | undefined {
    if (this.#broken) return this.#refuse('an earlier patch could not be completed');
    // A HealthPolicy's per-name fallback (health-policy.ts) depends on every task under a shared
    // name at once; patches do not model it, so such configs are always built in full.
    if ((inputs.config.HealthPolicy ?? 'ignore') !== 'ignore') return this.#refuse('HealthPolicy is on');
    // DC/OS names (dcos-names.ts) are added outside the task spans and in a second zone.
    if (inputs.config.typed.dcosNames) return this.#refuse('DcosNames is on');
    const outside = sameOutside(this.#state, state, this.#inputs, inputs);
    if (outside !== undefined) return this.#refuse(outside);
    const removed: TaskSlot[] = [];
    const added: AddedTask[] = [];
    const logged = changesFromLog(this.#state, state, this.#fwIndex, this.#fwSlots, removed, added, () => this.#seq++);
    if (logged === false) return this.#refuse('the change log names a task out of step');
    if (logged === undefined) {
      // No log relating the two states (a poll's state, a new subscription): compare task lists.
      const previous = this.#state.frameworks;
      for (let i = 0; i < state.frameworks.length; i++) {
        const before = previous[i].tasks;
        const after = state.frameworks[i].tasks;
        if (before === after) continue;
        if (!diffTasks(before, after, this.#fwSlots[i], i, removed, added, () => this.#seq++)) return this.#refuse('task lists out of step');
        if (removed.length + added.length > 2 * MAX_PATCH_TASKS) return this.#refuse('too many changed tasks');
      }
    }
    if (removed.length + added.length > 2 * MAX_PATCH_TASKS) return this.#refuse('too many changed tasks');
    // From here on the model changes; anything unexpected leaves it broken (every later apply
    // returns undefined until a full build starts a new one).
    const touched = new Set<number>();
    const oldPtrs: TaskPtr[] = [];
    const newPtrs: TaskPtr[] = [];
    for (const slot of removed) {
      this.#fwSlots[Math.floor(slot.order / FRAMEWORK_STRIDE)].delete(slot.task.id);
      this.#unlink(slot, touched);
      if (slot.ptrs !== null) oldPtrs.push(...slot.ptrs);
    }
    for (const { fw, task, order } of added) {
      const slot = this.#slotFor(fw, task, order);
      if (this.#fwSlots[fw].has(task.id)) {
        this.#broken = true;
        return this.#refuse('a task id twice in a framework');
      }
      this.#fwSlots[fw].set(task.id, slot);
      this.#link(slot, touched);
      if (slot.ptrs !== null) newPtrs.push(...slot.ptrs);
    }
    for (const id of touched) if (this.#reverseOwners.has(id)) this.#broken = true;
    if (this.#broken) return this.#refuse('a task adds records under a name the PTRs read back');
    this.#state = state;
    const entries = new Map<string, OverlayEntry>();
    const totals = { ...this.#overlay.records };
    let { ownerCount, existingCount } = this.#overlay;
    const changedExistence: number[] = [];
    const names = new Set<string>();
    for (const id of touched) {
      const name = this.#b.nameText(id);
      const before = this.#current(entries, name);
      const after = this.#compute(id);
      count(totals, before, -1);
      count(totals, after, 1);
      const wasOwner = this.#owner[id] === 1;
      const isOwner = after !== null;
      const existed = this.#exists(id);
      this.#owner[id] = isOwner ? 1 : 0;
      ownerCount += (isOwner ? 1 : 0) - (wasOwner ? 1 : 0);
      if (existed !== this.#exists(id)) {
        existingCount += existed ? -1 : 1;
        changedExistence.push(id, existed ? -1 : 1);
      }
      entries.set(name, { records: after, exists: this.#exists(id) });
      names.add(name);
    }
    // A name that came or went changes its parent's child count, which may make the parent (an
    // empty non-terminal) come or go in turn.
    // A name may come and go within one patch (its last child leaves, another arrives): each flip
    // is applied with the direction it had.
    for (let k = 0; k < changedExistence.length; k += 2) {
      const id = changedExistence[k];
      if (!this.#inZone(id)) continue;
      const parent = this.#b.parentName(id);
      this.#grow(parent);
      const existed = this.#exists(parent);
      this.#children[parent] += changedExistence[k + 1];
      if (existed === this.#exists(parent)) continue;
      existingCount += existed ? -1 : 1;
      changedExistence.push(parent, existed ? -1 : 1);
      const name = this.#b.nameText(parent);
      entries.set(name, { records: this.#current(entries, name), exists: !existed });
      names.add(name);
    }
    this.#overlay = { base: this.#overlay.base, entries: this.#entries.with(entries), ownerCount, existingCount, records: totals };
    this.#entries = this.#overlay.entries as VersionedMap<string, OverlayEntry>;
    const reverse = this.#reverse?.apply(oldPtrs, newPtrs);
    const enumerationInputs = { ...this.#inputs, serial: inputs.serial };
    return {
      table: overlayTable(this.#overlay, inputs.serial, reverse ?? this.#overlay.base.reverse, () => buildTable(state, enumerationInputs).enumeration),
      touched: [...names],
    };
  }

  #refuse(reason: string): undefined {
    this.refusal = reason;
    return undefined;
  }

  /** The task's records, made by the build's own function into this builder. */
  #slotFor(fw: number, task: Task, order: number): TaskSlot {
    const context = this.#contexts[fw];
    const options = this.#options;
    if (options.ptrs !== null) options.ptrs = [];
    if (options.seenIps.size > CACHE_LIMIT) options.seenIps.clear();
    if (context !== undefined && context.groups.size > CACHE_LIMIT) context.groups.clear();
    this.#b.clearLog();
    if (context !== undefined) taskRecords(this.#b, context, task, this.#agents, options);
    const entries = this.#b.logEntries().slice();
    this.#grow(this.#b.nameCount);
    const ptrs = options.ptrs === null || options.ptrs.length === 0 ? null : options.ptrs;
    return { order, task, log: entries, from: 0, to: entries.length, ptrs };
  }

  #link(slot: TaskSlot, touched?: Set<number>): void {
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

  #unlink(slot: TaskSlot, touched: Set<number>): void {
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

  /** Name `id`'s records as a fresh build makes them: non-task records, then tasks in order, repeats dropped. */
  #compute(id: number): NameRecords | null {
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
    const prefix = this.#prefix.get(id);
    if (prefix !== undefined) for (let k = 0; k < prefix.length; k += 2) add(prefix[k], prefix[k + 1]);
    const list = this.#contrib[id];
    const slots = list === undefined ? [] : Array.isArray(list) ? list : [list];
    for (const slot of slots) {
      const entries = slot.log;
      for (let e = slot.from; e < slot.to; e += 3) if (entries[e] === id) add(entries[e + 1], entries[e + 2]);
    }
    if (values.length === 0) return null;
    const out: { a: string[]; aaaa: string[]; srv: NameRecords['srv'][number][] } = { a: [], aaaa: [], srv: [] };
    for (let r = 0; r < values.length; r++) {
      if (kinds[r] === KIND_A) out.a.push(this.#b.ipText(values[r]));
      else if (kinds[r] === KIND_AAAA) out.aaaa.push(this.#b.ipText(values[r]));
      else out.srv.push({ target: this.#b.nameText(values[r]), port: kinds[r], priority: 0, weight: this.#weight });
    }
    return out;
  }

  /** A name's records now: this patch's `updates`, else the overlay's, else the base's. */
  #current(updates: ReadonlyMap<string, OverlayEntry>, name: string): NameRecords | null {
    const e = updates.get(name) ?? this.#entries.get(name);
    return e !== undefined ? e.records : (this.#overlay.base.names.get(name) ?? null);
  }

  #exists(id: number): boolean {
    return id === this.#apex || this.#owner[id] === 1 || (this.#children[id] > 0 && this.#inZone(id));
  }

  #inZone(id: number): boolean {
    return id !== this.#apex && this.#b.nameEndsWith(id, this.#dotZone);
  }

  #grow(id: number): void {
    if (id < this.#owner.length) return;
    const size = Math.max(id + 1, this.#owner.length * 2);
    const owner = new Uint8Array(size);
    owner.set(this.#owner);
    this.#owner = owner;
    const children = new Int32Array(size);
    children.set(this.#children);
    this.#children = children;
  }
}

function count(totals: RecordTotals, records: NameRecords | null, sign: number): void {
  if (records === null) return;
  totals.A += sign * records.a.length;
  totals.AAAA += sign * records.aaaa.length;
  totals.SRV += sign * records.srv.length;
}
