// The incremental table's start in steps, end to end: the server follows a stand-in master's
// event stream whose snapshot has 20,000 tasks (more than one slice of 8,192), builds it in full,
// starts the incremental table from that build in steps (its debug line: `steps`, `busyMs`,
// `longestStepMs`), and patches the launch that follows into the served table.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { aRecords } from '../helpers/a-records.js';
import { captureLog } from '../helpers/log-capture.js';
import { parseExposition, sumOf } from '../helpers/metrics.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { getState, StreamMaster, taskAdded, v1Agent, v1Framework, v1Status, v1Task, waitFor } from '../helpers/stream-master.js';

type Json = Record<string, unknown>;
const TASKS = 20_000;

function running(id: string, name: string, ip: string): Json {
  const status = v1Status({ taskId: id, agentId: 'a1', state: 'TASK_RUNNING', ips: [ip], timestamp: 1_700_000_100 });
  return v1Task({ id, name, frameworkId: 'fw1', agentId: 'a1', state: 'TASK_RUNNING', ports: [[31000, 31000]], statuses: [status] });
}

describe('the incremental table started in steps', () => {
  let master: StreamMaster;
  let server: TestServer;
  const { logger, lines } = captureLog('debug');
  const started = (): Array<Record<string, unknown>> => lines.filter((l) => l.msg === 'incremental table started');

  beforeAll(async () => {
    master = await StreamMaster.start();
    master.stateDocument = {
      leader: `master@127.0.0.1:${master.port}`,
      slaves: [{ id: 'a1', pid: 'slave(1)@10.1.0.1:5051', hostname: '10.1.0.1' }],
      frameworks: [{ id: 'fw1', name: 'marathon', pid: 'scheduler@10.1.0.100:8080', hostname: '10.1.0.100', tasks: [] }],
    };
    const tasks = Array.from({ length: TASKS }, (_, i) => running(`app-${i >> 2}.${i}`, `app-${i >> 2}`, `172.16.${i >> 8}.${i & 255}`));
    master.getState = getState({ agents: [v1Agent('a1', '10.1.0.1')], frameworks: [v1Framework('fw1', 'marathon', '10.1.0.100')], tasks });
    server = await startTestServer({ masters: [`127.0.0.1:${master.port}`], refreshSeconds: 3600, externalon: false }, logger);
    await waitFor(() => master.openStreams === 1, 10_000, 'the server subscribes to the event stream');
    await waitFor(() => started().some((l) => (l.steps as number) > 0), 30_000, 'the incremental table of the snapshot’s build starts');
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await master?.close();
  });

  it('pauses after each whole-table pass, every 8,192 tasks and before the PTRs, and then patches a launch', async () => {
    const line = started().find((l) => (l.steps as number) > 0)!;
    // The address index, the names' states, the record totals; two slices of tasks; the PTRs.
    expect(line.steps).toBe(6);
    expect(typeof line.busyMs).toBe('number');
    expect(typeof line.longestStepMs).toBe('number');
    const patches = (): Promise<number> => server.http('/metrics').then((r) => sumOf(parseExposition(r.body), 'mesos_dns_table_updates_total', { kind: 'patch' }));
    const before = await patches();
    master.send(taskAdded(running('late.1', 'late', '9.9.0.1')));
    const deadline = Date.now() + 10_000;
    let answer: string[] = [];
    while (Date.now() < deadline && answer.length === 0) {
      answer = await aRecords(server.resolver(), 'late.marathon.mesos').catch(() => []);
      if (answer.length === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(answer).toEqual(['9.9.0.1']);
    expect(await patches()).toBeGreaterThan(before);
    expect(await aRecords(server.resolver(), 'app-4999.marathon.mesos')).toHaveLength(4);
  });
});
