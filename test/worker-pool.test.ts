// DNS worker threads, the real thing: worker threads started from the sources, sharing one
// UDP/TCP port on 127.0.0.1 with SO_REUSEPORT, queried over real sockets while tables are
// swapped and workers are killed.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { request } from 'undici';
import { DEFAULTS, withTyped, type Config } from '../src/config/typed.js';
import { DnsListenError } from '../src/errors.js';
import { QTYPE } from '../src/dns/wire/message.js';
import { silentLogger } from '../src/log.js';
import { dnsWorkerCount, startServing } from '../src/serve.js';
import { TableStore } from '../src/store.js';
import { startWorkerPool, type WorkerPool } from '../src/workers/supervisor.js';
import { WORKER_YOUNG_GENERATION_MB } from '../src/workers/worker-entry.js';
import { summaryFromWire } from './helpers/dns-case.js';
import { buildTestTable } from './helpers/table.js';
import { parseExposition, sumOf } from './helpers/metrics.js';
import { LISTEN, describeWorkers, query, syntheticState, tableOf, udpClient } from './helpers/workers.js';

/** One exchange over a fresh UDP socket (a new source port, so SO_REUSEPORT may pick any worker). */
async function askOnce(port: number, q: Buffer): Promise<Buffer | null> {
  const client = await udpClient(port);
  try {
    return await client.ask(q);
  } finally {
    await client.close();
  }
}

function askTcp(port: number, q: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let buffered = Buffer.alloc(0);
    socket.setTimeout(3000, () => socket.destroy(new Error('TCP query timed out')));
    socket.on('error', reject);
    socket.on('connect', () => {
      const frame = Buffer.alloc(2 + q.length);
      frame.writeUInt16BE(q.length, 0);
      q.copy(frame, 2);
      socket.write(frame);
    });
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        socket.end();
        resolve(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
      }
    });
  });
}

/** OS threads of this process (Linux /proc): every worker thread is one. */
function osThreads(): number {
  return Number(/^Threads:\s+(\d+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
}

async function until(what: () => boolean | Promise<boolean>, tries = 300): Promise<void> {
  for (let i = 0; i < tries && !(await what()); i++) await new Promise((r) => setTimeout(r, 20));
  expect(await what()).toBe(true);
}

describeWorkers('DNS worker pool', () => {
  const store = new TableStore();
  let pool: WorkerPool;
  let port: number;

  let threadsBefore: number;

  beforeAll(async () => {
    threadsBefore = osThreads();
    pool = await startWorkerPool({ config: LISTEN, workers: 2, store, logger: silentLogger, restart: { initialMs: 20, maxMs: 500 } });
    port = pool.udpAddress.port;
  });
  afterAll(async () => {
    await pool.close();
    // Shutdown ends the worker threads.
    expect(pool.workerIds()).toEqual([]);
    await until(() => osThreads() <= threadsBefore);
    expect(osThreads()).toBeLessThanOrEqual(threadsBefore);
  });

  it('runs the workers as threads of their own on one UDP and TCP port', async () => {
    const ids = pool.workerIds();
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
    expect(osThreads()).toBeGreaterThanOrEqual(threadsBefore + 2);
    expect(pool.tcpAddress.port).toBe(port);
    expect(port).toBeGreaterThan(0);
    // No table yet: our zone answers SERVFAIL (not synced), from every worker.
    const reply = await askOnce(port, query('leader.mesos', QTYPE.A, 1));
    expect(summaryFromWire(reply!).rcode).toBe('SERVFAIL');
  });

  it('starts each worker with a small young generation (the heap an idle worker keeps resident)', () => {
    const limits = pool.resourceLimits();
    expect(limits).toHaveLength(2);
    // V8 would give 192 MB; WORKER_YOUNG_GENERATION_MB keeps it at 6.
    for (const l of limits) expect(l.maxYoungGenerationSizeMb).toBe(WORKER_YOUNG_GENERATION_MB);
  });

  it('serves each new table from every worker, over UDP and TCP', async () => {
    const snapshot = store.swap(buildTestTable(['leader.mesos. A 10.0.0.1', 'app.marathon.mesos. A 10.0.0.2']));
    await pool.serving(snapshot.generation);
    // Many fresh source ports: the kernel's SO_REUSEPORT hash spreads them over both workers.
    for (let i = 0; i < 24; i++) {
      const reply = await askOnce(port, query('leader.mesos', QTYPE.A, 100 + i));
      expect(summaryFromWire(reply!).answer).toEqual(['leader.mesos. 60 IN A 10.0.0.1']);
    }
    expect(summaryFromWire(await askTcp(port, query('app.marathon.mesos', QTYPE.A, 7))).answer).toEqual(['app.marathon.mesos. 60 IN A 10.0.0.2']);
    const next = store.swap(buildTestTable(['leader.mesos. A 10.0.0.3']));
    await pool.serving(next.generation);
    for (let i = 0; i < 8; i++) {
      const reply = await askOnce(port, query('leader.mesos', QTYPE.A, 200 + i));
      expect(summaryFromWire(reply!).answer).toEqual(['leader.mesos. 60 IN A 10.0.0.3']);
    }
  });

  it('sums the counters of all workers', async () => {
    const before = (await pool.stats()).stats;
    const client = await udpClient(port);
    for (let i = 0; i < 20; i++) await client.ask(query('leader.mesos', QTYPE.A, 300 + i));
    for (let i = 0; i < 5; i++) await client.ask(query('nope.mesos', QTYPE.A, 400 + i));
    await client.close();
    const after = (await pool.stats()).stats;
    expect(after.requests - before.requests).toBe(25);
    expect((after.rcodes.get(3) ?? 0) - (before.rcodes.get(3) ?? 0)).toBe(5);
  });

  it('answers every query while 20,000-task tables are swapped in', async () => {
    const tables = [tableOf(syntheticState(20_000, 0), 1), tableOf(syntheticState(20_000, 1), 2)];
    const first = store.swap(tables[0]);
    await pool.serving(first.generation);
    const names = ['leader.mesos', 'app-0.marathon.mesos', 'app-4999.marathon.mesos', '_app-7._tcp.marathon.mesos'];
    const types = [QTYPE.A, QTYPE.A, QTYPE.A, QTYPE.SRV];
    const client = await udpClient(port);
    let unanswered = 0;
    let notOk = 0;
    let swaps = 0;
    let asked = 0;
    // 8 queries in flight at a time, 2,000 in all; meanwhile a new generation every 256 queries.
    const worker = async (lane: number): Promise<void> => {
      for (let i = lane; i < 2000; i += 8) {
        const k = i % names.length;
        const reply = await client.ask(query(names[k], types[k], i));
        asked++;
        if (!reply) unanswered++;
        else if (summaryFromWire(reply).rcode !== 'NOERROR' || summaryFromWire(reply).answer.length === 0) notOk++;
        if (lane === 0 && i % 256 === 0) {
          store.swap(tables[++swaps % 2]);
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, lane) => worker(lane)));
    await client.close();
    expect({ asked, unanswered, notOk }).toEqual({ asked: 2000, unanswered: 0, notOk: 0 });
    expect(swaps).toBeGreaterThanOrEqual(7);
  });

  it('restarts a worker that dies and hands it the current table at once', async () => {
    const snapshot = store.swap(buildTestTable(['leader.mesos. A 10.0.0.4']));
    await pool.serving(snapshot.generation);
    const [victim, survivor] = pool.workerIds();
    await pool.kill(victim);
    await until(() => pool.workerIds().length === 2 && !pool.workerIds().includes(victim));
    expect(pool.workerIds()).toContain(survivor);
    expect(pool.workerIds()).not.toContain(victim);
    await pool.serving(snapshot.generation);
    // Whichever worker the kernel picks, the answer comes from the current table.
    for (let i = 0; i < 24; i++) {
      const reply = await askOnce(port, query('leader.mesos', QTYPE.A, 500 + i));
      expect(summaryFromWire(reply!).answer).toEqual(['leader.mesos. 60 IN A 10.0.0.4']);
    }
  });
});

describeWorkers('worker pool start-up failures', () => {
  it('rejects with DnsListenError when the port is taken, leaving no worker behind', async () => {
    // A socket without SO_REUSEPORT holds the port: the workers' binds must fail.
    const holder = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => holder.bind(0, '127.0.0.1', resolve));
    const taken = holder.address().port;
    const threadsBefore = osThreads();
    try {
      await expect(
        startWorkerPool({ config: { ...LISTEN, Port: taken }, workers: 2, store: new TableStore(), logger: silentLogger }),
      ).rejects.toThrow(DnsListenError);
    } finally {
      holder.close();
    }
    await until(() => osThreads() <= threadsBefore);
    expect(osThreads()).toBeLessThanOrEqual(threadsBefore);
  });
});

describeWorkers('startServing with Workers > 1', () => {
  it('serves DNS from worker threads, the API and summed /metrics from the main thread', async () => {
    const store = new TableStore();
    const config: Config = { ...LISTEN, Workers: 2, HTTPListener: '127.0.0.1', HttpPort: 0 };
    const serving = await startServing({ config: () => config, store, logger: silentLogger, version: 'test' });
    const ids = serving.workerIds();
    try {
      expect(ids).toHaveLength(2);
      const dns = serving.addresses().dns!;
      const http = serving.addresses().http!;
      const health = async () => {
        const res = await request(`http://127.0.0.1:${http.port}/health`);
        return { status: res.statusCode, body: JSON.parse(await res.body.text()) as { generation?: number } };
      };
      expect((await health()).status).toBe(503);
      store.swap(buildTestTable(['leader.mesos. A 10.0.0.1']));
      // /health turns 200 only once every worker answers from the table, not at the swap here.
      await until(async () => (await health()).status === 200);
      expect((await health()).body.generation).toBe(1);
      expect(summaryFromWire((await askOnce(dns.udp.port, query('leader.mesos', QTYPE.A, 1)))!).rcode).toBe('NOERROR');
      for (let i = 0; i < 9; i++) await askOnce(dns.udp.port, query('leader.mesos', QTYPE.A, 10 + i));
      const stats = await serving.queryStats();
      const res = await request(`http://127.0.0.1:${http.port}/metrics`);
      const body = await res.body.text();
      // Labelled by transport since prom-client: the sum over the label values.
      const total = sumOf(parseExposition(body), 'mesos_dns_requests_total');
      expect(total).toBeGreaterThanOrEqual(10);
      expect(total).toBeGreaterThanOrEqual(stats.requests);
      expect(body).toMatch(/^mesos_dns_table_loaded 1$/m);
      // Every query came in through a worker's batched UDP socket, and every reply went out.
      expect(Number(/^mesos_dns_udp_batched_datagrams_total (\d+)$/m.exec(body)?.[1])).toBeGreaterThanOrEqual(10);
      expect(Number(/^mesos_dns_udp_batches_total (\d+)$/m.exec(body)?.[1])).toBeGreaterThanOrEqual(1);
      expect(body).toMatch(/^mesos_dns_udp_send_errors_total 0$/m);
    } finally {
      await serving.close();
    }
    expect(serving.workerIds()).toEqual([]);
  });

  it('/metrics shows an upstream down when a worker marked it down (each worker keeps its own health)', async () => {
    // A silent upstream: bound, never answers.
    const silent = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    const upstream = `127.0.0.1:${silent.address().port}`;
    const store = new TableStore();
    store.swap(buildTestTable(['leader.mesos. A 10.0.0.1']));
    const config: Config = withTyped({
      ...LISTEN,
      Workers: 2,
      HTTPListener: '127.0.0.1',
      HttpPort: 0,
      ExternalOn: true,
      Resolvers: [upstream],
      Timeout: 1,
      ForwardMaxFails: 1,
      ForwardCacheSize: 0,
    });
    const serving = await startServing({ config: () => config, store, logger: silentLogger, version: 'test' });
    try {
      const { dns, http } = serving.addresses();
      const metric = async () => {
        const body = await (await request(`http://127.0.0.1:${http!.port}/metrics`)).body.text();
        return /^mesos_dns_upstream_up\{upstream="([^"]+)"\} (\d)$/m.exec(body)?.slice(1);
      };
      expect(await metric()).toBeUndefined(); // no upstream asked yet
      // Six queries from six source ports reach one worker or both; each marks the upstream down there.
      const replies = await Promise.all(Array.from({ length: 6 }, (_, i) => askOnce(dns!.udp.port, query(`q${i}.example.org`, QTYPE.A, 100 + i))));
      expect(replies.map((r) => summaryFromWire(r!).rcode)).toEqual(Array(6).fill('SERVFAIL'));
      expect(await metric()).toEqual([upstream, '0']);
    } finally {
      await serving.close();
      silent.close();
    }
  });

  it('sends a new config to the workers, and moves DNS back onto the main thread for Workers = 1', async () => {
    const store = new TableStore();
    store.swap(buildTestTable(['leader.mesos. A 10.0.0.1']));
    let config: Config = { ...LISTEN, Workers: 2, HttpOn: false };
    const serving = await startServing({ config: () => config, store, logger: silentLogger, version: 'test' });
    try {
      const port = serving.addresses().dns!.udp.port;
      const ra = async (): Promise<boolean> => ((await askOnce(port, query('leader.mesos', QTYPE.A, 3)))![3] & 0x80) !== 0;
      await until(async () => summaryFromWire((await askOnce(port, query('leader.mesos', QTYPE.A, 2)))!).rcode === 'NOERROR');
      expect(await ra()).toBe(true);
      // Same listener: the workers stay and take the new settings.
      const ids = serving.workerIds();
      config = { ...config, RecurseOn: false };
      await serving.reconfigure(config);
      await until(async () => !(await ra()) && !(await ra()) && !(await ra()));
      expect(serving.workerIds()).toEqual(ids);
      // One worker: DNS moves onto the main thread (new sockets first), the workers go.
      config = { ...config, Workers: 1, Port: port };
      await serving.reconfigure(config);
      expect(serving.workerIds()).toEqual([]);
      expect(summaryFromWire((await askOnce(port, query('leader.mesos', QTYPE.A, 4)))!).answer).toEqual(['leader.mesos. 60 IN A 10.0.0.1']);
    } finally {
      await serving.close();
    }
  });

  it('keeps DNS in this process with Workers = 1, and counts 0 as one per core', async () => {
    const store = new TableStore();
    const serving = await startServing({ config: () => ({ ...LISTEN, Workers: 1, HttpOn: false }), store, logger: silentLogger, version: 'test' });
    try {
      expect(serving.workerIds()).toEqual([]);
      store.swap(buildTestTable(['leader.mesos. A 10.0.0.1']));
      const reply = await askOnce(serving.addresses().dns!.udp.port, query('leader.mesos', QTYPE.A, 1));
      expect(summaryFromWire(reply!).answer).toEqual(['leader.mesos. 60 IN A 10.0.0.1']);
      expect((await serving.queryStats()).requests).toBe(1);
    } finally {
      await serving.close();
    }
    expect(dnsWorkerCount(withTyped({ ...DEFAULTS, Workers: 0 }), 6)).toBe(6);
    expect(dnsWorkerCount(withTyped({ ...DEFAULTS, Workers: 3 }), 6)).toBe(3);
  });
});
