// Entry point of a DNS worker process (forked by supervisor.ts). It binds the DNS port with
// SO_REUSEPORT next to its siblings, serves DNS from its own copy of the table (fast path,
// forwarding and forwarding cache included), and takes every new table generation from the
// primary, decoding it one chunk per event-loop turn so queries keep being answered from the
// previous table meanwhile. It exits when told to stop or when the primary goes away.
import type { Config } from '../config.js';
import { startDnsService, type DnsService } from '../dns/dns-service.js';
import { createLogger, type Logger } from '../log.js';
import { TableStore } from '../store.js';
import { QueryStats } from '../dns/handle-query.js';
import { statsSnapshot, type FromWorker, type ToWorker } from './protocol.js';
import { TableDecoder } from './table-codec.js';

type TableMessage = Extract<ToWorker, { type: 'table-begin' | 'table-chunk' | 'table-end' }>;

const STATS_PUSH_MS = 2000;

if (typeof process.send !== 'function') {
  process.stderr.write('worker-main is started by the mesos-dns-ts primary process, not directly\n');
  process.exit(1);
}
process.title = 'mesos-dns-ts-worker';

const store = new TableStore();
let log: Logger = createLogger({ level: 'info' }).child({ worker: 'starting' });
let service: DnsService | undefined;
let stopping = false;

function send(message: FromWorker): void {
  if (process.connected) process.send!(message);
}

// --- tables: one message per macrotask, newest generation wins --------------------------------
const queue: TableMessage[] = [];
let draining = false;
let decoding: { generation: number; decoder: TableDecoder } | undefined;

function enqueue(m: TableMessage): void {
  if (m.type === 'table-begin') {
    // Whatever older generation is still queued will never be served: drop it unread.
    for (let i = queue.length - 1; i >= 0; i--) if (queue[i].generation < m.generation) queue.splice(i, 1);
  }
  queue.push(m);
  if (!draining) {
    draining = true;
    setImmediate(drain);
  }
}

function drain(): void {
  const m = queue.shift();
  if (m === undefined) {
    draining = false;
    return;
  }
  try {
    if (m.type === 'table-begin') {
      decoding = { generation: m.generation, decoder: new TableDecoder(m.header) };
    } else if (decoding?.generation === m.generation) {
      if (m.type === 'table-chunk') {
        decoding.decoder.add(m.chunk);
      } else {
        const table = decoding.decoder.finish(m.trailer);
        decoding = undefined;
        store.swap(table);
        send({ type: 'swapped', generation: m.generation, names: table.names.size });
      }
    }
  } catch (err) {
    log.error({ err, generation: m.generation }, 'could not decode a table generation; keeping the current one');
    decoding = undefined;
  }
  // setImmediate runs after the poll phase: datagrams that arrived meanwhile are answered first.
  setImmediate(drain);
}

// --- lifecycle --------------------------------------------------------------------------------
async function init(config: Config, logLevel: string, worker: number): Promise<void> {
  // Bound as `worker`, not `component`: the modules below add their own component.
  log = createLogger({ level: logLevel as 'info' }).child({ worker });
  try {
    service = await startDnsService({ config, snapshot: () => store.current(), logger: log, reusePort: true });
  } catch (err) {
    const e = err as { code?: string; message?: string };
    send({ type: 'fatal', code: e.code ?? 'MDNS_ERR', message: e.message ?? String(err) });
    process.exit(1);
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
  send({ type: 'stats', request, stats: statsSnapshot(service?.stats ?? new QueryStats()), forwardCacheEntries: service?.forwardCacheEntries() ?? 0 });
}
// Pushed every few seconds too, so the counts of a worker that crashes are mostly kept in the
// primary's sum (it asks on every /metrics request as well).
setInterval(() => sendStats(0), STATS_PUSH_MS).unref();

process.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'init':
      void init(m.config, m.logLevel, m.worker);
      break;
    case 'config':
      service?.reconfigure(m.config).catch((err: unknown) => log.error({ err }, 'could not apply the new config'));
      break;
    case 'table-begin':
    case 'table-chunk':
    case 'table-end':
      enqueue(m);
      break;
    case 'stats':
      sendStats(m.request);
      break;
    case 'stop':
      void stop();
      break;
  }
});
// The primary died or closed the channel: nobody will send tables or stop us any more.
process.on('disconnect', () => void stop());
