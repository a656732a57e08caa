// `npm run bench` after bench/run.js has installed the tools and compiled: runs the sections in
// order and prints their tables, then writes them to bench/out/results.md (and .json).
//
// Environment (all optional):
//   BENCH_ONLY             comma list of sections: table, qps, swap, stream, memory, forward, health, zones, xfr, secondary (default: all of them)
//   BENCH_ZONE_SIZES       zones: names per zone file (default 1000,10000,100000)
//   BENCH_SETTLE_SECONDS   memory: seconds on a small state after the huge body before RSS is read (default 30)
//   BENCH_LAUNCHES         task launches timed in the stream section (default 200)
//   BENCH_STREAM_BASES     tasks already running in the stream section, one row each (default 0,10000; empty: none)
//   BENCH_SNAPSHOT_SIZES   stream section, snapshot to serving: tasks per row (default 10000,50000,100000; empty: none)
//   BENCH_LAUNCH_SIZES     stream section, launches on the real binary: tasks running per row (default 1000,10000,100000; empty: none)
//   BENCH_EVENT_SIZES      stream section, events/s patched on one core, in-process: tasks per row (default 1000,10000,100000; empty: none)
//   BENCH_EVENT_VARIANTS   which events (bench/stream-events.ts): tasks, health-dcos, agents (default all three)
//   BENCH_SNAPSHOT_JSON    1: each snapshot row again with NativeStateReader false (JSON.parse), right after it
//   BENCH_SNAPSHOT_PHASES  1: run those servers with -v=1 and list their steps after the snapshot's last byte
//   BENCH_SNAPSHOT_CPUPROF a directory: those servers run with --cpu-prof (a profile per thread, written there)
//   BENCH_SNAPSHOT_READ_SIZES  stream section, the snapshot read in-process: tasks per row pair (default 100000; empty: none)
//   BENCH_TASKS            tasks in the state for qps, swap and serve time (default 100000)
//   BENCH_SIZES            table-build sizes (default 1000,10000,50000,100000)
//   BENCH_FIRST_LOADS      serve time: further first loads on fresh servers, each reader (default 5)
//   BENCH_ROUNDS           qps rounds, alternating Knot and ours (default 3)
//   BENCH_SECONDS          seconds per qps throughput run (default 10)
//   BENCH_LATENCY_SECONDS  seconds per verbose (p99) run (default 5)
//   BENCH_CLIENTS          dnsperf -c (default 2)
//   BENCH_OUTSTANDING      dnsperf -q (default 100)
//   BENCH_SWAP_SECONDS     length of the swap run (default 24)
//   BENCH_WORKERS          our server's `workers` key (default: the server's default)
//   BENCH_ANSWER_ORDER     our server's `AnswerOrder` (default: the server's default, shuffle)
//   BENCH_RRL              our server's `ResponseRateLimit` (default: off); BENCH_RRL_EXEMPT its `ResponseRateLimitExempt`, comma-separated
//   BENCH_DGRAM=0          qps: skip the second run of our server with UDPBatching off (dgram)
//   BENCH_FORWARD_QUERIES  forward section: sequential queries once the silent upstream is down (default 2000)
//   BENCH_XFR_SIZES        xfr section: tasks per in-process row (default 1000,10000,100000)
//   BENCH_SECONDARY_SIZES  secondary section: tasks per in-process row (default 1000,10000,100000)
//   BENCH_SECONDARY_BASES  secondary section: tasks running before the launches timed to our secondary (default 0,10000)
//   BENCH_SECONDARY_PROCESS_SIZES  secondary section: tasks per row of the real binaries, primary and secondary (default 100000; empty: none)
//   BENCH_XFR_BASES        xfr section: tasks running before the launches Knot must see (default 0,10000)
//   BENCH_XFR_LAUNCHES     xfr section: launches timed to Knot's answer per row (default 20)
//   BENCH_KEEP=1           keep the scratch directory (zone file, states, configs)
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatForwardFaults, runForwardFaults, type ForwardFaultsResult } from './forward-faults.js';
import { formatQps, runQps, type QpsResult } from './qps.js';
import { envInt } from './report.js';
import { installExitHandlers, killAllChildren, onExitCleanup, repoRoot, runCommand } from './processes.js';
import { formatServeTime, runServeTime, type ServeTimeResult } from './serve-time.js';
import { formatSwap, runSwap, swapFailed, type SwapResult } from './swap.js';
import { formatTableBuild, runTableBuild, type TableBuildRow } from './table-build.js';
import { knotdPath } from './knot-server.js';
import { runStreamLatency } from './stream-latency.js';
import { formatLaunchRows, runLaunchRow, type LaunchRow } from './stream-launches.js';
import { formatStreamEvents, runStreamEvents, type StreamEventsRow, type StreamEventsVariant } from './stream-events.js';
import { formatPhases, formatSnapshotRows, runSnapshotRow, type SnapshotRow } from './stream-snapshot.js';
import { formatXfr, runXfr, type XfrRow } from './xfr.js';
import { formatSecondary, runSecondary, type SecondaryRow } from './secondary.js';
import { runSecondaryLaunches } from './xfr-secondary.js';
import { formatSecondaryProcess, runSecondaryProcess, type SecondaryProcessRow } from './secondary-process.js';
import { runKnotLaunches, type KnotLaunchResult } from './xfr-knot.js';
import { formatZones, runZones, type ZonesRow } from './static-zones.js';
import { formatSnapshotReadRows, runSnapshotRead, type SnapshotReadRow } from './snapshot-read.js';
import { formatLargeStateMemory, runLargeStateMemory, type MemoryCase } from './large-state-memory.js';
import { formatHealthBuild, runHealthBuild, type HealthBuildRow } from './health-build.js';

const SECTIONS = ['table', 'qps', 'swap', 'stream', 'memory', 'forward', 'health', 'zones', 'xfr', 'secondary'] as const;
type Section = (typeof SECTIONS)[number];

function sectionsFromEnv(): Section[] {
  const raw = process.env.BENCH_ONLY;
  if (!raw) return [...SECTIONS];
  const wanted = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const w of wanted) {
    if (!(SECTIONS as readonly string[]).includes(w)) throw new Error(`BENCH_ONLY: unknown section ${JSON.stringify(w)} (use ${SECTIONS.join(', ')})`);
  }
  return wanted as Section[];
}

function sizesFromEnv(): number[] {
  const raw = process.env.BENCH_SIZES;
  if (!raw) return [1000, 10_000, 50_000, 100_000];
  return raw.split(',').map((s) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n) || n <= 0) throw new Error(`BENCH_SIZES: ${JSON.stringify(s)} is not a positive integer`);
    return n;
  });
}

/** A comma list of task counts (0 allowed) from the environment; an empty value means none. */
function countsFromEnv(name: string, fallback: string): number[] {
  return (process.env[name] ?? fallback).split(',').filter((s) => s.trim() !== '').map((s) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name}: ${JSON.stringify(s)} is not a task count`);
    return n;
  });
}

async function firstLine(command: string, args: string[], pattern: RegExp): Promise<string> {
  try {
    const r = await runCommand(command, args, { timeoutMs: 10_000 });
    const m = pattern.exec(`${r.stdout}\n${r.stderr}`);
    return m ? m[0].trim() : 'unknown';
  } catch {
    return 'not found';
  }
}

async function machine(): Promise<string> {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const lines = [
    `- CPU: ${model}, ${os.availableParallelism()} cores available (nproc)`,
    `- memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- kernel: ${os.release()}; Node ${process.version}`,
    `- ${await firstLine(knotdPath(), ['-V'], /Knot DNS\)?,? version [^\s]+|knotd.*version.*/)}`,
    `- dnsperf ${await firstLine('dnsperf', ['-h'], /Version [^\s]+/)}`,
    `- load average at start: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  installExitHandlers();
  const sections = sectionsFromEnv();
  const tasks = envInt('BENCH_TASKS', 100_000);
  const root = repoRoot();
  const outDir = path.join(root, 'bench', 'out');
  mkdirSync(outDir, { recursive: true });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mesos-dns-ts-bench-'));
  const keep = process.env.BENCH_KEEP === '1';
  if (!keep) onExitCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const progress = (line: string): void => void process.stderr.write(`  ${line}\n`);
  const report: string[] = [];
  const print = (block: string): void => {
    process.stdout.write(`${block}\n\n`);
    report.push(block);
  };
  const results: {
    tableBuild?: TableBuildRow[];
    serveTime?: ServeTimeResult;
    qps?: QpsResult;
    swap?: SwapResult;
    stream?: Array<Awaited<ReturnType<typeof runStreamLatency>>>;
    streamSnapshot?: SnapshotRow[];
    streamLaunches?: LaunchRow[];
    streamEvents?: StreamEventsRow[];
    xfr?: XfrRow[];
    xfrKnot?: KnotLaunchResult[];
    secondary?: SecondaryRow[];
    secondaryLaunches?: KnotLaunchResult[];
    secondaryProcess?: SecondaryProcessRow[];
    snapshotRead?: SnapshotReadRow[];
    memory?: MemoryCase[];
    forward?: ForwardFaultsResult;
    zones?: ZonesRow[];
    health?: HealthBuildRow[];
  } = {};

  try {
    print(`## Machine\n\n${await machine()}`);
    if (sections.includes('table')) {
      const sizes = sizesFromEnv();
      process.stderr.write(`table build: ${sizes.join(', ')} tasks, each in a fresh process\n`);
      results.tableBuild = await runTableBuild({ sizes, dir });
      print(`## Table build (read = the server's state reader, ${results.tableBuild[0]?.reader ?? "native"}, over the whole document; build = buildTable)\n\n${formatTableBuild(results.tableBuild)}`);
      process.stderr.write(`serve time: ${tasks} tasks from a stand-in master\n`);
      results.serveTime = await runServeTime({ tasks, dir, reloads: 3, firstLoads: envInt('BENCH_FIRST_LOADS', 5) });
      print(`## State arrival to serving, and memory (real binary, stand-in master)\n\n${formatServeTime(results.serveTime)}`);
    }
    if (sections.includes('qps')) {
      const o = {
        tasks,
        dir,
        rounds: envInt('BENCH_ROUNDS', 3),
        seconds: envInt('BENCH_SECONDS', 10),
        latencySeconds: envInt('BENCH_LATENCY_SECONDS', 5),
        clients: envInt('BENCH_CLIENTS', 2),
        outstanding: envInt('BENCH_OUTSTANDING', 100),
        queries: 100_000,
        dgram: process.env.BENCH_DGRAM !== '0',
        progress,
      };
      process.stderr.write(`qps: ${o.rounds} rounds x (${o.seconds} s throughput + ${o.latencySeconds} s latency) per server\n`);
      results.qps = await runQps(o);
      const check =
        results.qps.mismatches.length === 0
          ? `Answers checked equal to Knot's on every server for the first ${results.qps.checked} queries.`
          : `WARNING: ${results.qps.mismatches.length} of ${results.qps.checked} sample queries answered differently:\n` +
            results.qps.mismatches.slice(0, 10).map((m) => `    ${m}`).join('\n');
      print(
        `## QPS, ${tasks.toLocaleString('en-US')} tasks, 80% A / 10% SRV / 10% NXDOMAIN ` +
          `(dnsperf -c ${o.clients} -q ${o.outstanding}, ${o.seconds} s runs, ${o.rounds} rounds)\n\n${formatQps(results.qps)}\n\n${check}`,
      );
    }
    if (sections.includes('swap')) {
      const seconds = envInt('BENCH_SWAP_SECONDS', 24);
      process.stderr.write(`swap: ${seconds} s of dnsperf while the state file is replaced\n`);
      results.swap = await runSwap({
        tasks,
        dir,
        seconds,
        clients: envInt('BENCH_CLIENTS', 2),
        outstanding: envInt('BENCH_OUTSTANDING', 100),
        queries: 100_000,
        progress,
      });
      print(`## Table swap under load (${tasks.toLocaleString('en-US')} tasks)\n\n${formatSwap(results.swap)}`);
      if (swapFailed(results.swap)) process.exitCode = 1;
    }
    if (sections.includes('stream')) {
      process.stderr.write('stream: task launches on a stand-in master speaking the Operator API stream\n');
      const bases = countsFromEnv('BENCH_STREAM_BASES', '0,10000');
      const rows = (results.stream = [] as Array<Awaited<ReturnType<typeof runStreamLatency>>>);
      for (const b of bases) rows.push(await runStreamLatency(b));
      if (rows.length > 0) {
        print(
          `## Event to answer: Operator API stream -> DNS answer\n\n` +
          `| tasks already running | launches | median ms | p99 ms | max ms |\n|---|---|---|---|---|\n` +
            rows.map((r) => `| ${r.baseTasks.toLocaleString('en-US')} | ${r.launches} | ${r.median.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.max.toFixed(1)} |`).join('\n'),
        );
      }
      const launchRows = (results.streamLaunches = [] as LaunchRow[]);
      for (const n of countsFromEnv('BENCH_LAUNCH_SIZES', '1000,10000,100000')) {
        process.stderr.write(`stream: ${envInt('BENCH_LAUNCHES', 200)} launches on the real binary, ${n} tasks running\n`);
        launchRows.push(await runLaunchRow(n, dir, envInt('BENCH_LAUNCHES', 200)));
      }
      if (launchRows.length > 0) print(`## Launch to answer, patched tables (real binary, stream on)\n\n${formatLaunchRows(launchRows)}`);
      const eventRows = (results.streamEvents = [] as StreamEventsRow[]);
      const variants = (process.env.BENCH_EVENT_VARIANTS ?? 'tasks,health-dcos,agents').split(',').filter((v) => v !== '') as StreamEventsVariant[];
      for (const variant of variants) {
        for (const n of countsFromEnv('BENCH_EVENT_SIZES', '1000,10000,100000')) {
          process.stderr.write(`stream: ${variant} events patched on one core, ${n} tasks\n`);
          eventRows.push(runStreamEvents(n, variant === 'agents' ? 1000 : 4000, variant));
        }
      }
      if (eventRows.length > 0) print(`## Task events patched per second (one core, in-process)\n\n${formatStreamEvents(eventRows)}`);
      const sizes = countsFromEnv('BENCH_SNAPSHOT_SIZES', '10000,50000,100000');
      const snapshots = (results.streamSnapshot = [] as SnapshotRow[]);
      // The snapshot of the cluster the server polled first (patched onto the poll's table), and one
      // where every task differs from that poll (built in full, as after a new leader).
      const against = (process.env.BENCH_SNAPSHOT_AGAINST ?? 'same,differs').split(',').filter((a) => a !== '');
      for (const n of sizes) {
        for (const poll of against) {
          const differs = poll === 'differs';
          process.stderr.write(`stream: a ${n}-task SUBSCRIBED snapshot (${differs ? 'every task differing from the first poll' : 'the tasks of the first poll'}), /health polled every 50 ms, one launch\n`);
          snapshots.push(await runSnapshotRow(n, dir, true, differs));
          if (process.env.BENCH_SNAPSHOT_JSON === '1') {
            process.stderr.write(`stream: the same, NativeStateReader false\n`);
            snapshots.push(await runSnapshotRow(n, dir, false, differs));
          }
        }
      }
      if (snapshots.length > 0) {
        print(
          `## Stream snapshot to serving (real binary; the snapshot alone has one more task, answered = served; ` +
            `a task launched once /health is 200)\n\n${formatSnapshotRows(snapshots)}`,
        );
        if (process.env.BENCH_SNAPSHOT_PHASES === '1') print(`## Stream snapshot: the server's steps after the last byte (-v=1 lines)\n\n${formatPhases(snapshots)}`);
      }
      const reads = (results.snapshotRead = [] as SnapshotReadRow[]);
      for (const n of countsFromEnv('BENCH_SNAPSHOT_READ_SIZES', '100000')) {
        for (const workload of ['gen-state', 'labelled', 'pods', 'ip-per-task'] as const) {
          process.stderr.write(`stream: a ${n}-task SUBSCRIBED snapshot (${workload}) read in-process\n`);
          reads.push(await runSnapshotRead(workload, n));
        }
      }
      if (reads.length > 0) {
        print(`## Stream snapshot read in-process (ms, cold / warm median; fresh \`node --expose-gc\` per row)\n\n${formatSnapshotReadRows(reads)}`);
      }
    }
    if (sections.includes('health')) {
      process.stderr.write(`health: buildTable under each HealthPolicy, ${tasks} tasks, in-process\n`);
      results.health = runHealthBuild(tasks);
      print(`## HealthPolicy: table build (${tasks.toLocaleString('en-US')} tasks, in-process, median of ${results.health[0]?.rounds ?? 0} interleaved rounds)\n\n${formatHealthBuild(results.health)}`);
    }
    if (sections.includes('xfr')) {
      const rows = (results.xfr = [] as XfrRow[]);
      for (const n of countsFromEnv('BENCH_XFR_SIZES', '1000,10000,100000')) {
        process.stderr.write(`xfr: ${n} tasks and one launch, in process: diff, IXFR and AXFR messages\n`);
        rows.push(runXfr(n));
      }
      if (rows.length > 0) print(`## Zone transfer, in process (one launch: the diff every change costs, the IXFR it gives; a full AXFR)\n\n${formatXfr(rows)}`);
      const knot = (results.xfrKnot = [] as KnotLaunchResult[]);
      for (const b of countsFromEnv('BENCH_XFR_BASES', '0,10000')) {
        process.stderr.write(`xfr: launches with ${b} tasks running, timed until Knot (secondary, NOTIFY + IXFR) answers\n`);
        knot.push(await runKnotLaunches(b, envInt('BENCH_XFR_LAUNCHES', 20)));
      }
      if (knot.length > 0) {
        print(
          `## Launch to answer on a Knot secondary (NOTIFY + IXFR, TSIG)\n\n| tasks already running | launches | median ms | p99 ms | max ms |\n|---|---|---|---|---|\n` +
            knot.map((r) => `| ${r.baseTasks.toLocaleString('en-US')} | ${r.launches} | ${r.median.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.max.toFixed(1)} |`).join('\n'),
        );
      }
    }
    if (sections.includes('secondary')) {
      const rows = (results.secondary = [] as SecondaryRow[]);
      for (const n of countsFromEnv('BENCH_SECONDARY_SIZES', '1000,10000,100000')) {
        process.stderr.write(`secondary: ${n} tasks, in process: AXFR read, zone copy, table; one launch's IXFR applied\n`);
        rows.push(runSecondary(n));
      }
      if (rows.length > 0) print(`## A mesos-dns-ts secondary, in process (the whole zone read, copied and built; one launch's IXFR read, applied, built)\n\n${formatSecondary(rows)}`);
      const launched = (results.secondaryLaunches = [] as KnotLaunchResult[]);
      for (const b of countsFromEnv('BENCH_SECONDARY_BASES', '0,10000')) {
        process.stderr.write(`secondary: launches with ${b} tasks running, timed until our secondary (NOTIFY + IXFR) answers\n`);
        launched.push(await runSecondaryLaunches(b, envInt('BENCH_XFR_LAUNCHES', 20)));
      }
      if (launched.length > 0) {
        print(
          `## Launch to answer on a mesos-dns-ts secondary (NOTIFY + IXFR, TSIG; both servers in one process)\n\n| tasks already running | launches | median ms | p99 ms | max ms |\n|---|---|---|---|---|\n` +
            launched.map((r) => `| ${r.baseTasks.toLocaleString('en-US')} | ${r.launches} | ${r.median.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.max.toFixed(1)} |`).join('\n'),
        );
      }
      const processRows = (results.secondaryProcess = [] as SecondaryProcessRow[]);
      for (const n of countsFromEnv('BENCH_SECONDARY_PROCESS_SIZES', '100000')) {
        process.stderr.write(`secondary: ${n} tasks, the real binaries: the secondary's first AXFR to serving, its RSS, launches\n`);
        processRows.push(await runSecondaryProcess(n, dir, envInt('BENCH_XFR_LAUNCHES', 20)));
      }
      if (processRows.length > 0) print(`## A mesos-dns-ts secondary of a primary, real binaries (stream on)\n\n${formatSecondaryProcess(processRows)}`);
    }
    if (sections.includes('memory')) {
      const settleMs = envInt('BENCH_SETTLE_SECONDS', 30) * 1000;
      process.stderr.write('memory: one huge /master/state body (accepted, refused by length, refused while read), each on a fresh server\n');
      results.memory = await runLargeStateMemory({ dir, settleMs, progress });
      print(`## Memory around one huge state body (real binary, workers 1, default StateMaxBytes)\n\n${formatLargeStateMemory(results.memory, settleMs)}`);
    }
    if (sections.includes('forward')) {
      const queries = envInt('BENCH_FORWARD_QUERIES', 2000);
      process.stderr.write('forward: resolvers [silent, good], then every upstream silent (real binary, stand-in upstreams)\n');
      results.forward = await runForwardFaults({ dir, queries, progress });
      print(`## Forwarding with a dead upstream (real binary, UDP, forwarding cache off, timeout 5 s)\n\n${formatForwardFaults(results.forward)}`);
    }
    if (sections.includes('zones')) {
      const sizes = countsFromEnv('BENCH_ZONE_SIZES', '1000,10000,100000').filter((n) => n > 0);
      process.stderr.write(`zones: zone files of ${sizes.join(', ')} names, parsed and looked up in-process\n`);
      results.zones = runZones(sizes);
      print(`## Static zones (in-process: parse + check + index, and the pure lookup)\n\n${formatZones(results.zones)}`);
    }
  } finally {
    writeFileSync(path.join(outDir, 'results.md'), `${report.join('\n\n')}\n`);
    writeFileSync(path.join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    if (keep) process.stderr.write(`scratch directory kept: ${dir}\n`);
  }
  process.stderr.write(`tables written to ${path.relative(process.cwd(), path.join(outDir, 'results.md'))}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  killAllChildren();
  process.exitCode = 1;
});
