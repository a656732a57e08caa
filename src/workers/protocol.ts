// Messages between the main thread (supervisor.ts) and a DNS worker thread (worker-main.ts),
// over the worker's message port (structured clone; typed arrays over a SharedArrayBuffer are
// shared, not copied).
//
// A worker's life: init -> ready (or fatal, then the main thread ends it) -> any number of
// config, table, patch and stats messages -> stop. A full table generation is one message carrying
// the packed table; a patched one, a message with the names it changed.
import type { Config } from '../config/typed.js';
import type { StatsSnapshot } from '../dns/query-stats.js';
import type { EncodedTable } from './table-codec.js';
import type { PatchBody } from './patch-codec.js';
import type { UpstreamHealthView } from '../dns/forward/upstream-health.js';

export type ToWorker =
  /** Bind the DNS port (config.Port is never 0 here) and start serving. */
  | { type: 'init'; config: Config; logLevel: string; worker: number }
  /** A new config with the same listener. */
  | { type: 'config'; config: Config }
  | { type: 'table'; generation: number; table: EncodedTable }
  /**
   * A patched generation (patch-codec.ts) over the table of generation `base`: the changes since
   * generation `from`, or the whole overlay when `from` is `base`.
   */
  | { type: 'patch'; generation: number; base: number; from: number; patch: PatchBody }
  | { type: 'stats'; request: number }
  | { type: 'stop' };

export type FromWorker =
  | { type: 'ready'; udp: { address: string; port: number }; tcp: { address: string; port: number } }
  /** The worker cannot serve (e.g. the port is taken) and exits. */
  | { type: 'fatal'; code: string; message: string }
  /** Now serving this table generation. */
  | { type: 'swapped'; generation: number; names: number }
  | { type: 'stats'; request: number; stats: StatsSnapshot; forwardCacheEntries: number; upstreams: UpstreamHealthView[] };
