// The incremental table end to end: the server follows a stand-in master's event stream, and a
// task event is patched into the served table (mesos_dns_table_updates_total{kind="patch"})
// instead of rebuilding it, with DNS served by the main thread (Workers: 1) or by worker threads
// (Workers: 2, which receive the changed names over the base they hold). Answers, PTRs and
// /v1/enumerate after patches are those of a full build.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { aRecords } from '../helpers/a-records.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { parseExposition, sumOf } from '../helpers/metrics.js';
import { agentAdded, agentRemoved, frameworkAdded, frameworkRemoved, frameworkUpdated, getState, StreamMaster, taskAdded, taskUpdated, v1Agent, v1Framework, v1FrameworkInfo, v1Status, v1Task, waitFor } from '../helpers/stream-master.js';
import { describeWorkers } from '../helpers/workers.js';
import { createLogger } from '../../src/log.js';

type Json = Record<string, unknown>;

const agents = [v1Agent('a1', '10.1.0.1'), v1Agent('a2', '10.1.0.2')];
const frameworks = [v1Framework('fw1', 'marathon', '10.1.0.100')];

function running(id: string, agentId: string, ips: string[], frameworkId = 'fw1'): Json {
  const status = v1Status({ taskId: id, agentId, state: 'TASK_RUNNING', ips, timestamp: 1_700_000_100 });
  return v1Task({ id, frameworkId, agentId, state: 'TASK_RUNNING', ports: [[31000, 31000]], statuses: [status] });
}

function legacyState(port: number): Json {
  return {
    leader: `master@127.0.0.1:${port}`,
    slaves: [
      { id: 'a1', pid: 'slave(1)@10.1.0.1:5051', hostname: '10.1.0.1' },
      { id: 'a2', pid: 'slave(1)@10.1.0.2:5051', hostname: '10.1.0.2' },
    ],
    frameworks: [{ id: 'fw1', name: 'marathon', pid: 'scheduler@10.1.0.100:8080', hostname: '10.1.0.100', tasks: [] }],
  };
}

function cases(workers: number): void {
  let master: StreamMaster;
  let server: TestServer;

  const a = (name: string): Promise<string[]> => aRecords(server.resolver(), name);

  /** Asks several times (fresh sockets: with workers, any of them may answer) until `name` has exactly `ips`. */
  async function eventually(name: string, ips: string[], timeoutMs = 3000): Promise<void> {
    const want = [...ips].sort().join(',');
    const deadline = Date.now() + timeoutMs;
    let last = '';
    let agreeing = 0;
    while (Date.now() < deadline && agreeing < 6) {
      try {
        last = (await a(name)).join(',');
      } catch (err) {
        // SERVFAIL until the first table is served (the build may still be running under load).
        if ((err as { code?: string }).code !== 'ESERVFAIL') throw err;
        last = 'SERVFAIL';
      }
      agreeing = last === want ? agreeing + 1 : 0;
      if (agreeing === 0) await new Promise((r) => setTimeout(r, 20));
    }
    if (agreeing < 6) throw new Error(`${name}: wanted [${want}], still [${last}] after ${timeoutMs} ms`);
  }

  async function updates(kind: string): Promise<number> {
    return sumOf(parseExposition((await server.http('/metrics')).body), 'mesos_dns_table_updates_total', { kind });
  }

  beforeAll(async () => {
    master = await StreamMaster.start();
    master.stateDocument = legacyState(master.port);
    master.getState = getState({ agents, frameworks, tasks: [running('web.0', 'a1', ['9.9.0.1'])] });
    server = await startTestServer({ masters: [`127.0.0.1:${master.port}`], refreshSeconds: 3600, externalon: false, workers }, process.env.DBG ? createLogger({ level: "debug" }) : undefined);
    await waitFor(() => master.openStreams === 1, 5000, 'the server subscribes to the event stream');
    await eventually('web.marathon.mesos', ['9.9.0.1'], 15_000);
  }, 30_000);

  afterAll(async () => {
    await server?.close();
    await master?.close();
  });

  it('patches a launch into the served table instead of building it again', async () => {
    // The first stream state is built in full; the launches after it are patches.
    master.send(taskAdded(running('web.1', 'a2', ['9.9.0.2'])));
    await eventually('web.marathon.mesos', ['9.9.0.1', '9.9.0.2']);
    const full = await updates('full');
    const patches = await updates('patch');
    expect(patches).toBeGreaterThanOrEqual(1);

    master.send(taskAdded(running('api.1', 'a1', ['9.9.0.3'])));
    await eventually('api.marathon.mesos', ['9.9.0.3']);
    expect(await a('api.marathon.slave.mesos')).toEqual(['10.1.0.1']);
    const srv = await server.resolver().resolveSrv('_api._tcp.marathon.mesos');
    expect(srv.map((s) => s.port)).toEqual([31000]);
    // the container address has its PTR back to the new task
    expect(await server.resolver().reverse('9.9.0.3')).toContain('api.marathon.mesos');
    expect(await updates('patch')).toBeGreaterThan(patches);
    expect(await updates('full')).toBe(full);
  });

  it('drops a killed task from a shared name and its own names, with cached answers renewed', async () => {
    // Cached now (the fast path keeps the reply); the patch must renew exactly this name.
    await eventually('web.marathon.mesos', ['9.9.0.1', '9.9.0.2']);
    master.send(taskUpdated('fw1', 'TASK_KILLED', v1Status({ taskId: 'web.1', agentId: 'a2', state: 'TASK_KILLED' })));
    await eventually('web.marathon.mesos', ['9.9.0.1']);
    await expect(server.resolver().reverse('9.9.0.2')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    // an updated address replaces the old one under every name of the task
    master.send(taskUpdated('fw1', 'TASK_RUNNING', v1Status({ taskId: 'api.1', agentId: 'a1', state: 'TASK_RUNNING', ips: ['9.9.0.4'], timestamp: 1_700_000_200 })));
    await eventually('api.marathon.mesos', ['9.9.0.4']);
    const enumerate = JSON.parse((await server.http('/v1/enumerate')).body) as { frameworks: Array<{ tasks: Array<{ id: string }> }> };
    expect(enumerate.frameworks[0].tasks.map((t) => t.id).sort()).toEqual(['api.1', 'web.0']);
  });

  it('patches an agent added and removed: the agent names, its tasks\' names and its PTR', async () => {
    const full = await updates('full');
    const patches = await updates('patch');
    master.send(agentAdded(v1Agent('a3', '10.1.0.3')));
    master.send(taskAdded(running('db.1', 'a3', ['9.9.0.5'])));
    await eventually('db.marathon.slave.mesos', ['10.1.0.3']);
    await eventually('slave.mesos', ['10.1.0.1', '10.1.0.2', '10.1.0.3']);
    expect(await a('db.marathon.mesos')).toEqual(['9.9.0.5']);
    expect(await server.resolver().reverse('10.1.0.3')).toEqual(['slave.mesos']);
    // gone: its tasks have no agent to name, so no records (as a full build gives them)
    master.send(agentRemoved('a3'));
    await eventually('db.marathon.mesos', []);
    await eventually('slave.mesos', ['10.1.0.1', '10.1.0.2']);
    await expect(server.resolver().reverse('10.1.0.3')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    expect(await updates('patch')).toBeGreaterThan(patches);
    expect(await updates('full')).toBe(full);
  });

  it('patches a framework added, renamed and removed: its names and its tasks\'', async () => {
    const full = await updates('full');
    const patches = await updates('patch');
    // /master/state lists the new framework with its scheduler pid, which the v1 API does not carry:
    // the server polls once for it, and that poll's pid is patched in too.
    const legacy = legacyState(master.port);
    master.stateDocument = { ...legacy, frameworks: [...(legacy.frameworks as Json[]), { id: 'fw2', name: 'chronos', pid: 'scheduler@10.1.0.210:9090', hostname: '10.1.0.200', tasks: [] }] };
    master.send(frameworkAdded(v1Framework('fw2', 'chronos', '10.1.0.200')));
    master.send(taskAdded(running('job.1', 'a1', ['9.9.0.6'], 'fw2')));
    await eventually('job.chronos.mesos', ['9.9.0.6']);
    await eventually('chronos.mesos', ['10.1.0.210']);
    expect((await server.resolver().resolveSrv('_framework._tcp.chronos.mesos')).map((r) => r.port)).toEqual([9090]);
    master.send(frameworkUpdated(v1Framework('fw2', 'cron', '10.1.0.200')));
    await eventually('job.cron.mesos', ['9.9.0.6']);
    await eventually('cron.mesos', ['10.1.0.210']);
    expect(await a('job.chronos.mesos')).toEqual([]);
    expect(await a('chronos.mesos')).toEqual([]);
    expect(await server.resolver().reverse('10.1.0.210')).toEqual(['cron.mesos']);
    master.send(frameworkRemoved(v1FrameworkInfo('fw2', 'cron', '10.1.0.200')));
    await eventually('job.cron.mesos', []);
    await eventually('cron.mesos', []);
    // the other framework's tasks are as they were
    expect(await a('web.marathon.mesos')).toEqual(['9.9.0.1']);
    expect(await updates('patch')).toBeGreaterThan(patches);
    expect(await updates('full')).toBe(full);
  });

  it('shows the patched table in /v1/hosts and the record counts', async () => {
    const hosts = JSON.parse((await server.http('/v1/hosts/api.marathon.mesos')).body) as Array<{ ip: string }>;
    expect(hosts.map((h) => h.ip)).toEqual(['9.9.0.4']);
    const e = parseExposition((await server.http('/metrics')).body);
    // web (2 names x 1) + api: task and canonical names for both the task and .slave. forms
    expect(sumOf(e, 'mesos_dns_table_records', { type: 'A' })).toBeGreaterThan(0);
    expect(sumOf(e, 'mesos_dns_table_check_mismatches_total')).toBe(0);
  });
}

describe('incremental updates, DNS on the main thread (Workers: 1)', () => cases(1));
describeWorkers('incremental updates, DNS in worker threads (Workers: 2)', () => cases(2));
