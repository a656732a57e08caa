// Issue 17's figures: how long a large Operator API snapshot takes from its last byte to being
// served, whether the server's main thread stays responsive meanwhile, and the user's check —
// a task launched as soon as /health says 200 must resolve within seconds of the stream going
// live. The real binary runs against a stand-in master (in this process) that serves `n`
// RUNNING tasks both at /master/state and in the SUBSCRIBED snapshot; the snapshot alone has one
// more task, `snaponly`, so an answer for it means the stream's table is served. Loopback only.
import { encodeRecord } from '../src/mesos/recordio.js';
import { StreamMaster, subscribed, taskAdded, taskUpdated, v1Status, v1Task } from '../test/helpers/stream-master.js';
import { answered } from './dns-probe.js';
import { health, startOurServer, type OurServer } from './server-process.js';
import { runningCluster } from './stream-cluster.js';
import { fixed, markdownTable } from './report.js';

export interface SnapshotRow {
  tasks: number;
  /** Every task differed between the first poll and the snapshot (runSnapshotRow). */
  pollDiffers: boolean;
  /** The snapshot record's size, MB. */
  snapshotMB: number;
  /** /health first 200 after the server was spawned, ms. */
  healthyAfterMs: number;
  /** From the stand-in handing the snapshot's last byte to the kernel to `snaponly` answered. */
  lastByteToServedMs: number;
  /** Longest time between two /health answers (polled every 50 ms) around that window. */
  healthGapMs: number;
  /** From the launch (sent once /health was 200 and the stream open) to its name answered. */
  launchToAnswerMs: number;
  /** The launch answered this long after `snaponly` was (the stream going live). */
  launchAfterLiveMs: number;
  /** The server's own line `subscribed: snapshot read`: which reader, and from the record's last
   * byte to its StreamState (the rest up to served is the LiveState and the table build). */
  stateReader: string;
  readMs: number;
  /** BENCH_SNAPSHOT_PHASES=1: the server's debug lines (-v=1) after the last byte, ms after it. */
  phases?: Phase[];
}

export interface Phase {
  /** ms after the snapshot's last byte (the server's log time; same clock, ms resolution). */
  atMs: number;
  msg: string;
  fields: Record<string, unknown>;
}

/** The server's debug lines that mark a step between the snapshot and serving it. */
const PHASE_LINES = new Set([
  'subscribed: snapshot read',
  'table swapped in',
  'PTRs made on the helper thread',
  'table handed to the workers',
  'table message received',
  'table checked and served',
  'worker serves a new table',
  'incremental table started',
  'garbage collected',
]);

const HEALTH_POLL_MS = 50;
const QUERY_POLL_MS = 20;
/** Far beyond any healthy figure: the 100 s of issue 17 fails the run instead of stalling it. */
const GIVE_UP_MS = 180_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls /health one request at a time; `answers` holds when each answer arrived. */
function pollHealth(server: OurServer): { answers: number[]; firstOk: () => number | undefined; stop: () => Promise<void> } {
  const answers: number[] = [];
  let ok: number | undefined;
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const h = await health(server, GIVE_UP_MS);
        const now = performance.now();
        answers.push(now);
        if (h.status === 200 && ok === undefined) ok = now;
      } catch {
        // not listening yet, or a timeout: the gap shows it
      }
      await sleep(HEALTH_POLL_MS);
    }
  })();
  return { answers, firstOk: () => ok, stop: async () => { running = false; await loop; } };
}


/**
 * `nativeStateReader` false: the server reads the snapshot with JSON.parse (for comparison).
 * `pollDiffers`: every task differs between the server's first poll and the snapshot
 * (stream-cluster.ts), so the snapshot's table is built in full rather than patched onto the poll's.
 */
export async function runSnapshotRow(n: number, dir: string, nativeStateReader = true, pollDiffers = false): Promise<SnapshotRow> {
  const master = await StreamMaster.start();
  const cluster = runningCluster(n, master.port, ['snaponly'], pollDiffers);
  // Encoded once here, so this process does no large work while it measures the server.
  master.subscribedRecord = encodeRecord(JSON.stringify(subscribed(cluster.getState)));
  master.stateDocument = Buffer.from(JSON.stringify(cluster.stateDocument));
  const snapshotMB = master.subscribedRecord.length / 1e6;
  const spawned = performance.now();
  let subscribedLine: { stateReader?: string; readMs?: number } = {};
  const phases = process.env.BENCH_SNAPSHOT_PHASES === '1';
  const logged: Array<Record<string, unknown> & { time: number; msg: string }> = [];
  let pending = '';
  const onOutput = (d: string): void => {
    const lines = (pending + d).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (line.includes('subscribed: snapshot read')) subscribedLine = JSON.parse(line) as typeof subscribedLine;
      if (phases && line.startsWith('{')) {
        const entry = JSON.parse(line) as Record<string, unknown> & { time: number; msg: string };
        if (PHASE_LINES.has(entry.msg)) logged.push(entry);
      }
    }
  };
  // BENCH_SNAPSHOT_CPUPROF=<dir>: a CPU profile of each of the server's threads, written when it stops.
  const profileDir = process.env.BENCH_SNAPSHOT_CPUPROF;
  const server = await startOurServer({
    dir,
    masters: [`127.0.0.1:${master.port}`],
    extra: { refreshSeconds: 3600, NativeStateReader: nativeStateReader },
    onOutput,
    ...(phases ? { args: ['-v=1'] } : {}),
    // BENCH_SNAPSHOT_NODE_ARGS: more node flags for the server, space-separated (e.g. --trace-deopt).
    nodeArgs: [...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), ...(process.env.BENCH_SNAPSHOT_NODE_ARGS ?? '').split(' ').filter((a) => a !== '')],
  });
  const poll = pollHealth(server);
  try {
    const deadline = performance.now() + GIVE_UP_MS;
    const check = (what: string): void => {
      if (server.exited()) throw new Error(`server exited while waiting for ${what}:\n${server.output()}`);
      if (performance.now() > deadline) throw new Error(`${n} tasks: gave up waiting for ${what} after ${GIVE_UP_MS} ms`);
    };
    while (poll.firstOk() === undefined || master.openStreams === 0) {
      check('/health 200 and a subscription');
      await sleep(10);
    }
    const healthy = poll.firstOk()!;
    const launched = performance.now();
    master.send(taskAdded(v1Task({ id: 'launched.0000', name: 'launched', frameworkId: 'fw1', agentId: 'a1' })));
    master.send(taskUpdated('fw1', 'TASK_RUNNING', v1Status({ taskId: 'launched.0000', agentId: 'a1', state: 'TASK_RUNNING', ips: ['10.250.0.1'] })));
    let live: number | undefined;
    let launchAnswered: number | undefined;
    while (live === undefined || launchAnswered === undefined) {
      check('the snapshot and the launch to be answered');
      if (live === undefined && (await answered(server.port, 'snaponly.marathon.mesos'))) live = performance.now();
      if (launchAnswered === undefined && (await answered(server.port, 'launched.marathon.mesos'))) launchAnswered = performance.now();
      await sleep(QUERY_POLL_MS);
    }
    const lastByte = master.snapshotWrittenAt;
    if (lastByte === undefined) throw new Error('the stand-in never finished writing the snapshot');
    // One more /health answer after the window, so a stall that spans its end is counted whole.
    const before = poll.answers.length;
    while (poll.answers.length === before) {
      check('/health after the snapshot');
      await sleep(10);
    }
    // The server's last lines (the incremental start, the collection) may still be on their way.
    if (phases) await sleep(3000);
    return {
      tasks: n,
      pollDiffers,
      snapshotMB,
      healthyAfterMs: healthy - spawned,
      lastByteToServedMs: live - lastByte,
      healthGapMs: longestGap(poll.answers, lastByte, live),
      launchToAnswerMs: launchAnswered - launched,
      launchAfterLiveMs: launchAnswered - live,
      stateReader: subscribedLine.stateReader ?? '?',
      readMs: subscribedLine.readMs ?? Number.NaN,
      ...(phases
        ? {
            phases: [
              ...phasesAfter(logged, performance.timeOrigin + lastByte),
              (({ gap, startMs }) => ({ atMs: startMs, msg: '(bench) the longest /health gap starts', fields: { gapMs: Math.round(gap) } }))(gapOf(poll.answers, lastByte, live)),
            ],
          }
        : {}),
    };
  } finally {
    await poll.stop();
    await server.stop();
    await master.close();
  }
}

function phasesAfter(logged: ReadonlyArray<Record<string, unknown> & { time: number; msg: string }>, lastByteEpochMs: number): Phase[] {
  return logged
    .filter((e) => e.time >= lastByteEpochMs - 1)
    .map(({ time, msg, level: _l, pid: _p, hostname: _h, name: _n, ...fields }) => ({ atMs: time - lastByteEpochMs, msg, fields }));
}

/** The server's steps after the snapshot's last byte, one row each. */
export function formatPhases(rows: readonly SnapshotRow[]): string {
  return rows
    .filter((r) => r.phases !== undefined)
    .map(
      (r) =>
        `${r.tasks.toLocaleString('en-US')} tasks, ${r.pollDiffers ? 'every task differing from the poll before' : 'the same tasks as the poll before'}:\n\n` +
        markdownTable(
          ['ms after last byte', 'line', 'fields'],
          [...r.phases!].sort((a, b) => a.atMs - b.atMs).map((p) => [fixed(p.atMs, 0), p.msg, JSON.stringify(p.fields)]),
        ),
    )
    .join('\n\n');
}

/** The longest time between consecutive answers among those overlapping [from, to]. */
function longestGap(answers: readonly number[], from: number, to: number): number {
  return gapOf(answers, from, to).gap;
}

/** The longest gap as in longestGap, and where it starts (ms after `from`). */
function gapOf(answers: readonly number[], from: number, to: number): { gap: number; startMs: number } {
  let gap = 0;
  let startMs = 0;
  for (let i = 1; i < answers.length; i++) {
    if (answers[i] < from || answers[i - 1] > to) continue;
    if (answers[i] - answers[i - 1] > gap) {
      gap = answers[i] - answers[i - 1];
      startMs = answers[i - 1] - from;
    }
  }
  return { gap, startMs };
}

export function formatSnapshotRows(rows: readonly SnapshotRow[]): string {
  return markdownTable(
    ['tasks', 'the poll before it', 'snapshot MB', 'reader', '/health 200 after spawn, ms', 'last byte -> StreamState, ms', 'last byte -> served, ms', 'longest /health gap meanwhile, ms', 'launch -> answered, ms', 'answered after live, ms'],
    rows.map((r) => [
      r.tasks.toLocaleString('en-US'),
      r.pollDiffers ? 'every task differs' : 'the same tasks',
      fixed(r.snapshotMB, 1),
      r.stateReader,
      fixed(r.healthyAfterMs, 0),
      fixed(r.readMs, 0),
      fixed(r.lastByteToServedMs, 0),
      fixed(r.healthGapMs, 0),
      fixed(r.launchToAnswerMs, 0),
      fixed(r.launchAfterLiveMs, 0),
    ]),
  );
}
