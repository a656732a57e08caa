// The Operator API event reducer: applies one v1 Event JSON to the stream's LiveState. Each event
// costs the same whatever the number of tasks (Map lookups, no copy of a task list); the state
// is changed in place, which is why LiveState has one owner (see live-state.ts for what that
// means for the MasterState values it hands out). A malformed event is rejected before anything
// changes; the stream skips it (skippedEvent) and goes on.
// Event semantics follow master.proto and dcos-net's consumer of the same stream.
import { StateParseError } from '../errors.js';
import type { SkippedElement, Task } from './state.js';
import { LiveState } from './live-state.js';
import {
  frameworkFromInfo, fromAgent, fromFramework, fromTask, idValue, isTerminal, keepNetwork, object, runningFromStatus,
  skippedV1, streamStateFromGetState, type StreamState,
} from './operator-state.js';

export { LiveState };
export type { StreamState };

/**
 * Applies `event` to `live`; returns false when the event left it as it was (HEARTBEAT, unknown
 * tasks, unknown event types). Throws StateParseError, with `live` unchanged, when an event of a
 * known type is malformed; the stream then resubscribes rather than drift away from the master's
 * view.
 */
export function applyEvent(live: LiveState, event: unknown): boolean {
  const ev = object(event, 'event');
  switch (ev.type) {
    case 'SUBSCRIBED':
      // Normally consumed by the stream itself; handled here so a replayed event log folds cleanly.
      live.reset(streamStateFromGetState(object(ev.subscribed, 'subscribed').get_state, live.leader));
      return true;
    case 'HEARTBEAT':
      return false;
    case 'TASK_ADDED':
      // Also sent for every task of an agent re-registering after a master failover, so a known
      // task is replaced, not duplicated.
      return putTask(live, fromTask(object(ev.task_added, 'task_added').task));
    case 'TASK_UPDATED':
      return updateTask(live, object(ev.task_updated, 'task_updated'));
    case 'FRAMEWORK_ADDED':
      live.putFramework(fromFramework(object(ev.framework_added, 'framework_added').framework));
      return true;
    case 'FRAMEWORK_UPDATED':
      // Replaces the framework's own fields and keeps its tasks.
      live.putFramework(fromFramework(object(ev.framework_updated, 'framework_updated').framework));
      return true;
    case 'FRAMEWORK_REMOVED': {
      // Teardown or failover timeout: the framework and all its tasks go.
      const info = object(object(ev.framework_removed, 'framework_removed').framework_info, 'framework_removed.framework_info');
      return live.removeFramework(frameworkFromInfo(info).id);
    }
    case 'AGENT_ADDED':
      live.putAgent(fromAgent(object(ev.agent_added, 'agent_added').agent));
      return true;
    case 'AGENT_REMOVED':
      // Only the agent goes. Its tasks stay (MESOS-5965: the agent may come back) but produce no
      // records, because records are built only for tasks on known agents, as in mesos-dns.
      return live.removeAgent(idValue(object(ev.agent_removed, 'agent_removed').agent_id, 'agent_removed.agent_id'));
    default:
      // Event types added by later Mesos versions (or UNKNOWN) carry nothing DNS needs.
      return false;
  }
}

/** Per event type: the kind of element it carries, where that is, and where that keeps its id. */
const EVENT_ELEMENTS: Record<string, [SkippedElement['kind'], readonly string[], readonly string[]]> = {
  TASK_ADDED: ['task', ['task_added', 'task'], ['task_id']],
  TASK_UPDATED: ['task', ['task_updated'], ['status', 'task_id']],
  FRAMEWORK_ADDED: ['framework', ['framework_added', 'framework'], ['framework_info', 'id']],
  FRAMEWORK_UPDATED: ['framework', ['framework_updated', 'framework'], ['framework_info', 'id']],
  FRAMEWORK_REMOVED: ['framework', ['framework_removed'], ['framework_info', 'id']],
  AGENT_ADDED: ['agent', ['agent_added', 'agent'], ['agent_info', 'id']],
  AGENT_REMOVED: ['agent', ['agent_removed'], ['agent_id']],
};

/**
 * The skip entry for an event that applyEvent refused with `err`, for the stream to skip it and
 * go on; rethrows `err` when the event is not one element's (not an object, SUBSCRIBED) or the
 * error is not a StateParseError.
 */
export function skippedEvent(event: unknown, err: unknown): SkippedElement {
  const type = typeof event === 'object' && event !== null ? (event as Record<string, unknown>).type : undefined;
  const known = typeof type === 'string' ? EVENT_ELEMENTS[type] : undefined;
  if (!known || !(err instanceof StateParseError)) throw err;
  const [kind, at, idPath] = known;
  let element: unknown = event;
  for (const key of at) element = typeof element === 'object' && element !== null ? (element as Record<string, unknown>)[key] : undefined;
  return skippedV1(kind, `${type} event`, element, err, idPath);
}

function putTask(live: LiveState, task: Task): boolean {
  if (isTerminal(task.state)) return live.removeTask(task.frameworkId, task.id);
  live.putTask(task);
  return true;
}

/**
 * TASK_UPDATED{framework_id, status, state}. `state` is the agent's newest state and may be ahead
 * of `status`, which is the last status the scheduler acknowledged: lifecycle decisions use `state`
 * (dcos-net#56). The IPs, their port mappings (a pod's host ports) and `healthy` can only come
 * from a status, so they are taken from `status` when that status is a TASK_RUNNING one.
 */
function updateTask(live: LiveState, update: Record<string, unknown>): boolean {
  const frameworkId = idValue(update.framework_id, 'task_updated.framework_id');
  const status = object(update.status, 'task_updated.status');
  const id = idValue(status.task_id, 'task_updated.status.task_id');
  const newState = typeof update.state === 'string' && update.state !== '' ? update.state : status.state;
  if (typeof newState !== 'string' || newState === '') return false;

  const current = live.task(frameworkId, id);
  // An update for a task we never saw (added before our snapshot and already gone, or a task of a
  // completed framework) has nothing to update.
  if (!current) return false;
  if (isTerminal(newState)) return live.removeTask(frameworkId, id);

  const next: Task = { ...current, state: newState };
  if (status.state === 'TASK_RUNNING') {
    const running = runningFromStatus(status);
    // Keep the newest RUNNING status, as the snapshot conversion does (largest timestamp wins),
    // and the container addresses of the one before when it brings none (keepNetwork).
    if (!current.running || running.timestamp >= current.running.timestamp) next.running = current.running ? keepNetwork(running, current.running) : running;
  }
  live.putTask(next);
  return true;
}
