// What HealthPolicy costs the table build (records/health-policy.ts): buildTable on one generated
// state under each policy, in-process, the cases interleaved round by round so that the machine's
// load affects them alike. Health is set on the parsed state: every 10th task unhealthy, two in
// ten healthy, the rest never checked; the last case makes every task unhealthy, so every shared
// name falls back.
import { performance } from 'node:perf_hooks';
import type { HealthPolicy } from '../src/config/schema.js';
import { DEFAULTS, withTyped } from '../src/config/typed.js';
import type { MasterState } from '../src/mesos/state.js';
import { readStateBytes } from '../src/mesos/read-state.js';
import { buildTable } from '../src/records/build-table.js';
import { generateStateText } from './gen-state.js';
import { fixed, grouped, markdownTable, median } from './report.js';
import { BENCH_LISTENER, BENCH_MASTER_ENDPOINTS } from './state-table.js';

export interface HealthBuildRow {
  policy: HealthPolicy;
  health: 'mixed' | 'all unhealthy';
  tasks: number;
  failingTasks: number;
  fallbackNames: number;
  names: number;
  medianMs: number;
  rounds: number;
}

function withHealth(state: MasterState, allUnhealthy: boolean): MasterState {
  let i = 0;
  const frameworks = state.frameworks.map((fw) => ({
    ...fw,
    tasks: fw.tasks.map((task) => {
      const k = i++ % 10;
      if (task.running === undefined) return task;
      const healthy = allUnhealthy || k === 0 ? false : k <= 2 ? true : undefined;
      const running = { ...task.running };
      if (healthy === undefined) delete running.healthy;
      else running.healthy = healthy;
      return { ...task, running };
    }),
  }));
  return { ...state, frameworks };
}

export function runHealthBuild(tasks: number, rounds = 7): HealthBuildRow[] {
  const state = readStateBytes(Buffer.from(generateStateText(tasks, 1))).state;
  const cases: { policy: HealthPolicy; health: HealthBuildRow['health']; state: MasterState }[] = [
    { policy: 'ignore', health: 'mixed', state: withHealth(state, false) },
    { policy: 'exclude-unhealthy', health: 'mixed', state: withHealth(state, false) },
    { policy: 'only-healthy', health: 'mixed', state: withHealth(state, false) },
    { policy: 'exclude-unhealthy', health: 'all unhealthy', state: withHealth(state, true) },
  ];
  const times = cases.map(() => [] as number[]);
  const rows = cases.map((c): HealthBuildRow => ({ policy: c.policy, health: c.health, tasks, failingTasks: 0, fallbackNames: 0, names: 0, medianMs: 0, rounds }));
  // One warm-up round (not counted): the first build runs before V8 has optimised the builder.
  for (let round = -1; round < rounds; round++) {
    cases.forEach((c, i) => {
      const config = withTyped({ ...DEFAULTS, HealthPolicy: c.policy });
      const started = performance.now();
      const table = buildTable(c.state, { config, masters: BENCH_MASTER_ENDPOINTS, addresses: new Map(), selfAddresses: [BENCH_LISTENER], serial: 1 });
      const ms = performance.now() - started;
      if (round < 0) return;
      times[i].push(ms);
      rows[i].failingTasks = table.health?.failingTasks ?? 0;
      rows[i].fallbackNames = table.health?.fallbackNames ?? 0;
      rows[i].names = table.names.size;
    });
  }
  rows.forEach((r, i) => (r.medianMs = median(times[i])));
  return rows;
}

export function formatHealthBuild(rows: readonly HealthBuildRow[]): string {
  const base = rows[0]?.medianMs ?? NaN;
  return markdownTable(
    ['HealthPolicy', 'health', 'tasks', 'failing tasks', 'fallback names', 'names', 'build ms (median)', 'vs ignore'],
    rows.map((r) => [r.policy, r.health, grouped(r.tasks), grouped(r.failingTasks), grouped(r.fallbackNames), grouped(r.names), fixed(r.medianMs, 1), `${fixed(r.medianMs / base, 2)}x`]),
  );
}
