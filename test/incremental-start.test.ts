// The incremental table's start (incremental-table.ts): the per-name child counts it takes from
// the build (TableBuilder.finish, empty-non-terminals.ts ChildLinks) instead of finding every
// name's parent again, and the start in steps (IncrementalTable.inSteps) that publish.ts runs
// with turns of the event loop between them.
import { describe, expect, it } from '@jest/globals';
import type { MasterState, Task } from '../src/mesos/state.js';
import { buildTable, buildTableParts, type BuildInputs } from '../src/records/build-table.js';
import { DCOS_ZONE } from '../src/records/dcos-names.js';
import { firstDifference } from '../src/records/incremental/compare-tables.js';
import { IncrementalTable } from '../src/records/incremental/incremental-table.js';
import { nameAt } from '../src/records/packed-table.js';
import { fixtureState, inputs } from './helpers/build-table.js';
import { syntheticState, syntheticTask } from './helpers/workers.js';

/** Per name: its existing children inside the zones (apexes not counted), from the table's names as text. */
function childCountsOf(existing: Iterable<string>, zones: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const name of existing) {
    if (zones.includes(name) || !zones.some((z) => name.endsWith(`.${z}`))) continue;
    const parent = name.slice(name.indexOf('.') + 1);
    out.set(parent, (out.get(parent) ?? 0) + 1);
  }
  return out;
}

const launched = (state: MasterState, t: Task): MasterState => ({ ...state, frameworks: [{ ...state.frameworks[0], tasks: [...state.frameworks[0].tasks, t] }] });
const extra = (id: string, ip: string): Task => syntheticTask(id, 'extra', ip);

describe('the incremental table start', () => {
  const cases: Array<[string, () => MasterState, BuildInputs, string[]]> = [
    ['the fixture', fixtureState, inputs(), ['mesos.']],
    ['the fixture, DcosNames', fixtureState, inputs({ config: { DcosNames: true } }), ['mesos.', DCOS_ZONE]],
    // The DC/OS zone inside the Mesos one: a name of both is one child, the inner apex none.
    ['the fixture, DcosNames under Domain "directory"', fixtureState, inputs({ config: { DcosNames: true, Domain: 'directory', SOAMname: 'ns1.directory.' } }), ['directory.', DCOS_ZONE]],
    ['300 synthetic tasks', () => syntheticState(300), inputs(), ['mesos.']],
  ];
  it.each(cases)('takes from the build of %s each name’s count of existing children, as its names give them', (_, state, input, zones) => {
    const parts = buildTableParts(state(), input);
    const expected = childCountsOf(parts.table.existing, zones);
    expect(expected.size).toBeGreaterThan(3);
    const got = new Map<string, number>();
    parts.children.forEach((n, id) => n > 0 && got.set(nameAt(parts.packed, id), n));
    expect(got).toEqual(expected);
  });

  it('starts in steps with a pause after each whole-table pass and every 8192 tasks, and its table patches as the one started in one go', async () => {
    const state = syntheticState(20_000);
    const input = inputs({ config: { PtrOn: true } });
    let pauses = 0;
    const stepped = await IncrementalTable.inSteps(state, input, buildTableParts(state, input), async () => {
      pauses++;
      return true;
    });
    // After the passes over the base's addresses, names and records, two slices of tasks (the
    // third one runs on), and before the PTRs' part.
    expect(pauses).toBe(6);
    const oneGo = new IncrementalTable(state, input, buildTableParts(state, input));
    const next = launched(state, extra('x.1', '10.9.0.1'));
    const fresh = buildTable(next, input);
    for (const table of [stepped!, oneGo]) {
      const patch = table.apply(next, input);
      expect(patch?.touched).toContain('extra.marathon.mesos.');
      expect(firstDifference(patch!.table, fresh)).toBeUndefined();
    }
  });

  it('is given up when a pause says so', async () => {
    const state = syntheticState(10_000);
    const input = inputs();
    let pauses = 0;
    const table = await IncrementalTable.inSteps(state, input, buildTableParts(state, input), async () => ++pauses < 1);
    expect(table).toBeUndefined();
    expect(pauses).toBe(1);
  });
});
