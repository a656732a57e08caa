// A large build's PTRs are made on the reverse helper thread while the main thread finishes the
// forward table, on a machine of 3 cores or more (workers/reverse-helper.ts, docs/architecture.md
// "From the snapshot to serving it"): a stand-in master serving 10,000 container tasks (a build
// in steps: over 8,192 tasks), each with an address of its own, two of them sharing one and one
// on its scheduler's address; the real server on loopback, asked with dig -x. Its debug line says
// where the PTRs were made; the answers are the same either way.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { StreamMaster } from '../helpers/stream-master.js';
import { captureLog } from '../helpers/log-capture.js';
import { reverseHelperUseful } from '../../src/workers/reverse-helper.js';

type Json = Record<string, unknown>;

const TASKS = 10_000;
const ip = (i: number): string => `10.${100 + ((i >> 16) & 255)}.${(i >> 8) & 255}.${i & 255}`;

function task(i: number, address: string): Json {
  const status = { state: 'TASK_RUNNING', timestamp: 1700000000, container_status: { network_infos: [{ ip_addresses: [{ ip_address: address }] }] } };
  return { id: `app${i}.1`, name: `app${i}`, slave_id: 'S1', state: 'TASK_RUNNING', resources: { ports: '[31000-31000]' }, statuses: [status] };
}

function state(masterHostPort: string): Json {
  const tasks = Array.from({ length: TASKS }, (_, i) => task(i, ip(i)));
  // app1's address shared by `twin`; `near` on the scheduler's address.
  tasks.push(task(TASKS, ip(1)), task(TASKS + 1, '10.1.0.100'));
  (tasks[TASKS] as { name: string }).name = 'twin';
  (tasks[TASKS + 1] as { name: string }).name = 'near';
  return {
    leader: `master@${masterHostPort}`,
    slaves: [{ id: 'S1', pid: 'slave(1)@10.1.0.1:5051', hostname: '10.1.0.1' }],
    frameworks: [{ id: 'fw1', name: 'marathon', pid: 'scheduler@10.1.0.100:8080', hostname: '10.1.0.100', tasks }],
  };
}

let master: StreamMaster;
let server: TestServer;
const log = captureLog('debug');

beforeAll(async () => {
  master = await StreamMaster.start();
  master.subscribeAnswer = { status: 404 }; // polling: the stand-in serves /master/state only
  master.stateDocument = state(`127.0.0.1:${master.port}`);
  server = await startTestServer({ masters: [`127.0.0.1:${master.port}`], refreshSeconds: 3600, SOAMname: 'ns1.mesos' }, log.logger);
  expect(await server.running.refresh()).toBe(true);
}, 60_000);

afterAll(async () => {
  await server?.close();
  await master?.close();
});

async function ptrs(address: string): Promise<string[]> {
  return (await server.dig('+short', '-x', address)).split('\n').filter((l) => l !== '');
}

describe('a build in steps with PtrOn', () => {
  it('made its PTRs on the helper thread with 3 cores or more, else on the main thread', () => {
    const swaps = log.lines.filter((l) => l.msg === 'table swapped in' && l.kind === 'full');
    expect(swaps.length).toBeGreaterThan(0);
    expect(swaps.every((l) => l.ptrs === (reverseHelperUseful() ? 'helper' : 'main'))).toBe(true);
    expect([2, 3, 8].map((cores) => reverseHelperUseful(cores))).toEqual([false, true, true]);
    expect(log.lines.filter((l) => l.msg === 'the PTRs were made on the main thread')).toEqual([]);
  });

  it('answers every kind of PTR as a build on one thread does: a task address, a shared one, an agent, a scheduler with a task on it, the master', async () => {
    const first = await ptrs(ip(0));
    expect(first).toHaveLength(2);
    expect(first[0]).toMatch(/^app0-[a-z0-9]{5}-s1\.marathon\.mesos\.$/);
    expect(first[1]).toBe('app0.marathon.mesos.');
    const last = await ptrs(ip(TASKS - 1));
    expect(last[1]).toBe(`app${TASKS - 1}.marathon.mesos.`);
    // Canonical names first, in byte order, then the task names.
    const shared = await ptrs(ip(1));
    expect(shared.map((n) => n.replace(/-[a-z0-9]{5}-s1\./, '-H-s1.'))).toEqual([
      'app1-H-s1.marathon.mesos.',
      'twin-H-s1.marathon.mesos.',
      'app1.marathon.mesos.',
      'twin.marathon.mesos.',
    ]);
    expect(await ptrs('10.1.0.1')).toEqual(['slave.mesos.']);
    const scheduler = await ptrs('10.1.0.100');
    expect(scheduler.slice(1)).toEqual(['near.marathon.mesos.', 'marathon.mesos.']);
    expect(await ptrs('127.0.0.1')).toEqual(['master0.mesos.', 'leader.mesos.', 'master.mesos.', 'ns1.mesos.']);
  });

  it('its forward names answer as before', async () => {
    expect((await server.dig('+short', 'app0.marathon.mesos', 'A')).trim()).toBe(ip(0));
    expect((await server.dig('+short', '-x', '10.1.0.99')).trim()).toBe('');
  });
});
