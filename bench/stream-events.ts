// Issue 16's CPU figure: task events per second patched into the table on one core, at several
// cluster sizes. In-process and single-threaded: the synthetic cluster (gen-state.ts) is loaded
// into the stream's LiveState, built once in full, then each event (a launch or a kill of a task
// with a container address, alternating) goes through what the server does with it: the
// reducer's change, the immutable snapshot, the patch into the table (records/incremental/) and
// the swap that hands it to the answer caches. Reported per size: events/s, the per-event mean
// and p99, the full build the patch replaces, and the heap and RSS held.
// Variants: 'tasks' (the default config), 'health-dcos' (HealthPolicy exclude-unhealthy and
// DcosNames on; every other launch unhealthy), 'agents' (an agent's address changes and changes
// back: the agent names and every task on that agent are made again).
import { DEFAULTS, withTyped } from '../src/config/typed.js';
import { LiveState } from '../src/mesos/live-state.js';
import { parseState } from '../src/mesos/parse-state.js';
import type { Task } from '../src/mesos/state.js';
import { buildTableParts, type BuildInputs } from '../src/records/build-table.js';
import { IncrementalTable } from '../src/records/incremental/incremental-table.js';
import { TableStore } from '../src/store.js';
import { masters } from '../test/helpers/masters.js';
import { generateState } from './gen-state.js';

export type StreamEventsVariant = 'tasks' | 'health-dcos' | 'agents';

export interface StreamEventsRow {
  variant: StreamEventsVariant;
  tasks: number;
  events: number;
  eventsPerSecond: number;
  meanMs: number;
  p99Ms: number;
  /** A full build of the same state (what each event cost before). */
  fullBuildMs: number;
  /** Starting the incremental table from a full build. */
  startMs: number;
  heapMB: number;
  rssMB: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function runStreamEvents(tasks: number, events = 2000, variant: StreamEventsVariant = 'tasks'): StreamEventsRow {
  const state = parseState(generateState(tasks, 7));
  const live = new LiveState({ master: state, waitingTasks: [] });
  const config = variant === 'health-dcos' ? withTyped({ ...DEFAULTS, HealthPolicy: 'exclude-unhealthy', DcosNames: true }) : DEFAULTS;
  const inputs: BuildInputs = { config, masters: masters(['10.0.0.1:5050']), addresses: new Map(), selfAddresses: ['127.0.0.1'], serial: 1 };
  const store = new TableStore();
  let snapshot = live.snapshot().master;
  const t0 = performance.now();
  const parts = buildTableParts(snapshot, inputs);
  const t1 = performance.now();
  const engine = new IncrementalTable(snapshot, inputs, parts);
  const t2 = performance.now();
  store.swap(parts.table);

  // Launches copy a running task of the largest framework under a new id and address; kills take them out again.
  const fw = snapshot.frameworks.reduce((a, b) => (b.tasks.length > a.tasks.length ? b : a));
  const template = fw.tasks.find((t) => t.state === 'TASK_RUNNING') as Task;
  const agents = snapshot.agents.filter((a) => a.pid !== undefined);
  const times: number[] = [];
  const started = performance.now();
  for (let i = 0; i < events; i++) {
    const at = performance.now();
    const k = i >> 1;
    if (variant === 'agents') {
      // agent k's address moves to 10.254.x.y and back
      const agent = agents[k % agents.length];
      const host = i % 2 === 0 ? `10.254.${(k >> 8) & 255}.${k & 255}` : agent.pid!.host;
      live.putAgent({ ...agent, pid: { ...agent.pid!, host } });
    } else if (i % 2 === 0) {
      const healthy = variant === 'health-dcos' ? { healthy: k % 2 === 0 } : {};
      live.putTask({ ...template, id: `bench-${k}`, idHash: undefined, running: { timestamp: 1, networkIPs: [`172.31.${(k >> 8) & 255}.${k & 255}`], mesosLabelIPs: [], dockerLabelIPs: [], ...healthy } });
    } else {
      live.removeTask(fw.id, `bench-${k}`);
    }
    snapshot = live.snapshot().master;
    const patch = engine.apply(snapshot, { ...inputs, serial: i + 2 });
    if (patch === undefined) throw new Error(`event ${i} was not patched: ${engine.refusal}`);
    store.swap(patch.table, undefined, patch.touched);
    times.push(performance.now() - at);
  }
  const seconds = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  // What is held, not garbage not yet collected, when node runs with --expose-gc.
  (globalThis as { gc?: () => void }).gc?.();
  const mem = process.memoryUsage();
  return {
    variant,
    tasks,
    events,
    eventsPerSecond: Math.round(events / seconds),
    meanMs: times.reduce((a, b) => a + b, 0) / times.length,
    p99Ms: percentile(times, 99),
    fullBuildMs: t1 - t0,
    startMs: t2 - t1,
    heapMB: mem.heapUsed / 2 ** 20,
    rssMB: mem.rss / 2 ** 20,
  };
}

export function formatStreamEvents(rows: readonly StreamEventsRow[]): string {
  const lines = [
    '| events | tasks | events | events/s (one core) | per event mean / p99, ms | full build, ms | incremental start, ms | heap / RSS, MB |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.variant} | ${r.tasks.toLocaleString('en')} | ${r.events} | ${r.eventsPerSecond.toLocaleString('en')} | ${r.meanMs.toFixed(3)} / ${r.p99Ms.toFixed(3)} | ${r.fullBuildMs.toFixed(0)} | ${r.startMs.toFixed(0)} | ${r.heapMB.toFixed(0)} / ${r.rssMB.toFixed(0)} |`,
    );
  }
  return lines.join('\n');
}
