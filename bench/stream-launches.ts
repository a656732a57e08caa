// Issue 16's latency and memory figures: the real binary follows a stand-in master's Operator API
// stream with `n` RUNNING tasks, and task launches (TASK_ADDED STAGING + TASK_UPDATED RUNNING with
// a container address) are timed from the events' write to the first UDP answer for the task's
// name. Launches go one at a time, each waited for. The server's RSS (/proc, VmRSS) is read 12 s
// after the launches (past the main thread's next heap compaction), with the stream on; /metrics
// says how many tables were patched and how many built in full meanwhile. Loopback only, bounded
// in count and time.
import { readFileSync, writeFileSync } from 'node:fs';
import { encodeRecord } from '../src/mesos/recordio.js';
import { StreamMaster, subscribed, taskAdded, taskUpdated, v1Status, v1Task } from '../test/helpers/stream-master.js';
import { answered } from './dns-probe.js';
import { fixed, markdownTable } from './report.js';
import { statusMB } from './processes.js';
import { startOurServer } from './server-process.js';
import { runningCluster } from './stream-cluster.js';

export interface LaunchRow {
  tasks: number;
  launches: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Tables patched / built in full while the launches ran. */
  patched: number;
  full: number;
  /** The server's resident set after the launches, stream on, MB. */
  rssMB: number;
}

const GIVE_UP_MS = 300_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}


async function updates(httpPort: number): Promise<{ patch: number; full: number }> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const count = (kind: string): number => Number(new RegExp(`^mesos_dns_table_updates_total\\{kind="${kind}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { patch: count('patch'), full: count('full') };
}

const rssMB = (pid: number): number => statusMB(pid, 'VmRSS');

export async function runLaunchRow(n: number, dir: string, launches: number): Promise<LaunchRow> {
  const master = await StreamMaster.start();
  const cluster = runningCluster(n, master.port, ['snaponly']);
  master.subscribedRecord = encodeRecord(JSON.stringify(subscribed(cluster.getState)));
  master.stateDocument = Buffer.from(JSON.stringify(cluster.stateDocument));
  const server = await startOurServer({ dir, masters: [`127.0.0.1:${master.port}`], extra: { refreshSeconds: 3600 } });
  const started = Date.now();
  const check = (what: string): void => {
    if (server.exited()) throw new Error(`our server exited while waiting for ${what}:\n${server.output()}`);
    if (Date.now() - started > GIVE_UP_MS) throw new Error(`gave up waiting for ${what}`);
  };
  try {
    // Served from the stream's snapshot: the name only it has answers.
    while (!(await answered(server.port, 'snaponly.marathon.mesos'))) {
      check('the stream snapshot to be served');
      await sleep(50);
    }
    await sleep(1000);
    const before = await updates(server.httpPort);
    const times: number[] = [];
    for (let i = 0; i < launches; i++) {
      const id = `launch${i}.0000`;
      const name = `launch${i}.marathon.mesos`;
      const t0 = performance.now();
      master.send(taskAdded(v1Task({ id, name: `launch${i}`, frameworkId: 'fw1', agentId: 'a1', state: 'TASK_STAGING' })));
      master.send(taskUpdated('fw1', 'TASK_RUNNING', v1Status({ taskId: id, agentId: 'a1', state: 'TASK_RUNNING', ips: [`10.251.${i >> 8}.${i & 255}`] })));
      while (!(await answered(server.port, name))) check(`${name} to be answered`);
      times.push(performance.now() - t0);
    }
    // Long enough for the main thread's heap compaction after swaps (at most every 10 s).
    await sleep(12_000);
    const after = await updates(server.httpPort);
    // BENCH_LAUNCH_SMAPS=<file>: the server's memory map summary then, to see where the RSS is.
    if (process.env.BENCH_LAUNCH_SMAPS) writeFileSync(process.env.BENCH_LAUNCH_SMAPS, readFileSync(`/proc/${server.pid}/smaps`, 'utf8'));
    if (process.env.BENCH_LAUNCH_HEAPSNAP) { process.kill(server.pid, 'SIGUSR2'); await sleep(Number(process.env.BENCH_LAUNCH_HEAPSNAP)); }
    times.sort((a, b) => a - b);
    return {
      tasks: n,
      launches,
      p50Ms: percentile(times, 50),
      p99Ms: percentile(times, 99),
      maxMs: times[times.length - 1],
      patched: after.patch - before.patch,
      full: after.full - before.full,
      rssMB: rssMB(server.pid),
    };
  } finally {
    await server.stop();
    await master.close();
  }
}

export function formatLaunchRows(rows: readonly LaunchRow[]): string {
  return markdownTable(
    ['tasks running', 'launches', 'launch -> answered p50, ms', 'p99, ms', 'max, ms', 'tables patched / built in full', 'server RSS after, MB'],
    rows.map((r) => [r.tasks.toLocaleString('en-US'), String(r.launches), fixed(r.p50Ms, 1), fixed(r.p99Ms, 1), fixed(r.maxMs, 1), `${r.patched} / ${r.full}`, fixed(r.rssMB, 0)]),
  );
}
