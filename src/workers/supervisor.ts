// The main thread's side of the DNS worker threads: start N of them on one port (SO_REUSEPORT,
// so the kernel spreads datagrams and connections over their sockets and every core answers
// queries), hand each new table generation to all of them, restart one that dies, sum their
// counters for /metrics, and stop them on shutdown.
//
// Threads rather than processes: the packed table lives in a SharedArrayBuffer
// (records/packed-table.ts), so every thread answers from the one copy the main thread built,
// handed over by reference in a message, while a process would need its own copy (and its own
// ~45 MB Node runtime). Each thread still has its own event loop, sockets and JS heap, so
// queries are served in parallel exactly as by processes, and one thread's garbage collection
// does not pause the others. A thread that throws or exits is restarted with backoff.
//
// Tables: on every swap the main thread posts the table (table-codec.ts), or a patch of it
// (table-handout.ts), to every worker; a worker checks it and swaps it in, serving the previous
// generation until then. The current generation is kept, so a restarted worker gets it at once.
//
// Port 0 (tests): the main thread first binds a port free for UDP and TCP itself (with
// SO_REUSEPORT), hands that number to the workers, and lets its own sockets go once they are
// all listening. Nobody can know the port before startWorkerPool resolves, so no query reaches
// the primary's placeholder sockets.
import type { AddressInfo } from 'node:net';
import { Worker as Thread } from 'node:worker_threads';
import type { Config } from '../config/typed.js';
import { DnsListenError } from '../errors.js';
import { startDnsServer } from '../dns/transport/dns-server.js';
import { QueryStats, addStats, statsSnapshot, type StatsSnapshot } from '../dns/query-stats.js';
import { mergeHealthViews, type UpstreamHealthView } from '../dns/forward/upstream-health.js';
import type { DnsStats } from '../dns/dns-service.js';
import type { Logger } from '../log.js';
import type { Snapshot, TableStore } from '../store.js';
import type { TransferAnswer } from '../dns/xfr/transfer-service.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { TableHandout } from './table-handout.js';
import { workerEntry } from './worker-entry.js';

export interface WorkerPoolOptions {
  /** The DNS settings; Port 0 picks a free port for all workers. */
  config: Config;
  /** Number of worker threads, at least 1. */
  workers: number;
  store: TableStore;
  logger: Logger;
  /** Restart delay after a crash: doubles per crash in a row from `initialMs` up to `maxMs`. */
  restart?: { initialMs: number; maxMs: number };
  /** How long a worker may take to bind and report ready. */
  startTimeoutMs?: number;
  /** Answers the zone transfers and signed queries the workers relay (dns/xfr/transfer-service.ts). */
  transfer?: TransferAnswer;
}

export interface WorkerPool {
  readonly udpAddress: AddressInfo;
  readonly tcpAddress: AddressInfo;
  /** Thread ids of the running workers. */
  workerIds(): number[];
  /** Ends one worker abruptly, as a crash would; it is restarted like one (tests, drills). */
  kill(threadId: number): Promise<void>;
  /** The V8 limits each running worker thread got (Worker.resourceLimits), for tests. */
  resourceLimits(): Array<{ maxYoungGenerationSizeMb?: number }>;
  /** Counters summed over all workers (asked now, 1 s at most), including workers that died. */
  stats(): Promise<DnsStats>;
  /** A new config with the same listener (Listener, Port, buffers): sent to every worker. */
  reconfigure(next: Config): void;
  /** Resolves once every running worker serves `generation` or a newer one. */
  serving(generation: number): Promise<void>;
  /** The oldest generation any live worker serves (0 while one has none). */
  servedGeneration(): number;
  /** Workers answering from a table, of the configured count (/ready). */
  workersServing(): { serving: number; total: number };
  close(): Promise<void>;
}

const DEFAULT_RESTART = { initialMs: 100, maxMs: 10_000 };
/** A worker that ran this long before dying starts its restart backoff from the beginning. */
const STABLE_MS = 30_000;
const STATS_TIMEOUT_MS = 1000;
const STOP_GRACE_MS = 3000;

interface Worker {
  readonly index: number;
  readonly thread: Thread;
  readonly threadId: number;
  exited: boolean;
  ready: boolean;
  readyAt: number;
  /** Table generation it serves (0: none yet). */
  generation: number;
  lastStats?: StatsSnapshot;
  lastCacheEntries: number;
  lastUpstreams: UpstreamHealthView[];
  statsWaiters: Map<number, () => void>;
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
  const handout = new TableHandout();
  let statsRequest = 0;
  let addresses: { udp: AddressInfo; tcp: AddressInfo } | undefined;

  const send = (w: Worker, message: ToWorker): void => {
    if (!w.exited) w.thread.postMessage(message);
  };
  const broadcast = (message: ToWorker): void => {
    for (const w of workers) if (w?.ready) send(w, message);
  };
  const checkServing = (): void => {
    for (const wake of [...servingWaiters]) wake();
  };

  /** Brings one worker to the current generation: the base, then the whole overlay over it. */
  const sendCurrent = (w: Worker): void => {
    for (const message of handout.catchUp()) send(w, message);
  };

  const publish = (snapshot: Snapshot): void => {
    if (closing) return;
    const startedAt = performance.now();
    const messages = handout.next(snapshot);
    for (const message of messages) broadcast(message);
    const kind = messages[messages.length - 1].type;
    log.debug({ generation: snapshot.generation, kind, names: snapshot.patch?.touched.length, ms: Math.round(performance.now() - startedAt) }, 'table handed to the workers');
  };

  const spawn = (index: number): Worker => {
    const thread = new Thread(entry.path, { execArgv: entry.execArgv, resourceLimits: entry.resourceLimits });
    const w: Worker = {
      index,
      thread,
      threadId: thread.threadId,
      exited: false,
      ready: false,
      readyAt: 0,
      generation: 0,
      lastCacheEntries: 0,
      lastUpstreams: [],
      statsWaiters: new Map(),
    };
    workers[index] = w;
    thread.on('message', (m: FromWorker) => {
      switch (m.type) {
        case 'ready':
          w.ready = true;
          w.readyAt = Date.now();
          sendCurrent(w);
          break;
        case 'swapped':
          w.generation = m.generation;
          log.debug({ worker: index, generation: m.generation, names: m.names }, 'worker serves a new table');
          checkServing();
          break;
        case 'stats':
          w.lastStats = m.stats;
          w.lastCacheEntries = m.forwardCacheEntries;
          w.lastUpstreams = m.upstreams;
          w.statsWaiters.get(m.request)?.();
          break;
        case 'xfr': {
          // A transfer or signed query a worker received: answered here, where the journal is.
          const answer = options.transfer ? options.transfer(Buffer.from(m.query), m.transport, m.client) : Promise.resolve(null);
          void answer.then((replies) => {
            const reply: ToWorker = { type: 'xfr', request: m.request, replies };
            thread.postMessage(reply);
          });
          break;
        }
        case 'fatal':
          log.error({ worker: index, code: m.code, err: m.message }, 'DNS worker cannot serve');
          // It cannot serve: end it (start-up reports the failure, later the restart backoff applies).
          void thread.terminate();
          break;
      }
    });
    // An exception nobody caught in the worker: the thread is gone ('exit' follows).
    thread.on('error', (err) => log.error({ worker: index, err }, 'DNS worker failed'));
    thread.on('exit', (code) => {
      w.exited = true;
      if (workers[index] === w) workers[index] = undefined;
      if (w.lastStats) addStats(retired, w.lastStats);
      for (const wake of w.statsWaiters.values()) wake();
      checkServing();
      if (closing || !addresses) return; // shutting down, or still starting (startup handles it)
      // Only a worker that got ready and then ran a while earns a fresh backoff; one that died
      // before 'ready' (readyAt 0) would otherwise reset it every time and be restarted in a loop.
      if (w.ready && Date.now() - w.readyAt > STABLE_MS) crashes[index] = 0;
      const delay = Math.min(restart.maxMs, restart.initialMs * 2 ** crashes[index]);
      crashes[index]++;
      log.warn({ worker: index, threadId: w.threadId, code, restartInMs: delay }, 'DNS worker exited; restarting it');
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
        if (!w || w.exited) return undefined;
        return new Promise<void>((resolve) => {
          // A worker that does not finish closing its sockets in time is ended regardless.
          const kill = setTimeout(() => void w.thread.terminate(), STOP_GRACE_MS);
          w.thread.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          send(w, { type: 'stop' });
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
              w.thread.off('exit', onExit);
              resolve(m);
            } else if (m.type === 'fatal') {
              clearTimeout(timer);
              reject(new DnsListenError(m.message));
            }
          };
          const onExit = (code: number): void => {
            clearTimeout(timer);
            reject(new DnsListenError(`DNS worker ${i} exited during start-up (code ${code})`));
          };
          w.thread.on('message', onMessage);
          w.thread.once('exit', onExit);
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
  log.info({ workers: count, udp: addresses.udp, tcp: addresses.tcp }, 'DNS served by worker threads');

  const handOut = (snapshot: Snapshot): void => {
    try {
      publish(snapshot);
    } catch (err) {
      log.error({ err, generation: snapshot.generation }, 'could not hand a table to the DNS workers');
    }
  };
  const unsubscribe = options.store.onSwap(handOut);
  const now = options.store.current();
  if (now) handOut(now);

  const bound = addresses;
  return {
    udpAddress: bound.udp,
    tcpAddress: bound.tcp,
    workerIds: () => workers.flatMap((w) => (w && !w.exited ? [w.threadId] : [])),
    resourceLimits: () => workers.flatMap((w) => (w && !w.exited ? [{ ...w.thread.resourceLimits }] : [])),
    async kill(threadId) {
      const w = workers.find((x) => x?.threadId === threadId);
      if (w) await w.thread.terminate();
    },
    async stats() {
      const request = ++statsRequest;
      await Promise.all(
        workers.map((w) => {
          if (!w?.ready || w.exited) return undefined;
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
      addStats(sum, statsSnapshot(retired));
      let forwardCacheEntries = 0;
      for (const w of workers) {
        if (!w?.lastStats) continue;
        addStats(sum, w.lastStats);
        forwardCacheEntries += w.lastCacheEntries;
      }
      const upstreams = mergeHealthViews(workers.flatMap((w) => (w && !w.exited ? [w.lastUpstreams] : [])));
      return { stats: sum, forwardCacheEntries, upstreams };
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
    workersServing() {
      return { serving: workers.filter((w) => w !== undefined && w.ready && w.generation > 0).length, total: workers.length };
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
