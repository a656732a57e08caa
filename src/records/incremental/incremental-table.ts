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
// A patch diffs the new state against the last one (object identity: the stream's states share
// every unchanged task; a new subscription's snapshot, or the first after a poll, is compared by
// content, same-task.ts), takes the changed tasks' records out and in, and recomputes each touched
// name as a fresh build would (contributors.ts): the records in build order, the first of each
// repeat kept, and under a HealthPolicy a failing task's shared-name records only where no
// passing task serves the name (the gate's fallback). The result is a new overlay over the base
// (overlay-table.ts). An agent or framework event makes the non-task records again and takes
// again only the tasks depending on it (cluster-change.ts).
//
// What it does not patch (apply() returns undefined and the caller builds in full): a changed
// leader, masters list, config or self address; more than MAX_PATCH_TASKS changed tasks; a
// framework listing a task id twice; an agent or framework host the inputs' addresses do not
// hold (the caller resolves those first: hostsToResolve).
import type { MasterState, Task } from '../../mesos/state.js';
import { buildTable, type BuildInputs, type BuiltParts } from '../build-table.js';
import { ownSourcesOf, toIps } from '../table-ips.js';
import { KIND_A, KIND_AAAA } from '../packed-table.js';
import type { NameRecords, RecordTable, TableHealth } from '../table.js';
import { TableBuilder } from '../table-builder.js';
import { dcosTaskRecords, taskRecords, type AgentContext, type TaskRecordOptions } from '../task-records.js';
import { DCOS_ZONE } from '../dcos-names.js';
import { passesPolicy, type SharedSink } from '../health-policy.js';
import type { HealthPolicy } from '../../config/schema.js';
import { baseFallbacks, NameContributors, nameValues, recordsByOwner } from './contributors.js';
import { NameStates, recordTotals } from './name-states.js';
import { reverseOwnerNames, type TaskPtr } from '../reverse-ptrs.js';
import { OverlayNames, overlayTable, type OverlayEntry, type TableOverlay } from './overlay-table.js';
import { ReversePatcher } from './reverse-patch.js';
import { VersionedMap } from './versioned-map.js';
import { MAX_PATCH_TASKS } from './limits.js';
import { baseSlots, STEP_TASKS } from './base-slots.js';
import { changesFromLog, clusterChanged, diffFrameworks, FRAMEWORK_STRIDE, pushPtrs, sameOutside, slotPtrs, type AddedTask, type Rebound, type TaskSlot } from './task-changes.js';
import { changedAgents, changeFrameworks, retakeAgentTasks, unresolvedHosts, type Frameworks } from './cluster-change.js';
import { clusterRecords } from '../cluster-records.js';
import { hostIPs } from '../resolve-hosts.js';
import type { LabelFunc } from '../labels.js';

export { MAX_PATCH_TASKS } from './limits.js';
/** Entries a patch's label and address caches may hold before they start over (ids stay: they are interned). */
const CACHE_LIMIT = 4096;

export interface Patch {
  table: RecordTable;
  /** The names whose records or existence may have changed (for per-name answer caches). */
  touched: string[];
  /** The tasks this patch took in, new or changed (publish.ts checks their labels). */
  tasks: Task[];
}

export class IncrementalTable {
  readonly #inputs: BuildInputs;
  #state: MasterState;
  readonly #b: TableBuilder;
  #agents: ReadonlyMap<string, AgentContext>;
  readonly #options: TaskRecordOptions;
  /** The frameworks in state order: their tasks, contexts, names and build-order bases (cluster-change.ts). */
  #fws: Frameworks = { slots: [], contexts: [], names: [], index: new Map(), bases: [], byBase: new Map() };
  #nextBase = 0;
  readonly #label: LabelFunc;
  readonly #contrib = new NameContributors();
  /** Per name id: the non-task records, value and kind in turn. */
  #prefix = new Map<number, number[]>();
  /** Owners and empty non-terminals per name, in each zone (name-states.ts). */
  /** Made by the start's first steps (#start), as #overlay. */
  #states!: NameStates;
  readonly #dcos: boolean;
  readonly #policy: HealthPolicy;
  /** Under a HealthPolicy: the sink for a patched task's shared-name records, and where they went. */
  readonly #gated: SharedSink | null = null;
  #gatedAt: number[] = [];
  /** Under a HealthPolicy: the names that fall back to all their (failing) tasks; the counts /metrics shows. */
  readonly #fallback = new Set<number>();
  #health: { failingTasks: number; fallbackNames: number } | undefined;
  readonly #weight: number;
  #overlay!: TableOverlay;
  #entries = VersionedMap.empty<string, OverlayEntry>();
  #reverse: ReversePatcher | undefined = undefined;
  /** The start's steps (#start): run to the end by the constructor, or by inSteps with pauses. */
  #starting: Generator<void, void> | undefined;
  #seq = 0;
  #broken = false;
  /** Forward names whose addresses the reverse half reads back (a task adding records under one: rebuild). */
  #reverseOwners = new Set<number>();

  /** Starts from a full build of `state` (buildTableParts), in one go. */
  constructor(state: MasterState, inputs: BuildInputs, parts: BuiltParts, inSteps?: typeof IN_STEPS) {
    this.#inputs = inputs;
    this.#state = state;
    this.#weight = inputs.config.SRVRecordDefaultWeight;
    this.#b = TableBuilder.resume(parts.packed, this.#weight);
    // The build's caches (a TaskGroup per task label, an Ip per address seen: ~50 MB at 100,000
    // tasks of distinct names and addresses) are not kept: they only save interning again, and a
    // patch meets a few labels and addresses. Fresh ones (the frameworks' below), emptied when
    // they grow (#slotFor).
    this.#agents = parts.agents;
    this.#label = parts.label;
    this.#options = { rules: inputs.config.typed.addresses, ownSources: ownSourcesOf(), seenIps: new Map(), ptrs: parts.taskPtrIds === null ? null : [] };
    this.#dcos = inputs.config.typed.dcosNames;
    this.#policy = inputs.config.HealthPolicy ?? 'ignore';
    if (parts.sharedAt !== null) {
      const at = (): void => void this.#gatedAt.push(this.#b.length);
      this.#gated = {
        addA: (owner, ip) => (at(), this.#b.addA(owner, ip)),
        addAAAA: (owner, ip) => (at(), this.#b.addAAAA(owner, ip)),
        addSRV: (owner, target, port) => (at(), this.#b.addSRV(owner, target, port)),
      };
    }
    this.#starting = this.#start(state, parts);
    if (inSteps !== IN_STEPS) while (this.#starting !== undefined) this.#step();
  }

  /** One step of the start; the steps let go of the build's parts when done (its caches: tens of MB). */
  #step(): void {
    if (this.#starting?.next().done === true) this.#starting = undefined;
  }

  /**
   * The same start with `pause()` awaited after each pass over the base's addresses, names and
   * records, every STEP_TASKS tasks and before the PTRs' part (past one slice of tasks; a smaller
   * start runs in one go), so that the thread (publish.ts: the main one, which reads the stream
   * and answers /health) is not held for the whole start (~0.1 s at 100,000 tasks). Undefined when `pause()` resolved to
   * false: given up (publish.ts: the table it would patch was replaced meanwhile).
   */
  static async inSteps(state: MasterState, inputs: BuildInputs, parts: BuiltParts, pause: () => Promise<boolean>): Promise<IncrementalTable | undefined> {
    const table = new IncrementalTable(state, inputs, parts, IN_STEPS);
    for (table.#step(); table.#starting !== undefined; table.#step()) if (!(await pause())) return undefined;
    return table;
  }

  /** The start's pass over the build's tasks, then the PTRs' part; yields between slices. */
  *#start(state: MasterState, parts: BuiltParts): Generator<void, void> {
    // A start of one slice of tasks or less runs in one go (as a build does: build-table.ts).
    let tasks = 0;
    for (const fw of state.frameworks) tasks += fw.tasks.length;
    const stepped = tasks > STEP_TASKS;
    // Passes over every address, name or record of the base (10–30 ms each at 100,000 tasks): a step each.
    const b = this.#b;
    b.indexBaseIps();
    if (stepped) yield;
    const zone = parts.table.zone;
    const packed = parts.packed;
    this.#states = new NameStates(b, packed, this.#dcos ? [zone, DCOS_ZONE] : [zone], parts.children);
    if (stepped) yield;
    this.#overlay = { base: parts.table, entries: this.#entries, ownerCount: packed.ownerCount, existingCount: packed.existingCount, records: recordTotals(packed) };
    if (stepped) yield;
    const log = parts.log;
    this.#prefix = recordsByOwner(log, parts.prefixEnd);
    // Under a HealthPolicy: which base log entries went through the gate (a passing task's shared
    // names); a failing task's held records are not in the base log, so its records are made again.
    let baseShared: Uint8Array | null = null;
    if (parts.sharedAt !== null) {
      baseShared = new Uint8Array(log.length / 3);
      for (const e of parts.sharedAt) baseShared[e] = 1;
    }
    const failing = yield* baseSlots(state, parts, this.#fws, baseShared, {
      policy: this.#policy,
      seq: () => this.#seq++,
      slotFor: (fw, task, order) => this.#slotFor(fw, task, order),
      link: (slot) => this.#contrib.link(slot),
      broken: () => void (this.#broken = true),
    });
    this.#nextBase = state.frameworks.length;
    if (parts.sharedAt !== null) {
      for (const owner of baseFallbacks(failing, parts.sharedAt, log, b.nameCount)) this.#fallback.add(owner);
      this.#health = { failingTasks: failing.filter((f) => f.failing).length, fallbackNames: this.#fallback.size };
    }
    const ptrIds = parts.taskPtrIds;
    if (parts.table.reverse !== undefined && ptrIds !== null) {
      if (stepped) yield;
      const owners = reverseOwnerNames(parts.table.names, zone, [...new Set(parts.frameworkLabels)], parts.mname);
      for (const owner of owners) this.#reverseOwners.add(b.name(owner));
      const base = { ids: ptrIds, ipId: (text: string) => b.baseIpId(text), ipText: (id: number) => b.ipText(id), nameText: (id: number) => b.nameText(id) };
      this.#reverse = new ReversePatcher(parts.table.reverse, base, this.#inputs.config.typed.ptr.zones, parts.table.names, owners);
    }
  }

  /**
   * The agent and framework hostnames `state` would need resolved before apply() can patch it
   * (publish.ts looks them up, I/O outside the pure step, and passes them in the inputs' addresses);
   * [] when its agents and frameworks are those of the last state.
   */
  hostsToResolve(state: MasterState, addresses: ReadonlyMap<string, readonly string[]>): string[] {
    return clusterChanged(this.#state, state) ? unresolvedHosts(state, addresses) : [];
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
    if (this.#starting !== undefined) return this.#refuse('its start has not finished');
    const outside = sameOutside(this.#state, state, this.#inputs, inputs);
    if (outside !== undefined) return this.#refuse(outside);
    const removed: TaskSlot[] = [];
    const added: AddedTask[] = [];
    const previous = this.#state;
    const cluster = clusterChanged(previous, state) ? this.#clusterChange(previous, state, inputs, removed, added) : undefined;
    if (typeof cluster === 'string') return this.#refuse(cluster);
    // An agent or framework change has already moved the model on: refusing after it leaves it broken.
    const refuse = (reason: string): undefined => {
      if (cluster !== undefined) this.#broken = true;
      return this.#refuse(reason);
    };
    const wholesale = cluster?.wholesale ?? NO_IDS;
    const fws = this.#fws;
    const nextOrder = (fw: number): number => fws.bases[fw] * FRAMEWORK_STRIDE + this.#seq++;
    const logged = changesFromLog(previous, state, fws.index, fws.slots, removed, added, nextOrder, wholesale);
    if (logged === false) return refuse('the change log names a task out of step');
    // Unchanged tasks given as new objects (a new subscription's snapshot, the first after a poll).
    const rebound: Rebound = { slots: [], tasks: [] };
    if (logged === undefined) {
      // No log relating the two states (a poll's state, a new subscription): compare task lists.
      const why = diffFrameworks(previous, state, cluster !== undefined, fws.slots, wholesale, { removed, added, rebound }, nextOrder);
      if (why !== undefined) return refuse(why);
    }
    // The kept tasks' slots hold their new objects from here: the next diff compares by identity,
    // and a changed agent's tasks are taken again as this state gives them. A refusal below
    // either follows an agent change, which has left the model broken already, or comes on the
    // change log's path, which rebinds nothing.
    for (let k = 0; k < rebound.slots.length; k++) rebound.slots[k].task = rebound.tasks[k];
    if (cluster !== undefined && cluster.agents.length > 0) retakeAgentTasks(fws, cluster.agents, removed, added);
    if (removed.length + added.length > 2 * MAX_PATCH_TASKS) return refuse('too many changed tasks');
    // From here on the model changes; anything unexpected leaves it broken (every later apply
    // returns undefined until a full build starts a new one).
    const touched = new Set<number>();
    const oldPtrs: TaskPtr[] = [];
    const newPtrs: TaskPtr[] = [];
    for (const slot of removed) {
      const fw = fws.byBase.get(Math.floor(slot.order / FRAMEWORK_STRIDE));
      if (fw !== undefined && fws.slots[fw].get(slot.task.id) === slot) fws.slots[fw].delete(slot.task.id);
      this.#contrib.unlink(slot, touched);
      pushPtrs(oldPtrs, slot.ptrs);
      for (let k = slot.ptrFrom; k < slot.ptrTo && this.#reverse !== undefined; k++) oldPtrs.push(this.#reverse.basePtr(k));
      if (slot.failing) this.#health!.failingTasks--;
    }
    for (const { fw, task, order } of added) {
      const slot = this.#slotFor(fw, task, order);
      if (fws.slots[fw].has(task.id)) {
        this.#broken = true;
        return refuse('a task id twice in a framework');
      }
      fws.slots[fw].set(task.id, slot);
      this.#contrib.link(slot, touched);
      pushPtrs(newPtrs, slot.ptrs);
      if (slot.failing) this.#health!.failingTasks++;
    }
    for (const id of touched) if (this.#reverseOwners.has(id)) this.#broken = true;
    if (this.#broken) return this.#refuse('a task adds records under a name the PTRs read back');
    if (cluster !== undefined) for (const id of cluster.prefixNames) touched.add(id);
    this.#state = state;
    const { entries, ownerCount, existingCount, records, names } = this.#states.update(
      touched,
      this.#overlay,
      (id) => this.#compute(id),
      (updates, name) => this.#current(updates, name),
    );
    this.#overlay = { base: this.#overlay.base, entries: this.#entries.with(entries), ownerCount, existingCount, records };
    this.#entries = this.#overlay.entries as VersionedMap<string, OverlayEntry>;
    // The agent, master, framework and self names' addresses, read back for their PTRs.
    const ownerIps = cluster === undefined || this.#reverse === undefined ? undefined : this.#reverse.setOwners(cluster.reverseOwners, new OverlayNames(this.#overlay));
    const reverse = this.#reverse?.apply(oldPtrs, newPtrs, ownerIps);
    const enumerationInputs = { ...this.#inputs, addresses: inputs.addresses, serial: inputs.serial };
    return {
      table: overlayTable(this.#overlay, inputs.serial, reverse ?? this.#overlay.base.reverse, () => buildTable(state, enumerationInputs).enumeration, this.#tableHealth()),
      touched: [...names],
      tasks: added.map((a) => a.task),
    };
  }

  /**
   * An agent or framework event (cluster-change.ts): the frameworks and agents of `state`, their
   * own records made again. The tasks to take out and in go to `removed` and `added`; returns the
   * frameworks whose tasks were all taken, the changed agents, the names of the records made again
   * (before and after) and the names the PTRs read back; or why it cannot be patched.
   */
  #clusterChange(previous: MasterState, state: MasterState, inputs: BuildInputs, removed: TaskSlot[], added: AddedTask[]): ClusterPatch | string {
    const hosts = unresolvedHosts(state, inputs.addresses);
    if (hosts.length > 0) return `a hostname to resolve (${hosts[0]})`;
    const b = this.#b;
    const seenIps = this.#options.seenIps;
    b.clearLog();
    const made = clusterRecords(b, state, inputs, seenIps, (h) => toIps(b, seenIps, hostIPs(h, inputs.addresses)), this.#label);
    const log = b.logEntries();
    const prefix = recordsByOwner(log, log.length / 3);
    this.#states.grow(b.nameCount);
    const prefixNames = [...new Set([...this.#prefix.keys(), ...prefix.keys()])];
    this.#prefix = prefix;
    const zone = this.#inputs.config.typed.zone;
    const { frameworks, wholesale } = changeFrameworks(previous, state, this.#fws, made.fwNames, zone, this.#label, () => this.#nextBase++, () => this.#seq++, removed, added);
    this.#fws = frameworks;
    const agents = changedAgents(this.#agents, made.agents);
    this.#agents = made.agents;
    let reverseOwners: string[] = [];
    if (this.#reverse !== undefined) {
      // The masters' names are as before (a new leader or masters list is built in full).
      reverseOwners = reverseOwnerNames(new OverlayNames(this.#overlay), zone, [...new Set(made.fwNames)], made.mname);
      this.#reverseOwners = new Set(reverseOwners.map((n) => b.name(n)));
      this.#states.grow(b.nameCount);
    }
    return { wholesale, agents, prefixNames, reverseOwners };
  }

  #refuse(reason: string): undefined {
    this.refusal = reason;
    return undefined;
  }

  /** The task's records, made by the build's own function into this builder. */
  #slotFor(fw: number, task: Task, order: number): TaskSlot {
    const context = this.#fws.contexts[fw];
    const options = this.#options;
    if (options.ptrs !== null) options.ptrs = [];
    if (options.seenIps.size > CACHE_LIMIT) options.seenIps.clear();
    if (context !== undefined && context.groups.size > CACHE_LIMIT) context.groups.clear();
    const b = this.#b;
    b.clearLog();
    this.#gatedAt = [];
    let failing = false;
    if (context !== undefined) {
      // Under a HealthPolicy every task's shared-name records go through the gated sink, so they
      // are marked (a passing task's serve the name, a failing task's are held: contributors.ts).
      const added = taskRecords(b, context, task, this.#agents, options, this.#gated ?? b);
      failing = added && this.#gated !== null && !passesPolicy(this.#policy, task.running?.healthy);
      if (added && this.#dcos) dcosTaskRecords(b, context, task, this.#agents, options, this.#fws.names[fw]);
    }
    const entries = b.logEntries().slice();
    this.#states.grow(b.nameCount);
    let shared: Uint8Array | null = null;
    if (this.#gated !== null) {
      shared = new Uint8Array(entries.length / 3);
      for (const e of this.#gatedAt) shared[e] = 1;
    }
    const ptrs = options.ptrs === null ? null : slotPtrs(options.ptrs, 0, options.ptrs.length);
    return { order, task, log: entries, from: 0, to: entries.length, ptrs, ptrFrom: 0, ptrTo: 0, shared, failing };
  }

  /** The HealthPolicy counts of the table now (/metrics), as a full build gives them. */
  #tableHealth(): TableHealth | undefined {
    if (this.#health === undefined) return undefined;
    return Object.freeze({ policy: this.#policy, failingTasks: this.#health.failingTasks, fallbackNames: this.#health.fallbackNames });
  }

  /** Name `id`'s records as a fresh build makes them (contributors.ts); notes a HealthPolicy fallback. */
  #compute(id: number): NameRecords | null {
    const { values, kinds, fellBack } = nameValues(id, this.#prefix.get(id), this.#contrib.of(id));
    if (this.#health !== undefined && fellBack !== this.#fallback.has(id)) {
      if (fellBack) this.#fallback.add(id);
      else this.#fallback.delete(id);
      this.#health.fallbackNames = this.#fallback.size;
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
}

const NO_IDS: ReadonlySet<string> = new Set();
/** The constructor's mark for a start that inSteps runs. */
const IN_STEPS = Symbol('in steps');

interface ClusterPatch {
  wholesale: ReadonlySet<string>;
  agents: string[];
  prefixNames: number[];
  reverseOwners: string[];
}
