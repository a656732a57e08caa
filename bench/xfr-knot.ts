// Issue 16's secondary figure: from a task launch on the (stand-in) master to the name answering
// on Knot DNS, a secondary of our server (NOTIFY, then IXFR, TSIG-signed), over a number of
// launches. Our server runs in-process (start() from main.ts) on the Operator API stream; Knot
// is the Debian knotd, configured by test/helpers/knot-secondary.ts; loopback only.
import dgram from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { start } from '../src/main.js';
import { silentLogger } from '../src/log.js';
import { StreamMaster, taskAdded, taskUpdated, v1Status, v1Task, waitFor } from '../test/helpers/stream-master.js';
import { freeLoopbackPort, startKnotSecondary } from '../test/helpers/knot-secondary.js';
import { runningCluster } from './stream-cluster.js';
import { percentile, queryA } from './udp-query.js';

const KEY = 'hmac-sha256:transfer-key:YmVuY2htYXJrIHRyYW5zZmVyIGtleSBmb3Iga25vdA==';
const PER_LAUNCH_TIMEOUT_MS = 60_000;

export interface KnotLaunchResult {
  baseTasks: number;
  launches: number;
  median: number;
  p99: number;
  max: number;
}

export async function runKnotLaunches(baseTasks: number, launches: number): Promise<KnotLaunchResult> {
  const master = await StreamMaster.start();
  const cluster = runningCluster(baseTasks, master.port);
  master.getState = cluster.getState;
  master.stateDocument = cluster.stateDocument;
  const dir = await mkdtemp(path.join(tmpdir(), 'mdns-bench-xfr-'));
  const knotPort = await freeLoopbackPort();
  const configPath = path.join(dir, 'config.json');
  await writeFile(
    configPath,
    JSON.stringify({
      masters: [`127.0.0.1:${master.port}`], listener: '127.0.0.1', port: 0, httpon: false, externalon: false, refreshSeconds: 3600, workers: 1,
      AllowTransfer: ['127.0.0.0/8'], Notify: [`127.0.0.1:${knotPort}`], TsigKeys: [KEY], TransferTsigKey: 'transfer-key', SerialFile: path.join(dir, 'serial'),
    }),
  );
  const running = await start({ configPath, logger: silentLogger });
  const port = running.serving.addresses().dns!.udp.port;
  const knot = await startKnotSecondary({ dir: path.join(dir, 'knot'), zones: ['mesos.'], primaryPort: port, key: KEY, port: knotPort });
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const latencies: number[] = [];
  let id = 1;
  const onKnot = async (name: string, timeoutMs: number): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      id = (id + 1) & 0xffff;
      if ((await queryA(sock, knotPort, name, id, 500).catch(() => 0)) > 0) return;
      if (Date.now() > deadline) throw new Error(`${name} not answered by Knot within ${timeoutMs} ms\n${knot.log().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  try {
    await waitFor(() => master.openStreams === 1 && running.store.current() !== undefined, 60_000, 'subscribed');
    await onKnot(baseTasks > 0 ? 'base0.marathon.mesos' : 'leader.mesos', 120_000);
    for (let i = 0; i < launches; i++) {
      const taskId = `launch${i}.0000`;
      const t0 = process.hrtime.bigint();
      master.send(taskAdded(v1Task({ id: taskId, name: `launch${i}`, frameworkId: 'fw1', agentId: 'a1', state: 'TASK_STAGING' })));
      master.send(taskUpdated('fw1', 'TASK_RUNNING', v1Status({ taskId, agentId: 'a1', state: 'TASK_RUNNING', ips: [`10.3.${i >> 8}.${i & 255}`] })));
      await onKnot(`launch${i}.marathon.mesos`, PER_LAUNCH_TIMEOUT_MS);
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const log = knot.log();
    if (!/IXFR, incoming, remote [^,]+, finished/.test(log)) throw new Error(`Knot never logged an IXFR:\n${log.slice(-2000)}`);
  } finally {
    sock.close();
    await knot.stop();
    await running.close();
    await master.close();
    await rm(dir, { recursive: true, force: true });
  }
  latencies.sort((a, b) => a - b);
  return { baseTasks, launches: latencies.length, median: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1)! };
}
