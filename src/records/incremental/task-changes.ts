// Which tasks an event changed, for the incremental table (incremental-table.ts): from the
// stream's change log when it relates the two states (a cost per changed task), else by comparing
// the frameworks' task lists (by identity, then by content); and whether anything besides the
// task lists changed (then the caller builds in full).
import type { MasterState, Task } from '../../mesos/state.js';
import { sameHostPort } from '../../net/address.js';
import type { BuildInputs } from '../build-table.js';
import type { TaskPtr } from '../reverse-ptrs.js';
import { MAX_PATCH_TASKS } from './limits.js';
import { sameTask } from './same-task.js';

export const FRAMEWORK_STRIDE = 2 ** 32;

export interface TaskSlot {
  /** Build order: framework index * 2^32 + a sequence number that only grows. */
  order: number;
  task: Task;
  /** Its records, owner, value, kind per entry, are log[from, to): the base build's log, or its own copy. */
  log: Int32Array;
  from: number;
  to: number;
  /**
   * Its PTR names; one held as itself (a task has one address, and so one PTR, most often: a
   * list per task was ~5.6 MB of arrays at 100,000 tasks); null when it has none or PtrOn is off.
   */
  ptrs: TaskPtr | readonly TaskPtr[] | null;
  /** A base task's PTRs instead: the base build's entries [ptrFrom, ptrTo) (ReversePatcher.basePtr); equal for none. */
  ptrFrom: number;
  ptrTo: number;
  /**
   * Under a HealthPolicy: per log entry (index entry/3 into `log`), 1 for a record under one of
   * the task's shared names (through the HealthGate); null without a policy.
   */
  shared: Uint8Array | null;
  /** Under a HealthPolicy: a RUNNING task with records that the policy does not pass. */
  failing: boolean;
}

/** Appends a slot's PTRs (TaskSlot.ptrs) to `out`. */
export function pushPtrs(out: TaskPtr[], ptrs: TaskSlot['ptrs']): void {
  if (ptrs === null) return;
  if (isPtrList(ptrs)) out.push(...ptrs);
  else out.push(ptrs);
}

/** ptrs[from, to) as a TaskSlot holds them: none, one as itself, or a list. */
export function slotPtrs(ptrs: readonly TaskPtr[], from: number, to: number): TaskSlot['ptrs'] {
  return from === to ? null : to - from === 1 ? ptrs[from] : ptrs.slice(from, to);
}

function isPtrList(ptrs: TaskPtr | readonly TaskPtr[]): ptrs is readonly TaskPtr[] {
  return Array.isArray(ptrs);
}

/** A task to (re)add: its framework index, the task, and its place in build order. */
export interface AddedTask {
  fw: number;
  task: Task;
  order: number;
}

/**
 * The changed tasks from the stream's log (MasterState.changes) between the state applied last
 * and `state`: a cost per changed task, whatever the number of tasks. Undefined when the log does
 * not reach back to the last state; false when it names a task the table does not know as it says.
 */
export function changesFromLog(
  previous: MasterState,
  state: MasterState,
  fwIndex: ReadonlyMap<string, number>,
  fwSlots: readonly ReadonlyMap<string, TaskSlot>[],
  removed: TaskSlot[],
  added: AddedTask[],
  nextOrder: (fw: number) => number,
  wholesale: ReadonlySet<string>,
): boolean | undefined {
  const from = previous.changes;
  const to = state.changes;
  if (from === undefined || to === undefined || to.log !== from.log || to.at < from.at) return undefined;
  const log = to.log;
  if (to.at - from.at > 2 * MAX_PATCH_TASKS) return undefined;
  // Per task: its last change, and when it last went to the end of its list.
  const last = new Map<string, { fw: number; task: Task | undefined; appendedAt: number; at: number }>();
  for (let k = from.at; k < to.at; k++) {
    const c = log.items[k - log.start];
    if (wholesale.has(c.frameworkId)) continue; // its tasks are all taken again (cluster-change.ts)
    const fw = fwIndex.get(c.frameworkId);
    if (fw === undefined) return false;
    const key = `${fw}:${c.id}`;
    const seen = last.get(key);
    last.set(key, { fw, task: c.task, appendedAt: c.appended ? k : (seen?.appendedAt ?? -1), at: k });
  }
  const appended: Array<{ fw: number; task: Task; appendedAt: number }> = [];
  for (const [key, c] of last) {
    const slot = fwSlots[c.fw].get(key.slice(key.indexOf(':') + 1));
    if (c.appendedAt < 0 && c.task !== undefined) {
      // Replaced in place: it keeps its place.
      if (slot === undefined) return false;
      if (slot.task === c.task) continue;
      removed.push(slot);
      added.push({ fw: c.fw, task: c.task, order: slot.order });
      continue;
    }
    if (slot !== undefined) removed.push(slot);
    if (c.task !== undefined) appended.push({ fw: c.fw, task: c.task, appendedAt: c.appendedAt });
  }
  appended.sort((x, y) => x.appendedAt - y.appendedAt);
  for (const a of appended) added.push({ fw: a.fw, task: a.task, order: nextOrder(a.fw) });
  return true;
}

/**
 * Tasks a diff kept whose object is new (same content, sameTask): kept[k]'s slot is to hold
 * tasks[k] once the patch goes ahead (the next diff compares by identity again).
 */
export interface Rebound {
  slots: TaskSlot[];
  tasks: Task[];
}

/**
 * The changes from `before` to `after` (one framework's tasks): tasks kept keep their order;
 * a changed task (same id, new content) is taken out and put back in its place; tasks after the
 * last kept one are new and come last. A new object with the same content (a new subscription's
 * snapshot) is kept, and listed in `rebound`. Says why not when the lists do not fit that (a task
 * id twice), or when more tasks changed than a patch takes.
 */
export function diffTasks(
  before: readonly Task[],
  after: readonly Task[],
  slots: ReadonlyMap<string, TaskSlot>,
  fw: number,
  removed: TaskSlot[],
  added: AddedTask[],
  nextOrder: (fw: number) => number,
  rebound: Rebound,
): DiffOutcome {
  // Past the patch limit the caller builds in full: stop there rather than list every task of a
  // snapshot that differs in all of them (100,000 comparisons and entries for nothing).
  const over = (): boolean => removed.length + added.length > 2 * MAX_PATCH_TASKS;
  let i = 0;
  let j = 0;
  while (i < before.length && j < after.length) {
    const old = before[i];
    const next = after[j];
    if (old === next) {
      i++;
      j++;
      continue;
    }
    const slot = slots.get(old.id);
    if (slot === undefined || slot.task !== old) return 'task lists out of step';
    if (sameTask(old, next)) {
      rebound.slots.push(slot);
      rebound.tasks.push(next);
      i++;
      j++;
      continue;
    }
    removed.push(slot);
    if (old.id === next.id) {
      added.push({ fw, task: next, order: slot.order });
      j++;
    }
    i++;
    if (over()) return 'too many changed tasks';
  }
  for (; i < before.length; i++) {
    const slot = slots.get(before[i].id);
    if (slot === undefined || slot.task !== before[i]) return 'task lists out of step';
    removed.push(slot);
    if (over()) return 'too many changed tasks';
  }
  if (added.length + removed.length + (after.length - j) > 2 * MAX_PATCH_TASKS) return 'too many changed tasks';
  for (; j < after.length; j++) added.push({ fw, task: after[j], order: nextOrder(fw) });
  return undefined;
}

/** Why a diff cannot be patched, or undefined when it can. */
export type DiffOutcome = 'task lists out of step' | 'too many changed tasks' | undefined;

/**
 * diffTasks over every framework of `state` but those taken whole (`wholesale`), against the same
 * framework of `previous`: by index, or by id when the frameworks changed (`byId`). Undefined, or
 * why it cannot be patched.
 */
export function diffFrameworks(
  previous: MasterState,
  state: MasterState,
  byId: boolean,
  fwSlots: readonly ReadonlyMap<string, TaskSlot>[],
  wholesale: ReadonlySet<string>,
  out: { removed: TaskSlot[]; added: AddedTask[]; rebound: Rebound },
  nextOrder: (fw: number) => number,
): string | undefined {
  const { removed, added, rebound } = out;
  const before = byId ? new Map(previous.frameworks.map((fw) => [fw.id, fw.tasks])) : undefined;
  for (let i = 0; i < state.frameworks.length; i++) {
    const fw = state.frameworks[i];
    if (wholesale.has(fw.id)) continue;
    const tasks = before === undefined ? previous.frameworks[i].tasks : before.get(fw.id)!;
    if (tasks === fw.tasks) continue;
    const why = diffTasks(tasks, fw.tasks, fwSlots[i], i, removed, added, nextOrder, rebound);
    if (why !== undefined) return why;
  }
  return undefined;
}

/** What differs besides the agents and frameworks (cluster-change.ts), or undefined when nothing does. */
export function sameOutside(a: MasterState, b: MasterState, ai: BuildInputs, bi: BuildInputs): string | undefined {
  if (ai.config !== bi.config) return 'a new config';
  if (!samePid(a.leader, b.leader)) return 'a new leader';
  if (ai.masters.length !== bi.masters.length || ai.masters.some((m, k) => !sameHostPort(m, bi.masters[k]))) return 'a new masters list';
  if (ai.selfAddresses.length !== bi.selfAddresses.length || ai.selfAddresses.some((s, k) => s !== bi.selfAddresses[k])) return 'new self addresses';
  return undefined;
}

/** Whether an agent or a framework (its list, id, name, hostname or pid) differs: their records are made again. */
export function clusterChanged(a: MasterState, b: MasterState): boolean {
  if (a.agents !== b.agents) return true;
  if (a.frameworks.length !== b.frameworks.length) return true;
  for (let i = 0; i < a.frameworks.length; i++) {
    const x = a.frameworks[i];
    const y = b.frameworks[i];
    if (x === y) continue;
    if (x.id !== y.id || x.name !== y.name || x.hostname !== y.hostname || !samePid(x.pid, y.pid)) return true;
  }
  return false;
}

function samePid(a: { name: string; host: string; port: number } | undefined, b: { name: string; host: string; port: number } | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.name === b.name && a.host === b.host && a.port === b.port);
}
