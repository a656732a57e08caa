// A new document of the same cluster (a new subscription's snapshot, or the first one after a
// poll) gives every task as a new object. The incremental table compares those by content
// (same-task.ts), so a 5,000-task snapshot that differs from the table's state in two tasks is a
// patch of those two, equal to a fresh build, instead of a refusal ("too many changed tasks") and a
// full build; and a snapshot in which every task changed is still left to a full build.
import { describe, expect, it } from '@jest/globals';
import { generateStateText } from '../bench/gen-state.js';
import { parseStateText } from '../src/mesos/parse-state.js';
import type { MasterState, Task } from '../src/mesos/state.js';
import { buildTable, buildTableParts } from '../src/records/build-table.js';
import { firstDifference } from '../src/records/incremental/compare-tables.js';
import { IncrementalTable, MAX_PATCH_TASKS } from '../src/records/incremental/incremental-table.js';
import { sameTask } from '../src/records/incremental/same-task.js';
import { inputs } from './helpers/build-table.js';

const TASKS = 5000;

/** `state` as a new document gives it: every object new (JSON.parse makes new ones). */
function reread(state: MasterState): MasterState {
  return JSON.parse(JSON.stringify(state)) as MasterState;
}

function tasksOf(state: MasterState): Task[] {
  return state.frameworks.flatMap((fw) => [...fw.tasks]);
}

describe('a new document of the same cluster', () => {
  const input = inputs({ masters: [], addresses: new Map() });
  const first = parseStateText(generateStateText(TASKS, 3));
  first.leader = { name: 'master', host: '10.0.9.1', port: 5050 };

  it('is patched in the tasks that differ, and equals a fresh build', () => {
    expect(TASKS).toBeGreaterThan(2 * MAX_PATCH_TASKS);
    const engine = new IncrementalTable(first, input, buildTableParts(first, input));
    const next = reread(first);
    const fw = next.frameworks[0];
    const moved = fw.tasks[3];
    // One task with a new container address, one task more, one task gone.
    (fw.tasks as Task[])[3] = { ...moved, running: { timestamp: 2, networkIPs: ['172.31.9.9'], mesosLabelIPs: [], dockerLabelIPs: [] } };
    (fw.tasks as Task[]).push({ ...fw.tasks[0], id: 'snapshot-only.1', name: 'snapshot-only', running: { timestamp: 2, networkIPs: ['172.31.9.10'], mesosLabelIPs: [], dockerLabelIPs: [] } });
    (fw.tasks as Task[]).splice(7, 1);
    const at = { ...input, serial: input.serial + 1 };
    const patch = engine.apply(next, at);
    expect(engine.refusal).toBe('');
    expect(patch).toBeDefined();
    expect(firstDifference(patch!.table, buildTable(next, at))).toBeUndefined();
    expect(patch!.table.names.get(`snapshot-only.${frameworkLabel(next)}.mesos.`)?.a).toEqual(['172.31.9.10']);
    // The touched names are the three tasks' (and the agents' and frameworks', made again), not every task's.
    expect(patch!.touched.length).toBeLessThan(200);

    // The kept tasks' slots now hold the new objects: an event on this state (the stream's
    // identity diff) is patched too.
    const later = { ...next, frameworks: next.frameworks.map((f, i) => (i === 0 ? { ...f, tasks: f.tasks.filter((_, k) => k !== 0) } : f)) };
    const at2 = { ...input, serial: input.serial + 2 };
    const second = engine.apply(later, at2);
    expect(engine.refusal).toBe('');
    expect(firstDifference(second!.table, buildTable(later, at2))).toBeUndefined();
  });

  it('is left to a full build when every task changed', () => {
    const engine = new IncrementalTable(first, input, buildTableParts(first, input));
    const next = reread(first);
    for (const task of tasksOf(next)) task.ports = [...task.ports, 40000];
    expect(engine.apply(next, { ...input, serial: input.serial + 1 })).toBeUndefined();
    expect(engine.refusal).toBe('too many changed tasks');
  });
});

function frameworkLabel(state: MasterState): string {
  return state.frameworks[0].name.toLowerCase();
}

describe('sameTask', () => {
  const task: Task = {
    id: 't1',
    name: 'web',
    frameworkId: 'fw1',
    agentId: 'a1',
    state: 'TASK_RUNNING',
    ports: [31000],
    idHash: 'abcde',
    running: { timestamp: 1, networkIPs: ['10.0.0.1'], mesosLabelIPs: [], dockerLabelIPs: [], healthy: true },
    addressing: { hostPorts: false, vips: [{ vip: '/web:80', protocol: 'tcp', port: 80, hostPort: false }] },
  };
  it.each<[string, Task, boolean]>([
    ['a copy', structuredClone(task), true],
    ['without idHash (a reader that did not compute it)', (({ idHash: _, ...t }) => t)(task), true],
    ['an absent member against one set to undefined', { ...structuredClone(task), discovery: undefined }, true],
    ['another port', { ...task, ports: [31001] }, false],
    ['one port more', { ...task, ports: [31000, 31001] }, false],
    ['another container address', { ...task, running: { ...task.running!, networkIPs: ['10.0.0.2'] } }, false],
    ['no health check result', { ...task, running: { ...task.running!, healthy: undefined } }, false],
    ['a VIP on another port', { ...task, addressing: { hostPorts: false, vips: [{ vip: '/web:80', protocol: 'tcp', port: 81, hostPort: false }] } }, false],
    ['DiscoveryInfo added', { ...task, discovery: { name: 'web', ports: [] } }, false],
    ['a member a later version adds', { ...task, extra: 1 } as Task, false],
    ['another state', { ...task, state: 'TASK_KILLING' }, false],
  ])('%s', (_, other, same) => {
    expect(sameTask(task, other)).toBe(same);
    expect(sameTask(other, task)).toBe(same);
  });
});
