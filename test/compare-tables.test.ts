// The incremental table's consistency check (records/incremental/compare-tables.ts firstDifference):
// a patched table (an overlay over a packed base), or a full build, against a fresh build. It
// compares as bytes the names where the (base) table and the fresh build differ, plus the names the
// overlay changed; these cases check that it still finds every kind of difference, wherever it lies.
import { describe, expect, it } from '@jest/globals';
import type { MasterState, Task } from '../src/mesos/state.js';
import { buildTable, buildTableParts, type BuildInputs } from '../src/records/build-table.js';
import { firstDifference } from '../src/records/incremental/compare-tables.js';
import { IncrementalTable } from '../src/records/incremental/incremental-table.js';
import type { RecordTable } from '../src/records/table.js';
import { inputs } from './helpers/build-table.js';
import { syntheticState, syntheticTask, withTasks } from './helpers/workers.js';

const input: BuildInputs = { ...inputs(), masters: [] };
const state = syntheticState(400);
const tasks = state.frameworks[0].tasks as Task[];
const launched = withTasks(state, [...tasks, syntheticTask('x.1', 'extra', '10.9.0.1')]);

/** The table of `launched` as the incremental table patches it from `state`'s build. */
function patchedTable(): RecordTable {
  const engine = new IncrementalTable(state, input, buildTableParts(state, input));
  const patch = engine.apply(launched, { ...input, serial: 2 });
  expect(patch?.table.overlay).toBeDefined();
  return patch!.table;
}

const fresh = (s: MasterState): RecordTable => buildTable(s, { ...input, serial: 2 });
const moved = (i: number, ip: string): Task[] => tasks.map((t, k) => (k === i ? syntheticTask(t.id, t.name, ip) : t));

describe('firstDifference of a patched table and a fresh build', () => {
  it('finds none for the same state', () => {
    expect(firstDifference(patchedTable(), fresh(launched))).toBeUndefined();
  });

  it.each<[string, () => MasterState, (name: string) => boolean]>([
    ['a base name with other records (a task moved)', () => withTasks(launched, [...moved(7, '10.8.0.7'), launched.frameworks[0].tasks.at(-1)!]), (n) => n.includes(tasks[7].name)],
    ['a base name gone (its only task ended)', () => withTasks(launched, launched.frameworks[0].tasks.filter((t) => t.name !== tasks[0].name)), (n) => n.includes(tasks[0].name)],
    ['a name the base lacks', () => withTasks(launched, [...launched.frameworks[0].tasks, syntheticTask('y.1', 'other', '10.9.0.2')]), (n) => n.includes('other')],
    ['a name the overlay added and the fresh build lacks', () => state, (n) => n.includes('extra')],
    ['a name the overlay changed', () => withTasks(launched, [...tasks, syntheticTask('x.1', 'extra', '10.9.0.99')]), (n) => n.includes('extra')],
  ])('finds %s', (_, other, named) => {
    const found = firstDifference(patchedTable(), fresh(other()));
    expect(found).toBeDefined();
    expect(named(found!)).toBe(true);
  });
});

describe('firstDifference of two full builds', () => {
  it('finds none for the same state, and the name that differs otherwise', () => {
    expect(firstDifference(fresh(launched), fresh(launched))).toBeUndefined();
    const other = withTasks(launched, [...moved(7, '10.8.0.7'), launched.frameworks[0].tasks.at(-1)!]);
    expect(firstDifference(fresh(launched), fresh(other))).toContain(tasks[7].name);
    expect(firstDifference(fresh(state), fresh(launched))).toContain('extra');
  });
});
