// The Operator API stream's working copy of the cluster: frameworks, tasks and agents in Maps
// keyed by id, changed in place by the event reducer (operator-events.ts), so that an event costs
// the same whatever the number of tasks. The immutable reducer it replaces copied a framework's
// whole task list per event: quadratic when a failed-over master re-announces 100,000 tasks as
// TASK_ADDED events (issue 17).
//
// OWNERSHIP: a LiveState belongs to one OperatorStream and is changed only through applyEvent.
// What leaves it is `snapshot()`: plain MasterState values that are never changed afterwards (a
// change builds new arrays and objects for what it touched and shares the rest), so the table
// build may hold one while later events arrive.
//
// Order and de-duplication are those of the arrays the reducer used to copy: a Map keeps its
// insertion order, set() on a known key replaces the value in place and delete() keeps the order
// of the rest.
import type { Agent, Framework, MasterState, Pid, Task, TaskChange } from './state.js';
import type { StreamState } from './operator-state.js';
import { frameworkView, TaskList } from './task-list.js';

interface FrameworkEntry {
  /** The framework's own fields; its `tasks` are not read (they are `tasks` below). */
  framework: Framework;
  /** Its tasks; undefined until first needed (then made from `view`, see tasksOf). */
  tasks: TaskList | undefined;
  /** The materialized framework of the last snapshot; dropped when the entry changes. */
  view: Framework | undefined;
}

/**
 * Sets `state.changes`, not enumerable: it relates the value to the stream's log and is not part of
 * the state (comparisons and copies of the state leave it out; carryChanges keeps it on a copy).
 */
function setChanges(state: MasterState, changes: NonNullable<MasterState['changes']>): MasterState {
  Object.defineProperty(state, 'changes', { value: changes, enumerable: false, writable: false, configurable: true });
  return state;
}

/** `copy` (a changed copy of `state`, same tasks) with the place in the change log `state` had. */
export function carryChanges(state: MasterState, copy: MasterState): MasterState {
  return state.changes === undefined ? copy : setChanges(copy, state.changes);
}

/**
 * Changes kept in the log before it starts over (a reader further behind compares task lists
 * instead). Each entry holds the task it put, so a long log keeps replaced tasks alive (50,000 of
 * them were ~23 MB); the incremental table reads at most 2 x MAX_PATCH_TASKS (4,000) entries
 * behind a state (records/incremental/task-changes.ts), so a log past that only costs memory.
 */
const LOG_LIMIT = 8_192;

/**
 * The entry's tasks. After reset() they are made from the snapshot's list on first use:
 * publishing a 100,000-task snapshot then needs no index of them at all, and the first event that
 * touches a framework pays for its TaskList instead (view is defined whenever tasks is not).
 */
function tasksOf(entry: FrameworkEntry): TaskList {
  return (entry.tasks ??= new TaskList((entry.view as Framework).tasks));
}
/** One key per (framework id, task id): the length prefix keeps any two pairs apart. */
const waitingKey = (frameworkId: string, taskId: string): string => `${frameworkId.length}:${frameworkId}${taskId}`;

export class LiveState {
  readonly #leader: Pid;
  #agents = new Map<string, Agent>();
  #frameworks = new Map<string, FrameworkEntry>();
  /** Tasks whose framework is not known yet (see StreamState.waitingTasks), in arrival order. */
  #waiting = new Map<string, Task>();
  /** How many waiting tasks each framework has, so framework events skip the scan when none. */
  #waitingPerFramework = new Map<string, number>();
  #agentsView: Agent[] | undefined;
  #snapshot: StreamState | undefined;
  /** Task changes since the last reset, for the incremental table (MasterState.changes). */
  #log: { start: number; items: TaskChange[] } = { start: 0, items: [] };

  constructor(state: StreamState) {
    this.#leader = state.master.leader;
    this.reset(state);
  }

  /** Replaces everything with `state` (fresh from streamStateFromGetState, the caller keeps no
   * reference to change it): its arrays and frameworks become the first snapshot, so publishing a
   * new subscription's state costs no copy. */
  reset(state: StreamState): void {
    this.#agents = new Map(state.master.agents.map((a) => [a.id, a]));
    this.#frameworks = new Map();
    for (const fw of state.master.frameworks) {
      this.#frameworks.set(fw.id, { framework: fw, tasks: undefined, view: fw });
    }
    this.#waiting = new Map();
    this.#waitingPerFramework = new Map();
    for (const task of state.waitingTasks) this.#addWaiting(task);
    this.#agentsView = state.master.agents;
    // A new log: nothing relates this state to the one before it.
    this.#log = { start: 0, items: [] };
    setChanges(state.master, { log: this.#log, at: 0 });
    this.#snapshot = state;
  }

  get leader(): Pid {
    return this.#leader;
  }

  /** The current state as immutable values; the same object until something changes. */
  snapshot(): StreamState {
    if (this.#snapshot) return this.#snapshot;
    this.#agentsView ??= [...this.#agents.values()];
    const frameworks: Framework[] = [];
    for (const entry of this.#frameworks.values()) {
      entry.view ??= frameworkView<Framework>(withoutTasks(entry.framework), tasksOf(entry).chunks());
      frameworks.push(entry.view);
    }
    const log = this.#log;
    const master: MasterState = setChanges({ leader: this.#leader, agents: this.#agentsView, frameworks }, { log, at: log.start + log.items.length });
    return (this.#snapshot = { master, waitingTasks: [...this.#waiting.values()] });
  }

  hasAgent(id: string): boolean {
    return this.#agents.has(id);
  }

  hasFramework(id: string): boolean {
    return this.#frameworks.has(id);
  }

  /** The task with this id in this framework, or waiting for it. */
  task(frameworkId: string, id: string): Task | undefined {
    const entry = this.#frameworks.get(frameworkId);
    return entry ? tasksOf(entry).get(id) : this.#waiting.get(waitingKey(frameworkId, id));
  }

  /** Adds the task, or replaces the one with its id in place; it waits when its framework is unknown. */
  putTask(task: Task): void {
    const entry = this.#frameworks.get(task.frameworkId);
    if (entry) {
      const tasks = tasksOf(entry);
      this.#logChange(task.frameworkId, task.id, task, !tasks.has(task.id));
      tasks.set(task);
      this.#touch(entry);
    } else {
      this.#addWaiting(task);
      this.#snapshot = undefined;
    }
  }

  /** Removes the task; false when there was none. */
  removeTask(frameworkId: string, id: string): boolean {
    const entry = this.#frameworks.get(frameworkId);
    if (entry) {
      if (!tasksOf(entry).delete(id)) return false;
      this.#logChange(frameworkId, id, undefined, false);
      this.#touch(entry);
      return true;
    }
    if (!this.#waiting.delete(waitingKey(frameworkId, id))) return false;
    this.#countWaiting(frameworkId, -1);
    this.#snapshot = undefined;
    return true;
  }

  /** Adds the framework or replaces its fields in place, keeping its tasks; tasks waiting for it
   * join it, after its own, in their arrival order. */
  putFramework(framework: Framework): void {
    const known = this.#frameworks.get(framework.id);
    const tasks = known ? tasksOf(known) : new TaskList();
    const entry: FrameworkEntry = { framework, tasks, view: undefined };
    for (const task of this.#takeWaiting(framework.id)) {
      if (known) this.#logChange(framework.id, task.id, task, !tasks.has(task.id));
      tasks.set(task);
    }
    this.#frameworks.set(framework.id, entry);
    this.#snapshot = undefined;
  }

  /** Removes the framework, its tasks and the tasks waiting for it; false when none of those existed. */
  removeFramework(id: string): boolean {
    const removed = this.#frameworks.delete(id);
    const waited = this.#takeWaiting(id).length > 0;
    if (!removed && !waited) return false;
    // Its tasks go without a change each: the log starts over (a reader compares task lists).
    if (removed) this.#log = { start: 0, items: [] };
    this.#snapshot = undefined;
    return true;
  }

  /** Adds the agent, or replaces the one with its id in place. */
  putAgent(agent: Agent): void {
    this.#agents.set(agent.id, agent);
    this.#agentsView = undefined;
    this.#snapshot = undefined;
  }

  /** Removes the agent; false when there was none. */
  removeAgent(id: string): boolean {
    if (!this.#agents.delete(id)) return false;
    this.#agentsView = undefined;
    this.#snapshot = undefined;
    return true;
  }

  #logChange(frameworkId: string, id: string, task: Task | undefined, appended: boolean): void {
    let log = this.#log;
    if (log.items.length >= LOG_LIMIT) {
      // Starts over from here: snapshots taken before keep the old log, and a reader holding one
      // of them finds the new log is not its own.
      log = this.#log = { start: log.start + log.items.length, items: [] };
    }
    log.items.push({ frameworkId, id, task, appended });
  }

  #touch(entry: FrameworkEntry): void {
    entry.view = undefined;
    this.#snapshot = undefined;
  }

  #addWaiting(task: Task): void {
    const key = waitingKey(task.frameworkId, task.id);
    if (!this.#waiting.has(key)) this.#countWaiting(task.frameworkId, 1);
    this.#waiting.set(key, task);
  }

  /** Removes and returns the tasks waiting for this framework, in arrival order. */
  #takeWaiting(frameworkId: string): Task[] {
    if (!this.#waitingPerFramework.has(frameworkId)) return [];
    const taken: Task[] = [];
    for (const [key, task] of this.#waiting) {
      if (task.frameworkId !== frameworkId) continue;
      taken.push(task);
      this.#waiting.delete(key);
    }
    this.#waitingPerFramework.delete(frameworkId);
    return taken;
  }

  #countWaiting(frameworkId: string, delta: number): void {
    const n = (this.#waitingPerFramework.get(frameworkId) ?? 0) + delta;
    if (n > 0) this.#waitingPerFramework.set(frameworkId, n);
    else this.#waitingPerFramework.delete(frameworkId);
  }
}

/** A framework's own fields (its `tasks` are the live list's). */
function withoutTasks(framework: Framework): Omit<Framework, 'tasks'> {
  const { tasks: _tasks, ...own } = framework;
  return own;
}
