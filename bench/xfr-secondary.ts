// The secondary-mode figure (issue 16): from a task launch on the (stand-in) master to the name
// answering on a mesos-dns-ts secondary of our server (NOTIFY, then IXFR, TSIG-signed), over a
// number of launches. Both servers run in this process (start() from main.ts, one DNS thread
// each), so they share its event loop: the figure is an upper bound for two processes.
import dgram from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { start } from '../src/main.js';
import { silentLogger } from '../src/log.js';
import { StreamMaster, taskAdded, taskUpdated, v1Status, v1Task, waitFor } from '../test/helpers/stream-master.js';
import { freeLoopbackPort } from '../test/helpers/knot-secondary.js';
import { runningCluster } from './stream-cluster.js';
import { percentile, queryA } from './udp-query.js';
import type { KnotLaunchResult } from './xfr-knot.js';

const KEY = 'hmac-sha256:transfer-key:YmVuY2htYXJrIHRyYW5zZmVyIGtleSBmb3Igb3Vycw==';
const PER_LAUNCH_TIMEOUT_MS = 60_000;

export async function runSecondaryLaunches(baseTasks: number, launches: number): Promise<KnotLaunchResult> {
  const master = await StreamMaster.start();
  const cluster = runningCluster(baseTasks, master.port);
  master.getState = cluster.getState;
  master.stateDocument = cluster.stateDocument;
  const dir = await mkdtemp(path.join(tmpdir(), 'mdns-bench-secondary-'));
  const secondaryPort = await freeLoopbackPort();
  const common = { listener: '127.0.0.1', httpon: false, externalon: false, workers: 1, TsigKeys: [KEY], TransferTsigKey: 'transfer-key' };
  await writeFile(
    path.join(dir, 'primary.json'),
    JSON.stringify({ ...common, masters: [`127.0.0.1:${master.port}`], port: 0, refreshSeconds: 3600, AllowTransfer: ['127.0.0.0/8'], Notify: [`127.0.0.1:${secondaryPort}`], SerialFile: path.join(dir, 'serial') }),
  );
  const primary = await start({ configPath: path.join(dir, 'primary.json'), logger: silentLogger });
  const primaryPort = primary.serving.addresses().dns!.udp.port;
  await writeFile(path.join(dir, 'secondary.json'), JSON.stringify({ ...common, port: secondaryPort, Primaries: [`127.0.0.1:${primaryPort}`] }));
  const secondary = await start({ configPath: path.join(dir, 'secondary.json'), logger: silentLogger });
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const latencies: number[] = [];
  let id = 1;
  const answered = async (name: string, timeoutMs: number): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      id = (id + 1) & 0xffff;
      if ((await queryA(sock, secondaryPort, name, id, 500).catch(() => 0)) > 0) return;
      if (Date.now() > deadline) throw new Error(`${name} not answered by the secondary within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  try {
    await waitFor(() => master.openStreams === 1 && primary.store.current() !== undefined, 60_000, 'subscribed');
    await answered(baseTasks > 0 ? 'base0.marathon.mesos' : 'leader.mesos', 120_000);
    for (let i = 0; i < launches; i++) {
      const taskId = `launch${i}.0000`;
      const t0 = process.hrtime.bigint();
      master.send(taskAdded(v1Task({ id: taskId, name: `launch${i}`, frameworkId: 'fw1', agentId: 'a1', state: 'TASK_STAGING' })));
      master.send(taskUpdated('fw1', 'TASK_RUNNING', v1Status({ taskId, agentId: 'a1', state: 'TASK_RUNNING', ips: [`10.3.${i >> 8}.${i & 255}`] })));
      await answered(`launch${i}.marathon.mesos`, PER_LAUNCH_TIMEOUT_MS);
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  } finally {
    sock.close();
    await secondary.close();
    await primary.close();
    await master.close();
    await rm(dir, { recursive: true, force: true });
  }
  latencies.sort((a, b) => a - b);
  return { baseTasks, launches: latencies.length, median: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1)! };
}
