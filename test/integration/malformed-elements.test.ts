// One malformed task, framework or agent among good ones, against the running server (issue 13):
// the element is left out and the rest of the document is served (including a task launched in
// that same document), one log line per streak, a counter in /metrics. Polling /master/state
// and the Operator API stream (snapshot and events). A document that is not JSON keeps the last
// good table.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { aRecords } from '../helpers/a-records.js';
import { captureLog } from '../helpers/log-capture.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { emptyLegacyState, getState, StreamMaster, taskAdded, taskUpdated, v1Agent, v1Framework, v1Status, v1Task, waitFor } from '../helpers/stream-master.js';

type Json = Record<string, unknown>;

/** A server whose log lines are kept, to count them. */
async function serverWithLog(config: Json): Promise<{ server: TestServer; lines: Json[] }> {
  const { logger, lines } = captureLog('info');
  return { server: await startTestServer(config, logger), lines };
}

/** A records from the server's resolver; [] for a name that does not exist or has none. */
const a = (server: TestServer, name: string): Promise<string[]> => aRecords(server.resolver(), name);

/** `mesos_dns_state_skipped_total{kind="…"}` from /metrics. */
async function skippedTotal(server: TestServer, kind: string): Promise<number> {
  const { body } = await server.http('/metrics');
  const m = new RegExp(`^mesos_dns_state_skipped_total\\{kind="${kind}"\\} (\\d+)$`, 'm').exec(body);
  if (!m) throw new Error(`no skipped counter for ${kind} in /metrics`);
  return Number(m[1]);
}

const linesWith = (lines: Json[], text: string): Json[] => lines.filter((l) => String(l.msg).includes(text));

describe('polling /master/state', () => {
  let master: StreamMaster;
  let server: TestServer;
  let lines: Json[];

  const task = (id: string, name: string, agent = 'a1'): Json => ({
    id,
    name,
    framework_id: 'fw1',
    slave_id: agent,
    state: 'TASK_RUNNING',
    statuses: [{ state: 'TASK_RUNNING', timestamp: 1_700_000_000 }],
  });
  const doc = (tasks: Json[], more: { slaves?: Json[]; frameworks?: Json[] } = {}): Json => ({
    leader: `master@127.0.0.1:${master.port}`,
    slaves: [{ id: 'a1', pid: 'slave(1)@10.1.0.1:5051', hostname: '10.1.0.1' }, ...(more.slaves ?? [])],
    frameworks: [{ id: 'fw1', name: 'marathon', pid: 'scheduler@10.1.0.100:8080', hostname: '10.1.0.100', tasks }, ...(more.frameworks ?? [])],
  });
  // Each kind of malformed task the issue names, among good ones.
  const bad = [
    { ...task('bad-statuses.1', 'badstatuses'), statuses: 'TASK_RUNNING' },
    { ...task('bad-name.1', 'x'), name: 5 },
    { ...task('bad-timestamp.1', 'badtimestamp'), statuses: [{ state: 'TASK_RUNNING', timestamp: 'now' }] },
  ];
  const others = {
    // An agent whose hostname is a number, and a framework whose name is a number (with a good task).
    slaves: [{ id: 'a2', pid: 'slave(1)@10.1.0.2:5051', hostname: 2 }],
    frameworks: [{ id: 'fw2', name: 7, hostname: '10.1.0.200', tasks: [task('job.1', 'job')] }],
  };

  beforeAll(async () => {
    master = await StreamMaster.start();
    master.subscribeAnswer = { status: 404 };
    master.stateDocument = doc([task('web.1', 'web')]);
    ({ server, lines } = await serverWithLog({ masters: [`127.0.0.1:${master.port}`], refreshSeconds: 3600, externalon: false }));
    await waitFor(() => master.stateRequests > 0, 5000, 'the first poll');
  });

  afterAll(async () => {
    await server?.close();
    await master?.close();
  });

  it('serves the good tasks of a document with malformed ones, including one launched in it', async () => {
    expect(await server.running.refresh()).toBe(true);
    expect(await a(server, 'web.marathon.mesos')).toEqual(['10.1.0.1']);
    expect(await a(server, 'api.marathon.mesos')).toEqual([]);

    master.stateDocument = doc([task('web.1', 'web'), ...bad, task('api.1', 'api')], others);
    expect(await server.running.refresh()).toBe(true);
    expect(await a(server, 'api.marathon.mesos')).toEqual(['10.1.0.1']);
    expect(await server.dig('+short', 'api.marathon.mesos', 'A')).toBe('10.1.0.1\n');
    expect(await a(server, 'web.marathon.mesos')).toEqual(['10.1.0.1']);
    expect(await a(server, 'badstatuses.marathon.mesos')).toEqual([]);
    expect(await a(server, 'badtimestamp.marathon.mesos')).toEqual([]);
    // The framework left out takes its task with it.
    expect(await a(server, 'job.fw2.mesos')).toEqual([]);
  });

  it('logs each malformed element once per streak, with its path, and counts every one', async () => {
    const left = linesWith(lines, 'left out; the rest of the state applies');
    expect(left.map(({ origin, kind, path, id, reason }) => ({ origin, kind, path, id, reason }))).toEqual([
      { origin: 'poll', kind: 'agent', path: 'state.slaves[1]', id: 'a2', reason: '.hostname: expected a string' },
      { origin: 'poll', kind: 'task', path: 'state.frameworks[0].tasks[1]', id: 'bad-statuses.1', reason: '.statuses: expected an array' },
      { origin: 'poll', kind: 'task', path: 'state.frameworks[0].tasks[2]', id: 'bad-name.1', reason: '.name: expected a string' },
      { origin: 'poll', kind: 'task', path: 'state.frameworks[0].tasks[3]', id: 'bad-timestamp.1', reason: '.statuses[0].timestamp: expected a number' },
      { origin: 'poll', kind: 'framework', path: 'state.frameworks[1]', id: 'fw2', reason: '.name: expected a string' },
    ]);
    expect(await skippedTotal(server, 'task')).toBe(3);
    expect(await skippedTotal(server, 'agent')).toBe(1);
    expect(await skippedTotal(server, 'framework')).toBe(1);

    // The same bad elements in the next poll: counted again, no new line.
    expect(await server.running.refresh()).toBe(true);
    expect(linesWith(lines, 'left out; the rest of the state applies')).toHaveLength(5);
    expect(await skippedTotal(server, 'task')).toBe(6);

    // A new bad task gets its line; the ones gone end their streaks.
    master.stateDocument = doc([task('web.1', 'web'), { ...task('bad-ports.1', 'badports'), resources: { ports: 31000 } }]);
    expect(await server.running.refresh()).toBe(true);
    const now = linesWith(lines, 'left out; the rest of the state applies');
    expect(now).toHaveLength(6);
    expect(now[5]).toMatchObject({ id: 'bad-ports.1', reason: '.resources.ports: expected a string' });
    expect(linesWith(lines, 'malformed elements no longer in the state')).toHaveLength(1);
    expect(await a(server, 'api.marathon.mesos')).toEqual([]);
  });

  it('keeps the last good table when the document is not JSON', async () => {
    master.stateDocument = doc([task('web.1', 'web'), task('api.1', 'api')]);
    expect(await server.running.refresh()).toBe(true);
    expect(await a(server, 'api.marathon.mesos')).toEqual(['10.1.0.1']);
    const generation = server.running.store.current()?.generation;

    master.stateDocument = Buffer.from(`{"leader": "master@127.0.0.1:${master.port}", "frameworks": [{"id": "fw1", "tasks": [`);
    expect(await server.running.refresh()).toBe(false);
    expect(server.running.store.current()?.generation).toBe(generation);
    expect(await a(server, 'api.marathon.mesos')).toEqual(['10.1.0.1']);
    expect(await server.dig('+short', 'web.marathon.mesos', 'A')).toBe('10.1.0.1\n');
  });
});

describe('the Operator API stream', () => {
  let master: StreamMaster;
  let server: TestServer;
  let lines: Json[];

  const running = (id: string, agentId: string, ip: string, ports: [number, number][] = [[31000, 31000]]): Json =>
    v1Task({ id, frameworkId: 'fw1', agentId, state: 'TASK_RUNNING', ports, statuses: [v1Status({ taskId: id, agentId, state: 'TASK_RUNNING', ips: [ip], timestamp: 1_700_000_100 })] });

  beforeAll(async () => {
    master = await StreamMaster.start();
    // The legacy document knows none of the tasks: what resolves comes from the stream.
    master.stateDocument = emptyLegacyState(master.port);
    master.getState = getState({
      agents: [v1Agent('a1', '10.1.0.1')],
      frameworks: [v1Framework('fw1', 'marathon', '10.1.0.100')],
      tasks: [running('web.1', 'a1', '9.9.9.1'), running('bad.1', 'a1', '9.9.9.2', [[70000, 70000]]), running('api.1', 'a1', '9.9.9.3')],
    });
    ({ server, lines } = await serverWithLog({ masters: [`127.0.0.1:${master.port}`], refreshSeconds: 3600, externalon: false }));
    await waitFor(() => master.openStreams === 1, 5000, 'the server subscribes to the event stream');
  });

  afterAll(async () => {
    await server?.close();
    await master?.close();
  });

  it('serves a snapshot with a malformed task, without the task, and stays subscribed', async () => {
    await waitFor(() => linesWith(lines, 'live updates from the Operator API event stream').length === 1, 5000, 'stream mode');
    let api: string[] = [];
    for (let i = 0; i < 100 && api.length === 0; i++) {
      api = await a(server, 'api.marathon.mesos');
      if (api.length === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(api).toEqual(['9.9.9.3']);
    expect(await a(server, 'web.marathon.mesos')).toEqual(['9.9.9.1']);
    expect(await a(server, 'bad.marathon.mesos')).toEqual([]);
    const left = linesWith(lines, 'malformed task left out');
    expect(left).toHaveLength(1);
    expect(left[0]).toMatchObject({ origin: 'stream', kind: 'task', path: 'get_state.get_tasks.tasks[1]', id: 'bad.1', reason: 'range.begin: 70000 is not a port' });
    expect(await skippedTotal(server, 'task')).toBe(1);
    expect(master.subscriptions).toBe(1);
  });

  it('skips a malformed event and applies the next ones on the same subscription', async () => {
    master.send(taskAdded(running('late-bad.1', 'a1', '9.9.9.4', [[70000, 70000]])));
    master.send(taskAdded(v1Task({ id: 'late.1', frameworkId: 'fw1', agentId: 'a1', state: 'TASK_STAGING' })));
    master.send(taskUpdated('fw1', 'TASK_RUNNING', v1Status({ taskId: 'late.1', agentId: 'a1', state: 'TASK_RUNNING', ips: ['9.9.9.5'] })));
    let late: string[] = [];
    for (let i = 0; i < 100 && late.length === 0; i++) {
      late = await a(server, 'late.marathon.mesos');
      if (late.length === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(late).toEqual(['9.9.9.5']);
    expect(await a(server, 'late-bad.marathon.mesos')).toEqual([]);
    expect(await a(server, 'api.marathon.mesos')).toEqual(['9.9.9.3']);
    const skipped = linesWith(lines, 'malformed event skipped');
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatchObject({ path: 'TASK_ADDED event', id: 'late-bad.1' });
    expect(await skippedTotal(server, 'task')).toBe(2);
    expect(master.subscriptions).toBe(1);
    expect(linesWith(lines, 'operator stream lost')).toEqual([]);
  });
});
