// Patched tables in the DNS worker threads (workers/patch-codec.ts): after a full table, each
// patch travels as the names it touched, and every worker (asked over real sockets, fresh source
// ports so SO_REUSEPORT spreads the queries) answers from the patched table; a worker restarted
// mid-way gets the base and the whole overlay at once.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { QTYPE } from '../src/dns/wire/message.js';
import { silentLogger } from '../src/log.js';
import type { MasterState, Task } from '../src/mesos/state.js';
import { buildTableParts, type BuildInputs } from '../src/records/build-table.js';
import { IncrementalTable } from '../src/records/incremental/incremental-table.js';
import { TableStore } from '../src/store.js';
import { startWorkerPool, type WorkerPool } from '../src/workers/supervisor.js';
import { DEFAULTS } from '../src/config/typed.js';
import { summaryFromWire } from './helpers/dns-case.js';
import { masters } from './helpers/masters.js';
import { LISTEN, describeWorkers, query, syntheticState, udpClient } from './helpers/workers.js';

const INPUTS: BuildInputs = { config: DEFAULTS, masters: masters(['10.0.0.1:5050']), addresses: new Map(), selfAddresses: ['127.0.0.1'], serial: 1 };

function launched(state: MasterState, task: Task): MasterState {
  const [fw] = state.frameworks;
  return { ...state, frameworks: [{ ...fw, tasks: [...fw.tasks, task] }] };
}

function killed(state: MasterState, id: string): MasterState {
  const [fw] = state.frameworks;
  return { ...state, frameworks: [{ ...fw, tasks: fw.tasks.filter((t) => t.id !== id) }] };
}

const task = (id: string, name: string, ip: string): Task => ({
  id,
  name,
  frameworkId: 'fw-1',
  agentId: 'agent-S0',
  state: 'TASK_RUNNING',
  ports: [31000],
  running: { timestamp: 1, networkIPs: [ip], mesosLabelIPs: [], dockerLabelIPs: [] },
});

async function answers(port: number, name: string, type: number, times = 16): Promise<string[][]> {
  const out: string[][] = [];
  for (let i = 0; i < times; i++) {
    const client = await udpClient(port);
    try {
      const reply = await client.ask(query(name, type, 1000 + i));
      const summary = summaryFromWire(reply!);
      // sorted: the fast path rotates answer sets (RFC 1794)
      out.push(summary.rcode === 'NXDOMAIN' ? ['NXDOMAIN'] : [...summary.answer].sort());
    } finally {
      await client.close();
    }
  }
  return out;
}

describeWorkers('patched tables in worker threads', () => {
  const store = new TableStore();
  let pool: WorkerPool;
  let port: number;
  let state = syntheticState(200);
  let engine: IncrementalTable;
  let serial = 1;

  async function apply(next: MasterState): Promise<void> {
    const patch = engine.apply(next, { ...INPUTS, serial: ++serial });
    expect(patch).toBeDefined();
    state = next;
    const snapshot = store.swap(patch!.table, undefined, patch!.touched);
    await pool.serving(snapshot.generation);
  }

  beforeAll(async () => {
    pool = await startWorkerPool({ config: LISTEN, workers: 2, store, logger: silentLogger, restart: { initialMs: 20, maxMs: 500 } });
    port = pool.udpAddress.port;
    const parts = buildTableParts(state, INPUTS);
    engine = new IncrementalTable(state, INPUTS, parts);
    await pool.serving(store.swap(parts.table).generation);
  });
  afterAll(async () => {
    await pool.close();
  });

  it('answers a launch from every worker once patched, and a kill after it', async () => {
    // Answered (and cached) before the patch changes it.
    expect(new Set((await answers(port, 'app-0.marathon.mesos', QTYPE.A)).map((a) => a.join()))).toEqual(new Set(['app-0.marathon.mesos. 60 IN A 172.16.0.0']));
    await apply(launched(state, task('app-0.extra', 'app-0', '10.9.0.1')));
    for (const a of await answers(port, 'app-0.marathon.mesos', QTYPE.A)) expect(a).toEqual(['app-0.marathon.mesos. 60 IN A 10.9.0.1', 'app-0.marathon.mesos. 60 IN A 172.16.0.0']);
    await apply(launched(state, task('new.1', 'new', '10.9.0.2')));
    for (const a of await answers(port, 'new.marathon.mesos', QTYPE.A)) expect(a).toEqual(['new.marathon.mesos. 60 IN A 10.9.0.2']);
    for (const a of await answers(port, '1.0.9.10.in-addr.arpa', QTYPE.PTR)) expect(a[0]).toMatch(/^1\.0\.9\.10\.in-addr\.arpa\. 60 IN PTR app-0-/);
    await apply(killed(state, 'new.1'));
    for (const a of await answers(port, 'new.marathon.mesos', QTYPE.A)) expect(a).toEqual(['NXDOMAIN']);
  });

  it('hands a restarted worker the base and the whole overlay', async () => {
    await apply(launched(state, task('late.1', 'late', '10.9.0.3')));
    const [victim] = pool.workerIds();
    await pool.kill(victim);
    for (let i = 0; i < 300 && (pool.workerIds().length < 2 || pool.workerIds().includes(victim)); i++) await new Promise((r) => setTimeout(r, 20));
    expect(pool.workerIds()).toHaveLength(2);
    await pool.serving(store.current()!.generation);
    // Whichever worker answers, every patch so far is in its table.
    for (const a of await answers(port, 'late.marathon.mesos', QTYPE.A, 24)) expect(a).toEqual(['late.marathon.mesos. 60 IN A 10.9.0.3']);
    for (const a of await answers(port, 'app-0.marathon.mesos', QTYPE.A, 8)) expect(a).toHaveLength(2);
    for (const a of await answers(port, 'new.marathon.mesos', QTYPE.A, 8)) expect(a).toEqual(['NXDOMAIN']);
    // and the next patch applies over what it was handed
    await apply(killed(state, 'late.1'));
    for (const a of await answers(port, 'late.marathon.mesos', QTYPE.A, 24)) expect(a).toEqual(['NXDOMAIN']);
  });

  it('starts a new pool on a patched table: the base, then the whole overlay', async () => {
    await apply(launched(state, task('again.1', 'again', '10.9.0.4')));
    const second = await startWorkerPool({ config: LISTEN, workers: 2, store, logger: silentLogger });
    try {
      await second.serving(store.current()!.generation);
      for (const a of await answers(second.udpAddress.port, 'again.marathon.mesos', QTYPE.A, 12)) expect(a).toEqual(['again.marathon.mesos. 60 IN A 10.9.0.4']);
    } finally {
      await second.close();
    }
  });
});
