// Live updates end to end: the server subscribes to a stand-in master's Operator API stream
// (real HTTP, RecordIO), and every event shows in real DNS answers within a bounded wait.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { aRecords } from '../helpers/a-records.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  agentAdded,
  agentRemoved,
  getState,
  StreamMaster,
  taskAdded,
  taskUpdated,
  v1Agent,
  v1Framework,
  v1Status,
  v1Task,
  waitFor,
} from '../helpers/stream-master.js';

type Json = Record<string, unknown>;

/** The legacy /master/state a master serves, naming itself leader. */
function legacyState(port: number, tasks: Json[] = []): Json {
  return {
    leader: `master@127.0.0.1:${port}`,
    slaves: [
      { id: 'a1', pid: 'slave(1)@10.1.0.1:5051', hostname: '10.1.0.1' },
      { id: 'a2', pid: 'slave(1)@10.1.0.2:5051', hostname: '10.1.0.2' },
    ],
    frameworks: [{ id: 'fw1', name: 'marathon', pid: 'scheduler@10.1.0.100:8080', hostname: '10.1.0.100', tasks }],
  };
}

const agents = [v1Agent('a1', '10.1.0.1'), v1Agent('a2', '10.1.0.2')];
const frameworks = [v1Framework('fw1', 'marathon', '10.1.0.100')];

function running(id: string, agentId: string, ips: string[], ports: [number, number][] = [[31000, 31000]]): Json {
  const status = v1Status({ taskId: id, agentId, state: 'TASK_RUNNING', ips, timestamp: 1_700_000_100 });
  return v1Task({ id, frameworkId: 'fw1', agentId, state: 'TASK_RUNNING', ports, statuses: [status] });
}

let master: StreamMaster;
let server: TestServer;

const a = (name: string): Promise<string[]> => aRecords(server.resolver(), name);

/** Wait (bounded) until `name` resolves to exactly `ips`; fails the test otherwise. */
async function eventually(name: string, ips: string[], timeoutMs = 2000): Promise<void> {
  const want = [...ips].sort().join(',');
  let last = '';
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    last = (await a(name)).join(',');
    if (last === want) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${name}: wanted [${want}], still [${last}] after ${timeoutMs} ms`);
}

beforeAll(async () => {
  master = await StreamMaster.start();
  master.stateDocument = legacyState(master.port);
  master.getState = getState({ agents, frameworks });
  server = await startTestServer({ masters: [`127.0.0.1:${master.port}`], refreshSeconds: 3600, externalon: false });
  await waitFor(() => master.openStreams === 1, 5000, 'the server subscribes to the event stream');
});

afterAll(async () => {
  await server?.close();
  await master?.close();
});

describe('Operator API event stream', () => {
  it('subscribes with a SUBSCRIBE call', () => {
    expect(master.lastSubscribe?.body).toEqual({ type: 'SUBSCRIBE' });
    expect(master.subscriptions).toBe(1);
  });

  it('publishes a launched task once it is RUNNING, and removes it when killed', async () => {
    master.send(taskAdded(v1Task({ id: 'web.1', frameworkId: 'fw1', agentId: 'a1', state: 'TASK_STAGING', ports: [[31000, 31000]] })));
    // A staging task has no records; give the event time to arrive, then check it stayed absent.
    await new Promise((r) => setTimeout(r, 200));
    expect(await a('web.marathon.mesos')).toEqual([]);

    master.send(taskUpdated('fw1', 'TASK_RUNNING', v1Status({ taskId: 'web.1', agentId: 'a1', state: 'TASK_RUNNING', ips: ['9.9.9.1'] })));
    await eventually('web.marathon.mesos', ['9.9.9.1'], 1000);
    expect(await a('web.marathon.slave.mesos')).toEqual(['10.1.0.1']);
    const srv = await server.resolver().resolveSrv('_web._tcp.marathon.mesos');
    expect(srv.map((s) => s.port)).toEqual([31000]);
    // The framework records keep the scheduler pid from /master/state (the v1 API has none).
    const fw = await server.resolver().resolveSrv('_framework._tcp.marathon.mesos');
    expect(fw.map((s) => s.port)).toEqual([8080]);

    master.send(taskUpdated('fw1', 'TASK_KILLED', v1Status({ taskId: 'web.1', agentId: 'a1', state: 'TASK_KILLED' })));
    await eventually('web.marathon.mesos', [], 1000);
  });

  it("learns a new framework's scheduler pid from /master/state for its framework records", async () => {
    // The v1 API has no scheduler pid; the master's /master/state has it.
    const doc = legacyState(master.port) as { frameworks: Json[] };
    master.stateDocument = { ...doc, frameworks: [...doc.frameworks, { id: 'fw2', name: 'chronos', pid: 'scheduler@10.1.0.200:9090', hostname: '10.1.0.200', tasks: [] }] };
    const { frameworkAdded } = await import('../helpers/stream-master.js');
    master.send(frameworkAdded(v1Framework('fw2', 'chronos', '10.1.0.200')));
    const deadline = Date.now() + 2000;
    let ports: number[] = [];
    while (Date.now() < deadline) {
      ports = await server
        .resolver()
        .resolveSrv('_framework._tcp.chronos.mesos')
        .then((r) => r.map((x) => x.port))
        .catch(() => []);
      if (ports.length) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(ports).toEqual([9090]);
    master.stateDocument = legacyState(master.port);
  });

  it('drops the records of tasks on a removed agent', async () => {
    master.send(taskAdded(running('db.1', 'a2', ['9.9.9.2'])));
    await eventually('db.marathon.mesos', ['9.9.9.2'], 1000);
    master.send(agentRemoved('a2'));
    await eventually('db.marathon.mesos', [], 1000);
    master.send(agentAdded(agents[1]));
  });

  it('keeps serving through a stream cut mid-record, then resubscribes', async () => {
    const task = running('cache.1', 'a1', ['9.9.9.3']);
    master.send(taskAdded(task));
    await eventually('cache.marathon.mesos', ['9.9.9.3'], 1000);
    // What a new subscriber will be told: the truth as of now.
    master.getState = getState({ agents, frameworks, tasks: [task] });
    const before = master.subscriptions;
    master.sendRaw('230\n{"type":"TASK_UPDATED","task_upd');
    master.destroyStreams();
    expect(await a('cache.marathon.mesos')).toEqual(['9.9.9.3']);
    await waitFor(() => master.subscriptions > before && master.openStreams === 1, 10_000, 'resubscribe after a cut');
    expect(await a('cache.marathon.mesos')).toEqual(['9.9.9.3']);
  });

  it('resubscribes after a garbage record without losing the table', async () => {
    const before = master.subscriptions;
    master.sendRaw('not-a-length\n{}');
    await waitFor(() => master.subscriptions > before && master.openStreams === 1, 10_000, 'resubscribe after garbage');
    expect(await a('cache.marathon.mesos')).toEqual(['9.9.9.3']);
    // And events flow again on the new subscription.
    master.send(taskAdded(running('api.1', 'a1', ['9.9.9.4'])));
    await eventually('api.marathon.mesos', ['9.9.9.4'], 1000);
    master.getState = getState({ agents, frameworks, tasks: [running('cache.1', 'a1', ['9.9.9.3']), running('api.1', 'a1', ['9.9.9.4'])] });
  });

  it('resubscribes when heartbeats stop', async () => {
    master.heartbeatIntervalSeconds = 0.2;
    let before = master.subscriptions;
    master.destroyStreams();
    await waitFor(() => master.subscriptions > before && master.openStreams === 1, 10_000, 'resubscribe');
    before = master.subscriptions;
    master.stopHeartbeats();
    // Silence for 5 heartbeat intervals (1 s) ends the subscription; a new one follows.
    await waitFor(() => master.subscriptions > before, 10_000, 'resubscribe after heartbeat silence');
    master.heartbeatIntervalSeconds = 15;
    expect(await a('api.marathon.mesos')).toEqual(['9.9.9.4']);
  }, 30_000);
});

describe('leader change without ZooKeeper', () => {
  it('follows a 307 from the old leader to the new one and streams from it', async () => {
    const next = await StreamMaster.start();
    const local = await startTestServer({
      masters: [`127.0.0.1:${master.port}`, `127.0.0.1:${next.port}`],
      refreshSeconds: 3600,
      externalon: false,
    });
    try {
      const leaderPort = async () => (await local.resolver().resolveSrv('_leader._tcp.mesos')).map((s) => s.port);
      await waitFor(() => local.running.store.current() !== undefined, 5000, 'first table');
      expect(await leaderPort()).toEqual([master.port]);
      const streamsBefore = master.subscriptions;
      await waitFor(() => master.subscriptions > streamsBefore || master.openStreams >= 2, 5000, 'subscribed to the first master');

      next.stateDocument = legacyState(next.port, [
        { id: 'moved.1', name: 'moved', slave_id: 'a1', state: 'TASK_RUNNING', resources: { ports: '[]' }, statuses: [] },
      ]);
      next.getState = getState({ agents, frameworks, tasks: [running('moved.1', 'a1', ['9.9.9.9'])] });
      // The old leader steps down: it redirects state requests and refuses streams.
      const location = { location: `http://127.0.0.1:${next.port}/master/state` };
      master.stateAnswer = { status: 307, headers: location };
      master.subscribeAnswer = { status: 307, headers: { location: `http://127.0.0.1:${next.port}/api/v1` } };
      master.destroyStreams();

      await waitFor(() => next.openStreams >= 1, 5000, 'subscribed to the new leader');
      const deadline = Date.now() + 2000;
      while ((await leaderPort())[0] !== next.port && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(await leaderPort()).toEqual([next.port]);
      expect((await local.resolver().resolve4('moved.marathon.mesos')).sort()).toEqual(['9.9.9.9']);
    } finally {
      master.stateAnswer = undefined;
      master.subscribeAnswer = undefined;
      await local.close();
      await next.close();
    }
  });
});
