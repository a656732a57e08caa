// Issue 3's figure: the time from an event on the (stand-in) master to the new answer from the
// DNS server, over 200 task launches. The server runs in-process exactly as in production
// (start() from main.ts) against a stand-in master speaking the Operator API stream over real
// HTTP; answers are read with real UDP queries. Loopback only; bounded count and time.
import dgram from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import dnsPacket from 'dns-packet';
import { start } from '../src/main.js';
import { silentLogger } from '../src/log.js';
import { StreamMaster, taskAdded, taskUpdated, v1Status, v1Task, waitFor } from '../test/helpers/stream-master.js';
import { runningCluster } from './stream-cluster.js';
import { percentile, queryA } from './udp-query.js';

const LAUNCHES = Number(process.env.BENCH_LAUNCHES ?? 200);
// Generous: on a large cluster one launch takes seconds (a full rebuild plus the hand-off to the DNS workers).
const PER_LAUNCH_TIMEOUT_MS = 30_000;

/**
 * `baseTasks` RUNNING tasks exist before the launches: each event then rebuilds a table of that
 * size, which is what dominates the latency on a big cluster.
 */
export async function runStreamLatency(
  baseTasks = 0,
): Promise<{ median: number; p99: number; max: number; launches: number; baseTasks: number }> {
  const master = await StreamMaster.start();
  const cluster = runningCluster(baseTasks, master.port);
  master.getState = cluster.getState;
  master.stateDocument = cluster.stateDocument;
  const dir = await mkdtemp(path.join(tmpdir(), 'mdns-bench-'));
  const configPath = path.join(dir, 'config.json');
  await writeFile(
    configPath,
    JSON.stringify({ masters: [`127.0.0.1:${master.port}`], listener: '127.0.0.1', port: 0, httpon: false, externalon: false, refreshSeconds: 3600 }),
  );
  const running = await start({ configPath, logger: silentLogger });
  const port = running.serving.addresses().dns!.udp.port;
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const latencies: number[] = [];
  try {
    await waitFor(() => master.openStreams === 1 && running.store.current() !== undefined, 30_000, 'subscribed');
    // The first table comes from polling /master/state, the second from the SUBSCRIBED snapshot:
    // let both land before timing launches.
    await waitFor(() => running.store.current()!.generation >= 2, 30_000, 'snapshot published');
    let id = 1;
    for (let i = 0; i < LAUNCHES; i++) {
      const taskId = `svc${i}.0000`;
      const name = `svc${i}.marathon.mesos`;
      const t0 = process.hrtime.bigint();
      master.send(taskAdded(v1Task({ id: taskId, name: `svc${i}`, frameworkId: 'fw1', agentId: 'a1', state: 'TASK_STAGING' })));
      master.send(taskUpdated('fw1', 'TASK_RUNNING', v1Status({ taskId, agentId: 'a1', state: 'TASK_RUNNING', ips: [`10.2.${i >> 8}.${i & 255}`] })));
      const deadline = Date.now() + PER_LAUNCH_TIMEOUT_MS;
      for (;;) {
        id = (id + 1) & 0xffff;
        if ((await queryA(sock, port, name, id, 1000, dnsPacket.RECURSION_DESIRED)) > 0) break;
        if (Date.now() > deadline) throw new Error(`${name} not answered within ${PER_LAUNCH_TIMEOUT_MS} ms`);
        await new Promise((r) => setImmediate(r));
      }
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  } finally {
    sock.close();
    await running.close();
    await master.close();
    await rm(dir, { recursive: true, force: true });
  }
  latencies.sort((a, b) => a - b);
  return { median: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies[latencies.length - 1], launches: latencies.length, baseTasks };
}

