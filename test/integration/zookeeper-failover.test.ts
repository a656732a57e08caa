// Leader detection end to end with a real ZooKeeper (Debian's zookeeper): two stand-in masters
// register json.info_ nodes as Mesos masters do; the server follows the lowest sequence number.
// When the leader's node goes away, leader.mesos and the data source move to the other master.
// When ZooKeeper comes back without its data (every session gone), the server starts a new session
// and re-detects the masters as they register again, answering from its last table meanwhile.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from 'node-zookeeper-client';
import { captureLog } from '../helpers/log-capture.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { smallState } from '../helpers/small-state.js';
import { StreamMaster, waitFor } from '../helpers/stream-master.js';
import { closeZk, connectZk, createMasterNode, createPath, deleteNode, masterInfoJson, TestZooKeeper } from '../helpers/zookeeper.js';

let zk: TestZooKeeper;
let client: Client;
let first: StreamMaster;
let second: StreamMaster;
let server: TestServer;
const nodes: string[] = [];
const log = captureLog('info');

beforeAll(async () => {
  zk = await TestZooKeeper.start();
  client = await connectZk(zk.connectString);
  await createPath(client, '/mesos');
  first = await StreamMaster.start();
  second = await StreamMaster.start();
  // Polling mode, so the data source is visible as /master/state requests.
  for (const [m, task] of [
    [first, 'one'],
    [second, 'two'],
  ] as const) {
    m.subscribeAnswer = { status: 404 };
    m.stateDocument = smallState(m.port, [task]);
  }
  nodes.push(await createMasterNode(client, '/mesos', masterInfoJson({ id: 'm1', ip: '127.0.0.1', port: first.port })));
  nodes.push(await createMasterNode(client, '/mesos', masterInfoJson({ id: 'm2', ip: '127.0.0.1', port: second.port })));
  server = await startTestServer({
    zk: `zk://${zk.connectString}/mesos`,
    refreshSeconds: 3600,
    externalon: false,
    zkDetectionTimeout: 30,
  }, log.logger);
}, 60_000);

afterAll(async () => {
  await server?.close();
  if (client) await closeZk(client);
  await first?.close();
  await second?.close();
  await zk?.destroy();
});

async function leaderPort(): Promise<number | undefined> {
  try {
    return (await server.resolver().resolveSrv('_leader._tcp.mesos'))[0]?.port;
  } catch {
    return undefined;
  }
}

describe('ZooKeeper leader detection', () => {
  it('serves the state of the master with the lowest json.info_ sequence', async () => {
    await waitFor(() => server.running.store.current() !== undefined, 10_000, 'first table');
    expect(await leaderPort()).toBe(first.port);
    expect(await server.resolver().resolve4('one.marathon.mesos')).toEqual(['10.1.0.1']);
    // The masters from ZooKeeper become master records (both stand-ins share 127.0.0.1, and
    // masterN numbers distinct addresses, so there is one).
    expect(await server.resolver().resolve4('master.mesos')).toEqual(['127.0.0.1']);
    expect(await server.resolver().resolve4('master0.mesos')).toEqual(['127.0.0.1']);
  });

  it('moves leader.mesos and the data source within 2 s when the leader goes away', async () => {
    const requestsBefore = second.stateRequests;
    await deleteNode(client, nodes[0]);
    // Bounded wait: fails the test if the move takes longer than 2 s.
    const deadline = Date.now() + 2000;
    while ((await leaderPort()) !== second.port && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(await leaderPort()).toBe(second.port);
    expect(second.stateRequests).toBeGreaterThan(requestsBefore);
    expect(await server.resolver().resolve4('two.marathon.mesos')).toEqual(['10.1.0.1']);
    await expect(server.resolver().resolve4('one.marathon.mesos')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('keeps serving the last table while ZooKeeper is down', async () => {
    await zk.stop();
    await new Promise((r) => setTimeout(r, 500));
    expect(await leaderPort()).toBe(second.port);
    expect(await server.resolver().resolve4('two.marathon.mesos')).toEqual(['10.1.0.1']);
    await zk.resume();
  }, 30_000);

  it('re-detects the masters after ZooKeeper comes back without its data, answering throughout', async () => {
    // A client that asks all the time: the leader's SRV record names the old leader, then the
    // new one, and never fails.
    const seen: string[] = [];
    const askUntil = Date.now() + 40_000;
    const asker = (async () => {
      while (seen.at(-1) !== String(first.port) && Date.now() < askUntil) {
        const port = await leaderPort();
        if (seen.at(-1) !== String(port)) seen.push(String(port));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const from = log.lines.length;
    // Every session (the server's, the masters') ends with the data: an ensemble rebuilt, or
    // ZooKeeper's disk lost. The server's client cannot resume its session there.
    await closeZk(client);
    await zk.stop();
    await rm(join(zk.dir, 'data'), { recursive: true, force: true });
    await zk.resume();
    client = await connectZk(zk.connectString);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await leaderPort()).toBe(second.port);
    // The masters register again; this time the first one leads.
    await createPath(client, '/mesos');
    await createMasterNode(client, '/mesos', masterInfoJson({ id: 'm1', ip: '127.0.0.1', port: first.port }));
    await createMasterNode(client, '/mesos', masterInfoJson({ id: 'm2', ip: '127.0.0.1', port: second.port }));
    await waitFor(() => log.lines.slice(from).some((l) => l.msg === 'leading master changed'), 30_000, 'the new leader');
    // Its state is fetched and served.
    await asker;
    expect(seen).toEqual([String(second.port), String(first.port)]);
    expect(await leaderPort()).toBe(first.port);
    expect(await server.resolver().resolve4('one.marathon.mesos')).toEqual(['10.1.0.1']);
    // The outage is told in a few lines, not one per reconnection attempt.
    const warnings = log.lines.slice(from).filter((l) => (l.level as number) >= 40);
    expect(warnings.length).toBeLessThanOrEqual(3);
  }, 60_000);
});
