// Entry point of a DNS worker thread (started by supervisor.ts). It binds the DNS port with
// SO_REUSEPORT next to its siblings, serves DNS (fast path, forwarding and forwarding cache
// included), and takes every new table generation from the main thread as one message holding
// the packed table, shared with it (not copied), which it checks and swaps in. It exits when
// told to stop.
import { parentPort } from 'node:worker_threads';
import type { Config } from '../config/typed.js';
import { garbageCollector } from '../collect-garbage.js';
import { startDnsService, type DnsService } from '../dns/dns-service.js';
import { createLogger, type Logger } from '../log.js';
import { TableStore } from '../store.js';
import { QueryStats, statsSnapshot } from '../dns/query-stats.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { decodeTableInSlices } from './table-codec.js';
import { decodePatch } from './patch-codec.js';
import type { RecordTable } from '../records/table.js';
import { staticZones, type StaticZones } from '../zones/static-zones.js';

const STATS_PUSH_MS = 2000;

if (parentPort === null) {
  process.stderr.write('worker-main is started by mesos-dns-ts as a worker thread, not directly\n');
  process.exit(1);
}
const port = parentPort;

const store = new TableStore();
let log: Logger = createLogger({ level: 'info' }).child({ worker: 'starting' });
let service: DnsService | undefined;
let stopping = false;

function send(message: FromWorker): void {
  port.postMessage(message);
}

// --- tables ------------------------------------------------------------------------------------
/** Frees the previous generation's shared table once nothing here uses it (collect-garbage.ts). */
const collector = garbageCollector();
/**
 * Newest generation received. An older one arriving late (a restart race) is ignored, and one
 * still being checked when a newer one comes is dropped, so swaps only ever move forward.
 */
let receivedGeneration = 0;
/** The decoded base table (the last table message) that patches apply over. */
let base: { generation: number; table: RecordTable } | undefined;
/** The main thread's generation this worker serves. */
let servingGeneration = 0;
/** Patches that came while their base was still being checked, in order. */
let waitingPatches: Array<Extract<ToWorker, { type: 'patch' }>> = [];
/** The last table checked or being checked, by its tableId: a zones-only generation reuses it. */
let decoding: { tableId: number; table: Promise<RecordTable> } | undefined;

async function receiveTable(m: Extract<ToWorker, { type: 'table' }>): Promise<void> {
  if (m.generation <= receivedGeneration) return;
  receivedGeneration = m.generation;
  waitingPatches = [];
  const received = performance.now();
  log.debug({ generation: m.generation }, 'table message received');
  try {
    if (decoding?.tableId !== m.tableId) decoding = { tableId: m.tableId, table: decodeTableInSlices(m.table) };
    const table = await decoding.table;
    // Dropped when a newer table came meanwhile; kept when only patches of it did.
    if (m.generation !== receivedGeneration && waitingPatches[0]?.base !== m.generation) return;
    base = { generation: m.generation, table };
    serve(table, m.generation, staticZones(m.zones));
    log.debug({ generation: m.generation, decodeMs: Math.round(performance.now() - received) }, 'table checked and served');
    const patches = waitingPatches;
    waitingPatches = [];
    for (const p of patches) applyPatch(p);
  } catch (err) {
    log.error({ err, generation: m.generation }, 'could not use a table generation; keeping the current one');
  }
}

function receivePatch(m: Extract<ToWorker, { type: 'patch' }>): void {
  if (m.generation <= receivedGeneration) return;
  receivedGeneration = m.generation;
  if (base?.generation === m.base) applyPatch(m);
  else waitingPatches.push(m);
}

function applyPatch(m: Extract<ToWorker, { type: 'patch' }>): void {
  if (base === undefined || base.generation !== m.base) return;
  const now = store.current();
  // A change list applies to the generation it was made from; a whole overlay to the base.
  const previous = m.from === m.base ? undefined : servingGeneration === m.from ? now?.table : null;
  if (previous === null) {
    log.error({ generation: m.generation, from: m.from, serving: servingGeneration }, 'a patch of a generation this worker does not serve; keeping the current table');
    return;
  }
  try {
    const table = decodePatch(base.table, previous, m.patch);
    const zones = m.zones === undefined ? undefined : staticZones(m.zones);
    // The names this patch touched, for the answer cache, when it patches what is served now.
    serve(table, m.generation, zones, m.from === servingGeneration ? m.patch.names.map(([name]) => name) : undefined);
  } catch (err) {
    log.error({ err, generation: m.generation }, 'could not use a table patch; keeping the current table');
  }
}

/** Serves `table`; the static zones stay unless `zones` is given (store.swap). */
function serve(table: RecordTable, generation: number, zones?: StaticZones, touched?: readonly string[]): void {
  store.swap(table, zones, touched);
  servingGeneration = generation;
  if (table.overlay === undefined) collector.afterSwap();
  send({ type: 'swapped', generation, names: table.names.size });
}

// --- transfers ----------------------------------------------------------------------------------
// Zone transfers and signed queries are answered by the main thread, which holds the journal and
// the keys (dns/xfr/transfer-service.ts); this thread relays the query bytes and sends the replies.
let xfrRequests = 0;
const xfrWaiting = new Map<number, (replies: Buffer[] | null) => void>();

function relayTransfer(query: Buffer, transport: 'udp' | 'tcp', client: string): Promise<Buffer[] | null> {
  const request = ++xfrRequests;
  return new Promise((resolve) => {
    xfrWaiting.set(request, resolve);
    send({ type: 'xfr', request, query: new Uint8Array(query), transport, client });
  });
}

function transferAnswered(m: Extract<ToWorker, { type: 'xfr' }>): void {
  const resolve = xfrWaiting.get(m.request);
  xfrWaiting.delete(m.request);
  // Structured clone turns Buffers into Uint8Arrays: view them as Buffers again, without a copy.
  resolve?.(m.replies === null ? null : m.replies.map((r) => Buffer.from(r.buffer, r.byteOffset, r.byteLength)));
}

// --- lifecycle --------------------------------------------------------------------------------
async function init(config: Config, logLevel: string, worker: number): Promise<void> {
  // Bound as `worker`, not `component`: the modules below add their own component.
  log = createLogger({ level: logLevel as 'info' }).child({ worker });
  try {
    service = await startDnsService({ config, snapshot: () => store.current(), logger: log, reusePort: true, transfer: relayTransfer });
  } catch (err) {
    const e = err as { code?: string; message?: string };
    // The main thread ends this thread when it gets this.
    send({ type: 'fatal', code: e.code ?? 'MDNS_ERR', message: e.message ?? String(err) });
    return;
  }
  const addresses = service.addresses();
  send({
    type: 'ready',
    udp: { address: addresses?.udp.address ?? config.Listener, port: addresses?.udp.port ?? config.Port },
    tcp: { address: addresses?.tcp.address ?? config.Listener, port: addresses?.tcp.port ?? config.Port },
  });
}

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  try {
    await service?.close();
  } finally {
    process.exit(0);
  }
}

/** Counters as of now; `request` 0 marks the periodic push. */
function sendStats(request: number): void {
  send({
    type: 'stats',
    request,
    stats: statsSnapshot(service?.countedStats() ?? new QueryStats()),
    forwardCacheEntries: service?.forwardCacheEntries() ?? 0,
    upstreams: service?.upstreamHealth() ?? [],
  });
}
// Pushed every few seconds too, so the counts of a worker that crashes are mostly kept in the
// primary's sum (it asks on every /metrics request as well).
setInterval(() => sendStats(0), STATS_PUSH_MS).unref();

port.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'init':
      void init(m.config, m.logLevel, m.worker);
      break;
    case 'config':
      service?.reconfigure(m.config).catch((err: unknown) => log.error({ err }, 'could not apply the new config'));
      break;
    case 'table':
      void receiveTable(m);
      break;
    case 'patch':
      receivePatch(m);
      break;
    case 'stats':
      sendStats(m.request);
      break;
    case 'xfr':
      transferAnswered(m);
      break;
    case 'stop':
      void stop();
      break;
  }
});
