// In-process figures for issue 16 item 2: the first table build (the one a server makes right
// after its first state, with V8 not yet warmed up) at 100,000 tasks, for the stream benchmark's
// cluster (every task has an address of its own, so one PTR owner per task) and for the poll
// benchmark's synthetic /master/state (a quarter of tasks with a container address), with PtrOn
// on and off. One cluster/PtrOn pair per process, so each "cold" figure is a real first build.
//
// Run (`npm run bench` compiles it into bench/out/, e.g. with BENCH_ONLY=table BENCH_SIZES=1000):
//   node [--cpu-prof] bench/out/bench/first-build.js stream|poll on|off [N] [ITERATIONS] [one|steps|helper]
// It prints one JSON line: cold build ms, the warm median (wall and CPU), the cold build's CPU on
// this thread alone, and the PTR owner count.
// The last argument: the build in one go (buildTable, the default), in steps with a turn of the
// event loop between them as publish.ts runs it (steps), or so and with the PTRs made on the
// reverse helper thread meanwhile, as publish.ts does for a build in steps (helper).
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseConfig } from '../src/config/validate.js';
import { fromGetState } from '../src/mesos/operator-state.js';
import { parseStateText } from '../src/mesos/parse-state.js';
import { parsePid } from '../src/mesos/pid.js';
import type { MasterState } from '../src/mesos/state.js';
import { buildTable, buildTablePartsInSteps, tasksInSteps, type BuildInputs } from '../src/records/build-table.js';
import { startReverseHelper } from '../src/workers/reverse-helper.js';
import type { RecordTable } from '../src/records/table.js';
import { taskHash } from '../src/records/task-hash.js';
import { generateStateText } from './gen-state.js';
import { runningCluster } from './stream-cluster.js';

/**
 * The cluster's state as the server's native readers give it: with each task's idHash, which
 * they compute while reading (read-state.ts, read-subscribed.ts), so the build does not hash.
 */
export function firstBuildState(cluster: string, n: number): MasterState {
  const state = cluster === 'stream' ? fromGetState(runningCluster(n, 5050).getState, parsePid('master@127.0.0.1:5050')) : parseStateText(generateStateText(n, 7));
  for (const fw of state.frameworks) for (const task of fw.tasks) task.idHash ??= taskHash(task.id);
  return state;
}

/** One build as the mode says (see the top of the file). */
async function buildOnce(state: MasterState, inputs: BuildInputs, mode: string): Promise<RecordTable> {
  if (mode === 'one') return buildTable(state, inputs);
  const helper = mode === 'helper' ? startReverseHelper(tasksInSteps(state)) : undefined;
  try {
    const parts = await buildTablePartsInSteps(state, inputs, () => new Promise<void>((resolve) => setImmediate(resolve)), helper?.make);
    if (helper?.failure !== undefined) throw new Error(helper.failure);
    return parts.table;
  } finally {
    helper?.close();
  }
}

async function main(): Promise<void> {
  const [cluster = 'stream', ptr = 'on', nText = '100000', itText = '4', mode = 'one'] = process.argv.slice(2);
  const n = Number(nText);
  const state = firstBuildState(cluster, n);
  const { config } = parseConfig({ masters: ['127.0.0.1:5050'], PtrOn: ptr === 'on' }, { file: 'bench', resolvConf: '', localAddresses: [], now: 1_700_000_000 });
  const inputs = { config, masters: config.typed.masters, addresses: new Map<string, string[]>(), selfAddresses: ['127.0.0.1'], serial: 1 };
  const times: number[] = [];
  const cpu: number[] = [];
  const mainCpu: number[] = [];
  let table: RecordTable | undefined;
  for (let i = 0; i < Number(itText); i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const m0 = process.threadCpuUsage();
    table = await buildOnce(state, inputs, mode);
    const c = process.cpuUsage(c0);
    const m = process.threadCpuUsage(m0);
    mainCpu.push((m.user + m.system) / 1000);
    times.push(performance.now() - t0);
    cpu.push((c.user + c.system) / 1000);
  }
  const warm = times.slice(1).sort((a, b) => a - b);
  const warmCpu = cpu.slice(1).sort((a, b) => a - b);
  const row = {
    cluster,
    ptr,
    mode,
    tasks: n,
    coldMs: Math.round(times[0]),
    warmMs: warm.length === 0 ? null : Math.round(warm[Math.floor(warm.length / 2)]),
    // CPU time of this thread and V8's helper threads (GC): less disturbed by other processes on a
    // loaded machine than the wall clock, though not free of it.
    coldCpuMs: Math.round(cpu[0]),
    // This thread alone: what the build holds the main thread for (a helper thread's part is not in it).
    coldMainThreadCpuMs: Math.round(mainCpu[0]),
    warmCpuMs: warmCpu.length === 0 ? null : Math.round(warmCpu[Math.floor(warmCpu.length / 2)]),
    ptrOwners: table?.reverse?.ptr.size ?? 0,
  };
  process.stdout.write(`${JSON.stringify(row)}\n`);
}

// Run as a script, not when reverse-handoff.ts imports firstBuildState.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
