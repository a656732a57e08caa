// The stream's snapshot patched onto the table served (docs/architecture.md "The snapshot patched
// onto the poll's table"), against the running server: it polls /master/state first, then
// subscribes; the SUBSCRIBED snapshot describes the same tasks as new objects plus one more, and
// is swapped in as a patch (mesos_dns_table_updates_total{kind="patch"}), not a second full build.
// A resubscription's snapshot is patched the same way (a task that changed meanwhile gets its new
// address), and so is a new leader's, onto the poll of the new leader.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { aRecords } from '../helpers/a-records.js';
import { captureLog } from '../helpers/log-capture.js';
import { parseExposition, sumOf } from '../helpers/metrics.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { getState, StreamMaster, v1Agent, v1Framework, v1Status, v1Task, waitFor } from '../helpers/stream-master.js';

type Json = Record<string, unknown>;

// More than a patch takes task by task (2 × MAX_PATCH_TASKS): compared by identity they would all
// count as changed, and the snapshot would be built in full.
const TASKS = 4100;
const TIMESTAMP = 1_700_000_000;
const ipOf = (i: number): string => `9.9.${i >> 8}.${i & 255}`;

/** Task i as the Operator API gives it: RUNNING, its container address in its status. */
function v1Running(i: number, ip = ipOf(i)): Json {
  const id = `app${i}.0000`;
  return v1Task({ id, name: `app${i}`, frameworkId: 'fw1', agentId: 'a1', state: 'TASK_RUNNING', ports: [[31000, 31000]], statuses: [v1Status({ taskId: id, agentId: 'a1', state: 'TASK_RUNNING', ips: [ip], timestamp: TIMESTAMP })] });
}

/** /master/state with the same tasks (v1Status's status, as /master/state writes it). */
function legacyState(port: number, count: number): Json {
  const tasks = Array.from({ length: count }, (_, i) => ({
    id: `app${i}.0000`,
    name: `app${i}`,
    slave_id: 'a1',
    state: 'TASK_RUNNING',
    resources: { ports: '[31000-31000]' },
    statuses: [{ state: 'TASK_RUNNING', timestamp: TIMESTAMP, container_status: { network_infos: [{ ip_addresses: [{ protocol: 'IPv4', ip_address: ipOf(i) }] }] } }],
  }));
  return {
    leader: `master@127.0.0.1:${port}`,
    slaves: [{ id: 'a1', pid: 'slave(1)@10.1.0.1:5051', hostname: 'agent-a1' }],
    frameworks: [{ id: 'fw1', name: 'marathon', pid: 'scheduler@10.1.0.100:8080', hostname: '10.1.0.100', tasks }],
  };
}

function snapshotOf(tasks: Json[]): Json {
  return getState({ agents: [v1Agent('a1', '10.1.0.1')], frameworks: [v1Framework('fw1', 'marathon', '10.1.0.100')], tasks });
}

describe('the snapshot patched onto the table of the poll before it', () => {
  let master: StreamMaster;
  let server: TestServer;
  const { logger, lines } = captureLog('debug');

  const updates = async (kind: string): Promise<number> => sumOf(parseExposition((await server.http('/metrics')).body), 'mesos_dns_table_updates_total', { kind });
  const swaps = (): Json[] => lines.filter((l) => l.msg === 'table swapped in');

  beforeAll(async () => {
    master = await StreamMaster.start();
    master.stateDocument = legacyState(master.port, TASKS);
    // The snapshot: the same tasks and one more, which only the stream knows.
    master.getState = snapshotOf([...Array.from({ length: TASKS }, (_, i) => v1Running(i)), v1Running(TASKS)]);
    server = await startTestServer({ masters: [`127.0.0.1:${master.port}`], refreshSeconds: 3600, externalon: false }, logger);
    await waitFor(() => master.openStreams === 1, 10_000, 'the server subscribes');
  }, 30_000);

  afterAll(async () => {
    await server?.close();
    await master?.close();
  });

  it('builds the poll in full and patches the snapshot onto it', async () => {
    await waitFor(() => swaps().length >= 2, 10_000, 'the snapshot swapped in');
    expect(await aRecords(server.resolver(), `app${TASKS}.marathon.mesos`)).toEqual([ipOf(TASKS)]);
    expect(await aRecords(server.resolver(), 'app7.marathon.mesos')).toEqual([ipOf(7)]);
    // The poll's table, then the snapshot's: a full build and a patch of the one task it adds.
    expect(swaps().map((l) => l.kind)).toEqual(['full', 'patch']);
    expect(await updates('full')).toBe(1);
    expect(await updates('patch')).toBe(1);
    // /v1/enumerate lists the snapshot's tasks (the poll's table let its own list go).
    const { status, body } = await server.http('/v1/enumerate');
    expect(status).toBe(200);
    const tasks = (JSON.parse(body) as { frameworks: Array<{ tasks: Array<{ id: string }> }> }).frameworks.flatMap((f) => f.tasks.map((t) => t.id));
    expect(tasks).toHaveLength(TASKS + 1);
    expect(tasks).toContain(`app${TASKS}.0000`);
  });

  it("patches a resubscription's snapshot too, with the tasks that changed meanwhile", async () => {
    const full = await updates('full');
    // While the stream is down one task moved to a new address and another ended.
    const tasks = [...Array.from({ length: TASKS + 1 }, (_, i) => (i === 3 ? v1Running(3, '9.8.0.3') : v1Running(i)))].filter((_, i) => i !== 5);
    master.getState = snapshotOf(tasks);
    const before = master.subscriptions;
    master.destroyStreams();
    await waitFor(() => master.subscriptions > before && master.openStreams === 1, 15_000, 'resubscribe after a cut');
    for (const deadline = Date.now() + 10_000; (await aRecords(server.resolver(), 'app3.marathon.mesos')).join() !== '9.8.0.3'; ) {
      if (Date.now() > deadline) throw new Error('the moved task was not answered at its new address');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await aRecords(server.resolver(), 'app5.marathon.mesos')).toEqual([]);
    expect(await aRecords(server.resolver(), `app${TASKS}.marathon.mesos`)).toEqual([ipOf(TASKS)]);
    expect(await updates('full')).toBe(full);
    expect(swaps().at(-1)?.kind).toBe('patch');
  });

  it("after a new leader: builds its poll in full and patches its snapshot onto it", async () => {
    const next = await StreamMaster.start();
    try {
      // The new leader knows the same tasks and one more.
      next.stateDocument = legacyState(next.port, TASKS);
      next.getState = snapshotOf([...Array.from({ length: TASKS }, (_, i) => v1Running(i)), v1Running(TASKS + 1)]);
      await server.close();
      lines.length = 0;
      server = await startTestServer({ masters: [`127.0.0.1:${master.port}`, `127.0.0.1:${next.port}`], refreshSeconds: 3600, externalon: false }, logger);
      await waitFor(() => master.openStreams === 1 && swaps().length >= 2, 10_000, 'the first leader streams');
      const full = await updates('full');
      // The old leader steps down: it redirects state requests and refuses streams.
      master.stateAnswer = { status: 307, headers: { location: `http://127.0.0.1:${next.port}/master/state` } };
      master.subscribeAnswer = { status: 307, headers: { location: `http://127.0.0.1:${next.port}/api/v1` } };
      master.destroyStreams();
      await waitFor(() => next.openStreams === 1, 10_000, 'subscribed to the new leader');
      for (const deadline = Date.now() + 10_000; (await aRecords(server.resolver(), `app${TASKS + 1}.marathon.mesos`)).length === 0; ) {
        if (Date.now() > deadline) throw new Error("the new leader's snapshot was not served");
        await new Promise((r) => setTimeout(r, 20));
      }
      // One full build (the new leader's poll: a new leader is never a patch), then its snapshot patched.
      expect(await updates('full')).toBe(full + 1);
      expect(swaps().at(-1)?.kind).toBe('patch');
      expect(await aRecords(server.resolver(), 'app9.marathon.mesos')).toEqual([ipOf(9)]);
    } finally {
      master.stateAnswer = undefined;
      master.subscribeAnswer = undefined;
      await next.close();
    }
  });
});
