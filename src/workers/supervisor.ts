// The primary's side of the DNS worker processes: start N of them on one port (SO_REUSEPORT,
// so the kernel spreads datagrams and connections over their sockets and every core answers
// queries), hand each new table generation to all of them, restart one that dies, sum their
// counters for /metrics, and stop them on shutdown.
//
// Tables: on every swap the primary encodes the table once (table-codec.ts), a chunk at a time
// with a turn of its event loop between chunks, and sends each chunk to every worker as it is
// made; workers decode while the previous generation keeps serving, then swap. The chunks of
// the current generation are kept, so a restarted worker gets the table at once.
//
// Port 0 (tests): the primary first binds a port free for UDP and TCP itself (with
// SO_REUSEPORT), hands that number to the workers, and lets its own sockets go once they are
// all listening. Nobody can know the port before startWorkerPool resolves, so no query reaches
// the primary's placeholder sockets.
import { fork, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config.js';
import { DnsListenError, startDnsServer } from '../dns/dns-server.js';
import { QueryStats } from '../dns/handle-query.js';
import type { Logger } from '../log.js';
import type { Snapshot, TableStore } from '../store.js';
import { addStats, type FromWorker, type StatsSnapshot, type ToWorker } from './protocol.js';
import { encodeChunks, tableHeader, type TableHeader, type TableTrailer } from './table-codec.js';
import { workerEntry } from './worker-entry.js';

export interface WorkerPoolOptions {
  /** The DNS settings; Port 0 picks a free port for all workers. */
  config: Config;
  /** Number of worker processes, at least 1. */
  workers: number;
  store: TableStore;
  logger: Logger;
  /** Restart delay after a crash: doubles per crash in a row from `initialMs` up to `maxMs`. */
  restart?: { initialMs: number; maxMs: number };
  /** How long a worker may take to bind and report ready. */
  startTimeoutMs?: number;
}

export interface WorkerPool {
  readonly udpAddress: AddressInfo;
  readonly tcpAddress: AddressInfo;
  /** Process ids of the running workers. */
  pids(): number[];
  /** Counters summed over all workers (asked now, 1 s at most), including workers that died. */
  stats(): Promise<{ stats: QueryStats; forwardCacheEntries: number }>;
  /** A new config with the same listener (Listener, Port, buffers): sent to every worker. */
  reconfigure(next: Config): void;
  /** Resolves once every running worker serves `generation` or a newer one. */
  serving(generation: number): Promise<void>;
  /** The oldest generation any live worker serves (0 while one has none). */
  servedGeneration(): number;
  close(): Promise<void>;
}

const DEFAULT_RESTART = { initialMs: 100, maxMs: 10_000 };
/** A worker that ran this long before dying starts its restart backoff from the beginning. */
const STABLE_MS = 30_000;
const STATS_TIMEOUT_MS = 1000;
const STOP_GRACE_MS = 3000;

interface Worker {
  readonly index: number;
  readonly child: ChildProcess;
  ready: boolean;
  readyAt: number;
  /** Table generation it serves (0: none yet). */
  generation: number;
  lastStats?: StatsSnapshot;
  lastCacheEntries: number;
  statsWaiters: Map<number, () => void>;
}

/** The generation being handed out (or last handed out), kept for workers that start later. */
interface Generation {
  generation: number;
  header: TableHeader;
  chunks: Buffer[];
  trailer?: TableTrailer;
}

export async function startWorkerPool(options: WorkerPoolOptions): Promise<WorkerPool> {
  const log = options.logger.child({ component: 'dns-workers' });
  const restart = options.restart ?? DEFAULT_RESTART;
  const startTimeoutMs = options.startTimeoutMs ?? 15_000;
  const entry = workerEntry();
  const count = Math.max(1, Math.floor(options.workers));

  // Port 0: settle on one port for everybody first.
  let placeholder: Awaited<ReturnType<typeof startDnsServer>> | undefined;
  let config = options.config;
  if (config.Port === 0) {
    placeholder = await startDnsServer({ config, handler: () => null, logger: options.logger, reusePort: true });
    config = { ...config, Port: placeholder.udpAddress.port };
  }

  const workers: Array<Worker | undefined> = new Array(count).fill(undefined);
  const crashes: number[] = new Array(count).fill(0);
  const restartTimers = new Set<NodeJS.Timeout>();
  const retired = new QueryStats();
  const servingWaiters = new Set<() => void>();
  let closing = false;
  let current: Generation | undefined;
  let statsRequest = 0;
  let addresses: { udp: AddressInfo; tcp: AddressInfo } | undefined;

  const send = (w: Worker, message: ToWorker): void => {
    if (w.child.connected) w.child.send(message);
  };
  const broadcast = (message: ToWorker): void => {
    for (const w of workers) if (w?.ready) send(w, message);
  };
  const checkServing = (): void => {
    for (const wake of [...servingWaiters]) wake();
  };

  /** Sends the current generation, as far as it is encoded, to one worker. */
  const sendBacklog = (w: Worker): void => {
    const g = current;
    if (!g) return;
    send(w, { type: 'table-begin', generation: g.generation, header: g.header });
    for (const chunk of g.chunks) send(w, { type: 'table-chunk', generation: g.generation, chunk });
    if (g.trailer) send(w, { type: 'table-end', generation: g.generation, trailer: g.trailer });
  };

  const publish = async (snapshot: Snapshot): Promise<void> => {
    const g: Generation = { generation: snapshot.generation, header: tableHeader(snapshot.table), chunks: [] };
    current = g;
    const startedAt = performance.now();
    broadcast({ type: 'table-begin', generation: g.generation, header: g.header });
    const chunks = encodeChunks(snapshot.table);
    for (;;) {
      if (current !== g || closing) return; // a newer generation took over
      const step = chunks.next();
      if (step.done) {
        g.trailer = step.value;
        broadcast({ type: 'table-end', generation: g.generation, trailer: g.trailer });
        log.debug({ generation: g.generation, chunks: g.chunks.length, ms: Math.round(performance.now() - startedAt) }, 'table handed to the workers');
        return;
      }
      g.chunks.push(step.value);
      broadcast({ type: 'table-chunk', generation: g.generation, chunk: step.value });
      // Let the primary's own work (HTTP API, the state source) run between chunks.
      await new Promise((resolve) => setImmediate(resolve));
    }
  };

  const spawn = (index: number): Worker => {
    const child = fork(entry.path, [], {
      serialization: 'advanced',
      execArgv: entry.execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const w: Worker = { index, child, ready: false, readyAt: 0, generation: 0, lastCacheEntries: 0, statsWaiters: new Map() };
    workers[index] = w;
    child.on('message', (m: FromWorker) => {
      switch (m.type) {
        case 'ready':
          w.ready = true;
          w.readyAt = Date.now();
          sendBacklog(w);
          break;
        case 'swapped':
          w.generation = m.generation;
          log.debug({ worker: index, generation: m.generation, names: m.names }, 'worker serves a new table');
          checkServing();
          break;
        case 'stats':
          w.lastStats = m.stats;
          w.lastCacheEntries = m.forwardCacheEntries;
          w.statsWaiters.get(m.request)?.();
          break;
        case 'fatal':
          log.error({ worker: index, code: m.code, err: m.message }, 'DNS worker cannot serve');
          break;
      }
    });
    child.on('error', (err) => log.warn({ worker: index, err }, 'DNS worker channel error'));
    child.on('exit', (code, signal) => {
      if (workers[index] === w) workers[index] = undefined;
      if (w.lastStats) addStats(retired, w.lastStats);
      for (const wake of w.statsWaiters.values()) wake();
      checkServing();
      if (closing || !addresses) return; // shutting down, or still starting (startup handles it)
      // Only a worker that got ready and then ran a while earns a fresh backoff; one that died
      // before 'ready' (readyAt 0) would otherwise reset it every time and be re-forked in a loop.
      if (w.ready && Date.now() - w.readyAt > STABLE_MS) crashes[index] = 0;
      const delay = Math.min(restart.maxMs, restart.initialMs * 2 ** crashes[index]);
      crashes[index]++;
      log.warn({ worker: index, pid: child.pid, code, signal, restartInMs: delay }, 'DNS worker exited; restarting it');
      const timer = setTimeout(() => {
        restartTimers.delete(timer);
        if (!closing) spawn(index);
      }, delay);
      restartTimers.add(timer);
    });
    send(w, { type: 'init', config, logLevel: options.logger.level, worker: index });
    return w;
  };

  const stopAll = async (): Promise<void> => {
    closing = true;
    for (const timer of restartTimers) clearTimeout(timer);
    restartTimers.clear();
    await Promise.all(
      workers.map((w) => {
        if (!w || w.child.exitCode !== null || w.child.signalCode !== null) return undefined;
        return new Promise<void>((resolve) => {
          const kill = setTimeout(() => w.child.kill('SIGKILL'), STOP_GRACE_MS);
          w.child.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          if (w.child.connected) send(w, { type: 'stop' });
          else w.child.kill('SIGTERM');
        });
      }),
    );
  };

  // --- start: every worker must bind and report ready ----------------------------------------
  try {
    const started = await Promise.all(
      Array.from({ length: count }, (_, i) => {
        const w = spawn(i);
        return new Promise<FromWorker & { type: 'ready' }>((resolve, reject) => {
          const timer = setTimeout(() => reject(new DnsListenError(`DNS worker ${i} did not start within ${startTimeoutMs} ms`)), startTimeoutMs);
          const onMessage = (m: FromWorker): void => {
            if (m.type === 'ready') {
              clearTimeout(timer);
              w.child.off('exit', onExit);
              resolve(m);
            } else if (m.type === 'fatal') {
              clearTimeout(timer);
              reject(new DnsListenError(m.message));
            }
          };
          const onExit = (code: number | null, signal: string | null): void => {
            clearTimeout(timer);
            reject(new DnsListenError(`DNS worker ${i} exited during start-up (code ${code}, signal ${signal})`));
          };
          w.child.on('message', onMessage);
          w.child.once('exit', onExit);
        });
      }),
    );
    const first = started[0];
    addresses = {
      udp: { address: first.udp.address, port: first.udp.port, family: family(first.udp.address) },
      tcp: { address: first.tcp.address, port: first.tcp.port, family: family(first.tcp.address) },
    };
  } catch (err) {
    await stopAll();
    await placeholder?.close();
    throw err;
  }
  await placeholder?.close();
  log.info({ workers: count, udp: addresses.udp, tcp: addresses.tcp }, 'DNS served by worker processes');

  const unsubscribe = options.store.onSwap((snapshot) => {
    publish(snapshot).catch((err: unknown) => log.error({ err, generation: snapshot.generation }, 'could not hand a table to the DNS workers'));
  });
  const now = options.store.current();
  if (now) void publish(now).catch((err: unknown) => log.error({ err }, 'could not hand the table to the DNS workers'));

  const bound = addresses;
  return {
    udpAddress: bound.udp,
    tcpAddress: bound.tcp,
    pids: () => workers.flatMap((w) => (w?.child.pid !== undefined && w.child.exitCode === null ? [w.child.pid] : [])),
    async stats() {
      const request = ++statsRequest;
      await Promise.all(
        workers.map((w) => {
          if (!w?.ready || !w.child.connected) return undefined;
          return new Promise<void>((resolve) => {
            const done = (): void => {
              clearTimeout(timer);
              w.statsWaiters.delete(request);
              resolve();
            };
            const timer = setTimeout(done, STATS_TIMEOUT_MS);
            w.statsWaiters.set(request, done);
            send(w, { type: 'stats', request });
          });
        }),
      );
      const sum = new QueryStats();
      addStats(sum, {
        requests: retired.requests,
        dropped: retired.dropped,
        forwarded: retired.forwarded,
        forwardFailures: retired.forwardFailures,
        cacheHits: retired.cacheHits,
        internalErrors: retired.internalErrors,
        rcodes: Object.fromEntries(retired.rcodes),
      });
      let forwardCacheEntries = 0;
      for (const w of workers) {
        if (!w?.lastStats) continue;
        addStats(sum, w.lastStats);
        forwardCacheEntries += w.lastCacheEntries;
      }
      return { stats: sum, forwardCacheEntries };
    },
    reconfigure(next) {
      config = { ...next, Port: bound.udp.port };
      broadcast({ type: 'config', config });
    },
    servedGeneration() {
      const live = workers.filter((w): w is Worker => w !== undefined);
      if (live.length === 0 || live.some((w) => !w.ready)) return 0;
      return Math.min(...live.map((w) => w.generation));
    },
    serving(generation) {
      return new Promise<void>((resolve) => {
        const check = (): void => {
          const live = workers.filter((w): w is Worker => w !== undefined);
          if (closing || live.every((w) => w.ready && w.generation >= generation)) {
            servingWaiters.delete(check);
            resolve();
          }
        };
        servingWaiters.add(check);
        check();
      });
    },
    async close() {
      unsubscribe();
      await stopAll();
      checkServing();
    },
  };
}

function family(address: string): string {
  return address.includes(':') ? 'IPv6' : 'IPv4';
}
