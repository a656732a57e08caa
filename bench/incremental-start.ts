// In-process figures for issue 16 (scale): the start of the incremental table (the IncrementalTable
// constructor, incremental/incremental-table.ts) from a full build at 100,000 tasks, which
// publish.ts runs on the main thread after every full build it serves. One cluster/PtrOn pair
// per process, so the first figure is a cold start (V8 not yet warmed up on that code), as on a
// server's first build; the rest are warm.
//
// Run (`npm run bench` compiles it into bench/out/, e.g. with BENCH_ONLY=table BENCH_SIZES=1000):
//   node [--cpu-prof] bench/out/bench/incremental-start.js stream|poll on|off [N] [ITERATIONS]
// It prints one JSON line: the cold start's ms and main-thread CPU, the warm medians, and the
// slices of a start in steps (as publish.ts runs it) and the longest one. Memory is measured on
// the real binary (docs/performance.md: "server RSS after").
import { performance } from 'node:perf_hooks';
import { parseConfig } from '../src/config/validate.js';
import { buildTableParts, type BuiltParts } from '../src/records/build-table.js';
import { IncrementalTable } from '../src/records/incremental/incremental-table.js';
import { firstBuildState } from './first-build.js';

const [cluster = 'stream', ptr = 'on', nText = '100000', itText = '5'] = process.argv.slice(2);
const n = Number(nText);
const state = firstBuildState(cluster, n);
const { config } = parseConfig({ masters: ['127.0.0.1:5050'], PtrOn: ptr === 'on' }, { file: 'bench', resolvConf: '', localAddresses: [], now: 1_700_000_000 });
const inputs = { config, masters: config.typed.masters, addresses: new Map<string, string[]>(), selfAddresses: ['127.0.0.1'], serial: 1 };

const times: number[] = [];
const mainCpu: number[] = [];
let kept: IncrementalTable | undefined;
for (let i = 0; i < Number(itText); i++) {
  // A fresh build per start, as the server makes one (the start does not change the build's parts).
  const parts: BuiltParts = buildTableParts(state, inputs);
  kept = undefined;
  const t0 = performance.now();
  const m0 = process.threadCpuUsage();
  kept = new IncrementalTable(state, inputs, parts);
  const m = process.threadCpuUsage(m0);
  times.push(performance.now() - t0);
  mainCpu.push((m.user + m.system) / 1000);
}
// The same start in steps (as publish.ts runs it): the longest stretch between two pauses.
let longest = 0;
let slices = 0;
{
  const parts = buildTableParts(state, inputs);
  let at = performance.now();
  await IncrementalTable.inSteps(state, inputs, parts, async () => {
    longest = Math.max(longest, performance.now() - at);
    slices++;
    await new Promise((resolve) => setImmediate(resolve));
    at = performance.now();
    return true;
  });
  longest = Math.max(longest, performance.now() - at);
}
const warm = times.slice(1).sort((a, b) => a - b);
const warmCpu = mainCpu.slice(1).sort((a, b) => a - b);
const row = {
  cluster,
  ptr,
  tasks: n,
  coldMs: Math.round(times[0]),
  coldMainThreadCpuMs: Math.round(mainCpu[0]),
  warmMs: warm.length === 0 ? null : Math.round(warm[Math.floor(warm.length / 2)]),
  warmMainThreadCpuMs: warmCpu.length === 0 ? null : Math.round(warmCpu[Math.floor(warmCpu.length / 2)]),
  // A start in steps (warm): its slices and the longest one (the constructor's part included).
  slices: slices + 1,
  longestSliceMs: Math.round(longest),
  overlay: kept?.overlaySize ?? 0,
};
process.stdout.write(`${JSON.stringify(row)}\n`);
