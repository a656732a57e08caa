// A mesos-dns-ts secondary as it runs on an agent (issue 16), as processes: the real binary as
// the primary, on a stand-in master's Operator API stream with `n` RUNNING tasks, and the real
// binary as its secondary (`Primaries`, NOTIFY from the primary). Timed: from the secondary's
// spawn to its first answer for a name of the zone (the first AXFR read, copied, built and
// served), then launches from the events to the secondary's answer (NOTIFY, IXFR, patch). The
// secondary's resident set (/proc VmRSS) is read 12 s after serving and 12 s after the launches
// (past the main thread's next heap compaction). Loopback only, bounded in count and time.
import { encodeRecord } from '../src/mesos/recordio.js';
import { StreamMaster, subscribed, taskAdded, taskUpdated, v1Status, v1Task } from '../test/helpers/stream-master.js';
import { answered } from './dns-probe.js';
import { fixed, markdownTable } from './report.js';
import { freePort, statusMB } from './processes.js';
import { startOurServer } from './server-process.js';
import { runningCluster } from './stream-cluster.js';

export interface SecondaryProcessRow {
  tasks: number;
  /** Spawn of the secondary to its first answer for a task name, ms. */
  firstServedMs: number;
  /** The secondary's VmRSS 12 s after it first served, MB. */
  rssServedMB: number;
  launches: number;
  p50Ms: number;
  maxMs: number;
  /** The secondary's VmRSS 12 s after the launches, MB. */
  rssAfterMB: number;
  /** The secondary's peak resident set (VmHWM) then: the first transfer's working memory included, MB. */
  peakMB: number;
  /** The primary's VmRSS then, MB (what a secondary is compared with). */
  primaryRssMB: number;
}

const GIVE_UP_MS = 300_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rssMB = (pid: number): number => statusMB(pid, 'VmRSS');

export async function runSecondaryProcess(n: number, dir: string, launches: number): Promise<SecondaryProcessRow> {
  const master = await StreamMaster.start();
  const cluster = runningCluster(n, master.port, ['snaponly']);
  master.subscribedRecord = encodeRecord(JSON.stringify(subscribed(cluster.getState)));
  master.stateDocument = Buffer.from(JSON.stringify(cluster.stateDocument));
  const secondaryPort = await freePort();
  const primary = await startOurServer({
    dir,
    masters: [`127.0.0.1:${master.port}`],
    extra: { refreshSeconds: 3600, AllowTransfer: ['127.0.0.0/8'], Notify: [`127.0.0.1:${secondaryPort}`], SerialFile: `${dir}/serial-${secondaryPort}` },
  });
  let secondary: Awaited<ReturnType<typeof startOurServer>> | undefined;
  const started = Date.now();
  const check = (what: string): void => {
    if (primary.exited()) throw new Error(`the primary exited while waiting for ${what}:\n${primary.output()}`);
    if (secondary?.exited()) throw new Error(`the secondary exited while waiting for ${what}:\n${secondary.output()}`);
    if (Date.now() - started > GIVE_UP_MS) throw new Error(`gave up waiting for ${what}`);
  };
  try {
    while (!(await answered(primary.port, 'snaponly.marathon.mesos'))) {
      check('the primary to serve the stream snapshot');
      await sleep(50);
    }
    secondary = await startOurServer({ dir, masters: [], extra: { port: secondaryPort, Primaries: [`127.0.0.1:${primary.port}`] } });
    while (!(await answered(secondaryPort, 'snaponly.marathon.mesos'))) {
      check('the secondary to serve the zone');
      await sleep(20);
    }
    const firstServedMs = Date.now() - secondary.spawnedAt;
    await sleep(12_000);
    const rssServedMB = rssMB(secondary.pid);
    const times: number[] = [];
    for (let i = 0; i < launches; i++) {
      const id = `launch${i}.0000`;
      const name = `launch${i}.marathon.mesos`;
      const t0 = performance.now();
      master.send(taskAdded(v1Task({ id, name: `launch${i}`, frameworkId: 'fw1', agentId: 'a1', state: 'TASK_STAGING' })));
      master.send(taskUpdated('fw1', 'TASK_RUNNING', v1Status({ taskId: id, agentId: 'a1', state: 'TASK_RUNNING', ips: [`10.251.${i >> 8}.${i & 255}`] })));
      while (!(await answered(secondaryPort, name))) check(`${name} to be answered by the secondary`);
      times.push(performance.now() - t0);
    }
    await sleep(12_000);
    times.sort((a, b) => a - b);
    return {
      tasks: n,
      firstServedMs,
      rssServedMB,
      launches,
      p50Ms: times[Math.floor((times.length - 1) / 2)] ?? NaN,
      maxMs: times.at(-1) ?? NaN,
      rssAfterMB: rssMB(secondary.pid),
      peakMB: statusMB(secondary.pid, 'VmHWM'),
      primaryRssMB: rssMB(primary.pid),
    };
  } finally {
    await secondary?.stop();
    await primary.stop();
    await master.close();
  }
}

export function formatSecondaryProcess(rows: readonly SecondaryProcessRow[]): string {
  return markdownTable(
    ['tasks', 'secondary spawn -> first answer, ms', 'secondary RSS served, MB', 'launches', 'launch -> secondary answers p50 / max, ms', 'secondary RSS after, MB', 'secondary peak RSS, MB', 'primary RSS, MB'],
    rows.map((r) => [r.tasks.toLocaleString('en-US'), fixed(r.firstServedMs, 0), fixed(r.rssServedMB, 0), String(r.launches), `${fixed(r.p50Ms, 1)} / ${fixed(r.maxMs, 1)}`, fixed(r.rssAfterMB, 0), fixed(r.peakMB, 0), fixed(r.primaryRssMB, 0)]),
  );
}
