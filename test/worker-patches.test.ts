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
import { parseZone } from '../src/zones/zone-parser.js';
import { checkZone } from '../src/zones/zone-check.js';
import { staticZones, type StaticZones } from '../src/zones/static-zones.js';
import { LISTEN, describeWorkers, query, syntheticState, syntheticTask, udpClient } from './helpers/workers.js';

const INPUTS: BuildInputs = { config: DEFAULTS, masters: masters(['10.0.0.1:5050']), addresses: new Map(), selfAddresses: ['127.0.0.1'], serial: 1 };

function launched(state: MasterState, task: Task): MasterState {
  const [fw] = state.frameworks;
  return { ...state, frameworks: [{ ...fw, tasks: [...fw.tasks, task] }] };
}

function killed(state: MasterState, id: string): MasterState {
  const [fw] = state.frameworks;
  return { ...state, frameworks: [{ ...fw, tasks: fw.tasks.filter((t) => t.id !== id) }] };
}

const task = (id: string, name: string, ip: string): Task => syntheticTask(id, name, ip);

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

/** One static zone `static.test.` whose www has address `ip` (docs/static-zones.md). */
function zonesWith(ip: string): StaticZones {
  const file = '/z/static.test.zone';
  const text = `$TTL 60\n@ SOA ns hm 1 3600 600 86400 30\n@ NS ns\nns A 192.0.2.1\nwww A ${ip}\n`;
  return staticZones([checkZone(file, parseZone({ file, text, origin: 'static.test.', includes: new Map() })).zone]);
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

  it('keeps the static zones over patches, and the patched table over a zone swap', async () => {
    await apply(launched(state, task('zoned.1', 'zoned', '10.9.0.5')));
    const zoneSwap = store.swapZones(zonesWith('192.0.2.7'))!;
    // a zone swap keeps the table as it is: still the patched one
    expect(zoneSwap.table.overlay).toBeDefined();
    await pool.serving(zoneSwap.generation);
    for (const a of await answers(port, 'www.static.test', QTYPE.A, 8)) expect(a).toEqual(['www.static.test. 60 IN A 192.0.2.7']);
    for (const a of await answers(port, 'zoned.marathon.mesos', QTYPE.A, 8)) expect(a).toEqual(['zoned.marathon.mesos. 60 IN A 10.9.0.5']);
    // a patch after it keeps the zones
    await apply(launched(state, task('zoned.2', 'zoned2', '10.9.0.6')));
    for (const a of await answers(port, 'www.static.test', QTYPE.A, 8)) expect(a).toEqual(['www.static.test. 60 IN A 192.0.2.7']);
    for (const a of await answers(port, 'zoned2.marathon.mesos', QTYPE.A, 8)) expect(a).toEqual(['zoned2.marathon.mesos. 60 IN A 10.9.0.6']);
    // a second zone swap keeps both patches
    await pool.serving(store.swapZones(zonesWith('192.0.2.8'))!.generation);
    for (const a of await answers(port, 'www.static.test', QTYPE.A, 8)) expect(a).toEqual(['www.static.test. 60 IN A 192.0.2.8']);
    for (const a of await answers(port, 'zoned.marathon.mesos', QTYPE.A, 8)) expect(a).toEqual(['zoned.marathon.mesos. 60 IN A 10.9.0.5']);
    for (const a of await answers(port, 'zoned2.marathon.mesos', QTYPE.A, 8)) expect(a).toEqual(['zoned2.marathon.mesos. 60 IN A 10.9.0.6']);
    // and a worker started now gets the table, the overlay and the newest zones
    const [victim] = pool.workerIds();
    await pool.kill(victim);
    for (let i = 0; i < 300 && (pool.workerIds().length < 2 || pool.workerIds().includes(victim)); i++) await new Promise((r) => setTimeout(r, 20));
    await pool.serving(store.current()!.generation);
    for (const a of await answers(port, 'www.static.test', QTYPE.A, 16)) expect(a).toEqual(['www.static.test. 60 IN A 192.0.2.8']);
    for (const a of await answers(port, 'zoned2.marathon.mesos', QTYPE.A, 16)) expect(a).toEqual(['zoned2.marathon.mesos. 60 IN A 10.9.0.6']);
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
