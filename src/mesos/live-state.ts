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
import type { Agent, Framework, MasterState, Pid, Task } from './state.js';
import type { StreamState } from './operator-state.js';

interface FrameworkEntry {
  /** The framework's own fields; its `tasks` are not read (they are `tasks` below). */
  framework: Framework;
  /** Its tasks by id; undefined until first needed (then made from `view`, see tasksOf). */
  tasks: Map<string, Task> | undefined;
  /** The materialized framework of the last snapshot; dropped when the entry changes. */
  view: Framework | undefined;
}

/**
 * The entry's tasks by id. After reset() they are made from the snapshot's list on first use:
 * publishing a 100,000-task snapshot then needs no Map of them at all, and the first event that
 * touches a framework pays for its Map instead (view is defined whenever tasks is not).
 */
function tasksOf(entry: FrameworkEntry): Map<string, Task> {
  return (entry.tasks ??= new Map((entry.view as Framework).tasks.map((t) => [t.id, t])));
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
      entry.view ??= { ...entry.framework, tasks: [...tasksOf(entry).values()] };
      frameworks.push(entry.view);
    }
    const master: MasterState = { leader: this.#leader, agents: this.#agentsView, frameworks };
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
      tasksOf(entry).set(task.id, task);
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
    const tasks = known ? tasksOf(known) : new Map<string, Task>();
    const entry: FrameworkEntry = { framework, tasks, view: undefined };
    for (const task of this.#takeWaiting(framework.id)) tasks.set(task.id, task);
    this.#frameworks.set(framework.id, entry);
    this.#snapshot = undefined;
  }

  /** Removes the framework, its tasks and the tasks waiting for it; false when none of those existed. */
  removeFramework(id: string): boolean {
    const removed = this.#frameworks.delete(id);
    const waited = this.#takeWaiting(id).length > 0;
    if (!removed && !waited) return false;
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
