// Messages between the main thread (supervisor.ts) and a DNS worker thread (worker-main.ts),
// over the worker's message port (structured clone; typed arrays over a SharedArrayBuffer are
// shared, not copied).
//
// A worker's life: init -> ready (or fatal, then the main thread ends it) -> any number of
// config, table and stats messages -> stop. Each table generation is one message carrying the
// packed table.
import type { Config } from '../config/typed.js';
import type { StatsSnapshot } from '../dns/query-stats.js';
import type { EncodedTable } from './table-codec.js';
import type { ZoneData } from '../zones/zone-check.js';
import type { UpstreamHealthView } from '../dns/forward/upstream-health.js';

export type ToWorker =
  /** Bind the DNS port (config.Port is never 0 here) and start serving. */
  | { type: 'init'; config: Config; logLevel: string; worker: number }
  /** A new config with the same listener. */
  | { type: 'config'; config: Config }
  /**
   * A snapshot: the packed table and the static zones (plain data, copied). `tableId` names the
   * table: a generation that only changed the static zones repeats the previous one's, and the
   * worker reuses the table it already checked.
   */
  | { type: 'table'; generation: number; tableId: number; table: EncodedTable; zones: readonly ZoneData[] }
  | { type: 'stats'; request: number }
  /** The main thread's answer to a relayed transfer (null: send nothing). */
  | { type: 'xfr'; request: number; replies: Buffer[] | null }
  | { type: 'stop' };

export type FromWorker =
  | { type: 'ready'; udp: { address: string; port: number }; tcp: { address: string; port: number } }
  /** The worker cannot serve (e.g. the port is taken) and exits. */
  | { type: 'fatal'; code: string; message: string }
  /** Now serving this table generation. */
  | { type: 'swapped'; generation: number; names: number }
  | { type: 'stats'; request: number; stats: StatsSnapshot; forwardCacheEntries: number; upstreams: UpstreamHealthView[] }
  /** A zone transfer or signed query for our zones, relayed to the main thread (dns/xfr/transfer-service.ts). */
  | { type: 'xfr'; request: number; query: Uint8Array; transport: 'udp' | 'tcp'; client: string };
