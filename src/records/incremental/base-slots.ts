// The incremental table's start (incremental-table.ts) over the base build's tasks: per framework
// its slots by task id, per task a TaskSlot holding ranges of the build's log and PTR entries (no
// copies, no view objects), each linked under the names it adds records to (contributors.ts).
// A generator: it yields every STEP_TASKS tasks, so that a start in steps (IncrementalTable.inSteps)
// holds the thread for a few ms at a time.
import type { MasterState, Task } from '../../mesos/state.js';
import type { BuiltParts } from '../build-table.js';
import { passesPolicy } from '../health-policy.js';
import type { HealthPolicy } from '../../config/schema.js';
import type { Frameworks } from './cluster-change.js';
import { FRAMEWORK_STRIDE, type TaskSlot } from './task-changes.js';

/** Tasks taken between two pauses of a start in steps (a few ms each). */
export const STEP_TASKS = 8192;

/** What the pass needs of the table it starts. */
export interface SlotSink {
  policy: HealthPolicy;
  /** The next build-order sequence number. */
  seq(): number;
  /** A task's records made again (a failing task's under a HealthPolicy: the base log holds back its shared names). */
  slotFor(fw: number, task: Task, order: number): TaskSlot;
  link(slot: TaskSlot): void;
  /** A framework or a task id twice: ids no longer name one place (the table refuses every patch). */
  broken(): void;
}

/**
 * The base build's frameworks and tasks into `fws`; returns the slots of failing tasks (under a
 * HealthPolicy). `baseShared`: per base log entry, 1 for a record a passing task added through
 * the health gate (null without a policy).
 */
export function* baseSlots(state: MasterState, parts: BuiltParts, fws: Frameworks, baseShared: Uint8Array | null, sink: SlotSink): Generator<void, TaskSlot[]> {
  const failing: TaskSlot[] = [];
  const log = parts.log;
  const ptrIds = parts.taskPtrIds;
  let sinceStep = 0;
  for (let i = 0; i < state.frameworks.length; i++) {
    const fw = state.frameworks[i];
    if (fws.index.has(fw.id)) sink.broken();
    fws.index.set(fw.id, i);
    fws.names.push(fw.name);
    const context = parts.contexts[i];
    fws.contexts.push(context === undefined ? undefined : { ...context, groups: new Map() });
    fws.bases.push(i);
    fws.byBase.set(i, i);
    const slots = new Map<string, TaskSlot>();
    fws.slots.push(slots);
    const span = parts.spans[i];
    for (let t = 0; t < fw.tasks.length; t++) {
      const task = fw.tasks[t];
      const order = i * FRAMEWORK_STRIDE + sink.seq();
      let slot: TaskSlot;
      // The base build's PTRs, as entry indexes (the reverse half makes them when a patch takes them out).
      const ptrFrom = ptrIds === null ? 0 : span[4 * t + 2];
      const ptrTo = ptrIds === null ? 0 : span[4 * t + 3];
      if (baseShared !== null && task.state === 'TASK_RUNNING' && !passesPolicy(sink.policy, task.running?.healthy)) {
        slot = { ...sink.slotFor(i, task, order), ptrs: null, ptrFrom, ptrTo };
        failing.push(slot);
      } else {
        // Ranges of the base build's log, not views: a view is an object per task (10 MB at 100,000).
        slot = { order, task, log, from: 3 * span[4 * t], to: 3 * span[4 * t + 1], ptrs: null, ptrFrom, ptrTo, shared: baseShared, failing: false };
      }
      const size = slots.size;
      slots.set(task.id, slot);
      if (slots.size === size) sink.broken(); // a task id twice
      sink.link(slot);
      if (++sinceStep === STEP_TASKS) {
        sinceStep = 0;
        yield;
      }
    }
  }
  return failing;
}
