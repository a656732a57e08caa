// DNS worker threads: the table codec that carries each generation to them, and the real
// thing — worker threads started from the sources, sharing one UDP/TCP port on 127.0.0.1 with
// SO_REUSEPORT, queried over real sockets while tables are swapped and workers are killed.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import v8 from 'node:v8';
import { request } from 'undici';
import { DEFAULTS, withTyped, type Config } from '../src/config/typed.js';
import { DnsListenError } from '../src/errors.js';
import { lookup } from '../src/dns/answer/lookup.js';
import { QTYPE } from '../src/dns/wire/message.js';
import { nameToWire } from '../src/dns/wire/name-wire.js';
import { createLogger, silentLogger } from '../src/log.js';
import { parseStateText } from '../src/mesos/parse-state.js';
import { parsePid } from '../src/mesos/pid.js';
import type { MasterState, Task } from '../src/mesos/state.js';
import { buildTable } from '../src/records/build-table.js';
import type { RecordTable } from '../src/records/table.js';
import { dnsWorkerCount, startServing } from '../src/serve.js';
import { TableStore } from '../src/store.js';
import { startWorkerPool, type WorkerPool } from '../src/workers/supervisor.js';
import { decodeTable, decodeTableInSlices, encodeTable } from '../src/workers/table-codec.js';
import { generateStateText } from '../bench/gen-state.js';
import { reusePortSupported } from '../src/workers/worker-entry.js';
import { summaryFromAnswer, summaryFromWire } from './helpers/dns-case.js';
import { buildTestTable } from './helpers/table.js';
import { masters } from './helpers/masters.js';
import { parseExposition, sumOf } from './helpers/metrics.js';

// --- helpers --------------------------------------------------------------------------------

function query(name: string, type: number, id: number): Buffer {
  const qname = nameToWire(name)!;
  const out = Buffer.alloc(12 + qname.length + 4);
  out.writeUInt16BE(id, 0);
  out[2] = 0x01;
  out.writeUInt16BE(1, 4);
  qname.copy(out, 12);
  out.writeUInt16BE(type, 12 + qname.length);
  out.writeUInt16BE(1, 14 + qname.length);
  return out;
}

/** One client socket that sends queries and matches replies by ID, each waited for up to `waitMs`. */
async function udpClient(port: number) {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const waiting = new Map<number, (reply: Buffer | null) => void>();
  socket.on('message', (msg) => waiting.get(msg.readUInt16BE(0))?.(msg));
  return {
    ask(q: Buffer, waitMs = 3000): Promise<Buffer | null> {
      const id = q.readUInt16BE(0);
      return new Promise((resolve) => {
        const timer = setTimeout(() => finish(null), waitMs);
        const finish = (reply: Buffer | null): void => {
          clearTimeout(timer);
          waiting.delete(id);
          resolve(reply);
        };
        waiting.set(id, finish);
        socket.send(q, port, '127.0.0.1');
      });
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

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

/**
 * A deterministic synthetic cluster: `tasks` running tasks of apps with 1-4 instances, spread
 * over tasks/50 agents, two host ports each. `variant` changes every task IP, not the names.
 */
function syntheticState(tasks: number, variant = 0): MasterState {
  const agents = Array.from({ length: Math.max(1, Math.ceil(tasks / 50)) }, (_, i) => ({
    id: `agent-S${i}`,
    pid: { name: 'slave(1)', host: `10.1.${i >> 8}.${i & 255}`, port: 5051 },
    hostname: `agent${i}.internal`,
  }));
  const list: Task[] = [];
  for (let i = 0, app = 0; i < tasks; app++) {
    const instances = 1 + (app % 4);
    for (let k = 0; k < instances && i < tasks; k++, i++) {
      const n = i + variant * tasks;
      list.push({
        id: `app-${app}.task-${i}`,
        name: `app-${app}`,
        frameworkId: 'fw-1',
        agentId: agents[i % agents.length].id,
        state: 'TASK_RUNNING',
        ports: [31000 + (i % 1000), 32000 + (i % 1000)],
        running: { timestamp: 1, networkIPs: [`172.${16 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`], mesosLabelIPs: [], dockerLabelIPs: [] },
      });
    }
  }
  return {
    leader: { name: 'master', host: '10.0.0.1', port: 5050 },
    agents,
    frameworks: [{ id: 'fw-1', name: 'marathon', pid: { name: 'scheduler', host: '10.0.0.9', port: 8080 }, hostname: 'marathon.internal', tasks: list }],
  };
}

function tableOf(state: MasterState, serial = 1): RecordTable {
  return buildTable(state, { config: DEFAULTS, masters: masters(['10.0.0.1:5050']), addresses: new Map(), selfAddresses: ['127.0.0.1'], serial });
}

const LISTEN: Config = withTyped({ ...DEFAULTS, Listener: '127.0.0.1', Port: 0, Resolvers: [], ExternalOn: false });

// --- the codec ------------------------------------------------------------------------------

describe('table codec', () => {
  const fixture = (): RecordTable => {
    const state = parseStateText(readFileSync(new URL('./fixtures/mesos-state-fake.json', import.meta.url), 'utf8'));
    state.leader = parsePid('master@144.76.157.37:5050');
    return buildTable(state, {
      config: DEFAULTS,
      masters: masters(['144.76.157.37:5050']),
      addresses: new Map([['localhost', ['127.0.0.1']]]),
      selfAddresses: ['127.0.0.1', 'fd00::53'],
      serial: 77,
    });
  };

  // Through v8 serialization, as the IPC channel with serialization 'advanced' carries it.
  const overTheWire = (table: RecordTable): RecordTable => decodeTable(v8.deserialize(v8.serialize(encodeTable(table))));

  it('round-trips every name, record, existing name and the SOA', () => {
    const table = fixture();
    const back = overTheWire(table);
    expect(back.zone).toBe(table.zone);
    expect(back.ttl).toBe(table.ttl);
    expect(back.soa).toEqual(table.soa);
    expect(back.ns).toEqual(table.ns);
    expect([...back.names.keys()]).toEqual([...table.names.keys()]);
    for (const [name, rec] of table.names) expect(back.names.get(name)).toEqual({ a: [...rec.a], aaaa: [...rec.aaaa], srv: rec.srv.map((s) => ({ ...s })) });
    expect(new Set(back.existing)).toEqual(new Set(table.existing));
    expect(back.existing.size).toBe(table.existing.size);
    expect(back.names.has('nope.mesos.')).toBe(false);
    expect(back.existing.has('_tcp.marathon.mesos.')).toBe(table.existing.has('_tcp.marathon.mesos.'));
  });

  it('gives the same lookups as the table it came from', () => {
    const table = fixture();
    const back = overTheWire(table);
    const names = [...table.existing, 'nope.mesos.'];
    for (const name of names) {
      for (const type of [QTYPE.A, QTYPE.AAAA, QTYPE.SRV, QTYPE.NS, QTYPE.SOA, QTYPE.TXT]) {
        const q = { id: 1, opcode: 0, rd: true, cd: false, question: { name: name.slice(0, -1), type, class: 1 } };
        const opts = { random: () => 0, recurseOn: true };
        expect(summaryFromAnswer(lookup(back, q, opts))).toEqual(summaryFromAnswer(lookup(table, q, opts)));
      }
    }
  });

  it('packs a hand-made table, keeping SRV priorities and weights and its empty non-terminals', () => {
    const table = buildTestTable(['a.mesos. A 10.0.0.1', '_x._tcp.a.mesos. SRV 1 2 80 a.mesos.', '_x._tcp.a.mesos. SRV 0 7 81 b.mesos.', 'c.d.mesos. AAAA fd00::1']);
    const back = overTheWire(table);
    expect(back.names.get('_x._tcp.a.mesos.')?.srv).toEqual([
      { priority: 1, weight: 2, port: 80, target: 'a.mesos.' },
      { priority: 0, weight: 7, port: 81, target: 'b.mesos.' },
    ]);
    expect(new Set(back.existing)).toEqual(new Set(table.existing));
    // An SRV target without records is no name of the zone.
    expect(back.existing.has('b.mesos.')).toBe(false);
    expect(back.names.has('b.mesos.')).toBe(false);
    expect(back.existing.has('d.mesos.')).toBe(true);
    expect(back.names.get('d.mesos.')).toBeUndefined();
  });

  it('refuses a damaged table message instead of serving it', () => {
    const encoded = v8.deserialize(v8.serialize(encodeTable(fixture())));
    const damage: Array<(p: Record<string, unknown> & { recValue: Int32Array; slots: Int32Array; recStart: Int32Array }) => void> = [
      (p) => (p.recValue[3] = 1 << 30),
      (p) => (p.slots[p.slots.findIndex((x) => x !== 0)] = -5),
      (p) => (p.recStart = p.recStart.subarray(1)),
      (p) => (p.names = { bytes: new Uint8Array(1), ends: new Int32Array([1, 9]) }),
      (p) => (p.ownerCount = 3),
      (p) => delete p.nameKind,
    ];
    for (const hurt of damage) {
      const copy = v8.deserialize(v8.serialize(encoded));
      hurt(copy.packed);
      expect(() => decodeTable(copy)).toThrow(expect.objectContaining({ code: 'MDNS_ERR_TABLE_MESSAGE' }));
    }
    expect(() => decodeTable({ header: encoded.header, packed: 'nope' } as never)).toThrow(/table message/);
  });

  it('checks a large table in slices, pausing between them, with the same result and the same refusals', async () => {
    // 20,000 tasks: 262,144 name index slots and about 240,000 records, four slices or more.
    const state = parseStateText(generateStateText(20_000, 3, { leader: 'master@10.0.0.1:5050' }));
    const table = buildTable(state, { config: DEFAULTS, masters: masters(['10.0.0.1:5050']), addresses: new Map(), selfAddresses: [], serial: 1 });
    const encoded = v8.deserialize(v8.serialize(encodeTable(table)));
    let pauses = 0;
    const pause = (): Promise<void> => {
      pauses++;
      return new Promise((r) => setImmediate(r));
    };
    const sliced = await decodeTableInSlices(encoded, pause);
    expect(pauses).toBeGreaterThan(2);
    const whole = decodeTable(encoded);
    const sample = [...whole.names.keys()].filter((_, i) => i % 997 === 0);
    for (const name of [...sample, 'leader.mesos.', 'nothing.mesos.']) expect(sliced.names.get(name)).toEqual(whole.names.get(name));
    expect(sliced.names.get('leader.mesos.')?.a).toEqual(['10.0.0.1']);
    expect(sliced.names.size).toBe(whole.names.size);
    expect(sliced.names.size).toBeGreaterThan(50_000);

    // Damage in the last slice (the last record) is still found.
    const damaged = v8.deserialize(v8.serialize(encoded));
    damaged.packed.recValue[damaged.packed.recValue.length - 1] = 1 << 30;
    await expect(decodeTableInSlices(damaged, pause)).rejects.toMatchObject({ code: 'MDNS_ERR_TABLE_MESSAGE' });
  });
});

// --- worker processes -----------------------------------------------------------------------

const describeWorkers = reusePortSupported() ? describe : describe.skip;

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

describe('in-process serving during swaps', () => {
  it('answers every query while 20,000-task tables are swapped in', async () => {
    const store = new TableStore();
    const tables = [tableOf(syntheticState(20_000, 0), 1), tableOf(syntheticState(20_000, 1), 2)];
    store.swap(tables[0]);
    const serving = await startServing({ config: () => ({ ...LISTEN, Workers: 1, HttpOn: false }), store, logger: silentLogger, version: 'test' });
    const client = await udpClient(serving.addresses().dns!.udp.port);
    let unanswered = 0;
    try {
      for (let i = 0; i < 2000; i++) {
        if (i % 250 === 0) store.swap(tables[(i / 250) % 2]);
        const reply = await client.ask(query(i % 2 ? 'app-3.marathon.mesos' : 'leader.mesos', QTYPE.A, i));
        if (!reply || summaryFromWire(reply).answer.length === 0) unanswered++;
      }
    } finally {
      await client.close();
      await serving.close();
    }
    expect(unanswered).toBe(0);
  });
});

describeWorkers('worker restart backoff', () => {
  it('backs off when a restarted worker keeps dying before it is ready', async () => {
    // Capture the supervisor's "restarting it" warnings: their restartInMs is the backoff.
    const delays: number[] = [];
    const logger = createLogger({
      level: 'warn',
      destination: {
        write(line: string) {
          const entry = JSON.parse(line) as { msg?: string; restartInMs?: number };
          if (entry.restartInMs !== undefined) delays.push(entry.restartInMs);
        },
      },
    });
    const pool = await startWorkerPool({ config: LISTEN, workers: 1, store: new TableStore(), logger, restart: { initialMs: 20, maxMs: 5000 } });
    const killed = new Set<number>();
    try {
      // Kill every worker as soon as it is started: the restarted ones die long before 'ready'.
      while (delays.length < 4) {
        for (const id of pool.workerIds()) {
          if (killed.has(id)) continue;
          killed.add(id);
          void pool.kill(id);
        }
        await new Promise((r) => setTimeout(r, 2));
      }
      expect(delays.slice(0, 4)).toEqual([20, 40, 80, 160]);
    } finally {
      await pool.close();
    }
  });
});
