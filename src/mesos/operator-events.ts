// The Operator API event reducer: (StreamState, v1 Event JSON) → new StreamState. PURE and
// immutable: the input state is never modified; unchanged frameworks, tasks and agents are shared
// between the old and the new value, so a burst of events costs little.
// Event semantics follow master.proto and dcos-net's consumer of the same stream.
import type { Agent, Framework, Task } from './state.js';
import {
  frameworkFromInfo, fromAgent, fromFramework, fromTask, idValue, isTerminal, object, runningFromStatus,
  streamStateFromGetState, type StreamState,
} from './operator-state.js';

export type { StreamState };

export interface EventResult {
  state: StreamState;
  /** false when the event left the state as it was (HEARTBEAT, unknown tasks, unknown event types). */
  changed: boolean;
}

/** Throws StateParseError when an event of a known type is malformed; the stream then resubscribes
 * rather than drift away from the master's view. */
export function applyEvent(state: StreamState, event: unknown): EventResult {
  const ev = object(event, 'event');
  switch (ev.type) {
    case 'SUBSCRIBED':
      // Normally consumed by the stream itself; handled here so a replayed event log folds cleanly.
      return { state: streamStateFromGetState(object(ev.subscribed, 'subscribed').get_state, state.master.leader), changed: true };
    case 'HEARTBEAT':
      return { state, changed: false };
    case 'TASK_ADDED':
      // Also sent for every task of an agent re-registering after a master failover, so a known
      // task is replaced, not duplicated.
      return putTask(state, fromTask(object(ev.task_added, 'task_added').task));
    case 'TASK_UPDATED':
      return updateTask(state, object(ev.task_updated, 'task_updated'));
    case 'FRAMEWORK_ADDED':
      return putFramework(state, fromFramework(object(ev.framework_added, 'framework_added').framework));
    case 'FRAMEWORK_UPDATED':
      return putFramework(state, fromFramework(object(ev.framework_updated, 'framework_updated').framework));
    case 'FRAMEWORK_REMOVED': {
      const info = object(object(ev.framework_removed, 'framework_removed').framework_info, 'framework_removed.framework_info');
      return removeFramework(state, frameworkFromInfo(info).id);
    }
    case 'AGENT_ADDED':
      return putAgent(state, fromAgent(object(ev.agent_added, 'agent_added').agent));
    case 'AGENT_REMOVED':
      return removeAgent(state, idValue(object(ev.agent_removed, 'agent_removed').agent_id, 'agent_removed.agent_id'));
    default:
      // Event types added by later Mesos versions (or UNKNOWN) carry nothing DNS needs.
      return { state, changed: false };
  }
}

const unchanged = (state: StreamState): EventResult => ({ state, changed: false });

function sameTask(a: Task, b: { id: string; frameworkId: string }): boolean {
  return a.id === b.id && a.frameworkId === b.frameworkId;
}

/** Where a task lives: index into its framework's task list, or into the waiting tasks when
 * `framework` is -1. */
type TaskLocation = { framework: number; index: number } | undefined;

function locate(state: StreamState, key: { id: string; frameworkId: string }): TaskLocation {
  const fwIndex = state.master.frameworks.findIndex((f) => f.id === key.frameworkId);
  if (fwIndex >= 0) {
    const index = state.master.frameworks[fwIndex].tasks.findIndex((t) => sameTask(t, key));
    return index >= 0 ? { framework: fwIndex, index } : undefined;
  }
  const index = state.waitingTasks.findIndex((t) => sameTask(t, key));
  return index >= 0 ? { framework: -1, index } : undefined;
}

function withTaskAt(state: StreamState, at: NonNullable<TaskLocation>, task: Task | undefined): StreamState {
  const replace = (list: Task[]): Task[] =>
    task ? list.map((t, i) => (i === at.index ? task : t)) : list.filter((_, i) => i !== at.index);
  if (at.framework < 0) return { master: state.master, waitingTasks: replace(state.waitingTasks) };
  const frameworks = state.master.frameworks.map((f, i) => (i === at.framework ? { ...f, tasks: replace(f.tasks) } : f));
  return { master: { ...state.master, frameworks }, waitingTasks: state.waitingTasks };
}

function putTask(state: StreamState, task: Task): EventResult {
  const at = locate(state, task);
  if (isTerminal(task.state)) return at ? { state: withTaskAt(state, at, undefined), changed: true } : unchanged(state);
  if (at) return { state: withTaskAt(state, at, task), changed: true };
  const fwIndex = state.master.frameworks.findIndex((f) => f.id === task.frameworkId);
  if (fwIndex < 0) return { state: { master: state.master, waitingTasks: [...state.waitingTasks, task] }, changed: true };
  const frameworks = state.master.frameworks.map((f, i) => (i === fwIndex ? { ...f, tasks: [...f.tasks, task] } : f));
  return { state: { master: { ...state.master, frameworks }, waitingTasks: state.waitingTasks }, changed: true };
}

/**
 * TASK_UPDATED{framework_id, status, state}. `state` is the agent's newest state and may be ahead
 * of `status`, which is the last status the scheduler acknowledged: lifecycle decisions use `state`
 * (dcos-net#56). The IPs and `healthy` can only come from a status, so they are taken from `status`
 * when that status is a TASK_RUNNING one.
 */
function updateTask(state: StreamState, update: Record<string, unknown>): EventResult {
  const frameworkId = idValue(update.framework_id, 'task_updated.framework_id');
  const status = object(update.status, 'task_updated.status');
  const id = idValue(status.task_id, 'task_updated.status.task_id');
  const newState = typeof update.state === 'string' && update.state !== '' ? update.state : status.state;
  if (typeof newState !== 'string' || newState === '') return unchanged(state);

  const at = locate(state, { id, frameworkId });
  // An update for a task we never saw (added before our snapshot and already gone, or a task of a
  // completed framework) has nothing to update.
  if (!at) return unchanged(state);
  if (isTerminal(newState)) return { state: withTaskAt(state, at, undefined), changed: true };

  const current = at.framework < 0 ? state.waitingTasks[at.index] : state.master.frameworks[at.framework].tasks[at.index];
  const next: Task = { ...current, state: newState };
  if (status.state === 'TASK_RUNNING') {
    const running = runningFromStatus(status);
    // Keep the newest RUNNING status, as the snapshot conversion does (largest timestamp wins).
    if (!current.running || running.timestamp >= current.running.timestamp) next.running = running;
  }
  return { state: withTaskAt(state, at, next), changed: true };
}

/** FRAMEWORK_ADDED / FRAMEWORK_UPDATED: add or replace the framework's own fields, keep its tasks,
 * and adopt any tasks that were waiting for it. */
function putFramework(state: StreamState, framework: Framework): EventResult {
  const adopted = state.waitingTasks.filter((t) => t.frameworkId === framework.id);
  const waitingTasks = adopted.length > 0 ? state.waitingTasks.filter((t) => t.frameworkId !== framework.id) : state.waitingTasks;
  const fwIndex = state.master.frameworks.findIndex((f) => f.id === framework.id);
  const frameworks =
    fwIndex >= 0
      ? state.master.frameworks.map((f, i) => (i === fwIndex ? { ...framework, tasks: [...f.tasks, ...adopted] } : f))
      : [...state.master.frameworks, { ...framework, tasks: adopted }];
  return { state: { master: { ...state.master, frameworks }, waitingTasks }, changed: true };
}

/** FRAMEWORK_REMOVED (teardown or failover timeout): the framework and all its tasks go. */
function removeFramework(state: StreamState, frameworkId: string): EventResult {
  const frameworks = state.master.frameworks.filter((f) => f.id !== frameworkId);
  const waitingTasks = state.waitingTasks.filter((t) => t.frameworkId !== frameworkId);
  if (frameworks.length === state.master.frameworks.length && waitingTasks.length === state.waitingTasks.length) {
    return unchanged(state);
  }
  return { state: { master: { ...state.master, frameworks }, waitingTasks }, changed: true };
}

function putAgent(state: StreamState, agent: Agent): EventResult {
  const index = state.master.agents.findIndex((a) => a.id === agent.id);
  const agents = index >= 0 ? state.master.agents.map((a, i) => (i === index ? agent : a)) : [...state.master.agents, agent];
  return { state: { master: { ...state.master, agents }, waitingTasks: state.waitingTasks }, changed: true };
}

/** AGENT_REMOVED: only the agent goes. Its tasks stay (MESOS-5965: the agent may come back) but
 * produce no records, because records are built only for tasks on known agents, as in mesos-dns. */
function removeAgent(state: StreamState, agentId: string): EventResult {
  const agents = state.master.agents.filter((a) => a.id !== agentId);
  if (agents.length === state.master.agents.length) return unchanged(state);
  return { state: { master: { ...state.master, agents }, waitingTasks: state.waitingTasks }, changed: true };
}
