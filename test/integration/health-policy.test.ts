// HealthPolicy against the running server (docs/naming.md "Health-aware answers"): an unhealthy
// instance leaves the A and SRV answers and /v1/hosts and /v1/services, comes back when healthy;
// a name whose instances all fail keeps them all and /metrics counts it; killing and unreachable
// tasks lose their records and get them back when RUNNING again. Through /master/state polling
// and through the Operator API stream.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseExposition, sumOf } from '../helpers/metrics.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { AGENT_IPS, healthState, runningStatus, type HealthTask } from '../helpers/health-state.js';
import { getState, StreamMaster, taskUpdated, v1Agent, v1Framework, v1Status, v1Task, waitFor } from '../helpers/stream-master.js';

type Json = Record<string, unknown>;

/** What a client sees for `web`: A of web.marathon.mesos., SRV ports, /v1/hosts IPs, /v1/services ports. */
interface View {
  a: string[];
  srv: number[];
  hosts: string[];
  services: number[];
}

/** No such name or no such records: an empty answer. Anything else (a timeout) is thrown. */
function none<T>(err: unknown): T[] {
  const code = (err as { code?: string }).code;
  if (code === 'ENOTFOUND' || code === 'ENODATA') return [];
  throw err;
}

async function view(server: TestServer, label = 'web'): Promise<View> {
  const a = await server
    .resolver()
    .resolve4(`${label}.marathon.mesos`)
    .catch(none<string>);
  const srv = await server
    .resolver()
    .resolveSrv(`_${label}._tcp.marathon.mesos`)
    .then((r) => r.map((s) => s.port))
    .catch(none<number>);
  const hosts = (JSON.parse((await server.http(`/v1/hosts/${label}.marathon.mesos`)).body) as { ip: string }[]).map((h) => h.ip).filter((ip) => ip !== '');
  const services = (JSON.parse((await server.http(`/v1/services/_${label}._tcp.marathon.mesos`)).body) as { port: string }[])
    .map((s) => s.port)
    .filter((p) => p !== '')
    .map(Number);
  const sort = <T>(list: T[]): T[] => [...list].sort();
  return { a: sort(a), srv: sort(srv), hosts: sort(hosts), services: sort(services) };
}

/** `dig +noall +answer NAME TYPE`, each line's whitespace made one space, sorted (answers rotate). */
async function digLines(server: TestServer, name: string, type: string): Promise<string[]> {
  const out = await server.dig('+noall', '+answer', name, type);
  return out.split('\n').filter((l) => l !== '').map((l) => l.split(/\s+/).join(' ')).sort();
}

/** The view when exactly the instances `n` (of web.n: IP 9.0.0.n, port 3100n) are served. */
const served = (...n: number[]): View => ({
  a: n.map((i) => `9.0.0.${i}`),
  srv: n.map((i) => 31000 + i),
  hosts: n.map((i) => `9.0.0.${i}`),
  services: n.map((i) => 31000 + i),
});

/**
 * Polls (bounded) until the server's view of `web` is `want`; fails with the last view otherwise.
 * A query that times out (a loaded machine) is asked again within the same bound.
 */
async function eventually(server: TestServer, want: View, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: View | unknown;
  while (Date.now() < deadline) {
    last = await view(server).catch((err: unknown) => err);
    if (JSON.stringify(last) === JSON.stringify(want)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  expect(last).toEqual(want);
}

async function updates(server: TestServer, kind: string): Promise<number> {
  return sumOf(parseExposition((await server.http('/metrics')).body), 'mesos_dns_table_updates_total', { kind });
}

async function healthMetrics(server: TestServer): Promise<{ fallback: number; failing: number }> {
  const e = parseExposition((await server.http('/metrics')).body);
  return { fallback: sumOf(e, 'mesos_dns_health_fallback_names'), failing: sumOf(e, 'mesos_dns_health_failing_tasks') };
}

const web = (n: number, healthy: boolean | undefined, more: Partial<HealthTask> = {}): HealthTask => ({
  id: `web.${n}`,
  ip: `9.0.0.${n}`,
  ports: `[${31000 + n}-${31000 + n}]`,
  agent: n % 2 === 0 ? 'a2' : 'a1',
  healthy,
  ...more,
});

describe('polling /master/state', () => {
  let master: StreamMaster;
  let server: TestServer;
  const publish = async (tasks: HealthTask[]): Promise<void> => {
    master.stateDocument = healthState(tasks, `master@127.0.0.1:${master.port}`);
    expect(await server.running.refresh()).toBe(true);
  };
  const config = (policy: string): Json => ({ masters: [`127.0.0.1:${master.port}`], refreshSeconds: 3600, externalon: false, HealthPolicy: policy });

  beforeAll(async () => {
    master = await StreamMaster.start();
    master.subscribeAnswer = { status: 404 }; // no event stream: the server polls
    master.stateDocument = healthState([web(1, true), web(2, false), web(3, undefined)], `master@127.0.0.1:${master.port}`);
    server = await startTestServer(config('exclude-unhealthy'));
    await waitFor(() => server.running.store.current() !== undefined, 5000, 'the first table');
  });

  afterAll(async () => {
    await server?.close();
    await master?.close();
  });

  it('leaves the unhealthy instance out of A, SRV, /v1/hosts and /v1/services; the unchecked one stays', async () => {
    await eventually(server, served(1, 3));
    // The dig examples of docs/naming.md "Health-aware answers".
    expect(await digLines(server, 'web.marathon.mesos', 'A')).toEqual(['web.marathon.mesos. 60 IN A 9.0.0.1', 'web.marathon.mesos. 60 IN A 9.0.0.3']);
    expect(await digLines(server, '_web._tcp.marathon.mesos', 'SRV')).toEqual([
      '_web._tcp.marathon.mesos. 60 IN SRV 0 1 31001 web-e844k-a1.marathon.slave.mesos.',
      '_web._tcp.marathon.mesos. 60 IN SRV 0 1 31003 web-sft9q-a1.marathon.slave.mesos.',
    ]);
    expect(await digLines(server, 'web-izm16-a2.marathon.mesos', 'A')).toEqual(['web-izm16-a2.marathon.mesos. 60 IN A 9.0.0.2']);
    expect(await server.dig('+short', 'web.marathon.slave.mesos', 'A')).toBe(`${AGENT_IPS.a1}\n`);
    // Its canonical name still answers: it names that one task.
    const canonical = JSON.parse((await server.http('/v1/enumerate')).body) as { frameworks: { tasks: { id: string; records: { name: string; rtype: string }[] | null }[] }[] };
    const records = canonical.frameworks[0].tasks.find((t) => t.id === 'web.2')?.records ?? [];
    expect(records.map((r) => r.name)).not.toContain('web.marathon.mesos.');
    const own = records.find((r) => r.rtype === 'A' && r.name.startsWith('web-') && !r.name.includes('.slave.'));
    expect(own).toBeDefined();
    expect(await server.dig('+short', own!.name, 'A')).toBe('9.0.0.2\n');
    expect(await healthMetrics(server)).toEqual({ fallback: 0, failing: 1 });
  });

  it('brings it back once its newest RUNNING status says healthy', async () => {
    // The new status is listed first: the newest by timestamp counts, not the last in the list.
    await publish([web(1, true), web(2, undefined, { statuses: [runningStatus('9.0.0.2', 200, true), runningStatus('9.0.0.2', 100, false)] }), web(3, undefined)]);
    await eventually(server, served(1, 2, 3));
    expect(await healthMetrics(server)).toEqual({ fallback: 0, failing: 0 });
  });

  it('answers with every instance when all are unhealthy, and counts the names in /metrics', async () => {
    await publish([web(1, false), web(2, false), web(3, false)]);
    await eventually(server, served(1, 2, 3));
    expect(await digLines(server, 'web.marathon.mesos', 'A')).toEqual(['1', '2', '3'].map((n) => `web.marathon.mesos. 60 IN A 9.0.0.${n}`));
    // web.marathon.mesos., web.marathon.slave.mesos., _web._tcp/_udp under both
    expect(await healthMetrics(server)).toEqual({ fallback: 6, failing: 3 });
    const lines = (await server.http('/metrics')).body.split('\n').filter((l) => l.startsWith('mesos_dns_health'));
    expect(lines).toEqual(['mesos_dns_health_fallback_names 6', 'mesos_dns_health_failing_tasks 3']);
    await publish([web(1, true), web(2, false), web(3, false)]);
    await eventually(server, served(1));
    expect(await healthMetrics(server)).toEqual({ fallback: 0, failing: 2 });
  });

  it('gives killing and unreachable tasks no records, and them back when RUNNING again', async () => {
    const killing = web(1, true, { state: 'TASK_KILLING', statuses: [runningStatus('9.0.0.1', 100, true), { state: 'TASK_KILLING', timestamp: 200 }] });
    const unreachable = web(3, undefined, { state: 'TASK_UNREACHABLE', statuses: [runningStatus('9.0.0.3', 100), { state: 'TASK_UNREACHABLE', timestamp: 200 }] });
    await publish([killing, web(2, true), unreachable]);
    await eventually(server, served(2));
    // Listed under the framework's unreachable_tasks, as the master does: not read.
    const doc = healthState([web(2, true)], `master@127.0.0.1:${master.port}`) as { frameworks: Json[] };
    doc.frameworks[0].unreachable_tasks = (healthState([web(3, undefined)]) as { frameworks: Json[] }).frameworks[0].tasks;
    master.stateDocument = doc;
    expect(await server.running.refresh()).toBe(true);
    await eventually(server, served(2));
    // Back from unreachable: RUNNING again; the newest RUNNING status gives its address and health,
    // a newer non-RUNNING status left in the list changes neither.
    await publish([web(2, true), web(3, undefined, { statuses: [runningStatus('9.0.0.3', 100), { state: 'TASK_UNREACHABLE', timestamp: 200 }] })]);
    await eventually(server, served(2, 3));
    await publish([web(2, true), web(3, false, { statuses: [runningStatus('9.0.0.3', 100, false), { state: 'TASK_UNREACHABLE', timestamp: 200 }] })]);
    await eventually(server, served(2));
  });

  it('takes a HealthPolicy change on SIGHUP', async () => {
    master.stateDocument = healthState([web(1, true), web(2, false), web(3, undefined)], `master@127.0.0.1:${master.port}`);
    await server.writeConfig(config('only-healthy'));
    expect(await server.running.reload()).toBe(true);
    await eventually(server, served(1));
    await server.writeConfig(config('ignore'));
    expect(await server.running.reload()).toBe(true);
    await eventually(server, served(1, 2, 3));
    expect(await healthMetrics(server)).toEqual({ fallback: 0, failing: 0 });
  });
});

describe('the Operator API stream', () => {
  let master: StreamMaster;
  let server: TestServer;
  const agents = [v1Agent('a1', AGENT_IPS.a1), v1Agent('a2', AGENT_IPS.a2)];
  const status = (n: number, timestamp: number, healthy?: boolean, state = 'TASK_RUNNING'): Json =>
    v1Status({ taskId: `web.${n}`, agentId: n % 2 === 0 ? 'a2' : 'a1', state, ips: state === 'TASK_RUNNING' ? [`9.0.0.${n}`] : undefined, timestamp, healthy });
  const v1Web = (n: number, healthy?: boolean): Json =>
    v1Task({ id: `web.${n}`, frameworkId: 'fw1', agentId: n % 2 === 0 ? 'a2' : 'a1', state: 'TASK_RUNNING', ports: [[31000 + n, 31000 + n]], statuses: [status(n, 100, healthy)] });
  const update = (n: number, timestamp: number, healthy?: boolean, state = 'TASK_RUNNING'): void =>
    master.send(taskUpdated('fw1', state, status(n, timestamp, healthy, state)));

  beforeAll(async () => {
    master = await StreamMaster.start();
    master.stateDocument = healthState([], `master@127.0.0.1:${master.port}`);
    master.getState = getState({ agents, frameworks: [v1Framework('fw1', 'marathon', '10.1.0.100')], tasks: [v1Web(1, true), v1Web(2, true), v1Web(3)] });
    // Two DNS worker threads: they answer from the shared table, /metrics reads the main thread's.
    server = await startTestServer({ masters: [`127.0.0.1:${master.port}`], refreshSeconds: 3600, externalon: false, HealthPolicy: 'exclude-unhealthy', workers: 2 });
    await waitFor(() => master.openStreams === 1, 5000, 'the server subscribes to the event stream');
  });

  afterAll(async () => {
    await server?.close();
    await master?.close();
  });

  it('takes an instance out on a TASK_UPDATED with healthy: false, and back on healthy: true', async () => {
    await eventually(server, served(1, 2, 3));
    const fulls = await updates(server, 'full');
    update(2, 200, false);
    await eventually(server, served(1, 3));
    expect(await healthMetrics(server)).toEqual({ fallback: 0, failing: 1 });
    update(2, 300, true);
    await eventually(server, served(1, 2, 3));
    // A health change is patched: the task's shared names are recomputed with the others under
    // them (architecture.md "The incremental table"), not the whole table built again.
    expect(await updates(server, 'patch')).toBeGreaterThanOrEqual(2);
    expect(await updates(server, 'full')).toBe(fulls);
  });

  it('keeps every instance when all are unhealthy, counted in /metrics', async () => {
    update(1, 400, false);
    update(2, 400, false);
    update(3, 400, false);
    await waitFor(() => server.running.store.current()?.table.health?.failingTasks === 3, 10_000, 'three failing tasks');
    await eventually(server, served(1, 2, 3));
    expect(await healthMetrics(server)).toEqual({ fallback: 6, failing: 3 });
    update(3, 500, true);
    await eventually(server, served(3));
    expect(await healthMetrics(server)).toEqual({ fallback: 0, failing: 2 });
    // all of it patched; the counts are those of a full build (checked here and by the periodic check)
    const patched = server.running.store.current()!.table;
    expect(patched.overlay).toBeDefined();
    expect(patched.health).toEqual({ policy: 'exclude-unhealthy', failingTasks: 2, fallbackNames: 0 });
  });

  it('drops killing and unreachable tasks, and serves them again when RUNNING', async () => {
    update(1, 600, true);
    update(2, 600, true);
    await eventually(server, served(1, 2, 3));
    update(1, 700, undefined, 'TASK_KILLING');
    update(2, 700, undefined, 'TASK_UNREACHABLE');
    await eventually(server, served(3));
    // The agent is back: RUNNING again, its health as that newest RUNNING status says.
    update(2, 800, false, 'TASK_RUNNING');
    await waitFor(() => server.running.store.current()?.table.health?.failingTasks === 1, 10_000, 'web.2 RUNNING and unhealthy');
    await eventually(server, served(3));
    update(2, 900, true, 'TASK_RUNNING');
    await eventually(server, served(2, 3));
  });
});
